//! Russian syllable rules (Yoast's): vowel groups, plus one for every pair and every triple of
//! vowels in a row.

use super::Rules;

pub(super) const RULES: Rules = Rules {
    vowels: "аоиеёэыуюя",
    whole_words: &[],
    fragments: &[],
    corrections: &[
        (&["[аоиеёэыуюя][аоиеёэыуюя]"], 1),
        (&["[аоиеёэыуюя][аоиеёэыуюя][аоиеёэыуюя]"], 1),
    ],
};
