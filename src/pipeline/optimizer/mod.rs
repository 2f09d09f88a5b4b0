//! The optimizer: deterministic rules that improve a page without AI. Each rule proposes typed
//! patches against the page as given (`markup` reads it, `rules` decide, `patch` writes), with
//! the score change it predicts. The page is analysed once with every rule's patches; when that
//! report is exactly what the predictions add up to, it measures every rule. Otherwise the page
//! is analysed again after each rule, in a fixed order, and a rule whose measured change lowers
//! any score is dropped.
//!
//! Patches only rewrite the tags they name; every other byte, protected regions (code, pre,
//! script, style, shortcodes, comments) and attribute order included, is the input's, and a page
//! the optimizer has already processed comes back unchanged.
//!
//! A rewrite made elsewhere (by a language model, say) enters through [`accept_rewrite`], which
//! keeps it only when no score drops and every protected region is as it was.

mod accept;
mod markup;
mod patch;
mod rules;

#[cfg(test)]
mod tests;

use std::ops::Range;

use serde::Serialize;

pub use accept::{Rejection, Score, accept_rewrite};
pub use patch::{Patch, PatchError};
pub use rules::{Prediction, RuleId};

use crate::pipeline::analyzer::{
    Analysis, Page, Report, SeoAssessmentId, TextError, aggregate, finish_page, overall,
    page_reader, report_after, report_of,
};
use crate::pipeline::html;
use crate::pipeline::ruleset::Ruleset;
use rules::Context;

/// Which rules run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub rules: Vec<RuleId>,
}

impl Options {
    pub fn all() -> Options {
        Options {
            rules: RuleId::ALL.to_vec(),
        }
    }
}

/// A change in each score, after minus before.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ScoreDelta {
    pub seo: i16,
    pub readability: i16,
    pub engagement: i16,
    pub overall: i16,
}

impl ScoreDelta {
    fn between(before: &Scores, after: &Scores) -> ScoreDelta {
        let delta = |b: u8, a: u8| i16::from(a) - i16::from(b);
        ScoreDelta {
            seo: delta(before.seo, after.seo),
            readability: delta(before.readability, after.readability),
            engagement: delta(before.engagement, after.engagement),
            overall: delta(before.overall, after.overall),
        }
    }

    fn lowers_any(&self) -> bool {
        [self.seo, self.readability, self.engagement, self.overall]
            .iter()
            .any(|d| *d < 0)
    }
}

/// A report's scores, each SEO assessment's among them: all that measuring a rule compares, and
/// much less to copy than the report with its thresholds and evidence.
#[derive(Clone, Debug)]
struct Scores {
    assessments: Vec<(SeoAssessmentId, i16)>,
    seo: u8,
    readability: u8,
    engagement: u8,
    overall: u8,
}

impl Scores {
    fn of(report: &Report) -> Scores {
        Scores {
            assessments: report
                .seo
                .assessments
                .iter()
                .map(|a| (a.id, a.score))
                .collect(),
            seo: report.seo.score,
            readability: report.readability.score,
            engagement: report.engagement.score,
            overall: report.overall,
        }
    }

    /// These scores with `predictions` taken as the scores of their assessments, and the SEO and
    /// overall scores computed again under `ruleset`.
    fn with(&self, predictions: &[Prediction], ruleset: &Ruleset) -> Scores {
        let assessments: Vec<(SeoAssessmentId, i16)> = self
            .assessments
            .iter()
            .map(|&(id, score)| {
                let predicted = predictions.iter().find(|p| p.assessment == id);
                (id, predicted.map_or(score, |p| p.after))
            })
            .collect();
        let seo = aggregate(assessments.iter().map(|&(_, score)| score));
        Scores {
            assessments,
            seo,
            overall: overall(&ruleset.overall, seo, self.readability, self.engagement),
            ..*self
        }
    }
}

/// What one rule did, or would have done.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    pub rule: RuleId,
    /// Offsets are those of the input page.
    pub patches: Vec<Patch>,
    /// The assessments the rule changes, with the scores it predicts for them.
    pub assessments: Vec<Prediction>,
    pub predicted: ScoreDelta,
    /// Measured by analysing the page with the rules before it and then with this one.
    pub measured: ScoreDelta,
}

/// An optimized page.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Optimization {
    pub html: String,
    pub meta_description: Option<String>,
    /// The rules applied, in order.
    pub changes: Vec<Change>,
    /// Rules left out because their measured change lowered a score.
    pub dropped: Vec<Change>,
    pub before: Report,
    pub after: Report,
}

/// Why a page could not be optimized.
#[derive(Debug, thiserror::Error)]
pub enum OptimizeError {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error(transparent)]
    Patch(#[from] PatchError),
}

/// Runs the rules of `options` on `page`, in [`RuleId::ALL`] order, each measured by analysing
/// the result under `ruleset`.
pub fn optimize(
    page: &Page<'_>,
    ruleset: &Ruleset,
    options: &Options,
) -> Result<Optimization, OptimizeError> {
    // The page is read once, for the analysis and for the markup the rules patch.
    let ((blocks, elements), markup) =
        html::read(page.html, || (page_reader(), markup::MarkupReader::new()))
            .map_err(TextError::from)?;
    let (analysis, facts) = finish_page(blocks, elements, page.language, None);
    let before = report_of(page, ruleset, &analysis, &facts);
    let markup = markup.finish(page.html);
    let context = Context {
        page,
        ruleset,
        before: &before,
        elements: &markup.elements,
        blocks: &analysis.blocks,
        scores: Default::default(),
    };
    let proposals: Vec<Proposal> = RuleId::ALL
        .into_iter()
        .filter(|rule| options.rules.contains(rule))
        .filter_map(|rule| {
            let patches = rules::patches(rule, &context);
            (!patches.is_empty()).then(|| Proposal {
                rule,
                assessments: rules::predict(rule, &context, &patches),
                patches,
            })
        })
        .collect();
    if !proposals.is_empty()
        && let Some(applied) = all_at_once(page, ruleset, &before, &analysis, &proposals)
    {
        return Ok(Optimization {
            html: applied.html,
            meta_description: applied.meta_description,
            changes: applied.changes,
            dropped: Vec::new(),
            before,
            after: applied.after,
        });
    }
    one_at_a_time(page, ruleset, before, analysis, proposals)
}

/// A rule's patches and the scores it predicts, before it is measured.
struct Proposal {
    rule: RuleId,
    patches: Vec<Patch>,
    assessments: Vec<Prediction>,
}

/// The meta description after `patches`: the last one they set, or `current`.
fn meta_description_after<'a>(
    patches: impl DoubleEndedIterator<Item = &'a Patch>,
    current: Option<&str>,
) -> Option<String> {
    patches
        .rev()
        .find_map(|p| match p {
            Patch::SetMetaDescription { text } => Some(text.clone()),
            _ => None,
        })
        .or_else(|| current.map(str::to_owned))
}

/// Every proposal applied together and analysed once, when that one report shows each rule
/// doing exactly what it predicted: no two rules predict the same assessment, every predicted
/// assessment has its predicted score and every other score is as before. Then measuring the
/// rules one after another would find each moving the scores by its prediction, so each rule's
/// measured change is computed from the predictions instead of from a report of its own. `None`
/// when the report differs anywhere or a rule would lower a score: those pages are measured one
/// rule at a time.
fn all_at_once(
    page: &Page<'_>,
    ruleset: &Ruleset,
    before: &Report,
    analysis: &Analysis,
    proposals: &[Proposal],
) -> Option<Applied> {
    let predictions: Vec<&Prediction> = proposals.iter().flat_map(|p| &p.assessments).collect();
    let disjoint = predictions.iter().enumerate().all(|(i, p)| {
        predictions[..i]
            .iter()
            .all(|earlier| earlier.assessment != p.assessment)
    });
    if !disjoint {
        return None;
    }
    let patches = proposals.iter().flat_map(|p| &p.patches);
    let html = patch::apply(page.html, patches.clone()).ok()?;
    let meta_description = meta_description_after(patches, page.meta_description);
    let (after, _) = report_after(
        &Page {
            html: &html,
            meta_description: meta_description.as_deref(),
            ..*page
        },
        ruleset,
        Some(analysis),
    )
    .ok()?;
    let same_assessments = after.seo.assessments.len() == before.seo.assessments.len()
        && after
            .seo
            .assessments
            .iter()
            .zip(&before.seo.assessments)
            .all(|(a, b)| {
                let expected = predictions
                    .iter()
                    .find(|p| p.assessment == b.id)
                    .map_or(b.score, |p| p.after);
                a.id == b.id && a.score == expected
            });
    if !same_assessments
        || after.readability.score != before.readability.score
        || after.engagement.score != before.engagement.score
    {
        return None;
    }
    let mut current = Scores::of(before);
    let mut changes = Vec::with_capacity(proposals.len());
    for proposal in proposals {
        let predicted = predict(&current, &proposal.assessments, ruleset);
        let next = current.with(&proposal.assessments, ruleset);
        let measured = ScoreDelta::between(&current, &next);
        if measured.lowers_any() {
            return None;
        }
        changes.push(Change {
            rule: proposal.rule,
            patches: proposal.patches.clone(),
            assessments: proposal.assessments.clone(),
            predicted,
            measured,
        });
        current = next;
    }
    if (current.seo, current.overall) != (after.seo.score, after.overall) {
        return None;
    }
    Some(Applied {
        html,
        meta_description,
        changes,
        after,
    })
}

/// Every proposal applied, as [`all_at_once`] measured them.
struct Applied {
    html: String,
    meta_description: Option<String>,
    changes: Vec<Change>,
    after: Report,
}

/// The rules measured one after another: each proposal applied with the ones kept before it and
/// the page analysed again; a proposal whose measured change lowers a score is dropped.
fn one_at_a_time(
    page: &Page<'_>,
    ruleset: &Ruleset,
    before: Report,
    analysis: Analysis,
    proposals: Vec<Proposal>,
) -> Result<Optimization, OptimizeError> {
    let mut current = before.clone();
    let mut current_analysis = analysis;
    let mut html = page.html.to_owned();
    let mut meta_description = page.meta_description.map(str::to_owned);
    let mut changes: Vec<Change> = Vec::new();
    let mut dropped = Vec::new();
    for Proposal {
        rule,
        patches,
        assessments,
    } in proposals
    {
        let predicted = predict(&Scores::of(&current), &assessments, ruleset);
        let applied = changes.iter().flat_map(|c| &c.patches).chain(&patches);
        let next_html = patch::apply(page.html, applied)?;
        let next_meta_description =
            meta_description_after(patches.iter(), meta_description.as_deref());
        let (next, next_analysis) = report_after(
            &Page {
                html: &next_html,
                meta_description: next_meta_description.as_deref(),
                ..*page
            },
            ruleset,
            Some(&current_analysis),
        )?;
        let change = Change {
            rule,
            patches,
            assessments,
            predicted,
            measured: ScoreDelta::between(&Scores::of(&current), &Scores::of(&next)),
        };
        if change.measured.lowers_any() {
            dropped.push(change);
            continue;
        }
        changes.push(change);
        html = next_html;
        meta_description = next_meta_description;
        current = next;
        current_analysis = next_analysis;
    }
    Ok(Optimization {
        html,
        meta_description,
        changes,
        dropped,
        before,
        after: current,
    })
}

/// The change in scores from `current` when the assessments take their predicted scores and
/// nothing else moves.
fn predict(current: &Scores, assessments: &[Prediction], ruleset: &Ruleset) -> ScoreDelta {
    ScoreDelta::between(current, &current.with(assessments, ruleset))
}

/// The byte ranges of `html` that neither a rule nor a rewrite may change, in document order:
/// protected elements with their content, comments outside them (Gutenberg's block delimiters
/// among them) and shortcodes. `None` when the tokenizer gives up on `html`.
pub fn protected_regions(html: &str) -> Option<Vec<Range<usize>>> {
    markup::read(html).map(|markup| markup.protected)
}
