//! The readers' events from lol_html, for the documents the small tokenizer declines. lol_html
//! runs in its non-strict mode with ESI tags off, as the linker's injection pass does, and hands
//! its text over in chunks, which are put back together into whole nodes here. Its end-tag
//! handlers must own what they hold, so they only note the end; each next event, and the end of
//! the pass, first hands the noted ends to the reader, which keeps the order of the input.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use lol_html::errors::RewritingError;
use lol_html::html_content::{Element, EndTag, TextChunk, TextType};
use lol_html::{HtmlRewriter, Settings, doc_comments, doc_text, element, end_tag};

use super::reader::{Attribute, Reader, StartTag};

/// Ends noted by end-tag handlers and not yet handed to the reader: the closing tag's name and
/// bytes.
type Ends = Rc<RefCell<Vec<(String, Range<usize>)>>>;

/// Runs `reader` over `html` in one lol_html pass.
pub(super) fn read<'h, R: Reader<'h>>(html: &'h str, reader: R) -> Result<R, RewritingError> {
    let reader = RefCell::new(reader);
    let ends = Ends::default();
    let mut node = NodeChunks::default();
    let settings = Settings::new()
        .with_strict(false)
        .with_enable_esi_tags(false)
        .append_element_content_handler(element!("*", |el: &mut Element| {
            let mut reader = reader.borrow_mut();
            deliver(&ends, &mut *reader);
            start(&mut *reader, &ends, el)
        }))
        .append_document_content_handler(doc_text!(|chunk: &mut TextChunk| {
            if let Some((source, prose)) = node.add(chunk)
                && let Some(raw) = html.get(source.clone()).filter(|raw| !raw.is_empty())
            {
                let mut reader = reader.borrow_mut();
                deliver(&ends, &mut *reader);
                reader.text(raw, source, prose);
            }
            Ok(())
        }))
        .append_document_content_handler(doc_comments!(|comment| {
            let mut reader = reader.borrow_mut();
            deliver(&ends, &mut *reader);
            reader.comment(&comment.text(), comment.source_location().bytes());
            Ok(())
        }));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    rewriter.write(html.as_bytes())?;
    rewriter.end()?;
    let mut reader = reader.into_inner();
    deliver(&ends, &mut reader);
    Ok(reader)
}

fn deliver<'h, R: Reader<'h>>(ends: &Ends, reader: &mut R) {
    for (closer, source) in ends.borrow_mut().drain(..) {
        reader.end(&closer, source);
    }
}

fn start<'h, R: Reader<'h>>(
    reader: &mut R,
    ends: &Ends,
    el: &mut Element<'_, '_>,
) -> lol_html::HandlerResult {
    let name = el.tag_name();
    let written: Vec<(String, String)> = el
        .attributes()
        .iter()
        .map(|a| (a.name_preserve_case(), a.value()))
        .collect();
    let attributes: Vec<Attribute<'_>> = written
        .iter()
        .map(|(name, value)| Attribute { name, value })
        .collect();
    let tag = StartTag {
        name: &name,
        source: el.source_location().bytes(),
        attributes: &attributes,
        can_have_content: el.can_have_content(),
    };
    reader.start(&tag);
    if el.can_have_content() {
        let ends = Rc::clone(ends);
        el.on_end_tag(end_tag!(move |end: &mut EndTag| {
            ends.borrow_mut()
                .push((end.name(), end.source_location().bytes()));
            Ok(())
        }))?;
    }
    Ok(())
}

/// A text node put together from the chunks lol_html hands over one after another.
#[derive(Default)]
struct NodeChunks {
    /// Where the node being read starts and ends so far, and whether it is prose.
    node: Option<(usize, usize, bool)>,
}

impl NodeChunks {
    /// Adds `chunk`; when it is its node's last, the node's bytes in the input, which the
    /// tokenizer hands over unchanged, and whether it is prose.
    fn add(&mut self, chunk: &TextChunk<'_>) -> Option<(Range<usize>, bool)> {
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
