//! One suite over every connector: each connector's fixture arranges a stand-in CMS, and the
//! generic checks here hold every connector to the same behaviour.

mod ghost;
mod strapi;

use chrono::{DateTime, Utc};
use igny8::connector::ConnectorError;
use igny8::connector::remote::{Connector, Patch, WriteOutcome};

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

async fn read_all<C: Connector>(
    connector: &C,
) -> Result<Vec<(DateTime<Utc>, String)>, ConnectorError> {
    let stream = connector.streams().remove(0);
    let mut position = connector.start(&stream, None);
    let mut read = Vec::new();
    while let Some(window) = connector.next_window(&mut position).await? {
        read.extend(
            window
                .items
                .into_iter()
                .map(|item| (item.remote_modified, item.external_id)),
        );
    }
    Ok(read)
}

pub async fn pagination<F: ConnectorFixture>() {
    let (_fixture, connector, seeded) = F::with_items(25, 10).await;
    let read = read_all(&connector).await.unwrap();
    let mut ids: Vec<&str> = read.iter().map(|(_, id)| id.as_str()).collect();
    assert!(read.windows(2).all(|pair| pair[0] <= pair[1]), "{read:?}");
    ids.sort_unstable();
    let mut expected: Vec<&str> = seeded
        .iter()
        .map(|item| item.external_id.as_str())
        .collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);
}

pub async fn rate_limited<F: ConnectorFixture>() {
    let (_fixture, connector) = F::rate_limited_once().await.expect("an HTTP connector");
    assert_eq!(read_all(&connector).await.unwrap().len(), 3);
}

pub async fn unauthorized<F: ConnectorFixture>() {
    let (_fixture, connector) = F::unauthorized()
        .await
        .expect("a connector with credentials");
    let stream = connector.streams().remove(0);
    let mut position = connector.start(&stream, None);
    assert!(matches!(
        connector.next_window(&mut position).await,
        Err(ConnectorError::Auth(_))
    ));
    let patch = Patch {
        content: Some("<p>x</p>".to_owned()),
        ..Patch::default()
    };
    assert!(matches!(
        connector
            .write(&stream.external_type, "1", &patch, Utc::now())
            .await,
        Err(ConnectorError::Auth(_))
    ));
}

async fn one<F: ConnectorFixture>() -> (F, F::Connector, Seeded, DateTime<Utc>) {
    let (fixture, connector, mut seeded) = F::with_items(1, 10).await;
    let item = seeded.remove(0);
    let fetched = connector
        .fetch(&item.external_type, std::slice::from_ref(&item.external_id))
        .await
        .unwrap();
    let modified = fetched[0].remote_modified;
    (fixture, connector, item, modified)
}

pub async fn push_is_idempotent<F: ConnectorFixture>() {
    let (fixture, connector, item, modified) = one::<F>().await;
    let patch = Patch {
        content: Some("<p>Linked body</p>".to_owned()),
        ..Patch::default()
    };
    let outcome = connector
        .write(&item.external_type, &item.external_id, &patch, modified)
        .await
        .unwrap();
    assert!(matches!(outcome, WriteOutcome::Written(_)), "{outcome:?}");
    assert_eq!(fixture.body(&item).await, "<p>Linked body</p>");
    let replay = connector
        .write(&item.external_type, &item.external_id, &patch, modified)
        .await
        .unwrap();
    assert!(
        matches!(replay, WriteOutcome::PreconditionFailed { .. }),
        "{replay:?}"
    );
    assert_eq!(fixture.body(&item).await, "<p>Linked body</p>");
}

pub async fn conflict_writes_nothing<F: ConnectorFixture>() {
    let (fixture, connector, item, modified) = one::<F>().await;
    fixture
        .edit_remotely(&item, "<p>Edited in the CMS</p>")
        .await;
    let patch = Patch {
        content: Some("<p>Ours</p>".to_owned()),
        ..Patch::default()
    };
    let outcome = connector
        .write(&item.external_type, &item.external_id, &patch, modified)
        .await
        .unwrap();
    assert!(
        matches!(outcome, WriteOutcome::PreconditionFailed { .. }),
        "{outcome:?}"
    );
    assert_eq!(fixture.body(&item).await, "<p>Edited in the CMS</p>");
}
