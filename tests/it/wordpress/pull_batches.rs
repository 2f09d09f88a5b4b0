//! A pull of more than one batch from a real WordPress: batches upsert side by side but
//! commit in the order they were read, so the committed cursor never passes an item that is
//! not stored, even when a batch fails while the one after it is already written.

use igny8::domain::site::PushPolicy;
use igny8::store::Store;
use igny8::store::sync_runs::{RunKind, Trigger};
use igny8::sync::pull::{Quiet, pull};
use sqlx::PgPool;

use super::site::WpSite;

/// Three batches of about 1,000.
const POSTS: i64 = 2_500;

#[sqlx::test]
async fn a_failed_batch_stops_the_batches_after_it_and_the_next_pull_resumes(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let wp = WpSite::create().await;
    wp.seed(POSTS as u32, 1).await;
    let account = store.create_account("Brew Guide", None).await.unwrap().id;
    let site = wp.register(&store, account, PushPolicy::Off).await;
    // The second batch fails, slowly enough that the third is read and upserted meanwhile.
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_post_1500() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN PERFORM pg_sleep(3); RAISE EXCEPTION 'post 1500 refused'; END $$;
         CREATE TRIGGER refuse_post_1500 BEFORE INSERT ON content FOR EACH ROW
             WHEN (NEW.external_id = '1500') EXECUTE FUNCTION refuse_post_1500();",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (connector, settings) = wp.connector(&site);
    let failed = pull(
        &store,
        &connector,
        &site,
        RunKind::Full,
        Trigger::Manual,
        settings.lookback(),
        &Quiet,
    )
    .await;
    assert!(failed.is_err(), "{failed:?}");

    let cursor = store
        .cursor(account, site.id, "post")
        .await
        .unwrap()
        .cursor
        .expect("the first batch committed");
    let (stored, newest, highest): (i64, chrono::DateTime<chrono::Utc>, i64) = sqlx::query_as(
        "SELECT count(*), max(remote_modified), max(external_id::bigint) FROM content \
         WHERE site_id = $1",
    )
    .bind(site.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    // Exactly the first batch: posts 1 to the cursor's, nothing of the batches after it.
    assert_eq!(newest, cursor.modified);
    assert_eq!(highest.to_string(), cursor.external_id);
    assert_eq!(stored, highest);
    assert!((900..1500).contains(&stored), "{stored} posts stored");

    sqlx::raw_sql("DROP TRIGGER refuse_post_1500 ON content")
        .execute(&pool)
        .await
        .unwrap();
    let resumed = pull(
        &store,
        &connector,
        &site,
        RunKind::Incremental,
        Trigger::Manual,
        settings.lookback(),
        &Quiet,
    )
    .await
    .unwrap();
    assert_eq!(resumed.error, None);
    assert_eq!(resumed.counts.created as i64, POSTS - stored);
    let (count, distinct): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT external_id) FROM content WHERE site_id = $1",
    )
    .bind(site.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((count, distinct), (POSTS, POSTS));
}
