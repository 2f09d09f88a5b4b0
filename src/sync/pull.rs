//! The pull: every stream read from its cursor (less the overlap) in windows, each window's
//! upserts and cursor committed in one transaction, so a crash resumes at the last whole
//! window and a re-read changes nothing. Run invariants fail the run loudly.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use chrono::{Duration, Utc};
use serde_json::{Value, json};

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

/// Commits a batch of windows (upserts and the cursor they reach) in one transaction.
async fn commit_batch(
    store: &Store,
    site: &Site,
    source: ContentSource,
    stream: &Stream,
    items: Vec<RemoteItem>,
) -> Result<UpsertCounts, SyncError> {
    if items.is_empty() {
        return Ok(UpsertCounts::default());
    }
    let cursor = items
        .iter()
        .map(|item| Cursor {
            modified: item.remote_modified,
            external_id: item.external_id.clone(),
        })
        .max()
        .expect("not empty");
    let mut tx = store.begin().await?;
    let upserted = Store::upsert_pulled(&mut tx, site.account_id, site.id, source, &items).await?;
    Store::advance_cursor(&mut tx, site.account_id, site.id, &stream.name, &cursor).await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    Ok(upserted)
}

/// Reads one stream. The next window is fetched while the previous batch commits, so the
/// network and the database work at the same time; a batch's cursor never passes an item that
/// is not in it, so a crash still resumes at the last committed batch.
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
    let mut batch: Vec<RemoteItem> = Vec::new();
    let mut exhausted = false;
    loop {
        let to_commit = if exhausted || batch.len() >= BATCH_ITEMS {
            std::mem::take(&mut batch)
        } else {
            Vec::new()
        };
        let committing = !to_commit.is_empty();
        let (window, upserted) = tokio::join!(
            async {
                if exhausted {
                    Ok(None)
                } else {
                    connector.next_window(&mut position).await
                }
            },
            commit_batch(store, site, source, stream, to_commit)
        );
        let upserted = upserted?;
        tally.counts.created += upserted.created;
        tally.counts.updated += upserted.updated;
        tally.counts.unchanged += upserted.unchanged;
        counts.created += upserted.created;
        counts.updated += upserted.updated;
        counts.unchanged += upserted.unchanged;
        if committing {
            observer.window_committed(&stream.name, counts);
        }
        match window? {
            Some(window) => {
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
            None if batch.is_empty() => return Ok(tally),
            None => exhausted = true,
        }
    }
}
