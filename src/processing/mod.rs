//! Processing: the pure pipeline run over stored content. A stage reads an item, holds its
//! credits, runs, writes its result only over the version it read, and then captures the cost,
//! or releases it when the stage changed nothing or failed. `process` runs an item's stages in
//! order (linker, then optimizer) as its entry point and its site decide, respects the
//! account's modules, and hands a changed body to the site's push policy.

pub mod documents;
pub mod jobs;
pub mod rewrite;
pub mod site_index;

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};

use crate::credits::{CreditError, Credits};
use crate::domain::content::{ContentHash, ContentStatus, EntryPoint, SyncStatus};
use crate::domain::credits::{IdempotencyKey, Operation};
use crate::domain::event::Causation;
use crate::domain::ids::{AccountId, ContentId, OptimizationTaskId, PushJobId};
use crate::domain::module::Module;
use crate::domain::site::PushPolicy;
use crate::jobs::handler::error_chain;
use crate::modules::Modules;
use crate::pipeline::analyzer::Page;
use crate::pipeline::linker::{InsertedLink, Limits, existing_links, link};
use crate::pipeline::optimizer;
use crate::pipeline::ruleset::{Profile, Ruleset};
use crate::settings::LinkerSettings;
use crate::store::optimization_tasks::{Finished, NewOptimization, OptimizationResult};
use crate::store::pipeline::{PipelineItem, Stage, StageWrite};
use crate::store::sites::Site;
use crate::store::{Store, StoreError};
use site_index::SiteIndexes;

/// Why a stage did not run or its result was not kept.
#[derive(Debug, thiserror::Error)]
pub enum ProcessingError {
    #[error("not found")]
    NotFound,
    #[error("the {0} module is disabled for this account")]
    ModuleDisabled(Module),
    /// The item is in a state the pipeline must not touch (gone from the CMS, in conflict).
    #[error("content {content} cannot be processed now: {reason}")]
    NotProcessable { content: ContentId, reason: String },
    #[error("the content changed while the {} stage ran; its result was not kept", .0.as_str())]
    Stale(Stage),
    /// The item's HTML cannot be read by the analyzer.
    #[error("content {content} cannot be analysed: {reason}")]
    Unreadable { content: ContentId, reason: String },
    /// The language model needed for an AI rewrite did not help.
    #[error(transparent)]
    Ai(crate::ai::AiError),
    #[error(transparent)]
    Credits(CreditError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ProcessingError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ProcessingError::NotFound,
            other => ProcessingError::Store(other),
        }
    }
}

impl From<CreditError> for ProcessingError {
    fn from(err: CreditError) -> Self {
        match err {
            CreditError::Store(err) => ProcessingError::Store(err),
            other => ProcessingError::Credits(other),
        }
    }
}

/// Names one run of a stage for the credit ledger: a retried job or request reuses its hold
/// instead of charging again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunKey(String);

impl RunKey {
    /// A run inside a job: retries of the job share it.
    pub fn job(job: crate::domain::ids::JobId) -> RunKey {
        RunKey(format!("job:{job}"))
    }

    /// A rule execution's run: a retried execution reuses its holds.
    pub fn automation(task: crate::domain::ids::ScheduledTaskId) -> RunKey {
        RunKey(format!("automation:{task}"))
    }

    /// A run for a request, named by its `Idempotency-Key` when it has one.
    pub fn request(idempotency_key: Option<&IdempotencyKey>) -> RunKey {
        match idempotency_key {
            // Hashed, so the ledger key stays within its length whatever the caller sent.
            Some(key) => RunKey(format!(
                "request:{}",
                &ContentHash::of(key.as_str()).to_hex()[..32]
            )),
            None => RunKey(format!("request:{}", uuid::Uuid::new_v4())),
        }
    }

    /// The ledger key of one operation of this run, `what` naming the operation and its subject.
    pub fn operation_key(&self, what: &str) -> IdempotencyKey {
        IdempotencyKey::parse(&format!("{}:{what}", self.0))
            .expect("a run key and an operation name make a valid idempotency key")
    }

    pub(crate) fn credit_key(
        &self,
        stage: Stage,
        content: ContentId,
        version: i64,
    ) -> IdempotencyKey {
        IdempotencyKey::parse(&format!(
            "{}:{}:{content}:{version}",
            self.0,
            stage.as_str()
        ))
        .expect("a run key makes a valid idempotency key")
    }
}

/// What the linker did to one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Linking {
    pub content: ContentId,
    /// Links added by this run.
    pub added: Vec<LinkRecord>,
    /// Every link the linker has in the item now.
    pub internal_links: Value,
    pub credits_used: i64,
    pub version: i64,
    pub status: ContentStatus,
}

/// What the optimizer did to one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Optimizing {
    pub content: ContentId,
    /// The optimizer run, with its scores and HTML before and after.
    pub task: OptimizationTaskId,
    /// Rules applied, in order.
    pub rules: Vec<optimizer::RuleId>,
    /// Rules left out because re-analysis showed they would lower a score.
    pub dropped: usize,
    /// Overall score before and after.
    pub before: u8,
    pub after: u8,
    pub credits_used: i64,
    pub version: i64,
    pub status: ContentStatus,
}

/// A link as `content.internal_links` records it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct LinkRecord {
    pub anchor: String,
    pub target: i64,
    pub url: String,
    /// The `data-igny8-link` marker: which rule or which of the target's phrases made it.
    pub rule: String,
    pub score: f64,
    pub matched_terms: Vec<String>,
    /// Byte offset of the link's `<a` when it was inserted.
    pub offset: usize,
}

impl From<&InsertedLink> for LinkRecord {
    fn from(link: &InsertedLink) -> Self {
        LinkRecord {
            anchor: link.anchor.clone(),
            target: link.target.0,
            url: link.url.clone(),
            rule: link.marker.clone(),
            score: (link.score * 10_000.0).round() / 10_000.0,
            matched_terms: link.matched_terms.clone(),
            offset: link.offset,
        }
    }
}

/// The links a run would add to one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkPreview {
    pub content: ContentId,
    pub title: String,
    pub links: Vec<LinkRecord>,
}

/// A stage `process` did not run, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    pub stage: &'static str,
    pub reason: String,
}

/// What `process` did to one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Processed {
    pub content: ContentId,
    pub entry_point: EntryPoint,
    pub linking: Option<Linking>,
    pub optimizing: Option<Optimizing>,
    pub skipped: Vec<Skipped>,
    pub status: ContentStatus,
    /// The push queued for the changed body, when the site pushes automatically.
    pub push: Option<PushJobId>,
}

/// The processing service.
#[derive(Clone)]
pub struct Processing {
    store: Store,
    credits: Credits,
    modules: Modules,
    indexes: Arc<SiteIndexes>,
    limits: Limits,
    max_attempts: u32,
}

impl Processing {
    pub fn new(
        store: Store,
        credits: Credits,
        modules: Modules,
        linker: &LinkerSettings,
        max_attempts: u32,
    ) -> Processing {
        Processing {
            store,
            credits,
            modules,
            indexes: Arc::new(SiteIndexes::default()),
            limits: Limits {
                max_links: linker.max_links_per_post,
                words_per_link: linker.words_per_link,
                per_paragraph: linker.links_per_paragraph,
            },
            max_attempts,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Links one item against its site's index.
    pub async fn link(
        &self,
        account: AccountId,
        content: ContentId,
        run: &RunKey,
    ) -> Result<Linking, ProcessingError> {
        self.require(account, Module::Linker).await?;
        let item = self.processable(account, content).await?;
        let site = self.store.site(account, item.site_id).await?;
        self.link_item(&site, &item, run).await
    }

    /// The links the linker would add to each of the site's items, writing nothing.
    pub async fn preview_links(&self, site: &Site) -> Result<Vec<LinkPreview>, ProcessingError> {
        let index = self
            .indexes
            .current(&self.store, site.account_id, site.id)
            .await?;
        let mut previews = Vec::new();
        let mut after = None;
        loop {
            let items = self
                .store
                .live_items(site.account_id, site.id, after, 200)
                .await?;
            let Some(last) = items.last() else {
                break;
            };
            after = Some(last.id);
            let index = index.read().await;
            for item in &items {
                let linked = link(&documents::document(item), &index, &self.limits);
                if !linked.links.is_empty() {
                    previews.push(LinkPreview {
                        content: item.id,
                        title: item.title.clone(),
                        links: linked.links.iter().map(LinkRecord::from).collect(),
                    });
                }
            }
        }
        Ok(previews)
    }

    /// Runs the item's stages: the linker (for igny8's own content, and for synced content
    /// when the site enables it), then the optimizer. A stage whose module is off is skipped
    /// and said so; too few credits stop the run before the stage that needs them.
    pub async fn process(
        &self,
        account: AccountId,
        content: ContentId,
        entry_point: EntryPoint,
        run: &RunKey,
    ) -> Result<Processed, ProcessingError> {
        let mut item = self.processable(account, content).await?;
        let site = self.store.site(account, item.site_id).await?;
        let mut skipped = Vec::new();
        let mut linking = None;
        let wants_links =
            EntryPoint::of_source(item.source) == EntryPoint::Writer || site.link_enabled;
        if !wants_links {
            skipped.push(Skipped {
                stage: Stage::Linker.as_str(),
                reason: format!("site {} does not link synced content", site.name),
            });
        } else if !self.modules.is_enabled(account, Module::Linker).await? {
            skipped.push(Skipped {
                stage: Stage::Linker.as_str(),
                reason: "the linker module is disabled".to_owned(),
            });
        } else {
            let linked = self.link_item(&site, &item, run).await?;
            item = self.store.pipeline_item(account, content).await?;
            linking = Some(linked);
        }
        let mut optimizing = None;
        if self.modules.is_enabled(account, Module::Optimizer).await? {
            optimizing = Some(
                self.optimize_item(&site, &item, entry_point, run, &Causation::root())
                    .await?,
            );
            item = self.store.pipeline_item(account, content).await?;
        } else {
            skipped.push(Skipped {
                stage: Stage::Optimizer.as_str(),
                reason: "the optimizer module is disabled".to_owned(),
            });
        }
        let push = self.hand_over(&site, &item).await?;
        let item = self.store.pipeline_item(account, content).await?;
        Ok(Processed {
            content,
            entry_point,
            linking,
            optimizing,
            skipped,
            status: item.status,
            push,
        })
    }

    pub(crate) async fn require(
        &self,
        account: AccountId,
        module: Module,
    ) -> Result<(), ProcessingError> {
        if self.modules.is_enabled(account, module).await? {
            Ok(())
        } else {
            Err(ProcessingError::ModuleDisabled(module))
        }
    }

    pub(crate) async fn processable(
        &self,
        account: AccountId,
        content: ContentId,
    ) -> Result<PipelineItem, ProcessingError> {
        let item = self.store.pipeline_item(account, content).await?;
        let reason = match item.sync_status {
            SyncStatus::DeletedRemote => "it was deleted in the CMS",
            SyncStatus::Conflict => "its last push met a newer version in the CMS",
            SyncStatus::PendingPush => "a push of it is in flight",
            SyncStatus::Native | SyncStatus::Imported | SyncStatus::Synced | SyncStatus::Error => {
                return Ok(item);
            }
        };
        Err(ProcessingError::NotProcessable {
            content,
            reason: reason.to_owned(),
        })
    }

    async fn link_item(
        &self,
        site: &Site,
        item: &PipelineItem,
        run: &RunKey,
    ) -> Result<Linking, ProcessingError> {
        let account = site.account_id;
        let key = run.credit_key(Stage::Linker, item.id, item.version);
        let cost = self.credits.estimate(Operation::Linking, 1);
        let hold = self
            .credits
            .hold(
                account,
                Operation::Linking,
                cost,
                &key,
                Some(("content", item.id.get())),
            )
            .await?;
        let document = documents::document(item);
        let index = self.indexes.current(&self.store, account, site.id).await?;
        let (linked, still_linked) = {
            let index = index.read().await;
            let mut linked = link(&document, &index, &self.limits);
            // The linked body is read as a document of its own, then handed back: no copies.
            let output = crate::pipeline::linker::Document {
                html: std::mem::take(&mut linked.html),
                ..document
            };
            let still_linked: Vec<i64> = existing_links(&output, &index)
                .into_iter()
                .filter(|existing| existing.inserted)
                .map(|existing| existing.target.0)
                .collect();
            linked.html = output.html;
            (linked, still_linked)
        };
        let added: Vec<LinkRecord> = linked.links.iter().map(LinkRecord::from).collect();
        let internal_links = merged_links(&item.internal_links, &still_linked, &added);
        let status = item.status.max(ContentStatus::Linked);
        let changed = !added.is_empty();
        let write = StageWrite {
            stage: Stage::Linker,
            body: changed.then_some(linked.html.as_str()),
            meta_description: None,
            internal_links: Some(&internal_links),
            scores: None,
            status,
        };
        let saved = self
            .store
            .save_stage(account, item.id, item.version, &write)
            .await;
        let version = match saved {
            Ok(Some(version)) => version,
            Ok(None) => {
                self.settle(account, &hold, None).await?;
                return Err(ProcessingError::Stale(Stage::Linker));
            }
            Err(err) => {
                self.settle(account, &hold, None).await?;
                return Err(err.into());
            }
        };
        let credits_used = if changed { cost } else { 0 };
        self.settle(account, &hold, changed.then_some(cost)).await?;
        Ok(Linking {
            content: item.id,
            added,
            internal_links,
            credits_used,
            version,
            status,
        })
    }

    /// Optimizes one item: the deterministic rules, each confirmed by analysing the result,
    /// recorded as an optimizer run with scores and HTML before and after.
    pub async fn optimize(
        &self,
        account: AccountId,
        content: ContentId,
        entry_point: EntryPoint,
        run: &RunKey,
    ) -> Result<Optimizing, ProcessingError> {
        self.optimize_caused(account, content, entry_point, run, &Causation::root())
            .await
    }

    /// `optimize` for a rule execution: the run's `content_optimized` event carries `causation`,
    /// so a rule that keeps triggering itself is stopped at the depth limit.
    pub async fn optimize_caused(
        &self,
        account: AccountId,
        content: ContentId,
        entry_point: EntryPoint,
        run: &RunKey,
        causation: &Causation,
    ) -> Result<Optimizing, ProcessingError> {
        self.require(account, Module::Optimizer).await?;
        let item = self.processable(account, content).await?;
        let site = self.store.site(account, item.site_id).await?;
        self.optimize_item(&site, &item, entry_point, run, causation)
            .await
    }

    /// The optimizer run itself is pure and free; credits (per started block of words of the
    /// text before) are held before anything it produced is kept, and captured only when it
    /// changed the item.
    async fn optimize_item(
        &self,
        site: &Site,
        item: &PipelineItem,
        entry_point: EntryPoint,
        run: &RunKey,
        causation: &Causation,
    ) -> Result<Optimizing, ProcessingError> {
        let account = site.account_id;
        let previously_used = match item.focus_keyphrase.as_deref() {
            Some(keyphrase) => {
                self.store
                    .keyphrase_uses(account, site.id, keyphrase, item.id)
                    .await?
            }
            None => 0,
        };
        let profile = if item.is_cornerstone {
            Profile::Cornerstone
        } else {
            Profile::Default
        };
        let ruleset = Ruleset::for_profile(profile);
        let page = Page {
            html: &item.content_raw,
            title: &item.title,
            meta_description: item.meta_description.as_deref(),
            slug: item.slug.as_deref(),
            keyphrase: item.focus_keyphrase.as_deref(),
            synonyms: &[],
            language: documents::language_of(item.language.as_deref()),
            url: item.external_url.as_deref(),
            previously_used: usize::try_from(previously_used).unwrap_or(usize::MAX),
        };
        let optimization = optimizer::optimize(&page, ruleset, &optimizer::Options::all())
            .map_err(|err| ProcessingError::Unreadable {
                content: item.id,
                reason: err.to_string(),
            })?;
        let changed = !optimization.changes.is_empty();
        let cost = self.credits.estimate(
            Operation::Optimization,
            u64::try_from(optimization.before.numbers.words).unwrap_or(u64::MAX),
        );
        let hold = if changed && cost > 0 {
            let key = run.credit_key(Stage::Optimizer, item.id, item.version);
            Some(
                self.credits
                    .hold(
                        account,
                        Operation::Optimization,
                        cost,
                        &key,
                        Some(("content", item.id.get())),
                    )
                    .await?,
            )
        } else {
            None
        };
        let task = self
            .store
            .start_optimization(
                account,
                &NewOptimization {
                    content: item.id,
                    entry_point,
                    ruleset_profile: profile.as_str(),
                    ruleset_version: ruleset.version(),
                    mode: "rules",
                    content_version: item.version,
                    hold: hold.as_ref().map(|placed| placed.hold.id),
                },
            )
            .await?;
        let scores_before = json!(optimization.before);
        let scores_after = json!(optimization.after);
        let changes = json!(optimization.changes);
        let credits_used = if changed { cost } else { 0 };
        let status = item.status.max(ContentStatus::Optimized);
        let result = OptimizationResult {
            scores_before: &scores_before,
            scores_after: &scores_after,
            html_before: &item.content_raw,
            html_after: &optimization.html,
            meta_description: optimization
                .meta_description
                .as_deref()
                .filter(|meta| Some(*meta) != item.meta_description.as_deref()),
            changes: &changes,
            credits_used,
            status,
            causation,
        };
        let finished = self
            .store
            .finish_optimization(account, task, item.id, item.version, &result)
            .await;
        let finished = match finished {
            Ok(finished) => finished,
            Err(err) => {
                self.store
                    .fail_optimization(account, task, &error_chain(&err))
                    .await?;
                if let Some(hold) = &hold {
                    self.settle(account, hold, None).await?;
                }
                return Err(err.into());
            }
        };
        match finished {
            Finished::Applied { version } => {
                if let Some(hold) = &hold {
                    self.settle(account, hold, Some(cost)).await?;
                }
                Ok(Optimizing {
                    content: item.id,
                    task,
                    rules: optimization.changes.iter().map(|c| c.rule).collect(),
                    dropped: optimization.dropped.len(),
                    before: optimization.before.overall,
                    after: optimization.after.overall,
                    credits_used,
                    version,
                    status,
                })
            }
            Finished::Stale => {
                if let Some(hold) = &hold {
                    self.settle(account, hold, None).await?;
                }
                Err(ProcessingError::Stale(Stage::Optimizer))
            }
        }
    }

    /// Captures `used` credits of a hold, or releases it when nothing is owed. A hold settled by
    /// an earlier attempt of the same run is left as it is.
    pub(crate) async fn settle(
        &self,
        account: AccountId,
        placed: &crate::credits::Placed,
        used: Option<i64>,
    ) -> Result<(), ProcessingError> {
        let result = match used {
            Some(amount) => self
                .credits
                .capture(account, placed.hold.id, amount)
                .await
                .map(drop),
            None => self
                .credits
                .release(account, placed.hold.id)
                .await
                .map(drop),
        };
        match result {
            Ok(()) | Err(CreditError::HoldNotPending { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// What the optimizer stage would charge at most for the item as it is now (its cost is
    /// per started block of the text's words), so a caller with a budget can tell beforehand.
    pub async fn optimize_estimate(
        &self,
        account: AccountId,
        content: ContentId,
    ) -> Result<i64, ProcessingError> {
        let item = self.store.pipeline_item(account, content).await?;
        let language = documents::language_of(item.language.as_deref());
        let analysis =
            crate::pipeline::analyzer::analyze(&item.content_raw, language).map_err(|err| {
                ProcessingError::Unreadable {
                    content,
                    reason: err.to_string(),
                }
            })?;
        let words = u64::try_from(analysis.readability.words).unwrap_or(u64::MAX);
        Ok(self.credits.estimate(Operation::Optimization, words))
    }

    /// Queues a push of the item's body when it holds a change the CMS does not have; `None`
    /// when there is nothing to push. This is an explicit request (a rule's `push_content`
    /// action), so the site's push policy is not consulted.
    pub async fn queue_push(
        &self,
        account: AccountId,
        content: ContentId,
    ) -> Result<Option<PushJobId>, ProcessingError> {
        let item = self.processable(account, content).await?;
        let site = self.store.site(account, item.site_id).await?;
        if item.external_type.is_none() || !self.store.holds_local_changes(account, item.id).await?
        {
            return Ok(None);
        }
        Ok(Some(self.push_item(&site, &item).await?))
    }

    /// Gives a changed body to the site's push policy: `auto` queues the push, `review` marks
    /// the item for a person's approval, `off` keeps it here.
    async fn hand_over(
        &self,
        site: &Site,
        item: &PipelineItem,
    ) -> Result<Option<PushJobId>, ProcessingError> {
        let holds_local_work = item.external_type.is_some()
            && self
                .store
                .holds_local_changes(site.account_id, item.id)
                .await?;
        if !holds_local_work {
            return Ok(None);
        }
        match site.push_policy {
            PushPolicy::Off => Ok(None),
            PushPolicy::Review => {
                self.store
                    .set_content_status(site.account_id, item.id, ContentStatus::Review)
                    .await?;
                Ok(None)
            }
            PushPolicy::Auto => Ok(Some(self.push_item(site, item).await?)),
        }
    }

    /// Queues the push of the item's body through the outbox.
    async fn push_item(&self, site: &Site, item: &PipelineItem) -> Result<PushJobId, StoreError> {
        let patch = crate::connector::remote::Patch {
            content: Some(item.content_raw.clone()),
            ..Default::default()
        };
        let job = crate::sync::jobs::push_job(
            &crate::sync::jobs::SitePayload {
                account_id: site.account_id,
                site_id: site.id,
                // Started by the pipeline or a rule, not by a person.
                trigger: crate::store::sync_runs::Trigger::Automation,
            },
            self.max_attempts,
        );
        self.store
            .queue_push(site.account_id, item.id, &patch, &job)
            .await
    }
}

/// The item's linker links after a run: earlier ones still in the body, then the new ones.
fn merged_links(previous: &Value, still_linked: &[i64], added: &[LinkRecord]) -> Value {
    let mut links: Vec<Value> = previous
        .as_array()
        .into_iter()
        .flatten()
        .filter(|link| {
            link.get("target")
                .and_then(Value::as_i64)
                .is_some_and(|target| still_linked.contains(&target))
        })
        .cloned()
        .collect();
    links.extend(added.iter().map(|link| json!(link)));
    Value::Array(links)
}
