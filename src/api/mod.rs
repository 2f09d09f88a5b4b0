//! The HTTP surface. Handlers are thin: parse, authorize, call a service or the store,
//! serialize. The API never talks to a CMS; it writes rows and enqueues jobs.

pub mod auth;
pub mod automation;
pub mod content;
pub mod credits;
pub mod detach;
pub mod error;
pub mod extract;
pub mod health;
pub mod linker;
pub mod me;
pub mod metrics;
pub mod modules;
pub mod openapi;
pub mod optimizer;
pub mod pagination;
pub mod planner;
pub mod rate_limit;
pub mod responses;
pub mod site_assets;
pub mod site_blueprints;
pub mod site_grants;
pub mod site_pages;
pub mod site_preview;
pub mod sites;
pub mod token_cache;
pub mod tokens;
pub mod users;
pub mod webhooks;
pub mod writer;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ai::AiProvider;
use crate::api::error::ApiError;
use crate::api::modules::{ModuleGuard, require_module};
use crate::api::rate_limit::{GroupLimit, RateLimits};
use crate::api::token_cache::TokenCache;
use crate::automation::Automation;
use crate::credits::Credits;
use crate::domain::module::Module;
use crate::modules::Modules;
use crate::planner::Planner;
use crate::processing::Processing;
use crate::settings::{HttpSettings, RateLimitGroup};
use crate::site_builder::SiteBuilder;
use crate::sites::Sites;
use crate::store::Store;
use crate::sync::jobs::SyncServices;
use crate::writer::Writer;

/// What every handler can reach: a shared handle, because axum clones the state into every
/// request's middleware and extractors, and a deep clone of the services (their maps and
/// settings) per request cost more than the balance query it served.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The services behind [`AppState`].
pub struct Services {
    pub store: Store,
    pub prometheus: PrometheusHandle,
    pub credits: Credits,
    pub modules: Modules,
    pub rate_limits: Arc<RateLimits>,
    pub token_cache: Arc<TokenCache>,
    pub sync: SyncServices,
    pub sites: Sites,
    pub processing: Processing,
    pub site_builder: SiteBuilder,
    pub automation: Automation,
    pub planner: Planner,
    pub writer: Writer,
    /// The language model the optimizer's AI mode asks.
    pub ai: Arc<dyn AiProvider>,
}

/// The whole router. Paths under `/api/v1` need a bearer token; `/healthz`, `/readyz`,
/// `/metrics` and `/api/v1/openapi.json` do not.
pub fn router(state: AppState, http: &HttpSettings) -> Router {
    let v1 = OpenApiRouter::new()
        .routes(routes!(me::me))
        .routes(routes!(credits::balance))
        .routes(routes!(credits::costs))
        .routes(routes!(credits::usage))
        .routes(routes!(credits::transactions))
        .routes(routes!(credits::add))
        .routes(routes!(credits::hold))
        .routes(routes!(credits::capture))
        .routes(routes!(credits::release))
        .routes(routes!(modules::get, modules::replace, modules::update))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::update))
        .routes(routes!(sites::list, sites::create))
        .routes(routes!(sites::get, sites::update, sites::delete))
        .routes(routes!(sites::sync))
        .routes(routes!(sites::check))
        .routes(routes!(sites::runs))
        .routes(routes!(site_grants::list, site_grants::create))
        .routes(routes!(site_grants::revoke))
        .routes(routes!(content::list))
        .routes(routes!(content::get))
        .routes(routes!(optimizer::task))
        // Layers run outside in: authenticate, then count against the account's quota.
        .route_layer(from_fn_with_state(
            group(&state, RateLimitGroup::Default),
            rate_limit::limit,
        ));
    let linker = OpenApiRouter::new()
        .routes(routes!(linker::process))
        .routes(routes!(linker::batch_process))
        .route_layer(from_fn_with_state(
            group(&state, RateLimitGroup::Linker),
            rate_limit::limit,
        ));
    let optimizer = OpenApiRouter::new()
        .routes(routes!(optimizer::analyze))
        .routes(routes!(optimizer::optimize))
        .routes(routes!(optimizer::rewrite))
        .routes(routes!(optimizer::batch_optimize))
        .route_layer(from_fn_with_state(
            group(&state, RateLimitGroup::Optimizer),
            rate_limit::limit,
        ));
    let upload_limit = state.site_builder.files().limits().max_upload_bytes;
    let site_builder = OpenApiRouter::new()
        .routes(routes!(site_blueprints::list, site_blueprints::create))
        .routes(routes!(
            site_blueprints::get,
            site_blueprints::update,
            site_blueprints::delete
        ))
        .routes(routes!(site_blueprints::generate_structure))
        .routes(routes!(site_blueprints::deploy))
        .routes(routes!(site_blueprints::rollback))
        .routes(routes!(site_preview::index))
        .routes(routes!(site_preview::page))
        .routes(routes!(site_pages::list, site_pages::create))
        .routes(routes!(
            site_pages::get,
            site_pages::update,
            site_pages::delete
        ))
        .routes(routes!(site_pages::generate_content))
        .routes(routes!(site_pages::regenerate))
        .routes(routes!(
            site_assets::list,
            site_assets::upload,
            site_assets::delete
        ))
        // Room for the multipart framing around the largest file; the upload counts the
        // file's own bytes against the limit as they arrive.
        .layer(DefaultBodyLimit::max(
            usize::try_from(upload_limit)
                .unwrap_or(usize::MAX)
                .saturating_add(64 * 1024),
        ))
        .route_layer(from_fn_with_state(
            ModuleGuard {
                state: state.clone(),
                module: Module::SiteBuilder,
            },
            modules::require_module,
        ))
        .route_layer(from_fn_with_state(
            group(&state, RateLimitGroup::Default),
            rate_limit::limit,
        ));
    let planner = OpenApiRouter::new()
        .routes(routes!(planner::list_keywords, planner::create_keyword))
        .routes(routes!(planner::bulk_import))
        .routes(routes!(
            planner::get_keyword,
            planner::update_keyword,
            planner::delete_keyword
        ))
        .routes(routes!(planner::list_clusters, planner::create_cluster))
        .routes(routes!(planner::auto_cluster))
        .routes(routes!(planner::auto_generate_ideas))
        .routes(routes!(
            planner::get_cluster,
            planner::update_cluster,
            planner::delete_cluster
        ))
        .routes(routes!(planner::list_ideas, planner::create_idea))
        .routes(routes!(
            planner::get_idea,
            planner::update_idea,
            planner::delete_idea
        ))
        .route_layer(from_fn_with_state(
            guard(&state, Module::Planner),
            require_module,
        ))
        .route_layer(from_fn_with_state(
            group(&state, RateLimitGroup::Default),
            rate_limit::limit,
        ));
    let automation = OpenApiRouter::new()
        .routes(routes!(automation::list_rules, automation::create_rule))
        .routes(routes!(
            automation::get_rule,
            automation::replace_rule,
            automation::update_rule,
            automation::delete_rule
        ))
        .routes(routes!(automation::execute_rule))
        .routes(routes!(automation::test_rule))
        .routes(routes!(automation::list_tasks))
        .routes(routes!(automation::get_task))
        .routes(routes!(automation::retry_task))
        .routes(routes!(automation::summary))
        // Inside authentication (added below), so the guard knows the account.
        .route_layer(from_fn_with_state(
            ModuleGuard {
                state: state.clone(),
                module: Module::Automation,
            },
            modules::require_module,
        ))
        .route_layer(from_fn_with_state(
            group(&state, RateLimitGroup::Default),
            rate_limit::limit,
        ));
    let writer = OpenApiRouter::new()
        .routes(routes!(writer::list_tasks, writer::create_task))
        .routes(routes!(
            writer::get_task,
            writer::update_task,
            writer::delete_task
        ))
        .routes(routes!(writer::generate_content))
        .routes(routes!(writer::generate_images))
        .routes(routes!(writer::regenerate))
        .routes(routes!(writer::batch_generate))
        .route_layer(from_fn_with_state(
            guard(&state, Module::Writer),
            require_module,
        ))
        .route_layer(from_fn_with_state(
            group(&state, RateLimitGroup::Default),
            rate_limit::limit,
        ));
    let v1 = v1
        .merge(automation)
        .merge(linker)
        .merge(optimizer)
        .merge(site_builder)
        .merge(planner)
        .merge(writer)
        .route_layer(from_fn_with_state(state.clone(), auth::authenticate));
    let (api, description) = OpenApiRouter::with_openapi(openapi::base())
        .nest("/api/v1", v1)
        .split_for_parts();
    let description = Arc::new(description);

    Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            get(move || openapi::serve(description.clone())),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .route("/webhooks/wordpress/{site}", post(webhooks::wordpress))
        .route("/webhooks/woocommerce/{site}", post(webhooks::woocommerce))
        .route("/webhooks/shopify/{site}", post(webhooks::shopify))
        .route("/webhooks/rest/{site}", post(webhooks::rest))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(http.body_limit_bytes))
        .layer(from_fn_with_state(http.request_timeout(), request_timeout))
        .layer(from_fn(metrics::track_requests))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// The guard of a module's routes.
fn guard(state: &AppState, module: Module) -> ModuleGuard {
    ModuleGuard {
        state: state.clone(),
        module,
    }
}

/// The per-account quota of a group of routes.
fn group(state: &AppState, group: RateLimitGroup) -> GroupLimit {
    GroupLimit {
        limits: state.rate_limits.clone(),
        group,
    }
}

/// Answers 503 `timeout` for a request still running after the configured time.
async fn request_timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}
