//! Connectors: how content is read from and written to each kind of source, a live CMS or a file
//! exported from one.

pub mod files;
