//! Pulls from a real WordPress: every status, windows and crowded seconds, incremental reads,
//! trash, permanent deletes and the companion plugin's journal.

use std::time::Duration;

use chrono::Duration as TimeDelta;
use igny8::domain::ids::AccountId;
use igny8::domain::site::PushPolicy;
use igny8::store::Store;
use igny8::store::sites::Site;
use igny8::store::sync_runs::{RunKind, Trigger};
use igny8::sync::pull::{PullReport, Quiet, pull};
use igny8::sync::reconcile::reconcile_run;
use serde_json::json;
use sqlx::PgPool;

use super::site::WpSite;

async fn account(store: &Store) -> AccountId {
    store.create_account("Brew Guide", None).await.unwrap().id
}

async fn pull_site(store: &Store, wp: &WpSite, site: &Site, kind: RunKind) -> PullReport {
    let (connector, settings) = wp.connector(site);
    pull(
        store,
        &connector,
        site,
        kind,
        Trigger::Manual,
        settings.lookback(),
        &Quiet,
    )
    .await
    .unwrap()
}

/// (external_type, remote_status, count) of our rows, sorted.
async fn tally(pool: &PgPool, site: &Site) -> Vec<(String, String, i64)> {
    sqlx::query_as(
        "SELECT external_type, remote_status, count(*) FROM content WHERE site_id = $1 \
         AND sync_status <> 'deleted_remote' GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(site.id)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_first_full_sync_reads_every_status_and_matches_wordpress_counts(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let wp = WpSite::create().await;
    wp.seed(230, 1).await;
    let future = (chrono::Utc::now() + TimeDelta::days(30))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    for (status, extra) in [
        ("draft", json!({})),
        ("private", json!({})),
        ("pending", json!({})),
        ("future", json!({"date_gmt": future})),
    ] {
        let mut body = json!({"title": format!("A {status} post"), "status": status,
            "content": format!("<!-- wp:paragraph --><p>Only {status}.</p><!-- /wp:paragraph -->")});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        wp.create_item("wp/v2/posts", body).await;
    }
    let trashed = wp
        .create_item(
            "wp/v2/posts",
            json!({"title": "Soon trashed", "status": "publish", "content": "x"}),
        )
        .await;
    wp.delete_item("wp/v2/posts", trashed["id"].as_u64().unwrap(), false)
        .await;
    wp.create_item(
        "wp/v2/pages",
        json!({"title": "About", "status": "publish", "content": "<p>About us</p>"}),
    )
    .await;
    wp.create_item(
        "wp/v2/pages",
        json!({"title": "Draft page", "status": "draft", "content": "<p>Soon</p>"}),
    )
    .await;

    let account = account(&store).await;
    let site = wp.register(&store, account, PushPolicy::Off).await;
    let report = pull_site(&store, &wp, &site, RunKind::Full).await;

    assert_eq!(report.error, None);
    let wp_posts = wp.count("wp/v2/posts", "any").await;
    let wp_trash = wp.count("wp/v2/posts", "trash").await;
    let wp_pages = wp.count("wp/v2/pages", "any").await;
    assert_eq!((wp_posts, wp_trash, wp_pages), (234, 1, 2));
    assert_eq!(report.counts.fetched, wp_posts + wp_trash + wp_pages);
    assert_eq!(report.counts.created, wp_posts + wp_trash + wp_pages);
    assert_eq!(
        tally(&pool, &site).await,
        vec![
            ("page".into(), "draft".into(), 1),
            ("page".into(), "publish".into(), 1),
            ("post".into(), "draft".into(), 1),
            ("post".into(), "future".into(), 1),
            ("post".into(), "pending".into(), 1),
            ("post".into(), "private".into(), 1),
            ("post".into(), "publish".into(), 230),
            ("post".into(), "trash".into(), 1),
        ]
    );
    // Raw source is kept for write-back, with the block comments WordPress stores.
    let raw: String = sqlx::query_scalar(
        "SELECT content_raw FROM content WHERE site_id = $1 AND remote_status = 'pending'",
    )
    .bind(site.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        raw,
        "<!-- wp:paragraph --><p>Only pending.</p><!-- /wp:paragraph -->"
    );
    let (status, expected, fetched): (String, Option<i32>, i32) =
        sqlx::query_as("SELECT status, expected_count, fetched_count FROM sync_runs WHERE id = $1")
            .bind(report.run)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), expected, fetched),
        ("succeeded", Some(237), 237)
    );

    // A second full read changes nothing.
    let again = pull_site(&store, &wp, &site, RunKind::Full).await;
    assert_eq!((again.counts.created, again.counts.updated), (0, 0));
}

#[sqlx::test]
async fn more_posts_in_one_second_than_a_page_holds_are_all_read(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let wp = WpSite::create().await;
    wp.seed(150, 0).await;
    let account = account(&store).await;
    let site = wp.register(&store, account, PushPolicy::Off).await;
    let report = pull_site(&store, &wp, &site, RunKind::Full).await;
    assert_eq!(report.error, None);
    assert_eq!(report.counts.fetched, 150);
    assert_eq!(
        tally(&pool, &site).await,
        vec![("post".into(), "publish".into(), 150)]
    );
}

#[sqlx::test]
async fn an_incremental_sync_fetches_only_what_changed(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let wp = WpSite::create().await;
    wp.seed(120, 1).await;
    let account = account(&store).await;
    // No overlap, so the count below is exactly the edits; the sleep keeps the edits out of
    // the cursor's second, which an overlap exists to cover.
    let site = wp
        .register_with(
            &store,
            account,
            PushPolicy::Off,
            json!({"lookback_seconds": 0}),
        )
        .await;
    pull_site(&store, &wp, &site, RunKind::Full).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    wp.update_item(
        "wp/v2/posts",
        5,
        json!({"content": "<p>Edited in WordPress.</p>"}),
    )
    .await;
    wp.update_item("wp/v2/posts", 77, json!({"title": "A new title"}))
        .await;
    let created = wp
        .create_item(
            "wp/v2/posts",
            json!({"title": "Brand new", "status": "draft", "content": "<p>New</p>"}),
        )
        .await;

    let report = pull_site(&store, &wp, &site, RunKind::Incremental).await;
    assert_eq!(report.error, None);
    assert_eq!(
        (
            report.counts.fetched,
            report.counts.updated,
            report.counts.created
        ),
        (3, 2, 1)
    );
    let (raw, status): (String, String) = sqlx::query_as(
        "SELECT content_raw, status FROM content WHERE site_id = $1 AND external_id = '5'",
    )
    .bind(site.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (raw.as_str(), status.as_str()),
        ("<p>Edited in WordPress.</p>", "draft")
    );
    let title: String =
        sqlx::query_scalar("SELECT title FROM content WHERE site_id = $1 AND external_id = $2")
            .bind(site.id)
            .bind(created["id"].as_u64().unwrap().to_string())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(title, "Brand new");
    // And with nothing changed, nothing is read.
    let idle = pull_site(&store, &wp, &site, RunKind::Incremental).await;
    assert_eq!(idle.counts.fetched, 0);
}

#[sqlx::test]
async fn trash_and_permanent_deletes_are_detected(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let wp = WpSite::create().await;
    wp.seed(3, 1).await;
    let account = account(&store).await;
    let site = wp.register(&store, account, PushPolicy::Off).await;
    pull_site(&store, &wp, &site, RunKind::Full).await;

    wp.delete_item("wp/v2/posts", 1, false).await;
    wp.delete_item("wp/v2/posts", 2, true).await;
    let report = pull_site(&store, &wp, &site, RunKind::Incremental).await;
    assert_eq!(report.error, None);
    let state = |id: &'static str| {
        let pool = pool.clone();
        let site = site.id;
        async move {
            sqlx::query_as::<_, (String, String)>(
                "SELECT sync_status, remote_status FROM content WHERE site_id = $1 AND external_id = $2",
            )
            .bind(site)
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(state("1").await, ("synced".into(), "trash".into()));
    // The companion plugin (installed on the test server) journals permanent deletes, so the
    // incremental pull sees them without a sweep.
    assert_eq!(report.counts.deleted, 1);
    assert_eq!(
        state("2").await,
        ("deleted_remote".into(), "publish".into())
    );
    assert_eq!(state("3").await, ("synced".into(), "publish".into()));
    // Restoring from the trash is an ordinary change.
    wp.update_item("wp/v2/posts", 1, json!({"status": "publish"}))
        .await;
    pull_site(&store, &wp, &site, RunKind::Incremental).await;
    assert_eq!(state("1").await, ("synced".into(), "publish".into()));
}

#[sqlx::test]
async fn the_id_sweep_finds_deletes_and_changes_that_pulls_missed(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let wp = WpSite::create().await;
    wp.seed(3, 1).await;
    let account = account(&store).await;
    let site = wp.register(&store, account, PushPolicy::Off).await;
    pull_site(&store, &wp, &site, RunKind::Full).await;
    // What a missed delete and a missed edit look like from here: a row WordPress never had,
    // and a row older than WordPress's copy.
    sqlx::query(
        "INSERT INTO content (account_id, site_id, source, sync_status, external_type, external_id, \
             remote_modified, remote_status) VALUES ($1, $2, 'wordpress', 'synced', 'post', '999', now(), 'publish')",
    )
    .bind(account)
    .bind(site.id)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE content SET remote_modified = remote_modified - interval '1 day', content_raw = 'stale' \
         WHERE site_id = $1 AND external_id = '3'",
    )
    .bind(site.id)
    .execute(&pool)
    .await
    .unwrap();

    let (connector, _) = wp.connector(&site);
    let swept = reconcile_run(&store, &connector, &site, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!((swept.counts.deleted, swept.counts.updated), (1, 1));
    let rows: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT external_id, sync_status, content_raw = 'stale' FROM content WHERE site_id = $1 ORDER BY external_id",
    )
    .bind(site.id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            ("1".into(), "synced".into(), false),
            ("2".into(), "synced".into(), false),
            ("3".into(), "synced".into(), false),
            ("999".into(), "deleted_remote".into(), false),
        ]
    );
    let kind: String = sqlx::query_scalar("SELECT kind FROM sync_runs WHERE id = $1")
        .bind(swept.run)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(kind, "reconcile");
}

#[sqlx::test]
async fn the_companion_plugin_journal_reports_deletes_without_a_sweep(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let wp = WpSite::create().await;
    // Webhooks go nowhere here; the journal is what is tested.
    wp.enable_plugin("http://127.0.0.1:9/", "not-used").await;
    wp.seed(2, 1).await;
    let account = account(&store).await;
    let site = wp.register(&store, account, PushPolicy::Off).await;
    pull_site(&store, &wp, &site, RunKind::Full).await;
    wp.delete_item("wp/v2/posts", 2, true).await;
    let report = pull_site(&store, &wp, &site, RunKind::Incremental).await;
    assert_eq!(report.counts.deleted, 1);
    let status: String = sqlx::query_scalar(
        "SELECT sync_status FROM content WHERE site_id = $1 AND external_id = '2'",
    )
    .bind(site.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(status, "deleted_remote");
}
