//! Request extractors whose every rejection is an [`ApiError`] naming what was wrong: the JSON
//! field, the query parameter, the path segment or the header.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::api::error::ApiError;
use crate::domain::credits::IdempotencyKey;

/// A JSON body. Malformed JSON is 400 with its line and column; a value of the wrong type, a
/// missing or an unknown field is 422 naming the field; an oversize body is 413.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(&request) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = body(request, state).await?;
        parse_json(&bytes).map(Json)
    }
}

/// A JSON body that may be left out: an empty body is `None`, anything else is read as
/// [`Json`] reads it.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let json = is_json(&request);
        // Read first: whether a body is present is only known once it is read.
        let bytes = body(request, state).await?;
        if bytes.is_empty() {
            return Ok(OptionalJson(None));
        }
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        parse_json(&bytes).map(|value| OptionalJson(Some(value)))
    }
}

fn is_json(request: &Request) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        })
        .unwrap_or(false)
}

async fn body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest {
                    code: "unreadable_body",
                    message: rejection.body_text(),
                    details: json!({}),
                }
            }
        })
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|err| ApiError::BadRequest {
        code: "malformed_json",
        message: format!("the body is not valid JSON: {err}"),
        details: json!({ "line": err.line(), "column": err.column() }),
    })?;
    // PostgreSQL text cannot hold NUL, so it is refused here rather than failing at the store.
    if let Some(field) = nul_at(&value, "") {
        return Err(ApiError::invalid(
            field,
            "text may not contain NUL characters",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let field = field_of(&err.path().to_string(), &err.inner().to_string());
        ApiError::invalid(field, err.into_inner().to_string())
    })
}

/// The path of the first string or key holding a NUL character.
fn nul_at(value: &Value, path: &str) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(text) if text.contains('\0') => Some(path.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(n, item)| nul_at(item, &format!("{path}[{n}]"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                Some(join(key))
            } else {
                nul_at(item, &join(key))
            }
        }),
        _ => None,
    }
}

/// The dotted path of the offending field. serde reports a missing field at its parent,
/// naming the field only in the message; it is appended here.
fn field_of(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (parent, missing) {
        ("", Some(name)) => name.to_owned(),
        (parent, Some(name)) => format!("{parent}.{name}"),
        (parent, None) => parent.to_owned(),
    }
}

/// Query parameters; a bad value is 422 naming the parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Query)
            .map_err(|err| {
                let field = field_of(&err.path().to_string(), &err.inner().to_string());
                ApiError::invalid(field, err.into_inner().to_string())
            })
    }
}

/// Path parameters; a segment of the wrong shape is 400.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|rejection| ApiError::BadRequest {
                code: "invalid_path",
                message: rejection.body_text(),
                details: json!({}),
            })
    }
}

/// The `Idempotency-Key` header, required on calls that move credits.
pub struct RequiredIdempotencyKey(pub IdempotencyKey);

impl<S: Send + Sync> FromRequestParts<S> for RequiredIdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        match idempotency_key(parts)? {
            Some(key) => Ok(RequiredIdempotencyKey(key)),
            None => Err(ApiError::BadRequest {
                code: "idempotency_key_required",
                message: "this request moves credits and needs an Idempotency-Key header"
                    .to_owned(),
                details: json!({ "header": "Idempotency-Key" }),
            }),
        }
    }
}

/// The `Idempotency-Key` header where it is optional: calls that charge only for a change,
/// which a repeat does not make, but may still be named so a retry reuses the same hold.
pub struct OptionalIdempotencyKey(pub Option<IdempotencyKey>);

impl<S: Send + Sync> FromRequestParts<S> for OptionalIdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(OptionalIdempotencyKey(idempotency_key(parts)?))
    }
}

fn idempotency_key(parts: &Parts) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = parts.headers.get("idempotency-key") else {
        return Ok(None);
    };
    value
        .to_str()
        .map_err(|_| "expected printable ASCII".to_owned())
        .and_then(IdempotencyKey::parse)
        .map(Some)
        .map_err(|problem| ApiError::BadRequest {
            code: "invalid_idempotency_key",
            message: format!("the Idempotency-Key header is not usable: {problem}"),
            details: json!({ "header": "Idempotency-Key" }),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        amount: i64,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        flag: bool,
    }

    fn field(body: &str) -> String {
        match parse_json::<Body>(body.as_bytes()) {
            Err(ApiError::Invalid { field, .. }) => field,
            other => panic!("expected a field error for {body}, got {other:?}"),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(field(r#"{"amount": "ten"}"#), "amount");
        assert_eq!(field(r#"{"amount": 1, "colour": 2}"#), "colour");
        assert_eq!(field(r#"{}"#), "amount");
        assert_eq!(
            field(r#"{"amount": 1, "inner": {"flag": 3}}"#),
            "inner.flag"
        );
        assert_eq!(
            field(r#"{"amount": 1, "inner": {"flag": true, "x": 1}}"#),
            "inner.x"
        );
    }

    #[test]
    fn nul_characters_are_refused_by_field() {
        let body = r#"{"amount": 1, "inner": {"flag": true}, "x": {"a\u0000": 1}}"#;
        assert!(matches!(
            parse_json::<Value>(body.as_bytes()),
            Err(ApiError::Invalid { field, .. }) if field == "x.a\u{0}"
        ));
        let body = r#"{"amount": 1, "list": ["ok", "no\u0000"]}"#;
        assert!(matches!(
            parse_json::<Value>(body.as_bytes()),
            Err(ApiError::Invalid { field, .. }) if field == "list[1]"
        ));
    }

    #[test]
    fn malformed_json_is_a_bad_request_with_position() {
        for body in [r#"{"amount": "#, "not json", r#"{"amount": 1} trailing"#] {
            match parse_json::<Body>(body.as_bytes()) {
                Err(ApiError::BadRequest { code, details, .. }) => {
                    assert_eq!(code, "malformed_json");
                    assert!(details["line"].is_u64(), "{details}");
                }
                other => panic!("expected malformed_json for {body}, got {other:?}"),
            }
        }
    }
}
