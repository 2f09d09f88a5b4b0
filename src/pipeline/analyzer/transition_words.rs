//! English transition words: the words and phrases that tie a sentence to the one before it
//! ("however", "as a result", "if"). The list is ours, written from ordinary English usage and
//! kept to words Yoast also counts; Yoast's list is longer, so on texts heavy with rarer
//! connectives our share can come out lower.

use super::words::words;

/// Single transition words.
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
    let lowered: Vec<String> = words(sentence).map(|w| w.text.to_lowercase()).collect();
    lowered.iter().any(|word| WORDS.contains(&word.as_str()))
        || PHRASES.iter().any(|phrase| {
            lowered
                .windows(phrase.len())
                .any(|window| window.iter().zip(phrase.iter()).all(|(a, b)| a == b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
