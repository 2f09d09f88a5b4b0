//! The engagement score: how much a page gives a reader to do and to look at beyond running text.
//! Each signal earns a credit from 0 to 1; the score is the weighted mean of the credits, out of
//! 100, with the weights and targets of the ruleset.
//!
//! - Call to action: a link or button whose text starts with an action verb ("Download the
//!   guide"). Full credit in the last part of the text, where a reader who finished decides what
//!   to do next; half credit elsewhere. Needs the language's verbs, so it is left out otherwise.
//! - Internal links: full credit at one per so many words, which keeps readers on the site.
//! - Lists: at least one; lists make steps and options scannable.
//! - Images: full credit at one per so many words.
//! - Formatting: bold, italic and blockquotes; full credit for two of the three kinds.

use std::ops::Range;

use serde::Serialize;

use super::Analysis;
use super::elements::{Elements, LinkKind};
use super::words::words;
use crate::pipeline::language::Language;
use crate::pipeline::ruleset::EngagementRules;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalId {
    CallToAction,
    InternalLinks,
    Lists,
    Images,
    Formatting,
}

/// One signal's contribution.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Signal {
    pub id: SignalId,
    pub weight: u32,
    /// From 0 to 1, rounded to two decimals.
    pub credit: f64,
    /// What the credit was decided on: a count, or for calls to action how many are near the end.
    pub measured: f64,
    /// Byte ranges of the source HTML: the calls to action, links or images counted.
    pub evidence: Vec<Range<usize>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EngagementReport {
    /// 0 to 100.
    pub score: u8,
    pub signals: Vec<Signal>,
    /// Signals this language lacks the word lists for.
    pub omitted: Vec<SignalId>,
}

/// Scores the engagement signals of an analysed page whose links are judged from `host`.
pub fn assess(
    analysis: &Analysis,
    elements: &Elements,
    host: Option<&str>,
    rules: &EngagementRules,
) -> EngagementReport {
    let language = analysis.readability.language;
    let words = analysis.readability.words;
    let mut signals = Vec::new();
    let mut omitted = Vec::new();
    if language.support().action_verbs {
        signals.push(calls_to_action(analysis, elements, language, rules));
    } else {
        omitted.push(SignalId::CallToAction);
    }
    let internal: Vec<Range<usize>> = elements
        .links
        .iter()
        .filter(|l| l.kind(host) == LinkKind::Internal)
        .map(|l| l.source.clone())
        .collect();
    signals.push(per_words(
        SignalId::InternalLinks,
        rules.internal_links,
        internal,
        words,
        rules.words_per_internal_link,
    ));
    signals.push(Signal {
        id: SignalId::Lists,
        weight: rules.lists,
        credit: if elements.lists > 0 { 1.0 } else { 0.0 },
        measured: elements.lists as f64,
        evidence: Vec::new(),
    });
    signals.push(per_words(
        SignalId::Images,
        rules.images,
        elements.images.iter().map(|i| i.source.clone()).collect(),
        words,
        rules.words_per_image,
    ));
    let kinds = [elements.bold, elements.italic, elements.blockquotes]
        .iter()
        .filter(|&&count| count > 0)
        .count();
    signals.push(Signal {
        id: SignalId::Formatting,
        weight: rules.formatting,
        credit: round2((kinds as f64 / 2.0).min(1.0)),
        measured: kinds as f64,
        evidence: Vec::new(),
    });
    let total: u32 = signals.iter().map(|s| s.weight).sum();
    let earned: f64 = signals.iter().map(|s| f64::from(s.weight) * s.credit).sum();
    let score = if total == 0 {
        0
    } else {
        (earned / f64::from(total) * 100.0)
            .round()
            .clamp(0.0, 100.0) as u8
    };
    EngagementReport {
        score,
        signals,
        omitted,
    }
}

/// Full credit at one item per `words_per_item` words of text, and at least one.
fn per_words(
    id: SignalId,
    weight: u32,
    evidence: Vec<Range<usize>>,
    words: usize,
    words_per_item: usize,
) -> Signal {
    let target = words.div_ceil(words_per_item.max(1)).max(1);
    Signal {
        id,
        weight,
        credit: round2((evidence.len() as f64 / target as f64).min(1.0)),
        measured: evidence.len() as f64,
        evidence,
    }
}

fn calls_to_action(
    analysis: &Analysis,
    elements: &Elements,
    language: Language,
    rules: &EngagementRules,
) -> Signal {
    let actions = elements
        .links
        .iter()
        .map(|l| (&l.text, &l.source))
        .chain(elements.buttons.iter().map(|b| (&b.text, &b.source)))
        .filter(|(text, _)| starts_with_action_verb(text, language))
        .map(|(_, source)| source.clone());
    // Where each sentence starts and the words up to its end, to place an action in the text.
    let mut through = Vec::with_capacity(analysis.sentences.len());
    let mut running = 0;
    for sentence in &analysis.sentences {
        running += sentence.words;
        through.push((sentence.source.start, running));
    }
    let total = analysis.readability.words;
    let tail_from = total as f64 * (100.0 - f64::from(rules.call_to_action_tail_percent)) / 100.0;
    let mut evidence: Vec<Range<usize>> = Vec::new();
    let mut near_end = 0;
    for source in actions {
        // The action's own words count: an action that ends the text is in its tail.
        let started = through.partition_point(|&(start, _)| start < source.end);
        let words_through = started
            .checked_sub(1)
            .and_then(|i| through.get(i))
            .map_or(0, |&(_, words)| words);
        if words_through as f64 > tail_from {
            near_end += 1;
        }
        evidence.push(source);
    }
    let credit = if near_end > 0 {
        1.0
    } else if evidence.is_empty() {
        0.0
    } else {
        0.5
    };
    Signal {
        id: SignalId::CallToAction,
        weight: rules.call_to_action,
        credit,
        measured: near_end as f64,
        evidence,
    }
}

/// English verbs that open a call to action.
const ENGLISH_ACTION_VERBS: &[&str] = &[
    "add",
    "apply",
    "book",
    "browse",
    "buy",
    "call",
    "check",
    "choose",
    "claim",
    "click",
    "compare",
    "contact",
    "continue",
    "create",
    "discover",
    "donate",
    "download",
    "email",
    "enroll",
    "explore",
    "find",
    "follow",
    "get",
    "grab",
    "join",
    "learn",
    "listen",
    "order",
    "read",
    "register",
    "request",
    "reserve",
    "save",
    "schedule",
    "see",
    "shop",
    "sign",
    "start",
    "subscribe",
    "try",
    "upgrade",
    "view",
    "visit",
    "watch",
];

fn starts_with_action_verb(text: &str, language: Language) -> bool {
    let Some(first) = words(text).next() else {
        return false;
    };
    let first = first.text.to_lowercase();
    match language {
        Language::English => ENGLISH_ACTION_VERBS.binary_search(&first.as_str()).is_ok(),
        _ => false,
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::super::{analyze, elements::elements};
    use super::*;
    use crate::pipeline::ruleset::{Profile, Ruleset};

    fn report(html: &str, language: Language) -> EngagementReport {
        let analysis = analyze(html, language).unwrap();
        let facts = elements(html).unwrap();
        let rules = &Ruleset::for_profile(Profile::Default).engagement;
        assess(&analysis, &facts, Some("example.com"), rules)
    }

    /// Checks one signal's credit and measured value, and the source text of its evidence.
    fn check(html: &str, id: SignalId, expected: (f64, f64, &[&str])) {
        let report = report(html, Language::English);
        let signal = report.signals.iter().find(|s| s.id == id).unwrap();
        let evidence: Vec<&str> = signal.evidence.iter().map(|r| &html[r.clone()]).collect();
        let (credit, measured, expected_evidence) = expected;
        assert_eq!(
            (signal.credit, signal.measured, evidence),
            (credit, measured, expected_evidence.to_vec()),
            "{html}"
        );
    }

    fn words_of(n: usize) -> String {
        vec!["word"; n].join(" ")
    }

    #[test]
    fn calls_to_action_count_most_near_the_end() {
        let cta = r#"<a href="/shop">Buy the kettle</a>"#;
        let body = format!("<p>Word {}.</p>", words_of(99));
        check(
            &format!("{body}<p>{cta}</p>"),
            SignalId::CallToAction,
            (1.0, 1.0, &[cta]),
        );
        check(
            &format!("<p>{cta}</p>{body}"),
            SignalId::CallToAction,
            (0.5, 0.0, &[cta]),
        );
        // The tail is the last 30% of the words: ending 70 words into 100 is not in it.
        let early = format!(
            "<p>Word {}.</p><p>{cta}</p><p>Word {}.</p>",
            words_of(66),
            words_of(29)
        );
        check(&early, SignalId::CallToAction, (0.5, 0.0, &[cta]));
        let late = format!(
            "<p>Word {}.</p><p>{cta}</p><p>Word {}.</p>",
            words_of(67),
            words_of(28)
        );
        check(&late, SignalId::CallToAction, (1.0, 1.0, &[cta]));
        let button = "<button>Subscribe</button>";
        check(
            &format!("{body}<p>{button} <a href=/x>the kettle</a></p>"),
            SignalId::CallToAction,
            (1.0, 1.0, &[button]),
        );
        check(&body, SignalId::CallToAction, (0.0, 0.0, &[]));
    }

    #[test]
    fn links_and_images_per_words() {
        let link = r#"<a href="/a">a</a>"#;
        let html = format!("<p>Word {} {link}</p>", words_of(598));
        // 600 words ask for two internal links.
        check(&html, SignalId::InternalLinks, (0.5, 1.0, &[link]));
        let away = r#"<a href="https://other.org/">b</a>"#;
        check(
            &format!("<p>{link}{away}</p>"),
            SignalId::InternalLinks,
            (1.0, 1.0, &[link]),
        );
        let image = "<img src=a.png>";
        check(
            &format!("<p>Word {} {image}</p>", words_of(698)),
            SignalId::Images,
            (0.5, 1.0, &[image]),
        );
    }

    #[test]
    fn lists_and_formatting() {
        check("<ul><li>One</li></ul>", SignalId::Lists, (1.0, 1.0, &[]));
        check("<p>None.</p>", SignalId::Lists, (0.0, 0.0, &[]));
        check("<p><b>Bold</b>.</p>", SignalId::Formatting, (0.5, 1.0, &[]));
        check(
            "<p><strong>Bold</strong> <em>it</em>.</p><blockquote>Q</blockquote>",
            SignalId::Formatting,
            (1.0, 3.0, &[]),
        );
    }

    #[test]
    fn score_is_the_weighted_share_of_credit() {
        let html = concat!(
            "<p>Word <b>bold</b> <i>it</i> <img src=a.png>.</p><ul><li>One</li></ul>",
            "<p><a href=\"/guide\">Read the guide</a></p>"
        );
        assert_eq!(report(html, Language::English).score, 100);
        // Without action verbs the signal is left out, not scored 0.
        let german = report("<p>Wort <b>fett</b> <i>es</i></p>", Language::German);
        assert_eq!(german.omitted, [SignalId::CallToAction]);
        // Formatting (weight 1) alone: 1 of the 6 remaining weights.
        assert_eq!(german.score, 17);
        assert_eq!(report("", Language::English).score, 0);
    }
}
