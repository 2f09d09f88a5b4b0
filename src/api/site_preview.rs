//! `/api/v1/site-builder/blueprints/{id}/preview`: a blueprint's pages as HTML, for anyone who
//! may see the blueprint. The pages carry a Content-Security-Policy that allows no script, so
//! even a template mistake could not run one.

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::response::{Html, IntoResponse, Response};

use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::error::ApiError;
use crate::api::extract::Path;
use crate::api::responses::CommonErrors;
use crate::api::site_blueprints::readable_blueprint;
use crate::domain::ids::BlueprintId;
use crate::domain::site_builder::slug::PageSlug;

const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
    form-action 'none'; base-uri 'none'; frame-ancestors 'self'";

fn html(body: String) -> Response {
    let mut response = Html(body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    response
}

fn base(id: BlueprintId) -> String {
    format!("/api/v1/site-builder/blueprints/{id}/preview/")
}

/// The blueprint's pages with the site's navigation.
#[utoipa::path(get, path = "/site-builder/blueprints/{id}/preview", tag = "site-builder",
    params(("id" = i64, Path, description = "Blueprint id")),
    responses((status = 200, content_type = "text/html", body = String), CommonErrors))]
pub async fn index(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<BlueprintId>,
) -> Result<Response, ApiError> {
    let blueprint = readable_blueprint(&state, &principal, id).await?;
    let body = state
        .site_builder
        .preview_index(&blueprint, &base(id))
        .await?;
    Ok(html(body))
}

/// One page rendered with the structure's layout and theme.
#[utoipa::path(get, path = "/site-builder/blueprints/{id}/preview/{slug}", tag = "site-builder",
    params(("id" = i64, Path, description = "Blueprint id"),
        ("slug" = String, Path, description = "Page slug")),
    responses((status = 200, content_type = "text/html", body = String), CommonErrors))]
pub async fn page(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, slug)): Path<(BlueprintId, String)>,
) -> Result<Response, ApiError> {
    let blueprint = readable_blueprint(&state, &principal, id).await?;
    // A slug of another shape cannot name a page.
    let slug = PageSlug::parse(&slug).map_err(|_| ApiError::NotFound)?;
    let body = state
        .site_builder
        .preview_page(&blueprint, &slug, &base(id))
        .await?;
    Ok(html(body))
}
