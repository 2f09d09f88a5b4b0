//! Keyphrase matching as Yoast's keyphrase assessments define it: a keyphrase is its content words
//! (function words dropped where the language has a list), compared by Snowball stem, so
//! "configuring" matches "configure"; a text holds the keyphrase when it holds all of them, in any
//! order. A keyphrase in double quotes is matched exactly instead: its words, in order, next to
//! each other. Words come from UAX #29 segmentation, so a keyphrase word is never found inside a
//! longer word ("cat" is not in "category").
//!
//! Matching by stem is our choice: yoastseo without its separately licensed morphology data
//! matches only the forms written in the keyphrase, so it does not find "tomato" in "tomatoes";
//! with that data (Yoast Premium) it matches word forms as we do.

use std::cell::RefCell;
use std::hash::BuildHasher;
use std::ops::Deref;
use std::rc::Rc;

use crate::pipeline::analyzer::words::{lowercase, straight_apostrophes};
use crate::pipeline::language::Language;
use crate::pipeline::linker::tokens::{Normaliser, Piece, each_piece};
use crate::pipeline::word_memo::WordMemo;

use super::function_words::is_english_function_word;

/// A word of a text, as keyphrases compare it. Shared with the memory of words already seen,
/// so a page's words cost a count increment each rather than two strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Word(Rc<Forms>);

/// The forms of a word that keyphrase matching compares.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Forms {
    /// Lower-cased, with typographic apostrophes made typewriter ones: what exact matching and the
    /// function-word list compare.
    pub folded: String,
    pub stem: Stem,
}

/// A Snowball stem with a hash of it, so that telling two stems apart, as matching does for
/// every word of every sentence, mostly compares two integers. Equal stems have equal hashes,
/// so comparing the hash first decides exactly as comparing the text alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stem {
    hash: u64,
    text: String,
}

impl Stem {
    fn new(text: String) -> Stem {
        Stem {
            hash: rustc_hash::FxBuildHasher.hash_one(&text),
            text,
        }
    }
}

impl Deref for Stem {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl Deref for Word {
    type Target = Forms;

    fn deref(&self) -> &Forms {
        &self.0
    }
}

/// A word of a text, held or borrowed: a sentence's words are borrowed from its tokens' readings,
/// which costs a pointer each rather than a count increment in every word's shared forms.
pub(crate) trait AsWord {
    fn forms(&self) -> &Forms;
}

impl AsWord for Word {
    fn forms(&self) -> &Forms {
        &self.0
    }
}

impl AsWord for &Word {
    fn forms(&self) -> &Forms {
        &self.0
    }
}

thread_local! {
    /// Each word as written, folded and stemmed: every page's sentences go through Snowball,
    /// and pages share most of their words.
    static WORDS: RefCell<WordMemo<Word>> = const { RefCell::new(WordMemo::new()) };
}

/// Turns texts into words for one language.
pub(crate) struct Matcher {
    language: Language,
    normaliser: Normaliser,
    function_words: bool,
}

impl Matcher {
    pub(crate) fn new(language: Language) -> Matcher {
        Matcher {
            language,
            normaliser: Normaliser::new(Some(language)),
            function_words: language.support().function_words,
        }
    }

    pub(crate) fn language(&self) -> Language {
        self.language
    }

    pub(crate) fn words(&self, text: &str) -> Vec<Word> {
        // Room for a word every five bytes, about what English averages with its spaces:
        // growing a vector from empty reallocates it four times for a sentence.
        let mut words = Vec::with_capacity(text.len() / 5 + 1);
        WordMemo::borrowing(&WORDS, self.language, |mut memo| {
            for_each_word(text, |word| {
                words.push(memo.get_or_compute(word, || self.forms(word)).clone());
            });
        });
        words
    }

    fn forms(&self, word: &str) -> Word {
        Word(Rc::new(Forms {
            folded: straight_apostrophes(lowercase(word.into())).into_owned(),
            stem: Stem::new(self.normaliser.normalise(word)),
        }))
    }

    fn is_function_word(&self, word: &Word) -> bool {
        self.function_words && is_english_function_word(&word.folded)
    }
}

/// Calls `f` with each UAX #29 word of `text`: the linker's word pieces.
fn for_each_word<'t>(text: &'t str, mut f: impl FnMut(&'t str)) {
    each_piece(text, |piece| {
        if let Piece::Word { word, .. } = piece {
            f(word);
        }
    });
}

/// A keyphrase or synonym, ready to be looked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Phrase {
    /// All words, folded, for exact matching and for the title's position rule.
    words: Vec<String>,
    /// Stems of the content words, each once.
    stems: Vec<Stem>,
    /// How many content words the phrase has (repeats included), what keyphrase length counts.
    content_words: usize,
    only_function_words: bool,
    exact: bool,
}

impl Phrase {
    /// `None` when `text` has no words.
    pub(crate) fn parse(text: &str, matcher: &Matcher) -> Option<Phrase> {
        let trimmed = text.trim();
        let unquoted = trimmed
            .strip_prefix(['"', '\u{201c}'])
            .and_then(|t| t.strip_suffix(['"', '\u{201d}']));
        let exact = unquoted.is_some();
        let words = matcher.words(unquoted.unwrap_or(trimmed));
        if words.is_empty() {
            return None;
        }
        let content: Vec<&Word> = words
            .iter()
            .filter(|w| !matcher.is_function_word(w))
            .collect();
        let only_function_words = content.is_empty();
        // A phrase of function words alone is looked for by all its words, as Yoast does.
        let content: Vec<&Word> = if exact || only_function_words {
            words.iter().collect()
        } else {
            content
        };
        let mut stems: Vec<Stem> = Vec::new();
        for word in &content {
            if !stems.contains(&word.stem) {
                stems.push(word.stem.clone());
            }
        }
        Some(Phrase {
            content_words: content.len(),
            words: words.iter().map(|w| w.folded.clone()).collect(),
            stems,
            only_function_words,
            exact,
        })
    }

    pub(crate) fn content_words(&self) -> usize {
        self.content_words
    }

    pub(crate) fn only_function_words(&self) -> bool {
        self.only_function_words
    }

    /// How often the phrase occurs in `text`. Each content word may sit anywhere, and a text with
    /// every content word twice holds the phrase twice.
    pub(crate) fn count_in(&self, text: &[impl AsWord]) -> usize {
        if self.exact {
            return self.exact_positions(text).count();
        }
        self.stems
            .iter()
            .map(|stem| text.iter().filter(|w| &w.forms().stem == stem).count())
            .min()
            .unwrap_or(0)
    }

    pub(crate) fn found_in(&self, text: &[impl AsWord]) -> bool {
        self.count_in(text) > 0
    }

    /// `text` without the words of the phrase's first `count` occurrences, so that what one
    /// phrase was counted on is not counted again for another.
    pub(crate) fn without_occurrences(&self, text: &[Word], count: usize) -> Vec<Word> {
        let mut dropped = vec![false; text.len()];
        if self.exact {
            let length = self.words.len();
            let mut taken = 0;
            for at in self.exact_positions(text) {
                if taken == count {
                    break;
                }
                if !dropped[at..at + length].contains(&true) {
                    dropped[at..at + length].fill(true);
                    taken += 1;
                }
            }
        } else {
            let mut left = vec![count; self.stems.len()];
            for (index, word) in text.iter().enumerate() {
                if let Some(stem) = self.stems.iter().position(|s| s == &word.stem)
                    && left[stem] > 0
                {
                    left[stem] -= 1;
                    dropped[index] = true;
                }
            }
        }
        text.iter()
            .zip(dropped)
            .filter(|(_, dropped)| !dropped)
            .map(|(word, _)| word.clone())
            .collect()
    }

    /// The share of the content words that `text` holds, from 0 to 1; an exact phrase is all or
    /// nothing.
    pub(crate) fn share_in(&self, text: &[Word]) -> f64 {
        if self.exact {
            return if self.found_in(text) { 1.0 } else { 0.0 };
        }
        let found = self
            .stems
            .iter()
            .filter(|stem| text.iter().any(|w| &w.stem == *stem))
            .count();
        found as f64 / self.stems.len() as f64
    }

    /// Whether `text` is this phrase and nothing more: the same content words, no others.
    pub(crate) fn is_whole_of(&self, text: &[Word], matcher: &Matcher) -> bool {
        if self.exact {
            return text.iter().map(|w| &w.folded).eq(self.words.iter());
        }
        self.found_in(text)
            && text
                .iter()
                .filter(|w| !matcher.is_function_word(w))
                .all(|w| self.stems.contains(&w.stem))
    }

    /// Word indices where the phrase's words stand in order, next to each other, case folded.
    pub(crate) fn exact_positions<'t>(
        &'t self,
        text: &'t [impl AsWord],
    ) -> impl Iterator<Item = usize> {
        let length = self.words.len();
        (0..(text.len() + 1).saturating_sub(length)).filter(move |&at| {
            text[at..at + length]
                .iter()
                .zip(&self.words)
                .all(|(w, p)| &w.forms().folded == p)
        })
    }

    /// Whether every word of `text` before `index` is a function word.
    pub(crate) fn only_function_words_before(
        text: &[Word],
        index: usize,
        matcher: &Matcher,
    ) -> bool {
        text[..index.min(text.len())]
            .iter()
            .all(|w| matcher.is_function_word(w))
    }
}

/// The keyphrase and its synonyms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Topic {
    pub keyphrase: Phrase,
    pub synonyms: Vec<Phrase>,
}

impl Topic {
    /// `None` without a keyphrase; synonyms without words are dropped.
    pub(crate) fn parse(keyphrase: &str, synonyms: &[String], matcher: &Matcher) -> Option<Topic> {
        Some(Topic {
            keyphrase: Phrase::parse(keyphrase, matcher)?,
            synonyms: synonyms
                .iter()
                .filter_map(|s| Phrase::parse(s, matcher))
                .collect(),
        })
    }

    /// The keyphrase, then its synonyms.
    pub(crate) fn phrases(&self) -> impl Iterator<Item = &Phrase> {
        std::iter::once(&self.keyphrase).chain(&self.synonyms)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::pipeline::linker::tokens::pieces;

    fn english() -> Matcher {
        Matcher::new(Language::English)
    }

    fn count(keyphrase: &str, text: &str) -> usize {
        let matcher = english();
        Phrase::parse(keyphrase, &matcher)
            .unwrap()
            .count_in(&matcher.words(text))
    }

    #[test]
    fn content_words_by_stem_in_any_order() {
        assert_eq!(count("configure a router", "Configuring your router."), 1);
        assert_eq!(count("how to brew tea", "Brewing green teas"), 1);
        assert_eq!(count("brew tea", "Brew tea, then brew more tea."), 2);
        assert_eq!(count("brew tea", "Brew coffee."), 0);
    }

    #[test]
    fn never_inside_a_word() {
        assert_eq!(count("cat", "Pick a category."), 0);
        assert_eq!(count("cat", "Concatenate the catalogue."), 0);
        assert_eq!(count("cat", "The cat's bowl."), 1);
        assert_eq!(count("cat", "Two cats."), 1);
    }

    #[test]
    fn quotes_ask_for_the_exact_phrase() {
        assert_eq!(count("\"brew tea\"", "Tea to brew."), 0);
        assert_eq!(count("\"brew tea\"", "We BREW TEA daily."), 1);
        assert_eq!(count("\u{201c}brew tea\u{201d}", "brewing tea"), 0);
    }

    #[test]
    fn function_words_count_only_when_there_is_nothing_else() {
        let matcher = english();
        let phrase = Phrase::parse("how to do it", &matcher).unwrap();
        assert!(phrase.only_function_words());
        assert_eq!(phrase.content_words(), 4);
        let phrase = Phrase::parse("the best tea in town", &matcher).unwrap();
        assert_eq!(phrase.content_words(), 3);
        assert!(Phrase::parse(" ,; ", &matcher).is_none());
    }

    #[test]
    fn other_languages_keep_every_word() {
        let matcher = Matcher::new(Language::German);
        let phrase = Phrase::parse("der beste Tee", &matcher).unwrap();
        assert_eq!(phrase.content_words(), 3);
    }

    #[test]
    fn occurrences_are_taken_out_once_each() {
        let matcher = english();
        let left = |keyphrase: &str, text: &str, count: usize| -> Vec<String> {
            Phrase::parse(keyphrase, &matcher)
                .unwrap()
                .without_occurrences(&matcher.words(text), count)
                .into_iter()
                .map(|w| w.folded.clone())
                .collect()
        };
        assert_eq!(
            left("green tea", "tea, green tea and green", 1),
            ["tea", "and", "green"]
        );
        assert_eq!(
            left("\"green tea\"", "tea green tea green tea", 1),
            ["tea", "green", "tea"]
        );
        assert_eq!(left("green tea", "green tea", 0), ["green", "tea"]);
    }

    #[test]
    fn whole_anchor_is_the_keyphrase_and_nothing_more() {
        let matcher = english();
        let phrase = Phrase::parse("green tea", &matcher).unwrap();
        assert!(phrase.is_whole_of(&matcher.words("the green teas"), &matcher));
        assert!(!phrase.is_whole_of(&matcher.words("green tea recipes"), &matcher));
        assert!(!phrase.is_whole_of(&matcher.words("green"), &matcher));
    }

    proptest! {
        #[test]
        fn ascii_words_are_the_linkers_words(text in "[aZ19 .,;:'\"_\n\r\t()!?&%-]{0,60}") {
            let expected: Vec<&str> = pieces(&text)
                .into_iter()
                .filter_map(|piece| match piece {
                    Piece::Word { word, .. } => Some(word),
                    Piece::Break => None,
                })
                .collect();
            let mut actual = Vec::new();
            for_each_word(&text, |word| actual.push(word));
            prop_assert_eq!(actual, expected);
        }
    }
}
