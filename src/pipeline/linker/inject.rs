//! Writing links into a document and taking them out again, through lol_html text nodes. Only
//! the chosen text nodes are touched, and in them only `<a …>` and `</a>` are added around the
//! anchor's raw bytes, so every other byte of the document (entities, white space, comments,
//! attributes) is written back exactly as it was read.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use lol_html::{RewriteStrSettings, doc_text, element, rewrite_str};

use super::scan::MARKER;

/// One link to write: raw bytes `start..end` of the text node at input offset `node` are wrapped
/// in `open` and `</a>`.
pub(crate) struct Insertion {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) open: String,
}

pub(crate) const CLOSE: &str = "</a>";

/// The start tag of an inserted link.
pub(crate) fn open_tag(url: &str, marker: &str) -> String {
    format!(
        "<a href=\"{}\" {MARKER}=\"{}\">",
        escape_attribute(url),
        escape_attribute(marker)
    )
}

fn escape_attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// The text node being read: its insertions and, when there are some, its raw text so far.
struct OpenNode<'a> {
    insertions: Option<&'a [Insertion]>,
    raw: String,
}

/// `html` with the insertions made; the map is keyed by the input offset of each text node and
/// its insertions are in order and do not overlap. `None` when the tokenizer gives up.
pub(crate) fn inject(html: &str, by_node: &BTreeMap<usize, Vec<Insertion>>) -> Option<String> {
    let current: Rc<RefCell<Option<OpenNode<'_>>>> = Rc::default();
    let settings = RewriteStrSettings::new()
        .with_strict(false)
        .with_enable_esi_tags(false)
        .append_document_content_handler(doc_text!(move |chunk| {
            let mut current = current.borrow_mut();
            let start = chunk.source_location().bytes().start;
            let OpenNode { insertions, raw } = current.get_or_insert_with(|| OpenNode {
                insertions: by_node.get(&start).map(Vec::as_slice),
                raw: String::new(),
            });
            if let Some(insertions) = insertions {
                raw.push_str(chunk.as_str());
                if chunk.last_in_text_node() {
                    chunk.set_str(wrap(raw, insertions));
                } else {
                    chunk.set_str(String::new());
                }
            }
            if chunk.last_in_text_node() {
                *current = None;
            }
            Ok(())
        }));
    rewrite_str(html, settings).ok()
}

fn wrap(raw: &str, insertions: &[Insertion]) -> String {
    let extra: usize = insertions.iter().map(|i| i.open.len() + CLOSE.len()).sum();
    let mut out = String::with_capacity(raw.len() + extra);
    let mut at = 0;
    for insertion in insertions {
        out.push_str(&raw[at..insertion.start]);
        out.push_str(&insertion.open);
        out.push_str(&raw[insertion.start..insertion.end]);
        out.push_str(CLOSE);
        at = insertion.end;
    }
    out.push_str(&raw[at..]);
    out
}

/// `html` without the links this linker inserted whose `data-igny8-link` value satisfies
/// `remove`; their text stays. Links a person wrote are never touched. A document the tokenizer
/// gives up on is returned as it was.
pub fn remove_links(html: &str, remove: impl Fn(&str) -> bool) -> String {
    let settings = RewriteStrSettings::new()
        .with_strict(false)
        .with_enable_esi_tags(false)
        .append_element_content_handler(element!("a[data-igny8-link]", |el| {
            if el
                .get_attribute(MARKER)
                .is_some_and(|marker| remove(&marker))
            {
                el.remove_and_keep_content();
            }
            Ok(())
        }));
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_owned())
}
