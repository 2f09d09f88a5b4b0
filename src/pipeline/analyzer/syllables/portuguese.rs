//! Portuguese syllable rules (Yoast's): "gu" and "qu" before a vowel are one sound, final vowel
//! pairs glide, other vowel pairs are split.

use super::Rules;

pub(super) const RULES: Rules = Rules {
    vowels: "aeiouáéíóúàâêôãõü",
    whole_words: &[
        ("delegacia", 5),
        ("democracia", 5),
        ("parceria", 4),
        ("secretaria", 5),
    ],
    fragments: &[],
    corrections: &[
        (&["(gu|qu)[aeoáéíóúêã]"], -1),
        (&["[^(g|q|a)][aeiou][aeo]$"], -1),
        (&["[aeiouáéíóúàâêôü][aeo]", "[aeiou][íúáéóãê]"], 1),
        (&["aí[ae]"], 1),
    ],
};
