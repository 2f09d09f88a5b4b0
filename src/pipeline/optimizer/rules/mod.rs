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

use std::ops::RangeInclusive;

use serde::Serialize;

use super::markup::Element;
use super::patch::Patch;
use crate::pipeline::analyzer::Block;

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

/// What the rules read.
pub(crate) struct Context<'a> {
    pub(crate) elements: &'a [Element],
    pub(crate) blocks: &'a [Block],
    pub(crate) keyphrase: Option<&'a str>,
    pub(crate) meta_description: Option<&'a str>,
    /// Lengths, in characters, Yoast rates good for a meta description.
    pub(crate) meta_description_range: RangeInclusive<usize>,
}

impl Context<'_> {
    /// Whether `text` holds every word of `keyphrase`, in any order and case.
    pub(crate) fn contains_keyphrase(&self, text: &str, keyphrase: &str) -> bool {
        let words = |s: &str| -> Vec<String> {
            s.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect()
        };
        let text = words(text);
        let keyphrase = words(keyphrase);
        !keyphrase.is_empty() && keyphrase.iter().all(|word| text.contains(word))
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
