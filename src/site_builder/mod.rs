//! The site builder: structure generation (holding and capturing its credits), deploys and
//! rollbacks of a blueprint's files, and its preview. The API checks who may do what; this
//! service does it.

pub mod asset_path;
pub mod files;
pub mod offline_structure;
pub mod preview;

use serde_json::{Value, json};

use crate::credits::{CreditError, Credits};
use crate::domain::content::ContentHash;
use crate::domain::credits::{IdempotencyKey, Operation};
use crate::domain::site_builder::Invalid;
use crate::domain::site_builder::brief::SiteBrief;
use crate::domain::site_builder::kinds::{BlueprintStatus, Layout};
use crate::domain::site_builder::slug::PageSlug;
use crate::domain::site_builder::structure::{Structure, Theme, blocks_from_json};
use crate::site_builder::files::{FileError, SiteFiles, VersionFiles};
use crate::site_builder::preview::{Frame, NavItem, Preview, RenderError};
use crate::store::credits::HoldState;
use crate::store::page_blueprints::PageBlueprint;
use crate::store::site_blueprints::{Blueprint, StructuredPage};
use crate::store::{Store, StoreError};

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
    #[error("a structure generation of this blueprint is already running")]
    GenerationRunning,
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

/// The outcome of a structure generation.
#[derive(Debug, Clone)]
pub struct Generated {
    pub blueprint: Blueprint,
    pub credits_used: i64,
    /// The request repeated an earlier, successful one with the same Idempotency-Key.
    pub replayed: bool,
}

#[derive(Debug, Clone)]
pub struct SiteBuilder {
    store: Store,
    credits: Credits,
    files: SiteFiles,
    preview: std::sync::Arc<Preview>,
}

impl SiteBuilder {
    pub fn new(store: Store, credits: Credits, files: SiteFiles) -> SiteBuilder {
        SiteBuilder {
            store,
            credits,
            files,
            preview: std::sync::Arc::new(Preview::new()),
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
        // Hashed, so the ledger key stays within its length whatever the caller sent.
        let ledger_key = IdempotencyKey::parse(&format!(
            "site_structure:{}:{}",
            blueprint.id,
            &ContentHash::of(key.as_str()).to_hex()[..32]
        ))
        .expect("a hashed key is a valid idempotency key");
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
            return match placed.hold.state {
                HoldState::Captured => Ok(Generated {
                    blueprint: blueprint.clone(),
                    credits_used: placed.hold.captured_amount.unwrap_or(cost),
                    replayed: true,
                }),
                HoldState::Pending => Err(SiteBuilderError::GenerationRunning),
                HoldState::Released | HoldState::Expired => Err(SiteBuilderError::KeySpent(
                    blueprint
                        .last_error
                        .clone()
                        .unwrap_or_else(|| "released".to_owned()),
                )),
            };
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
        let structure = offline_structure::offline_structure(&blueprint.name, &brief);
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
