//! The optimizer's rules. Each reads the document as it was given and proposes typed patches
//! against it; none depends on another's output, so any subset can be applied and measured.
//!
//! Empty paragraphs (`<p>&nbsp;</p>`) are deliberately not removed: in the classic editor they
//! are how authors make space, and in the block editor each is a paragraph block whose comments
//! would be left behind, so removing them is neither safe nor a gain in any score.

mod alt_text;
mod headings;
mod lazy_images;
mod meta_description;
mod noopener;

use std::cell::RefCell;

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::markup::Element;
use super::patch::Patch;
use crate::pipeline::analyzer::{Block, Page, Report, SeoAssessmentId, seo_assessment};
use crate::pipeline::ruleset::Ruleset;

/// A rule, in the order rules are applied and measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    AltText,
    Headings,
    MetaDescription,
    Noopener,
    LazyImages,
}

impl RuleId {
    pub const ALL: [RuleId; 5] = [
        RuleId::AltText,
        RuleId::Headings,
        RuleId::MetaDescription,
        RuleId::Noopener,
        RuleId::LazyImages,
    ];
}

/// What the rules read: the page as given, its analysis, and the analyzer to score a text.
pub(crate) struct Context<'a> {
    pub(crate) page: &'a Page<'a>,
    pub(crate) ruleset: &'a Ruleset,
    pub(crate) before: &'a Report,
    pub(crate) elements: &'a [Element],
    pub(crate) blocks: &'a [Block],
    /// The scores [`Context::score_alone`] gave, by assessment and text: a rule asks again of
    /// the texts it proposed when it predicts their scores.
    pub(crate) scores: RefCell<FxHashMap<(SeoAssessmentId, String), Option<i16>>>,
}

impl Context<'_> {
    pub(crate) fn keyphrase(&self) -> Option<&str> {
        self.page.keyphrase.filter(|k| !k.trim().is_empty())
    }

    /// The score the page had in assessment `id`.
    pub(crate) fn score_before(&self, id: SeoAssessmentId) -> Option<i16> {
        self.before.seo.assessment(id).map(|a| a.score)
    }

    /// How the analyzer scores assessment `id` on a page with this page's keyphrase, synonyms
    /// and language but only `html` and `meta_description`: an assessment that reads one text
    /// (an alt, a heading, a description) applied to that text alone, so a rule asks the
    /// analyzer's own keyphrase matching rather than keeping a copy of it.
    fn score_alone(
        &self,
        id: SeoAssessmentId,
        html: &str,
        meta_description: Option<&str>,
    ) -> Option<i16> {
        // Each assessment asked here reads one of the two texts; the other is empty.
        let key = (id, meta_description.unwrap_or(html).to_owned());
        if let Some(&score) = self.scores.borrow().get(&key) {
            return score;
        }
        let page = Page {
            html,
            meta_description,
            ..*self.page
        };
        let score = seo_assessment(&page, self.ruleset, id)
            .ok()
            .flatten()
            .map(|a| a.score);
        self.scores.borrow_mut().insert(key, score);
        score
    }

    /// Whether Yoast's image assessment counts `alt` as holding the keyphrase: alone on a page,
    /// such an image scores 9.
    pub(crate) fn alt_reflects_keyphrase(&self, alt: &str) -> bool {
        let html = format!("<img alt=\"{}\">", escape(alt));
        self.score_alone(SeoAssessmentId::ImageKeyphrase, &html, None) == Some(9)
    }

    /// Whether Yoast's subheading assessment counts a heading of `text` as reflecting the topic:
    /// the only subheading of a page, it scores 9.
    pub(crate) fn heading_reflects_keyphrase(&self, text: &str) -> bool {
        let html = format!("<h2>{}</h2>", escape(text));
        self.score_alone(SeoAssessmentId::SubheadingsKeyphrase, &html, None) == Some(9)
    }

    /// The score of the keyphrase-in-meta-description assessment for `description`.
    pub(crate) fn description_keyphrase_score(&self, description: &str) -> Option<i16> {
        self.score_alone(
            SeoAssessmentId::MetaDescriptionKeyphrase,
            "",
            Some(description),
        )
    }
}

/// Text for an attribute value or element content.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// A new score a rule predicts for one assessment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Prediction {
    pub assessment: SeoAssessmentId,
    pub before: i16,
    pub after: i16,
}

/// The new scores of the assessments `patches` of `rule` change. No two rules change the same
/// assessment, so each prediction holds whichever other rules are applied.
pub(crate) fn predict(rule: RuleId, context: &Context<'_>, patches: &[Patch]) -> Vec<Prediction> {
    match rule {
        RuleId::AltText => alt_text::predict(context, patches),
        RuleId::Headings => headings::predict(context, patches),
        RuleId::MetaDescription => meta_description::predict(context, patches),
        RuleId::Noopener | RuleId::LazyImages => Vec::new(),
    }
}

/// The patches `rule` proposes.
pub(crate) fn patches(rule: RuleId, context: &Context<'_>) -> Vec<Patch> {
    match rule {
        RuleId::AltText => alt_text::patches(context),
        RuleId::Headings => headings::patches(context),
        RuleId::MetaDescription => meta_description::patches(context),
        RuleId::Noopener => noopener::patches(context),
        RuleId::LazyImages => lazy_images::patches(context),
    }
}
