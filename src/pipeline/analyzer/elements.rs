//! The element facts the SEO and engagement assessments need and text blocks do not keep: images
//! and their alt text, links with their target, rel and anchor text, buttons, lists and emphasis.
//! One read-only lol_html pass gathers them all, so no assessment parses the HTML again. Elements
//! inside invisible content (noscript fallbacks of lazy-loaded images, templates, svg) are not
//! part of the page a reader sees and are left out.

use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use lol_html::html_content::{Element, EndTag, TextChunk};
use lol_html::{HandlerResult, Settings, doc_text, element, end_tag};

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
    /// Where `href` points, read once: every report classifies each link several times.
    destination: Destination,
}

/// Where an href points, as far as telling a link's kind needs.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Destination {
    /// Relative: on the page's own host.
    Relative,
    /// An http or https URL, with its host when it names one.
    Web(Option<String>),
    /// A fragment, or another scheme.
    Other,
}

impl Destination {
    fn of(href: &str) -> Destination {
        if href.is_empty() || href.starts_with('#') {
            return Destination::Other;
        }
        let absolute = if href.starts_with("//") {
            url::Url::parse(&format!("https:{href}"))
        } else {
            url::Url::parse(href)
        };
        match absolute {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {
                Destination::Web(url.host_str().map(str::to_owned))
            }
            Ok(_) => Destination::Other,
            Err(_) => Destination::Relative,
        }
    }
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
        match (&self.destination, host) {
            (Destination::Other, _) => LinkKind::Other,
            (Destination::Relative, _) => LinkKind::Internal,
            (Destination::Web(Some(target)), Some(own)) if target.eq_ignore_ascii_case(own) => {
                LinkKind::Internal
            }
            (Destination::Web(_), _) => LinkKind::External,
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

/// Elements whose content a reader does not see, sorted.
const INVISIBLE: &[&str] = &[
    "head", "iframe", "math", "noscript", "object", "script", "select", "style", "svg", "template",
    "textarea",
];

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

    /// `settings` with this reader's handlers added. One handler for every element, which tells
    /// them apart by name, costs the parser less than a selector per kind of element: selectors
    /// are parsed and compiled for each pass, and matched against every start tag.
    pub(crate) fn handlers<'h, 's>(&self, settings: Settings<'h, 's>) -> Settings<'h, 's> {
        let on_element = Rc::clone(&self.state);
        let on_text = Rc::clone(&self.state);
        settings
            .append_element_content_handler(element!("*", move |el: &mut Element| {
                let name = el.tag_name();
                if INVISIBLE.binary_search(&name.as_str()).is_ok() {
                    on_element.borrow_mut().invisible += 1;
                    if el.can_have_content() {
                        let on_end = Rc::clone(&on_element);
                        el.on_end_tag(end_tag!(move |_: &mut EndTag| {
                            let mut state = on_end.borrow_mut();
                            state.invisible = state.invisible.saturating_sub(1);
                            Ok(())
                        }))?;
                    }
                    return Ok(());
                }
                if on_element.borrow().invisible > 0 {
                    return Ok(());
                }
                match name.as_str() {
                    "img" => image(&on_element, el),
                    "a" if el.has_attribute("href") => link(&on_element, el)?,
                    "button" => button(&on_element, el)?,
                    "input" if is_button_input(el) => input(&on_element, el),
                    "ul" | "ol" => on_element.borrow_mut().elements.lists += 1,
                    "strong" | "b" => on_element.borrow_mut().elements.bold += 1,
                    "em" | "i" => on_element.borrow_mut().elements.italic += 1,
                    "blockquote" => on_element.borrow_mut().elements.blockquotes += 1,
                    _ => {}
                }
                Ok(())
            }))
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

type Shared = Rc<RefCell<Collector>>;

fn image(state: &Shared, el: &Element) {
    state.borrow_mut().elements.images.push(Image {
        source: el.source_location().bytes(),
        alt: el.get_attribute("alt").map(|alt| decode(&alt)),
    });
}

fn link(state: &Shared, el: &mut Element) -> HandlerResult {
    let rel = el.get_attribute("rel").unwrap_or_default();
    let mut collector = state.borrow_mut();
    let index = collector.elements.links.len();
    let href = decode(el.get_attribute("href").unwrap_or_default().trim());
    collector.elements.links.push(Link {
        source: el.source_location().bytes(),
        destination: Destination::of(&href),
        href,
        nofollow: rel
            .split_ascii_whitespace()
            .any(|r| r.eq_ignore_ascii_case("nofollow")),
        text: String::new(),
    });
    if el.can_have_content() {
        collector.open_links.push(index);
        let on_end = Rc::clone(state);
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
}

fn button(state: &Shared, el: &mut Element) -> HandlerResult {
    let mut collector = state.borrow_mut();
    let index = collector.elements.buttons.len();
    collector.elements.buttons.push(Button {
        source: el.source_location().bytes(),
        text: String::new(),
    });
    collector.open_buttons.push(index);
    let on_end = Rc::clone(state);
    el.on_end_tag(end_tag!(move |end: &mut EndTag| {
        let mut state = on_end.borrow_mut();
        state.open_buttons.retain(|&open| open != index);
        if let Some(button) = state.elements.buttons.get_mut(index) {
            button.source.end = end.source_location().bytes().end;
        }
        Ok(())
    }))?;
    Ok(())
}

/// An `<input>` of type submit or button, the type compared without regard to ASCII case.
fn is_button_input(el: &Element) -> bool {
    el.get_attribute("type").is_some_and(|kind| {
        kind.eq_ignore_ascii_case("submit") || kind.eq_ignore_ascii_case("button")
    })
}

fn input(state: &Shared, el: &Element) {
    state.borrow_mut().elements.buttons.push(Button {
        source: el.source_location().bytes(),
        text: decode(&el.get_attribute("value").unwrap_or_default()),
    });
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
    fn invisible_elements_are_sorted() {
        assert!(INVISIBLE.is_sorted());
    }

    #[test]
    fn anchors_without_href_are_not_links() {
        let facts = elements("<a name=top>Top</a><a href=\"#top\">Back</a>").unwrap();
        let hrefs: Vec<_> = facts.links.iter().map(|l| l.href.as_str()).collect();
        assert_eq!(hrefs, ["#top"]);
    }
}
