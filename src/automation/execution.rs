//! One execution of a rule, in order: the causation depth, the rule active (and the automation
//! module on), the limits (today's count, credits available for the rule's limit), the
//! conditions, the claim of a place in today's count, then the actions in order.
//!
//! Each action holds its own credits through the service it calls, under a ledger key named by
//! the execution, so a retried execution never charges twice for the same work. Before each
//! action its cost is estimated; an action that would take the execution past
//! `credit_limit_per_execution` is not run and the execution fails with
//! `credit_limit_exceeded`.

use serde_json::{Value, json};

use crate::automation::Automation;
use crate::credits::CreditError;
use crate::domain::condition::evaluate;
use crate::domain::content::EntryPoint;
use crate::domain::credits::Operation;
use crate::domain::event::{Causation, CausationLink};
use crate::domain::ids::{AccountId, ContentId, ScheduledTaskId};
use crate::domain::module::Module;
use crate::domain::rule::{Action, ActionType, RuleDefinition};
use crate::processing::{ProcessingError, RunKey};
use crate::store::StoreError;
use crate::store::scheduled_tasks::{ScheduledTask, Settlement};

/// The skip reason of actions whose module is not part of this build yet.
pub const NOT_AVAILABLE: &str = "module not available";

/// Whether this build can run the action; the others end as skipped with `NOT_AVAILABLE`.
pub fn available(kind: ActionType) -> bool {
    match kind {
        ActionType::LinkContent | ActionType::OptimizeContent | ActionType::PushContent => true,
        ActionType::ClusterKeywords | ActionType::GenerateIdeas | ActionType::GenerateContent => {
            false
        }
    }
}

/// How one action ended.
enum ActionOutcome {
    Completed { output: Value, credits: i64 },
    Skipped { reason: String },
    Failed { code: &'static str, error: String },
}

/// What an execution's actions work with.
struct Run<'a> {
    account: AccountId,
    task: &'a ScheduledTask,
    /// The chain the events the actions cause carry.
    causation: Causation,
    limit: Option<i64>,
    used: i64,
}

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

    async fn run_action(
        &self,
        run: &mut Run<'_>,
        action: &Action,
    ) -> Result<ActionOutcome, StoreError> {
        if !available(action.kind) {
            return Ok(ActionOutcome::Skipped {
                reason: NOT_AVAILABLE.to_owned(),
            });
        }
        let module = action.kind.module();
        if !self.modules.is_enabled(run.account, module).await? {
            return Ok(ActionOutcome::Skipped {
                reason: format!("the {module} module is disabled"),
            });
        }
        let subject = action.kind.subject();
        let Some(target) = action.target(&run.task.trigger_context) else {
            return Ok(ActionOutcome::Failed {
                code: "missing_subject",
                error: format!(
                    "neither params.{} nor the context's {}.id names the {}",
                    subject.param, subject.subject_type, subject.subject_type
                ),
            });
        };
        let content = ContentId::new(target);
        let key = RunKey::automation(run.task.id);
        let estimate = match action.kind {
            ActionType::LinkContent => self.credits.estimate(Operation::Linking, 1),
            ActionType::OptimizeContent => {
                match self
                    .processing
                    .optimize_estimate(run.account, content)
                    .await
                {
                    Ok(estimate) => estimate,
                    Err(err) => return failed(err),
                }
            }
            _ => 0,
        };
        if let Some(limit) = run.limit
            && run.used + estimate > limit
        {
            return Ok(ActionOutcome::Failed {
                code: "credit_limit_exceeded",
                error: format!(
                    "the action may cost {estimate} credits, and {} of the execution's limit of \
                     {limit} are used",
                    run.used
                ),
            });
        }
        let done =
            match action.kind {
                ActionType::LinkContent => self
                    .processing
                    .link(run.account, content, &key)
                    .await
                    .map(|linking| {
                        (
                            json!({
                                "content_id": content, "links_added": linking.added.len(),
                                "version": linking.version, "status": linking.status,
                            }),
                            linking.credits_used,
                        )
                    }),
                ActionType::OptimizeContent => self
                    .processing
                    .optimize_caused(
                        run.account,
                        content,
                        EntryPoint::Automation,
                        &key,
                        &run.causation,
                    )
                    .await
                    .map(|optimizing| {
                        (
                            json!({
                                "content_id": content, "optimization_task_id": optimizing.task,
                                "rules": optimizing.rules, "score_before": optimizing.before,
                                "score_after": optimizing.after, "version": optimizing.version,
                            }),
                            optimizing.credits_used,
                        )
                    }),
                ActionType::PushContent => self
                    .processing
                    .queue_push(run.account, content)
                    .await
                    .map(|push| {
                        let output = match push {
                            Some(push) => json!({ "content_id": content, "push_job_id": push }),
                            None => json!({
                                "content_id": content, "push_job_id": null,
                                "reason": "the item holds no change the CMS lacks",
                            }),
                        };
                        (output, 0)
                    }),
                ActionType::ClusterKeywords
                | ActionType::GenerateIdeas
                | ActionType::GenerateContent => {
                    return Ok(ActionOutcome::Skipped {
                        reason: NOT_AVAILABLE.to_owned(),
                    });
                }
            };
        match done {
            Ok((output, credits)) => {
                run.used += credits;
                Ok(ActionOutcome::Completed { output, credits })
            }
            Err(err) => failed(err),
        }
    }
}

fn daily_limit(rule: &RuleDefinition) -> String {
    format!(
        "daily limit reached: {} executions today",
        rule.max_executions_per_day.unwrap_or_default()
    )
}

/// An action's processing error as the execution's failure; database trouble is returned so
/// the job retries.
fn failed(err: ProcessingError) -> Result<ActionOutcome, StoreError> {
    let error = err.to_string();
    let code = match err {
        ProcessingError::Store(store) => return Err(store),
        ProcessingError::NotFound => "not_found",
        ProcessingError::ModuleDisabled(_) => "module_disabled",
        ProcessingError::NotProcessable { .. } => "not_processable",
        ProcessingError::Stale(_) => "content_changed",
        ProcessingError::Unreadable { .. } => "unreadable_html",
        ProcessingError::Credits(CreditError::Insufficient { .. }) => "insufficient_credits",
        ProcessingError::Credits(_) => "credits",
        ProcessingError::Ai(_) => "ai_failed",
    };
    Ok(ActionOutcome::Failed { code, error })
}
