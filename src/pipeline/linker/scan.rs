//! The first, read-only pass over a document: its text nodes with their raw bytes and input
//! offsets, whether each may carry a link, which paragraph it is in, and the links already there.
//!
//! Protection is by ancestry as the tokenizer reports it, not by pattern over markup, so nested
//! containers cannot end a protected region early. A protected element whose end tag never comes
//! protects the rest of the document: when unsure, no link.

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::{Element, TextType};
use lol_html::{RewriteStrSettings, doc_text, element, rewrite_str};

/// The attribute that marks links this linker inserted, with the rule or source as its value.
pub const MARKER: &str = "data-igny8-link";

/// Elements whose text never gets a link: links, headings, code, interactive and non-prose
/// elements, figure captions and page chrome.
pub(crate) const PROTECTED: &[&str] = &[
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "script",
    "style",
    "code",
    "pre",
    "kbd",
    "samp",
    "var",
    "textarea",
    "button",
    "label",
    "select",
    "option",
    "title",
    "svg",
    "math",
    "iframe",
    "noscript",
    "template",
    "figcaption",
    "nav",
    "header",
    "footer",
    "aside",
];

/// Elements that begin and end a paragraph for the per-paragraph limit.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "td",
    "th",
    "tr",
    "table",
    "blockquote",
    "section",
    "article",
    "main",
    "figure",
    "figcaption",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "nav",
    "header",
    "footer",
    "aside",
    "hr",
    "form",
    "details",
    "summary",
];

/// A text node as written in the input.
#[derive(Debug, Clone)]
pub(crate) struct TextNode {
    /// Byte offset of the node in the input.
    pub(crate) start: usize,
    pub(crate) raw: String,
    /// Outside every protected element.
    pub(crate) linkable: bool,
    /// Prose a reader sees (not script, style or similar raw text).
    pub(crate) prose: bool,
    pub(crate) paragraph: usize,
}

/// A link this linker inserted on an earlier run.
#[derive(Debug, Clone, Default)]
pub(crate) struct MarkedLink {
    pub(crate) raw_text: String,
    pub(crate) paragraph: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub(crate) nodes: Vec<TextNode>,
    /// Every `href` of an `<a>`, as written, and whether that link carries the marker.
    pub(crate) hrefs: Vec<(String, bool)>,
    pub(crate) marked: Vec<MarkedLink>,
}

#[derive(Default)]
struct State {
    scan: Scan,
    protected_depth: usize,
    paragraph: usize,
    /// Index into `scan.marked` of the marked link being read.
    in_marked: Option<usize>,
    node: Option<(usize, String, bool)>,
}

/// Reads `html`; `None` when the tokenizer gives up on it, in which case nothing is linked.
pub(crate) fn scan(html: &str) -> Option<Scan> {
    let state = Rc::new(RefCell::new(State::default()));
    let on_element = state.clone();
    let on_text = state.clone();
    let settings = RewriteStrSettings::new()
        .with_strict(false)
        .with_enable_esi_tags(false)
        .append_element_content_handler(element!("*", move |el| {
            open(&on_element, el);
            Ok(())
        }))
        .append_document_content_handler(doc_text!(move |chunk| {
            let mut s = on_text.borrow_mut();
            let start = chunk.source_location().bytes().start;
            let prose = chunk.text_type() == TextType::Data;
            let (_, text, _) = s.node.get_or_insert_with(|| (start, String::new(), prose));
            text.push_str(chunk.as_str());
            if chunk.last_in_text_node() {
                let (start, raw, prose) = s.node.take().unwrap_or_default();
                if !raw.is_empty() {
                    let node = TextNode {
                        start,
                        linkable: prose && s.protected_depth == 0,
                        prose,
                        paragraph: s.paragraph,
                        raw,
                    };
                    if let Some(i) = s.in_marked {
                        s.scan.marked[i].raw_text.push_str(&node.raw);
                    }
                    s.scan.nodes.push(node);
                }
            }
            Ok(())
        }));
    rewrite_str(html, settings).ok()?;
    let state = Rc::try_unwrap(state).ok()?.into_inner();
    Some(state.scan)
}

fn open(state: &Rc<RefCell<State>>, el: &mut Element<'_, '_>) {
    let name = el.tag_name();
    let block = BLOCKS.contains(&name.as_str());
    let protected = PROTECTED.contains(&name.as_str())
        || el.has_attribute("data-nolink")
        || el
            .get_attribute("class")
            .is_some_and(|c| c.split_ascii_whitespace().any(|c| c == "no-autolink"));
    let marked = name == "a" && el.has_attribute(MARKER);
    {
        let mut s = state.borrow_mut();
        if block {
            s.paragraph += 1;
        }
        if name == "a"
            && let Some(href) = el.get_attribute("href")
        {
            s.scan.hrefs.push((href, marked));
        }
    }
    let Some(handlers) = el.end_tag_handlers() else {
        return;
    };
    if !(block || protected || marked) {
        return;
    }
    let mut s = state.borrow_mut();
    if protected {
        s.protected_depth += 1;
    }
    if marked {
        let paragraph = s.paragraph;
        s.scan.marked.push(MarkedLink {
            raw_text: String::new(),
            paragraph,
        });
        s.in_marked = Some(s.scan.marked.len() - 1);
    }
    drop(s);
    let state = state.clone();
    handlers.push(Box::new(move |_end| {
        let mut s = state.borrow_mut();
        if block {
            s.paragraph += 1;
        }
        if protected {
            s.protected_depth -= 1;
        }
        if marked {
            s.in_marked = None;
        }
        Ok(())
    }));
}
