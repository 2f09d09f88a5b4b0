//! Integration tests: one binary, one module per area; database tests run against the real
//! PostgreSQL.

mod analyzer;
mod api;
mod automation;
mod automation_actions;
mod compliance;
mod credits;
mod daemon;
mod folder_watch;
mod import;
mod migrations;
mod pipeline_api;
mod planner;
mod processing;
mod queue;
mod rest;
mod scheduler;
mod shopify;
mod site_builder;
mod sites;
mod sites_connectors;
mod support;
mod users;
mod wordpress;
mod writer;
