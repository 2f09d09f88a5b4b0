//! WordPress REST objects as the `wp/v2` routes return them in `context=edit`, and how they map
//! onto a `RemoteItem`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::connector::remote::{RemoteItem, RemoteStub, Term};

/// A post, page or custom post type item.
#[derive(Debug, Clone, Deserialize)]
pub struct WpPost {
    pub id: u64,
    #[serde(rename = "type")]
    pub post_type: String,
    pub status: String,
    pub modified_gmt: String,
    #[serde(default)]
    pub date_gmt: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub title: Option<Rendered>,
    #[serde(default)]
    pub content: Option<Rendered>,
    #[serde(default)]
    pub excerpt: Option<Rendered>,
    #[serde(default)]
    pub author: Option<u64>,
    #[serde(default)]
    pub featured_media: Option<u64>,
    #[serde(default)]
    pub categories: Vec<u64>,
    #[serde(default)]
    pub tags: Vec<u64>,
    #[serde(default)]
    pub parent: Option<u64>,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub guid: Option<Rendered>,
    #[serde(default)]
    pub meta: Option<Value>,
    /// Yoast SEO's computed head, where the plugin is active.
    #[serde(default)]
    pub yoast_head_json: Option<Value>,
}

/// A field WordPress returns both as stored (`raw`, edit context only) and filtered
/// (`rendered`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Rendered {
    #[serde(default)]
    pub raw: Option<String>,
    #[serde(default)]
    pub rendered: Option<String>,
}

/// What an ID sweep asks for: `_fields=id,modified_gmt,status`.
#[derive(Debug, Clone, Deserialize)]
pub struct WpStub {
    pub id: u64,
    pub modified_gmt: String,
    pub status: String,
}

/// A category or tag.
#[derive(Debug, Clone, Deserialize)]
pub struct WpTerm {
    pub id: u64,
    pub name: String,
}

/// The body of a WordPress REST error.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WpError {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub data: Option<Value>,
}

/// WordPress's GMT timestamps carry no zone: `2026-03-01T09:30:00`. Posts never saved with a
/// date have `0000-00-00T00:00:00` or null.
pub fn parse_gmt(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|naive| naive.and_utc())
}

/// Formats a time the way WordPress writes `*_gmt` fields.
pub fn format_gmt(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Category and tag names by id, loaded once per run.
#[derive(Debug, Clone, Default)]
pub struct TermNames {
    pub categories: HashMap<u64, String>,
    pub tags: HashMap<u64, String>,
}

fn terms(ids: &[u64], names: &HashMap<u64, String>) -> Vec<Term> {
    ids.iter()
        .map(|id| Term {
            id: id.to_string(),
            name: names.get(id).cloned().unwrap_or_default(),
        })
        .collect()
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

impl WpPost {
    /// The item in the engine's shape. Without `raw` fields the credential lacks edit context,
    /// which the probe reports; a post without them cannot be pushed back, so it is refused here.
    pub fn into_remote(self, names: &TermNames) -> Result<RemoteItem, String> {
        let remote_modified = parse_gmt(&self.modified_gmt).ok_or_else(|| {
            format!(
                "{} {} has an unreadable modified_gmt {:?}",
                self.post_type, self.id, self.modified_gmt
            )
        })?;
        let content = self.content.unwrap_or_default();
        let content_raw = content.raw.ok_or_else(|| {
            format!(
                "{} {} came without content.raw: the credential cannot read edit context",
                self.post_type, self.id
            )
        })?;
        let title = self.title.unwrap_or_default();
        let excerpt = self.excerpt.unwrap_or_default();
        let meta = self.meta.as_ref().and_then(Value::as_object);
        let meta_text =
            |key: &str| non_empty(meta.and_then(|m| m.get(key)).and_then(Value::as_str));
        let yoast_description = self
            .yoast_head_json
            .as_ref()
            .and_then(|head| head.get("description"))
            .and_then(Value::as_str);
        let mut metadata = Map::new();
        if let Some(parent) = self.parent.filter(|p| *p != 0) {
            metadata.insert("parent".to_owned(), json!(parent));
        }
        if let Some(template) = self.template.as_deref().filter(|t| !t.is_empty()) {
            metadata.insert("template".to_owned(), json!(template));
        }
        if let Some(guid) = self
            .guid
            .as_ref()
            .and_then(|g| g.raw.clone().or(g.rendered.clone()))
        {
            metadata.insert("guid".to_owned(), json!(guid));
        }
        if let Some(author) = self.author {
            metadata.insert("author_id".to_owned(), json!(author));
        }
        Ok(RemoteItem {
            external_type: self.post_type,
            external_id: self.id.to_string(),
            remote_modified,
            remote_status: self.status,
            title: title.raw.or(title.rendered).unwrap_or_default(),
            content_raw,
            content_rendered: content.rendered,
            excerpt: excerpt.raw.or(excerpt.rendered).filter(|e| !e.is_empty()),
            slug: self.slug.filter(|s| !s.is_empty()),
            external_url: self.link,
            author: self.author.map(|a| a.to_string()),
            categories: terms(&self.categories, &names.categories),
            tags: terms(&self.tags, &names.tags),
            featured_media: self
                .featured_media
                .filter(|m| *m != 0)
                .map(|m| m.to_string()),
            focus_keyphrase: meta_text("_yoast_wpseo_focuskw"),
            meta_description: meta_text("_yoast_wpseo_metadesc")
                .or_else(|| non_empty(yoast_description)),
            published_at: self.date_gmt.as_deref().and_then(parse_gmt),
            metadata: Value::Object(metadata),
        })
    }
}

impl WpStub {
    pub fn into_stub(self) -> Result<RemoteStub, String> {
        let remote_modified = parse_gmt(&self.modified_gmt).ok_or_else(|| {
            format!(
                "item {} has an unreadable modified_gmt {:?}",
                self.id, self.modified_gmt
            )
        })?;
        Ok(RemoteStub {
            external_id: self.id.to_string(),
            remote_modified,
            remote_status: self.status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmt_times_round_trip_and_zero_dates_are_none() {
        let time = parse_gmt("2026-03-01T09:30:05").unwrap();
        assert_eq!(time.to_rfc3339(), "2026-03-01T09:30:05+00:00");
        assert_eq!(format_gmt(time), "2026-03-01T09:30:05");
        assert_eq!(parse_gmt("0000-00-00T00:00:00"), None);
    }

    #[test]
    fn an_edit_context_post_maps_onto_a_remote_item() {
        let post: WpPost = serde_json::from_value(json!({
            "id": 7, "type": "post", "status": "draft",
            "date_gmt": null, "modified_gmt": "2026-01-02T03:04:05",
            "slug": "", "link": "http://example.test/?p=7",
            "title": {"raw": "A &amp; B", "rendered": "A &#038; B"},
            "content": {"raw": "<!-- wp:paragraph --><p>Hi</p><!-- /wp:paragraph -->", "rendered": "<p>Hi</p>"},
            "excerpt": {"raw": "", "rendered": "<p>Hi</p>"},
            "author": 1, "featured_media": 0, "categories": [3], "tags": [],
            "meta": {"_yoast_wpseo_focuskw": " coffee "}
        }))
        .unwrap();
        let mut names = TermNames::default();
        names.categories.insert(3, "Brewing".to_owned());
        let item = post.into_remote(&names).unwrap();
        assert_eq!(item.external_id, "7");
        assert_eq!(item.title, "A &amp; B");
        assert_eq!(
            item.content_raw,
            "<!-- wp:paragraph --><p>Hi</p><!-- /wp:paragraph -->"
        );
        assert_eq!(item.excerpt, None);
        assert_eq!(item.slug, None);
        assert_eq!(item.published_at, None);
        assert_eq!(item.featured_media, None);
        assert_eq!(item.focus_keyphrase.as_deref(), Some("coffee"));
        assert_eq!(
            item.categories,
            vec![Term {
                id: "3".into(),
                name: "Brewing".into()
            }]
        );
    }

    #[test]
    fn a_view_context_post_is_refused() {
        let post: WpPost = serde_json::from_value(json!({
            "id": 7, "type": "post", "status": "publish", "modified_gmt": "2026-01-02T03:04:05",
            "content": {"rendered": "<p>Hi</p>"}
        }))
        .unwrap();
        let err = post.into_remote(&TermNames::default()).unwrap_err();
        assert!(err.contains("edit context"), "{err}");
    }
}
