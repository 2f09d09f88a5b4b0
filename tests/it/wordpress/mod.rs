//! End-to-end tests against a real WordPress (tests/e2e/wordpress/): every test gets a fresh
//! site of its own on the shared server.

mod check;
mod crash;
mod pull;
mod pull_batches;
mod push;
mod push_batch;
mod site;
mod webhooks;
