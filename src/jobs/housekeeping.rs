//! The recurring job that keeps the queue tables (and the processed domain events) small.

use chrono::Utc;
use serde_json::json;

use crate::jobs::handler::{JobContext, JobError, Registry};
use crate::jobs::scheduler::RecurringJob;
use crate::settings::Settings;

pub const KIND: &str = "housekeeping";

/// Registers the handler and returns its schedule.
pub fn install(registry: &mut Registry, settings: &Settings) -> RecurringJob {
    let retain = chrono::Duration::from_std(settings.jobs.retain_finished())
        .expect("retention is bounded by settings validation");
    registry.register(KIND, move |context: JobContext| async move {
        let before = Utc::now() - retain;
        let jobs = context.store.prune_finished_jobs(before).await?;
        let fires = context.store.prune_cron_fires(before).await?;
        let events = context.store.prune_processed_events(before).await?;
        tracing::info!(
            jobs,
            cron_fires = fires,
            domain_events = events,
            "Pruned finished jobs, old cron fires and processed domain events."
        );
        Ok::<(), JobError>(())
    });
    RecurringJob {
        key: KIND.to_owned(),
        schedule: settings.scheduler.housekeeping.clone(),
        kind: KIND.to_owned(),
        payload: json!({}),
    }
}
