//! Importing a WordPress export (WXR) into a site's content.
//!
//! The file is read as a stream and written in batches, each batch one transaction, so a file of
//! any size imports in bounded memory and a file that turns out to be malformed part-way keeps
//! everything read before the fault. New rows are `imported` (DESIGN §3): nothing has confirmed
//! them against the live site yet, and the first pull does. An import never replaces a row we
//! hold at the same or a newer remote version, so importing a file twice, or an old export over
//! a synced site, changes nothing.
//!
//! Reading the file blocks between batches; the CLI runs an import on its own, never inside the
//! daemon's workers.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::connector::files::wxr::{self, WxrEntry, WxrError, WxrItem, WxrReader};
use crate::connector::remote::{RemoteItem, Term};
use crate::domain::content::ContentSource;
use crate::domain::ids::{AccountId, SyncRunId};
use crate::domain::site::{ConnectorKind, SiteName};
use crate::store::sites::Site;
use crate::store::sync_runs::{RunCounts, RunKind, Trigger};
use crate::store::{Store, StoreError};
use crate::sync::site_settings::WordPressSettings;

/// Items per transaction: large enough that a big export is not bound by commits, small
/// enough that a fault loses little work and a batch's statement stays a few megabytes.
pub const DEFAULT_BATCH_SIZE: usize = 500;

/// Bad items whose messages the run record keeps; the count covers them all.
const KEPT_PROBLEMS: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("no site is named {name}")]
    NoSite { name: SiteName },
    #[error("account {account} has no site named {name}")]
    NoSiteInAccount { name: SiteName, account: AccountId },
    /// Site names are unique per account only; the caller has to say which account.
    #[error("sites named {name} exist in several accounts ({})", list(.accounts))]
    AmbiguousSite {
        name: SiteName,
        accounts: Vec<AccountId>,
    },
    #[error(
        "site {name} uses the {connector} connector; a WordPress export imports only into a \
         wordpress site"
    )]
    WrongConnector {
        name: SiteName,
        connector: ConnectorKind,
    },
    #[error("site {name}: settings: {message}")]
    Settings { name: SiteName, message: String },
    #[error("could not open {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file stopped making sense; what was read before the fault is committed and counted
    /// in `report`.
    #[error("{error}; {}", stopped(report))]
    Malformed {
        error: WxrError,
        report: Box<ImportReport>,
    },
    #[error("the database failed")]
    Store(#[from] StoreError),
}

fn stopped(report: &ImportReport) -> String {
    match report.created + report.updated + report.unchanged {
        0 => format!("nothing was imported (sync run {})", report.run),
        kept => format!(
            "the import stopped there, keeping the {kept} items read before it (sync run {})",
            report.run
        ),
    }
}

fn list(accounts: &[AccountId]) -> String {
    accounts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// An entry the reader could not make sense of and skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadItem {
    pub position: u64,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub run: SyncRunId,
    /// New rows.
    pub created: u64,
    /// Rows the file held a newer version of.
    pub updated: u64,
    /// Rows we already held at the file's version or newer.
    pub unchanged: u64,
    /// Items of the imported types, by post type and then status.
    pub read: BTreeMap<String, BTreeMap<String, u64>>,
    /// Items of post types the site does not sync, by post type.
    pub skipped: BTreeMap<String, u64>,
    pub bad: Vec<BadItem>,
}

impl ImportReport {
    fn new(run: SyncRunId) -> ImportReport {
        ImportReport {
            run,
            created: 0,
            updated: 0,
            unchanged: 0,
            read: BTreeMap::new(),
            skipped: BTreeMap::new(),
            bad: Vec::new(),
        }
    }

    /// Items of the imported types read from the file.
    pub fn items_read(&self) -> u64 {
        self.read.values().flat_map(BTreeMap::values).sum()
    }

    fn counts(&self) -> RunCounts {
        RunCounts {
            expected: None,
            fetched: self.items_read(),
            created: self.created,
            updated: self.updated,
            unchanged: self.unchanged,
            deleted: 0,
            errors: self.bad.len() as u64,
        }
    }

    fn stats(&self, batches: u64, started: Instant) -> Value {
        json!({
            "format": "wxr",
            "batches": batches,
            "duration_ms": started.elapsed().as_millis() as u64,
            "read": self.read,
            "skipped": self.skipped,
            "bad": self.bad.iter().take(KEPT_PROBLEMS).map(|bad| &bad.message).collect::<Vec<_>>(),
        })
    }
}

/// Told about progress as batches commit (the CLI draws a progress bar with it).
pub trait ImportObserver: Send + Sync {
    /// `position` is how far into the file the reader is, in bytes.
    fn batch_committed(&self, _position: u64, _report: &ImportReport) {}
}

/// Observes nothing.
pub struct Quiet;

impl ImportObserver for Quiet {}

/// The live site called `name`; `account` is needed only when several accounts have one.
pub async fn find_site(
    store: &Store,
    name: &SiteName,
    account: Option<AccountId>,
) -> Result<Site, ImportError> {
    let sites = store.sites_named(name).await?;
    match account {
        Some(account) => sites
            .into_iter()
            .find(|site| site.account_id == account)
            .ok_or_else(|| ImportError::NoSiteInAccount {
                name: name.clone(),
                account,
            }),
        None => match <[Site; 1]>::try_from(sites) {
            Ok([site]) => Ok(site),
            Err(sites) if sites.is_empty() => Err(ImportError::NoSite { name: name.clone() }),
            Err(sites) => Err(ImportError::AmbiguousSite {
                name: name.clone(),
                accounts: sites.iter().map(|site| site.account_id).collect(),
            }),
        },
    }
}

/// Imports the export at `path` into `site`.
pub async fn import_file(
    store: &Store,
    site: &Site,
    path: &Path,
    trigger: Trigger,
    observer: &dyn ImportObserver,
) -> Result<ImportReport, ImportError> {
    let file = File::open(path).map_err(|source| ImportError::Open {
        path: path.to_owned(),
        source,
    })?;
    import(
        store,
        site,
        BufReader::new(file),
        DEFAULT_BATCH_SIZE,
        trigger,
        observer,
    )
    .await
}

/// Imports an export read from `input` into `site`, `batch_size` items per transaction, and
/// records the run. Items of post types the site does not sync are counted and skipped, and so
/// are items the reader reports as invalid; a malformed file ends the import with
/// [`ImportError::Malformed`] after committing every item read before the fault.
pub async fn import<R: BufRead>(
    store: &Store,
    site: &Site,
    input: R,
    batch_size: usize,
    trigger: Trigger,
    observer: &dyn ImportObserver,
) -> Result<ImportReport, ImportError> {
    let post_types = post_types(site)?;
    let run = store
        .start_run(site.account_id, site.id, RunKind::Import, trigger)
        .await?;
    let started = Instant::now();
    let mut report = ImportReport::new(run);
    let mut batches = 0;
    let outcome = read_into(
        store,
        site,
        WxrReader::new(input),
        &post_types,
        batch_size.max(1),
        observer,
        &mut report,
        &mut batches,
    )
    .await;
    let error = outcome.as_ref().err().map(|fault| match fault {
        Fault::File(err) => err.to_string(),
        Fault::Store(err) => crate::jobs::handler::error_chain(err),
    });
    store
        .finish_run(
            site.account_id,
            run,
            &report.counts(),
            &report.stats(batches, started),
            error.as_deref(),
        )
        .await?;
    match outcome {
        Ok(()) => Ok(report),
        Err(Fault::File(error)) => Err(ImportError::Malformed {
            error,
            report: Box::new(report),
        }),
        Err(Fault::Store(err)) => Err(err.into()),
    }
}

/// Why reading stopped early.
#[derive(Debug)]
enum Fault {
    File(WxrError),
    Store(StoreError),
}

impl From<StoreError> for Fault {
    fn from(err: StoreError) -> Fault {
        Fault::Store(err)
    }
}

#[allow(clippy::too_many_arguments)]
async fn read_into<R: BufRead>(
    store: &Store,
    site: &Site,
    mut reader: WxrReader<R>,
    post_types: &[String],
    batch_size: usize,
    observer: &dyn ImportObserver,
    report: &mut ImportReport,
    batches: &mut u64,
) -> Result<(), Fault> {
    let now = Utc::now();
    let mut batch = Vec::with_capacity(batch_size);
    loop {
        let entry = match reader.next() {
            None => break,
            Some(Ok(entry)) => entry,
            Some(Err(err)) if err.is_recoverable() => {
                report.bad.push(bad_item(&err));
                continue;
            }
            Some(Err(err)) => {
                // Whole items read before the fault are good; keep them.
                commit(store, site, &mut batch, report, batches).await?;
                return Err(Fault::File(err));
            }
        };
        let WxrEntry::Item(item) = entry else {
            continue;
        };
        if !post_types.contains(&item.post_type) {
            *report.skipped.entry(item.post_type.clone()).or_default() += 1;
            continue;
        }
        *report
            .read
            .entry(item.post_type.clone())
            .or_default()
            .entry(item.status.as_str().to_owned())
            .or_default() += 1;
        batch.push(remote_item(*item, now));
        if batch.len() >= batch_size {
            commit(store, site, &mut batch, report, batches).await?;
            observer.batch_committed(reader.position(), report);
        }
    }
    commit(store, site, &mut batch, report, batches).await?;
    observer.batch_committed(reader.position(), report);
    Ok(())
}

async fn commit(
    store: &Store,
    site: &Site,
    batch: &mut Vec<RemoteItem>,
    report: &mut ImportReport,
    batches: &mut u64,
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    let counts = Store::upsert_imported(
        &mut tx,
        site.account_id,
        site.id,
        ContentSource::Wordpress,
        batch,
    )
    .await?;
    tx.commit().await?;
    batch.clear();
    *batches += 1;
    report.created += counts.created;
    report.updated += counts.updated;
    report.unchanged += counts.unchanged;
    Ok(())
}

fn bad_item(err: &WxrError) -> BadItem {
    let position = match err {
        WxrError::Invalid { position, .. } => *position,
        _ => 0,
    };
    BadItem {
        position,
        message: err.to_string(),
    }
}

/// The post types `site` syncs, which are the ones an import takes.
fn post_types(site: &Site) -> Result<Vec<String>, ImportError> {
    if site.connector != ConnectorKind::Wordpress {
        return Err(ImportError::WrongConnector {
            name: site.name.clone(),
            connector: site.connector,
        });
    }
    let settings: WordPressSettings =
        serde_json::from_value(site.settings.clone()).map_err(|err| ImportError::Settings {
            name: site.name.clone(),
            message: err.to_string(),
        })?;
    Ok(settings.post_types)
}

/// An export's item in the shape a pull delivers. The remote version is the item's modified
/// time; an item without one takes its publication time, and failing that `now`, which
/// `sync_metadata.import.remote_modified_from` records, since such a time says nothing about
/// the item.
pub fn remote_item(item: WxrItem, now: DateTime<Utc>) -> RemoteItem {
    let (remote_modified, stand_in) = match (item.post_modified_gmt, item.post_date_gmt) {
        (Some(modified), _) => (modified, None),
        (None, Some(date)) => (date, Some("post_date_gmt")),
        (None, None) => (now, Some("import_time")),
    };
    let mut metadata = Map::new();
    if let Some(parent) = item.parent {
        metadata.insert("parent".to_owned(), json!(parent));
    }
    if item.menu_order != 0 {
        metadata.insert("menu_order".to_owned(), json!(item.menu_order));
    }
    if item.password_protected {
        metadata.insert("password_protected".to_owned(), json!(true));
    }
    if let Some(from) = stand_in {
        metadata.insert("import".to_owned(), json!({ "remote_modified_from": from }));
    }
    RemoteItem {
        external_id: item.post_id.to_string(),
        remote_modified,
        remote_status: item.status.as_str().to_owned(),
        focus_keyphrase: item.focus_keyphrase().map(str::to_owned),
        meta_description: item.meta_description().map(str::to_owned),
        external_type: item.post_type,
        title: item.title,
        content_raw: item.content,
        content_rendered: None,
        excerpt: Some(item.excerpt).filter(|excerpt| !excerpt.is_empty()),
        slug: item.slug,
        external_url: item.link,
        author: item.author,
        categories: terms(item.categories),
        tags: terms(item.tags),
        featured_media: None,
        published_at: item.post_date_gmt,
        metadata: Value::Object(metadata),
    }
}

/// WordPress stores term names HTML-escaped (`Beans &amp; Roasting`) and exports them so; the
/// name a person reads is the decoded one. The export names terms by slug, not by id.
fn terms(terms: Vec<wxr::Term>) -> Vec<Term> {
    terms
        .into_iter()
        .map(|term| Term {
            name: html_escape::decode_html_entities(&term.name).into_owned(),
            id: term.nicename,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::connector::files::wxr::PostStatus;

    fn item() -> WxrItem {
        WxrItem {
            post_id: 7,
            post_type: "post".to_owned(),
            title: "Cold brew".to_owned(),
            link: Some("https://brew-guide.example/cold-brew/".to_owned()),
            slug: Some("cold-brew".to_owned()),
            status: PostStatus::Draft,
            content: "<p>Steep overnight.</p>".to_owned(),
            excerpt: String::new(),
            author: Some("maya".to_owned()),
            post_date: None,
            post_date_gmt: None,
            post_modified: None,
            post_modified_gmt: None,
            parent: None,
            menu_order: 0,
            password_protected: false,
            attachment_url: None,
            categories: vec![wxr::Term {
                nicename: "beans-roasting".to_owned(),
                name: "Beans &amp; Roasting".to_owned(),
            }],
            tags: Vec::new(),
            other_terms: Vec::new(),
            meta: vec![("_yoast_wpseo_focuskw".to_owned(), "cold brew".to_owned())],
        }
    }

    #[test]
    fn maps_an_item_and_decodes_term_names() {
        let modified = Utc.with_ymd_and_hms(2025, 3, 2, 9, 6, 27).unwrap();
        let published = Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap();
        let remote = remote_item(
            WxrItem {
                post_modified_gmt: Some(modified),
                post_date_gmt: Some(published),
                ..item()
            },
            Utc::now(),
        );
        assert_eq!(remote.external_id, "7");
        assert_eq!(remote.external_type, "post");
        assert_eq!(remote.remote_status, "draft");
        assert_eq!(remote.remote_modified, modified);
        assert_eq!(remote.published_at, Some(published));
        assert_eq!(remote.excerpt, None);
        assert_eq!(remote.focus_keyphrase.as_deref(), Some("cold brew"));
        assert_eq!(
            remote.categories,
            [Term {
                id: "beans-roasting".to_owned(),
                name: "Beans & Roasting".to_owned()
            }]
        );
        assert_eq!(remote.metadata, json!({}));
    }

    #[test]
    fn a_missing_modified_date_falls_back_and_says_so() {
        let published = Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let from_date = remote_item(
            WxrItem {
                post_date_gmt: Some(published),
                ..item()
            },
            now,
        );
        assert_eq!(from_date.remote_modified, published);
        assert_eq!(
            from_date.metadata,
            json!({"import": {"remote_modified_from": "post_date_gmt"}})
        );
        let from_now = remote_item(item(), now);
        assert_eq!(from_now.remote_modified, now);
        assert_eq!(from_now.published_at, None);
        assert_eq!(
            from_now.metadata,
            json!({"import": {"remote_modified_from": "import_time"}})
        );
    }
}
