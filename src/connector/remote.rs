//! What every connector hands the sync engine, whatever the CMS: items in one shape, windows of
//! them in ascending modified order, and the `Connector` trait the engine drives.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::connector::ConnectorError;

/// One content item as the CMS holds it now.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteItem {
    /// The CMS's kind of object: `post`, `page`, a custom post type, `product`, ...
    pub external_type: String,
    pub external_id: String,
    pub remote_modified: DateTime<Utc>,
    pub remote_status: String,
    /// Editable source, as written back on a push.
    pub title: String,
    pub content_raw: String,
    /// The CMS's rendering, for analysis only.
    pub content_rendered: Option<String>,
    pub excerpt: Option<String>,
    pub slug: Option<String>,
    pub external_url: Option<String>,
    pub author: Option<String>,
    pub categories: Vec<Term>,
    pub tags: Vec<Term>,
    pub featured_media: Option<String>,
    pub focus_keyphrase: Option<String>,
    pub meta_description: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// Remote facts without a column of their own (parent, template, GUID, ...): a JSON object.
    pub metadata: Value,
}

/// A category, tag or other term, by the CMS's id and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Term {
    pub id: String,
    pub name: String,
}

/// What an ID sweep sees of an item: enough to tell whether ours is current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteStub {
    pub external_id: String,
    pub remote_modified: DateTime<Utc>,
    pub remote_status: String,
}

/// The last item a committed window ended with; the next incremental pull starts there, less
/// the site's overlap.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    pub modified: DateTime<Utc>,
    pub external_id: String,
}

/// A set of items committed together with the cursor they advance to.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub items: Vec<RemoteItem>,
    /// The server's own count of what the stream's query matches, when it reports one; checked
    /// against what the pull fetched.
    pub expected_total: Option<u64>,
}

impl Window {
    /// The greatest (modified, id) in the window.
    pub fn cursor(&self) -> Option<Cursor> {
        self.items
            .iter()
            .map(|item| Cursor {
                modified: item.remote_modified,
                external_id: item.external_id.clone(),
            })
            .max()
    }
}

/// One list the pull walks with its own cursor: a post type's live items, or its trash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// The cursor's key in `sync_cursors`.
    pub name: String,
    pub external_type: String,
}

/// An item the CMS says it deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    pub external_type: String,
    pub external_id: String,
    pub deleted_at: DateTime<Utc>,
}

/// Fields a push writes; only those the pipeline changed are present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Patch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

impl Patch {
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.content.is_none() && self.excerpt.is_none()
    }
}

/// How a conditional write ended.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    /// Written; the item as the CMS holds it afterwards (after its own sanitising).
    Written(Box<RemoteItem>),
    /// The CMS refused because the item changed since the version we expected.
    PreconditionFailed {
        current_modified: Option<DateTime<Utc>>,
    },
}

/// One conditional write of a batch: `patch` to an item, on condition that the CMS still
/// holds the version modified at `expected_modified`.
#[derive(Debug, Clone, Copy)]
pub struct BatchWrite<'a> {
    pub external_type: &'a str,
    pub external_id: &'a str,
    pub patch: &'a Patch,
    pub expected_modified: DateTime<Utc>,
}

/// A CMS as the sync engine sees it. Implementations do the remote I/O through the shared
/// `HttpClient`; the engine owns transactions, cursors and run records.
pub trait Connector: Send + Sync {
    /// Where a pull of one stream stands between windows.
    type Position: Send;

    /// Checks the CMS and what it supports; the result is stored as the site's capabilities.
    fn probe(&self) -> impl Future<Output = Result<Value, ConnectorError>> + Send;

    /// The streams a pull walks, in order.
    fn streams(&self) -> Vec<Stream>;

    /// Starts reading `stream`'s items modified after `since` (everything when `None`).
    fn start(&self, stream: &Stream, since: Option<DateTime<Utc>>) -> Self::Position;

    /// The next window in ascending modified order, or `None` at the end.
    fn next_window(
        &self,
        position: &mut Self::Position,
    ) -> impl Future<Output = Result<Option<Window>, ConnectorError>> + Send;

    /// Every item of a stream, briefly: the ID sweep that finds deletes and missed changes. An
    /// error means the sweep is incomplete and nothing may be concluded from it.
    fn sweep(
        &self,
        stream: &Stream,
    ) -> impl Future<Output = Result<Vec<RemoteStub>, ConnectorError>> + Send;

    /// These items in full; ids the CMS no longer has are absent from the result.
    fn fetch(
        &self,
        external_type: &str,
        external_ids: &[String],
    ) -> impl Future<Output = Result<Vec<RemoteItem>, ConnectorError>> + Send;

    /// Deletions the CMS recorded since `since`, where it keeps such a journal (`None` where it
    /// does not).
    fn deletions(
        &self,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Vec<Deletion>>, ConnectorError>> + Send;

    /// Writes `patch` to an item, on condition that the CMS still holds the version modified at
    /// `expected_modified`, where the CMS can check that itself; the caller re-reads first either
    /// way.
    fn write(
        &self,
        external_type: &str,
        external_id: &str,
        patch: &Patch,
        expected_modified: DateTime<Utc>,
    ) -> impl Future<Output = Result<WriteOutcome, ConnectorError>> + Send;

    /// How many conditional writes one `write_batch` call takes: 1 where the CMS cannot write
    /// several items in one call, each with its own precondition checked by the CMS itself.
    /// Known after `probe`.
    fn batch_size(&self) -> usize;

    /// Writes each item on its own condition in as few calls as the CMS allows, at most
    /// `batch_size` writes. The outer error means the call as a whole failed and nothing can
    /// be said about any item (each may or may not have been written); otherwise there is one
    /// result per write, in order, and a failed write says nothing about the others.
    fn write_batch(
        &self,
        writes: &[BatchWrite<'_>],
    ) -> impl Future<Output = Result<Vec<Result<WriteOutcome, ConnectorError>>, ConnectorError>> + Send;
}
