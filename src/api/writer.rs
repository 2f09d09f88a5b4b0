//! `/api/v1/writer`: tasks (CRUD, generate an article, images), regeneration of generated
//! content, and batch generation as jobs. Every route needs the writer module. Generation needs
//! a language model: under the offline provider it answers 503 `ai_provider_not_configured`.

use axum::Json as ResponseJson;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::ai::OutlineSection;
use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::detach::run_detached;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::{Json, OptionalIdempotencyKey, Path, Query};
use crate::api::pagination::{PageOf, page};
use crate::api::planner::{UsageView, visible_site};
use crate::api::responses::CommonErrors;
use crate::api::sites::operable_site;
use crate::domain::ids::{ClusterId, ContentId, IdeaId, ImageId, JobId, SiteId, TaskId};
use crate::domain::role::Role;
use crate::planner::checked_ids;
use crate::processing::RunKey;
use crate::store::images::Image;
use crate::store::tasks::Task;
use crate::writer::jobs::{GeneratePayload, generate_job};
use crate::writer::{Generation, ImageOrder, TaskInput};

/// Tasks one batch may name.
const MAX_BATCH: usize = 100;
/// Images one request may ask for.
const MAX_IMAGES: usize = 10;

#[derive(Serialize, ToSchema)]
pub struct WriterTaskView {
    pub id: TaskId,
    pub site_id: SiteId,
    pub idea_id: Option<IdeaId>,
    pub cluster_id: Option<ClusterId>,
    pub title: String,
    #[schema(value_type = Vec<String>)]
    pub keywords: Value,
    pub target_word_count: Option<i32>,
    #[schema(value_type = Vec<OutlineSection>)]
    pub outline: Value,
    pub content_type: String,
    /// pending, generating, completed, failed or cancelled.
    pub status: String,
    /// The generated content.
    pub content_id: Option<ContentId>,
    /// Provider, model, prompt template and tokens of the last generation.
    #[schema(value_type = Object)]
    pub ai_usage: Value,
    pub credits_used: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Task> for WriterTaskView {
    fn from(t: Task) -> Self {
        WriterTaskView {
            id: t.id,
            site_id: t.site_id,
            idea_id: t.idea_id,
            cluster_id: t.cluster_id,
            title: t.title,
            keywords: t.keywords,
            target_word_count: t.target_word_count,
            outline: t.outline,
            content_type: t.content_type,
            status: t.status,
            content_id: t.content_id,
            ai_usage: t.ai_usage,
            credits_used: t.credits_used,
            error: t.error,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaskListQuery {
    site_id: SiteId,
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<u32>,
}

/// One page of a site's tasks, by id.
#[utoipa::path(get, path = "/writer/tasks", tag = "writer", params(TaskListQuery),
    responses((status = 200, body = PageOf<WriterTaskView>), CommonErrors))]
pub async fn list_tasks(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<TaskListQuery>,
) -> Result<ResponseJson<PageOf<WriterTaskView>>, ApiError> {
    let page = page(query.page, query.page_size)?;
    visible_site(&state, &principal, query.site_id).await?;
    let tasks = state
        .store
        .tasks_page(principal.account_id, query.site_id, page)
        .await?;
    Ok(ResponseJson(PageOf::new(page, tasks, WriterTaskView::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskRequest {
    /// The site; may be left out when `idea_id` is given.
    pub site_id: Option<SiteId>,
    /// An idea to take title, keywords, outline and length from.
    pub idea_id: Option<IdeaId>,
    #[schema(min_length = 1)]
    pub title: Option<String>,
    pub keywords: Option<Vec<String>>,
    #[schema(minimum = 1, maximum = 20000)]
    pub target_word_count: Option<i32>,
    pub outline: Option<Vec<OutlineSection>>,
    pub content_type: Option<String>,
}

impl From<TaskRequest> for TaskInput {
    fn from(r: TaskRequest) -> Self {
        TaskInput {
            site: r.site_id,
            idea: r.idea_id,
            title: r.title,
            keywords: r.keywords,
            target_word_count: r.target_word_count,
            outline: r.outline,
            content_type: r.content_type,
        }
    }
}

/// Creates a task from an idea or by hand (editor or higher).
#[utoipa::path(post, path = "/writer/tasks", tag = "writer", request_body = TaskRequest,
    responses((status = 201, body = WriterTaskView), CommonErrors))]
pub async fn create_task(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<TaskRequest>,
) -> Result<(StatusCode, ResponseJson<WriterTaskView>), ApiError> {
    principal.require(Role::Editor)?;
    let (site, fields) = state
        .writer
        .task_fields(principal.account_id, body.into(), None)
        .await?;
    operable_site(&state, &principal, site).await?;
    let task = state
        .store
        .insert_task(principal.account_id, site, &fields)
        .await?;
    Ok((StatusCode::CREATED, ResponseJson(task.into())))
}

/// A task.
#[utoipa::path(get, path = "/writer/tasks/{id}", tag = "writer",
    params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, body = WriterTaskView), CommonErrors))]
pub async fn get_task(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<TaskId>,
) -> Result<ResponseJson<WriterTaskView>, ApiError> {
    let task = state.store.task(principal.account_id, id).await?;
    visible_site(&state, &principal, task.site_id).await?;
    Ok(ResponseJson(task.into()))
}

/// Changes the fields given (editor or higher).
#[utoipa::path(patch, path = "/writer/tasks/{id}", tag = "writer", request_body = TaskRequest,
    params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, body = WriterTaskView), CommonErrors))]
pub async fn update_task(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<TaskId>,
    Json(body): Json<TaskRequest>,
) -> Result<ResponseJson<WriterTaskView>, ApiError> {
    let current = state.store.task(principal.account_id, id).await?;
    operable_site(&state, &principal, current.site_id).await?;
    let (_, fields) = state
        .writer
        .task_fields(principal.account_id, body.into(), Some(&current))
        .await?;
    let task = state
        .store
        .update_task(principal.account_id, id, &fields)
        .await?;
    Ok(ResponseJson(task.into()))
}

/// Deletes a task (editor or higher); content it generated stays.
#[utoipa::path(delete, path = "/writer/tasks/{id}", tag = "writer",
    params(("id" = i64, Path, description = "Task id")),
    responses((status = 204, description = "Deleted"), CommonErrors))]
pub async fn delete_task(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<TaskId>,
) -> Result<StatusCode, ApiError> {
    let task = state.store.task(principal.account_id, id).await?;
    operable_site(&state, &principal, task.site_id).await?;
    state.store.delete_task(principal.account_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct GenerationView {
    pub task_id: TaskId,
    /// The content row (source igny8, sync status native) the article is in.
    pub content_id: ContentId,
    pub version: i64,
    pub word_count: u32,
    /// Held before the model ran: 1 per 100 words of the target.
    pub credits_held: i64,
    /// Captured: 1 per 100 words of the article.
    pub credits_used: i64,
    /// The `pipeline.process` job that links and optimizes the article.
    pub pipeline_job_id: Option<JobId>,
    pub usage: UsageView,
}

impl From<Generation> for GenerationView {
    fn from(g: Generation) -> Self {
        GenerationView {
            task_id: g.task,
            content_id: g.content,
            version: g.version,
            word_count: g.word_count,
            credits_held: g.credits_held,
            credits_used: g.credits_used,
            pipeline_job_id: g.pipeline_job,
            usage: g.usage.into(),
        }
    }
}

/// Generates the task's article now (editor or higher) into a draft content row queued for the
/// pipeline; a task that has content gets it replaced, the earlier body kept as a revision.
#[utoipa::path(post, path = "/writer/tasks/{id}/generate_content", tag = "writer",
    params(("id" = i64, Path, description = "Task id"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200,
        pattern = "^[!-~]+$", description = "Names the run for the credit ledger")),
    responses((status = 200, body = GenerationView),
              (status = 402, body = ErrorBody, description = "Not enough credits"),
              (status = 502, body = ErrorBody, description = "The model gave no usable answer"),
              (status = 503, body = ErrorBody, description = "No language model is configured"),
              CommonErrors))]
pub async fn generate_content(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<TaskId>,
    OptionalIdempotencyKey(key): OptionalIdempotencyKey,
) -> Result<ResponseJson<GenerationView>, ApiError> {
    let task = state.store.task(principal.account_id, id).await?;
    operable_site(&state, &principal, task.site_id).await?;
    let (writer, account, run) = (
        state.writer.clone(),
        principal.account_id,
        RunKey::request(key.as_ref()),
    );
    let generation = run_detached(async move { writer.generate(account, id, &run).await }).await?;
    Ok(ResponseJson(generation.into()))
}

/// Generates the article of writer-made content again (editor or higher); the body it
/// replaces is kept as a revision.
#[utoipa::path(post, path = "/writer/content/{id}/regenerate", tag = "writer",
    params(("id" = i64, Path, description = "Content id"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200,
        pattern = "^[!-~]+$", description = "Names the run for the credit ledger")),
    responses((status = 200, body = GenerationView),
              (status = 409, body = ErrorBody, description = "The content was not made by the writer"),
              (status = 503, body = ErrorBody, description = "No language model is configured"),
              CommonErrors))]
pub async fn regenerate(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<ContentId>,
    OptionalIdempotencyKey(key): OptionalIdempotencyKey,
) -> Result<ResponseJson<GenerationView>, ApiError> {
    let item = state
        .store
        .content_detail_in_scope(crate::api::sites::scope(&principal), id)
        .await?;
    operable_site(&state, &principal, item.summary.site_id).await?;
    let (writer, account, run) = (
        state.writer.clone(),
        principal.account_id,
        RunKey::request(key.as_ref()),
    );
    let generation =
        run_detached(async move { writer.regenerate(account, id, &run).await }).await?;
    Ok(ResponseJson(generation.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchGenerateRequest {
    /// 1 to 100 tasks.
    #[schema(min_items = 1, max_items = 100)]
    pub task_ids: Vec<TaskId>,
}

#[derive(Serialize, ToSchema)]
pub struct QueuedTask {
    pub task_id: TaskId,
    /// False when a generation of this task was already queued or running.
    pub queued: bool,
    pub job_id: Option<JobId>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchGenerateView {
    pub items: Vec<QueuedTask>,
}

/// Queues a generation job per task (editor or higher); each holds and captures its own
/// credits.
#[utoipa::path(post, path = "/writer/batch_generate", tag = "writer",
    request_body = BatchGenerateRequest,
    responses((status = 202, body = BatchGenerateView),
              (status = 503, body = ErrorBody, description = "No language model is configured"),
              CommonErrors))]
pub async fn batch_generate(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<BatchGenerateRequest>,
) -> Result<(StatusCode, ResponseJson<BatchGenerateView>), ApiError> {
    principal.require(Role::Editor)?;
    checked_ids("task_ids", &body.task_ids, MAX_BATCH)?;
    state.writer.ensure_writing()?;
    for (i, id) in body.task_ids.iter().enumerate() {
        let task = state
            .store
            .task(principal.account_id, *id)
            .await
            .map_err(|_| {
                ApiError::invalid(format!("task_ids[{i}]"), format!("there is no task {id}"))
            })?;
        operable_site(&state, &principal, task.site_id).await?;
    }
    let mut items = Vec::with_capacity(body.task_ids.len());
    for &task_id in &body.task_ids {
        let payload = GeneratePayload {
            account_id: principal.account_id,
            task_id,
        };
        let job = state
            .store
            .enqueue(&generate_job(&payload, state.sync.max_attempts))
            .await?;
        items.push(QueuedTask {
            task_id,
            queued: job.is_some(),
            job_id: job,
        });
    }
    Ok((
        StatusCode::ACCEPTED,
        ResponseJson(BatchGenerateView { items }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ImageView {
    pub id: ImageId,
    pub task_id: Option<TaskId>,
    pub content_id: Option<ContentId>,
    /// featured, in_article, desktop or mobile.
    pub image_type: String,
    pub prompt: String,
    /// pending, generating, generated or failed.
    pub status: String,
    pub url: Option<String>,
    pub alt_text: Option<String>,
    pub position: i32,
    pub model: Option<String>,
    pub credits_used: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Image> for ImageView {
    fn from(i: Image) -> Self {
        ImageView {
            id: i.id,
            task_id: i.task_id,
            content_id: i.content_id,
            image_type: i.image_type,
            prompt: i.prompt,
            status: i.status,
            url: i.url,
            alt_text: i.alt_text,
            position: i.position,
            model: i.model,
            credits_used: i.credits_used,
            error: i.error,
            created_at: i.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageRequest {
    #[schema(min_length = 1)]
    pub prompt: String,
    /// featured, in_article (default), desktop or mobile.
    pub image_type: Option<String>,
    pub alt_text: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateImagesRequest {
    /// 1 to 10 images.
    #[schema(min_items = 1, max_items = 10)]
    pub images: Vec<ImageRequest>,
}

/// Records image prompts for a task and generates them through the images endpoint (editor or
/// higher; 5 credits per image). Without one configured the prompts are kept and the answer is
/// 503 `ai_provider_not_configured`.
#[utoipa::path(post, path = "/writer/tasks/{id}/generate_images", tag = "writer",
    request_body = GenerateImagesRequest,
    params(("id" = i64, Path, description = "Task id"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200,
        pattern = "^[!-~]+$", description = "Names the run for the credit ledger")),
    responses((status = 200, body = Vec<ImageView>),
              (status = 503, body = ErrorBody, description = "No images endpoint is configured"),
              CommonErrors))]
pub async fn generate_images(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<TaskId>,
    OptionalIdempotencyKey(key): OptionalIdempotencyKey,
    Json(body): Json<GenerateImagesRequest>,
) -> Result<ResponseJson<Vec<ImageView>>, ApiError> {
    let task = state.store.task(principal.account_id, id).await?;
    operable_site(&state, &principal, task.site_id).await?;
    if body.images.is_empty() || body.images.len() > MAX_IMAGES {
        return Err(ApiError::invalid(
            "images",
            format!(
                "expected 1 to {MAX_IMAGES} images, found {}",
                body.images.len()
            ),
        ));
    }
    let mut orders = Vec::with_capacity(body.images.len());
    for (i, image) in body.images.into_iter().enumerate() {
        if image.prompt.trim().is_empty() {
            return Err(ApiError::invalid(
                format!("images[{i}].prompt"),
                "expected a prompt",
            ));
        }
        let image_type = image.image_type.unwrap_or_else(|| "in_article".to_owned());
        if !["featured", "in_article", "desktop", "mobile"].contains(&image_type.as_str()) {
            return Err(ApiError::invalid(
                format!("images[{i}].image_type"),
                "expected featured, in_article, desktop or mobile",
            ));
        }
        orders.push(ImageOrder {
            prompt: image.prompt,
            image_type,
            alt_text: image.alt_text,
        });
    }
    let (writer, run) = (state.writer.clone(), RunKey::request(key.as_ref()));
    let images =
        run_detached(async move { writer.generate_images(&task, &orders, &run).await }).await?;
    Ok(ResponseJson(
        images.into_iter().map(ImageView::from).collect(),
    ))
}
