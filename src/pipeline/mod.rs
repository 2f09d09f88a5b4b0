//! The pure pipeline core: stages that turn a document into another document and a report,
//! with no I/O, no clock and no randomness, so the same input always gives the same output.

pub mod analyzer;
