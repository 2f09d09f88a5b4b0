//! The Shopify connector against the stand-in shop: cursor paging in updatedAt order, the
//! cost bucket waiting out a THROTTLED answer, userErrors surfaced with Shopify's message,
//! and a write refused before it is sent when the item changed.

use std::sync::Arc;
use std::time::Duration;

use igny8::connector::ConnectorError;
use igny8::connector::http::HttpClient;
use igny8::connector::remote::{Connector, Patch, WriteOutcome};
use igny8::connector::shopify::{Shopify, ShopifySite};
use igny8::connector::wordpress::api::AppPassword;
use igny8::domain::site::ShopifyApiVersion;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::fake_shop::{ENDPOINT, FakeShop, TOKEN, VERSION, answer, operation};

pub fn connector(shop: &FakeShop) -> Shopify {
    let http = Arc::new(HttpClient::new(&Default::default()).unwrap());
    Shopify::new(
        http,
        ShopifySite {
            key: "test:shop".to_owned(),
            admin_base: shop.uri(),
            api_version: ShopifyApiVersion::parse(VERSION).unwrap(),
            access_token: AppPassword::new(TOKEN),
            bulk: None,
        },
    )
}

async fn bodies(shop: &FakeShop, operation_name: &str) -> Vec<Value> {
    shop.server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .filter(|b| b["operationName"] == operation_name)
        .collect()
}

#[tokio::test]
async fn products_are_read_page_by_page_in_updated_order_by_cursor() {
    let shop = FakeShop::start(10).await;
    let seeded = shop.seed("Product", 25);
    shop.serve("Products", 3).await;
    let connector = connector(&shop);
    let stream = &connector.streams()[0];
    assert_eq!(stream.external_type, "product");

    let mut position = connector.start(stream, None);
    let mut sizes = Vec::new();
    let mut ids = Vec::new();
    while let Some(window) = connector.next_window(&mut position).await.unwrap() {
        sizes.push(window.items.len());
        ids.extend(window.items.into_iter().map(|i| i.external_id));
    }
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(ids, seeded.iter().map(|i| i.gid()).collect::<Vec<_>>());

    let sent = bodies(&shop, "Products").await;
    let query = sent[0]["query"].as_str().unwrap();
    assert!(query.contains("sortKey: UPDATED_AT"), "{query}");
    assert!(
        query.contains("pageInfo { hasNextPage endCursor }"),
        "{query}"
    );
    assert_eq!(sent[0]["variables"]["after"], Value::Null);
    assert_eq!(sent[0]["variables"]["query"], Value::Null);
    // Each later page continues from the one before's endCursor.
    let last_of_first = &seeded[9];
    assert_eq!(
        sent[1]["variables"]["after"],
        json!(format!(
            "{}|{}",
            last_of_first.updated_at.timestamp(),
            last_of_first.id
        ))
    );
}

#[tokio::test]
async fn an_incremental_read_filters_on_updated_at_from_the_cursor() {
    let shop = FakeShop::start(50).await;
    let seeded = shop.seed("Page", 6);
    shop.serve("Pages", 1).await;
    let connector = connector(&shop);
    let pages = connector
        .streams()
        .into_iter()
        .find(|s| s.external_type == "page")
        .unwrap();
    let since = seeded[3].updated_at;
    let mut position = connector.start(&pages, Some(since));
    let window = connector.next_window(&mut position).await.unwrap().unwrap();
    assert_eq!(
        window
            .items
            .iter()
            .map(|i| i.external_id.clone())
            .collect::<Vec<_>>(),
        seeded[3..].iter().map(|i| i.gid()).collect::<Vec<_>>()
    );
    assert!(
        connector
            .next_window(&mut position)
            .await
            .unwrap()
            .is_none()
    );
    let sent = bodies(&shop, "Pages").await;
    assert_eq!(
        sent[0]["variables"]["query"],
        json!(format!(
            "updated_at:>='{}'",
            since.format("%Y-%m-%dT%H:%M:%SZ")
        ))
    );
}

#[tokio::test]
async fn a_throttled_query_waits_for_the_refill_the_bucket_computes_then_succeeds() {
    let shop = FakeShop::start(50).await;
    shop.seed("Product", 3);
    // Shopify's documented THROTTLED answer: no data, the cost it wanted, the bucket's state.
    operation("Products")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
            "extensions": {"cost": {"requestedQueryCost": 112, "actualQueryCost": null,
                "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 12,
                    "restoreRate": 500.0}}}
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&shop.server)
        .await;
    shop.serve("Products", 1).await;
    let connector = connector(&shop);
    let mut position = connector.start(&connector.streams()[0], None);
    let window = connector.next_window(&mut position).await.unwrap().unwrap();
    assert_eq!(window.items.len(), 3);

    assert_eq!(connector.api().throttled(), 1);
    let bucket = connector.api().bucket().snapshot().unwrap();
    // 112 wanted, 12 available: 100 points at 500 a second is 200 ms, less what refilled
    // between the answer and the reservation.
    assert!(
        bucket.last_wait <= Duration::from_millis(200)
            && bucket.last_wait >= Duration::from_millis(150),
        "{bucket:?}"
    );
    assert_eq!(
        bucket.total_wait, bucket.last_wait,
        "the first query did not wait"
    );
    // The success reported the bucket again.
    assert_eq!(bucket.maximum, 2000.0);
    assert_eq!(bucket.restore_rate, 100.0);
}

#[tokio::test]
async fn user_errors_on_an_update_fail_the_write_with_shopifys_message() {
    let shop = FakeShop::start(50).await;
    let product = shop.seed("Product", 1).remove(0);
    shop.serve("CurrentVersion", 1).await;
    operation("ProductUpdate")
        .respond_with(answer(json!({"productUpdate": {"product": null, "userErrors": [
            {"field": ["descriptionHtml"], "message": "Description is too long (maximum is 512000 characters)"}
        ]}})))
        .expect(1)
        .mount(&shop.server)
        .await;
    let connector = connector(&shop);
    let patch = Patch {
        content: Some("<p>New</p>".to_owned()),
        ..Patch::default()
    };
    let err = connector
        .write("product", &product.gid(), &patch, product.updated_at)
        .await
        .unwrap_err();
    match err {
        ConnectorError::Permanent(message) => assert!(
            message.contains(
                "descriptionHtml: Description is too long (maximum is 512000 characters)"
            ),
            "{message}"
        ),
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_write_to_an_item_changed_in_the_shop_sends_nothing() {
    let shop = FakeShop::start(50).await;
    let article = shop.seed("Article", 1).remove(0);
    shop.serve("Nodes", 1).await;
    shop.serve("CurrentVersion", 1).await;
    shop.serve("ArticleUpdate", 0).await;
    let connector = connector(&shop);
    let fetched = connector
        .fetch("article", &[article.gid()])
        .await
        .unwrap()
        .remove(0);
    shop.edit(&article.gid(), "<p>The merchant's edit.</p>");

    let patch = Patch {
        content: Some("<p>Ours.</p>".to_owned()),
        ..Patch::default()
    };
    let outcome = connector
        .write("article", &article.gid(), &patch, fetched.remote_modified)
        .await
        .unwrap();
    let edited = shop.item(&article.gid());
    assert_eq!(
        outcome,
        WriteOutcome::PreconditionFailed {
            current_modified: Some(edited.updated_at)
        }
    );
    assert_eq!(edited.body, "<p>The merchant's edit.</p>");
}

#[tokio::test]
async fn a_refused_token_is_an_auth_error() {
    let shop = FakeShop::start(50).await;
    wiremock::Mock::given(wiremock::matchers::path(ENDPOINT))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        })))
        .expect(1)
        .mount(&shop.server)
        .await;
    let err = connector(&shop).probe().await.unwrap_err();
    assert!(matches!(err, ConnectorError::Auth(_)), "{err:?}");
}
