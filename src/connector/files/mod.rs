//! Sources that are files rather than live sites: exports a person downloads from a CMS and hands
//! to igny8 for a one-off import.

pub mod wxr;
