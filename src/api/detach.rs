//! Model calls run detached from their request: a request can end early (the request timeout,
//! a client that hangs up) while a language model is still writing, and dropping the work then
//! would leave a task half-done and its credits held until the hold expires. The work runs as
//! its own task and settles its credits whatever happens to the request.

use std::future::Future;

use crate::api::error::ApiError;

/// Runs `work` to its end on its own task and answers with its outcome.
pub async fn run_detached<T, E>(
    work: impl Future<Output = Result<T, E>> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    match tokio::spawn(work).await {
        Ok(outcome) => outcome.map_err(Into::into),
        Err(join) => Err(ApiError::Internal(Box::new(join))),
    }
}
