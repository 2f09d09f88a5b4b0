//! Liveness and readiness probes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::api::AppState;
use crate::jobs::handler::error_chain;

/// The process is up and serving HTTP.
pub async fn healthz() -> &'static str {
    "ok\n"
}

#[derive(Serialize)]
pub struct Readiness {
    ready: bool,
    database: &'static str,
    migrations: MigrationState,
}

#[derive(Serialize)]
pub struct MigrationState {
    embedded: i64,
    applied: i64,
}

/// Ready when the database answers and every migration this binary embeds is applied.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let status = match state.store.schema_status().await {
        Ok(status) => status,
        Err(err) => {
            tracing::warn!(error = %error_chain(&err), "Readiness check: database unreachable.");
            let body = Readiness {
                ready: false,
                database: "unreachable",
                migrations: MigrationState {
                    embedded: 0,
                    applied: 0,
                },
            };
            return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
        }
    };
    let ready = status.is_current();
    let body = Readiness {
        ready,
        database: "ok",
        migrations: MigrationState {
            embedded: status.embedded,
            applied: status.applied,
        },
    };
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body))
}
