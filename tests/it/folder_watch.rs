//! Folder sites against the real database: a pull and its sweep through the sync engine, and
//! the daemon's folder watcher with the job worker keeping the site current, a file dropped,
//! edited and deleted showing within two seconds each.

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use igny8::connector::http::HttpClient;
use igny8::connector::rest::definitions::Definitions;
use igny8::domain::site::{ConnectorKind, PushPolicy, SiteName};
use igny8::jobs::handler::Registry;
use igny8::settings::ConnectorSettings;
use igny8::shutdown::Shutdown;
use igny8::store::Store;
use igny8::store::sites::{Site, SiteSpec};
use igny8::store::sync_runs::{RunKind, Trigger};
use igny8::sync::folder_watch;
use igny8::sync::jobs::{self as sync_jobs, SyncServices};
use igny8::sync::pull::Quiet;
use igny8::sync::reconcile::reconcile_run;
use igny8::sync::site_connector::Secrets;
use serde_json::json;
use sqlx::PgPool;

use crate::support::{RunningPool, eventually, job_settings};

/// How quickly a change must show: the behaviour the watcher promises, not a benchmark.
const DEADLINE: Duration = Duration::from_secs(2);

async fn folder_site(store: &Store, folder: &Path) -> Site {
    let account = store.create_account("Folder", None).await.unwrap();
    let spec = SiteSpec {
        name: SiteName::parse("notes").unwrap(),
        connector: ConnectorKind::Files,
        base_url: None,
        credentials_ref: None,
        settings: json!({"path": folder}),
        schedule: None,
        push_policy: PushPolicy::Off,
        link_enabled: false,
    };
    store.upsert_site(account.id, &spec, false).await.unwrap()
}

/// The stored body and sync status of the item at `path`, if there is a row.
async fn row(pool: &PgPool, site: &Site, path: &str) -> Option<(String, String, String)> {
    sqlx::query_as(
        "SELECT title, content_raw, sync_status FROM content \
         WHERE site_id = $1 AND external_type = 'file' AND external_id = $2",
    )
    .bind(site.id)
    .bind(path)
    .fetch_optional(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn a_file_dropped_edited_and_deleted_shows_within_two_seconds(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let folder = tempfile::tempdir().unwrap();
    let site = folder_site(&store, folder.path()).await;
    let services = SyncServices {
        http: Arc::new(HttpClient::new(&ConnectorSettings::default()).unwrap()),
        secrets: Arc::new(RwLock::new(Secrets::new(folder.path().to_owned()))),
        definitions: Arc::new(Definitions::new(folder.path().to_owned())),
        max_attempts: 3,
    };
    let mut registry = Registry::default();
    sync_jobs::install(&mut registry, services);
    let workers = RunningPool::start(&store, registry, job_settings(2, 3, 30));
    let shutdown = Shutdown::new();
    let watcher = tokio::spawn(folder_watch::run(store.clone(), 3, shutdown.clone()));

    // The watcher starts with the daemon; until it has read the site list, a change goes
    // unseen, so the first file is written again until it shows.
    let warm_up = folder.path().join("warm-up.md");
    eventually(Duration::from_secs(20), "the watcher to start", || {
        let (pool, site, warm_up) = (pool.clone(), site.clone(), warm_up.clone());
        async move {
            std::fs::write(&warm_up, "Warming up.").unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            row(&pool, &site, "warm-up.md").await
        }
    })
    .await;

    let path = folder.path().join("guides/garlic.md");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "---\ntitle: Garlic\n---\nPlant **cloves** in autumn.\n",
    )
    .unwrap();
    let (title, body, status) = eventually(DEADLINE, "the dropped file", || {
        let (pool, site) = (pool.clone(), site.clone());
        async move { row(&pool, &site, "guides/garlic.md").await }
    })
    .await;
    assert_eq!(title, "Garlic");
    assert_eq!(body, "<p>Plant <strong>cloves</strong> in autumn.</p>\n");
    assert_eq!(status, "synced");

    std::fs::write(
        &path,
        "---\ntitle: Garlic\n---\nPlant cloves in *October*.\n",
    )
    .unwrap();
    eventually(DEADLINE, "the edit", || {
        let (pool, site) = (pool.clone(), site.clone());
        async move {
            row(&pool, &site, "guides/garlic.md")
                .await
                .filter(|(_, body, _)| body.contains("<em>October</em>"))
        }
    })
    .await;

    std::fs::remove_file(&path).unwrap();
    eventually(DEADLINE, "the deletion", || {
        let (pool, site) = (pool.clone(), site.clone());
        async move {
            row(&pool, &site, "guides/garlic.md")
                .await
                .filter(|(_, _, status)| status == "deleted_remote")
        }
    })
    .await;

    // A directory moved out takes its files with it and reports only itself: the full pull's
    // sweep finds them gone.
    std::fs::create_dir(folder.path().join("archive")).unwrap();
    std::fs::write(folder.path().join("archive/old.md"), "Old news.").unwrap();
    eventually(DEADLINE, "the archived file", || {
        let (pool, site) = (pool.clone(), site.clone());
        async move { row(&pool, &site, "archive/old.md").await }
    })
    .await;
    let elsewhere = tempfile::tempdir_in(folder.path().parent().unwrap()).unwrap();
    std::fs::rename(
        folder.path().join("archive"),
        elsewhere.path().join("archive"),
    )
    .unwrap();
    eventually(DEADLINE, "the moved directory's file to be gone", || {
        let (pool, site) = (pool.clone(), site.clone());
        async move {
            row(&pool, &site, "archive/old.md")
                .await
                .filter(|(_, _, status)| status == "deleted_remote")
        }
    })
    .await;

    shutdown.begin(Duration::from_secs(1));
    watcher.await.unwrap();
    workers.stop().await;
}

#[sqlx::test]
async fn a_pull_reads_the_folder_and_the_sweep_finds_what_was_deleted(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let folder = tempfile::tempdir().unwrap();
    std::fs::create_dir(folder.path().join("guides")).unwrap();
    std::fs::write(
        folder.path().join("guides/kale.md"),
        "---\ntitle: Kale\nslug: kale-guide\nkeyphrase: grow kale\ndescription: All about kale.\n---\n# Kale\n",
    )
    .unwrap();
    std::fs::write(folder.path().join("index.html"), "<p>Home</p>").unwrap();
    std::fs::write(folder.path().join(".draft.md"), "hidden").unwrap();
    std::fs::write(folder.path().join("notes.txt"), "not content").unwrap();
    let site = folder_site(&store, folder.path()).await;
    let (connector, timings) = igny8::sync::site_connector::connect(
        &site,
        Arc::new(HttpClient::new(&ConnectorSettings::default()).unwrap()),
        &Secrets::new(folder.path().to_owned()),
        &Definitions::new(folder.path().to_owned()),
    )
    .unwrap();
    let report = igny8::sync::pull::pull(
        &store,
        &connector,
        &site,
        RunKind::Full,
        Trigger::Manual,
        timings.lookback,
        &Quiet,
    )
    .await
    .unwrap();
    assert_eq!(report.error, None);
    assert_eq!(report.counts.created, 2);
    let (slug, keyphrase, description, source): (String, String, String, String) = sqlx::query_as(
        "SELECT slug, focus_keyphrase, meta_description, source FROM content \
             WHERE site_id = $1 AND external_id = 'guides/kale.md'",
    )
    .bind(site.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (slug.as_str(), keyphrase.as_str(), description.as_str()),
        ("kale-guide", "grow kale", "All about kale.")
    );
    assert_eq!(source, "custom");

    std::fs::remove_file(folder.path().join("index.html")).unwrap();
    let swept = reconcile_run(&store, &connector, &site, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(swept.error, None);
    let (_, _, status) = row(&pool, &site, "index.html").await.unwrap();
    assert_eq!(status, "deleted_remote");
    let (_, _, status) = row(&pool, &site, "guides/kale.md").await.unwrap();
    assert_eq!(status, "synced");
}
