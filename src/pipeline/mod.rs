//! The pure pipeline core: stages that turn a document and per-site data into another document
//! and a report, with no I/O, no clock and no randomness, so the same input always gives
//! byte-identical output.

pub mod analyzer;
mod html;
pub mod language;
pub mod linker;
pub mod optimizer;
pub mod ruleset;
mod word_memo;

pub use analyzer::{Page, Report, SeoAssessmentId, report};
pub use ruleset::{Profile, Ruleset};
