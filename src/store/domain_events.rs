//! The domain-event outbox: events written in the transaction of the change they report.

use sqlx::PgConnection;

use crate::domain::event::NewEvent;
use crate::domain::ids::EventId;
use crate::store::StoreError;

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
