//! `site check` against a real WordPress, and against answers only a mock can give (a host
//! that strips the Authorization header).

use std::sync::Arc;

use igny8::connector::http::{HttpClient, LimitKey};
use igny8::connector::wordpress::api::{AppPassword, Credentials, WpApi};
use igny8::connector::wordpress::check::diagnose;
use igny8::settings::ConnectorSettings;
use serde_json::json;
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::site::WpSite;

fn api(base: &Url, credentials: Option<(&str, &str)>) -> WpApi {
    let settings = ConnectorSettings {
        max_retries: 0,
        ..ConnectorSettings::default()
    };
    WpApi::new(
        Arc::new(HttpClient::new(&settings).unwrap()),
        base,
        credentials.map(|(username, password)| Credentials {
            username: username.to_owned(),
            password: AppPassword::new(password),
        }),
        LimitKey::new("check", credentials.map_or("", |c| c.0)),
    )
}

async fn code(base: &str, credentials: Option<(&str, &str)>) -> (&'static str, String) {
    let base = Url::parse(base).unwrap();
    let anonymous = api(&base, None);
    let authenticated = credentials.map(|c| api(&base, Some(c)));
    let diagnosis = diagnose(&base, &anonymous, authenticated.as_ref()).await;
    assert_eq!(diagnosis.ok, matches!(diagnosis.code, "ok" | "read_only"));
    (diagnosis.code, diagnosis.message)
}

#[tokio::test]
async fn each_cause_gets_its_own_diagnosis_on_a_real_wordpress() {
    let wp = WpSite::create().await;
    let good = (wp.username.as_str(), wp.app_password.as_str());
    assert_eq!(code(&wp.base_url, Some(good)).await.0, "ok");
    assert_eq!(code(&wp.base_url, None).await.0, "read_only");
    let reader = (wp.reader_username.as_str(), wp.reader_app_password.as_str());
    let (found, message) = code(&wp.base_url, Some(reader)).await;
    assert_eq!(found, "missing_capability", "{message}");
    assert!(message.contains("edit_posts"));
    let (found, message) = code(
        &wp.base_url,
        Some((wp.username.as_str(), "abcd efgh ijkl mnop qrst uvwx")),
    )
    .await;
    assert_eq!(found, "wrong_credentials", "{message}");
    assert!(message.contains("received the credentials"), "{message}");
    let (found, _) = code(&wp.base_url, Some(("not-a-user", good.1))).await;
    assert_eq!(found, "wrong_credentials");
    // The server answers outside /s/ with a 404 that is not WordPress's index.
    let server = Url::parse(&wp.base_url).unwrap();
    let elsewhere = format!(
        "http://{}:{}/elsewhere",
        server.host_str().unwrap(),
        server.port().unwrap()
    );
    assert_eq!(code(&elsewhere, None).await.0, "not_wordpress");
    // Nothing listens on port 9.
    assert_eq!(code("http://127.0.0.1:9/", None).await.0, "unreachable");
    // No request is made: the password would cross the network in the clear.
    assert_eq!(
        code("http://blog.example.com/", Some(good)).await.0,
        "plain_http_password"
    );
}

#[tokio::test]
async fn a_stripped_authorization_header_is_told_apart_from_wrong_credentials() {
    let server = MockServer::start().await;
    let index: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/wordpress/index.json"
        ))
        .unwrap(),
    )
    .unwrap();
    Mock::given(method("GET"))
        .and(path("/wp-json/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&index["body"]))
        .expect(1)
        .mount(&server)
        .await;
    let not_logged_in: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/wordpress/users-me-wrong-password.json"
        ))
        .unwrap(),
    )
    .unwrap();
    Mock::given(method("GET"))
        .and(path("/wp-json/wp/v2/users/me"))
        .respond_with(ResponseTemplate::new(401).set_body_json(&not_logged_in["body"]))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/wp-json/igny8/v1/auth-header"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"authorization_header": false})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (found, message) = code(
        &server.uri(),
        Some(("admin", "abcd efgh ijkl mnop qrst uvwx")),
    )
    .await;
    assert_eq!(found, "auth_header_stripped", "{message}");
    assert!(message.contains("HTTP_AUTHORIZATION"));
}
