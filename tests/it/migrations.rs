//! The schema applies to an empty database, and applying it again changes nothing.

use igny8::store::{MIGRATOR, Store};
use sqlx::PgPool;

/// Every table, column, constraint and index, as text: equal text means equal schema.
async fn schema_fingerprint(pool: &PgPool) -> String {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT format('%s.%s %s %s %s', table_name, column_name, data_type, is_nullable,
                       coalesce(column_default, ''))
         FROM information_schema.columns WHERE table_schema = 'public'
         UNION ALL
         SELECT format('constraint %s %s', conname, pg_get_constraintdef(oid))
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace
         UNION ALL
         SELECT format('index %s', indexdef) FROM pg_indexes WHERE schemaname = 'public'
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(r,)| r)
        .collect::<Vec<_>>()
        .join("\n")
}

#[sqlx::test(migrations = false)]
async fn migrations_apply_to_an_empty_database_and_rerun_changes_nothing(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let before = store.schema_status().await.unwrap();
    assert_eq!(before.applied, 0);
    assert!(!before.is_current());

    store.migrate().await.unwrap();
    let first = schema_fingerprint(&pool).await;
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(applied as usize, MIGRATOR.iter().count());
    assert!(store.schema_status().await.unwrap().is_current());

    store.migrate().await.unwrap();
    assert_eq!(schema_fingerprint(&pool).await, first);
    let applied_again: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(applied_again, applied);
}

#[sqlx::test]
async fn the_whole_data_model_exists(pool: PgPool) {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected = [
        "accounts",
        "plans",
        "users",
        "api_tokens",
        "site_user_access",
        "module_settings",
        "credit_transactions",
        "credit_usage_logs",
        "sites",
        "content",
        "sync_cursors",
        "sync_runs",
        "push_jobs",
        "webhook_deliveries",
        "jobs",
        "cron_fires",
        "optimization_tasks",
        "keywords",
        "clusters",
        "content_ideas",
        "tasks",
        "images",
        "automation_rules",
        "scheduled_tasks",
        "site_blueprints",
        "page_blueprints",
    ];
    let missing: Vec<_> = expected
        .iter()
        .filter(|t| !tables.iter().any(|have| have == *t))
        .collect();
    assert!(missing.is_empty(), "missing tables: {missing:?}");
}

#[sqlx::test]
async fn credits_can_never_go_negative(pool: PgPool) {
    let err = sqlx::query("INSERT INTO accounts (name, credits) VALUES ('a', -1)")
        .execute(&pool)
        .await
        .unwrap_err();
    let constraint = err
        .as_database_error()
        .and_then(|db| db.constraint())
        .map(str::to_owned);
    assert_eq!(constraint.as_deref(), Some("accounts_credits_nonnegative"));
}
