//! `/api/v1/sites/{id}/grants`: which editors and viewers may see a site, and whether they may
//! edit it (owner or admin). Owners and admins see every site and need no grant.

use axum::Json as ResponseJson;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::auth::Principal;
use crate::api::error::ApiError;
use crate::api::extract::{Json, Path};
use crate::api::responses::CommonErrors;
use crate::domain::ids::{GrantId, SiteId, TokenId, UserId};
use crate::domain::role::Role;
use crate::domain::user::SiteAccess;
use crate::store::StoreError;
use crate::store::site_grants::{Grantee, SiteGrant, TOKEN_UNKNOWN, USER_UNKNOWN};
use crate::store::sites::SiteScope;

#[derive(Serialize, ToSchema)]
pub struct GrantView {
    pub id: GrantId,
    pub site_id: SiteId,
    /// Set when the grant is for a user (and so every token of that user).
    pub user_id: Option<UserId>,
    /// Set when the grant is for one token.
    pub token_id: Option<TokenId>,
    pub access: SiteAccess,
    pub created_at: DateTime<Utc>,
}

impl From<SiteGrant> for GrantView {
    fn from(grant: SiteGrant) -> Self {
        GrantView {
            id: grant.id,
            site_id: grant.site_id,
            user_id: grant.user_id,
            token_id: grant.api_token_id,
            access: grant.access,
            created_at: grant.created_at,
        }
    }
}

/// The grants of a site.
#[utoipa::path(get, path = "/sites/{id}/grants", tag = "sites",
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 200, body = Vec<GrantView>), CommonErrors))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(site): Path<SiteId>,
) -> Result<ResponseJson<Vec<GrantView>>, ApiError> {
    principal.require(Role::Admin)?;
    let account = principal.account_id;
    state
        .store
        .site_in_scope(SiteScope::Account(account), site)
        .await?;
    let grants = state.store.site_grants(account, site).await?;
    Ok(ResponseJson(
        grants.into_iter().map(GrantView::from).collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrant {
    /// The user to grant; give this or `token_id`.
    user_id: Option<UserId>,
    /// The token to grant; give this or `user_id`.
    token_id: Option<TokenId>,
    /// `edit` unless given. The effective right is the lower of this and the grantee's role.
    access: Option<SiteAccess>,
}

/// Grants a user or a token access to the site; granting again changes the level.
#[utoipa::path(post, path = "/sites/{id}/grants", tag = "sites", request_body = CreateGrant,
    params(("id" = i64, Path, description = "Site id")),
    responses((status = 201, body = GrantView), CommonErrors))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Path(site): Path<SiteId>,
    Json(body): Json<CreateGrant>,
) -> Result<(StatusCode, ResponseJson<GrantView>), ApiError> {
    principal.require(Role::Admin)?;
    let grantee = match (body.user_id, body.token_id) {
        (Some(user), None) => Grantee::User(user),
        (None, Some(token)) => Grantee::Token(token),
        _ => {
            return Err(ApiError::invalid(
                "user_id",
                "expected exactly one of user_id and token_id",
            ));
        }
    };
    let access = body.access.unwrap_or(SiteAccess::Edit);
    let grant = state
        .store
        .grant_site(principal.account_id, site, grantee, access)
        .await
        .map_err(|err| match err {
            StoreError::Constraint { constraint } if constraint == USER_UNKNOWN => {
                ApiError::invalid("user_id", "no user with this id in the account")
            }
            StoreError::Constraint { constraint } if constraint == TOKEN_UNKNOWN => {
                ApiError::invalid("token_id", "no token with this id in the account")
            }
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, ResponseJson(grant.into())))
}

/// Removes a grant; the grantee stops seeing the site at once.
#[utoipa::path(delete, path = "/sites/{id}/grants/{grant_id}", tag = "sites",
    params(("id" = i64, Path, description = "Site id"),
           ("grant_id" = i64, Path, description = "Grant id")),
    responses((status = 204, description = "Removed"), CommonErrors))]
pub async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    Path((site, grant)): Path<(SiteId, GrantId)>,
) -> Result<StatusCode, ApiError> {
    principal.require(Role::Admin)?;
    state
        .store
        .revoke_grant(principal.account_id, site, grant)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
