//! The first, read-only pass over a document: its text nodes with their raw bytes and input
//! offsets, whether each may carry a link, which paragraph it is in, and the links already there.
//!
//! Protection is by ancestry as the tokenizer reports it, not by pattern over markup, so nested
//! containers cannot end a protected region early. A protected element whose end tag never comes
//! protects the rest of the document: when unsure, no link.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use lol_html::errors::RewritingError;
use lol_html::html_content::{Element, TextChunk, TextType};
use lol_html::{HtmlRewriter, Settings, doc_text, element};

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
pub(crate) struct TextNode<'h> {
    /// Byte offset of the node in the input.
    pub(crate) start: usize,
    /// The node's bytes in the input, character references and all.
    pub(crate) raw: &'h str,
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
pub(crate) struct Scan<'h> {
    pub(crate) nodes: Vec<TextNode<'h>>,
    /// Every `href` of an `<a>`, as written, and whether that link carries the marker.
    pub(crate) hrefs: Vec<(String, bool)>,
    pub(crate) marked: Vec<MarkedLink>,
}

/// A text node while the pass runs: where it is rather than its bytes, since the handlers of end
/// tags may not borrow the input.
struct NodeAt {
    range: Range<usize>,
    linkable: bool,
    prose: bool,
    paragraph: usize,
}

#[derive(Default)]
struct Found {
    nodes: Vec<NodeAt>,
    hrefs: Vec<(String, bool)>,
    marked: Vec<MarkedLink>,
}

#[derive(Default)]
struct State {
    found: Found,
    protected_depth: usize,
    paragraph: usize,
    /// Index into `found.marked` of the marked link being read.
    in_marked: Option<usize>,
    node: NodeChunks,
}

/// A text node put together from the chunks the tokenizer hands over one after another.
#[derive(Default)]
pub(crate) struct NodeChunks {
    /// Where the node being read starts and ends so far, and whether it is prose.
    node: Option<(usize, usize, bool)>,
}

impl NodeChunks {
    /// Adds `chunk`; when it is its node's last, the node's bytes in the input, which the
    /// tokenizer hands over unchanged, and whether it is prose.
    pub(crate) fn add(&mut self, chunk: &TextChunk<'_>) -> Option<(Range<usize>, bool)> {
        let location = chunk.source_location().bytes();
        let prose = chunk.text_type() == TextType::Data;
        let (_, end, _) = self
            .node
            .get_or_insert((location.start, location.start, prose));
        // A node's last chunk may be empty, and where it says it is then tells nothing.
        if !chunk.as_str().is_empty() {
            *end = location.end;
        }
        if !chunk.last_in_text_node() {
            return None;
        }
        let (start, end, prose) = self.node.take()?;
        Some((start..end, prose))
    }
}

/// Runs `settings`' handlers over `html` in one pass of the tokenizer, in its non-strict mode.
/// Nothing is rewritten, so the output is thrown away rather than built.
pub(crate) fn read(html: &str, settings: Settings<'_, '_>) -> Result<(), RewritingError> {
    let mut rewriter = HtmlRewriter::new(
        settings.with_strict(false).with_enable_esi_tags(false),
        |_: &[u8]| {},
    );
    rewriter.write(html.as_bytes())?;
    rewriter.end()
}

/// Reads `html`; `None` when the tokenizer gives up on it, in which case nothing is linked.
pub(crate) fn scan(html: &str) -> Option<Scan<'_>> {
    let state = Rc::new(RefCell::new(State::default()));
    let on_element = state.clone();
    let on_text = state.clone();
    let settings = Settings::new()
        .append_element_content_handler(element!("*", move |el| {
            open(&on_element, el);
            Ok(())
        }))
        .append_document_content_handler(doc_text!(move |chunk| {
            let mut s = on_text.borrow_mut();
            let Some((range, prose)) = s.node.add(chunk) else {
                return Ok(());
            };
            let raw = html.get(range.clone()).unwrap_or_default();
            if !raw.is_empty() {
                let node = NodeAt {
                    range,
                    linkable: prose && s.protected_depth == 0,
                    prose,
                    paragraph: s.paragraph,
                };
                if let Some(i) = s.in_marked {
                    s.found.marked[i].raw_text.push_str(raw);
                }
                s.found.nodes.push(node);
            }
            Ok(())
        }));
    read(html, settings).ok()?;
    let found = Rc::try_unwrap(state).ok()?.into_inner().found;
    let nodes = found
        .nodes
        .into_iter()
        .map(|node| TextNode {
            start: node.range.start,
            raw: &html[node.range],
            linkable: node.linkable,
            prose: node.prose,
            paragraph: node.paragraph,
        })
        .collect();
    Some(Scan {
        nodes,
        hrefs: found.hrefs,
        marked: found.marked,
    })
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
            s.found.hrefs.push((href, marked));
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
        s.found.marked.push(MarkedLink {
            raw_text: String::new(),
            paragraph,
        });
        s.in_marked = Some(s.found.marked.len() - 1);
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
