//! Sites: the CMSs connected to an account, with their connector settings and what the last
//! probe found; who may see them (`site_user_access`); and the reconciliation of the sites the
//! config file declares.
//!
//! Reads for the API take a [`SiteScope`]: owners and admins see every site of their account,
//! editors and viewers only the sites granted to their token or its user. The grant is part of
//! the query, so an ungranted site is as absent as another account's.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::ids::{AccountId, SiteId, TokenId};
use crate::domain::site::{ConnectorKind, PushPolicy, SiteName};
use crate::domain::user::SiteAccess;
use crate::store::{Page, Paged, Store, StoreError, Transaction};

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

/// The unique index that keeps live site names apart within an account.
pub const NAME_TAKEN: &str = "sites_name_key";

/// Whose view of an account's sites a query takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteScope {
    /// Every site of the account (owners and admins).
    Account(AccountId),
    /// The sites granted to this token, or to the user it belongs to (editors and viewers).
    Granted { account: AccountId, token: TokenId },
}

impl SiteScope {
    pub fn account(self) -> AccountId {
        match self {
            SiteScope::Account(account) | SiteScope::Granted { account, .. } => account,
        }
    }

    /// The token whose grants limit the view; `None` sees everything.
    pub(crate) fn grantee(self) -> Option<TokenId> {
        match self {
            SiteScope::Account(_) => None,
            SiteScope::Granted { token, .. } => Some(token),
        }
    }
}

/// Live sites `$1` (account) and `$2` (grantee token, null for everything) may see, with whether
/// any of the grants allows editing. `s` is the site row.
pub(crate) const GRANTS: &str = "LEFT JOIN LATERAL ( \
        SELECT count(*) AS grants, coalesce(bool_or(g.access = 'edit'), false) AS can_edit \
        FROM site_user_access g \
        WHERE g.account_id = s.account_id AND g.site_id = s.id \
          AND (g.api_token_id = $2 \
               OR g.user_id = (SELECT t.user_id FROM api_tokens t \
                               WHERE t.account_id = $1 AND t.id = $2)) \
    ) grant_row ON $2::bigint IS NOT NULL \
    WHERE s.account_id = $1 AND s.deleted_at IS NULL \
      AND ($2::bigint IS NULL OR grant_row.grants > 0)";

#[derive(sqlx::FromRow)]
struct ScopedSite {
    #[sqlx(flatten)]
    site: Site,
    can_edit: Option<bool>,
}

/// What reconciling the config file's sites changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigSitesSynced {
    /// Sites created or updated, as they are now.
    pub declared: Vec<Site>,
    /// Sites made through the API that a declaration of the same name took over, as they were
    /// before (their credential reference is no longer used).
    pub adopted: Vec<Site>,
    /// Config-managed sites no longer declared, now soft-deleted.
    pub retired: Vec<Site>,
}

impl Store {
    /// Creates a site, or brings the live site of that name up to `spec`. `config_managed`
    /// marks sites the config file owns.
    pub async fn upsert_site(
        &self,
        account: AccountId,
        spec: &SiteSpec,
        config_managed: bool,
    ) -> Result<Site, StoreError> {
        let mut tx = self.begin().await?;
        let site = upsert(&mut tx, account, spec, config_managed).await?;
        tx.commit().await?;
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
        // A probe replaces what the last probe found, but not the last `site check`.
        sqlx::query(
            "UPDATE sites SET capabilities = CASE WHEN capabilities ? 'check' \
                 THEN $3 || jsonb_build_object('check', capabilities -> 'check') ELSE $3 END \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account)
        .bind(id)
        .bind(capabilities)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records the outcome of the last `site check` among the site's capabilities.
    pub async fn set_site_check(
        &self,
        account: AccountId,
        id: SiteId,
        check: &Value,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sites SET capabilities = capabilities || jsonb_build_object('check', $3::jsonb) \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account)
        .bind(id)
        .bind(check)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The accounts among `accounts` that do not exist.
    pub async fn missing_accounts(
        &self,
        accounts: &[AccountId],
    ) -> Result<Vec<AccountId>, StoreError> {
        let missing = sqlx::query_scalar(
            "SELECT wanted FROM unnest($1::bigint[]) AS wanted \
             WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = wanted) ORDER BY wanted",
        )
        .bind(accounts.iter().map(|id| id.get()).collect::<Vec<i64>>())
        .fetch_all(self.pool())
        .await?;
        Ok(missing)
    }

    /// Makes the config-managed sites exactly `declared`, in one transaction: each is created,
    /// updated, or revived (the latest config-managed site of that name the file dropped, so a
    /// site that comes back keeps its content and history); a live API-managed site of the same
    /// name is taken over; config-managed sites not declared are soft-deleted.
    pub async fn sync_config_sites(
        &self,
        declared: &[(AccountId, SiteSpec)],
    ) -> Result<ConfigSitesSynced, StoreError> {
        let mut tx = self.begin().await?;
        let mut synced = ConfigSitesSynced::default();
        for (account, spec) in declared {
            let adopted: Option<Site> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM sites \
                 WHERE account_id = $1 AND name = $2 AND deleted_at IS NULL AND NOT config_managed"
            )))
            .bind(account)
            .bind(&spec.name)
            .fetch_optional(&mut *tx)
            .await?;
            synced.adopted.extend(adopted);
            sqlx::query(
                "UPDATE sites SET deleted_at = NULL \
                 WHERE account_id = $1 AND id = ( \
                     SELECT id FROM sites \
                     WHERE account_id = $1 AND name = $2 AND config_managed \
                       AND deleted_at IS NOT NULL \
                       AND NOT EXISTS (SELECT 1 FROM sites live WHERE live.account_id = $1 \
                                       AND live.name = $2 AND live.deleted_at IS NULL) \
                     ORDER BY deleted_at DESC, id DESC LIMIT 1)",
            )
            .bind(account)
            .bind(&spec.name)
            .execute(&mut *tx)
            .await?;
            synced
                .declared
                .push(upsert(&mut tx, *account, spec, true).await?);
        }
        let accounts: Vec<i64> = declared.iter().map(|(account, _)| account.get()).collect();
        let names: Vec<&str> = declared
            .iter()
            .map(|(_, spec)| spec.name.as_str())
            .collect();
        synced.retired = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE sites SET deleted_at = now() \
             WHERE config_managed AND deleted_at IS NULL \
               AND (account_id, name) NOT IN ( \
                   SELECT * FROM unnest($1::bigint[], $2::text[])) \
             RETURNING {COLUMNS}"
        )))
        .bind(&accounts)
        .bind(&names)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(synced)
    }

    /// One page of the sites `scope` sees, by id.
    pub async fn sites_in_scope(
        &self,
        scope: SiteScope,
        page: Page,
    ) -> Result<Paged<Site>, StoreError> {
        let rows: Vec<ScopedSite> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, grant_row.can_edit FROM sites s {GRANTS} \
             ORDER BY s.id LIMIT $3 OFFSET $4"
        )))
        .bind(scope.account())
        .bind(scope.grantee())
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM sites s {GRANTS}"
        )))
        .bind(scope.account())
        .bind(scope.grantee())
        .fetch_one(self.pool())
        .await?;
        Ok(Paged {
            items: rows.into_iter().map(|row| row.site).collect(),
            total,
        })
    }

    /// A site `scope` sees, and what it may do to it; [`StoreError::NotFound`] otherwise.
    pub async fn site_in_scope(
        &self,
        scope: SiteScope,
        id: SiteId,
    ) -> Result<(Site, SiteAccess), StoreError> {
        let row: ScopedSite = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, grant_row.can_edit FROM sites s {GRANTS} AND s.id = $3"
        )))
        .bind(scope.account())
        .bind(scope.grantee())
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        let access = match (scope, row.can_edit) {
            (SiteScope::Account(_), _) | (_, Some(true)) => SiteAccess::Edit,
            _ => SiteAccess::View,
        };
        Ok((row.site, access))
    }

    /// Creates an API-managed site. A live site of the same name in the account is
    /// [`StoreError::Constraint`] naming [`NAME_TAKEN`].
    pub async fn insert_site(
        tx: &mut Transaction,
        account: AccountId,
        spec: &SiteSpec,
    ) -> Result<Site, StoreError> {
        let site = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO sites (account_id, name, connector, base_url, credentials_ref, settings, \
                 schedule, push_policy, link_enabled, config_managed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, false) \
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
        .fetch_one(&mut **tx)
        .await?;
        Ok(site)
    }

    /// Rewrites a live API-managed site to `spec`; a config-managed or deleted one is
    /// [`StoreError::NotFound`].
    pub async fn update_site(
        tx: &mut Transaction,
        account: AccountId,
        id: SiteId,
        spec: &SiteSpec,
    ) -> Result<Site, StoreError> {
        let site = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE sites SET name = $3, connector = $4, base_url = $5, credentials_ref = $6, \
                 settings = $7, schedule = $8, push_policy = $9, link_enabled = $10 \
             WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL AND NOT config_managed \
             RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(&spec.name)
        .bind(spec.connector)
        .bind(&spec.base_url)
        .bind(&spec.credentials_ref)
        .bind(&spec.settings)
        .bind(&spec.schedule)
        .bind(spec.push_policy)
        .bind(spec.link_enabled)
        .fetch_one(&mut **tx)
        .await?;
        Ok(site)
    }

    /// Soft-deletes a live API-managed site and forgets its credential reference, returning
    /// the reference it had. A config-managed or already deleted site is
    /// [`StoreError::NotFound`].
    pub async fn delete_site(
        &self,
        account: AccountId,
        id: SiteId,
    ) -> Result<Option<String>, StoreError> {
        // Joined to itself, the row in FROM still holds the values from before the update.
        let reference = sqlx::query_scalar(
            "UPDATE sites s SET deleted_at = now(), credentials_ref = NULL \
             FROM sites old \
             WHERE s.account_id = $1 AND s.id = $2 AND s.deleted_at IS NULL \
               AND NOT s.config_managed \
               AND old.account_id = s.account_id AND old.id = s.id \
             RETURNING old.credentials_ref",
        )
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(reference)
    }
}

/// The insert-or-update behind [`Store::upsert_site`], on the caller's transaction. A site that
/// already matches `spec` is left alone, so `updated_at` says when it last changed.
async fn upsert(
    tx: &mut Transaction,
    account: AccountId,
    spec: &SiteSpec,
    config_managed: bool,
) -> Result<Site, StoreError> {
    let changed: Option<Site> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO sites (account_id, name, connector, base_url, credentials_ref, settings, \
             schedule, push_policy, link_enabled, config_managed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (account_id, name) WHERE deleted_at IS NULL DO UPDATE SET \
             connector = EXCLUDED.connector, base_url = EXCLUDED.base_url, \
             credentials_ref = EXCLUDED.credentials_ref, settings = EXCLUDED.settings, \
             schedule = EXCLUDED.schedule, push_policy = EXCLUDED.push_policy, \
             link_enabled = EXCLUDED.link_enabled, config_managed = EXCLUDED.config_managed \
         WHERE (sites.connector, sites.base_url, sites.credentials_ref, sites.settings, \
                sites.schedule, sites.push_policy, sites.link_enabled, sites.config_managed) \
               IS DISTINCT FROM \
               (EXCLUDED.connector, EXCLUDED.base_url, EXCLUDED.credentials_ref, \
                EXCLUDED.settings, EXCLUDED.schedule, EXCLUDED.push_policy, \
                EXCLUDED.link_enabled, EXCLUDED.config_managed) \
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
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(site) = changed {
        return Ok(site);
    }
    let unchanged = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sites WHERE account_id = $1 AND name = $2 AND deleted_at IS NULL"
    )))
    .bind(account)
    .bind(&spec.name)
    .fetch_one(&mut **tx)
    .await?;
    Ok(unchanged)
}
