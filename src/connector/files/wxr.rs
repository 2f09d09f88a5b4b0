//! WordPress eXtended RSS (WXR), the file WordPress's Tools → Export writes, read as a stream.
//!
//! Exports of large sites run to gigabytes, so the file is never held in memory: [`WxrReader`]
//! pulls XML events from a [`BufRead`] and yields one [`WxrEntry`] at a time, buffering only the
//! entry it is reading.
//!
//! Elements are recognised by namespace, not by prefix. WXR 1.0, 1.1 and 1.2 put the `wp:`
//! elements in `http://wordpress.org/export/1.x/`, so any namespace under
//! `http://wordpress.org/export/` is taken as WordPress's, and its `excerpt/` child as the excerpt
//! namespace. A file that binds those namespaces to other prefixes reads the same. A file is
//! taken for WXR when its root is `<rss>` and declares a WordPress export namespace there, as
//! every WordPress export does; positions in errors are byte offsets from the start of the input.
//!
//! Every item is yielded whatever its post type (attachments, menu items, revisions, custom
//! types): which of them to import is the caller's choice, made on [`WxrItem::post_type`].
//! Comments, authors, site-level terms of other taxonomies and elements WXR does not define are
//! skipped.

use std::fmt;
use std::io::{self, BufRead};
use std::iter::FusedIterator;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use quick_xml::NsReader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};

const WORDPRESS_NS: &str = "http://wordpress.org/export/";
const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";
const DC_NS: &str = "http://purl.org/dc/elements/1.1/";

/// WordPress writes this for dates it does not have, such as the publication date of a draft.
const ZERO_DATE: &str = "0000-00-00 00:00:00";
const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Why an export could not be read. Only [`WxrError::Invalid`] lets the reader go on: the entry it
/// names was read to its end and is skipped. After any other error the iteration ends.
#[derive(Debug, thiserror::Error)]
pub enum WxrError {
    #[error("reading the export failed at byte {position}: {source}")]
    Io {
        position: u64,
        #[source]
        source: Arc<io::Error>,
    },
    #[error("malformed XML at byte {position}: {source}")]
    Xml {
        position: u64,
        #[source]
        source: quick_xml::Error,
    },
    /// XML without a DTD knows only five named references; HTML's (`&nbsp;`, `&eacute;`, ...) are
    /// errors in a WXR file unless they sit inside CDATA.
    #[error("undefined entity &{name}; at byte {position}")]
    UndefinedEntity { position: u64, name: String },
    #[error("not a WordPress export (WXR) file: {reason}")]
    NotWxr { reason: String },
    #[error("the file ends inside {element} opened at byte {position}; it is probably truncated")]
    Truncated { element: String, position: u64 },
    /// Well-formed XML in a shape WXR never has, such as markup inside `wp:post_id`.
    #[error("{element} at byte {position}: {message}")]
    Structure {
        element: String,
        position: u64,
        message: String,
    },
    /// One entry has values that cannot be read; the reader skips it and goes on.
    #[error("{element} at byte {position}: {message}")]
    Invalid {
        element: String,
        position: u64,
        message: String,
    },
}

impl WxrError {
    /// Whether the reader can go on to the next entry after this error.
    pub fn is_recoverable(&self) -> bool {
        matches!(self, WxrError::Invalid { .. })
    }
}

/// One thing an export declares, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WxrEntry {
    /// A category of the site (`wp:category`), used by an item or not. `parent` is the parent
    /// category's nicename.
    Category { term: Term, parent: Option<String> },
    /// A tag of the site (`wp:tag`).
    Tag(Term),
    /// A post, page, attachment, menu item, revision or post of a custom type.
    Item(Box<WxrItem>),
}

/// A term of a taxonomy: its slug (WordPress's "nicename") and its display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub nicename: String,
    pub name: String,
}

/// `wp:status`. The statuses of WordPress core are named; plugins register their own, which are
/// kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostStatus {
    Publish,
    Draft,
    Pending,
    Private,
    Future,
    Trash,
    /// Attachments and revisions take the status of their parent.
    Inherit,
    AutoDraft,
    Other(String),
}

impl PostStatus {
    pub fn parse(status: &str) -> PostStatus {
        match status {
            "publish" => PostStatus::Publish,
            "draft" => PostStatus::Draft,
            "pending" => PostStatus::Pending,
            "private" => PostStatus::Private,
            "future" => PostStatus::Future,
            "trash" => PostStatus::Trash,
            "inherit" => PostStatus::Inherit,
            "auto-draft" => PostStatus::AutoDraft,
            other => PostStatus::Other(other.to_owned()),
        }
    }

    /// The status as WordPress spells it.
    pub fn as_str(&self) -> &str {
        match self {
            PostStatus::Publish => "publish",
            PostStatus::Draft => "draft",
            PostStatus::Pending => "pending",
            PostStatus::Private => "private",
            PostStatus::Future => "future",
            PostStatus::Trash => "trash",
            PostStatus::Inherit => "inherit",
            PostStatus::AutoDraft => "auto-draft",
            PostStatus::Other(other) => other,
        }
    }
}

/// One `<item>`: a post of any type, as the export describes it.
///
/// Dates come twice. The `_gmt` ones are instants. The others are the site's wall-clock time,
/// and the export does not say in which zone, so they are kept as naive times and never used to
/// fill in a missing `_gmt` date: doing so would shift the date by the site's offset without
/// anyone noticing. A `_gmt` date is `None` where WordPress wrote `0000-00-00 00:00:00` (drafts
/// and pending posts that were never scheduled) or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WxrItem {
    /// `wp:post_id`, the id on the exporting site.
    pub post_id: u64,
    /// `wp:post_type`: post, page, attachment, nav_menu_item, revision or a custom type.
    pub post_type: String,
    pub title: String,
    /// The permalink; for unpublished posts WordPress writes a `?p=<id>` link.
    pub link: Option<String>,
    /// `wp:post_name`; drafts that were never saved with a title have none.
    pub slug: Option<String>,
    pub status: PostStatus,
    /// `content:encoded`: the post's raw content (block markup and HTML, shortcodes unexpanded).
    pub content: String,
    /// `excerpt:encoded`, empty when the post has no hand-written excerpt.
    pub excerpt: String,
    /// `dc:creator`: the author's login.
    pub author: Option<String>,
    pub post_date: Option<NaiveDateTime>,
    pub post_date_gmt: Option<DateTime<Utc>>,
    pub post_modified: Option<NaiveDateTime>,
    pub post_modified_gmt: Option<DateTime<Utc>>,
    /// `wp:post_parent`; WordPress writes 0 for none.
    pub parent: Option<u64>,
    pub menu_order: i64,
    /// Whether `wp:post_password` is set: such a post is not readable by the public.
    pub password_protected: bool,
    /// `wp:attachment_url`, the file of an attachment.
    pub attachment_url: Option<String>,
    /// Terms of the `category` taxonomy.
    pub categories: Vec<Term>,
    /// Terms of the `post_tag` taxonomy.
    pub tags: Vec<Term>,
    /// Terms of other taxonomies (`post_format`, `nav_menu`, custom ones), with the taxonomy.
    pub other_terms: Vec<(String, Term)>,
    /// `wp:postmeta` pairs in file order; a key may repeat.
    pub meta: Vec<(String, String)>,
}

impl WxrItem {
    /// The first value stored under `key`.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value.as_str())
    }

    /// Yoast SEO's focus keyphrase, if one was set.
    pub fn focus_keyphrase(&self) -> Option<&str> {
        self.meta("_yoast_wpseo_focuskw")
            .filter(|value| !value.trim().is_empty())
    }

    /// Yoast SEO's meta description, if one was set.
    pub fn meta_description(&self) -> Option<&str> {
        self.meta("_yoast_wpseo_metadesc")
            .filter(|value| !value.trim().is_empty())
    }
}

/// Streams the entries of a WXR file. Memory use is bounded by the largest single entry, not by
/// the file.
pub struct WxrReader<R> {
    xml: NsReader<R>,
    buf: Vec<u8>,
    state: State,
}

/// Where the reader is in the document; positions are where the open elements start, for
/// reporting a file that ends early.
#[derive(Debug, Clone, Copy)]
enum State {
    Prolog,
    Rss { at: u64 },
    Channel { at: u64 },
    Done,
}

impl<R: BufRead> WxrReader<R> {
    pub fn new(input: R) -> WxrReader<R> {
        let mut xml = NsReader::from_reader(input);
        // `<wp:post_password/>` and `<wp:post_password></wp:post_password>` mean the same.
        xml.config_mut().expand_empty_elements = true;
        WxrReader {
            xml,
            buf: Vec::new(),
            state: State::Prolog,
        }
    }

    /// How far into the input the reader is, in bytes: progress through a large file.
    pub fn position(&self) -> u64 {
        self.xml.buffer_position()
    }

    fn advance(&mut self) -> Result<Option<WxrEntry>, WxrError> {
        loop {
            match self.state {
                State::Prolog => {
                    let at = self.open_root()?;
                    self.state = State::Rss { at };
                }
                State::Rss { at } => match self.node()? {
                    Node::Open {
                        name, at: inner, ..
                    } if name.is(Ns::None, "channel") => {
                        self.state = State::Channel { at: inner };
                    }
                    Node::Open {
                        name, at: inner, ..
                    } => self.skip(&name, inner)?,
                    Node::Text(_) => {}
                    Node::Close => self.state = State::Done,
                    Node::Eof => return Err(truncated("<rss>", at)),
                },
                State::Channel { at } => match self.node()? {
                    Node::Open {
                        name, at: inner, ..
                    } => match (name.ns, name.local.as_str()) {
                        (Ns::None, "item") => {
                            return self
                                .item(inner)
                                .map(|item| Some(WxrEntry::Item(item.into())));
                        }
                        (Ns::Wp, "category") => return self.site_category(inner).map(Some),
                        (Ns::Wp, "tag") => return self.site_tag(inner).map(Some),
                        _ => self.skip(&name, inner)?,
                    },
                    Node::Text(_) => {}
                    Node::Close => self.state = State::Rss { at },
                    Node::Eof => return Err(truncated("<channel>", at)),
                },
                State::Done => return Ok(None),
            }
        }
    }

    /// Reads up to the root element and checks that it is a WXR `<rss>`; returns where it starts.
    fn open_root(&mut self) -> Result<u64, WxrError> {
        loop {
            match self.node()? {
                Node::Open { name, attrs, at } => {
                    if !name.is(Ns::None, "rss") {
                        return Err(WxrError::NotWxr {
                            reason: format!("the root element is <{name}>, not <rss>"),
                        });
                    }
                    let declares_wordpress = attrs.iter().any(|(key, value)| {
                        (key == "xmlns" || key.starts_with("xmlns:"))
                            && namespace_of(value) == Ns::Wp
                    });
                    if !declares_wordpress {
                        return Err(WxrError::NotWxr {
                            reason: format!(
                                "<rss> declares no WordPress export namespace \
                                 ({WORDPRESS_NS}1.x/); it looks like a plain RSS feed"
                            ),
                        });
                    }
                    return Ok(at);
                }
                Node::Text(text) if text.trim().is_empty() => {}
                Node::Text(_) => {
                    return Err(WxrError::NotWxr {
                        reason: "it starts with text, not with XML markup".to_owned(),
                    });
                }
                Node::Close | Node::Eof => {
                    return Err(WxrError::NotWxr {
                        reason: "it has no root element".to_owned(),
                    });
                }
            }
        }
    }

    fn item(&mut self, at: u64) -> Result<WxrItem, WxrError> {
        let mut problems = Vec::new();
        let mut post_id = None;
        let mut post_id_seen = false;
        let mut post_type = None;
        let mut status = None;
        let mut item = WxrItem {
            post_id: 0,
            post_type: String::new(),
            title: String::new(),
            link: None,
            slug: None,
            status: PostStatus::Draft,
            content: String::new(),
            excerpt: String::new(),
            author: None,
            post_date: None,
            post_date_gmt: None,
            post_modified: None,
            post_modified_gmt: None,
            parent: None,
            menu_order: 0,
            password_protected: false,
            attachment_url: None,
            categories: Vec::new(),
            tags: Vec::new(),
            other_terms: Vec::new(),
            meta: Vec::new(),
        };
        loop {
            let (name, attrs, field_at) = match self.node()? {
                Node::Open { name, attrs, at } => (name, attrs, at),
                Node::Text(_) => continue,
                Node::Close => break,
                Node::Eof => return Err(truncated("<item>", at)),
            };
            match (name.ns, name.local.as_str()) {
                (Ns::None, "title") => item.title = self.text(&name, field_at)?,
                (Ns::None, "link") => item.link = non_empty(self.text(&name, field_at)?),
                (Ns::None, "category") => {
                    let name_text = self.text(&name, field_at)?;
                    let attr =
                        |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
                    // WXR 1.0 wrote every category twice, once without a domain; the copy
                    // with the domain carries everything.
                    let Some(taxonomy) = attr("domain") else {
                        continue;
                    };
                    let Some(nicename) = attr("nicename") else {
                        problems.push(format!("category {name_text:?} has no nicename"));
                        continue;
                    };
                    let term = Term {
                        nicename,
                        name: name_text,
                    };
                    match taxonomy.as_str() {
                        "category" => item.categories.push(term),
                        "post_tag" => item.tags.push(term),
                        _ => item.other_terms.push((taxonomy, term)),
                    }
                }
                (Ns::Dc, "creator") => item.author = non_empty(self.text(&name, field_at)?),
                (Ns::Content, "encoded") => item.content = self.text(&name, field_at)?,
                (Ns::Excerpt, "encoded") => item.excerpt = self.text(&name, field_at)?,
                (Ns::Wp, "post_id") => {
                    let text = self.text(&name, field_at)?;
                    post_id_seen = true;
                    post_id = noted(parse_number(&name, &text), &mut problems);
                }
                (Ns::Wp, "post_type") => post_type = non_empty(self.text(&name, field_at)?),
                (Ns::Wp, "status") => {
                    status = non_empty(self.text(&name, field_at)?).map(|s| PostStatus::parse(&s));
                }
                (Ns::Wp, "post_name") => item.slug = non_empty(self.text(&name, field_at)?),
                (Ns::Wp, "post_date") => {
                    let text = self.text(&name, field_at)?;
                    item.post_date = noted(parse_date(&name, &text), &mut problems).flatten();
                }
                (Ns::Wp, "post_date_gmt") => {
                    let text = self.text(&name, field_at)?;
                    item.post_date_gmt = noted(parse_date(&name, &text), &mut problems)
                        .flatten()
                        .map(|date| date.and_utc());
                }
                (Ns::Wp, "post_modified") => {
                    let text = self.text(&name, field_at)?;
                    item.post_modified = noted(parse_date(&name, &text), &mut problems).flatten();
                }
                (Ns::Wp, "post_modified_gmt") => {
                    let text = self.text(&name, field_at)?;
                    item.post_modified_gmt = noted(parse_date(&name, &text), &mut problems)
                        .flatten()
                        .map(|date| date.and_utc());
                }
                (Ns::Wp, "post_parent") => {
                    let text = self.text(&name, field_at)?;
                    item.parent = noted(parse_number(&name, &text), &mut problems)
                        .filter(|&parent| parent != 0);
                }
                (Ns::Wp, "menu_order") => {
                    let text = self.text(&name, field_at)?;
                    item.menu_order = noted(parse_number(&name, &text), &mut problems).unwrap_or(0);
                }
                (Ns::Wp, "post_password") => {
                    item.password_protected = !self.text(&name, field_at)?.is_empty();
                }
                (Ns::Wp, "attachment_url") => {
                    item.attachment_url = non_empty(self.text(&name, field_at)?);
                }
                (Ns::Wp, "postmeta") => match self.postmeta(field_at)? {
                    Ok(pair) => item.meta.push(pair),
                    Err(message) => problems.push(message),
                },
                _ => self.skip(&name, field_at)?,
            }
        }
        match (post_id, post_type, status) {
            (Some(post_id), Some(post_type), Some(status)) if problems.is_empty() => {
                item.post_id = post_id;
                item.post_type = post_type;
                item.status = status;
                Ok(item)
            }
            (_, post_type, status) => {
                // A bad post id was already reported; a missing one was not.
                for (present, element) in [
                    (post_id_seen, "wp:post_id"),
                    (post_type.is_some(), "wp:post_type"),
                    (status.is_some(), "wp:status"),
                ] {
                    if !present {
                        problems.push(format!("has no {element}"));
                    }
                }
                Err(WxrError::Invalid {
                    element: "item".to_owned(),
                    position: at,
                    message: problems.join("; "),
                })
            }
        }
    }

    /// One `wp:postmeta`: the pair, or why it has none.
    fn postmeta(&mut self, at: u64) -> Result<Result<(String, String), String>, WxrError> {
        let mut key = None;
        let mut value = String::new();
        loop {
            match self.node()? {
                Node::Open { name, at, .. } => match (name.ns, name.local.as_str()) {
                    (Ns::Wp, "meta_key") => key = Some(self.text(&name, at)?),
                    (Ns::Wp, "meta_value") => value = self.text(&name, at)?,
                    _ => self.skip(&name, at)?,
                },
                Node::Text(_) => {}
                Node::Close => break,
                Node::Eof => return Err(truncated("<wp:postmeta>", at)),
            }
        }
        Ok(match key {
            Some(key) => Ok((key, value)),
            None => Err(format!("wp:postmeta at byte {at} has no wp:meta_key")),
        })
    }

    fn site_category(&mut self, at: u64) -> Result<WxrEntry, WxrError> {
        let fields = self.fields(at, "<wp:category>")?;
        let get = |local: &str| {
            fields
                .iter()
                .find(|(name, _)| name == local)
                .map(|(_, value)| value.clone())
        };
        let (Some(nicename), Some(name)) = (get("category_nicename"), get("cat_name")) else {
            return Err(WxrError::Invalid {
                element: "wp:category".to_owned(),
                position: at,
                message: "needs both wp:category_nicename and wp:cat_name".to_owned(),
            });
        };
        Ok(WxrEntry::Category {
            term: Term { nicename, name },
            parent: get("category_parent").and_then(non_empty),
        })
    }

    fn site_tag(&mut self, at: u64) -> Result<WxrEntry, WxrError> {
        let fields = self.fields(at, "<wp:tag>")?;
        let get = |local: &str| {
            fields
                .iter()
                .find(|(name, _)| name == local)
                .map(|(_, value)| value.clone())
        };
        let (Some(nicename), Some(name)) = (get("tag_slug"), get("tag_name")) else {
            return Err(WxrError::Invalid {
                element: "wp:tag".to_owned(),
                position: at,
                message: "needs both wp:tag_slug and wp:tag_name".to_owned(),
            });
        };
        Ok(WxrEntry::Tag(Term { nicename, name }))
    }

    /// The text of every `wp:` child of a flat element, by local name.
    fn fields(&mut self, at: u64, element: &str) -> Result<Vec<(String, String)>, WxrError> {
        let mut fields = Vec::new();
        loop {
            match self.node()? {
                Node::Open { name, at, .. } if name.ns == Ns::Wp => {
                    let text = self.text(&name, at)?;
                    fields.push((name.local, text));
                }
                Node::Open { name, at, .. } => self.skip(&name, at)?,
                Node::Text(_) => {}
                Node::Close => return Ok(fields),
                Node::Eof => return Err(truncated(element, at)),
            }
        }
    }

    /// The text of an element that holds only text; CDATA sections and references are joined, so
    /// content WordPress split as `]]]]><![CDATA[>` comes back as `]]>`.
    fn text(&mut self, name: &Name, at: u64) -> Result<String, WxrError> {
        let mut text = String::new();
        loop {
            match self.node()? {
                Node::Text(chunk) => text.push_str(&chunk),
                Node::Close => return Ok(text),
                Node::Open {
                    name: inner,
                    at: inner_at,
                    ..
                } => {
                    return Err(WxrError::Structure {
                        element: name.to_string(),
                        position: at,
                        message: format!(
                            "holds an element <{inner}> at byte {inner_at}, where only text belongs"
                        ),
                    });
                }
                Node::Eof => return Err(truncated(&format!("<{name}>"), at)),
            }
        }
    }

    /// Passes over an element and everything in it without decoding any of it.
    fn skip(&mut self, name: &Name, at: u64) -> Result<(), WxrError> {
        let mut depth = 1_usize;
        loop {
            self.buf.clear();
            match self.xml.read_event_into(&mut self.buf) {
                Ok(Event::Start(_)) => depth += 1,
                Ok(Event::End(_)) => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Ok(Event::Eof) => return Err(truncated(&format!("<{name}>"), at)),
                Ok(_) => {}
                Err(error) => return Err(self.xml_error(error)),
            }
        }
    }

    /// The next event that matters, owned; comments, processing instructions and declarations are
    /// passed over.
    fn node(&mut self) -> Result<Node, WxrError> {
        loop {
            let at = self.xml.buffer_position();
            self.buf.clear();
            let (ns, event) = match self.xml.read_resolved_event_into(&mut self.buf) {
                Ok(resolved) => resolved,
                Err(error) => return Err(self.xml_error(error)),
            };
            let node = match event {
                Event::Start(start) => {
                    let name = Name {
                        ns: classify(&ns),
                        local: start.local_name().as_ref().to_owned(),
                    };
                    let mut attrs = Vec::new();
                    for attr in start.attributes() {
                        let attr = attr.map_err(|error| WxrError::Xml {
                            position: at,
                            source: error.into(),
                        })?;
                        let value =
                            attr.normalized_value(XmlVersion::Implicit1_0)
                                .map_err(|source| WxrError::Xml {
                                    position: at,
                                    source,
                                })?;
                        attrs.push((attr.key.0.to_owned(), value.into_owned()));
                    }
                    Node::Open { name, attrs, at }
                }
                Event::End(_) => Node::Close,
                Event::Text(text) => Node::Text(text.xml10_content().into_owned()),
                Event::CData(cdata) => Node::Text(cdata.xml10_content().into_owned()),
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(ch)) => ch.to_string(),
                        Ok(None) => match resolve_predefined_entity(&reference) {
                            Some(text) => text.to_owned(),
                            None => {
                                return Err(WxrError::UndefinedEntity {
                                    position: at,
                                    name: reference.as_ref().to_owned(),
                                });
                            }
                        },
                        Err(source) => {
                            return Err(WxrError::Xml {
                                position: at,
                                source,
                            });
                        }
                    };
                    Node::Text(resolved)
                }
                Event::Eof => Node::Eof,
                // Start and end tags of empty elements come expanded (see `new`).
                Event::Empty(_)
                | Event::Comment(_)
                | Event::Decl(_)
                | Event::PI(_)
                | Event::DocType(_) => continue,
            };
            return Ok(node);
        }
    }

    fn xml_error(&self, error: quick_xml::Error) -> WxrError {
        match error {
            // The parser records where markup went wrong, not where reading stopped.
            quick_xml::Error::Io(source) => WxrError::Io {
                position: self.xml.buffer_position(),
                source,
            },
            source => WxrError::Xml {
                position: self.xml.error_position(),
                source,
            },
        }
    }
}

impl<R: BufRead> Iterator for WxrReader<R> {
    type Item = Result<WxrEntry, WxrError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.advance() {
            Ok(entry) => entry.map(Ok),
            Err(error) => {
                if !error.is_recoverable() {
                    self.state = State::Done;
                }
                Some(Err(error))
            }
        }
    }
}

impl<R: BufRead> FusedIterator for WxrReader<R> {}

/// An XML event reduced to what the reader needs, owning its data.
enum Node {
    Open {
        name: Name,
        /// Raw (prefixed) attribute names with their values.
        attrs: Vec<(String, String)>,
        at: u64,
    },
    Close,
    Text(String),
    Eof,
}

/// The vocabularies a WXR file mixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    /// RSS's own elements, which have no namespace.
    None,
    Wp,
    Content,
    Excerpt,
    Dc,
    Other,
}

/// An element name resolved to its vocabulary.
#[derive(Debug)]
struct Name {
    ns: Ns,
    local: String,
}

impl Name {
    fn is(&self, ns: Ns, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

/// Written with the prefixes WordPress uses, which is how people know these elements.
impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.ns {
            Ns::None | Ns::Other => "",
            Ns::Wp => "wp:",
            Ns::Content => "content:",
            Ns::Excerpt => "excerpt:",
            Ns::Dc => "dc:",
        };
        write!(f, "{prefix}{}", self.local)
    }
}

fn classify(ns: &ResolveResult<'_>) -> Ns {
    match ns {
        ResolveResult::Unbound => Ns::None,
        ResolveResult::Bound(Namespace(uri)) => namespace_of(uri),
        ResolveResult::Unknown(_) => Ns::Other,
    }
}

fn namespace_of(uri: &str) -> Ns {
    match uri.strip_prefix(WORDPRESS_NS) {
        Some(rest) if rest.trim_end_matches('/').ends_with("/excerpt") => Ns::Excerpt,
        Some(_) => Ns::Wp,
        None if uri == CONTENT_NS => Ns::Content,
        None if uri == DC_NS => Ns::Dc,
        None => Ns::Other,
    }
}

fn truncated(element: &str, position: u64) -> WxrError {
    WxrError::Truncated {
        element: element.to_owned(),
        position,
    }
}

fn non_empty(text: String) -> Option<String> {
    Some(text).filter(|text| !text.trim().is_empty())
}

/// The value, or `None` with the reason kept among the entry's problems.
fn noted<T>(value: Result<T, String>, problems: &mut Vec<String>) -> Option<T> {
    value.map_err(|problem| problems.push(problem)).ok()
}

fn parse_number<T: FromStr>(name: &Name, text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{name} is not a number: {text:?}"))
}

/// A WordPress date, `None` for WordPress's zero date or no text.
fn parse_date(name: &Name, text: &str) -> Result<Option<NaiveDateTime>, String> {
    let text = text.trim();
    if text.is_empty() || text == ZERO_DATE {
        return Ok(None);
    }
    NaiveDateTime::parse_from_str(text, DATE_FORMAT)
        .map(Some)
        .map_err(|_| format!("{name} is not a date of the form YYYY-MM-DD hh:mm:ss: {text:?}"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::fs::File;
    use std::io::{BufReader, Cursor, Read};
    use std::path::Path;

    use chrono::{NaiveDate, TimeZone};

    use super::*;

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
	<title>Test site</title>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[ana]]></wp:author_login></wp:author>
"#;
    const TAIL: &str = "</channel>\n</rss>\n";

    fn wxr(body: &str) -> String {
        format!("{HEAD}{body}{TAIL}")
    }

    fn read(text: &str) -> Vec<Result<WxrEntry, WxrError>> {
        WxrReader::new(text.as_bytes()).collect()
    }

    fn items(text: &str) -> Vec<WxrItem> {
        read(text)
            .into_iter()
            .filter_map(|entry| match entry.unwrap() {
                WxrEntry::Item(item) => Some(*item),
                _ => None,
            })
            .collect()
    }

    fn only_error(text: &str) -> WxrError {
        let mut entries = read(text).into_iter().filter_map(Result::err);
        let error = entries.next().expect("an error");
        assert!(entries.next().is_none());
        error
    }

    /// An item with the fields every WordPress export writes, plus `extra`.
    fn item(post_id: &str, post_type: &str, extra: &str) -> String {
        format!(
            "<item>\n\t<title><![CDATA[Item {post_id}]]></title>\n\
             \t<wp:post_id>{post_id}</wp:post_id>\n\
             \t<wp:status><![CDATA[publish]]></wp:status>\n\
             \t<wp:post_type><![CDATA[{post_type}]]></wp:post_type>\n{extra}</item>\n"
        )
    }

    #[test]
    fn a_post_with_its_terms_meta_and_dates() {
        let text = wxr(r#"
	<item>
		<title><![CDATA[Dialing in a V60]]></title>
		<link>https://example.com/dialing-in-a-v60/</link>
		<pubDate>Tue, 04 Mar 2025 09:30:00 +0000</pubDate>
		<dc:creator><![CDATA[ana]]></dc:creator>
		<guid isPermaLink="false">https://example.com/?p=42</guid>
		<description></description>
		<content:encoded><![CDATA[<!-- wp:paragraph -->
<p>Grind finer.</p>
<!-- /wp:paragraph -->]]></content:encoded>
		<excerpt:encoded><![CDATA[Short version.]]></excerpt:encoded>
		<wp:post_id>42</wp:post_id>
		<wp:post_date><![CDATA[2025-03-04 10:30:00]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[2025-03-04 09:30:00]]></wp:post_date_gmt>
		<wp:post_modified><![CDATA[2025-03-09 18:02:11]]></wp:post_modified>
		<wp:post_modified_gmt><![CDATA[2025-03-09 17:02:11]]></wp:post_modified_gmt>
		<wp:comment_status><![CDATA[open]]></wp:comment_status>
		<wp:post_name><![CDATA[dialing-in-a-v60]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:menu_order>3</wp:menu_order>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<wp:post_password><![CDATA[]]></wp:post_password>
		<wp:is_sticky>0</wp:is_sticky>
		<category domain="category" nicename="brewing-methods"><![CDATA[Brewing Methods]]></category>
		<category domain="post_tag" nicename="v60"><![CDATA[V60]]></category>
		<category domain="post_format" nicename="post-format-aside"><![CDATA[Aside]]></category>
		<wp:postmeta>
			<wp:meta_key><![CDATA[_yoast_wpseo_focuskw]]></wp:meta_key>
			<wp:meta_value><![CDATA[v60 recipe]]></wp:meta_value>
		</wp:postmeta>
		<wp:postmeta>
			<wp:meta_key><![CDATA[_yoast_wpseo_metadesc]]></wp:meta_key>
			<wp:meta_value><![CDATA[How to dial in a V60.]]></wp:meta_value>
		</wp:postmeta>
		<wp:comment>
			<wp:comment_id>7</wp:comment_id>
			<wp:comment_content><![CDATA[Nice & clear.]]></wp:comment_content>
		</wp:comment>
	</item>
"#);
        let items = items(&text);
        let term = |nicename: &str, name: &str| Term {
            nicename: nicename.to_owned(),
            name: name.to_owned(),
        };
        let local = |d, h, m, s| {
            NaiveDate::from_ymd_opt(2025, 3, d)
                .unwrap()
                .and_hms_opt(h, m, s)
                .unwrap()
        };
        let expected = WxrItem {
            post_id: 42,
            post_type: "post".to_owned(),
            title: "Dialing in a V60".to_owned(),
            link: Some("https://example.com/dialing-in-a-v60/".to_owned()),
            slug: Some("dialing-in-a-v60".to_owned()),
            status: PostStatus::Publish,
            content: "<!-- wp:paragraph -->\n<p>Grind finer.</p>\n<!-- /wp:paragraph -->"
                .to_owned(),
            excerpt: "Short version.".to_owned(),
            author: Some("ana".to_owned()),
            post_date: Some(local(4, 10, 30, 0)),
            post_date_gmt: Some(Utc.with_ymd_and_hms(2025, 3, 4, 9, 30, 0).unwrap()),
            post_modified: Some(local(9, 18, 2, 11)),
            post_modified_gmt: Some(Utc.with_ymd_and_hms(2025, 3, 9, 17, 2, 11).unwrap()),
            parent: None,
            menu_order: 3,
            password_protected: false,
            attachment_url: None,
            categories: vec![term("brewing-methods", "Brewing Methods")],
            tags: vec![term("v60", "V60")],
            other_terms: vec![("post_format".to_owned(), term("post-format-aside", "Aside"))],
            meta: vec![
                ("_yoast_wpseo_focuskw".to_owned(), "v60 recipe".to_owned()),
                (
                    "_yoast_wpseo_metadesc".to_owned(),
                    "How to dial in a V60.".to_owned(),
                ),
            ],
        };
        assert_eq!(items, vec![expected]);
        assert_eq!(items[0].focus_keyphrase(), Some("v60 recipe"));
        assert_eq!(items[0].meta_description(), Some("How to dial in a V60."));
    }

    #[test]
    fn site_categories_and_tags_come_in_file_order() {
        let text = wxr(r#"
	<wp:category>
		<wp:term_id>2</wp:term_id>
		<wp:category_nicename><![CDATA[equipment]]></wp:category_nicename>
		<wp:category_parent><![CDATA[]]></wp:category_parent>
		<wp:cat_name><![CDATA[Equipment]]></wp:cat_name>
	</wp:category>
	<wp:category>
		<wp:term_id>3</wp:term_id>
		<wp:category_nicename><![CDATA[grinders]]></wp:category_nicename>
		<wp:category_parent><![CDATA[equipment]]></wp:category_parent>
		<wp:cat_name><![CDATA[Grinders]]></wp:cat_name>
	</wp:category>
	<wp:tag>
		<wp:term_id>4</wp:term_id>
		<wp:tag_slug><![CDATA[beans-roasting]]></wp:tag_slug>
		<wp:tag_name><![CDATA[Beans &amp; Roasting]]></wp:tag_name>
	</wp:tag>
	<wp:term>
		<wp:term_id>5</wp:term_id>
		<wp:term_taxonomy><![CDATA[nav_menu]]></wp:term_taxonomy>
		<wp:term_slug><![CDATA[main]]></wp:term_slug>
	</wp:term>
"#);
        let entries: Vec<WxrEntry> = read(&text).into_iter().map(Result::unwrap).collect();
        let term = |nicename: &str, name: &str| Term {
            nicename: nicename.to_owned(),
            name: name.to_owned(),
        };
        assert_eq!(
            entries,
            vec![
                WxrEntry::Category {
                    term: term("equipment", "Equipment"),
                    parent: None
                },
                WxrEntry::Category {
                    term: term("grinders", "Grinders"),
                    parent: Some("equipment".to_owned())
                },
                // Inside CDATA a reference is text, as WordPress meant it.
                WxrEntry::Tag(term("beans-roasting", "Beans &amp; Roasting")),
            ]
        );
    }

    #[test]
    fn cdata_split_by_wordpress_is_joined() {
        let content =
            "<content:encoded><![CDATA[<pre>a[b[0]]]]><![CDATA[>c</pre>]]></content:encoded>\n";
        let items = items(&wxr(&item("1", "post", content)));
        assert_eq!(items[0].content, "<pre>a[b[0]]>c</pre>");
    }

    #[test]
    fn attachments_and_menu_items_are_yielded_for_the_caller_to_filter() {
        let attachment = item(
            "9",
            "attachment",
            "\t<wp:post_parent>42</wp:post_parent>\n\
             \t<wp:attachment_url><![CDATA[https://example.com/wp-content/uploads/2025/03/v60.jpg]]></wp:attachment_url>\n",
        )
        .replace("[publish]", "[inherit]");
        let menu = item("10", "nav_menu_item", "");
        let items = items(&wxr(&format!("{attachment}{menu}")));
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].post_type, "attachment");
        assert_eq!(items[0].status, PostStatus::Inherit);
        assert_eq!(items[0].parent, Some(42));
        assert_eq!(
            items[0].attachment_url.as_deref(),
            Some("https://example.com/wp-content/uploads/2025/03/v60.jpg")
        );
        assert_eq!(items[1].post_type, "nav_menu_item");
    }

    #[test]
    fn a_bad_post_id_names_the_item_and_its_position_and_the_next_item_still_reads() {
        let bad = item("abc", "post", "");
        let text = wxr(&format!("{bad}{}", item("2", "post", "")));
        let position = text.find("<item>").unwrap() as u64;
        let entries = read(&text);
        assert_eq!(entries.len(), 2);
        let error = entries[0].as_ref().unwrap_err();
        assert!(error.is_recoverable());
        assert_eq!(
            error.to_string(),
            format!("item at byte {position}: wp:post_id is not a number: \"abc\"")
        );
        match &entries[1] {
            Ok(WxrEntry::Item(item)) => assert_eq!(item.post_id, 2),
            other => panic!("expected the second item, got {other:?}"),
        }
    }

    #[test]
    fn an_item_without_required_fields_says_which_are_missing() {
        let text =
            wxr("<item><title>Orphan</title><wp:post_date_gmt>soon</wp:post_date_gmt></item>");
        let message = only_error(&text).to_string();
        assert!(
            message.ends_with(
                "wp:post_date_gmt is not a date of the form YYYY-MM-DD hh:mm:ss: \"soon\"; \
                 has no wp:post_id; has no wp:post_type; has no wp:status"
            ),
            "{message}"
        );
    }

    #[test]
    fn a_file_that_is_not_rss_is_refused() {
        let error = only_error("<?xml version=\"1.0\"?>\n<html><body>Hi</body></html>");
        assert_eq!(
            error.to_string(),
            "not a WordPress export (WXR) file: the root element is <html>, not <rss>"
        );
        let error = only_error("{\"posts\": []}");
        assert!(matches!(error, WxrError::NotWxr { .. }), "{error}");
        let error = only_error("");
        assert!(matches!(error, WxrError::NotWxr { .. }), "{error}");
    }

    #[test]
    fn a_plain_rss_feed_is_refused() {
        let feed = "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\
                    <channel><item><title>News</title></item></channel></rss>";
        let error = only_error(feed);
        assert!(
            error
                .to_string()
                .contains("declares no WordPress export namespace"),
            "{error}"
        );
    }

    #[test]
    fn a_truncated_file_names_the_open_element() {
        let full = wxr(&format!(
            "{}{}",
            item("1", "post", ""),
            item("2", "post", "")
        ));
        let second = full.rfind("<item>").unwrap();
        let end_of_id = full.rfind("</wp:post_id>").unwrap() + "</wp:post_id>".len();
        let cut = &full[..end_of_id];
        let entries = read(cut);
        assert_eq!(entries.len(), 2);
        assert!(entries[0].is_ok());
        match entries[1].as_ref().unwrap_err() {
            WxrError::Truncated { element, position } => {
                assert_eq!(element, "<item>");
                assert_eq!(*position, second as u64);
            }
            other => panic!("expected truncation, got {other}"),
        }
    }

    #[test]
    fn a_file_cut_inside_cdata_is_malformed_xml_at_the_cdata() {
        let full = wxr(&item(
            "1",
            "post",
            "<content:encoded><![CDATA[<p>Long text</p>]]></content:encoded>",
        ));
        let cdata = full.find("<![CDATA[<p>").unwrap();
        let error = only_error(&full[..cdata + 12]);
        match error {
            WxrError::Xml { position, .. } => assert_eq!(position, cdata as u64),
            other => panic!("expected an XML error, got {other}"),
        }
    }

    #[test]
    fn mismatched_tags_are_malformed_xml_and_end_the_iteration() {
        let text = wxr("<item><title>Broken</link></item>").replace(TAIL, "");
        let entries = read(&format!("{text}{}", item("2", "post", "")));
        assert_eq!(entries.len(), 1);
        let error = entries[0].as_ref().unwrap_err();
        assert!(!error.is_recoverable());
        let position = text.find("</link>").unwrap();
        assert_eq!(
            error.to_string(),
            format!(
                "malformed XML at byte {position}: ill-formed document: \
                 expected `</title>`, but `</link>` was found"
            )
        );
    }

    #[test]
    fn entities_in_titles_are_decoded() {
        let text = wxr(&item("1", "post", "").replace(
            "<title><![CDATA[Item 1]]></title>",
            "<title>Beans &amp; Roasting: Ana&#8217;s &lt;notes&gt;</title>",
        ));
        assert_eq!(
            items(&text)[0].title,
            "Beans & Roasting: Ana\u{2019}s <notes>"
        );
    }

    #[test]
    fn html_entities_outside_cdata_are_errors() {
        let text = wxr(&item("1", "post", "").replace("Item 1", "]]>A&nbsp;B<![CDATA["));
        let error = only_error(&text);
        assert!(
            matches!(&error, WxrError::UndefinedEntity { name, .. } if name == "nbsp"),
            "{error}"
        );
    }

    #[test]
    fn empty_content_reads_as_empty_whichever_way_it_is_written() {
        for content in [
            "<content:encoded><![CDATA[]]></content:encoded>",
            "<content:encoded></content:encoded>",
            "<content:encoded/>",
            "",
        ] {
            let items = items(&wxr(&item("1", "post", content)));
            assert_eq!(items[0].content, "", "{content}");
            assert_eq!(items[0].excerpt, "");
        }
    }

    #[test]
    fn zero_dates_parents_and_slugs_read_as_none() {
        let extra = "<wp:post_date_gmt><![CDATA[0000-00-00 00:00:00]]></wp:post_date_gmt>\
                     <wp:post_name><![CDATA[]]></wp:post_name>\
                     <wp:post_parent>0</wp:post_parent>\
                     <wp:post_password><![CDATA[secret]]></wp:post_password>";
        let text = wxr(&item("1", "post", extra).replace("[publish]", "[draft]"));
        let item = &items(&text)[0];
        assert_eq!(item.status, PostStatus::Draft);
        assert_eq!(item.post_date_gmt, None);
        assert_eq!(item.slug, None);
        assert_eq!(item.parent, None);
        assert!(item.password_protected);
        assert_eq!(item.focus_keyphrase(), None);
    }

    #[test]
    fn statuses_of_plugins_are_kept_as_written() {
        let text = wxr(&item("1", "shop_order", "").replace("[publish]", "[wc-completed]"));
        let status = &items(&text)[0].status;
        assert_eq!(status, &PostStatus::Other("wc-completed".to_owned()));
        assert_eq!(status.as_str(), "wc-completed");
    }

    #[test]
    fn namespaces_are_matched_by_uri_whatever_their_prefix() {
        let text = r#"<rss xmlns:wordpress="http://wordpress.org/export/1.0/"
                           xmlns:ex="http://wordpress.org/export/1.0/excerpt/"
                           xmlns:body="http://purl.org/rss/1.0/modules/content/">
            <channel><item>
                <wordpress:post_id>5</wordpress:post_id>
                <wordpress:status>publish</wordpress:status>
                <wordpress:post_type>page</wordpress:post_type>
                <body:encoded>Body</body:encoded>
                <ex:encoded>Excerpt</ex:encoded>
                <wp:post_name xmlns:wp="urn:not-wordpress">ignored</wp:post_name>
            </item></channel></rss>"#;
        let item = &items(text)[0];
        assert_eq!((item.post_id, item.post_type.as_str()), (5, "page"));
        assert_eq!(
            (item.content.as_str(), item.excerpt.as_str()),
            ("Body", "Excerpt")
        );
        assert_eq!(item.slug, None);
    }

    /// Fails once read, so a test can see how far the reader went.
    struct Unreadable;

    impl Read for Unreadable {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk gone"))
        }
    }

    #[test]
    fn items_are_yielded_before_the_rest_of_the_file_is_read() {
        let start = format!("{HEAD}{}", item("1", "post", ""));
        let input = BufReader::with_capacity(64, Cursor::new(start.clone()).chain(Unreadable));
        let mut reader = WxrReader::new(input);
        assert!(matches!(reader.next(), Some(Ok(WxrEntry::Item(_)))));
        assert_eq!(reader.position(), start.trim_end().len() as u64);
        match reader.next() {
            Some(Err(WxrError::Io { position, .. })) => assert_eq!(position, start.len() as u64),
            other => panic!("expected an I/O error, got {other:?}"),
        }
        assert!(reader.next().is_none());
    }

    #[test]
    fn the_sample_site_parses_and_its_internal_links_resolve() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-site.wxr");
        let reader = WxrReader::new(BufReader::new(File::open(path).unwrap()));
        let mut categories = Vec::new();
        let mut tags = 0;
        let mut items = Vec::new();
        for entry in reader {
            match entry.unwrap() {
                WxrEntry::Category { term, .. } => categories.push(term.name),
                WxrEntry::Tag(_) => tags += 1,
                WxrEntry::Item(item) => items.push(*item),
            }
        }
        // WordPress stores term names HTML-escaped, and the export passes them on as stored.
        assert_eq!(
            categories,
            [
                "Beans &amp; Roasting",
                "Brewing Methods",
                "Equipment",
                "Recipes",
                "Uncategorized"
            ]
        );
        assert_eq!(tags, 23);

        let of_type = |post_type: &str| -> Vec<&WxrItem> {
            items
                .iter()
                .filter(|item| item.post_type == post_type)
                .collect()
        };
        let posts = of_type("post");
        assert_eq!(posts.len(), 30);
        assert_eq!(of_type("page").len(), 3);
        assert_eq!(of_type("attachment").len(), 2);
        assert_eq!(of_type("nav_menu_item").len(), 1);
        let count = |status: PostStatus| posts.iter().filter(|p| p.status == status).count();
        assert_eq!(count(PostStatus::Publish), 26);
        assert_eq!(count(PostStatus::Draft), 2);
        assert_eq!(count(PostStatus::Private), 1);
        assert_eq!(count(PostStatus::Pending), 1);
        let with_keyphrase = posts
            .iter()
            .filter(|p| p.focus_keyphrase().is_some())
            .count();
        assert_eq!(with_keyphrase, 25);

        for post in &posts {
            assert!(
                !post.categories.is_empty(),
                "{} has no category",
                post.title
            );
            if let (Some(date), Some(modified)) = (post.post_date_gmt, post.post_modified_gmt) {
                assert!(
                    modified >= date,
                    "{} was modified before it was written",
                    post.title
                );
            }
        }

        let slugs: HashSet<&str> = items
            .iter()
            .filter(|item| matches!(item.post_type.as_str(), "post" | "page"))
            .filter_map(|item| item.slug.as_deref())
            .collect();
        let site = "href=\"https://brew-guide.example/";
        let mut links = 0;
        for item in &items {
            for (at, _) in item.content.match_indices(site) {
                let rest = &item.content[at + site.len()..];
                let target = &rest[..rest.find('"').unwrap()];
                let slug = target.trim_end_matches('/');
                assert!(slugs.contains(slug), "{} links to {target:?}", item.title);
                links += 1;
            }
        }
        assert_eq!(links, 22);
    }
}
