//! A small read-only HTML tokenizer for the markup content is made of: tags with attributes,
//! text, comments, a doctype, and the raw text of scripts, styles, titles and the like. It
//! follows lol_html's tokenizer state for state on what it accepts and borrows everything from
//! the input, so a pass costs a scan for `<` and little more. Whatever it does not follow
//! exactly (svg and math content, `<plaintext>`, bogus comments, CDATA, an escaped `<!--` in a
//! script, NUL bytes, a tag or comment cut off by the end of the input, a few empty-comment and
//! empty-value oddities, a byte order mark opening an attribute or a comment, which lol_html
//! drops) makes it decline the whole document, which lol_html then reads.
//!
//! Which element an end tag closes follows lol_html's open-element stack: the nearest open
//! element of its name, with everything opened after it; void elements never open.

use std::ops::Range;

use memchr::{memchr, memchr2_iter};

use super::reader::{Attribute, Reader, StartTag};

/// The document holds markup this tokenizer leaves to lol_html.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Declined;

type Outcome<T> = Result<T, Declined>;

/// Whether element `name` never has content, as lol_html lists such elements. A `match`,
/// because every start tag is looked up.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// How the content after a start tag is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Content {
    Markup,
    /// Text up to the element's own end tag (style, iframe, textarea, title, ...).
    RawText,
    /// Raw text in which `<!` could begin an escape that hides the end tag.
    Script,
}

fn content_after(name: &str) -> Outcome<Content> {
    Ok(match name {
        "script" => Content::Script,
        "style" | "iframe" | "xmp" | "noembed" | "noframes" | "noscript" | "textarea" | "title" => {
            Content::RawText
        }
        "plaintext" | "svg" | "math" => return Err(Declined),
        _ => Content::Markup,
    })
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\n' | b'\r' | b'\t' | b'\x0C')
}

/// lol_html decodes attributes and comments as a document, dropping a leading byte order mark.
fn starts_with_bom(bytes: &[u8]) -> bool {
    bytes.starts_with("\u{feff}".as_bytes())
}

/// `written` in lower case, copied into `buffer` only when it is not written so.
fn lowercase<'a>(written: &'a str, buffer: &'a mut String) -> &'a str {
    if !written.bytes().any(|b| b.is_ascii_uppercase()) {
        return written;
    }
    buffer.clear();
    buffer.push_str(written);
    buffer.make_ascii_lowercase();
    buffer
}

/// Runs `reader` over `html`, or declines before the pass is done (the reader then holds part of
/// the document and is to be thrown away).
pub(super) fn read<'h, R: Reader<'h>>(html: &'h str, reader: &mut R) -> Outcome<()> {
    if memchr(0, html.as_bytes()).is_some() {
        return Err(Declined);
    }
    Tokenizer {
        html,
        bytes: html.as_bytes(),
        pos: 0,
        text_start: 0,
        open: Vec::new(),
        attributes: Vec::new(),
        lower: String::new(),
    }
    .run(reader)
}

struct Tokenizer<'h> {
    html: &'h str,
    bytes: &'h [u8],
    /// Where the search for the next tag goes on.
    pos: usize,
    /// Where the text node being read began.
    text_start: usize,
    /// The names, as written, of the open elements.
    open: Vec<Range<usize>>,
    /// The current tag's attributes, kept to reuse the allocation.
    attributes: Vec<Attribute<'h>>,
    /// The current tag's name in lower case when it is not written so.
    lower: String,
}

/// A tag read from the input.
struct Tag {
    name: Range<usize>,
    /// Just past the `>`.
    end: usize,
}

impl<'h> Tokenizer<'h> {
    fn run<R: Reader<'h>>(mut self, reader: &mut R) -> Outcome<()> {
        while let Some(found) = memchr(b'<', &self.bytes[self.pos..]) {
            let at = self.pos + found;
            match self.bytes.get(at + 1) {
                Some(byte) if byte.is_ascii_alphabetic() => self.start_tag(at, reader)?,
                Some(b'/') => match self.bytes.get(at + 2) {
                    Some(byte) if byte.is_ascii_alphabetic() => self.end_tag(at, reader)?,
                    _ => return Err(Declined),
                },
                Some(b'!') => self.declaration(at, reader)?,
                Some(b'?') | None => return Err(Declined),
                // A `<` that opens nothing is text.
                Some(_) => self.pos = at + 1,
            }
        }
        self.flush_text(self.bytes.len(), reader);
        Ok(())
    }

    /// Ends the text node being read at `end`.
    fn flush_text<R: Reader<'h>>(&mut self, end: usize, reader: &mut R) {
        self.flush(end, true, reader);
    }

    fn flush<R: Reader<'h>>(&mut self, end: usize, prose: bool, reader: &mut R) {
        if end > self.text_start {
            reader.text(
                &self.html[self.text_start..end],
                self.text_start..end,
                prose,
            );
        }
        self.text_start = end;
    }

    fn start_tag<R: Reader<'h>>(&mut self, at: usize, reader: &mut R) -> Outcome<()> {
        let tag = self.tag(at + 1, true)?;
        self.flush_text(at, reader);
        let name = lowercase(&self.html[tag.name.clone()], &mut self.lower);
        let content = content_after(name)?;
        let can_have_content = !is_void(name);
        reader.start(&StartTag {
            name,
            source: at..tag.end,
            attributes: &self.attributes,
            can_have_content,
        });
        if can_have_content {
            self.open.push(tag.name.clone());
        }
        self.pos = tag.end;
        self.text_start = tag.end;
        if content != Content::Markup {
            self.raw_text(tag.name, content, reader)?;
        }
        Ok(())
    }

    /// Reads the raw text of the element whose start tag's name is at `name`, up to and with
    /// its end tag.
    fn raw_text<R: Reader<'h>>(
        &mut self,
        name: Range<usize>,
        content: Content,
        reader: &mut R,
    ) -> Outcome<()> {
        let bytes = self.bytes;
        let name = &bytes[name];
        let mut search = self.pos;
        loop {
            // Raw text that runs to the end of the input is left to lol_html.
            let at = search + memchr(b'<', &bytes[search..]).ok_or(Declined)?;
            if content == Content::Script && bytes.get(at + 1) == Some(&b'!') {
                return Err(Declined);
            }
            let candidate = at + 2;
            let closes = bytes.get(at + 1) == Some(&b'/')
                && bytes
                    .get(candidate..candidate + name.len())
                    .is_some_and(|written| written.eq_ignore_ascii_case(name))
                && bytes
                    .get(candidate + name.len())
                    .is_some_and(|&b| is_space(b) || b == b'/' || b == b'>');
            if !closes {
                search = at + 1;
                continue;
            }
            self.flush(at, false, reader);
            return self.end_tag(at, reader);
        }
    }

    fn end_tag<R: Reader<'h>>(&mut self, at: usize, reader: &mut R) -> Outcome<()> {
        let tag = self.tag(at + 2, false)?;
        self.flush_text(at, reader);
        let bytes = self.bytes;
        let written = &bytes[tag.name.clone()];
        if let Some(index) = self
            .open
            .iter()
            .rposition(|open| bytes[open.clone()].eq_ignore_ascii_case(written))
        {
            let closer = lowercase(&self.html[tag.name], &mut self.lower);
            for _ in index..self.open.len() {
                reader.end(closer, at..tag.end);
            }
            self.open.truncate(index);
        }
        self.pos = tag.end;
        self.text_start = tag.end;
        Ok(())
    }

    /// `<!`: a comment or a doctype.
    fn declaration<R: Reader<'h>>(&mut self, at: usize, reader: &mut R) -> Outcome<()> {
        let rest = &self.bytes[at..];
        if rest.starts_with(b"<!--") {
            let body = at + 4;
            let (text_end, end) = self.comment_end(body)?;
            self.flush_text(at, reader);
            reader.comment(&self.html[body..text_end], at..end);
            self.pos = end;
            self.text_start = end;
            return Ok(());
        }
        if rest.len() >= 9 && rest[2..9].eq_ignore_ascii_case(b"doctype") {
            let end = at + memchr(b'>', rest).ok_or(Declined)? + 1;
            self.flush_text(at, reader);
            self.pos = end;
            self.text_start = end;
            return Ok(());
        }
        Err(Declined)
    }

    /// Where the text of the comment whose body starts at `body` ends, and where the comment
    /// ends: at the first `>` after `--` or `--!` inside the body.
    fn comment_end(&self, body: usize) -> Outcome<(usize, usize)> {
        let rest = &self.bytes[body..];
        // `<!-->` and `<!--->` are empty comments that end early.
        if rest.starts_with(b">") || rest.starts_with(b"->") {
            return Err(Declined);
        }
        // One scan finds both the `>` that may end the comment and any `<!` before it.
        let mut opens_declaration = false;
        for found in memchr2_iter(b'<', b'>', rest) {
            let at = body + found;
            if self.bytes[at] == b'<' {
                // `<!` inside a comment moves where lol_html says its text ends.
                opens_declaration |= self.bytes.get(at + 1) == Some(&b'!');
                continue;
            }
            let before = &self.bytes[body..at];
            let text_end = if before.ends_with(b"--") {
                at - 2
            } else if before.ends_with(b"--!") {
                at - 3
            } else {
                continue;
            };
            if opens_declaration || starts_with_bom(before) {
                return Err(Declined);
            }
            return Ok((text_end, at + 1));
        }
        Err(Declined)
    }

    /// Reads the tag whose name starts at `name_start`, with its attributes (kept for a start
    /// tag) up to its `>`, as lol_html's tag states do.
    fn tag(&mut self, name_start: usize, start: bool) -> Outcome<Tag> {
        let bytes = self.bytes;
        let mut i = name_start;
        while let Some(&b) = bytes.get(i) {
            if is_space(b) || b == b'/' || b == b'>' {
                break;
            }
            // Names lol_html compares in ways not followed here: ESI's, and non-ASCII ones.
            if b == b':' || !b.is_ascii() {
                return Err(Declined);
            }
            i += 1;
        }
        let name = name_start..i;
        self.attributes.clear();
        loop {
            // Before an attribute's name.
            let b = *bytes.get(i).ok_or(Declined)?;
            if is_space(b) {
                i += 1;
                continue;
            }
            match b {
                b'>' => break,
                // After `/` only `>` makes the tag self-closing; anything else is read again as
                // the start of an attribute.
                b'/' => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let name_start = i;
            i += 1;
            while let Some(&b) = bytes.get(i) {
                if is_space(b) || matches!(b, b'=' | b'/' | b'>') {
                    break;
                }
                i += 1;
            }
            let attribute_name = name_start..i;
            while bytes.get(i).is_some_and(|&b| is_space(b)) {
                i += 1;
            }
            let value = if bytes.get(i) == Some(&b'=') {
                i += 1;
                while bytes.get(i).is_some_and(|&b| is_space(b)) {
                    i += 1;
                }
                match *bytes.get(i).ok_or(Declined)? {
                    quote @ (b'"' | b'\'') => {
                        let value_start = i + 1;
                        let close =
                            value_start + memchr(quote, &bytes[value_start..]).ok_or(Declined)?;
                        i = close + 1;
                        value_start..close
                    }
                    // lol_html then reads what follows as markup even after a script's start.
                    b'>' => return Err(Declined),
                    _ => {
                        let value_start = i;
                        while let Some(&b) = bytes.get(i) {
                            if is_space(b) || b == b'>' {
                                break;
                            }
                            i += 1;
                        }
                        value_start..i
                    }
                }
            } else {
                i..i
            };
            if starts_with_bom(&bytes[attribute_name.clone()])
                || starts_with_bom(&bytes[value.clone()])
            {
                return Err(Declined);
            }
            if start {
                self.attributes.push(Attribute {
                    name: &self.html[attribute_name],
                    value: &self.html[value],
                });
            }
        }
        Ok(Tag { name, end: i + 1 })
    }
}
