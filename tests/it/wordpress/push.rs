//! Pushes to a real WordPress: a change lands and reads back, an edit made in WordPress in
//! between is never overwritten, the companion plugin's precondition refuses stale writes,
//! and a push interrupted in `writing` finishes without writing twice.

use igny8::connector::remote::{Connector, Patch, WriteOutcome};
use igny8::domain::content::ContentHash;
use igny8::domain::ids::ContentId;
use igny8::domain::site::PushPolicy;
use igny8::store::Store;
use igny8::store::push_jobs::PushState;
use igny8::store::sites::Site;
use igny8::store::sync_runs::{RunKind, Trigger};
use igny8::sync::pull::{Quiet, pull};
use igny8::sync::push::{push_site, queue};
use serde_json::json;
use sqlx::PgPool;

use super::site::WpSite;

/// A site with `count` seeded posts, pulled once, pushing automatically.
pub(super) async fn pulled_site(pool: &PgPool, count: u32) -> (Store, WpSite, Site) {
    let store = Store::from_pool(pool.clone());
    let wp = WpSite::create().await;
    wp.seed(count, 1).await;
    let account = store.create_account("Brew Guide", None).await.unwrap().id;
    let site = wp.register(&store, account, PushPolicy::Auto).await;
    let (connector, settings) = wp.connector(&site);
    pull(
        &store,
        &connector,
        &site,
        RunKind::Full,
        Trigger::Manual,
        settings.lookback(),
        &Quiet,
    )
    .await
    .unwrap();
    (store, wp, site)
}

/// Changes post `external_id` here the way the pipeline would, and queues the push.
pub(super) async fn change_and_queue(
    store: &Store,
    pool: &PgPool,
    site: &Site,
    external_id: &str,
) -> (ContentId, String) {
    let (id, version, raw): (ContentId, i64, String) = sqlx::query_as(
        "SELECT id, version, content_raw FROM content WHERE site_id = $1 AND external_id = $2",
    )
    .bind(site.id)
    .bind(external_id)
    .fetch_one(pool)
    .await
    .unwrap();
    let changed =
        format!("{raw}\n<!-- wp:paragraph -->\n<p>Added by igny8.</p>\n<!-- /wp:paragraph -->");
    let patch = Patch {
        content: Some(changed.clone()),
        ..Patch::default()
    };
    store
        .record_local_change(site.account_id, id, version, &patch, "optimizer")
        .await
        .unwrap();
    queue(store, site, id, &patch, 5).await.unwrap();
    (id, changed)
}

pub(super) async fn push_state(pool: &PgPool, content: ContentId) -> (String, Option<String>) {
    sqlx::query_as(
        "SELECT state, last_error FROM push_jobs WHERE content_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(content)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_push_lands_reads_back_and_does_not_echo(pool: PgPool) {
    let (store, wp, site) = pulled_site(&pool, 2).await;
    let (content, changed) = change_and_queue(&store, &pool, &site, "1").await;
    let (connector, settings) = wp.connector(&site);

    let summary = push_site(&store, &connector, &site).await.unwrap();
    assert_eq!((summary.done, summary.conflicts, summary.failed), (1, 0, 0));
    let remote = wp.get_item("wp/v2/posts", 1).await;
    assert_eq!(remote["content"]["raw"], json!(changed));
    let untouched = wp.get_item("wp/v2/posts", 2).await;
    assert!(
        !untouched["content"]["raw"]
            .as_str()
            .unwrap()
            .contains("Added by igny8")
    );

    let (sync_status, base_hash, remote_modified): (
        String,
        Vec<u8>,
        chrono::DateTime<chrono::Utc>,
    ) = sqlx::query_as("SELECT sync_status, base_hash, remote_modified FROM content WHERE id = $1")
        .bind(content)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sync_status, "synced");
    assert_eq!(base_hash, ContentHash::of(&changed).as_bytes());
    assert_eq!(
        remote_modified.format("%Y-%m-%dT%H:%M:%S").to_string(),
        remote["modified_gmt"].as_str().unwrap()
    );
    assert_eq!(push_state(&pool, content).await, ("done".into(), None));

    // Our own write coming back through a pull is recognised and changes nothing.
    let version = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT version FROM content WHERE id = $1")
            .bind(content)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = version(pool.clone()).await;
    let report = pull(
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
    assert_eq!((report.counts.updated, report.counts.created), (0, 0));
    assert!(
        report.counts.unchanged >= 1,
        "the pushed post is read back within the overlap"
    );
    assert_eq!(version(pool.clone()).await, before);
}

#[sqlx::test]
async fn an_edit_made_in_wordpress_after_the_pull_is_never_overwritten(pool: PgPool) {
    let (store, wp, site) = pulled_site(&pool, 1).await;
    let (content, changed) = change_and_queue(&store, &pool, &site, "1").await;
    // A person edits the post in WordPress before the push runs.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let edit = "<!-- wp:paragraph -->\n<p>Written by a person.</p>\n<!-- /wp:paragraph -->";
    wp.update_item("wp/v2/posts", 1, json!({"content": edit}))
        .await;

    let (connector, _) = wp.connector(&site);
    let summary = push_site(&store, &connector, &site).await.unwrap();
    assert_eq!((summary.done, summary.conflicts), (0, 1));
    assert_eq!(
        wp.get_item("wp/v2/posts", 1).await["content"]["raw"],
        json!(edit)
    );
    let (raw, sync_status, sync_error): (String, String, Option<String>) =
        sqlx::query_as("SELECT content_raw, sync_status, sync_error FROM content WHERE id = $1")
            .bind(content)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((raw.as_str(), sync_status.as_str()), (edit, "conflict"));
    assert!(sync_error.unwrap().contains("changed in the CMS"));
    assert_eq!(push_state(&pool, content).await.0, "conflict");
    // Our change is not lost: it is kept as a revision.
    let kept: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM content_revisions WHERE content_id = $1 AND content_raw = $2",
    )
    .bind(content)
    .bind(&changed)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kept, 1);
}

#[sqlx::test]
async fn the_companion_plugin_refuses_a_write_against_a_stale_version(pool: PgPool) {
    let (_store, wp, site) = pulled_site(&pool, 1).await;
    let (connector, _) = wp.connector(&site);
    connector.probe().await.unwrap();
    let stale = chrono::Utc::now() - chrono::Duration::days(3);
    let patch = Patch {
        content: Some("<p>Should not land.</p>".into()),
        ..Patch::default()
    };
    let outcome = connector.write("post", "1", &patch, stale).await.unwrap();
    assert!(
        matches!(
            outcome,
            WriteOutcome::PreconditionFailed {
                current_modified: Some(_)
            }
        ),
        "{outcome:?}"
    );
    assert_ne!(
        wp.get_item("wp/v2/posts", 1).await["content"]["raw"],
        json!("<p>Should not land.</p>")
    );
}

#[sqlx::test]
async fn a_push_interrupted_while_writing_finishes_without_writing_twice(pool: PgPool) {
    let (store, wp, site) = pulled_site(&pool, 2).await;
    let (connector, _) = wp.connector(&site);
    connector.probe().await.unwrap();

    // Post 1: the daemon died right after WordPress applied the write.
    let (landed, landed_body) = change_and_queue(&store, &pool, &site, "1").await;
    let job = store
        .active_pushes(site.account_id, site.id)
        .await
        .unwrap()
        .remove(0);
    assert!(
        store
            .advance_push(
                site.account_id,
                job.id,
                PushState::Pending,
                PushState::Writing
            )
            .await
            .unwrap()
    );
    let patch = job.patch().unwrap();
    connector
        .write("post", "1", &patch, job.base_remote_modified.unwrap())
        .await
        .unwrap();
    let after_first_write = wp.get_item("wp/v2/posts", 1).await["modified_gmt"].clone();

    // Post 2: the daemon died after marking `writing`, before the request left.
    let (lost, lost_body) = change_and_queue(&store, &pool, &site, "2").await;
    let job = store
        .active_pushes(site.account_id, site.id)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.content_id == lost)
        .unwrap();
    assert!(
        store
            .advance_push(
                site.account_id,
                job.id,
                PushState::Pending,
                PushState::Writing
            )
            .await
            .unwrap()
    );

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let summary = push_site(&store, &connector, &site).await.unwrap();
    assert_eq!((summary.done, summary.conflicts, summary.failed), (2, 0, 0));
    let post1 = wp.get_item("wp/v2/posts", 1).await;
    assert_eq!(post1["content"]["raw"], json!(landed_body));
    assert_eq!(
        post1["modified_gmt"], after_first_write,
        "the landed write was sent again"
    );
    assert_eq!(
        wp.get_item("wp/v2/posts", 2).await["content"]["raw"],
        json!(lost_body)
    );
    assert_eq!(push_state(&pool, landed).await.0, "done");
    assert_eq!(push_state(&pool, lost).await.0, "done");
    let attempts: i32 = sqlx::query_scalar("SELECT attempts FROM push_jobs WHERE content_id = $1")
        .bind(landed)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(attempts, 1);
}
