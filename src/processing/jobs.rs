//! The processing job kinds: one stage or the whole pipeline for one item, and a site's run
//! over every item waiting for the pipeline (queued after a pull brought new bodies).

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::credits::CreditError;
use crate::domain::content::EntryPoint;
use crate::domain::ids::{AccountId, ContentId, SiteId};
use crate::jobs::handler::{JobContext, JobError, Registry, error_chain};
use crate::processing::{Processing, ProcessingError, RunKey};
use crate::store::jobs::NewJob;

pub const LINK: &str = "pipeline.link";
pub const OPTIMIZE: &str = "pipeline.optimize";
pub const PROCESS: &str = "pipeline.process";
pub const SITE: &str = "pipeline.site";

/// Items a site run reads at a time.
const SITE_BATCH: i64 = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemPayload {
    pub account_id: AccountId,
    pub content_id: ContentId,
    pub entry_point: EntryPoint,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SitePayload {
    pub account_id: AccountId,
    pub site_id: SiteId,
    pub entry_point: EntryPoint,
}

/// A stage (or the whole pipeline) for one item; one at a time per item and kind.
pub fn item_job(kind: &'static str, payload: &ItemPayload, max_attempts: u32) -> NewJob {
    NewJob::new(kind, json!(payload), max_attempts).unique(format!(
        "{kind}:{}:{}",
        payload.account_id, payload.content_id
    ))
}

/// The pipeline over a site's waiting items; one at a time per site.
pub fn site_job(payload: &SitePayload, max_attempts: u32) -> NewJob {
    NewJob::new(SITE, json!(payload), max_attempts)
        .unique(format!("{SITE}:{}:{}", payload.account_id, payload.site_id))
}

/// What a per-item job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemStage {
    Link,
    Optimize,
    Process,
}

async fn run_item(
    processing: &Processing,
    stage: ItemStage,
    p: &ItemPayload,
    run: &RunKey,
) -> Result<(), ProcessingError> {
    let (account, content) = (p.account_id, p.content_id);
    match stage {
        ItemStage::Link => processing.link(account, content, run).await.map(drop),
        ItemStage::Optimize => processing
            .optimize(account, content, p.entry_point, run)
            .await
            .map(drop),
        ItemStage::Process => processing
            .process(account, content, p.entry_point, run)
            .await
            .map(drop),
    }
}

/// Registers the processing job kinds.
pub fn install(registry: &mut Registry, processing: Processing) {
    for (kind, stage) in [
        (LINK, ItemStage::Link),
        (OPTIMIZE, ItemStage::Optimize),
        (PROCESS, ItemStage::Process),
    ] {
        let processing = processing.clone();
        registry.register(kind, move |context: JobContext| {
            let processing = processing.clone();
            async move {
                let p: ItemPayload = payload(&context)?;
                settle(run_item(&processing, stage, &p, &RunKey::job(context.id)).await)
            }
        });
    }
    registry.register(SITE, move |context: JobContext| {
        let processing = processing.clone();
        async move {
            let p: SitePayload = payload(&context)?;
            run_site(&processing, &context, &p).await
        }
    });
}

/// Processes the site's waiting items in id order until none is left. An item the pipeline
/// may not touch, or that changed under it, is left for its next trigger; running out of
/// credits ends the run.
async fn run_site(
    processing: &Processing,
    context: &JobContext,
    p: &SitePayload,
) -> Result<(), JobError> {
    let run = RunKey::job(context.id);
    let mut after = None;
    let mut done = 0_u64;
    loop {
        let ids = processing
            .store()
            .awaiting_pipeline(p.account_id, Some(p.site_id), after, SITE_BATCH)
            .await?;
        let Some(&last) = ids.last() else {
            break;
        };
        for id in ids {
            if context.cancel.is_cancelled() {
                return Err(JobError::Retry(format!(
                    "stopped after {done} items for shutdown; the rest waits"
                )));
            }
            match processing
                .process(p.account_id, id, p.entry_point, &run)
                .await
            {
                Ok(_) => done += 1,
                Err(
                    err @ (ProcessingError::NotFound
                    | ProcessingError::NotProcessable { .. }
                    | ProcessingError::Unreadable { .. }
                    | ProcessingError::Stale(_)),
                ) => {
                    tracing::info!(content = %id, reason = %err, "Left an item for later.");
                }
                Err(err) => return settle(Err(err)),
            }
        }
        after = Some(last);
    }
    tracing::info!(site = %p.site_id, items = done, "Processed a site's waiting items.");
    Ok(())
}

/// What a processing failure means for the job.
fn settle(result: Result<(), ProcessingError>) -> Result<(), JobError> {
    match result {
        Ok(()) => Ok(()),
        Err(
            err @ (ProcessingError::ModuleDisabled(_)
            | ProcessingError::NotFound
            | ProcessingError::NotProcessable { .. }
            | ProcessingError::Stale(_)
            | ProcessingError::Credits(CreditError::Insufficient { .. })),
        ) => Err(JobError::Skipped(err.to_string())),
        Err(err @ ProcessingError::Unreadable { .. }) => Err(JobError::Permanent(err.to_string())),
        Err(ProcessingError::Credits(err)) => Err(JobError::Permanent(error_chain(&err))),
        Err(ProcessingError::Ai(err)) => Err(JobError::Permanent(error_chain(&err))),
        Err(ProcessingError::Store(err)) => Err(err.into()),
    }
}

fn payload<T: for<'de> Deserialize<'de>>(context: &JobContext) -> Result<T, JobError> {
    serde_json::from_value(context.payload.clone())
        .map_err(|err| JobError::Permanent(format!("bad payload: {err}")))
}
