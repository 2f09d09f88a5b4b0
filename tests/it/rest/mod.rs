//! The declarative REST connector: contract tests against stand-ins that answer as Ghost's and
//! Strapi's documentation shows, and sites read through definitions in the real sync engine.

pub mod fake;
mod ghost;
mod sites;
mod strapi;
mod webhooks;
