//! Content items: the guarded upsert a pull commits window by window, deletes seen on the
//! remote, and what the ID sweep compares against.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::connector::remote::RemoteItem;
use crate::domain::content::{ContentHash, ContentSource, SyncStatus};
use crate::domain::ids::{AccountId, ContentId, SiteId};
use crate::store::{Store, StoreError, Transaction, content_events};

/// What one upsert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    pub created: u64,
    pub updated: u64,
    /// Items we already held at this remote version or newer (re-reads, our own writes).
    pub unchanged: u64,
}

/// Our copy of a remote item, as much as a sweep needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalVersion {
    pub id: ContentId,
    pub external_id: String,
    pub remote_modified: Option<DateTime<Utc>>,
    pub sync_status: SyncStatus,
}

/// The columns of a batch, one vector per column, for one `unnest`.
#[derive(Default)]
struct Columns {
    external_type: Vec<String>,
    external_id: Vec<String>,
    remote_modified: Vec<DateTime<Utc>>,
    remote_status: Vec<String>,
    title: Vec<String>,
    slug: Vec<Option<String>>,
    excerpt: Vec<Option<String>>,
    content_raw: Vec<String>,
    content_rendered: Vec<Option<String>>,
    content_hash: Vec<Vec<u8>>,
    external_url: Vec<Option<String>>,
    author: Vec<Option<String>>,
    categories: Vec<Value>,
    tags: Vec<Value>,
    featured_media: Vec<Option<String>>,
    focus_keyphrase: Vec<Option<String>>,
    meta_description: Vec<Option<String>>,
    published_at: Vec<Option<DateTime<Utc>>>,
    metadata: Vec<Value>,
}

impl Columns {
    fn of(items: &[RemoteItem]) -> Columns {
        let mut c = Columns::default();
        for item in items {
            c.external_type.push(item.external_type.clone());
            c.external_id.push(item.external_id.clone());
            c.remote_modified.push(item.remote_modified);
            c.remote_status.push(item.remote_status.clone());
            c.title.push(item.title.clone());
            c.slug.push(item.slug.clone());
            c.excerpt.push(item.excerpt.clone());
            c.content_raw.push(item.content_raw.clone());
            c.content_rendered.push(item.content_rendered.clone());
            c.content_hash
                .push(ContentHash::of(&item.content_raw).as_bytes().to_vec());
            c.external_url.push(item.external_url.clone());
            c.author.push(item.author.clone());
            c.categories
                .push(serde_json::to_value(&item.categories).expect("terms serialize"));
            c.tags
                .push(serde_json::to_value(&item.tags).expect("terms serialize"));
            c.featured_media.push(item.featured_media.clone());
            c.focus_keyphrase.push(item.focus_keyphrase.clone());
            c.meta_description.push(item.meta_description.clone());
            c.published_at.push(item.published_at);
            c.metadata.push(item.metadata.clone());
        }
        c
    }
}

/// How items reached us, which decides what the upsert may replace. `$23` is true for a live
/// read of the CMS (`Arrival::Pull`), false for an export file (`Arrival::Import`).
///
/// Incoming items replace ours only when their remote version is newer. A live read also
/// replaces a tombstone or an import, which it confirms; an import replaces nothing that says
/// the same thing (body as the CMS held it, title, status), so an import whose dates had to be
/// made up is still idempotent. A replaced body that held work not in the CMS (content_hash
/// differs from base_hash) is kept as a revision first, so neither ever loses anything. New
/// rows are `synced` from a pull and `imported` from a file; only a live read sets
/// last_synced_at.
const UPSERT: &str = "
WITH incoming AS (
    SELECT DISTINCT ON (external_type, external_id) *
    FROM unnest($4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::text[],
                $10::text[], $11::text[], $12::text[], $13::bytea[], $14::text[], $15::text[],
                $16::jsonb[], $17::jsonb[], $18::text[], $19::text[], $20::text[],
                $21::timestamptz[], $22::jsonb[])
        AS t(external_type, external_id, remote_modified, remote_status, title, slug, excerpt,
             content_raw, content_rendered, content_hash, external_url, author, categories, tags,
             featured_media, focus_keyphrase, meta_description, published_at, metadata)
    ORDER BY external_type, external_id, remote_modified DESC
),
kept AS (
    INSERT INTO content_revisions (account_id, content_id, version, origin, title, content_raw,
                                   content_hash, metadata)
    SELECT c.account_id, c.id, c.version, CASE WHEN $23::boolean THEN 'pull' ELSE 'import' END, c.title,
           c.content_raw, c.content_hash,
           jsonb_build_object('sync_status', c.sync_status, 'status', c.status)
    FROM incoming i
    JOIN content c
      ON c.account_id = $1 AND c.site_id = $2
     AND c.external_type = i.external_type AND c.external_id = i.external_id
     -- Matches content_local_changes_idx, which holds only such rows.
     AND c.content_hash IS DISTINCT FROM c.base_hash
    WHERE c.content_hash IS DISTINCT FROM i.content_hash
      AND ((c.remote_modified IS NULL OR c.remote_modified < i.remote_modified)
              AND ($23 OR (c.base_hash, c.title, c.remote_status)
                          IS DISTINCT FROM (i.content_hash, i.title, i.remote_status))
           OR $23 AND c.sync_status IN ('deleted_remote', 'imported'))
    ON CONFLICT (account_id, content_id, version) DO NOTHING
)
INSERT INTO content AS c (
    account_id, site_id, source, sync_status, external_type, external_id, remote_modified,
    remote_status, title, slug, excerpt, content_raw, content_rendered, content_hash, base_hash,
    external_url, author, categories, tags, featured_media, focus_keyphrase, meta_description,
    published_at, sync_metadata, last_synced_at)
SELECT $1, $2, $3, CASE WHEN $23 THEN 'synced' ELSE 'imported' END, external_type, external_id,
       remote_modified, remote_status, title, slug, excerpt, content_raw, content_rendered,
       content_hash, content_hash, external_url, author, categories, tags, featured_media,
       focus_keyphrase, meta_description, published_at, metadata, CASE WHEN $23 THEN now() END
FROM incoming
ON CONFLICT (account_id, site_id, external_type, external_id) DO UPDATE SET
    sync_status = CASE WHEN $23 THEN 'synced' ELSE 'imported' END,
    -- A changed body goes through the pipeline again; an unchanged one keeps its stage.
    status = CASE WHEN c.content_hash IS DISTINCT FROM EXCLUDED.content_hash THEN 'draft'
                  ELSE c.status END,
    remote_modified = EXCLUDED.remote_modified,
    remote_status = EXCLUDED.remote_status,
    title = EXCLUDED.title,
    slug = EXCLUDED.slug,
    excerpt = EXCLUDED.excerpt,
    content_raw = EXCLUDED.content_raw,
    content_rendered = EXCLUDED.content_rendered,
    content_hash = EXCLUDED.content_hash,
    base_hash = EXCLUDED.base_hash,
    external_url = EXCLUDED.external_url,
    author = EXCLUDED.author,
    categories = EXCLUDED.categories,
    tags = EXCLUDED.tags,
    featured_media = EXCLUDED.featured_media,
    focus_keyphrase = EXCLUDED.focus_keyphrase,
    meta_description = EXCLUDED.meta_description,
    published_at = EXCLUDED.published_at,
    sync_metadata = c.sync_metadata || EXCLUDED.sync_metadata,
    last_synced_at = CASE WHEN $23 THEN now() ELSE c.last_synced_at END,
    sync_error = NULL,
    version = c.version + 1
WHERE (c.remote_modified IS NULL OR c.remote_modified < EXCLUDED.remote_modified)
      AND ($23 OR (c.base_hash, c.title, c.remote_status)
                  IS DISTINCT FROM (EXCLUDED.base_hash, EXCLUDED.title, EXCLUDED.remote_status))
   OR $23 AND c.sync_status IN ('deleted_remote', 'imported')
RETURNING (xmax = 0) AS inserted";

/// Where a batch of items comes from: a live read of the CMS, or an export file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arrival {
    Pull,
    Import,
}

impl Store {
    /// Upserts pulled items inside the caller's transaction (the window's, which also moves the
    /// cursor), with a `content_synced` event for each body it created or changed when a rule
    /// listens for them.
    pub async fn upsert_pulled(
        tx: &mut Transaction,
        account: AccountId,
        site: SiteId,
        source: ContentSource,
        items: &[RemoteItem],
    ) -> Result<UpsertCounts, StoreError> {
        let prior = content_events::prior_bodies(tx, account, site, items).await?;
        let counts = upsert(tx, account, site, source, items, Arrival::Pull).await?;
        if let Some(prior) = prior {
            content_events::record_synced_events(tx, account, site, &prior).await?;
        }
        Ok(counts)
    }

    /// Upserts items read from an export file inside the caller's transaction. New items are
    /// `imported` until a pull confirms them; an item we hold at the same or a newer remote
    /// version, or one the file says nothing new about, is left as it is.
    pub async fn upsert_imported(
        tx: &mut Transaction,
        account: AccountId,
        site: SiteId,
        source: ContentSource,
        items: &[RemoteItem],
    ) -> Result<UpsertCounts, StoreError> {
        upsert(tx, account, site, source, items, Arrival::Import).await
    }

    /// Marks items gone from the CMS. Returns how many were live until now.
    pub async fn mark_deleted_remote(
        &self,
        account: AccountId,
        site: SiteId,
        external_type: &str,
        external_ids: &[String],
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE content SET sync_status = 'deleted_remote', last_synced_at = now(), \
                 version = version + 1 \
             WHERE account_id = $1 AND site_id = $2 AND external_type = $3 \
               AND external_id = ANY($4) AND sync_status <> 'deleted_remote'",
        )
        .bind(account)
        .bind(site)
        .bind(external_type)
        .bind(external_ids)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Our remote-backed items of one type, for the ID sweep.
    pub async fn local_versions(
        &self,
        account: AccountId,
        site: SiteId,
        external_type: &str,
    ) -> Result<Vec<LocalVersion>, StoreError> {
        let rows: Vec<(ContentId, String, Option<DateTime<Utc>>, SyncStatus)> = sqlx::query_as(
            "SELECT id, external_id, remote_modified, sync_status FROM content \
             WHERE account_id = $1 AND site_id = $2 AND external_type = $3 \
               AND external_id IS NOT NULL",
        )
        .bind(account)
        .bind(site)
        .bind(external_type)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, external_id, remote_modified, sync_status)| LocalVersion {
                    id,
                    external_id,
                    remote_modified,
                    sync_status,
                },
            )
            .collect())
    }
}

async fn upsert(
    tx: &mut Transaction,
    account: AccountId,
    site: SiteId,
    source: ContentSource,
    items: &[RemoteItem],
    arrival: Arrival,
) -> Result<UpsertCounts, StoreError> {
    if items.is_empty() {
        return Ok(UpsertCounts::default());
    }
    // Pulled and imported items are copies of what the CMS or a file holds, committed with the
    // cursor (or in the order of the file) that leads to them: if a crash loses the last
    // commits, the next run reads those items again. So these transactions do not wait for
    // the disk; everything else (pushes, the ledger) still does.
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut **tx)
        .await?;
    let c = Columns::of(items);
    let distinct = {
        let mut keys: Vec<(&String, &String)> =
            c.external_type.iter().zip(&c.external_id).collect();
        keys.sort();
        keys.dedup();
        keys.len() as u64
    };
    let inserted: Vec<bool> = sqlx::query_scalar(UPSERT)
        .bind(account)
        .bind(site)
        .bind(source)
        .bind(&c.external_type)
        .bind(&c.external_id)
        .bind(&c.remote_modified)
        .bind(&c.remote_status)
        .bind(&c.title)
        .bind(&c.slug)
        .bind(&c.excerpt)
        .bind(&c.content_raw)
        .bind(&c.content_rendered)
        .bind(&c.content_hash)
        .bind(&c.external_url)
        .bind(&c.author)
        .bind(&c.categories)
        .bind(&c.tags)
        .bind(&c.featured_media)
        .bind(&c.focus_keyphrase)
        .bind(&c.meta_description)
        .bind(&c.published_at)
        .bind(&c.metadata)
        .bind(arrival == Arrival::Pull)
        .fetch_all(&mut **tx)
        .await?;
    let created = inserted.iter().filter(|i| **i).count() as u64;
    let updated = inserted.len() as u64 - created;
    Ok(UpsertCounts {
        created,
        updated,
        unchanged: distinct - created - updated,
    })
}
