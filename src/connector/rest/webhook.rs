//! How a definition's webhook deliveries are signed and what they are about: the check of one
//! delivery on its raw body in constant time, then the item it names read through JSON
//! pointers. Ghost signs `sha256=<hex HMAC-SHA256(body + t)>, t=<ms>`; Strapi sends a static
//! header the site's owner chose, compared as a shared secret. Neither sends a delivery id, so
//! a digest of the signed body stands in for one: a retry of the same delivery is recognised.

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::connector::rest::definition::{Definition, HeaderName};
use crate::connector::rest::pointer::JsonPointer;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookScheme {
    /// The header carrying the signature.
    pub header: HeaderName,
    pub algorithm: SignatureAlgorithm,
    #[serde(default)]
    pub encoding: Option<SignatureEncoding>,
    /// What precedes the signature in its part of the header (`sha256=`).
    #[serde(default)]
    pub prefix: String,
    /// The name of a `name=value` part of the header holding a timestamp that is signed after
    /// the body (Ghost's `t`).
    #[serde(default)]
    pub timestamp_part: Option<String>,
    /// The header carrying the delivery's id, when the CMS sends one; without it a digest of
    /// the body is the id.
    #[serde(default)]
    pub delivery_header: Option<HeaderName>,
    /// Where the event's name is in the body (Strapi's `/event`), recorded as the topic.
    #[serde(default)]
    pub event: Option<JsonPointer>,
    /// Which item a delivery is about: the first entry whose `match` applies to the body.
    #[serde(default)]
    pub items: Vec<Spanned<WebhookItem>>,
}

/// How deliveries about one stream's items are recognised and read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookItem {
    /// The name of the stream the item belongs to.
    pub stream: String,
    /// A pointer that holds a value in deliveries of this entry (Ghost's `/post`).
    #[serde(rename = "match")]
    pub matches: JsonPointer,
    /// The text that value must be, when one body shape serves several streams (Strapi's
    /// `/model`, `article`).
    #[serde(default)]
    pub equals: Option<String>,
    /// Where the item's id is; the first that holds one is used, since a CMS may name a deleted
    /// item only in its previous state (Ghost's `/post/previous/id`).
    pub id: Vec<JsonPointer>,
    /// Where the item's modified time is, read in the stream's `fields.modified_format`.
    #[serde(default)]
    pub modified: Option<JsonPointer>,
}

/// A verified delivery's hint: which item changed, as the stream's items are named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub delivery_id: String,
    pub topic: String,
    pub external_type: String,
    pub external_id: String,
    pub modified: Option<DateTime<Utc>>,
}

/// Why a verified delivery could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error(
        "the delivery matches webhook.items[{index}] (stream {stream}) but has no id at {pointers}"
    )]
    MissingId {
        index: usize,
        stream: String,
        pointers: String,
    },
    #[error("the delivery's modified time at {pointer:?}: {message}")]
    BadModified { pointer: String, message: String },
    #[error("the {0} header is longer than 200 characters")]
    LongDeliveryId(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureAlgorithm {
    HmacSha256,
    /// The header's value is the secret itself (for CMSs that only send static headers).
    SharedSecret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureEncoding {
    Hex,
    Base64,
}

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the delivery has no {0} header")]
    MissingHeader(String),
    #[error("the signature does not match")]
    Mismatch,
    #[error("the definition's webhook scheme is incomplete: {0}")]
    Scheme(&'static str),
}

impl WebhookScheme {
    /// Checks one delivery: `header` is the value of the scheme's header, if sent.
    pub fn verify(
        &self,
        secret: &[u8],
        header: Option<&str>,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let header =
            header.ok_or_else(|| SignatureError::MissingHeader(self.header.as_str().to_owned()))?;
        match self.algorithm {
            SignatureAlgorithm::SharedSecret => {
                // Equal-length digests compared by HMAC's constant-time check, so the time
                // taken says nothing about how much of the secret matched.
                let expected = Sha256::digest(secret);
                let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"shared-secret")
                    .expect("HMAC takes a key of any length");
                mac.update(&Sha256::digest(header.trim().as_bytes()));
                let mut reference = <Hmac<Sha256> as KeyInit>::new_from_slice(b"shared-secret")
                    .expect("HMAC takes a key of any length");
                reference.update(&expected);
                mac.verify_slice(&reference.finalize().into_bytes())
                    .map_err(|_| SignatureError::Mismatch)
            }
            SignatureAlgorithm::HmacSha256 => {
                let encoding = self
                    .encoding
                    .ok_or(SignatureError::Scheme("hmac_sha256 needs an encoding"))?;
                let parts: Vec<&str> = header.split(',').map(str::trim).collect();
                let signature = parts
                    .iter()
                    .find_map(|part| part.strip_prefix(self.prefix.as_str()))
                    .ok_or(SignatureError::Mismatch)?;
                let claimed = match encoding {
                    SignatureEncoding::Hex => hex::decode(signature).ok(),
                    SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD
                        .decode(signature)
                        .ok(),
                }
                .ok_or(SignatureError::Mismatch)?;
                let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
                    .expect("HMAC takes a key of any length");
                mac.update(body);
                if let Some(name) = &self.timestamp_part {
                    let timestamp = parts
                        .iter()
                        .find_map(|part| {
                            part.strip_prefix(name.as_str())
                                .and_then(|rest| rest.strip_prefix('='))
                        })
                        .ok_or(SignatureError::Mismatch)?;
                    mac.update(timestamp.as_bytes());
                }
                mac.verify_slice(&claimed)
                    .map_err(|_| SignatureError::Mismatch)
            }
        }
    }
}

impl WebhookScheme {
    /// Reads what a verified delivery is about. `None` when no entry of `items` matches: a
    /// delivery about content the definition does not sync (another Strapi model, media).
    /// `delivery_header` is the value of the scheme's `delivery_header`, if sent.
    pub fn read(
        &self,
        definition: &Definition,
        delivery_header: Option<&str>,
        body: &[u8],
    ) -> Result<Option<WebhookDelivery>, DeliveryError> {
        let document: Value =
            serde_json::from_slice(body).map_err(|err| DeliveryError::NotJson(err.to_string()))?;
        let Some((index, item)) = self
            .items
            .iter()
            .map(Spanned::get_ref)
            .enumerate()
            .find(|(_, item)| item.applies_to(&document))
        else {
            return Ok(None);
        };
        // The definition's check ties every entry to a stream.
        let Some(stream) = definition.stream(&item.stream) else {
            return Ok(None);
        };
        let external_id = item
            .id
            .iter()
            .find_map(|pointer| pointer.text(&document))
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| DeliveryError::MissingId {
                index,
                stream: item.stream.clone(),
                pointers: item
                    .id
                    .iter()
                    .map(|pointer| format!("{:?}", pointer.as_str()))
                    .collect::<Vec<_>>()
                    .join(" or "),
            })?;
        let modified = item
            .modified
            .as_ref()
            .and_then(|pointer| pointer.find(&document).map(|value| (pointer, value)))
            .map(|(pointer, value)| {
                stream
                    .fields
                    .modified_format
                    .parse(value)
                    .map_err(|message| DeliveryError::BadModified {
                        pointer: pointer.as_str().to_owned(),
                        message,
                    })
            })
            .transpose()?;
        let delivery_id = match delivery_header.map(str::trim).filter(|id| !id.is_empty()) {
            Some(id) if id.chars().count() > 200 => {
                return Err(DeliveryError::LongDeliveryId(
                    self.delivery_header
                        .as_ref()
                        .map_or("delivery", |header| header.as_str())
                        .to_owned(),
                ));
            }
            Some(id) => id.to_owned(),
            None => format!("sha256:{}", hex::encode(Sha256::digest(body))),
        };
        let topic = self
            .event
            .as_ref()
            .and_then(|pointer| pointer.text(&document))
            .unwrap_or_else(|| item.stream.clone());
        Ok(Some(WebhookDelivery {
            delivery_id,
            topic,
            external_type: stream.external_type.clone(),
            external_id,
            modified,
        }))
    }
}

impl WebhookItem {
    fn applies_to(&self, document: &Value) -> bool {
        match &self.equals {
            None => self.matches.find(document).is_some(),
            Some(expected) => self.matches.text(document).as_deref() == Some(expected.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme(text: &str) -> WebhookScheme {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn ghost_signatures_cover_the_body_and_the_timestamp() {
        let ghost = scheme(
            r#"header = "X-Ghost-Signature"
               algorithm = "hmac_sha256"
               encoding = "hex"
               prefix = "sha256="
               timestamp_part = "t""#,
        );
        let body = br#"{"post":{"current":{"id":"1"}}}"#;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"secret").unwrap();
        mac.update(body);
        mac.update(b"1700000000000");
        let signed = format!(
            "sha256={}, t=1700000000000",
            hex::encode(mac.finalize().into_bytes())
        );
        assert_eq!(ghost.verify(b"secret", Some(&signed), body), Ok(()));
        assert_eq!(
            ghost.verify(b"other", Some(&signed), body),
            Err(SignatureError::Mismatch)
        );
        let replayed_later = signed.replace("t=1700000000000", "t=1700000000001");
        assert_eq!(
            ghost.verify(b"secret", Some(&replayed_later), body),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            ghost.verify(b"secret", None, body),
            Err(SignatureError::MissingHeader(_))
        ));
    }

    fn shipped(name: &str) -> Definition {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("connectors")
            .join(format!("{name}.toml"));
        Definition::load(&file).unwrap()
    }

    fn read(definition: &Definition, body: &str) -> Result<Option<WebhookDelivery>, DeliveryError> {
        let scheme = definition.webhook.as_ref().unwrap().get_ref();
        scheme.read(definition, None, body.as_bytes())
    }

    #[test]
    fn ghost_deliveries_name_the_post_or_page_also_when_deleted() {
        let ghost = shipped("ghost");
        let edited = r#"{"post":{"current":{"id":"65a00000000000000000000a","updated_at":"2026-03-01T10:00:00.000Z","title":"New"},"previous":{"updated_at":"2026-02-01T10:00:00.000Z","title":"Old"}}}"#;
        let delivery = read(&ghost, edited).unwrap().unwrap();
        assert_eq!(delivery.external_type, "post");
        assert_eq!(delivery.external_id, "65a00000000000000000000a");
        assert_eq!(
            delivery.modified,
            Some("2026-03-01T10:00:00Z".parse().unwrap())
        );
        assert_eq!(delivery.topic, "posts");
        assert_eq!(
            delivery.delivery_id,
            format!("sha256:{}", hex::encode(Sha256::digest(edited.as_bytes())))
        );

        let deleted = r#"{"page":{"current":{},"previous":{"id":"65a00000000000000000000b","updated_at":"2026-02-01T10:00:00.000Z"}}}"#;
        let delivery = read(&ghost, deleted).unwrap().unwrap();
        assert_eq!(
            (
                delivery.external_type.as_str(),
                delivery.external_id.as_str()
            ),
            ("page", "65a00000000000000000000b")
        );
        assert_eq!(
            delivery.modified, None,
            "a deleted item has no current time"
        );

        assert_eq!(
            read(&ghost, r#"{"member":{"current":{"id":"m1"}}}"#),
            Ok(None)
        );
        assert!(matches!(
            read(&ghost, r#"{"post":{"current":{},"previous":{}}}"#),
            Err(DeliveryError::MissingId { index: 0, .. })
        ));
        assert!(matches!(
            read(&ghost, "post=1"),
            Err(DeliveryError::NotJson(_))
        ));
    }

    #[test]
    fn strapi_deliveries_are_read_by_model_and_other_models_are_not_synced() {
        let strapi = shipped("strapi");
        let body = r#"{"event":"entry.update","createdAt":"2026-03-01T10:00:01.000Z","model":"article","uid":"api::article.article","entry":{"id":4,"documentId":"doc0004","updatedAt":"2026-03-01T10:00:00.000Z"}}"#;
        let delivery = read(&strapi, body).unwrap().unwrap();
        assert_eq!(
            (
                delivery.topic.as_str(),
                delivery.external_type.as_str(),
                delivery.external_id.as_str()
            ),
            ("entry.update", "article", "doc0004")
        );
        let category = body.replace(r#""model":"article""#, r#""model":"category""#);
        assert_eq!(read(&strapi, &category), Ok(None));
        let bad_time = body.replace("2026-03-01T10:00:00.000Z", "yesterday");
        assert!(matches!(
            read(&strapi, &bad_time),
            Err(DeliveryError::BadModified { .. })
        ));
    }

    #[test]
    fn a_delivery_header_is_the_id_when_the_cms_sends_one() {
        let mut strapi = shipped("strapi");
        let body = r#"{"event":"entry.delete","model":"article","entry":{"documentId":"doc1"}}"#;
        let scheme = strapi.webhook.as_mut().unwrap().get_mut();
        scheme.delivery_header = Some(HeaderName::try_from("X-Delivery".to_owned()).unwrap());
        let scheme = strapi.webhook.as_ref().unwrap().get_ref();
        let delivery = scheme
            .read(&strapi, Some(" d-17 "), body.as_bytes())
            .unwrap()
            .unwrap();
        assert_eq!(delivery.delivery_id, "d-17");
        let long = "x".repeat(201);
        assert!(matches!(
            scheme.read(&strapi, Some(&long), body.as_bytes()),
            Err(DeliveryError::LongDeliveryId(_))
        ));
    }

    #[test]
    fn shared_secrets_are_compared_whole() {
        let strapi = scheme(
            r#"header = "Authorization"
               algorithm = "shared_secret""#,
        );
        assert_eq!(
            strapi.verify(b"s3cret-value", Some("s3cret-value"), b"{}"),
            Ok(())
        );
        assert_eq!(
            strapi.verify(b"s3cret-value", Some("s3cret"), b"{}"),
            Err(SignatureError::Mismatch)
        );
    }
}
