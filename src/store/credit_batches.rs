//! Credit holds, captures and releases that arrive together share one transaction.
//!
//! A lone hold or settlement is one short transaction, and its fixed costs (the round trip, the
//! commit and its WAL flush, the function call) weigh as much as the rows it writes. Under load
//! many callers want the ledger at once, so calls queue here and a few runners take them off
//! the queue: a runner takes every call that is waiting (up to [`MOST_PER_BATCH`]) and runs them
//! in one transaction through the database function `credit_batch`, which hands each call to
//! the same `credit_hold` or `credit_settle` a lone call uses. A call that finds a runner free
//! and nothing else waiting runs alone, as before, so batching adds no wait when there is no
//! load.
//!
//! A batch is all or nothing. When it fails (a capture the balance cannot cover raises, a
//! deadlock with an outside transaction), each of its calls runs again alone, so only the
//! failing call sees its error.

use std::sync::{Arc, Mutex, MutexGuard};

use sqlx::PgPool;
use sqlx::postgres::PgRow;
use tokio::sync::oneshot;

use crate::store::StoreError;
use crate::store::credits::{
    ENTRY_FIELDS, HOLD_FIELDS, HoldOutcome, HoldRequest, SettleOutcome, SettleRequest, hold_alone,
    hold_outcome, settle_alone, settle_outcome,
};

/// Longest batch: a transaction keeps its account rows locked until it commits, so a batch is
/// kept short enough that callers of the accounts it touches wait little.
const MOST_PER_BATCH: usize = 32;

/// A call waiting for a runner, with where its answer goes.
#[derive(Debug)]
enum Waiting {
    Hold(HoldRequest, Reply<HoldOutcome>),
    Settle(SettleRequest, Reply<SettleOutcome>),
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// The queue of calls and the runners that empty it.
#[derive(Debug)]
pub(crate) struct CreditBatches {
    queue: Mutex<Queue>,
    /// How many batches may run at once, each on a connection of its own.
    runners: usize,
}

#[derive(Debug, Default)]
struct Queue {
    waiting: Vec<Waiting>,
    running: usize,
}

impl CreditBatches {
    /// Batches for a pool of `connections`: half of them may run batches at once, so other
    /// queries still find a connection.
    pub(crate) fn for_pool(connections: u32) -> CreditBatches {
        CreditBatches {
            queue: Mutex::default(),
            runners: usize::try_from(connections / 2).map_or(1, |half| half.max(1)),
        }
    }

    /// Places a hold, alone or with other calls made at the same time.
    pub(crate) async fn hold(
        self: &Arc<Self>,
        pool: &PgPool,
        request: HoldRequest,
    ) -> Result<HoldOutcome, StoreError> {
        self.wait_for(pool, |reply| Waiting::Hold(request, reply))
            .await
    }

    /// Captures or releases a hold, alone or with other calls made at the same time.
    pub(crate) async fn settle(
        self: &Arc<Self>,
        pool: &PgPool,
        request: SettleRequest,
    ) -> Result<SettleOutcome, StoreError> {
        self.wait_for(pool, |reply| Waiting::Settle(request, reply))
            .await
    }

    /// Queues the call `waiting` builds around its reply, and waits for the reply.
    async fn wait_for<T>(
        self: &Arc<Self>,
        pool: &PgPool,
        waiting: impl FnOnce(Reply<T>) -> Waiting,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.enqueue(pool, waiting(reply));
        answer.await.map_err(|_| runner_lost())?
    }

    fn enqueue(self: &Arc<Self>, pool: &PgPool, call: Waiting) {
        let start_runner = {
            let mut queue = self.lock();
            queue.waiting.push(call);
            let free = queue.running < self.runners;
            if free {
                queue.running += 1;
            }
            free
        };
        if start_runner {
            // Spawned, so that a caller that stops waiting does not abandon the calls its
            // runner took along.
            tokio::spawn(Arc::clone(self).drain(pool.clone()));
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // The lock is never held across an await or user code, so a panic cannot leave the
        // queue half-changed.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs batches until nothing waits.
    async fn drain(self: Arc<Self>, pool: PgPool) {
        let mut runner = Runner {
            batches: &self,
            stopped: false,
        };
        loop {
            let batch: Vec<Waiting> = {
                let mut queue = self.lock();
                if queue.waiting.is_empty() {
                    // Stopping under the lock that saw the queue empty: a call queued after
                    // this sees one runner fewer and starts its own, instead of waiting for a
                    // runner that is already on its way out.
                    queue.running -= 1;
                    runner.stopped = true;
                    return;
                }
                let take = queue.waiting.len().min(MOST_PER_BATCH);
                queue.waiting.drain(..take).collect()
            };
            run_batch(&pool, batch).await;
        }
    }
}

/// The runtime dropped a runner before it answered (it is shutting down).
fn runner_lost() -> StoreError {
    StoreError::Database(sqlx::Error::WorkerCrashed)
}

/// A running runner. A task that ends before it stops in `drain` (the runtime dropped it, or a
/// panic) still counts as stopped.
struct Runner<'a> {
    batches: &'a CreditBatches,
    stopped: bool,
}

impl Drop for Runner<'_> {
    fn drop(&mut self) {
        if !self.stopped {
            self.batches.lock().running -= 1;
        }
    }
}

// A caller may have stopped waiting, so a reply may find nobody to take it; the call stands
// either way.
impl Waiting {
    async fn run_alone(self, pool: &PgPool) {
        match self {
            Waiting::Hold(request, reply) => {
                let _ = reply.send(hold_alone(pool, &request).await);
            }
            Waiting::Settle(request, reply) => {
                let _ = reply.send(settle_alone(pool, request).await);
            }
        }
    }

    /// Answers from `credit_batch`'s row for this call.
    fn answer(self, row: Result<PgRow, StoreError>) {
        match self {
            Waiting::Hold(request, reply) => {
                let _ = reply.send(row.and_then(|row| hold_outcome(&row, request.amount)));
            }
            Waiting::Settle(_, reply) => {
                let _ = reply.send(row.and_then(|row| settle_outcome(&row)));
            }
        }
    }
}

async fn run_batch(pool: &PgPool, mut batch: Vec<Waiting>) {
    if batch.len() == 1 {
        batch.remove(0).run_alone(pool).await;
        return;
    }
    match run_together(pool, &batch).await {
        Ok(mut rows) => {
            rows.sort_by_key(|(item, _)| *item);
            let mut rows = rows.into_iter().peekable();
            for (item, call) in (1..).zip(batch) {
                let row = match rows.next_if(|(row_item, _)| *row_item == item) {
                    Some((_, row)) => Ok(row),
                    None => Err(StoreError::Database(sqlx::Error::Protocol(format!(
                        "credit_batch answered nothing for call {item}"
                    )))),
                };
                call.answer(row);
            }
        }
        Err(sqlx::Error::Database(refused)) => {
            tracing::debug!(error = %refused, calls = batch.len(),
                "The database refused a batch of credit calls; running each alone.");
            for call in batch {
                call.run_alone(pool).await;
            }
        }
        // The connection or the pool failed, not a call: running the calls again one by one
        // would only meet the same failure once per call.
        Err(failure) => {
            tracing::warn!(error = %failure, calls = batch.len(),
                "A batch of credit calls could not reach the database.");
            for call in batch {
                call.answer(Err(StoreError::Database(copy_of(&failure))));
            }
        }
    }
}

/// A failure to report to each call of a batch (`sqlx::Error` cannot be cloned).
fn copy_of(failure: &sqlx::Error) -> sqlx::Error {
    match failure {
        sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
        sqlx::Error::Io(io) => sqlx::Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// Runs `calls` in one transaction; each answer row with its item number (from 1).
async fn run_together(pool: &PgPool, calls: &[Waiting]) -> Result<Vec<(i64, PgRow)>, sqlx::Error> {
    let mut columns = Columns::default();
    for call in calls {
        columns.push(call);
    }
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT item, outcome, available, {HOLD_FIELDS}, {ENTRY_FIELDS}
         FROM credit_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )))
    .bind(columns.kinds)
    .bind(columns.accounts)
    .bind(columns.operations)
    .bind(columns.amounts)
    .bind(columns.keys)
    .bind(columns.related_types)
    .bind(columns.related_ids)
    .bind(columns.ttl_seconds)
    .bind(columns.holds)
    .bind(columns.charges)
    .bind(columns.expired)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| Ok((sqlx::Row::try_get(&row, "item")?, row)))
        .collect()
}

/// `credit_batch`'s parallel arrays: element i of each describes call i.
#[derive(Default)]
struct Columns<'a> {
    kinds: Vec<&'static str>,
    accounts: Vec<i64>,
    operations: Vec<Option<&'a str>>,
    amounts: Vec<Option<i64>>,
    keys: Vec<Option<&'a str>>,
    related_types: Vec<Option<&'a str>>,
    related_ids: Vec<Option<i64>>,
    ttl_seconds: Vec<Option<f64>>,
    holds: Vec<Option<i64>>,
    charges: Vec<Option<i64>>,
    expired: Vec<Option<bool>>,
}

impl<'a> Columns<'a> {
    fn push(&mut self, call: &'a Waiting) {
        match call {
            Waiting::Hold(hold, _) => {
                self.kinds.push("hold");
                self.accounts.push(hold.account_id.get());
                self.operations.push(Some(&hold.operation_type));
                self.amounts.push(Some(hold.amount));
                self.keys.push(Some(&hold.idempotency_key));
                let (kind, id) = hold
                    .related
                    .as_ref()
                    .map(|(kind, id)| (kind.as_str(), *id))
                    .unzip();
                self.related_types.push(kind);
                self.related_ids.push(id);
                self.ttl_seconds.push(Some(hold.ttl_seconds));
                self.holds.push(None);
                self.charges.push(None);
                self.expired.push(None);
            }
            Waiting::Settle(settle, _) => {
                self.kinds.push("settle");
                self.accounts.push(settle.account_id.get());
                self.operations.push(None);
                self.amounts.push(None);
                self.keys.push(None);
                self.related_types.push(None);
                self.related_ids.push(None);
                self.ttl_seconds.push(None);
                self.holds.push(Some(settle.hold_id.get()));
                self.charges.push(settle.charge);
                self.expired.push(Some(settle.expired));
            }
        }
    }
}
