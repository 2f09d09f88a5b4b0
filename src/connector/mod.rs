//! Connectors: how content is read from and written to each kind of CMS, over one shared HTTP
//! client that rate-limits, retries and classifies failures.

pub mod error;
pub mod http;
pub mod remote;
pub mod wordpress;

pub use error::ConnectorError;
