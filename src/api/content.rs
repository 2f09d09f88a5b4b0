//! `/api/v1/content`: the items of the sites the caller sees, with their pipeline state, scores,
//! links and optimizer runs.

use axum::Json as ResponseJson;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::error::ApiError;
use crate::api::extract::{Path, Query};
use crate::api::optimizer::TaskView;
use crate::api::pagination::{PageOf, page};
use crate::api::responses::CommonErrors;
use crate::api::sites::scope;
use crate::domain::content::{ContentSource, ContentStatus, SyncStatus};
use crate::domain::ids::{ContentId, SiteId};
use crate::store::content_views::{ContentDetail, ContentFilter, ContentSummary};

/// The optimizer runs a content view lists.
const TASKS_SHOWN: i64 = 10;

#[derive(Serialize, ToSchema)]
pub struct ContentView {
    pub id: ContentId,
    pub site_id: SiteId,
    pub source: ContentSource,
    pub sync_status: SyncStatus,
    /// Pipeline stage: draft, linked, optimized, review or published.
    pub status: ContentStatus,
    pub external_type: Option<String>,
    pub external_id: Option<String>,
    pub external_url: Option<String>,
    /// The CMS's own status (publish, draft, ...).
    pub remote_status: Option<String>,
    pub remote_modified: Option<DateTime<Utc>>,
    pub title: String,
    pub slug: Option<String>,
    pub focus_keyphrase: Option<String>,
    pub linker_version: i32,
    pub optimizer_version: i32,
    pub version: i64,
    /// The latest analyzer report (SEO, readability, engagement, overall, per assessment);
    /// empty before the first optimizer run.
    #[schema(value_type = Object)]
    pub scores: Value,
    pub updated_at: DateTime<Utc>,
}

impl From<ContentSummary> for ContentView {
    fn from(c: ContentSummary) -> Self {
        ContentView {
            id: c.id,
            site_id: c.site_id,
            source: c.source,
            sync_status: c.sync_status,
            status: c.status,
            external_type: c.external_type,
            external_id: c.external_id,
            external_url: c.external_url,
            remote_status: c.remote_status,
            remote_modified: c.remote_modified,
            title: c.title,
            slug: c.slug,
            focus_keyphrase: c.focus_keyphrase,
            linker_version: c.linker_version,
            optimizer_version: c.optimizer_version,
            version: c.version,
            scores: c.optimization_scores,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContentDetailView {
    #[serde(flatten)]
    pub content: ContentView,
    /// The body as written back to the CMS.
    pub content_raw: String,
    pub excerpt: Option<String>,
    pub meta_description: Option<String>,
    pub language: Option<String>,
    pub is_cornerstone: bool,
    /// Links the linker inserted: anchor, target, url, rule, score, matched terms, offset.
    #[schema(value_type = Vec<Object>)]
    pub internal_links: Value,
    #[schema(value_type = Vec<Object>)]
    pub categories: Value,
    #[schema(value_type = Vec<Object>)]
    pub tags: Value,
    pub sync_error: Option<String>,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The latest optimizer runs, newest first.
    pub tasks: Vec<TaskView>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// Only this site's items.
    site: Option<SiteId>,
    source: Option<ContentSource>,
    sync_status: Option<SyncStatus>,
    /// Pipeline stage.
    status: Option<ContentStatus>,
    /// Words of the title.
    #[param(max_length = 200)]
    q: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<u32>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<u32>,
}

/// Items of the sites the caller sees, most recently changed first.
#[utoipa::path(get, path = "/content", tag = "content", params(ContentQuery),
    responses((status = 200, body = PageOf<ContentView>), CommonErrors))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ContentQuery>,
) -> Result<ResponseJson<PageOf<ContentView>>, ApiError> {
    let page = page(query.page, query.page_size)?;
    let q = query
        .q
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::invalid("q", "expected at most 200 characters"));
    }
    let filter = ContentFilter {
        site: query.site,
        source: query.source,
        sync_status: query.sync_status,
        status: query.status,
        query: q,
    };
    let items = state
        .store
        .content_in_scope(scope(&principal), &filter, page)
        .await?;
    Ok(ResponseJson(PageOf::new(page, items, ContentView::from)))
}

/// One item with its body, links, scores and latest optimizer runs.
#[utoipa::path(get, path = "/content/{id}", tag = "content",
    params(("id" = i64, Path, description = "Content id")),
    responses((status = 200, body = ContentDetailView), CommonErrors))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<ContentId>,
) -> Result<ResponseJson<ContentDetailView>, ApiError> {
    let detail: ContentDetail = state
        .store
        .content_detail_in_scope(scope(&principal), id)
        .await?;
    let tasks = state
        .store
        .content_optimization_tasks(principal.account_id, id, TASKS_SHOWN)
        .await?;
    Ok(ResponseJson(ContentDetailView {
        content: detail.summary.into(),
        content_raw: detail.content_raw,
        excerpt: detail.excerpt,
        meta_description: detail.meta_description,
        language: detail.language,
        is_cornerstone: detail.is_cornerstone,
        internal_links: detail.internal_links,
        categories: detail.categories,
        tags: detail.tags,
        sync_error: detail.sync_error,
        last_synced_at: detail.last_synced_at,
        created_at: detail.created_at,
        tasks: tasks.into_iter().map(TaskView::from).collect(),
    }))
}
