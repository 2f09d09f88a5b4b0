//! Integration tests against the real PostgreSQL: one binary, one module per area.

mod api;
mod credits;
mod daemon;
mod migrations;
mod queue;
mod scheduler;
mod support;
