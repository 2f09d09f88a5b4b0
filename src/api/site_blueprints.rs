//! `/api/v1/site-builder/blueprints`: sites to generate, preview and deploy. A blueprint is
//! seen through its site: owners and admins reach every one of the account, editors those of
//! the sites granted to them (and change them only with an edit grant), viewers read.

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
use crate::api::site_pages::PageView;
use crate::api::sites::{operable_site, scope};
use crate::domain::ids::{BlueprintId, SiteId};
use crate::domain::role::Role;
use crate::domain::site_builder::brief::SiteBrief;
use crate::domain::site_builder::kinds::{BlueprintStatus, HostingType};
use crate::domain::site_builder::text;
use crate::domain::user::SiteAccess;
use crate::store::StoreError;
use crate::store::site_blueprints::{Blueprint, BlueprintFields, SITE_TAKEN};

#[derive(Serialize, ToSchema)]
pub struct BlueprintView {
    pub id: BlueprintId,
    pub site_id: SiteId,
    pub name: String,
    pub description: Option<String>,
    /// The brief structure generation starts from.
    #[schema(value_type = SiteBrief)]
    pub config: Value,
    /// The generated structure (pages, layout, theme); null before the first generation.
    #[schema(value_type = Option<crate::domain::site_builder::structure::Structure>)]
    pub structure: Option<Value>,
    pub status: BlueprintStatus,
    pub hosting_type: HostingType,
    /// The version the next deploy writes; uploads go to its assets.
    pub version: i32,
    pub deployed_version: Option<i32>,
    /// Why the last generation failed.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Blueprint> for BlueprintView {
    fn from(b: Blueprint) -> Self {
        BlueprintView {
            id: b.id,
            site_id: b.site_id,
            name: b.name,
            description: b.description,
            config: b.config_json,
            structure: b.structure_json,
            status: b.status,
            hosting_type: b.hosting_type,
            version: b.version,
            deployed_version: b.deployed_version,
            last_error: b.last_error,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

/// A blueprint the caller may see.
pub(crate) async fn readable_blueprint(
    state: &AppState,
    principal: &Principal,
    id: BlueprintId,
) -> Result<Blueprint, ApiError> {
    let (blueprint, _) = state.store.blueprint_in_scope(scope(principal), id).await?;
    Ok(blueprint)
}

/// A blueprint the caller may change: an editor or higher with edit access to its site.
pub(crate) async fn editable_blueprint(
    state: &AppState,
    principal: &Principal,
    id: BlueprintId,
) -> Result<Blueprint, ApiError> {
    principal.require(Role::Editor)?;
    let (blueprint, access) = state.store.blueprint_in_scope(scope(principal), id).await?;
    if access != SiteAccess::Edit {
        return Err(ApiError::SiteViewOnly);
    }
    Ok(blueprint)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only the blueprint of this site.
    site_id: Option<SiteId>,
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    page_size: Option<u32>,
}

/// The blueprints the caller may see, by id.
#[utoipa::path(get, path = "/site-builder/blueprints", tag = "site-builder", params(ListQuery),
    responses((status = 200, body = PageOf<BlueprintView>), CommonErrors))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> Result<ResponseJson<PageOf<BlueprintView>>, ApiError> {
    let page = page(query.page, query.page_size)?;
    let blueprints = state
        .store
        .blueprints_in_scope(scope(&principal), query.site_id, page)
        .await?;
    Ok(ResponseJson(PageOf::new(
        page,
        blueprints,
        BlueprintView::from,
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBlueprint {
    /// The site the blueprint builds; a site has at most one blueprint.
    site_id: SiteId,
    /// 1 to 200 characters; the site's name on its pages.
    name: String,
    description: Option<String>,
    /// The brief (default `{}`).
    #[schema(value_type = Option<SiteBrief>)]
    config: Option<Value>,
    /// igny8_sites (default), wordpress, shopify or multi.
    hosting_type: Option<HostingType>,
}

fn fields(
    name: String,
    description: Option<String>,
    config: Value,
    hosting_type: HostingType,
) -> Result<BlueprintFields, ApiError> {
    text::required("name", &name, 200).map_err(|err| ApiError::invalid(err.path, err.message))?;
    text::optional("description", description.as_deref(), 2000)
        .map_err(|err| ApiError::invalid(err.path, err.message))?;
    SiteBrief::from_json(&config).map_err(|err| {
        let field = if err.path.is_empty() {
            "config".to_owned()
        } else {
            format!("config.{}", err.path)
        };
        ApiError::invalid(field, err.message)
    })?;
    Ok(BlueprintFields {
        name: name.trim().to_owned(),
        description,
        config_json: config,
        hosting_type,
    })
}

fn site_taken(err: StoreError) -> ApiError {
    match err {
        StoreError::Constraint { constraint } if constraint == SITE_TAKEN => ApiError::Conflict {
            code: "blueprint_exists",
            message: "this site already has a blueprint".to_owned(),
        },
        other => other.into(),
    }
}

/// Creates the blueprint of a site (editor or higher, with edit access to the site).
#[utoipa::path(post, path = "/site-builder/blueprints", tag = "site-builder",
    request_body = CreateBlueprint,
    responses((status = 201, body = BlueprintView),
        (status = 409, body = ErrorBody, description = "The site has a blueprint"),
        CommonErrors))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<CreateBlueprint>,
) -> Result<(StatusCode, ResponseJson<BlueprintView>), ApiError> {
    let fields = fields(
        body.name,
        body.description,
        body.config
            .unwrap_or_else(|| Value::Object(Default::default())),
        body.hosting_type.unwrap_or(HostingType::Igny8Sites),
    )?;
    let site = operable_site(&state, &principal, body.site_id).await?;
    let blueprint = state
        .store
        .insert_blueprint(site.account_id, site.id, &fields)
        .await
        .map_err(site_taken)?;
    Ok((StatusCode::CREATED, ResponseJson(blueprint.into())))
}

/// A blueprint the caller may see.
#[utoipa::path(get, path = "/site-builder/blueprints/{id}", tag = "site-builder",
    params(("id" = i64, Path, description = "Blueprint id")),
    responses((status = 200, body = BlueprintView), CommonErrors))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<BlueprintId>,
) -> Result<ResponseJson<BlueprintView>, ApiError> {
    Ok(ResponseJson(
        readable_blueprint(&state, &principal, id).await?.into(),
    ))
}

/// Only the fields given change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBlueprint {
    name: Option<String>,
    description: Option<String>,
    #[schema(value_type = Option<SiteBrief>)]
    config: Option<Value>,
    hosting_type: Option<HostingType>,
}

/// Changes a blueprint's name, description, brief or hosting.
#[utoipa::path(patch, path = "/site-builder/blueprints/{id}", tag = "site-builder",
    request_body = UpdateBlueprint,
    params(("id" = i64, Path, description = "Blueprint id")),
    responses((status = 200, body = BlueprintView), CommonErrors))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<BlueprintId>,
    Json(body): Json<UpdateBlueprint>,
) -> Result<ResponseJson<BlueprintView>, ApiError> {
    let current = editable_blueprint(&state, &principal, id).await?;
    let fields = fields(
        body.name.unwrap_or(current.name),
        body.description.or(current.description),
        body.config.unwrap_or(current.config_json),
        body.hosting_type.unwrap_or(current.hosting_type),
    )?;
    let updated = state
        .store
        .update_blueprint(current.account_id, current.id, &fields)
        .await?;
    Ok(ResponseJson(updated.into()))
}

/// Deletes a blueprint, its pages and its site's files (every version).
#[utoipa::path(delete, path = "/site-builder/blueprints/{id}", tag = "site-builder",
    params(("id" = i64, Path, description = "Blueprint id")),
    responses((status = 204, description = "Deleted"), CommonErrors))]
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<BlueprintId>,
) -> Result<StatusCode, ApiError> {
    let blueprint = editable_blueprint(&state, &principal, id).await?;
    state.site_builder.delete(&blueprint).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct GeneratedView {
    pub blueprint: BlueprintView,
    /// The pages now, in navigation order.
    pub pages: Vec<PageView>,
    pub credits_used: i64,
    /// This repeated an earlier request with the same Idempotency-Key, which was charged.
    pub replayed: bool,
}

/// Generates the blueprint's structure from its brief and makes its pages match (created,
/// updated in place, deleted), for `site_structure_generation` credits: from templates under
/// the `offline` provider, from the language model under `openai` (its answer checked as any
/// structure is). Needs an `Idempotency-Key`: a repeat of a successful request is charged
/// once. On failure the blueprint goes back to `draft` with `last_error`, and nothing is
/// charged.
#[utoipa::path(post, path = "/site-builder/blueprints/{id}/generate_structure",
    tag = "site-builder",
    params(("id" = i64, Path, description = "Blueprint id"),
        ("Idempotency-Key" = String, Header, description = "Names the request for the ledger")),
    responses((status = 200, body = GeneratedView),
        (status = 402, body = ErrorBody, description = "Not enough credits"),
        (status = 409, body = ErrorBody, description = "A generation is running"),
        (status = 502, body = ErrorBody,
            description = "The model gave no usable structure; the message names the path of the first problem"),
        CommonErrors))]
pub async fn generate_structure(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<BlueprintId>,
    RequiredIdempotencyKey(key): RequiredIdempotencyKey,
) -> Result<ResponseJson<GeneratedView>, ApiError> {
    let blueprint = editable_blueprint(&state, &principal, id).await?;
    let site_builder = state.site_builder.clone();
    let generated =
        run_detached(async move { site_builder.generate_structure(&blueprint, &key).await })
            .await?;
    let blueprint = generated.blueprint;
    let pages = state
        .store
        .blueprint_pages(blueprint.account_id, blueprint.id)
        .await?;
    Ok(ResponseJson(GeneratedView {
        blueprint: blueprint.into(),
        pages: pages.into_iter().map(PageView::from).collect(),
        credits_used: generated.credits_used,
        replayed: generated.replayed,
    }))
}

/// Writes the blueprint's pages as version `version` (`site.json`, `pages/{slug}.json` under
/// the site's directory) and makes it the deployed one; the next version starts with the same
/// assets. Earlier versions stay for rollback.
#[utoipa::path(post, path = "/site-builder/blueprints/{id}/deploy", tag = "site-builder",
    params(("id" = i64, Path, description = "Blueprint id")),
    responses((status = 200, body = BlueprintView),
        (status = 409, body = ErrorBody, description = "No structure generated yet"),
        CommonErrors))]
pub async fn deploy(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<BlueprintId>,
) -> Result<ResponseJson<BlueprintView>, ApiError> {
    let blueprint = editable_blueprint(&state, &principal, id).await?;
    Ok(ResponseJson(
        state.site_builder.deploy(&blueprint).await?.into(),
    ))
}

/// Makes the latest version deployed before the current one the deployed one again.
#[utoipa::path(post, path = "/site-builder/blueprints/{id}/rollback", tag = "site-builder",
    params(("id" = i64, Path, description = "Blueprint id")),
    responses((status = 200, body = BlueprintView),
        (status = 409, body = ErrorBody, description = "No earlier version"),
        CommonErrors))]
pub async fn rollback(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<BlueprintId>,
) -> Result<ResponseJson<BlueprintView>, ApiError> {
    let blueprint = editable_blueprint(&state, &principal, id).await?;
    Ok(ResponseJson(
        state.site_builder.rollback(&blueprint).await?.into(),
    ))
}
