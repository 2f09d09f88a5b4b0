//! `/api/v1/linker`: link one item now, or queue the linker for many. Rate-limited per account
//! in the `linker` group.

use axum::Json as ResponseJson;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::{Json, OptionalIdempotencyKey};
use crate::api::responses::CommonErrors;
use crate::api::sites::{operable_site, scope};
use crate::domain::content::EntryPoint;
use crate::domain::ids::{ContentId, JobId};
use crate::processing::jobs::{ItemPayload, item_job};
use crate::processing::{Linking, RunKey};
use crate::store::sites::Site;

/// Items one batch may name.
pub const MAX_BATCH: usize = 100;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessRequest {
    pub content_id: ContentId,
}

/// What the linker did.
#[derive(Serialize, ToSchema)]
pub struct LinkingView {
    pub content_id: ContentId,
    /// Links this run added: anchor, target, url, rule, score, matched terms, offset.
    #[schema(value_type = Vec<Object>)]
    pub added: Vec<serde_json::Value>,
    /// Every link the linker has in the item now.
    #[schema(value_type = Vec<Object>)]
    pub internal_links: serde_json::Value,
    /// Credits charged: the linking cost when links were added, 0 when nothing changed.
    pub credits_used: i64,
    pub version: i64,
    pub status: crate::domain::content::ContentStatus,
}

impl From<Linking> for LinkingView {
    fn from(l: Linking) -> Self {
        LinkingView {
            content_id: l.content,
            added: l.added.iter().map(|link| serde_json::json!(link)).collect(),
            internal_links: l.internal_links,
            credits_used: l.credits_used,
            version: l.version,
            status: l.status,
        }
    }
}

/// An item the caller may change: an editor or higher, with edit access to its site.
pub(crate) async fn operable_content(
    state: &AppState,
    principal: &Principal,
    id: ContentId,
) -> Result<Site, ApiError> {
    let detail = state
        .store
        .content_detail_in_scope(scope(principal), id)
        .await?;
    operable_site(state, principal, detail.summary.site_id).await
}

/// Links one item against its site's index now (editor or higher). Charged only when links
/// are added; a repeat adds nothing and costs nothing. An `Idempotency-Key` makes a retry
/// reuse the first attempt's credit hold.
#[utoipa::path(post, path = "/linker/process", tag = "linker", request_body = ProcessRequest,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200,
        pattern = "^[!-~]+$", description = "Names the run for the credit ledger")),
    responses((status = 200, body = LinkingView),
              (status = 402, body = ErrorBody, description = "Not enough credits"),
              (status = 409, body = ErrorBody, description = "The item cannot be processed now"),
              CommonErrors))]
pub async fn process(
    State(state): State<AppState>,
    principal: Principal,
    OptionalIdempotencyKey(key): OptionalIdempotencyKey,
    Json(body): Json<ProcessRequest>,
) -> Result<ResponseJson<LinkingView>, ApiError> {
    principal.require(crate::domain::role::Role::Editor)?;
    operable_content(&state, &principal, body.content_id).await?;
    let linking = state
        .processing
        .link(
            principal.account_id,
            body.content_id,
            &RunKey::request(key.as_ref()),
        )
        .await?;
    Ok(ResponseJson(linking.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// 1 to 100 items.
    #[schema(min_items = 1, max_items = 100)]
    pub content_ids: Vec<ContentId>,
}

/// One item of a queued batch.
#[derive(Serialize, ToSchema)]
pub struct QueuedItem {
    pub content_id: ContentId,
    /// False when a job for this item was already queued or running.
    pub queued: bool,
    pub job_id: Option<JobId>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchQueued {
    pub items: Vec<QueuedItem>,
}

/// Checks a batch: its size, no repeats, and that the caller may change every item.
pub(crate) async fn checked_batch(
    state: &AppState,
    principal: &Principal,
    ids: &[ContentId],
) -> Result<(), ApiError> {
    principal.require(crate::domain::role::Role::Editor)?;
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "content_ids",
            format!("expected 1 to {MAX_BATCH} ids, found {}", ids.len()),
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(ApiError::invalid(
                format!("content_ids[{i}]"),
                format!("content {id} is named twice"),
            ));
        }
        operable_content(state, principal, *id).await?;
    }
    Ok(())
}

/// Queues one job of `kind` per item.
pub(crate) async fn queue_batch(
    state: &AppState,
    principal: &Principal,
    kind: &'static str,
    ids: &[ContentId],
    entry_point: EntryPoint,
) -> Result<BatchQueued, ApiError> {
    let mut items = Vec::with_capacity(ids.len());
    for &content_id in ids {
        let payload = ItemPayload {
            account_id: principal.account_id,
            content_id,
            entry_point,
        };
        let job = state
            .store
            .enqueue(&item_job(kind, &payload, state.sync.max_attempts))
            .await?;
        items.push(QueuedItem {
            content_id,
            queued: job.is_some(),
            job_id: job,
        });
    }
    Ok(BatchQueued { items })
}

/// Queues the linker for up to 100 items (editor or higher); each runs as its own job.
#[utoipa::path(post, path = "/linker/batch_process", tag = "linker", request_body = BatchRequest,
    responses((status = 202, body = BatchQueued), CommonErrors))]
pub async fn batch_process(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<BatchRequest>,
) -> Result<(StatusCode, ResponseJson<BatchQueued>), ApiError> {
    checked_batch(&state, &principal, &body.content_ids).await?;
    let queued = queue_batch(
        &state,
        &principal,
        crate::processing::jobs::LINK,
        &body.content_ids,
        EntryPoint::Manual,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, ResponseJson(queued)))
}
