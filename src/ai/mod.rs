//! The language-model seam: one [`AiProvider`] trait, an `offline` provider (the default,
//! deterministic local algorithms and templates; operations that need a model are refused) and an `openai`
//! provider speaking the OpenAI-compatible chat-completions API.

pub mod offline;
pub mod openai;
pub mod prompts;
pub mod requests;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;

use crate::domain::site_builder::structure::Structure;
use crate::settings::{AiProviderKind, AiSettings};
pub use requests::{
    Article, ArticleBrief, ClusterBrief, GeneratedImage, IdeaDraft, KeywordInput, OutlineSection,
    ProposedCluster, RewriteRequest, SiteStructureRequest,
};

/// What a provider's operation returns.
pub type AiFuture<'a, T> = Pin<Box<dyn Future<Output = Result<Answered<T>, AiError>> + Send + 'a>>;

/// Why a provider did not answer usefully.
#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// The operation needs a language model and none is configured.
    #[error("{operation} needs a language model that is not configured: set {key}")]
    NotConfigured {
        operation: &'static str,
        key: &'static str,
    },
    /// The model answered, but not with what was asked, every time it was asked.
    #[error("the model's answer was not usable after {attempts} attempts: {reason}")]
    InvalidAnswer { attempts: u32, reason: String },
    /// The server refused the request (a 4xx other than 429).
    #[error("the AI server refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    /// The server could not be reached, timed out, or kept answering 429 or 5xx.
    #[error("the AI server is unavailable: {0}")]
    Unavailable(String),
}

/// Tokens a model spent, summed over every attempt of one operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub provider: &'static str,
    pub model: Option<String>,
    /// The prompt template used.
    pub template: Option<&'static str>,
    pub attempts: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

/// A provider's result with what it cost in tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered<T> {
    pub value: T,
    pub usage: Usage,
}

/// What a provider may be unable to do at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Articles from a brief.
    Writing,
    /// Rewrites of a page.
    Rewriting,
    /// Images from a prompt.
    Images,
}

/// What the planner, writer, optimizer and site builder ask of a language model.
pub trait AiProvider: Send + Sync {
    /// `offline` or `openai`.
    fn name(&self) -> &'static str;

    /// Whether the provider can do this at all, so a caller can refuse before it holds credits.
    fn ensure(&self, capability: Capability) -> Result<(), AiError>;

    /// Groups every keyword into exactly one cluster.
    fn cluster_keywords<'a>(
        &'a self,
        keywords: &'a [KeywordInput],
    ) -> AiFuture<'a, Vec<ProposedCluster>>;

    /// Article ideas for one cluster.
    fn generate_ideas<'a>(&'a self, cluster: &'a ClusterBrief) -> AiFuture<'a, Vec<IdeaDraft>>;

    /// An article for a writer task.
    fn write_article<'a>(&'a self, brief: &'a ArticleBrief) -> AiFuture<'a, Article>;

    /// A page's HTML rewritten for the requested goals.
    fn rewrite<'a>(&'a self, request: &'a RewriteRequest) -> AiFuture<'a, String>;

    /// An image for a prompt, through an images endpoint.
    fn generate_image<'a>(&'a self, prompt: &'a str) -> AiFuture<'a, GeneratedImage>;

    /// A site's pages, layout and theme for its brief, read through [`Structure::from_json`].
    fn site_structure<'a>(&'a self, request: &'a SiteStructureRequest) -> AiFuture<'a, Structure>;
}

/// The configured provider.
pub fn provider(settings: &AiSettings) -> Result<Arc<dyn AiProvider>, AiError> {
    let templates = prompts::Templates::load(settings.prompts_dir.as_deref())
        .map_err(|err| AiError::Unavailable(format!("cannot read the prompt templates: {err}")))?;
    Ok(match settings.provider {
        AiProviderKind::Offline => Arc::new(offline::Offline),
        AiProviderKind::Openai => Arc::new(openai::OpenAi::new(settings, templates)?),
    })
}
