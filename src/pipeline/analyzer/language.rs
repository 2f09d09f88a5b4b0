//! The languages the analyzer knows and how far it supports each. Support is stated per measure:
//! what cannot be computed rightly for a language is left out rather than guessed.

use serde::Serialize;

/// A language with a Flesch reading-ease formula.
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

    /// Whether syllables, and so reading ease, can be counted for this language. Only English
    /// has a syllable counter; the other formulas wait for theirs.
    pub fn counts_syllables(self) -> bool {
        self == Language::English
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
}
