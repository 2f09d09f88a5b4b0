//! Pushes per second to the real WordPress of the end-to-end tests (tests/e2e/wordpress/), one
//! write per call against `/batch/v1` (25 per call), through the whole outbox path: preflight
//! re-read, conditional write, read-back receipt and the ending recorded in PostgreSQL.
//!
//! Run: `cargo bench --bench push_wordpress` (as root: it starts the WordPress server with
//! tests/e2e/wordpress/setup.sh when it is not running, and seeds a site of its own). Each
//! round changes every post and pushes the changes, first with single writes, then in
//! batches, and prints pushes per second for both.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use igny8::connector::ConnectorError;
use igny8::connector::remote::{
    BatchWrite, Connector, Deletion, Patch, RemoteItem, RemoteStub, Stream, Window, WriteOutcome,
};
use igny8::connector::wordpress::{WordPress, WpPosition};
use igny8::domain::ids::ContentId;
use igny8::domain::site::PushPolicy;
use igny8::store::Store;
use igny8::store::sites::Site;
use igny8::store::sync_runs::{RunKind, Trigger};
use igny8::sync::pull::{Quiet, pull};
use igny8::sync::push::{push_site, queue};
use igny8::sync::site_connector::{Secrets, wordpress};
use serde_json::{Value, json};
use sqlx::PgPool;

const POSTS: u32 = 100;
const SITE: &str = "benchpush";
const DATABASE: &str = "igny8_bench_push";
const ROUNDS: usize = 3;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn site_php(args: &[&str]) -> Value {
    let output = Command::new("php")
        .arg(repo().join("tests/e2e/wordpress/site.php"))
        .args(args)
        .output()
        .expect("php runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The WordPress connector, offering no batches: every push is its own re-read and write.
struct SingleWrites<'a>(&'a WordPress);

impl Connector for SingleWrites<'_> {
    type Position = WpPosition;

    async fn probe(&self) -> Result<Value, ConnectorError> {
        self.0.probe().await
    }
    fn streams(&self) -> Vec<Stream> {
        self.0.streams()
    }
    fn start(&self, stream: &Stream, since: Option<DateTime<Utc>>) -> WpPosition {
        self.0.start(stream, since)
    }
    async fn next_window(
        &self,
        position: &mut WpPosition,
    ) -> Result<Option<Window>, ConnectorError> {
        self.0.next_window(position).await
    }
    async fn sweep(&self, stream: &Stream) -> Result<Vec<RemoteStub>, ConnectorError> {
        self.0.sweep(stream).await
    }
    async fn fetch(
        &self,
        external_type: &str,
        external_ids: &[String],
    ) -> Result<Vec<RemoteItem>, ConnectorError> {
        self.0.fetch(external_type, external_ids).await
    }
    async fn deletions(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Option<Vec<Deletion>>, ConnectorError> {
        self.0.deletions(since).await
    }
    async fn write(
        &self,
        external_type: &str,
        external_id: &str,
        patch: &Patch,
        expected_modified: DateTime<Utc>,
    ) -> Result<WriteOutcome, ConnectorError> {
        self.0
            .write(external_type, external_id, patch, expected_modified)
            .await
    }
    fn batch_size(&self) -> usize {
        1
    }
    async fn write_batch(
        &self,
        writes: &[BatchWrite<'_>],
    ) -> Result<Vec<Result<WriteOutcome, ConnectorError>>, ConnectorError> {
        self.0.write_batch(writes).await
    }
}

/// Changes every post here, the way the pipeline would, and queues the pushes.
async fn change_all(store: &Store, pool: &PgPool, site: &Site, round: usize, mode: &str) {
    let rows: Vec<(ContentId, i64, String)> =
        sqlx::query_as("SELECT id, version, content_raw FROM content WHERE site_id = $1")
            .bind(site.id)
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), POSTS as usize);
    for (id, version, raw) in rows {
        let patch = Patch {
            content: Some(format!("{raw}\n<p>Round {round}, {mode}.</p>")),
            ..Patch::default()
        };
        store
            .record_local_change(site.account_id, id, version, &patch, "optimizer")
            .await
            .unwrap();
        queue(store, site, id, &patch, 5).await.unwrap();
    }
}

async fn timed_push<C: Connector>(store: &Store, connector: &C, site: &Site) -> Duration {
    let started = Instant::now();
    let summary = push_site(store, connector, site).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(
        (summary.done, summary.conflicts, summary.failed),
        (u64::from(POSTS), 0, 0)
    );
    elapsed
}

fn rate(elapsed: Duration) -> f64 {
    f64::from(POSTS) / elapsed.as_secs_f64()
}

mod support;

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let status = Command::new("bash")
        .arg(repo().join("tests/e2e/wordpress/setup.sh"))
        .status()
        .unwrap();
    assert!(status.success(), "the WordPress server did not start");
    site_php(&["drop", SITE]);
    let created = site_php(&["create", SITE]);
    site_php(&["seed", SITE, &POSTS.to_string()]);
    let base = created["base_url"].as_str().unwrap();
    let user = created["username"].as_str().unwrap();
    let password = created["app_password"].as_str().unwrap();

    let store = support::fresh_store(DATABASE).await;
    let pool = PgPool::connect(&support::database_url(DATABASE))
        .await
        .unwrap();
    let site = support::wordpress_site(
        &store,
        SITE,
        base,
        Some(format!("config:{SITE}")),
        json!({"username": user, "post_types": ["post"]}),
        PushPolicy::Auto,
    )
    .await;
    let mut secrets = Secrets::new(std::env::temp_dir());
    secrets.insert(
        format!("config:{SITE}"),
        igny8::connector::wordpress::api::AppPassword::new(password),
    );
    let (connector, settings) = wordpress(&site, support::http(), &secrets).unwrap();
    let report = pull(
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
    assert_eq!(report.counts.created, u64::from(POSTS));
    connector.probe().await.unwrap();
    assert!(connector.batch_size() > 1, "the site offers no batches");

    for round in 1..=ROUNDS {
        change_all(&store, &pool, &site, round, "single").await;
        let single = timed_push(&store, &SingleWrites(&connector), &site).await;
        change_all(&store, &pool, &site, round, "batch").await;
        let batch = timed_push(&store, &connector, &site).await;
        println!(
            "round {round}: {POSTS} pushes: single {:.2} s = {:.1}/s, batch of {} {:.2} s = {:.1}/s ({:.1}x)",
            single.as_secs_f64(),
            rate(single),
            connector.batch_size(),
            batch.as_secs_f64(),
            rate(batch),
            single.as_secs_f64() / batch.as_secs_f64()
        );
    }
    site_php(&["drop", SITE]);
}
