//! The languages the pipeline knows: how a locale names them, which Snowball stemmer the linker
//! normalises their words with, and how far the analyzer supports each. Support is stated per
//! measure: what cannot be computed rightly for a language is left out rather than guessed.

use serde::Serialize;

/// A language with a Flesch reading-ease formula and a Snowball stemmer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    English,
    German,
    Dutch,
    French,
    Spanish,
    Italian,
    Russian,
    Portuguese,
}

impl Language {
    /// The language of a locale such as `en_US`, `de-DE` or `pt`; `None` for a language without a
    /// reading-ease formula.
    pub fn from_locale(locale: &str) -> Option<Language> {
        let code = locale.split(['_', '-']).next()?.to_ascii_lowercase();
        Some(match code.as_str() {
            "en" => Language::English,
            "de" => Language::German,
            "nl" => Language::Dutch,
            "fr" => Language::French,
            "es" => Language::Spanish,
            "it" => Language::Italian,
            "ru" => Language::Russian,
            "pt" => Language::Portuguese,
            _ => return None,
        })
    }

    /// The Snowball stemmer for the language's words.
    pub fn stemmer(self) -> rust_stemmers::Algorithm {
        use rust_stemmers::Algorithm;
        match self {
            Language::English => Algorithm::English,
            Language::German => Algorithm::German,
            Language::Dutch => Algorithm::Dutch,
            Language::French => Algorithm::French,
            Language::Spanish => Algorithm::Spanish,
            Language::Italian => Algorithm::Italian,
            Language::Russian => Algorithm::Russian,
            Language::Portuguese => Algorithm::Portuguese,
        }
    }

    /// What the analyzer can measure rightly in this language.
    pub fn support(self) -> Support {
        let english = self == Language::English;
        Support {
            sentence_beginnings: english,
            transition_words: english,
            passive_voice: english,
            function_words: english,
            action_verbs: english,
        }
    }
}

/// The measures that need per-language rules or word lists, and whether a language has them.
/// Words, sentences, syllables and reading ease, sentence length, paragraph length, subheading
/// distribution and text presence work in every language here. A language with the three
/// readability measures is fully supported, which makes Yoast's readability aggregate milder on
/// bad results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Support {
    /// Sentence beginnings, which needs the words that do not tell beginnings apart.
    pub sentence_beginnings: bool,
    pub transition_words: bool,
    pub passive_voice: bool,
    /// The SEO assessments' list of words that carry no topic ("the", "how", "very"): without it,
    /// every word of a keyphrase is a content word, as in Yoast for such languages, and the
    /// function-words-in-keyphrase assessment is left out.
    pub function_words: bool,
    /// The verbs that make a link or button a call to action in the engagement score.
    pub action_verbs: bool,
}

impl Support {
    pub fn is_full(self) -> bool {
        self.sentence_beginnings && self.transition_words && self.passive_voice
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales() {
        assert_eq!(Language::from_locale("en_US"), Some(Language::English));
        assert_eq!(Language::from_locale("de-DE"), Some(Language::German));
        assert_eq!(Language::from_locale("PT"), Some(Language::Portuguese));
        assert_eq!(Language::from_locale("ja"), None);
        assert_eq!(Language::from_locale(""), None);
    }

    #[test]
    fn english_is_fully_supported_and_the_rest_partly() {
        assert!(Language::English.support().is_full());
        let german = Language::German.support();
        assert!(!german.is_full());
        assert!(!german.passive_voice);
    }
}
