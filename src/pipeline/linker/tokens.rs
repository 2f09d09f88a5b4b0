//! Words as the linker compares them: UAX #29 word boundaries, case folded, Snowball stemmed.
//!
//! Words come from Unicode word segmentation, never from ASCII letter classes, so "cat" is never
//! found inside "category", nor a Cyrillic word inside a longer one, and "Neukölln" is one word.
//! Han, Hiragana and similar scripts have no spaces; UAX #29 makes each of their characters a
//! word of its own, so a CJK phrase matches as a run of consecutive characters, which is the only
//! boundary knowable without a dictionary. Those characters are not stemmed.

use rust_stemmers::Stemmer;
use unicode_segmentation::UnicodeSegmentation;

use crate::pipeline::language::Language;

/// Turns words into stems for one language.
pub(crate) struct Normaliser {
    stemmer: Option<Stemmer>,
}

impl Normaliser {
    /// Without a language, words are only case folded (Chinese and Japanese, say).
    pub(crate) fn new(language: Option<Language>) -> Normaliser {
        Normaliser {
            stemmer: language.map(|language| Stemmer::create(language.stemmer())),
        }
    }

    /// The stems of the words of `text`, breaks left out: a phrase's key.
    #[cfg(test)]
    pub(crate) fn stems(&self, text: &str) -> Vec<String> {
        pieces(text)
            .into_iter()
            .filter_map(|piece| match piece {
                Piece::Word { word, .. } => Some(self.normalise(word)),
                Piece::Break => None,
            })
            .collect()
    }

    /// The stem of one word as `pieces` finds it.
    pub(crate) fn normalise(&self, word: &str) -> String {
        // Lower-casing plus ß → ss is full case folding for the scripts Snowball stems.
        let folded = word.to_lowercase().replace('ß', "ss");
        match &self.stemmer {
            Some(stemmer) if !is_spaceless(&folded) => stemmer.stem(&folded).into_owned(),
            _ => folded,
        }
    }
}

/// One piece of a text: a word, borrowed from the text so that a caller that has seen it before
/// can skip stemming it again, with its byte range; or a break between words that a phrase may
/// not span (punctuation, symbols; anything but white space).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    Word {
        word: &'a str,
        start: usize,
        end: usize,
    },
    Break,
}

/// The words and breaks of `text`, in order.
pub(crate) fn pieces(text: &str) -> Vec<Piece<'_>> {
    // Room for a word every five bytes and a few breaks, so a paragraph's pieces are rarely
    // moved as they grow.
    let mut pieces = Vec::with_capacity(text.len() / 5 + 4);
    each_piece(text, |piece| pieces.push(piece));
    pieces
}

/// Calls `f` with the words and breaks of `text`, in order, as [`pieces`] lists them.
pub(crate) fn each_piece<'t>(text: &'t str, f: impl FnMut(Piece<'t>)) {
    let mut sink = Sink {
        f,
        after_word: false,
    };
    if text.is_ascii() {
        ascii_pieces(text, 0, &mut sink);
        return;
    }
    let bytes = text.as_bytes();
    let mut start = 0;
    while let Some(found) = bytes[start..].iter().position(|b| !b.is_ascii()) {
        let non_ascii = start + found;
        let stretch = (start + 1..non_ascii)
            .rev()
            .find(|&at| is_cut(bytes, at))
            .unwrap_or(start);
        let end = (non_ascii + 1..bytes.len())
            .find(|&at| is_cut(bytes, at))
            .unwrap_or(bytes.len());
        ascii_pieces(&text[start..stretch], start, &mut sink);
        unicode_pieces(&text[stretch..end], stretch, &mut sink);
        start = end;
    }
    ascii_pieces(&text[start..], start, &mut sink);
}

/// Where pieces go: a break is passed on only after a word, so there is none before the first
/// word and never two in a row, however the text was cut into stretches.
struct Sink<F> {
    f: F,
    after_word: bool,
}

impl<'t, F: FnMut(Piece<'t>)> Sink<F> {
    fn word(&mut self, word: &'t str, start: usize) {
        (self.f)(Piece::Word {
            word,
            start,
            end: start + word.len(),
        });
        self.after_word = true;
    }

    fn break_here(&mut self) {
        if self.after_word {
            (self.f)(Piece::Break);
            self.after_word = false;
        }
    }
}

/// Whether `text` may be cut in two before byte `at` and each part segmented on its own, as
/// [`each_piece`] does around non-ASCII characters so that the rest of a mostly-English text
/// takes the ASCII path: a cut is where a space is followed by another ASCII character. Every
/// rule of UAX #29 puts a boundary there (the space is no letter, digit or joiner, and the next
/// character neither extends the space nor is a space itself), and none looks across it.
fn is_cut(bytes: &[u8], at: usize) -> bool {
    bytes[at - 1] == b' ' && bytes[at].is_ascii() && bytes[at] != b' '
}

/// The pieces of `text`, which starts at byte `offset` of the whole, by UAX #29 word bounds:
/// the words are the segments with a letter or digit; any other segment but white space is a
/// break.
fn unicode_pieces<'t, F: FnMut(Piece<'t>)>(text: &'t str, offset: usize, sink: &mut Sink<F>) {
    for (start, segment) in text.split_word_bound_indices() {
        if segment.chars().any(char::is_alphanumeric) {
            sink.word(segment, offset + start);
        } else if !segment.chars().all(char::is_whitespace) {
            sink.break_here();
        }
    }
}

/// [`unicode_pieces`] for ASCII text. In ASCII, UAX #29 comes down to a few rules with no
/// look further than one character: letters, digits and `_` join whatever of them stands next to
/// them (WB5, WB8 to WB10, WB13a, WB13b); a single `:`, `.` or `'` between two letters joins them
/// (WB6, WB7), and a single `,`, `;`, `.` or `'` between two digits joins them (WB11, WB12);
/// every other character stands alone, or in a run of spaces (WB3d), and holds no letter or digit.
/// So the words are the runs those joins make that hold a letter or digit, found here a byte at a
/// time from a table, several times faster than the segmenter. What lies between two words is a
/// break when it holds anything but white space.
fn ascii_pieces<'t, F: FnMut(Piece<'t>)>(text: &'t str, offset: usize, sink: &mut Sink<F>) {
    let bytes = text.as_bytes();
    let class = |at: usize| class_of(bytes[at]);
    // Whether anything but white space stands between the last word and `at`.
    let mut breaks = false;
    let mut at = 0;
    while at < bytes.len() {
        let first = class(at);
        if first & JOINS == 0 {
            breaks |= first & WHITE_SPACE == 0;
            at += 1;
            continue;
        }
        let start = at;
        let mut classes = 0;
        loop {
            let (run, kinds) = joined_run(&bytes[at..]);
            at += run;
            classes |= kinds;
            // A separator joins when the same kind of character stands on both sides of it. Most
            // runs end at white space, which is no separator: one test tells those.
            let joined = at + 1 < bytes.len() && {
                let separator = class(at);
                separator & (BETWEEN_LETTERS | BETWEEN_DIGITS) != 0
                    && [LETTER, DIGIT].into_iter().any(|side| {
                        class(at - 1) & side != 0
                            && class(at + 1) & side != 0
                            && separator & joining_separator(side) != 0
                    })
            };
            if !joined {
                break;
            }
            at += 1;
        }
        if classes & (LETTER | DIGIT) == 0 {
            // Underscores alone: no word, and no white space either.
            breaks = true;
            continue;
        }
        if breaks {
            sink.break_here();
        }
        sink.word(&text[start..at], offset + start);
        breaks = false;
    }
    if breaks {
        sink.break_here();
    }
}

/// The length of the run of letters, digits and `_` that `bytes` starts with, and the classes
/// met in it. A loop of its own over the slice: written inside [`ascii_pieces`]' loop, which
/// also looks at the bytes around the run, every byte paid for bounds checks several times
/// over.
#[inline]
fn joined_run(bytes: &[u8]) -> (usize, u8) {
    let mut classes = 0;
    for (len, &byte) in bytes.iter().enumerate() {
        let kind = class_of(byte);
        if kind & JOINS == 0 {
            return (len, classes);
        }
        classes |= kind;
    }
    (bytes.len(), classes)
}

/// The classes of an ASCII character, as bits.
const LETTER: u8 = 1;
const DIGIT: u8 = 1 << 1;
/// Letters, digits and `_`, which join each other.
const JOINS: u8 = 1 << 2;
/// `:`, `.` and `'`: join two letters.
const BETWEEN_LETTERS: u8 = 1 << 3;
/// `,`, `;`, `.` and `'`: join two digits.
const BETWEEN_DIGITS: u8 = 1 << 4;
/// Tab, line feed, vertical tab, form feed, carriage return and space.
const WHITE_SPACE: u8 = 1 << 5;

fn joining_separator(side: u8) -> u8 {
    if side == LETTER {
        BETWEEN_LETTERS
    } else {
        BETWEEN_DIGITS
    }
}

fn class_of(byte: u8) -> u8 {
    ASCII_CLASSES[usize::from(byte & 0x7f)]
}

const ASCII_CLASSES: [u8; 128] = ascii_classes();

const fn ascii_classes() -> [u8; 128] {
    let mut table = [0; 128];
    let mut byte = 0;
    while byte < 128 {
        let b = byte as u8;
        table[byte] = match b {
            b'a'..=b'z' | b'A'..=b'Z' => LETTER | JOINS,
            b'0'..=b'9' => DIGIT | JOINS,
            b'_' => JOINS,
            b':' => BETWEEN_LETTERS,
            b'.' | b'\'' => BETWEEN_LETTERS | BETWEEN_DIGITS,
            b',' | b';' => BETWEEN_DIGITS,
            b'\t'..=b'\r' | b' ' => WHITE_SPACE,
            _ => 0,
        };
        byte += 1;
    }
    table
}

/// Scripts written without spaces, where a UAX #29 word is a single character.
fn is_spaceless(word: &str) -> bool {
    word.chars().any(|c| {
        matches!(c as u32,
            0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff
            | 0xac00..=0xd7af | 0x0e00..=0x0e7f | 0x20000..=0x2fa1f)
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Language, Normaliser, Piece, Sink, ascii_pieces, pieces, unicode_pieces};

    #[test]
    fn stems_fold_case_and_keep_words_whole() {
        let en = Normaliser::new(Some(Language::English));
        assert_eq!(en.stems("Configuring"), en.stems("configure"));
        assert_eq!(en.stems("CATEGORY"), vec!["categori"]);
        assert_ne!(en.stems("category"), en.stems("cat"));
        let de = Normaliser::new(Some(Language::German));
        assert_eq!(de.stems("STRASSE"), de.stems("Straße"));
        assert_eq!(de.stems("Neukölln").len(), 1);
    }

    #[test]
    fn punctuation_breaks_and_white_space_does_not() {
        let tokens = pieces("learn rust, async\u{a0}code");
        let breaks = tokens.iter().filter(|t| **t == Piece::Break).count();
        assert_eq!(tokens.len(), 5);
        assert_eq!(breaks, 1);
    }

    /// The pieces the ASCII cut finds in the whole of `text`, or with `unicode` the UAX #29 cut.
    fn cut_whole(text: &str, unicode: bool) -> Vec<Piece<'_>> {
        let mut found = Vec::new();
        let mut sink = Sink {
            f: |piece| found.push(piece),
            after_word: false,
        };
        if unicode {
            unicode_pieces(text, 0, &mut sink);
        } else {
            ascii_pieces(text, 0, &mut sink);
        }
        found
    }

    #[test]
    fn han_characters_are_words_of_their_own() {
        let none = Normaliser::new(None);
        assert_eq!(none.stems("学习编程"), vec!["学", "习", "编", "程"]);
    }

    proptest! {
        #[test]
        fn ascii_text_is_cut_as_unicode_text_is(
            text in "([a-zA-Z0-9_.,;:'\" \t\r\n\x0b\x0c&!?()-]|Rust|2,5|1;2|3'4|a\\.b|c:d|x_1|_|don't){0,40}",
        ) {
            prop_assert_eq!(cut_whole(&text, false), cut_whole(&text, true));
        }

        #[test]
        fn any_ascii_text_is_cut_as_unicode_text_is(text in "[\x00-\x7f]{0,60}") {
            prop_assert_eq!(cut_whole(&text, false), cut_whole(&text, true));
        }

        #[test]
        fn text_cut_in_stretches_is_cut_as_a_whole(
            text in "([a-zA-Z0-9_.,'\" \t\n&!?-]|\u{e9}|\u{301}|\u{200d}|\u{a0}|\u{2002}|\u{3000}|\u{1f600}|\u{1f1fa}|\u{5b66}|\u{43a}\u{43e}\u{442}|\u{5d0}\"|caf\u{e9}|na\u{ef}ve|2,5|don\u{2019}t){0,40}",
        ) {
            prop_assert_eq!(pieces(&text), cut_whole(&text, true));
        }

        #[test]
        fn any_text_is_cut_as_a_whole(text in any::<String>()) {
            prop_assert_eq!(pieces(&text), cut_whole(&text, true));
        }
    }
}
