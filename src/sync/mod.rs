//! Sync (DESIGN §4): pulls in committed windows, the ID sweep that reconciles deletes and
//! missed changes, single-item re-fetches for webhook hints, the jobs that run them, and
//! imports of export files.

pub mod error;
pub mod folder_watch;
pub mod import;
pub mod jobs;
pub mod pull;
pub mod push;
pub mod reconcile;
pub mod site_connector;
pub mod site_settings;
pub mod webhook;

pub use error::SyncError;
