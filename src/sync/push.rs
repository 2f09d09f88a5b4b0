//! The push (DESIGN §4): each outbox row re-reads the remote item first and writes only if the
//! CMS still holds the version the change was computed from, sends only the changed fields,
//! and ends with a read-back receipt. A crash in `writing` resumes by re-reading: if the CMS
//! already holds our result the push is done, if it still holds the base the write is sent
//! again, anything else is a conflict.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::connector::ConnectorError;
use crate::connector::remote::{BatchWrite, Connector, Patch, RemoteItem, WriteOutcome};
use crate::domain::content::ContentHash;
use crate::domain::ids::{ContentId, PushJobId};
use crate::jobs::handler::error_chain;
use crate::store::Store;
use crate::store::push_jobs::{PushEnding, PushJob, PushState};
use crate::store::sites::Site;
use crate::store::sync_runs::Trigger;
use crate::sync::SyncError;
use crate::sync::jobs::{SitePayload, push_job};

/// What a push run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushSummary {
    pub done: u64,
    pub conflicts: u64,
    pub failed: u64,
}

/// Queues a change for the CMS and the site's push run. Refused when the site's push policy
/// is off.
pub async fn queue(
    store: &Store,
    site: &Site,
    content: ContentId,
    patch: &Patch,
    max_attempts: u32,
) -> Result<PushJobId, SyncError> {
    if site.push_policy == crate::domain::site::PushPolicy::Off {
        return Err(SyncError::Site(format!(
            "site {} does not push (push = \"off\")",
            site.name
        )));
    }
    let job = push_job(
        &SitePayload {
            account_id: site.account_id,
            site_id: site.id,
            trigger: Trigger::Manual,
        },
        max_attempts,
    );
    Ok(store
        .queue_push(site.account_id, content, patch, &job)
        .await?)
}

/// Does the site's whole outbox, oldest first, in batches of as many writes as the connector
/// takes in one call. Every push keeps its own precondition, receipt and ending: a conflict or
/// failure marks only its own item. A retryable failure ends the run after the batch it
/// happened in, once the others' endings are recorded; the job's retry resumes it.
pub async fn push_site<C: Connector>(
    store: &Store,
    connector: &C,
    site: &Site,
) -> Result<PushSummary, SyncError> {
    connector.probe().await?;
    let batch = connector.batch_size().max(1);
    let mut summary = PushSummary::default();
    // Changes queued while this run works are picked up before it ends; each row is tried
    // once per run.
    let mut tried = HashSet::new();
    loop {
        let jobs: Vec<PushJob> = store
            .active_pushes(site.account_id, site.id)
            .await?
            .into_iter()
            .filter(|job| tried.insert(job.id))
            .collect();
        if jobs.is_empty() {
            break;
        }
        for chunk in jobs.chunks(batch) {
            let mut retry = None;
            for (job, result) in chunk.iter().zip(push_batch(store, connector, chunk).await) {
                let ending = match result {
                    Ok(Some(ending)) => ending,
                    // Another worker moved it on.
                    Ok(None) => continue,
                    Err(SyncError::Connector(err)) if !err.is_retryable() => PushEnding::Failed {
                        error: err.to_string(),
                        deleted_remote: false,
                    },
                    Err(err) => {
                        retry.get_or_insert(err);
                        continue;
                    }
                };
                match &ending {
                    PushEnding::Done { .. } => summary.done += 1,
                    PushEnding::Conflict { reason, .. } => {
                        tracing::warn!(site = %site.name, content = %job.content_id, %reason, "A push found the item changed in the CMS; nothing was written.");
                        summary.conflicts += 1;
                    }
                    PushEnding::Failed { error, .. } => {
                        tracing::warn!(site = %site.name, content = %job.content_id, %error, "A push failed.");
                        summary.failed += 1;
                    }
                }
                store
                    .finish_push(job, site.connector.content_source(), &ending)
                    .await?;
            }
            if let Some(err) = retry {
                return Err(err);
            }
        }
    }
    Ok(summary)
}

/// The items of `jobs` as the CMS holds them now, by (type, id); absent ones are gone.
async fn read_remote<C: Connector>(
    connector: &C,
    jobs: &[&PushJob],
) -> Result<HashMap<(String, String), RemoteItem>, ConnectorError> {
    let mut ids: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for job in jobs {
        ids.entry(&job.external_type)
            .or_default()
            .push(job.external_id.clone());
    }
    let mut found = HashMap::new();
    for (external_type, ids) in ids {
        for item in connector.fetch(external_type, &ids).await? {
            found.insert((item.external_type.clone(), item.external_id.clone()), item);
        }
    }
    Ok(found)
}

fn remote_of(
    found: &mut HashMap<(String, String), RemoteItem>,
    job: &PushJob,
) -> Option<RemoteItem> {
    found.remove(&(job.external_type.clone(), job.external_id.clone()))
}

fn gone() -> PushEnding {
    PushEnding::Failed {
        error: "the item no longer exists in the CMS".to_owned(),
        deleted_remote: true,
    }
}

/// Whether `remote` is the version the change was computed from.
fn is_base(job: &PushJob, remote: &RemoteItem) -> bool {
    let hash = ContentHash::of(&remote.content_raw);
    job.base_remote_modified == Some(remote.remote_modified)
        && job.base_hash.as_deref() == Some(hash.as_bytes())
}

/// Whether `remote` already holds every field of the patch.
fn holds(patch: &Patch, remote: &RemoteItem) -> bool {
    patch
        .content
        .as_ref()
        .is_none_or(|c| *c == remote.content_raw)
        && patch.title.as_ref().is_none_or(|t| *t == remote.title)
        && patch
            .excerpt
            .as_ref()
            .is_none_or(|e| Some(e) == remote.excerpt.as_ref())
}

fn conflict(job: &PushJob, remote: RemoteItem) -> PushEnding {
    let reason = format!(
        "the item changed in the CMS (modified {} there, {} when the change was made); nothing was written",
        remote.remote_modified.format("%Y-%m-%d %H:%M:%S UTC"),
        job.base_remote_modified
            .map(|m| m.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| "unknown".to_owned())
    );
    PushEnding::Conflict {
        remote: Box::new(remote),
        reason,
    }
}

fn done(patch: &Patch, receipt: RemoteItem) -> PushEnding {
    let sanitized = !holds(patch, &receipt);
    PushEnding::Done {
        receipt: Box::new(receipt),
        sanitized,
    }
}

/// A push between its preflight re-read and its write.
struct Writing<'a> {
    index: usize,
    job: &'a PushJob,
    patch: Patch,
    base_modified: DateTime<Utc>,
}

/// What became of each push of a batch so far, in the order of the batch.
type Results = Vec<Option<Result<Option<PushEnding>, SyncError>>>;

/// Carries each push of `jobs` to its ending (`None` when another worker holds it) with one
/// re-read, one batched write and, for writes the CMS refused on their precondition, one more
/// re-read. Results are in the order of `jobs`.
async fn push_batch<C: Connector>(
    store: &Store,
    connector: &C,
    jobs: &[PushJob],
) -> Vec<Result<Option<PushEnding>, SyncError>> {
    let mut results: Results = jobs.iter().map(|_| None).collect();
    let mut preflight = Vec::new();
    for (index, job) in jobs.iter().enumerate() {
        match begin(store, job).await {
            Ok(Some((patch, from))) => preflight.push((index, job, patch, from)),
            Ok(None) => results[index] = Some(Ok(None)),
            Err(err) => results[index] = Some(Err(err)),
        }
    }
    let reading: Vec<&PushJob> = preflight.iter().map(|p| p.1).collect();
    let mut found = match read_remote(connector, &reading).await {
        Ok(found) => found,
        Err(err) => return fail_rest(results, &err),
    };
    let mut writing = Vec::new();
    for (index, job, patch, from) in preflight {
        let Some(remote) = remote_of(&mut found, job) else {
            results[index] = Some(Ok(Some(gone())));
            continue;
        };
        let resumed = matches!(from, PushState::Writing | PushState::Verifying);
        if resumed && holds(&patch, &remote) && !is_base(job, &remote) {
            // The write landed before the crash: the re-read is the receipt.
            results[index] = Some(Ok(Some(done(&patch, remote))));
            continue;
        }
        if !is_base(job, &remote) {
            results[index] = Some(Ok(Some(conflict(job, remote))));
            continue;
        }
        if from != PushState::Writing {
            match store
                .advance_push(job.account_id, job.id, from, PushState::Writing)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    results[index] = Some(Ok(None));
                    continue;
                }
                Err(err) => {
                    results[index] = Some(Err(err.into()));
                    continue;
                }
            }
        }
        writing.push(Writing {
            index,
            job,
            base_modified: job.base_remote_modified.unwrap_or(remote.remote_modified),
            patch,
        });
    }
    if writing.is_empty() {
        return fail_rest(results, &unsettled());
    }
    let writes: Vec<BatchWrite<'_>> = writing
        .iter()
        .map(|w| BatchWrite {
            external_type: &w.job.external_type,
            external_id: &w.job.external_id,
            patch: &w.patch,
            expected_modified: w.base_modified,
        })
        .collect();
    let outcomes = match connector.write_batch(&writes).await {
        Ok(outcomes) => outcomes,
        Err(err) => {
            tracing::debug!(error = %error_chain(&err), "A batch of push writes failed.");
            return fail_rest(results, &err);
        }
    };
    let mut refused = Vec::new();
    for (w, outcome) in writing.iter().zip(outcomes) {
        match outcome {
            Ok(WriteOutcome::Written(receipt)) => {
                let advanced = store
                    .advance_push(
                        w.job.account_id,
                        w.job.id,
                        PushState::Writing,
                        PushState::Verifying,
                    )
                    .await;
                results[w.index] = Some(match advanced {
                    Ok(_) => Ok(Some(done(&w.patch, *receipt))),
                    Err(err) => Err(err.into()),
                });
            }
            Ok(WriteOutcome::PreconditionFailed { .. }) => refused.push(w),
            Err(err) => {
                tracing::debug!(push = %w.job.id, error = %error_chain(&err), "A push write failed.");
                results[w.index] = Some(Err(err.into()));
            }
        }
    }
    if !refused.is_empty() {
        let reading: Vec<&PushJob> = refused.iter().map(|w| w.job).collect();
        match read_remote(connector, &reading).await {
            Ok(mut found) => {
                for w in refused {
                    results[w.index] = Some(Ok(Some(match remote_of(&mut found, w.job) {
                        Some(remote) => conflict(w.job, remote),
                        None => gone(),
                    })));
                }
            }
            Err(err) => return fail_rest(results, &err),
        }
    }
    fail_rest(results, &unsettled())
}

/// Moves a push into preflight (or finds it resumed after a crash); `None` when another
/// worker holds it. Returns its patch and the state it continues from.
async fn begin(store: &Store, job: &PushJob) -> Result<Option<(Patch, PushState)>, SyncError> {
    let patch = job.patch().map_err(SyncError::Site)?;
    if matches!(job.state, PushState::Writing | PushState::Verifying) {
        return Ok(Some((patch, job.state)));
    }
    if job.state == PushState::Pending
        && !store
            .advance_push(
                job.account_id,
                job.id,
                PushState::Pending,
                PushState::Preflight,
            )
            .await?
    {
        return Ok(None);
    }
    Ok(Some((patch, PushState::Preflight)))
}

/// Stands in for a result every path above sets; never seen unless they miss one.
fn unsettled() -> ConnectorError {
    ConnectorError::Transient("the push was left without an outcome".to_owned())
}

/// Every push still without a result gets `err`; the others keep theirs.
fn fail_rest(results: Results, err: &ConnectorError) -> Vec<Result<Option<PushEnding>, SyncError>> {
    results
        .into_iter()
        .map(|result| result.unwrap_or_else(|| Err(err.clone().into())))
        .collect()
}

/// What a push would change in the CMS, without writing: per pending push, a unified diff of
/// each changed field from what the CMS holds now to what would be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushPreview {
    pub content_id: ContentId,
    pub external_type: String,
    pub external_id: String,
    /// Empty when the CMS already holds the change.
    pub diff: String,
    /// Set when the CMS changed since the change was computed: the push would be a conflict.
    pub conflict: bool,
}

/// Previews the site's outbox.
pub async fn preview<C: Connector>(
    store: &Store,
    connector: &C,
    site: &Site,
) -> Result<Vec<PushPreview>, SyncError> {
    connector.probe().await?;
    let jobs = store.active_pushes(site.account_id, site.id).await?;
    let mut found = read_remote(connector, &jobs.iter().collect::<Vec<_>>()).await?;
    let mut previews = Vec::new();
    for job in jobs {
        let patch = job.patch().map_err(SyncError::Site)?;
        let remote = remote_of(&mut found, &job);
        let label = format!("{} {}", job.external_type, job.external_id);
        let mut diff = String::new();
        let current = |field: &str| -> String {
            match (&remote, field) {
                (Some(r), "title") => r.title.clone(),
                (Some(r), "content") => r.content_raw.clone(),
                (Some(r), _) => r.excerpt.clone().unwrap_or_default(),
                (None, _) => String::new(),
            }
        };
        for (field, new) in [
            ("title", &patch.title),
            ("content", &patch.content),
            ("excerpt", &patch.excerpt),
        ] {
            let Some(new) = new else { continue };
            let old = current(field);
            if old == *new {
                continue;
            }
            let text = similar::TextDiff::from_lines(&old, new)
                .unified_diff()
                .context_radius(2)
                .header(
                    &format!("{label} {field} (CMS)"),
                    &format!("{label} {field} (igny8)"),
                )
                .to_string();
            diff.push_str(&text);
        }
        previews.push(PushPreview {
            content_id: job.content_id,
            external_type: job.external_type.clone(),
            external_id: job.external_id.clone(),
            conflict: remote.as_ref().is_none_or(|r| !is_base(&job, r)),
            diff,
        });
    }
    Ok(previews)
}
