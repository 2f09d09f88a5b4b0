//! What a read-only pass hands its readers: start tags with their attributes, the ends of
//! elements, whole text nodes and comments, in document order, with their byte ranges in the
//! input. Both tokenizers produce exactly these events, so a reader cannot tell them apart.

use std::ops::Range;

/// An attribute as written: the name in its source case, the value with its character references
/// left as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Attribute<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
}

/// A start tag.
#[derive(Clone, Debug)]
pub(crate) struct StartTag<'a> {
    /// Lower case.
    pub(crate) name: &'a str,
    /// The tag's bytes in the input, from `<` to `>`.
    pub(crate) source: Range<usize>,
    /// In the order written, repeated names included.
    pub(crate) attributes: &'a [Attribute<'a>],
    /// Not a void element (`img`, `br`, ...): an [`Reader::end`] may follow for it.
    pub(crate) can_have_content: bool,
}

impl<'a> StartTag<'a> {
    /// The raw value of the first attribute called `name` (lower case), compared without regard
    /// to ASCII case as HTML does.
    pub(crate) fn attribute(&self, name: &str) -> Option<&'a str> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .map(|a| a.value)
    }

    pub(crate) fn has_attribute(&self, name: &str) -> bool {
        self.attribute(name).is_some()
    }
}

/// Receives a pass's events. Ends come last in, first out: each closes the most recent element
/// that could have content and is still open. An end tag closes the nearest open element of its
/// name and every element opened after it, which is how a left-out `</p>` or `</li>` ends; an end
/// tag that matches no open element closes nothing, and elements still open at the end of the
/// input never end.
pub(crate) trait Reader<'h> {
    fn start(&mut self, tag: &StartTag<'_>);
    /// The most recently started open element ends, at the end tag `closer` (lower case) whose
    /// bytes are `source`; `closer` names an enclosing element when the element's own end tag
    /// was left out.
    fn end(&mut self, closer: &str, source: Range<usize>);
    /// A whole text node: `raw` is `html[source]`, character references and all. `prose` when
    /// it is data a reader sees rather than the raw text of a script, style, title or the like.
    fn text(&mut self, raw: &'h str, source: Range<usize>, prose: bool);
    /// A comment: its text without `<!--` and `-->`, and its bytes in the input.
    fn comment(&mut self, text: &str, source: Range<usize>);
}

/// Two readers fed by one pass, the first before the second.
impl<'h, A: Reader<'h>, B: Reader<'h>> Reader<'h> for (A, B) {
    fn start(&mut self, tag: &StartTag<'_>) {
        self.0.start(tag);
        self.1.start(tag);
    }

    fn end(&mut self, closer: &str, source: Range<usize>) {
        self.0.end(closer, source.clone());
        self.1.end(closer, source);
    }

    fn text(&mut self, raw: &'h str, source: Range<usize>, prose: bool) {
        self.0.text(raw, source.clone(), prose);
        self.1.text(raw, source, prose);
    }

    fn comment(&mut self, text: &str, source: Range<usize>) {
        self.0.comment(text, source.clone());
        self.1.comment(text, source);
    }
}
