//! Shopify's webhook deliveries: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw
//! body keyed with the app's client secret, checked in constant time before anything is read;
//! `X-Shopify-Webhook-Id` names the delivery (retries repeat it) and `X-Shopify-Topic` what
//! happened (`products/update`, `products/delete`, ...). The body is the REST-style object,
//! of which only its id and `updated_at` are used: the item itself is fetched again.

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::connector::shopify::model::{Kind, parse_time};

pub const HMAC_HEADER: &str = "x-shopify-hmac-sha256";
pub const WEBHOOK_ID_HEADER: &str = "x-shopify-webhook-id";
pub const TOPIC_HEADER: &str = "x-shopify-topic";

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShopifyWebhookError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("the signature does not match the body")]
    BadSignature,
    #[error("the topic {0:?} is not one igny8 syncs (products, articles, pages)")]
    UnknownTopic(String),
    #[error("the body is not a delivery: {0}")]
    BadBody(String),
}

/// A verified delivery: which item changed, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopifyDelivery {
    pub webhook_id: String,
    pub topic: String,
    pub external_type: String,
    /// The item's GID.
    pub external_id: String,
    /// `*/delete`: the shop no longer has the item.
    pub deleted: bool,
    /// `updated_at` as the shop sent it (none for deletions).
    pub modified: Option<DateTime<Utc>>,
}

/// Checks `X-Shopify-Hmac-Sha256` against the raw body.
pub fn verify(
    secret: &[u8],
    signature: Option<&str>,
    body: &[u8],
) -> Result<(), ShopifyWebhookError> {
    let signature = signature.ok_or(ShopifyWebhookError::MissingHeader("X-Shopify-Hmac-Sha256"))?;
    let claimed = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .map_err(|_| ShopifyWebhookError::BadSignature)?;
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&claimed)
        .map_err(|_| ShopifyWebhookError::BadSignature)
}

#[derive(Deserialize)]
struct Body {
    id: u64,
    #[serde(default)]
    admin_graphql_api_id: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
}

/// Reads a verified delivery.
pub fn parse(
    webhook_id: Option<&str>,
    topic: Option<&str>,
    body: &[u8],
) -> Result<ShopifyDelivery, ShopifyWebhookError> {
    let webhook_id = webhook_id
        .filter(|id| !id.trim().is_empty() && id.len() <= 200)
        .ok_or(ShopifyWebhookError::MissingHeader("X-Shopify-Webhook-Id"))?;
    let topic = topic.ok_or(ShopifyWebhookError::MissingHeader("X-Shopify-Topic"))?;
    let (resource, event) = topic
        .split_once('/')
        .ok_or_else(|| ShopifyWebhookError::UnknownTopic(topic.to_owned()))?;
    let kind = match resource {
        "products" => Kind::Product,
        "articles" => Kind::Article,
        "pages" => Kind::Page,
        _ => return Err(ShopifyWebhookError::UnknownTopic(topic.to_owned())),
    };
    let parsed: Body = serde_json::from_slice(body)
        .map_err(|err| ShopifyWebhookError::BadBody(err.to_string()))?;
    let gid = kind.gid(parsed.id);
    if parsed
        .admin_graphql_api_id
        .as_ref()
        .is_some_and(|named| *named != gid)
    {
        return Err(ShopifyWebhookError::BadBody(
            "admin_graphql_api_id names another item than id".to_owned(),
        ));
    }
    let deleted = event == "delete";
    Ok(ShopifyDelivery {
        webhook_id: webhook_id.to_owned(),
        topic: topic.to_owned(),
        external_type: kind.external_type().to_owned(),
        external_id: gid,
        deleted,
        modified: if deleted {
            None
        } else {
            parsed.updated_at.as_deref().and_then(parse_time)
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &[u8], body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap();
        mac.update(body);
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }

    #[test]
    fn the_signature_is_the_base64_hmac_of_the_raw_body() {
        let body = br#"{"id":788032119674292922,"updated_at":"2026-01-02T03:04:05-05:00"}"#;
        let good = sign(b"client-secret", body);
        assert_eq!(verify(b"client-secret", Some(&good), body), Ok(()));
        assert_eq!(
            verify(b"other-secret", Some(&good), body),
            Err(ShopifyWebhookError::BadSignature)
        );
        assert_eq!(
            verify(b"client-secret", Some(&good), br#"{"id":1}"#),
            Err(ShopifyWebhookError::BadSignature)
        );
        assert_eq!(
            verify(b"client-secret", None, body),
            Err(ShopifyWebhookError::MissingHeader("X-Shopify-Hmac-Sha256"))
        );
    }

    #[test]
    fn topics_name_the_type_and_deletions() {
        let body = br#"{"id":42,"admin_graphql_api_id":"gid://shopify/Product/42","updated_at":"2026-01-02T03:04:05Z"}"#;
        let update = parse(Some("w1"), Some("products/update"), body).unwrap();
        assert_eq!(update.external_id, "gid://shopify/Product/42");
        assert!(!update.deleted);
        assert!(update.modified.is_some());
        let delete = parse(Some("w2"), Some("pages/delete"), br#"{"id":7}"#).unwrap();
        assert_eq!(
            (
                delete.external_type.as_str(),
                delete.external_id.as_str(),
                delete.deleted
            ),
            ("page", "gid://shopify/Page/7", true)
        );
        assert!(matches!(
            parse(Some("w3"), Some("orders/create"), body),
            Err(ShopifyWebhookError::UnknownTopic(_))
        ));
        assert!(matches!(
            parse(Some("w4"), Some("articles/update"), body),
            Err(ShopifyWebhookError::BadBody(_))
        ));
    }
}
