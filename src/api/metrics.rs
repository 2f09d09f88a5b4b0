//! `/metrics` in Prometheus text, and the middleware that counts HTTP requests.
//!
//! Queue gauges are read from the database at scrape time, so they describe the shared queue
//! (every daemon on the database), not only this process.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::AppState;
use crate::jobs::handler::error_chain;

pub async fn render(State(state): State<AppState>) -> Response {
    match state.store.job_counts().await {
        Ok(counts) => {
            for (job_state, n) in counts {
                metrics::gauge!("igny8_jobs", "state" => job_state.as_str()).set(n as f64);
            }
        }
        Err(err) => {
            tracing::warn!(error = %error_chain(&err), "Could not count jobs for /metrics.")
        }
    }
    match state.store.queue_lag().await {
        Ok(lag) => metrics::gauge!("igny8_job_queue_lag_seconds").set(lag),
        Err(err) => {
            tracing::warn!(error = %error_chain(&err), "Could not read queue lag for /metrics.")
        }
    }
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.prometheus.render(),
    )
        .into_response()
}

/// Counts requests by route template (not raw path, so ids do not explode the label set),
/// method and status, and records their duration.
pub async fn track_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = [
        ("route", route),
        ("method", method),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("igny8_http_requests_total", &labels).increment(1);
    metrics::histogram!("igny8_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}
