//! What a job kind runs: handlers registered by kind, and the errors that decide retry or death.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::domain::ids::JobId;
use crate::store::{Store, StoreError};

/// Everything a handler gets for one attempt of one job.
#[derive(Debug, Clone)]
pub struct JobContext {
    pub id: JobId,
    /// 1 for the first attempt; a handler with side effects outside the database uses it with
    /// the job id to make them idempotent.
    pub attempt: i32,
    pub payload: Value,
    pub store: Store,
    /// Fires when the shutdown drain deadline passes: the handler should stop soon, and the job
    /// will be handed back to the queue unfinished.
    pub cancel: CancellationToken,
}

/// Why an attempt failed, which decides what happens next.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (a network fault, a rate limit, a busy database).
    #[error("{0}")]
    Retry(String),
    /// Trying again cannot help (bad payload, a remote that rejects the request for good): the
    /// job goes dead at once with this message.
    #[error("{0}")]
    Permanent(String),
    /// The job should not run (its module is disabled, say): it ends done, with the reason
    /// logged, and is not retried.
    #[error("{0}")]
    Skipped(String),
}

impl JobError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, JobError::Permanent(_))
    }
}

impl From<StoreError> for JobError {
    fn from(err: StoreError) -> Self {
        JobError::Retry(error_chain(&err))
    }
}

/// An error with its causes, for `last_error` and logs.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

pub type JobFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'static>>;

/// Runs one attempt of a job. Any `Fn(JobContext) -> impl Future` is a handler.
pub trait Handler: Send + Sync + 'static {
    fn run(&self, context: JobContext) -> JobFuture;
}

impl<F, Fut> Handler for F
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    fn run(&self, context: JobContext) -> JobFuture {
        Box::pin(self(context))
    }
}

/// The job kinds this daemon can run. Workers only claim these kinds, so daemons of different
/// versions can share one queue.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: BTreeMap<String, Arc<dyn Handler>>,
}

impl Registry {
    pub fn register(&mut self, kind: &str, handler: impl Handler) {
        self.handlers.insert(kind.to_owned(), Arc::new(handler));
    }

    pub fn kinds(&self) -> Vec<String> {
        self.handlers.keys().cloned().collect()
    }

    pub fn get(&self, kind: &str) -> Option<Arc<dyn Handler>> {
        self.handlers.get(kind).cloned()
    }
}
