//! A text's whitespace-separated tokens, each read once per thread and language for everything
//! the analyzer asks of it: its word as readability counts it, that word's syllables, folded
//! forms and roles as a transition word and in a passive construction, and its UAX #29 words as
//! keyphrases compare them. A sentence is then a list of shared tokens, and its words are read
//! once for all assessments rather than once for each.
//!
//! Splitting at whitespace and em dashes keeps every segmentation whole: readability words are
//! the tokens' words by definition (see [`super::words`]), and UAX #29 puts a boundary on both
//! sides of every separator, so a text's UAX #29 words are its tokens' words in order, except
//! where a token starts with a character that attaches to the separator before it (a combining
//! mark, a format character or a joiner; rule WB4), which each reading records.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::ops::Deref;
use std::rc::Rc;

use unicode_segmentation::UnicodeSegmentation;

use super::passive_voice;
use super::seo::keyphrase::{Matcher, Word};
use super::syllables;
use super::transition_words;
use super::words::{each_token_text, lowercase, straight_apostrophes, word_of_token};
use crate::pipeline::language::Language;
use crate::pipeline::word_memo::{Borrowed, WordMemo};

/// One token of a text and what the analyzer reads in it. Cheap to clone: the reading is shared
/// with every other occurrence of the token on this thread.
#[derive(Clone, Debug)]
pub(crate) struct Lexeme(Rc<Reading>);

/// What one token holds, read from the token alone.
#[derive(Debug)]
pub(crate) struct Reading {
    token: Box<str>,
    language: Language,
    /// The token's word, lower-cased, and that lower-cased with typographic apostrophes made
    /// typewriter ones (the form the English word lists are written in); `None` when the token
    /// is no word (a number on its own, punctuation).
    word: Option<Folded>,
    /// The syllables of the token's word; 0 without one.
    pub(crate) syllables: usize,
    /// What the English transition and passive tests read in the token's word.
    transition: transition_words::Role,
    passive: passive_voice::Role,
    joins_separator: bool,
    /// The token's UAX #29 words as keyphrases compare them, read when a keyphrase asks.
    keyphrase_words: OnceCell<Box<[Word]>>,
}

#[derive(Debug)]
struct Folded {
    lower: Box<str>,
    /// `None` when it is `lower` itself.
    apostrophes: Option<Box<str>>,
}

impl Deref for Lexeme {
    type Target = Reading;

    fn deref(&self) -> &Reading {
        &self.0
    }
}

impl Reading {
    /// Whether the token has a word that readability counts.
    pub(crate) fn is_word(&self) -> bool {
        self.word.is_some()
    }

    /// The token's word lower-cased, as sentence beginnings compare them.
    pub(crate) fn lower(&self) -> Option<&str> {
        self.word.as_ref().map(|w| &*w.lower)
    }

    /// The token's word as the English word lists spell it.
    pub(crate) fn folded(&self) -> Option<&str> {
        self.word
            .as_ref()
            .map(|w| w.apostrophes.as_deref().unwrap_or(&w.lower))
    }

    /// The role of the token's word among English transition words.
    pub(crate) fn transition_role(&self) -> Option<transition_words::Role> {
        self.word.as_ref().map(|_| self.transition)
    }

    /// The role of the token's word in an English passive construction.
    pub(crate) fn passive_role(&self) -> Option<passive_voice::Role> {
        self.word.as_ref().map(|_| self.passive)
    }

    /// The token's UAX #29 words as `matcher` reads them; `None` when `matcher` reads another
    /// language than the token was read in, whose stems would differ.
    pub(crate) fn keyphrase_words(&self, matcher: &Matcher) -> Option<&[Word]> {
        (matcher.language() == self.language).then(|| {
            &**self
                .keyphrase_words
                .get_or_init(|| matcher.words(&self.token).into_boxed_slice())
        })
    }
}

/// Appends the words of a text for keyphrase matching to `words`, given the text's tokens: the
/// tokens' words, borrowed. `false`, with `words` as it was, when a token's first character
/// joins the separator before it or `matcher` reads another language than the tokens were read
/// in: the text must then be segmented whole.
pub(crate) fn push_keyphrase_words<'l>(
    lexemes: &'l [Lexeme],
    matcher: &Matcher,
    words: &mut Vec<&'l Word>,
) -> bool {
    let before = words.len();
    for lexeme in lexemes {
        match lexeme.keyphrase_words(matcher) {
            Some(own) if !lexeme.joins_separator => words.extend(own),
            _ => {
                words.truncate(before);
                return false;
            }
        }
    }
    true
}

/// A token's reading as the memo keeps it: its readability counts sit beside the pointer to the
/// shared reading, in the memo's own table, so counting words reads the table alone. Reading
/// them through the pointer cost a cache miss on most tokens, the readings being spread over
/// the heap.
#[derive(Clone)]
struct Remembered {
    is_word: bool,
    syllables: u32,
    lexeme: Lexeme,
}

thread_local! {
    static LEXEMES: RefCell<WordMemo<Remembered>> = const { RefCell::new(WordMemo::new()) };
}

/// Runs `f` with a [`Reader`] of `language`'s tokens.
pub(crate) fn reading<R>(language: Language, f: impl FnOnce(&mut Reader<'_>) -> R) -> R {
    WordMemo::borrowing(&LEXEMES, language, |memo| f(&mut Reader { language, memo }))
}

/// Reads tokens of one language, with this thread's memory of tokens already read borrowed for
/// as long as it lives.
pub(crate) struct Reader<'m> {
    language: Language,
    memo: Borrowed<'m, Remembered>,
}

impl Reader<'_> {
    /// The reading of `token`, one of those [`super::words::each_token_text`] hands out, to
    /// keep.
    pub(crate) fn lexeme(&mut self, token: &str) -> Lexeme {
        self.remembered(token).lexeme.clone()
    }

    /// What the memo holds for `token`, lent for a look: counting words and syllables keeps
    /// nothing, and a shared reading's count need not move for it.
    fn remembered(&mut self, token: &str) -> &Remembered {
        let language = self.language;
        self.memo.get_or_compute(token, || {
            let lexeme = read(token, language);
            Remembered {
                is_word: lexeme.is_word(),
                syllables: u32::try_from(lexeme.syllables).unwrap_or(u32::MAX),
                lexeme,
            }
        })
    }

    /// The words of `text` as readability counts them, and their syllables.
    pub(crate) fn count_words(&mut self, text: &str) -> (usize, usize) {
        let (mut words, mut syllables) = (0, 0);
        each_token_text(text, |token| {
            let remembered = self.remembered(token);
            words += usize::from(remembered.is_word);
            syllables += remembered.syllables as usize;
        });
        (words, syllables)
    }
}

fn read(token: &str, language: Language) -> Lexeme {
    let word = word_of_token(token);
    let syllables = word
        .as_deref()
        .map_or(0, |word| syllables::count(language, word));
    let word = word.map(|word| {
        let lower = lowercase(word);
        let apostrophes = match straight_apostrophes(Cow::Borrowed(&lower)) {
            Cow::Owned(straight) => Some(straight.into_boxed_str()),
            Cow::Borrowed(_) => None,
        };
        Folded {
            lower: lower.into_owned().into_boxed_str(),
            apostrophes,
        }
    });
    let folded = word.as_ref().map_or("", |word| {
        word.apostrophes.as_deref().unwrap_or(&word.lower)
    });
    let (transition, passive) = (
        transition_words::Role::of(folded),
        passive_voice::Role::of(folded),
    );
    Lexeme(Rc::new(Reading {
        token: token.into(),
        language,
        word,
        syllables,
        transition,
        passive,
        joins_separator: joins_separator(token),
        keyphrase_words: OnceCell::new(),
    }))
}

/// Whether UAX #29 keeps the first character of `token` with a space before it: only
/// extending, format and joining characters do (WB4), and no ASCII character is one of them.
fn joins_separator(token: &str) -> bool {
    let Some(first) = token.chars().next().filter(|c| !c.is_ascii()) else {
        return false;
    };
    let mut pair = [0u8; 5];
    pair[0] = b' ';
    let len = 1 + first.encode_utf8(&mut pair[1..]).len();
    let pair = std::str::from_utf8(&pair[..len]).expect("a space and one character");
    pair.split_word_bounds().count() == 1
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::words::{each_token_text, words};
    use super::*;

    fn lexeme(token: &str) -> Lexeme {
        reading(Language::English, |reader| reader.lexeme(token))
    }

    #[test]
    fn a_token_is_read_for_its_word_and_forms() {
        let read = lexeme("\u{201c}Don\u{2019}t");
        assert_eq!(read.lower(), Some("don\u{2019}t"));
        assert_eq!(read.folded(), Some("don't"));
        assert_eq!(read.syllables, 1);
        let number = lexeme("1,000.");
        assert!(!number.is_word());
        assert_eq!((number.lower(), number.syllables), (None, 0));
        assert_eq!(number.passive_role(), None);
        assert_eq!(number.transition_role(), None);
        assert_eq!(
            lexeme("However,").transition_role(),
            Some(transition_words::Role::of("however"))
        );
        assert_ne!(
            transition_words::Role::of("however"),
            transition_words::Role::default()
        );
        assert_eq!(
            lexeme("Weren\u{2019}t").passive_role(),
            Some(passive_voice::Role::of("weren't"))
        );
        assert_ne!(
            passive_voice::Role::of("weren't"),
            passive_voice::Role::of("weren\u{2019}t")
        );
    }

    #[test]
    fn only_extending_and_format_characters_join_the_separator() {
        assert!(joins_separator("\u{301}tea"));
        assert!(joins_separator("\u{200d}tea"));
        assert!(joins_separator("\u{ad}tea"));
        assert!(!joins_separator("tea"));
        assert!(!joins_separator("\u{e9}t\u{e9}"));
        assert!(!joins_separator("\u{4e2d}"));
    }

    #[test]
    fn keyphrase_words_are_read_only_in_the_token_language() {
        let token = "teas,";
        let read = lexeme(token);
        let english = Matcher::new(Language::English);
        let stems: Vec<&str> = read
            .keyphrase_words(&english)
            .unwrap()
            .iter()
            .map(|w| &*w.stem)
            .collect();
        assert_eq!(stems, ["tea"]);
        assert!(
            read.keyphrase_words(&Matcher::new(Language::German))
                .is_none()
        );
    }

    proptest! {
        #[test]
        fn tokens_hold_the_words_of_the_text(
            text in "[a-c1 .,'\u{2019}\u{a0}\u{2014}\u{301}\u{ad}\u{e9}\u{4e2d}\u{430}-]{0,40}"
        ) {
            let (mut counted, mut syllables) = (Vec::new(), 0);
            let mut keyphrase = Vec::new();
            let matcher = Matcher::new(Language::English);
            let mut joined = false;
            each_token_text(&text, |token| {
                let read = lexeme(token);
                counted.extend(read.lower().map(str::to_owned));
                syllables += read.syllables;
                joined |= read.joins_separator;
                keyphrase.extend(read.keyphrase_words(&matcher).unwrap().iter().map(|w| w.folded.clone()));
            });
            let expected: Vec<String> = words(&text).map(|w| lowercase(w.text).into_owned()).collect();
            prop_assert_eq!(counted, expected);
            let expected_syllables: usize = words(&text).map(|w| syllables::count(Language::English, &w.text)).sum();
            prop_assert_eq!(syllables, expected_syllables);
            if !joined {
                let whole: Vec<String> = matcher.words(&text).iter().map(|w| w.folded.clone()).collect();
                prop_assert_eq!(keyphrase, whole);
            }
        }
    }
}
