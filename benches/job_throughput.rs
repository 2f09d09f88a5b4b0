//! No-op jobs per second through the real queue: 2 workers claiming, running and completing
//! jobs on the local PostgreSQL (DATABASE_URL's server, database `igny8_bench`).
//!
//! Run: `cargo bench --bench job_throughput`. Criterion reports time per batch and, through
//! `Throughput::Elements`, jobs per second.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use igny8::jobs::handler::{JobContext, JobError, Registry};
use igny8::jobs::worker;
use igny8::settings::{DatabaseSettings, DatabaseUrl, JobSettings};
use igny8::shutdown::Shutdown;
use igny8::store::Store;
use serde_json::json;
use tokio::sync::Notify;

const JOBS_PER_BATCH: usize = 2000;
const WORKERS: u32 = 2;

fn bench_database() -> DatabaseSettings {
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let base = server
        .rsplit_once('/')
        .map_or(server.as_str(), |(base, _)| base);
    DatabaseSettings {
        url: DatabaseUrl::parse(&format!("{base}/igny8_bench")).unwrap(),
        max_connections: 8,
        migrate_on_start: true,
    }
}

async fn run_batch(store: &Store) -> Duration {
    let payloads = vec![json!({}); JOBS_PER_BATCH];
    store.enqueue_batch("noop", &payloads, 3).await.unwrap();

    let done = Arc::new(AtomicUsize::new(0));
    let all_done = Arc::new(Notify::new());
    let mut registry = Registry::default();
    let (counter, signal) = (done.clone(), all_done.clone());
    registry.register("noop", move |_context: JobContext| {
        let (counter, signal) = (counter.clone(), signal.clone());
        async move {
            if counter.fetch_add(1, Ordering::Relaxed) + 1 == JOBS_PER_BATCH {
                signal.notify_one();
            }
            Ok::<(), JobError>(())
        }
    });
    let settings = JobSettings {
        workers: WORKERS,
        max_attempts: 3,
        lease_seconds: 60,
        poll_interval_ms: 1000,
        retain_finished_hours: 1,
    };
    let shutdown = Shutdown::new();
    let started = Instant::now();
    let pool = tokio::spawn(worker::run(
        store.clone(),
        registry,
        settings,
        shutdown.clone(),
    ));
    all_done.notified().await;
    let elapsed = started.elapsed();
    shutdown.begin(Duration::from_secs(5));
    pool.await.unwrap();
    // Finished rows would slow later batches' claims; housekeeping prunes them in production.
    store
        .prune_finished_jobs(chrono::Utc::now() + chrono::Duration::hours(1))
        .await
        .unwrap();
    elapsed
}

fn job_throughput(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = runtime.block_on(async {
        let store = Store::connect(&bench_database()).await.unwrap();
        store.migrate().await.unwrap();
        store
    });
    let mut group = c.benchmark_group("jobs");
    group.throughput(Throughput::Elements(JOBS_PER_BATCH as u64));
    group.sample_size(10);
    group.bench_function("noop_2_workers", |b| {
        b.iter_custom(|batches| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..batches {
                    total += run_batch(&store).await;
                }
                total
            })
        })
    });
    group.finish();
}

criterion_group!(benches, job_throughput);
criterion_main!(benches);
