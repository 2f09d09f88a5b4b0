//! The heading outline: no H1 in the body and no skipped level.
//!
//! WordPress themes print the post title as the page's H1, so every H1 in the body is a second
//! one and becomes an H2 (keeping one of them would still leave two on the page). A heading more
//! than one level below the heading before it is raised to one level below it (H2 then H4
//! becomes H2 then H3, and an H5 under that H4 follows it to H4), so the relative shape of the
//! outline stays. The first heading is read as if it followed the title's H1.
//!
//! Headings that may not be touched (in protected markup, or in a Gutenberg block, whose level
//! lives in the block comment) keep their level and are the reference for the ones after them.
//! So does a heading whose end tag is missing or misnamed, or that holds another heading's tag:
//! after a rename its tags could pair up differently and change where it ends. The result is a
//! fixed point: a second pass finds nothing to change.

use super::{Context, Prediction};
use crate::pipeline::analyzer::{Block, BlockKind, SeoAssessmentId};
use crate::pipeline::optimizer::patch::Patch;

pub(crate) fn patches(context: &Context<'_>) -> Vec<Patch> {
    let mut patches = Vec::new();
    let mut previous = 1;
    for heading in context.elements {
        let Some(level) = heading.heading_level() else {
            continue;
        };
        let end = heading.end.as_ref().filter(|end| {
            heading.editable
                && !heading.in_block
                && !has_heading_tag(&context.page.html[heading.start.end..end.start])
        });
        let Some(end) = end else {
            previous = level;
            continue;
        };
        let to = level.max(2).min(previous + 1);
        if to != level {
            patches.push(Patch::RenameHeading {
                offset: heading.start.start,
                end_offset: end.start,
                from: level,
                to,
            });
        }
        previous = to;
    }
    patches
}

/// Whether `inner` holds anything like a heading tag. Read over raw bytes on purpose: a false
/// match (in a comment, say) only leaves a heading as it is.
fn has_heading_tag(inner: &str) -> bool {
    let bytes = inner.as_bytes();
    bytes.windows(3).enumerate().any(|(i, w)| {
        let after = if w[1] == b'/' {
            bytes.get(i + 2..i + 4)
        } else {
            Some(&w[1..3])
        };
        w[0] == b'<'
            && after
                .is_some_and(|n| n[0].eq_ignore_ascii_case(&b'h') && (b'1'..=b'6').contains(&n[1]))
    })
}

/// What the renames do to Yoast's heading assessments, counted over the analyzer's heading
/// blocks as the assessments count them: every H1 block in a renamed H1 leaves the body, and a
/// block in a heading that becomes an H2 or H3 joins the subheadings the keyphrase is looked
/// for in, reflecting the topic when the analyzer says its text does.
pub(crate) fn predict(context: &Context<'_>, patches: &[Patch]) -> Vec<Prediction> {
    let renamed: Vec<(u8, u8, Vec<&Block>)> = patches
        .iter()
        .filter_map(|patch| match patch {
            Patch::RenameHeading {
                offset,
                end_offset,
                from,
                to,
            } => {
                let heading = context.elements.iter().find(|e| e.start.start == *offset)?;
                let inside = heading.start.end..*end_offset;
                let blocks = context
                    .blocks
                    .iter()
                    .filter(|b| b.kind == BlockKind::Heading(*from))
                    .filter(|b| {
                        let source = b.source_range(0..b.text.len());
                        inside.start <= source.start && source.end <= inside.end
                    })
                    .collect();
                Some((*from, *to, blocks))
            }
            _ => None,
        })
        .collect();
    let mut predictions = Vec::new();
    if let Some(before) = context.before.seo.assessment(SeoAssessmentId::SingleH1) {
        let leaving: usize = renamed
            .iter()
            .filter(|(from, _, _)| *from == 1)
            .map(|(_, _, blocks)| blocks.len())
            .sum();
        let h1s = (before.measured.unwrap_or_default() as usize).saturating_sub(leaving);
        predictions.push(Prediction {
            assessment: before.id,
            before: before.score,
            after: if h1s >= 2 { 1 } else { 8 },
        });
    }
    let subheadings = context
        .before
        .seo
        .assessment(SeoAssessmentId::SubheadingsKeyphrase)
        .filter(|a| a.missing.is_none());
    if let Some(before) = subheadings {
        let is_subheading = |level: u8| matches!(level, 2 | 3);
        let existing = context
            .blocks
            .iter()
            .filter(|b| matches!(b.kind, BlockKind::Heading(level) if is_subheading(level)))
            .count();
        let entering: Vec<&Block> = renamed
            .iter()
            .filter(|(from, to, _)| !is_subheading(*from) && is_subheading(*to))
            .flat_map(|(_, _, blocks)| blocks.iter().copied())
            .collect();
        let count = existing + entering.len();
        let reflecting = before.evidence.len()
            + entering
                .iter()
                .filter(|b| context.heading_reflects_keyphrase(&b.text))
                .count();
        let after = if count == 0 {
            let words = context.before.numbers.words;
            if words > context.ruleset.seo.subheadings_needed_above_words {
                2
            } else {
                9
            }
        } else {
            let share = reflecting as f64 / count as f64 * 100.0;
            if (count == 1 && reflecting == 1) || (30.0..=75.0).contains(&share) {
                9
            } else {
                3
            }
        };
        predictions.push(Prediction {
            assessment: before.id,
            before: before.score,
            after,
        });
    }
    predictions
}
