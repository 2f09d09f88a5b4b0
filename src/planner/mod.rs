//! The planner: keywords (added by hand or imported from CSV), clusters (by the provider:
//! the offline algorithm or a model, whose answer is checked against the input) and article
//! ideas. Clustering and ideas hold their credits before the provider runs, capture them when
//! its result is kept, and release them when it fails.

pub mod clustering;
pub mod csv_import;
pub mod idea_templates;
pub mod normalize;

use std::sync::Arc;

use serde_json::json;

use crate::ai::{AiError, AiProvider, ClusterBrief, KeywordInput, ProposedCluster, Usage};
use crate::credits::{CreditError, Credits, Placed};
use crate::domain::credits::Operation;
use crate::domain::event::Causation;
use crate::domain::ids::{AccountId, KeywordId, SiteId};
use crate::domain::intent::SearchIntent;
use crate::processing::RunKey;
use crate::store::clusters::{CLUSTER_NAME_TAKEN, Cluster, ClusterChange, NewCluster};
use crate::store::content_ideas::{Idea, IdeaFields};
use crate::store::keywords::{Imported, KEYWORD_EXISTS, Keyword, NewKeyword};
use crate::store::{Store, StoreError};

/// Keywords one clustering request may name.
pub const MAX_CLUSTER_KEYWORDS: usize = 10_000;
/// Clusters one idea request may name.
pub const MAX_IDEA_CLUSTERS: usize = 50;
/// Ideas proposed per cluster.
pub const IDEAS_PER_CLUSTER: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum PlannerError {
    #[error("not found")]
    NotFound,
    /// A value of the request is not acceptable; `field` names it.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error(transparent)]
    Ai(AiError),
    #[error(transparent)]
    Credits(CreditError),
    #[error(transparent)]
    Store(StoreError),
}

impl PlannerError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> PlannerError {
        PlannerError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for PlannerError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => PlannerError::NotFound,
            StoreError::Constraint { constraint } if constraint == KEYWORD_EXISTS => {
                PlannerError::Conflict {
                    code: "keyword_exists",
                    message:
                        "the site already has this keyword (compared case- and space-insensitively)"
                            .to_owned(),
                }
            }
            StoreError::Constraint { constraint } if constraint == CLUSTER_NAME_TAKEN => {
                PlannerError::Conflict {
                    code: "cluster_name_taken",
                    message: "the site already has a cluster of this name".to_owned(),
                }
            }
            other => PlannerError::Store(other),
        }
    }
}

impl From<CreditError> for PlannerError {
    fn from(err: CreditError) -> Self {
        match err {
            CreditError::Store(err) => PlannerError::Store(err),
            other => PlannerError::Credits(other),
        }
    }
}

/// Clusters made by one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustered {
    pub clusters: Vec<Cluster>,
    pub credits_used: i64,
    pub usage: Usage,
}

/// Ideas made by one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Ideas {
    pub ideas: Vec<Idea>,
    pub credits_used: i64,
    pub usage: Usage,
}

/// A keyword as a person gives it, checked.
pub fn new_keyword(
    keyword: &str,
    volume: Option<i64>,
    difficulty: Option<i64>,
    intent: Option<SearchIntent>,
) -> Result<NewKeyword, PlannerError> {
    let normalized = normalize::normalize(keyword);
    if normalized.is_empty() {
        return Err(PlannerError::invalid(
            "keyword",
            "expected a keyword, found nothing",
        ));
    }
    if keyword.chars().count() > 255 {
        return Err(PlannerError::invalid(
            "keyword",
            "expected at most 255 characters",
        ));
    }
    let volume = volume
        .map(csv_import::check_volume)
        .transpose()
        .map_err(|m| PlannerError::invalid("volume", m))?;
    let difficulty = difficulty
        .map(csv_import::check_difficulty)
        .transpose()
        .map_err(|m| PlannerError::invalid("difficulty", m))?;
    Ok(NewKeyword {
        keyword: keyword.trim().to_owned(),
        normalized,
        volume,
        difficulty,
        intent,
    })
}

/// Checks a list of ids: its size and no repeats.
pub fn checked_ids<T: PartialEq + std::fmt::Display>(
    field: &str,
    ids: &[T],
    max: usize,
) -> Result<(), PlannerError> {
    if ids.is_empty() || ids.len() > max {
        return Err(PlannerError::invalid(
            field,
            format!("expected 1 to {max} ids, found {}", ids.len()),
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(PlannerError::invalid(
                format!("{field}[{i}]"),
                format!("{id} is named twice"),
            ));
        }
    }
    Ok(())
}

/// The planner service.
#[derive(Clone)]
pub struct Planner {
    store: Store,
    credits: Credits,
    ai: Arc<dyn AiProvider>,
}

impl Planner {
    pub fn new(store: Store, credits: Credits, ai: Arc<dyn AiProvider>) -> Planner {
        Planner { store, credits, ai }
    }

    /// Imports a CSV file of keywords into a site.
    pub async fn import_csv(
        &self,
        account: AccountId,
        site: SiteId,
        text: &str,
    ) -> Result<(Imported, usize), PlannerError> {
        let parsed = csv_import::parse(text)
            .map_err(|problems| PlannerError::invalid("csv", problems.join("; ")))?;
        let imported = self
            .store
            .import_keywords(account, site, &parsed.keywords)
            .await?;
        Ok((imported, parsed.duplicates))
    }

    /// The keywords of `ids`, which must all exist and belong to one site.
    pub async fn keywords_of_one_site(
        &self,
        account: AccountId,
        ids: &[KeywordId],
    ) -> Result<(SiteId, Vec<Keyword>), PlannerError> {
        checked_ids("keyword_ids", ids, MAX_CLUSTER_KEYWORDS)?;
        let keywords = self.store.keywords_by_ids(account, ids).await?;
        if let Some((i, missing)) = ids
            .iter()
            .enumerate()
            .find(|(_, id)| !keywords.iter().any(|k| k.id == **id))
        {
            return Err(PlannerError::invalid(
                format!("keyword_ids[{i}]"),
                format!("there is no keyword {missing}"),
            ));
        }
        let site = keywords[0].site_id;
        if let Some(other) = keywords.iter().find(|k| k.site_id != site) {
            return Err(PlannerError::invalid(
                "keyword_ids",
                format!(
                    "expected keywords of one site, found sites {site} and {}",
                    other.site_id
                ),
            ));
        }
        Ok((site, keywords))
    }

    /// Clusters keywords of one site (10 credits per request, held first). Keywords already
    /// in a cluster move to the new one.
    pub async fn cluster_keywords(
        &self,
        account: AccountId,
        site: SiteId,
        keywords: &[Keyword],
        run: &RunKey,
    ) -> Result<Clustered, PlannerError> {
        self.cluster(account, site, keywords, run, Placement::Move)
            .await
    }

    /// Clusters the site's keywords that are in no cluster (up to
    /// [`MAX_CLUSTER_KEYWORDS`], 10 credits, held first); the clusters' events carry
    /// `causation`. Keywords another clustering took meanwhile stay where they are, and a run
    /// that keeps no cluster costs nothing. With no unclustered keyword, nothing is held.
    pub async fn cluster_unclustered(
        &self,
        account: AccountId,
        site: SiteId,
        run: &RunKey,
        causation: &Causation,
    ) -> Result<Clustered, PlannerError> {
        let limit = i64::try_from(MAX_CLUSTER_KEYWORDS).unwrap_or(i64::MAX);
        let keywords = self
            .store
            .unclustered_keywords(account, site, limit)
            .await?;
        if keywords.is_empty() {
            return Ok(Clustered {
                clusters: Vec::new(),
                credits_used: 0,
                usage: Usage {
                    provider: self.ai.name(),
                    ..Usage::default()
                },
            });
        }
        self.cluster(
            account,
            site,
            &keywords,
            run,
            Placement::Unclustered(causation),
        )
        .await
    }

    async fn cluster(
        &self,
        account: AccountId,
        site: SiteId,
        keywords: &[Keyword],
        run: &RunKey,
        placement: Placement<'_>,
    ) -> Result<Clustered, PlannerError> {
        let cost = self.credits.estimate(Operation::Clustering, 1);
        let key = run.operation_key(&format!("clustering:site:{site}"));
        let hold = self
            .credits
            .hold(
                account,
                Operation::Clustering,
                cost,
                &key,
                Some(("site", site.get())),
            )
            .await?;
        let input: Vec<KeywordInput> = keywords
            .iter()
            .map(|k| KeywordInput {
                id: k.id,
                keyword: k.keyword.clone(),
                volume: k.volume,
                intent: k.intent.map(|i| i.as_str().to_owned()),
            })
            .collect();
        let outcome = async {
            let answer = self
                .ai
                .cluster_keywords(&input)
                .await
                .map_err(PlannerError::Ai)?;
            let proposed: Vec<NewCluster> = answer
                .value
                .iter()
                .map(|c: &ProposedCluster| NewCluster {
                    name: c.name.clone(),
                    description: None,
                    keywords: c.keyword_ids.clone(),
                })
                .collect();
            let clusters = match placement {
                Placement::Move => {
                    self.store
                        .create_clusters(account, site, &proposed, true, &Causation::root())
                        .await?
                }
                Placement::Unclustered(causation) => {
                    self.store
                        .create_clusters_from_unclustered(account, site, &proposed, causation)
                        .await?
                }
            };
            Ok::<_, PlannerError>((clusters, answer.usage))
        }
        .await;
        match outcome {
            Ok((clusters, usage)) => {
                let used = if clusters.is_empty() { 0 } else { cost };
                self.settle(account, &hold, (used > 0).then_some(used))
                    .await?;
                Ok(Clustered {
                    clusters,
                    credits_used: used,
                    usage,
                })
            }
            Err(err) => {
                self.settle(account, &hold, None).await?;
                Err(err)
            }
        }
    }

    /// Changes a cluster; keywords named move into it (they must be of the cluster's site).
    pub async fn update_cluster(
        &self,
        account: AccountId,
        cluster: &Cluster,
        change: &ClusterChange,
    ) -> Result<Cluster, PlannerError> {
        if let Some(ids) = &change.keywords
            && !ids.is_empty()
        {
            let (site, _) = self.keywords_of_one_site(account, ids).await?;
            if site != cluster.site_id {
                return Err(PlannerError::invalid(
                    "keyword_ids",
                    format!(
                        "expected keywords of site {}, found site {site}",
                        cluster.site_id
                    ),
                ));
            }
        }
        if let Some(status) = &change.status
            && !["active", "archived"].contains(&status.as_str())
        {
            return Err(PlannerError::invalid(
                "status",
                "expected active or archived",
            ));
        }
        Ok(self
            .store
            .update_cluster(account, cluster.id, change)
            .await?)
    }

    /// Ideas for each cluster (15 credits per cluster, held first). Nothing is kept unless every
    /// cluster got its ideas.
    pub async fn generate_ideas(
        &self,
        account: AccountId,
        clusters: &[Cluster],
        run: &RunKey,
    ) -> Result<Ideas, PlannerError> {
        self.generate_ideas_caused(account, clusters, run, &Causation::root())
            .await
    }

    /// [`Planner::generate_ideas`] on behalf of a rule execution: the ideas' events carry
    /// `causation`.
    pub async fn generate_ideas_caused(
        &self,
        account: AccountId,
        clusters: &[Cluster],
        run: &RunKey,
        causation: &Causation,
    ) -> Result<Ideas, PlannerError> {
        let cost = self
            .credits
            .estimate(Operation::IdeaGeneration, clusters.len() as u64);
        let ids: Vec<String> = clusters.iter().map(|c| c.id.to_string()).collect();
        let key = run.operation_key(&format!(
            "ideas:{}",
            &crate::domain::content::ContentHash::of(&ids.join(",")).to_hex()[..16]
        ));
        let hold = self
            .credits
            .hold(
                account,
                Operation::IdeaGeneration,
                cost,
                &key,
                Some(("cluster", clusters[0].id.get())),
            )
            .await?;
        let outcome = self.ideas_for(account, clusters, causation).await;
        match outcome {
            Ok((ideas, usage)) => {
                self.settle(account, &hold, Some(cost)).await?;
                Ok(Ideas {
                    ideas,
                    credits_used: cost,
                    usage,
                })
            }
            Err(err) => {
                self.settle(account, &hold, None).await?;
                Err(err)
            }
        }
    }

    async fn ideas_for(
        &self,
        account: AccountId,
        clusters: &[Cluster],
        causation: &Causation,
    ) -> Result<(Vec<Idea>, Usage), PlannerError> {
        let mut usage = Usage {
            provider: self.ai.name(),
            ..Usage::default()
        };
        let mut drafts = Vec::with_capacity(clusters.len());
        for cluster in clusters {
            let keywords = self.store.cluster_keywords(account, cluster.id).await?;
            let brief = ClusterBrief {
                name: cluster.name.clone(),
                keywords: keywords.iter().map(|k| k.keyword.clone()).collect(),
                intent: majority_intent(&keywords).map(|i| i.as_str().to_owned()),
                count: IDEAS_PER_CLUSTER,
            };
            let answer = self
                .ai
                .generate_ideas(&brief)
                .await
                .map_err(PlannerError::Ai)?;
            usage.model = answer.usage.model.clone();
            usage.template = answer.usage.template;
            usage.attempts += answer.usage.attempts;
            usage.prompt_tokens += answer.usage.prompt_tokens;
            usage.completion_tokens += answer.usage.completion_tokens;
            usage.total_tokens += answer.usage.total_tokens;
            drafts.push((cluster, answer.value));
        }
        let mut ideas = Vec::new();
        for (cluster, drafts) in drafts {
            let fields: Vec<IdeaFields> = drafts
                .into_iter()
                .map(|d| IdeaFields {
                    cluster_id: Some(cluster.id),
                    title: d.title,
                    description: Some(d.description).filter(|d| !d.trim().is_empty()),
                    outline: json!(d.outline),
                    target_keywords: json!(d.target_keywords),
                    intent: d.intent.and_then(|i| i.parse().ok()),
                    content_type: "post".to_owned(),
                    estimated_word_count: i32::try_from(d.estimated_word_count).ok(),
                    status: "new".to_owned(),
                })
                .collect();
            ideas.extend(
                self.store
                    .create_ideas(account, cluster.site_id, &fields, causation)
                    .await?,
            );
        }
        Ok((ideas, usage))
    }

    /// Captures `used` credits of a hold or releases it; a hold an earlier attempt of the same
    /// run settled is left as it is.
    async fn settle(
        &self,
        account: AccountId,
        placed: &Placed,
        used: Option<i64>,
    ) -> Result<(), PlannerError> {
        let result = match used {
            Some(amount) => self.credits.capture(account, placed.hold.id, amount).await,
            None => self.credits.release(account, placed.hold.id).await,
        };
        match result {
            Ok(_) | Err(CreditError::HoldNotPending { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }
}

/// Which keywords a clustering may take.
#[derive(Clone, Copy)]
enum Placement<'a> {
    /// Any keyword named, moved from wherever it is.
    Move,
    /// Only keywords still in no cluster; the clusters' events carry the causation.
    Unclustered(&'a Causation),
}

/// The intent most keywords of a cluster have; ties go to the first in the enum's order.
fn majority_intent(keywords: &[Keyword]) -> Option<SearchIntent> {
    SearchIntent::ALL
        .into_iter()
        .enumerate()
        .map(|(order, intent)| {
            let count = keywords.iter().filter(|k| k.intent == Some(intent)).count();
            (count, std::cmp::Reverse(order), intent)
        })
        .filter(|(count, _, _)| *count > 0)
        .max_by_key(|&(count, order, _)| (count, order))
        .map(|(_, _, intent)| intent)
}
