//! The optimizer's AI mode: a language model rewrites an item for the requested goals, and the
//! rewrite is kept only when every link comes back byte for byte, every protected region
//! (code, pre, scripts, shortcodes, comments) is intact, and re-analysis shows no score lower
//! than before (`accept_rewrite`). A refused rewrite is recorded as a `rejected` run with what
//! it proposed, and costs nothing; a kept one costs what the optimizer costs (1 credit per
//! started 200 words of the text before), held before the model is asked.

use serde::Serialize;
use serde_json::json;

use crate::ai::{AiProvider, Capability, RewriteRequest};
use crate::domain::content::{ContentStatus, EntryPoint};
use crate::domain::credits::Operation;
use crate::domain::event::Causation;
use crate::domain::ids::{AccountId, ContentId, OptimizationTaskId};
use crate::domain::module::Module;
use crate::jobs::handler::error_chain;
use crate::pipeline::analyzer::elements::elements;
use crate::pipeline::analyzer::{Page, report};
use crate::pipeline::optimizer::accept_rewrite;
use crate::pipeline::ruleset::{Profile, Ruleset};
use crate::processing::{Processing, ProcessingError, RunKey, documents};
use crate::store::optimization_tasks::{Finished, NewOptimization, OptimizationResult};
use crate::store::pipeline::Stage;

/// What an AI rewrite did to one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rewriting {
    pub content: ContentId,
    /// The run, `mode` ai: `completed` when kept, `rejected` otherwise.
    pub task: OptimizationTaskId,
    pub kept: bool,
    /// Why the rewrite was refused.
    pub rejection: Option<String>,
    /// Overall score before, and after when kept.
    pub before: u8,
    pub after: Option<u8>,
    pub credits_used: i64,
    pub version: i64,
}

/// The first link, in document order, that the rewrite changed or dropped.
fn changed_link(before: &str, after: &str) -> Result<Option<usize>, String> {
    let links = |html: &str| -> Result<Vec<String>, String> {
        Ok(elements(html)
            .map_err(|err| err.to_string())?
            .links
            .into_iter()
            .map(|link| html[link.source].to_owned())
            .collect())
    };
    let (old, new) = (links(before)?, links(after)?);
    if old == new {
        return Ok(None);
    }
    Ok(Some(
        old.iter()
            .zip(&new)
            .position(|(o, n)| o != n)
            .unwrap_or(old.len().min(new.len())),
    ))
}

impl Processing {
    /// Asks `ai` to rewrite an item for `goals` and keeps the rewrite only if it passes.
    pub async fn rewrite(
        &self,
        ai: &dyn AiProvider,
        account: AccountId,
        content: ContentId,
        goals: &[String],
        entry_point: EntryPoint,
        run: &RunKey,
    ) -> Result<Rewriting, ProcessingError> {
        self.require(account, Module::Optimizer).await?;
        ai.ensure(Capability::Rewriting)
            .map_err(ProcessingError::Ai)?;
        let item = self.processable(account, content).await?;
        let site = self.store.site(account, item.site_id).await?;
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
        let before = report(&page, ruleset).map_err(|err| ProcessingError::Unreadable {
            content: item.id,
            reason: err.to_string(),
        })?;
        let cost = self.credits.estimate(
            Operation::Optimization,
            u64::try_from(before.numbers.words).unwrap_or(u64::MAX),
        );
        let key = run.credit_key(Stage::Optimizer, item.id, item.version);
        let hold = self
            .credits
            .hold(
                account,
                Operation::Optimization,
                cost,
                &key,
                Some(("content", item.id.get())),
            )
            .await?;
        let task = self
            .store
            .start_optimization(
                account,
                &NewOptimization {
                    content: item.id,
                    entry_point,
                    ruleset_profile: profile.as_str(),
                    ruleset_version: ruleset.version(),
                    mode: "ai",
                    content_version: item.version,
                    hold: Some(hold.hold.id),
                },
            )
            .await?;
        let request = RewriteRequest {
            title: item.title.clone(),
            html: item.content_raw.clone(),
            keyphrase: item.focus_keyphrase.clone(),
            goals: goals.to_vec(),
        };
        let answer = match ai.rewrite(&request).await {
            Ok(answer) => answer,
            Err(err) => {
                self.store
                    .fail_optimization(account, task, &error_chain(&err))
                    .await?;
                self.settle(account, &hold, None).await?;
                return Err(ProcessingError::Ai(err));
            }
        };
        let html_after = answer.value;
        let scores_before = json!(before);
        let verdict = match changed_link(&item.content_raw, &html_after) {
            Err(reason) => Err(format!("the rewrite cannot be read: {reason}")),
            Ok(Some(index)) => Err(format!("link {index} was changed or removed")),
            Ok(None) => accept_rewrite(&page, &html_after, ruleset).map_err(|r| r.to_string()),
        };
        let after = match verdict {
            Ok(after) => after,
            Err(reason) => {
                self.store
                    .reject_optimization(
                        account,
                        task,
                        &scores_before,
                        &item.content_raw,
                        &html_after,
                        &reason,
                    )
                    .await?;
                self.settle(account, &hold, None).await?;
                return Ok(Rewriting {
                    content: item.id,
                    task,
                    kept: false,
                    rejection: Some(reason),
                    before: before.overall,
                    after: None,
                    credits_used: 0,
                    version: item.version,
                });
            }
        };
        let changed = html_after != item.content_raw;
        let credits_used = if changed { cost } else { 0 };
        let scores_after = json!(after);
        let changes = json!([{ "mode": "ai", "goals": goals, "usage": answer.usage }]);
        let result = OptimizationResult {
            scores_before: &scores_before,
            scores_after: &scores_after,
            html_before: &item.content_raw,
            html_after: &html_after,
            meta_description: None,
            changes: &changes,
            credits_used,
            status: item.status.max(ContentStatus::Optimized),
            causation: &Causation::root(),
        };
        match self
            .store
            .finish_optimization(account, task, item.id, item.version, &result)
            .await
        {
            Ok(Finished::Applied { version }) => {
                self.settle(account, &hold, changed.then_some(cost)).await?;
                Ok(Rewriting {
                    content: item.id,
                    task,
                    kept: true,
                    rejection: None,
                    before: before.overall,
                    after: Some(after.overall),
                    credits_used,
                    version,
                })
            }
            Ok(Finished::Stale) => {
                self.settle(account, &hold, None).await?;
                Err(ProcessingError::Stale(Stage::Optimizer))
            }
            Err(err) => {
                self.store
                    .fail_optimization(account, task, &error_chain(&err))
                    .await?;
                self.settle(account, &hold, None).await?;
                Err(err.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::changed_link;

    #[test]
    fn a_link_changed_in_any_byte_is_found() {
        let before = r#"<p>See <a href="/a">the guide</a> and <a href="/b">more</a>.</p>"#;
        assert_eq!(changed_link(before, before), Ok(None));
        let reworded = r#"<p>Read <a href="/a">the guide</a>, then <a href="/b">more</a>.</p>"#;
        assert_eq!(changed_link(before, reworded), Ok(None));
        let retargeted = r#"<p>See <a href="/a">the guide</a> and <a href="/c">more</a>.</p>"#;
        assert_eq!(changed_link(before, retargeted), Ok(Some(1)));
        let dropped = r#"<p>See the guide and <a href="/b">more</a>.</p>"#;
        assert_eq!(changed_link(before, dropped), Ok(Some(0)));
    }
}
