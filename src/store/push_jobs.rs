//! The push outbox: one row per intended write to the CMS, moved through
//! pending -> preflight -> writing -> verifying -> done | conflict | failed, and the content
//! changes each ending makes, in the same transaction.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::connector::remote::{Patch, RemoteItem};
use crate::domain::content::{ContentHash, ContentSource};
use crate::domain::ids::{AccountId, ContentId, PushJobId, SiteId};
use crate::store::jobs::{NewJob, enqueue};
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum PushState {
    Pending,
    Preflight,
    Writing,
    Verifying,
    Done,
    Conflict,
    Failed,
}

/// An unfinished push with what the engine needs to carry it on.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PushJob {
    pub account_id: AccountId,
    pub id: PushJobId,
    pub site_id: SiteId,
    pub content_id: ContentId,
    pub state: PushState,
    pub changed_fields: Value,
    pub content_version: i64,
    pub base_remote_modified: Option<DateTime<Utc>>,
    pub base_hash: Option<Vec<u8>>,
    pub attempts: i32,
    pub external_type: String,
    pub external_id: String,
}

impl PushJob {
    pub fn patch(&self) -> Result<Patch, String> {
        serde_json::from_value(self.changed_fields.clone())
            .map_err(|err| format!("push {}: changed_fields: {err}", self.id))
    }
}

/// How a push ended.
#[derive(Debug, Clone, PartialEq)]
pub enum PushEnding {
    /// Written and read back: the receipt is the item as the CMS now holds it.
    Done {
        receipt: Box<RemoteItem>,
        sanitized: bool,
    },
    /// The CMS changed under us; nothing was written. The remote item replaces ours.
    Conflict {
        remote: Box<RemoteItem>,
        reason: String,
    },
    /// The item is gone from the CMS, or the CMS refused the write for good.
    Failed { error: String, deleted_remote: bool },
}

impl Store {
    /// Records a change made here (the pipeline's result, an edit) to an item's fields, if the
    /// item is still at `expected_version`; the replaced body is kept as a revision. Returns
    /// the new version.
    pub async fn record_local_change(
        &self,
        account: AccountId,
        content: ContentId,
        expected_version: i64,
        patch: &Patch,
        origin: &str,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO content_revisions (account_id, content_id, version, origin, title, content_raw, content_hash) \
             SELECT account_id, id, version, $4, title, content_raw, content_hash FROM content \
             WHERE account_id = $1 AND id = $2 AND version = $3 \
             ON CONFLICT (account_id, content_id, version) DO NOTHING",
        )
        .bind(account)
        .bind(content)
        .bind(expected_version)
        .bind(origin)
        .execute(&mut *tx)
        .await?;
        let hash = patch
            .content
            .as_deref()
            .map(|body| ContentHash::of(body).as_bytes().to_vec());
        let version = sqlx::query_scalar(
            "UPDATE content SET title = coalesce($4, title), content_raw = coalesce($5, content_raw), \
                 excerpt = coalesce($6, excerpt), content_hash = coalesce($7, content_hash), \
                 version = version + 1 \
             WHERE account_id = $1 AND id = $2 AND version = $3 RETURNING version",
        )
        .bind(account)
        .bind(content)
        .bind(expected_version)
        .bind(&patch.title)
        .bind(&patch.content)
        .bind(&patch.excerpt)
        .bind(hash)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Queues `patch` for the CMS as the item's one push in flight, computed against the
    /// remote version we hold, and enqueues `job` (the site's push run) in the same
    /// transaction. A pending push of the same item is replaced by the newer patch. Returns
    /// the push id.
    pub async fn queue_push(
        &self,
        account: AccountId,
        content: ContentId,
        patch: &Patch,
        job: &NewJob,
    ) -> Result<PushJobId, StoreError> {
        let fields = serde_json::to_value(patch).expect("a patch serializes");
        let key = format!(
            "push:{content}:{}",
            ContentHash::of(&fields.to_string()).to_hex()
        );
        let mut tx = self.begin().await?;
        let replaced: Option<PushJobId> = sqlx::query_scalar(
            "UPDATE push_jobs p SET changed_fields = $3, idempotency_key = $4, content_version = c.version \
             FROM content c \
             WHERE p.account_id = $1 AND p.content_id = $2 AND p.state = 'pending' \
               AND c.account_id = p.account_id AND c.id = p.content_id \
             RETURNING p.id",
        )
        .bind(account)
        .bind(content)
        .bind(&fields)
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await?;
        let id = match replaced {
            Some(id) => id,
            None => {
                sqlx::query_scalar(
                    "INSERT INTO push_jobs (account_id, site_id, content_id, idempotency_key, changed_fields, \
                         content_version, base_remote_modified, base_hash) \
                     SELECT account_id, site_id, id, $3, $4, version, remote_modified, base_hash \
                     FROM content WHERE account_id = $1 AND id = $2 AND external_id IS NOT NULL \
                     RETURNING id",
                )
                .bind(account)
                .bind(content)
                .bind(&key)
                .bind(&fields)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        sqlx::query(
            "UPDATE content SET sync_status = 'pending_push' WHERE account_id = $1 AND id = $2",
        )
        .bind(account)
        .bind(content)
        .execute(&mut *tx)
        .await?;
        enqueue(&mut tx, job).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A site's unfinished pushes, oldest first.
    pub async fn active_pushes(
        &self,
        account: AccountId,
        site: SiteId,
    ) -> Result<Vec<PushJob>, StoreError> {
        let jobs = sqlx::query_as(
            "SELECT p.account_id, p.id, p.site_id, p.content_id, p.state, p.changed_fields, \
                 p.content_version, p.base_remote_modified, p.base_hash, p.attempts, \
                 c.external_type, c.external_id \
             FROM push_jobs p JOIN content c ON c.account_id = p.account_id AND c.id = p.content_id \
             WHERE p.account_id = $1 AND p.site_id = $2 \
               AND p.state IN ('pending', 'preflight', 'writing', 'verifying') \
             ORDER BY p.created_at, p.id",
        )
        .bind(account)
        .bind(site)
        .fetch_all(self.pool())
        .await?;
        Ok(jobs)
    }

    /// Moves a push from one live state to the next; entering `writing` counts an attempt.
    /// `false` means another worker moved it first.
    pub async fn advance_push(
        &self,
        account: AccountId,
        id: PushJobId,
        from: PushState,
        to: PushState,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE push_jobs SET state = $4, \
                 attempts = attempts + CASE WHEN $4 = 'writing' THEN 1 ELSE 0 END \
             WHERE account_id = $1 AND id = $2 AND state = $3",
        )
        .bind(account)
        .bind(id)
        .bind(from)
        .bind(to)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends a push and applies what its ending means to the content item, in one transaction.
    pub async fn finish_push(
        &self,
        job: &PushJob,
        source: ContentSource,
        ending: &PushEnding,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        match ending {
            PushEnding::Done { receipt, sanitized } => {
                let hash = ContentHash::of(&receipt.content_raw).as_bytes().to_vec();
                // The body becomes what the CMS holds, unless a newer local change arrived
                // meanwhile; the receipt is the new base either way, which is what lets the
                // next pull recognise our own write.
                sqlx::query(
                    "UPDATE content SET remote_modified = $4, remote_status = $5, base_hash = $6, \
                         last_synced_at = now(), sync_error = NULL, \
                         content_raw = CASE WHEN version = $3 THEN $7 ELSE content_raw END, \
                         title = CASE WHEN version = $3 THEN $8 ELSE title END, \
                         content_hash = CASE WHEN version = $3 THEN $6 ELSE content_hash END, \
                         sync_status = CASE WHEN version = $3 THEN 'synced' ELSE sync_status END, \
                         version = version + 1 \
                     WHERE account_id = $1 AND id = $2",
                )
                .bind(job.account_id)
                .bind(job.content_id)
                .bind(job.content_version)
                .bind(receipt.remote_modified)
                .bind(&receipt.remote_status)
                .bind(&hash)
                .bind(&receipt.content_raw)
                .bind(&receipt.title)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE push_jobs SET state = 'done', receipt_remote_modified = $3, receipt_hash = $4, \
                         details = details || $5, finished_at = now(), last_error = NULL \
                     WHERE account_id = $1 AND id = $2",
                )
                .bind(job.account_id)
                .bind(job.id)
                .bind(receipt.remote_modified)
                .bind(&hash)
                .bind(json!({"sanitized_by_cms": sanitized}))
                .execute(&mut *tx)
                .await?;
            }
            PushEnding::Conflict { remote, reason } => {
                Store::upsert_pulled(
                    &mut tx,
                    job.account_id,
                    job.site_id,
                    source,
                    std::slice::from_ref(remote),
                )
                .await?;
                sqlx::query(
                    "UPDATE content SET sync_status = 'conflict', sync_error = $3 \
                     WHERE account_id = $1 AND id = $2",
                )
                .bind(job.account_id)
                .bind(job.content_id)
                .bind(reason)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE push_jobs SET state = 'conflict', finished_at = now(), last_error = $3, \
                         details = details || $4 \
                     WHERE account_id = $1 AND id = $2",
                )
                .bind(job.account_id)
                .bind(job.id)
                .bind(reason)
                .bind(json!({"remote_modified": remote.remote_modified}))
                .execute(&mut *tx)
                .await?;
            }
            PushEnding::Failed {
                error,
                deleted_remote,
            } => {
                sqlx::query(
                    "UPDATE content SET sync_status = CASE WHEN $4 THEN 'deleted_remote' ELSE 'error' END, \
                         sync_error = $3 \
                     WHERE account_id = $1 AND id = $2",
                )
                .bind(job.account_id)
                .bind(job.content_id)
                .bind(error)
                .bind(deleted_remote)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE push_jobs SET state = 'failed', finished_at = now(), last_error = $3 \
                     WHERE account_id = $1 AND id = $2",
                )
                .bind(job.account_id)
                .bind(job.id)
                .bind(error)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
