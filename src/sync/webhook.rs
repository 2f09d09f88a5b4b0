//! Webhook intake: signatures checked on the raw body in constant time, the hint read from the
//! payload, and the delivery recorded (deduplicated by its id) with a re-fetch of the item
//! queued in the same transaction. Webhooks are hints: the re-fetch reads the truth.

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::connector::wordpress::model::parse_gmt;
use crate::store::Store;
use crate::store::sites::Site;
use crate::store::webhooks::{Delivery, DeliveryOutcome};
use crate::sync::SyncError;
use crate::sync::jobs::{RefetchPayload, refetch_job};

/// A companion-plugin delivery older or newer than this is refused, so a captured request
/// cannot be replayed later.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// Why a delivery was refused; nothing of it is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("the signature does not match the body")]
    BadSignature,
    #[error(
        "the timestamp is {0} seconds away from this server's clock (at most {MAX_SKEW_SECONDS} allowed)"
    )]
    Stale(i64),
    #[error("the timestamp header is not a number of seconds")]
    BadTimestamp,
    #[error("the body is not a delivery: {0}")]
    BadBody(String),
    #[error("webhooks are not set up for this site")]
    NotConfigured,
}

/// What a delivery says changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub delivery_id: String,
    pub topic: String,
    pub external_type: String,
    pub external_id: String,
    /// The item's modified time as the sender saw it, when it says.
    pub modified: Option<DateTime<Utc>>,
}

fn hmac(secret: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length")
}

/// Checks a companion-plugin delivery: `X-Igny8-Signature: sha256=<hex HMAC-SHA256 of
/// "{timestamp}.{body}">` and a timestamp within the skew window.
pub fn verify_companion(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), WebhookError> {
    let timestamp = timestamp.ok_or(WebhookError::MissingHeader("X-Igny8-Timestamp"))?;
    let signature = signature.ok_or(WebhookError::MissingHeader("X-Igny8-Signature"))?;
    let claimed = signature
        .strip_prefix("sha256=")
        .and_then(|hex_text| hex::decode(hex_text).ok())
        .ok_or(WebhookError::BadSignature)?;
    let mut mac = hmac(secret);
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&claimed)
        .map_err(|_| WebhookError::BadSignature)?;
    // Checked after the signature, so an unsigned request learns nothing about our clock.
    let sent: i64 = timestamp.parse().map_err(|_| WebhookError::BadTimestamp)?;
    let skew = now.timestamp() - sent;
    if skew.abs() > MAX_SKEW_SECONDS {
        return Err(WebhookError::Stale(skew));
    }
    Ok(())
}

/// Checks a WooCommerce delivery: `X-WC-Webhook-Signature: base64(HMAC-SHA256(body))`.
pub fn verify_woocommerce(
    secret: &[u8],
    signature: Option<&str>,
    body: &[u8],
) -> Result<(), WebhookError> {
    let signature = signature.ok_or(WebhookError::MissingHeader("X-WC-Webhook-Signature"))?;
    let claimed = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .map_err(|_| WebhookError::BadSignature)?;
    let mut mac = hmac(secret);
    mac.update(body);
    mac.verify_slice(&claimed)
        .map_err(|_| WebhookError::BadSignature)
}

#[derive(Deserialize)]
struct CompanionBody {
    delivery_id: String,
    event: String,
    post_id: u64,
    post_type: String,
    #[serde(default)]
    modified_gmt: Option<String>,
}

/// Reads a companion-plugin delivery; its id must be the one its signed header names.
pub fn parse_companion(body: &[u8], delivery_header: Option<&str>) -> Result<Hint, WebhookError> {
    let parsed: CompanionBody =
        serde_json::from_slice(body).map_err(|err| WebhookError::BadBody(err.to_string()))?;
    if delivery_header.is_some_and(|header| header != parsed.delivery_id) {
        return Err(WebhookError::BadBody(
            "X-Igny8-Delivery differs from the body's delivery_id".to_owned(),
        ));
    }
    if parsed.delivery_id.trim().is_empty() || parsed.delivery_id.len() > 200 {
        return Err(WebhookError::BadBody(
            "delivery_id: expected 1 to 200 characters".to_owned(),
        ));
    }
    Ok(Hint {
        delivery_id: parsed.delivery_id,
        topic: parsed.event,
        external_type: parsed.post_type,
        external_id: parsed.post_id.to_string(),
        modified: parsed.modified_gmt.as_deref().and_then(parse_gmt),
    })
}

#[derive(Deserialize)]
struct WooBody {
    id: u64,
    #[serde(default)]
    date_modified_gmt: Option<String>,
}

/// Reads a WooCommerce delivery. Its first delivery is a ping without an object id, which
/// carries no hint (`None`).
pub fn parse_woocommerce(
    body: &[u8],
    delivery_header: Option<&str>,
    topic_header: Option<&str>,
) -> Result<Option<Hint>, WebhookError> {
    let Ok(parsed) = serde_json::from_slice::<WooBody>(body) else {
        return Ok(None);
    };
    let delivery_id = delivery_header
        .ok_or(WebhookError::MissingHeader("X-WC-Webhook-Delivery-ID"))?
        .to_owned();
    let topic = topic_header.unwrap_or("unknown").to_owned();
    // WooCommerce topics are resource.event; a product is the `product` post type.
    let external_type = topic.split('.').next().unwrap_or("product").to_owned();
    Ok(Some(Hint {
        delivery_id,
        topic,
        external_type,
        external_id: parsed.id.to_string(),
        modified: parsed.date_modified_gmt.as_deref().and_then(parse_gmt),
    }))
}

/// Records a verified hint and queues the re-fetch, unless the delivery was seen before or
/// only reports our own write (its modified time is the one we already hold).
pub async fn accept(
    store: &Store,
    site: &Site,
    hint: &Hint,
    max_attempts: u32,
) -> Result<DeliveryOutcome, SyncError> {
    let job = refetch_job(
        &RefetchPayload {
            account_id: site.account_id,
            site_id: site.id,
            external_type: hint.external_type.clone(),
            external_id: hint.external_id.clone(),
        },
        max_attempts,
    );
    let delivery = Delivery {
        delivery_id: &hint.delivery_id,
        topic: &hint.topic,
        external_type: &hint.external_type,
        external_id: &hint.external_id,
        modified: hint.modified,
    };
    Ok(store
        .record_delivery(site.account_id, site.id, &delivery, &job)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
        let mut mac = hmac(secret);
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn a_companion_signature_binds_the_timestamp_and_the_body() {
        let now = Utc::now();
        let ts = now.timestamp().to_string();
        let body = br#"{"delivery_id":"d1","event":"saved","post_id":4,"post_type":"post"}"#;
        let good = sign(b"s3cret", &ts, body);
        assert_eq!(
            verify_companion(b"s3cret", Some(&ts), Some(&good), body, now),
            Ok(())
        );
        assert_eq!(
            verify_companion(b"other", Some(&ts), Some(&good), body, now),
            Err(WebhookError::BadSignature)
        );
        let tampered = br#"{"delivery_id":"d1","event":"saved","post_id":5,"post_type":"post"}"#;
        assert_eq!(
            verify_companion(b"s3cret", Some(&ts), Some(&good), tampered, now),
            Err(WebhookError::BadSignature)
        );
        let later = (now.timestamp() + 1).to_string();
        assert_eq!(
            verify_companion(b"s3cret", Some(&later), Some(&good), body, now),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_companion(b"s3cret", None, Some(&good), body, now),
            Err(WebhookError::MissingHeader("X-Igny8-Timestamp"))
        );
    }

    #[test]
    fn an_old_companion_delivery_is_refused_even_when_signed() {
        let now = Utc::now();
        let old = (now.timestamp() - 301).to_string();
        let body = b"{}";
        let signature = sign(b"k", &old, body);
        assert_eq!(
            verify_companion(b"k", Some(&old), Some(&signature), body, now),
            Err(WebhookError::Stale(301))
        );
    }

    #[test]
    fn woocommerce_signatures_are_base64_of_the_body_hmac() {
        let body = br#"{"id":12,"date_modified_gmt":"2026-01-02T03:04:05"}"#;
        let mut mac = hmac(b"wc");
        mac.update(body);
        let signature =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(verify_woocommerce(b"wc", Some(&signature), body), Ok(()));
        assert_eq!(
            verify_woocommerce(b"wc", Some("bm9wZQ=="), body),
            Err(WebhookError::BadSignature)
        );
        let hint = parse_woocommerce(body, Some("77"), Some("product.updated"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (hint.external_type.as_str(), hint.external_id.as_str()),
            ("product", "12")
        );
        assert_eq!(
            parse_woocommerce(b"webhook_id=3", Some("1"), None),
            Ok(None)
        );
    }

    #[test]
    fn a_companion_body_must_carry_the_signed_delivery_id() {
        let body = br#"{"delivery_id":"d1","event":"trashed","post_id":4,"post_type":"page","modified_gmt":"2026-01-02T03:04:05"}"#;
        let hint = parse_companion(body, Some("d1")).unwrap();
        assert_eq!(hint.external_id, "4");
        assert!(hint.modified.is_some());
        assert!(matches!(
            parse_companion(body, Some("d2")),
            Err(WebhookError::BadBody(_))
        ));
    }
}
