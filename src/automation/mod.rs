//! Automation: rules that react to domain events or fire on a schedule, and run actions.
//!
//! Every execution is a `scheduled_tasks` row, created once per idempotency key together with
//! the job that runs it: by the event worker (`events.rs`) in the transaction that marks the
//! event processed, by a schedule fire (`schedules.rs`), by a manual run or a retry.
//! `execution.rs` runs one: active → limits → conditions → actions, in that order;
//! `actions.rs` runs each action through the service that owns it.

pub mod actions;
pub mod events;
pub mod execution;
pub mod jobs;
pub mod schedules;

use chrono::{Duration, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::credits::Credits;
use crate::domain::condition::{Evaluation, evaluate};
use crate::domain::credits::IdempotencyKey;
use crate::domain::event::{Causation, EventKind};
use crate::domain::ids::{AccountId, RuleId, ScheduledTaskId};
use crate::domain::rule::{ActionType, RuleDefinition, RuleError, Trigger};
use crate::modules::Modules;
use crate::planner::Planner;
use crate::processing::Processing;
use crate::settings::Settings;
use crate::store::automation_rules::StoredRule;
use crate::store::scheduled_tasks::{NewTask, ScheduledTask, TaskCounts};
use crate::store::{Store, StoreError};
use crate::writer::Writer;

/// Why a rule or an execution could not be changed or run as asked.
#[derive(Debug, thiserror::Error)]
pub enum AutomationError {
    #[error(transparent)]
    Invalid(RuleError),
    #[error("not found")]
    NotFound,
    #[error("a rule named {0:?} already exists in this account")]
    NameTaken(String),
    #[error("site_id: no such site in this account")]
    SiteNotFound,
    /// A stored rule this version cannot read.
    #[error("the stored rule does not parse: {0}")]
    Unreadable(RuleError),
    #[error("only a failed execution can be retried; this one is {0}")]
    NotRetryable(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AutomationError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => AutomationError::NotFound,
            StoreError::Constraint { constraint } if constraint == "automation_rules_site_fkey" => {
                AutomationError::SiteNotFound
            }
            other => AutomationError::Store(other),
        }
    }
}

/// What a dry run of a rule found: each condition's outcome against the context, and what
/// each action would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestRun {
    /// The context evaluated: the one given, or a sample for the rule's trigger.
    pub context: Value,
    pub sample: bool,
    pub evaluation: Evaluation,
    pub actions: Vec<ActionPreview>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionPreview {
    #[serde(rename = "type")]
    pub kind: ActionType,
    /// The id the action would work on.
    pub target: Option<i64>,
    /// `run`, or `skip` with the reason.
    pub would: &'static str,
    pub reason: Option<String>,
}

/// Executions over one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodSummary {
    pub executions: i64,
    pub completed: i64,
    pub failed: i64,
    pub skipped: i64,
    /// Completed among executions that ran actions (completed or failed); null without any.
    pub success_rate: Option<f64>,
    pub credits_used: i64,
}

impl From<TaskCounts> for PeriodSummary {
    fn from(c: TaskCounts) -> Self {
        let ran = c.completed + c.failed;
        PeriodSummary {
            executions: c.executions,
            completed: c.completed,
            failed: c.failed,
            skipped: c.skipped,
            success_rate: (ran > 0).then(|| c.completed as f64 / ran as f64),
            credits_used: c.credits_used,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub active_rules: i64,
    pub total_rules: i64,
    pub last_24h: PeriodSummary,
    pub last_7d: PeriodSummary,
    /// Credits every execution of the account has used.
    pub credits_used: i64,
}

/// The automation service the API, the CLI, the jobs and the event worker share.
#[derive(Clone)]
pub struct Automation {
    store: Store,
    processing: Processing,
    planner: Planner,
    writer: Writer,
    credits: Credits,
    modules: Modules,
    max_depth: usize,
    max_event_attempts: u32,
    max_attempts: u32,
}

impl Automation {
    pub fn new(
        settings: &Settings,
        store: Store,
        processing: Processing,
        planner: Planner,
        writer: Writer,
    ) -> Automation {
        Automation {
            credits: Credits::new(store.clone(), &settings.credits),
            modules: Modules::new(store.clone(), settings.modules.defaults.clone()),
            store,
            processing,
            planner,
            writer,
            max_depth: settings.automation.max_depth,
            max_event_attempts: settings.automation.max_event_attempts,
            max_attempts: settings.jobs.max_attempts,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn create_rule(
        &self,
        account: AccountId,
        input: &Value,
    ) -> Result<StoredRule, AutomationError> {
        let rule = RuleDefinition::parse(input).map_err(AutomationError::Invalid)?;
        named(&rule, self.store.create_rule(account, &rule).await)
    }

    /// Replaces the rule with `input` (PUT).
    pub async fn replace_rule(
        &self,
        account: AccountId,
        id: RuleId,
        input: &Value,
    ) -> Result<StoredRule, AutomationError> {
        self.store.rule(account, id).await?;
        let rule = RuleDefinition::parse(input).map_err(AutomationError::Invalid)?;
        named(&rule, self.store.update_rule(account, id, &rule).await)
    }

    /// Changes the fields `patch` names (PATCH); the merged rule is checked whole.
    pub async fn update_rule(
        &self,
        account: AccountId,
        id: RuleId,
        patch: &Value,
    ) -> Result<StoredRule, AutomationError> {
        let Some(changes) = patch.as_object() else {
            return Err(AutomationError::Invalid(RuleError {
                field: String::new(),
                message: "expected a JSON object".to_owned(),
            }));
        };
        let current = self.store.rule(account, id).await?;
        let mut merged = current
            .definition()
            .map_err(AutomationError::Unreadable)?
            .to_json();
        let object = merged.as_object_mut().expect("a rule is an object");
        // Switching to an event trigger drops the schedule unless the patch sets one.
        if changes
            .get("trigger_type")
            .is_some_and(|t| t.as_str() != Some("schedule"))
        {
            object.remove("schedule");
            object.remove("timezone");
        }
        for (key, value) in changes {
            object.insert(key.clone(), value.clone());
        }
        let rule = RuleDefinition::parse(&merged).map_err(AutomationError::Invalid)?;
        named(&rule, self.store.update_rule(account, id, &rule).await)
    }

    pub async fn delete_rule(&self, account: AccountId, id: RuleId) -> Result<(), AutomationError> {
        Ok(self.store.delete_rule(account, id).await?)
    }

    /// Queues a manual run of the rule against `context` (an empty object when none). A
    /// repeated `Idempotency-Key` answers with the first run instead of queueing another.
    pub async fn execute(
        &self,
        account: AccountId,
        id: RuleId,
        context: Option<Value>,
        key: Option<&IdempotencyKey>,
    ) -> Result<(ScheduledTask, bool), AutomationError> {
        self.store.rule(account, id).await?;
        let context = match context {
            None => Value::Object(Map::new()),
            Some(Value::Object(map)) => Value::Object(map),
            Some(_) => {
                return Err(AutomationError::Invalid(RuleError {
                    field: "context".to_owned(),
                    message: "expected a JSON object".to_owned(),
                }));
            }
        };
        let run = match key {
            Some(key) => format!(
                "key:{}",
                &crate::domain::content::ContentHash::of(key.as_str()).to_hex()[..32]
            ),
            None => uuid::Uuid::new_v4().to_string(),
        };
        let idempotency_key = format!("rule:{id}:manual:{run}");
        let (task, created) = self
            .store
            .create_scheduled_task(
                &NewTask {
                    account,
                    rule: id,
                    event: None,
                    trigger_type: "manual",
                    context: &context,
                    causation: &Causation::root(),
                    idempotency_key: &idempotency_key,
                    scheduled_for: Utc::now(),
                },
                |task| jobs::execute_job(account, task, self.max_attempts),
            )
            .await?;
        Ok((self.store.scheduled_task(account, task).await?, created))
    }

    /// Evaluates the rule's conditions against `context` (or a sample for its trigger) and says
    /// what each action would do. Nothing is written, held or queued.
    pub async fn test(
        &self,
        account: AccountId,
        id: RuleId,
        context: Option<Value>,
    ) -> Result<TestRun, AutomationError> {
        let rule = self
            .store
            .rule(account, id)
            .await?
            .definition()
            .map_err(AutomationError::Unreadable)?;
        let (context, sample) = match context {
            Some(context @ Value::Object(_)) => (context, false),
            Some(_) => {
                return Err(AutomationError::Invalid(RuleError {
                    field: "context".to_owned(),
                    message: "expected a JSON object".to_owned(),
                }));
            }
            None => (sample_context(&rule.trigger), true),
        };
        let evaluation = evaluate(&rule.conditions, rule.condition_mode, &context);
        let mut actions = Vec::new();
        for action in &rule.actions {
            let target = action.target(&context);
            let reason = if !self
                .modules
                .is_enabled(account, action.kind.module())
                .await?
            {
                Some(format!("the {} module is disabled", action.kind.module()))
            } else if let Some(refusal) = (action.kind == ActionType::GenerateContent)
                .then(|| self.writer.ensure_writing().err())
                .flatten()
            {
                Some(refusal.to_string())
            } else if target.is_none() {
                Some(format!(
                    "the context names no {}",
                    action.kind.subject().subject_type
                ))
            } else {
                None
            };
            actions.push(ActionPreview {
                kind: action.kind,
                target,
                would: if reason.is_none() && evaluation.met {
                    "run"
                } else {
                    "skip"
                },
                reason: reason.or_else(|| (!evaluation.met).then(|| "conditions not met".into())),
            });
        }
        Ok(TestRun {
            context,
            sample,
            evaluation,
            actions,
        })
    }

    /// Runs a failed execution again, with the same context. A retry of one that is not
    /// failed (already retried, say) is refused and queues nothing.
    pub async fn retry(
        &self,
        account: AccountId,
        id: ScheduledTaskId,
    ) -> Result<ScheduledTask, AutomationError> {
        let job = jobs::execute_job(account, id, self.max_attempts);
        if !self.store.retry_scheduled_task(account, id, &job).await? {
            let task = self.store.scheduled_task(account, id).await?;
            return Err(AutomationError::NotRetryable(task.status));
        }
        Ok(self.store.scheduled_task(account, id).await?)
    }

    pub async fn summary(&self, account: AccountId) -> Result<Summary, AutomationError> {
        let now = Utc::now();
        let (active_rules, total_rules) = self.store.rule_counts(account).await?;
        let day = self
            .store
            .scheduled_task_counts(account, now - Duration::hours(24))
            .await?;
        let week = self
            .store
            .scheduled_task_counts(account, now - Duration::days(7))
            .await?;
        Ok(Summary {
            active_rules,
            total_rules,
            last_24h: day.into(),
            last_7d: week.into(),
            credits_used: self.store.automation_credits_used(account).await?,
        })
    }
}

/// Maps a taken name to its own error.
fn named(
    rule: &RuleDefinition,
    result: Result<StoredRule, StoreError>,
) -> Result<StoredRule, AutomationError> {
    match result {
        Err(StoreError::Constraint { constraint }) if constraint == "automation_rules_name_key" => {
            Err(AutomationError::NameTaken(rule.name.clone()))
        }
        other => other.map_err(AutomationError::from),
    }
}

/// A context shaped like the events of the trigger, for a dry run without one.
fn sample_context(trigger: &Trigger) -> Value {
    let Some(kind) = trigger.event() else {
        return json!({ "schedule": { "fired_at": Utc::now() } });
    };
    let subject = match kind.subject_type() {
        "content" => json!({
            "id": 1, "site_id": 1, "source": "wordpress", "status": "draft",
            "sync_status": "synced", "title": "A sample post", "word_count": 1200,
            "language": "en", "is_cornerstone": false,
            "optimization_scores": { "seo": 60, "readability": 70, "overall": 65 },
        }),
        "keyword" => json!({ "id": 1, "keyword": "cold brew", "volume": 1900, "difficulty": 30 }),
        "cluster" => json!({ "id": 1, "name": "Cold brew", "keywords_count": 8, "volume": 5200 }),
        "idea" => json!({ "id": 1, "title": "How to make cold brew", "cluster_id": 1 }),
        _ => json!({ "id": 1, "title": "Write about cold brew", "status": "queued" }),
    };
    let mut context = Map::new();
    context.insert(kind.subject_type().to_owned(), subject);
    if kind == EventKind::ContentOptimized {
        context["content"]["optimization"] = json!({ "changed": true });
    }
    Value::Object(context)
}
