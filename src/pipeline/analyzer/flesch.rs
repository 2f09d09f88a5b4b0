//! Flesch reading ease with each language's own formula (the ones Yoast uses), rounded to one
//! decimal as Yoast rounds, then clamped to 0-100. Texts of 10 words or fewer get no score: the
//! formula means nothing on them.

use crate::pipeline::language::Language;

/// What a reading-ease score is computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub words: usize,
    pub sentences: usize,
    pub syllables: usize,
}

/// The reading ease of a text with these counts, or `None` when it has 10 words or fewer or no
/// sentence.
pub fn reading_ease(language: Language, counts: Counts) -> Option<f64> {
    if counts.sentences == 0 || counts.words <= 10 {
        return None;
    }
    let words = counts.words as f64;
    let words_per_sentence = words / counts.sentences as f64;
    let syllables_per_word = counts.syllables as f64 / words;
    let syllables_per_100_words = syllables_per_word * 100.0;
    let score = match language {
        Language::English => 206.835 - 1.015 * words_per_sentence - 84.6 * syllables_per_word,
        // Amstad.
        Language::German => 180.0 - words_per_sentence - 58.5 * syllables_per_word,
        // Douma.
        Language::Dutch => 206.84 - 0.77 * syllables_per_100_words - 0.93 * words_per_sentence,
        // Kandel and Moles.
        Language::French => 207.0 - 1.015 * words_per_sentence - 73.6 * syllables_per_word,
        // Fernández Huerta.
        Language::Spanish => 206.84 - 1.02 * words_per_sentence - 0.6 * syllables_per_100_words,
        // Franchina and Vacca.
        Language::Italian => 217.0 - 1.3 * words_per_sentence - 0.6 * syllables_per_100_words,
        // Oborneva.
        Language::Russian => 206.835 - 1.3 * words_per_sentence - 60.1 * syllables_per_word,
        // Yoast's Portuguese constant, 42 points above the English one.
        Language::Portuguese => 248.835 - 1.015 * words_per_sentence - 84.6 * syllables_per_word,
    };
    Some(round_to_tenth(score).clamp(0.0, 100.0))
}

/// Rounds to one decimal with halves going up, as JavaScript's `Math.round(x * 10) / 10` does;
/// whole numbers stay whole.
fn round_to_tenth(score: f64) -> f64 {
    (score * 10.0 + 0.5).floor() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        language: Language,
        words: usize,
        sentences: usize,
        syllables: usize,
        expected: Option<f64>,
    ) {
        let counts = Counts {
            words,
            sentences,
            syllables,
        };
        assert_eq!(
            reading_ease(language, counts),
            expected,
            "{language:?} {counts:?}"
        );
    }

    #[test]
    fn english() {
        // 206.835 - 1.015 * 105/15 - 84.6 * 140/105 = 86.9
        check(Language::English, 105, 15, 140, Some(86.9));
        check(Language::English, 100, 5, 150, Some(59.6));
    }

    #[test]
    fn other_languages() {
        // 180 - 41/5 - 58.5 * 71/41 = 70.5
        check(Language::German, 41, 5, 71, Some(70.5));
        // 206.84 - 0.77 * 150 - 0.93 * 20 = 72.7
        check(Language::Dutch, 100, 5, 150, Some(72.7));
        // 207 - 1.015 * 20 - 73.6 * 1.5 = 76.3
        check(Language::French, 100, 5, 150, Some(76.3));
        // 206.84 - 1.02 * 20 - 0.6 * 150 = 96.44
        check(Language::Spanish, 100, 5, 150, Some(96.4));
        // 217 - 1.3 * 20 - 0.6 * 150 = 101 (clamped)
        check(Language::Italian, 100, 5, 150, Some(100.0));
        // 206.835 - 1.3 * 20 - 60.1 * 1.5 = 90.685
        check(Language::Russian, 100, 5, 150, Some(90.7));
        // 248.835 - 1.015 * 20 - 84.6 * 1.5 = 101.635 (clamped)
        check(Language::Portuguese, 100, 5, 150, Some(100.0));
        check(Language::Portuguese, 100, 4, 200, Some(54.3));
    }

    #[test]
    fn clamped_and_absent() {
        check(Language::English, 69, 2, 245, Some(0.0));
        check(Language::English, 10, 1, 10, None);
        check(Language::English, 11, 0, 11, None);
        check(Language::English, 11, 1, 11, Some(100.0));
    }

    #[test]
    fn rounds_halves_up() {
        assert_eq!(round_to_tenth(12.25), 12.3);
        assert_eq!(round_to_tenth(-12.25), -12.2);
        assert_eq!(round_to_tenth(42.0), 42.0);
    }
}
