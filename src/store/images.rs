//! Image requests: the prompt recorded first, then the generated image's location or why it
//! failed.

use chrono::{DateTime, Utc};

use crate::domain::ids::{AccountId, ContentId, ImageId, SiteId, TaskId};
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Image {
    pub account_id: AccountId,
    pub id: ImageId,
    pub site_id: SiteId,
    pub content_id: Option<ContentId>,
    pub task_id: Option<TaskId>,
    pub image_type: String,
    pub prompt: String,
    pub status: String,
    pub url: Option<String>,
    pub alt_text: Option<String>,
    pub position: i32,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub credits_used: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An image to request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewImage<'a> {
    pub site: SiteId,
    pub content: Option<ContentId>,
    pub task: Option<TaskId>,
    pub image_type: &'a str,
    pub prompt: &'a str,
    pub alt_text: Option<&'a str>,
    pub position: i32,
}

const COLUMNS: &str = "account_id, id, site_id, content_id, task_id, image_type, prompt, status, \
    url, alt_text, position, provider, model, credits_used, error, created_at";

impl Store {
    /// Records an image's prompt, pending.
    pub async fn insert_image(
        &self,
        account: AccountId,
        new: &NewImage<'_>,
    ) -> Result<Image, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO images (account_id, site_id, content_id, task_id, image_type, prompt, alt_text, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(new.site)
        .bind(new.content)
        .bind(new.task)
        .bind(new.image_type)
        .bind(new.prompt)
        .bind(new.alt_text)
        .bind(new.position)
        .fetch_one(self.pool())
        .await?)
    }

    /// Records where a generated image is and what it cost.
    pub async fn image_generated(
        &self,
        account: AccountId,
        id: ImageId,
        url: &str,
        provider: &str,
        model: &str,
        credits: i64,
    ) -> Result<Image, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE images SET status = 'generated', url = $3, provider = $4, model = $5, \
               credits_used = $6, error = NULL \
             WHERE account_id = $1 AND id = $2 RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(url)
        .bind(provider)
        .bind(model)
        .bind(credits)
        .fetch_one(self.pool())
        .await?)
    }

    /// Records why an image was not generated.
    pub async fn image_failed(
        &self,
        account: AccountId,
        id: ImageId,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE images SET status = 'failed', error = $3 WHERE account_id = $1 AND id = $2",
        )
        .bind(account)
        .bind(id)
        .bind(error)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A task's images, in position order.
    pub async fn task_images(
        &self,
        account: AccountId,
        task: TaskId,
    ) -> Result<Vec<Image>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM images WHERE account_id = $1 AND task_id = $2 ORDER BY position, id"
        )))
        .bind(account)
        .bind(task)
        .fetch_all(self.pool())
        .await?)
    }
}
