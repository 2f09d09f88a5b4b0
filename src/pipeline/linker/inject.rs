//! Writing links into a document and taking them out again. Links go into text nodes the scan
//! found, around an anchor's raw bytes, so only `<a …>` and `</a>` are added and every other
//! byte of the document (entities, white space, comments, attributes) is written back exactly as
//! it was read. The scan recorded where each node is in the input, so writing is a splice at
//! those offsets rather than a second pass of the tokenizer.

use lol_html::{RewriteStrSettings, element, rewrite_str};

use super::scan::MARKER;

/// One link to write: input bytes `start..end`, inside one text node, are wrapped in `open` and
/// `</a>`.
pub(crate) struct Insertion {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) open: String,
}

pub(crate) const CLOSE: &str = "</a>";

/// The start tag of an inserted link.
pub(crate) fn open_tag(url: &str, marker: &str) -> String {
    let mut tag = String::with_capacity(url.len() + marker.len() + MARKER.len() + 16);
    tag.push_str("<a href=\"");
    push_attribute_value(&mut tag, url);
    tag.push_str("\" ");
    tag.push_str(MARKER);
    tag.push_str("=\"");
    push_attribute_value(&mut tag, marker);
    tag.push_str("\">");
    tag
}

/// Appends `value` escaped for a double-quoted attribute.
fn push_attribute_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            c => out.push(c),
        }
    }
}

/// `html` with the insertions made; they are in input order and do not overlap.
pub(crate) fn inject(html: &str, insertions: &[Insertion]) -> String {
    let extra: usize = insertions.iter().map(|i| i.open.len() + CLOSE.len()).sum();
    let mut out = String::with_capacity(html.len() + extra);
    let mut at = 0;
    for insertion in insertions {
        out.push_str(&html[at..insertion.start]);
        out.push_str(&insertion.open);
        out.push_str(&html[insertion.start..insertion.end]);
        out.push_str(CLOSE);
        at = insertion.end;
    }
    out.push_str(&html[at..]);
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

#[cfg(test)]
mod tests {
    use super::open_tag;

    #[test]
    fn the_start_tag_escapes_what_would_end_or_break_its_attributes() {
        assert_eq!(
            open_tag("https://example.com/?a=1&b=\"2\"<", "rule:7"),
            "<a href=\"https://example.com/?a=1&amp;b=&quot;2&quot;&lt;\" data-igny8-link=\"rule:7\">"
        );
        assert_eq!(
            open_tag("https://example.com/caf\u{e9}", "t&\"<"),
            "<a href=\"https://example.com/caf\u{e9}\" data-igny8-link=\"t&amp;&quot;&lt;\">"
        );
    }
}
