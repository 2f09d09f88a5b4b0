//! Writer tasks, and what a generation writes: the content row (created, or its body replaced
//! with the old one kept as a revision), the task's outcome, the idea marked done, the
//! `content_generated` event and the pipeline job, all in one transaction.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::domain::content::ContentHash;
use crate::domain::event::{Causation, EventKind, NewEvent};
use crate::domain::ids::{AccountId, ClusterId, ContentId, IdeaId, JobId, SiteId, TaskId};
use crate::store::domain_events::record_event;
use crate::store::jobs::{NewJob, enqueue};
use crate::store::{Page, Paged, Store, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Task {
    pub account_id: AccountId,
    pub id: TaskId,
    pub site_id: SiteId,
    pub idea_id: Option<IdeaId>,
    pub cluster_id: Option<ClusterId>,
    pub title: String,
    pub keywords: Value,
    pub target_word_count: Option<i32>,
    pub outline: Value,
    pub content_type: String,
    pub status: String,
    pub content_id: Option<ContentId>,
    pub ai_usage: Value,
    pub credits_used: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A task's values, for creating or replacing it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFields {
    pub idea_id: Option<IdeaId>,
    pub cluster_id: Option<ClusterId>,
    pub title: String,
    /// A JSON array of keyword strings.
    pub keywords: Value,
    pub target_word_count: Option<i32>,
    /// A JSON array of sections.
    pub outline: Value,
    pub content_type: String,
}

/// A generated article to keep.
pub struct Generated<'a> {
    pub title: &'a str,
    pub html: &'a str,
    pub meta_description: Option<&'a str>,
    pub focus_keyphrase: Option<&'a str>,
    pub word_count: i32,
    pub ai_usage: &'a Value,
    pub credits: i64,
    /// What led to the generation; the `content_generated` event carries it.
    pub causation: &'a Causation,
    /// The pipeline job the content is queued for; its payload is completed with the content id.
    pub pipeline_job: &'a (dyn Fn(ContentId) -> NewJob + Sync),
}

/// Where a generation landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    pub content: ContentId,
    pub version: i64,
    pub job: Option<JobId>,
}

const COLUMNS: &str = "account_id, id, site_id, idea_id, cluster_id, title, keywords, \
    target_word_count, outline, content_type, status, content_id, ai_usage, credits_used, error, \
    created_at, updated_at";

impl Store {
    /// Creates a task with its `task_created` event; a task made from an idea marks the idea
    /// `queued`.
    pub async fn insert_task(
        &self,
        account: AccountId,
        site: SiteId,
        fields: &TaskFields,
    ) -> Result<Task, StoreError> {
        let mut tx = self.begin().await?;
        let task: Task = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO tasks (account_id, site_id, idea_id, cluster_id, title, keywords, \
               target_word_count, outline, content_type) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(site)
        .bind(fields.idea_id)
        .bind(fields.cluster_id)
        .bind(&fields.title)
        .bind(&fields.keywords)
        .bind(fields.target_word_count)
        .bind(&fields.outline)
        .bind(&fields.content_type)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(idea) = fields.idea_id {
            sqlx::query(
                "UPDATE content_ideas SET status = 'queued' \
                 WHERE account_id = $1 AND id = $2 AND status = 'new'",
            )
            .bind(account)
            .bind(idea)
            .execute(&mut *tx)
            .await?;
        }
        let event = NewEvent::new(
            account,
            EventKind::TaskCreated,
            task.id.get(),
            json!({
                "id": task.id,
                "site_id": task.site_id,
                "idea_id": task.idea_id,
                "title": task.title,
                "target_word_count": task.target_word_count,
            }),
            Causation::root(),
        );
        record_event(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(task)
    }

    pub async fn task(&self, account: AccountId, id: TaskId) -> Result<Task, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tasks WHERE account_id = $1 AND id = $2"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?)
    }

    /// The task that produced a content item, the latest when several did.
    pub async fn task_of_content(
        &self,
        account: AccountId,
        content: ContentId,
    ) -> Result<Task, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tasks WHERE account_id = $1 AND content_id = $2 \
             ORDER BY id DESC LIMIT 1"
        )))
        .bind(account)
        .bind(content)
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn tasks_page(
        &self,
        account: AccountId,
        site: SiteId,
        page: Page,
    ) -> Result<Paged<Task>, StoreError> {
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tasks WHERE account_id = $1 AND site_id = $2 \
             ORDER BY id LIMIT $3 OFFSET $4"
        )))
        .bind(account)
        .bind(site)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total =
            sqlx::query_scalar("SELECT count(*) FROM tasks WHERE account_id = $1 AND site_id = $2")
                .bind(account)
                .bind(site)
                .fetch_one(self.pool())
                .await?;
        Ok(Paged { items, total })
    }

    /// Replaces a task's values.
    pub async fn update_task(
        &self,
        account: AccountId,
        id: TaskId,
        fields: &TaskFields,
    ) -> Result<Task, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE tasks SET idea_id = $3, cluster_id = $4, title = $5, keywords = $6, \
               target_word_count = $7, outline = $8, content_type = $9 \
             WHERE account_id = $1 AND id = $2 RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(fields.idea_id)
        .bind(fields.cluster_id)
        .bind(&fields.title)
        .bind(&fields.keywords)
        .bind(fields.target_word_count)
        .bind(&fields.outline)
        .bind(&fields.content_type)
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn delete_task(&self, account: AccountId, id: TaskId) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM tasks WHERE account_id = $1 AND id = $2")
            .bind(account)
            .bind(id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Marks a task as being generated.
    pub async fn start_generation(&self, account: AccountId, id: TaskId) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE tasks SET status = 'generating', error = NULL WHERE account_id = $1 AND id = $2",
        )
        .bind(account)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records why a generation failed.
    pub async fn fail_task_generation(
        &self,
        account: AccountId,
        id: TaskId,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE tasks SET status = 'failed', error = $3 WHERE account_id = $1 AND id = $2",
        )
        .bind(account)
        .bind(id)
        .bind(error)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Keeps a generation of `task`: a new content row (igny8, native, draft), or the task's
    /// content with its body replaced and the old body kept as a `regenerate` revision.
    pub async fn keep_generated(
        &self,
        task: &Task,
        generated: &Generated<'_>,
    ) -> Result<Kept, StoreError> {
        let account = task.account_id;
        let hash = ContentHash::of(generated.html).as_bytes().to_vec();
        let mut tx = self.begin().await?;
        let (content, version): (ContentId, i64) = match task.content_id {
            None => {
                sqlx::query_as(
                    "INSERT INTO content (account_id, site_id, source, sync_status, status, title, \
                       content_raw, content_hash, meta_description, focus_keyphrase, word_count) \
                     VALUES ($1, $2, 'igny8', 'native', 'draft', $3, $4, $5, $6, $7, $8) \
                     RETURNING id, version",
                )
                .bind(account)
                .bind(task.site_id)
                .bind(generated.title)
                .bind(generated.html)
                .bind(&hash)
                .bind(generated.meta_description)
                .bind(generated.focus_keyphrase)
                .bind(generated.word_count)
                .fetch_one(&mut *tx)
                .await?
            }
            Some(content) => {
                sqlx::query(
                    "INSERT INTO content_revisions (account_id, content_id, version, origin, title, \
                       content_raw, content_hash, metadata) \
                     SELECT account_id, id, version, 'regenerate', title, content_raw, content_hash, \
                       jsonb_build_object('task_id', $3::bigint) \
                     FROM content WHERE account_id = $1 AND id = $2 \
                     ON CONFLICT (account_id, content_id, version) DO NOTHING",
                )
                .bind(account)
                .bind(content)
                .bind(task.id)
                .execute(&mut *tx)
                .await?;
                sqlx::query_as(
                    "UPDATE content SET title = $3, content_raw = $4, content_hash = $5, \
                       meta_description = coalesce($6, meta_description), \
                       focus_keyphrase = coalesce($7, focus_keyphrase), word_count = $8, \
                       status = 'draft', internal_links = '[]'::jsonb, version = version + 1 \
                     WHERE account_id = $1 AND id = $2 RETURNING id, version",
                )
                .bind(account)
                .bind(content)
                .bind(generated.title)
                .bind(generated.html)
                .bind(&hash)
                .bind(generated.meta_description)
                .bind(generated.focus_keyphrase)
                .bind(generated.word_count)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        sqlx::query(
            "UPDATE tasks SET status = 'completed', content_id = $3, ai_usage = $4, \
               credits_used = credits_used + $5, error = NULL \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account)
        .bind(task.id)
        .bind(content)
        .bind(generated.ai_usage)
        .bind(generated.credits)
        .execute(&mut *tx)
        .await?;
        if let Some(idea) = task.idea_id {
            sqlx::query(
                "UPDATE content_ideas SET status = 'done' WHERE account_id = $1 AND id = $2",
            )
            .bind(account)
            .bind(idea)
            .execute(&mut *tx)
            .await?;
        }
        let event = NewEvent::new(
            account,
            EventKind::ContentGenerated,
            content.get(),
            json!({
                "id": content,
                "site_id": task.site_id,
                "task_id": task.id,
                "title": generated.title,
                "word_count": generated.word_count,
                "version": version,
            }),
            generated.causation.clone(),
        );
        record_event(&mut tx, &event).await?;
        let job = enqueue(&mut tx, &(generated.pipeline_job)(content)).await?;
        tx.commit().await?;
        Ok(Kept {
            content,
            version,
            job,
        })
    }
}
