//! `/api/v1/automation`: rules (CRUD, a manual run, a dry run of the conditions), their
//! executions (`scheduled-tasks`, with retry of a failed one) and the summary. Guarded by the
//! automation module. Viewers read; editors run, test and retry; admins change rules.

use axum::Json as ResponseJson;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::{Json, OptionalIdempotencyKey, OptionalJson, Path, Query};
use crate::api::pagination::{PageOf, PageQuery, page};
use crate::api::responses::CommonErrors;
use crate::automation::{Summary, TestRun};
use crate::domain::ids::{EventId, RuleId, ScheduledTaskId, SiteId};
use crate::domain::role::Role;
use crate::store::automation_rules::StoredRule;
use crate::store::scheduled_tasks::{ScheduledTask, TaskFilter};

/// A rule as written: when, if, do, within limits.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct RuleBody {
    /// Unique among the account's rules, 1 to 200 characters.
    name: String,
    description: Option<String>,
    /// Only events about this site.
    site_id: Option<SiteId>,
    /// `schedule`, or an event: keyword_added, cluster_created, idea_created, task_created,
    /// content_generated, content_synced, content_optimized.
    trigger_type: String,
    /// Cron expression (five fields), for a schedule trigger only.
    schedule: Option<String>,
    /// IANA zone the schedule is read in; default the account's.
    timezone: Option<String>,
    /// `[{field, operator, value}]`: field a dotted path into the event's object (e.g.
    /// `content.word_count`), operator eq, ne, gt, gte, lt, lte, in or contains.
    #[schema(value_type = Vec<Object>)]
    conditions: Option<Value>,
    /// all (default) or any.
    condition_mode: Option<String>,
    /// `[{type, params}]`, run in order: cluster_keywords (keyword_id), generate_ideas
    /// (cluster_id), generate_content (task_id), link_content, optimize_content, push_content
    /// (content_id). The id may be left out when the trigger's event names the object.
    #[schema(value_type = Vec<Object>)]
    actions: Value,
    /// Default true.
    is_active: Option<bool>,
    /// Executions per day in the account's zone; none for unlimited.
    max_executions_per_day: Option<i32>,
    /// Credits one execution's actions may use together; none for unlimited.
    credit_limit_per_execution: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RuleView {
    pub id: RuleId,
    pub name: String,
    pub description: Option<String>,
    pub site_id: Option<SiteId>,
    pub trigger_type: String,
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub conditions: Value,
    pub condition_mode: String,
    #[schema(value_type = Vec<Object>)]
    pub actions: Value,
    pub is_active: bool,
    pub max_executions_per_day: Option<i32>,
    pub credit_limit_per_execution: Option<i64>,
    pub last_executed_at: Option<DateTime<Utc>>,
    /// Executions counted on `execution_count_date` (the account's local date).
    pub execution_count_today: i32,
    pub execution_count_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<StoredRule> for RuleView {
    fn from(r: StoredRule) -> Self {
        RuleView {
            id: r.id,
            name: r.name,
            description: r.description,
            site_id: r.site_id,
            trigger_type: r.trigger_type,
            schedule: r.schedule,
            timezone: r.timezone,
            conditions: r.conditions,
            condition_mode: r.condition_mode,
            actions: r.actions,
            is_active: r.is_active,
            max_executions_per_day: r.max_executions_per_day,
            credit_limit_per_execution: r.credit_limit_per_execution,
            last_executed_at: r.last_executed_at,
            execution_count_today: r.execution_count_today,
            execution_count_date: r.execution_count_date,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One execution of a rule.
#[derive(Serialize, ToSchema)]
pub struct TaskView {
    pub id: ScheduledTaskId,
    /// Null once the rule is deleted.
    pub rule_id: Option<RuleId>,
    pub event_id: Option<EventId>,
    /// pending, running, completed, failed or skipped.
    pub status: String,
    /// schedule, manual or the event kind.
    pub trigger_type: String,
    #[schema(value_type = Object)]
    pub trigger_context: Value,
    /// The chain of events and executions that led here.
    #[schema(value_type = Vec<Object>)]
    pub causation: Value,
    /// One entry per action run: type, outcome, output, credits, reason or error.
    #[schema(value_type = Vec<Object>)]
    pub result: Value,
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub skip_reason: Option<String>,
    pub credits_used: i64,
    pub attempts: i32,
    pub scheduled_for: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<ScheduledTask> for TaskView {
    fn from(t: ScheduledTask) -> Self {
        TaskView {
            id: t.id,
            rule_id: t.rule_id,
            event_id: t.event_id,
            status: t.status,
            trigger_type: t.trigger_type,
            trigger_context: t.trigger_context,
            causation: t.causation,
            result: t.result,
            error_code: t.error_code,
            error: t.error,
            skip_reason: t.skip_reason,
            credits_used: t.credits_used,
            attempts: t.attempts,
            scheduled_for: t.scheduled_for,
            started_at: t.started_at,
            finished_at: t.finished_at,
            created_at: t.created_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<u32>,
    /// pending, running, completed, failed or skipped.
    status: Option<String>,
    /// Only this rule's executions.
    rule: Option<RuleId>,
    /// Created at or after (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    to: Option<DateTime<Utc>>,
}

/// A manual run's or a dry run's context.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextBody {
    /// What the conditions and actions read, e.g. `{"content": {"id": 12, "word_count": 900}}`.
    #[schema(value_type = Option<Object>)]
    context: Option<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct TestView {
    #[schema(value_type = Object)]
    pub context: Value,
    /// Whether the context is a sample for the rule's trigger (none was given).
    pub sample: bool,
    /// `{mode, met, conditions: [{field, operator, value, actual, outcome}]}`.
    #[schema(value_type = Object)]
    pub evaluation: Value,
    /// `[{type, target, would, reason}]`.
    #[schema(value_type = Vec<Object>)]
    pub actions: Value,
}

impl From<TestRun> for TestView {
    fn from(run: TestRun) -> Self {
        TestView {
            context: run.context,
            sample: run.sample,
            evaluation: serde_json::to_value(run.evaluation).expect("evaluations serialize"),
            actions: serde_json::to_value(run.actions).expect("previews serialize"),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PeriodView {
    pub executions: i64,
    pub completed: i64,
    pub failed: i64,
    pub skipped: i64,
    /// Completed among executions that ran (completed or failed); null without any.
    pub success_rate: Option<f64>,
    pub credits_used: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SummaryView {
    pub active_rules: i64,
    pub total_rules: i64,
    pub last_24h: PeriodView,
    pub last_7d: PeriodView,
    /// Credits all of the account's executions have used.
    pub credits_used: i64,
}

impl From<Summary> for SummaryView {
    fn from(s: Summary) -> Self {
        let period = |p: crate::automation::PeriodSummary| PeriodView {
            executions: p.executions,
            completed: p.completed,
            failed: p.failed,
            skipped: p.skipped,
            success_rate: p.success_rate,
            credits_used: p.credits_used,
        };
        SummaryView {
            active_rules: s.active_rules,
            total_rules: s.total_rules,
            last_24h: period(s.last_24h),
            last_7d: period(s.last_7d),
            credits_used: s.credits_used,
        }
    }
}

/// The account's rules, by id.
#[utoipa::path(get, path = "/automation/rules", tag = "automation", params(PageQuery),
    responses((status = 200, body = PageOf<RuleView>), CommonErrors))]
pub async fn list_rules(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<PageQuery>,
) -> Result<ResponseJson<PageOf<RuleView>>, ApiError> {
    let page = query.page()?;
    let rules = state.store.rules(principal.account_id, page).await?;
    Ok(ResponseJson(PageOf::new(page, rules, RuleView::from)))
}

#[utoipa::path(post, path = "/automation/rules", tag = "automation", request_body = RuleBody,
    responses((status = 201, body = RuleView),
        (status = 409, body = ErrorBody, description = "A rule of that name exists"),
        CommonErrors))]
pub async fn create_rule(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> Result<(StatusCode, ResponseJson<RuleView>), ApiError> {
    principal.require(Role::Admin)?;
    let rule = state
        .automation
        .create_rule(principal.account_id, &body)
        .await?;
    Ok((StatusCode::CREATED, ResponseJson(rule.into())))
}

#[utoipa::path(get, path = "/automation/rules/{id}", tag = "automation",
    params(("id" = i64, Path, description = "Rule id")),
    responses((status = 200, body = RuleView), CommonErrors))]
pub async fn get_rule(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RuleId>,
) -> Result<ResponseJson<RuleView>, ApiError> {
    let rule = state.store.rule(principal.account_id, id).await?;
    Ok(ResponseJson(rule.into()))
}

/// Replaces the whole rule; its counters and executions stay.
#[utoipa::path(put, path = "/automation/rules/{id}", tag = "automation", request_body = RuleBody,
    params(("id" = i64, Path, description = "Rule id")),
    responses((status = 200, body = RuleView),
        (status = 409, body = ErrorBody, description = "The new name is taken"),
        CommonErrors))]
pub async fn replace_rule(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RuleId>,
    Json(body): Json<Value>,
) -> Result<ResponseJson<RuleView>, ApiError> {
    principal.require(Role::Admin)?;
    let rule = state
        .automation
        .replace_rule(principal.account_id, id, &body)
        .await?;
    Ok(ResponseJson(rule.into()))
}

/// Changes the fields given (null clears one); the result is checked whole.
#[utoipa::path(patch, path = "/automation/rules/{id}", tag = "automation",
    request_body(content = Object, description = "Any fields of a rule"),
    params(("id" = i64, Path, description = "Rule id")),
    responses((status = 200, body = RuleView),
        (status = 409, body = ErrorBody, description = "The new name is taken"),
        CommonErrors))]
pub async fn update_rule(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RuleId>,
    Json(body): Json<Value>,
) -> Result<ResponseJson<RuleView>, ApiError> {
    principal.require(Role::Admin)?;
    let rule = state
        .automation
        .update_rule(principal.account_id, id, &body)
        .await?;
    Ok(ResponseJson(rule.into()))
}

/// Deletes the rule; its executions stay, without it.
#[utoipa::path(delete, path = "/automation/rules/{id}", tag = "automation",
    params(("id" = i64, Path, description = "Rule id")),
    responses((status = 204, description = "Deleted"), CommonErrors))]
pub async fn delete_rule(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RuleId>,
) -> Result<StatusCode, ApiError> {
    principal.require(Role::Admin)?;
    state
        .automation
        .delete_rule(principal.account_id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Queues a run of the rule against the context given (an empty object when none). With an
/// `Idempotency-Key`, a repeated request answers with the first run.
#[utoipa::path(post, path = "/automation/rules/{id}/execute", tag = "automation",
    request_body = Option<ContextBody>,
    params(("id" = i64, Path, description = "Rule id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request run once")),
    responses((status = 202, body = TaskView), CommonErrors))]
pub async fn execute_rule(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RuleId>,
    OptionalIdempotencyKey(key): OptionalIdempotencyKey,
    OptionalJson(body): OptionalJson<ContextBody>,
) -> Result<(StatusCode, ResponseJson<TaskView>), ApiError> {
    principal.require(Role::Editor)?;
    let context = body.and_then(|b| b.context);
    let (task, _) = state
        .automation
        .execute(principal.account_id, id, context, key.as_ref())
        .await?;
    Ok((StatusCode::ACCEPTED, ResponseJson(task.into())))
}

/// Evaluates the rule's conditions against the context given, or a sample for its trigger,
/// showing each condition's outcome and what each action would do. Nothing is written.
#[utoipa::path(post, path = "/automation/rules/{id}/test", tag = "automation",
    request_body = Option<ContextBody>,
    params(("id" = i64, Path, description = "Rule id")),
    responses((status = 200, body = TestView), CommonErrors))]
pub async fn test_rule(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<RuleId>,
    OptionalJson(body): OptionalJson<ContextBody>,
) -> Result<ResponseJson<TestView>, ApiError> {
    principal.require(Role::Editor)?;
    let context = body.and_then(|b| b.context);
    let run = state
        .automation
        .test(principal.account_id, id, context)
        .await?;
    Ok(ResponseJson(run.into()))
}

const STATUSES: [&str; 5] = ["pending", "running", "completed", "failed", "skipped"];

/// The account's executions, newest first.
#[utoipa::path(get, path = "/automation/scheduled-tasks", tag = "automation", params(TaskQuery),
    responses((status = 200, body = PageOf<TaskView>), CommonErrors))]
pub async fn list_tasks(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<TaskQuery>,
) -> Result<ResponseJson<PageOf<TaskView>>, ApiError> {
    let page = page(query.page, query.page_size)?;
    if let Some(status) = &query.status
        && !STATUSES.contains(&status.as_str())
    {
        return Err(ApiError::invalid(
            "status",
            format!("expected one of {}, found {status:?}", STATUSES.join(", ")),
        ));
    }
    let filter = TaskFilter {
        status: query.status,
        rule: query.rule,
        from: query.from,
        to: query.to,
    };
    let tasks = state
        .store
        .scheduled_tasks(principal.account_id, &filter, page)
        .await?;
    Ok(ResponseJson(PageOf::new(page, tasks, TaskView::from)))
}

#[utoipa::path(get, path = "/automation/scheduled-tasks/{id}", tag = "automation",
    params(("id" = i64, Path, description = "Execution id")),
    responses((status = 200, body = TaskView), CommonErrors))]
pub async fn get_task(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<ScheduledTaskId>,
) -> Result<ResponseJson<TaskView>, ApiError> {
    let task = state.store.scheduled_task(principal.account_id, id).await?;
    Ok(ResponseJson(task.into()))
}

/// Runs a failed execution again with the same context; its actions' credits are keyed by the
/// execution, so work already paid for is not charged again.
#[utoipa::path(post, path = "/automation/scheduled-tasks/{id}/retry", tag = "automation",
    params(("id" = i64, Path, description = "Execution id")),
    responses((status = 202, body = TaskView),
        (status = 409, body = ErrorBody, description = "The execution is not failed"),
        CommonErrors))]
pub async fn retry_task(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<ScheduledTaskId>,
) -> Result<(StatusCode, ResponseJson<TaskView>), ApiError> {
    principal.require(Role::Editor)?;
    let task = state.automation.retry(principal.account_id, id).await?;
    Ok((StatusCode::ACCEPTED, ResponseJson(task.into())))
}

/// Active rules, executions and success rate over 24 hours and 7 days, credits used.
#[utoipa::path(get, path = "/automation/summary", tag = "automation",
    responses((status = 200, body = SummaryView), CommonErrors))]
pub async fn summary(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<ResponseJson<SummaryView>, ApiError> {
    let summary = state.automation.summary(principal.account_id).await?;
    Ok(ResponseJson(summary.into()))
}
