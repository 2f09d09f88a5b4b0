//! Rule executions (`scheduled_tasks`): created once per idempotency key, started, settled as
//! completed, failed or skipped, retried in place, listed and summed up.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;

use crate::domain::event::Causation;
use crate::domain::ids::{AccountId, EventId, RuleId, ScheduledTaskId};
use crate::store::jobs::{NewJob, enqueue};
use crate::store::{Page, Paged, Store, StoreError};

/// An execution as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ScheduledTask {
    pub account_id: AccountId,
    pub id: ScheduledTaskId,
    pub rule_id: Option<RuleId>,
    pub event_id: Option<EventId>,
    /// pending, running, completed, failed or skipped.
    pub status: String,
    pub trigger_type: String,
    pub trigger_context: Value,
    pub causation: Value,
    pub result: Value,
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub skip_reason: Option<String>,
    pub credits_used: i64,
    pub attempts: i32,
    pub idempotency_key: String,
    pub scheduled_for: DateTime<Utc>,
    pub counted_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "account_id, id, rule_id, event_id, status, trigger_type, \
    trigger_context, causation, result, error_code, error, skip_reason, credits_used, attempts, \
    idempotency_key, scheduled_for, counted_at, started_at, finished_at, created_at, updated_at";

/// An execution about to be created.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask<'a> {
    pub account: AccountId,
    pub rule: RuleId,
    pub event: Option<EventId>,
    /// `schedule`, `manual` or the event kind.
    pub trigger_type: &'a str,
    pub context: &'a Value,
    pub causation: &'a Causation,
    /// E.g. `rule:{rule}:event:{event}`: a second creation with it creates nothing.
    pub idempotency_key: &'a str,
    pub scheduled_for: DateTime<Utc>,
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Settlement<'a> {
    Completed,
    Failed { code: &'a str, error: &'a str },
    Skipped { reason: &'a str },
}

/// Which executions a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskFilter {
    pub status: Option<String>,
    pub rule: Option<RuleId>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Executions over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct TaskCounts {
    pub executions: i64,
    pub completed: i64,
    pub failed: i64,
    pub skipped: i64,
    pub credits_used: i64,
}

/// Creates the execution and queues `job` to run it, on the caller's connection (the event
/// worker's transaction, so the event is processed exactly when its executions exist). An
/// execution that already exists under the key is returned as it is, and nothing is queued.
pub async fn create_task(
    conn: &mut PgConnection,
    new: &NewTask<'_>,
    job: impl FnOnce(ScheduledTaskId) -> NewJob,
) -> Result<(ScheduledTaskId, bool), StoreError> {
    let causation = serde_json::to_value(new.causation).expect("a causation chain serializes");
    let created: Option<ScheduledTaskId> = sqlx::query_scalar(
        "INSERT INTO scheduled_tasks (account_id, rule_id, event_id, trigger_type, \
             trigger_context, causation, idempotency_key, scheduled_for) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (account_id, idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(new.account)
    .bind(new.rule)
    .bind(new.event)
    .bind(new.trigger_type)
    .bind(new.context)
    .bind(&causation)
    .bind(new.idempotency_key)
    .bind(new.scheduled_for)
    .fetch_optional(&mut *conn)
    .await?;
    match created {
        Some(id) => {
            enqueue(conn, &job(id)).await?;
            Ok((id, true))
        }
        None => {
            let id = sqlx::query_scalar(
                "SELECT id FROM scheduled_tasks WHERE account_id = $1 AND idempotency_key = $2",
            )
            .bind(new.account)
            .bind(new.idempotency_key)
            .fetch_one(conn)
            .await?;
            Ok((id, false))
        }
    }
}

impl Store {
    /// Creates an execution and queues its job in one transaction.
    pub async fn create_scheduled_task(
        &self,
        new: &NewTask<'_>,
        job: impl FnOnce(ScheduledTaskId) -> NewJob,
    ) -> Result<(ScheduledTaskId, bool), StoreError> {
        let mut tx = self.begin().await?;
        let created = create_task(&mut tx, new, job).await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn scheduled_task(
        &self,
        account: AccountId,
        id: ScheduledTaskId,
    ) -> Result<ScheduledTask, StoreError> {
        let task = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM scheduled_tasks WHERE account_id = $1 AND id = $2"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(task)
    }

    /// Starts (or, after a crashed attempt, resumes) a pending or running execution. `None`:
    /// it is already settled, so there is nothing to run.
    pub async fn start_scheduled_task(
        &self,
        account: AccountId,
        id: ScheduledTaskId,
    ) -> Result<Option<ScheduledTask>, StoreError> {
        let task = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE scheduled_tasks SET status = 'running', attempts = attempts + 1, \
                 started_at = now() \
             WHERE account_id = $1 AND id = $2 AND status IN ('pending', 'running') \
             RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(task)
    }

    /// Settles a running execution with each action's result and the credits it used.
    pub async fn settle_scheduled_task(
        &self,
        account: AccountId,
        id: ScheduledTaskId,
        result: &Value,
        credits_used: i64,
        settlement: &Settlement<'_>,
    ) -> Result<(), StoreError> {
        let (status, code, error, reason) = match settlement {
            Settlement::Completed => ("completed", None, None, None),
            Settlement::Failed { code, error } => ("failed", Some(*code), Some(*error), None),
            Settlement::Skipped { reason } => ("skipped", None, None, Some(*reason)),
        };
        sqlx::query(
            "UPDATE scheduled_tasks SET status = $3, result = $4, credits_used = $5, \
                 error_code = $6, error = $7, skip_reason = $8, finished_at = now() \
             WHERE account_id = $1 AND id = $2 AND status = 'running'",
        )
        .bind(account)
        .bind(id)
        .bind(status)
        .bind(result)
        .bind(credits_used)
        .bind(code)
        .bind(error)
        .bind(reason)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Puts a failed execution back to pending, with the same context, and queues `job` to run
    /// it, in one transaction. `false`: it is not failed (a second retry finds it pending,
    /// running or done), so nothing was queued.
    pub async fn retry_scheduled_task(
        &self,
        account: AccountId,
        id: ScheduledTaskId,
        job: &NewJob,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let reset = sqlx::query(
            "UPDATE scheduled_tasks SET status = 'pending', error_code = NULL, error = NULL, \
                 skip_reason = NULL, finished_at = NULL \
             WHERE account_id = $1 AND id = $2 AND status = 'failed'",
        )
        .bind(account)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if reset {
            enqueue(&mut tx, job).await?;
        }
        tx.commit().await?;
        Ok(reset)
    }

    /// One page of the account's executions, newest first.
    pub async fn scheduled_tasks(
        &self,
        account: AccountId,
        filter: &TaskFilter,
        page: Page,
    ) -> Result<Paged<ScheduledTask>, StoreError> {
        const WHERE: &str = "WHERE account_id = $1 AND ($2::text IS NULL OR status = $2) \
            AND ($3::bigint IS NULL OR rule_id = $3) \
            AND ($4::timestamptz IS NULL OR created_at >= $4) \
            AND ($5::timestamptz IS NULL OR created_at < $5)";
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM scheduled_tasks {WHERE} \
             ORDER BY created_at DESC, id DESC LIMIT $6 OFFSET $7"
        )))
        .bind(account)
        .bind(&filter.status)
        .bind(filter.rule)
        .bind(filter.from)
        .bind(filter.to)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM scheduled_tasks {WHERE}"
        )))
        .bind(account)
        .bind(&filter.status)
        .bind(filter.rule)
        .bind(filter.from)
        .bind(filter.to)
        .fetch_one(self.pool())
        .await?;
        Ok(Paged { items, total })
    }

    /// Executions created since `since`, by outcome, and the credits they used.
    pub async fn scheduled_task_counts(
        &self,
        account: AccountId,
        since: DateTime<Utc>,
    ) -> Result<TaskCounts, StoreError> {
        let counts = sqlx::query_as(
            "SELECT count(*) AS executions, \
                    count(*) FILTER (WHERE status = 'completed') AS completed, \
                    count(*) FILTER (WHERE status = 'failed') AS failed, \
                    count(*) FILTER (WHERE status = 'skipped') AS skipped, \
                    coalesce(sum(credits_used), 0)::bigint AS credits_used \
             FROM scheduled_tasks WHERE account_id = $1 AND created_at >= $2",
        )
        .bind(account)
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        Ok(counts)
    }

    /// Credits every execution of the account has used.
    pub async fn automation_credits_used(&self, account: AccountId) -> Result<i64, StoreError> {
        let used = sqlx::query_scalar(
            "SELECT coalesce(sum(credits_used), 0)::bigint FROM scheduled_tasks \
             WHERE account_id = $1",
        )
        .bind(account)
        .fetch_one(self.pool())
        .await?;
        Ok(used)
    }
}
