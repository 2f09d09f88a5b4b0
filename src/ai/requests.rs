//! What is asked of a provider and what it answers, and the checks an answer must pass.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::ids::KeywordId;
use crate::domain::site_builder::brief::SiteBrief;

/// A keyword to cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeywordInput {
    pub id: KeywordId,
    pub keyword: String,
    pub volume: Option<i32>,
    pub intent: Option<String>,
}

/// A cluster a provider proposes: a name and the keywords in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedCluster {
    pub name: String,
    pub keyword_ids: Vec<KeywordId>,
}

/// A cluster to write ideas for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterBrief {
    pub name: String,
    /// Its keywords, highest volume first.
    pub keywords: Vec<String>,
    /// The intent most of its keywords have, if any.
    pub intent: Option<String>,
    /// How many ideas to propose.
    pub count: usize,
}

/// One section of an outline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutlineSection {
    pub heading: String,
    #[serde(default)]
    pub notes: Option<String>,
}

/// An article idea.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdeaDraft {
    pub title: String,
    pub description: String,
    pub outline: Vec<OutlineSection>,
    pub target_keywords: Vec<String>,
    pub intent: Option<String>,
    pub estimated_word_count: u32,
}

/// What a writer task asks for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleBrief {
    pub title: String,
    pub keywords: Vec<String>,
    pub target_word_count: u32,
    pub outline: Vec<OutlineSection>,
    pub content_type: String,
    /// What the article is for beyond its title, such as the site a page belongs to.
    pub context: Option<String>,
}

/// A generated article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub title: String,
    /// The body as HTML.
    pub html: String,
    pub meta_description: Option<String>,
}

/// A page to rewrite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RewriteRequest {
    pub title: String,
    pub html: String,
    pub keyphrase: Option<String>,
    pub goals: Vec<String>,
}

/// A generated image: where the provider put it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeneratedImage {
    pub url: String,
    pub model: String,
}

/// A site to propose a structure for: its name and its brief.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteStructureRequest {
    pub name: String,
    pub brief: SiteBrief,
}

/// The intents a keyword or idea may have.
pub const INTENTS: [&str; 4] = [
    "informational",
    "navigational",
    "commercial",
    "transactional",
];

/// Checks that `clusters` put every one of `input` in exactly one cluster, name each, and name
/// no other keyword.
pub fn check_clusters(input: &[KeywordInput], clusters: &[ProposedCluster]) -> Result<(), String> {
    let expected: BTreeSet<KeywordId> = input.iter().map(|k| k.id).collect();
    let mut seen = BTreeSet::new();
    let mut names = BTreeSet::new();
    for (i, cluster) in clusters.iter().enumerate() {
        let name = cluster.name.trim();
        if name.is_empty() {
            return Err(format!("cluster {i} has no name"));
        }
        if !names.insert(name.to_lowercase()) {
            return Err(format!("the name {name:?} is given to two clusters"));
        }
        if cluster.keyword_ids.is_empty() {
            return Err(format!("cluster {name:?} has no keywords"));
        }
        for id in &cluster.keyword_ids {
            if !expected.contains(id) {
                return Err(format!(
                    "cluster {name:?} names keyword {id}, which was not given"
                ));
            }
            if !seen.insert(*id) {
                return Err(format!("keyword {id} is in more than one cluster"));
            }
        }
    }
    if let Some(missing) = expected.difference(&seen).next() {
        return Err(format!("keyword {missing} is in no cluster"));
    }
    Ok(())
}

/// Checks an idea a model proposed.
pub fn check_idea(idea: &IdeaDraft) -> Result<(), String> {
    if idea.title.trim().is_empty() {
        return Err("an idea has no title".to_owned());
    }
    if let Some(intent) = &idea.intent
        && !INTENTS.contains(&intent.as_str())
    {
        return Err(format!(
            "intent {intent:?} is not one of {}",
            INTENTS.join(", ")
        ));
    }
    if idea.estimated_word_count == 0 {
        return Err(format!("idea {:?} estimates 0 words", idea.title));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(ids: &[i64]) -> Vec<KeywordInput> {
        ids.iter()
            .map(|&id| KeywordInput {
                id: KeywordId::new(id),
                keyword: format!("k{id}"),
                volume: None,
                intent: None,
            })
            .collect()
    }

    fn proposed(name: &str, ids: &[i64]) -> ProposedCluster {
        ProposedCluster {
            name: name.to_owned(),
            keyword_ids: ids.iter().map(|&id| KeywordId::new(id)).collect(),
        }
    }

    #[test]
    fn every_keyword_in_exactly_one_cluster_passes() {
        let clusters = [proposed("a", &[1, 3]), proposed("b", &[2])];
        assert_eq!(check_clusters(&input(&[1, 2, 3]), &clusters), Ok(()));
    }

    #[test]
    fn missing_repeated_and_unknown_keywords_are_named() {
        let keywords = input(&[1, 2, 3]);
        let missing = check_clusters(&keywords, &[proposed("a", &[1, 2])]).unwrap_err();
        assert!(missing.contains("keyword 3 is in no cluster"), "{missing}");
        let twice = check_clusters(&keywords, &[proposed("a", &[1, 2]), proposed("b", &[2, 3])])
            .unwrap_err();
        assert!(twice.contains("keyword 2 is in more than one"), "{twice}");
        let unknown = check_clusters(&keywords, &[proposed("a", &[1, 2, 3, 9])]).unwrap_err();
        assert!(unknown.contains("keyword 9"), "{unknown}");
    }
}
