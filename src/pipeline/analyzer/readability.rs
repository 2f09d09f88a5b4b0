//! Yoast's readability assessments with Yoast's thresholds and its penalty aggregation: sentence
//! length, paragraph length, subheading distribution, text presence, and in English also sentence
//! beginnings, transition words and passive voice. Unlike Yoast, lists, tables and preformatted
//! text are left out of these measures (they are not prose); list items are also exempt from
//! sentence beginnings for that reason.
//!
//! Each result carries its thresholds and the source byte ranges it is about, and serializes with
//! fields in declaration order, so the same document always gives the same JSON.

use std::ops::Range;

use serde::Serialize;

use super::assessment::{Rating, Threshold};
use super::passive_voice::is_passive_in;
use super::transition_words::has_transition_in;
use super::{Analysis, BlockKind, Language, Sentence, Support};
use crate::pipeline::ruleset::{Profile, ReadabilityRules, Ruleset};

/// Which assessment a result belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentId {
    SentenceLength,
    ParagraphLength,
    SubheadingDistribution,
    TextPresence,
    SentenceBeginnings,
    TransitionWords,
    PassiveVoice,
}

/// Penalty points of a rating in the aggregate; a bad result weighs more when the language is
/// only partly supported.
fn penalty(rating: Rating, fully_supported: bool) -> u32 {
    match (rating, fully_supported) {
        (Rating::Bad, true) => 3,
        (Rating::Bad, false) => 4,
        (Rating::Ok, _) => 2,
        (Rating::Good | Rating::Feedback, _) => 0,
    }
}

/// One assessment's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assessment {
    pub id: AssessmentId,
    pub score: u8,
    pub rating: Rating,
    /// The number the score was decided on (a percentage, a word count, ...).
    pub measured: f64,
    pub thresholds: Vec<Threshold>,
    /// Byte ranges of the source HTML the result points at (long sentences, long paragraphs, ...).
    pub evidence: Vec<Range<usize>>,
}

impl Assessment {
    fn new(
        id: AssessmentId,
        score: u8,
        measured: f64,
        thresholds: &[(&'static str, f64)],
        evidence: Vec<Range<usize>>,
    ) -> Self {
        Assessment {
            id,
            score,
            rating: Rating::of(i16::from(score)),
            measured,
            thresholds: Threshold::list(thresholds),
            evidence,
        }
    }
}

/// The readability results and their aggregate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReadabilityReport {
    /// 90 (good), 60 (ok), 30 (needs improvement), or 0 when too little could be assessed.
    pub score: u8,
    /// Which language-specific assessments ran.
    pub support: Support,
    pub assessments: Vec<Assessment>,
}

/// Assesses an analysed document under the default profile's limits.
pub fn assess(analysis: &Analysis) -> ReadabilityReport {
    assess_with(
        analysis,
        &Ruleset::for_profile(Profile::Default).readability,
    )
}

/// Assesses an analysed document under a profile's limits.
pub fn assess_with(analysis: &Analysis, rules: &ReadabilityRules) -> ReadabilityReport {
    let support = analysis.readability.language.support();
    let prose = prose_sentences(analysis, support);
    let assessments: Vec<Assessment> = [
        sentence_length(analysis, &prose, rules),
        paragraph_length(analysis),
        subheading_distribution(analysis, rules),
        text_presence(analysis),
        support
            .sentence_beginnings
            .then(|| sentence_beginnings(analysis))
            .flatten(),
        support
            .transition_words
            .then(|| transition_words(&prose))
            .flatten(),
        support
            .passive_voice
            .then(|| passive_voice(&prose))
            .flatten(),
    ]
    .into_iter()
    .flatten()
    .collect();
    ReadabilityReport {
        score: aggregate(&assessments, support.is_full()),
        support,
        assessments,
    }
}

/// Yoast's readability aggregate: penalty points summed, then banded. Fewer than two results say
/// too little to score.
fn aggregate(assessments: &[Assessment], fully_supported: bool) -> u8 {
    if assessments.len() <= 1 {
        return 0;
    }
    let penalty: u32 = assessments
        .iter()
        .map(|a| penalty(a.rating, fully_supported))
        .sum();
    let (bad_above, ok_above) = if fully_supported { (6, 4) } else { (4, 2) };
    if penalty > bad_above {
        30
    } else if penalty > ok_above {
        60
    } else {
        90
    }
}

/// A sentence of a prose block, with what the word-level assessments found in it.
struct ProseSentence<'a> {
    sentence: &'a Sentence,
    transition: bool,
    passive: bool,
}

/// The sentences of prose blocks, each read once for transition words and passive voice (as far
/// as `support` has them).
fn prose_sentences(analysis: &Analysis, support: Support) -> Vec<ProseSentence<'_>> {
    let read_words = support.transition_words || support.passive_voice;
    analysis
        .sentences
        .iter()
        .enumerate()
        .filter(|(_, s)| analysis.blocks[s.block].kind.is_prose())
        .map(|(index, sentence)| {
            let (transition, passive) = if read_words {
                *analysis
                    .readings(index)
                    .transition_and_passive
                    .get_or_init(|| {
                        let lexemes = analysis.readings(index).lexemes().iter();
                        (
                            has_transition_in(
                                lexemes
                                    .clone()
                                    .filter_map(|l| Some((l.folded()?, l.transition_role()?))),
                            ),
                            is_passive_in(lexemes.filter_map(|l| l.passive_role())),
                        )
                    })
            } else {
                (false, false)
            };
            ProseSentence {
                sentence,
                transition: support.transition_words && transition,
                passive: support.passive_voice && passive,
            }
        })
        .collect()
}

/// Yoast's one-decimal rounding of a percentage.
fn percentage(part: usize, whole: usize) -> f64 {
    (part as f64 / whole as f64 * 1000.0 + 0.5).floor() / 10.0
}

fn sentence_length(
    analysis: &Analysis,
    prose: &[ProseSentence<'_>],
    rules: &ReadabilityRules,
) -> Option<Assessment> {
    let recommended = match analysis.readability.language {
        Language::Spanish | Language::Italian | Language::Portuguese => 25,
        Language::Russian => 15,
        _ => 20,
    };
    let (slightly, far) = (
        rules.long_sentences_slightly_too_many_percent,
        rules.long_sentences_far_too_many_percent,
    );
    if prose.is_empty() {
        return None;
    }
    let long: Vec<Range<usize>> = prose
        .iter()
        .filter(|p| p.sentence.words > recommended)
        .map(|p| p.sentence.source.clone())
        .collect();
    let share = percentage(long.len(), prose.len());
    let score = lower_is_better(share, slightly, far);
    let thresholds = [
        ("recommended_words", recommended as f64),
        ("slightly_too_many_percent", slightly),
        ("far_too_many_percent", far),
    ];
    Some(Assessment::new(
        AssessmentId::SentenceLength,
        score,
        share,
        &thresholds,
        long,
    ))
}

/// Yoast's three scores for a measure where less is better: 9 up to `good`, 6 up to `ok`,
/// 3 above.
fn lower_is_better<T: PartialOrd>(measured: T, good: T, ok: T) -> u8 {
    if measured <= good {
        9
    } else if measured <= ok {
        6
    } else {
        3
    }
}

fn paragraph_length(analysis: &Analysis) -> Option<Assessment> {
    let (recommended, maximum) = (150, 200);
    let paragraphs: Vec<(usize, Range<usize>)> = analysis
        .blocks
        .iter()
        .zip(&analysis.block_words)
        .filter(|(b, _)| b.kind == BlockKind::Paragraph)
        .map(|(b, &words)| (words, b.source_range(0..b.text.len())))
        .collect();
    let longest = paragraphs.iter().map(|(count, _)| *count).max()?;
    let score = lower_is_better(longest, recommended, maximum);
    let long = paragraphs
        .into_iter()
        .filter(|(count, _)| *count > recommended)
        .map(|(_, range)| range)
        .collect();
    let thresholds = [
        ("recommended_words", recommended as f64),
        ("maximum_words", maximum as f64),
    ];
    Some(Assessment::new(
        AssessmentId::ParagraphLength,
        score,
        longest as f64,
        &thresholds,
        long,
    ))
}

fn subheading_distribution(analysis: &Analysis, rules: &ReadabilityRules) -> Option<Assessment> {
    let (recommended, far) = (
        rules.subheading_section_recommended_words,
        rules.subheading_section_far_too_many_words,
    );
    let thresholds = [
        ("recommended_words", recommended as f64),
        ("far_too_many_words", far as f64),
    ];
    // Sections: the text before the first heading, then each heading with the text after it.
    let mut sections: Vec<(Option<Range<usize>>, usize)> = vec![(None, 0)];
    for (block, &words) in analysis.blocks.iter().zip(&analysis.block_words) {
        match block.kind {
            BlockKind::Heading(_) => {
                sections.push((Some(block.source_range(0..block.text.len())), 0))
            }
            BlockKind::Paragraph => {
                if let Some(section) = sections.last_mut() {
                    section.1 += words;
                }
            }
            _ => {}
        }
    }
    let total: usize = sections.iter().map(|(_, count)| count).sum();
    if total == 0 {
        return None;
    }
    if sections.len() == 1 {
        let score = if total > recommended { 2 } else { 9 };
        return Some(Assessment::new(
            AssessmentId::SubheadingDistribution,
            score,
            total as f64,
            &thresholds,
            Vec::new(),
        ));
    }
    let too_long = sections
        .iter()
        .filter(|(_, count)| *count > recommended)
        .count();
    let intro = sections[0].1;
    let longest = sections.iter().map(|(_, count)| *count).max().unwrap_or(0);
    let score = if too_long < 2 && intro > recommended {
        if intro > far { 3 } else { 6 }
    } else {
        lower_is_better(longest, recommended, far)
    };
    // A too-long section is pointed at by its heading; a too-long introduction has none.
    let evidence = sections
        .into_iter()
        .filter(|(_, count)| *count > recommended)
        .filter_map(|(heading, _)| heading)
        .collect();
    Some(Assessment::new(
        AssessmentId::SubheadingDistribution,
        score,
        longest as f64,
        &thresholds,
        evidence,
    ))
}

fn text_presence(analysis: &Analysis) -> Option<Assessment> {
    let minimum = 50;
    // Words and a space after each, but the last: only a count below the minimum matters, so
    // reading stops once the minimum is passed.
    let mut characters = 0;
    for word in analysis
        .blocks
        .iter()
        .flat_map(|b| b.text.split_whitespace())
    {
        characters += word.chars().count() + 1;
        if characters > minimum {
            return None;
        }
    }
    let characters = characters.saturating_sub(1);
    (characters < minimum).then(|| {
        Assessment::new(
            AssessmentId::TextPresence,
            3,
            characters as f64,
            &[("minimum_characters", minimum as f64)],
            Vec::new(),
        )
    })
}

/// Words that say too little to tell sentence beginnings apart; a sentence starting with one is
/// known by its first two words ("the dog" and "the cat" are different beginnings).
const FIRST_WORD_EXCEPTIONS: &[&str] = &[
    "the", "a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "ten", "this", "that", "these", "those",
];

/// How a sentence begins: its first word, and its second when the first is one of
/// [`FIRST_WORD_EXCEPTIONS`].
type Beginning<'a> = (&'a str, Option<&'a str>);

fn sentence_beginnings(analysis: &Analysis) -> Option<Assessment> {
    let most_in_a_row = 2;
    let mut beginnings: Vec<(Beginning<'_>, Range<usize>)> = Vec::new();
    for (index, sentence) in analysis.sentences.iter().enumerate() {
        if analysis.blocks[sentence.block].kind != BlockKind::Paragraph {
            continue;
        }
        let mut first_words = analysis
            .readings(index)
            .lexemes()
            .iter()
            .filter_map(|l| l.lower());
        let Some(first) = first_words.next() else {
            continue;
        };
        let second = first_words
            .next()
            .filter(|_| FIRST_WORD_EXCEPTIONS.contains(&first));
        beginnings.push(((first, second), sentence.source.clone()));
    }
    if beginnings.is_empty() {
        return None;
    }
    let mut evidence = Vec::new();
    let mut longest_run = 0;
    for run in beginnings.chunk_by(|a, b| a.0 == b.0) {
        longest_run = longest_run.max(run.len());
        if run.len() > most_in_a_row {
            evidence.extend(run.iter().map(|(_, range)| range.clone()));
        }
    }
    let score = if longest_run > most_in_a_row { 3 } else { 9 };
    let thresholds = [("most_in_a_row", most_in_a_row as f64)];
    Some(Assessment::new(
        AssessmentId::SentenceBeginnings,
        score,
        longest_run as f64,
        &thresholds,
        evidence,
    ))
}

fn transition_words(prose: &[ProseSentence<'_>]) -> Option<Assessment> {
    let (needed_above_words, ok_percent, good_percent) = (200, 20.0, 30.0);
    if prose.is_empty() {
        return None;
    }
    let with_transition: Vec<Range<usize>> = prose
        .iter()
        .filter(|p| p.transition)
        .map(|p| p.sentence.source.clone())
        .collect();
    let share = percentage(with_transition.len(), prose.len());
    let prose_words: usize = prose.iter().map(|p| p.sentence.words).sum();
    // Short texts need no transitions.
    let score = if prose_words < needed_above_words || share >= good_percent {
        9
    } else if share >= ok_percent {
        6
    } else {
        3
    };
    let thresholds = [
        ("needed_above_words", needed_above_words as f64),
        ("ok_percent", ok_percent),
        ("good_percent", good_percent),
    ];
    Some(Assessment::new(
        AssessmentId::TransitionWords,
        score,
        share,
        &thresholds,
        with_transition,
    ))
}

fn passive_voice(prose: &[ProseSentence<'_>]) -> Option<Assessment> {
    let (good_percent, ok_percent) = (10.0, 15.0);
    if prose.is_empty() {
        return None;
    }
    let passive: Vec<Range<usize>> = prose
        .iter()
        .filter(|p| p.passive)
        .map(|p| p.sentence.source.clone())
        .collect();
    let share = percentage(passive.len(), prose.len());
    let score = lower_is_better(share, good_percent, ok_percent);
    let thresholds = [("good_percent", good_percent), ("ok_percent", ok_percent)];
    Some(Assessment::new(
        AssessmentId::PassiveVoice,
        score,
        share,
        &thresholds,
        passive,
    ))
}

#[cfg(test)]
mod tests {
    use super::super::analyze;
    use super::*;

    fn report(html: &str) -> ReadabilityReport {
        assess(&analyze(html, Language::English).unwrap())
    }

    /// Checks one assessment's score and measured value, and what its evidence covers.
    fn check(html: &str, id: AssessmentId, expected: Option<(u8, f64, &[&str])>) {
        let report = report(html);
        let found = report.assessments.iter().find(|a| a.id == id);
        let actual = found.map(|a| {
            let evidence: Vec<&str> = a.evidence.iter().map(|r| &html[r.clone()]).collect();
            (a.score, a.measured, evidence)
        });
        let expected =
            expected.map(|(score, measured, evidence)| (score, measured, evidence.to_vec()));
        assert_eq!(actual, expected, "{html}");
    }

    fn words_of(n: usize) -> String {
        vec!["word"; n].join(" ")
    }

    #[test]
    fn sentence_length() {
        let long = format!("Long {}.", words_of(20));
        let html =
            format!("<p>Short one here. {long} Another short one. And one more. Last of them.</p>");
        // One in five is long: 20%.
        check(
            &html,
            AssessmentId::SentenceLength,
            Some((9, 20.0, &[long.as_str()])),
        );
        let html = format!("<p>Short one here. {long} {long}</p><ul><li>{long}</li></ul>");
        // Two in three; the list item does not count.
        check(
            &html,
            AssessmentId::SentenceLength,
            Some((3, 66.7, &[long.as_str(), long.as_str()])),
        );
    }

    #[test]
    fn paragraph_length() {
        check(
            "<p>Tiny.</p>",
            AssessmentId::ParagraphLength,
            Some((9, 1.0, &[])),
        );
        // Evidence covers the paragraph's text, not its tags.
        let text = words_of(180);
        check(
            &format!("<p>{text}</p>"),
            AssessmentId::ParagraphLength,
            Some((6, 180.0, &[text.as_str()])),
        );
        let text = words_of(201);
        check(
            &format!("<h2>H</h2><p>{text}</p>"),
            AssessmentId::ParagraphLength,
            Some((3, 201.0, &[text.as_str()])),
        );
    }

    #[test]
    fn subheading_distribution() {
        check(
            &format!("<p>{}</p>", words_of(300)),
            AssessmentId::SubheadingDistribution,
            Some((9, 300.0, &[])),
        );
        check(
            &format!("<p>{}</p>", words_of(301)),
            AssessmentId::SubheadingDistribution,
            Some((2, 301.0, &[])),
        );
        let html = format!(
            "<p>Intro.</p><h2>First</h2><p>{}</p><h2>Second</h2><p>{}</p>",
            words_of(320),
            words_of(10)
        );
        check(
            &html,
            AssessmentId::SubheadingDistribution,
            Some((6, 320.0, &["First"])),
        );
        let html = format!("<p>{}</p><h2>Then</h2><p>Short.</p>", words_of(360));
        check(
            &html,
            AssessmentId::SubheadingDistribution,
            Some((3, 360.0, &[])),
        );
    }

    #[test]
    fn cornerstone_limits_are_stricter() {
        let analysis = analyze(&format!("<p>{}</p>", words_of(260)), Language::English).unwrap();
        let subheadings = |report: ReadabilityReport| {
            report
                .assessments
                .iter()
                .find(|a| a.id == AssessmentId::SubheadingDistribution)
                .map(|a| a.score)
        };
        let cornerstone = &Ruleset::for_profile(Profile::Cornerstone).readability;
        assert_eq!(subheadings(assess(&analysis)), Some(9));
        assert_eq!(subheadings(assess_with(&analysis, cornerstone)), Some(2));
    }

    #[test]
    fn text_presence() {
        check(
            "<p>Hello there.</p>",
            AssessmentId::TextPresence,
            Some((3, 12.0, &[])),
        );
        check(
            &format!("<p>{}</p>", words_of(20)),
            AssessmentId::TextPresence,
            None,
        );
        // Right at the minimum of 50 characters, spaces between words included.
        let (short, long) = ("x".repeat(24), "x".repeat(25));
        check(
            &format!("<p>{short}</p><p>{short}</p>"),
            AssessmentId::TextPresence,
            Some((3, 49.0, &[])),
        );
        check(
            &format!("<p>{short}</p><p>{long}</p>"),
            AssessmentId::TextPresence,
            None,
        );
    }

    #[test]
    fn sentence_beginnings() {
        check(
            "<p>We ran. We hid. We won.</p>",
            AssessmentId::SentenceBeginnings,
            Some((3, 3.0, &["We ran.", "We hid.", "We won."])),
        );
        check(
            "<p>The dog ran. The cat hid. The bird sang.</p>",
            AssessmentId::SentenceBeginnings,
            Some((9, 1.0, &[])),
        );
        check(
            "<ul><li>Add salt.</li><li>Add pepper.</li><li>Add oil.</li></ul><p>Done.</p>",
            AssessmentId::SentenceBeginnings,
            Some((9, 1.0, &[])),
        );
    }

    #[test]
    fn transition_words() {
        let plain = "Cats sleep a lot in the daytime. ".repeat(30);
        check(
            &format!("<p>{plain}</p>"),
            AssessmentId::TransitionWords,
            Some((3, 0.0, &[])),
        );
        // Short texts are fine without transitions.
        check(
            "<p>Cats sleep. Dogs bark.</p>",
            AssessmentId::TransitionWords,
            Some((9, 0.0, &[])),
        );
        let linked = "However, dogs bark at night.";
        let html = format!(
            "<p>{plain}{linked} {linked} {linked} {linked} {linked} {linked} {linked} {linked}</p>"
        );
        let evidence = [linked; 8];
        // 8 of 38 sentences: 21.1%.
        check(
            &html,
            AssessmentId::TransitionWords,
            Some((6, 21.1, &evidence)),
        );
    }

    #[test]
    fn passive_voice() {
        let active = "We built it. ".repeat(8);
        check(
            &format!("<p>{active}It was built.</p>"),
            AssessmentId::PassiveVoice,
            Some((6, 11.1, &["It was built."])),
        );
        check(
            &format!("<p>{active}{active}It was built.</p>"),
            AssessmentId::PassiveVoice,
            Some((9, 5.9, &["It was built."])),
        );
        check(
            "<p>We built it. It was built.</p>",
            AssessmentId::PassiveVoice,
            Some((3, 50.0, &["It was built."])),
        );
    }

    #[test]
    fn partly_supported_languages() {
        // 47 characters: too little text, the only bad result.
        let html = "<p>Der Hund läuft. Ein Hund bellt. Mein Hund ruht.</p>";
        let german = assess(&analyze(html, Language::German).unwrap());
        let ids: Vec<AssessmentId> = german.assessments.iter().map(|a| a.id).collect();
        assert_eq!(
            ids,
            [
                AssessmentId::SentenceLength,
                AssessmentId::ParagraphLength,
                AssessmentId::SubheadingDistribution,
                AssessmentId::TextPresence
            ]
        );
        // A bad result weighs 4 points with partial support (above 2: "ok"), 3 with full
        // support (not above 4: "good").
        assert_eq!(german.score, 60);
        assert_eq!(report(html).score, 90);
    }

    #[test]
    fn aggregate_and_json() {
        let long = format!("Long {}.", words_of(20));
        let html = format!("<p>We ran. We hid. We won. {long} {long}</p>");
        let result = report(&html);
        // Sentence beginnings (bad, 3 points) and sentence length (two in five long: bad, 3
        // points) make 6: above 4, not above 6, so "ok".
        assert_eq!(result.score, 60);
        let json = serde_json::to_string(&result.assessments[0]).unwrap();
        assert_eq!(
            json,
            r#"{"id":"sentence_length","score":3,"rating":"bad","measured":40.0,"thresholds":[{"name":"recommended_words","value":20.0},{"name":"slightly_too_many_percent","value":25.0},{"name":"far_too_many_percent","value":30.0}],"evidence":[{"start":27,"end":132},{"start":133,"end":238}]}"#
        );
        let empty = Assessment::new(
            AssessmentId::TextPresence,
            3,
            0.0,
            &[("minimum_characters", 50.0)],
            Vec::new(),
        );
        assert_eq!(
            report(""),
            ReadabilityReport {
                score: 0,
                support: Language::English.support(),
                assessments: vec![empty]
            }
        );
    }
}
