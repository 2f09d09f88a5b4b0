//! The `offline` provider: keyword clustering by the local algorithm, ideas and site structures
//! from templates; articles, rewrites and images need a model and are refused, naming the key to
//! set.

use crate::ai::{
    AiError, AiFuture, AiProvider, Answered, Article, ArticleBrief, Capability, ClusterBrief,
    GeneratedImage, IdeaDraft, KeywordInput, ProposedCluster, RewriteRequest, SiteStructureRequest,
    Usage,
};
use crate::domain::site_builder::structure::Structure;
use crate::planner::{clustering, idea_templates};
use crate::site_builder::offline_structure::offline_structure;

/// The provider without a language model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

const NAME: &str = "offline";

/// What an operator sets to enable the operations this provider refuses.
pub const PROVIDER_KEY: &str = "ai.provider";

fn usage() -> Usage {
    Usage {
        provider: NAME,
        ..Usage::default()
    }
}

fn operation(capability: Capability) -> &'static str {
    match capability {
        Capability::Writing => "content generation",
        Capability::Rewriting => "AI rewriting",
        Capability::Images => "image generation",
    }
}

fn not_configured<'a, T: Send + 'a>(capability: Capability) -> AiFuture<'a, T> {
    Box::pin(async move {
        Err(AiError::NotConfigured {
            operation: operation(capability),
            key: PROVIDER_KEY,
        })
    })
}

impl AiProvider for Offline {
    fn name(&self) -> &'static str {
        NAME
    }

    fn ensure(&self, capability: Capability) -> Result<(), AiError> {
        Err(AiError::NotConfigured {
            operation: operation(capability),
            key: PROVIDER_KEY,
        })
    }

    fn cluster_keywords<'a>(
        &'a self,
        keywords: &'a [KeywordInput],
    ) -> AiFuture<'a, Vec<ProposedCluster>> {
        Box::pin(async move {
            let input: Vec<clustering::Keyword<'_>> = keywords
                .iter()
                .map(|k| clustering::Keyword {
                    text: &k.keyword,
                    volume: k.volume,
                })
                .collect();
            let groups = clustering::cluster(&input, clustering::DEFAULT_THRESHOLD);
            let value = groups
                .into_iter()
                .map(|group| ProposedCluster {
                    name: keywords[group.representative].keyword.clone(),
                    keyword_ids: group.members.iter().map(|&m| keywords[m].id).collect(),
                })
                .collect();
            Ok(Answered {
                value,
                usage: usage(),
            })
        })
    }

    fn generate_ideas<'a>(&'a self, cluster: &'a ClusterBrief) -> AiFuture<'a, Vec<IdeaDraft>> {
        Box::pin(async move {
            Ok(Answered {
                value: idea_templates::ideas(cluster),
                usage: usage(),
            })
        })
    }

    fn write_article<'a>(&'a self, _brief: &'a ArticleBrief) -> AiFuture<'a, Article> {
        not_configured(Capability::Writing)
    }

    fn rewrite<'a>(&'a self, _request: &'a RewriteRequest) -> AiFuture<'a, String> {
        not_configured(Capability::Rewriting)
    }

    fn generate_image<'a>(&'a self, _prompt: &'a str) -> AiFuture<'a, GeneratedImage> {
        not_configured(Capability::Images)
    }

    fn site_structure<'a>(&'a self, request: &'a SiteStructureRequest) -> AiFuture<'a, Structure> {
        Box::pin(async move {
            Ok(Answered {
                value: offline_structure(&request.name, &request.brief),
                usage: usage(),
            })
        })
    }
}
