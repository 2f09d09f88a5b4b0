//! How a definition's webhook deliveries are signed, and the check of one delivery on its raw
//! body in constant time. Ghost signs `sha256=<hex HMAC-SHA256(body + t)>, t=<ms>`; Strapi sends
//! a static header the site's owner chose, compared as a shared secret.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::connector::rest::definition::HeaderName;

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
