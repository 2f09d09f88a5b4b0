//! Domain types: ids and checked values that the rest of the daemon can trust once built.

pub mod condition;
pub mod content;
pub mod credits;
pub mod event;
pub mod ids;
pub mod intent;
pub mod module;
pub mod role;
pub mod rule;
pub mod schedule;
pub mod site;
pub mod site_builder;
pub mod timezone;
pub mod token;
pub mod user;
