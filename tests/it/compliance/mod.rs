//! One compliance suite over every connector: each kind of CMS gets a fixture (a stand-in
//! following the CMS's documented API, or a temporary folder) and runs the same checks of the
//! `Connector` contract: paging, rate limits, refused credentials, idempotent and conditional
//! writes.

mod files;
mod ghost;
mod shopify;
mod strapi;
mod wordpress;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use igny8::connector::ConnectorError;
use igny8::connector::remote::{Connector, Cursor, Patch, RemoteItem, WriteOutcome};

/// One item of the checked stream, as the stand-in CMS holds it.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub external_type: String,
    pub external_id: String,
}

/// A stand-in for one kind of CMS (wiremock following the documented API, or a temporary
/// folder), arranged for one check, with the connector pointed at it.
pub trait ConnectorFixture: Sized {
    type Connector: Connector;
    /// `count` items in the connector's first stream (`streams()[0]`), the stand-in answering
    /// at most `page_size` items per list response in the CMS's own paging style. Returns the
    /// seeded items in the order they were created.
    async fn with_items(count: usize, page_size: usize) -> (Self, Self::Connector, Vec<Seeded>);
    /// Three items; the first list request is answered 429 with `Retry-After: 1`, later ones
    /// normally. `None` only for a connector that makes no HTTP requests.
    async fn rate_limited_once() -> Option<(Self, Self::Connector)>;
    /// Every request refused as unauthenticated (401). `None` only for a connector without
    /// credentials.
    async fn unauthorized() -> Option<(Self, Self::Connector)>;
    /// Changes the item in the stand-in as a person editing it in the CMS would (a new body
    /// and a later modified time).
    async fn edit_remotely(&self, item: &Seeded, body: &str);
    /// The item's body as the stand-in holds it now.
    async fn body(&self, item: &Seeded) -> String;
}

/// Whether `C` is a connector that makes no HTTP requests and holds no credentials (the
/// folder connector), the only kind whose fixture may answer `None` to the HTTP checks.
fn without_http<C: Connector>() -> bool {
    std::any::type_name::<C>() == std::any::type_name::<igny8::connector::folder::Folder>()
}

/// Every window of the first stream from the beginning, after the probe.
async fn read_first_stream<C: Connector>(connector: &C) -> Vec<Vec<RemoteItem>> {
    connector.probe().await.expect("the probe succeeds");
    let stream = connector.streams().remove(0);
    let mut position = connector.start(&stream, None);
    let mut windows = Vec::new();
    while let Some(window) = connector
        .next_window(&mut position)
        .await
        .expect("a window reads")
    {
        assert!(!window.items.is_empty(), "a window is never empty");
        windows.push(window.items);
    }
    windows
}

fn key(item: &RemoteItem) -> Cursor {
    Cursor {
        modified: item.remote_modified,
        external_id: item.external_id.clone(),
    }
}

/// The windows deliver every item in ascending (modified, id) order. A window may start again
/// at the modified time its predecessor ended with (a CMS that filters by whole seconds re-reads
/// that second, and the upsert ignores what is not newer), so an item may come twice, but only
/// as the same version and only from that overlap; anything older than the last window's
/// cursor, or a second version of an item, is a fault.
fn assert_ascending_without_gaps(windows: &[Vec<RemoteItem>], seeded: &[Seeded]) {
    let mut versions: HashMap<&str, DateTime<Utc>> = HashMap::new();
    let mut last: Option<Cursor> = None;
    for (number, window) in windows.iter().enumerate() {
        for pair in window.windows(2) {
            assert!(
                key(&pair[0]) <= key(&pair[1]),
                "window {number} is out of (modified, id) order: {:?} before {:?}",
                key(&pair[0]),
                key(&pair[1])
            );
        }
        for item in window {
            if let Some(cursor) = &last
                && key(item) <= *cursor
            {
                assert!(
                    item.remote_modified == cursor.modified,
                    "window {number} goes back before the previous window's second: {:?} after {cursor:?}",
                    key(item)
                );
                assert_eq!(
                    versions.get(item.external_id.as_str()),
                    Some(&item.remote_modified),
                    "window {number} repeats the cursor's second with an item not read before: {:?}",
                    key(item)
                );
            }
            if let Some(seen) = versions.insert(&item.external_id, item.remote_modified) {
                assert_eq!(
                    seen, item.remote_modified,
                    "item {} came in two versions",
                    item.external_id
                );
            }
        }
        last = window.iter().map(key).max().max(last);
    }
    let read: HashSet<&str> = versions.keys().copied().collect();
    let expected: HashSet<&str> = seeded.iter().map(|s| s.external_id.as_str()).collect();
    assert_eq!(
        expected.len(),
        seeded.len(),
        "the fixture seeded distinct ids"
    );
    assert_eq!(read, expected, "the stream yields exactly the seeded items");
}

/// 25 items over pages of 10: every one is read, once per version, in order.
pub async fn pagination<F: ConnectorFixture>() {
    let (_fixture, connector, seeded) = F::with_items(25, 10).await;
    assert_eq!(seeded.len(), 25);
    let stream = connector.streams().remove(0);
    assert!(
        seeded
            .iter()
            .all(|s| s.external_type == stream.external_type),
        "the seeded items belong to the first stream"
    );
    let windows = read_first_stream(&connector).await;
    assert!(
        windows.len() >= 3,
        "25 items at 10 per answer take at least three windows, got {}",
        windows.len()
    );
    assert_ascending_without_gaps(&windows, &seeded);
}

/// A 429 with Retry-After is waited out and the read completes.
pub async fn rate_limited<F: ConnectorFixture>() {
    let Some((_fixture, connector)) = F::rate_limited_once().await else {
        assert!(
            without_http::<F::Connector>(),
            "{} talks to a CMS over HTTP and must be checked against a 429",
            std::any::type_name::<F::Connector>()
        );
        return;
    };
    let read: HashSet<String> = read_first_stream(&connector)
        .await
        .into_iter()
        .flatten()
        .map(|item| item.external_id)
        .collect();
    assert_eq!(read.len(), 3, "all three items arrive after the 429");
}

/// Refused credentials are an auth failure, for reads and writes alike, so the job stops and
/// asks for a person instead of retrying.
pub async fn unauthorized<F: ConnectorFixture>() {
    let Some((_fixture, connector)) = F::unauthorized().await else {
        assert!(
            without_http::<F::Connector>(),
            "{} has credentials and must be checked with refused ones",
            std::any::type_name::<F::Connector>()
        );
        return;
    };
    // A CMS may answer its public index to anyone; nothing else.
    match connector.probe().await {
        Ok(_) | Err(ConnectorError::Auth(_)) => {}
        Err(other) => panic!("the probe failed other than as auth: {other:?}"),
    }
    let stream = connector.streams().remove(0);
    let mut position = connector.start(&stream, None);
    let read = connector.next_window(&mut position).await;
    assert!(
        matches!(read, Err(ConnectorError::Auth(_))),
        "the first window is an auth failure, got {read:?}"
    );
    let patch = Patch {
        content: Some("<p>Never written.</p>".to_owned()),
        ..Patch::default()
    };
    let written = connector
        .write(&stream.external_type, "1", &patch, Utc::now())
        .await;
    assert!(
        matches!(written, Err(ConnectorError::Auth(_))),
        "a write is an auth failure, got {written:?}"
    );
}

/// The item as the connector reads it now, by id.
async fn fetch_one<C: Connector>(connector: &C, item: &Seeded) -> RemoteItem {
    let mut found = connector
        .fetch(&item.external_type, std::slice::from_ref(&item.external_id))
        .await
        .expect("the fetch succeeds");
    assert_eq!(found.len(), 1, "the fetch finds the item");
    found.remove(0)
}

async fn one_item<F: ConnectorFixture>() -> (F, F::Connector, Seeded, RemoteItem) {
    let (fixture, connector, mut seeded) = F::with_items(1, 10).await;
    connector.probe().await.expect("the probe succeeds");
    let item = seeded.remove(0);
    let fetched = fetch_one(&connector, &item).await;
    (fixture, connector, item, fetched)
}

fn content_patch(body: &str) -> Patch {
    Patch {
        content: Some(body.to_owned()),
        ..Patch::default()
    }
}

/// A write lands once: replaying it with the same expectation is refused and changes nothing.
pub async fn push_is_idempotent<F: ConnectorFixture>() {
    let (fixture, connector, item, fetched) = one_item::<F>().await;
    let new_body = "<p>Written by the push.</p>";
    let patch = content_patch(new_body);
    let first = connector
        .write(
            &item.external_type,
            &item.external_id,
            &patch,
            fetched.remote_modified,
        )
        .await
        .expect("the write succeeds");
    let WriteOutcome::Written(receipt) = first else {
        panic!("the first write lands, got {first:?}");
    };
    assert_eq!(receipt.external_id, item.external_id);
    assert!(
        receipt.remote_modified >= fetched.remote_modified,
        "the receipt is the version after the write"
    );
    let written = fixture.body(&item).await;
    assert!(
        written.contains("Written by the push."),
        "the stand-in holds the new body: {written:?}"
    );
    let replay = connector
        .write(
            &item.external_type,
            &item.external_id,
            &patch,
            fetched.remote_modified,
        )
        .await
        .expect("the replay is answered");
    assert!(
        matches!(replay, WriteOutcome::PreconditionFailed { .. }),
        "the replay is refused by its precondition, got {replay:?}"
    );
    assert_eq!(
        fixture.body(&item).await,
        written,
        "the replay changed nothing"
    );
}

/// An edit made in the CMS after our read is never overwritten.
pub async fn conflict_writes_nothing<F: ConnectorFixture>() {
    let (fixture, connector, item, fetched) = one_item::<F>().await;
    let remote_edit = "<p>Edited by a person in the CMS.</p>";
    fixture.edit_remotely(&item, remote_edit).await;
    let outcome = connector
        .write(
            &item.external_type,
            &item.external_id,
            &content_patch("<p>Our stale change.</p>"),
            fetched.remote_modified,
        )
        .await
        .expect("the write is answered");
    assert!(
        matches!(outcome, WriteOutcome::PreconditionFailed { .. }),
        "the write over a remote edit is refused, got {outcome:?}"
    );
    let body = fixture.body(&item).await;
    assert!(
        body.contains("Edited by a person in the CMS.") && !body.contains("stale change"),
        "the remote edit survives: {body:?}"
    );
}
