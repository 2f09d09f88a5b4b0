//! English transition words: the words and phrases that tie a sentence to the one before it
//! ("however", "as a result", "if"). The list is ours, written from ordinary English usage and
//! kept to words Yoast also counts; Yoast's list is longer, so on texts heavy with rarer
//! connectives our share can come out lower.

use std::borrow::Cow;

use super::words::folded_words;

/// Single transition words, sorted for a binary search.
const WORDS: &[&str] = &[
    "accordingly",
    "additionally",
    "afterward",
    "afterwards",
    "also",
    "although",
    "altogether",
    "because",
    "before",
    "besides",
    "but",
    "certainly",
    "consequently",
    "conversely",
    "correspondingly",
    "during",
    "eventually",
    "finally",
    "firstly",
    "following",
    "furthermore",
    "generally",
    "hence",
    "however",
    "if",
    "indeed",
    "initially",
    "instead",
    "lastly",
    "later",
    "likewise",
    "meanwhile",
    "moreover",
    "namely",
    "nevertheless",
    "nonetheless",
    "otherwise",
    "overall",
    "particularly",
    "previously",
    "secondly",
    "similarly",
    "simultaneously",
    "since",
    "so",
    "specifically",
    "subsequently",
    "than",
    "then",
    "therefore",
    "thirdly",
    "though",
    "thus",
    "undoubtedly",
    "unless",
    "until",
    "when",
    "whenever",
    "whereas",
    "while",
];

/// Transition phrases, matched as whole words in order.
const PHRASES: &[&[&str]] = &[
    &["above", "all"],
    &["after", "all"],
    &["as", "a", "result"],
    &["as", "long", "as"],
    &["as", "soon", "as"],
    &["as", "well", "as"],
    &["at", "the", "same", "time"],
    &["due", "to"],
    &["either", "way"],
    &["even", "so"],
    &["even", "though"],
    &["for", "example"],
    &["for", "instance"],
    &["for", "this", "reason"],
    &["in", "addition"],
    &["in", "conclusion"],
    &["in", "contrast"],
    &["in", "fact"],
    &["in", "other", "words"],
    &["in", "particular"],
    &["in", "short"],
    &["in", "spite", "of"],
    &["in", "summary"],
    &["in", "the", "meantime"],
    &["on", "the", "contrary"],
    &["on", "the", "other", "hand"],
    &["so", "that"],
    &["such", "as"],
    &["to", "begin", "with"],
    &["to", "sum", "up"],
];

/// Whether `sentence` contains an English transition word or phrase.
pub fn has_transition(sentence: &str) -> bool {
    let mut folded = Vec::new();
    folded_words(sentence, &mut folded);
    has_transition_in(&folded)
}

/// [`has_transition`] of a sentence given as its [`folded_words`].
pub(crate) fn has_transition_in(folded: &[Cow<'_, str>]) -> bool {
    folded.iter().enumerate().any(|(at, word)| {
        WORDS.binary_search(&word.as_ref()).is_ok()
            || PHRASES.iter().any(|phrase| {
                phrase[0] == word.as_ref()
                    && folded.len() - at >= phrase.len()
                    && folded[at + 1..]
                        .iter()
                        .zip(&phrase[1..])
                        .all(|(a, b)| a == b)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_are_sorted() {
        assert!(WORDS.is_sorted());
    }

    #[test]
    fn no_listed_word_has_an_apostrophe() {
        // Folding apostrophes, which passive voice needs, then changes no transition match.
        let listed = WORDS.iter().chain(PHRASES.iter().flat_map(|p| p.iter()));
        assert!(listed.clone().count() > WORDS.len());
        assert!(listed.into_iter().all(|w| !w.contains(['\'', '\u{2019}'])));
    }

    #[test]
    fn words_and_phrases() {
        for sentence in [
            "However, it rained.",
            "We left; as a result, we missed it.",
            "It was, in fact, late.",
            "Then we slept",
        ] {
            assert!(has_transition(sentence), "{sentence}");
        }
        for sentence in [
            "The firstborn slept.",
            "In the house.",
            "As a rule we wait.",
            "",
        ] {
            assert!(!has_transition(sentence), "{sentence}");
        }
    }
}
