//! The writer: tasks (from an idea or by hand), articles generated through the provider into
//! content rows that enter the pipeline, and images.
//!
//! Generation holds 1 credit per 100 words of the task's target before the model runs and
//! captures what the article's actual length costs once it is kept; a failure releases the
//! hold. A regeneration replaces the body and keeps the earlier one as a revision.

pub mod jobs;
pub mod word_count;

use std::sync::Arc;

use serde_json::json;

use crate::ai::{AiError, AiProvider, Article, ArticleBrief, Capability, OutlineSection, Usage};
use crate::credits::{CreditError, Credits, Placed};
use crate::domain::content::EntryPoint;
use crate::domain::credits::Operation;
use crate::domain::event::Causation;
use crate::domain::ids::{AccountId, ContentId, IdeaId, JobId, SiteId, TaskId};
use crate::jobs::handler::error_chain;
use crate::processing::RunKey;
use crate::processing::jobs::{ItemPayload, PROCESS, item_job};
use crate::store::images::{Image, NewImage};
use crate::store::tasks::{Generated, Task, TaskFields};
use crate::store::{Store, StoreError};

/// The length assumed for the credit hold of a task without a target.
pub const DEFAULT_WORD_COUNT: u32 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error("not found")]
    NotFound,
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

impl From<StoreError> for WriterError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => WriterError::NotFound,
            other => WriterError::Store(other),
        }
    }
}

impl From<CreditError> for WriterError {
    fn from(err: CreditError) -> Self {
        match err {
            CreditError::Store(err) => WriterError::Store(err),
            other => WriterError::Credits(other),
        }
    }
}

/// What one generation did.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    pub task: TaskId,
    pub content: ContentId,
    pub version: i64,
    pub word_count: u32,
    pub credits_held: i64,
    pub credits_used: i64,
    /// The pipeline job queued for the content (none when one was already waiting).
    pub pipeline_job: Option<JobId>,
    pub usage: Usage,
}

/// A generation and the article it kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub generation: Generation,
    pub article: Article,
}

/// An image to make for a task.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageOrder {
    pub prompt: String,
    pub image_type: String,
    pub alt_text: Option<String>,
}

/// A task as a person asks for it: from an idea, by hand, or both (given values win).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskInput {
    pub site: Option<SiteId>,
    pub idea: Option<IdeaId>,
    pub title: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub target_word_count: Option<i32>,
    pub outline: Option<Vec<OutlineSection>>,
    pub content_type: Option<String>,
}

/// Longest article a task may ask for.
pub const MAX_WORD_COUNT: i32 = 20_000;

fn invalid(field: &str, message: impl Into<String>) -> WriterError {
    WriterError::Invalid {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The writer service.
#[derive(Clone)]
pub struct Writer {
    store: Store,
    credits: Credits,
    ai: Arc<dyn AiProvider>,
    max_attempts: u32,
}

impl Writer {
    pub fn new(
        store: Store,
        credits: Credits,
        ai: Arc<dyn AiProvider>,
        max_attempts: u32,
    ) -> Writer {
        Writer {
            store,
            credits,
            ai,
            max_attempts,
        }
    }

    /// A task's values from `input` over `current` (when changing one) and the idea it names,
    /// checked; and the site it is for.
    pub async fn task_fields(
        &self,
        account: AccountId,
        input: TaskInput,
        current: Option<&Task>,
    ) -> Result<(SiteId, TaskFields), WriterError> {
        let idea = match input.idea {
            Some(id) => Some(
                self.store
                    .idea(account, id)
                    .await
                    .map_err(|_| invalid("idea_id", format!("there is no idea {id}")))?,
            ),
            None => None,
        };
        let site = match (input.site, &idea, current) {
            (_, _, Some(task)) => task.site_id,
            (Some(site), Some(idea), None) if site != idea.site_id => {
                return Err(invalid(
                    "site_id",
                    format!("idea {} is for site {}", idea.id, idea.site_id),
                ));
            }
            (Some(site), _, None) => site,
            (None, Some(idea), None) => idea.site_id,
            (None, None, None) => {
                return Err(invalid("site_id", "expected site_id or idea_id"));
            }
        };
        if input.site.is_some_and(|s| s != site) {
            return Err(invalid("site_id", "a task cannot move to another site"));
        }
        let title = input
            .title
            .or_else(|| idea.as_ref().map(|i| i.title.clone()))
            .or_else(|| current.map(|t| t.title.clone()))
            .ok_or_else(|| invalid("title", "expected a title or an idea_id"))?;
        if title.trim().is_empty() {
            return Err(invalid("title", "expected a title, found nothing"));
        }
        let target_word_count = input
            .target_word_count
            .or_else(|| idea.as_ref().and_then(|i| i.estimated_word_count))
            .or_else(|| current.and_then(|t| t.target_word_count));
        if target_word_count.is_some_and(|w| !(1..=MAX_WORD_COUNT).contains(&w)) {
            return Err(invalid(
                "target_word_count",
                format!("expected 1 to {MAX_WORD_COUNT}"),
            ));
        }
        let content_type = input
            .content_type
            .or_else(|| idea.as_ref().map(|i| i.content_type.clone()))
            .or_else(|| current.map(|t| t.content_type.clone()))
            .unwrap_or_else(|| "post".to_owned());
        if content_type.trim().is_empty() {
            return Err(invalid(
                "content_type",
                "expected a content type such as post",
            ));
        }
        let fields = TaskFields {
            idea_id: idea
                .as_ref()
                .map(|i| i.id)
                .or(current.and_then(|t| t.idea_id)),
            cluster_id: idea
                .as_ref()
                .and_then(|i| i.cluster_id)
                .or(current.and_then(|t| t.cluster_id)),
            title,
            keywords: input
                .keywords
                .map(|k| json!(k))
                .or_else(|| idea.as_ref().map(|i| i.target_keywords.clone()))
                .or_else(|| current.map(|t| t.keywords.clone()))
                .unwrap_or_else(|| json!([])),
            target_word_count,
            outline: input
                .outline
                .map(|o| json!(o))
                .or_else(|| idea.as_ref().map(|i| i.outline.clone()))
                .or_else(|| current.map(|t| t.outline.clone()))
                .unwrap_or_else(|| json!([])),
            content_type,
        };
        Ok((site, fields))
    }

    /// Refuses at once when the provider cannot write.
    pub fn ensure_writing(&self) -> Result<(), WriterError> {
        self.ai.ensure(Capability::Writing).map_err(WriterError::Ai)
    }

    /// Generates a task's article into a new content row, or into its content when it has one.
    pub async fn generate(
        &self,
        account: AccountId,
        task: TaskId,
        run: &RunKey,
    ) -> Result<Generation, WriterError> {
        self.generate_caused(account, task, run, &Causation::root())
            .await
    }

    /// [`Writer::generate`] on behalf of a rule execution: the `content_generated` event
    /// carries `causation`.
    pub async fn generate_caused(
        &self,
        account: AccountId,
        task: TaskId,
        run: &RunKey,
        causation: &Causation,
    ) -> Result<Generation, WriterError> {
        self.ensure_writing()?;
        let task = self.store.task(account, task).await?;
        self.write(&task, run, "generate", causation).await
    }

    /// Generates again the article of content the writer made; the body it replaces is kept
    /// as a revision.
    pub async fn regenerate(
        &self,
        account: AccountId,
        content: ContentId,
        run: &RunKey,
    ) -> Result<Generation, WriterError> {
        self.ensure_writing()?;
        let task = match self.store.task_of_content(account, content).await {
            Ok(task) => task,
            Err(StoreError::NotFound) => {
                self.store.pipeline_item(account, content).await?;
                return Err(WriterError::Conflict {
                    code: "not_generated",
                    message: format!(
                        "content {content} was not generated by the writer, so there is no task to generate it from"
                    ),
                });
            }
            Err(err) => return Err(err.into()),
        };
        self.write(&task, run, "regenerate", &Causation::root())
            .await
    }

    async fn write(
        &self,
        task: &Task,
        run: &RunKey,
        what: &str,
        causation: &Causation,
    ) -> Result<Generation, WriterError> {
        let account = task.account_id;
        let target = target_words(task);
        let estimate = self
            .credits
            .estimate(Operation::ContentGeneration, u64::from(target));
        let key = run.operation_key(&format!("{what}:task:{}", task.id));
        let hold = self
            .credits
            .hold(
                account,
                Operation::ContentGeneration,
                estimate,
                &key,
                Some(("task", task.id.get())),
            )
            .await?;
        self.store.start_generation(account, task.id).await?;
        let outcome = self
            .compose(task, None, causation, |words| {
                self.credits
                    .estimate(Operation::ContentGeneration, u64::from(words))
            })
            .await;
        match outcome {
            Ok(written) => {
                let charged = self
                    .capture_actual(account, &hold, written.generation.credits_used)
                    .await?;
                Ok(Generation {
                    credits_held: estimate,
                    credits_used: charged,
                    ..written.generation
                })
            }
            Err(err) => {
                self.store
                    .fail_task_generation(account, task.id, &error_chain(&err))
                    .await?;
                self.settle(account, &hold, None).await?;
                Err(err)
            }
        }
    }

    /// Writes a task's article for a caller that holds and settles the credits itself (a site
    /// page costs the same whatever its length): `credits` is what the task records as spent.
    /// `context` tells the model what the article is for beyond its title.
    pub async fn write_for(
        &self,
        task: &Task,
        context: &str,
        credits: i64,
    ) -> Result<Written, WriterError> {
        self.ensure_writing()?;
        self.store
            .start_generation(task.account_id, task.id)
            .await?;
        match self
            .compose(task, Some(context), &Causation::root(), |_| credits)
            .await
        {
            Ok(written) => Ok(written),
            Err(err) => {
                self.store
                    .fail_task_generation(task.account_id, task.id, &error_chain(&err))
                    .await?;
                Err(err)
            }
        }
    }

    /// Asks the provider for the task's article and keeps it (content, task, event, pipeline
    /// job); `cost` gives the credits the task records for an article of so many words.
    async fn compose(
        &self,
        task: &Task,
        context: Option<&str>,
        causation: &Causation,
        cost: impl Fn(u32) -> i64,
    ) -> Result<Written, WriterError> {
        let account = task.account_id;
        let target = target_words(task);
        let brief = ArticleBrief {
            title: task.title.clone(),
            keywords: strings(&task.keywords),
            target_word_count: target,
            outline: serde_json::from_value::<Vec<OutlineSection>>(task.outline.clone())
                .unwrap_or_default(),
            content_type: task.content_type.clone(),
            context: context.map(str::to_owned),
        };
        let answer = self
            .ai
            .write_article(&brief)
            .await
            .map_err(WriterError::Ai)?;
        let words = word_count::of_html(&answer.value.html);
        let actual = cost(words);
        let usage = json!(answer.usage);
        let payload = |content| ItemPayload {
            account_id: account,
            content_id: content,
            entry_point: EntryPoint::Writer,
        };
        let job = |content| item_job(PROCESS, &payload(content), self.max_attempts);
        let kept = self
            .store
            .keep_generated(
                task,
                &Generated {
                    title: &answer.value.title,
                    html: &answer.value.html,
                    meta_description: answer.value.meta_description.as_deref(),
                    focus_keyphrase: brief.keywords.first().map(String::as_str),
                    word_count: i32::try_from(words).unwrap_or(i32::MAX),
                    ai_usage: &usage,
                    credits: actual,
                    causation,
                    pipeline_job: &job,
                },
            )
            .await?;
        Ok(Written {
            generation: Generation {
                task: task.id,
                content: kept.content,
                version: kept.version,
                word_count: words,
                credits_held: actual,
                credits_used: actual,
                pipeline_job: kept.job,
                usage: answer.usage,
            },
            article: answer.value,
        })
    }

    /// Captures the actual cost; when the balance cannot cover more than was held, the held
    /// amount is what the generation costs.
    async fn capture_actual(
        &self,
        account: AccountId,
        hold: &Placed,
        actual: i64,
    ) -> Result<i64, WriterError> {
        match self.credits.capture(account, hold.hold.id, actual).await {
            Ok(_) => Ok(actual),
            Err(CreditError::Insufficient { .. }) => {
                tracing::warn!(account = %account, hold = %hold.hold.id, actual, held = hold.hold.amount, "The balance cannot cover the article's length; capturing the estimate.");
                self.settle(account, hold, Some(hold.hold.amount)).await?;
                Ok(hold.hold.amount)
            }
            Err(CreditError::HoldNotPending { .. }) => {
                Ok(hold.hold.captured_amount.unwrap_or(actual))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Records each image's prompt, then generates them (5 credits each, held first). A
    /// provider without images answers [`AiError::NotConfigured`] after the prompts are kept.
    pub async fn generate_images(
        &self,
        task: &Task,
        orders: &[ImageOrder],
        run: &RunKey,
    ) -> Result<Vec<Image>, WriterError> {
        let account = task.account_id;
        let mut images = Vec::with_capacity(orders.len());
        let existing = self.store.task_images(account, task.id).await?.len();
        for (i, order) in orders.iter().enumerate() {
            let image = self
                .store
                .insert_image(
                    account,
                    &NewImage {
                        site: task.site_id,
                        content: task.content_id,
                        task: Some(task.id),
                        image_type: &order.image_type,
                        prompt: &order.prompt,
                        alt_text: order.alt_text.as_deref(),
                        position: i32::try_from(existing + i).unwrap_or(i32::MAX),
                    },
                )
                .await?;
            images.push(image);
        }
        self.ai
            .ensure(Capability::Images)
            .map_err(WriterError::Ai)?;
        let per_image = self.credits.estimate(Operation::ImageGeneration, 1);
        let cost = self
            .credits
            .estimate(Operation::ImageGeneration, orders.len() as u64);
        let key = run.operation_key(&format!("images:task:{}:{}", task.id, images[0].id));
        let hold = self
            .credits
            .hold(
                account,
                Operation::ImageGeneration,
                cost,
                &key,
                Some(("task", task.id.get())),
            )
            .await?;
        let mut made = Vec::with_capacity(images.len());
        let mut failure = None;
        for image in images {
            match self.ai.generate_image(&image.prompt).await {
                Ok(answer) => {
                    let kept = self
                        .store
                        .image_generated(
                            account,
                            image.id,
                            &answer.value.url,
                            self.ai.name(),
                            &answer.value.model,
                            per_image,
                        )
                        .await?;
                    made.push(kept);
                }
                Err(err) => {
                    self.store
                        .image_failed(account, image.id, &error_chain(&err))
                        .await?;
                    failure = Some(err);
                    break;
                }
            }
        }
        let used = per_image * made.len() as i64;
        self.settle(account, &hold, (used > 0).then_some(used))
            .await?;
        match failure {
            Some(err) if made.is_empty() => Err(WriterError::Ai(err)),
            _ => Ok(made),
        }
    }

    async fn settle(
        &self,
        account: AccountId,
        placed: &Placed,
        used: Option<i64>,
    ) -> Result<(), WriterError> {
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

/// The task's target length, or the default for a task without one.
fn target_words(task: &Task) -> u32 {
    task.target_word_count
        .and_then(|w| u32::try_from(w).ok())
        .unwrap_or(DEFAULT_WORD_COUNT)
}

/// The strings of a JSON array; other values are skipped.
fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}
