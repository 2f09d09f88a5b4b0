//! The element facts the SEO and engagement assessments need and text blocks do not keep: images
//! and their alt text, links with their target, rel and anchor text, buttons, lists and emphasis.
//! One read-only lol_html pass gathers them all, so no assessment parses the HTML again. Elements
//! inside invisible content (noscript fallbacks of lazy-loaded images, templates, svg) are not
//! part of the page a reader sees and are left out.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use lol_html::html_content::{Element, EndTag, TextChunk};
use lol_html::{Settings, doc_text, element, end_tag};

use super::text::{TextError, parse};

/// An `<img>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// The start tag's bytes in the source.
    pub source: Range<usize>,
    /// Decoded alt text; `None` without the attribute.
    pub alt: Option<String>,
}

/// An `<a>` with an `href`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// From the start tag to the end tag, both included.
    pub source: Range<usize>,
    /// Decoded, trimmed.
    pub href: String,
    /// `rel` holds `nofollow`.
    pub nofollow: bool,
    /// Decoded anchor text.
    pub text: String,
}

/// Where a link goes, as Yoast tells links apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    /// Relative, or to the page's own host.
    Internal,
    /// To another host over http or https.
    External,
    /// A fragment of the same page, or another scheme (mailto, tel, javascript).
    Other,
}

impl Link {
    /// The kind of this link from a page on `host`; without a host every absolute link is
    /// external.
    pub fn kind(&self, host: Option<&str>) -> LinkKind {
        let href = self.href.as_str();
        if href.is_empty() || href.starts_with('#') {
            return LinkKind::Other;
        }
        let absolute = if href.starts_with("//") {
            url::Url::parse(&format!("https:{href}"))
        } else {
            url::Url::parse(href)
        };
        match absolute {
            Ok(url) if matches!(url.scheme(), "http" | "https") => match (url.host_str(), host) {
                (Some(target), Some(own)) if target.eq_ignore_ascii_case(own) => LinkKind::Internal,
                _ => LinkKind::External,
            },
            Ok(_) => LinkKind::Other,
            Err(_) => LinkKind::Internal,
        }
    }
}

/// A `<button>`, or an `<input>` of type submit or button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    pub source: Range<usize>,
    /// Decoded label.
    pub text: String,
}

/// Element facts of a document, in document order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Elements {
    pub images: Vec<Image>,
    pub links: Vec<Link>,
    pub buttons: Vec<Button>,
    /// `ul` and `ol` elements, nested ones included.
    pub lists: usize,
    /// `strong` and `b`.
    pub bold: usize,
    /// `em` and `i`.
    pub italic: usize,
    pub blockquotes: usize,
}

const INVISIBLE: &str =
    "head, iframe, math, noscript, object, script, select, style, svg, template, textarea";

#[derive(Default)]
struct Collector {
    elements: Elements,
    invisible: usize,
    open_links: Vec<usize>,
    open_buttons: Vec<usize>,
}

/// Reads the element facts of `html`.
pub fn elements(html: &str) -> Result<Elements, TextError> {
    let reader = ElementReader::new();
    parse(html, reader.handlers(Settings::new()))?;
    Ok(reader.finish())
}

/// Gathers element facts from the handlers it adds to a pass, which may feed other readers too.
pub(crate) struct ElementReader {
    state: Rc<RefCell<Collector>>,
}

impl ElementReader {
    pub(crate) fn new() -> Self {
        ElementReader {
            state: Rc::new(RefCell::new(Collector::default())),
        }
    }

    /// `settings` with this reader's handlers added.
    pub(crate) fn handlers<'h, 's>(&self, settings: Settings<'h, 's>) -> Settings<'h, 's> {
        let state = &self.state;
        let on_invisible = Rc::clone(state);
        let on_image = Rc::clone(state);
        let on_link = Rc::clone(state);
        let on_button = Rc::clone(state);
        let on_input = Rc::clone(state);
        let on_format = Rc::clone(state);
        let on_text = Rc::clone(state);
        settings
            .append_element_content_handler(element!(INVISIBLE, move |el: &mut Element| {
                on_invisible.borrow_mut().invisible += 1;
                if el.can_have_content() {
                    let on_end = Rc::clone(&on_invisible);
                    el.on_end_tag(end_tag!(move |_: &mut EndTag| {
                        let mut state = on_end.borrow_mut();
                        state.invisible = state.invisible.saturating_sub(1);
                        Ok(())
                    }))?;
                }
                Ok(())
            }))
            .append_element_content_handler(element!("img", move |el: &mut Element| {
                let mut state = on_image.borrow_mut();
                if state.invisible == 0 {
                    state.elements.images.push(Image {
                        source: el.source_location().bytes(),
                        alt: el.get_attribute("alt").map(|alt| decode(&alt)),
                    });
                }
                Ok(())
            }))
            .append_element_content_handler(element!("a[href]", move |el: &mut Element| {
                let mut state = on_link.borrow_mut();
                if state.invisible > 0 {
                    return Ok(());
                }
                let rel = el.get_attribute("rel").unwrap_or_default();
                let index = state.elements.links.len();
                state.elements.links.push(Link {
                    source: el.source_location().bytes(),
                    href: decode(el.get_attribute("href").unwrap_or_default().trim()),
                    nofollow: rel
                        .split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("nofollow")),
                    text: String::new(),
                });
                if el.can_have_content() {
                    state.open_links.push(index);
                    let on_end = Rc::clone(&on_link);
                    el.on_end_tag(end_tag!(move |end: &mut EndTag| {
                        let mut state = on_end.borrow_mut();
                        state.open_links.retain(|&open| open != index);
                        if let Some(link) = state.elements.links.get_mut(index) {
                            link.source.end = end.source_location().bytes().end;
                        }
                        Ok(())
                    }))?;
                }
                Ok(())
            }))
            .append_element_content_handler(element!("button", move |el: &mut Element| {
                let mut state = on_button.borrow_mut();
                if state.invisible > 0 {
                    return Ok(());
                }
                let index = state.elements.buttons.len();
                state.elements.buttons.push(Button {
                    source: el.source_location().bytes(),
                    text: String::new(),
                });
                state.open_buttons.push(index);
                let on_end = Rc::clone(&on_button);
                el.on_end_tag(end_tag!(move |end: &mut EndTag| {
                    let mut state = on_end.borrow_mut();
                    state.open_buttons.retain(|&open| open != index);
                    if let Some(button) = state.elements.buttons.get_mut(index) {
                        button.source.end = end.source_location().bytes().end;
                    }
                    Ok(())
                }))?;
                Ok(())
            }))
            .append_element_content_handler(element!(
                "input[type=submit i], input[type=button i]",
                move |el: &mut Element| {
                    let mut state = on_input.borrow_mut();
                    if state.invisible == 0 {
                        state.elements.buttons.push(Button {
                            source: el.source_location().bytes(),
                            text: decode(&el.get_attribute("value").unwrap_or_default()),
                        });
                    }
                    Ok(())
                }
            ))
            .append_element_content_handler(element!(
                "ul, ol, strong, b, em, i, blockquote",
                move |el: &mut Element| {
                    let mut state = on_format.borrow_mut();
                    if state.invisible > 0 {
                        return Ok(());
                    }
                    let facts = &mut state.elements;
                    match el.tag_name().as_str() {
                        "ul" | "ol" => facts.lists += 1,
                        "strong" | "b" => facts.bold += 1,
                        "em" | "i" => facts.italic += 1,
                        _ => facts.blockquotes += 1,
                    }
                    Ok(())
                }
            ))
            .append_document_content_handler(doc_text!(move |chunk: &mut TextChunk| {
                let mut state = on_text.borrow_mut();
                if state.invisible > 0
                    || (state.open_links.is_empty() && state.open_buttons.is_empty())
                {
                    return Ok(());
                }
                let text = decode(chunk.as_str());
                let Collector {
                    elements,
                    open_links,
                    open_buttons,
                    ..
                } = &mut *state;
                for &index in open_links.iter() {
                    if let Some(link) = elements.links.get_mut(index) {
                        link.text.push_str(&text);
                    }
                }
                for &index in open_buttons.iter() {
                    if let Some(button) = elements.buttons.get_mut(index) {
                        button.text.push_str(&text);
                    }
                }
                Ok(())
            }))
    }

    /// The facts read, once the pass (and with it every handler) is done.
    pub(crate) fn finish(self) -> Elements {
        Rc::try_unwrap(self.state)
            .map(RefCell::into_inner)
            .unwrap_or_default()
            .elements
    }
}

fn decode(raw: &str) -> String {
    html_escape::decode_html_entities(raw).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_links_and_buttons_with_their_text() {
        let html = concat!(
            "<p><img src=a.png alt=\"Fish &amp; chips\"><img src=b.png>",
            "<a href=\" /menu \" rel=\"noopener NoFollow\">The <b>full</b> menu</a>",
            "<button type=button>Order now</button><input type=SUBMIT value=Send></p>",
            "<noscript><img src=a.png alt=fallback><a href=/x>hidden</a></noscript>",
            "<ul><li><em>one</em></li></ul><blockquote><i>q</i></blockquote>"
        );
        let facts = elements(html).unwrap();
        let alts: Vec<_> = facts.images.iter().map(|i| i.alt.as_deref()).collect();
        assert_eq!(alts, [Some("Fish & chips"), None]);
        assert_eq!(&html[facts.images[1].source.clone()], "<img src=b.png>");
        let link = &facts.links[0];
        assert_eq!(facts.links.len(), 1);
        assert_eq!(
            (link.href.as_str(), link.nofollow, link.text.as_str()),
            ("/menu", true, "The full menu")
        );
        assert!(html[link.source.clone()].starts_with("<a "));
        assert!(html[link.source.clone()].ends_with("menu</a>"));
        let buttons: Vec<_> = facts.buttons.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(buttons, ["Order now", "Send"]);
        assert_eq!(
            (facts.lists, facts.bold, facts.italic, facts.blockquotes),
            (1, 1, 2, 1)
        );
    }

    #[test]
    fn anchors_without_href_are_not_links() {
        let facts = elements("<a name=top>Top</a><a href=\"#top\">Back</a>").unwrap();
        let hrefs: Vec<_> = facts.links.iter().map(|l| l.href.as_str()).collect();
        assert_eq!(hrefs, ["#top"]);
    }
}
