//! The compliance suite over the REST connector with the shipped Strapi definition, against a
//! stand-in following Strapi 5's REST API.

use igny8::connector::rest::Rest;

use super::ghost::{fixture_with, rate_limited_with, unauthorized_with};
use super::{ConnectorFixture, Seeded};
use crate::rest::fake::{FakeCms, Flavour};

pub struct StrapiFixture(FakeCms);

impl ConnectorFixture for StrapiFixture {
    type Connector = Rest;

    async fn with_items(count: usize, page_size: usize) -> (Self, Rest, Vec<Seeded>) {
        let (cms, connector, seeded) = fixture_with(Flavour::Strapi, count, page_size).await;
        (StrapiFixture(cms), connector, seeded)
    }

    /// Strapi answers over HTTP.
    async fn rate_limited_once() -> Option<(Self, Rest)> {
        let (cms, connector) = rate_limited_with(Flavour::Strapi).await;
        Some((StrapiFixture(cms), connector))
    }

    /// Strapi's REST API is read with an API token.
    async fn unauthorized() -> Option<(Self, Rest)> {
        let (cms, connector) = unauthorized_with(Flavour::Strapi).await;
        Some((StrapiFixture(cms), connector))
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
    super::pagination::<StrapiFixture>().await;
}

#[tokio::test]
async fn rate_limited() {
    super::rate_limited::<StrapiFixture>().await;
}

#[tokio::test]
async fn unauthorized() {
    super::unauthorized::<StrapiFixture>().await;
}

#[tokio::test]
async fn push_is_idempotent() {
    super::push_is_idempotent::<StrapiFixture>().await;
}

#[tokio::test]
async fn conflict_writes_nothing() {
    super::conflict_writes_nothing::<StrapiFixture>().await;
}
