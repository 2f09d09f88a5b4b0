//! The Shopify connector against a stand-in for the GraphQL Admin API (wiremock, in
//! Shopify's documented shapes), through the sync engine into PostgreSQL, and its webhooks
//! through the daemon.

mod connector;
pub mod fake_shop;
mod sync;
mod webhooks;

pub use connector::connector;
