//! `/api/v1/site-builder/pages`: the pages of a blueprint, with the access of its site, and
//! their content generated through the writer. Blocks are checked as a structure's are, so
//! whatever is stored can be previewed and deployed.

use axum::Json as ResponseJson;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::detach::run_detached;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::{Json, Path, Query, RequiredIdempotencyKey};
use crate::api::pagination::{PageOf, page};
use crate::api::responses::CommonErrors;
use crate::api::site_blueprints::{editable_blueprint, readable_blueprint};
use crate::api::sites::scope;
use crate::domain::credits::IdempotencyKey;
use crate::domain::ids::{BlueprintId, ContentId, PageBlueprintId, TaskId};
use crate::domain::role::Role;
use crate::domain::site_builder::block::Block;
use crate::domain::site_builder::kinds::{PageStatus, PageType};
use crate::domain::site_builder::slug::PageSlug;
use crate::domain::site_builder::structure::blocks_from_json;
use crate::domain::site_builder::text;
use crate::domain::user::SiteAccess;
use crate::site_builder::{PageGenerated, PageRun};
use crate::store::StoreError;
use crate::store::page_blueprints::{PageBlueprint, PageFields, SLUG_TAKEN};

#[derive(Serialize, ToSchema)]
pub struct PageView {
    pub id: PageBlueprintId,
    pub blueprint_id: BlueprintId,
    pub slug: PageSlug,
    pub title: String,
    #[serde(rename = "type")]
    pub page_type: PageType,
    #[schema(value_type = Vec<Block>)]
    pub blocks: Value,
    pub status: PageStatus,
    /// Position in the navigation.
    pub order: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<PageBlueprint> for PageView {
    fn from(p: PageBlueprint) -> Self {
        PageView {
            id: p.id,
            blueprint_id: p.site_blueprint_id,
            slug: p.slug,
            title: p.title,
            page_type: p.page_type,
            blocks: p.blocks_json,
            status: p.status,
            order: p.sort_order,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The blueprint whose pages to list.
    blueprint_id: BlueprintId,
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<u32>,
}

/// A blueprint's pages in navigation order.
#[utoipa::path(get, path = "/site-builder/pages", tag = "site-builder", params(ListQuery),
    responses((status = 200, body = PageOf<PageView>), CommonErrors))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> Result<ResponseJson<PageOf<PageView>>, ApiError> {
    let page = page(query.page, query.page_size)?;
    let blueprint = readable_blueprint(&state, &principal, query.blueprint_id).await?;
    let pages = state
        .store
        .blueprint_pages_paged(blueprint.account_id, blueprint.id, page)
        .await?;
    Ok(ResponseJson(PageOf::new(page, pages, PageView::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePage {
    blueprint_id: BlueprintId,
    #[schema(value_type = String, pattern = "^[a-z0-9][a-z0-9_-]{0,99}$")]
    slug: String,
    title: String,
    /// Default `custom`.
    #[serde(rename = "type")]
    page_type: Option<PageType>,
    /// Default `[]`.
    #[schema(value_type = Option<Vec<Block>>)]
    blocks: Option<Value>,
    /// Default `draft`.
    status: Option<PageStatus>,
    /// Position in the navigation, 0 to 10000 (default 0).
    #[schema(minimum = 0, maximum = 10000)]
    order: Option<i32>,
}

fn page_fields(
    slug: &str,
    title: String,
    page_type: PageType,
    blocks: Value,
    status: PageStatus,
    order: i32,
) -> Result<PageFields, ApiError> {
    let slug = PageSlug::parse(slug).map_err(|err| ApiError::invalid("slug", err))?;
    text::required("title", &title, 200).map_err(|err| ApiError::invalid(err.path, err.message))?;
    blocks_from_json(&blocks).map_err(|err| {
        let field = if err.path.is_empty() {
            "blocks".to_owned()
        } else if err.path.starts_with('[') {
            format!("blocks{}", err.path)
        } else {
            err.path
        };
        ApiError::invalid(field, err.message)
    })?;
    if !(0..=10_000).contains(&order) {
        return Err(ApiError::invalid(
            "order",
            format!("expected 0 to 10000, found {order}"),
        ));
    }
    Ok(PageFields {
        slug,
        title: title.trim().to_owned(),
        page_type,
        blocks_json: blocks,
        status,
        sort_order: order,
    })
}

fn slug_taken(err: StoreError) -> ApiError {
    match err {
        StoreError::Constraint { constraint } if constraint == SLUG_TAKEN => ApiError::Conflict {
            code: "slug_taken",
            message: "the blueprint already has a page with this slug".to_owned(),
        },
        other => other.into(),
    }
}

/// Adds a page to a blueprint.
#[utoipa::path(post, path = "/site-builder/pages", tag = "site-builder",
    request_body = CreatePage,
    responses((status = 201, body = PageView),
        (status = 409, body = ErrorBody, description = "The slug is taken"),
        CommonErrors))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<CreatePage>,
) -> Result<(StatusCode, ResponseJson<PageView>), ApiError> {
    let fields = page_fields(
        &body.slug,
        body.title,
        body.page_type.unwrap_or(PageType::Custom),
        body.blocks.unwrap_or_else(|| Value::Array(Vec::new())),
        body.status.unwrap_or(PageStatus::Draft),
        body.order.unwrap_or(0),
    )?;
    let blueprint = editable_blueprint(&state, &principal, body.blueprint_id).await?;
    let page = state
        .store
        .insert_page(blueprint.account_id, blueprint.id, &fields)
        .await
        .map_err(slug_taken)?;
    Ok((StatusCode::CREATED, ResponseJson(page.into())))
}

/// A page the caller may change: an editor or higher with edit access to its site.
async fn editable_page(
    state: &AppState,
    principal: &Principal,
    id: PageBlueprintId,
) -> Result<PageBlueprint, ApiError> {
    principal.require(Role::Editor)?;
    let (page, access) = state.store.page_in_scope(scope(principal), id).await?;
    if access != SiteAccess::Edit {
        return Err(ApiError::SiteViewOnly);
    }
    Ok(page)
}

/// A page the caller may see.
#[utoipa::path(get, path = "/site-builder/pages/{id}", tag = "site-builder",
    params(("id" = i64, Path, description = "Page id")),
    responses((status = 200, body = PageView), CommonErrors))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<PageBlueprintId>,
) -> Result<ResponseJson<PageView>, ApiError> {
    let (page, _) = state.store.page_in_scope(scope(&principal), id).await?;
    Ok(ResponseJson(page.into()))
}

/// Only the fields given change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePage {
    #[schema(value_type = Option<String>)]
    slug: Option<String>,
    title: Option<String>,
    #[serde(rename = "type")]
    page_type: Option<PageType>,
    #[schema(value_type = Option<Vec<Block>>)]
    blocks: Option<Value>,
    status: Option<PageStatus>,
    order: Option<i32>,
}

/// Changes a page.
#[utoipa::path(patch, path = "/site-builder/pages/{id}", tag = "site-builder",
    request_body = UpdatePage,
    params(("id" = i64, Path, description = "Page id")),
    responses((status = 200, body = PageView),
        (status = 409, body = ErrorBody, description = "The new slug is taken"),
        CommonErrors))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<PageBlueprintId>,
    Json(body): Json<UpdatePage>,
) -> Result<ResponseJson<PageView>, ApiError> {
    let current = editable_page(&state, &principal, id).await?;
    let slug = body.slug.unwrap_or_else(|| current.slug.to_string());
    let fields = page_fields(
        &slug,
        body.title.unwrap_or(current.title),
        body.page_type.unwrap_or(current.page_type),
        body.blocks.unwrap_or(current.blocks_json),
        body.status.unwrap_or(current.status),
        body.order.unwrap_or(current.sort_order),
    )?;
    let page = state
        .store
        .update_page(current.account_id, current.id, &fields)
        .await
        .map_err(slug_taken)?;
    Ok(ResponseJson(page.into()))
}

/// Deletes a page.
#[utoipa::path(delete, path = "/site-builder/pages/{id}", tag = "site-builder",
    params(("id" = i64, Path, description = "Page id")),
    responses((status = 204, description = "Deleted"), CommonErrors))]
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<PageBlueprintId>,
) -> Result<StatusCode, ApiError> {
    let page = editable_page(&state, &principal, id).await?;
    state.store.delete_page(page.account_id, page.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct PageContentView {
    pub page: PageView,
    /// The writer task the content was generated from.
    pub task_id: Option<TaskId>,
    /// The content row (source igny8, sync status native) holding the article.
    pub content_id: Option<ContentId>,
    pub credits_used: i64,
    /// This repeated an earlier request with the same Idempotency-Key, which was charged.
    pub replayed: bool,
    /// The article had more sections than the page had room for: its last sections were
    /// joined or left out of the page (the content row keeps the whole article).
    pub shortened: bool,
}

impl From<PageGenerated> for PageContentView {
    fn from(g: PageGenerated) -> Self {
        PageContentView {
            task_id: g.page.task_id,
            content_id: g.page.content_id,
            page: g.page.into(),
            credits_used: g.credits_used,
            replayed: g.replayed,
            shortened: g.shortened,
        }
    }
}

async fn page_content(
    state: AppState,
    principal: Principal,
    id: PageBlueprintId,
    key: IdempotencyKey,
    run: PageRun,
) -> Result<ResponseJson<PageContentView>, ApiError> {
    let page = editable_page(&state, &principal, id).await?;
    let blueprint = editable_blueprint(&state, &principal, page.site_blueprint_id).await?;
    let site_builder = state.site_builder.clone();
    let generated = run_detached(async move {
        site_builder
            .generate_page_content(&blueprint, &page, &key, run)
            .await
    })
    .await?;
    Ok(ResponseJson(generated.into()))
}

/// Generates the page's content for `site_page_generation` credits (20 by default): a writer
/// task from the page (title, type) with the blueprint's brief as context, whose article
/// becomes the page's text blocks (its other blocks stay) and a content row. Needs a language
/// model and an `Idempotency-Key` (a repeat of a successful request is charged once). On
/// failure the page goes back to `draft` with the error, its blocks unchanged, and nothing is
/// charged.
#[utoipa::path(post, path = "/site-builder/pages/{id}/generate_content", tag = "site-builder",
    params(("id" = i64, Path, description = "Page id"),
        ("Idempotency-Key" = String, Header, description = "Names the request for the ledger")),
    responses((status = 200, body = PageContentView),
        (status = 402, body = ErrorBody, description = "Not enough credits"),
        (status = 409, body = ErrorBody, description = "A generation of the page is running"),
        (status = 502, body = ErrorBody, description = "The model gave no usable answer"),
        (status = 503, body = ErrorBody, description = "No language model is configured"),
        CommonErrors))]
pub async fn generate_content(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<PageBlueprintId>,
    RequiredIdempotencyKey(key): RequiredIdempotencyKey,
) -> Result<ResponseJson<PageContentView>, ApiError> {
    page_content(state, principal, id, key, PageRun::Generate).await
}

/// Generates the content of a page that has some again, through the same writer task: the
/// content row's earlier body is kept as a revision, the page's slug and place stay. Charged
/// and refused as `generate_content`.
#[utoipa::path(post, path = "/site-builder/pages/{id}/regenerate", tag = "site-builder",
    params(("id" = i64, Path, description = "Page id"),
        ("Idempotency-Key" = String, Header, description = "Names the request for the ledger")),
    responses((status = 200, body = PageContentView),
        (status = 402, body = ErrorBody, description = "Not enough credits"),
        (status = 409, body = ErrorBody,
            description = "The page's content was never generated, or a generation is running"),
        (status = 502, body = ErrorBody, description = "The model gave no usable answer"),
        (status = 503, body = ErrorBody, description = "No language model is configured"),
        CommonErrors))]
pub async fn regenerate(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<PageBlueprintId>,
    RequiredIdempotencyKey(key): RequiredIdempotencyKey,
) -> Result<ResponseJson<PageContentView>, ApiError> {
    page_content(state, principal, id, key, PageRun::Regenerate).await
}
