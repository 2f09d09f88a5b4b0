//! Releases holds that nobody captured or released before they expired (their operation
//! crashed), so reserved credits are never stranded.

use serde_json::json;

use crate::domain::schedule::CronSchedule;
use crate::jobs::handler::{JobContext, JobError, Registry};
use crate::jobs::scheduler::RecurringJob;
use crate::store::credits::SettleOutcome;
use crate::store::{Store, StoreError};

pub const KIND: &str = "credits.expire_holds";
const BATCH: i64 = 500;

/// Releases expired holds; returns how many this call released.
pub async fn expire_holds(store: &Store) -> Result<u64, StoreError> {
    let mut released = 0;
    loop {
        let expired = store.expired_holds(BATCH).await?;
        let batch_len = expired.len();
        for (account, hold) in expired {
            // Another daemon's sweep may settle the same hold first; then nothing moves here.
            if let SettleOutcome::Settled { .. } = store.release_hold(account, hold, true).await? {
                released += 1;
            }
        }
        if batch_len < BATCH as usize {
            return Ok(released);
        }
    }
}

/// Registers the job and returns its schedule: every minute.
pub fn install(registry: &mut Registry) -> RecurringJob {
    registry.register(KIND, |context: JobContext| async move {
        let released = expire_holds(&context.store).await?;
        if released > 0 {
            tracing::info!(holds = released, "Released expired credit holds.");
        }
        Ok::<(), JobError>(())
    });
    RecurringJob {
        key: KIND.to_owned(),
        schedule: CronSchedule::parse("* * * * *").expect("a valid schedule"),
        kind: KIND.to_owned(),
        payload: json!({}),
    }
}
