//! `/api/v1/users`: the people of the account (owner or admin). Nobody gives a role above
//! their own, or changes someone whose role is above their own.

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
use crate::domain::ids::UserId;
use crate::domain::role::Role;
use crate::domain::user::Email;
use crate::store::StoreError;
use crate::store::users::{EMAIL_TAKEN, User, UserChange};

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub email: Email,
    pub name: String,
    pub role: Role,
    /// An inactive user's tokens do not authenticate.
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            id: user.id,
            email: user.email,
            name: user.name,
            role: user.role,
            is_active: user.is_active,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// The account's users, inactive ones included.
#[utoipa::path(get, path = "/users", tag = "users", params(PageQuery),
    responses((status = 200, body = PageOf<UserView>), CommonErrors))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<PageQuery>,
) -> Result<ResponseJson<PageOf<UserView>>, ApiError> {
    principal.require(Role::Admin)?;
    let page = query.page()?;
    let users = state.store.users(principal.account_id, page).await?;
    Ok(ResponseJson(PageOf::new(page, users, UserView::from)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Unique in the account, compared case-insensitively.
    #[schema(value_type = String, format = "email", max_length = 254)]
    email: Email,
    /// Up to 100 characters.
    #[serde(default)]
    #[schema(max_length = 100)]
    name: String,
    /// At most the caller's own role.
    role: Role,
}

fn checked_name(name: &str) -> Result<&str, ApiError> {
    let name = name.trim();
    if name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "expected at most 100 characters"));
    }
    Ok(name)
}

fn may_give(principal: &Principal, role: Role) -> Result<(), ApiError> {
    if principal.role.at_least(role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            required: role.as_str(),
        })
    }
}

/// Adds a person to the account. Tokens are made for them with `POST /tokens` and `user_id`.
#[utoipa::path(post, path = "/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = UserView), CommonErrors))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<CreateUser>,
) -> Result<(StatusCode, ResponseJson<UserView>), ApiError> {
    principal.require(Role::Admin)?;
    let name = checked_name(&body.name)?;
    may_give(&principal, body.role)?;
    let user = state
        .store
        .create_user(principal.account_id, &body.email, name, body.role)
        .await
        .map_err(|err| match err {
            StoreError::Constraint { constraint } if constraint == EMAIL_TAKEN => {
                ApiError::Conflict {
                    code: "email_taken",
                    message: format!("a user with e-mail {} already exists", body.email),
                }
            }
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, ResponseJson(user.into())))
}

/// One user of the account.
#[utoipa::path(get, path = "/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = UserView), CommonErrors))]
pub async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<UserId>,
) -> Result<ResponseJson<UserView>, ApiError> {
    principal.require(Role::Admin)?;
    let user = state.store.user(principal.account_id, id).await?;
    Ok(ResponseJson(user.into()))
}

/// Only the fields given change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(max_length = 100)]
    name: Option<String>,
    /// At most the caller's own role.
    role: Option<Role>,
    /// `false` stops the user's tokens at once; `true` lets them work again.
    is_active: Option<bool>,
}

/// Renames, changes the role of, deactivates or reactivates a user. The user's tokens follow
/// at once: never above the user's role, and only while the user is active.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", request_body = UpdateUser,
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = UserView), CommonErrors))]
pub async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<UserId>,
    Json(body): Json<UpdateUser>,
) -> Result<ResponseJson<UserView>, ApiError> {
    principal.require(Role::Admin)?;
    let name = body.name.as_deref().map(checked_name).transpose()?;
    let current = state.store.user(principal.account_id, id).await?;
    may_give(&principal, current.role)?;
    if let Some(role) = body.role {
        may_give(&principal, role)?;
    }
    let change = UserChange {
        name: name.map(str::to_owned),
        role: body.role,
        is_active: body.is_active,
    };
    let (user, tokens) = state
        .store
        .update_user(principal.account_id, id, &change)
        .await?;
    for token in tokens {
        state.token_cache.forget(token);
    }
    Ok(ResponseJson(user.into()))
}
