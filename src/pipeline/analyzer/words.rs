//! Words as Yoast counts them for readability: text split on whitespace and em dashes, numbers on
//! their own dropped, punctuation trimmed from both ends. "well-known" and "don't" are one word
//! each; "42" is none; "COVID-19" is "COVID". Counting the way Yoast does keeps Flesch scores
//! recognisable; Unicode segmentation would split "well-known" in two.

use std::borrow::Cow;
use std::ops::Range;

/// A word: where it sits in the text, and its characters once numbers and surrounding
/// punctuation are gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word<'a> {
    pub range: Range<usize>,
    pub text: Cow<'a, str>,
}

/// Punctuation Yoast trims from the ends of a word (its `removePunctuation` list).
fn is_punctuation(c: char) -> bool {
    matches!(
        c,
        '\u{2013}' | '-' | '(' | ')' | '_' | '[' | ']' | '\u{2019}' | '\u{2018}' | '\u{201c}' | '\u{201d}'
            | '\u{301d}' | '\u{301e}' | '\u{301f}' | '\u{201f}' | '\u{201e}' | '"' | '\'' | '.' | '?'
            | '!' | ':' | ';' | ',' | '\u{bf}' | '\u{a1}' | '\u{ab}' | '\u{bb}' | '\u{2039}'
            | '\u{203a}' | '\u{2014}' | '\u{d7}' | '+' | '&' | '\u{6d4}' | '\u{61f}' | '\u{60c}'
            | '\u{61b}' | '\u{3002}' | '\u{ff61}' | '\u{ff01}' | '\u{203c}' | '\u{ff1f}' | '\u{2047}'
            | '\u{2049}' | '\u{2048}' | '\u{2025}' | '\u{2026}' | '\u{30fb}' | '\u{30fc}'
            | '\u{3001}'..='\u{3020}' | '\u{3036}' | '\u{303c}' | '\u{303d}' | '\u{ff5b}'..='\u{ff65}'
            | '\u{ff3b}' | '\u{ff3d}' | '\u{ffe5}' | '\u{ff04}' | '\u{ff05}' | '\u{ff20}' | '\u{ff06}'
            | '\u{ff07}' | '\u{ff08}' | '\u{ff09}' | '\u{ff0a}' | '\u{ff0f}' | '\u{ff1a}' | '\u{ff1b}'
            | '\u{ff1c}' | '\u{ff1e}' | '\u{ff3c}' | '\\' | '<' | '>'
    )
}

/// Characters that make up a word for the purpose of telling whether a number stands alone
/// (the `\w` of a JavaScript regular expression).
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The words of `text`, in order.
pub fn words(text: &str) -> impl Iterator<Item = Word<'_>> {
    tokens(text).filter_map(|(offset, token)| {
        let text = if token.has_digit {
            strip_numbers(token.text)
        } else {
            Cow::Borrowed(token.text)
        };
        let token = token.text;
        let trimmed = trim_punctuation(&text);
        if trimmed.is_empty() {
            return None;
        }
        let text = match text {
            Cow::Borrowed(token) => {
                // Trimming returns a part of the token: where it starts is where it points.
                let start = trimmed.as_ptr() as usize - token.as_ptr() as usize;
                return Some(Word {
                    range: offset + start..offset + start + trimmed.len(),
                    text: Cow::Borrowed(&token[start..start + trimmed.len()]),
                });
            }
            Cow::Owned(ref owned) => trim_punctuation(owned).to_owned(),
        };
        Some(Word {
            range: offset..offset + token.len(),
            text: Cow::Owned(text),
        })
    })
}

/// The word of a token, one of the runs of text between whitespace and em dashes that
/// [`each_token_text`] hands out: the token without numbers standing alone and without the
/// punctuation at its ends, as [`words`] yields it; `None` when nothing is left.
pub(crate) fn word_of_token(token: &str) -> Option<Cow<'_, str>> {
    match strip_numbers(token) {
        Cow::Borrowed(text) => {
            let trimmed = trim_punctuation(text);
            (!trimmed.is_empty()).then_some(Cow::Borrowed(trimmed))
        }
        Cow::Owned(text) => {
            let trimmed = trim_punctuation(&text);
            (!trimmed.is_empty()).then(|| Cow::Owned(trimmed.to_owned()))
        }
    }
}

/// A run of text between whitespace and em dashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Token<'a> {
    text: &'a str,
    /// It holds an ASCII digit, which may be a number to drop.
    has_digit: bool,
}

/// The tokens of `text`, none empty, with their byte offsets.
fn tokens(text: &str) -> impl Iterator<Item = (usize, Token<'_>)> {
    let mut at = 0;
    std::iter::from_fn(move || next_token(text, &mut at))
}

/// Hands `f` each of [`tokens`]' texts in order. Generic over `f`, so the scan is compiled into
/// each caller's loop rather than called once per token.
pub(crate) fn each_token_text<'t>(text: &'t str, mut f: impl FnMut(&'t str)) {
    let mut at = 0;
    while let Some((_, token)) = next_token(text, &mut at) {
        f(token.text);
    }
}

/// What an ASCII byte is to the token scan; every other byte starts or continues a
/// multi-byte character, which is decoded.
const SEPARATOR: u8 = 1;
const DIGIT: u8 = 2;
const NON_ASCII: u8 = 4;

const BYTE_CLASSES: [u8; 256] = {
    let mut classes = [0; 256];
    let mut byte = 0;
    while byte < 256 {
        classes[byte] = match byte as u8 {
            b'\t'..=b'\r' | b' ' => SEPARATOR,
            b'0'..=b'9' => DIGIT,
            0x80.. => NON_ASCII,
            _ => 0,
        };
        byte += 1;
    }
    classes
};

/// The token at or after byte `at` of `text`, with its offset; `at` moves past it. ASCII, which
/// most text is, needs no decoding to tell a separator, and digits are noticed on the way.
/// Always inlined: it runs once per token, and a caller that does not ask for digits then does
/// not pay for noticing them.
#[inline(always)]
fn next_token<'t>(text: &'t str, at: &mut usize) -> Option<(usize, Token<'t>)> {
    let bytes = text.as_bytes();
    let mut i = *at;
    let start = loop {
        let class = BYTE_CLASSES[usize::from(*bytes.get(i)?)];
        let len = match class {
            SEPARATOR => 1,
            NON_ASCII => match non_ascii_at(text, i) {
                (true, len) => len,
                (false, _) => break i,
            },
            _ => break i,
        };
        i += len;
    };
    let mut has_digit = false;
    loop {
        // Eight bytes at a time while eight are left, up to the first that is no printable
        // ASCII: a word fits in one step, where a byte at a time takes one step per letter.
        if let Some(chunk) = bytes.get(i..i + 8) {
            let eight = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            let stop = first_unprintable(eight);
            has_digit |= digits(eight) & below(stop) != 0;
            i += stop;
            if stop == 8 {
                continue;
            }
        }
        let Some(&byte) = bytes.get(i) else {
            break;
        };
        match BYTE_CLASSES[usize::from(byte)] {
            SEPARATOR => break,
            NON_ASCII => match non_ascii_at(text, i) {
                (true, _) => break,
                (false, len) => i += len,
            },
            class => {
                has_digit |= class == DIGIT;
                i += 1;
            }
        }
    }
    *at = i;
    Some((
        start,
        Token {
            text: &text[start..i],
            has_digit,
        },
    ))
}

/// Each byte's high bit, in eight bytes read as a little-endian integer.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Eight copies of byte `b`.
const fn eight(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// The index of the first of eight bytes (read little-endian) that is below `!` (a separator
/// or a control character) or not ASCII; 8 when there is none. Subtracting `!` from every
/// byte sets the high bit of an ASCII byte below it; the borrow that follows may set it in
/// later bytes too, but never in an earlier one, so the first is exact.
fn first_unprintable(bytes: u64) -> usize {
    let below = bytes.wrapping_sub(eight(b'!')) & !bytes & HIGH_BITS;
    let stops = below | (bytes & HIGH_BITS);
    if stops == 0 {
        8
    } else {
        stops.trailing_zeros() as usize / 8
    }
}

/// The high bit of each of eight bytes that is an ASCII digit, exact for every byte before the
/// first one [`first_unprintable`] finds (a carry out of a byte only reaches later bytes).
fn digits(bytes: u64) -> u64 {
    let from_zero = bytes.wrapping_add(eight(0x80 - b'0'));
    let past_nine = bytes.wrapping_add(eight(0x80 - b'9' - 1));
    from_zero & !past_nine & HIGH_BITS
}

/// The bits of the first `count` of eight bytes.
fn below(count: usize) -> u64 {
    if count == 8 {
        u64::MAX
    } else {
        (1 << (8 * count)) - 1
    }
}

/// Whether the non-ASCII character at byte `at` of `text` separates words, and its length in
/// bytes.
fn non_ascii_at(text: &str, at: usize) -> (bool, usize) {
    let c = text[at..].chars().next().expect("a character starts here");
    (c.is_whitespace() || c == '\u{2014}', c.len_utf8())
}

/// `word` without the punctuation at either end. A word that starts and ends with an ASCII
/// letter or digit, as most do, has none to lose.
fn trim_punctuation(word: &str) -> &str {
    match word.as_bytes() {
        [first, .., last] if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() => word,
        [only] if only.is_ascii_alphanumeric() => word,
        _ => word.trim_matches(is_punctuation),
    }
}

/// `text` lower-cased, borrowed when it has no upper case to change: most words of a text are
/// already lower-case ASCII, and comparing them against word lists needs no copy.
pub(crate) fn lowercase(text: Cow<'_, str>) -> Cow<'_, str> {
    if !text
        .bytes()
        .any(|b| !b.is_ascii() || b.is_ascii_uppercase())
    {
        return text;
    }
    if !text.is_ascii() {
        return Cow::Owned(text.to_lowercase());
    }
    let mut owned = text.into_owned();
    owned.make_ascii_lowercase();
    Cow::Owned(owned)
}

/// The words of `text` lower-cased, typographic apostrophes made typewriter ones (the form the
/// English word lists are written in), appended to `into`.
pub(crate) fn folded_words<'a>(text: &'a str, into: &mut Vec<Cow<'a, str>>) {
    into.extend(words(text).map(|w| straight_apostrophes(lowercase(w.text))));
}

/// `word` with typographic apostrophes made typewriter ones, the form the English word lists
/// are written in; borrowed when it has none.
pub(crate) fn straight_apostrophes(word: Cow<'_, str>) -> Cow<'_, str> {
    if word.contains('\u{2019}') {
        Cow::Owned(word.replace('\u{2019}', "'"))
    } else {
        word
    }
}

/// `token` without runs of digits that stand alone: "3.5" becomes ".", "v2" stays.
fn strip_numbers(token: &str) -> Cow<'_, str> {
    if !token.bytes().any(|b| b.is_ascii_digit()) {
        return Cow::Borrowed(token);
    }
    let chars: Vec<(usize, char)> = token.char_indices().collect();
    let mut keep = String::with_capacity(token.len());
    let mut i = 0;
    while i < chars.len() {
        let (_, c) = chars[i];
        if c.is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && chars[j].1.is_ascii_digit() {
                j += 1;
            }
            let before = i.checked_sub(1).map(|k| chars[k].1);
            let after = chars.get(j).map(|&(_, c)| c);
            let alone = !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char);
            if !alone {
                chars[i..j].iter().for_each(|&(_, c)| keep.push(c));
            }
            i = j;
        } else {
            keep.push(c);
            i += 1;
        }
    }
    if keep.len() == token.len() {
        Cow::Borrowed(token)
    } else {
        Cow::Owned(keep)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn check(text: &str, expected: &[&str]) {
        let actual: Vec<String> = words(text).map(|w| w.text.into_owned()).collect();
        assert_eq!(actual, expected, "{text:?}");
    }

    #[test]
    fn splits_on_whitespace_and_trims_punctuation() {
        check("Hello, world! (Really.)", &["Hello", "world", "Really"]);
        check(
            "a well-known \u{201c}quote\u{201d}\u{a0}here",
            &["a", "well-known", "quote", "here"],
        );
        check("don't stop\u{2014}ever", &["don't", "stop", "ever"]);
    }

    #[test]
    fn numbers_standing_alone_are_not_words() {
        check(
            "In 2024 we had 3.5 and 1,000 items",
            &["In", "we", "had", "and", "items"],
        );
        check(
            "v2 1990s COVID-19 10% $5",
            &["v2", "1990s", "COVID", "%", "$"],
        );
    }

    #[test]
    fn ranges_point_at_the_trimmed_word() {
        let text = "say \"hi\" now";
        let ranges: Vec<_> = words(text).map(|w| &text[w.range]).collect();
        assert_eq!(ranges, ["say", "hi", "now"]);
    }

    #[test]
    fn lowercase_borrows_only_what_needs_no_change() {
        assert!(matches!(
            lowercase(Cow::Borrowed("tea")),
            Cow::Borrowed("tea")
        ));
        assert_eq!(lowercase(Cow::Borrowed("Tea")), "tea");
        assert_eq!(lowercase(Cow::Borrowed("\u{c9}T\u{c9}")), "\u{e9}t\u{e9}");
    }

    #[test]
    fn punctuation_alone_is_not_a_word() {
        check("\u{2013} & ... -- ?", &[]);
    }

    proptest! {
        #[test]
        fn eight_bytes_are_read_as_one_at_a_time(bytes in any::<[u8; 8]>()) {
            let eight = u64::from_le_bytes(bytes);
            let stop = bytes.iter().position(|&b| b < b'!' || !b.is_ascii()).unwrap_or(8);
            prop_assert_eq!(first_unprintable(eight), stop);
            let digits_before = bytes[..stop].iter().any(u8::is_ascii_digit);
            prop_assert_eq!(digits(eight) & below(stop) != 0, digits_before);
        }

        #[test]
        fn words_are_the_whitespace_and_em_dash_separated_tokens(
            text in "([a-c1 .,'\"()\t\n\u{b}\u{a0}\u{2014}\u{2019}\u{3000}\u{e9}-]|[a-z!~/:0-9\u{1}\u{1f}\u{7f}\u{80}\u{85}]{1,12}){0,16}"
        ) {
            let expected: Vec<(usize, Token<'_>)> = text
                .split(|c: char| c.is_whitespace() || c == '\u{2014}')
                .filter(|token| !token.is_empty())
                .map(|token| {
                    let has_digit = token.bytes().any(|b| b.is_ascii_digit());
                    (token.as_ptr() as usize - text.as_ptr() as usize, Token { text: token, has_digit })
                })
                .collect();
            prop_assert_eq!(tokens(&text).collect::<Vec<_>>(), expected.clone());
            for (_, token) in expected {
                prop_assert_eq!(trim_punctuation(token.text), token.text.trim_matches(is_punctuation));
            }
        }
    }
}
