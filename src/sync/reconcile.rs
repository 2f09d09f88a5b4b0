//! The ID sweep: every remote item of a type, briefly, compared with ours. Items we lack or
//! hold at an older version are fetched; items we hold that the sweep did not list are fetched
//! by id to confirm, and only those the CMS really no longer has become `deleted_remote`
//! (a sweep over pages can miss an item that moved while it ran, so absence alone proves
//! nothing).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::connector::remote::{Connector, RemoteItem, RemoteStub};
use crate::domain::content::{ContentSource, SyncStatus};
use crate::store::Store;
use crate::store::sites::Site;
use crate::store::sync_runs::{RunCounts, StreamMilestone};
use crate::sync::SyncError;

/// Sweeps every type the connector syncs; adds what it did to `counts`.
pub async fn reconcile<C: Connector>(
    store: &Store,
    connector: &C,
    site: &Site,
    source: ContentSource,
    counts: &mut RunCounts,
) -> Result<(), SyncError> {
    let mut remote_by_type: BTreeMap<String, HashMap<String, RemoteStub>> = BTreeMap::new();
    let streams = connector.streams();
    for stream in &streams {
        let stubs = connector.sweep(stream).await?;
        let remote = remote_by_type
            .entry(stream.external_type.clone())
            .or_default();
        for stub in stubs {
            remote.insert(stub.external_id.clone(), stub);
        }
    }
    for (external_type, remote) in remote_by_type {
        let local = store
            .local_versions(site.account_id, site.id, &external_type)
            .await?;
        let local_ids: HashSet<&str> = local.iter().map(|l| l.external_id.as_str()).collect();
        let mut stale: Vec<String> = remote
            .values()
            .filter(|stub| !local_ids.contains(stub.external_id.as_str()))
            .map(|stub| stub.external_id.clone())
            .collect();
        let mut unlisted = Vec::new();
        for version in &local {
            match remote.get(&version.external_id) {
                Some(stub) => {
                    let behind = version
                        .remote_modified
                        .is_none_or(|ours| ours < stub.remote_modified);
                    if behind || version.sync_status == SyncStatus::DeletedRemote {
                        stale.push(version.external_id.clone());
                    }
                }
                None if version.sync_status != SyncStatus::DeletedRemote => {
                    unlisted.push(version.external_id.clone());
                }
                None => {}
            }
        }
        stale.sort();
        let fetched = connector.fetch(&external_type, &stale).await?;
        counts.fetched += fetched.len() as u64;
        commit(store, site, source, &fetched, counts).await?;

        let confirmed = connector.fetch(&external_type, &unlisted).await?;
        let still_there: HashSet<&str> = confirmed.iter().map(|i| i.external_id.as_str()).collect();
        let gone: Vec<String> = unlisted
            .iter()
            .filter(|id| !still_there.contains(id.as_str()))
            .cloned()
            .collect();
        counts.fetched += confirmed.len() as u64;
        commit(store, site, source, &confirmed, counts).await?;
        if !gone.is_empty() {
            counts.deleted += store
                .mark_deleted_remote(site.account_id, site.id, &external_type, &gone)
                .await?;
        }
    }
    for stream in &streams {
        store
            .mark_stream(
                site.account_id,
                site.id,
                &stream.name,
                StreamMilestone::Reconciled,
            )
            .await?;
    }
    Ok(())
}

async fn commit(
    store: &Store,
    site: &Site,
    source: ContentSource,
    items: &[RemoteItem],
    counts: &mut RunCounts,
) -> Result<(), SyncError> {
    if items.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    let upserted = Store::upsert_pulled(&mut tx, site.account_id, site.id, source, items).await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    counts.created += upserted.created;
    counts.updated += upserted.updated;
    counts.unchanged += upserted.unchanged;
    Ok(())
}

/// A recorded reconcile run: probe, sweep every stream, record the counts.
pub async fn reconcile_run<C: Connector>(
    store: &Store,
    connector: &C,
    site: &Site,
    trigger: crate::store::sync_runs::Trigger,
) -> Result<crate::sync::pull::PullReport, SyncError> {
    let run = store
        .start_run(
            site.account_id,
            site.id,
            crate::store::sync_runs::RunKind::Reconcile,
            trigger,
        )
        .await?;
    let started = std::time::Instant::now();
    let mut counts = RunCounts::default();
    let outcome = async {
        let capabilities = connector.probe().await?;
        store
            .set_site_capabilities(site.account_id, site.id, &capabilities)
            .await?;
        reconcile(
            store,
            connector,
            site,
            site.connector.content_source(),
            &mut counts,
        )
        .await
    }
    .await;
    let error = outcome
        .as_ref()
        .err()
        .map(|err| crate::jobs::handler::error_chain(err));
    let stats = serde_json::json!({"duration_ms": started.elapsed().as_millis() as u64});
    store
        .finish_run(site.account_id, run, &counts, &stats, error.as_deref())
        .await?;
    outcome?;
    Ok(crate::sync::pull::PullReport {
        run,
        counts,
        error: None,
    })
}

/// Re-reads single items a webhook hinted at; an item the CMS no longer has is marked
/// `deleted_remote`.
pub async fn refetch<C: Connector>(
    store: &Store,
    connector: &C,
    site: &Site,
    external_type: &str,
    external_ids: &[String],
) -> Result<RunCounts, SyncError> {
    let mut counts = RunCounts::default();
    connector.probe().await?;
    let items = connector.fetch(external_type, external_ids).await?;
    counts.fetched = items.len() as u64;
    commit(
        store,
        site,
        site.connector.content_source(),
        &items,
        &mut counts,
    )
    .await?;
    let found: HashSet<&str> = items.iter().map(|i| i.external_id.as_str()).collect();
    let gone: Vec<String> = external_ids
        .iter()
        .filter(|id| !found.contains(id.as_str()))
        .cloned()
        .collect();
    if !gone.is_empty() {
        counts.deleted = store
            .mark_deleted_remote(site.account_id, site.id, external_type, &gone)
            .await?;
    }
    Ok(counts)
}
