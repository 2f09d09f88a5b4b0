//! API tokens: only their SHA-256 is stored.

use chrono::{DateTime, Utc};

use crate::domain::ids::{AccountId, TokenId, UserId};
use crate::domain::role::Role;
use crate::domain::token::TokenSecret;
use crate::store::{Page, Paged, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Token {
    pub id: TokenId,
    pub account_id: AccountId,
    /// The user the token acts for; `None` for tokens made from the CLI.
    pub user_id: Option<UserId>,
    pub name: String,
    pub prefix: String,
    /// For a user's token, at most the user's current role.
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, account_id, user_id, name, prefix, role, created_at, last_used_at, \
     expires_at, revoked_at";

impl Store {
    pub async fn create_token(
        &self,
        secret: &TokenSecret,
        name: &str,
        role: Role,
    ) -> Result<Token, StoreError> {
        let token = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO api_tokens (account_id, name, prefix, token_hash, role)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING {COLUMNS}"
        )))
        .bind(secret.account_id())
        .bind(name)
        .bind(secret.display_prefix())
        .bind(secret.hash())
        .bind(role)
        .fetch_one(self.pool())
        .await?;
        Ok(token)
    }

    /// A token acting for `user`, with at most the user's role (the caller checks that); a
    /// user that is not the account's is [`StoreError::NotFound`].
    pub async fn create_user_token(
        &self,
        secret: &TokenSecret,
        name: &str,
        role: Role,
        user: UserId,
    ) -> Result<Token, StoreError> {
        let token = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO api_tokens (account_id, user_id, name, prefix, token_hash, role)
             SELECT $1, u.id, $2, $3, $4, $5 FROM users u WHERE u.account_id = $1 AND u.id = $6
             RETURNING {COLUMNS}"
        )))
        .bind(secret.account_id())
        .bind(name)
        .bind(secret.display_prefix())
        .bind(secret.hash())
        .bind(role)
        .bind(user)
        .fetch_one(self.pool())
        .await?;
        Ok(token)
    }

    /// The live token matching `secret` on an active account, if any. A user's token works
    /// only while the user is active, and with at most the user's current role, so demoting
    /// or deactivating a person takes effect on every token made for them.
    pub async fn authenticate(&self, secret: &TokenSecret) -> Result<Option<Token>, StoreError> {
        let token = sqlx::query_as(
            "SELECT t.id, t.account_id, t.user_id, t.name, t.prefix,
                    CASE WHEN u.id IS NOT NULL
                          AND array_position(ARRAY['viewer', 'editor', 'admin', 'owner'], u.role)
                            < array_position(ARRAY['viewer', 'editor', 'admin', 'owner'], t.role)
                         THEN u.role ELSE t.role END AS role,
                    t.created_at, t.last_used_at, t.expires_at, t.revoked_at
             FROM api_tokens t JOIN accounts a ON a.id = t.account_id
             LEFT JOIN users u ON u.account_id = t.account_id AND u.id = t.user_id
             WHERE t.account_id = $1 AND t.token_hash = $2 AND t.revoked_at IS NULL
               AND (t.expires_at IS NULL OR t.expires_at > now()) AND a.status = 'active'
               AND (t.user_id IS NULL OR u.is_active)",
        )
        .bind(secret.account_id())
        .bind(secret.hash())
        .fetch_optional(self.pool())
        .await?;
        Ok(token)
    }

    pub async fn token(&self, account: AccountId, id: TokenId) -> Result<Token, StoreError> {
        let token = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE account_id = $1 AND id = $2"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(token)
    }

    /// Records a use, at most once a minute per token, so reads do not all become writes.
    pub async fn touch_token(&self, account: AccountId, id: TokenId) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = now()
             WHERE account_id = $1 AND id = $2
               AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
        )
        .bind(account)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn tokens(&self, account: AccountId, page: Page) -> Result<Paged<Token>, StoreError> {
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE account_id = $1
             ORDER BY id LIMIT $2 OFFSET $3"
        )))
        .bind(account)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total = sqlx::query_scalar("SELECT count(*) FROM api_tokens WHERE account_id = $1")
            .bind(account)
            .fetch_one(self.pool())
            .await?;
        Ok(Paged { items, total })
    }

    /// Revokes a token of `account`; revoking twice keeps the first time.
    pub async fn revoke_token(&self, account: AccountId, id: TokenId) -> Result<Token, StoreError> {
        let token = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
             WHERE account_id = $1 AND id = $2
             RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(token)
    }

    /// The account a token id belongs to, for the operator's CLI, which names tokens by id
    /// alone.
    pub async fn token_account(&self, id: TokenId) -> Result<AccountId, StoreError> {
        let account = sqlx::query_scalar("SELECT account_id FROM api_tokens WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        Ok(account)
    }
}
