//! Character references in raw text nodes. Matching needs the text a reader sees ("rust&nbsp;async"
//! is two words, not "rust", "nbsp", "async"), while injection must keep the raw bytes, so decoding
//! also returns where every decoded byte came from.

use std::borrow::Cow;

/// Text of one node as a reader sees it, with the raw byte offset of every decoded byte.
pub(crate) struct Decoded<'r> {
    pub(crate) text: Cow<'r, str>,
    /// Raw offsets, `None` when the text is the raw text itself, as it is for most nodes.
    offsets: Option<Offsets>,
}

struct Offsets {
    /// `starts[i]` is the raw offset of the character that decoded byte `i` belongs to;
    /// `starts[text.len()]` is the raw length.
    starts: Vec<usize>,
    /// Where each decoded character ends in the raw text, indexed like `starts`.
    ends: Vec<usize>,
}

impl Decoded<'_> {
    /// The raw byte range of the decoded byte range `start..end` (both on character boundaries).
    pub(crate) fn raw_range(&self, start: usize, end: usize) -> (usize, usize) {
        let Some(offsets) = &self.offsets else {
            return (start, end);
        };
        let raw_start = offsets.starts[start];
        let raw_end = if end == 0 { 0 } else { offsets.ends[end - 1] };
        (raw_start, raw_end)
    }
}

/// Decodes the references that occur in prose. An unknown named reference stays as written: it is
/// then punctuation to the tokenizer, which is what a reader would see too.
pub(crate) fn decode(raw: &str) -> Decoded<'_> {
    // Every reference starts with `&`; without one the text is its own decoding.
    if !raw.contains('&') {
        return Decoded {
            text: Cow::Borrowed(raw),
            offsets: None,
        };
    }
    let mut text = String::with_capacity(raw.len());
    let mut starts = Vec::with_capacity(raw.len() + 1);
    let mut ends = Vec::with_capacity(raw.len() + 1);
    let mut i = 0;
    while i < raw.len() {
        let rest = &raw[i..];
        let (ch, len) = match rest.strip_prefix('&').and_then(reference) {
            Some((ch, len)) => (ch, len + 1),
            None => {
                let ch = rest.chars().next().unwrap_or('\u{fffd}');
                (ch, ch.len_utf8())
            }
        };
        for _ in 0..ch.len_utf8() {
            starts.push(i);
            ends.push(i + len);
        }
        text.push(ch);
        i += len;
    }
    starts.push(raw.len());
    ends.push(raw.len());
    Decoded {
        text: Cow::Owned(text),
        offsets: Some(Offsets { starts, ends }),
    }
}

/// The character a reference (the text after `&`) stands for and the bytes it used, `;` included.
fn reference(after_amp: &str) -> Option<(char, usize)> {
    let semi = after_amp.get(..after_amp.len().min(12))?.find(';')?;
    let body = &after_amp[..semi];
    let ch = if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        char::from_u32(code)?
    } else {
        match body {
            "nbsp" => '\u{a0}',
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "shy" => '\u{ad}',
            "ndash" => '\u{2013}',
            "mdash" => '\u{2014}',
            "lsquo" => '\u{2018}',
            "rsquo" => '\u{2019}',
            "ldquo" => '\u{201c}',
            "rdquo" => '\u{201d}',
            "hellip" => '\u{2026}',
            "auml" => 'ä',
            "ouml" => 'ö',
            "uuml" => 'ü',
            "Auml" => 'Ä',
            "Ouml" => 'Ö',
            "Uuml" => 'Ü',
            "szlig" => 'ß',
            "eacute" => 'é',
            "egrave" => 'è',
            "agrave" => 'à',
            "ccedil" => 'ç',
            _ => return None,
        }
    };
    Some((ch, semi + 1))
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn maps_decoded_ranges_back_to_raw_bytes() {
        let d = decode("rust&nbsp;async &amp; M&uuml;ller &unknown;");
        assert_eq!(d.text, "rust\u{a0}async & Müller &unknown;");
        let start = d.text.find("async").unwrap();
        assert_eq!(d.raw_range(start, start + 5), (10, 15));
        let start = d.text.find("Müller").unwrap();
        assert_eq!(d.raw_range(start, start + "Müller".len()), (22, 33));
    }

    #[test]
    fn text_without_references_maps_to_itself() {
        let d = decode("Grüße aus Köln");
        assert_eq!(d.text, "Grüße aus Köln");
        let start = d.text.find("aus").unwrap();
        assert_eq!(d.raw_range(start, start + 3), (start, start + 3));
    }
}
