//! Typed patches and how they are written into a document. Every offset is a byte offset of the
//! input the optimizer was given, so any subset of the patches can be applied to it, and a
//! patch only rewrites bytes of the one tag it names: all other bytes come back as they were.

use std::ops::Range;

use serde::Serialize;

/// One change to a page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Patch {
    /// Gives the element whose start tag begins at `offset` the attribute `name` with `value`:
    /// an existing value is replaced in place, a missing attribute is added at the end of the
    /// tag, so the other attributes keep their order and bytes.
    SetAttribute {
        offset: usize,
        element: String,
        name: String,
        value: String,
    },
    /// Renames a heading's start tag at `offset` and its end tag at `end_offset`; attributes stay.
    RenameHeading {
        offset: usize,
        end_offset: usize,
        from: u8,
        to: u8,
    },
    /// The page's meta description, which lives beside the HTML.
    SetMetaDescription { text: String },
}

/// A patch that does not fit the document it is applied to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    #[error("no start tag <{element}> at byte {offset}")]
    NoStartTag { offset: usize, element: String },
    #[error("no end tag </h{level}> at byte {offset}")]
    NoEndTag { offset: usize, level: u8 },
    #[error("two patches change the bytes at {offset}")]
    Overlap { offset: usize },
}

/// A byte range of the input replaced by new text; an empty range is an insertion.
struct Edit {
    range: Range<usize>,
    text: String,
}

/// `html` with `patches` written into it. Patches that insert at the same place keep their order.
pub(crate) fn apply<'a>(
    html: &str,
    patches: impl IntoIterator<Item = &'a Patch>,
) -> Result<String, PatchError> {
    let mut edits = Vec::new();
    for patch in patches {
        edits.extend(edits_of(html, patch)?);
    }
    edits.sort_by_key(|edit| edit.range.start);
    let mut out =
        String::with_capacity(html.len() + edits.iter().map(|e| e.text.len()).sum::<usize>());
    let mut at = 0;
    for edit in edits {
        if edit.range.start < at {
            return Err(PatchError::Overlap {
                offset: edit.range.start,
            });
        }
        out.push_str(&html[at..edit.range.start]);
        out.push_str(&edit.text);
        at = edit.range.end;
    }
    out.push_str(&html[at..]);
    Ok(out)
}

fn edits_of(html: &str, patch: &Patch) -> Result<Vec<Edit>, PatchError> {
    match patch {
        Patch::SetAttribute {
            offset,
            element,
            name,
            value,
        } => {
            let no_tag = || PatchError::NoStartTag {
                offset: *offset,
                element: element.clone(),
            };
            let tag = start_tag(html, *offset, element).ok_or_else(no_tag)?;
            let quoted = format!("\"{}\"", escape(value));
            let edit = match tag
                .attributes
                .iter()
                .find(|a| html[a.name.clone()].eq_ignore_ascii_case(name))
            {
                Some(StartTagAttribute {
                    value: Some(range), ..
                }) => Edit {
                    range: range.clone(),
                    text: quoted,
                },
                Some(StartTagAttribute { name, value: None }) => Edit {
                    range: name.end..name.end,
                    text: format!("={quoted}"),
                },
                None => {
                    let at = tag.insert_at;
                    let text = if html[..at].ends_with(|c: char| c.is_ascii_whitespace()) {
                        format!("{name}={quoted} ")
                    } else {
                        format!(" {name}={quoted}")
                    };
                    Edit {
                        range: at..at,
                        text,
                    }
                }
            };
            Ok(vec![edit])
        }
        Patch::RenameHeading {
            offset,
            end_offset,
            from,
            to,
        } => {
            let name = |level: u8| format!("h{level}");
            let start = offset + 1;
            if !(html.get(*offset..start) == Some("<")
                && html
                    .get(start..start + 2)
                    .is_some_and(|n| n.eq_ignore_ascii_case(&name(*from))))
            {
                return Err(PatchError::NoStartTag {
                    offset: *offset,
                    element: name(*from),
                });
            }
            let end = end_offset + 2;
            if !(html.get(*end_offset..end) == Some("</")
                && html
                    .get(end..end + 2)
                    .is_some_and(|n| n.eq_ignore_ascii_case(&name(*from))))
            {
                return Err(PatchError::NoEndTag {
                    offset: *end_offset,
                    level: *from,
                });
            }
            Ok(vec![
                Edit {
                    range: start..start + 2,
                    text: name(*to),
                },
                Edit {
                    range: end..end + 2,
                    text: name(*to),
                },
            ])
        }
        Patch::SetMetaDescription { .. } => Ok(Vec::new()),
    }
}

/// An attribute of a start tag as written: its name and, when it has one, its value with quotes.
struct StartTagAttribute {
    name: Range<usize>,
    value: Option<Range<usize>>,
}

struct StartTag {
    attributes: Vec<StartTagAttribute>,
    /// Where a new attribute goes: before `/>` or `>`.
    insert_at: usize,
}

/// Reads the start tag `<element …>` at `offset` following the tokenizer's rules for attributes,
/// so a `>` inside a quoted value does not end it.
fn start_tag(html: &str, offset: usize, element: &str) -> Option<StartTag> {
    let bytes = html.as_bytes();
    let name_end = offset + 1 + element.len();
    if bytes.get(offset) != Some(&b'<')
        || !html
            .get(offset + 1..name_end)?
            .eq_ignore_ascii_case(element)
    {
        return None;
    }
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
    let mut attributes = Vec::new();
    let mut i = name_end;
    loop {
        let slash = i;
        while bytes.get(i).is_some_and(|&b| is_space(b) || b == b'/') {
            i += 1;
        }
        match bytes.get(i)? {
            b'>' => {
                let self_closing = i > slash && bytes[i - 1] == b'/';
                return Some(StartTag {
                    attributes,
                    insert_at: if self_closing { i - 1 } else { i },
                });
            }
            _ => {
                let name_start = i;
                i += 1;
                while bytes
                    .get(i)
                    .is_some_and(|&b| !(is_space(b) || matches!(b, b'/' | b'>' | b'=')))
                {
                    i += 1;
                }
                let name = name_start..i;
                let mut after = i;
                while bytes.get(after).copied().is_some_and(is_space) {
                    after += 1;
                }
                if bytes.get(after) != Some(&b'=') {
                    attributes.push(StartTagAttribute { name, value: None });
                    continue;
                }
                i = after + 1;
                while bytes.get(i).copied().is_some_and(is_space) {
                    i += 1;
                }
                let value_start = i;
                match bytes.get(i)? {
                    &quote @ (b'"' | b'\'') => {
                        i += 1 + bytes[i + 1..].iter().position(|&b| b == quote)? + 1;
                    }
                    b'>' => {}
                    _ => {
                        while bytes.get(i).is_some_and(|&b| !(is_space(b) || b == b'>')) {
                            i += 1;
                        }
                    }
                }
                attributes.push(StartTagAttribute {
                    name,
                    value: Some(value_start..i),
                });
            }
        }
    }
}

/// A value for a double-quoted attribute.
fn escape(value: &str) -> String {
    value.replace('&', "&amp;").replace('"', "&quot;")
}
