//! The API's description at `/api/v1/openapi.json`, generated from the handlers.

use std::sync::Arc;

use axum::Json;
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "igny8 admin API",
        description = "Credits, modules, tokens, sites, the content pipeline, the planner and the \
                       writer of an igny8 daemon. \
                       Every error answers {\"error\": {\"code\", \"message\", \"details\"}}.",
    ),
    modifiers(&Finish),
    security(("bearer" = [])),
    components(schemas(crate::api::error::ErrorBody)),
)]
struct Description;

/// Adds the bearer scheme, and drops the license the crate manifest does not name.
struct Finish;

impl Modify for Finish {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.info.license = None;
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The description without paths; the router adds one per handler.
pub fn base() -> utoipa::openapi::OpenApi {
    Description::openapi()
}

pub async fn serve(description: Arc<utoipa::openapi::OpenApi>) -> Json<utoipa::openapi::OpenApi> {
    Json(description.as_ref().clone())
}
