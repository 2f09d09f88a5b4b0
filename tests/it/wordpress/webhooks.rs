//! Webhooks from the companion plugin on a real WordPress reach the daemon, which re-fetches
//! the item; a tampered delivery is refused and leaves nothing behind.

use std::time::Duration;

use igny8::domain::site::PushPolicy;
use serde_json::json;
use sqlx::PgPool;

use super::site::WpSite;
use crate::support::{TestApp, eventually};

#[sqlx::test]
async fn signed_webhooks_arrive_and_a_tampered_one_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), "").await;
    let wp = WpSite::create().await;
    let secrets = tempfile::tempdir().unwrap();
    let account = app
        .store
        .create_account("Brew Guide", None)
        .await
        .unwrap()
        .id;
    let site = wp
        .register_with_files(
            &app.store,
            account,
            PushPolicy::Off,
            secrets.path(),
            "hook-secret",
        )
        .await;
    wp.enable_plugin(
        &app.url(&format!("/webhooks/wordpress/{}", site.id)),
        "hook-secret",
    )
    .await;

    let post = wp
        .create_item(
            "wp/v2/posts",
            json!({"title": "Pour-over at home", "status": "publish", "content": "<p>Bloom first.</p>"}),
        )
        .await;
    let id = post["id"].as_u64().unwrap().to_string();
    let title: String = eventually(
        Duration::from_secs(20),
        "the hinted post to be fetched",
        || {
            let pool = pool.clone();
            let id = id.clone();
            async move {
                sqlx::query_scalar("SELECT title FROM content WHERE external_id = $1")
                    .bind(id)
                    .fetch_optional(&pool)
                    .await
                    .unwrap()
            }
        },
    )
    .await;
    assert_eq!(title, "Pour-over at home");
    let (topic, external_id): (String, String) =
        sqlx::query_as("SELECT topic, external_id FROM webhook_deliveries WHERE site_id = $1")
            .bind(site.id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (topic.as_str(), external_id.as_str()),
        ("saved", id.as_str())
    );

    // A delivery signed with another secret, and a signed one whose body was changed.
    let body = format!(
        r#"{{"delivery_id":"forged-1","event":"saved","post_id":{id},"post_type":"post","modified_gmt":null}}"#
    );
    let ts = chrono::Utc::now().timestamp().to_string();
    let signature = |secret: &[u8], body: &str| {
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
        mac.update(format!("{ts}.{body}").as_bytes());
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    };
    let url = app.url(&format!("/webhooks/wordpress/{}", site.id));
    for (signed_with, sent) in [
        (signature(b"wrong-secret", &body), body.clone()),
        (
            signature(b"hook-secret", &body),
            body.replace(&id, "999999"),
        ),
    ] {
        let response = app
            .http
            .post(&url)
            .header("X-Igny8-Timestamp", &ts)
            .header("X-Igny8-Signature", signed_with)
            .header("X-Igny8-Delivery", "forged-1")
            .header("Content-Type", "application/json")
            .body(sent)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "invalid_signature");
    }
    let forged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM webhook_deliveries WHERE delivery_id = 'forged-1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(forged, 0);

    // The same genuine delivery twice is recorded once.
    let genuine = body.replace("forged-1", "replayed-1");
    for expected in ["queued", "duplicate"] {
        let response = app
            .http
            .post(&url)
            .header("X-Igny8-Timestamp", &ts)
            .header("X-Igny8-Signature", signature(b"hook-secret", &genuine))
            .header("X-Igny8-Delivery", "replayed-1")
            .body(genuine.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        let answer: serde_json::Value = response.json().await.unwrap();
        assert_eq!(answer["delivery"], expected);
    }
}
