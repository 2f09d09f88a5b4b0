//! CMS webhooks: `POST /webhooks/wordpress/{site}` (the companion plugin),
//! `POST /webhooks/woocommerce/{site}`, `POST /webhooks/shopify/{site}` and
//! `POST /webhooks/rest/{site}` (signed and read as the site's definition says). Outside
//! `/api/v1` and its bearer tokens: the signature is the authentication. The handler verifies,
//! records and queues a re-fetch, and answers 202 without talking to the CMS.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use serde_json::{Value, json};

use crate::api::AppState;
use crate::api::error::ApiError;
use crate::api::extract::Path;
use crate::connector::shopify::webhook as shopify_webhook;
use crate::domain::ids::SiteId;
use crate::domain::site::ConnectorKind;
use crate::store::sites::Site;
use crate::sync::SyncError;
use crate::sync::site_connector::webhook_secret;
use crate::sync::site_settings::{self, RestSettings};
use crate::sync::webhook::{
    Hint, WebhookError, accept, parse_companion, parse_woocommerce, verify_companion,
    verify_woocommerce,
};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn refused(err: WebhookError) -> ApiError {
    ApiError::WebhookRefused(err.to_string())
}

fn internal(err: SyncError) -> ApiError {
    ApiError::Internal(Box::new(err))
}

fn invalid_delivery(message: String) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_delivery",
        message,
        details: json!({}),
    }
}

/// The site and its webhook secret; a site without one refuses every delivery.
async fn site_and_secret(state: &AppState, id: SiteId) -> Result<(Site, Vec<u8>), ApiError> {
    let site = state.store.site_by_id(id).await?;
    let secrets = state.sync.secrets();
    let secret = webhook_secret(&site, &secrets)
        .map_err(internal)?
        .ok_or_else(|| refused(WebhookError::NotConfigured))?;
    Ok((site, secret.expose().as_bytes().to_vec()))
}

async fn record(
    state: &AppState,
    site: &Site,
    hint: &Hint,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let outcome = accept(&state.store, site, hint, state.sync.max_attempts)
        .await
        .map_err(internal)?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "delivery": outcome }))))
}

pub async fn wordpress(
    State(state): State<AppState>,
    Path(site): Path<SiteId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (site, secret) = site_and_secret(&state, site).await?;
    verify_companion(
        &secret,
        header(&headers, "x-igny8-timestamp"),
        header(&headers, "x-igny8-signature"),
        &body,
        Utc::now(),
    )
    .map_err(refused)?;
    let hint = parse_companion(&body, header(&headers, "x-igny8-delivery")).map_err(|err| {
        ApiError::BadRequest {
            code: "invalid_delivery",
            message: err.to_string(),
            details: json!({}),
        }
    })?;
    record(&state, &site, &hint).await
}

pub async fn woocommerce(
    State(state): State<AppState>,
    Path(site): Path<SiteId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (site, secret) = site_and_secret(&state, site).await?;
    verify_woocommerce(&secret, header(&headers, "x-wc-webhook-signature"), &body)
        .map_err(refused)?;
    let hint = parse_woocommerce(
        &body,
        header(&headers, "x-wc-webhook-delivery-id"),
        header(&headers, "x-wc-webhook-topic"),
    )
    .map_err(|err| ApiError::BadRequest {
        code: "invalid_delivery",
        message: err.to_string(),
        details: json!({}),
    })?;
    match hint {
        Some(hint) => record(&state, &site, &hint).await,
        None => Ok((StatusCode::ACCEPTED, Json(json!({ "delivery": "ping" })))),
    }
}

/// A Shopify delivery. A `*/delete` topic queues the same re-fetch as an update: the re-fetch
/// finds the item gone and marks it `deleted_remote`, so a forged or stale delete can never
/// remove what the shop still has.
pub async fn shopify(
    State(state): State<AppState>,
    Path(site): Path<SiteId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (site, secret) = site_and_secret(&state, site).await?;
    shopify_webhook::verify(
        &secret,
        header(&headers, shopify_webhook::HMAC_HEADER),
        &body,
    )
    .map_err(|err| ApiError::WebhookRefused(err.to_string()))?;
    let delivery = shopify_webhook::parse(
        header(&headers, shopify_webhook::WEBHOOK_ID_HEADER),
        header(&headers, shopify_webhook::TOPIC_HEADER),
        &body,
    )
    .map_err(|err| ApiError::BadRequest {
        code: "invalid_delivery",
        message: err.to_string(),
        details: json!({}),
    })?;
    let hint = Hint {
        delivery_id: delivery.webhook_id,
        topic: delivery.topic,
        external_type: delivery.external_type,
        external_id: delivery.external_id,
        modified: delivery.modified,
    };
    record(&state, &site, &hint).await
}

/// A delivery to a site read through a REST definition: signed as the definition's `[webhook]`
/// says, and about the item its `[[webhook.items]]` point at. A delete queues the same re-fetch
/// as an update (see [`shopify`]). A signed delivery about nothing the definition syncs is
/// acknowledged (`not_synced`) and not recorded: a CMS is usually set to send every event.
pub async fn rest(
    State(state): State<AppState>,
    Path(site): Path<SiteId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (site, secret) = site_and_secret(&state, site).await?;
    if site.connector != ConnectorKind::Rest {
        return Err(ApiError::WebhookRefused(format!(
            "site {} uses the {} connector, not rest",
            site.id, site.connector
        )));
    }
    let settings: RestSettings = site_settings::parse(&site).map_err(internal)?;
    let definition = state
        .sync
        .definitions
        .get(&settings.definition)
        .map_err(|err| internal(SyncError::Site(err.to_string())))?;
    let scheme = definition
        .webhook
        .as_ref()
        .map(|scheme| scheme.get_ref())
        .ok_or_else(|| refused(WebhookError::NotConfigured))?;
    scheme
        .verify(&secret, header(&headers, scheme.header.as_str()), &body)
        .map_err(|err| ApiError::WebhookRefused(err.to_string()))?;
    let delivery_id = scheme
        .delivery_header
        .as_ref()
        .and_then(|name| header(&headers, name.as_str()));
    let delivery = scheme
        .read(&definition, delivery_id, &body)
        .map_err(|err| invalid_delivery(err.to_string()))?;
    let Some(delivery) = delivery else {
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "delivery": "not_synced" })),
        ));
    };
    let hint = Hint {
        delivery_id: delivery.delivery_id,
        topic: delivery.topic,
        external_type: delivery.external_type,
        external_id: delivery.external_id,
        modified: delivery.modified,
    };
    record(&state, &site, &hint).await
}
