//! The job queue table: enqueue, claim with a lease, heartbeat, complete, fail, release.
//!
//! `attempts` is bumped on every claim and is the fencing token: heartbeat, complete, fail and
//! release all name `(id, attempts)`, so a worker whose lease expired and was claimed again
//! matches no row and is told [`StoreError::LeaseLost`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::postgres::{PgListener, PgPoolOptions};
use uuid::Uuid;

use crate::domain::ids::JobId;
use crate::store::{Store, StoreError};

/// Channel that job inserts and releases notify.
pub const WAKE_CHANNEL: &str = "igny8_jobs";

/// A job to put on the queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: Value,
    /// While a job with this key is pending or running, enqueueing another is a no-op.
    pub unique_key: Option<String>,
    /// When to run it; now when absent.
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: u32,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: Value, max_attempts: u32) -> NewJob {
        NewJob {
            kind: kind.into(),
            payload,
            unique_key: None,
            run_at: None,
            max_attempts,
        }
    }

    pub fn unique(mut self, key: impl Into<String>) -> NewJob {
        self.unique_key = Some(key.into());
        self
    }

    pub fn run_at(mut self, at: DateTime<Utc>) -> NewJob {
        self.run_at = Some(at);
        self
    }
}

/// Proof of a claim: the job and the attempt number this worker holds it under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub job_id: JobId,
    pub attempt: i32,
}

/// A job a worker has claimed and must now run.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub lease: Lease,
    pub kind: String,
    pub payload: Value,
    /// Claims that count against `max_attempts`, this one included.
    pub counted_attempts: i32,
    pub max_attempts: i32,
}

/// What became of a failed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    RetryAt(DateTime<Utc>),
    Dead,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum JobState {
    Pending,
    Running,
    Done,
    Dead,
}

impl JobState {
    pub const ALL: [JobState; 4] = [
        JobState::Pending,
        JobState::Running,
        JobState::Done,
        JobState::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }
}

/// A job row as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: String,
    pub payload: Value,
    pub unique_key: Option<String>,
    pub state: JobState,
    pub run_at: DateTime<Utc>,
    pub attempts: i32,
    pub releases: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Enqueues on the caller's connection or transaction, so a job can commit or roll back with
/// the change that caused it. Returns `None` when a live job with the same unique key exists.
pub async fn enqueue(conn: &mut PgConnection, job: &NewJob) -> Result<Option<JobId>, StoreError> {
    let id = sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, unique_key, run_at, max_attempts)
         VALUES ($1, $2, $3, coalesce($4, now()), $5)
         ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('pending', 'running')
         DO NOTHING
         RETURNING id",
    )
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(&job.unique_key)
    .bind(job.run_at)
    .bind(max_attempts(job.max_attempts))
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

fn max_attempts(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// Notifications that jobs were inserted or released, on a dedicated connection.
pub struct JobWakeups {
    listener: PgListener,
}

impl JobWakeups {
    /// Waits for the next notification. An error means the connection dropped; the next call
    /// reconnects.
    pub async fn next(&mut self) -> Result<(), StoreError> {
        self.listener.recv().await?;
        Ok(())
    }
}

impl Store {
    pub async fn job_wakeups(&self) -> Result<JobWakeups, StoreError> {
        // A pool of its own: the listener keeps its connection for good, and must not take one
        // of the connections workers and requests share.
        let own = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(self.pool().connect_options().as_ref().clone());
        let mut listener = PgListener::connect_with(&own).await?;
        listener.listen(WAKE_CHANNEL).await?;
        Ok(JobWakeups { listener })
    }

    /// Enqueues one job in its own transaction.
    pub async fn enqueue(&self, job: &NewJob) -> Result<Option<JobId>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        enqueue(&mut conn, job).await
    }

    /// Enqueues many jobs of one kind in one statement (no unique keys), returning their ids.
    pub async fn enqueue_batch(
        &self,
        kind: &str,
        payloads: &[Value],
        max_attempts_each: u32,
    ) -> Result<Vec<JobId>, StoreError> {
        let ids = sqlx::query_scalar(
            "INSERT INTO jobs (kind, payload, max_attempts)
             SELECT $1, payload, $3 FROM unnest($2::jsonb[]) AS payload
             RETURNING id",
        )
        .bind(kind)
        .bind(payloads)
        .bind(max_attempts(max_attempts_each))
        .fetch_all(self.pool())
        .await?;
        Ok(ids)
    }

    /// Claims the next due job of one of `kinds`: a pending one whose time has come, or a
    /// running one whose lease expired (its worker died) and that has attempts left.
    pub async fn claim_job(
        &self,
        owner: Uuid,
        kinds: &[String],
        lease: Duration,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        let row: Option<(JobId, String, Value, i32, i32, i32)> = sqlx::query_as(
            // Two index-ordered probes rather than one OR, so a claim reads one row however
            // long the queue is: expired leases first (their worker died), then due jobs.
            "WITH expired AS (
                 SELECT id FROM jobs
                 WHERE state = 'running' AND lease_until < now() AND kind = ANY($3)
                   AND attempts - releases < max_attempts
                 ORDER BY lease_until
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED
             ),
             due AS (
                 SELECT id FROM jobs
                 WHERE state = 'pending' AND run_at <= now() AND kind = ANY($3)
                   AND NOT EXISTS (SELECT 1 FROM expired)
                 ORDER BY run_at, id
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED
             ),
             next AS (SELECT id FROM expired UNION ALL SELECT id FROM due)
             UPDATE jobs SET
                 state = 'running',
                 attempts = jobs.attempts + 1,
                 lease_owner = $1,
                 lease_until = now() + make_interval(secs => $2),
                 updated_at = now()
             FROM next
             WHERE jobs.id = next.id
             RETURNING jobs.id, jobs.kind, jobs.payload, jobs.attempts,
                       jobs.attempts - jobs.releases, jobs.max_attempts",
        )
        .bind(owner)
        .bind(seconds(lease))
        .bind(kinds)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(
            |(job_id, kind, payload, attempt, counted_attempts, max_attempts)| ClaimedJob {
                lease: Lease { job_id, attempt },
                kind,
                payload,
                counted_attempts,
                max_attempts,
            },
        ))
    }

    /// Extends the lease; fails with [`StoreError::LeaseLost`] when another claim took it.
    pub async fn heartbeat_job(&self, lease: Lease, extend: Duration) -> Result<(), StoreError> {
        let result = sqlx::query(
            "UPDATE jobs SET lease_until = now() + make_interval(secs => $3), updated_at = now()
             WHERE id = $1 AND attempts = $2 AND state = 'running'",
        )
        .bind(lease.job_id)
        .bind(lease.attempt)
        .bind(seconds(extend))
        .execute(self.pool())
        .await?;
        lease_held(result.rows_affected())
    }

    pub async fn complete_job(&self, lease: Lease) -> Result<(), StoreError> {
        let result = sqlx::query(
            "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL,
                             finished_at = now(), updated_at = now()
             WHERE id = $1 AND attempts = $2 AND state = 'running'",
        )
        .bind(lease.job_id)
        .bind(lease.attempt)
        .execute(self.pool())
        .await?;
        lease_held(result.rows_affected())
    }

    /// Records a failed attempt: back to pending after `retry_after`, or dead when no attempt
    /// is left or `permanent` is set. The error is kept either way.
    pub async fn fail_job(
        &self,
        lease: Lease,
        error: &str,
        retry_after: Duration,
        permanent: bool,
    ) -> Result<FailOutcome, StoreError> {
        let row: Option<(JobState, DateTime<Utc>)> = sqlx::query_as(
            "UPDATE jobs SET
                 state = CASE WHEN $5 OR attempts - releases >= max_attempts
                              THEN 'dead' ELSE 'pending' END,
                 run_at = CASE WHEN $5 OR attempts - releases >= max_attempts
                               THEN run_at ELSE now() + make_interval(secs => $4) END,
                 finished_at = CASE WHEN $5 OR attempts - releases >= max_attempts
                                    THEN now() END,
                 lease_owner = NULL, lease_until = NULL,
                 last_error = $3, updated_at = now()
             WHERE id = $1 AND attempts = $2 AND state = 'running'
             RETURNING state, run_at",
        )
        .bind(lease.job_id)
        .bind(lease.attempt)
        .bind(error)
        .bind(seconds(retry_after))
        .bind(permanent)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some((JobState::Dead, _)) => Ok(FailOutcome::Dead),
            Some((_, run_at)) => Ok(FailOutcome::RetryAt(run_at)),
            None => Err(StoreError::LeaseLost),
        }
    }

    /// Hands an unfinished job back at shutdown: pending again at once, and the claim does not
    /// count against its attempts.
    pub async fn release_job(&self, lease: Lease) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let result = sqlx::query(
            "UPDATE jobs SET state = 'pending', releases = releases + 1, run_at = now(),
                             lease_owner = NULL, lease_until = NULL, updated_at = now()
             WHERE id = $1 AND attempts = $2 AND state = 'running'",
        )
        .bind(lease.job_id)
        .bind(lease.attempt)
        .execute(&mut *tx)
        .await?;
        lease_held(result.rows_affected())?;
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(WAKE_CHANNEL)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Jobs whose worker died on their last attempt will never be claimed again: mark them dead
    /// so they are visible rather than stuck as running.
    pub async fn bury_expired_jobs(&self) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "UPDATE jobs SET state = 'dead', lease_owner = NULL, lease_until = NULL,
                             finished_at = now(), updated_at = now(),
                             last_error = concat_ws('; ', last_error,
                                                    'lease expired on the last attempt')
             WHERE state = 'running' AND lease_until < now()
               AND attempts - releases >= max_attempts",
        )
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected())
    }

    pub async fn job(&self, id: JobId) -> Result<JobRecord, StoreError> {
        let record = sqlx::query_as(
            "SELECT id, kind, payload, unique_key, state, run_at, attempts, releases,
                    max_attempts, last_error, finished_at
             FROM jobs WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(record)
    }

    /// How many jobs are in each state, every state listed.
    pub async fn job_counts(&self) -> Result<Vec<(JobState, i64)>, StoreError> {
        let rows: Vec<(JobState, i64)> =
            sqlx::query_as("SELECT state, count(*) FROM jobs GROUP BY state")
                .fetch_all(self.pool())
                .await?;
        Ok(JobState::ALL
            .iter()
            .map(|state| {
                let n = rows.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
                (*state, n)
            })
            .collect())
    }

    /// Seconds the oldest due pending job has been waiting; zero when none waits.
    pub async fn queue_lag(&self) -> Result<f64, StoreError> {
        let lag: f64 = sqlx::query_scalar(
            "SELECT coalesce(extract(epoch FROM now() - min(run_at))::float8, 0)
             FROM jobs WHERE state = 'pending' AND run_at <= now()",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(lag.max(0.0))
    }

    /// Deletes done and dead jobs finished before `before`.
    pub async fn prune_finished_jobs(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let result =
            sqlx::query("DELETE FROM jobs WHERE state IN ('done', 'dead') AND finished_at < $1")
                .bind(before)
                .execute(self.pool())
                .await?;
        Ok(result.rows_affected())
    }
}

fn lease_held(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::LeaseLost)
    }
}
