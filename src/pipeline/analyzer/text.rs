//! HTML to text blocks: the document is parsed (never pattern-matched) and its visible text is
//! gathered into blocks. Block elements (p, h1-h6, li, td, blockquote, div, ...) start a new block;
//! inline elements (a, strong, em, span, ...) never split one. `<br>` and newlines inside text end a
//! sentence without ending the block, because WordPress turns a single newline into a line break.
//! Script, style and similar invisible content, comments (Gutenberg's block delimiters among them)
//! and shortcodes are dropped. Entities are decoded. Every piece of text remembers where it came
//! from in the source, so findings can point at byte offsets of the original HTML.

use std::ops::Range;

use memchr::{memchr, memchr2};

use crate::pipeline::html::{self, Reader, StartTag};

/// The HTML could not be read (only resource limits of the parser can cause this).
#[derive(Debug, thiserror::Error)]
#[error("the HTML could not be parsed: {0}")]
pub struct TextError(#[from] lol_html::errors::RewritingError);

/// What kind of element a block of text came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    /// Running text: a paragraph, a quotation, a div, loose text.
    Paragraph,
    /// A heading of the given level (1 to 6).
    Heading(u8),
    /// An item of a list (ul, ol, dl).
    ListItem,
    /// A cell or caption of a table.
    TableCell,
    /// Preformatted text (pre), typically code.
    Preformatted,
}

impl BlockKind {
    /// Prose is what sentence, paragraph and section metrics look at; lists, tables and code are
    /// left out of them.
    pub fn is_prose(self) -> bool {
        matches!(self, BlockKind::Paragraph | BlockKind::Heading(_))
    }
}

/// Where a stretch of a block's text came from in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Origin {
    text_start: usize,
    source: Range<usize>,
    /// The text is the source byte for byte (no entity was decoded in it).
    verbatim: bool,
}

/// The text of one block element, with the places where a sentence must end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    /// Decoded text. Line breaks are kept as `\n`.
    pub text: String,
    /// Offsets into `text` right after an inline tag. A full stop directly followed by a tag ends
    /// a sentence even without a space, as it does in Yoast's tokenizer.
    pub tag_edges: Vec<usize>,
    origins: Vec<Origin>,
}

impl Block {
    fn new(kind: BlockKind) -> Self {
        // Room for a short paragraph: grown from empty, a block's buffers would be reallocated
        // and copied several times over while its text is read.
        Block {
            kind,
            text: String::with_capacity(256),
            tag_edges: Vec::new(),
            origins: Vec::with_capacity(8),
        }
    }

    /// The byte range of the source HTML that a range of `text` came from. Exact for plain text;
    /// a decoded entity maps to the whole entity.
    pub fn source_range(&self, text: Range<usize>) -> Range<usize> {
        let start = self.source_offset(text.start, false);
        let end = self.source_offset(text.end, true);
        start..end.max(start)
    }

    fn source_offset(&self, at: usize, is_end: bool) -> usize {
        // An end offset belongs to the stretch holding the byte before it.
        let probe = if is_end { at.saturating_sub(1) } else { at };
        let index = self
            .origins
            .partition_point(|o| o.text_start <= probe)
            .saturating_sub(1);
        let Some(origin) = self.origins.get(index) else {
            return 0;
        };
        if origin.verbatim {
            (origin.source.start + at.saturating_sub(origin.text_start)).min(origin.source.end)
        } else if is_end {
            origin.source.end
        } else {
            origin.source.start
        }
    }

    fn push(&mut self, text: &str, source: Range<usize>, verbatim: bool) {
        if text.is_empty() {
            return;
        }
        self.origins.push(Origin {
            text_start: self.text.len(),
            source,
            verbatim,
        });
        self.text.push_str(text);
    }

    /// A comment or an element that was dropped still separates the words around it.
    fn separate(&mut self) {
        if self
            .text
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_whitespace())
        {
            self.text.push(' ');
        }
    }

    fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// This block emptied to hold the text of a new block of `kind`, its buffers kept.
    fn reused(mut self, kind: BlockKind) -> Block {
        self.kind = kind;
        self.text.clear();
        self.tag_edges.clear();
        self.origins.clear();
        self
    }
}

/// Whether the start or end of element `name` begins a new block. A `match`, because every
/// start tag is looked up: it compiles to a few integer comparisons.
fn is_block_element(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "canvas"
            | "caption"
            | "dd"
            | "details"
            | "dialog"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "output"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
            | "video"
    )
}

/// Whether a reader does not see the content of element `name`, so it is neither text nor
/// element facts.
pub(super) fn is_hidden_element(name: &str) -> bool {
    matches!(
        name,
        "head"
            | "iframe"
            | "math"
            | "noscript"
            | "object"
            | "script"
            | "select"
            | "style"
            | "svg"
            | "template"
            | "textarea"
    )
}

/// Parses `html` and returns its text blocks in document order. Blocks holding only whitespace are
/// left out.
pub fn blocks(html: &str) -> Result<Vec<Block>, TextError> {
    Ok(html::read(html, BlockReader::new)?.finish())
}

/// Where a pass's blocks go, each as soon as it is finished.
pub(crate) trait BlockSink {
    /// Takes a finished block that holds more than whitespace. A sink that is done with the
    /// block gives it back, and the next block is read into its buffers.
    fn take(&mut self, block: Block) -> Option<Block>;
}

/// Keeps every block.
impl BlockSink for Vec<Block> {
    fn take(&mut self, block: Block) -> Option<Block> {
        self.push(block);
        None
    }
}

/// Gathers text blocks from a pass, which may feed other readers too, into a sink.
pub(crate) struct BlockReader<S = Vec<Block>> {
    builder: Builder<S>,
    /// What each open element that can have content is to the blocks, innermost last.
    open: Vec<Role>,
}

impl BlockReader {
    pub(crate) fn new() -> Self {
        BlockReader::with_sink(Vec::new())
    }
}

impl<S: BlockSink> BlockReader<S> {
    pub(crate) fn with_sink(sink: S) -> Self {
        BlockReader {
            builder: Builder {
                sink,
                current: None,
                spare: None,
                hidden: 0,
                lists: 0,
                tables: 0,
                pre: 0,
                heading: None,
            },
            open: Vec::new(),
        }
    }

    /// The sink, with every block read, once the pass is done.
    pub(crate) fn finish(self) -> S {
        self.builder.finish()
    }
}

impl<S: BlockSink> Reader<'_> for BlockReader<S> {
    fn start(&mut self, tag: &StartTag<'_>) {
        let role = Role::of(tag.name);
        self.builder.start(role);
        if tag.can_have_content {
            self.open.push(role);
        }
    }

    fn end(&mut self, _closer: &str, _source: Range<usize>) {
        if let Some(role) = self.open.pop() {
            self.builder.end(role);
        }
    }

    fn text(&mut self, raw: &str, source: Range<usize>, _prose: bool) {
        if self.builder.hidden == 0 {
            self.builder.text(raw, source);
        }
    }

    fn comment(&mut self, _text: &str, _source: Range<usize>) {
        if let Some(block) = self.builder.current.as_mut() {
            block.separate();
        }
    }
}

/// What an element is to the blocks, told from its name once at its start tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Its content is not read.
    Hidden,
    /// `<br>`: a line break inside the block.
    Break,
    /// Never splits a block.
    Inline,
    List,
    Table,
    Preformatted,
    Heading(u8),
    /// Any other element that starts and ends a block.
    Block,
}

impl Role {
    fn of(name: &str) -> Role {
        if is_hidden_element(name) {
            return Role::Hidden;
        }
        if name == "br" {
            return Role::Break;
        }
        if !is_block_element(name) {
            return Role::Inline;
        }
        match name {
            "ul" | "ol" | "dl" => Role::List,
            "table" => Role::Table,
            "pre" => Role::Preformatted,
            _ => html::heading_level(name).map_or(Role::Block, Role::Heading),
        }
    }
}

/// Turns the parser's events, in document order, into blocks. Depths are counters rather than a
/// tree, so a missing end tag (`<p>` and `<li>` are often left open) does not derail the rest of
/// the document.
struct Builder<S> {
    sink: S,
    current: Option<Block>,
    /// A finished block whose buffers the next block takes over.
    spare: Option<Block>,
    hidden: usize,
    lists: usize,
    tables: usize,
    pre: usize,
    heading: Option<u8>,
}

impl<S: BlockSink> Builder<S> {
    fn finish(mut self) -> S {
        self.finish_block();
        self.sink
    }

    fn start(&mut self, role: Role) {
        match role {
            Role::Hidden => {
                self.hidden += 1;
                self.inline_edge();
                return;
            }
            Role::Break => {
                self.line_break();
                return;
            }
            Role::Inline => {
                self.inline_edge();
                return;
            }
            _ => {}
        }
        self.finish_block();
        match role {
            Role::List => self.lists += 1,
            Role::Table => self.tables += 1,
            Role::Preformatted => self.pre += 1,
            Role::Heading(level) => self.heading = Some(level),
            _ => {}
        }
    }

    fn end(&mut self, role: Role) {
        match role {
            Role::Hidden => {
                self.hidden = self.hidden.saturating_sub(1);
                return;
            }
            Role::Break | Role::Inline => {
                self.inline_edge();
                return;
            }
            _ => {}
        }
        self.finish_block();
        match role {
            Role::List => self.lists = self.lists.saturating_sub(1),
            Role::Table => self.tables = self.tables.saturating_sub(1),
            Role::Preformatted => self.pre = self.pre.saturating_sub(1),
            Role::Heading(_) => self.heading = None,
            _ => {}
        }
    }

    fn kind(&self) -> BlockKind {
        if self.pre > 0 {
            BlockKind::Preformatted
        } else if self.tables > 0 {
            BlockKind::TableCell
        } else if self.lists > 0 {
            BlockKind::ListItem
        } else if let Some(level) = self.heading {
            BlockKind::Heading(level)
        } else {
            BlockKind::Paragraph
        }
    }

    fn block(&mut self) -> &mut Block {
        let kind = self.kind();
        let spare = &mut self.spare;
        self.current.get_or_insert_with(|| match spare.take() {
            Some(block) => block.reused(kind),
            None => Block::new(kind),
        })
    }

    fn inline_edge(&mut self) {
        if let Some(block) = self.current.as_mut() {
            let at = block.text.len();
            if block.tag_edges.last() != Some(&at) {
                block.tag_edges.push(at);
            }
        }
    }

    fn line_break(&mut self) {
        if let Some(block) = self.current.as_mut() {
            block.text.push('\n');
        }
    }

    fn finish_block(&mut self) {
        if let Some(block) = self.current.take() {
            self.spare = if block.is_blank() {
                Some(block)
            } else {
                self.sink.take(block)
            };
        }
    }

    fn text(&mut self, raw: &str, at: Range<usize>) {
        // Text without an ampersand or a square bracket holds no entity and no shortcode, and is
        // nearly all text: one scan for both tells it, and it is taken whole.
        let Some(first) = memchr2(b'&', b'[', raw.as_bytes()) else {
            self.block().push(raw, at.start..at.start + raw.len(), true);
            return;
        };
        if memchr(b'[', &raw.as_bytes()[first..]).is_none() {
            self.push_decoded(raw, at.start);
            return;
        }
        let mut offset = 0;
        for piece in without_shortcodes(raw) {
            if piece.start > offset {
                self.block().separate();
            }
            self.push_decoded(&raw[piece.clone()], at.start + piece.start);
            offset = piece.end;
        }
        if offset < raw.len() && offset > 0 {
            self.block().separate();
        }
    }

    /// Appends `raw` (source text starting at byte `source`) with its entities decoded one by one,
    /// so that everything but the entities maps to the source exactly.
    fn push_decoded(&mut self, raw: &str, source: usize) {
        let block = self.block();
        let mut plain = 0;
        let mut search = 0;
        while let Some(found) = memchr(b'&', &raw.as_bytes()[search..]) {
            let amp = search + found;
            let entity_end = raw[amp..]
                .char_indices()
                .skip(1)
                .take(40)
                .find(|&(_, c)| c == ';' || c == '&' || c.is_whitespace())
                .filter(|&(_, c)| c == ';')
                .map(|(i, _)| amp + i + 1);
            let Some(entity_end) = entity_end else {
                search = amp + 1;
                continue;
            };
            let decoded = html_escape::decode_html_entities(&raw[amp..entity_end]);
            if decoded == raw[amp..entity_end] {
                search = entity_end;
                continue;
            }
            block.push(&raw[plain..amp], source + plain..source + amp, true);
            block.push(&decoded, source + amp..source + entity_end, false);
            plain = entity_end;
            search = entity_end;
        }
        block.push(&raw[plain..], source + plain..source + raw.len(), true);
    }
}

/// The parts of `text` outside shortcodes. Which shortcodes a site registers is unknown here, so
/// only what cannot be prose counts as one: `[name attr="..."]` (attributes with `=`), a closing
/// `[/name]`, and a bare `[name]` whose `[/name]` follows in the same run of text. "[sic]" and
/// "[see below]" stay text.
/// A shortcode's enclosed content stays: `[caption]A boat[/caption]` reads as "A boat".
fn without_shortcodes(text: &str) -> Vec<Range<usize>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut search = 0;
    while let Some(found) = memchr(b'[', &text.as_bytes()[search..]) {
        let open = search + found;
        match shortcode_len(&text[open..]) {
            Some(len) => {
                if open > start {
                    pieces.push(start..open);
                }
                start = open + len;
                search = start;
            }
            None => search = open + 1,
        }
    }
    if start < text.len() {
        pieces.push(start..text.len());
    }
    pieces
}

/// The length of the shortcode at the start of `text`, if one is there. A name is letters,
/// digits, `_` or `-`, starting with a letter; attributes run to the next `]` on the same line.
fn shortcode_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let closing = bytes.get(1) == Some(&b'/');
    let name_start = if closing { 2 } else { 1 };
    if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let mut i = name_start;
    while bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
    {
        i += 1;
    }
    let name = &text[name_start..i];
    match bytes.get(i) {
        Some(b']') if closing || text.contains(&format!("[/{name}]")) => Some(i + 1),
        Some(b' ' | b'\t') if !closing => {
            let attributes = &text[i..i + text[i..].find(']')?];
            (attributes.contains('=') && !attributes.contains(['[', '\n']))
                .then_some(i + attributes.len() + 1)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders blocks as `kind: text` lines, line breaks shown as `|`.
    fn check(html: &str, expected: &[&str]) {
        let actual: Vec<String> = blocks(html)
            .unwrap()
            .iter()
            .map(|b| format!("{:?}: {}", b.kind, b.text.trim().replace('\n', "|")))
            .collect();
        assert_eq!(actual, expected, "{html}");
    }

    #[test]
    fn block_elements_split_and_inline_elements_do_not() {
        check(
            "<h2>Getting <em>started</em></h2><p>Read the <a href=\"/x\">first <strong>guide</strong></a> now.</p><div>Loose</div>",
            &[
                "Heading(2): Getting started",
                "Paragraph: Read the first guide now.",
                "Paragraph: Loose",
            ],
        );
    }

    #[test]
    fn lists_tables_and_pre_are_marked_as_such() {
        check(
            "<ul><li>One</li><li>Two<ol><li>Nested</li></ol></li></ul><table><tr><th>Head</th><td>Cell</td></tr></table><pre>let a = 1;\nlet b = 2;</pre><p>After</p>",
            &[
                "ListItem: One",
                "ListItem: Two",
                "ListItem: Nested",
                "TableCell: Head",
                "TableCell: Cell",
                "Preformatted: let a = 1;|let b = 2;",
                "Paragraph: After",
            ],
        );
    }

    #[test]
    fn hidden_content_comments_and_shortcodes_are_dropped() {
        check(
            "<!-- wp:paragraph --><p>Before[gallery ids=\"1,2\"]after<script>var x = 1;</script> [/caption]end</p><!-- /wp:paragraph --><style>p{}</style>",
            &["Paragraph: Before after end"],
        );
    }

    #[test]
    fn entities_are_decoded_and_breaks_kept() {
        check(
            "<p>Fish &amp; chips&nbsp;today<br>Next&rsquo;s line</p>",
            &["Paragraph: Fish & chips\u{a0}today|Next\u{2019}s line"],
        );
    }

    #[test]
    fn unclosed_paragraphs_and_items_still_split() {
        check(
            "<p>First<p>Second<ul><li>A<li>B</ul>",
            &[
                "Paragraph: First",
                "Paragraph: Second",
                "ListItem: A",
                "ListItem: B",
            ],
        );
    }

    #[test]
    fn square_brackets_that_are_not_shortcodes_stay() {
        check(
            "<p>See [1] and [note: this].</p>",
            &["Paragraph: See [1] and [note: this]."],
        );
    }

    #[test]
    fn source_ranges_point_into_the_html() {
        let html = "<p>Fish &amp; <b>chips</b></p>";
        let block = &blocks(html).unwrap()[0];
        let fish = block.text.find("Fish").unwrap();
        assert_eq!(&html[block.source_range(fish..fish + 4)], "Fish");
        let chips = block.text.find("chips").unwrap();
        assert_eq!(&html[block.source_range(chips..chips + 5)], "chips");
        let amp = block.text.find('&').unwrap();
        assert_eq!(&html[block.source_range(amp..amp + 1)], "&amp;");
    }
}
