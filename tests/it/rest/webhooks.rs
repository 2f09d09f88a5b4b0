//! Webhooks of sites read through a REST definition, sent to the daemon's HTTP server as Ghost
//! and Strapi send them: a signed delivery is recorded once with its re-fetch queued, which the
//! daemon's workers run against the stand-in CMS; a bad signature is refused and leaves nothing
//! behind; a delete is a re-fetch that finds the item gone.

use std::time::Duration;

use hmac::{KeyInit, Mac};
use igny8::domain::site::SiteName;
use igny8::store::Store;
use serde_json::{Value, json};
use sqlx::PgPool;

use super::fake::{FakeCms, Flavour, GHOST_KEY_ID, GHOST_SECRET, STRAPI_TOKEN, repo};
use crate::support::{TestApp, eventually};

const SECRET: &str = "rest-webhook-secret-0123456789";

async fn spawn(pool: &PgPool, cms: &FakeCms, definition: &str, api_key: &str) -> (TestApp, i64) {
    let account = Store::from_pool(pool.clone())
        .create_account("rest hooks", None)
        .await
        .unwrap()
        .id
        .get();
    let app = TestApp::spawn(
        pool.clone(),
        &format!(
            "[connectors]\ndefinitions_dir = {:?}\n\
             [[sites]]\nname = \"cms\"\naccount = {account}\nconnector = \"rest\"\n\
             definition = \"{definition}\"\nbase_url = \"{}\"\napi_key = \"{api_key}\"\n\
             webhook_secret = \"{SECRET}\"\n",
            repo().join("connectors").display().to_string(),
            cms.server.uri()
        ),
    )
    .await;
    let site = app
        .store
        .sites_named(&SiteName::parse("cms").unwrap())
        .await
        .unwrap()
        .remove(0);
    (app, site.id.get())
}

/// `X-Ghost-Signature` as Ghost writes it: the hex HMAC-SHA256 of the body followed by the
/// timestamp in milliseconds.
fn ghost_signature(secret: &str, body: &str, timestamp: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    mac.update(timestamp.as_bytes());
    format!(
        "sha256={}, t={timestamp}",
        hex::encode(mac.finalize().into_bytes())
    )
}

async fn deliver(app: &TestApp, site: i64, headers: &[(&str, String)], body: &str) -> (u16, Value) {
    let mut request = app
        .http
        .post(app.url(&format!("/webhooks/rest/{site}")))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn deliveries(pool: &PgPool, site: i64) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT delivery_id, external_type, external_id FROM webhook_deliveries \
         WHERE site_id = $1 ORDER BY id",
    )
    .bind(site)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The item's sync status once it is stored with `wanted`.
async fn status_becomes(pool: &PgPool, external_id: &str, wanted: &'static str) {
    eventually(Duration::from_secs(20), wanted, || {
        let pool = pool.clone();
        let external_id = external_id.to_owned();
        async move {
            let status: Option<String> =
                sqlx::query_scalar("SELECT sync_status::text FROM content WHERE external_id = $1")
                    .bind(external_id)
                    .fetch_optional(&pool)
                    .await
                    .unwrap();
            (status.as_deref() == Some(wanted)).then_some(())
        }
    })
    .await;
}

#[sqlx::test]
async fn ghost_deliveries_are_verified_recorded_once_and_deletes_refetched(pool: PgPool) {
    let cms = FakeCms::start(Flavour::Ghost, FakeCms::items(Flavour::Ghost, 1)).await;
    // Two re-fetches (the edit, then the delete), each probing both streams and reading the
    // post: the first read finds it, the second is answered 404.
    cms.serve(2, 2).await;
    cms.serve_empty_pages(2).await;
    let (app, site) = spawn(
        &pool,
        &cms,
        "ghost",
        &format!("{GHOST_KEY_ID}:{GHOST_SECRET}"),
    )
    .await;
    let post = cms.item(&FakeCms::items(Flavour::Ghost, 1)[0].id);
    let updated_at = post.updated_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();

    // post.edited: `previous` holds only what changed, the id is in `current`.
    let edited = json!({"post": {
        "current": {"id": post.id, "title": post.title, "html": post.html,
                    "updated_at": updated_at},
        "previous": {"updated_at": "2025-12-01T00:00:00.000Z"}}})
    .to_string();
    let signed = ghost_signature(SECRET, &edited, "1767225600000");
    for expected in ["queued", "duplicate"] {
        let (status, answer) = deliver(
            &app,
            site,
            &[("X-Ghost-Signature", signed.clone())],
            &edited,
        )
        .await;
        assert_eq!((status, answer["delivery"].as_str()), (202, Some(expected)));
    }
    status_becomes(&pool, &post.id, "synced").await;

    // Signed with another secret, a genuine signature over a changed body, a timestamp
    // changed under the signature, no signature at all.
    let changed = edited.replace(&post.id, "65a0000000000000000000ff");
    for (body, signature) in [
        (
            edited.clone(),
            Some(ghost_signature("another-secret", &edited, "1767225600000")),
        ),
        (changed.clone(), Some(signed.clone())),
        (
            edited.clone(),
            Some(signed.replace("t=1767225600000", "t=1767225600001")),
        ),
        (changed.clone(), None),
    ] {
        let headers: Vec<(&str, String)> = signature
            .into_iter()
            .map(|value| ("X-Ghost-Signature", value))
            .collect();
        let (status, answer) = deliver(&app, site, &headers, &body).await;
        assert_eq!(status, 401, "{answer}");
        assert_eq!(answer["error"]["code"], "invalid_signature");
    }
    let recorded = deliveries(&pool, site).await;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(
        (recorded[0].1.as_str(), recorded[0].2.as_str()),
        ("post", post.id.as_str())
    );
    assert!(recorded[0].0.starts_with("sha256:"), "{recorded:?}");

    // post.deleted: `current` is empty, the id is in `previous`; the re-fetch finds it gone.
    cms.items.lock().unwrap().clear();
    let deleted = json!({"post": {"current": {},
        "previous": {"id": post.id, "title": post.title, "updated_at": updated_at}}})
    .to_string();
    let (status, answer) = deliver(
        &app,
        site,
        &[(
            "X-Ghost-Signature",
            ghost_signature(SECRET, &deleted, "1767225660000"),
        )],
        &deleted,
    )
    .await;
    assert_eq!((status, answer["delivery"].as_str()), (202, Some("queued")));
    status_becomes(&pool, &post.id, "deleted_remote").await;

    // A member event matches no stream: acknowledged, not recorded.
    let member = r#"{"member":{"current":{"id":"m1","email":"a@example.com"},"previous":{}}}"#;
    let (status, answer) = deliver(
        &app,
        site,
        &[(
            "X-Ghost-Signature",
            ghost_signature(SECRET, member, "1767225700000"),
        )],
        member,
    )
    .await;
    assert_eq!(
        (status, answer["delivery"].as_str()),
        (202, Some("not_synced"))
    );
    assert_eq!(deliveries(&pool, site).await.len(), 2);
    cms.server.verify().await;
}

#[sqlx::test]
async fn strapi_deliveries_carry_the_shared_secret(pool: PgPool) {
    let cms = FakeCms::start(Flavour::Strapi, FakeCms::items(Flavour::Strapi, 1)).await;
    // One re-fetch: the probe lists the articles once, then the entry is read.
    cms.serve(1, 1).await;
    let (app, site) = spawn(&pool, &cms, "strapi", STRAPI_TOKEN).await;
    let entry = FakeCms::items(Flavour::Strapi, 1).remove(0);
    let body = json!({
        "event": "entry.update", "createdAt": "2026-01-01T00:00:05.000Z", "model": "article",
        "uid": "api::article.article",
        "entry": {"id": 1, "documentId": entry.id, "title": entry.title,
                  "updatedAt": entry.updated_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()}})
    .to_string();

    for wrong in [Some(format!("{SECRET}x")), Some("Bearer".to_owned()), None] {
        let headers: Vec<(&str, String)> = wrong
            .into_iter()
            .map(|value| ("Authorization", value))
            .collect();
        let (status, answer) = deliver(&app, site, &headers, &body).await;
        assert_eq!(status, 401, "{answer}");
        assert_eq!(answer["error"]["code"], "invalid_signature");
    }
    assert!(deliveries(&pool, site).await.is_empty());

    let authorized = [("Authorization", SECRET.to_owned())];
    let (status, answer) = deliver(&app, site, &authorized, &body).await;
    assert_eq!((status, answer["delivery"].as_str()), (202, Some("queued")));
    status_becomes(&pool, &entry.id, "synced").await;
    let recorded = deliveries(&pool, site).await;
    assert_eq!(
        recorded
            .iter()
            .map(|(_, kind, id)| (kind.as_str(), id.as_str()))
            .collect::<Vec<_>>(),
        [("article", entry.id.as_str())]
    );
    let topic: String =
        sqlx::query_scalar("SELECT topic FROM webhook_deliveries WHERE site_id = $1")
            .bind(site)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(topic, "entry.update");

    // Another content type, and media, are not synced by this definition.
    let category = body.replace(r#""model":"article""#, r#""model":"category""#);
    let media = r#"{"event":"media.create","createdAt":"2026-01-01T00:00:06.000Z","media":{"id":3,"name":"cup.jpg"}}"#;
    for other in [category.as_str(), media] {
        let (status, answer) = deliver(&app, site, &authorized, other).await;
        assert_eq!(
            (status, answer["delivery"].as_str()),
            (202, Some("not_synced"))
        );
    }
    // An article delivery without the entry's id is malformed.
    let no_id = body.replace(&format!(r#""documentId":"{}","#, entry.id), "");
    let (status, answer) = deliver(&app, site, &authorized, &no_id).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_delivery");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/entry/documentId"),
        "{answer}"
    );
    assert_eq!(deliveries(&pool, site).await.len(), 1);
    cms.server.verify().await;
}
