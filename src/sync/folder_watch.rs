//! Folder sites kept current as their files change: one watcher per folder site, started and
//! stopped as sites come and go (the site list is read again every few seconds, so sites added
//! by a reload or through the API are watched too), turning each burst of changes into
//! re-fetches of the files touched, or a full pull with its sweep when the change cannot be
//! told file by file. The jobs do the reading; the watcher only hints, like a webhook.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::connector::folder::scan::EXTERNAL_TYPE;
use crate::connector::folder::watcher::{Change, FolderWatcher};
use crate::domain::ids::{AccountId, SiteId};
use crate::domain::site::ConnectorKind;
use crate::shutdown::Shutdown;
use crate::store::Store;
use crate::store::StoreError;
use crate::store::jobs::NewJob;
use crate::store::sync_runs::Trigger;
use crate::sync::jobs::{PullPayload, REFETCH, RefetchPayload, pull_job};
use crate::sync::site_settings::{self, FilesSettings};

/// How long a burst of events may go quiet before it is reported.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// How often the list of folder sites is read again.
const REFRESH: Duration = Duration::from_secs(5);
/// Beyond this many files in one burst, one full pull is cheaper than re-fetching each.
const MOST_REFETCHES: usize = 100;
/// How many seconds a full pull waits at most for the one before it to finish.
const PULL_RETRIES: u32 = 600;

type SiteKey = (AccountId, SiteId);

struct Watched {
    path: PathBuf,
    _watcher: FolderWatcher,
}

/// Watches every folder site until shutdown begins.
pub async fn run(store: Store, max_attempts: u32, shutdown: Shutdown) {
    let stopping = shutdown.stopping();
    let (sender, mut changes) = mpsc::unbounded_channel::<(SiteKey, Vec<Change>)>();
    let mut watched: HashMap<SiteKey, Watched> = HashMap::new();
    let mut refresh = tokio::time::interval(REFRESH);
    loop {
        tokio::select! {
            _ = stopping.cancelled() => return,
            _ = refresh.tick() => {
                if let Err(err) = refresh_sites(&store, &mut watched, &sender).await {
                    tracing::warn!(error = %err, "Could not read the folder sites to watch.");
                }
            }
            Some((site, burst)) = changes.recv() => {
                if let Err(err) = enqueue(&store, site, &burst, max_attempts, &stopping).await {
                    tracing::warn!(site = %site.1, error = %err, "Could not queue the re-read of changed files; the next scheduled pull finds them.");
                }
            }
        }
    }
}

/// Starts watchers for new folder sites (or sites whose folder moved) and drops those of sites
/// that are gone.
async fn refresh_sites(
    store: &Store,
    watched: &mut HashMap<SiteKey, Watched>,
    sender: &mpsc::UnboundedSender<(SiteKey, Vec<Change>)>,
) -> Result<(), StoreError> {
    let mut live = HashMap::new();
    for site in store.all_sites().await? {
        if site.connector != ConnectorKind::Files {
            continue;
        }
        match site_settings::parse::<FilesSettings>(&site) {
            Ok(settings) => {
                live.insert((site.account_id, site.id), settings.path);
            }
            Err(err) => {
                tracing::warn!(site = %site.name, error = %err, "A folder site's settings do not parse; it is not watched.");
            }
        }
    }
    watched.retain(|key, current| live.get(key) == Some(&current.path));
    for (key, path) in live {
        if watched.contains_key(&key) {
            continue;
        }
        let sender = sender.clone();
        match FolderWatcher::start(&path, DEBOUNCE, move |burst| {
            // The receiver is gone only when the daemon is stopping.
            let _ = sender.send((key, burst));
        }) {
            Ok(watcher) => {
                tracing::info!(site = %key.1, folder = %path.display(), "Watching a folder site.");
                watched.insert(
                    key,
                    Watched {
                        path,
                        _watcher: watcher,
                    },
                );
            }
            Err(err) => {
                tracing::warn!(site = %key.1, folder = %path.display(), error = %err, "Could not watch a folder site; it is read by its scheduled pulls only.");
            }
        }
    }
    Ok(())
}

/// Queues the reads a burst of changes calls for. Re-fetches carry no unique key: one already
/// running may have read the file before this change, and a second read of the same version
/// changes nothing.
async fn enqueue(
    store: &Store,
    (account_id, site_id): SiteKey,
    burst: &[Change],
    max_attempts: u32,
    stopping: &CancellationToken,
) -> Result<(), StoreError> {
    let whole = burst.len() > MOST_REFETCHES || burst.contains(&Change::Folder);
    if whole {
        let job = pull_job(
            &PullPayload {
                account_id,
                site_id,
                full: true,
                trigger: Trigger::Webhook,
            },
            max_attempts,
        );
        if store.enqueue(&job).await?.is_none() {
            // A pull is pending or running; a running one may have listed the folder before
            // this change, so another is queued once it is done.
            tokio::spawn(retry_pull(store.clone(), job, stopping.clone()));
        }
        return Ok(());
    }
    let payloads: Vec<Value> = burst
        .iter()
        .filter_map(|change| match change {
            Change::File(path) => Some(json!(RefetchPayload {
                account_id,
                site_id,
                external_type: EXTERNAL_TYPE.to_owned(),
                external_id: path.as_str().to_owned(),
            })),
            Change::Folder => None,
        })
        .collect();
    store
        .enqueue_batch(REFETCH, &payloads, max_attempts)
        .await?;
    Ok(())
}

/// Queues `job` once the pull holding its unique key is finished, unless the daemon stops first.
async fn retry_pull(store: Store, job: NewJob, stopping: CancellationToken) {
    for _ in 0..PULL_RETRIES {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stopping.cancelled() => return,
        }
        match store.enqueue(&job).await {
            Ok(Some(_)) => return,
            Ok(None) => continue,
            Err(err) => {
                tracing::warn!(error = %err, "Could not queue a folder site's pull; the next scheduled pull reads the change.");
                return;
            }
        }
    }
}
