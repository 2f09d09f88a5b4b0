//! The job queue under real concurrency, lease loss, failure and shutdown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use igny8::domain::ids::JobId;
use igny8::jobs::handler::{JobContext, JobError, Registry};
use igny8::store::jobs::{FailOutcome, JobState, NewJob};
use igny8::store::{Store, StoreError};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{RunningPool, eventually, job_settings};

const WAIT: Duration = Duration::from_secs(60);

async fn state_of(store: &Store, id: JobId) -> JobState {
    store.job(id).await.unwrap().state
}

#[sqlx::test]
async fn a_thousand_jobs_under_four_workers_each_run_exactly_once(pool: PgPool) {
    let store = Store::from_pool(pool);
    let payloads: Vec<_> = (0..1000).map(|n| json!({ "n": n })).collect();
    let ids = store.enqueue_batch("count", &payloads, 5).await.unwrap();
    assert_eq!(ids.len(), 1000);

    let runs: Arc<Mutex<HashMap<JobId, u32>>> = Arc::default();
    let mut registry = Registry::default();
    let seen = runs.clone();
    registry.register("count", move |context: JobContext| {
        let seen = seen.clone();
        async move {
            *seen.lock().unwrap().entry(context.id).or_default() += 1;
            Ok::<(), JobError>(())
        }
    });
    let workers = RunningPool::start(&store, registry, job_settings(4, 5, 30));

    eventually(WAIT, "all jobs done", || async {
        let counts = store.job_counts().await.unwrap();
        let done = counts.iter().find(|(s, _)| *s == JobState::Done).unwrap().1;
        (done == 1000).then_some(())
    })
    .await;
    workers.stop().await;

    {
        let runs = runs.lock().unwrap();
        assert_eq!(runs.len(), 1000);
        assert!(ids.iter().all(|id| runs.get(id) == Some(&1)));
    }
    for id in ids.iter().take(10) {
        let job = store.job(*id).await.unwrap();
        assert_eq!((job.state, job.attempts), (JobState::Done, 1));
    }
}

#[sqlx::test]
async fn a_job_whose_worker_stops_heartbeating_runs_again_once(pool: PgPool) {
    let store = Store::from_pool(pool);
    let id = store
        .enqueue(&NewJob::new("work", json!({}), 5))
        .await
        .unwrap()
        .unwrap();
    let kinds = vec!["work".to_owned()];

    // A worker claims the job, then goes silent (a crash or a partition).
    let stale = store
        .claim_job(Uuid::new_v4(), &kinds, Duration::from_secs(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stale.lease.attempt, 1);
    let nobody_else = store
        .claim_job(Uuid::new_v4(), &kinds, Duration::from_secs(1))
        .await
        .unwrap();
    assert!(nobody_else.is_none(), "a live lease is not claimed twice");

    let runs = Arc::new(Mutex::new(0));
    let mut registry = Registry::default();
    let counter = runs.clone();
    registry.register("work", move |_context: JobContext| {
        let counter = counter.clone();
        async move {
            *counter.lock().unwrap() += 1;
            Ok::<(), JobError>(())
        }
    });
    let workers = RunningPool::start(&store, registry, job_settings(2, 5, 30));
    eventually(WAIT, "the job to be re-run", || async {
        (state_of(&store, id).await == JobState::Done).then_some(())
    })
    .await;
    workers.stop().await;

    assert_eq!(*runs.lock().unwrap(), 1);
    assert_eq!(store.job(id).await.unwrap().attempts, 2);
    // The stale worker wakes up: it can neither extend nor settle the job.
    assert!(matches!(
        store
            .heartbeat_job(stale.lease, Duration::from_secs(30))
            .await,
        Err(StoreError::LeaseLost)
    ));
    assert!(matches!(
        store.complete_job(stale.lease).await,
        Err(StoreError::LeaseLost)
    ));
    assert!(matches!(
        store
            .fail_job(stale.lease, "late", Duration::ZERO, false)
            .await,
        Err(StoreError::LeaseLost)
    ));
    assert_eq!(state_of(&store, id).await, JobState::Done);
}

#[sqlx::test]
async fn failures_back_off_and_end_dead_after_the_maximum(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let id = store
        .enqueue(&NewJob::new("flaky", json!({}), 3))
        .await
        .unwrap()
        .unwrap();
    let mut registry = Registry::default();
    registry.register("flaky", |context: JobContext| async move {
        Err::<(), _>(JobError::Retry(format!(
            "boom on attempt {}",
            context.attempt
        )))
    });
    let workers = RunningPool::start(&store, registry, job_settings(1, 3, 30));

    // Waits grow: 1-2 s after the first failure, 2-4 s after the second (jitter takes up to
    // half off). The test pulls run_at in after measuring, instead of sleeping it out.
    for (attempt, (min, max)) in [(1, (1.0, 2.0)), (2, (2.0, 4.0))] {
        let wait: f64 = eventually(WAIT, "a retry to be scheduled", || async {
            sqlx::query_scalar(
                "SELECT extract(epoch FROM run_at - updated_at)::float8 FROM jobs
                 WHERE id = $1 AND state = 'pending' AND attempts = $2",
            )
            .bind(id)
            .bind(attempt)
            .fetch_optional(&pool)
            .await
            .unwrap()
        })
        .await;
        assert!(
            (min - 0.05..=max + 0.05).contains(&wait),
            "attempt {attempt} waits {wait}s, expected {min}-{max}s"
        );
        let job = store.job(id).await.unwrap();
        assert_eq!(
            job.last_error.as_deref(),
            Some(format!("boom on attempt {attempt}").as_str())
        );
        sqlx::query("UPDATE jobs SET run_at = now() WHERE id = $1")
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
    }
    eventually(WAIT, "the job to die", || async {
        (state_of(&store, id).await == JobState::Dead).then_some(())
    })
    .await;
    workers.stop().await;

    let job = store.job(id).await.unwrap();
    assert_eq!(job.attempts, 3);
    assert_eq!(job.last_error.as_deref(), Some("boom on attempt 3"));
    assert!(job.finished_at.is_some());
}

#[sqlx::test]
async fn a_permanent_error_ends_the_job_at_once(pool: PgPool) {
    let store = Store::from_pool(pool);
    let id = store
        .enqueue(&NewJob::new("bad", json!({}), 10))
        .await
        .unwrap()
        .unwrap();
    let job = store
        .claim_job(Uuid::new_v4(), &["bad".to_owned()], Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    let outcome = store
        .fail_job(
            job.lease,
            "payload lacks site_id",
            Duration::from_secs(2),
            true,
        )
        .await
        .unwrap();
    assert_eq!(outcome, FailOutcome::Dead);
    assert_eq!(state_of(&store, id).await, JobState::Dead);
}

#[sqlx::test]
async fn a_unique_key_queues_one_logical_job_once(pool: PgPool) {
    let store = Store::from_pool(pool);
    let job = NewJob::new("sync", json!({ "site": 1 }), 5).unique("sync:site:1");
    let first = store.enqueue(&job).await.unwrap();
    let second = store.enqueue(&job).await.unwrap();
    assert!(first.is_some());
    assert_eq!(second, None);

    // Once the first is finished, the same logical job may be queued again.
    let claimed = store
        .claim_job(
            Uuid::new_v4(),
            &["sync".to_owned()],
            Duration::from_secs(30),
        )
        .await
        .unwrap()
        .unwrap();
    store.complete_job(claimed.lease).await.unwrap();
    assert!(store.enqueue(&job).await.unwrap().is_some());
}

#[sqlx::test]
async fn an_enqueue_rolls_back_with_its_transaction(pool: PgPool) {
    let store = Store::from_pool(pool);
    let mut tx = store.begin().await.unwrap();
    let id = igny8::store::jobs::enqueue(&mut tx, &NewJob::new("x", json!({}), 1))
        .await
        .unwrap()
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(matches!(store.job(id).await, Err(StoreError::NotFound)));
}

#[sqlx::test]
async fn heartbeats_keep_a_long_job_from_being_claimed_again(pool: PgPool) {
    let store = Store::from_pool(pool);
    let id = store
        .enqueue(&NewJob::new("long", json!({}), 5))
        .await
        .unwrap()
        .unwrap();
    let runs = Arc::new(Mutex::new(0));
    // Two daemons' pools with a 5 s lease and a job of 8 s: without heartbeats the second pool
    // would take the job over after 5 s and run it again.
    let mut pools = Vec::new();
    for _ in 0..2 {
        let mut registry = Registry::default();
        let counter = runs.clone();
        registry.register("long", move |_context: JobContext| {
            let counter = counter.clone();
            async move {
                *counter.lock().unwrap() += 1;
                tokio::time::sleep(Duration::from_secs(8)).await;
                Ok::<(), JobError>(())
            }
        });
        pools.push(RunningPool::start(&store, registry, job_settings(1, 5, 5)));
    }
    eventually(WAIT, "the long job to finish", || async {
        (state_of(&store, id).await == JobState::Done).then_some(())
    })
    .await;
    for workers in pools {
        workers.stop().await;
    }
    assert_eq!(*runs.lock().unwrap(), 1);
    assert_eq!(store.job(id).await.unwrap().attempts, 1);
}

/// Runs one job whose handler takes `work` under a shutdown begun mid-job with `drain`.
async fn shutdown_mid_job(pool: PgPool, work: Duration, drain: Duration) -> (Store, JobId) {
    let store = Store::from_pool(pool);
    let id = store
        .enqueue(&NewJob::new("slow", json!({}), 5))
        .await
        .unwrap()
        .unwrap();
    let started = Arc::new(tokio::sync::Notify::new());
    let mut registry = Registry::default();
    let signal = started.clone();
    registry.register("slow", move |_context: JobContext| {
        let signal = signal.clone();
        async move {
            signal.notify_one();
            tokio::time::sleep(work).await;
            Ok::<(), JobError>(())
        }
    });
    let workers = RunningPool::start(&store, registry, job_settings(2, 5, 30));
    started.notified().await;
    tokio::time::timeout(
        work.max(drain) + Duration::from_secs(10),
        workers.stop_with_drain(drain),
    )
    .await
    .expect("the pool stops after the drain");
    (store, id)
}

#[sqlx::test]
async fn shutdown_lets_a_job_finish_within_the_drain(pool: PgPool) {
    let (store, id) =
        shutdown_mid_job(pool, Duration::from_millis(300), Duration::from_secs(10)).await;
    let job = store.job(id).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Done, 1));
}

#[sqlx::test]
async fn shutdown_hands_back_a_job_that_outlasts_the_drain(pool: PgPool) {
    let (store, id) =
        shutdown_mid_job(pool, Duration::from_secs(120), Duration::from_millis(200)).await;
    let job = store.job(id).await.unwrap();
    assert_eq!(job.state, JobState::Pending);
    assert_eq!((job.attempts, job.releases), (1, 1));
    assert!(job.last_error.is_none());
    // The release did not use up an attempt: the next claim is the first counted one.
    let claimed = store
        .claim_job(
            Uuid::new_v4(),
            &["slow".to_owned()],
            Duration::from_secs(30),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((claimed.lease.attempt, claimed.counted_attempts), (2, 1));
}

#[sqlx::test]
async fn a_panicking_handler_fails_its_job_and_the_worker_lives_on(pool: PgPool) {
    let store = Store::from_pool(pool);
    let bad = store
        .enqueue(&NewJob::new("panics", json!({ "explode": true }), 1))
        .await
        .unwrap()
        .unwrap();
    let good = store
        .enqueue(&NewJob::new("fine", json!({}), 1).run_at(chrono::Utc::now()))
        .await
        .unwrap()
        .unwrap();
    let mut registry = Registry::default();
    registry.register("panics", |context: JobContext| async move {
        assert_eq!(context.payload["explode"], false, "handler bug");
        Ok::<(), JobError>(())
    });
    registry.register("fine", |_context: JobContext| async move {
        Ok::<(), JobError>(())
    });
    let workers = RunningPool::start(&store, registry, job_settings(1, 1, 30));
    eventually(WAIT, "both jobs settled", || async {
        let bad = state_of(&store, bad).await;
        let good = state_of(&store, good).await;
        (bad == JobState::Dead && good == JobState::Done).then_some(())
    })
    .await;
    workers.stop().await;
    let error = store.job(bad).await.unwrap().last_error.unwrap();
    assert!(error.contains("panicked"), "{error}");
}
