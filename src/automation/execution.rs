//! One execution of a rule, in order: the causation depth, the rule active (and the automation
//! module on), the limits (today's count, credits available for the rule's limit), the
//! conditions, the claim of a place in today's count, then the actions in order.
//!
//! The actions themselves are in `actions.rs`: each holds its own credits through the service
//! it calls, under a ledger key named by the execution, and one whose estimated cost would
//! take the execution past `credit_limit_per_execution` is not run: the execution fails with
//! `credit_limit_exceeded`.

use serde_json::{Value, json};

use crate::automation::Automation;
use crate::automation::actions::{ActionOutcome, Run};
use crate::domain::condition::evaluate;
use crate::domain::event::{Causation, CausationLink};
use crate::domain::ids::{AccountId, ScheduledTaskId};
use crate::domain::module::Module;
use crate::domain::rule::RuleDefinition;
use crate::store::StoreError;
use crate::store::scheduled_tasks::Settlement;

impl Automation {
    /// Runs the execution `id`, unless it is already settled. Database failures are returned
    /// (the job retries and the execution resumes); everything else settles it.
    pub async fn run_task(
        &self,
        account: AccountId,
        id: ScheduledTaskId,
    ) -> Result<(), StoreError> {
        let Some(task) = self.store.start_scheduled_task(account, id).await? else {
            return Ok(());
        };
        let causation: Causation =
            serde_json::from_value(task.causation.clone()).unwrap_or_else(|_| Causation::root());
        let skip = |reason: String| async move {
            self.store
                .settle_scheduled_task(
                    account,
                    id,
                    &json!([]),
                    0,
                    &Settlement::Skipped { reason: &reason },
                )
                .await
        };
        if causation.depth() > self.max_depth {
            return skip(format!(
                "depth limit: the triggering event follows {} rule executions, more than \
                 automation.max_depth = {}",
                causation.depth(),
                self.max_depth
            ))
            .await;
        }
        let Some(rule_id) = task.rule_id else {
            return skip("the rule was deleted".to_owned()).await;
        };
        let stored = match self.store.rule(account, rule_id).await {
            Ok(stored) => stored,
            Err(StoreError::NotFound) => return skip("the rule was deleted".to_owned()).await,
            Err(err) => return Err(err),
        };
        if !stored.is_active {
            return skip("the rule is not active".to_owned()).await;
        }
        if !self.modules.is_enabled(account, Module::Automation).await? {
            return skip("the automation module is disabled".to_owned()).await;
        }
        let rule = match stored.definition() {
            Ok(rule) => rule,
            Err(err) => {
                let error = format!("the stored rule does not parse: {err}");
                return self
                    .store
                    .settle_scheduled_task(
                        account,
                        id,
                        &json!([]),
                        0,
                        &Settlement::Failed {
                            code: "invalid_rule",
                            error: &error,
                        },
                    )
                    .await;
            }
        };
        let counted = task.counted_at.is_some();
        if !counted && self.store.daily_limit_reached(account, rule_id).await? {
            return skip(daily_limit(&rule)).await;
        }
        if let Some(limit) = rule.credit_limit_per_execution {
            let available = self.store.balance(account).await?.available();
            if available < limit {
                return skip(format!(
                    "insufficient credits: {available} available, the rule may use up to \
                     {limit} per execution"
                ))
                .await;
            }
        }
        let evaluation = evaluate(&rule.conditions, rule.condition_mode, &task.trigger_context);
        if !evaluation.met {
            let outcomes: Vec<String> = evaluation
                .conditions
                .iter()
                .map(|c| {
                    let outcome = serde_json::to_value(&c.outcome).expect("outcomes serialize");
                    format!(
                        "{} {} {}: {}",
                        c.field.as_str(),
                        c.operator,
                        c.value,
                        outcome["outcome"]
                    )
                })
                .collect();
            return skip(format!(
                "conditions not met ({}): {}",
                evaluation.mode.as_str(),
                outcomes.join("; ")
            ))
            .await;
        }
        if !counted && !self.store.claim_execution(account, rule_id, id).await? {
            return skip(daily_limit(&rule)).await;
        }
        let causation = match task.event_id {
            // Events the actions cause continue the chain of the event that fired the rule;
            // schedules and manual runs start a chain.
            Some(event) => causation.followed_by(CausationLink {
                event,
                rule: rule_id,
                task: id,
            }),
            None => causation,
        };
        let mut run = Run {
            account,
            task: &task,
            causation,
            limit: rule.credit_limit_per_execution,
            used: 0,
        };
        let mut results = Vec::new();
        let mut failure = None;
        for (index, action) in rule.actions.iter().enumerate() {
            let outcome = self.run_action(&mut run, action).await?;
            let entry = match &outcome {
                ActionOutcome::Completed { output, credits } => json!({
                    "index": index, "type": action.kind, "outcome": "completed",
                    "output": output, "credits_used": credits,
                }),
                ActionOutcome::Skipped { reason } => json!({
                    "index": index, "type": action.kind, "outcome": "skipped", "reason": reason,
                    "credits_used": 0,
                }),
                ActionOutcome::Failed { code, error } => json!({
                    "index": index, "type": action.kind, "outcome": "failed",
                    "error_code": code, "error": error, "credits_used": 0,
                }),
            };
            results.push(entry);
            if let ActionOutcome::Failed { code, error } = outcome {
                failure = Some((code, format!("actions[{index}] ({}): {error}", action.kind)));
                break;
            }
        }
        let settlement = match &failure {
            Some((code, error)) => Settlement::Failed { code, error },
            None => Settlement::Completed,
        };
        self.store
            .settle_scheduled_task(account, id, &Value::Array(results), run.used, &settlement)
            .await
    }
}

fn daily_limit(rule: &RuleDefinition) -> String {
    format!(
        "daily limit reached: {} executions today",
        rule.max_executions_per_day.unwrap_or_default()
    )
}
