//! The pure pipeline core: functions from a document and per-site data to a new document and a
//! report, with no I/O, no clock and no randomness, so the same input gives byte-identical output.

pub mod linker;
