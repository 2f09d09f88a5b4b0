//! Assessments of the page's structure that need no keyphrase: images, text length, outbound
//! and internal links, and a single H1.

use super::super::BlockKind;
use super::super::elements::{Link, LinkKind};
use super::{Context, SeoAssessment, SeoAssessmentId};

/// At least one image.
pub(super) fn images(cx: &Context<'_>) -> SeoAssessment {
    let count = cx.elements.images.len();
    let score = if count >= 1 { 9 } else { 3 };
    SeoAssessment::new(SeoAssessmentId::Images, score, count as f64)
        .thresholds(&[("minimum", 1.0)])
        .evidence(
            cx.elements
                .images
                .iter()
                .map(|i| i.source.clone())
                .collect(),
        )
}

/// Words of the whole text, scored by the profile's bands.
pub(super) fn text_length(cx: &Context<'_>) -> SeoAssessment {
    let words = cx.analysis.readability.words;
    let bands = &cx.rules.text_length;
    let thresholds: Vec<(&'static str, f64)> = bands
        .bands()
        .iter()
        .map(|b| ("min_words", b.min_words as f64))
        .collect();
    SeoAssessment::new(
        SeoAssessmentId::TextLength,
        bands.band(words).score,
        words as f64,
    )
    .thresholds(&thresholds)
}

pub(super) fn outbound_links(cx: &Context<'_>) -> SeoAssessment {
    links(cx, SeoAssessmentId::OutboundLinks, LinkKind::External)
}

pub(super) fn internal_links(cx: &Context<'_>) -> SeoAssessment {
    links(cx, SeoAssessmentId::InternalLinks, LinkKind::Internal)
}

/// Links of one kind: none is bad (3), all nofollowed 7, some 8, all followed 9.
fn links(cx: &Context<'_>, id: SeoAssessmentId, kind: LinkKind) -> SeoAssessment {
    let links: Vec<&Link> = cx
        .elements
        .links
        .iter()
        .filter(|l| l.kind(cx.host) == kind)
        .collect();
    let nofollowed = links.iter().filter(|l| l.nofollow).count();
    let score = if links.is_empty() {
        3
    } else if nofollowed == links.len() {
        7
    } else if nofollowed > 0 {
        8
    } else {
        9
    };
    SeoAssessment::new(id, score, links.len() as f64)
        .thresholds(&[("minimum", 1.0)])
        .evidence(links.iter().map(|l| l.source.clone()).collect())
}

/// The title is the page's H1; another H1 in the body competes with it.
pub(super) fn single_h1(cx: &Context<'_>) -> SeoAssessment {
    let h1s: Vec<_> = cx
        .analysis
        .blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Heading(1))
        .map(|b| b.source_range(0..b.text.len()))
        .collect();
    let score = if h1s.len() >= 2 { 1 } else { 8 };
    SeoAssessment::new(SeoAssessmentId::SingleH1, score, h1s.len() as f64)
        .thresholds(&[("maximum", 1.0)])
        .evidence(h1s)
}
