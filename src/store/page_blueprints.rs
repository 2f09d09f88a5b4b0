//! The pages of a blueprint, in navigation order. A page is seen through its blueprint's
//! site, so the same grants decide who reads and who edits it. A content generation moves a
//! page's state with conditional updates, so two requests cannot both start one.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::ids::{AccountId, BlueprintId, ContentId, PageBlueprintId, TaskId};
use crate::domain::site_builder::kinds::{PageStatus, PageType};
use crate::domain::site_builder::slug::PageSlug;
use crate::domain::user::SiteAccess;
use crate::store::sites::{GRANTS, SiteScope};
use crate::store::{Page, Paged, Store, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PageBlueprint {
    pub account_id: AccountId,
    pub id: PageBlueprintId,
    pub site_blueprint_id: BlueprintId,
    pub slug: PageSlug,
    pub title: String,
    #[sqlx(rename = "type")]
    pub page_type: PageType,
    pub blocks_json: Value,
    pub status: PageStatus,
    pub sort_order: i32,
    pub task_id: Option<TaskId>,
    pub content_id: Option<ContentId>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The constraint that keeps slugs apart within a blueprint.
pub const SLUG_TAKEN: &str = "page_blueprints_slug_key";

const COLUMNS: &str = "p.account_id, p.id, p.site_blueprint_id, p.slug, p.title, p.type, \
    p.blocks_json, p.status, p.sort_order, p.task_id, p.content_id, p.last_error, p.created_at, \
    p.updated_at";

/// A page's fields as a request gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct PageFields {
    pub slug: PageSlug,
    pub title: String,
    pub page_type: PageType,
    pub blocks_json: Value,
    pub status: PageStatus,
    pub sort_order: i32,
}

#[derive(sqlx::FromRow)]
struct ScopedPage {
    #[sqlx(flatten)]
    page: PageBlueprint,
    can_edit: Option<bool>,
}

impl Store {
    /// Every page of a blueprint, in navigation order.
    pub async fn blueprint_pages(
        &self,
        account: AccountId,
        blueprint: BlueprintId,
    ) -> Result<Vec<PageBlueprint>, StoreError> {
        let pages = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM page_blueprints p \
             WHERE p.account_id = $1 AND p.site_blueprint_id = $2 ORDER BY p.sort_order, p.id"
        )))
        .bind(account)
        .bind(blueprint)
        .fetch_all(self.pool())
        .await?;
        Ok(pages)
    }

    /// One page of a blueprint's pages, in navigation order.
    pub async fn blueprint_pages_paged(
        &self,
        account: AccountId,
        blueprint: BlueprintId,
        page: Page,
    ) -> Result<Paged<PageBlueprint>, StoreError> {
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM page_blueprints p \
             WHERE p.account_id = $1 AND p.site_blueprint_id = $2 \
             ORDER BY p.sort_order, p.id LIMIT $3 OFFSET $4"
        )))
        .bind(account)
        .bind(blueprint)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total = sqlx::query_scalar(
            "SELECT count(*) FROM page_blueprints WHERE account_id = $1 AND site_blueprint_id = $2",
        )
        .bind(account)
        .bind(blueprint)
        .fetch_one(self.pool())
        .await?;
        Ok(Paged { items, total })
    }

    /// A page `scope` sees through its blueprint's site, and what the caller may do to it.
    pub async fn page_in_scope(
        &self,
        scope: SiteScope,
        id: PageBlueprintId,
    ) -> Result<(PageBlueprint, SiteAccess), StoreError> {
        let row: ScopedPage = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, grant_row.can_edit FROM page_blueprints p \
             JOIN site_blueprints b ON b.account_id = p.account_id AND b.id = p.site_blueprint_id \
             JOIN sites s ON s.account_id = b.account_id AND s.id = b.site_id \
             {GRANTS} AND p.id = $3"
        )))
        .bind(scope.account())
        .bind(scope.grantee())
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok((row.page, scope.access(row.can_edit)))
    }

    /// Adds a page; a slug the blueprint has is [`StoreError::Constraint`] naming
    /// [`SLUG_TAKEN`].
    pub async fn insert_page(
        &self,
        account: AccountId,
        blueprint: BlueprintId,
        fields: &PageFields,
    ) -> Result<PageBlueprint, StoreError> {
        let page = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO page_blueprints AS p (account_id, site_blueprint_id, slug, title, type, \
                 blocks_json, status, sort_order) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(blueprint)
        .bind(&fields.slug)
        .bind(&fields.title)
        .bind(fields.page_type)
        .bind(&fields.blocks_json)
        .bind(fields.status)
        .bind(fields.sort_order)
        .fetch_one(self.pool())
        .await?;
        Ok(page)
    }

    pub async fn update_page(
        &self,
        account: AccountId,
        id: PageBlueprintId,
        fields: &PageFields,
    ) -> Result<PageBlueprint, StoreError> {
        let page = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE page_blueprints p SET slug = $3, title = $4, type = $5, blocks_json = $6, \
                 status = $7, sort_order = $8 \
             WHERE p.account_id = $1 AND p.id = $2 RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(&fields.slug)
        .bind(&fields.title)
        .bind(fields.page_type)
        .bind(&fields.blocks_json)
        .bind(fields.status)
        .bind(fields.sort_order)
        .fetch_one(self.pool())
        .await?;
        Ok(page)
    }

    pub async fn delete_page(
        &self,
        account: AccountId,
        id: PageBlueprintId,
    ) -> Result<(), StoreError> {
        let deleted = sqlx::query("DELETE FROM page_blueprints WHERE account_id = $1 AND id = $2")
            .bind(account)
            .bind(id)
            .execute(self.pool())
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Moves a page to `generating`, unless a generation of it is already running (then
    /// [`StoreError::NotFound`]). One left `generating` for over ten minutes was abandoned by a
    /// daemon that stopped mid-way, and may be claimed again.
    pub async fn claim_page_generation(
        &self,
        account: AccountId,
        id: PageBlueprintId,
    ) -> Result<PageBlueprint, StoreError> {
        let page = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE page_blueprints p SET status = 'generating', last_error = NULL \
             WHERE p.account_id = $1 AND p.id = $2 \
               AND (p.status <> 'generating' OR p.updated_at < now() - interval '10 minutes') \
             RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(page)
    }

    /// Links a page to the writer task its content is generated from.
    pub async fn attach_page_task(
        &self,
        account: AccountId,
        id: PageBlueprintId,
        task: TaskId,
    ) -> Result<PageBlueprint, StoreError> {
        let page = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE page_blueprints p SET task_id = $3 \
             WHERE p.account_id = $1 AND p.id = $2 RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(task)
        .fetch_one(self.pool())
        .await?;
        Ok(page)
    }

    /// A content generation succeeded: the page takes its blocks and the content row, and is
    /// `ready`.
    pub async fn page_generated(
        &self,
        account: AccountId,
        id: PageBlueprintId,
        blocks: &Value,
        content: ContentId,
    ) -> Result<PageBlueprint, StoreError> {
        let page = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE page_blueprints p SET blocks_json = $3, content_id = $4, status = 'ready', \
                 last_error = NULL \
             WHERE p.account_id = $1 AND p.id = $2 RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(blocks)
        .bind(content)
        .fetch_one(self.pool())
        .await?;
        Ok(page)
    }

    /// A content generation failed: the page goes back to draft, its blocks as they were, and
    /// keeps why.
    pub async fn fail_page_generation(
        &self,
        account: AccountId,
        id: PageBlueprintId,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE page_blueprints SET status = 'draft', last_error = $3 \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account)
        .bind(id)
        .bind(error)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
