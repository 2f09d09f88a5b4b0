//! The `igny8` binary killed with SIGKILL in the middle of a sync and of a push, then run
//! again: nothing lost, nothing duplicated, no write sent twice.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use igny8::connector::remote::Patch;
use igny8::domain::ids::ContentId;
use igny8::domain::site::PushPolicy;
use igny8::store::Store;
use igny8::sync::push::queue;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sqlx::PgPool;

use super::site::WpSite;
use crate::support::{database_url, eventually};

const BINARY: &str = env!("CARGO_BIN_EXE_igny8");

fn config(dir: &Path, pool: &PgPool) -> std::path::PathBuf {
    let file = dir.join("igny8.toml");
    std::fs::write(
        &file,
        format!(
            "data_dir = \"{}\"\n[database]\nurl = \"{}\"\n",
            dir.display(),
            database_url(pool)
        ),
    )
    .unwrap();
    file
}

fn start(config: &Path, args: &[&str]) -> Child {
    Command::new(BINARY)
        .arg("--config")
        .arg(config)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn run(config: &Path, args: &[&str]) -> String {
    let output = Command::new(BINARY)
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "igny8 {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn kill_9(child: &mut Child) {
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    child.wait().unwrap();
}

async fn scalar(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test]
async fn a_sync_killed_midway_resumes_without_losing_or_duplicating(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let wp = WpSite::create().await;
    wp.seed(1500, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &pool);
    run(&config, &["migrate"]);
    let account = store.create_account("Brew Guide", None).await.unwrap().id;
    wp.register_with_files(&store, account, PushPolicy::Off, dir.path(), "unused")
        .await;

    let mut sync = start(&config, &["sync", "--site", &wp.name]);
    eventually(Duration::from_secs(60), "some windows to commit", || {
        let pool = pool.clone();
        async move { (scalar(&pool, "SELECT count(*) FROM content").await >= 300).then_some(()) }
    })
    .await;
    kill_9(&mut sync);
    let after_kill = scalar(&pool, "SELECT count(*) FROM content").await;
    assert!(after_kill < 1500, "the sync finished before it was killed");

    let out = run(&config, &["sync", "--site", &wp.name]);
    assert_eq!(scalar(&pool, "SELECT count(*) FROM content").await, 1500);
    assert_eq!(
        scalar(&pool, "SELECT count(DISTINCT external_id) FROM content").await,
        1500
    );
    // The second run resumed at the last committed window rather than starting over.
    let fetched = scalar(
        &pool,
        "SELECT fetched_count::bigint FROM sync_runs WHERE status = 'succeeded' ORDER BY id DESC LIMIT 1",
    )
    .await;
    assert!(
        fetched < 1500,
        "the resumed run read {fetched} items: {out}"
    );
    assert_eq!(
        scalar(
            &pool,
            "SELECT count(*) FROM sync_runs WHERE status = 'failed' AND error LIKE '%interrupted%'"
        )
        .await,
        1
    );
}

#[sqlx::test]
async fn a_push_killed_midway_finishes_without_writing_twice(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let wp = WpSite::create().await;
    wp.seed(40, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &pool);
    run(&config, &["migrate"]);
    let account = store.create_account("Brew Guide", None).await.unwrap().id;
    let site = wp
        .register_with_files(&store, account, PushPolicy::Auto, dir.path(), "unused")
        .await;
    run(&config, &["sync", "--site", &wp.name]);
    let items: Vec<(ContentId, i64, String, String)> = sqlx::query_as(
        "SELECT id, version, content_raw, external_id FROM content ORDER BY external_id::int",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut intended = Vec::new();
    for (id, version, raw, external_id) in items {
        let patch = Patch {
            content: Some(format!("{raw}\n<p>Linked by igny8 ({external_id}).</p>")),
            ..Patch::default()
        };
        store
            .record_local_change(account, id, version, &patch, "linker")
            .await
            .unwrap();
        queue(&store, &site, id, &patch, 5).await.unwrap();
        intended.push((external_id, patch.content.unwrap()));
    }

    let mut push = start(&config, &["push", "--site", &wp.name]);
    eventually(Duration::from_secs(60), "some pushes to finish", || {
        let pool = pool.clone();
        async move {
            (scalar(&pool, "SELECT count(*) FROM push_jobs WHERE state = 'done'").await >= 5)
                .then_some(())
        }
    })
    .await;
    kill_9(&mut push);
    assert!(scalar(&pool, "SELECT count(*) FROM push_jobs WHERE state = 'done'").await < 40);

    run(&config, &["push", "--site", &wp.name]);
    // A second write of a landed change would carry a stale expected modified time, which the
    // companion plugin refuses with 412, ending the push as a conflict: all done means every
    // change was written exactly once.
    assert_eq!(
        scalar(&pool, "SELECT count(*) FROM push_jobs WHERE state = 'done'").await,
        40
    );
    assert_eq!(
        scalar(
            &pool,
            "SELECT count(*) FROM push_jobs WHERE state <> 'done'"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &pool,
            "SELECT count(*) FROM content WHERE sync_status = 'synced'"
        )
        .await,
        40
    );
    for (external_id, body) in intended {
        let remote = wp
            .get_item("wp/v2/posts", external_id.parse().unwrap())
            .await;
        assert_eq!(
            remote["content"]["raw"].as_str().unwrap(),
            body,
            "post {external_id}"
        );
    }
}
