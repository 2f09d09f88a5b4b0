//! Connectors: how content is read from and written to each kind of source, a live CMS over one
//! shared HTTP client that rate-limits, retries and classifies failures, or a file exported from
//! one.

pub mod error;
pub mod files;
pub mod folder;
pub mod http;
pub mod remote;
pub mod rest;
pub mod shopify;
pub mod wordpress;

pub use error::ConnectorError;
