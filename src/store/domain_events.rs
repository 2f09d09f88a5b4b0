//! The domain-event outbox: events written in the transaction of the change they report, and
//! claimed by the event worker, which marks them processed with the executions they cause.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::postgres::{PgListener, PgPoolOptions};

use crate::domain::event::NewEvent;
use crate::domain::ids::{AccountId, EventId};
use crate::store::{Store, StoreError};

/// Writes `event` on `conn`, which should be the transaction of the change it reports: the
/// event then commits, or rolls back, with its change.
pub async fn record_event(
    conn: &mut PgConnection,
    event: &NewEvent,
) -> Result<EventId, StoreError> {
    let causation = serde_json::to_value(&event.causation).expect("a causation chain serializes");
    let depth = i32::try_from(event.causation.depth()).unwrap_or(i32::MAX);
    let id = sqlx::query_scalar(
        "INSERT INTO domain_events (account_id, kind, subject_type, subject_id, payload, causation, depth) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(event.account)
    .bind(event.kind.as_str())
    .bind(event.kind.subject_type())
    .bind(event.subject_id)
    .bind(sqlx::types::Json(&event.payload))
    .bind(causation)
    .bind(depth)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// An unprocessed event, claimed by the event worker.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ClaimedEvent {
    pub account_id: AccountId,
    pub id: EventId,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: i64,
    pub payload: Value,
    pub causation: Value,
    pub depth: i32,
    pub created_at: DateTime<Utc>,
}

/// Claims up to `limit` unprocessed events, oldest first, on the caller's transaction. Rows
/// another worker holds are skipped, so workers in several daemons share the outbox; the claim
/// lasts until the transaction ends. Events already tried `max_attempts` times are set aside
/// and not claimed (raising the limit brings them back).
pub async fn claim_events(
    conn: &mut PgConnection,
    limit: i64,
    max_attempts: u32,
) -> Result<Vec<ClaimedEvent>, StoreError> {
    let events = sqlx::query_as(
        "SELECT account_id, id, kind, subject_type, subject_id, payload, causation, depth, \
                created_at \
         FROM domain_events WHERE processed_at IS NULL AND attempts < $2 \
         ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .bind(i64::from(max_attempts))
    .fetch_all(conn)
    .await?;
    Ok(events)
}

/// Records a failed evaluation of a claimed event: one more attempt and its error. Returns the
/// attempts made so far.
pub async fn record_event_failure(
    conn: &mut PgConnection,
    account: AccountId,
    id: EventId,
    error: &str,
) -> Result<i32, StoreError> {
    let attempts = sqlx::query_scalar(
        "UPDATE domain_events SET attempts = attempts + 1, last_error = $3 \
         WHERE account_id = $1 AND id = $2 RETURNING attempts",
    )
    .bind(account)
    .bind(id)
    .bind(error)
    .fetch_one(conn)
    .await?;
    Ok(attempts)
}

/// Marks a claimed event processed, in the transaction that created its executions.
pub async fn mark_event_processed(
    conn: &mut PgConnection,
    account: AccountId,
    id: EventId,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE domain_events SET processed_at = now(), attempts = attempts + 1 \
         WHERE account_id = $1 AND id = $2",
    )
    .bind(account)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Wake-ups for the event worker: a notification per committed insert into the outbox.
pub struct EventWakeups {
    listener: PgListener,
}

impl EventWakeups {
    /// Waits for the next notification. An error means the connection dropped.
    pub async fn next(&mut self) -> Result<(), StoreError> {
        self.listener.recv().await?;
        Ok(())
    }
}

impl Store {
    pub async fn event_wakeups(&self) -> Result<EventWakeups, StoreError> {
        // Its own connection, kept for good, outside the shared pool.
        let own = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(self.pool().connect_options().as_ref().clone());
        let mut listener = PgListener::connect_with(&own).await?;
        listener.listen("igny8_events").await?;
        Ok(EventWakeups { listener })
    }

    /// Deletes events processed before `before`; their executions keep their own copy of the
    /// context.
    pub async fn prune_processed_events(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM domain_events WHERE processed_at IS NOT NULL AND processed_at < $1",
        )
        .bind(before)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// Records an event in a transaction of its own (a change made outside the store's
    /// transactions, or a test).
    pub async fn record_event(&self, event: &NewEvent) -> Result<EventId, StoreError> {
        let mut conn = self.pool().acquire().await?;
        record_event(&mut conn, event).await
    }
}
