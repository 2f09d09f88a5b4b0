//! The HTTP surface. Handlers are thin: parse, call the store or a service, serialize. The API
//! never talks to a CMS; it writes rows and enqueues jobs.

pub mod health;
pub mod metrics;

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub prometheus: PrometheusHandle,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .layer(axum::middleware::from_fn(metrics::track_requests))
        .with_state(state)
}
