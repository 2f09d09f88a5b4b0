//! The linker: adds internal links to a document from a site's `LinkIndex`.
//!
//! A document is read once for its text nodes and existing links (`scan`), phrases of the index
//! are found in its linkable text (`matching`), ranked and limited, and the chosen anchors are
//! wrapped in `<a … data-igny8-link="…">` (`inject`). Every byte outside the inserted tags is
//! the input's, and a document the linker has already processed comes back unchanged.

mod entities;
mod index;
mod inject;
mod lexicon;
mod matching;
mod prefetch;
pub(crate) mod scan;
mod scratch;
pub(crate) mod shortcodes;
pub(crate) mod tokens;
mod url;

#[cfg(test)]
mod tests;

pub use index::{ClusterKeyword, KeywordRule, LinkIndex, PhraseSource, Target, TargetId};
pub use inject::remove_links;
pub use scan::MARKER;

use inject::{CLOSE, Insertion, inject, open_tag};

/// The page being linked.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The page's id when it is itself a target of the index: it is never linked to.
    pub id: Option<TargetId>,
    pub html: String,
    /// The page's own URL: relative links are read against it and it is never linked to.
    pub url: String,
    /// No anchor is made of the page's own focus keyphrase, which would compete with it.
    pub focus_keyphrase: Option<String>,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
}

/// How many links a document may get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Links per document, whatever its length.
    pub max_links: usize,
    /// One link per this many words of prose, rounded up.
    pub words_per_link: usize,
    /// Links per paragraph.
    pub per_paragraph: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_links: 10,
            words_per_link: 150,
            per_paragraph: 1,
        }
    }
}

/// A link the linker inserted.
#[derive(Debug, Clone, PartialEq)]
pub struct InsertedLink {
    /// The anchor text as a reader sees it.
    pub anchor: String,
    pub target: TargetId,
    pub url: String,
    pub source: PhraseSource,
    /// The `data-igny8-link` value written with the link.
    pub marker: String,
    pub score: f64,
    /// The stems the anchor matched.
    pub matched_terms: Vec<String>,
    /// Byte offset of the link's `<a` in the output.
    pub offset: usize,
}

/// A linked document and what was done to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Linked {
    pub html: String,
    pub links: Vec<InsertedLink>,
}

/// A link already in a document that points at a page of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExistingLink {
    pub target: TargetId,
    /// Whether this linker inserted it on an earlier run (it carries the marker).
    pub inserted: bool,
}

/// The links of `document` to targets of `index`, in document order. Links elsewhere, to the
/// page itself, or in markup the tokenizer cannot read are left out.
pub fn existing_links(document: &Document, index: &LinkIndex) -> Vec<ExistingLink> {
    let Some(scan) = scan::scan(&document.html) else {
        return Vec::new();
    };
    let base = ::url::Url::parse(&document.url).ok();
    let own_url = url::canonical(None, &document.url);
    scan.hrefs
        .iter()
        .filter_map(|(href, inserted)| {
            let href = url::canonical(base.as_ref(), href)?;
            if Some(&href) == own_url.as_ref() {
                return None;
            }
            let target = index.target_at(&href)?;
            Some(ExistingLink {
                target,
                inserted: *inserted,
            })
        })
        .collect()
}

/// Links `document` to the targets of `index` within `limits`. Markup the HTML tokenizer cannot
/// read comes back unchanged, with no links.
pub fn link(document: &Document, index: &LinkIndex, limits: &Limits) -> Linked {
    let unchanged = || Linked {
        html: document.html.clone(),
        links: Vec::new(),
    };
    let Some(scan) = scan::scan(&document.html) else {
        return unchanged();
    };
    let chosen = matching::choose(document, index, limits, &scan);
    if chosen.is_empty() {
        return unchanged();
    }
    let mut insertions = Vec::with_capacity(chosen.len());
    let mut links = Vec::with_capacity(chosen.len());
    let mut added = 0;
    for candidate in chosen {
        let start = scan.nodes[candidate.node].start + candidate.start;
        let end = scan.nodes[candidate.node].start + candidate.end;
        let Some(target) = index.target(candidate.target) else {
            continue;
        };
        let marker = candidate.source.marker(candidate.target);
        let open = open_tag(&target.url, &marker);
        links.push(InsertedLink {
            anchor: candidate.anchor,
            target: candidate.target,
            url: target.url.clone(),
            source: candidate.source,
            marker,
            score: candidate.score,
            matched_terms: candidate
                .key
                .iter()
                .filter_map(|&id| index.word(id).map(str::to_owned))
                .collect(),
            offset: start + added,
        });
        added += open.len() + CLOSE.len();
        insertions.push(Insertion { start, end, open });
    }
    Linked {
        html: inject(&document.html, &insertions),
        links,
    }
}
