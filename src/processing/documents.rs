//! How a stored item becomes the pure pipeline's inputs: a linker document, a link target.

use serde_json::Value;

use crate::pipeline::analyzer::text;
use crate::pipeline::language::Language;
use crate::pipeline::linker::{Document, Target, TargetId};
use crate::store::pipeline::{LinkTargetRow, PipelineItem};

/// The language of an item: its own tag when the analyzer knows it, else English, the language
/// the pipeline supports fully.
pub fn language_of(tag: Option<&str>) -> Language {
    tag.and_then(Language::from_locale)
        .unwrap_or(Language::English)
}

/// The linker's view of an item.
pub fn document(item: &PipelineItem) -> Document {
    Document {
        id: Some(TargetId(item.id.get())),
        html: item.content_raw.clone(),
        url: item.external_url.clone().unwrap_or_default(),
        focus_keyphrase: item.focus_keyphrase.clone(),
        categories: term_ids(&item.categories),
        tags: term_ids(&item.tags),
    }
}

/// The index's view of a target row; `None` for a row that is not a target.
pub fn target(row: &LinkTargetRow) -> Option<Target> {
    if !row.is_target {
        return None;
    }
    Some(Target {
        id: TargetId(row.id.get()),
        url: row.url.clone()?,
        title: row.title.clone(),
        focus_keyphrase: row.focus_keyphrase.clone(),
        cluster_keywords: Vec::new(),
        categories: term_ids(&row.categories),
        tags: term_ids(&row.tags),
        cornerstone: row.is_cornerstone,
        text: plain_text(&row.content_raw),
    })
}

/// The visible text of a body, block by block; empty when the HTML cannot be read.
pub fn plain_text(html: &str) -> String {
    text::blocks(html)
        .map(|blocks| {
            blocks
                .iter()
                .map(|block| block.text.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The ids of stored terms (`[{"id", "name"}]`).
pub fn term_ids(terms: &Value) -> Vec<String> {
    terms
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|term| term.get("id").and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}
