//! Site blueprints: a site to generate, preview and deploy. Reads for the API take a
//! [`SiteScope`] and see a blueprint only through its site's grants; generation and deploys
//! move its state with conditional updates, so two requests cannot both start one.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::ids::{AccountId, BlueprintId, SiteId};
use crate::domain::site_builder::kinds::{BlueprintStatus, HostingType, PageType};
use crate::domain::site_builder::slug::PageSlug;
use crate::domain::user::SiteAccess;
use crate::store::sites::{GRANTS, SiteScope};
use crate::store::{Page, Paged, Store, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Blueprint {
    pub account_id: AccountId,
    pub id: BlueprintId,
    pub site_id: SiteId,
    pub name: String,
    pub description: Option<String>,
    pub config_json: Value,
    pub structure_json: Option<Value>,
    pub status: BlueprintStatus,
    pub hosting_type: HostingType,
    pub version: i32,
    pub deployed_version: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The index that allows one blueprint per site.
pub const SITE_TAKEN: &str = "site_blueprints_site_key";

const COLUMNS: &str = "b.account_id, b.id, b.site_id, b.name, b.description, b.config_json, \
    b.structure_json, b.status, b.hosting_type, b.version, b.deployed_version, b.last_error, \
    b.created_at, b.updated_at";

/// A blueprint's own fields, as a request gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct BlueprintFields {
    pub name: String,
    pub description: Option<String>,
    pub config_json: Value,
    pub hosting_type: HostingType,
}

/// A page as a structure describes it, in navigation order.
#[derive(Debug, Clone, PartialEq)]
pub struct StructuredPage {
    pub slug: PageSlug,
    pub title: String,
    pub page_type: PageType,
    pub blocks_json: Value,
}

#[derive(sqlx::FromRow)]
struct ScopedBlueprint {
    #[sqlx(flatten)]
    blueprint: Blueprint,
    can_edit: Option<bool>,
}

impl Store {
    /// One page of the blueprints `scope` sees, by id, optionally of one site.
    pub async fn blueprints_in_scope(
        &self,
        scope: SiteScope,
        site: Option<SiteId>,
        page: Page,
    ) -> Result<Paged<Blueprint>, StoreError> {
        let from = format!(
            "FROM site_blueprints b JOIN sites s ON s.account_id = b.account_id AND s.id = b.site_id \
             {GRANTS} AND ($3::bigint IS NULL OR b.site_id = $3)"
        );
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} {from} ORDER BY b.id LIMIT $4 OFFSET $5"
        )))
        .bind(scope.account())
        .bind(scope.grantee())
        .bind(site)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) {from}")))
            .bind(scope.account())
            .bind(scope.grantee())
            .bind(site)
            .fetch_one(self.pool())
            .await?;
        Ok(Paged { items, total })
    }

    /// A blueprint `scope` sees through its site, and what the caller may do to it;
    /// [`StoreError::NotFound`] otherwise.
    pub async fn blueprint_in_scope(
        &self,
        scope: SiteScope,
        id: BlueprintId,
    ) -> Result<(Blueprint, SiteAccess), StoreError> {
        let row: ScopedBlueprint = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, grant_row.can_edit \
             FROM site_blueprints b JOIN sites s ON s.account_id = b.account_id AND s.id = b.site_id \
             {GRANTS} AND b.id = $3"
        )))
        .bind(scope.account())
        .bind(scope.grantee())
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok((row.blueprint, scope.access(row.can_edit)))
    }

    /// Creates a blueprint of a site; a site that has one is [`StoreError::Constraint`] naming
    /// [`SITE_TAKEN`].
    pub async fn insert_blueprint(
        &self,
        account: AccountId,
        site: SiteId,
        fields: &BlueprintFields,
    ) -> Result<Blueprint, StoreError> {
        let blueprint = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO site_blueprints AS b \
                 (account_id, site_id, name, description, config_json, hosting_type) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(site)
        .bind(&fields.name)
        .bind(&fields.description)
        .bind(&fields.config_json)
        .bind(fields.hosting_type)
        .fetch_one(self.pool())
        .await?;
        Ok(blueprint)
    }

    pub async fn update_blueprint(
        &self,
        account: AccountId,
        id: BlueprintId,
        fields: &BlueprintFields,
    ) -> Result<Blueprint, StoreError> {
        let blueprint = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE site_blueprints b SET name = $3, description = $4, config_json = $5, \
                 hosting_type = $6 \
             WHERE b.account_id = $1 AND b.id = $2 RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(&fields.name)
        .bind(&fields.description)
        .bind(&fields.config_json)
        .bind(fields.hosting_type)
        .fetch_one(self.pool())
        .await?;
        Ok(blueprint)
    }

    /// Deletes a blueprint with its pages.
    pub async fn delete_blueprint(
        &self,
        account: AccountId,
        id: BlueprintId,
    ) -> Result<(), StoreError> {
        let deleted = sqlx::query("DELETE FROM site_blueprints WHERE account_id = $1 AND id = $2")
            .bind(account)
            .bind(id)
            .execute(self.pool())
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Moves a blueprint to `generating`, unless a generation is already running (then
    /// [`StoreError::NotFound`]). One left `generating` for over ten minutes was abandoned by a
    /// daemon that stopped mid-way, and may be claimed again.
    pub async fn claim_generation(
        &self,
        account: AccountId,
        id: BlueprintId,
    ) -> Result<Blueprint, StoreError> {
        let blueprint = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE site_blueprints b SET status = 'generating', last_error = NULL \
             WHERE b.account_id = $1 AND b.id = $2 \
               AND (b.status <> 'generating' OR b.updated_at < now() - interval '10 minutes') \
             RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(blueprint)
    }

    /// A generation failed: the blueprint goes back to draft and keeps why.
    pub async fn fail_blueprint_generation(
        &self,
        account: AccountId,
        id: BlueprintId,
        error: &str,
    ) -> Result<Blueprint, StoreError> {
        let blueprint = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE site_blueprints b SET status = 'draft', last_error = $3 \
             WHERE b.account_id = $1 AND b.id = $2 RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(error)
        .fetch_one(self.pool())
        .await?;
        Ok(blueprint)
    }

    /// Stores a generated structure and makes the blueprint's pages match it, in one
    /// transaction: pages whose slug the structure lacks are deleted, the others created or
    /// updated in place (keeping their ids) with the structure's order.
    pub async fn apply_structure(
        &self,
        account: AccountId,
        id: BlueprintId,
        structure: &Value,
        pages: &[StructuredPage],
    ) -> Result<Blueprint, StoreError> {
        let mut tx = self.begin().await?;
        let slugs: Vec<&str> = pages.iter().map(|page| page.slug.as_str()).collect();
        sqlx::query(
            "DELETE FROM page_blueprints \
             WHERE account_id = $1 AND site_blueprint_id = $2 AND slug <> ALL($3)",
        )
        .bind(account)
        .bind(id)
        .bind(&slugs)
        .execute(&mut *tx)
        .await?;
        for (order, page) in pages.iter().enumerate() {
            sqlx::query(
                "INSERT INTO page_blueprints \
                     (account_id, site_blueprint_id, slug, title, type, blocks_json, sort_order) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (account_id, site_blueprint_id, slug) DO UPDATE SET \
                     title = EXCLUDED.title, type = EXCLUDED.type, \
                     blocks_json = EXCLUDED.blocks_json, sort_order = EXCLUDED.sort_order, \
                     status = 'draft', last_error = NULL",
            )
            .bind(account)
            .bind(id)
            .bind(&page.slug)
            .bind(&page.title)
            .bind(page.page_type)
            .bind(&page.blocks_json)
            .bind(i32::try_from(order).unwrap_or(i32::MAX))
            .execute(&mut *tx)
            .await?;
        }
        let blueprint = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE site_blueprints b SET structure_json = $3, status = 'ready', last_error = NULL \
             WHERE b.account_id = $1 AND b.id = $2 RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(structure)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(blueprint)
    }

    /// Records that `version` was written and is now deployed; the next one to build is
    /// `version + 1`. A blueprint no longer at `version` (a concurrent deploy) is
    /// [`StoreError::NotFound`].
    pub async fn record_deploy(
        &self,
        account: AccountId,
        id: BlueprintId,
        version: i32,
    ) -> Result<Blueprint, StoreError> {
        let blueprint = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE site_blueprints b SET deployed_version = $3, version = $3 + 1, \
                 status = 'deployed' \
             WHERE b.account_id = $1 AND b.id = $2 AND b.version = $3 RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(version)
        .fetch_one(self.pool())
        .await?;
        Ok(blueprint)
    }

    /// Points the deployed version from `from` back to `to`; a blueprint no longer deployed
    /// at `from` is [`StoreError::NotFound`].
    pub async fn record_rollback(
        &self,
        account: AccountId,
        id: BlueprintId,
        from: i32,
        to: i32,
    ) -> Result<Blueprint, StoreError> {
        let blueprint = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE site_blueprints b SET deployed_version = $4, status = 'deployed' \
             WHERE b.account_id = $1 AND b.id = $2 AND b.deployed_version = $3 \
             RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(from)
        .bind(to)
        .fetch_one(self.pool())
        .await?;
        Ok(blueprint)
    }
}

impl Store {
    /// The blueprint of a site (a site has at most one).
    pub async fn site_blueprint(
        &self,
        account: AccountId,
        site: SiteId,
    ) -> Result<Blueprint, StoreError> {
        let blueprint = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM site_blueprints b WHERE b.account_id = $1 AND b.site_id = $2"
        )))
        .bind(account)
        .bind(site)
        .fetch_one(self.pool())
        .await?;
        Ok(blueprint)
    }
}
