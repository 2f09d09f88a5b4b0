//! Content as the API lists and shows it: filtered, paginated, and limited to the sites the
//! caller's scope sees.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::content::{ContentSource, ContentStatus, SyncStatus};
use crate::domain::ids::{ContentId, SiteId};
use crate::store::sites::{GRANTS, SiteScope};
use crate::store::{Page, Paged, Store, StoreError};

/// Which items a list shows; absent filters match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentFilter {
    pub site: Option<SiteId>,
    pub source: Option<ContentSource>,
    pub sync_status: Option<SyncStatus>,
    pub status: Option<ContentStatus>,
    /// Words of the title, case aside.
    pub query: Option<String>,
}

/// An item in a list.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ContentSummary {
    pub id: ContentId,
    pub site_id: SiteId,
    pub source: ContentSource,
    pub sync_status: SyncStatus,
    pub status: ContentStatus,
    pub external_type: Option<String>,
    pub external_id: Option<String>,
    pub external_url: Option<String>,
    pub remote_status: Option<String>,
    pub remote_modified: Option<DateTime<Utc>>,
    pub title: String,
    pub slug: Option<String>,
    pub focus_keyphrase: Option<String>,
    pub linker_version: i32,
    pub optimizer_version: i32,
    pub version: i64,
    /// The latest analyzer scores; an empty object before the first run.
    pub optimization_scores: Value,
    pub updated_at: DateTime<Utc>,
}

/// An item with its body and links.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ContentDetail {
    #[sqlx(flatten)]
    pub summary: ContentSummary,
    pub content_raw: String,
    pub excerpt: Option<String>,
    pub meta_description: Option<String>,
    pub language: Option<String>,
    pub is_cornerstone: bool,
    pub internal_links: Value,
    pub categories: Value,
    pub tags: Value,
    pub sync_error: Option<String>,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const SUMMARY: &str = "c.id, c.site_id, c.source, c.sync_status, c.status, c.external_type, \
    c.external_id, c.external_url, c.remote_status, c.remote_modified, c.title, c.slug, \
    c.focus_keyphrase, c.linker_version, c.optimizer_version, c.version, c.optimization_scores, \
    c.updated_at";

/// Items of the sites `$1`/`$2` see, filtered by `$3` to `$7`.
const FILTERED: &str =
    "FROM content c JOIN sites s ON s.account_id = c.account_id AND s.id = c.site_id";

const FILTERS: &str = "AND ($3::bigint IS NULL OR c.site_id = $3) \
    AND ($4::text IS NULL OR c.source = $4) \
    AND ($5::text IS NULL OR c.sync_status = $5) \
    AND ($6::text IS NULL OR c.status = $6) \
    AND ($7::text IS NULL OR c.title ILIKE '%' || $7 || '%' ESCAPE '\\')";

/// `text` as a literal inside an ILIKE pattern.
fn like_literal(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

impl Store {
    /// One page of the items `scope` sees that match `filter`, newest change first.
    pub async fn content_in_scope(
        &self,
        scope: SiteScope,
        filter: &ContentFilter,
        page: Page,
    ) -> Result<Paged<ContentSummary>, StoreError> {
        let query = filter.query.as_deref().map(like_literal);
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY} {FILTERED} {GRANTS} {FILTERS} \
             ORDER BY c.updated_at DESC, c.id DESC LIMIT $8 OFFSET $9"
        )))
        .bind(scope.account())
        .bind(scope.grantee())
        .bind(filter.site)
        .bind(filter.source)
        .bind(filter.sync_status)
        .bind(filter.status)
        .bind(&query)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) {FILTERED} {GRANTS} {FILTERS}"
        )))
        .bind(scope.account())
        .bind(scope.grantee())
        .bind(filter.site)
        .bind(filter.source)
        .bind(filter.sync_status)
        .bind(filter.status)
        .bind(&query)
        .fetch_one(self.pool())
        .await?;
        Ok(Paged { items, total })
    }

    /// An item `scope` sees; [`StoreError::NotFound`] otherwise.
    pub async fn content_detail_in_scope(
        &self,
        scope: SiteScope,
        id: ContentId,
    ) -> Result<ContentDetail, StoreError> {
        let detail = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY}, c.content_raw, c.excerpt, c.meta_description, c.language, \
                 c.is_cornerstone, c.internal_links, c.categories, c.tags, c.sync_error, \
                 c.last_synced_at, c.created_at \
             {FILTERED} {GRANTS} AND c.id = $3"
        )))
        .bind(scope.account())
        .bind(scope.grantee())
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(detail)
    }
}

#[cfg(test)]
mod tests {
    use super::like_literal;

    #[test]
    fn pattern_characters_are_taken_literally() {
        assert_eq!(like_literal("100% pure_tea\\"), "100\\% pure\\_tea\\\\");
        assert_eq!(like_literal("French press"), "French press");
    }
}
