//! Automation rules as checked definitions: when (a cron schedule in a zone, or a domain event),
//! if (conditions), do (actions), within limits.
//!
//! A rule is written as one flat JSON object (the API's body, the stored row's columns) and
//! parsed whole, so create, replace and a merged partial update are checked the same way, and
//! every error names the field it is about (`conditions[1].operator`, `actions[0].params`).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::domain::condition::{Condition, ConditionMode};
use crate::domain::event::EventKind;
use crate::domain::ids::SiteId;
use crate::domain::module::Module;
use crate::domain::schedule::CronSchedule;
use crate::domain::timezone::Timezone;

/// Longest rule name and description, in characters.
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Most conditions and actions one rule may have.
pub const MAX_CONDITIONS: usize = 50;
pub const MAX_ACTIONS: usize = 20;
/// Upper bounds of the limits, against typos.
pub const MAX_EXECUTIONS_PER_DAY: i64 = 100_000;
pub const MAX_CREDIT_LIMIT: i64 = 1_000_000_000;

/// A value that is not acceptable, and the field that holds it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RuleError {
    pub field: String,
    pub message: String,
}

impl RuleError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> RuleError {
        RuleError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// When a rule runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// At each fire of the schedule, read in the zone (the account's when none is given).
    Schedule {
        schedule: Box<CronSchedule>,
        timezone: Option<Timezone>,
    },
    /// For each event of this kind.
    Event(EventKind),
}

impl Trigger {
    /// The `trigger_type` as stored: `schedule` or the event kind.
    pub fn type_name(&self) -> &'static str {
        match self {
            Trigger::Schedule { .. } => "schedule",
            Trigger::Event(kind) => kind.as_str(),
        }
    }

    pub fn event(&self) -> Option<EventKind> {
        match self {
            Trigger::Schedule { .. } => None,
            Trigger::Event(kind) => Some(*kind),
        }
    }
}

/// What an action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionType {
    ClusterKeywords,
    GenerateIdeas,
    GenerateContent,
    LinkContent,
    OptimizeContent,
    PushContent,
}

impl ActionType {
    pub const ALL: [ActionType; 6] = [
        ActionType::ClusterKeywords,
        ActionType::GenerateIdeas,
        ActionType::GenerateContent,
        ActionType::LinkContent,
        ActionType::OptimizeContent,
        ActionType::PushContent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionType::ClusterKeywords => "cluster_keywords",
            ActionType::GenerateIdeas => "generate_ideas",
            ActionType::GenerateContent => "generate_content",
            ActionType::LinkContent => "link_content",
            ActionType::OptimizeContent => "optimize_content",
            ActionType::PushContent => "push_content",
        }
    }

    /// The module whose switch decides whether the action runs.
    pub fn module(self) -> Module {
        match self {
            ActionType::ClusterKeywords | ActionType::GenerateIdeas => Module::Planner,
            ActionType::GenerateContent => Module::Writer,
            ActionType::LinkContent => Module::Linker,
            ActionType::OptimizeContent => Module::Optimizer,
            // Pushing belongs to sync, which is no module of its own.
            ActionType::PushContent => Module::Automation,
        }
    }

    /// The object the action works on: its parameter, and where an event's payload names it
    /// (its subject type's `id`).
    pub fn subject(self) -> Subject {
        match self {
            ActionType::ClusterKeywords => Subject {
                param: "keyword_id",
                subject_type: "keyword",
            },
            ActionType::GenerateIdeas => Subject {
                param: "cluster_id",
                subject_type: "cluster",
            },
            ActionType::GenerateContent => Subject {
                param: "task_id",
                subject_type: "task",
            },
            ActionType::LinkContent | ActionType::OptimizeContent | ActionType::PushContent => {
                Subject {
                    param: "content_id",
                    subject_type: "content",
                }
            }
        }
    }
}

impl fmt::Display for ActionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActionType {
    type Err = String;

    fn from_str(s: &str) -> Result<ActionType, String> {
        ActionType::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "expected one of cluster_keywords, generate_ideas, generate_content, \
                     link_content, optimize_content, push_content, found {s:?}"
                )
            })
    }
}

/// The object an action works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    /// The parameter that names it, e.g. `content_id`.
    pub param: &'static str,
    /// The subject type whose events name it (`content` events name content).
    pub subject_type: &'static str,
}

impl Subject {
    /// Whether events of `kind` name this subject, so the parameter may be left out.
    pub fn given_by(self, kind: EventKind) -> bool {
        kind.subject_type() == self.subject_type
    }

    /// The context's `{subject_type}.id`.
    pub fn in_context(self, context: &Value) -> Option<i64> {
        context.get(self.subject_type)?.get("id")?.as_i64()
    }
}

/// One checked action.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub kind: ActionType,
    /// The subject's id when the rule names it; otherwise it comes from the context.
    pub subject_id: Option<i64>,
}

impl Action {
    /// The id the action works on: its own parameter, else the context's subject.
    pub fn target(&self, context: &Value) -> Option<i64> {
        self.subject_id
            .or_else(|| self.kind.subject().in_context(context))
    }

    fn to_json(&self) -> Value {
        let mut params = Map::new();
        if let Some(id) = self.subject_id {
            params.insert(self.kind.subject().param.to_owned(), json!(id));
        }
        json!({ "type": self.kind.as_str(), "params": params })
    }
}

/// A rule, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDefinition {
    pub name: String,
    pub description: Option<String>,
    /// Only events about this site (and only it for scheduled runs).
    pub site_id: Option<SiteId>,
    pub trigger: Trigger,
    pub conditions: Vec<Condition>,
    pub condition_mode: ConditionMode,
    pub actions: Vec<Action>,
    pub is_active: bool,
    pub max_executions_per_day: Option<i32>,
    pub credit_limit_per_execution: Option<i64>,
}

const KEYS: [&str; 12] = [
    "name",
    "description",
    "site_id",
    "trigger_type",
    "schedule",
    "timezone",
    "conditions",
    "condition_mode",
    "actions",
    "is_active",
    "max_executions_per_day",
    "credit_limit_per_execution",
];

impl RuleDefinition {
    /// Checks a rule written as one JSON object.
    pub fn parse(input: &Value) -> Result<RuleDefinition, RuleError> {
        let Some(object) = input.as_object() else {
            return Err(RuleError::new("", "expected a JSON object"));
        };
        if let Some(unknown) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(RuleError::new(
                unknown.as_str(),
                "unknown field; expected name, description, site_id, trigger_type, schedule, \
                 timezone, conditions, condition_mode, actions, is_active, \
                 max_executions_per_day, credit_limit_per_execution",
            ));
        }
        let field = |key: &str| object.get(key).filter(|v| !v.is_null());

        let name = match field("name") {
            Some(Value::String(name)) if name.trim().is_empty() => {
                return Err(RuleError::new("name", "must not be blank"));
            }
            Some(Value::String(name)) if name.chars().count() > MAX_NAME_CHARS => {
                return Err(RuleError::new(
                    "name",
                    format!("expected at most {MAX_NAME_CHARS} characters"),
                ));
            }
            Some(Value::String(name)) => name.trim().to_owned(),
            Some(_) => return Err(RuleError::new("name", "expected a string")),
            None => return Err(RuleError::new("name", "is required")),
        };
        let description = match field("description") {
            Some(Value::String(text)) if text.chars().count() > MAX_DESCRIPTION_CHARS => {
                return Err(RuleError::new(
                    "description",
                    format!("expected at most {MAX_DESCRIPTION_CHARS} characters"),
                ));
            }
            Some(Value::String(text)) => Some(text.clone()),
            Some(_) => return Err(RuleError::new("description", "expected a string")),
            None => None,
        };
        let site_id = field("site_id")
            .map(|v| positive(v, "site_id", i64::MAX).map(SiteId::new))
            .transpose()?;
        let trigger = trigger(field("trigger_type"), field("schedule"), field("timezone"))?;
        let conditions = match field("conditions") {
            None => Vec::new(),
            Some(Value::Array(items)) if items.len() > MAX_CONDITIONS => {
                return Err(RuleError::new(
                    "conditions",
                    format!("expected at most {MAX_CONDITIONS} conditions"),
                ));
            }
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, raw)| {
                    Condition::parse(raw).map_err(|(part, message)| {
                        let field = if part.is_empty() {
                            format!("conditions[{i}]")
                        } else {
                            format!("conditions[{i}].{part}")
                        };
                        RuleError::new(field, message)
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(RuleError::new("conditions", "expected a list")),
        };
        let condition_mode = match field("condition_mode") {
            None => ConditionMode::All,
            Some(Value::String(mode)) => mode
                .parse()
                .map_err(|e| RuleError::new("condition_mode", e))?,
            Some(_) => return Err(RuleError::new("condition_mode", "expected all or any")),
        };
        let actions = match field("actions") {
            Some(Value::Array(items)) if items.is_empty() => {
                return Err(RuleError::new("actions", "expected at least one action"));
            }
            Some(Value::Array(items)) if items.len() > MAX_ACTIONS => {
                return Err(RuleError::new(
                    "actions",
                    format!("expected at most {MAX_ACTIONS} actions"),
                ));
            }
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, raw)| action(i, raw, &trigger))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(RuleError::new("actions", "expected a list")),
            None => return Err(RuleError::new("actions", "is required")),
        };
        let is_active = match field("is_active") {
            None => true,
            Some(Value::Bool(active)) => *active,
            Some(_) => return Err(RuleError::new("is_active", "expected true or false")),
        };
        let max_executions_per_day = field("max_executions_per_day")
            .map(|v| positive(v, "max_executions_per_day", MAX_EXECUTIONS_PER_DAY))
            .transpose()?
            .map(|n| i32::try_from(n).expect("bounded by MAX_EXECUTIONS_PER_DAY"));
        let credit_limit_per_execution = field("credit_limit_per_execution")
            .map(|v| positive(v, "credit_limit_per_execution", MAX_CREDIT_LIMIT))
            .transpose()?;
        Ok(RuleDefinition {
            name,
            description,
            site_id,
            trigger,
            conditions,
            condition_mode,
            actions,
            is_active,
            max_executions_per_day,
            credit_limit_per_execution,
        })
    }

    /// The rule as the JSON object it parses from; a partial update merges into this.
    pub fn to_json(&self) -> Value {
        let (schedule, timezone) = match &self.trigger {
            Trigger::Schedule { schedule, timezone } => (
                Some(schedule.expression().to_owned()),
                timezone.map(|zone| zone.name().to_owned()),
            ),
            Trigger::Event(_) => (None, None),
        };
        json!({
            "name": self.name,
            "description": self.description,
            "site_id": self.site_id,
            "trigger_type": self.trigger.type_name(),
            "schedule": schedule,
            "timezone": timezone,
            "conditions": self.conditions,
            "condition_mode": self.condition_mode.as_str(),
            "actions": self.actions_json(),
            "is_active": self.is_active,
            "max_executions_per_day": self.max_executions_per_day,
            "credit_limit_per_execution": self.credit_limit_per_execution,
        })
    }

    /// The actions as stored: `[{type, params}]`.
    pub fn actions_json(&self) -> Value {
        Value::Array(self.actions.iter().map(Action::to_json).collect())
    }

    /// The conditions as stored: `[{field, operator, value}]`.
    pub fn conditions_json(&self) -> Value {
        serde_json::to_value(&self.conditions).expect("conditions serialize")
    }
}

fn positive(value: &Value, field: &str, max: i64) -> Result<i64, RuleError> {
    match value.as_i64() {
        Some(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(RuleError::new(
            field,
            format!("expected a whole number from 1 to {max}"),
        )),
    }
}

fn trigger(
    trigger_type: Option<&Value>,
    schedule: Option<&Value>,
    timezone: Option<&Value>,
) -> Result<Trigger, RuleError> {
    let names = || {
        let events: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("expected schedule or one of {}", events.join(", "))
    };
    let trigger_type = match trigger_type {
        Some(Value::String(name)) => name.as_str(),
        Some(_) => return Err(RuleError::new("trigger_type", names())),
        None => return Err(RuleError::new("trigger_type", "is required")),
    };
    if trigger_type == "schedule" {
        let schedule = match schedule {
            Some(Value::String(expression)) => {
                CronSchedule::parse(expression).map_err(|e| RuleError::new("schedule", e))?
            }
            Some(_) => {
                return Err(RuleError::new(
                    "schedule",
                    "expected a cron expression such as \"0 9 * * 1-5\"",
                ));
            }
            None => {
                return Err(RuleError::new(
                    "schedule",
                    "is required when trigger_type is schedule",
                ));
            }
        };
        let timezone = match timezone {
            None => None,
            Some(Value::String(name)) => {
                Some(Timezone::parse(name).map_err(|e| RuleError::new("timezone", e))?)
            }
            Some(_) => return Err(RuleError::new("timezone", "expected an IANA zone name")),
        };
        return Ok(Trigger::Schedule {
            schedule: Box::new(schedule),
            timezone,
        });
    }
    let kind = EventKind::from_str(trigger_type).map_err(|_| {
        RuleError::new(
            "trigger_type",
            format!("{}, found {trigger_type:?}", names()),
        )
    })?;
    if schedule.is_some() {
        return Err(RuleError::new(
            "schedule",
            "only a schedule trigger has a cron expression",
        ));
    }
    if timezone.is_some() {
        return Err(RuleError::new(
            "timezone",
            "only a schedule trigger has a time zone",
        ));
    }
    Ok(Trigger::Event(kind))
}

fn action(index: usize, raw: &Value, trigger: &Trigger) -> Result<Action, RuleError> {
    let at = |part: &str| format!("actions[{index}]{part}");
    let Some(object) = raw.as_object() else {
        return Err(RuleError::new(at(""), "expected an object {type, params}"));
    };
    if let Some(unknown) = object
        .keys()
        .find(|k| !matches!(k.as_str(), "type" | "params"))
    {
        return Err(RuleError::new(
            at(""),
            format!("unknown key {unknown:?}; expected type and params"),
        ));
    }
    let kind = match object.get("type") {
        Some(Value::String(name)) => name
            .parse::<ActionType>()
            .map_err(|e| RuleError::new(at(".type"), e))?,
        Some(_) => return Err(RuleError::new(at(".type"), "expected a string")),
        None => return Err(RuleError::new(at(".type"), "is required")),
    };
    let subject = kind.subject();
    let params = match object.get("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(params)) => params.clone(),
        Some(_) => return Err(RuleError::new(at(".params"), "expected an object")),
    };
    if let Some(unknown) = params.keys().find(|k| k.as_str() != subject.param) {
        return Err(RuleError::new(
            at(&format!(".params.{unknown}")),
            format!("unknown parameter of {kind}; expected {}", subject.param),
        ));
    }
    let subject_id = params
        .get(subject.param)
        .filter(|v| !v.is_null())
        .map(|v| positive(v, &at(&format!(".params.{}", subject.param)), i64::MAX))
        .transpose()?;
    let given_by_trigger = trigger.event().is_some_and(|kind| subject.given_by(kind));
    if subject_id.is_none() && !given_by_trigger {
        return Err(RuleError::new(
            at(&format!(".params.{}", subject.param)),
            format!(
                "is required: a {} trigger names no {}",
                trigger.type_name(),
                subject.subject_type
            ),
        ));
    }
    Ok(Action { kind, subject_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synced_rule() -> Value {
        json!({
            "name": "Optimize long posts",
            "trigger_type": "content_synced",
            "conditions": [
                {"field": "content.word_count", "operator": "gt", "value": 500},
                {"field": "content.source", "operator": "in", "value": ["wordpress"]},
            ],
            "condition_mode": "any",
            "actions": [{"type": "optimize_content"}, {"type": "push_content", "params": {}}],
            "max_executions_per_day": 10,
            "credit_limit_per_execution": 50,
        })
    }

    fn error(mut input: Value, key: &str, value: Value) -> RuleError {
        input[key] = value;
        RuleDefinition::parse(&input).unwrap_err()
    }

    #[test]
    fn an_event_rule_parses_and_round_trips() {
        let rule = RuleDefinition::parse(&synced_rule()).unwrap();
        assert_eq!(rule.trigger, Trigger::Event(EventKind::ContentSynced));
        assert_eq!(rule.condition_mode, ConditionMode::Any);
        assert_eq!(rule.actions.len(), 2);
        assert_eq!(
            rule.actions[0].target(&json!({"content": {"id": 7}})),
            Some(7)
        );
        assert!(rule.is_active);
        assert_eq!(RuleDefinition::parse(&rule.to_json()).unwrap(), rule);
    }

    #[test]
    fn a_schedule_rule_needs_subjects_in_its_actions() {
        let input = json!({
            "name": "Nightly",
            "trigger_type": "schedule",
            "schedule": "0 3 * * *",
            "timezone": "Europe/Berlin",
            "actions": [{"type": "link_content", "params": {"content_id": 12}}],
        });
        let rule = RuleDefinition::parse(&input).unwrap();
        assert!(matches!(
            rule.trigger,
            Trigger::Schedule {
                timezone: Some(_),
                ..
            }
        ));
        assert_eq!(rule.actions[0].target(&json!({})), Some(12));
        assert_eq!(RuleDefinition::parse(&rule.to_json()).unwrap(), rule);

        let err = error(input, "actions", json!([{"type": "optimize_content"}]));
        assert_eq!(err.field, "actions[0].params.content_id");
        assert!(
            err.message.contains("schedule trigger names no content"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            ("name", json!("  "), "name"),
            ("trigger_type", json!("content_deleted"), "trigger_type"),
            ("schedule", json!("0 3 * * *"), "schedule"),
            ("timezone", json!("UTC"), "timezone"),
            ("condition_mode", json!("most"), "condition_mode"),
            ("is_active", json!("yes"), "is_active"),
            ("max_executions_per_day", json!(0), "max_executions_per_day"),
            (
                "credit_limit_per_execution",
                json!(1.5),
                "credit_limit_per_execution",
            ),
            ("site_id", json!("one"), "site_id"),
            ("actions", json!([]), "actions"),
            ("colour", json!("red"), "colour"),
            (
                "conditions",
                json!([{"field": "a", "operator": "eq", "value": 1},
                       {"field": "a", "operator": "between", "value": 1}]),
                "conditions[1].operator",
            ),
            (
                "conditions",
                json!([{"field": "a", "operator": "gt", "value": [1]}]),
                "conditions[0].value",
            ),
            ("actions", json!([{"type": "publish"}]), "actions[0].type"),
            (
                "actions",
                json!([{"type": "push_content", "params": {"site": 1}}]),
                "actions[0].params.site",
            ),
            (
                "actions",
                json!([{"type": "link_content", "params": {"content_id": -4}}]),
                "actions[0].params.content_id",
            ),
            (
                "actions",
                json!([{"type": "generate_ideas"}]),
                "actions[0].params.cluster_id",
            ),
        ];
        for (key, value, field) in cases {
            let err = error(synced_rule(), key, value.clone());
            assert_eq!(err.field, field, "{key} = {value}: {err}");
        }
        let err = error(
            synced_rule(),
            "conditions",
            json!([{"field": "a", "operator": "like", "value": 1}]),
        );
        assert_eq!(
            err.to_string(),
            "conditions[0].operator: expected one of eq, ne, gt, gte, lt, lte, in, contains, \
             found \"like\""
        );
    }

    #[test]
    fn schedule_errors_say_what_is_wrong() {
        let mut input = synced_rule();
        input["trigger_type"] = json!("schedule");
        input["actions"] = json!([{"type": "push_content", "params": {"content_id": 1}}]);
        let missing = RuleDefinition::parse(&input).unwrap_err();
        assert_eq!(missing.field, "schedule");
        let bad_cron = error(input.clone(), "schedule", json!("every day"));
        assert_eq!(bad_cron.field, "schedule");
        assert!(bad_cron.message.contains("5 fields"));
        input["schedule"] = json!("*/5 * * * *");
        let bad_zone = error(input, "timezone", json!("Moon/Base"));
        assert_eq!(bad_zone.field, "timezone");
    }

    #[test]
    fn actions_know_their_module() {
        assert_eq!(ActionType::LinkContent.module(), Module::Linker);
        assert_eq!(ActionType::OptimizeContent.module(), Module::Optimizer);
        assert_eq!(ActionType::ClusterKeywords.module(), Module::Planner);
        assert_eq!(ActionType::GenerateContent.module(), Module::Writer);
        for action in ActionType::ALL {
            assert_eq!(action.as_str().parse::<ActionType>(), Ok(action));
        }
    }
}
