//! Shopify webhooks through the daemon's HTTP server: a delivery signed with the site's
//! secret is recorded with its re-fetch queued (202), a replay of the same webhook id is a
//! duplicate, and a delivery with a bad signature is refused and leaves nothing behind.

use base64::Engine;
use hmac::{KeyInit, Mac};
use igny8::domain::site::SiteName;
use igny8::store::Store;
use serde_json::Value;
use sqlx::PgPool;

use super::fake_shop::TOKEN;
use crate::support::TestApp;

const SECRET: &str = "shopify-client-secret-for-tests";

fn sign(secret: &str, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[sqlx::test]
async fn signed_deliveries_are_recorded_once_and_bad_signatures_refused(pool: PgPool) {
    let account = Store::from_pool(pool.clone())
        .create_account("Brew", None)
        .await
        .unwrap()
        .id
        .get();
    let app = TestApp::spawn(
        pool.clone(),
        &format!(
            "[[sites]]\nname = \"store\"\naccount = {account}\nconnector = \"shopify\"\n\
             shop = \"brew-shop.myshopify.com\"\naccess_token = \"{TOKEN}\"\n\
             webhook_secret = \"{SECRET}\"\n"
        ),
    )
    .await;
    let site = app
        .store
        .sites_named(&SiteName::parse("store").unwrap())
        .await
        .unwrap()
        .remove(0);
    let url = app.url(&format!("/webhooks/shopify/{}", site.id));
    let send = |body: String, signature: String, webhook_id: &'static str, topic: &'static str| {
        app.http
            .post(&url)
            .header("X-Shopify-Hmac-Sha256", signature)
            .header("X-Shopify-Webhook-Id", webhook_id)
            .header("X-Shopify-Topic", topic)
            .header("X-Shopify-Shop-Domain", "brew-shop.myshopify.com")
            .header("X-Shopify-API-Version", "2025-10")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };

    let update = r#"{"id":632910392,"admin_graphql_api_id":"gid://shopify/Product/632910392","title":"IPod Nano - 8GB","updated_at":"2026-03-01T10:00:00-05:00"}"#;
    for expected in ["queued", "duplicate"] {
        let response = send(
            update.to_owned(),
            sign(SECRET, update),
            "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            "products/update",
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 202);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["delivery"], expected);
    }
    let delete = r#"{"id":632910392}"#;
    let response = send(
        delete.to_owned(),
        sign(SECRET, delete),
        "0e4f7bd0-1c34-4c5f-b0f3-3a1a4bd8f5d2",
        "products/delete",
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 202);

    let deliveries: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT delivery_id, topic, external_id FROM webhook_deliveries WHERE site_id = $1 \
         ORDER BY id",
    )
    .bind(site.id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        deliveries,
        [
            (
                "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043".to_owned(),
                "products/update".to_owned(),
                "gid://shopify/Product/632910392".to_owned()
            ),
            (
                "0e4f7bd0-1c34-4c5f-b0f3-3a1a4bd8f5d2".to_owned(),
                "products/delete".to_owned(),
                "gid://shopify/Product/632910392".to_owned()
            ),
        ]
    );
    let refetches: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'sync.refetch' \
         AND payload->>'external_id' = 'gid://shopify/Product/632910392'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(refetches >= 1, "a re-fetch was queued");

    // Signed with another secret, and a genuine signature over a changed body.
    let forged = r#"{"id":1,"updated_at":"2026-03-01T10:00:00Z"}"#;
    for (body, signature) in [
        (forged.to_owned(), sign("another-secret-entirely", forged)),
        (forged.replace("\"id\":1", "\"id\":2"), sign(SECRET, forged)),
    ] {
        let response = send(body, signature, "forged-1", "products/update")
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "invalid_signature");
    }
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM webhook_deliveries WHERE delivery_id = 'forged-1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored, 0);
}
