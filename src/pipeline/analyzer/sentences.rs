//! Sentences within a block, split the way Yoast's tokenizer splits them so sentence counts
//! agree: a line break always ends a sentence; `?` and `!` end one when a space follows; a full
//! stop (or a run of them, with closing quotes) ends one when a space and a capital letter or an
//! opening quote follow, unless it closes a known abbreviation ("Dr.", "e.g."), an initial follows
//! ("J. R. R. Tolkien" splits only before "Tolkien"), or a number follows ("version 2. 5 items"
//! stays one). A full stop right before an inline tag ends a sentence too. The block's end always
//! ends one. The abbreviations are English ones for every language, as in Yoast's tokenizer.

use std::ops::Range;

use super::text::Block;

/// English abbreviations whose full stop does not end a sentence (Yoast's list). Matched without
/// regard to case, after a word boundary.
const ABBREVIATIONS: &[&str] = &[
    "A.D.", "Adm.", "Adv.", "B.C.", "Br.", "Brig.", "Cmrd.", "Col.", "Cpl.", "Cpt.", "Dr.", "Esq.",
    "Fr.", "Gen.", "Gov.", "Hon.", "Jr.", "Lieut.", "Lt.", "Maj.", "Mr.", "Mrs.", "Ms.", "Msgr.",
    "Mx.", "No.", "Pfc.", "Pr.", "Prof.", "Pvt.", "Rep.", "Reps.", "Rev.", "Rt. Hon.", "Sen.",
    "Sens.", "Sgt.", "Sps.", "Sr.", "St.", "vs.", "i.e.", "e.g.", "viz.", "Mt.",
];

fn is_closing_quote(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '\u{201d}'
            | '\u{2019}'
            | '\u{bb}'
            | '\u{203a}'
            | '\u{201e}'
            | '\u{300f}'
            | '\u{301e}'
            | '\u{301f}'
    )
}

fn is_quote(c: char) -> bool {
    is_closing_quote(c)
        || matches!(
            c,
            '\u{201c}' | '\u{2018}' | '\u{ab}' | '\u{2039}' | '\u{201f}' | '\u{301d}'
        )
}

/// A character a sentence may start with after a full stop.
fn starts_sentence(c: char) -> bool {
    c.is_uppercase()
        || is_quote(c)
        || matches!(c, '\u{bf}' | '\u{a1}' | '<')
        || matches!(c, '\u{590}'..='\u{5fe}' | '\u{600}'..='\u{6ff}' | '\u{fb8a}')
}

/// Up to the last eight bytes of a text, lower-cased and packed into an integer, the last byte
/// lowest. Two suffixes of one length are equal without regard to ASCII case exactly when their
/// keys are.
const fn suffix_key(bytes: &[u8], len: usize) -> u64 {
    let mut key = 0;
    let mut i = 0;
    while i < len {
        key |= (bytes[bytes.len() - 1 - i].to_ascii_lowercase() as u64) << (8 * i);
        i += 1;
    }
    key
}

/// Each abbreviation's length and [`suffix_key`]: every one is at most eight bytes long.
const ABBREVIATION_KEYS: [(usize, u64); ABBREVIATIONS.len()] = {
    let mut keys = [(0, 0); ABBREVIATIONS.len()];
    let mut i = 0;
    while i < ABBREVIATIONS.len() {
        let bytes = ABBREVIATIONS[i].as_bytes();
        assert!(bytes.len() <= 8);
        keys[i] = (bytes.len(), suffix_key(bytes, bytes.len()));
        i += 1;
    }
    keys
};

/// [`ABBREVIATION_KEYS`] in order of the letter before their final full stop, and where the
/// abbreviations ending in each letter from `a` to `z` start (the last entry ends them): a full
/// stop is checked only against the few that end in the letter before it, not all of them.
const KEYS_BY_LETTER: ([(usize, u64); ABBREVIATIONS.len()], [usize; 27]) = {
    let mut keys = ABBREVIATION_KEYS;
    let mut starts = [0; 27];
    let mut sorted = 0;
    let mut letter = 0;
    while letter < 26 {
        starts[letter] = sorted;
        let mut i = sorted;
        while i < keys.len() {
            if last_letter(keys[i].1) == letter {
                let key = keys[i];
                keys[i] = keys[sorted];
                keys[sorted] = key;
                sorted += 1;
            }
            i += 1;
        }
        letter += 1;
    }
    assert!(
        sorted == keys.len(),
        "every abbreviation ends in a letter and a full stop"
    );
    starts[26] = sorted;
    (keys, starts)
};

/// The position in the alphabet of the letter before a key's last byte (lower-cased in keys).
const fn last_letter(key: u64) -> usize {
    ((key >> 8) as u8).wrapping_sub(b'a') as usize
}

/// Whether `text` ends with one of [`ABBREVIATIONS`], without regard to ASCII case, after a
/// character that is no letter or digit (or at its start). Each of the text's last eight bytes
/// is lower-cased once, and an abbreviation is then told by comparing two integers: this runs at
/// every full stop.
fn ends_with_abbreviation(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Every abbreviation ends in a full stop after an ASCII letter.
    let Some(&[before, b'.']) = bytes.len().checked_sub(2).map(|at| &bytes[at..]) else {
        return false;
    };
    if !before.is_ascii_alphabetic() {
        return false;
    }
    let mut suffixes = [0u64; 9];
    for len in 1..=bytes.len().min(8) {
        suffixes[len] = suffixes[len - 1]
            | u64::from(bytes[bytes.len() - len].to_ascii_lowercase()) << (8 * (len - 1));
    }
    let (keys, starts) = &KEYS_BY_LETTER;
    let letter = last_letter(suffixes[2]);
    keys[starts[letter]..starts[letter + 1]]
        .iter()
        .any(|&(len, key)| {
            // An abbreviation's bytes are ASCII, so a suffix equal to one starts at a character.
            len <= bytes.len()
                && suffixes[len] == key
                && !text[..bytes.len() - len]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
        })
}

/// The character starting at byte `at` of `text`, if any.
fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..)?.chars().next()
}

/// The byte offset of the first character at or after `at` that is not `skipped`.
fn skip_while(text: &str, at: usize, skipped: impl Fn(char) -> bool) -> usize {
    text[at..]
        .char_indices()
        .find(|&(_, c)| !skipped(c))
        .map_or(text.len(), |(offset, _)| at + offset)
}

/// The sentences of `block` as ranges of its text, trimmed, none empty.
pub fn sentences(block: &Block) -> Vec<Range<usize>> {
    let mut sentences = Vec::new();
    each_sentence(block, |range| sentences.push(range));
    sentences
}

/// Hands `f` each of [`sentences`] in order, as it is found.
pub(crate) fn each_sentence(block: &Block, mut f: impl FnMut(Range<usize>)) {
    let text = block.text.as_str();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut end_at = |end: usize| {
        if let Some(range) = trimmed(text, start..end) {
            f(range);
        }
        start = end;
    };
    let mut stops = Stops::new(bytes);
    let mut at = 0;
    loop {
        at = stops.next(at);
        if at >= bytes.len() {
            break;
        }
        let Some(c) = char_at(text, at) else {
            break;
        };
        let next = at + c.len_utf8();
        match c {
            '\n' | '\r' => end_at(at),
            '?' | '!' | '\u{61f}' | '\u{6d4}'
                if char_at(text, next).is_some_and(char::is_whitespace) =>
            {
                end_at(next);
            }
            '.' | '\u{2026}' => {
                let dots_end = skip_while(text, next, |c| c == '.' || c == '\u{2026}');
                let after = skip_while(text, dots_end, is_closing_quote);
                if full_stop_ends_sentence(block, dots_end, after) {
                    end_at(after);
                }
                at = after;
                continue;
            }
            _ => {}
        }
        at = next;
    }
    end_at(text.len());
}

/// The first bytes in UTF-8 of the non-ASCII characters that may end a sentence: the Arabic
/// question mark (U+061F) and full stop (U+06D4), and the ellipsis (U+2026).
const NON_ASCII_LEADS: [u8; 3] = [0xd8, 0xdb, 0xe2];

/// Finds the bytes where a sentence may end: line breaks, `?`, `!`, `.`, and
/// [`NON_ASCII_LEADS`] (shared with other characters, which the caller passes over). Each kind is
/// searched for with `memchr` and the result kept until passed, rather than every byte being
/// looked at.
struct Stops<'a> {
    bytes: &'a [u8],
    /// The next stop of each kind, once searched for.
    next: [Option<usize>; 3],
}

impl<'a> Stops<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Stops {
            bytes,
            next: [None; 3],
        }
    }

    /// The first stop at or after byte `at`; the text's length when there is none.
    fn next(&mut self, at: usize) -> usize {
        let len = self.bytes.len();
        if at >= len {
            return len;
        }
        let rest = &self.bytes[at..];
        let [lead1, lead2, lead3] = NON_ASCII_LEADS;
        for (kind, next) in self.next.iter_mut().enumerate() {
            if next.is_none_or(|stop| stop < at) {
                let found = match kind {
                    0 => memchr::memchr3(b'.', b'?', b'!', rest),
                    1 => memchr::memchr2(b'\n', b'\r', rest),
                    _ => memchr::memchr3(lead1, lead2, lead3, rest),
                };
                *next = Some(found.map_or(len, |offset| at + offset));
            }
        }
        self.next.iter().flatten().copied().min().unwrap_or(len)
    }
}

/// Whether the full stops ending at byte `dots_end`, with closing quotes up to byte `after`, end a
/// sentence.
fn full_stop_ends_sentence(block: &Block, dots_end: usize, after: usize) -> bool {
    let text = block.text.as_str();
    let next = char_at(text, after);
    // The abbreviation check comes last because it is the dearest; it vetoes either way.
    if next.is_some()
        && block.tag_edges.binary_search(&after).is_ok()
        && !next.is_some_and(char::is_whitespace)
    {
        return !ends_with_abbreviation(&text[..dots_end]);
    }
    // A closing quote only ends the sentence when full stops precede it; "?" and "!" are handled
    // by the caller. Anything but a space after the run keeps the sentence going ("e.g", "3.5").
    if !next.is_some_and(char::is_whitespace) {
        return false;
    }
    let k = skip_while(text, after, |c| c.is_whitespace() && c != '\n' && c != '\r');
    let Some(start) = char_at(text, k) else {
        return false;
    };
    if start.is_ascii_digit() || !starts_sentence(start) {
        return false;
    }
    // An initial: the next word is a single letter with a full stop ("J. R. R. Tolkien").
    let single_letter_follows =
        start.is_alphabetic() && char_at(text, k + start.len_utf8()) == Some('.');
    !single_letter_follows && !ends_with_abbreviation(&text[..dots_end])
}

fn trimmed(text: &str, range: Range<usize>) -> Option<Range<usize>> {
    let slice = &text[range.clone()];
    let start = range.start + (slice.len() - slice.trim_start().len());
    let end = range.end - (slice.len() - slice.trim_end().len());
    (start < end).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::text::blocks;
    use super::*;

    fn check(html: &str, expected: &[&str]) {
        let blocks = blocks(html).unwrap();
        let actual: Vec<&str> = blocks
            .iter()
            .flat_map(|b| sentences(b).into_iter().map(move |r| &b.text[r]))
            .collect();
        assert_eq!(actual, expected, "{html}");
    }

    #[test]
    fn full_stops_question_and_exclamation_marks() {
        check(
            "<p>One two. Three four? Five! Six</p>",
            &["One two.", "Three four?", "Five!", "Six"],
        );
    }

    #[test]
    fn lower_case_digits_and_no_space_keep_the_sentence() {
        check(
            "<p>It costs 3.5 dollars. next is small. It was 5. 6 more. One.Two. Yes!Really</p>",
            &[
                "It costs 3.5 dollars. next is small.",
                "It was 5. 6 more.",
                "One.Two.",
                "Yes!Really",
            ],
        );
    }

    #[test]
    fn abbreviations_and_initials() {
        // As in Yoast, a full stop before an initial never splits, and the last initial before a
        // capitalised word does ("R." | "Tolkien"); "U.S." is no abbreviation.
        check(
            "<p>Mr. Smith met Dr. Jones, e.g. on Fridays. J. R. R. Tolkien wrote it. The U.S. Army came.</p>",
            &[
                "Mr. Smith met Dr. Jones, e.g. on Fridays. J. R. R.",
                "Tolkien wrote it.",
                "The U.S.",
                "Army came.",
            ],
        );
    }

    #[test]
    fn quotes_and_ellipses() {
        check(
            "<p>She said \"Go.\" Then left. Wait... What now?</p>",
            &["She said \"Go.\"", "Then left.", "Wait...", "What now?"],
        );
    }

    #[test]
    fn blocks_breaks_and_tags() {
        check(
            "<h2>A heading</h2><p>Line one<br>line two\nline three. End of line.<strong>Start</strong> of next.</p><ul><li>Item</li></ul>",
            &[
                "A heading",
                "Line one",
                "line two",
                "line three.",
                "End of line.",
                "Start of next.",
                "Item",
            ],
        );
    }

    #[test]
    fn stops_cover_every_character_that_may_end_a_sentence() {
        for c in ['\u{61f}', '\u{6d4}', '\u{2026}'] {
            let mut utf8 = [0; 4];
            assert!(NON_ASCII_LEADS.contains(&c.encode_utf8(&mut utf8).as_bytes()[0]));
        }
        let ends = sentences(&blocks("<p>Why\u{61f} So\u{6d4} Yes\u{2026} No</p>").unwrap()[0]);
        assert_eq!(ends.len(), 4);
    }

    /// [`ends_with_abbreviation`] as its doc says it, one abbreviation at a time.
    fn ends_with_abbreviation_plainly(text: &str) -> bool {
        ABBREVIATIONS.iter().any(|abbreviation| {
            text.len()
                .checked_sub(abbreviation.len())
                .is_some_and(|start| {
                    text.is_char_boundary(start)
                        && text[start..].eq_ignore_ascii_case(abbreviation)
                        && !text[..start]
                            .chars()
                            .next_back()
                            .is_some_and(char::is_alphanumeric)
                })
        })
    }

    #[test]
    fn abbreviations_are_told_at_the_end_after_no_letter() {
        for text in [
            "Dr.",
            "see DR.",
            "(e.g.",
            "the Rt. Hon.",
            "a.D.",
            "\u{2019}Dr.",
            "x.Mr.",
        ] {
            assert!(ends_with_abbreviation(text), "{text}");
        }
        for text in ["Dr", "Odr.", "Rt.Hn.", "2Mr.", "\u{e9}Dr.", "it.", ".", ""] {
            assert!(!ends_with_abbreviation(text), "{text}");
        }
    }

    proptest! {
        #[test]
        fn abbreviations_are_told_as_one_at_a_time(
            text in "([a-zA-Z \\.\u{e9}\u{2019}0-9]{0,4})(A\\.D\\.|Adm\\.|rt\\. hon\\.|e\\.g\\.|St\\.|Mrs\\.|Lieut\\.|[a-zA-Z.]{0,3}\\.)?",
        ) {
            prop_assert_eq!(ends_with_abbreviation(&text), ends_with_abbreviation_plainly(&text), "{:?}", text);
        }

        #[test]
        fn stops_are_every_byte_that_may_end_a_sentence(
            text in "[a-c .?!\n\r\u{e9}\u{2014}\u{2026}\u{61f}\u{6d4}]{0,30}",
            jumps in proptest::collection::vec(0usize..6, 0..12),
        ) {
            let bytes = text.as_bytes();
            let naive = |at: usize| {
                (at..bytes.len())
                    .find(|&i| b"\n\r?!.".contains(&bytes[i]) || NON_ASCII_LEADS.contains(&bytes[i]))
                    .unwrap_or(bytes.len())
            };
            let mut stops = Stops::new(bytes);
            let mut at = 0;
            for jump in jumps {
                prop_assert_eq!(stops.next(at), naive(at), "at {}", at);
                at = stops.next(at) + jump;
            }
        }
    }
}
