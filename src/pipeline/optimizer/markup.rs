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

use std::ops::Range;

use crate::pipeline::html::{self, Reader, StartTag};
use crate::pipeline::linker::scan::PROTECTED;
use crate::pipeline::linker::shortcodes::protected_ranges;

/// Elements the linker protects that rules here are about, so they do not protect their content.
const RULE_TARGETS: &[&str] = &["a", "h1", "h2", "h3", "h4", "h5", "h6"];

/// Elements the pass records.
const RECORDED: &[&str] = &["img", "a", "h1", "h2", "h3", "h4", "h5", "h6"];

/// An element of the document as written.
#[derive(Debug, Clone)]
pub(crate) struct Element {
    /// Lower case.
    pub(crate) name: &'static str,
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
        html::heading_level(self.name)
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

/// What an open element that can have content means to the pass, until it ends.
struct Open {
    protected: bool,
    figure: bool,
    figcaption: bool,
    /// Its index in `elements` when it is recorded.
    recorded: Option<usize>,
}

/// Gathers the markup from a pass, which may feed other readers too.
#[derive(Default)]
pub(crate) struct MarkupReader {
    elements: Vec<Element>,
    /// Where every prose text node is in the input, in order.
    texts: Vec<Range<usize>>,
    open: Vec<Open>,
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
    let reader = html::read(html, MarkupReader::new).ok()?;
    Some(reader.finish(html))
}

impl Reader<'_> for MarkupReader {
    fn start(&mut self, tag: &StartTag<'_>) {
        open(self, tag);
    }

    fn end(&mut self, closer: &str, source: Range<usize>) {
        let Some(open) = self.open.pop() else {
            return;
        };
        if open.protected {
            self.protected_depth -= 1;
            if self.protected_depth == 0 {
                self.protected.push(self.protected_start..source.end);
            }
        }
        if open.figure {
            self.open_figures.pop();
        }
        if open.figcaption {
            self.figcaption_depth -= 1;
        }
        if let Some(index) = open.recorded {
            if closer == self.elements[index].name {
                self.elements[index].end = Some(source);
            }
            // Only a heading is ever the open heading.
            self.open_heading.take_if(|heading| *heading == index);
        }
    }

    fn text(&mut self, raw: &str, source: Range<usize>, prose: bool) {
        if !prose {
            return;
        }
        let in_caption = self.figcaption_depth > 0 && !self.open_figures.is_empty();
        if self.open_heading.is_some() || in_caption {
            let decoded = html_escape::decode_html_entities(raw);
            if let Some(heading) = self.open_heading {
                self.elements[heading].text.push_str(&decoded);
            }
            if self.figcaption_depth > 0
                && let Some(&figure) = self.open_figures.last()
            {
                self.figures[figure].caption.push_str(&decoded);
            }
        }
        self.texts.push(source);
    }

    fn comment(&mut self, text: &str, source: Range<usize>) {
        let text = text.trim();
        if self.protected_depth == 0 {
            self.protected.push(source);
        }
        if text.starts_with("/wp:") {
            self.block_depth = self.block_depth.saturating_sub(1);
        } else if text.starts_with("wp:") && !text.ends_with('/') {
            self.block_depth += 1;
        }
    }
}

impl MarkupReader {
    pub(crate) fn new() -> MarkupReader {
        MarkupReader::default()
    }

    /// What the pass over `html` found, once it is done.
    pub(crate) fn finish(self, html: &str) -> Markup {
        let MarkupReader {
            mut elements,
            texts,
            figures,
            mut protected,
            protected_depth,
            protected_start,
            ..
        } = self;
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
            if inside(element.start.start) || element.end.as_ref().is_some_and(|e| inside(e.start))
            {
                element.editable = false;
            }
        }
        Markup {
            elements,
            protected,
        }
    }
}

/// Text as one line: every run of white space (no-break spaces included) becomes one space.
pub(crate) fn normalize(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    line
}

fn open(s: &mut MarkupReader, tag: &StartTag<'_>) {
    let name = tag.name;
    let protected = PROTECTED.contains(&name) && !RULE_TARGETS.contains(&name);
    let figure = name == "figure";
    let figcaption = name == "figcaption";
    let recorded = RECORDED.iter().find(|&&n| n == name).map(|&name| {
        let previous_heading = s
            .last_heading
            .filter(|_| name == "img")
            .map(|h| normalize(&s.elements[h].text))
            .filter(|text| !text.is_empty());
        s.elements.push(Element {
            name,
            start: tag.source.clone(),
            end: None,
            attributes: tag
                .attributes
                .iter()
                .map(|a| {
                    let value = html_escape::decode_html_entities(a.value).into_owned();
                    (a.name.to_ascii_lowercase(), value)
                })
                .collect(),
            editable: s.protected_depth == 0,
            in_block: s.block_depth > 0,
            caption: None,
            previous_heading,
            text: String::new(),
        });
        s.elements.len() - 1
    });
    if recorded.is_some_and(|i| s.elements[i].heading_level().is_some()) {
        s.open_heading = recorded;
        s.last_heading = recorded;
    }
    if name == "img"
        && let (Some(image), Some(&figure)) = (recorded, s.open_figures.last())
    {
        s.figures[figure].images.push(image);
    }
    if !tag.can_have_content {
        return;
    }
    if protected {
        if s.protected_depth == 0 {
            s.protected_start = tag.source.start;
        }
        s.protected_depth += 1;
    }
    if figure {
        s.figures.push(Figure::default());
        s.open_figures.push(s.figures.len() - 1);
    }
    if figcaption {
        s.figcaption_depth += 1;
    }
    s.open.push(Open {
        protected,
        figure,
        figcaption,
        recorded,
    });
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
