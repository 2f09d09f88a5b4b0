//! The demo: a sample WordPress site imported into the local database and run through the whole
//! pipeline (linker, then optimizer, each item analysed before and after), with a short report.
//!
//! Everything happens offline: the site's content comes from an export file, and the site has
//! no credentials and pushes nothing. Results are stored as local changes (the imported body is
//! kept as a revision) and charged to the demo account's starting credits; an item the pipeline
//! has processed waits for a new body before it is processed again, so running the demo again
//! changes nothing and costs nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::domain::content::{ContentStatus, EntryPoint};
use crate::domain::credits::IdempotencyKey;
use crate::domain::ids::{AccountId, ContentId, SiteId};
use crate::domain::site::{ConnectorKind, PushPolicy, SiteName};
use crate::pipeline::analyzer::{Missing, Page, Rating, Report, report};
use crate::pipeline::language::Language;
use crate::pipeline::optimizer::RuleId;
use crate::pipeline::ruleset::{Profile, Ruleset};
use crate::processing::{Processing, ProcessingError, RunKey};
use crate::store::credits::AdditionKind;
use crate::store::pipeline::PipelineItem;
use crate::store::sites::{Site, SiteSpec};
use crate::store::sync_runs::Trigger;
use crate::store::{Store, StoreError};
use crate::sync::import::{self, ImportError, ImportReport};

pub const ACCOUNT_NAME: &str = "Demo";
pub const SITE_NAME: &str = "brew-guide";
pub const SITE_URL: &str = "https://brew-guide.example";
/// The sample export, relative to the repository.
pub const SAMPLE_FILE: &str = "examples/sample-site.wxr";
/// Given to the demo account once, enough for the sample site many times over.
pub const STARTING_CREDITS: i64 = 5_000;

/// Items a report lists by name.
const TOP: usize = 5;
/// Items read from the store at a time.
const BATCH: i64 = 200;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the import failed")]
    Import(#[from] ImportError),
    #[error("the database failed")]
    Store(#[from] StoreError),
    #[error("the pipeline failed")]
    Processing(#[from] ProcessingError),
}

/// The export to import: `explicit` when given; otherwise the sample as seen from the current
/// directory, or else from the source tree this binary was built from, so `cargo run` works
/// from any directory of the repository.
pub fn sample_file(explicit: Option<&Path>) -> PathBuf {
    if let Some(path) = explicit {
        return path.to_owned();
    }
    let here = PathBuf::from(SAMPLE_FILE);
    if here.is_file() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE_FILE)
}

/// An item's scores, 0 to 100.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub seo: u8,
    pub readability: u8,
    pub engagement: u8,
    pub overall: u8,
    /// `None` for texts too short to score.
    pub flesch: Option<f64>,
    /// Assessments not rated good, worst first, by name.
    pub problems: Vec<(String, Rating)>,
}

/// What the pipeline did for one item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemReport {
    pub id: ContentId,
    pub title: String,
    /// Whether this run processed it (it was waiting for the pipeline).
    pub processed: bool,
    pub links_added: usize,
    pub rules: Vec<RuleId>,
    pub credits_used: i64,
    pub before: Scores,
    pub after: Scores,
}

/// What a demo run did.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoReport {
    pub file: PathBuf,
    pub account: AccountId,
    pub site: SiteId,
    pub import: ImportReport,
    pub items: Vec<ItemReport>,
    /// Items the pipeline may not touch now, with why.
    pub left: Vec<(ContentId, String)>,
    /// The account's credits after the run.
    pub balance: i64,
}

impl DemoReport {
    pub fn processed(&self) -> usize {
        self.items.iter().filter(|item| item.processed).count()
    }

    pub fn links_added(&self) -> usize {
        self.items.iter().map(|item| item.links_added).sum()
    }

    pub fn credits_used(&self) -> i64 {
        self.items.iter().map(|item| item.credits_used).sum()
    }

    /// How often each optimizer rule was applied.
    pub fn rules_applied(&self) -> BTreeMap<RuleId, usize> {
        let mut counts = BTreeMap::new();
        for rule in self.items.iter().flat_map(|item| &item.rules) {
            *counts.entry(*rule).or_default() += 1;
        }
        counts
    }
}

/// Sets up the demo account and site (reusing them when they exist), imports `file`, runs the
/// pipeline over every item waiting for it, and measures each item before and after.
pub async fn run(
    store: &Store,
    processing: &Processing,
    file: &Path,
) -> Result<DemoReport, DemoError> {
    let site = demo_site(store).await?;
    let import = import::import_file(store, &site, file, Trigger::Manual, &import::Quiet).await?;
    let run = RunKey::request(None);
    let mut items = Vec::new();
    let mut left = Vec::new();
    let mut after = None;
    loop {
        let batch = store
            .live_items(site.account_id, site.id, after, BATCH)
            .await?;
        let Some(last) = batch.last() else {
            break;
        };
        after = Some(last.id);
        for item in batch {
            let before = scores(&item);
            if item.status != ContentStatus::Draft {
                items.push(ItemReport {
                    id: item.id,
                    title: item.title.clone(),
                    processed: false,
                    links_added: 0,
                    rules: Vec::new(),
                    credits_used: 0,
                    after: before.clone(),
                    before,
                });
                continue;
            }
            let processed = match processing
                .process(site.account_id, item.id, EntryPoint::Manual, &run)
                .await
            {
                Ok(processed) => processed,
                Err(
                    err @ (ProcessingError::NotProcessable { .. }
                    | ProcessingError::Unreadable { .. }
                    | ProcessingError::Stale(_)),
                ) => {
                    left.push((item.id, err.to_string()));
                    continue;
                }
                Err(err) => return Err(err.into()),
            };
            let now = store.pipeline_item(site.account_id, item.id).await?;
            let linking = processed.linking.as_ref();
            let optimizing = processed.optimizing.as_ref();
            items.push(ItemReport {
                id: item.id,
                title: item.title.clone(),
                processed: true,
                links_added: linking.map_or(0, |l| l.added.len()),
                rules: optimizing.map(|o| o.rules.clone()).unwrap_or_default(),
                credits_used: linking.map_or(0, |l| l.credits_used)
                    + optimizing.map_or(0, |o| o.credits_used),
                before,
                after: scores(&now),
            });
        }
    }
    let balance = store.balance(site.account_id).await?.credits;
    Ok(DemoReport {
        file: file.to_owned(),
        account: site.account_id,
        site: site.id,
        import,
        items,
        left,
        balance,
    })
}

async fn demo_site(store: &Store) -> Result<Site, StoreError> {
    let account = match store.accounts_named(ACCOUNT_NAME).await?.into_iter().next() {
        Some(account) => account,
        None => store.create_account(ACCOUNT_NAME, None).await?,
    };
    // Keyed, so the grant lands once however often the demo runs.
    store
        .add_credits(
            account.id,
            AdditionKind::Add,
            STARTING_CREDITS,
            &IdempotencyKey::parse("demo-starting-credits").expect("a valid key"),
            "credit_purchase",
            Some("the demo's starting credits"),
        )
        .await?;
    let spec = SiteSpec {
        name: SiteName::parse(SITE_NAME).expect("a valid site name"),
        connector: ConnectorKind::Wordpress,
        base_url: Some(SITE_URL.to_owned()),
        credentials_ref: None,
        settings: json!({}),
        schedule: None,
        push_policy: PushPolicy::Off,
        link_enabled: true,
    };
    store.upsert_site(account.id, &spec, false).await
}

/// An item's scores as the pipeline's analyzer gives them; all zero when its HTML cannot be
/// read.
fn scores(item: &PipelineItem) -> Scores {
    let page = Page {
        html: &item.content_raw,
        title: &item.title,
        meta_description: item.meta_description.as_deref(),
        slug: item.slug.as_deref(),
        keyphrase: item.focus_keyphrase.as_deref(),
        synonyms: &[],
        language: Language::English,
        url: item.external_url.as_deref(),
        previously_used: 0,
    };
    let profile = if item.is_cornerstone {
        Profile::Cornerstone
    } else {
        Profile::Default
    };
    match report(&page, Ruleset::for_profile(profile)) {
        Ok(report) => scores_of(&report),
        Err(_) => Scores {
            seo: 0,
            readability: 0,
            engagement: 0,
            overall: 0,
            flesch: None,
            problems: Vec::new(),
        },
    }
}

fn scores_of(report: &Report) -> Scores {
    let name = |id: serde_json::Value| id.as_str().unwrap_or_default().replace('_', " ");
    // Without a keyphrase every keyphrase assessment fails for the same reason: one problem.
    let no_keyphrase = report
        .seo
        .assessments
        .iter()
        .any(|a| a.missing == Some(Missing::Keyphrase));
    let mut problems: Vec<(String, Rating)> = no_keyphrase
        .then(|| ("no focus keyphrase".to_owned(), Rating::Bad))
        .into_iter()
        .chain(
            report
                .seo
                .assessments
                .iter()
                .filter(|a| a.missing != Some(Missing::Keyphrase))
                .map(|a| (name(json!(a.id)), a.rating)),
        )
        .chain(
            report
                .readability
                .assessments
                .iter()
                .map(|a| (name(json!(a.id)), a.rating)),
        )
        .filter(|(_, rating)| matches!(rating, Rating::Bad | Rating::Ok))
        .collect();
    problems.sort_by_key(|(_, rating)| *rating != Rating::Bad);
    Scores {
        seo: report.seo.score,
        readability: report.readability.score,
        engagement: report.engagement.score,
        overall: report.overall,
        flesch: report.numbers.flesch_reading_ease,
        problems,
    }
}

fn average(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values.fold((0.0, 0_u32), |(sum, count), v| (sum + v, count + 1));
    (count > 0).then(|| sum / f64::from(count))
}

fn one_decimal(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"))
}

fn counts<K: fmt::Display>(map: &BTreeMap<K, u64>) -> String {
    if map.is_empty() {
        return "none".to_owned();
    }
    map.iter()
        .map(|(key, n)| format!("{key} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn rule_name(rule: RuleId) -> String {
    json!(rule).as_str().unwrap_or_default().replace('_', " ")
}

/// Average scores of the processed items before and after.
fn score_changes(f: &mut fmt::Formatter<'_>, scored: &[&ItemReport]) -> fmt::Result {
    writeln!(
        f,
        "Scores of the processed items, before -> after (0 to 100)"
    )?;
    let line = |f: &mut fmt::Formatter<'_>, label: &str, pick: fn(&Scores) -> f64| {
        writeln!(
            f,
            "  {label:<21} {:>5} -> {:>5}",
            one_decimal(average(scored.iter().map(|i| pick(&i.before)))),
            one_decimal(average(scored.iter().map(|i| pick(&i.after))))
        )
    };
    line(f, "SEO, average:", |s| f64::from(s.seo))?;
    line(f, "readability, average:", |s| f64::from(s.readability))?;
    line(f, "engagement, average:", |s| f64::from(s.engagement))?;
    line(f, "overall, average:", |s| f64::from(s.overall))?;
    writeln!(
        f,
        "  {:<21} {:>5} -> {:>5}",
        "Flesch reading ease:",
        one_decimal(average(scored.iter().filter_map(|i| i.before.flesch))),
        one_decimal(average(scored.iter().filter_map(|i| i.after.flesch)))
    )?;
    Ok(())
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let import = &self.import;
        writeln!(
            f,
            "Imported {} into site {SITE_NAME} (account {}, site {}, sync run {})",
            self.file.display(),
            self.account,
            self.site,
            import.run
        )?;
        for (post_type, statuses) in &import.read {
            let total: u64 = statuses.values().sum();
            writeln!(f, "  {post_type:<5} {total:>3}  ({})", counts(statuses))?;
        }
        writeln!(
            f,
            "  new {}, updated {}, unchanged {}; skipped: {}; bad items: {}",
            import.created,
            import.updated,
            import.unchanged,
            counts(&import.skipped),
            import.bad.len()
        )?;

        writeln!(f)?;
        let processed: Vec<&ItemReport> = self.items.iter().filter(|i| i.processed).collect();
        writeln!(
            f,
            "Pipeline (linker, then optimizer): {} of {} items were waiting and were processed",
            processed.len(),
            self.items.len()
        )?;
        for (id, reason) in &self.left {
            writeln!(f, "  left for later: content {id}: {reason}")?;
        }
        let linked = processed.iter().filter(|i| i.links_added > 0).count();
        writeln!(f, "  links added: {} in {linked} items", self.links_added())?;
        let mut most_linked: Vec<&&ItemReport> =
            processed.iter().filter(|i| i.links_added > 0).collect();
        most_linked.sort_by_key(|i| (std::cmp::Reverse(i.links_added), i.id));
        for item in most_linked.iter().take(TOP) {
            writeln!(f, "    {:>2}  {}", item.links_added, item.title)?;
        }
        let rules = self.rules_applied();
        let optimized = processed.iter().filter(|i| !i.rules.is_empty()).count();
        let applied: Vec<String> = rules
            .iter()
            .map(|(rule, n)| format!("{} {n}", rule_name(*rule)))
            .collect();
        writeln!(
            f,
            "  optimizer changes: {} in {optimized} items ({})",
            rules.values().sum::<usize>(),
            if applied.is_empty() {
                "none".to_owned()
            } else {
                applied.join(", ")
            }
        )?;
        writeln!(
            f,
            "  credits used: {} (linking 8 per item linked, optimizing 1 per 200 words); {} left",
            self.credits_used(),
            self.balance
        )?;
        if !processed.is_empty() {
            writeln!(
                f,
                "  results are stored as local changes (the imported body kept as a revision); \
                 push is off, so nothing leaves this database"
            )?;
        }

        writeln!(f)?;
        if processed.is_empty() {
            writeln!(
                f,
                "Nothing was waiting: every item was processed on an earlier run (a new body \
                 from the CMS puts an item back in line)"
            )?;
        } else {
            score_changes(f, &processed)?;
        }
        writeln!(f, "Most room to improve (overall, title: what to fix):")?;
        let mut weakest: Vec<&ItemReport> = self.items.iter().collect();
        weakest.sort_by_key(|i| {
            (
                i.after.overall,
                std::cmp::Reverse(i.after.problems.len()),
                i.id,
            )
        });
        for item in weakest.iter().take(TOP) {
            let fixes: Vec<String> = item
                .after
                .problems
                .iter()
                .take(4)
                .map(|(name, rating)| match rating {
                    Rating::Bad => format!("{name} (bad)"),
                    _ => name.clone(),
                })
                .collect();
            writeln!(
                f,
                "    {:>3}  {}: {}",
                item.after.overall,
                item.title,
                if fixes.is_empty() {
                    "nothing flagged".to_owned()
                } else {
                    fixes.join(", ")
                }
            )?;
        }
        Ok(())
    }
}
