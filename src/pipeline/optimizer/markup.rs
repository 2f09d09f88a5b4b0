//! The optimizer's read-only pass over a document: the elements its rules look at (images, links,
//! headings), where their tags are in the input, and whether a rule may touch them.
//!
//! An element may be touched when no ancestor is one the linker protects (code, pre, script,
//! style, ...) other than links and headings, which are what some rules are about, and when it
//! does not sit inside an enclosing shortcode. Protection is by ancestry as the tokenizer reports
//! it, as in the linker, so nested markup cannot end a protected region early.
//!
//! Gutenberg block comments are only counted: an element inside a block is marked so, because
//! the block editor checks some of its markup against the attributes in the comment, which the
//! optimizer never rewrites.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use lol_html::html_content::Element as HtmlElement;
use lol_html::{Settings, doc_comments, doc_text, element};

use crate::pipeline::linker::scan::{self, NodeChunks, PROTECTED};
use crate::pipeline::linker::shortcodes::protected_ranges;

/// Elements the linker protects that rules here are about, so they do not protect their content.
const RULE_TARGETS: &[&str] = &["a", "h1", "h2", "h3", "h4", "h5", "h6"];

/// Elements the pass records.
const RECORDED: &[&str] = &["img", "a", "h1", "h2", "h3", "h4", "h5", "h6"];

/// An element of the document as written.
#[derive(Debug, Clone)]
pub(crate) struct Element {
    /// Lower case.
    pub(crate) name: String,
    /// Bytes of the start tag in the input.
    pub(crate) start: Range<usize>,
    /// Bytes of its end tag when one with the same name closed it.
    pub(crate) end: Option<Range<usize>>,
    /// Names in lower case, values with character references decoded, in the order written.
    pub(crate) attributes: Vec<(String, String)>,
    /// No protected ancestor, no enclosing shortcode around it, and neither tag inside a
    /// protected region.
    pub(crate) editable: bool,
    /// Inside a Gutenberg block.
    pub(crate) in_block: bool,
    /// For an image, the text of the caption of the figure it is in.
    pub(crate) caption: Option<String>,
    /// For an image, the text of the nearest heading before it.
    pub(crate) previous_heading: Option<String>,
    /// For a heading, its text.
    pub(crate) text: String,
}

impl Element {
    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The level of a heading, `None` for other elements.
    pub(crate) fn heading_level(&self) -> Option<u8> {
        match self.name.as_bytes() {
            [b'h', level @ b'1'..=b'6'] => Some(level - b'0'),
            _ => None,
        }
    }
}

/// What the pass found.
#[derive(Debug, Clone)]
pub(crate) struct Markup {
    pub(crate) elements: Vec<Element>,
    /// Byte ranges no rule and no rewrite may change, in document order: protected elements
    /// with their content (to the end of the document when their end tag never comes),
    /// comments outside them, and shortcodes.
    pub(crate) protected: Vec<Range<usize>>,
}

#[derive(Default)]
struct Figure {
    caption: String,
    images: Vec<usize>,
}

#[derive(Default)]
struct State {
    elements: Vec<Element>,
    /// Where every prose text node is in the input, in order.
    texts: Vec<Range<usize>>,
    text: NodeChunks,
    protected_depth: usize,
    /// Where the outermost protected element being read starts.
    protected_start: usize,
    protected: Vec<Range<usize>>,
    block_depth: usize,
    figures: Vec<Figure>,
    open_figures: Vec<usize>,
    figcaption_depth: usize,
    /// Index of the heading being read.
    open_heading: Option<usize>,
    last_heading: Option<usize>,
}

/// Reads `html`; `None` when the tokenizer gives up on it, in which case nothing is changed.
pub(crate) fn read(html: &str) -> Option<Markup> {
    let reader = MarkupReader::new();
    scan::read(html, reader.handlers(html, Settings::new())).ok()?;
    Some(reader.finish(html))
}

/// Gathers the markup from the handlers it adds to a pass, which may feed other readers too.
pub(crate) struct MarkupReader {
    state: Rc<RefCell<State>>,
}

impl MarkupReader {
    pub(crate) fn new() -> MarkupReader {
        MarkupReader {
            state: Rc::new(RefCell::new(State::default())),
        }
    }

    /// `settings` with this reader's handlers for a pass over `html` added.
    pub(crate) fn handlers<'h, 's>(
        &self,
        html: &'h str,
        settings: Settings<'h, 's>,
    ) -> Settings<'h, 's> {
        let on_element = self.state.clone();
        let on_text = self.state.clone();
        let on_comment = self.state.clone();
        settings
            .append_element_content_handler(element!("*", move |el| {
                open(&on_element, el);
                Ok(())
            }))
            .append_document_content_handler(doc_text!(move |chunk| {
                let mut s = on_text.borrow_mut();
                let Some((range, prose)) = s.text.add(chunk) else {
                    return Ok(());
                };
                let raw = html.get(range.clone()).unwrap_or_default();
                if !prose || raw.is_empty() {
                    return Ok(());
                }
                let in_caption = s.figcaption_depth > 0 && !s.open_figures.is_empty();
                if s.open_heading.is_some() || in_caption {
                    let decoded = html_escape::decode_html_entities(raw);
                    if let Some(heading) = s.open_heading {
                        s.elements[heading].text.push_str(&decoded);
                    }
                    if s.figcaption_depth > 0
                        && let Some(&figure) = s.open_figures.last()
                    {
                        s.figures[figure].caption.push_str(&decoded);
                    }
                }
                s.texts.push(range);
                Ok(())
            }))
            .append_document_content_handler(doc_comments!(move |comment| {
                let text = comment.text();
                let text = text.trim();
                let mut s = on_comment.borrow_mut();
                if s.protected_depth == 0 {
                    s.protected.push(comment.source_location().bytes());
                }
                if text.starts_with("/wp:") {
                    s.block_depth = s.block_depth.saturating_sub(1);
                } else if text.starts_with("wp:") && !text.ends_with('/') {
                    s.block_depth += 1;
                }
                Ok(())
            }))
    }

    /// What the pass over `html` found, once it is done.
    pub(crate) fn finish(self, html: &str) -> Markup {
        let state = Rc::try_unwrap(self.state)
            .map(RefCell::into_inner)
            .unwrap_or_default();
        finish(state, html)
    }
}

fn finish(state: State, html: &str) -> Markup {
    let State {
        mut elements,
        texts,
        figures,
        mut protected,
        protected_depth,
        protected_start,
        ..
    } = state;
    if protected_depth > 0 {
        protected.push(protected_start..html.len());
    }
    for figure in figures {
        let caption = normalize(&figure.caption);
        if caption.is_empty() {
            continue;
        }
        for image in figure.images {
            elements[image].caption = Some(caption.clone());
        }
    }
    for element in &mut elements {
        element.text = normalize(&element.text);
    }
    let texts: Vec<(usize, &str)> = texts
        .into_iter()
        .map(|range| (range.start, &html[range]))
        .collect();
    protected.extend(protect_shortcodes(&mut elements, &texts));
    protected.sort_by_key(|range| (range.start, range.end));
    protected.dedup();
    // Markup the tokenizer closes oddly (`<h1><figcaption></h1>`) can put a tag of an element
    // outside protected ancestors inside a protected region; such an element is left alone.
    let reach: Vec<usize> = protected
        .iter()
        .scan(0, |reach, range| {
            *reach = range.end.max(*reach);
            Some(*reach)
        })
        .collect();
    let inside = |at: usize| {
        let starting_before = protected.partition_point(|range| range.start <= at);
        starting_before > 0 && reach[starting_before - 1] > at
    };
    for element in &mut elements {
        if inside(element.start.start) || element.end.as_ref().is_some_and(|e| inside(e.start)) {
            element.editable = false;
        }
    }
    Markup {
        elements,
        protected,
    }
}

/// Text as one line: every run of white space (no-break spaces included) becomes one space.
pub(crate) fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn open(state: &Rc<RefCell<State>>, el: &mut HtmlElement<'_, '_>) {
    let name = el.tag_name();
    let protected = PROTECTED.contains(&name.as_str()) && !RULE_TARGETS.contains(&name.as_str());
    let figure = name == "figure";
    let figcaption = name == "figcaption";
    let mut s = state.borrow_mut();
    let recorded = RECORDED.contains(&name.as_str()).then(|| {
        let previous_heading = s
            .last_heading
            .map(|h| normalize(&s.elements[h].text))
            .filter(|text| !text.is_empty());
        let (editable, in_block) = (s.protected_depth == 0, s.block_depth > 0);
        s.elements.push(Element {
            name: name.clone(),
            start: el.source_location().bytes(),
            end: None,
            attributes: el
                .attributes()
                .iter()
                .map(|a| {
                    let value = html_escape::decode_html_entities(&a.value()).into_owned();
                    (a.name(), value)
                })
                .collect(),
            editable,
            in_block,
            caption: None,
            previous_heading: (name == "img").then_some(previous_heading).flatten(),
            text: String::new(),
        });
        s.elements.len() - 1
    });
    let heading = recorded.filter(|&i| s.elements[i].heading_level().is_some());
    if let Some(heading) = heading {
        s.open_heading = Some(heading);
        s.last_heading = Some(heading);
    }
    if name == "img"
        && let (Some(image), Some(&figure)) = (recorded, s.open_figures.last())
    {
        s.figures[figure].images.push(image);
    }
    drop(s);
    let start = el.source_location().bytes().start;
    let Some(handlers) = el.end_tag_handlers() else {
        if let Some(heading) = heading {
            state
                .borrow_mut()
                .open_heading
                .take_if(|open| *open == heading);
        }
        return;
    };
    let mut s = state.borrow_mut();
    if protected {
        if s.protected_depth == 0 {
            s.protected_start = start;
        }
        s.protected_depth += 1;
    }
    if figure {
        s.figures.push(Figure::default());
        let index = s.figures.len() - 1;
        s.open_figures.push(index);
    }
    if figcaption {
        s.figcaption_depth += 1;
    }
    drop(s);
    let state = state.clone();
    handlers.push(Box::new(move |end| {
        let mut s = state.borrow_mut();
        if protected {
            s.protected_depth -= 1;
            if s.protected_depth == 0 {
                let range = s.protected_start..end.source_location().bytes().end;
                s.protected.push(range);
            }
        }
        if figure {
            s.open_figures.pop();
        }
        if figcaption {
            s.figcaption_depth -= 1;
        }
        if let Some(index) = recorded
            && end.name() == s.elements[index].name
        {
            s.elements[index].end = Some(end.source_location().bytes());
        }
        if let Some(heading) = heading {
            s.open_heading.take_if(|open| *open == heading);
        }
        Ok(())
    }));
}

/// Marks elements inside an enclosing shortcode (`[note]<img …>[/note]`) as not editable, and
/// returns the input ranges of shortcodes. Such an element lies between two text nodes where the
/// first one's protected range runs to its end and the next one's starts at its beginning.
fn protect_shortcodes(elements: &mut [Element], texts: &[(usize, &str)]) -> Vec<Range<usize>> {
    let ranges = protected_ranges(texts.iter().map(|&(_, raw)| raw));
    let enclosed_after: Vec<bool> = (0..texts.len())
        .map(|i| {
            let runs_to_end = ranges[i]
                .iter()
                .any(|&(start, end)| end == texts[i].1.len() && start < end);
            let next_starts = ranges
                .get(i + 1)
                .is_some_and(|next| next.iter().any(|&(start, _)| start == 0));
            runs_to_end && next_starts
        })
        .collect();
    for element in elements {
        let before = texts.partition_point(|(start, _)| *start < element.start.start);
        if before > 0 && enclosed_after[before - 1] {
            element.editable = false;
        }
    }
    let gaps = enclosed_after
        .iter()
        .enumerate()
        .filter(|&(_, &enclosed)| enclosed)
        .filter_map(|(i, _)| {
            let (start, raw) = &texts[i];
            Some(start + raw.len()..texts.get(i + 1)?.0)
        });
    ranges
        .iter()
        .zip(texts)
        .flat_map(|(node, (offset, _))| {
            node.iter()
                .map(move |&(start, end)| offset + start..offset + end)
        })
        .chain(gaps)
        .collect()
}
