//! The monthly grant: every active account receives its plan's monthly credits once a month,
//! keyed `grant:{account}:{YYYY-MM}`, so a second run in the month, or a second daemon, grants
//! nothing.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::credits::IdempotencyKey;
use crate::jobs::handler::{JobContext, JobError, Registry};
use crate::jobs::scheduler::RecurringJob;
use crate::settings::Settings;
use crate::store::credits::{AddOutcome, AdditionKind};
use crate::store::{Store, StoreError};

pub const KIND: &str = "credits.replenish";
const OPERATION: &str = "monthly_replenishment";

/// Grants this month's credits to every account due them; returns how many accounts received
/// credits now (those granted earlier this month are skipped).
pub async fn replenish(store: &Store, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let month = now.format("%Y-%m");
    let mut granted = 0;
    for due in store.grants_due().await? {
        let key = IdempotencyKey::parse(&format!("grant:{}:{month}", due.account_id))
            .expect("grant keys are short printable ASCII");
        let outcome = store
            .add_credits(
                due.account_id,
                AdditionKind::Grant,
                due.monthly_credits,
                &key,
                OPERATION,
                Some("monthly plan credits"),
            )
            .await?;
        if let AddOutcome::Added(_) = outcome {
            granted += 1;
        }
    }
    Ok(granted)
}

/// Registers the job and returns its schedule.
pub fn install(registry: &mut Registry, settings: &Settings) -> RecurringJob {
    registry.register(KIND, |context: JobContext| async move {
        let granted = replenish(&context.store, Utc::now()).await?;
        tracing::info!(accounts = granted, "Granted monthly credits.");
        Ok::<(), JobError>(())
    });
    RecurringJob {
        key: KIND.to_owned(),
        schedule: settings.credits.replenish.clone(),
        kind: KIND.to_owned(),
        payload: json!({}),
    }
}
