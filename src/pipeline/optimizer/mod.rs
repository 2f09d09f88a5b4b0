//! The optimizer: deterministic rules that improve a page without AI, each proposing typed
//! patches (`patch`) against the page as given (`markup` reads it, `rules` decides).
//!
//! Patches only rewrite the tags they name; every other byte, protected regions (code, pre,
//! script, style, shortcodes, comments) and attribute order included, is the input's, and a page
//! the optimizer has already processed comes back unchanged.

mod markup;
mod patch;
mod rules;

#[cfg(test)]
mod tests;

use std::ops::{Range, RangeInclusive};

pub use patch::{Patch, PatchError};
pub use rules::RuleId;

use crate::pipeline::analyzer::{TextError, text};
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

/// Why a page could not be optimized.
#[derive(Debug, thiserror::Error)]
pub enum OptimizeError {
    #[error(transparent)]
    Text(#[from] TextError),
    #[error("the HTML could not be read")]
    Unreadable,
    #[error(transparent)]
    Patch(#[from] PatchError),
}

/// The patches of each rule in `options`, in rule order, for a page.
pub fn propose(
    html: &str,
    keyphrase: Option<&str>,
    meta_description: Option<&str>,
    meta_description_range: RangeInclusive<usize>,
    options: &Options,
) -> Result<Vec<(RuleId, Vec<Patch>)>, OptimizeError> {
    let markup = markup::read(html).ok_or(OptimizeError::Unreadable)?;
    let blocks = text::blocks(html)?;
    let context = Context {
        elements: &markup.elements,
        blocks: &blocks,
        keyphrase: keyphrase.filter(|k| !k.trim().is_empty()),
        meta_description,
        meta_description_range,
    };
    Ok(RuleId::ALL
        .into_iter()
        .filter(|rule| options.rules.contains(rule))
        .map(|rule| (rule, rules::patches(rule, &context)))
        .filter(|(_, patches)| !patches.is_empty())
        .collect())
}

/// `html` with `patches` applied.
pub fn apply<'a>(
    html: &str,
    patches: impl IntoIterator<Item = &'a Patch>,
) -> Result<String, PatchError> {
    patch::apply(html, patches)
}

/// The byte ranges of `html` that neither a rule nor a rewrite may change, in document order:
/// protected elements with their content, comments outside them (Gutenberg's block delimiters
/// among them) and shortcodes. `None` when the tokenizer gives up on `html`.
pub fn protected_regions(html: &str) -> Option<Vec<Range<usize>>> {
    markup::read(html).map(|markup| markup.protected)
}
