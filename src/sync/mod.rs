//! Sync (DESIGN §4): pulls in committed windows, the ID sweep that reconciles deletes and
//! missed changes, single-item re-fetches for webhook hints, and the jobs that run them.

pub mod error;
pub mod jobs;
pub mod pull;
pub mod push;
pub mod reconcile;
pub mod site_connector;
pub mod webhook;

pub use error::SyncError;
