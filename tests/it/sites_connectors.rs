//! Sites of every connector through the sites API: Shopify and REST sites created, shown with
//! their non-secret options and changed, their tokens, keys and webhook secrets stored like
//! WordPress passwords and never shown; keys of another connector refused naming the key; folder
//! sites refused, since they are declared in the configuration file only.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::rest::fake::repo;
use crate::support::TestApp;

const TOKEN: &str = "shpat_0123456789abcdef0123456789abcdef";
const API_KEY: &str = "6489d1c5f0e7a1000140fa1b:a1b2c3d4e5f60718293a4b5c6d7e8f90";
const HOOK_SECRET: &str = "site-webhook-secret-for-tests";

/// A daemon with a temporary data directory and the shipped connector definitions.
async fn spawn(pool: PgPool) -> (TestApp, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(
        pool,
        &format!(
            "data_dir = {:?}\n[connectors]\ndefinitions_dir = {:?}\n",
            data.path().display().to_string(),
            repo().join("connectors").display().to_string()
        ),
    )
    .await;
    (app, data)
}

/// A call whose response must not show any secret.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, text) = app.request(method, path, token, body).await;
    for secret in [TOKEN, API_KEY, HOOK_SECRET] {
        assert!(!text.contains(secret), "a response shows a secret: {text}");
    }
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn stored(data: &tempfile::TempDir, account: i64, id: i64, suffix: &str) -> String {
    std::fs::read_to_string(
        data.path()
            .join(format!("credentials/site-{account}-{id}{suffix}")),
    )
    .unwrap()
}

fn refused(status: StatusCode, error: &Value, field: &str, needle: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {error}");
    assert_eq!(error["error"]["details"]["field"], field, "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains(needle), "{field}: {message}");
}

#[sqlx::test]
async fn shopify_sites_are_created_shown_and_changed_with_a_write_only_token(pool: PgPool) {
    let (app, data) = spawn(pool).await;
    let (account, admin) = app.account(0, igny8::domain::role::Role::Admin).await;
    let shop = json!({
        "name": "store", "connector": "shopify", "shop": "Brew-Shop.myshopify.com",
        "api_version": "2025-07", "access_token": TOKEN, "webhook_secret": HOOK_SECRET,
    });
    let (status, created) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &admin,
        Some(shop.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["connector"], "shopify");
    assert_eq!(created["shop"], "brew-shop.myshopify.com");
    assert_eq!(created["api_version"], "2025-07");
    assert_eq!(created["base_url"], "https://brew-shop.myshopify.com/");
    assert_eq!(created["has_credentials"], true);
    assert_eq!(created["has_webhook_secret"], true);
    assert_eq!(created["definition"], Value::Null);
    assert_eq!(created["post_types"], json!([]));
    assert!(created.get("access_token").is_none(), "{created}");
    assert_eq!(stored(&data, account, id, ""), TOKEN);
    assert_eq!(stored(&data, account, id, "-webhook"), HOOK_SECRET);
    let path = format!("/api/v1/sites/{id}");
    let (status, shown) = call(&app, Method::GET, &path, &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown, created);

    // Another connector's keys, and a token the site cannot do without.
    let with = |change: Value| {
        let mut body = shop.clone();
        body["name"] = json!("other");
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    for (body, field, needle) in [
        (
            with(json!({"username": "igny8"})),
            "username",
            "a key of the wordpress connector",
        ),
        (
            with(json!({"api_key": "k"})),
            "api_key",
            "a key of the rest connector",
        ),
        (
            with(json!({"post_types": ["post"]})),
            "post_types",
            "wordpress connector",
        ),
        (
            with(json!({"base_url": "https://shop.example"})),
            "base_url",
            "does not take base_url",
        ),
        (
            with(json!({"shop": "shop.example.com"})),
            "shop",
            "myshopify.com",
        ),
        (
            with(json!({"api_version": "2025-02"})),
            "api_version",
            "Shopify API version",
        ),
        (
            with(json!({"access_token": null})),
            "access_token",
            "access token",
        ),
    ] {
        let (status, error) = call(&app, Method::POST, "/api/v1/sites", &admin, Some(body)).await;
        refused(status, &error, field, needle);
    }

    let (status, changed) = call(
        &app,
        Method::PATCH,
        &path,
        &admin,
        Some(json!({"api_version": "2025-10", "access_token": "shpat_rotated"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["api_version"], "2025-10");
    assert_eq!(changed["shop"], "brew-shop.myshopify.com");
    assert_eq!(changed["base_url"], "https://brew-shop.myshopify.com/");
    assert!(!changed.to_string().contains("shpat_rotated"));
    assert_eq!(stored(&data, account, id, ""), "shpat_rotated");
    for (body, field) in [
        (json!({"access_token": null}), "access_token"),
        (json!({"definition": "ghost"}), "definition"),
        (json!({"base_url": "https://elsewhere.example"}), "base_url"),
    ] {
        let (status, error) = call(&app, Method::PATCH, &path, &admin, Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(error["error"]["details"]["field"], field, "{error}");
    }
    assert_eq!(stored(&data, account, id, ""), "shpat_rotated");
}

#[sqlx::test]
async fn rest_sites_name_an_installed_definition_and_keep_their_key_secret(pool: PgPool) {
    let (app, data) = spawn(pool).await;
    let (account, admin) = app.account(0, igny8::domain::role::Role::Admin).await;
    let strapi = json!({
        "name": "cms", "connector": "rest", "definition": "strapi",
        "base_url": "https://cms.example", "api_key": API_KEY, "webhook_secret": HOOK_SECRET,
        "schedule": "0 0 1 1 *",
    });
    let (status, created) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &admin,
        Some(strapi.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["connector"], "rest");
    assert_eq!(created["definition"], "strapi");
    assert_eq!(created["base_url"], "https://cms.example/");
    assert_eq!(created["has_credentials"], true);
    assert_eq!(created["has_webhook_secret"], true);
    assert_eq!(created["shop"], Value::Null);
    assert_eq!(stored(&data, account, id, ""), API_KEY);
    let path = format!("/api/v1/sites/{id}");
    assert_eq!(
        call(&app, Method::GET, &path, &admin, None).await.1,
        created
    );

    let with = |change: Value| {
        let mut body = strapi.clone();
        body["name"] = json!("other");
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    for (body, field, needle) in [
        (
            with(json!({"app_password": "pw"})),
            "app_password",
            "wordpress connector",
        ),
        (
            with(json!({"shop": "a.myshopify.com"})),
            "shop",
            "a key of the shopify connector",
        ),
        (
            with(json!({"access_token": "t"})),
            "access_token",
            "shopify connector",
        ),
        (
            with(json!({"definition": "wordpress-com"})),
            "definition",
            "no connector definition named",
        ),
        (
            with(json!({"definition": "../ghost"})),
            "definition",
            "lowercase letters",
        ),
        (
            with(json!({"base_url": "http://cms.example"})),
            "base_url",
            "in the clear",
        ),
        (
            with(json!({"base_url": null})),
            "base_url",
            "required for the rest connector",
        ),
    ] {
        let (status, error) = call(&app, Method::POST, "/api/v1/sites", &admin, Some(body)).await;
        refused(status, &error, field, needle);
    }

    // The stored webhook secret is what the site's webhooks are checked against.
    let hook = app.url(&format!("/webhooks/rest/{id}"));
    let body = r#"{"event":"entry.update","model":"category","entry":{"documentId":"c1"}}"#;
    for (secret, expected) in [(HOOK_SECRET, 202), ("not-the-secret-at-all", 401)] {
        let response = app
            .http
            .post(&hook)
            .header("Authorization", secret)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), expected);
    }

    // The key can be replaced or removed; the definition changed to another installed one.
    let (status, changed) = call(
        &app,
        Method::PATCH,
        &path,
        &admin,
        Some(json!({"definition": "ghost", "api_key": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["definition"], "ghost");
    assert_eq!(changed["has_credentials"], false);
    assert!(
        !data
            .path()
            .join(format!("credentials/site-{account}-{id}"))
            .exists()
    );
    let (status, error) = call(
        &app,
        Method::PATCH,
        &path,
        &admin,
        Some(json!({"username": "igny8"})),
    )
    .await;
    refused(status, &error, "username", "wordpress connector");
}

#[sqlx::test]
async fn folder_sites_are_for_the_configuration_file_only(pool: PgPool) {
    let (app, _data) = spawn(pool).await;
    let (_, admin) = app.account(0, igny8::domain::role::Role::Admin).await;
    let (status, error) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &admin,
        Some(json!({"name": "docs", "connector": "files"})),
    )
    .await;
    refused(status, &error, "connector", "configuration file only");
    let (status, error) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &admin,
        Some(json!({"name": "docs", "connector": "files", "path": "/etc"})),
    )
    .await;
    refused(status, &error, "path", "unknown field");
    let (_, list) = call(&app, Method::GET, "/api/v1/sites", &admin, None).await;
    assert_eq!(list["total"], 0);
}

#[sqlx::test]
async fn configured_folder_sites_show_their_folders(pool: PgPool) {
    let folders = tempfile::tempdir().unwrap();
    let (source, output) = (folders.path().join("in"), folders.path().join("out"));
    std::fs::create_dir_all(&source).unwrap();
    std::fs::create_dir_all(&output).unwrap();
    let account = igny8::store::Store::from_pool(pool.clone())
        .create_account("folders", None)
        .await
        .unwrap()
        .id
        .get();
    let app = TestApp::spawn(
        pool,
        &format!(
            "[[sites]]\nname = \"docs\"\naccount = {account}\nconnector = \"files\"\n\
             path = {:?}\noutput_path = {:?}\n",
            source.display().to_string(),
            output.display().to_string()
        ),
    )
    .await;
    let owner = app.token(account, igny8::domain::role::Role::Owner).await;
    let (_, list) = call(&app, Method::GET, "/api/v1/sites", &owner, None).await;
    let site = &list["items"][0];
    assert_eq!(site["connector"], "files");
    assert_eq!(site["path"], source.display().to_string());
    assert_eq!(site["output_path"], output.display().to_string());
    assert_eq!(site["base_url"], Value::Null);
    assert_eq!(site["config_managed"], true);
}
