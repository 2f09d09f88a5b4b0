//! `rel="noopener"` on links that open a new window. Without it the opened page can reach back
//! through `window.opener` and navigate this one (reverse tabnabbing). Existing `rel` tokens
//! (`nofollow`, `sponsored`, `noreferrer`, ...) are kept in their order and `noopener` is added
//! after them, so what a link tells search engines does not change. `noreferrer` already
//! implies `noopener`, so such links are left alone. Links in Gutenberg blocks are included: the
//! block editor reads a link's `rel` back from the markup.

use super::Context;
use crate::pipeline::optimizer::patch::Patch;

pub(crate) fn patches(context: &Context<'_>) -> Vec<Patch> {
    context
        .elements
        .iter()
        .filter(|e| e.name == "a" && e.editable)
        .filter(|e| {
            e.attribute("target")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("_blank"))
        })
        .filter_map(|e| {
            let rel = e.attribute("rel").unwrap_or_default();
            let tokens: Vec<&str> = rel.split_ascii_whitespace().collect();
            if tokens
                .iter()
                .any(|t| t.eq_ignore_ascii_case("noopener") || t.eq_ignore_ascii_case("noreferrer"))
            {
                return None;
            }
            let value = tokens
                .into_iter()
                .chain(["noopener"])
                .collect::<Vec<_>>()
                .join(" ");
            Some(Patch::SetAttribute {
                offset: e.start.start,
                element: e.name.to_owned(),
                name: "rel".to_owned(),
                value,
            })
        })
        .collect()
}
