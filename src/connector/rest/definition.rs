//! A declarative REST connector definition (`connectors/{name}.toml`): how one kind of CMS is
//! authenticated, listed page by page, mapped onto our content fields and written back. Values
//! are checked as they are read, so a loaded `Definition` is usable as it stands; every problem
//! names the file, the key and the line.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::connector::rest::body::BodyTemplate;
use crate::connector::rest::pointer::JsonPointer;
use crate::connector::rest::time_format::TimeFormat;
use crate::connector::rest::webhook::WebhookScheme;

/// Why a definition could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("connector definition {file}: could not read it: {message}")]
    Unreadable { file: PathBuf, message: String },
    #[error("connector definition {file}, line {line}, key `{key}`: {message}")]
    Invalid {
        file: PathBuf,
        key: String,
        line: usize,
        message: String,
    },
}

/// A checked definition.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// What the definition is for, for people reading it.
    #[serde(default)]
    pub description: Option<String>,
    pub auth: Auth,
    /// Headers every request carries (an API version, an accept type).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub streams: Vec<Spanned<StreamDefinition>>,
    /// A feed of deletions, where the CMS keeps one; otherwise deletes are found by the ID sweep.
    #[serde(default)]
    pub deletions: Option<DeletionFeed>,
    #[serde(default)]
    pub webhook: Option<Spanned<WebhookScheme>>,
}

/// How requests are authenticated with the site's `api_key`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    /// `Authorization: Bearer {api_key}`.
    Bearer,
    /// `Authorization: Basic`, the key being `user:password`.
    Basic,
    /// The key as the value of a header of the definition's choosing.
    Header { header: HeaderName },
    /// Ghost's Admin API: the key is `id:secret`; each request carries a short-lived HS256 JWT.
    GhostAdminJwt,
}

/// An HTTP header name, checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct HeaderName(String);

impl HeaderName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for HeaderName {
    type Error = String;

    fn try_from(text: String) -> Result<HeaderName, String> {
        reqwest::header::HeaderName::from_bytes(text.as_bytes())
            .map(|_| HeaderName(text.clone()))
            .map_err(|_| format!("{text:?} is not an HTTP header name"))
    }
}

/// One list of items: a content type of the CMS.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamDefinition {
    /// The cursor's name; unique within the definition.
    pub name: String,
    /// What items of this stream are called in our content (`post`, `page`, `article`).
    pub external_type: String,
    /// The list request, relative to the site's base URL.
    pub path: UrlPath,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Where the records are in a list response.
    pub records: JsonPointer,
    /// Where the server's count of what the query matches is, if it reports one.
    #[serde(default)]
    pub total: Option<JsonPointer>,
    pub paging: Paging,
    #[serde(default)]
    pub incremental: Option<Incremental>,
    pub fields: FieldMap,
    pub fetch: FetchRequest,
    #[serde(default)]
    pub write: Option<Spanned<WriteRequest>>,
}

/// How a list is paged.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "style", rename_all = "snake_case", deny_unknown_fields)]
pub enum Paging {
    /// Numbered pages. The end is a null `next` (when given), the last of `page_count` pages
    /// (when given), or a short page.
    Page {
        page_param: String,
        size_param: String,
        page_size: PageSize,
        #[serde(default = "first_page")]
        first_page: u32,
        #[serde(default)]
        next: Option<JsonPointer>,
        #[serde(default)]
        page_count: Option<JsonPointer>,
    },
    /// An item offset; the end is a short page.
    Offset {
        offset_param: String,
        size_param: String,
        page_size: PageSize,
    },
    /// An opaque token from each response; the end is a missing or null token.
    Cursor {
        cursor_param: String,
        size_param: String,
        page_size: PageSize,
        next_cursor: JsonPointer,
    },
    /// The next page's URL in the `Link` header (`rel="next"`).
    Link {
        size_param: String,
        page_size: PageSize,
    },
}

fn first_page() -> u32 {
    1
}

impl Paging {
    pub fn page_size(&self) -> u32 {
        match self {
            Paging::Page { page_size, .. }
            | Paging::Offset { page_size, .. }
            | Paging::Cursor { page_size, .. }
            | Paging::Link { page_size, .. } => page_size.0,
        }
    }

    pub fn size_param(&self) -> &str {
        match self {
            Paging::Page { size_param, .. }
            | Paging::Offset { size_param, .. }
            | Paging::Cursor { size_param, .. }
            | Paging::Link { size_param, .. } => size_param,
        }
    }
}

/// Items per list request: 1 to 1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u32")]
pub struct PageSize(u32);

impl TryFrom<u32> for PageSize {
    type Error = String;

    fn try_from(size: u32) -> Result<PageSize, String> {
        if (1..=1000).contains(&size) {
            Ok(PageSize(size))
        } else {
            Err(format!("{size} is not a page size: expected 1 to 1000"))
        }
    }
}

/// How a list is restricted to items modified after a time and sorted by that time.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incremental {
    /// The query parameter that carries the filter.
    pub param: String,
    /// Its value; `{since}` is replaced by the time, written in `format`. The comparison must be
    /// strictly "after".
    pub value: SinceTemplate,
    pub format: TimeFormat,
    /// The sort that puts the list in ascending modified order.
    pub sort_param: String,
    pub sort_value: String,
    /// The least overlap a pull needs with this CMS, whatever the site asks.
    #[serde(default)]
    pub overlap_seconds: u64,
}

/// A filter value holding `{since}` exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct SinceTemplate(String);

impl SinceTemplate {
    pub fn render(&self, since: &str) -> String {
        self.0.replace("{since}", since)
    }
}

impl TryFrom<String> for SinceTemplate {
    type Error = String;

    fn try_from(text: String) -> Result<SinceTemplate, String> {
        if text.matches("{since}").count() == 1 {
            Ok(SinceTemplate(text))
        } else {
            Err(format!("{text:?} must contain {{since}} exactly once"))
        }
    }
}

/// A request path relative to the base URL, starting with `/`, with `{id}` placeholders only
/// where the definition allows them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct UrlPath(String);

impl UrlPath {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn has_id(&self) -> bool {
        self.0.contains("{id}")
    }

    /// The path with `{id}` replaced by the percent-encoded id.
    pub fn render(&self, id: &str) -> String {
        let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        self.0.replace("{id}", &encoded)
    }
}

impl TryFrom<String> for UrlPath {
    type Error = String;

    fn try_from(text: String) -> Result<UrlPath, String> {
        if !text.starts_with('/') {
            return Err(format!("{text:?} must start with /"));
        }
        let rest = text.replace("{id}", "");
        if rest.contains(['{', '}', '?', '#']) {
            return Err(format!(
                "{text:?} may hold only the placeholder {{id}}, and no query or fragment \
                 (use `query`)"
            ));
        }
        Ok(UrlPath(text))
    }
}

/// Where each of our content fields is in a record.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    pub id: JsonPointer,
    pub modified: JsonPointer,
    pub modified_format: TimeFormat,
    pub title: JsonPointer,
    pub body: JsonPointer,
    #[serde(default)]
    pub excerpt: Option<JsonPointer>,
    #[serde(default)]
    pub slug: Option<JsonPointer>,
    #[serde(default)]
    pub url: Option<JsonPointer>,
    /// Without one, every item is `publish`.
    #[serde(default)]
    pub status: Option<JsonPointer>,
    #[serde(default)]
    pub published: Option<JsonPointer>,
    #[serde(default)]
    pub author: Option<JsonPointer>,
    #[serde(default)]
    pub keyphrase: Option<JsonPointer>,
    #[serde(default)]
    pub meta_description: Option<JsonPointer>,
}

/// How one item is read by its id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchRequest {
    pub path: UrlPath,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Where the record is in the response.
    pub record: JsonPointer,
}

/// How a change is written back.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteRequest {
    pub method: WriteMethod,
    pub path: UrlPath,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    pub body: BodyTemplate,
    pub precondition: Precondition,
    /// Statuses the CMS answers when the precondition failed.
    #[serde(default)]
    pub conflict_status: Vec<u16>,
    /// Where the written record is in the response.
    pub record: JsonPointer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WriteMethod {
    Put,
    Patch,
    Post,
}

impl WriteMethod {
    pub fn as_reqwest(self) -> reqwest::Method {
        match self {
            WriteMethod::Put => reqwest::Method::PUT,
            WriteMethod::Patch => reqwest::Method::PATCH,
            WriteMethod::Post => reqwest::Method::POST,
        }
    }
}

/// How a write is kept from overwriting an edit made since we read the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precondition {
    /// The body carries the modified time we read (`{{expected_modified}}`); the CMS refuses a
    /// stale one with a `conflict_status`.
    BodyVersion,
    /// The CMS has none: the item is re-read just before the write and its modified time
    /// compared. A change in the moment between the two cannot be seen.
    Reread,
}

/// A feed of deleted items.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletionFeed {
    pub path: UrlPath,
    pub since_param: String,
    pub since_format: TimeFormat,
    pub records: JsonPointer,
    pub id: JsonPointer,
    pub external_type: JsonPointer,
    pub deleted_at: JsonPointer,
    pub deleted_at_format: TimeFormat,
}

impl fmt::Display for WriteMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_reqwest().as_str())
    }
}

impl Definition {
    /// Reads and checks the definition in `file`.
    pub fn load(file: &Path) -> Result<Definition, DefinitionError> {
        let text = std::fs::read_to_string(file).map_err(|err| DefinitionError::Unreadable {
            file: file.to_path_buf(),
            message: err.to_string(),
        })?;
        Definition::parse(file, &text)
    }

    /// Checks `text`, the contents of `file`.
    pub fn parse(file: &Path, text: &str) -> Result<Definition, DefinitionError> {
        let invalid = |key: String, offset: usize, message: String| DefinitionError::Invalid {
            file: file.to_path_buf(),
            key,
            line: line_of(text, offset),
            message,
        };
        let deserializer = toml::Deserializer::parse(text)
            .map_err(|err| invalid(String::new(), span_start(&err), err.message().to_owned()))?;
        let definition: Definition =
            serde_path_to_error::deserialize(deserializer).map_err(|err| {
                // `Spanned` wraps a value in a private field of its own; the person reading the
                // message knows only the file's keys.
                let key = err
                    .path()
                    .to_string()
                    .replace(".$__serde_spanned_private_value", "");
                let inner = err.into_inner();
                invalid(key, span_start(&inner), inner.message().to_owned())
            })?;
        definition
            .check()
            .map_err(|(key, span, message)| invalid(key, span, message))?;
        Ok(definition)
    }

    /// What the types cannot say: relations between keys.
    fn check(&self) -> Result<(), (String, usize, String)> {
        if self.streams.is_empty() {
            return Err((
                "streams".to_owned(),
                0,
                "at least one stream is needed".to_owned(),
            ));
        }
        let mut names = HashSet::new();
        for (index, stream) in self.streams.iter().enumerate() {
            let at = stream.span().start;
            let key = |name: &str| format!("streams[{index}].{name}");
            if !names.insert(stream.get_ref().name.clone()) {
                return Err((key("name"), at, "another stream has this name".to_owned()));
            }
            if stream.get_ref().external_type.trim().is_empty() {
                return Err((key("external_type"), at, "must not be empty".to_owned()));
            }
            if stream.get_ref().path.has_id() {
                return Err((key("path"), at, "a list path takes no {id}".to_owned()));
            }
            if !stream.get_ref().fetch.path.has_id() {
                return Err((key("fetch.path"), at, "must contain {id}".to_owned()));
            }
            if let Some(write) = &stream.get_ref().write {
                let at = write.span().start;
                let write = write.get_ref();
                if !write.path.has_id() {
                    return Err((key("write.path"), at, "must contain {id}".to_owned()));
                }
                let carries_version = write.body.uses_expected_modified();
                match write.precondition {
                    Precondition::BodyVersion if !carries_version => {
                        return Err((
                            key("write.precondition"),
                            at,
                            "body_version needs {{expected_modified}} in write.body".to_owned(),
                        ));
                    }
                    Precondition::BodyVersion if write.conflict_status.is_empty() => {
                        return Err((
                            key("write.conflict_status"),
                            at,
                            "body_version needs the status the CMS answers on a conflict"
                                .to_owned(),
                        ));
                    }
                    _ => {}
                }
                if let Some(status) = write
                    .conflict_status
                    .iter()
                    .find(|status| !(400..=599).contains(*status))
                {
                    return Err((
                        key("write.conflict_status"),
                        at,
                        format!("{status} is not an error status"),
                    ));
                }
            }
        }
        if let Some(webhook) = &self.webhook {
            self.check_webhook(webhook)?;
        }
        Ok(())
    }

    /// Every delivery must be readable as an item of a stream.
    fn check_webhook(
        &self,
        webhook: &Spanned<WebhookScheme>,
    ) -> Result<(), (String, usize, String)> {
        if webhook.get_ref().items.is_empty() {
            return Err((
                "webhook.items".to_owned(),
                webhook.span().start,
                "at least one [[webhook.items]] is needed to tell which item a delivery is about"
                    .to_owned(),
            ));
        }
        for (index, item) in webhook.get_ref().items.iter().enumerate() {
            let at = item.span().start;
            let key = |name: &str| format!("webhook.items[{index}].{name}");
            let item = item.get_ref();
            if self.stream(&item.stream).is_none() {
                return Err((
                    key("stream"),
                    at,
                    format!("{:?} is not the name of a stream", item.stream),
                ));
            }
            if item.id.is_empty() {
                return Err((
                    key("id"),
                    at,
                    "at least one pointer to the item's id is needed".to_owned(),
                ));
            }
        }
        Ok(())
    }

    pub fn stream(&self, name: &str) -> Option<&StreamDefinition> {
        self.streams
            .iter()
            .map(Spanned::get_ref)
            .find(|stream| stream.name == name)
    }

    pub fn stream_of_type(&self, external_type: &str) -> Option<&StreamDefinition> {
        self.streams
            .iter()
            .map(Spanned::get_ref)
            .find(|stream| stream.external_type == external_type)
    }
}

fn span_start(err: &toml::de::Error) -> usize {
    err.span().map_or(0, |span| span.start)
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|byte| **byte == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"description = "test"
[auth]
kind = "bearer"

[[streams]]
name = "articles"
external_type = "article"
path = "/api/articles"
records = "/data"

[streams.paging]
style = "page"
page_param = "page"
size_param = "size"
page_size = 10

[streams.incremental]
param = "after"
value = "{since}"
format = "rfc3339"
sort_param = "sort"
sort_value = "updated:asc"

[streams.fields]
id = "/id"
modified = "/updated"
modified_format = "rfc3339"
title = "/title"
body = "/html"

[streams.fetch]
path = "/api/articles/{id}"
record = "/data"

[streams.write]
method = "PUT"
path = "/api/articles/{id}"
precondition = "body_version"
conflict_status = [409]
record = "/data"

[streams.write.body]
data = { html = "{{content}}", version = "{{expected_modified}}" }
"#;

    fn error(text: &str) -> (String, usize, String) {
        match Definition::parse(Path::new("connectors/test.toml"), text) {
            Err(DefinitionError::Invalid {
                file,
                key,
                line,
                message,
            }) => {
                assert_eq!(file, Path::new("connectors/test.toml"));
                (key, line, message)
            }
            other => panic!("expected an invalid definition, got {other:?}"),
        }
    }

    /// The 1-based line of the first occurrence of `needle`.
    fn line(text: &str, needle: &str) -> usize {
        line_of(text, text.find(needle).expect("needle in text"))
    }

    #[test]
    fn the_test_definition_and_the_shipped_ones_are_valid() {
        Definition::parse(Path::new("test.toml"), VALID).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors");
        for name in ["ghost", "strapi"] {
            let definition = Definition::load(&root.join(format!("{name}.toml")))
                .unwrap_or_else(|err| panic!("{err}"));
            assert!(definition.webhook.is_some(), "{name}");
        }
    }

    #[test]
    fn a_bad_json_pointer_names_its_key_and_line() {
        let text = VALID.replace(r#"records = "/data""#, r#"records = "data""#);
        let (key, at, message) = error(&text);
        assert_eq!(key, "streams[0].records");
        assert_eq!(at, line(&text, r#"records = "data""#));
        assert!(message.contains("not a JSON pointer"), "{message}");
    }

    #[test]
    fn an_unknown_key_names_its_table_and_line() {
        let text = VALID.replace("page_size = 10", "page_size = 10\npages_size = 10");
        let (key, at, message) = error(&text);
        assert!(key.starts_with("streams[0].paging"), "{key}");
        assert!(message.contains("pages_size"), "{message}");
        assert!(
            at >= line(&text, "[streams.paging]") && at <= line(&text, "pages_size"),
            "line {at}"
        );
    }

    #[test]
    fn a_missing_field_is_named() {
        let text = VALID.replace("modified = \"/updated\"\n", "");
        let (key, at, message) = error(&text);
        assert_eq!(key, "streams[0].fields");
        assert!(message.contains("modified"), "{message}");
        assert_eq!(at, line(&text, "[streams.fields]"));
    }

    #[test]
    fn out_of_range_and_unknown_values_name_their_key_and_line() {
        // `paging` is read as a whole (its `style` decides its keys), so the key and line named
        // are the table's.
        let text = VALID.replace("page_size = 10", "page_size = 5000");
        let (key, at, message) = error(&text);
        assert_eq!(key, "streams[0].paging");
        assert_eq!(at, line(&text, "[streams.paging]"));
        assert!(message.contains("1 to 1000"), "{message}");

        let text = VALID.replacen("\nformat = \"rfc3339\"", "\nformat = \"iso\"", 1);
        let (key, at, _) = error(&text);
        assert_eq!(key, "streams[0].incremental.format");
        assert_eq!(at, line(&text, r#"format = "iso""#));

        let text = VALID.replace(r#"value = "{since}""#, r#"value = "after""#);
        let (key, at, message) = error(&text);
        assert_eq!(key, "streams[0].incremental.value");
        assert_eq!(at, line(&text, r#"value = "after""#));
        assert!(message.contains("{since}"), "{message}");
    }

    #[test]
    fn a_precondition_without_its_version_names_the_write() {
        let text = VALID.replace(r#", version = "{{expected_modified}}""#, "");
        let (key, at, message) = error(&text);
        assert_eq!(key, "streams[0].write.precondition");
        assert_eq!(at, line(&text, "[streams.write]"));
        assert!(message.contains("expected_modified"), "{message}");
    }

    #[test]
    fn webhook_items_must_name_a_stream_and_an_id() {
        let hooked = format!(
            "{VALID}\n[webhook]\nheader = \"X-Sig\"\nalgorithm = \"shared_secret\"\n\n\
             [[webhook.items]]\nstream = \"articles\"\nmatch = \"/model\"\nid = [\"/entry/id\"]\n"
        );
        Definition::parse(Path::new("test.toml"), &hooked).unwrap();

        let text = hooked.replace("stream = \"articles\"", "stream = \"posts\"");
        let (key, at, message) = error(&text);
        assert_eq!(key, "webhook.items[0].stream");
        assert_eq!(at, line(&text, "[[webhook.items]]"));
        assert!(message.contains("\"posts\""), "{message}");

        let text = hooked.replace("id = [\"/entry/id\"]", "id = []");
        let (key, _, _) = error(&text);
        assert_eq!(key, "webhook.items[0].id");

        let text = hooked.replace("id = [\"/entry/id\"]", "id = [\"entry\"]");
        let (key, at, message) = error(&text);
        assert_eq!(key, "webhook.items[0].id[0]");
        assert_eq!(at, line(&text, "id = [\"entry\"]"));
        assert!(message.contains("not a JSON pointer"), "{message}");

        let text = hooked.split("[[webhook.items]]").next().unwrap().to_owned();
        let (key, at, message) = error(&text);
        assert_eq!(key, "webhook.items");
        assert_eq!(at, line(&text, "[webhook]"));
        assert!(message.contains("[[webhook.items]]"), "{message}");
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let text = VALID.replace("kind = \"bearer\"", "kind = \"bearer");
        let (_, at, _) = error(&text);
        assert_eq!(at, line(&text, "kind = \"bearer"));
    }

    #[test]
    fn a_missing_file_is_unreadable() {
        assert!(matches!(
            Definition::load(Path::new("/nonexistent/igny8/def.toml")),
            Err(DefinitionError::Unreadable { .. })
        ));
    }
}
