//! A content item's provenance and sync state, and the hash that recognises a body.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Where an item came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum ContentSource {
    Igny8,
    Wordpress,
    Shopify,
    Custom,
}

/// Whether our copy agrees with the CMS.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum SyncStatus {
    /// Exists only in igny8.
    Native,
    /// Read from an export file; never confirmed against a live CMS.
    Imported,
    /// Agrees with the CMS as of `last_synced_at`.
    Synced,
    /// Holds a result waiting to be written to the CMS.
    PendingPush,
    /// The CMS changed under a push; nothing was written.
    Conflict,
    /// Gone from the CMS (kept here, and revived if it comes back).
    DeletedRemote,
    /// The last sync of this item failed; `sync_error` says why.
    Error,
}

impl SyncStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Native => "native",
            SyncStatus::Imported => "imported",
            SyncStatus::Synced => "synced",
            SyncStatus::PendingPush => "pending_push",
            SyncStatus::Conflict => "conflict",
            SyncStatus::DeletedRemote => "deleted_remote",
            SyncStatus::Error => "error",
        }
    }
}

impl fmt::Display for SyncStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far the pipeline has taken an item: draft -> linked -> optimized -> review -> published.
/// A new body from the CMS puts an item back to draft. Ordered by how far along it is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    sqlx::Type,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum ContentStatus {
    Draft,
    Linked,
    Optimized,
    /// Waiting for a person to approve the push (the site's push policy is `review`).
    Review,
    Published,
}

/// How content reached the pipeline; decides its stages and is recorded with each optimizer run.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum EntryPoint {
    /// Written by igny8's writer: linked, then optimized.
    Writer,
    /// Pulled from WordPress: optimized, and linked when the site enables it.
    WordpressSync,
    /// Pulled from another CMS: as WordPress.
    ExternalSync,
    /// Asked for through the API or the CLI.
    Manual,
    /// Started by an automation rule.
    Automation,
}

impl EntryPoint {
    /// The entry point of content that came from `source`.
    pub fn of_source(source: ContentSource) -> EntryPoint {
        match source {
            ContentSource::Igny8 => EntryPoint::Writer,
            ContentSource::Wordpress => EntryPoint::WordpressSync,
            ContentSource::Shopify | ContentSource::Custom => EntryPoint::ExternalSync,
        }
    }
}

/// SHA-256 of a body as stored: recognises an unchanged body, our own write coming back, and
/// a remote that changed under a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash([u8; 32]);

impl ContentHash {
    pub fn of(body: &str) -> ContentHash {
        ContentHash(Sha256::digest(body.as_bytes()).into())
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<ContentHash> {
        bytes.try_into().ok().map(ContentHash)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_survives_the_round_trip_through_bytes() {
        let hash = ContentHash::of("<p>Hello</p>");
        assert_eq!(ContentHash::from_bytes(hash.as_bytes()), Some(hash));
        assert_ne!(hash, ContentHash::of("<p>Hello!</p>"));
        assert_eq!(ContentHash::from_bytes(&[1, 2, 3]), None);
    }
}
