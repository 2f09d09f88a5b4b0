//! Optimizer runs: one row per run over one item, with the scores and HTML before and after,
//! each applied change, and what it cost. A run's result and the item's new body are written in
//! one transaction, so a task marked completed always describes what the item holds, and its
//! `content_optimized` event exists exactly when the result was saved.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::domain::content::{ContentStatus, EntryPoint};
use crate::domain::event::Causation;
use crate::domain::ids::{AccountId, ContentId, HoldId, OptimizationTaskId};
use crate::store::content_events::record_optimized_event;
use crate::store::pipeline::{Stage, StageWrite, save_stage};
use crate::store::{Store, StoreError};

/// An optimizer run as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OptimizationTask {
    pub id: OptimizationTaskId,
    pub content_id: ContentId,
    pub status: String,
    pub entry_point: EntryPoint,
    pub mode: String,
    pub ruleset_profile: String,
    pub ruleset_version: String,
    pub content_version: i64,
    pub scores_before: Option<Value>,
    pub scores_after: Option<Value>,
    pub html_before: Option<String>,
    pub html_after: Option<String>,
    pub changes: Value,
    pub credits_used: i64,
    pub credit_hold_id: Option<HoldId>,
    pub error: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, content_id, status, entry_point, mode, ruleset_profile, \
    ruleset_version, content_version, scores_before, scores_after, html_before, html_after, \
    changes, credits_used, credit_hold_id, error, started_at, finished_at, created_at";

/// A run about to start.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOptimization<'a> {
    pub content: ContentId,
    pub entry_point: EntryPoint,
    pub ruleset_profile: &'a str,
    pub ruleset_version: &'a str,
    /// `rules` (the deterministic optimizer) or `ai` (a model's rewrite).
    pub mode: &'a str,
    pub content_version: i64,
    pub hold: Option<HoldId>,
}

/// What a finished run found and did.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizationResult<'a> {
    pub scores_before: &'a Value,
    pub scores_after: &'a Value,
    pub html_before: &'a str,
    pub html_after: &'a str,
    /// The new meta description, when the run wrote one.
    pub meta_description: Option<&'a str>,
    pub changes: &'a Value,
    pub credits_used: i64,
    /// The item's stage after the run (`optimized`, or `review` when a person approves pushes).
    pub status: ContentStatus,
    /// What led to the run: its `content_optimized` event carries this chain.
    pub causation: &'a Causation,
}

/// How writing a run's result ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// The item holds the result; its new version.
    Applied { version: i64 },
    /// The item changed while the run worked: the result was not written and the task is
    /// `skipped`.
    Stale,
}

impl Store {
    /// Records a run as started.
    pub async fn start_optimization(
        &self,
        account: AccountId,
        new: &NewOptimization<'_>,
    ) -> Result<OptimizationTaskId, StoreError> {
        let id = sqlx::query_scalar(
            "INSERT INTO optimization_tasks (account_id, content_id, status, entry_point, \
                 ruleset_profile, ruleset_version, content_version, credit_hold_id, started_at, mode) \
             VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, now(), $8) RETURNING id",
        )
        .bind(account)
        .bind(new.content)
        .bind(new.entry_point)
        .bind(new.ruleset_profile)
        .bind(new.ruleset_version)
        .bind(new.content_version)
        .bind(new.hold)
        .bind(new.mode)
        .fetch_one(self.pool())
        .await?;
        Ok(id)
    }

    /// Writes the run's result to the item, if it is still at the version the run read, and
    /// completes the task; otherwise marks the task skipped. One transaction.
    pub async fn finish_optimization(
        &self,
        account: AccountId,
        task: OptimizationTaskId,
        content: ContentId,
        expected_version: i64,
        result: &OptimizationResult<'_>,
    ) -> Result<Finished, StoreError> {
        let mut tx = self.begin().await?;
        let changed = result.html_after != result.html_before;
        let write = StageWrite {
            stage: Stage::Optimizer,
            body: changed.then_some(result.html_after),
            meta_description: result.meta_description,
            internal_links: None,
            scores: Some(result.scores_after),
            status: result.status,
        };
        let version = save_stage(&mut tx, account, content, expected_version, &write).await?;
        let finished = match version {
            Some(version) => {
                sqlx::query(
                    "UPDATE optimization_tasks SET status = 'completed', scores_before = $3, \
                         scores_after = $4, html_before = $5, html_after = $6, changes = $7, \
                         credits_used = $8, finished_at = now() \
                     WHERE account_id = $1 AND id = $2",
                )
                .bind(account)
                .bind(task)
                .bind(result.scores_before)
                .bind(result.scores_after)
                .bind(result.html_before)
                .bind(result.html_after)
                .bind(result.changes)
                .bind(result.credits_used)
                .execute(&mut *tx)
                .await?;
                let details = json!({ "optimization": {
                    "task_id": task,
                    "changed": changed || result.meta_description.is_some(),
                }});
                record_optimized_event(&mut tx, account, content, &details, result.causation)
                    .await?;
                Finished::Applied { version }
            }
            None => {
                sqlx::query(
                    "UPDATE optimization_tasks SET status = 'skipped', finished_at = now(), \
                         error = 'the item changed while the optimizer ran' \
                     WHERE account_id = $1 AND id = $2",
                )
                .bind(account)
                .bind(task)
                .execute(&mut *tx)
                .await?;
                Finished::Stale
            }
        };
        tx.commit().await?;
        Ok(finished)
    }

    /// Ends a run whose result was refused (an AI rewrite that changed a protected region or
    /// lowered a score), keeping what it proposed for review; the item is left as it was.
    pub async fn reject_optimization(
        &self,
        account: AccountId,
        task: OptimizationTaskId,
        scores_before: &Value,
        html_before: &str,
        html_after: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE optimization_tasks SET status = 'rejected', scores_before = $3, \
                 html_before = $4, html_after = $5, error = $6, finished_at = now() \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account)
        .bind(task)
        .bind(scores_before)
        .bind(html_before)
        .bind(html_after)
        .bind(reason)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Ends a run that could not produce a result.
    pub async fn fail_optimization(
        &self,
        account: AccountId,
        task: OptimizationTaskId,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE optimization_tasks SET status = 'failed', error = $3, finished_at = now() \
             WHERE account_id = $1 AND id = $2 AND status = 'running'",
        )
        .bind(account)
        .bind(task)
        .bind(error)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn optimization_task(
        &self,
        account: AccountId,
        id: OptimizationTaskId,
    ) -> Result<OptimizationTask, StoreError> {
        let task = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM optimization_tasks WHERE account_id = $1 AND id = $2"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(task)
    }

    /// An item's latest runs, newest first.
    pub async fn content_optimization_tasks(
        &self,
        account: AccountId,
        content: ContentId,
        limit: i64,
    ) -> Result<Vec<OptimizationTask>, StoreError> {
        let tasks = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM optimization_tasks WHERE account_id = $1 AND content_id = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        )))
        .bind(account)
        .bind(content)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(tasks)
    }
}
