//! Character references in raw text nodes. Matching needs the text a reader sees ("rust&nbsp;async"
//! is two words, not "rust", "nbsp", "async"), while injection must keep the raw bytes, so decoding
//! also returns where every decoded byte came from.

use std::borrow::Cow;

use memchr::memchr;

/// Text of one node as a reader sees it, and where its bytes came from in the raw text.
pub(crate) struct Decoded<'r> {
    pub(crate) text: Cow<'r, str>,
    /// The decoded references in order, empty when the text is the raw text itself, as it is
    /// for most nodes. Text between references is copied byte for byte, so these alone map a
    /// decoded offset back to a raw one.
    references: Vec<Reference>,
}

/// One reference: where its character starts and ends in the decoded text, and where the
/// reference ends in the raw text (its start follows from the text before it).
struct Reference {
    decoded_start: usize,
    decoded_end: usize,
    raw_end: usize,
}

impl Decoded<'_> {
    /// The raw byte range of the decoded byte range `start..end` (both on character boundaries).
    pub(crate) fn raw_range(&self, start: usize, end: usize) -> (usize, usize) {
        (self.raw_offset(start), self.raw_offset(end))
    }

    /// Where the character at decoded offset `at` (a character boundary) starts in the raw text,
    /// or the raw length at the end.
    fn raw_offset(&self, at: usize) -> usize {
        let before = self.references.partition_point(|r| r.decoded_start < at);
        match before.checked_sub(1).map(|i| &self.references[i]) {
            // A boundary after a reference's start is at or past its end.
            Some(reference) => reference.raw_end + (at - reference.decoded_end),
            None => at,
        }
    }
}

/// Decodes the references that occur in prose. An unknown named reference stays as written: it is
/// then punctuation to the tokenizer, which is what a reader would see too.
pub(crate) fn decode(raw: &str) -> Decoded<'_> {
    // Every reference starts with `&`; without one the text is its own decoding.
    let Some(first) = memchr(b'&', raw.as_bytes()) else {
        return Decoded {
            text: Cow::Borrowed(raw),
            references: Vec::new(),
        };
    };
    let mut text = String::with_capacity(raw.len());
    let mut references = Vec::new();
    let mut copied = 0;
    let mut amp = Some(first);
    while let Some(at) = amp {
        let next_from = match reference(&raw[at + 1..]) {
            Some((ch, len)) => {
                text.push_str(&raw[copied..at]);
                let decoded_start = text.len();
                text.push(ch);
                copied = at + 1 + len;
                references.push(Reference {
                    decoded_start,
                    decoded_end: text.len(),
                    raw_end: copied,
                });
                copied
            }
            None => at + 1,
        };
        amp = memchr(b'&', &raw.as_bytes()[next_from..]).map(|i| next_from + i);
    }
    text.push_str(&raw[copied..]);
    Decoded {
        text: Cow::Owned(text),
        references,
    }
}

/// The character a reference (the text after `&`) stands for and the bytes it used, `;` included.
fn reference(after_amp: &str) -> Option<(char, usize)> {
    // Looked for byte by byte: twelve bytes on may fall inside a character.
    let semi = after_amp.bytes().take(12).position(|b| b == b';')?;
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
    use proptest::prelude::*;

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
    fn a_reference_followed_closely_by_a_wide_character_is_decoded() {
        assert_eq!(decode("&uuml;&nbsp;\u{e9}").text, "\u{fc}\u{a0}\u{e9}");
    }

    #[test]
    fn text_without_references_maps_to_itself() {
        let d = decode("Grüße aus Köln");
        assert_eq!(d.text, "Grüße aus Köln");
        let start = d.text.find("aus").unwrap();
        assert_eq!(d.raw_range(start, start + 3), (start, start + 3));
    }

    proptest! {
        #[test]
        fn every_decoded_range_maps_to_the_raw_bytes_it_came_from(
            raw in "(&amp;|&nbsp;|&#233;|&#x4e2d;|&uuml;|&unknown;|&|&amp|;|a|\u{e9}| ){0,24}"
        ) {
            let decoded = decode(&raw);
            let boundaries: Vec<usize> = decoded
                .text
                .char_indices()
                .map(|(at, _)| at)
                .chain([decoded.text.len()])
                .collect();
            for (i, &start) in boundaries.iter().enumerate() {
                for &end in &boundaries[i..] {
                    let (raw_start, raw_end) = decoded.raw_range(start, end);
                    prop_assert_eq!(&decode(&raw[raw_start..raw_end]).text, &decoded.text[start..end]);
                }
            }
        }
    }
}
