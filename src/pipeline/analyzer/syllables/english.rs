//! English syllable rules (Yoast's): vowel groups of `a e i o u y`, with silent endings, suffixes
//! and vowel pairs corrected.

use super::{Fragment, Rules};

pub(super) const RULES: Rules = Rules {
    vowels: "aeiouy",
    whole_words: WHOLE_WORDS,
    fragments: FRAGMENTS,
    corrections: CORRECTIONS,
};

/// English words whose count no rule gets right.
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
const FRAGMENTS: &[Fragment] = &[
    Fragment::anywhere("coyote", 3),
    Fragment::anywhere("graveyard", 2),
    Fragment::anywhere("lawyer", 2),
];

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
