//! Claims of recurring-schedule fires. Every daemon evaluates every schedule; the primary key
//! `(key, fire_at)` lets exactly one of them enqueue the fire's job.

use chrono::{DateTime, Utc};

use crate::domain::ids::JobId;
use crate::store::jobs::{NewJob, enqueue};
use crate::store::{Store, StoreError};

impl Store {
    /// Claims the fire and enqueues its job in one transaction. `None` means another daemon (or
    /// an earlier tick) already claimed this fire, and nothing was enqueued.
    pub async fn claim_cron_fire(
        &self,
        key: &str,
        fire_at: DateTime<Utc>,
        job: &NewJob,
    ) -> Result<Option<JobId>, StoreError> {
        let mut tx = self.begin().await?;
        let claimed = sqlx::query(
            "INSERT INTO cron_fires (key, fire_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(key)
        .bind(fire_at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !claimed {
            return Ok(None);
        }
        let job_id = enqueue(&mut tx, job).await?;
        sqlx::query("UPDATE cron_fires SET job_id = $3 WHERE key = $1 AND fire_at = $2")
            .bind(key)
            .bind(fire_at)
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(job_id)
    }

    /// Deletes fire claims older than `before`; schedules only look back minutes, so old claims
    /// only serve as history.
    pub async fn prune_cron_fires(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM cron_fires WHERE fire_at < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected())
    }
}
