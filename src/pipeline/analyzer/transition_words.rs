//! English transition words: the words and phrases that tie a sentence to the one before it
//! ("however", "as a result", "if"). The list is ours, written from ordinary English usage and
//! kept to words Yoast also counts; Yoast's list is longer, so on texts heavy with rarer
//! connectives our share can come out lower.

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

/// Transition phrases, matched as whole words in order; sorted by first word, so a word's
/// phrases are found by a binary search.
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

/// One more than the length in bytes of the longest listed word or phrase's first word.
const LONGEST: usize = 16;

/// For each length, the initial letters of the listed words and phrases' first words of that
/// length, as bits (`a` the lowest): most words of a text are ruled out by this one lookup
/// before any list is searched.
const INITIALS: [u32; LONGEST] = initials();

const fn initials() -> [u32; LONGEST] {
    let mut table = [0; LONGEST];
    let mut i = 0;
    while i < WORDS.len() {
        mark_initial(&mut table, WORDS[i]);
        i += 1;
    }
    let mut i = 0;
    while i < PHRASES.len() {
        mark_initial(&mut table, PHRASES[i][0]);
        i += 1;
    }
    table
}

const fn mark_initial(table: &mut [u32; LONGEST], word: &str) {
    let bytes = word.as_bytes();
    assert!(bytes.len() < LONGEST && bytes[0].is_ascii_lowercase());
    table[bytes.len()] |= 1 << (bytes[0] - b'a');
}

/// Whether a listed word or phrase's first word could be `word`.
fn may_be_listed(word: &str) -> bool {
    let bytes = word.as_bytes();
    match bytes.first() {
        Some(&initial @ b'a'..=b'z') if bytes.len() < LONGEST => {
            INITIALS[bytes.len()] & (1 << (initial - b'a')) != 0
        }
        _ => false,
    }
}

/// Where the listed phrases whose first word is `word` are in [`PHRASES`]; they sit side by
/// side.
fn phrases_starting(word: &str) -> (u16, u16) {
    let first = PHRASES.partition_point(|phrase| phrase[0] < word);
    let count = PHRASES[first..]
        .iter()
        .take_while(|phrase| phrase[0] == word)
        .count();
    let at = |index: usize| u16::try_from(index).expect("the phrase list is short");
    (at(first), at(first + count))
}

/// What the transition test asks of one folded word. A page repeats its words, so the analyzer
/// keeps each word's role with the word rather than searching the lists at every occurrence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Role {
    listed: bool,
    /// The start and end in [`PHRASES`] of the phrases the word begins.
    phrases: (u16, u16),
}

impl Role {
    pub(crate) fn of(folded: &str) -> Role {
        if !may_be_listed(folded) {
            return Role::default();
        }
        Role {
            listed: WORDS.binary_search(&folded).is_ok(),
            phrases: phrases_starting(folded),
        }
    }

    /// The listed phrases the word begins.
    fn phrases(self) -> &'static [&'static [&'static str]] {
        &PHRASES[usize::from(self.phrases.0)..usize::from(self.phrases.1)]
    }
}

/// Whether `sentence` contains an English transition word or phrase.
pub fn has_transition(sentence: &str) -> bool {
    let mut folded = Vec::new();
    folded_words(sentence, &mut folded);
    has_transition_in(folded.iter().map(|word| (word.as_ref(), Role::of(word))))
}

/// [`has_transition`] of a sentence given as its [`folded_words`], each with its [`Role`]. The
/// words are walked once and a phrase is compared with the words after its first, so a
/// sentence is read without being copied.
pub(crate) fn has_transition_in<'w>(words: impl Iterator<Item = (&'w str, Role)> + Clone) -> bool {
    let mut rest = words;
    while let Some((_, role)) = rest.next() {
        if role.listed {
            return true;
        }
        let phrase_here = role.phrases().iter().any(|phrase| {
            let mut following = rest.clone();
            phrase[1..]
                .iter()
                .all(|expected| following.next().is_some_and(|(w, _)| w == *expected))
        });
        if phrase_here {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_and_phrases_are_sorted() {
        assert!(WORDS.is_sorted());
        assert!(PHRASES.is_sorted_by_key(|phrase| phrase[0]));
    }

    #[test]
    fn the_initials_rule_out_only_unlisted_words() {
        let listed = WORDS.iter().chain(PHRASES.iter().map(|p| &p[0]));
        assert!(listed.into_iter().all(|w| may_be_listed(w)));
        for word in ["the", "and", "", "\u{e9}t\u{e9}", "incomprehensibilities"] {
            assert!(!may_be_listed(word), "{word}");
        }
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
