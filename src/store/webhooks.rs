//! Webhook deliveries: recorded once per delivery id, with the re-fetch they cause enqueued in
//! the same transaction.

use chrono::{DateTime, Utc};

use crate::domain::ids::{AccountId, SiteId};
use crate::store::jobs::{NewJob, enqueue};
use crate::store::{Store, StoreError};

/// A verified delivery to record.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    pub delivery_id: &'a str,
    pub topic: &'a str,
    pub external_type: &'a str,
    pub external_id: &'a str,
    pub modified: Option<DateTime<Utc>>,
}

/// What recording a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// New; a re-fetch is queued.
    Queued,
    /// New, but it reports the version we already hold (our own push coming back).
    Ignored,
    /// Seen before (a retry or a replay); nothing done.
    Duplicate,
}

impl Store {
    pub async fn record_delivery(
        &self,
        account: AccountId,
        site: SiteId,
        delivery: &Delivery<'_>,
        refetch: &NewJob,
    ) -> Result<DeliveryOutcome, StoreError> {
        let mut tx = self.begin().await?;
        let known: Option<DateTime<Utc>> = match delivery.modified {
            None => None,
            Some(_) => sqlx::query_scalar(
                "SELECT remote_modified FROM content WHERE account_id = $1 AND site_id = $2 \
                 AND external_type = $3 AND external_id = $4",
            )
            .bind(account)
            .bind(site)
            .bind(delivery.external_type)
            .bind(delivery.external_id)
            .fetch_optional(&mut *tx)
            .await?
            .flatten(),
        };
        let echo = delivery.modified.is_some() && known == delivery.modified;
        let status = if echo { "ignored" } else { "queued" };
        let inserted = sqlx::query(
            "INSERT INTO webhook_deliveries (account_id, site_id, delivery_id, topic, external_type, \
                 external_id, status, processed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $7 = 'ignored' THEN now() END) \
             ON CONFLICT (account_id, site_id, delivery_id) DO NOTHING",
        )
        .bind(account)
        .bind(site)
        .bind(delivery.delivery_id)
        .bind(delivery.topic)
        .bind(delivery.external_type)
        .bind(delivery.external_id)
        .bind(status)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !inserted {
            return Ok(DeliveryOutcome::Duplicate);
        }
        if echo {
            tx.commit().await?;
            return Ok(DeliveryOutcome::Ignored);
        }
        enqueue(&mut tx, refetch).await?;
        tx.commit().await?;
        Ok(DeliveryOutcome::Queued)
    }
}
