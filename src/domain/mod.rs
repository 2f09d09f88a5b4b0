//! Domain types: ids and checked values that the rest of the daemon can trust once built.

pub mod ids;
pub mod schedule;
