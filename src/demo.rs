//! The demo: a sample WordPress site imported into the local database and run through the
//! pipeline stages that exist (linker, readability analysis), with a short report.
//!
//! Everything happens offline: the site's content comes from an export file, and the site has
//! no credentials and pushes nothing. Linked bodies are stored as local changes (the imported
//! body is kept as a revision), and links the linker inserted are recognised on the next run, so
//! running the demo again adds nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::connector::remote::Patch;
use crate::domain::ids::{AccountId, ContentId, SiteId};
use crate::domain::site::{ConnectorKind, PushPolicy, SiteName};
use crate::pipeline::analyzer::Rating;
use crate::pipeline::analyzer::readability::{AssessmentId, assess};
use crate::pipeline::analyzer::{Language, analyze};
use crate::pipeline::linker::{
    Document, Limits, LinkIndex, Target, TargetId, existing_links, link,
};
use crate::store::content::PipelineItem;
use crate::store::sites::{Site, SiteSpec};
use crate::store::sync_runs::Trigger;
use crate::store::{Store, StoreError};
use crate::sync::import::{self, ImportError, ImportReport};

pub const ACCOUNT_NAME: &str = "Demo";
pub const SITE_NAME: &str = "brew-guide";
pub const SITE_URL: &str = "https://brew-guide.example";
/// The sample export, relative to the repository.
pub const SAMPLE_FILE: &str = "examples/sample-site.wxr";

/// The sample site is written in English.
const LANGUAGE: Language = Language::English;

/// Items a report lists by name.
const TOP: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the import failed")]
    Import(#[from] ImportError),
    #[error("the database failed")]
    Store(#[from] StoreError),
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

/// What the pipeline found and did for one item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemReport {
    pub id: ContentId,
    pub title: String,
    pub external_type: String,
    pub remote_status: String,
    /// Links to the site's published pages that were in the body before this run and were not
    /// inserted by the linker.
    pub author_links: usize,
    /// Links the linker inserted on an earlier run.
    pub earlier_links: usize,
    pub links_added: usize,
    pub before: Scores,
    pub after: Scores,
}

/// An item's readability.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Yoast's readability aggregate: 90 good, 60 ok, 30 needs improvement, 0 too short.
    pub readability: u8,
    /// `None` for texts too short to score.
    pub flesch: Option<f64>,
    /// Assessments not rated good, worst first.
    pub problems: Vec<(AssessmentId, Rating)>,
}

/// What a demo run did.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoReport {
    pub file: PathBuf,
    pub account: AccountId,
    pub site: SiteId,
    pub import: ImportReport,
    /// Published items with a URL: what links may point at.
    pub targets: usize,
    pub items: Vec<ItemReport>,
}

impl DemoReport {
    pub fn links_added(&self) -> usize {
        self.items.iter().map(|item| item.links_added).sum()
    }

    pub fn author_links(&self) -> usize {
        self.items.iter().map(|item| item.author_links).sum()
    }

    pub fn earlier_links(&self) -> usize {
        self.items.iter().map(|item| item.earlier_links).sum()
    }
}

/// Sets up the demo account and site (reusing them when they exist), imports `file`, links
/// every imported post and page, and measures readability before and after linking.
pub async fn run(store: &Store, file: &Path) -> Result<DemoReport, DemoError> {
    let site = demo_site(store).await?;
    let import = import::import_file(store, &site, file, Trigger::Manual, &import::Quiet).await?;
    let types: Vec<String> = import.read.keys().cloned().collect();
    let items = store
        .pipeline_items(site.account_id, site.id, &types)
        .await?;
    let reports = link_and_measure(store, &site, &items).await?;
    Ok(DemoReport {
        file: file.to_owned(),
        account: site.account_id,
        site: site.id,
        import,
        targets: reports.0,
        items: reports.1,
    })
}

async fn demo_site(store: &Store) -> Result<Site, StoreError> {
    let account = match store.accounts_named(ACCOUNT_NAME).await?.into_iter().next() {
        Some(account) => account,
        None => store.create_account(ACCOUNT_NAME, None).await?,
    };
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

/// One item ready for the pipeline: its document and how it reads before linking.
struct Prepared<'a> {
    item: &'a PipelineItem,
    document: Document,
    text: String,
    before: Scores,
}

/// Links every item against an index of the published ones and stores the linked bodies.
/// Returns the number of targets and what happened to each item.
async fn link_and_measure(
    store: &Store,
    site: &Site,
    items: &[PipelineItem],
) -> Result<(usize, Vec<ItemReport>), StoreError> {
    let prepared: Vec<Prepared> = items.iter().map(prepare).collect();
    // Drafts, private and pending items have no public URL to link to.
    let targets: Vec<Target> = prepared
        .iter()
        .filter(|p| p.item.remote_status.as_deref() == Some("publish"))
        .filter(|p| p.item.external_url.is_some())
        .map(target)
        .collect();
    let target_count = targets.len();
    let index = LinkIndex::build(Some(LANGUAGE), targets, []);
    let limits = Limits::default();
    let mut reports = Vec::with_capacity(prepared.len());
    for p in prepared {
        let existing = existing_links(&p.document, &index);
        let earlier_links = existing.iter().filter(|l| l.inserted).count();
        let linked = link(&p.document, &index, &limits);
        if !linked.links.is_empty() {
            let patch = Patch {
                content: Some(linked.html.clone()),
                ..Patch::default()
            };
            store
                .record_local_change(site.account_id, p.item.id, p.item.version, &patch, "linker")
                .await?;
        }
        reports.push(ItemReport {
            id: p.item.id,
            title: p.item.title.clone(),
            external_type: p.item.external_type.clone().unwrap_or_default(),
            remote_status: p.item.remote_status.clone().unwrap_or_default(),
            author_links: existing.len() - earlier_links,
            earlier_links,
            links_added: linked.links.len(),
            after: scores(&linked.html).map_or_else(|| p.before.clone(), |(_, s)| s),
            before: p.before,
        });
    }
    Ok((target_count, reports))
}

fn prepare(item: &PipelineItem) -> Prepared<'_> {
    let (text, before) = scores(&item.content_raw).unwrap_or_else(|| {
        (
            String::new(),
            Scores {
                readability: 0,
                flesch: None,
                problems: Vec::new(),
            },
        )
    });
    Prepared {
        document: Document {
            id: Some(TargetId(item.id.get())),
            html: item.content_raw.clone(),
            url: item.external_url.clone().unwrap_or_default(),
            focus_keyphrase: item.focus_keyphrase.clone(),
            categories: term_ids(&item.categories),
            tags: term_ids(&item.tags),
        },
        item,
        text,
        before,
    }
}

fn target(p: &Prepared) -> Target {
    Target {
        id: TargetId(p.item.id.get()),
        url: p.item.external_url.clone().unwrap_or_default(),
        title: p.item.title.clone(),
        focus_keyphrase: p.item.focus_keyphrase.clone(),
        cluster_keywords: Vec::new(),
        categories: p.document.categories.clone(),
        tags: p.document.tags.clone(),
        cornerstone: p.item.is_cornerstone,
        text: p.text.clone(),
    }
}

/// The plain text and readability of a body; `None` when the HTML cannot be parsed at all.
fn scores(html: &str) -> Option<(String, Scores)> {
    let analysis = analyze(html, LANGUAGE).ok()?;
    let report = assess(&analysis);
    let mut problems: Vec<(AssessmentId, Rating)> = report
        .assessments
        .iter()
        .filter(|a| a.rating != Rating::Good)
        .map(|a| (a.id, a.rating))
        .collect();
    problems.sort_by_key(|&(_, rating)| rating != Rating::Bad);
    let text = analysis
        .blocks
        .iter()
        .map(|block| block.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    Some((
        text,
        Scores {
            readability: report.score,
            flesch: analysis.readability.flesch_reading_ease,
            problems,
        },
    ))
}

/// The ids of stored terms (`[{"id", "name"}]`).
fn term_ids(terms: &Value) -> Vec<String> {
    terms
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|term| term.get("id").and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

fn average(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values.fold((0.0, 0_u32), |(sum, count), v| (sum + v, count + 1));
    (count > 0).then(|| sum / f64::from(count))
}

fn one_decimal(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"))
}

fn assessment_name(id: AssessmentId) -> &'static str {
    match id {
        AssessmentId::SentenceLength => "sentence length",
        AssessmentId::ParagraphLength => "paragraph length",
        AssessmentId::SubheadingDistribution => "subheadings",
        AssessmentId::TextPresence => "text length",
        AssessmentId::SentenceBeginnings => "sentence beginnings",
        AssessmentId::TransitionWords => "transition words",
        AssessmentId::PassiveVoice => "passive voice",
    }
}

fn counts(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".to_owned();
    }
    map.iter()
        .map(|(key, n)| format!("{key} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
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
        writeln!(
            f,
            "Linker: {} items linked against the {} published ones",
            self.items.len(),
            self.targets
        )?;
        writeln!(
            f,
            "  links already present: {} written by authors, {} inserted on an earlier run",
            self.author_links(),
            self.earlier_links()
        )?;
        let linked_items = self.items.iter().filter(|i| i.links_added > 0).count();
        writeln!(
            f,
            "  links added: {} in {linked_items} items",
            self.links_added()
        )?;
        let mut most_linked: Vec<&ItemReport> =
            self.items.iter().filter(|i| i.links_added > 0).collect();
        most_linked.sort_by_key(|i| (std::cmp::Reverse(i.links_added), i.id));
        for item in most_linked.iter().take(TOP) {
            writeln!(f, "    {:>2}  {}", item.links_added, item.title)?;
        }
        if linked_items > 0 {
            writeln!(
                f,
                "  linked bodies are stored as local changes (the imported body kept as a \
                 revision); push is off, so nothing leaves this database"
            )?;
        }

        writeln!(f)?;
        writeln!(f, "Readability (English), before -> after linking")?;
        writeln!(
            f,
            "  Flesch reading ease, average:   {} -> {}",
            one_decimal(average(self.items.iter().filter_map(|i| i.before.flesch))),
            one_decimal(average(self.items.iter().filter_map(|i| i.after.flesch)))
        )?;
        writeln!(
            f,
            "  readability score, average:     {} -> {}  (Yoast's scale: 90 good, 60 ok, 30 needs work)",
            one_decimal(average(
                self.items.iter().map(|i| f64::from(i.before.readability))
            )),
            one_decimal(average(
                self.items.iter().map(|i| f64::from(i.after.readability))
            ))
        )?;
        writeln!(
            f,
            "  most room to improve (score, reading ease, title: what to fix):"
        )?;
        let mut weakest: Vec<&ItemReport> = self.items.iter().collect();
        // Lowest score first; among equals, more to fix, then harder to read.
        weakest.sort_by(|a, b| {
            let rank = |i: &ItemReport| {
                let bad = i
                    .after
                    .problems
                    .iter()
                    .filter(|p| p.1 == Rating::Bad)
                    .count();
                (
                    i.after.readability,
                    std::cmp::Reverse(bad),
                    std::cmp::Reverse(i.after.problems.len()),
                )
            };
            rank(a)
                .cmp(&rank(b))
                .then_with(|| {
                    let ease = |i: &ItemReport| i.after.flesch.unwrap_or(f64::MAX);
                    ease(a).total_cmp(&ease(b))
                })
                .then_with(|| a.id.cmp(&b.id))
        });
        for item in weakest.iter().take(TOP) {
            let fixes: Vec<String> = item
                .after
                .problems
                .iter()
                .map(|&(id, rating)| {
                    let name = assessment_name(id);
                    match rating {
                        Rating::Bad => format!("{name} (bad)"),
                        _ => name.to_owned(),
                    }
                })
                .collect();
            writeln!(
                f,
                "    {:>2}  {:>5}  {}: {}",
                item.after.readability,
                one_decimal(item.after.flesch),
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
