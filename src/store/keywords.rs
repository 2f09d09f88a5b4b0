//! Planner keywords: added one by one or imported in bulk (deduplicated by normalised form per
//! site), listed, changed and deleted. A keyword new to its site records `keyword_added` in the
//! same transaction.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::event::{Causation, EventKind, NewEvent};
use crate::domain::ids::{AccountId, ClusterId, KeywordId, SiteId};
use crate::domain::intent::SearchIntent;
use crate::store::domain_events::record_event;
use crate::store::{Page, Paged, Store, StoreError};

/// The unique key that keeps one keyword per normalised form and site.
pub const KEYWORD_EXISTS: &str = "keywords_normalized_key";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Keyword {
    pub account_id: AccountId,
    pub id: KeywordId,
    pub site_id: SiteId,
    pub cluster_id: Option<ClusterId>,
    pub keyword: String,
    pub normalized: String,
    pub volume: Option<i32>,
    pub difficulty: Option<i16>,
    pub intent: Option<SearchIntent>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A keyword as given, with its normalised form.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKeyword {
    pub keyword: String,
    pub normalized: String,
    pub volume: Option<i32>,
    pub difficulty: Option<i16>,
    pub intent: Option<SearchIntent>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    pub created: Vec<Keyword>,
    /// Keywords the site had already, with the import's values where it gave any.
    pub updated: Vec<Keyword>,
}

const COLUMNS: &str = "account_id, id, site_id, cluster_id, keyword, normalized, volume, \
    difficulty, intent, created_at, updated_at";

fn added_event(keyword: &Keyword) -> NewEvent {
    NewEvent::new(
        keyword.account_id,
        EventKind::KeywordAdded,
        keyword.id.get(),
        json!({
            "id": keyword.id,
            "site_id": keyword.site_id,
            "keyword": keyword.keyword,
            "volume": keyword.volume,
            "difficulty": keyword.difficulty,
            "intent": keyword.intent,
        }),
        Causation::root(),
    )
}

#[derive(sqlx::FromRow)]
struct Upserted {
    #[sqlx(flatten)]
    keyword: Keyword,
    inserted: bool,
}

impl Store {
    /// Adds one keyword; one of the same normalised form on the site is
    /// [`StoreError::Constraint`] naming [`KEYWORD_EXISTS`].
    pub async fn insert_keyword(
        &self,
        account: AccountId,
        site: SiteId,
        new: &NewKeyword,
    ) -> Result<Keyword, StoreError> {
        let mut tx = self.begin().await?;
        let keyword: Keyword = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO keywords (account_id, site_id, keyword, normalized, volume, difficulty, intent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(site)
        .bind(&new.keyword)
        .bind(&new.normalized)
        .bind(new.volume)
        .bind(new.difficulty)
        .bind(new.intent)
        .fetch_one(&mut *tx)
        .await?;
        record_event(&mut tx, &added_event(&keyword)).await?;
        tx.commit().await?;
        Ok(keyword)
    }

    /// Adds or updates many keywords in one transaction: a keyword the site has already keeps
    /// its row and takes the values given (a missing value keeps the old one).
    pub async fn import_keywords(
        &self,
        account: AccountId,
        site: SiteId,
        keywords: &[NewKeyword],
    ) -> Result<Imported, StoreError> {
        let mut tx = self.begin().await?;
        let mut imported = Imported::default();
        for new in keywords {
            let row: Upserted = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "INSERT INTO keywords AS k (account_id, site_id, keyword, normalized, volume, difficulty, intent) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (account_id, site_id, normalized) DO UPDATE SET \
                   keyword = EXCLUDED.keyword, \
                   volume = coalesce(EXCLUDED.volume, k.volume), \
                   difficulty = coalesce(EXCLUDED.difficulty, k.difficulty), \
                   intent = coalesce(EXCLUDED.intent, k.intent) \
                 RETURNING {COLUMNS}, (xmax = 0) AS inserted"
            )))
            .bind(account)
            .bind(site)
            .bind(&new.keyword)
            .bind(&new.normalized)
            .bind(new.volume)
            .bind(new.difficulty)
            .bind(new.intent)
            .fetch_one(&mut *tx)
            .await?;
            if row.inserted {
                record_event(&mut tx, &added_event(&row.keyword)).await?;
                imported.created.push(row.keyword);
            } else {
                imported.updated.push(row.keyword);
            }
        }
        tx.commit().await?;
        Ok(imported)
    }

    pub async fn keyword(&self, account: AccountId, id: KeywordId) -> Result<Keyword, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM keywords WHERE account_id = $1 AND id = $2"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?)
    }

    /// The keywords of `ids` that exist in the account, by id.
    pub async fn keywords_by_ids(
        &self,
        account: AccountId,
        ids: &[KeywordId],
    ) -> Result<Vec<Keyword>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM keywords WHERE account_id = $1 AND id = ANY($2) ORDER BY id"
        )))
        .bind(account)
        .bind(ids)
        .fetch_all(self.pool())
        .await?)
    }

    /// A cluster's keywords, highest volume first.
    pub async fn cluster_keywords(
        &self,
        account: AccountId,
        cluster: ClusterId,
    ) -> Result<Vec<Keyword>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM keywords WHERE account_id = $1 AND cluster_id = $2 \
             ORDER BY volume DESC NULLS LAST, id"
        )))
        .bind(account)
        .bind(cluster)
        .fetch_all(self.pool())
        .await?)
    }

    /// Up to `limit` of a site's keywords that are in no cluster, by id.
    pub async fn unclustered_keywords(
        &self,
        account: AccountId,
        site: SiteId,
        limit: i64,
    ) -> Result<Vec<Keyword>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM keywords \
             WHERE account_id = $1 AND site_id = $2 AND cluster_id IS NULL ORDER BY id LIMIT $3"
        )))
        .bind(account)
        .bind(site)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// One page of a site's keywords by id, optionally of one cluster.
    pub async fn keywords_page(
        &self,
        account: AccountId,
        site: SiteId,
        cluster: Option<ClusterId>,
        page: Page,
    ) -> Result<Paged<Keyword>, StoreError> {
        self.site_rows_page("keywords", COLUMNS, (account, site, cluster), page)
            .await
    }

    /// Replaces a keyword's values.
    pub async fn update_keyword(
        &self,
        account: AccountId,
        id: KeywordId,
        new: &NewKeyword,
    ) -> Result<Keyword, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE keywords SET keyword = $3, normalized = $4, volume = $5, difficulty = $6, intent = $7 \
             WHERE account_id = $1 AND id = $2 RETURNING {COLUMNS}"
        )))
        .bind(account)
        .bind(id)
        .bind(&new.keyword)
        .bind(&new.normalized)
        .bind(new.volume)
        .bind(new.difficulty)
        .bind(new.intent)
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn delete_keyword(
        &self,
        account: AccountId,
        id: KeywordId,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM keywords WHERE account_id = $1 AND id = $2")
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
