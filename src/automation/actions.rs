//! The actions of a rule execution, each in two steps: a plan (the subject read, work already
//! done recognised, the cost estimated) and the work itself through the service that owns it
//! (`Processing`, `Planner`, `Writer`).
//!
//! The estimate is checked against `credit_limit_per_execution` between the two steps, so an
//! action that would pass the limit holds nothing. Every service holds under the execution's
//! run key (`automation:{task}`), and an action whose subject already shows its result (a
//! keyword in a cluster, a cluster with ideas, a task with its article) is skipped, so a
//! retried execution neither charges nor creates twice. The changes an action makes carry the
//! execution's causation chain into their events, so the depth limit stops loops that pass
//! through the planner and the writer as well.

use serde_json::{Value, json};

use crate::ai::AiError;
use crate::automation::Automation;
use crate::credits::CreditError;
use crate::domain::content::EntryPoint;
use crate::domain::credits::Operation;
use crate::domain::event::Causation;
use crate::domain::ids::{AccountId, ClusterId, ContentId, KeywordId, SiteId, TaskId};
use crate::domain::rule::{Action, ActionType};
use crate::planner::PlannerError;
use crate::processing::{ProcessingError, RunKey};
use crate::store::clusters::Cluster;
use crate::store::scheduled_tasks::ScheduledTask;
use crate::store::{Page, StoreError};
use crate::writer::{DEFAULT_WORD_COUNT, WriterError};

/// How one action ended.
pub(super) enum ActionOutcome {
    Completed { output: Value, credits: i64 },
    Skipped { reason: String },
    Failed { code: &'static str, error: String },
}

/// What an execution's actions work with.
pub(super) struct Run<'a> {
    pub account: AccountId,
    pub task: &'a ScheduledTask,
    /// The chain the events the actions cause carry.
    pub causation: Causation,
    pub limit: Option<i64>,
    pub used: i64,
}

/// The work an action will do once its estimate fits the limit.
enum Work {
    Link(ContentId),
    Optimize(ContentId),
    Push(ContentId),
    Cluster { keyword: KeywordId, site: SiteId },
    Ideas(Box<Cluster>),
    Generate(TaskId),
}

/// An action's plan: its work and what it is estimated to cost, or how it ended already.
enum Plan {
    Run { work: Work, estimate: i64 },
    Ended(ActionOutcome),
}

impl Automation {
    pub(super) async fn run_action(
        &self,
        run: &mut Run<'_>,
        action: &Action,
    ) -> Result<ActionOutcome, StoreError> {
        let module = action.kind.module();
        if !self.modules.is_enabled(run.account, module).await? {
            return Ok(ActionOutcome::Skipped {
                reason: format!("the {module} module is disabled"),
            });
        }
        let subject = action.kind.subject();
        let Some(target) = action.target(&run.task.trigger_context) else {
            return Ok(ActionOutcome::Failed {
                code: "missing_subject",
                error: format!(
                    "neither params.{} nor the context's {}.id names the {}",
                    subject.param, subject.subject_type, subject.subject_type
                ),
            });
        };
        let (work, estimate) = match self.plan(run.account, action.kind, target).await? {
            Plan::Run { work, estimate } => (work, estimate),
            Plan::Ended(outcome) => return Ok(outcome),
        };
        if let Some(limit) = run.limit
            && run.used + estimate > limit
        {
            return Ok(ActionOutcome::Failed {
                code: "credit_limit_exceeded",
                error: format!(
                    "the action may cost {estimate} credits, and {} of the execution's limit of \
                     {limit} are used",
                    run.used
                ),
            });
        }
        let done = self.work(run, work).await?;
        if let ActionOutcome::Completed { credits, .. } = &done {
            run.used += credits;
        }
        Ok(done)
    }

    async fn plan(
        &self,
        account: AccountId,
        kind: ActionType,
        target: i64,
    ) -> Result<Plan, StoreError> {
        let run = |work, estimate| Ok(Plan::Run { work, estimate });
        match kind {
            ActionType::LinkContent => run(
                Work::Link(ContentId::new(target)),
                self.credits.estimate(Operation::Linking, 1),
            ),
            ActionType::OptimizeContent => {
                let content = ContentId::new(target);
                match self.processing.optimize_estimate(account, content).await {
                    Ok(estimate) => run(Work::Optimize(content), estimate),
                    Err(err) => processing_failed(err).map(Plan::Ended),
                }
            }
            ActionType::PushContent => run(Work::Push(ContentId::new(target)), 0),
            ActionType::ClusterKeywords => {
                let keyword = match self.store.keyword(account, KeywordId::new(target)).await {
                    Ok(keyword) => keyword,
                    Err(StoreError::NotFound) => return Ok(not_found("keyword", target)),
                    Err(err) => return Err(err),
                };
                if let Some(cluster) = keyword.cluster_id {
                    return Ok(skipped(format!(
                        "keyword {target} is already in cluster {cluster}"
                    )));
                }
                run(
                    Work::Cluster {
                        keyword: keyword.id,
                        site: keyword.site_id,
                    },
                    self.credits.estimate(Operation::Clustering, 1),
                )
            }
            ActionType::GenerateIdeas => {
                let cluster = match self.store.cluster(account, ClusterId::new(target)).await {
                    Ok(cluster) => cluster,
                    Err(StoreError::NotFound) => return Ok(not_found("cluster", target)),
                    Err(err) => return Err(err),
                };
                let first = Page {
                    page: 1,
                    page_size: 1,
                };
                let ideas = self
                    .store
                    .ideas_page(account, cluster.site_id, Some(cluster.id), first)
                    .await?;
                if ideas.total > 0 {
                    return Ok(skipped(format!(
                        "cluster {target} already has {} ideas",
                        ideas.total
                    )));
                }
                run(
                    Work::Ideas(Box::new(cluster)),
                    self.credits.estimate(Operation::IdeaGeneration, 1),
                )
            }
            ActionType::GenerateContent => {
                // Refused before anything is read or held: the provider cannot write.
                if let Err(err) = self.writer.ensure_writing() {
                    return writer_failed(err).map(Plan::Ended);
                }
                let task = match self.store.task(account, TaskId::new(target)).await {
                    Ok(task) => task,
                    Err(StoreError::NotFound) => return Ok(not_found("task", target)),
                    Err(err) => return Err(err),
                };
                if let Some(content) = task.content_id {
                    return Ok(skipped(format!(
                        "task {target} already has its article, content {content}"
                    )));
                }
                let words = task
                    .target_word_count
                    .and_then(|w| u32::try_from(w).ok())
                    .unwrap_or(DEFAULT_WORD_COUNT);
                run(
                    Work::Generate(task.id),
                    self.credits
                        .estimate(Operation::ContentGeneration, u64::from(words)),
                )
            }
        }
    }

    async fn work(&self, run: &Run<'_>, work: Work) -> Result<ActionOutcome, StoreError> {
        let account = run.account;
        let key = RunKey::automation(run.task.id);
        match work {
            Work::Link(content) => match self.processing.link(account, content, &key).await {
                Ok(linking) => Ok(completed(
                    json!({
                        "content_id": content, "links_added": linking.added.len(),
                        "version": linking.version, "status": linking.status,
                    }),
                    linking.credits_used,
                )),
                Err(err) => processing_failed(err),
            },
            Work::Optimize(content) => match self
                .processing
                .optimize_caused(
                    account,
                    content,
                    EntryPoint::Automation,
                    &key,
                    &run.causation,
                )
                .await
            {
                Ok(optimizing) => Ok(completed(
                    json!({
                        "content_id": content, "optimization_task_id": optimizing.task,
                        "rules": optimizing.rules, "score_before": optimizing.before,
                        "score_after": optimizing.after, "version": optimizing.version,
                    }),
                    optimizing.credits_used,
                )),
                Err(err) => processing_failed(err),
            },
            Work::Push(content) => match self.processing.queue_push(account, content).await {
                Ok(Some(push)) => Ok(completed(
                    json!({ "content_id": content, "push_job_id": push }),
                    0,
                )),
                Ok(None) => Ok(completed(
                    json!({
                        "content_id": content, "push_job_id": null,
                        "reason": "the item holds no change the CMS lacks",
                    }),
                    0,
                )),
                Err(err) => processing_failed(err),
            },
            Work::Cluster { keyword, site } => match self
                .planner
                .cluster_unclustered(account, site, &key, &run.causation)
                .await
            {
                Ok(clustered) => {
                    let ids: Vec<ClusterId> = clustered.clusters.iter().map(|c| c.id).collect();
                    let keywords: i64 = clustered.clusters.iter().map(|c| c.keyword_count).sum();
                    Ok(completed(
                        json!({
                            "keyword_id": keyword, "site_id": site, "cluster_ids": ids,
                            "keywords_clustered": keywords,
                        }),
                        clustered.credits_used,
                    ))
                }
                Err(err) => planner_failed(err),
            },
            Work::Ideas(cluster) => match self
                .planner
                .generate_ideas_caused(account, &[*cluster.clone()], &key, &run.causation)
                .await
            {
                Ok(ideas) => {
                    let ids: Vec<_> = ideas.ideas.iter().map(|i| i.id).collect();
                    Ok(completed(
                        json!({ "cluster_id": cluster.id, "idea_ids": ids }),
                        ideas.credits_used,
                    ))
                }
                Err(err) => planner_failed(err),
            },
            Work::Generate(task) => match self
                .writer
                .generate_caused(account, task, &key, &run.causation)
                .await
            {
                Ok(generation) => Ok(completed(
                    json!({
                        "task_id": task, "content_id": generation.content,
                        "version": generation.version, "word_count": generation.word_count,
                        "pipeline_job_id": generation.pipeline_job,
                    }),
                    generation.credits_used,
                )),
                Err(err) => writer_failed(err),
            },
        }
    }
}

fn completed(output: Value, credits: i64) -> ActionOutcome {
    ActionOutcome::Completed { output, credits }
}

fn skipped(reason: String) -> Plan {
    Plan::Ended(ActionOutcome::Skipped { reason })
}

fn not_found(what: &str, id: i64) -> Plan {
    Plan::Ended(ActionOutcome::Failed {
        code: "not_found",
        error: format!("there is no {what} {id}"),
    })
}

fn credits_code(err: &CreditError) -> &'static str {
    match err {
        CreditError::Insufficient { .. } => "insufficient_credits",
        _ => "credits",
    }
}

fn ai_code(err: &AiError) -> &'static str {
    match err {
        AiError::NotConfigured { .. } => "ai_provider_not_configured",
        _ => "ai_failed",
    }
}

/// An action's processing error as the execution's failure; database trouble is returned so
/// the job retries.
fn processing_failed(err: ProcessingError) -> Result<ActionOutcome, StoreError> {
    let error = err.to_string();
    let code = match err {
        ProcessingError::Store(store) => return Err(store),
        ProcessingError::NotFound => "not_found",
        ProcessingError::ModuleDisabled(_) => "module_disabled",
        ProcessingError::NotProcessable { .. } => "not_processable",
        ProcessingError::Stale(_) => "content_changed",
        ProcessingError::Unreadable { .. } => "unreadable_html",
        ProcessingError::Credits(ref credits) => credits_code(credits),
        ProcessingError::Ai(ref ai) => ai_code(ai),
    };
    Ok(ActionOutcome::Failed { code, error })
}

fn planner_failed(err: PlannerError) -> Result<ActionOutcome, StoreError> {
    let error = err.to_string();
    let code = match err {
        PlannerError::Store(store) => return Err(store),
        PlannerError::NotFound => "not_found",
        PlannerError::Invalid { .. } => "invalid",
        PlannerError::Conflict { code, .. } => code,
        PlannerError::Ai(ref ai) => ai_code(ai),
        PlannerError::Credits(ref credits) => credits_code(credits),
    };
    Ok(ActionOutcome::Failed { code, error })
}

fn writer_failed(err: WriterError) -> Result<ActionOutcome, StoreError> {
    let error = err.to_string();
    let code = match err {
        WriterError::Store(store) => return Err(store),
        WriterError::NotFound => "not_found",
        WriterError::Invalid { .. } => "invalid",
        WriterError::Conflict { code, .. } => code,
        WriterError::Ai(ref ai) => ai_code(ai),
        WriterError::Credits(ref credits) => credits_code(credits),
    };
    Ok(ActionOutcome::Failed { code, error })
}
