//! The worker pool: `jobs.workers` loops that claim, run, heartbeat and settle jobs.
//!
//! Idle workers sleep until a job notification arrives or the poll interval passes. At shutdown
//! they stop claiming; a running job may finish until the drain deadline, after which it is
//! handed back to the queue (released), so it is either done or pending again, never lost.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tracing::Instrument;
use uuid::Uuid;

use crate::jobs::backoff::{random_jitter, retry_delay};
use crate::jobs::handler::{JobContext, JobError, Registry, error_chain};
use crate::settings::JobSettings;
use crate::shutdown::Shutdown;
use crate::store::jobs::{ClaimedJob, FailOutcome, Lease};
use crate::store::{Store, StoreError};

/// How long a handler may take to stop after its cancel token fires at the drain deadline.
const ABANDON_GRACE: Duration = Duration::from_secs(2);

/// How an attempt ended, from the worker's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Done,
    /// Not run, by the handler's decision; done with the reason logged.
    Skipped,
    Retrying,
    Dead,
    /// Handed back at shutdown.
    Released,
    /// Another claim took the job over; this attempt's result was discarded.
    LeaseLost,
}

impl Settled {
    fn as_str(self) -> &'static str {
        match self {
            Settled::Done => "done",
            Settled::Skipped => "skipped",
            Settled::Retrying => "retrying",
            Settled::Dead => "dead",
            Settled::Released => "released",
            Settled::LeaseLost => "lease_lost",
        }
    }
}

/// How a handler's run ended, before the outcome is written.
enum Ending {
    Succeeded,
    Skipped(String),
    /// Cut short by the drain deadline.
    Stopped,
    Failed(JobError),
}

/// Shared by the pool's loops.
struct Pool {
    store: Store,
    registry: Registry,
    kinds: Vec<String>,
    settings: JobSettings,
    /// Identifies this daemon's claims in `jobs.lease_owner`.
    owner: Uuid,
    wake: Notify,
    shutdown: Shutdown,
}

/// Runs the pool until shutdown has begun and every running job is settled.
pub async fn run(store: Store, registry: Registry, settings: JobSettings, shutdown: Shutdown) {
    let pool = Arc::new(Pool {
        kinds: registry.kinds(),
        store,
        registry,
        settings,
        owner: Uuid::new_v4(),
        wake: Notify::new(),
        shutdown,
    });
    tracing::info!(
        workers = pool.settings.workers,
        owner = %pool.owner,
        kinds = ?pool.kinds,
        "Job workers started."
    );
    let mut tasks = JoinSet::new();
    tasks.spawn(listen_for_wakeups(pool.clone()));
    tasks.spawn(bury_expired(pool.clone()));
    for _ in 0..pool.settings.workers {
        tasks.spawn(work(pool.clone()));
    }
    while let Some(result) = tasks.join_next().await {
        if let Err(err) = result {
            tracing::error!(error = %err, "A job worker task failed.");
        }
    }
    tracing::info!("Job workers stopped.");
}

async fn work(pool: Arc<Pool>) {
    let stopping = pool.shutdown.stopping();
    while !stopping.is_cancelled() {
        // Registered before the claim, so a notification that lands between an empty claim and
        // the wait below is not lost.
        let notified = pool.wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        match pool
            .store
            .claim_job(pool.owner, &pool.kinds, pool.settings.lease())
            .await
        {
            Ok(Some(job)) => {
                let span = tracing::info_span!(
                    "job",
                    id = %job.lease.job_id,
                    kind = %job.kind,
                    attempt = job.lease.attempt
                );
                settle(&pool, job).instrument(span).await;
            }
            Ok(None) => {
                tokio::select! {
                    _ = notified => {}
                    _ = tokio::time::sleep(pool.settings.poll_interval()) => {}
                    _ = stopping.cancelled() => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %error_chain(&err), "Could not claim a job; will retry.");
                tokio::select! {
                    _ = tokio::time::sleep(pool.settings.poll_interval()) => {}
                    _ = stopping.cancelled() => {}
                }
            }
        }
    }
}

/// Runs one claimed job to its end and records the outcome.
async fn settle(pool: &Pool, job: ClaimedJob) -> Settled {
    let lease = job.lease;
    let started = Instant::now();
    let Some(handler) = pool.registry.get(&job.kind) else {
        // Claims filter on registered kinds, so this is a bug, not an operator error.
        unreachable!("claimed a job of unregistered kind {}", job.kind);
    };
    let context = JobContext {
        id: lease.job_id,
        attempt: lease.attempt,
        payload: job.payload.clone(),
        store: pool.store.clone(),
        cancel: pool.shutdown.abandoning().child_token(),
    };
    // A task of its own, so a panicking handler fails its job instead of killing the worker.
    let mut running = tokio::spawn(handler.run(context));
    let abandoning = pool.shutdown.abandoning();
    let mut finished = tokio::select! {
        // A result that is ready wins over a deadline passing at the same moment.
        biased;
        joined = &mut running => Some(joined),
        () = keep_lease(pool, lease) => {
            running.abort();
            let _ = running.await;
            tracing::warn!("Job lease was taken over while running; this attempt is abandoned.");
            return record(&job, Settled::LeaseLost, started);
        }
        _ = abandoning.cancelled() => None,
    };
    if finished.is_none() {
        // The handler's cancel token fired with the deadline; give it a moment to stop on its
        // own, then stop it, and only then hand the job back, so it never runs twice at once.
        finished = tokio::time::timeout(ABANDON_GRACE, &mut running).await.ok();
        if finished.is_none() {
            running.abort();
            let _ = running.await;
        }
    }
    let ending = match finished {
        Some(Ok(Ok(()))) => Ending::Succeeded,
        // Stopped by the deadline rather than failed: the attempt does not count.
        None => Ending::Stopped,
        Some(Ok(Err(_))) if abandoning.is_cancelled() => Ending::Stopped,
        Some(Ok(Err(JobError::Skipped(reason)))) => Ending::Skipped(reason),
        Some(Ok(Err(err))) => Ending::Failed(err),
        Some(Err(join_error)) => Ending::Failed(JobError::Retry(format!(
            "the job handler panicked: {join_error}"
        ))),
    };
    let settled = match ending {
        Ending::Succeeded => match with_retries(|| pool.store.complete_job(lease)).await {
            Ok(()) => Settled::Done,
            Err(err) => lease_problem(err),
        },
        Ending::Skipped(reason) => match with_retries(|| pool.store.complete_job(lease)).await {
            Ok(()) => {
                tracing::info!(%reason, "Job skipped.");
                Settled::Skipped
            }
            Err(err) => lease_problem(err),
        },
        Ending::Stopped => match with_retries(|| pool.store.release_job(lease)).await {
            Ok(()) => Settled::Released,
            Err(err) => lease_problem(err),
        },
        Ending::Failed(err) => fail(pool, &job, &err).await,
    };
    record(&job, settled, started)
}

/// Retries a statement that settles a job through short database outages, so a job that ran
/// is not run again (or buried) just because its outcome could not be written at once. The
/// lease stays valid meanwhile: the retries end well within a third of it.
async fn with_retries<T, F, Fut>(mut statement: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut wait = Duration::from_millis(100);
    for _ in 0..4 {
        match statement().await {
            Err(StoreError::Database(err)) => {
                tracing::warn!(error = %err, "Could not record a job outcome; retrying.");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            other => return other,
        }
    }
    statement().await
}

async fn fail(pool: &Pool, job: &ClaimedJob, err: &JobError) -> Settled {
    let failures = u32::try_from(job.counted_attempts).unwrap_or(1);
    let delay = retry_delay(failures, random_jitter());
    let message = err.to_string();
    let permanent = err.is_permanent();
    match with_retries(|| pool.store.fail_job(job.lease, &message, delay, permanent)).await {
        Ok(FailOutcome::RetryAt(at)) => {
            tracing::warn!(error = %message, retry_at = %at, "Job failed; will retry.");
            Settled::Retrying
        }
        Ok(FailOutcome::Dead) => {
            tracing::error!(error = %message, "Job failed for good.");
            Settled::Dead
        }
        Err(err) => lease_problem(err),
    }
}

/// A settle statement matched no row, or the database failed: either way the lease decides,
/// and an unsettled lease simply expires and the job is claimed again.
fn lease_problem(err: StoreError) -> Settled {
    match err {
        StoreError::LeaseLost => {
            tracing::warn!("Job lease was taken over; this attempt's result is discarded.");
        }
        other => {
            tracing::error!(
                error = %error_chain(&other),
                "Could not record the job's outcome; its lease will expire and it will run again."
            );
        }
    }
    Settled::LeaseLost
}

fn record(job: &ClaimedJob, settled: Settled, started: Instant) -> Settled {
    let labels = [
        ("kind", job.kind.clone()),
        ("outcome", settled.as_str().to_owned()),
    ];
    metrics::counter!("igny8_jobs_processed_total", &labels).increment(1);
    metrics::histogram!("igny8_job_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    settled
}

/// Heartbeats every third of the lease; returns only when the lease is lost.
async fn keep_lease(pool: &Pool, lease: Lease) {
    let period = pool.settings.lease() / 3;
    loop {
        tokio::time::sleep(period).await;
        match pool.store.heartbeat_job(lease, pool.settings.lease()).await {
            Ok(()) => {}
            Err(StoreError::LeaseLost) => return,
            Err(err) => {
                tracing::warn!(error = %error_chain(&err), "Job heartbeat failed; will retry.");
            }
        }
    }
}

/// Turns job notifications into wake-ups; polling covers any gap while it reconnects.
async fn listen_for_wakeups(pool: Arc<Pool>) {
    let stopping = pool.shutdown.stopping();
    while !stopping.is_cancelled() {
        let mut wakeups = match pool.store.job_wakeups().await {
            Ok(wakeups) => wakeups,
            Err(err) => {
                tracing::warn!(error = %error_chain(&err), "Could not listen for job notifications; polling.");
                tokio::select! {
                    _ = tokio::time::sleep(pool.settings.poll_interval() * 5) => continue,
                    _ = stopping.cancelled() => return,
                }
            }
        };
        loop {
            tokio::select! {
                received = wakeups.next() => match received {
                    Ok(()) => pool.wake.notify_waiters(),
                    Err(err) => {
                        tracing::warn!(error = %error_chain(&err), "Job notifications interrupted; reconnecting.");
                        break;
                    }
                },
                _ = stopping.cancelled() => return,
            }
        }
    }
}

/// Periodically marks jobs dead whose worker died on their last attempt.
async fn bury_expired(pool: Arc<Pool>) {
    let stopping = pool.shutdown.stopping();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(pool.settings.lease()) => {}
            _ = stopping.cancelled() => return,
        }
        match pool.store.bury_expired_jobs().await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                jobs = n,
                "Jobs whose worker died on their last attempt are dead."
            ),
            Err(err) => {
                tracing::warn!(error = %error_chain(&err), "Could not check for expired jobs.")
            }
        }
    }
}
