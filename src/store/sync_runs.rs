//! Sync bookkeeping: where each stream's pull resumes (cursors, moved in the window's own
//! transaction) and the record of every run with its counts.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::connector::remote::Cursor;
use crate::domain::ids::{AccountId, SiteId, SyncRunId};
use crate::store::{Page, Paged, Store, StoreError, Transaction};

/// What kind of run a sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum RunKind {
    Full,
    Incremental,
    Reconcile,
    Refetch,
    Import,
}

/// What started a run.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum Trigger {
    Schedule,
    Manual,
    Webhook,
    Startup,
    Automation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// What a stream just went through, recorded on its cursor row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamMilestone {
    /// Read to its end from the beginning.
    FullSync,
    /// Swept for deletes and missed changes.
    Reconciled,
}

/// A stream's saved position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedCursor {
    pub cursor: Option<Cursor>,
    pub full_sync_completed_at: Option<DateTime<Utc>>,
    pub last_reconciled_at: Option<DateTime<Utc>>,
}

/// A run's tallies, written when it ends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RunCounts {
    pub expected: Option<u64>,
    pub fetched: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
    pub errors: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SyncRun {
    pub id: SyncRunId,
    pub site_id: SiteId,
    pub kind: RunKind,
    pub status: RunStatus,
    pub triggered_by: Trigger,
    pub expected_count: Option<i32>,
    pub fetched_count: i32,
    pub created_count: i32,
    pub updated_count: i32,
    pub unchanged_count: i32,
    pub deleted_count: i32,
    pub error_count: i32,
    pub stats: Value,
    pub error: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// `sync_cursors`' position, full-sync time and sweep time, as read.
type CursorRow = (
    Option<DateTime<Utc>>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

fn count(value: u64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

impl Store {
    pub async fn cursor(
        &self,
        account: AccountId,
        site: SiteId,
        stream: &str,
    ) -> Result<SavedCursor, StoreError> {
        let row: Option<CursorRow> =
            sqlx::query_as(
                "SELECT cursor_modified, cursor_external_id, full_sync_completed_at, last_reconciled_at \
                 FROM sync_cursors WHERE account_id = $1 AND site_id = $2 AND stream = $3",
            )
            .bind(account)
            .bind(site)
            .bind(stream)
            .fetch_optional(self.pool())
            .await?;
        let Some((modified, external_id, full_sync_completed_at, last_reconciled_at)) = row else {
            return Ok(SavedCursor {
                cursor: None,
                full_sync_completed_at: None,
                last_reconciled_at: None,
            });
        };
        Ok(SavedCursor {
            cursor: modified.map(|modified| Cursor {
                modified,
                external_id: external_id.unwrap_or_default(),
            }),
            full_sync_completed_at,
            last_reconciled_at,
        })
    }

    /// Moves a stream's cursor forward (never back) inside the window's transaction.
    pub async fn advance_cursor(
        tx: &mut Transaction,
        account: AccountId,
        site: SiteId,
        stream: &str,
        cursor: &Cursor,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sync_cursors (account_id, site_id, stream, cursor_modified, cursor_external_id) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (account_id, site_id, stream) DO UPDATE SET \
                 cursor_modified = EXCLUDED.cursor_modified, \
                 cursor_external_id = EXCLUDED.cursor_external_id \
             WHERE sync_cursors.cursor_modified IS NULL \
                OR (sync_cursors.cursor_modified, sync_cursors.cursor_external_id) \
                   < (EXCLUDED.cursor_modified, EXCLUDED.cursor_external_id)",
        )
        .bind(account)
        .bind(site)
        .bind(stream)
        .bind(cursor.modified)
        .bind(&cursor.external_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Records that a stream was just read to its end from the beginning, or swept.
    pub async fn mark_stream(
        &self,
        account: AccountId,
        site: SiteId,
        stream: &str,
        milestone: StreamMilestone,
    ) -> Result<(), StoreError> {
        let statement = match milestone {
            StreamMilestone::FullSync => {
                "INSERT INTO sync_cursors (account_id, site_id, stream, full_sync_completed_at) \
                 VALUES ($1, $2, $3, now()) \
                 ON CONFLICT (account_id, site_id, stream) DO UPDATE SET full_sync_completed_at = now()"
            }
            StreamMilestone::Reconciled => {
                "INSERT INTO sync_cursors (account_id, site_id, stream, last_reconciled_at) \
                 VALUES ($1, $2, $3, now()) \
                 ON CONFLICT (account_id, site_id, stream) DO UPDATE SET last_reconciled_at = now()"
            }
        };
        sqlx::query(statement)
            .bind(account)
            .bind(site)
            .bind(stream)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets every cursor of a site, so the next pull reads everything.
    pub async fn reset_cursors(&self, account: AccountId, site: SiteId) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_cursors SET cursor_modified = NULL, cursor_external_id = NULL \
             WHERE account_id = $1 AND site_id = $2",
        )
        .bind(account)
        .bind(site)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn start_run(
        &self,
        account: AccountId,
        site: SiteId,
        kind: RunKind,
        trigger: Trigger,
    ) -> Result<SyncRunId, StoreError> {
        let id = sqlx::query_scalar(
            "INSERT INTO sync_runs (account_id, site_id, kind, triggered_by) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(account)
        .bind(site)
        .bind(kind)
        .bind(trigger)
        .fetch_one(self.pool())
        .await?;
        Ok(id)
    }

    /// Ends a run with its counts; `error` makes it failed.
    pub async fn finish_run(
        &self,
        account: AccountId,
        run: SyncRunId,
        counts: &RunCounts,
        stats: &Value,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_runs SET status = CASE WHEN $10::text IS NULL THEN 'succeeded' ELSE 'failed' END, \
                 expected_count = $3, fetched_count = $4, created_count = $5, updated_count = $6, \
                 unchanged_count = $7, deleted_count = $8, error_count = $9, error = $10, \
                 stats = $11, finished_at = greatest(now(), started_at) \
             WHERE account_id = $1 AND id = $2 AND status = 'running'",
        )
        .bind(account)
        .bind(run)
        .bind(counts.expected.map(count))
        .bind(count(counts.fetched))
        .bind(count(counts.created))
        .bind(count(counts.updated))
        .bind(count(counts.unchanged))
        .bind(count(counts.deleted))
        .bind(count(counts.errors))
        .bind(error)
        .bind(stats)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Runs a crash left open: they ended when their daemon died.
    pub async fn fail_abandoned_runs(
        &self,
        account: AccountId,
        site: SiteId,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE sync_runs SET status = 'failed', finished_at = greatest(now(), started_at), \
                 error = 'the run was interrupted (the daemon stopped or crashed); a later run resumed from the last committed window' \
             WHERE account_id = $1 AND site_id = $2 AND status = 'running'",
        )
        .bind(account)
        .bind(site)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn sync_runs(
        &self,
        account: AccountId,
        site: SiteId,
        page: Page,
    ) -> Result<Paged<SyncRun>, StoreError> {
        let items = sqlx::query_as(
            "SELECT id, site_id, kind, status, triggered_by, expected_count, fetched_count, \
                 created_count, updated_count, unchanged_count, deleted_count, error_count, stats, \
                 error, started_at, finished_at \
             FROM sync_runs WHERE account_id = $1 AND site_id = $2 \
             ORDER BY started_at DESC, id DESC LIMIT $3 OFFSET $4",
        )
        .bind(account)
        .bind(site)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total = sqlx::query_scalar(
            "SELECT count(*) FROM sync_runs WHERE account_id = $1 AND site_id = $2",
        )
        .bind(account)
        .bind(site)
        .fetch_one(self.pool())
        .await?;
        Ok(Paged { items, total })
    }
}
