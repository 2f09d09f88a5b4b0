//! Article ideas: generated for a cluster or written by hand, listed, changed and deleted. A
//! new idea records `idea_created` in its transaction.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::domain::event::{Causation, EventKind, NewEvent};
use crate::domain::ids::{AccountId, ClusterId, IdeaId, SiteId};
use crate::domain::intent::SearchIntent;
use crate::store::domain_events::record_event;
use crate::store::{Page, Paged, Store, StoreError};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Idea {
    pub account_id: AccountId,
    pub id: IdeaId,
    pub site_id: SiteId,
    pub cluster_id: Option<ClusterId>,
    pub title: String,
    pub description: Option<String>,
    pub outline: Value,
    pub target_keywords: Value,
    pub intent: Option<SearchIntent>,
    pub content_type: String,
    pub estimated_word_count: Option<i32>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An idea's values, for creating or replacing it.
#[derive(Debug, Clone, PartialEq)]
pub struct IdeaFields {
    pub cluster_id: Option<ClusterId>,
    pub title: String,
    pub description: Option<String>,
    /// A JSON array of sections.
    pub outline: Value,
    /// A JSON array of keyword strings.
    pub target_keywords: Value,
    pub intent: Option<SearchIntent>,
    pub content_type: String,
    pub estimated_word_count: Option<i32>,
    pub status: String,
}

const COLUMNS: &str = "account_id, id, site_id, cluster_id, title, description, outline, \
    target_keywords, intent, content_type, estimated_word_count, status, created_at, updated_at";

impl Store {
    /// Creates ideas on `site` in one transaction, each with its event, which carries
    /// `causation`.
    pub async fn create_ideas(
        &self,
        account: AccountId,
        site: SiteId,
        ideas: &[IdeaFields],
        causation: &Causation,
    ) -> Result<Vec<Idea>, StoreError> {
        let mut tx = self.begin().await?;
        let mut created = Vec::with_capacity(ideas.len());
        for fields in ideas {
            let idea: Idea = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "INSERT INTO content_ideas (account_id, site_id, cluster_id, title, description, outline, \
                   target_keywords, intent, content_type, estimated_word_count, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLUMNS}"
            )))
            .bind(account)
            .bind(site)
            .bind(fields.cluster_id)
            .bind(&fields.title)
            .bind(&fields.description)
            .bind(&fields.outline)
            .bind(&fields.target_keywords)
            .bind(fields.intent)
            .bind(&fields.content_type)
            .bind(fields.estimated_word_count)
            .bind(&fields.status)
            .fetch_one(&mut *tx)
            .await?;
            let event = NewEvent::new(
                account,
                EventKind::IdeaCreated,
                idea.id.get(),
                json!({
                    "id": idea.id,
                    "site_id": idea.site_id,
                    "cluster_id": idea.cluster_id,
                    "title": idea.title,
                    "intent": idea.intent,
                    "estimated_word_count": idea.estimated_word_count,
                }),
                causation.clone(),
            );
            record_event(&mut tx, &event).await?;
            created.push(idea);
        }
        tx.commit().await?;
        Ok(created)
    }

    pub async fn idea(&self, account: AccountId, id: IdeaId) -> Result<Idea, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM content_ideas WHERE account_id = $1 AND id = $2"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?)
    }

    /// One page of a site's ideas by id, optionally of one cluster.
    pub async fn ideas_page(
        &self,
        account: AccountId,
        site: SiteId,
        cluster: Option<ClusterId>,
        page: Page,
    ) -> Result<Paged<Idea>, StoreError> {
        self.site_rows_page("content_ideas", COLUMNS, (account, site, cluster), page)
            .await
    }

    /// Replaces an idea's values.
    pub async fn update_idea(
        &self,
        account: AccountId,
        id: IdeaId,
        fields: &IdeaFields,
    ) -> Result<Idea, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE content_ideas SET cluster_id = $3, title = $4, description = $5, outline = $6, \
               target_keywords = $7, intent = $8, content_type = $9, estimated_word_count = $10, \
               status = $11 \
             WHERE account_id = $1 AND id = $2 RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(fields.cluster_id)
        .bind(&fields.title)
        .bind(&fields.description)
        .bind(&fields.outline)
        .bind(&fields.target_keywords)
        .bind(fields.intent)
        .bind(&fields.content_type)
        .bind(fields.estimated_word_count)
        .bind(&fields.status)
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn delete_idea(&self, account: AccountId, id: IdeaId) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM content_ideas WHERE account_id = $1 AND id = $2")
            .bind(account)
            .bind(id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
