//! Error responses every authenticated route can give, for the API description.

use utoipa::IntoResponses;

use crate::api::error::ErrorBody;

/// The errors any authenticated route may answer with.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum CommonErrors {
    /// The request could not be read (malformed JSON, bad header or path).
    #[response(status = 400)]
    BadRequest(#[to_schema] ErrorBody),
    /// No valid bearer token.
    #[response(status = 401)]
    Unauthorized(#[to_schema] ErrorBody),
    /// The token's role is too low, or the module is disabled.
    #[response(status = 403)]
    Forbidden(#[to_schema] ErrorBody),
    /// No such object in this account.
    #[response(status = 404)]
    NotFound(#[to_schema] ErrorBody),
    /// The body is too large.
    #[response(status = 413)]
    PayloadTooLarge(#[to_schema] ErrorBody),
    /// The body is not JSON.
    #[response(status = 415)]
    UnsupportedMediaType(#[to_schema] ErrorBody),
    /// A field's value is not acceptable; `details.field` names it.
    #[response(status = 422)]
    Invalid(#[to_schema] ErrorBody),
    /// Over the rate limit; see `Retry-After`.
    #[response(status = 429)]
    RateLimited(#[to_schema] ErrorBody),
}
