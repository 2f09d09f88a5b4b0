//! The first, read-only pass over a document: its text nodes with their raw bytes and input
//! offsets, whether each may carry a link, which paragraph it is in, and the links already there.
//!
//! Protection is by ancestry as the tokenizer reports it, not by pattern over markup, so nested
//! containers cannot end a protected region early. A protected element whose end tag never comes
//! protects the rest of the document: when unsure, no link.

use std::ops::Range;

use crate::pipeline::html::{self, Reader, StartTag};

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

/// What an open element that can have content means to the scan, until it ends.
struct Open {
    block: bool,
    protected: bool,
    marked: bool,
}

#[derive(Default)]
struct Scanner<'h> {
    scan: Scan<'h>,
    open: Vec<Open>,
    protected_depth: usize,
    paragraph: usize,
    /// Index into `scan.marked` of the marked link being read.
    in_marked: Option<usize>,
}

/// Reads `html`; `None` when the tokenizer gives up on it, in which case nothing is linked.
pub(crate) fn scan(html: &str) -> Option<Scan<'_>> {
    Some(html::read(html, Scanner::default).ok()?.scan)
}

impl<'h> Reader<'h> for Scanner<'h> {
    fn start(&mut self, tag: &StartTag<'_>) {
        let name = tag.name;
        let block = BLOCKS.contains(&name);
        let protected = PROTECTED.contains(&name)
            || tag.has_attribute("data-nolink")
            || tag
                .attribute("class")
                .is_some_and(|c| c.split_ascii_whitespace().any(|c| c == "no-autolink"));
        let marked = name == "a" && tag.has_attribute(MARKER);
        if block {
            self.paragraph += 1;
        }
        if name == "a"
            && let Some(href) = tag.attribute("href")
        {
            self.scan.hrefs.push((href.to_owned(), marked));
        }
        if !tag.can_have_content {
            return;
        }
        if protected {
            self.protected_depth += 1;
        }
        if marked {
            self.scan.marked.push(MarkedLink {
                raw_text: String::new(),
                paragraph: self.paragraph,
            });
            self.in_marked = Some(self.scan.marked.len() - 1);
        }
        self.open.push(Open {
            block,
            protected,
            marked,
        });
    }

    fn end(&mut self, _closer: &str, _source: Range<usize>) {
        let Some(open) = self.open.pop() else {
            return;
        };
        if open.block {
            self.paragraph += 1;
        }
        if open.protected {
            self.protected_depth -= 1;
        }
        if open.marked {
            self.in_marked = None;
        }
    }

    fn text(&mut self, raw: &'h str, source: Range<usize>, prose: bool) {
        if let Some(i) = self.in_marked {
            self.scan.marked[i].raw_text.push_str(raw);
        }
        self.scan.nodes.push(TextNode {
            start: source.start,
            raw,
            linkable: prose && self.protected_depth == 0,
            prose,
            paragraph: self.paragraph,
        });
    }

    fn comment(&mut self, _text: &str, _source: Range<usize>) {}
}
