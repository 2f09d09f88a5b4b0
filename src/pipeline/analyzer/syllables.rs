//! English syllable counting by rule, the way Yoast does it, so Flesch scores agree with Yoast's:
//! whole-word exceptions first, then known fragments cut out and counted, then vowel groups
//! (`a e i o u y`) corrected by patterns that add or remove a syllable per match. No dictionary:
//! "fire" and "business" are right, some rarer words are off by one, as they are in Yoast.

use std::sync::LazyLock;

use regex::Regex;

/// Words whose count no rule gets right.
const WHOLE_WORDS: &[(&str, usize)] = &[
    ("business", 2),
    ("coheiress", 3),
    ("colonel", 2),
    ("heiress", 2),
    ("i.e", 2),
    ("shoreline", 2),
    ("simile", 3),
    ("unheired", 2),
    ("wednesday", 2),
];

/// Fragments counted on their own and cut out of the word before the vowel rules run, so that
/// "lawyers" is "lawyer" (2) plus "s".
const FRAGMENTS: &[(&str, usize)] = &[("coyote", 3), ("graveyard", 2), ("lawyer", 2)];

/// Patterns that correct the vowel-group count, each match adding `modifier`. The groups are
/// applied in this order; within a group, alternatives are tried left to right at each position.
const CORRECTIONS: &[(&[&str], i64)] = &[
    (
        &[
            "cial",
            "tia",
            "cius",
            "giu",
            "ion",
            "[^bdnprv]iou",
            "sia$",
            "[^aeiuot]{2,}ed$",
            "[aeiouy][^aeiuoyts]{1,}e$",
            "[a-z]ely$",
            "[cgy]ed$",
            "rved$",
            "[aeiouy][dt]es?$",
            "eau",
            "ieu",
            "oeu",
            "[aeiouy][^aeiouydt]e[sd]?$",
            "[aeouy]rse$",
            "^eye",
        ],
        -1,
    ),
    (
        &[
            "ia",
            "iu",
            "ii",
            "io",
            "[aeio][aeiou]{2}",
            "[aeiou]ing",
            "[^aeiou]ying",
            "ui[aeou]",
        ],
        1,
    ),
    (
        &[
            "^ree[jmnpqrsx]",
            "^reele",
            "^reeva",
            "riet",
            "dien",
            "[aeiouym][bdp]le$",
            "uei",
            "uou",
            "^mc",
            "ism$",
            "[^l]lien",
            "^coa[dglx].",
            "[^gqauieo]ua[^auieo]",
            "dn't$",
            "uity$",
            "ie(r|st)",
            "[aeiouw]y[aeiou]",
            "[^ao]ire[ds]",
            "[^ao]ire$",
        ],
        1,
    ),
    (&["eoa", "eoo", "ioa", "ioe", "ioo"], 1),
];

static CORRECTION_PATTERNS: LazyLock<Vec<(Regex, i64)>> = LazyLock::new(|| {
    CORRECTIONS
        .iter()
        .map(|(fragments, modifier)| {
            let alternatives: Vec<String> = fragments.iter().map(|f| format!("({f})")).collect();
            let pattern =
                Regex::new(&alternatives.join("|")).expect("the correction patterns are valid");
            (pattern, *modifier)
        })
        .collect()
});

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

/// The number of syllables in one English word (as [`super::words`] yields it). The count is
/// never negative; it can be 0 for a word without vowels ("%", "hmm" is 0 as in Yoast).
pub fn english(word: &str) -> usize {
    let word = word.to_lowercase();
    if let Some(&(_, count)) = WHOLE_WORDS.iter().find(|(w, _)| *w == word) {
        return count;
    }
    let mut rest = word;
    let mut count: i64 = 0;
    for &(fragment, syllables) in FRAGMENTS {
        if rest.contains(fragment) {
            // A space keeps the parts on either side apart for the vowel rules.
            rest = rest.replacen(fragment, " ", 1);
            count += syllables as i64;
        }
    }
    count += vowel_groups(&rest) as i64;
    for (pattern, modifier) in CORRECTION_PATTERNS.iter() {
        count += pattern.find_iter(&rest).count() as i64 * modifier;
    }
    usize::try_from(count).unwrap_or(0)
}

fn vowel_groups(word: &str) -> usize {
    word.split(|c: char| !is_vowel(c))
        .filter(|group| !group.is_empty())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cases: &[(&str, usize)]) {
        for &(word, expected) in cases {
            assert_eq!(english(word), expected, "{word}");
        }
    }

    #[test]
    fn plain_vowel_groups() {
        check(&[
            ("cat", 1),
            ("water", 2),
            ("banana", 3),
            ("rhythm", 1),
            ("strength", 1),
        ]);
    }

    #[test]
    fn silent_endings_and_suffixes() {
        check(&[
            ("make", 1),
            ("takes", 1),
            ("wanted", 2),
            ("played", 1),
            ("nicely", 2),
            ("nation", 2),
            ("special", 2),
        ]);
    }

    #[test]
    fn additions() {
        check(&[
            ("being", 2),
            ("piano", 3),
            ("fire", 2),
            ("realism", 3),
            ("trying", 2),
            ("couldn't", 2),
        ]);
    }

    #[test]
    fn exceptions_and_fragments() {
        check(&[
            ("business", 2),
            ("Wednesday", 2),
            ("lawyers", 2),
            ("coyote", 3),
            ("i.e", 2),
        ]);
    }

    #[test]
    fn no_vowels_no_syllables() {
        check(&[("%", 0), ("hmm", 0), ("", 0)]);
    }
}
