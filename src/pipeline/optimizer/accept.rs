//! The check a rewrite of a page's HTML must pass to be kept, whoever made it: every protected
//! region (code, pre, script, style, shortcodes, comments) comes back byte for byte and in the
//! same order, and no score (SEO, readability, engagement, overall) is lower than before.

use serde::Serialize;

use super::markup;
use crate::pipeline::analyzer::{Page, Report, report};
use crate::pipeline::ruleset::Ruleset;

/// Which score a rewrite lowered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Score {
    Seo,
    Readability,
    Engagement,
    Overall,
}

/// Why a rewrite is not kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Rejection {
    #[error("the HTML could not be read")]
    Unreadable,
    /// `index` is the first protected region, in document order, that differs or is missing.
    #[error("protected region {index} was changed")]
    ProtectedChanged { index: usize },
    #[error("the {score:?} score dropped from {before} to {after}")]
    ScoreDropped { score: Score, before: u8, after: u8 },
}

/// The report of `after_html` when it may replace `before`'s HTML.
pub fn accept_rewrite(
    before: &Page<'_>,
    after_html: &str,
    ruleset: &Ruleset,
) -> Result<Report, Rejection> {
    let regions = |html: &str| -> Result<Vec<String>, Rejection> {
        let markup = markup::read(html).ok_or(Rejection::Unreadable)?;
        Ok(markup
            .protected
            .into_iter()
            .map(|range| html[range].to_owned())
            .collect())
    };
    let (old, new) = (regions(before.html)?, regions(after_html)?);
    if old != new {
        let index = old
            .iter()
            .zip(&new)
            .position(|(o, n)| o != n)
            .unwrap_or(old.len().min(new.len()));
        return Err(Rejection::ProtectedChanged { index });
    }
    let old = report(before, ruleset).map_err(|_| Rejection::Unreadable)?;
    let new = report(
        &Page {
            html: after_html,
            ..*before
        },
        ruleset,
    )
    .map_err(|_| Rejection::Unreadable)?;
    let scores = [
        (Score::Seo, old.seo.score, new.seo.score),
        (
            Score::Readability,
            old.readability.score,
            new.readability.score,
        ),
        (
            Score::Engagement,
            old.engagement.score,
            new.engagement.score,
        ),
        (Score::Overall, old.overall, new.overall),
    ];
    if let Some(&(score, before, after)) = scores.iter().find(|(_, b, a)| a < b) {
        return Err(Rejection::ScoreDropped {
            score,
            before,
            after,
        });
    }
    Ok(new)
}
