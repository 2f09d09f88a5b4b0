//! `writer.generate`: one task's article generated in the background (a batch queues one per
//! task), skipped while the writer module is off.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::ai::AiError;
use crate::credits::CreditError;
use crate::domain::ids::{AccountId, TaskId};
use crate::domain::module::Module;
use crate::jobs::handler::{JobContext, JobError, Registry, error_chain};
use crate::modules::Modules;
use crate::processing::RunKey;
use crate::store::jobs::NewJob;
use crate::writer::{Writer, WriterError};

pub const GENERATE: &str = "writer.generate";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratePayload {
    pub account_id: AccountId,
    pub task_id: TaskId,
}

/// One generation per task at a time.
pub fn generate_job(payload: &GeneratePayload, max_attempts: u32) -> NewJob {
    NewJob::new(GENERATE, json!(payload), max_attempts).unique(format!(
        "{GENERATE}:{}:{}",
        payload.account_id, payload.task_id
    ))
}

/// Registers `writer.generate`, guarded by the writer module.
pub fn install(registry: &mut Registry, writer: Writer, modules: &Modules) {
    let handler = move |context: JobContext| {
        let writer = writer.clone();
        async move {
            let p: GeneratePayload = serde_json::from_value(context.payload.clone())
                .map_err(|err| JobError::Permanent(format!("bad payload: {err}")))?;
            match writer
                .generate(p.account_id, p.task_id, &RunKey::job(context.id))
                .await
            {
                Ok(generation) => {
                    tracing::info!(task = %p.task_id, content = %generation.content, words = generation.word_count, "Generated an article.");
                    Ok(())
                }
                Err(err) => Err(job_error(err)),
            }
        }
    };
    registry.register(GENERATE, modules.guard(Module::Writer, handler));
}

/// What a generation failure means for the job.
fn job_error(err: WriterError) -> JobError {
    match err {
        WriterError::Ai(AiError::Unavailable(message)) => JobError::Retry(message),
        err @ (WriterError::NotFound | WriterError::Credits(CreditError::Insufficient { .. })) => {
            JobError::Skipped(err.to_string())
        }
        WriterError::Store(err) => err.into(),
        err => JobError::Permanent(error_chain(&err)),
    }
}
