//! The compliance suite over the Shopify connector, with the stand-in shop of the Shopify
//! tests (Shopify's documented GraphQL shapes) holding products, the connector's first stream.

use igny8::connector::shopify::Shopify;
use serde_json::json;
use wiremock::ResponseTemplate;
use wiremock::matchers::{method, path};

use super::{ConnectorFixture, Seeded};
use crate::shopify::connector;
use crate::shopify::fake_shop::{ENDPOINT, FakeShop, operation};

pub struct ShopifyFixture {
    shop: FakeShop,
}

impl ConnectorFixture for ShopifyFixture {
    type Connector = Shopify;

    /// Which checks use the fixture decides how many calls each operation gets, so each is
    /// bounded by the most any check makes.
    async fn with_items(count: usize, page_size: usize) -> (Self, Shopify, Vec<Seeded>) {
        let shop = FakeShop::start(page_size).await;
        let seeded = shop
            .seed("Product", count)
            .into_iter()
            .map(|item| Seeded {
                external_type: "product".to_owned(),
                external_id: item.gid(),
            })
            .collect();
        let pages = count.div_ceil(page_size) as u64;
        shop.serve("Shop", 1).await;
        shop.serve_range("Products", 0..=pages).await;
        shop.serve_range("Nodes", 0..=1).await;
        shop.serve_range("CurrentVersion", 0..=2).await;
        shop.serve_range("ProductUpdate", 0..=1).await;
        let connector = connector(&shop);
        (ShopifyFixture { shop }, connector, seeded)
    }

    async fn rate_limited_once() -> Option<(Self, Shopify)> {
        let shop = FakeShop::start(50).await;
        shop.seed("Product", 3);
        shop.serve("Shop", 1).await;
        operation("Products")
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
            .up_to_n_times(1)
            .with_priority(1)
            .expect(1)
            .mount(&shop.server)
            .await;
        shop.serve("Products", 1).await;
        let connector = connector(&shop);
        Some((ShopifyFixture { shop }, connector))
    }

    async fn unauthorized() -> Option<(Self, Shopify)> {
        let shop = FakeShop::start(50).await;
        // The probe, the first window and the write's re-read.
        wiremock::Mock::given(method("POST"))
            .and(path(ENDPOINT))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({
                "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
            })))
            .expect(3)
            .mount(&shop.server)
            .await;
        let connector = connector(&shop);
        Some((ShopifyFixture { shop }, connector))
    }

    async fn edit_remotely(&self, item: &Seeded, body: &str) {
        self.shop.edit(&item.external_id, body);
    }

    async fn body(&self, item: &Seeded) -> String {
        self.shop.item(&item.external_id).body
    }
}

#[tokio::test]
async fn pagination() {
    super::pagination::<ShopifyFixture>().await;
}

#[tokio::test]
async fn rate_limited() {
    super::rate_limited::<ShopifyFixture>().await;
}

#[tokio::test]
async fn unauthorized() {
    super::unauthorized::<ShopifyFixture>().await;
}

#[tokio::test]
async fn push_is_idempotent() {
    super::push_is_idempotent::<ShopifyFixture>().await;
}

#[tokio::test]
async fn conflict_writes_nothing() {
    super::conflict_writes_nothing::<ShopifyFixture>().await;
}
