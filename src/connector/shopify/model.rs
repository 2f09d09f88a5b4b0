//! Shopify's products, blog articles and pages as the Admin API returns them, and their
//! mapping to `RemoteItem`: the external id is the object's GID, the editable body is
//! `descriptionHtml` (products) or `body` (articles, pages).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::connector::ConnectorError;
use crate::connector::remote::{RemoteItem, RemoteStub, Term};
use crate::connector::shopify::queries;

/// The kinds of object igny8 syncs from a shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Product,
    Article,
    Page,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Product, Kind::Article, Kind::Page];

    /// The `external_type` of its items.
    pub fn external_type(self) -> &'static str {
        match self {
            Kind::Product => "product",
            Kind::Article => "article",
            Kind::Page => "page",
        }
    }

    pub fn parse(external_type: &str) -> Result<Kind, ConnectorError> {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.external_type() == external_type)
            .ok_or_else(|| {
                ConnectorError::Permanent(format!(
                    "{external_type:?} is not a type a Shopify site syncs (product, article, page)"
                ))
            })
    }

    /// The GraphQL type name (`__typename`, and the GID's resource).
    pub fn typename(self) -> &'static str {
        match self {
            Kind::Product => "Product",
            Kind::Article => "Article",
            Kind::Page => "Page",
        }
    }

    pub fn connection(self) -> &'static str {
        match self {
            Kind::Product => "products",
            Kind::Article => "articles",
            Kind::Page => "pages",
        }
    }

    pub fn list_operation(self) -> &'static str {
        match self {
            Kind::Product => "Products",
            Kind::Article => "Articles",
            Kind::Page => "Pages",
        }
    }

    pub fn stub_operation(self) -> &'static str {
        match self {
            Kind::Product => "ProductIds",
            Kind::Article => "ArticleIds",
            Kind::Page => "PageIds",
        }
    }

    pub fn update_operation(self) -> &'static str {
        match self {
            Kind::Product => "ProductUpdate",
            Kind::Article => "ArticleUpdate",
            Kind::Page => "PageUpdate",
        }
    }

    /// The payload field of its update mutation.
    pub fn mutation_field(self) -> &'static str {
        match self {
            Kind::Product => "productUpdate",
            Kind::Article => "articleUpdate",
            Kind::Page => "pageUpdate",
        }
    }

    pub fn fragment_name(self) -> &'static str {
        match self {
            Kind::Product => "ProductFields",
            Kind::Article => "ArticleFields",
            Kind::Page => "PageFields",
        }
    }

    /// The fields read of its items.
    pub fn selection(self) -> &'static str {
        match self {
            Kind::Product => queries::PRODUCT_SELECTION,
            Kind::Article => queries::ARTICLE_SELECTION,
            Kind::Page => queries::PAGE_SELECTION,
        }
    }

    /// The field that says whether an item is live.
    pub fn status_field(self) -> &'static str {
        match self {
            Kind::Product => "status",
            Kind::Article | Kind::Page => "isPublished",
        }
    }

    /// The GID of the item with this numeric id (as REST payloads and webhooks carry it).
    pub fn gid(self, id: u64) -> String {
        format!("gid://shopify/{}/{id}", self.typename())
    }
}

/// `pageInfo` of a connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub has_next_page: bool,
    #[serde(default)]
    pub end_cursor: Option<String>,
}

/// One page of a connection.
#[derive(Debug, Clone, Deserialize)]
pub struct Connection<T> {
    #[serde(rename = "pageInfo")]
    pub page_info: PageInfo,
    pub nodes: Vec<T>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct Seo {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Named {
    name: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Blog {
    id: String,
    #[serde(default)]
    handle: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

/// A Product, Article or Page node; the fields that one type lacks stay empty.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    #[serde(default, rename = "__typename")]
    typename: Option<String>,
    pub id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    handle: Option<String>,
    #[serde(default)]
    description_html: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    body_summary: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    is_published: Option<bool>,
    pub updated_at: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    published_at: Option<String>,
    #[serde(default)]
    online_store_url: Option<String>,
    #[serde(default)]
    seo: Option<Seo>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    author: Option<Named>,
    #[serde(default)]
    blog: Option<Blog>,
}

/// A Shopify `DateTime` (ISO 8601 with a zone).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The form `updated_at` search filters and our cursors are written in.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn status(kind: Kind, status: Option<&str>, is_published: Option<bool>) -> String {
    match kind {
        Kind::Product => status.unwrap_or("active").to_ascii_lowercase(),
        Kind::Article | Kind::Page => match is_published {
            Some(false) => "draft".to_owned(),
            _ => "published".to_owned(),
        },
    }
}

impl Node {
    /// The kind the node's `__typename` names, where the answer carries one.
    pub fn typename(&self) -> Option<&str> {
        self.typename.as_deref()
    }

    pub fn into_remote(self, kind: Kind) -> Result<RemoteItem, ConnectorError> {
        let remote_modified = parse_time(&self.updated_at).ok_or_else(|| {
            ConnectorError::Permanent(format!(
                "{}: unreadable updatedAt {:?}",
                self.id, self.updated_at
            ))
        })?;
        let content_raw = match kind {
            Kind::Product => self.description_html,
            Kind::Article | Kind::Page => self.body,
        }
        .unwrap_or_default();
        let seo = self.seo.unwrap_or_default();
        let mut metadata = json!({ "gid": self.id });
        if let Some(created) = &self.created_at {
            metadata["created_at"] = json!(created);
        }
        if let Some(title) = &seo.title {
            metadata["seo_title"] = json!(title);
        }
        if let Some(summary) = &self.body_summary {
            metadata["body_summary"] = json!(summary);
        }
        if let Some(blog) = &self.blog {
            metadata["blog"] = json!({ "id": blog.id, "handle": blog.handle, "title": blog.title });
        }
        Ok(RemoteItem {
            external_type: kind.external_type().to_owned(),
            remote_status: status(kind, self.status.as_deref(), self.is_published),
            external_id: self.id,
            remote_modified,
            title: self.title,
            content_raw,
            content_rendered: None,
            excerpt: match kind {
                Kind::Article => self.summary,
                Kind::Product | Kind::Page => None,
            },
            slug: self.handle,
            external_url: self.online_store_url,
            author: self.author.map(|a| a.name),
            categories: Vec::new(),
            tags: self
                .tags
                .into_iter()
                .map(|tag| Term {
                    id: tag.clone(),
                    name: tag,
                })
                .collect(),
            featured_media: None,
            focus_keyphrase: None,
            meta_description: seo.description.filter(|d| !d.is_empty()),
            published_at: self.published_at.as_deref().and_then(parse_time),
            metadata,
        })
    }
}

/// What the ID sweep reads of an item.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stub {
    id: String,
    updated_at: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    is_published: Option<bool>,
}

impl Stub {
    pub fn into_stub(self, kind: Kind) -> Result<RemoteStub, ConnectorError> {
        Ok(RemoteStub {
            remote_modified: parse_time(&self.updated_at).ok_or_else(|| {
                ConnectorError::Permanent(format!(
                    "{}: unreadable updatedAt {:?}",
                    self.id, self.updated_at
                ))
            })?,
            remote_status: status(kind, self.status.as_deref(), self.is_published),
            external_id: self.id,
        })
    }
}

/// One `userErrors` entry of a mutation payload.
#[derive(Debug, Clone, Deserialize)]
pub struct UserError {
    #[serde(default)]
    pub field: Option<Vec<String>>,
    pub message: String,
}

impl UserError {
    pub fn describe(errors: &[UserError]) -> String {
        errors
            .iter()
            .map(|e| match &e.field {
                Some(path) if !path.is_empty() => format!("{}: {}", path.join("."), e.message),
                _ => e.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A node of a `nodes(ids:)` answer, which may be any type or null.
pub fn node_of_kind(value: Value, kind: Kind) -> Result<Option<Node>, ConnectorError> {
    if value.is_null() {
        return Ok(None);
    }
    let node: Node = serde_json::from_value(value).map_err(|err| {
        ConnectorError::Permanent(format!("nodes: an item has an unexpected shape: {err}"))
    })?;
    Ok((node.typename() == Some(kind.typename())).then_some(node))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_maps_its_description_handle_and_seo() {
        let node: Node = serde_json::from_value(json!({
            "id": "gid://shopify/Product/108828309",
            "title": "Kettle",
            "handle": "kettle",
            "descriptionHtml": "<p>Gooseneck.</p>",
            "status": "DRAFT",
            "updatedAt": "2026-01-02T03:04:05Z",
            "publishedAt": null,
            "onlineStoreUrl": null,
            "seo": {"title": "Kettle | Shop", "description": "A gooseneck kettle."}
        }))
        .unwrap();
        let item = node.into_remote(Kind::Product).unwrap();
        assert_eq!(item.external_id, "gid://shopify/Product/108828309");
        assert_eq!(item.content_raw, "<p>Gooseneck.</p>");
        assert_eq!(item.remote_status, "draft");
        assert_eq!(item.slug.as_deref(), Some("kettle"));
        assert_eq!(
            item.meta_description.as_deref(),
            Some("A gooseneck kettle.")
        );
        assert_eq!(item.metadata["seo_title"], "Kettle | Shop");
        assert_eq!(
            item.remote_modified,
            parse_time("2026-01-02T03:04:05Z").unwrap()
        );
    }

    #[test]
    fn an_article_keeps_its_summary_as_the_excerpt() {
        let node: Node = serde_json::from_value(json!({
            "id": "gid://shopify/Article/7",
            "title": "Brewing",
            "handle": "brewing",
            "body": "<p>Bloom.</p>",
            "summary": "<p>Short.</p>",
            "isPublished": true,
            "updatedAt": "2026-01-02T03:04:05-05:00",
            "tags": ["coffee"],
            "author": {"name": "Ana"},
            "blog": {"id": "gid://shopify/Blog/1", "handle": "news", "title": "News"}
        }))
        .unwrap();
        let item = node.into_remote(Kind::Article).unwrap();
        assert_eq!(item.excerpt.as_deref(), Some("<p>Short.</p>"));
        assert_eq!(item.remote_status, "published");
        assert_eq!(item.author.as_deref(), Some("Ana"));
        assert_eq!(item.tags[0].name, "coffee");
        assert_eq!(format_time(item.remote_modified), "2026-01-02T08:04:05Z");
    }

    #[test]
    fn gids_name_the_type() {
        assert_eq!(Kind::Page.gid(42), "gid://shopify/Page/42");
        assert!(Kind::parse("post").is_err());
    }
}
