//! The content events automation rules react to, written set-based in the transaction of the
//! change: `content_synced` for the bodies a pulled batch created or changed, and
//! `content_optimized` when the optimizer's result is saved.
//!
//! A pull commits batches of about a thousand items and most accounts have no rule for synced
//! content, so a batch first asks whether any active rule listens (one indexed lookup); only
//! then are the batch's prior body hashes read and, after the upsert, one INSERT writes the
//! events of the items whose body this transaction changed.

use serde_json::Value;
use sqlx::PgConnection;

use crate::connector::remote::RemoteItem;
use crate::domain::event::{Causation, EventKind};
use crate::domain::ids::{AccountId, ContentId, EventId, SiteId};
use crate::store::StoreError;
use crate::store::automation_rules::has_active_rule;

/// The snapshot of a content row `c` that events carry under `content`, the fields a rule's
/// conditions read (`content.word_count`, `content.optimization_scores.seo`, ...).
const SNAPSHOT: &str = "jsonb_build_object(
    'id', c.id, 'site_id', c.site_id, 'source', c.source, 'status', c.status,
    'sync_status', c.sync_status, 'external_type', c.external_type,
    'external_id', c.external_id, 'url', c.external_url, 'remote_status', c.remote_status,
    'title', c.title, 'slug', c.slug, 'word_count', c.word_count, 'language', c.language,
    'focus_keyphrase', c.focus_keyphrase, 'is_cornerstone', c.is_cornerstone,
    'optimization_scores', c.optimization_scores, 'version', c.version)";

/// The body hashes a batch's items had before the upsert (none for items new to us).
#[derive(Debug, Default)]
pub struct PriorBodies {
    external_type: Vec<String>,
    external_id: Vec<String>,
    hash: Vec<Option<Vec<u8>>>,
}

/// Reads what the batch's items hold now, when the account has an active `content_synced`
/// rule; `None` otherwise, and no event will be written.
pub async fn prior_bodies(
    conn: &mut PgConnection,
    account: AccountId,
    site: SiteId,
    items: &[RemoteItem],
) -> Result<Option<PriorBodies>, StoreError> {
    if items.is_empty() || !has_active_rule(conn, account, EventKind::ContentSynced).await? {
        return Ok(None);
    }
    let types: Vec<&str> = items.iter().map(|i| i.external_type.as_str()).collect();
    let ids: Vec<&str> = items.iter().map(|i| i.external_id.as_str()).collect();
    let rows: Vec<(String, String, Option<Vec<u8>>)> = sqlx::query_as(
        "SELECT DISTINCT i.external_type, i.external_id, c.content_hash \
         FROM unnest($3::text[], $4::text[]) AS i(external_type, external_id) \
         LEFT JOIN content c ON c.account_id = $1 AND c.site_id = $2 \
              AND c.external_type = i.external_type AND c.external_id = i.external_id",
    )
    .bind(account)
    .bind(site)
    .bind(&types)
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut prior = PriorBodies::default();
    for (external_type, external_id, hash) in rows {
        prior.external_type.push(external_type);
        prior.external_id.push(external_id);
        prior.hash.push(hash);
    }
    Ok(Some(prior))
}

/// Writes a `content_synced` event for each item of the batch whose body this transaction
/// created or changed (the row was written by this transaction and its hash differs from the
/// prior one). One statement; returns how many events.
pub async fn record_synced_events(
    conn: &mut PgConnection,
    account: AccountId,
    site: SiteId,
    prior: &PriorBodies,
) -> Result<u64, StoreError> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO domain_events (account_id, kind, subject_type, subject_id, payload) \
         SELECT c.account_id, 'content_synced', 'content', c.id, \
                jsonb_build_object('content', {SNAPSHOT} \
                    || jsonb_build_object('created', p.hash IS NULL)) \
         FROM unnest($3::text[], $4::text[], $5::bytea[]) AS p(external_type, external_id, hash) \
         JOIN content c ON c.account_id = $1 AND c.site_id = $2 \
              AND c.external_type = p.external_type AND c.external_id = p.external_id \
         WHERE c.xmin = pg_current_xact_id()::xid \
           AND c.content_hash IS DISTINCT FROM p.hash \
         ORDER BY c.id"
    )))
    .bind(account)
    .bind(site)
    .bind(&prior.external_type)
    .bind(&prior.external_id)
    .bind(&prior.hash)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Writes a `content_optimized` event for `content` as it is now, with `details` (what the
/// run changed) merged into its snapshot, when the account has an active rule for it.
pub async fn record_optimized_event(
    conn: &mut PgConnection,
    account: AccountId,
    content: ContentId,
    details: &Value,
    causation: &Causation,
) -> Result<Option<EventId>, StoreError> {
    if !has_active_rule(conn, account, EventKind::ContentOptimized).await? {
        return Ok(None);
    }
    let chain = serde_json::to_value(causation).expect("a causation chain serializes");
    let depth = i32::try_from(causation.depth()).unwrap_or(i32::MAX);
    let id = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "INSERT INTO domain_events (account_id, kind, subject_type, subject_id, payload, \
             causation, depth) \
         SELECT c.account_id, 'content_optimized', 'content', c.id, \
                jsonb_build_object('content', {SNAPSHOT} || $3::jsonb), $4, $5 \
         FROM content c WHERE c.account_id = $1 AND c.id = $2 \
         RETURNING id"
    )))
    .bind(account)
    .bind(content)
    .bind(details)
    .bind(chain)
    .bind(depth)
    .fetch_optional(conn)
    .await?;
    Ok(id)
}
