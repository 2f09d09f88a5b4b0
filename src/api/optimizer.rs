//! `/api/v1/optimizer`: analyse HTML or an item (free, inline), optimize one item now (by the
//! rules, or rewritten by the language model), queue the optimizer for many, and read an
//! optimizer run. Rate-limited per account in the `optimizer`
//! group.

use axum::Json as ResponseJson;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::detach::run_detached;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::{Json, OptionalIdempotencyKey, Path};
use crate::api::linker::{BatchQueued, checked_batch, operable_content, queue_batch};
use crate::api::responses::CommonErrors;
use crate::api::sites::scope;
use crate::domain::content::{ContentStatus, EntryPoint};
use crate::domain::ids::{ContentId, HoldId, OptimizationTaskId};
use crate::domain::role::Role;
use crate::pipeline::analyzer::report::{Page, report};
use crate::pipeline::language::Language;
use crate::pipeline::ruleset::{Profile, Ruleset};
use crate::processing::documents::language_of;
use crate::processing::jobs::OPTIMIZE;
use crate::processing::{Optimizing, RunKey};
use crate::store::optimization_tasks::OptimizationTask;

/// An optimizer run.
#[derive(Serialize, ToSchema)]
pub struct TaskView {
    pub id: OptimizationTaskId,
    pub content_id: ContentId,
    /// pending, running, completed, failed, skipped or rejected.
    pub status: String,
    pub entry_point: EntryPoint,
    /// rules (deterministic) or ai.
    pub mode: String,
    pub ruleset_profile: String,
    pub ruleset_version: String,
    /// The item's version the run read.
    pub content_version: i64,
    #[schema(value_type = Option<Object>)]
    pub scores_before: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub scores_after: Option<Value>,
    pub html_before: Option<String>,
    pub html_after: Option<String>,
    /// Each applied change: rule, patches, predicted and measured score change.
    #[schema(value_type = Vec<Object>)]
    pub changes: Value,
    pub credits_used: i64,
    pub credit_hold_id: Option<HoldId>,
    pub error: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<OptimizationTask> for TaskView {
    fn from(t: OptimizationTask) -> Self {
        TaskView {
            id: t.id,
            content_id: t.content_id,
            status: t.status,
            entry_point: t.entry_point,
            mode: t.mode,
            ruleset_profile: t.ruleset_profile,
            ruleset_version: t.ruleset_version,
            content_version: t.content_version,
            scores_before: t.scores_before,
            scores_after: t.scores_after,
            html_before: t.html_before,
            html_after: t.html_after,
            changes: t.changes,
            credits_used: t.credits_used,
            credit_hold_id: t.credit_hold_id,
            error: t.error,
            started_at: t.started_at,
            finished_at: t.finished_at,
            created_at: t.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptimizeRequest {
    pub content_id: ContentId,
    /// How the item reached the optimizer; recorded with the run. Default manual.
    pub entry_point: Option<EntryPoint>,
}

/// What the optimizer did.
#[derive(Serialize, ToSchema)]
pub struct OptimizingView {
    pub content_id: ContentId,
    /// The optimizer run; `GET /optimizer/tasks/{id}` shows its scores, HTML and changes.
    pub task_id: OptimizationTaskId,
    /// Rules applied.
    pub changes: usize,
    /// Rules left out because re-analysis showed they would lower a score.
    pub dropped: usize,
    /// The overall score before and after.
    pub overall_before: u8,
    pub overall_after: u8,
    /// 1 credit per started 200 words when the item changed; 0 otherwise.
    pub credits_used: i64,
    pub version: i64,
    pub status: ContentStatus,
}

impl From<Optimizing> for OptimizingView {
    fn from(o: Optimizing) -> Self {
        OptimizingView {
            content_id: o.content,
            task_id: o.task,
            changes: o.rules.len(),
            dropped: o.dropped,
            overall_before: o.before,
            overall_after: o.after,
            credits_used: o.credits_used,
            version: o.version,
            status: o.status,
        }
    }
}

/// Optimizes one item now with the deterministic rules (editor or higher). Charged only when
/// the item changes; an `Idempotency-Key` makes a retry reuse the first attempt's hold.
#[utoipa::path(post, path = "/optimizer/optimize", tag = "optimizer", request_body = OptimizeRequest,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200,
        pattern = "^[!-~]+$", description = "Names the run for the credit ledger")),
    responses((status = 200, body = OptimizingView),
              (status = 402, body = ErrorBody, description = "Not enough credits"),
              (status = 409, body = ErrorBody, description = "The item cannot be processed now"),
              CommonErrors))]
pub async fn optimize(
    State(state): State<AppState>,
    principal: Principal,
    OptionalIdempotencyKey(key): OptionalIdempotencyKey,
    Json(body): Json<OptimizeRequest>,
) -> Result<ResponseJson<OptimizingView>, ApiError> {
    principal.require(Role::Editor)?;
    operable_content(&state, &principal, body.content_id).await?;
    let optimizing = state
        .processing
        .optimize(
            principal.account_id,
            body.content_id,
            body.entry_point.unwrap_or(EntryPoint::Manual),
            &RunKey::request(key.as_ref()),
        )
        .await?;
    Ok(ResponseJson(optimizing.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewriteRequest {
    pub content_id: ContentId,
    /// What the rewrite should achieve, e.g. "shorter sentences", "use the keyphrase in the
    /// introduction"; 1 to 10.
    #[schema(min_items = 1, max_items = 10)]
    pub goals: Vec<String>,
    pub entry_point: Option<EntryPoint>,
}

/// What an AI rewrite did.
#[derive(Serialize, ToSchema)]
pub struct RewriteView {
    pub content_id: ContentId,
    /// The run (mode ai); `GET /optimizer/tasks/{id}` shows both versions.
    pub task_id: OptimizationTaskId,
    /// Whether the rewrite replaced the item's body.
    pub kept: bool,
    /// Why it was refused: a link or protected region changed, or a score dropped.
    pub rejection: Option<String>,
    pub overall_before: u8,
    pub overall_after: Option<u8>,
    /// 1 credit per started 200 words when kept and changed; 0 otherwise.
    pub credits_used: i64,
    pub version: i64,
}

/// Has the language model rewrite an item for the goals given (editor or higher). The rewrite
/// is kept only if every link and protected region is unchanged and no score drops; otherwise
/// the run is recorded as rejected and nothing is charged. Under the offline provider: 503
/// `ai_provider_not_configured`.
#[utoipa::path(post, path = "/optimizer/rewrite", tag = "optimizer", request_body = RewriteRequest,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200,
        pattern = "^[!-~]+$", description = "Names the run for the credit ledger")),
    responses((status = 200, body = RewriteView),
              (status = 402, body = ErrorBody, description = "Not enough credits"),
              (status = 502, body = ErrorBody, description = "The model gave no usable answer"),
              (status = 503, body = ErrorBody, description = "No language model is configured"),
              CommonErrors))]
pub async fn rewrite(
    State(state): State<AppState>,
    principal: Principal,
    OptionalIdempotencyKey(key): OptionalIdempotencyKey,
    Json(body): Json<RewriteRequest>,
) -> Result<ResponseJson<RewriteView>, ApiError> {
    principal.require(Role::Editor)?;
    if body.goals.is_empty() || body.goals.len() > 10 {
        return Err(ApiError::invalid("goals", "expected 1 to 10 goals"));
    }
    if let Some(i) = body
        .goals
        .iter()
        .position(|g| g.trim().is_empty() || g.len() > 500)
    {
        return Err(ApiError::invalid(
            format!("goals[{i}]"),
            "expected 1 to 500 characters",
        ));
    }
    operable_content(&state, &principal, body.content_id).await?;
    let (processing, ai) = (state.processing.clone(), state.ai.clone());
    let (account, run) = (principal.account_id, RunKey::request(key.as_ref()));
    let entry_point = body.entry_point.unwrap_or(EntryPoint::Manual);
    let rewriting = run_detached(async move {
        processing
            .rewrite(
                ai.as_ref(),
                account,
                body.content_id,
                &body.goals,
                entry_point,
                &run,
            )
            .await
    })
    .await?;
    Ok(ResponseJson(RewriteView {
        content_id: rewriting.content,
        task_id: rewriting.task,
        kept: rewriting.kept,
        rejection: rewriting.rejection,
        overall_before: rewriting.before,
        overall_after: rewriting.after,
        credits_used: rewriting.credits_used,
        version: rewriting.version,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchOptimizeRequest {
    /// 1 to 100 items.
    #[schema(min_items = 1, max_items = 100)]
    pub content_ids: Vec<ContentId>,
    pub entry_point: Option<EntryPoint>,
}

/// Queues the optimizer for up to 100 items (editor or higher); each runs as its own job.
#[utoipa::path(post, path = "/optimizer/batch_optimize", tag = "optimizer",
    request_body = BatchOptimizeRequest,
    responses((status = 202, body = BatchQueued), CommonErrors))]
pub async fn batch_optimize(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<BatchOptimizeRequest>,
) -> Result<(StatusCode, ResponseJson<BatchQueued>), ApiError> {
    checked_batch(&state, &principal, &body.content_ids).await?;
    let queued = queue_batch(
        &state,
        &principal,
        OPTIMIZE,
        &body.content_ids,
        body.entry_point.unwrap_or(EntryPoint::Manual),
    )
    .await?;
    Ok((StatusCode::ACCEPTED, ResponseJson(queued)))
}

/// One optimizer run of an item the caller sees.
#[utoipa::path(get, path = "/optimizer/tasks/{id}", tag = "optimizer",
    params(("id" = i64, Path, description = "Optimization task id")),
    responses((status = 200, body = TaskView), CommonErrors))]
pub async fn task(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<OptimizationTaskId>,
) -> Result<ResponseJson<TaskView>, ApiError> {
    let task = state
        .store
        .optimization_task(principal.account_id, id)
        .await?;
    // A run of an item on a site the caller has no grant for does not exist for it.
    state
        .store
        .content_detail_in_scope(scope(&principal), task.content_id)
        .await?;
    Ok(ResponseJson(task.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeRequest {
    /// An item to analyse. Give this or `html`.
    pub content_id: Option<ContentId>,
    /// HTML to analyse. Give this or `content_id`.
    pub html: Option<String>,
    /// The focus keyphrase; for an item, its own unless given.
    #[schema(max_length = 200)]
    pub keyphrase: Option<String>,
    /// The SEO title; for an item, its title unless given.
    pub title: Option<String>,
    pub meta_description: Option<String>,
    pub slug: Option<String>,
    /// en, de, nl, fr, es, it, ru or pt (a locale such as en_US works too); default en, or the
    /// item's language.
    pub locale: Option<String>,
    /// default or cornerstone; for an item, cornerstone items use cornerstone.
    pub profile: Option<String>,
}

/// The analyzer's report on HTML or an item: SEO, readability, engagement and overall scores,
/// each assessment with its thresholds and evidence. Free; nothing is stored.
#[utoipa::path(post, path = "/optimizer/analyze", tag = "optimizer", request_body = AnalyzeRequest,
    responses((status = 200, body = Object, description = "The analyzer's report"), CommonErrors))]
pub async fn analyze(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<AnalyzeRequest>,
) -> Result<ResponseJson<Value>, ApiError> {
    let language = body
        .locale
        .as_deref()
        .map(|locale| {
            Language::from_locale(locale).ok_or_else(|| {
                ApiError::invalid(
                    "locale",
                    "expected one of en, de, nl, fr, es, it, ru, pt (or a locale of one)",
                )
            })
        })
        .transpose()?;
    let profile = body
        .profile
        .as_deref()
        .map(|p| Profile::parse(p).map_err(|err| ApiError::invalid("profile", err.to_string())))
        .transpose()?;
    if body
        .keyphrase
        .as_ref()
        .is_some_and(|k| k.chars().count() > 200)
    {
        return Err(ApiError::invalid(
            "keyphrase",
            "expected at most 200 characters",
        ));
    }
    let report = match (body.content_id, &body.html) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "html",
                "give content_id or html, not both",
            ));
        }
        (None, None) => return Err(ApiError::invalid("html", "give content_id or html")),
        (None, Some(html)) => {
            let page = Page {
                html,
                title: body.title.as_deref().unwrap_or(""),
                meta_description: body.meta_description.as_deref(),
                slug: body.slug.as_deref(),
                keyphrase: body.keyphrase.as_deref(),
                synonyms: &[],
                language: language.unwrap_or(Language::English),
                url: None,
                previously_used: 0,
            };
            report(
                &page,
                Ruleset::for_profile(profile.unwrap_or(Profile::Default)),
            )
        }
        (Some(id), None) => {
            let item = state
                .store
                .content_detail_in_scope(scope(&principal), id)
                .await?;
            let keyphrase = body
                .keyphrase
                .as_deref()
                .or(item.summary.focus_keyphrase.as_deref());
            let previously_used = match keyphrase {
                Some(keyphrase) => {
                    state
                        .store
                        .keyphrase_uses(principal.account_id, item.summary.site_id, keyphrase, id)
                        .await?
                }
                None => 0,
            };
            let page = Page {
                html: &item.content_raw,
                title: body.title.as_deref().unwrap_or(&item.summary.title),
                meta_description: body
                    .meta_description
                    .as_deref()
                    .or(item.meta_description.as_deref()),
                slug: body.slug.as_deref().or(item.summary.slug.as_deref()),
                keyphrase,
                synonyms: &[],
                language: language.unwrap_or_else(|| language_of(item.language.as_deref())),
                url: item.summary.external_url.as_deref(),
                previously_used: usize::try_from(previously_used).unwrap_or(usize::MAX),
            };
            let profile = profile.unwrap_or(if item.is_cornerstone {
                Profile::Cornerstone
            } else {
                Profile::Default
            });
            report(&page, Ruleset::for_profile(profile))
        }
    };
    let report = report.map_err(|err| ApiError::invalid("html", err.to_string()))?;
    Ok(ResponseJson(
        serde_json::to_value(&report).expect("a report serializes"),
    ))
}
