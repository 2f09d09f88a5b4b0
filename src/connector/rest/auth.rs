//! Signing requests in with the site's API key, as the definition's `auth` says. Ghost's Admin
//! API takes a fresh HS256 JWT per request: `kid` is the key's id, the secret is the key's
//! hex-decoded second half, the audience `/admin/`, and the token lives five minutes.

use std::fmt;

use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::RequestBuilder;
use reqwest::header::AUTHORIZATION;
use serde::{Deserialize, Serialize};

use crate::connector::rest::definition::Auth;

/// How long a Ghost token lives: Ghost refuses tokens valid for more than five minutes.
pub const GHOST_TOKEN_SECONDS: i64 = 300;

/// The site's key, read for the definition's kind of auth. Never printed.
#[derive(Clone)]
pub enum Credential {
    Bearer(String),
    Basic { user: String, password: String },
    Header { name: String, value: String },
    GhostAdmin { id: String, secret: Vec<u8> },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Credential::Bearer(_) => "Bearer",
            Credential::Basic { .. } => "Basic",
            Credential::Header { .. } => "Header",
            Credential::GhostAdmin { .. } => "GhostAdmin",
        };
        write!(f, "Credential::{kind}(..)")
    }
}

/// The claims of a Ghost Admin API token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GhostClaims {
    pub iat: i64,
    pub exp: i64,
    pub aud: String,
}

impl Credential {
    /// The key `api_key` read as `auth` expects it; the message names what was expected.
    pub fn new(auth: &Auth, api_key: &str) -> Result<Credential, String> {
        let api_key = api_key.trim();
        if api_key.is_empty() {
            return Err("the api_key is empty".to_owned());
        }
        Ok(match auth {
            Auth::Bearer => Credential::Bearer(api_key.to_owned()),
            Auth::Basic => {
                let (user, password) = api_key
                    .split_once(':')
                    .ok_or("basic auth needs the api_key as user:password")?;
                Credential::Basic {
                    user: user.to_owned(),
                    password: password.to_owned(),
                }
            }
            Auth::Header { header } => Credential::Header {
                name: header.as_str().to_owned(),
                value: api_key.to_owned(),
            },
            Auth::GhostAdminJwt => {
                let (id, secret) = api_key
                    .split_once(':')
                    .filter(|(id, secret)| !id.is_empty() && !secret.is_empty())
                    .ok_or("a Ghost Admin API key is id:secret")?;
                let secret = hex::decode(secret)
                    .map_err(|_| "the secret of a Ghost Admin API key is hexadecimal")?;
                Credential::GhostAdmin {
                    id: id.to_owned(),
                    secret,
                }
            }
        })
    }

    /// `request` carrying the credential, as of `now`.
    pub fn sign(&self, request: RequestBuilder, now: DateTime<Utc>) -> RequestBuilder {
        match self {
            Credential::Bearer(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
            Credential::Basic { user, password } => {
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                request.header(AUTHORIZATION, format!("Basic {encoded}"))
            }
            Credential::Header { name, value } => request.header(name.as_str(), value.as_str()),
            Credential::GhostAdmin { id, secret } => request.header(
                AUTHORIZATION,
                format!("Ghost {}", ghost_token(id, secret, now)),
            ),
        }
    }
}

/// A Ghost Admin API token issued at `now`.
pub fn ghost_token(id: &str, secret: &[u8], now: DateTime<Utc>) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(id.to_owned());
    let claims = GhostClaims {
        iat: now.timestamp(),
        exp: now.timestamp() + GHOST_TOKEN_SECONDS,
        aud: "/admin/".to_owned(),
    };
    // HMAC takes a key of any length and the claims are plain numbers and text, so signing
    // cannot fail.
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret))
        .expect("an HS256 token over fixed claims is always signed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};

    #[test]
    fn ghost_tokens_name_the_key_and_live_at_most_five_minutes() {
        let secret_hex = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
        let credential = Credential::new(
            &Auth::GhostAdminJwt,
            &format!("6489d1c5f0e7a1000140fa1b:{secret_hex}"),
        )
        .unwrap();
        let Credential::GhostAdmin { id, secret } = &credential else {
            panic!("expected a Ghost key, got {credential:?}");
        };
        assert_eq!(secret, &hex::decode(secret_hex).unwrap());
        let now = Utc::now();
        let token = ghost_token(id, secret, now);

        let header = decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
        assert_eq!(header.kid.as_deref(), Some("6489d1c5f0e7a1000140fa1b"));
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&["/admin/"]);
        let decoded = decode::<GhostClaims>(
            &token,
            &DecodingKey::from_secret(&hex::decode(secret_hex).unwrap()),
            &validation,
        )
        .unwrap()
        .claims;
        assert_eq!(decoded.aud, "/admin/");
        assert_eq!(decoded.iat, now.timestamp());
        assert!(decoded.exp > decoded.iat && decoded.exp - decoded.iat <= 300);
        // Signed with the hex-decoded secret, not its text.
        assert!(
            decode::<GhostClaims>(
                &token,
                &DecodingKey::from_secret(secret_hex.as_bytes()),
                &validation
            )
            .is_err()
        );
    }

    #[test]
    fn keys_are_read_for_their_kind_of_auth() {
        assert!(Credential::new(&Auth::GhostAdminJwt, "no-colon").is_err());
        assert!(Credential::new(&Auth::GhostAdminJwt, "id:not-hex").is_err());
        assert!(Credential::new(&Auth::Basic, "just-a-token").is_err());
        assert!(Credential::new(&Auth::Bearer, "  ").is_err());
        assert!(matches!(
            Credential::new(&Auth::Bearer, "tok"),
            Ok(Credential::Bearer(token)) if token == "tok"
        ));
    }
}
