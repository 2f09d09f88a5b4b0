//! WordPress shortcodes in text. A shortcode tag (`[gallery ids="1,2"]`) is never linked, and
//! neither is the text of an enclosing shortcode (`[note]…[/note]`), whose handler may use it as
//! anything but prose. Whether a tag encloses is known only from a later closing tag, so tags are
//! read over all text nodes of the document in order; an enclosing shortcode may span elements.

use memchr::memchr;

/// One shortcode tag: in text node `node`, bytes `start..end` of its raw text.
struct Tag<'a> {
    node: usize,
    start: usize,
    end: usize,
    name: &'a str,
    closing: bool,
    self_closing: bool,
}

/// For each text node, the raw byte ranges shortcodes protect.
pub(crate) fn protected_ranges<'a>(
    nodes: impl ExactSizeIterator<Item = &'a str>,
) -> Vec<Vec<(usize, usize)>> {
    let mut lengths = Vec::with_capacity(nodes.len());
    let mut tags = Vec::new();
    for (node, raw) in nodes.enumerate() {
        lengths.push(raw.len());
        tags.extend(tags_in(node, raw));
    }
    let mut ranges = vec![Vec::new(); lengths.len()];
    for (i, tag) in tags.iter().enumerate() {
        if tag.closing {
            continue;
        }
        let close = (!tag.self_closing)
            .then(|| {
                tags[i + 1..]
                    .iter()
                    .find(|t| t.closing && t.name == tag.name)
            })
            .flatten();
        match close {
            Some(close) if close.node == tag.node => {
                ranges[tag.node].push((tag.start, close.end));
            }
            Some(close) => {
                ranges[tag.node].push((tag.start, lengths[tag.node]));
                for (node, length) in lengths
                    .iter()
                    .enumerate()
                    .take(close.node)
                    .skip(tag.node + 1)
                {
                    ranges[node].push((0, *length));
                }
                ranges[close.node].push((0, close.end));
            }
            None => ranges[tag.node].push((tag.start, tag.end)),
        }
    }
    for tag in tags.iter().filter(|t| t.closing) {
        ranges[tag.node].push((tag.start, tag.end));
    }
    ranges
}

fn tags_in(node: usize, raw: &str) -> Vec<Tag<'_>> {
    let mut tags = Vec::new();
    let mut from = 0;
    // Searched bytewise: nearly every node is prose without a bracket, read to its end.
    while let Some(open) = memchr(b'[', &raw.as_bytes()[from..]).map(|i| from + i) {
        from = open + 1;
        let rest = &raw[open + 1..];
        let Some(close) = memchr(b']', rest.as_bytes()) else {
            break;
        };
        let inner = &rest[..close];
        if inner.contains('[') || rest.starts_with('[') {
            continue;
        }
        let (closing, body) = match inner.strip_prefix('/') {
            Some(body) => (true, body),
            None => (false, inner),
        };
        let name_len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(body.len());
        let name = &body[..name_len];
        let after = &body[name_len..];
        let well_formed = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && (after.is_empty() || after.starts_with(char::is_whitespace) || after == "/");
        if !well_formed {
            continue;
        }
        let end = open + 1 + close + 1;
        tags.push(Tag {
            node,
            start: open,
            end,
            name,
            closing,
            self_closing: inner.ends_with('/'),
        });
        from = end;
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::protected_ranges;

    #[test]
    fn enclosing_shortcodes_protect_their_text_across_nodes() {
        let nodes = ["a [note id=1]b", "c", "d[/note] e [gallery] [1] [x/] f"];
        let ranges = protected_ranges(nodes.iter().copied());
        assert_eq!(ranges[0], vec![(2, 14)]);
        assert_eq!(ranges[1], vec![(0, 1)]);
        assert_eq!(ranges[2], vec![(0, 8), (11, 20), (25, 29), (1, 8)]);
    }
}
