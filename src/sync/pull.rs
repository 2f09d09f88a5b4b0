//! The pull: every stream read from its cursor (less the overlap) in windows, each window's
//! upserts and cursor committed in one transaction, so a crash resumes at the last whole
//! window and a re-read changes nothing. Run invariants fail the run loudly.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Instant;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio_util::task::AbortOnDropHandle;

use crate::connector::remote::{Connector, Cursor, RemoteItem, Stream};
use crate::domain::content::ContentSource;
use crate::domain::ids::SyncRunId;
use crate::store::Store;
use crate::store::content::UpsertCounts;
use crate::store::sites::Site;
use crate::store::sync_runs::{RunCounts, RunKind, StreamMilestone, Trigger};
use crate::sync::SyncError;

/// Told about progress as windows commit (the CLI draws a progress bar with it).
pub trait PullObserver: Send + Sync {
    fn window_committed(&self, _stream: &str, _counts: &RunCounts) {}
}

/// Observes nothing.
pub struct Quiet;

impl PullObserver for Quiet {}

/// How a pull ended.
#[derive(Debug, Clone, PartialEq)]
pub struct PullReport {
    pub run: SyncRunId,
    pub counts: RunCounts,
    /// Why the run failed, when it did (also stored on the run).
    pub error: Option<String>,
}

/// What one stream's read did.
#[derive(Debug, Default)]
struct StreamTally {
    counts: RunCounts,
    windows: u64,
    seen: HashSet<String>,
}

/// Pulls `site` through `connector`. `Full` reads everything from the start; `Incremental`
/// resumes each stream at its cursor less `lookback`. Remote failures end the run as failed
/// (and are returned); committed windows stay committed.
pub async fn pull<C: Connector>(
    store: &Store,
    connector: &C,
    site: &Site,
    kind: RunKind,
    trigger: Trigger,
    lookback: Duration,
    observer: &dyn PullObserver,
) -> Result<PullReport, SyncError> {
    store.fail_abandoned_runs(site.account_id, site.id).await?;
    let run = store
        .start_run(site.account_id, site.id, kind, trigger)
        .await?;
    let started = Instant::now();
    let mut counts = RunCounts::default();
    let mut stats = BTreeMap::new();
    let outcome = pull_streams(
        store,
        connector,
        site,
        kind,
        lookback,
        observer,
        &mut counts,
        &mut stats,
    )
    .await;
    let error = match &outcome {
        Ok(problems) if problems.is_empty() => None,
        Ok(problems) => Some(problems.join("; ")),
        Err(err) => Some(crate::jobs::handler::error_chain(err)),
    };
    let stats = json!({
        "duration_ms": started.elapsed().as_millis() as u64,
        "streams": stats,
    });
    store
        .finish_run(site.account_id, run, &counts, &stats, error.as_deref())
        .await?;
    match outcome {
        Err(err) => Err(err),
        Ok(_) => {
            if let Some(error) = &error {
                tracing::warn!(site = %site.name, %run, %error, "The sync run broke an invariant.");
            }
            Ok(PullReport { run, counts, error })
        }
    }
}

/// Reads every stream; returns broken invariants (the run then fails, but what was read
/// stays committed).
#[allow(clippy::too_many_arguments)]
async fn pull_streams<C: Connector>(
    store: &Store,
    connector: &C,
    site: &Site,
    kind: RunKind,
    lookback: Duration,
    observer: &dyn PullObserver,
    counts: &mut RunCounts,
    stats: &mut BTreeMap<String, Value>,
) -> Result<Vec<String>, SyncError> {
    let capabilities = connector.probe().await?;
    store
        .set_site_capabilities(site.account_id, site.id, &capabilities)
        .await?;
    let source = site.connector.content_source();
    let mut problems = Vec::new();
    let mut earliest_cursor = None;
    for stream in connector.streams() {
        let saved = store.cursor(site.account_id, site.id, &stream.name).await?;
        let since = match kind {
            RunKind::Full => None,
            _ => saved.cursor.map(|c| c.modified - lookback),
        };
        if let Some(since) = since {
            earliest_cursor =
                Some(earliest_cursor.map_or(since, |e: chrono::DateTime<Utc>| e.min(since)));
        }
        let started = Instant::now();
        let tally = pull_stream(
            store, connector, site, source, &stream, since, observer, counts,
        )
        .await?;
        if since.is_none() {
            store
                .mark_stream(
                    site.account_id,
                    site.id,
                    &stream.name,
                    StreamMilestone::FullSync,
                )
                .await?;
        }
        if let Some(expected) = tally.counts.expected {
            counts.expected = Some(counts.expected.unwrap_or(0) + expected);
            let fetched = tally.seen.len() as u64;
            if fetched < expected {
                problems.push(format!(
                    "stream {}: the CMS counted {expected} items but returned {fetched}",
                    stream.name
                ));
            }
        }
        stats.insert(
            stream.name.clone(),
            json!({
                "fetched": tally.seen.len(),
                "expected": tally.counts.expected,
                "created": tally.counts.created,
                "updated": tally.counts.updated,
                "unchanged": tally.counts.unchanged,
                "windows": tally.windows,
                "duration_ms": started.elapsed().as_millis() as u64,
            }),
        );
    }
    if let Some(since) = earliest_cursor
        && let Some(deletions) = connector.deletions(since).await?
    {
        let mut by_type: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for deletion in deletions {
            by_type
                .entry(deletion.external_type)
                .or_default()
                .push(deletion.external_id);
        }
        for (external_type, ids) in by_type {
            counts.deleted += store
                .mark_deleted_remote(site.account_id, site.id, &external_type, &ids)
                .await?;
        }
    }
    Ok(problems)
}

/// Windows are committed in batches of about this many items: a commit per page of 100
/// would spend more time committing than reading.
const BATCH_ITEMS: usize = 1000;

/// Batches upserting at once, each on its own connection: one batch's upsert keeps one
/// PostgreSQL backend busy, so a second one uses the database server's other cores.
const BATCHES_IN_FLIGHT: usize = 2;

/// Commits a batch of windows (upserts and the cursor they reach) in one transaction. The
/// upsert may run while the batch before is still committing, but the cursor moves and the
/// transaction commits only once that batch has committed (`after`), so the committed cursor
/// never passes an item that is not committed: a crash still resumes at the last whole
/// batch. If the batch before failed, this one rolls back.
async fn commit_batch(
    store: Store,
    site: Site,
    source: ContentSource,
    stream: Stream,
    items: Vec<RemoteItem>,
    after: Option<oneshot::Receiver<()>>,
    committed: oneshot::Sender<()>,
) -> Result<UpsertCounts, SyncError> {
    let cursor = items
        .iter()
        .map(|item| Cursor {
            modified: item.remote_modified,
            external_id: item.external_id.clone(),
        })
        .max()
        .expect("batches are not empty");
    let mut tx = store.begin().await?;
    let upserted = Store::upsert_pulled(&mut tx, site.account_id, site.id, source, &items).await?;
    // Anything that must follow the earlier batches (the cursor, rows numbered in commit
    // order) is written after this wait.
    if let Some(after) = after
        && after.await.is_err()
    {
        return Err(SyncError::Site(
            "a batch before this one failed; this one was rolled back".to_owned(),
        ));
    }
    Store::advance_cursor(&mut tx, site.account_id, site.id, &stream.name, &cursor).await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    // The next batch may be gone already (its read failed); nothing waits then.
    let _ = committed.send(());
    Ok(upserted)
}

/// A batch whose upsert is running.
struct InFlight {
    /// Aborted if the pull is dropped: its transaction then rolls back, and so do the later
    /// batches', which wait for it.
    task: AbortOnDropHandle<Result<UpsertCounts, SyncError>>,
    /// The newest version of each item in the batch.
    versions: HashMap<(String, String), chrono::DateTime<Utc>>,
}

/// The batches of one stream, committed strictly in the order they were read.
struct Committer<'a> {
    store: &'a Store,
    site: &'a Site,
    source: ContentSource,
    stream: &'a Stream,
    in_flight: VecDeque<InFlight>,
    /// Told when the last batch started commits.
    last_committed: Option<oneshot::Receiver<()>>,
    /// What the settled batches did, and the items left out as already in a batch.
    total: UpsertCounts,
    settled: u64,
}

impl Committer<'_> {
    /// Starts committing `items`. Items an unfinished batch already holds at the same
    /// version are left out: that batch writes them, and once it has, upserting them again
    /// would change nothing; they count as unchanged. A batch with a newer version of an item
    /// in flight waits for every batch in flight to end before it starts: two transactions
    /// writing one row could otherwise each wait for the other, one on the row lock, the other
    /// for its turn to commit, which PostgreSQL cannot see as a deadlock.
    async fn start(&mut self, items: Vec<RemoteItem>) -> Result<(), SyncError> {
        let mut unchanged = HashSet::new();
        let mut overtakes = false;
        let items: Vec<RemoteItem> = items
            .into_iter()
            .filter(|item| {
                let key = (item.external_type.clone(), item.external_id.clone());
                match self
                    .in_flight
                    .iter()
                    .filter_map(|b| b.versions.get(&key))
                    .max()
                {
                    Some(held) if *held >= item.remote_modified => {
                        unchanged.insert(key);
                        false
                    }
                    Some(_) => {
                        overtakes = true;
                        true
                    }
                    None => true,
                }
            })
            .collect();
        // An item left out above but read again newer stays in: it is upserted, not counted.
        for item in &items {
            unchanged.remove(&(item.external_type.clone(), item.external_id.clone()));
        }
        self.total.unchanged += unchanged.len() as u64;
        if items.is_empty() {
            return Ok(());
        }
        if overtakes {
            while !self.in_flight.is_empty() {
                self.settle_oldest().await?;
            }
        }
        while self.in_flight.len() >= BATCHES_IN_FLIGHT {
            self.settle_oldest().await?;
        }
        let mut versions = HashMap::with_capacity(items.len());
        for item in &items {
            let newest = versions
                .entry((item.external_type.clone(), item.external_id.clone()))
                .or_insert(item.remote_modified);
            *newest = (*newest).max(item.remote_modified);
        }
        let (committed, next) = oneshot::channel();
        let task = AbortOnDropHandle::new(tokio::spawn(commit_batch(
            self.store.clone(),
            self.site.clone(),
            self.source,
            self.stream.clone(),
            items,
            self.last_committed.replace(next),
            committed,
        )));
        self.in_flight.push_back(InFlight { task, versions });
        Ok(())
    }

    /// Waits for the oldest batch and adds its counts.
    async fn settle_oldest(&mut self) -> Result<(), SyncError> {
        let Some(batch) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let upserted = batch
            .task
            .await
            .map_err(|err| SyncError::Site(format!("a batch's commit stopped: {err}")))??;
        self.total.created += upserted.created;
        self.total.updated += upserted.updated;
        self.total.unchanged += upserted.unchanged;
        self.settled += 1;
        Ok(())
    }

    /// Waits for every batch started; the first failure is returned after all have ended, so
    /// what committed is counted.
    async fn settle_all(&mut self) -> Result<(), SyncError> {
        let mut first_error = None;
        while !self.in_flight.is_empty() {
            if let Err(err) = self.settle_oldest().await {
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Reads one stream. The next window is fetched while earlier batches commit, so the network
/// and the database work at the same time; batches commit in the order they were read, and a
/// batch's cursor never passes an item that is not in it, so a crash still resumes at the last
/// committed batch.
#[allow(clippy::too_many_arguments)]
async fn pull_stream<C: Connector>(
    store: &Store,
    connector: &C,
    site: &Site,
    source: ContentSource,
    stream: &Stream,
    since: Option<chrono::DateTime<Utc>>,
    observer: &dyn PullObserver,
    counts: &mut RunCounts,
) -> Result<StreamTally, SyncError> {
    let mut tally = StreamTally::default();
    let mut position = connector.start(stream, since);
    let mut committer = Committer {
        store,
        site,
        source,
        stream,
        in_flight: VecDeque::new(),
        last_committed: None,
        total: UpsertCounts::default(),
        settled: 0,
    };
    let mut reported = (UpsertCounts::default(), 0);
    let mut batch: Vec<RemoteItem> = Vec::new();
    let outcome = loop {
        let window = match connector.next_window(&mut position).await {
            Ok(window) => window,
            Err(err) => break Err(err.into()),
        };
        let end = window.is_none();
        if let Some(window) = window {
            if tally.counts.expected.is_none() {
                tally.counts.expected = window.expected_total;
            }
            tally.windows += 1;
            for item in &window.items {
                if tally.seen.insert(item.external_id.clone()) {
                    counts.fetched += 1;
                }
            }
            batch.extend(window.items);
        }
        if ((end && !batch.is_empty()) || batch.len() >= BATCH_ITEMS)
            && let Err(err) = committer.start(std::mem::take(&mut batch)).await
        {
            break Err(err);
        }
        report(&committer, &mut reported, &mut tally, counts, observer);
        if end {
            break Ok(());
        }
    };
    // Batches already started commit (or fail) before the stream ends either way.
    let settled = committer.settle_all().await;
    report(&committer, &mut reported, &mut tally, counts, observer);
    outcome.and(settled).map(|()| tally)
}

/// Adds what batches settled since the last report to the stream's and the run's counts.
fn report(
    committer: &Committer<'_>,
    reported: &mut (UpsertCounts, u64),
    tally: &mut StreamTally,
    counts: &mut RunCounts,
    observer: &dyn PullObserver,
) {
    let (done, settled) = (committer.total, committer.settled);
    let new = UpsertCounts {
        created: done.created - reported.0.created,
        updated: done.updated - reported.0.updated,
        unchanged: done.unchanged - reported.0.unchanged,
    };
    for counts in [&mut tally.counts, counts] {
        counts.created += new.created;
        counts.updated += new.updated;
        counts.unchanged += new.unchanged;
    }
    if settled > reported.1 {
        observer.window_committed(&committer.stream.name, counts);
    }
    *reported = (done, settled);
}
