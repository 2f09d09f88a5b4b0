//! The content events automation rules react to, written in the transaction of the change:
//! the snapshot of a content row they carry, and `content_optimized` when the optimizer's
//! result is saved. `content_synced` is written by the pull's upsert itself (`content.rs`), in
//! the same statement, when the account has an active rule for it.

use serde_json::Value;
use sqlx::PgConnection;

use crate::domain::event::{Causation, EventKind};
use crate::domain::ids::{AccountId, ContentId, EventId};
use crate::store::StoreError;
use crate::store::automation_rules::has_active_rule;

/// The snapshot of a content row `c` that events carry under `content`, the fields a rule's
/// conditions read (`content.word_count`, `content.optimization_scores.seo`, ...).
pub const SNAPSHOT: &str = "jsonb_build_object(
    'id', c.id, 'site_id', c.site_id, 'source', c.source, 'status', c.status,
    'sync_status', c.sync_status, 'external_type', c.external_type,
    'external_id', c.external_id, 'url', c.external_url, 'remote_status', c.remote_status,
    'title', c.title, 'slug', c.slug, 'word_count', c.word_count, 'language', c.language,
    'focus_keyphrase', c.focus_keyphrase, 'is_cornerstone', c.is_cornerstone,
    'optimization_scores', c.optimization_scores, 'version', c.version)";

/// The columns of a content row that [`SNAPSHOT`] reads, with the account and the body hash,
/// for statements that build events from rows they return.
pub const SNAPSHOT_COLUMNS: &str = "account_id, id, site_id, source, status, sync_status, \
    external_type, external_id, external_url, remote_status, title, slug, word_count, language, \
    focus_keyphrase, is_cornerstone, optimization_scores, version, content_hash";

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
