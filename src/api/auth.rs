//! Who is calling: the bearer token is looked up and becomes a [`Principal`] in the request's
//! extensions; handlers take it as an argument and check the role they need.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::api::AppState;
use crate::api::error::ApiError;
use crate::domain::ids::{AccountId, TokenId};
use crate::domain::role::Role;
use crate::domain::token::TokenSecret;
use crate::jobs::handler::error_chain;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: AccountId,
    pub token_id: TokenId,
    pub role: Role,
}

impl Principal {
    /// Fails with 403 unless the caller's role is at least `required`.
    pub fn require(&self, required: Role) -> Result<(), ApiError> {
        if self.role.at_least(required) {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                required: required.as_str(),
            })
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}

/// Tokens are marked used at most this often.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// Authenticates every request of the routes it wraps. A request without a valid token is
/// counted against its peer address's quota and answered 401 (or 429 once over it).
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let secret = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| TokenSecret::parse(token.trim()));
    let Some(secret) = secret else {
        return unauthenticated(&state, &request);
    };
    let hash = secret.hash();
    if let Some(principal) = state.token_cache.get(&hash) {
        request.extensions_mut().insert(principal);
        return next.run(request).await;
    }
    let token = match state.store.authenticate(&secret).await {
        Ok(Some(token)) => token,
        Ok(None) => return unauthenticated(&state, &request),
        Err(err) => return ApiError::from(err).into_response(),
    };
    // Marking the token used happens on lookups only, so at most once per cache lifetime.
    if token
        .last_used_at
        .is_none_or(|used| Utc::now() - used > TOUCH_EVERY)
        && let Err(err) = state.store.touch_token(token.account_id, token.id).await
    {
        tracing::warn!(error = %error_chain(&err), "Could not record a token's use.");
    }
    let principal = Principal {
        account_id: token.account_id,
        token_id: token.id,
        role: token.role,
    };
    state.token_cache.put(hash, principal.clone());
    request.extensions_mut().insert(principal);
    next.run(request).await
}

/// A request without a valid token: counted against its peer address's quota, then 401.
fn unauthenticated(state: &AppState, request: &Request) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    match state.rate_limits.check_address(peer) {
        Ok(()) => ApiError::Unauthorized.into_response(),
        Err(limited) => limited.into_response(),
    }
}
