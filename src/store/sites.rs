//! Sites: the CMSs connected to an account, with their connector settings and what the last
//! probe found.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::ids::{AccountId, SiteId};
use crate::domain::site::{ConnectorKind, PushPolicy, SiteName};
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Site {
    pub account_id: AccountId,
    pub id: SiteId,
    pub name: SiteName,
    pub connector: ConnectorKind,
    pub base_url: Option<String>,
    pub credentials_ref: Option<String>,
    pub settings: Value,
    pub capabilities: Value,
    pub schedule: Option<String>,
    pub push_policy: PushPolicy,
    pub link_enabled: bool,
    pub config_managed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A site as the config file or the API describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSpec {
    pub name: SiteName,
    pub connector: ConnectorKind,
    pub base_url: Option<String>,
    pub credentials_ref: Option<String>,
    pub settings: Value,
    pub schedule: Option<String>,
    pub push_policy: PushPolicy,
    pub link_enabled: bool,
}

const COLUMNS: &str = "account_id, id, name, connector, base_url, credentials_ref, settings, \
    capabilities, schedule, push_policy, link_enabled, config_managed, created_at, updated_at";

impl Store {
    /// Creates a site, or brings the live site of that name up to `spec`. `config_managed`
    /// marks sites the config file owns.
    pub async fn upsert_site(
        &self,
        account: AccountId,
        spec: &SiteSpec,
        config_managed: bool,
    ) -> Result<Site, StoreError> {
        let site = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO sites (account_id, name, connector, base_url, credentials_ref, settings, \
                 schedule, push_policy, link_enabled, config_managed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (account_id, name) WHERE deleted_at IS NULL DO UPDATE SET \
                 connector = EXCLUDED.connector, base_url = EXCLUDED.base_url, \
                 credentials_ref = EXCLUDED.credentials_ref, settings = EXCLUDED.settings, \
                 schedule = EXCLUDED.schedule, push_policy = EXCLUDED.push_policy, \
                 link_enabled = EXCLUDED.link_enabled, config_managed = EXCLUDED.config_managed \
             RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(&spec.name)
        .bind(spec.connector)
        .bind(&spec.base_url)
        .bind(&spec.credentials_ref)
        .bind(&spec.settings)
        .bind(&spec.schedule)
        .bind(spec.push_policy)
        .bind(spec.link_enabled)
        .bind(config_managed)
        .fetch_one(self.pool())
        .await?;
        Ok(site)
    }

    pub async fn site(&self, account: AccountId, id: SiteId) -> Result<Site, StoreError> {
        let site = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sites WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(site)
    }

    /// A live site by id alone, for requests that name no account (webhooks); ids are unique
    /// across accounts.
    pub async fn site_by_id(&self, id: SiteId) -> Result<Site, StoreError> {
        let site = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sites WHERE id = $1 AND deleted_at IS NULL"
        )))
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(site)
    }

    /// Live sites with this name, across accounts (names are unique within one account).
    pub async fn sites_named(&self, name: &SiteName) -> Result<Vec<Site>, StoreError> {
        let sites = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sites WHERE name = $1 AND deleted_at IS NULL ORDER BY account_id"
        )))
        .bind(name)
        .fetch_all(self.pool())
        .await?;
        Ok(sites)
    }

    /// Every live site, for schedules and the CLI.
    pub async fn all_sites(&self) -> Result<Vec<Site>, StoreError> {
        let sites = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sites WHERE deleted_at IS NULL ORDER BY account_id, id"
        )))
        .fetch_all(self.pool())
        .await?;
        Ok(sites)
    }

    pub async fn set_site_capabilities(
        &self,
        account: AccountId,
        id: SiteId,
        capabilities: &Value,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sites SET capabilities = $3 WHERE account_id = $1 AND id = $2")
            .bind(account)
            .bind(id)
            .bind(capabilities)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
