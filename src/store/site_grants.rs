//! Site access grants: which sites an editor or viewer may see, and whether it may edit them.
//! A grant names a user (and so every token of that user) or a single token, because tokens
//! made from the CLI belong to no user.

use chrono::{DateTime, Utc};

use crate::domain::ids::{AccountId, GrantId, SiteId, TokenId, UserId};
use crate::domain::user::SiteAccess;
use crate::store::{Store, StoreError};

/// Who a grant is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grantee {
    User(UserId),
    Token(TokenId),
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SiteGrant {
    pub id: GrantId,
    pub site_id: SiteId,
    pub user_id: Option<UserId>,
    pub api_token_id: Option<TokenId>,
    pub access: SiteAccess,
    pub created_at: DateTime<Utc>,
}

/// The constraints a grant violates when its site, user or token is not the account's.
pub const SITE_UNKNOWN: &str = "site_user_access_site_fkey";
pub const USER_UNKNOWN: &str = "site_user_access_user_fkey";
pub const TOKEN_UNKNOWN: &str = "site_user_access_api_token_fkey";

const COLUMNS: &str = "id, site_id, user_id, api_token_id, access, created_at";

impl Store {
    /// Grants `grantee` `access` to a site; granting again changes the level of the existing
    /// grant. An unknown site, user or token is [`StoreError::Constraint`] naming
    /// [`SITE_UNKNOWN`], [`USER_UNKNOWN`] or [`TOKEN_UNKNOWN`].
    pub async fn grant_site(
        &self,
        account: AccountId,
        site: SiteId,
        grantee: Grantee,
        access: SiteAccess,
    ) -> Result<SiteGrant, StoreError> {
        let (user, token, target) = match grantee {
            Grantee::User(user) => (Some(user), None, "(account_id, site_id, user_id)"),
            Grantee::Token(token) => (None, Some(token), "(account_id, site_id, api_token_id)"),
        };
        let grant = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO site_user_access (account_id, site_id, user_id, api_token_id, access)
             SELECT $1, s.id, $3, $4, $5 FROM sites s
             WHERE s.account_id = $1 AND s.id = $2 AND s.deleted_at IS NULL
             ON CONFLICT {target} DO UPDATE SET access = EXCLUDED.access
             RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(site)
        .bind(user)
        .bind(token)
        .bind(access)
        .fetch_one(self.pool())
        .await?;
        Ok(grant)
    }

    /// The grants of one site, oldest first.
    pub async fn site_grants(
        &self,
        account: AccountId,
        site: SiteId,
    ) -> Result<Vec<SiteGrant>, StoreError> {
        let grants = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM site_user_access
             WHERE account_id = $1 AND site_id = $2 ORDER BY id"
        )))
        .bind(account)
        .bind(site)
        .fetch_all(self.pool())
        .await?;
        Ok(grants)
    }

    /// Removes a grant of a site; the grantee stops seeing the site at once.
    pub async fn revoke_grant(
        &self,
        account: AccountId,
        site: SiteId,
        id: GrantId,
    ) -> Result<SiteGrant, StoreError> {
        let grant = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "DELETE FROM site_user_access WHERE account_id = $1 AND site_id = $2 AND id = $3
             RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(site)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(grant)
    }

    /// The site a grant belongs to, for the operator's CLI, which names grants by id.
    pub async fn grant_site_id(
        &self,
        account: AccountId,
        id: GrantId,
    ) -> Result<SiteId, StoreError> {
        let site = sqlx::query_scalar(
            "SELECT site_id FROM site_user_access WHERE account_id = $1 AND id = $2",
        )
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(site)
    }
}
