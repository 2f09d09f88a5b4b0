//! Schedule rules through the daemon's scheduler: every active schedule rule is a recurring
//! job (`automation.fire`) read again at each tick, its cron read in the rule's zone (else its
//! account's), its fire claimed through `cron_fires` so it runs once across daemons.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::automation::Automation;
use crate::automation::jobs::{self, FirePayload};
use crate::domain::event::Causation;
use crate::domain::ids::{AccountId, RuleId};
use crate::domain::schedule::CronSchedule;
use crate::domain::timezone::Timezone;
use crate::jobs::scheduler::{RecurringJob, ScheduleSource};
use crate::store::scheduled_tasks::NewTask;
use crate::store::{Store, StoreError};

/// The active schedule rules, as the scheduler's recurring jobs.
pub struct RuleSchedules {
    store: Store,
}

impl RuleSchedules {
    pub fn new(store: Store) -> RuleSchedules {
        RuleSchedules { store }
    }
}

impl ScheduleSource for RuleSchedules {
    fn schedules(
        &self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<RecurringJob>, StoreError>> + Send + '_>> {
        Box::pin(async move {
            let rules = self.store.scheduled_rules().await?;
            Ok(rules
                .into_iter()
                .filter_map(|rule| {
                    // Rules are checked when written; a row this version cannot read (or an
                    // account zone PostgreSQL knows but this build does not) is left out, loudly.
                    let zone = Timezone::parse(&rule.timezone);
                    let schedule = CronSchedule::parse(&rule.schedule);
                    match (schedule, zone) {
                        (Ok(schedule), Ok(zone)) => Some(RecurringJob {
                            key: format!("automation.rule:{}:{}", rule.account_id, rule.id),
                            schedule: schedule.in_zone(zone),
                            kind: jobs::FIRE.to_owned(),
                            payload: json!(FirePayload {
                                account_id: rule.account_id,
                                rule_id: rule.id,
                            }),
                        }),
                        (Err(err), _) | (_, Err(err)) => {
                            tracing::warn!(account = %rule.account_id, rule = %rule.id, error = %err, "A schedule rule cannot be scheduled.");
                            None
                        }
                    }
                })
                .collect())
        })
    }
}

impl Automation {
    /// Creates (once per fire) the execution of a schedule rule's fire and queues it.
    pub async fn fire(
        &self,
        account: AccountId,
        rule: RuleId,
        fire_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let key = format!("rule:{rule}:cron:{}", fire_at.to_rfc3339());
        let context = json!({ "schedule": { "fired_at": fire_at } });
        let created = self
            .store
            .create_scheduled_task(
                &NewTask {
                    account,
                    rule,
                    event: None,
                    trigger_type: "schedule",
                    context: &context,
                    causation: &Causation::root(),
                    idempotency_key: &key,
                    scheduled_for: fire_at,
                },
                |task| jobs::execute_job(account, task, self.max_attempts),
            )
            .await;
        match created {
            Ok(_) => Ok(()),
            // The rule was deleted between the fire and now: nothing to run.
            Err(StoreError::Constraint { constraint })
                if constraint == "scheduled_tasks_rule_fkey" =>
            {
                Ok(())
            }
            Err(err) => Err(err),
        }
    }
}
