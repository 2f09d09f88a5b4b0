//! The people of an account. Tokens made for a user carry at most the user's role and stop
//! working while the user is inactive.

use chrono::{DateTime, Utc};

use crate::domain::ids::{AccountId, TokenId, UserId};
use crate::domain::role::Role;
use crate::domain::user::Email;
use crate::store::{Page, Paged, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub account_id: AccountId,
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The constraint a second user with the same e-mail in one account violates.
pub const EMAIL_TAKEN: &str = "users_email_key";

const COLUMNS: &str = "id, account_id, email, name, role, is_active, created_at, updated_at";

/// What an update changes; `None` keeps the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChange {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

impl Store {
    /// Creates a user; an e-mail already used in the account is [`StoreError::Constraint`]
    /// naming [`EMAIL_TAKEN`].
    pub async fn create_user(
        &self,
        account: AccountId,
        email: &Email,
        name: &str,
        role: Role,
    ) -> Result<User, StoreError> {
        let user = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO users (account_id, email, name, role) VALUES ($1, $2, $3, $4)
             RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(email)
        .bind(name)
        .bind(role)
        .fetch_one(self.pool())
        .await?;
        Ok(user)
    }

    pub async fn user(&self, account: AccountId, id: UserId) -> Result<User, StoreError> {
        let user = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE account_id = $1 AND id = $2"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(user)
    }

    pub async fn users(&self, account: AccountId, page: Page) -> Result<Paged<User>, StoreError> {
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE account_id = $1 ORDER BY id LIMIT $2 OFFSET $3"
        )))
        .bind(account)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total = sqlx::query_scalar("SELECT count(*) FROM users WHERE account_id = $1")
            .bind(account)
            .fetch_one(self.pool())
            .await?;
        Ok(Paged { items, total })
    }

    /// Applies `change` and returns the user with the ids of its tokens, whose cached
    /// authentications no longer hold.
    pub async fn update_user(
        &self,
        account: AccountId,
        id: UserId,
        change: &UserChange,
    ) -> Result<(User, Vec<TokenId>), StoreError> {
        let mut tx = self.begin().await?;
        let user = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE users SET name = coalesce($3, name), role = coalesce($4, role),
                 is_active = coalesce($5, is_active)
             WHERE account_id = $1 AND id = $2 RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(&change.name)
        .bind(change.role)
        .bind(change.is_active)
        .fetch_one(&mut *tx)
        .await?;
        let tokens = sqlx::query_scalar(
            "SELECT id FROM api_tokens WHERE account_id = $1 AND user_id = $2 ORDER BY id",
        )
        .bind(account)
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((user, tokens))
    }
}
