//! What went wrong talking to a CMS, classified by what the caller should do about it.

use std::time::Duration;

use crate::jobs::handler::JobError;

/// A failed remote call. The class decides the job's fate: transient and rate-limited failures
/// are retried, auth and permanent failures need a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// The network or the server failed in a way that may pass (timeouts, 5xx, resets).
    #[error("{0}")]
    Transient(String),
    /// The server asked us to slow down (429, or 503 with Retry-After).
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after: Option<Duration>,
    },
    /// The credentials were refused or lack a capability.
    #[error("{0}")]
    Auth(String),
    /// The request cannot succeed as sent (bad configuration, an unexpected response shape, a
    /// remote that rejects the data).
    #[error("{0}")]
    Permanent(String),
}

impl ConnectorError {
    pub fn class(&self) -> &'static str {
        match self {
            ConnectorError::Transient(_) => "transient",
            ConnectorError::RateLimited { .. } => "rate_limited",
            ConnectorError::Auth(_) => "auth",
            ConnectorError::Permanent(_) => "permanent",
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ConnectorError::Transient(_) | ConnectorError::RateLimited { .. }
        )
    }
}

impl From<ConnectorError> for JobError {
    fn from(err: ConnectorError) -> Self {
        let message = format!("{} error: {err}", err.class());
        if err.is_retryable() {
            JobError::Retry(message)
        } else {
            JobError::Permanent(message)
        }
    }
}
