//! `/api/v1/site-builder/assets`: files of a site's working version (`assets/images`,
//! `assets/documents`, `assets/media`). Uploads are multipart, streamed to a temporary file and
//! kept only when within the size limit and the site's quota and of an allowed, sniffed type;
//! names and paths that could lead elsewhere are refused with 400 and nothing is written.

use axum::Json as ResponseJson;
use axum::extract::multipart::{Field, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::Query;
use crate::api::responses::CommonErrors;
use crate::api::sites::{operable_site, scope};
use crate::domain::ids::SiteId;
use crate::site_builder::asset_path::AssetFolder;
use crate::site_builder::files::{AssetInfo, Chunks};
use crate::store::StoreError;
use crate::store::site_blueprints::Blueprint;

/// The blueprint whose working version holds the site's assets.
async fn site_blueprint(
    state: &AppState,
    account: crate::domain::ids::AccountId,
    site: SiteId,
) -> Result<Blueprint, ApiError> {
    state
        .store
        .site_blueprint(account, site)
        .await
        .map_err(|err| match err {
            StoreError::NotFound => ApiError::Conflict {
                code: "no_blueprint",
                message: "this site has no blueprint; create one before adding assets".to_owned(),
            },
            other => other.into(),
        })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    site_id: SiteId,
    /// Only this folder: images, documents or media.
    folder: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AssetList {
    pub site_id: SiteId,
    /// The working version the assets belong to.
    pub version: i32,
    pub used_bytes: u64,
    pub quota_bytes: u64,
    pub items: Vec<AssetInfo>,
}

/// The assets of a site's working version.
#[utoipa::path(get, path = "/site-builder/assets", tag = "site-builder", params(ListQuery),
    responses((status = 200, body = AssetList), CommonErrors))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> Result<ResponseJson<AssetList>, ApiError> {
    let folder = query
        .folder
        .as_deref()
        .map(AssetFolder::parse)
        .transpose()
        .map_err(|err| ApiError::invalid("folder", err))?;
    let (site, _) = state
        .store
        .site_in_scope(scope(&principal), query.site_id)
        .await?;
    let blueprint = site_blueprint(&state, site.account_id, site.id).await?;
    let files = state.site_builder.files();
    let items = files.list(site.id, blueprint.version, folder).await?;
    let used_bytes = match folder {
        None => items.iter().map(|item| item.size).sum(),
        Some(_) => files
            .list(site.id, blueprint.version, None)
            .await?
            .iter()
            .map(|item| item.size)
            .sum(),
    };
    Ok(ResponseJson(AssetList {
        site_id: site.id,
        version: blueprint.version,
        used_bytes,
        quota_bytes: files.limits().quota_bytes_per_site,
        items,
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SiteQuery {
    site_id: SiteId,
}

/// The multipart body of an upload, for the API description.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Upload {
    /// The file; its folder follows from its content's type.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

struct FieldChunks<'a>(Field<'a>);

impl Chunks for FieldChunks<'_> {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, String> {
        self.0.chunk().await.map_err(|err| err.body_text())
    }
}

fn unreadable(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        code: "unreadable_body",
        message: message.into(),
        details: json!({ "field": "file" }),
    }
}

/// Uploads a file to the site's working version (editor or higher, with edit access to the
/// site): a `multipart/form-data` body with one part named `file`. PNG, JPEG, GIF and WebP
/// go to images, PDF to documents, MP4, WebM, MP3 and Ogg to media, by their content; the
/// name's extension must match it.
#[utoipa::path(post, path = "/site-builder/assets", tag = "site-builder", params(SiteQuery),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses((status = 201, body = AssetInfo),
        (status = 409, body = ErrorBody, description = "The site has no blueprint"),
        CommonErrors))]
pub async fn upload(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<SiteQuery>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, ResponseJson<AssetInfo>), ApiError> {
    let site = operable_site(&state, &principal, query.site_id).await?;
    let blueprint = site_blueprint(&state, site.account_id, site.id).await?;
    let mut multipart = multipart.map_err(|rejection| {
        unreadable(format!(
            "expected a multipart/form-data body: {}",
            rejection.body_text()
        ))
    })?;
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|err| unreadable(err.body_text()))?
            .ok_or_else(|| ApiError::invalid("file", "expected a part named file"))?;
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .map(str::to_owned)
            .ok_or_else(|| ApiError::invalid("file", "the file part needs a filename"))?;
        let stored = state
            .site_builder
            .files()
            .upload(site.id, blueprint.version, &name, &mut FieldChunks(field))
            .await?;
        return Ok((StatusCode::CREATED, ResponseJson(stored)));
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    site_id: SiteId,
    /// FOLDER/NAME, such as images/logo.png.
    path: String,
}

/// Deletes an asset of the site's working version (editor or higher, with edit access).
#[utoipa::path(delete, path = "/site-builder/assets", tag = "site-builder", params(DeleteQuery),
    responses((status = 204, description = "Deleted"), CommonErrors))]
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    let site = operable_site(&state, &principal, query.site_id).await?;
    let blueprint = site_blueprint(&state, site.account_id, site.id).await?;
    state
        .site_builder
        .files()
        .delete(site.id, blueprint.version, &query.path)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
