//! The element facts the SEO and engagement assessments need and text blocks do not keep: images
//! and their alt text, links with their target, rel and anchor text, buttons, lists and emphasis.
//! One read-only pass gathers them all, so no assessment parses the HTML again. Elements
//! inside invisible content (noscript fallbacks of lazy-loaded images, templates, svg) are not
//! part of the page a reader sees and are left out.

use std::ops::Range;

use super::text::{TextError, is_hidden_element};
use crate::pipeline::html::{self, Reader, StartTag};

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
        let after_slashes = href
            .strip_prefix("https://")
            .or_else(|| href.strip_prefix("http://"))
            .or_else(|| href.strip_prefix("//"));
        match after_slashes.and_then(plain_host) {
            Some(host) => Destination::Web(Some(host.to_owned())),
            None => Destination::parsed(href),
        }
    }

    /// [`Destination::of`] a non-empty href that is not a fragment, read by the URL parser.
    fn parsed(href: &str) -> Destination {
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

/// The host at the start of `rest` (a URL after its `//`) when it is written the plainest way:
/// lower-case letters, digits and hyphens in dot-separated labels, the last starting with a
/// letter, no punycode, and nothing but a path, query or fragment after it. The URL parser reads
/// such a host as written, and most links are written so; anything else (a port, user info,
/// upper case, an IP address, an international name) is left to the parser.
fn plain_host(rest: &str) -> Option<&str> {
    let host = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let plain_label = |label: &str| {
        !label.is_empty()
            && !label.starts_with("xn--")
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let last_starts_with_letter = host
        .rsplit('.')
        .next()
        .and_then(|label| label.bytes().next())
        .is_some_and(|b| b.is_ascii_lowercase());
    (last_starts_with_letter && host.split('.').all(plain_label)).then_some(host)
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

/// What an open element that can have content is to the facts, until it ends.
#[derive(Clone, Copy)]
enum Open {
    Invisible,
    /// The link at this index of [`Elements::links`].
    Link(usize),
    /// The button at this index of [`Elements::buttons`].
    Button(usize),
    Other,
}

/// Reads the element facts of `html`.
pub fn elements(html: &str) -> Result<Elements, TextError> {
    Ok(html::read(html, ElementReader::new)?.finish())
}

/// Gathers element facts from a pass, which may feed other readers too.
#[derive(Default)]
pub(crate) struct ElementReader {
    elements: Elements,
    invisible: usize,
    open: Vec<Open>,
    open_links: Vec<usize>,
    open_buttons: Vec<usize>,
}

impl ElementReader {
    pub(crate) fn new() -> Self {
        ElementReader::default()
    }

    /// The facts read, once the pass is done.
    pub(crate) fn finish(self) -> Elements {
        self.elements
    }

    /// What `tag`, outside invisible content, is to the facts.
    fn visible(&mut self, tag: &StartTag<'_>) -> Open {
        let facts = &mut self.elements;
        match tag.name {
            "img" => facts.images.push(Image {
                source: tag.source.clone(),
                alt: tag.attribute("alt").map(decode),
            }),
            "a" if tag.has_attribute("href") => {
                let rel = tag.attribute("rel").unwrap_or_default();
                let href = decode(tag.attribute("href").unwrap_or_default().trim());
                facts.links.push(Link {
                    source: tag.source.clone(),
                    destination: Destination::of(&href),
                    href,
                    nofollow: rel
                        .split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("nofollow")),
                    text: String::new(),
                });
                let index = facts.links.len() - 1;
                self.open_links.push(index);
                return Open::Link(index);
            }
            "button" => {
                facts.buttons.push(Button {
                    source: tag.source.clone(),
                    text: String::new(),
                });
                let index = facts.buttons.len() - 1;
                self.open_buttons.push(index);
                return Open::Button(index);
            }
            "input" if is_button_input(tag) => facts.buttons.push(Button {
                source: tag.source.clone(),
                text: decode(tag.attribute("value").unwrap_or_default()),
            }),
            "ul" | "ol" => facts.lists += 1,
            "strong" | "b" => facts.bold += 1,
            "em" | "i" => facts.italic += 1,
            "blockquote" => facts.blockquotes += 1,
            _ => {}
        }
        Open::Other
    }
}

/// One handler for every element, which tells them apart by name.
impl Reader<'_> for ElementReader {
    fn start(&mut self, tag: &StartTag<'_>) {
        let open = if is_hidden_element(tag.name) {
            self.invisible += 1;
            Open::Invisible
        } else if self.invisible > 0 {
            Open::Other
        } else {
            self.visible(tag)
        };
        // Links and buttons always can.
        if tag.can_have_content {
            self.open.push(open);
        }
    }

    fn end(&mut self, _closer: &str, source: Range<usize>) {
        match self.open.pop() {
            Some(Open::Invisible) => self.invisible = self.invisible.saturating_sub(1),
            Some(Open::Link(index)) => {
                self.open_links.retain(|&open| open != index);
                self.elements.links[index].source.end = source.end;
            }
            Some(Open::Button(index)) => {
                self.open_buttons.retain(|&open| open != index);
                self.elements.buttons[index].source.end = source.end;
            }
            Some(Open::Other) | None => {}
        }
    }

    fn text(&mut self, raw: &str, _source: Range<usize>, _prose: bool) {
        if self.invisible > 0 || (self.open_links.is_empty() && self.open_buttons.is_empty()) {
            return;
        }
        let text = decode(raw);
        for &index in &self.open_links {
            self.elements.links[index].text.push_str(&text);
        }
        for &index in &self.open_buttons {
            self.elements.buttons[index].text.push_str(&text);
        }
    }

    fn comment(&mut self, _text: &str, _source: Range<usize>) {}
}

/// An `<input>` of type submit or button, the type compared without regard to ASCII case.
fn is_button_input(tag: &StartTag<'_>) -> bool {
    tag.attribute("type").is_some_and(|kind| {
        kind.eq_ignore_ascii_case("submit") || kind.eq_ignore_ascii_case("button")
    })
}

fn decode(raw: &str) -> String {
    html_escape::decode_html_entities(raw).into_owned()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn plain_hosts_are_read_without_the_parser() {
        assert_eq!(
            plain_host("tea.example.com/menu?x"),
            Some("tea.example.com")
        );
        for other in [
            "Tea.example.com/",
            "example.com:8080/",
            "127.0.0.1/",
            "xn--bcher-kva.de",
        ] {
            assert_eq!(plain_host(other), None, "{other}");
        }
    }

    proptest! {
        #[test]
        fn plain_hosts_are_read_as_the_url_parser_reads_them(
            href in "(https?://|//)((xn--)?[a-z0-9-]{0,4}\\.?){0,4}([A-Z@:_.]|[0-9]{1,3})?([/?#\\\\][a-z/?#]{0,8})?"
        ) {
            prop_assert_eq!(Destination::of(&href), Destination::parsed(&href));
        }
    }

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
