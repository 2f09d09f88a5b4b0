//! The push (DESIGN §4): each outbox row re-reads the remote item first and writes only if the
//! CMS still holds the version the change was computed from, sends only the changed fields,
//! and ends with a read-back receipt. A crash in `writing` resumes by re-reading: if the CMS
//! already holds our result the push is done, if it still holds the base the write is sent
//! again, anything else is a conflict.

use crate::connector::remote::{Connector, Patch, RemoteItem, WriteOutcome};
use crate::domain::content::ContentHash;
use crate::domain::ids::{AccountId, ContentId, PushJobId};
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

/// Does the site's whole outbox, oldest first.
pub async fn push_site<C: Connector>(
    store: &Store,
    connector: &C,
    site: &Site,
) -> Result<PushSummary, SyncError> {
    connector.probe().await?;
    let mut summary = PushSummary::default();
    // Changes queued while this run works are picked up before it ends; each row is tried
    // once per run.
    let mut tried = std::collections::HashSet::new();
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
        for job in jobs {
            let ending = match push_one(store, connector, &job).await {
                Ok(Some(ending)) => ending,
                // Another worker moved it on.
                Ok(None) => continue,
                Err(SyncError::Connector(err)) if !err.is_retryable() => PushEnding::Failed {
                    error: err.to_string(),
                    deleted_remote: false,
                },
                Err(err) => return Err(err),
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
                .finish_push(&job, site.connector.content_source(), &ending)
                .await?;
        }
    }
    Ok(summary)
}

async fn read_remote<C: Connector>(
    connector: &C,
    job: &PushJob,
) -> Result<Option<RemoteItem>, SyncError> {
    Ok(connector
        .fetch(&job.external_type, std::slice::from_ref(&job.external_id))
        .await?
        .into_iter()
        .next())
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

/// Carries one push to its ending; `None` when another worker holds it.
async fn push_one<C: Connector>(
    store: &Store,
    connector: &C,
    job: &PushJob,
) -> Result<Option<PushEnding>, SyncError> {
    let patch = job.patch().map_err(SyncError::Site)?;
    let account: AccountId = job.account_id;
    let resumed = matches!(job.state, PushState::Writing | PushState::Verifying);
    let from = if resumed {
        job.state
    } else {
        if job.state == PushState::Pending
            && !store
                .advance_push(account, job.id, PushState::Pending, PushState::Preflight)
                .await?
        {
            return Ok(None);
        }
        PushState::Preflight
    };
    let Some(remote) = read_remote(connector, job).await? else {
        return Ok(Some(gone()));
    };
    if resumed && holds(&patch, &remote) && !is_base(job, &remote) {
        // The write landed before the crash: the re-read is the receipt.
        return Ok(Some(done(&patch, remote)));
    }
    if !is_base(job, &remote) {
        return Ok(Some(conflict(job, remote)));
    }
    if from != PushState::Writing
        && !store
            .advance_push(account, job.id, from, PushState::Writing)
            .await?
    {
        return Ok(None);
    }
    let base_modified = job.base_remote_modified.unwrap_or(remote.remote_modified);
    let outcome = connector
        .write(&job.external_type, &job.external_id, &patch, base_modified)
        .await;
    match outcome {
        Ok(WriteOutcome::Written(receipt)) => {
            store
                .advance_push(account, job.id, PushState::Writing, PushState::Verifying)
                .await?;
            Ok(Some(done(&patch, *receipt)))
        }
        Ok(WriteOutcome::PreconditionFailed { .. }) => match read_remote(connector, job).await? {
            Some(remote) => Ok(Some(conflict(job, remote))),
            None => Ok(Some(gone())),
        },
        Err(err) => {
            tracing::debug!(push = %job.id, error = %error_chain(&err), "A push write failed.");
            Err(err.into())
        }
    }
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
    let mut previews = Vec::new();
    for job in store.active_pushes(site.account_id, site.id).await? {
        let patch = job.patch().map_err(SyncError::Site)?;
        let remote = read_remote(connector, &job).await?;
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
