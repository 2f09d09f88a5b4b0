//! Integration tests: one binary, one module per area; database tests run against the real
//! PostgreSQL.

mod analyzer;
mod api;
mod credits;
mod daemon;
mod import;
mod migrations;
mod pipeline_api;
mod planner;
mod processing;
mod queue;
mod scheduler;
mod sites;
mod support;
mod wordpress;
mod writer;
