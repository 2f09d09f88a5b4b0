//! The event worker: turns committed domain events into rule executions.
//!
//! A batch of unprocessed events is claimed with `FOR UPDATE SKIP LOCKED`; for each, one
//! execution per matching active rule is created (keyed `rule:{rule}:event:{event}`) with the
//! job that runs it, and the event is marked processed, all in one transaction. A worker that
//! dies before the commit leaves the events unprocessed for the next claim; one that commits
//! has created the executions exactly once. An event whose evaluation fails is retried a
//! bounded number of times, then set aside with its last error. Idle workers wait on
//! `LISTEN igny8_events` and poll as a fallback.

use std::str::FromStr;
use std::time::Duration;

use crate::automation::{Automation, jobs};
use crate::domain::event::{Causation, EventKind};
use crate::domain::ids::SiteId;
use crate::jobs::handler::error_chain;
use crate::shutdown::Shutdown;
use crate::store::StoreError;
use crate::store::automation_rules::active_event_rules;
use crate::store::domain_events::{
    ClaimedEvent, claim_events, mark_event_processed, record_event_failure,
};
use crate::store::scheduled_tasks::{NewTask, create_task};

/// Events claimed per transaction.
const BATCH: i64 = 100;
/// Polled this often when no notification arrives.
const POLL: Duration = Duration::from_secs(5);

impl Automation {
    /// Processes one batch of events; returns how many were claimed.
    ///
    /// Each event is evaluated under a savepoint of the batch's transaction: an event whose
    /// evaluation fails is rolled back alone and its attempt and error recorded, so it holds
    /// up neither the batch nor the events behind it, and after
    /// `automation.max_event_attempts` it is no longer claimed. An error the transaction
    /// itself does not survive (a lost connection) rolls the whole batch back, attempts
    /// included, for the next claim.
    pub async fn process_events(&self) -> Result<usize, StoreError> {
        let mut tx = self.store.begin().await?;
        let events = claim_events(&mut tx, BATCH, self.max_event_attempts).await?;
        for event in &events {
            let mut attempt = sqlx::Acquire::begin(&mut tx).await?;
            let evaluated = match self.evaluate_event(&mut attempt, event).await {
                Ok(()) => mark_event_processed(&mut attempt, event.account_id, event.id).await,
                Err(err) => Err(err),
            };
            match evaluated {
                Ok(()) => attempt.commit().await?,
                Err(err) => {
                    attempt.rollback().await?;
                    let error = error_chain(&err);
                    let attempts =
                        record_event_failure(&mut tx, event.account_id, event.id, &error).await?;
                    if u32::try_from(attempts).unwrap_or(u32::MAX) >= self.max_event_attempts {
                        metrics::counter!("igny8_automation_events_set_aside_total").increment(1);
                        tracing::error!(account = %event.account_id, event = %event.id, kind = %event.kind, attempts, error = %error, "An event failed every evaluation allowed; it is set aside with its last error.");
                    } else {
                        tracing::warn!(account = %event.account_id, event = %event.id, kind = %event.kind, attempts, error = %error, "Evaluating an event failed; it will be tried again.");
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(events.len())
    }

    async fn evaluate_event(
        &self,
        tx: &mut sqlx::PgConnection,
        event: &ClaimedEvent,
    ) -> Result<(), StoreError> {
        let Ok(kind) = EventKind::from_str(&event.kind) else {
            tracing::warn!(account = %event.account_id, event = %event.id, kind = %event.kind, "An event of a kind this version does not know is passed over.");
            return Ok(());
        };
        let site = event.payload[kind.subject_type()]["site_id"]
            .as_i64()
            .map(SiteId::new);
        let rules = active_event_rules(tx, event.account_id, kind, site).await?;
        let causation: Causation =
            serde_json::from_value(event.causation.clone()).unwrap_or_default();
        for rule in rules {
            let key = format!("rule:{rule}:event:{}", event.id);
            create_task(
                tx,
                &NewTask {
                    account: event.account_id,
                    rule,
                    event: Some(event.id),
                    trigger_type: kind.as_str(),
                    context: &event.payload,
                    causation: &causation,
                    idempotency_key: &key,
                    scheduled_for: event.created_at,
                },
                |task| jobs::execute_job(event.account_id, task, self.max_attempts),
            )
            .await?;
        }
        Ok(())
    }

    /// Processes events until shutdown begins.
    pub async fn run_event_worker(self, shutdown: Shutdown) {
        let stopping = shutdown.stopping();
        let mut wakeups = None;
        loop {
            let drained = match self.process_events().await {
                Ok(claimed) => claimed < BATCH as usize,
                Err(err) => {
                    // The batch rolled back: its events are still unprocessed.
                    tracing::warn!(error = %error_chain(&err), "Processing domain events failed; will retry.");
                    true
                }
            };
            if !drained {
                continue;
            }
            if wakeups.is_none() {
                wakeups = self.store.event_wakeups().await.ok();
            }
            let wait = async {
                match wakeups.as_mut() {
                    Some(listener) => {
                        if listener.next().await.is_err() {
                            wakeups = None;
                        }
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = wait => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = stopping.cancelled() => return,
            }
        }
    }
}
