//! `/api/v1/tokens`: list, create and revoke the account's API tokens (owner or admin).

use axum::Json as ResponseJson;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::error::ApiError;
use crate::api::extract::{Json, Path, Query};
use crate::api::pagination::{PageOf, PageQuery};
use crate::api::responses::CommonErrors;
use crate::domain::ids::{TokenId, UserId};
use crate::domain::role::Role;
use crate::domain::token::TokenSecret;
use crate::store::StoreError;
use crate::store::tokens::Token;

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub id: TokenId,
    /// The user the token acts for; its role never exceeds the user's.
    pub user_id: Option<UserId>,
    pub name: String,
    /// The start of the token, to tell tokens apart; the token itself is shown only once.
    pub prefix: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<Token> for TokenView {
    fn from(token: Token) -> Self {
        TokenView {
            id: token.id,
            user_id: token.user_id,
            name: token.name,
            prefix: token.prefix,
            role: token.role,
            created_at: token.created_at,
            last_used_at: token.last_used_at,
            expires_at: token.expires_at,
            revoked_at: token.revoked_at,
        }
    }
}

/// The account's tokens, revoked ones included.
#[utoipa::path(get, path = "/tokens", tag = "tokens", params(PageQuery),
    responses((status = 200, body = PageOf<TokenView>), CommonErrors))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<PageQuery>,
) -> Result<ResponseJson<PageOf<TokenView>>, ApiError> {
    principal.require(Role::Admin)?;
    let page = query.page()?;
    let tokens = state.store.tokens(principal.account_id, page).await?;
    Ok(ResponseJson(PageOf::new(page, tokens, TokenView::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// At most the caller's own role, and with `user_id`, at most that user's role.
    role: Role,
    /// Make the token act for this user: it follows the user's role and stops working while
    /// the user is inactive, and it sees the sites granted to the user.
    user_id: Option<UserId>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub token: TokenView,
    /// The bearer token. Shown only in this response; store it now.
    pub secret: String,
}

/// Creates a token with at most the caller's role.
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = CreateToken,
    responses((status = 201, body = CreatedToken), CommonErrors))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<CreateToken>,
) -> Result<(StatusCode, ResponseJson<CreatedToken>), ApiError> {
    principal.require(Role::Admin)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "expected 1 to 100 characters"));
    }
    if !principal.role.at_least(body.role) {
        return Err(ApiError::Forbidden {
            required: body.role.as_str(),
        });
    }
    let secret = TokenSecret::generate(principal.account_id);
    let token = match body.user_id {
        None => state.store.create_token(&secret, name, body.role).await?,
        Some(user_id) => {
            let user = state
                .store
                .user(principal.account_id, user_id)
                .await
                .map_err(|err| match err {
                    StoreError::NotFound => {
                        ApiError::invalid("user_id", "no user with this id in the account")
                    }
                    other => other.into(),
                })?;
            if !user.role.at_least(body.role) {
                return Err(ApiError::invalid(
                    "role",
                    format!("expected at most the user's role, {}", user.role),
                ));
            }
            state
                .store
                .create_user_token(&secret, name, body.role, user_id)
                .await?
        }
    };
    Ok((
        StatusCode::CREATED,
        ResponseJson(CreatedToken {
            token: token.into(),
            secret: secret.reveal().to_owned(),
        }),
    ))
}

/// Revokes a token at once; it stays listed with its revocation time.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), CommonErrors))]
pub async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<TokenId>,
) -> Result<StatusCode, ApiError> {
    principal.require(Role::Admin)?;
    state.store.revoke_token(principal.account_id, id).await?;
    state.token_cache.forget(id);
    Ok(StatusCode::NO_CONTENT)
}
