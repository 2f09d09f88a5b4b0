//! What the pipeline stages read and write on content: the items a stage works on, a site's
//! link targets and keyword rules, and a stage's result, written only over the version the
//! stage read.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::content::{ContentHash, ContentSource, ContentStatus, SyncStatus};
use crate::domain::ids::{AccountId, ContentId, SiteId};
use crate::store::{Store, StoreError};

/// An item as the pipeline stages read it: what a link target, a linked document and the
/// analyzer need.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PipelineItem {
    pub id: ContentId,
    pub site_id: SiteId,
    /// Guards the write of a stage's result.
    pub version: i64,
    pub source: ContentSource,
    pub sync_status: SyncStatus,
    pub status: ContentStatus,
    pub external_type: Option<String>,
    pub remote_status: Option<String>,
    pub title: String,
    pub slug: Option<String>,
    pub external_url: Option<String>,
    pub content_raw: String,
    pub focus_keyphrase: Option<String>,
    pub meta_description: Option<String>,
    /// BCP 47 tag; `None` means the site's default.
    pub language: Option<String>,
    /// `[{"id", "name"}]`, as `RemoteItem` terms are stored.
    pub categories: Value,
    pub tags: Value,
    pub is_cornerstone: bool,
    /// The links the linker inserted so far.
    pub internal_links: Value,
}

const ITEM_COLUMNS: &str = "id, site_id, version, source, sync_status, status, external_type, \
    remote_status, title, slug, external_url, content_raw, focus_keyphrase, meta_description, \
    language, categories, tags, is_cornerstone, internal_links";

/// Whether an item is a page links may point at: it has a public URL and the CMS (or igny8,
/// for its own content) says it is published. `content` is aliased `c`.
macro_rules! is_link_target {
    () => {
        "(c.sync_status <> 'deleted_remote' AND c.external_url IS NOT NULL \
          AND (lower(c.remote_status) IN ('publish', 'active', 'published') \
               OR (c.source = 'igny8' AND c.status = 'published')))"
    };
}

const IS_LINK_TARGET: &str = is_link_target!();

const TARGET_COLUMNS: &str = concat!(
    "c.id, ",
    is_link_target!(),
    " AS is_target, c.external_url AS url, c.title, c.focus_keyphrase, c.categories, c.tags, \
     c.is_cornerstone, c.content_raw, c.updated_at"
);

/// An item as the site's link index sees it. Rows read as changes also carry items that
/// stopped being targets (`is_target` false), so the index can drop them.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LinkTargetRow {
    pub id: ContentId,
    pub is_target: bool,
    pub url: Option<String>,
    pub title: String,
    pub focus_keyphrase: Option<String>,
    pub categories: Value,
    pub tags: Value,
    pub is_cornerstone: bool,
    pub content_raw: String,
    pub updated_at: DateTime<Utc>,
}

/// An active curated rule that links a phrase to one of the site's items.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LinkRuleRow {
    pub id: i64,
    pub keyword: String,
    pub target_content_id: ContentId,
}

/// Which stage wrote a result: its version counter is bumped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Linker,
    Optimizer,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Linker => "linker",
            Stage::Optimizer => "optimizer",
        }
    }
}

/// A stage's result for one item. Absent fields are left as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct StageWrite<'a> {
    pub stage: Stage,
    /// The new body, when the stage changed it; the replaced one is kept as a revision.
    pub body: Option<&'a str>,
    pub meta_description: Option<&'a str>,
    pub internal_links: Option<&'a Value>,
    pub scores: Option<&'a Value>,
    pub status: ContentStatus,
}

impl Store {
    /// A page of a site's items that the CMS still has, by id after `after`.
    pub async fn live_items(
        &self,
        account: AccountId,
        site: SiteId,
        after: Option<ContentId>,
        limit: i64,
    ) -> Result<Vec<PipelineItem>, StoreError> {
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM content \
             WHERE account_id = $1 AND site_id = $2 AND sync_status <> 'deleted_remote' \
               AND id > coalesce($3, 0) \
             ORDER BY id LIMIT $4"
        )))
        .bind(account)
        .bind(site)
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(items)
    }

    /// One item of the account.
    pub async fn pipeline_item(
        &self,
        account: AccountId,
        id: ContentId,
    ) -> Result<PipelineItem, StoreError> {
        let item = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM content WHERE account_id = $1 AND id = $2"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(item)
    }

    /// Items with a body the pipeline has not processed yet (status `draft`), of one site or of
    /// every site of the account, by id after `after`. Items in the middle of a push, in
    /// conflict or gone from the CMS wait until that is settled.
    pub async fn awaiting_pipeline(
        &self,
        account: AccountId,
        site: Option<SiteId>,
        after: Option<ContentId>,
        limit: i64,
    ) -> Result<Vec<ContentId>, StoreError> {
        let ids = sqlx::query_scalar(
            "SELECT id FROM content \
             WHERE account_id = $1 AND ($2::bigint IS NULL OR site_id = $2) \
               AND status = 'draft' AND sync_status IN ('native', 'imported', 'synced') \
               AND id > coalesce($3, 0) \
             ORDER BY id LIMIT $4",
        )
        .bind(account)
        .bind(site)
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(ids)
    }

    /// How many items [`Store::awaiting_pipeline`] would list in all.
    pub async fn count_awaiting_pipeline(
        &self,
        account: AccountId,
        site: Option<SiteId>,
    ) -> Result<i64, StoreError> {
        let count = sqlx::query_scalar(
            "SELECT count(*) FROM content \
             WHERE account_id = $1 AND ($2::bigint IS NULL OR site_id = $2) \
               AND status = 'draft' AND sync_status IN ('native', 'imported', 'synced')",
        )
        .bind(account)
        .bind(site)
        .fetch_one(self.pool())
        .await?;
        Ok(count)
    }

    /// A site's link targets.
    pub async fn link_targets(
        &self,
        account: AccountId,
        site: SiteId,
    ) -> Result<Vec<LinkTargetRow>, StoreError> {
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TARGET_COLUMNS} FROM content c \
             WHERE c.account_id = $1 AND c.site_id = $2 AND {IS_LINK_TARGET} ORDER BY c.id"
        )))
        .bind(account)
        .bind(site)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// These items of a site as the link index sees them, targets or not.
    pub async fn link_target_rows(
        &self,
        account: AccountId,
        site: SiteId,
        ids: &[ContentId],
    ) -> Result<Vec<LinkTargetRow>, StoreError> {
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TARGET_COLUMNS} FROM content c \
             WHERE c.account_id = $1 AND c.site_id = $2 AND c.id = ANY($3) ORDER BY c.id"
        )))
        .bind(account)
        .bind(site)
        .bind(ids)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// The items of a site changed at or after `since`, with when.
    pub async fn content_changes(
        &self,
        account: AccountId,
        site: SiteId,
        since: DateTime<Utc>,
    ) -> Result<Vec<(ContentId, DateTime<Utc>)>, StoreError> {
        let rows = sqlx::query_as(
            "SELECT id, updated_at FROM content \
             WHERE account_id = $1 AND site_id = $2 AND updated_at >= $3",
        )
        .bind(account)
        .bind(site)
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// A site's active keyword rules that point at one of its items. Rules with an arbitrary
    /// URL as target are not read: the index links only to items it knows.
    pub async fn link_rules(
        &self,
        account: AccountId,
        site: SiteId,
    ) -> Result<Vec<LinkRuleRow>, StoreError> {
        let rows = sqlx::query_as(
            "SELECT id, keyword, target_content_id FROM link_rules \
             WHERE account_id = $1 AND site_id = $2 AND is_active \
               AND target_content_id IS NOT NULL \
             ORDER BY id",
        )
        .bind(account)
        .bind(site)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// How many other live items of the site use `keyphrase` as their focus keyphrase, case
    /// aside.
    pub async fn keyphrase_uses(
        &self,
        account: AccountId,
        site: SiteId,
        keyphrase: &str,
        except: ContentId,
    ) -> Result<i64, StoreError> {
        let count = sqlx::query_scalar(
            "SELECT count(*) FROM content \
             WHERE account_id = $1 AND site_id = $2 AND id <> $4 \
               AND lower(btrim(focus_keyphrase)) = lower(btrim($3)) \
               AND sync_status <> 'deleted_remote'",
        )
        .bind(account)
        .bind(site)
        .bind(keyphrase)
        .bind(except)
        .fetch_one(self.pool())
        .await?;
        Ok(count)
    }

    /// Whether the body we hold differs from what the CMS last held.
    pub async fn holds_local_changes(
        &self,
        account: AccountId,
        content: ContentId,
    ) -> Result<bool, StoreError> {
        let differs = sqlx::query_scalar(
            "SELECT content_hash IS DISTINCT FROM base_hash FROM content \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account)
        .bind(content)
        .fetch_one(self.pool())
        .await?;
        Ok(differs)
    }

    /// Moves an item to a pipeline stage without touching anything else.
    pub async fn set_content_status(
        &self,
        account: AccountId,
        content: ContentId,
        status: ContentStatus,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE content SET status = $3 WHERE account_id = $1 AND id = $2")
            .bind(account)
            .bind(content)
            .bind(status)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Writes a stage's result if the item is still at `expected_version`, keeping a replaced
    /// body as a revision. Returns the new version, or `None` when the item changed since the
    /// stage read it (the result is then stale and nothing is written).
    pub async fn save_stage(
        &self,
        account: AccountId,
        content: ContentId,
        expected_version: i64,
        write: &StageWrite<'_>,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin().await?;
        let version = save_stage(&mut tx, account, content, expected_version, write).await?;
        tx.commit().await?;
        Ok(version)
    }
}

/// [`Store::save_stage`] inside the caller's transaction.
pub(crate) async fn save_stage(
    tx: &mut crate::store::Transaction,
    account: AccountId,
    content: ContentId,
    expected_version: i64,
    write: &StageWrite<'_>,
) -> Result<Option<i64>, StoreError> {
    if write.body.is_some() {
        sqlx::query(
            "INSERT INTO content_revisions (account_id, content_id, version, origin, title, content_raw, content_hash) \
             SELECT account_id, id, version, $4, title, content_raw, content_hash FROM content \
             WHERE account_id = $1 AND id = $2 AND version = $3 \
             ON CONFLICT (account_id, content_id, version) DO NOTHING",
        )
        .bind(account)
        .bind(content)
        .bind(expected_version)
        .bind(write.stage.as_str())
        .execute(&mut **tx)
        .await?;
    }
    let hash = write
        .body
        .map(|body| ContentHash::of(body).as_bytes().to_vec());
    let version = sqlx::query_scalar(
        "UPDATE content SET content_raw = coalesce($4, content_raw), \
             content_hash = coalesce($5, content_hash), \
             meta_description = coalesce($6, meta_description), \
             internal_links = coalesce($7, internal_links), \
             optimization_scores = coalesce($8, optimization_scores), \
             status = $9, \
             linker_version = linker_version + CASE WHEN $10 = 'linker' THEN 1 ELSE 0 END, \
             optimizer_version = optimizer_version + CASE WHEN $10 = 'optimizer' THEN 1 ELSE 0 END, \
             version = version + 1 \
         WHERE account_id = $1 AND id = $2 AND version = $3 RETURNING version",
    )
    .bind(account)
    .bind(content)
    .bind(expected_version)
    .bind(write.body)
    .bind(hash)
    .bind(write.meta_description)
    .bind(write.internal_links)
    .bind(write.scores)
    .bind(write.status)
    .bind(write.stage.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(version)
}
