//! The compliance suite over the REST connector with the shipped Ghost definition, against a
//! stand-in following Ghost's Admin API.

use igny8::connector::rest::Rest;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

use super::{ConnectorFixture, Seeded};
use crate::rest::fake::{FakeCms, Flavour};

pub struct GhostFixture(FakeCms);

pub(crate) async fn fixture_with(
    flavour: Flavour,
    count: usize,
    page_size: usize,
) -> (FakeCms, Rest, Vec<Seeded>) {
    let mut cms = FakeCms::start(flavour, FakeCms::items(flavour, count)).await;
    cms.max_page = page_size;
    // A check reads the list whole or not at all; each window after the first starts again
    // at the last second read, so it brings `page_size - 1` new items.
    let mut lists = 1;
    let mut remaining = count;
    while remaining > page_size {
        remaining -= page_size - 1;
        lists += 1;
    }
    // The probe lists the stream once more.
    cms.serve(0..=lists + 1, 0..).await;
    cms.serve_empty_pages(0..=1).await;
    let connector = cms.connector();
    let external_type = match flavour {
        Flavour::Ghost => "post",
        Flavour::Strapi => "article",
    };
    let seeded = cms
        .items
        .lock()
        .unwrap()
        .iter()
        .map(|item| Seeded {
            external_type: external_type.to_owned(),
            external_id: item.id.clone(),
        })
        .collect();
    (cms, connector, seeded)
}

pub(crate) async fn rate_limited_with(flavour: Flavour) -> (FakeCms, Rest) {
    let cms = FakeCms::start(flavour, FakeCms::items(flavour, 3)).await;
    Mock::given(method("GET"))
        .and(path_regex(cms.list_path()))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&cms.server)
        .await;
    // Answered normally: the probe's retry after the 429, then the read.
    cms.serve(2, 0..).await;
    cms.serve_empty_pages(1).await;
    let connector = cms.connector();
    (cms, connector)
}

pub(crate) async fn unauthorized_with(flavour: Flavour) -> (FakeCms, Rest) {
    let cms = FakeCms::start(flavour, FakeCms::items(flavour, 1)).await;
    // The stand-in refuses credentials other than its own; these requests carry none it knows.
    Mock::given(method("GET"))
        .and(path_regex(cms.list_path()))
        .respond_with(cms.answers())
        .expect(2)
        .mount(&cms.server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(cms.item_path()))
        .respond_with(cms.answers())
        .expect(0..=1)
        .mount(&cms.server)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(cms.item_path()))
        .respond_with(cms.answers())
        .expect(0..=1)
        .mount(&cms.server)
        .await;
    let connector = cms.connector_with_key(match flavour {
        Flavour::Ghost => "6489d1c5f0e7a1000140fa1b:00ff00ff00ff00ff00ff00ff00ff00ff",
        Flavour::Strapi => "revoked-token",
    });
    (cms, connector)
}

impl ConnectorFixture for GhostFixture {
    type Connector = Rest;

    async fn with_items(count: usize, page_size: usize) -> (Self, Rest, Vec<Seeded>) {
        let (cms, connector, seeded) = fixture_with(Flavour::Ghost, count, page_size).await;
        (GhostFixture(cms), connector, seeded)
    }

    /// Ghost answers over HTTP.
    async fn rate_limited_once() -> Option<(Self, Rest)> {
        let (cms, connector) = rate_limited_with(Flavour::Ghost).await;
        Some((GhostFixture(cms), connector))
    }

    /// Ghost's Admin API always authenticates.
    async fn unauthorized() -> Option<(Self, Rest)> {
        let (cms, connector) = unauthorized_with(Flavour::Ghost).await;
        Some((GhostFixture(cms), connector))
    }

    async fn edit_remotely(&self, item: &Seeded, body: &str) {
        self.0.edit(&item.external_id, body);
    }

    async fn body(&self, item: &Seeded) -> String {
        self.0.item(&item.external_id).html
    }
}

#[tokio::test]
async fn pagination() {
    super::pagination::<GhostFixture>().await;
}

#[tokio::test]
async fn rate_limited() {
    super::rate_limited::<GhostFixture>().await;
}

#[tokio::test]
async fn unauthorized() {
    super::unauthorized::<GhostFixture>().await;
}

#[tokio::test]
async fn push_is_idempotent() {
    super::push_is_idempotent::<GhostFixture>().await;
}

#[tokio::test]
async fn conflict_writes_nothing() {
    super::conflict_writes_nothing::<GhostFixture>().await;
}
