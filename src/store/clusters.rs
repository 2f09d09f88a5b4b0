//! Keyword clusters: made by auto-clustering (with their keywords moved in, in one transaction)
//! or by hand, listed with their keyword counts, renamed, re-filled and deleted. A new cluster
//! records `cluster_created` in its transaction.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::event::{Causation, EventKind, NewEvent};
use crate::domain::ids::{AccountId, ClusterId, KeywordId, SiteId};
use crate::store::domain_events::record_event;
use crate::store::{Page, Paged, Store, StoreError, Transaction};

/// The unique key of cluster names within a site.
pub const CLUSTER_NAME_TAKEN: &str = "clusters_name_key";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Cluster {
    pub account_id: AccountId,
    pub id: ClusterId,
    pub site_id: SiteId,
    pub name: String,
    pub description: Option<String>,
    pub status: String,
    pub keyword_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A cluster to create, with the keywords it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCluster {
    pub name: String,
    pub description: Option<String>,
    pub keywords: Vec<KeywordId>,
}

/// Changes to a cluster; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterChange {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub status: Option<String>,
    /// The cluster's keywords from now on: these move in (from wherever they were), the others
    /// return to the unclustered pool.
    pub keywords: Option<Vec<KeywordId>>,
}

const SELECT: &str = "SELECT c.account_id, c.id, c.site_id, c.name, c.description, c.status, \
    (SELECT count(*) FROM keywords k WHERE k.account_id = c.account_id AND k.cluster_id = c.id) \
      AS keyword_count, c.created_at, c.updated_at FROM clusters c";

/// Moves `keywords` (of `site`) into `cluster`; the number moved.
async fn move_keywords(
    tx: &mut Transaction,
    account: AccountId,
    site: SiteId,
    cluster: ClusterId,
    keywords: &[KeywordId],
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE keywords SET cluster_id = $3 WHERE account_id = $1 AND site_id = $4 AND id = ANY($2)",
    )
    .bind(account)
    .bind(keywords)
    .bind(cluster)
    .bind(site)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// `name`, or `name (2)`, `name (3)` ... whichever the site does not use yet.
async fn free_name(
    tx: &mut Transaction,
    account: AccountId,
    site: SiteId,
    name: &str,
) -> Result<String, StoreError> {
    let taken: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM clusters WHERE account_id = $1 AND site_id = $2 \
         AND (name = $3 OR name LIKE $3 || ' (%)')",
    )
    .bind(account)
    .bind(site)
    .bind(name)
    .fetch_all(&mut **tx)
    .await?;
    if !taken.iter().any(|t| t == name) {
        return Ok(name.to_owned());
    }
    let free = (2..)
        .map(|n| format!("{name} ({n})"))
        .find(|candidate| !taken.contains(candidate))
        .expect("some suffix is free");
    Ok(free)
}

async fn insert_cluster(
    tx: &mut Transaction,
    account: AccountId,
    site: SiteId,
    name: &str,
    new: &NewCluster,
) -> Result<ClusterId, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO clusters (account_id, site_id, name, description) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(account)
    .bind(site)
    .bind(name)
    .bind(&new.description)
    .fetch_one(&mut **tx)
    .await?)
}

async fn record_created(
    tx: &mut Transaction,
    account: AccountId,
    site: SiteId,
    id: ClusterId,
    name: &str,
    keyword_count: usize,
    causation: &Causation,
) -> Result<(), StoreError> {
    let event = NewEvent::new(
        account,
        EventKind::ClusterCreated,
        id.get(),
        json!({"id": id, "site_id": site, "name": name, "keyword_count": keyword_count}),
        causation.clone(),
    );
    record_event(tx, &event).await?;
    Ok(())
}

impl Store {
    /// Creates clusters on `site` and moves their keywords in, in one transaction. With
    /// `number_taken`, a name the site already uses gets a number; otherwise it is
    /// [`StoreError::Constraint`] naming [`CLUSTER_NAME_TAKEN`]. Each `cluster_created` event
    /// carries `causation`.
    pub async fn create_clusters(
        &self,
        account: AccountId,
        site: SiteId,
        clusters: &[NewCluster],
        number_taken: bool,
        causation: &Causation,
    ) -> Result<Vec<Cluster>, StoreError> {
        let mut tx = self.begin().await?;
        let mut ids = Vec::with_capacity(clusters.len());
        for new in clusters {
            let name = if number_taken {
                free_name(&mut tx, account, site, new.name.trim()).await?
            } else {
                new.name.trim().to_owned()
            };
            let id = insert_cluster(&mut tx, account, site, &name, new).await?;
            move_keywords(&mut tx, account, site, id, &new.keywords).await?;
            record_created(
                &mut tx,
                account,
                site,
                id,
                &name,
                new.keywords.len(),
                causation,
            )
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        self.clusters_by_ids(account, &ids).await
    }

    /// Creates clusters on `site` from keywords that are still in no cluster when this
    /// transaction locks them; a cluster left with none is not kept. Two clusterings of one
    /// site's unclustered keywords running at once therefore cannot both take a keyword: the
    /// second waits on the first's row locks and then finds the keywords taken (and, reading
    /// the names after that wait, numbers a name the first took). Names the site already uses
    /// get a number.
    pub async fn create_clusters_from_unclustered(
        &self,
        account: AccountId,
        site: SiteId,
        clusters: &[NewCluster],
        causation: &Causation,
    ) -> Result<Vec<Cluster>, StoreError> {
        let mut tx = self.begin().await?;
        let proposed: Vec<KeywordId> = clusters
            .iter()
            .flat_map(|c| c.keywords.iter().copied())
            .collect();
        // One statement in id order, so two clusterings lock their common keywords in the
        // same order and cannot deadlock on them.
        let free: HashSet<KeywordId> = sqlx::query_scalar::<_, KeywordId>(
            "SELECT id FROM keywords \
             WHERE account_id = $1 AND site_id = $2 AND id = ANY($3) AND cluster_id IS NULL \
             ORDER BY id FOR UPDATE",
        )
        .bind(account)
        .bind(site)
        .bind(&proposed)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        let mut ids = Vec::with_capacity(clusters.len());
        for new in clusters {
            let keywords: Vec<KeywordId> = new
                .keywords
                .iter()
                .copied()
                .filter(|k| free.contains(k))
                .collect();
            if keywords.is_empty() {
                continue;
            }
            let name = free_name(&mut tx, account, site, new.name.trim()).await?;
            let id = insert_cluster(&mut tx, account, site, &name, new).await?;
            move_keywords(&mut tx, account, site, id, &keywords).await?;
            record_created(&mut tx, account, site, id, &name, keywords.len(), causation).await?;
            ids.push(id);
        }
        tx.commit().await?;
        self.clusters_by_ids(account, &ids).await
    }

    pub async fn clusters_by_ids(
        &self,
        account: AccountId,
        ids: &[ClusterId],
    ) -> Result<Vec<Cluster>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE c.account_id = $1 AND c.id = ANY($2) ORDER BY c.id"
        )))
        .bind(account)
        .bind(ids)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn cluster(&self, account: AccountId, id: ClusterId) -> Result<Cluster, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE c.account_id = $1 AND c.id = $2"
        )))
        .bind(account)
        .bind(id)
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn clusters_page(
        &self,
        account: AccountId,
        site: SiteId,
        page: Page,
    ) -> Result<Paged<Cluster>, StoreError> {
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE c.account_id = $1 AND c.site_id = $2 ORDER BY c.id LIMIT $3 OFFSET $4"
        )))
        .bind(account)
        .bind(site)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total = sqlx::query_scalar(
            "SELECT count(*) FROM clusters WHERE account_id = $1 AND site_id = $2",
        )
        .bind(account)
        .bind(site)
        .fetch_one(self.pool())
        .await?;
        Ok(Paged { items, total })
    }

    /// Changes a cluster, moving keywords as `change.keywords` says, in one transaction.
    pub async fn update_cluster(
        &self,
        account: AccountId,
        id: ClusterId,
        change: &ClusterChange,
    ) -> Result<Cluster, StoreError> {
        let mut tx = self.begin().await?;
        let site: SiteId = sqlx::query_scalar(
            "UPDATE clusters SET name = coalesce($3, name), \
               description = CASE WHEN $4 THEN $5 ELSE description END, \
               status = coalesce($6, status) \
             WHERE account_id = $1 AND id = $2 RETURNING site_id",
        )
        .bind(account)
        .bind(id)
        .bind(&change.name)
        .bind(change.description.is_some())
        .bind(change.description.clone().flatten())
        .bind(&change.status)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(keywords) = &change.keywords {
            sqlx::query(
                "UPDATE keywords SET cluster_id = NULL \
                 WHERE account_id = $1 AND cluster_id = $2 AND NOT (id = ANY($3))",
            )
            .bind(account)
            .bind(id)
            .bind(keywords)
            .execute(&mut *tx)
            .await?;
            move_keywords(&mut tx, account, site, id, keywords).await?;
        }
        tx.commit().await?;
        self.cluster(account, id).await
    }

    /// Deletes a cluster; its keywords return to the unclustered pool.
    pub async fn delete_cluster(
        &self,
        account: AccountId,
        id: ClusterId,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM clusters WHERE account_id = $1 AND id = $2")
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
