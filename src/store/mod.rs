//! The only module that speaks SQL. One file per aggregate; callers get typed functions.

pub mod accounts;
pub mod automation_rules;
pub mod clusters;
pub mod content;
pub mod content_events;
pub mod content_ideas;
pub mod content_views;
pub mod credit_batches;
pub mod credits;
pub mod cron_fires;
pub mod domain_events;
pub mod images;
pub mod jobs;
pub mod keywords;
pub mod modules;
pub mod optimization_tasks;
pub mod page_blueprints;
pub mod pipeline;
pub mod push_jobs;
pub mod scheduled_tasks;
pub mod site_blueprints;
pub mod site_grants;
pub mod sites;
pub mod sync_runs;
pub mod tasks;
pub mod tokens;
pub mod users;
pub mod webhooks;

use std::sync::Arc;

use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool, Postgres};

use crate::domain::ids::{AccountId, ClusterId, SiteId};
use crate::settings::DatabaseSettings;
use crate::store::credit_batches::CreditBatches;

/// The schema, embedded at build time.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a pooled connection may sit unused before it is checked on its next use.
const IDLE_BEFORE_PING: std::time::Duration = std::time::Duration::from_secs(30);

/// A transaction a caller can group several store calls in (for example an enqueue with the
/// change that caused it).
pub type Transaction = sqlx::Transaction<'static, Postgres>;

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
    credit_batches: Arc<CreditBatches>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The job's lease was taken over by another claim: this worker must not act on it.
    #[error("the job's lease is no longer held by this worker")]
    LeaseLost,
    #[error("database constraint {constraint} violated")]
    Constraint { constraint: String },
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => match db.constraint() {
                Some(constraint) => StoreError::Constraint {
                    constraint: constraint.to_owned(),
                },
                None => StoreError::Database(err),
            },
            _ => StoreError::Database(err),
        }
    }
}

/// Which slice of a list to read: `page` counts from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u32,
    pub page_size: u32,
}

impl Page {
    pub(crate) fn limit(self) -> i64 {
        i64::from(self.page_size)
    }

    pub(crate) fn offset(self) -> i64 {
        i64::from(self.page.saturating_sub(1)) * i64::from(self.page_size)
    }
}

/// One page of a list, and how many items the whole list has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// Whether the schema this binary embeds is fully applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    pub embedded: i64,
    pub applied: i64,
}

impl SchemaStatus {
    pub fn is_current(self) -> bool {
        self.applied >= self.embedded
    }
}

impl Store {
    /// Connects, creating the database first when it does not exist yet.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Store, StoreError> {
        let url = settings.url.expose();
        if !Postgres::database_exists(url).await? {
            Postgres::create_database(url).await?;
            tracing::info!(database = %settings.url.database_name(), "Created the database.");
        }
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            // sqlx pings every connection it hands out by default: a second round trip for
            // each one-statement call (a credit hold, a balance read). Only connections idle
            // long enough to have been dropped by the server or the network are checked; a
            // busy one that broke fails its statement, which callers retry like any error.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_BEFORE_PING {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(settings.url.connect_options())
            .await?;
        Ok(Store::from_pool(pool))
    }

    pub fn from_pool(pool: PgPool) -> Store {
        let credit_batches = CreditBatches::for_pool(pool.options().get_max_connections());
        Store {
            pool,
            credit_batches: Arc::new(credit_batches),
        }
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    pub async fn begin(&self) -> Result<Transaction, StoreError> {
        Ok(self.pool.begin().await?)
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn schema_status(&self) -> Result<SchemaStatus, StoreError> {
        let embedded = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await
                .or_else(|err| match &err {
                    // No migration table yet: nothing is applied.
                    sqlx::Error::Database(db) if db.code().as_deref() == Some("42P01") => Ok(None),
                    _ => Err(err),
                })?;
        Ok(SchemaStatus {
            embedded,
            applied: applied.unwrap_or(0),
        })
    }

    /// One page, by id, of a planner table's rows (`columns` of `table`) on one site, optionally
    /// of one cluster, with the total.
    pub(crate) async fn site_rows_page<T>(
        &self,
        table: &str,
        columns: &str,
        (account, site, cluster): (AccountId, SiteId, Option<ClusterId>),
        page: Page,
    ) -> Result<Paged<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        let filter = "account_id = $1 AND site_id = $2 AND ($3::bigint IS NULL OR cluster_id = $3)";
        let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {columns} FROM {table} WHERE {filter} ORDER BY id LIMIT $4 OFFSET $5"
        )))
        .bind(account)
        .bind(site)
        .bind(cluster)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.pool())
        .await?;
        let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {table} WHERE {filter}"
        )))
        .bind(account)
        .bind(site)
        .bind(cluster)
        .fetch_one(self.pool())
        .await?;
        Ok(Paged { items, total })
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Where credit holds, captures and releases queue to run together.
    pub(crate) fn credit_batches(&self) -> &Arc<CreditBatches> {
        &self.credit_batches
    }
}
