//! The site builder: structure generation and page content (each holding and capturing its
//! credits), deploys and rollbacks of a blueprint's files, and its preview. The API checks who
//! may do what; this service does it.

pub mod asset_path;
pub mod files;
pub mod offline_structure;
pub mod page_content;
pub mod preview;

use std::sync::Arc;

use serde_json::{Value, json};

use crate::ai::{AiError, AiProvider, SiteStructureRequest};
use crate::credits::{CreditError, Credits, Placed};
use crate::domain::content::ContentHash;
use crate::domain::credits::{IdempotencyKey, Operation};
use crate::domain::site_builder::Invalid;
use crate::domain::site_builder::brief::SiteBrief;
use crate::domain::site_builder::kinds::{BlueprintStatus, Layout, PageType};
use crate::domain::site_builder::slug::PageSlug;
use crate::domain::site_builder::structure::{Structure, Theme, blocks_from_json};
use crate::site_builder::files::{FileError, SiteFiles, VersionFiles};
use crate::site_builder::preview::{Frame, NavItem, Preview, RenderError};
use crate::store::credits::HoldState;
use crate::store::page_blueprints::PageBlueprint;
use crate::store::site_blueprints::{Blueprint, StructuredPage};
use crate::store::tasks::{Task, TaskFields};
use crate::store::{Store, StoreError};
use crate::writer::{Writer, WriterError};

#[derive(Debug, thiserror::Error)]
pub enum SiteBuilderError {
    #[error("not found")]
    NotFound,
    /// The blueprint's brief (`config_json`) is not usable; the path is within it.
    #[error("config.{0}")]
    InvalidBrief(Invalid),
    /// A structure or a page's blocks are not valid; the path is within the structure.
    #[error("structure.{0}")]
    InvalidStructure(Invalid),
    #[error("a generation of this blueprint or page is already running")]
    GenerationRunning,
    /// A regeneration of a page whose content was never generated.
    #[error("the page's content was never generated; generate it first")]
    NotGenerated,
    /// The request's Idempotency-Key names a generation that failed; it cannot run again.
    #[error("the generation with this Idempotency-Key failed ({0}); retry with a new key")]
    KeySpent(String),
    #[error("the blueprint is {0}; it needs a generated structure first")]
    NotReady(BlueprintStatus),
    #[error("no earlier deployed version exists to roll back to")]
    NoPreviousVersion,
    #[error("the blueprint changed during the deploy; try again")]
    Changed,
    #[error(transparent)]
    Ai(AiError),
    #[error(transparent)]
    Writer(WriterError),
    #[error(transparent)]
    Credits(#[from] CreditError),
    #[error(transparent)]
    Files(#[from] FileError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for SiteBuilderError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => SiteBuilderError::NotFound,
            other => SiteBuilderError::Store(other),
        }
    }
}

/// The outcome of a page's content generation.
#[derive(Debug, Clone)]
pub struct PageGenerated {
    pub page: PageBlueprint,
    pub credits_used: i64,
    /// The request repeated an earlier, successful one with the same Idempotency-Key.
    pub replayed: bool,
    /// The article had more sections than the page had room for (see
    /// [`page_content::PageText`]).
    pub shortened: bool,
}

/// Which page content operation a request asks for; a key names one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageRun {
    /// Writes the page's content, replacing any there is.
    Generate,
    /// Writes again the content of a page that has some.
    Regenerate,
}

impl PageRun {
    fn as_str(self) -> &'static str {
        match self {
            PageRun::Generate => "generate",
            PageRun::Regenerate => "regenerate",
        }
    }
}

/// The outcome of a structure generation.
#[derive(Debug, Clone)]
pub struct Generated {
    pub blueprint: Blueprint,
    pub credits_used: i64,
    /// The request repeated an earlier, successful one with the same Idempotency-Key.
    pub replayed: bool,
}

#[derive(Clone)]
pub struct SiteBuilder {
    store: Store,
    credits: Credits,
    files: SiteFiles,
    preview: Arc<Preview>,
    ai: Arc<dyn AiProvider>,
    writer: Writer,
}

impl SiteBuilder {
    pub fn new(
        store: Store,
        credits: Credits,
        files: SiteFiles,
        ai: Arc<dyn AiProvider>,
        writer: Writer,
    ) -> SiteBuilder {
        SiteBuilder {
            store,
            credits,
            files,
            preview: Arc::new(Preview::new()),
            ai,
            writer,
        }
    }

    pub fn files(&self) -> &SiteFiles {
        &self.files
    }

    /// Generates the blueprint's structure from its brief and makes its pages match:
    /// holds the cost first (nothing runs without the credits), moves the blueprint to
    /// `generating`, and captures the cost once the structure and pages are stored. On failure
    /// the hold is released and the blueprint goes back to `draft` with the error.
    pub async fn generate_structure(
        &self,
        blueprint: &Blueprint,
        key: &IdempotencyKey,
    ) -> Result<Generated, SiteBuilderError> {
        let account = blueprint.account_id;
        let operation = Operation::SiteStructureGeneration;
        let cost = self.credits.estimate(operation, 1);
        let ledger_key = ledger_key(&format!("site_structure:{}", blueprint.id), key);
        let placed = self
            .credits
            .hold(
                account,
                operation,
                cost,
                &ledger_key,
                Some(("site_blueprint", blueprint.id.get())),
            )
            .await?;
        if placed.replayed {
            return replay(&placed, cost, blueprint.last_error.as_deref()).map(|credits_used| {
                Generated {
                    blueprint: blueprint.clone(),
                    credits_used,
                    replayed: true,
                }
            });
        }
        let hold = placed.hold.id;
        if let Err(err) = self.store.claim_generation(account, blueprint.id).await {
            self.credits.release(account, hold).await?;
            return Err(match err {
                StoreError::NotFound => SiteBuilderError::GenerationRunning,
                other => other.into(),
            });
        }
        match self.build_structure(blueprint).await {
            Ok(generated) => {
                self.credits.capture(account, hold, cost).await?;
                Ok(Generated {
                    blueprint: generated,
                    credits_used: cost,
                    replayed: false,
                })
            }
            Err(err) => {
                self.store
                    .fail_blueprint_generation(account, blueprint.id, &err.to_string())
                    .await?;
                self.credits.release(account, hold).await?;
                Err(err)
            }
        }
    }

    async fn build_structure(&self, blueprint: &Blueprint) -> Result<Blueprint, SiteBuilderError> {
        let brief =
            SiteBrief::from_json(&blueprint.config_json).map_err(SiteBuilderError::InvalidBrief)?;
        let request = SiteStructureRequest {
            name: blueprint.name.clone(),
            brief,
        };
        let answer = self
            .ai
            .site_structure(&request)
            .await
            .map_err(SiteBuilderError::Ai)?;
        let structure = answer.value;
        // Checked as any structure is, whoever produced it.
        let json = structure.to_json();
        let structure = Structure::from_json(&json).map_err(SiteBuilderError::InvalidStructure)?;
        let pages: Vec<StructuredPage> = structure
            .pages
            .iter()
            .map(|page| StructuredPage {
                slug: page.slug.clone(),
                title: page.title.clone(),
                page_type: page.page_type,
                blocks_json: serde_json::to_value(&page.blocks).expect("blocks serialize"),
            })
            .collect();
        Ok(self
            .store
            .apply_structure(blueprint.account_id, blueprint.id, &json, &pages)
            .await?)
    }

    /// Generates a page's content through the writer: a writer task made from the page and the
    /// blueprint's brief, whose article becomes the page's text blocks and the task's content
    /// row. Holds `site_page_generation` under a key derived from the request's
    /// `Idempotency-Key` (nothing is held when the provider cannot write), claims the page
    /// `generating`, and captures once the page is `ready`; on failure the hold is released and
    /// the page goes back to `draft` with the error, its blocks as they were.
    pub async fn generate_page_content(
        &self,
        blueprint: &Blueprint,
        page: &PageBlueprint,
        key: &IdempotencyKey,
        run: PageRun,
    ) -> Result<PageGenerated, SiteBuilderError> {
        self.writer
            .ensure_writing()
            .map_err(SiteBuilderError::Writer)?;
        if run == PageRun::Regenerate && page.content_id.is_none() {
            return Err(SiteBuilderError::NotGenerated);
        }
        let account = page.account_id;
        let operation = Operation::SitePageGeneration;
        let cost = self.credits.estimate(operation, 1);
        let ledger_key = ledger_key(&format!("site_page:{}:{}", run.as_str(), page.id), key);
        let placed = self
            .credits
            .hold(
                account,
                operation,
                cost,
                &ledger_key,
                Some(("page_blueprint", page.id.get())),
            )
            .await?;
        if placed.replayed {
            return replay(&placed, cost, page.last_error.as_deref()).map(|credits_used| {
                PageGenerated {
                    page: page.clone(),
                    credits_used,
                    replayed: true,
                    shortened: false,
                }
            });
        }
        let hold = placed.hold.id;
        if let Err(err) = self.store.claim_page_generation(account, page.id).await {
            self.credits.release(account, hold).await?;
            return Err(match err {
                StoreError::NotFound => SiteBuilderError::GenerationRunning,
                other => other.into(),
            });
        }
        match self.write_page(blueprint, page, cost).await {
            Ok((page, shortened)) => {
                self.credits.capture(account, hold, cost).await?;
                Ok(PageGenerated {
                    page,
                    credits_used: cost,
                    replayed: false,
                    shortened,
                })
            }
            Err(err) => {
                self.store
                    .fail_page_generation(account, page.id, &err.to_string())
                    .await?;
                self.credits.release(account, hold).await?;
                Err(err)
            }
        }
    }

    async fn write_page(
        &self,
        blueprint: &Blueprint,
        page: &PageBlueprint,
        cost: i64,
    ) -> Result<(PageBlueprint, bool), SiteBuilderError> {
        let brief =
            SiteBrief::from_json(&blueprint.config_json).map_err(SiteBuilderError::InvalidBrief)?;
        let task = self.page_task(blueprint, page, &brief).await?;
        let written = self
            .writer
            .write_for(&task, &page_context(blueprint, page, &brief), cost)
            .await
            .map_err(SiteBuilderError::Writer)?;
        let article = page_content::article_blocks(&written.article.html).map_err(|invalid| {
            SiteBuilderError::Ai(AiError::InvalidAnswer {
                attempts: written.generation.usage.attempts,
                reason: invalid.to_string(),
            })
        })?;
        let text = page_content::with_article(&page_blocks(page)?, article).map_err(|invalid| {
            SiteBuilderError::InvalidStructure(Invalid::at(
                format!("pages[{}].{}", page.slug, invalid.path),
                invalid.message,
            ))
        })?;
        let blocks = serde_json::to_value(&text.blocks).expect("blocks serialize");
        // Stored blocks pass the one validator, whoever wrote them.
        blocks_from_json(&blocks).map_err(|err| {
            SiteBuilderError::InvalidStructure(Invalid::at(
                format!("pages[{}].{}", page.slug, err.path),
                err.message,
            ))
        })?;
        if text.shortened {
            tracing::warn!(page = %page.id, content = %written.generation.content, "The article has more sections than the page has room for; its last ones were left out of the page.");
        }
        let stored = self
            .store
            .page_generated(
                page.account_id,
                page.id,
                &blocks,
                written.generation.content,
            )
            .await?;
        Ok((stored, text.shortened))
    }

    /// The page's writer task with the page's current title and type: the one it was
    /// generated from before (so its content row is replaced, keeping a revision), else a new
    /// one linked to the page.
    async fn page_task(
        &self,
        blueprint: &Blueprint,
        page: &PageBlueprint,
        brief: &SiteBrief,
    ) -> Result<Task, SiteBuilderError> {
        let fields = TaskFields {
            idea_id: None,
            cluster_id: None,
            title: page.title.clone(),
            keywords: json!(brief.industry.iter().collect::<Vec<_>>()),
            target_word_count: Some(page_words(page.page_type)),
            outline: json!([]),
            content_type: match page.page_type {
                PageType::Custom => "web page".to_owned(),
                other => format!("{other} page"),
            },
        };
        if let Some(task) = page.task_id {
            match self.store.update_task(page.account_id, task, &fields).await {
                Ok(task) => return Ok(task),
                Err(StoreError::NotFound) => {}
                Err(err) => return Err(err.into()),
            }
        }
        let task = self
            .store
            .insert_task(page.account_id, blueprint.site_id, &fields)
            .await?;
        self.store
            .attach_page_task(page.account_id, page.id, task.id)
            .await?;
        Ok(task)
    }

    /// Writes the blueprint's pages as a new version (`site.json`, `pages/{slug}.json`),
    /// makes it the deployed one, and starts the next version with the same assets.
    pub async fn deploy(&self, blueprint: &Blueprint) -> Result<Blueprint, SiteBuilderError> {
        if !matches!(
            blueprint.status,
            BlueprintStatus::Ready | BlueprintStatus::Deployed
        ) {
            return Err(SiteBuilderError::NotReady(blueprint.status));
        }
        let (layout, theme) = look(blueprint)?;
        let pages = self
            .store
            .blueprint_pages(blueprint.account_id, blueprint.id)
            .await?;
        let mut documents = Vec::with_capacity(pages.len());
        for page in &pages {
            let blocks = page_blocks(page)?;
            documents.push((
                page.slug.to_string(),
                json!({
                    "slug": page.slug,
                    "title": page.title,
                    "type": page.page_type,
                    "order": page.sort_order,
                    "blocks": blocks,
                }),
            ));
        }
        let version = blueprint.version;
        let site_json = json!({
            "blueprint_id": blueprint.id,
            "site_id": blueprint.site_id,
            "name": blueprint.name,
            "description": blueprint.description,
            "hosting_type": blueprint.hosting_type,
            "version": version,
            "layout": layout,
            "theme": theme,
            "pages": pages.iter().map(|page| json!({
                "slug": page.slug,
                "title": page.title,
                "type": page.page_type,
                "order": page.sort_order,
                "file": format!("pages/{}.json", page.slug),
            })).collect::<Vec<Value>>(),
        });
        self.files
            .write_version(
                blueprint.site_id,
                version,
                VersionFiles {
                    site_json: &site_json,
                    pages: &documents,
                },
            )
            .await?;
        let deployed = self
            .store
            .record_deploy(blueprint.account_id, blueprint.id, version)
            .await
            .map_err(|err| match err {
                StoreError::NotFound => SiteBuilderError::Changed,
                other => other.into(),
            })?;
        self.files
            .carry_assets(blueprint.site_id, version, deployed.version)
            .await?;
        Ok(deployed)
    }

    /// Makes the latest complete version before the deployed one the deployed one again.
    pub async fn rollback(&self, blueprint: &Blueprint) -> Result<Blueprint, SiteBuilderError> {
        let Some(current) = blueprint.deployed_version else {
            return Err(SiteBuilderError::NoPreviousVersion);
        };
        for earlier in (1..current).rev() {
            if self.files.has_version(blueprint.site_id, earlier).await? {
                return self
                    .store
                    .record_rollback(blueprint.account_id, blueprint.id, current, earlier)
                    .await
                    .map_err(|err| match err {
                        StoreError::NotFound => SiteBuilderError::Changed,
                        other => other.into(),
                    });
            }
        }
        Err(SiteBuilderError::NoPreviousVersion)
    }

    /// Deletes a blueprint, its pages and its site's files.
    pub async fn delete(&self, blueprint: &Blueprint) -> Result<(), SiteBuilderError> {
        self.store
            .delete_blueprint(blueprint.account_id, blueprint.id)
            .await?;
        self.files.remove_site(blueprint.site_id).await?;
        Ok(())
    }

    /// The preview's list of pages; links start with `base` (which ends in `/`).
    pub async fn preview_index(
        &self,
        blueprint: &Blueprint,
        base: &str,
    ) -> Result<String, SiteBuilderError> {
        let pages = self
            .store
            .blueprint_pages(blueprint.account_id, blueprint.id)
            .await?;
        let (layout, theme) = look(blueprint)?;
        let frame = frame(blueprint, layout, &theme, &pages, base, None);
        Ok(self.preview.index(&frame)?)
    }

    /// One page of the preview.
    pub async fn preview_page(
        &self,
        blueprint: &Blueprint,
        slug: &PageSlug,
        base: &str,
    ) -> Result<String, SiteBuilderError> {
        let pages = self
            .store
            .blueprint_pages(blueprint.account_id, blueprint.id)
            .await?;
        let page = pages
            .iter()
            .find(|page| &page.slug == slug)
            .ok_or(SiteBuilderError::NotFound)?;
        let blocks = page_blocks(page)?;
        let (layout, theme) = look(blueprint)?;
        let frame = frame(blueprint, layout, &theme, &pages, base, Some(slug));
        Ok(self.preview.page(&frame, &page.title, &blocks)?)
    }
}

/// The ledger key of an operation on `subject` named by the request's key; hashed, so it stays
/// within its length whatever the caller sent.
fn ledger_key(subject: &str, key: &IdempotencyKey) -> IdempotencyKey {
    IdempotencyKey::parse(&format!(
        "{subject}:{}",
        &ContentHash::of(key.as_str()).to_hex()[..32]
    ))
    .expect("a hashed key is a valid idempotency key")
}

/// What a replayed hold means for a repeated request: the credits the first one was charged,
/// or why it cannot run again.
fn replay(placed: &Placed, cost: i64, last_error: Option<&str>) -> Result<i64, SiteBuilderError> {
    match placed.hold.state {
        HoldState::Captured => Ok(placed.hold.captured_amount.unwrap_or(cost)),
        HoldState::Pending => Err(SiteBuilderError::GenerationRunning),
        HoldState::Released | HoldState::Expired => Err(SiteBuilderError::KeySpent(
            last_error.unwrap_or("released").to_owned(),
        )),
    }
}

/// About how long a page of each type is asked to be.
fn page_words(page_type: PageType) -> i32 {
    match page_type {
        PageType::Home => 400,
        PageType::About => 500,
        PageType::Services | PageType::Products | PageType::Custom => 600,
        PageType::Blog => 800,
        PageType::Contact => 150,
    }
}

/// What the model is told about the page beyond its title: the site and its brief.
fn page_context(blueprint: &Blueprint, page: &PageBlueprint, brief: &SiteBrief) -> String {
    let mut context = format!(
        "the {} page of the website \"{}\" ({} business{}). The page also shows other \
         blocks, such as a hero and calls to action, so write its body text only.",
        page.page_type,
        blueprint.name,
        brief.business_type,
        brief
            .industry
            .as_deref()
            .map_or(String::new(), |industry| format!(", {industry}")),
    );
    if let Some(audience) = &brief.audience {
        context.push_str(&format!(" Audience: {audience}."));
    }
    if let Some(about) = &brief.brief {
        context.push_str(&format!(" About the business: {about}"));
    }
    if !brief.objectives.is_empty() {
        context.push_str(&format!(
            " Visitors should: {}.",
            brief.objectives.join("; ")
        ));
    }
    if let Some(tone) = &brief.style.personality {
        context.push_str(&format!(" Tone: {tone}."));
    }
    context
}

/// The layout and theme of a blueprint's structure, or the defaults before one exists.
fn look(blueprint: &Blueprint) -> Result<(Layout, Theme), SiteBuilderError> {
    match &blueprint.structure_json {
        Some(json) => {
            let structure =
                Structure::from_json(json).map_err(SiteBuilderError::InvalidStructure)?;
            Ok((structure.layout, structure.theme))
        }
        None => Ok((Layout::Default, Theme::default())),
    }
}

fn page_blocks(
    page: &PageBlueprint,
) -> Result<Vec<crate::domain::site_builder::block::Block>, SiteBuilderError> {
    blocks_from_json(&page.blocks_json).map_err(|err| {
        SiteBuilderError::InvalidStructure(Invalid::at(
            format!("pages[{}].{}", page.slug, err.path),
            err.message,
        ))
    })
}

fn frame<'a>(
    blueprint: &'a Blueprint,
    layout: Layout,
    theme: &'a Theme,
    pages: &[PageBlueprint],
    base: &str,
    current: Option<&PageSlug>,
) -> Frame<'a> {
    Frame {
        site_name: &blueprint.name,
        version: blueprint.version,
        deployed_version: blueprint.deployed_version,
        layout,
        theme,
        nav: pages
            .iter()
            .map(|page| NavItem {
                slug: page.slug.to_string(),
                title: page.title.clone(),
                href: format!("{base}{}", page.slug),
                current: current == Some(&page.slug),
            })
            .collect(),
    }
}
