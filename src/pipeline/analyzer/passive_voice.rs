//! English passive voice, found the periphrastic way: a form of "to be" or "to get" followed by a
//! past participle ("was built", "is not used", "got fired", "has been done"). Between the two
//! only negations and adverbs may stand, so "is the tired one" and "was a red car" are not
//! passive. Participles are words ending in "-ed" (minus common non-verbs such as "bed" or
//! "hundred") and a list of irregular ones. The lists are ours, from ordinary English grammar;
//! like Yoast's rules, they also count adjectival uses such as "I was tired".

use super::words::folded_words;

/// Forms of "to be" and "to get" that can carry a passive.
const AUXILIARIES: &[&str] = &[
    "am", "is", "are", "was", "were", "be", "been", "being", "isn't", "aren't", "wasn't",
    "weren't", "get", "gets", "got", "gotten", "getting", "he's", "she's", "it's", "i'm", "we're",
    "they're", "you're", "that's",
];

/// Words that may stand between the auxiliary and the participle.
const IN_BETWEEN: &[&str] = &[
    "not", "never", "also", "always", "often", "already", "still", "just", "now", "then", "once",
    "all", "both", "usually", "rarely", "seldom", "ever", "even", "soon", "too",
];

/// Words ending in "-ed" that are not participles.
const NOT_PARTICIPLES: &[&str] = &[
    "bed", "bred", "embed", "exceed", "feed", "freed", "greed", "heed", "hundred", "indeed",
    "kindred", "naked", "need", "proceed", "red", "reed", "sacred", "seed", "shed", "sled",
    "speed", "steed", "succeed", "shred", "wed", "weed", "wicked", "wretched",
];

/// Irregular past participles.
const IRREGULAR_PARTICIPLES: &[&str] = &[
    "arisen",
    "awoken",
    "beaten",
    "become",
    "begun",
    "bent",
    "bet",
    "bitten",
    "blown",
    "born",
    "borne",
    "bought",
    "bound",
    "broken",
    "brought",
    "built",
    "burnt",
    "burst",
    "caught",
    "chosen",
    "clung",
    "come",
    "cost",
    "crept",
    "cut",
    "dealt",
    "done",
    "drawn",
    "dreamt",
    "driven",
    "drunk",
    "dug",
    "eaten",
    "fallen",
    "felt",
    "fought",
    "found",
    "fled",
    "flown",
    "forbidden",
    "forgiven",
    "forgotten",
    "frozen",
    "given",
    "gone",
    "ground",
    "grown",
    "hung",
    "heard",
    "hidden",
    "hit",
    "held",
    "hurt",
    "kept",
    "knelt",
    "known",
    "laid",
    "led",
    "leant",
    "learnt",
    "left",
    "lent",
    "let",
    "lit",
    "lost",
    "made",
    "meant",
    "met",
    "mistaken",
    "overcome",
    "overtaken",
    "paid",
    "proven",
    "put",
    "quit",
    "read",
    "rewritten",
    "ridden",
    "risen",
    "rung",
    "run",
    "said",
    "sawn",
    "seen",
    "sent",
    "set",
    "sewn",
    "shaken",
    "shone",
    "shot",
    "shown",
    "shrunk",
    "shut",
    "sung",
    "sunk",
    "slain",
    "slept",
    "slid",
    "slung",
    "sold",
    "sought",
    "sown",
    "spent",
    "spilt",
    "spoken",
    "spread",
    "sprung",
    "stolen",
    "stood",
    "struck",
    "stuck",
    "stung",
    "sworn",
    "swept",
    "swollen",
    "swum",
    "swung",
    "taken",
    "taught",
    "thought",
    "thrown",
    "told",
    "torn",
    "trodden",
    "understood",
    "undertaken",
    "undone",
    "upheld",
    "upset",
    "woken",
    "won",
    "worn",
    "woven",
    "wept",
    "withdrawn",
    "wound",
    "written",
    "wrung",
];

fn is_participle(word: &str) -> bool {
    (word.len() > 3
        && word.ends_with("ed")
        && word.chars().all(char::is_alphabetic)
        && !NOT_PARTICIPLES.contains(&word))
        || IRREGULAR_PARTICIPLES.contains(&word)
}

/// What the passive test asks of one folded word. A page repeats its words, so the analyzer
/// keeps each word's role with the word rather than searching the lists at every occurrence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Role {
    auxiliary: bool,
    /// May stand between an auxiliary and its participle.
    in_between: bool,
    participle: bool,
}

impl Role {
    pub(crate) fn of(folded: &str) -> Role {
        Role {
            auxiliary: AUXILIARIES.contains(&folded),
            in_between: IN_BETWEEN.contains(&folded)
                || (folded.ends_with("ly") && folded.len() > 4),
            participle: is_participle(folded),
        }
    }
}

/// Whether `sentence` has a passive construction.
pub fn is_passive(sentence: &str) -> bool {
    let mut folded = Vec::new();
    folded_words(sentence, &mut folded);
    is_passive_in(folded.iter().map(|word| Role::of(word)))
}

/// [`is_passive`] of a sentence given as the [`Role`]s of its [`folded_words`]: an auxiliary
/// whose next word, past those that may stand between, is a participle.
pub(crate) fn is_passive_in(roles: impl Iterator<Item = Role> + Clone) -> bool {
    let mut rest = roles;
    while let Some(role) = rest.next() {
        if role.auxiliary
            && rest
                .clone()
                .find(|next| !next.in_between)
                .is_some_and(|next| next.participle)
        {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passive_sentences() {
        for sentence in [
            "The bridge was built in 1890.",
            "Cookies are not allowed here.",
            "He got fired last week.",
            "The work has been done.",
            "The house is being painted.",
            "It was quickly forgotten.",
            "The results weren\u{2019}t published.",
        ] {
            assert!(is_passive(sentence), "{sentence}");
        }
    }

    #[test]
    fn active_sentences() {
        for sentence in [
            "The team built a bridge.",
            "She is the tired one.",
            "It was a red car.",
            "We need more seed.",
            "There is a bed upstairs.",
            "They were happy.",
            "",
        ] {
            assert!(!is_passive(sentence), "{sentence}");
        }
    }
}
