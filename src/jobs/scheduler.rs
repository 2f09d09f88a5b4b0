//! Recurring jobs: cron schedules turned into queued jobs, once per fire across every daemon.
//!
//! Each daemon evaluates every schedule and tries to claim each fire through `cron_fires`; the
//! one whose insert lands enqueues the job in the same transaction. After downtime only the
//! latest missed fire within the look-back runs, not every one of them. Besides the daemon's
//! own schedules, a `ScheduleSource` supplies schedules kept in the database (automation
//! rules), read again at every tick.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::ids::JobId;
use crate::domain::schedule::CronSchedule;
use crate::jobs::handler::error_chain;
use crate::shutdown::Shutdown;
use crate::store::jobs::NewJob;
use crate::store::{Store, StoreError};

/// A fire this close before start-up still runs, so a quick restart does not skip it.
const LOOKBACK: chrono::Duration = chrono::Duration::minutes(5);
/// The scheduler re-evaluates at least this often, so a changed clock is noticed.
const MAX_SLEEP: std::time::Duration = std::time::Duration::from_secs(60);

/// A job enqueued on a schedule.
#[derive(Debug, Clone)]
pub struct RecurringJob {
    /// Names the schedule in `cron_fires`; stable across restarts and daemons.
    pub key: String,
    pub schedule: CronSchedule,
    pub kind: String,
    pub payload: Value,
}

/// Schedules that change while the daemon runs; the scheduler asks for them at every tick.
pub trait ScheduleSource: Send + Sync + 'static {
    fn schedules(
        &self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<RecurringJob>, StoreError>> + Send + '_>>;
}

pub struct Scheduler {
    store: Store,
    recurring: Vec<RecurringJob>,
    sources: Vec<Arc<dyn ScheduleSource>>,
    /// What the sources answered at the last tick, for `next_fire`.
    sourced: Vec<RecurringJob>,
    max_attempts: u32,
    checked_until: DateTime<Utc>,
}

impl Scheduler {
    pub fn new(
        store: Store,
        recurring: Vec<RecurringJob>,
        max_attempts: u32,
        started_at: DateTime<Utc>,
    ) -> Scheduler {
        Scheduler {
            store,
            recurring,
            sources: Vec::new(),
            sourced: Vec::new(),
            max_attempts,
            checked_until: started_at - LOOKBACK,
        }
    }

    /// Adds schedules read from `source` at every tick.
    pub fn with_source(mut self, source: Arc<dyn ScheduleSource>) -> Scheduler {
        self.sources.push(source);
        self
    }

    /// Claims the fires due since the last tick. Returns the jobs this scheduler enqueued;
    /// fires another daemon claimed are skipped.
    pub async fn tick(&mut self, now: DateTime<Utc>) -> Result<Vec<JobId>, StoreError> {
        let mut sourced = Vec::new();
        for source in &self.sources {
            sourced.extend(source.schedules().await?);
        }
        self.sourced = sourced;
        let mut enqueued = Vec::new();
        for recurring in self.recurring.iter().chain(&self.sourced) {
            let Some(fire_at) = recurring.schedule.latest_fire_in(self.checked_until, now) else {
                continue;
            };
            let job = NewJob::new(
                &recurring.kind,
                recurring.payload.clone(),
                self.max_attempts,
            )
            .unique(format!("cron:{}:{}", recurring.key, fire_at.to_rfc3339()))
            .run_at(fire_at);
            if let Some(id) = self
                .store
                .claim_cron_fire(&recurring.key, fire_at, &job)
                .await?
            {
                tracing::info!(schedule = %recurring.key, %fire_at, job = %id, "Enqueued a scheduled job.");
                enqueued.push(id);
            }
        }
        self.checked_until = now;
        Ok(enqueued)
    }

    /// When the next fire of any schedule is due.
    pub fn next_fire(&self) -> Option<DateTime<Utc>> {
        self.recurring
            .iter()
            .chain(&self.sourced)
            .filter_map(|r| r.schedule.next_after(self.checked_until))
            .min()
    }

    /// Ticks at each fire until shutdown begins.
    pub async fn run(mut self, shutdown: Shutdown) {
        let stopping = shutdown.stopping();
        loop {
            if let Err(err) = self.tick(Utc::now()).await {
                // The fires stay unclaimed and are retried on the next tick.
                tracing::warn!(error = %error_chain(&err), "Scheduler tick failed; will retry.");
            }
            let sleep = self
                .next_fire()
                .and_then(|at| (at - Utc::now()).to_std().ok())
                .unwrap_or_default()
                .clamp(std::time::Duration::from_millis(200), MAX_SLEEP);
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = stopping.cancelled() => return,
            }
        }
    }
}
