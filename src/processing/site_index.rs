//! Each site's link index, built once from the store and then kept current: before each use
//! it asks which items changed since it last looked, re-reads only those it has not applied
//! yet, reloads the site's rules (a small table), and applies it all with one recompilation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::RwLock;

use crate::domain::ids::{AccountId, ContentId, SiteId};
use crate::pipeline::language::Language;
use crate::pipeline::linker::{KeywordRule, LinkIndex, TargetId};
use crate::processing::documents::target;
use crate::store::{Store, StoreError};

/// A transaction stamps `updated_at` when it starts, so a change can commit after a later
/// stamp was read. Changes are asked for this far back; those already applied are skipped.
const OVERLAP: chrono::Duration = chrono::Duration::seconds(10);

struct Cached {
    index: Arc<RwLock<LinkIndex>>,
    /// The latest `updated_at` seen.
    seen_until: Option<DateTime<Utc>>,
    /// What was applied within the overlap, so it is not read again.
    applied: HashMap<ContentId, DateTime<Utc>>,
}

/// The indexes of the sites this process has linked. Sites are written in English unless an
/// item says otherwise, so the index stems English words.
#[derive(Default)]
pub struct SiteIndexes {
    sites: Mutex<HashMap<SiteId, Arc<tokio::sync::Mutex<Option<Cached>>>>>,
}

impl SiteIndexes {
    /// The site's index, with every change committed before this call.
    pub async fn current(
        &self,
        store: &Store,
        account: AccountId,
        site: SiteId,
    ) -> Result<Arc<RwLock<LinkIndex>>, StoreError> {
        let slot = self
            .sites
            .lock()
            .expect("site index map poisoned")
            .entry(site)
            .or_default()
            .clone();
        let mut slot = slot.lock().await;
        let Some(cached) = slot.as_mut() else {
            let rows = store.link_targets(account, site).await?;
            let seen_until = rows.iter().map(|row| row.updated_at).max();
            let index = LinkIndex::build(
                Some(Language::English),
                rows.iter().filter_map(target),
                rules(store, account, site).await?,
            );
            let index = Arc::new(RwLock::new(index));
            *slot = Some(Cached {
                index: index.clone(),
                seen_until,
                applied: rows.iter().map(|row| (row.id, row.updated_at)).collect(),
            });
            return Ok(index);
        };
        let since = cached
            .seen_until
            .map_or(DateTime::<Utc>::MIN_UTC, |seen| seen - OVERLAP);
        let changes = store.content_changes(account, site, since).await?;
        let unseen: Vec<ContentId> = changes
            .iter()
            .filter(|(id, at)| cached.applied.get(id) != Some(at))
            .map(|&(id, _)| id)
            .collect();
        let rows = if unseen.is_empty() {
            Vec::new()
        } else {
            store.link_target_rows(account, site, &unseen).await?
        };
        let mut upserts = Vec::new();
        let mut removals = Vec::new();
        for row in &rows {
            match target(row) {
                Some(target) => upserts.push(target),
                None => removals.push(TargetId(row.id.get())),
            }
            cached.applied.insert(row.id, row.updated_at);
        }
        cached
            .index
            .write()
            .await
            .apply(upserts, removals, rules(store, account, site).await?);
        cached.seen_until = changes
            .iter()
            .map(|&(_, at)| at)
            .max()
            .max(cached.seen_until);
        if let Some(seen) = cached.seen_until {
            cached.applied.retain(|_, at| *at >= seen - OVERLAP);
        }
        Ok(cached.index.clone())
    }
}

async fn rules(
    store: &Store,
    account: AccountId,
    site: SiteId,
) -> Result<Vec<KeywordRule>, StoreError> {
    Ok(store
        .link_rules(account, site)
        .await?
        .into_iter()
        .map(|rule| KeywordRule {
            id: rule.id,
            keyword: rule.keyword,
            target: TargetId(rule.target_content_id.get()),
        })
        .collect())
}
