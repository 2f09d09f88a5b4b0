//! Why a sync run failed.

use crate::connector::ConnectorError;
use crate::jobs::handler::{JobError, error_chain};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    #[error("the database failed")]
    Store(#[from] StoreError),
    /// A run invariant broke (DESIGN §4 "no silent success"): the run is recorded as failed
    /// with this explanation.
    #[error("{0}")]
    Invariant(String),
    /// The site cannot be synced as configured.
    #[error("{0}")]
    Site(String),
}

impl From<SyncError> for JobError {
    fn from(err: SyncError) -> Self {
        match err {
            SyncError::Connector(err) => err.into(),
            SyncError::Store(err) => JobError::Retry(error_chain(&err)),
            SyncError::Invariant(message) | SyncError::Site(message) => {
                JobError::Permanent(message)
            }
        }
    }
}
