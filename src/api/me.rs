//! `GET /api/v1/me`: the calling token and its account.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::error::ApiError;
use crate::api::responses::CommonErrors;
use crate::api::tokens::TokenView;
use crate::domain::ids::AccountId;
use crate::store::accounts::Account;

#[derive(Serialize, ToSchema)]
pub struct AccountView {
    pub id: AccountId,
    pub name: String,
    pub plan: Option<String>,
    pub status: String,
    pub timezone: String,
    pub created_at: DateTime<Utc>,
}

impl From<Account> for AccountView {
    fn from(account: Account) -> Self {
        AccountView {
            id: account.id,
            name: account.name,
            plan: account.plan,
            status: account.status,
            timezone: account.timezone,
            created_at: account.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MeView {
    pub account: AccountView,
    pub token: TokenView,
}

/// The calling token and its account.
#[utoipa::path(get, path = "/me", tag = "account",
    responses((status = 200, body = MeView), CommonErrors))]
pub async fn me(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<MeView>, ApiError> {
    let account = state.store.account(principal.account_id).await?;
    let token = state
        .store
        .token(principal.account_id, principal.token_id)
        .await?;
    let mut token = TokenView::from(token);
    // A user's token acts with at most the user's current role; show what it acts with.
    token.role = principal.role;
    Ok(Json(MeView {
        account: account.into(),
        token,
    }))
}
