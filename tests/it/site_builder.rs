//! The site builder through real HTTP on the real database: structure generation and its
//! credits (from templates, and from a wiremock OpenAI-compatible server whose invalid answer
//! is refused), pages kept consistent with the structure, page content through the writer, the
//! validator, assets (traversal, quota, roles), the escaped preview (also in headless
//! Chromium), deploy and rollback.

use std::path::{Path, PathBuf};
use std::time::Duration;

use igny8::domain::role::Role;
use igny8::domain::site_builder::structure::Structure;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::planner::{completion, openai_settings};
use crate::support::TestApp;

/// An app whose data directory is a temporary one, which the caller keeps alive.
async fn spawn(pool: PgPool, extra: &str) -> (TestApp, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(
        pool,
        &format!(
            "data_dir = {:?}\n{extra}",
            data.path().display().to_string()
        ),
    )
    .await;
    (app, data)
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, text) = app.request(method, path, token, body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A site and its blueprint, made by an admin of a new account with `credits`.
struct Fixture {
    account: i64,
    admin: String,
    site: i64,
    blueprint: i64,
}

async fn fixture(app: &TestApp, credits: i64, name: &str, config: Value) -> Fixture {
    let (account, admin) = app.account(credits, Role::Admin).await;
    let (status, site) = call(
        app,
        Method::POST,
        "/api/v1/sites",
        &admin,
        Some(json!({"name": "shop", "connector": "wordpress", "base_url": "https://shop.example"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    let site = site["id"].as_i64().unwrap();
    let (status, blueprint) = call(
        app,
        Method::POST,
        "/api/v1/site-builder/blueprints/",
        &admin,
        Some(json!({"site_id": site, "name": name, "config": config})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{blueprint}");
    Fixture {
        account,
        admin,
        site,
        blueprint: blueprint["id"].as_i64().unwrap(),
    }
}

async fn generate(app: &TestApp, f: &Fixture, key: &str) -> (StatusCode, Value) {
    let response = app
        .http
        .post(app.url(&format!(
            "/api/v1/site-builder/blueprints/{}/generate_structure/",
            f.blueprint
        )))
        .bearer_auth(&f.admin)
        .header("Idempotency-Key", key)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn balance(app: &TestApp, token: &str) -> i64 {
    let (_, balance) = call(app, Method::GET, "/api/v1/credits/balance", token, None).await;
    balance["available"].as_i64().unwrap()
}

fn slugs(pages: &Value) -> Vec<String> {
    pages
        .as_array()
        .unwrap()
        .iter()
        .map(|page| page["slug"].as_str().unwrap().to_owned())
        .collect()
}

fn saas_brief() -> Value {
    json!({
        "business_type": "saas",
        "industry": "Accounting software",
        "audience": "small bakeries",
        "brief": "Bookkeeping that takes minutes a week.",
        "objectives": ["Save time on invoices", "See cash flow at a glance"],
        "style": {"palette": ["#0b3d91", "#f5a623"], "typography": "serif", "personality": "friendly"}
    })
}

#[sqlx::test]
async fn structure_generation_builds_the_pages_and_charges_once(pool: PgPool) {
    let (app, _data) = spawn(pool, "").await;
    let f = fixture(&app, 120, "Ledgerly", saas_brief()).await;

    let (status, generated) = generate(&app, &f, "gen-1").await;
    assert_eq!(status, StatusCode::OK, "{generated}");
    assert_eq!(generated["credits_used"], 50);
    assert_eq!(generated["replayed"], false);
    assert_eq!(generated["blueprint"]["status"], "ready");
    assert_eq!(
        slugs(&generated["pages"]),
        ["home", "features", "pricing", "about", "blog", "contact"]
    );
    let orders: Vec<i64> = generated["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["order"].as_i64().unwrap())
        .collect();
    assert_eq!(orders, [0, 1, 2, 3, 4, 5]);
    let structure = &generated["blueprint"]["structure"];
    Structure::from_json(structure).expect("the stored structure passes the validator");
    assert_eq!(structure["theme"]["primary"], "#0b3d91");
    assert_eq!(structure["theme"]["typography"], "serif");
    let home = &generated["pages"][0]["blocks"];
    assert_eq!(home[0]["type"], "hero");
    assert_eq!(home[0]["heading"], "Ledgerly");
    assert_eq!(home[1]["items"][0]["title"], "Save time on invoices");
    assert_eq!(balance(&app, &f.admin).await, 70);

    // The same key again: the earlier result, not a second charge.
    let (status, replayed) = generate(&app, &f, "gen-1").await;
    assert_eq!(status, StatusCode::OK, "{replayed}");
    assert_eq!(replayed["replayed"], true);
    assert_eq!(balance(&app, &f.admin).await, 70);

    // Without the credits for another one, nothing runs.
    let (status, _) = generate(&app, &f, "gen-2").await;
    assert_eq!(status, StatusCode::OK);
    let (status, error) = generate(&app, &f, "gen-3").await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{error}");
    assert_eq!(error["error"]["details"]["required"], 50);
    let (_, blueprint) = call(
        &app,
        Method::GET,
        &format!("/api/v1/site-builder/blueprints/{}", f.blueprint),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(blueprint["status"], "ready");

    let response = app
        .http
        .post(app.url(&format!(
            "/api/v1/site-builder/blueprints/{}/generate_structure",
            f.blueprint
        )))
        .bearer_auth(&f.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "the key is required"
    );
}

#[sqlx::test]
async fn regeneration_keeps_the_page_set_consistent(pool: PgPool) {
    let (app, _data) = spawn(pool, "").await;
    let f = fixture(&app, 1000, "Ledgerly", saas_brief()).await;
    let (_, first) = generate(&app, &f, "first").await;
    let home_id = first["pages"][0]["id"].clone();

    // A page added by hand, and a brief that now describes a shop.
    let (status, extra) = call(
        &app,
        Method::POST,
        "/api/v1/site-builder/pages",
        &f.admin,
        Some(json!({"blueprint_id": f.blueprint, "slug": "extra", "title": "Extra", "order": 9})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{extra}");
    let (status, duplicate) = call(
        &app,
        Method::POST,
        "/api/v1/site-builder/pages",
        &f.admin,
        Some(json!({"blueprint_id": f.blueprint, "slug": "extra", "title": "Again"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(duplicate["error"]["code"], "slug_taken");
    let (status, _) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/site-builder/blueprints/{}", f.blueprint),
        &f.admin,
        Some(json!({"config": {"business_type": "ecommerce", "objectives": ["Ship fast"]}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, second) = generate(&app, &f, "second").await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(
        slugs(&second["pages"]),
        ["home", "products", "about", "contact"]
    );
    assert_eq!(
        second["pages"][0]["id"], home_id,
        "a kept page is updated in place"
    );
    let (_, listed) = call(
        &app,
        Method::GET,
        &format!("/api/v1/site-builder/pages?blueprint_id={}", f.blueprint),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(listed["total"], 4);
    assert_eq!(
        slugs(&listed["items"]),
        ["home", "products", "about", "contact"]
    );
    let structure_slugs: Vec<String> = second["blueprint"]["structure"]["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(structure_slugs, slugs(&listed["items"]));
    // Regenerating the same brief changes nothing about the set.
    let (_, third) = generate(&app, &f, "third").await;
    assert_eq!(third["pages"], {
        let mut pages = second["pages"].clone();
        for (n, page) in pages.as_array_mut().unwrap().iter_mut().enumerate() {
            page["updated_at"] = third["pages"][n]["updated_at"].clone();
        }
        pages
    });
}

#[sqlx::test]
async fn a_failed_generation_goes_back_to_draft_with_the_error_and_costs_nothing(pool: PgPool) {
    let (app, _data) = spawn(pool.clone(), "").await;
    let f = fixture(&app, 100, "Ledgerly", json!({})).await;
    // A brief this version cannot read (written by hand into the row).
    sqlx::query(
        "UPDATE site_blueprints SET config_json = '{\"business_type\": \"casino\"}' WHERE id = $1",
    )
    .bind(f.blueprint)
    .execute(&pool)
    .await
    .unwrap();
    let (status, error) = generate(&app, &f, "k").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["details"]["field"], "config.business_type");
    let (_, blueprint) = call(
        &app,
        Method::GET,
        &format!("/api/v1/site-builder/blueprints/{}", f.blueprint),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(blueprint["status"], "draft");
    assert!(
        blueprint["last_error"]
            .as_str()
            .unwrap()
            .contains("business_type"),
        "{blueprint}"
    );
    assert_eq!(balance(&app, &f.admin).await, 100);
    let (status, error) = generate(&app, &f, "k").await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a failed key is spent: {error}"
    );
    // While a generation runs, another is refused and charges nothing.
    sqlx::query("UPDATE site_blueprints SET status = 'generating' WHERE id = $1")
        .bind(f.blueprint)
        .execute(&pool)
        .await
        .unwrap();
    let (status, error) = generate(&app, &f, "concurrent").await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["error"]["code"], "generation_in_progress");
    assert_eq!(balance(&app, &f.admin).await, 100);
    // An invalid brief never gets in through the API.
    let (status, error) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/site-builder/blueprints/{}", f.blueprint),
        &f.admin,
        Some(json!({"config": {"style": {"palette": ["#fff", "url(x)"]}}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error["error"]["details"]["field"],
        "config.style.palette[1]"
    );
}

#[sqlx::test]
async fn invalid_structures_and_blocks_are_rejected_by_the_validator(pool: PgPool) {
    // What a model might answer: each is refused, naming where.
    let valid = json!({
        "layout": "minimal",
        "theme": {"primary": "#111", "accent": "#222", "background": "#fff", "text": "#000",
                  "typography": "sans"},
        "pages": [{"slug": "home", "title": "Home", "type": "home",
                   "blocks": [{"type": "text", "body": "Hello"}]}]
    });
    Structure::from_json(&valid).unwrap();
    let answers = [
        (
            json!({"pages": valid["pages"], "layout": "default"}),
            "theme",
        ),
        (
            json!({"layout": "default", "theme": valid["theme"],
                   "pages": [valid["pages"][0], valid["pages"][0]]}),
            "pages[1].slug",
        ),
        (
            json!({"layout": "default", "theme": valid["theme"],
                   "pages": [{"slug": "Home Page", "title": "x", "type": "home", "blocks": []}]}),
            "pages[0].slug",
        ),
        (
            json!({"layout": "default", "theme": valid["theme"],
                   "pages": [{"slug": "home", "title": "x", "type": "home",
                              "blocks": [{"type": "marquee", "text": "hi"}]}]}),
            "pages[0].blocks[0]",
        ),
        (
            json!({"layout": "default", "theme": valid["theme"], "pages": "home"}),
            "pages",
        ),
        (json!("a site with five pages"), ""),
    ];
    for (answer, path) in answers {
        let err = Structure::from_json(&answer).expect_err(&answer.to_string());
        assert!(err.path.starts_with(path), "{path}: {err}");
    }

    // Page blocks through the API pass the same checks.
    let (app, _data) = spawn(pool, "").await;
    let f = fixture(&app, 0, "Shop", json!({})).await;
    for (blocks, field) in [
        (
            json!([{"type": "cta", "heading": "Go", "button": {"label": "x", "href": "javascript:alert(1)"}}]),
            "blocks[0]",
        ),
        (json!([{"type": "text", "body": ""}]), "blocks[0].body"),
        (json!({"type": "text"}), "blocks"),
    ] {
        let (status, error) = call(
            &app,
            Method::POST,
            "/api/v1/site-builder/pages",
            &f.admin,
            Some(json!({"blueprint_id": f.blueprint, "slug": "p", "title": "P", "blocks": blocks})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert!(
            error["error"]["details"]["field"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{field}: {error}"
        );
    }
}

/// A multipart body with one `file` part named `name`.
async fn upload(
    app: &TestApp,
    token: &str,
    site: i64,
    name: &str,
    content: &[u8],
) -> (StatusCode, Value) {
    let boundary = "igny8-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = app
        .http
        .post(app.url(&format!("/api/v1/site-builder/assets?site_id={site}")))
        .bearer_auth(token)
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// PNG content of `len` bytes (the signature, then padding).
fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(len, 0);
    bytes
}

/// Every regular file under `dir`, relative (symlinks are neither followed nor listed).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            found.extend(
                files_under(&entry.path())
                    .into_iter()
                    .map(|p| Path::new(&entry.file_name()).join(p)),
            );
        } else if kind.is_file() {
            found.push(PathBuf::from(entry.file_name()));
        }
    }
    found.sort();
    found
}

#[sqlx::test]
async fn traversal_attempts_are_refused_with_400_and_write_nothing(pool: PgPool) {
    let (app, data) = spawn(pool, "").await;
    let f = fixture(&app, 0, "Shop", json!({})).await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.png"), png(64)).unwrap();

    for name in [
        "../evil.png",
        "../../../../tmp/evil.png",
        "%2e%2e%2fevil.png",
        "..%2fevil.png",
        "/etc/evil.png",
        "images/../../evil.png",
        "evil\u{2024}\u{2024}png",
        "\u{FF0E}\u{FF0E}\u{FF0F}evil.png",
        ".hidden.png",
        "a%00.png",
        "..\\evil.png",
    ] {
        let (status, error) = upload(&app, &f.admin, f.site, name, &png(100)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name:?}: {error}");
        assert_eq!(error["error"]["code"], "invalid_path", "{name:?}");
    }
    for path in [
        "../site.json",
        "images/../../site.json",
        "%2e%2e/site.json",
        "images/%2e%2e%2fsecret.png",
        "/etc/passwd",
        "images/.htaccess",
        "images/a%00.png",
        "images/\u{2024}\u{2024}/x.png",
        "images\u{2215}x.png",
    ] {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("site_id", &f.site.to_string())
            .append_pair("path", path)
            .finish();
        let (status, error) = call(
            &app,
            Method::DELETE,
            &format!("/api/v1/site-builder/assets?{query}"),
            &f.admin,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path:?}: {error}");
        assert_eq!(error["error"]["code"], "invalid_path", "{path:?}");
    }
    // A NUL byte in the query itself.
    let (status, _) = call(
        &app,
        Method::DELETE,
        &format!(
            "/api/v1/site-builder/assets?site_id={}&path=images/a%00.png",
            f.site
        ),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        files_under(data.path()),
        Vec::<PathBuf>::new(),
        "nothing was written"
    );

    // Symlinks leading out: a folder and a file.
    let version = data.path().join(format!("sites/{}/v1/assets", f.site));
    std::fs::create_dir_all(version.join("images")).unwrap();
    std::os::unix::fs::symlink(outside.path(), version.join("media")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.png"),
        version.join("images/link.png"),
    )
    .unwrap();
    let (status, error) = upload(
        &app,
        &f.admin,
        f.site,
        "song.mp3",
        b"ID3\x04\0\0\0\0\0\0rest",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["error"]["code"], "invalid_path");
    let (status, error) = upload(&app, &f.admin, f.site, "link.png", &png(100)).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a symlink is not replaced: {error}"
    );
    let (status, _) = call(
        &app,
        Method::DELETE,
        &format!(
            "/api/v1/site-builder/assets?site_id={}&path=images/link.png",
            f.site
        ),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(files_under(outside.path()), [PathBuf::from("secret.png")]);
    assert_eq!(
        std::fs::read(outside.path().join("secret.png")).unwrap(),
        png(64)
    );
    let (_, listed) = call(
        &app,
        Method::GET,
        &format!(
            "/api/v1/site-builder/assets?site_id={}&folder=images",
            f.site
        ),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(
        listed["items"],
        json!([]),
        "symlinks are not listed: {listed}"
    );
    // No temporary file was left behind either.
    assert_eq!(files_under(data.path()), Vec::<PathBuf>::new());
}

#[sqlx::test]
async fn uploads_are_typed_by_content_and_the_quota_holds_at_its_boundary(pool: PgPool) {
    let (app, data) = spawn(
        pool,
        "[site_builder]\nmax_upload_bytes = 1500\nquota_bytes_per_site = 2048\n",
    )
    .await;
    let f = fixture(&app, 0, "Shop", json!({})).await;

    let (status, stored) = upload(&app, &f.admin, f.site, "Team Photo.PNG", &png(1024)).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(stored["path"], "images/Team-Photo.png");
    assert_eq!(stored["content_type"], "image/png");
    let (status, _) = upload(&app, &f.admin, f.site, "b.png", &png(1024)).await;
    assert_eq!(status, StatusCode::CREATED, "exactly at the quota");
    let (status, error) = upload(&app, &f.admin, f.site, "c.png", &png(16)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{error}");
    assert_eq!(error["error"]["code"], "storage_quota_exceeded");
    assert_eq!(error["error"]["details"]["used_bytes"], 2048);

    let (status, _) = call(
        &app,
        Method::DELETE,
        &format!(
            "/api/v1/site-builder/assets?site_id={}&path=images/b.png",
            f.site
        ),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, error) = upload(&app, &f.admin, f.site, "big.png", &png(1501)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{error}");
    assert_eq!(error["error"]["code"], "file_too_large");
    let (status, _) = upload(&app, &f.admin, f.site, "c.png", &png(1024)).await;
    assert_eq!(status, StatusCode::CREATED, "back within the quota");
    let (status, _) = call(
        &app,
        Method::DELETE,
        &format!(
            "/api/v1/site-builder/assets?site_id={}&path=images/Team-Photo.png",
            f.site
        ),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // The type comes from the content, and the name must agree with it.
    let (status, error) = upload(&app, &f.admin, f.site, "doc.png", b"%PDF-1.7\n%rest").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["details"]["field"], "file");
    let (status, error) = upload(
        &app,
        &f.admin,
        f.site,
        "page.png",
        b"<html><script>x</script>",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let (status, stored) = upload(&app, &f.admin, f.site, "terms.pdf", b"%PDF-1.7\n%rest").await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(stored["path"], "documents/terms.pdf");

    let (_, listed) = call(
        &app,
        Method::GET,
        &format!("/api/v1/site-builder/assets?site_id={}", f.site),
        &f.admin,
        None,
    )
    .await;
    let paths: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["images/c.png", "documents/terms.pdf"]);
    assert_eq!(listed["used_bytes"], 1024 + 14);
    assert_eq!(listed["quota_bytes"], 2048);
    assert_eq!(
        files_under(data.path()),
        [
            PathBuf::from(format!("sites/{}/v1/assets/documents/terms.pdf", f.site)),
            PathBuf::from(format!("sites/{}/v1/assets/images/c.png", f.site)),
        ]
    );
}

/// Grants the token `access` (view or edit) to the fixture's site.
async fn grant(app: &TestApp, pool: &PgPool, f: &Fixture, token: String, access: &str) {
    let secret = igny8::domain::token::TokenSecret::parse(&token).unwrap();
    let id = app
        .store
        .authenticate(&secret)
        .await
        .unwrap()
        .unwrap()
        .id
        .get();
    sqlx::query(
        "INSERT INTO site_user_access (account_id, site_id, api_token_id, access) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(f.account)
    .bind(f.site)
    .bind(id)
    .bind(access)
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test]
async fn roles_and_grants_decide_who_reads_and_who_uploads(pool: PgPool) {
    let (app, _data) = spawn(pool.clone(), "").await;
    let f = fixture(&app, 0, "Shop", json!({})).await;
    let assets = format!("/api/v1/site-builder/assets?site_id={}", f.site);
    let blueprint = format!("/api/v1/site-builder/blueprints/{}", f.blueprint);

    let editor = app.token(f.account, Role::Editor).await;
    let (status, _) = upload(&app, &editor, f.site, "a.png", &png(100)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an editor without a grant");
    for path in [&assets, &blueprint] {
        assert_eq!(
            call(&app, Method::GET, path, &editor, None).await.0,
            StatusCode::NOT_FOUND
        );
    }

    let viewer = app.token(f.account, Role::Viewer).await;
    let grant = |token: String, access: &'static str| grant(&app, &pool, &f, token, access);
    grant(viewer.clone(), "view").await;
    assert_eq!(
        call(&app, Method::GET, &assets, &viewer, None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, Method::GET, &blueprint, &viewer, None).await.0,
        StatusCode::OK
    );
    let (status, error) = upload(&app, &viewer, f.site, "a.png", &png(100)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a viewer cannot upload: {error}"
    );
    let (status, _) = call(
        &app,
        Method::POST,
        &format!("{blueprint}/deploy"),
        &viewer,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let viewing_editor = app.token(f.account, Role::Editor).await;
    grant(viewing_editor.clone(), "view").await;
    let (status, error) = upload(&app, &viewing_editor, f.site, "a.png", &png(100)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert_eq!(error["error"]["details"]["site_access"], "view");

    grant(editor.clone(), "edit").await;
    let (status, stored) = upload(&app, &editor, f.site, "a.png", &png(100)).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");

    // Another account sees nothing of it.
    let (_, stranger) = app.account(0, Role::Owner).await;
    assert_eq!(
        call(&app, Method::GET, &blueprint, &stranger, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&app, Method::GET, &assets, &stranger, None).await.0,
        StatusCode::NOT_FOUND
    );

    // The module switch closes every route.
    let (status, _) = call(
        &app,
        Method::PATCH,
        "/api/v1/settings/modules",
        &f.admin,
        Some(json!({"site_builder": {"enabled": false}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, error) = call(&app, Method::GET, &blueprint, &f.admin, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["error"]["code"], "module_disabled");
}

const SCRIPT: &str = "<script>alert('x')</script>";

#[sqlx::test]
async fn the_preview_renders_the_blocks_and_escapes_user_text(pool: PgPool) {
    let (app, _data) = spawn(pool, "").await;
    let f = fixture(
        &app,
        100,
        &format!("Shop {SCRIPT}"),
        json!({"business_type": "general", "brief": format!("We sell {SCRIPT} things"),
               "objectives": [SCRIPT]}),
    )
    .await;
    let (status, generated) = generate(&app, &f, "k").await;
    assert_eq!(status, StatusCode::OK, "{generated}");
    let about = generated["pages"][1]["id"].as_i64().unwrap();
    let (status, _) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/site-builder/pages/{about}"),
        &f.admin,
        Some(json!({"title": SCRIPT, "blocks": [{"type": "text", "heading": SCRIPT, "body": "a\"><img src=x onerror=alert(1)>"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let base = format!("/api/v1/site-builder/blueprints/{}/preview", f.blueprint);
    for path in [
        format!("{base}/"),
        format!("{base}/home"),
        format!("{base}/about/"),
    ] {
        let response = app
            .http
            .get(app.url(&path))
            .bearer_auth(&f.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
        let html = response.text().await.unwrap();
        assert!(!html.contains("<script"), "{path}: {html}");
        assert!(!html.contains("<img"), "{path}: {html}");
        assert!(html.contains("&lt;script&gt;"), "{path}: {html}");
        // The templates escape '/' in attributes too.
        let links = html.replace("&#x2f;", "/");
        for slug in ["home", "about", "services", "contact"] {
            assert!(
                links.contains(&format!("href=\"{base}/{slug}\"")),
                "{path} links {slug}"
            );
        }
    }
    let home = app
        .http
        .get(app.url(&format!("{base}/home")))
        .bearer_auth(&f.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for block in ["hero", "feature_grid", "stats", "testimonials", "cta"] {
        assert!(home.contains(&format!("data-block=\"{block}\"")), "{block}");
    }
    let (status, _) = call(&app, Method::GET, &format!("{base}/nope"), &f.admin, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &app,
        Method::GET,
        &format!("{base}/..%2f..%2fetc"),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[sqlx::test]
async fn deploy_writes_a_version_and_rollback_restores_the_previous_one(pool: PgPool) {
    let (app, data) = spawn(pool, "").await;
    let f = fixture(&app, 100, "Shop", json!({"business_type": "local_service"})).await;
    let blueprint = format!("/api/v1/site-builder/blueprints/{}", f.blueprint);
    let (status, error) = call(
        &app,
        Method::POST,
        &format!("{blueprint}/deploy"),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "nothing to deploy yet: {error}"
    );
    assert_eq!(error["error"]["code"], "not_ready");
    let (_, generated) = generate(&app, &f, "k").await;
    let (status, _) = upload(&app, &f.admin, f.site, "logo.png", &png(100)).await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, deployed) = call(
        &app,
        Method::POST,
        &format!("{blueprint}/deploy/"),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{deployed}");
    assert_eq!(
        (
            deployed["deployed_version"].clone(),
            deployed["version"].clone()
        ),
        (json!(1), json!(2))
    );
    assert_eq!(deployed["status"], "deployed");
    let site_dir = data.path().join(format!("sites/{}", f.site));
    let read = |path: &str| -> Value {
        serde_json::from_slice(&std::fs::read(site_dir.join(path)).unwrap()).unwrap()
    };
    let v1 = read("v1/site.json");
    assert_eq!(v1["version"], 1);
    assert_eq!(
        v1["pages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["file"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [
            "pages/home.json",
            "pages/services.json",
            "pages/about.json",
            "pages/contact.json"
        ]
    );
    assert_eq!(read("v1/pages/home.json")["blocks"][0]["type"], "hero");
    assert!(
        site_dir.join("v2/assets/images/logo.png").is_file(),
        "assets carried forward"
    );

    let home = generated["pages"][0]["id"].as_i64().unwrap();
    let (status, _) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/site-builder/pages/{home}"),
        &f.admin,
        Some(json!({"title": "Welcome"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, deployed) = call(
        &app,
        Method::POST,
        &format!("{blueprint}/deploy"),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(
        (
            deployed["deployed_version"].clone(),
            deployed["version"].clone()
        ),
        (json!(2), json!(3))
    );
    assert_eq!(read("v2/pages/home.json")["title"], "Welcome");
    assert_eq!(
        read("v1/pages/home.json")["title"],
        "Home",
        "the previous version stays"
    );

    let (status, rolled) = call(
        &app,
        Method::POST,
        &format!("{blueprint}/rollback"),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rolled}");
    assert_eq!(rolled["deployed_version"], 1);
    assert_eq!(rolled["status"], "deployed");
    assert_eq!(
        read(&format!("v{}/pages/home.json", rolled["deployed_version"]))["title"],
        "Home"
    );
    let (status, error) = call(
        &app,
        Method::POST,
        &format!("{blueprint}/rollback"),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["error"]["code"], "no_previous_version");
    // A new deploy after a rollback takes the next number; nothing is overwritten.
    let (_, deployed) = call(
        &app,
        Method::POST,
        &format!("{blueprint}/deploy"),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(deployed["deployed_version"], 3);
    assert_eq!(read("v2/pages/home.json")["title"], "Welcome");
}

/// Serves the test app's pages to a browser, adding the bearer token the browser cannot send.
async fn authenticating_proxy(app: &TestApp, token: &str) -> String {
    let target = app.base.clone();
    let token = token.to_owned();
    let client = reqwest::Client::new();
    let forward = move |uri: axum::http::Uri| {
        let (client, target, token) = (client.clone(), target.clone(), token.clone());
        async move {
            let response = client
                .get(format!("{target}{uri}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            let status = axum::http::StatusCode::from_u16(response.status().as_u16()).unwrap();
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            let body = response.bytes().await.unwrap();
            (
                status,
                [(axum::http::header::CONTENT_TYPE, content_type)],
                body,
            )
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().fallback(forward))
            .await
            .unwrap();
    });
    format!("http://{address}")
}

async fn chromium(args: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("chromium finished within two minutes")
    .expect("Debian's chromium package is installed (.ci/run installs it)");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[sqlx::test]
async fn the_preview_renders_in_headless_chromium(pool: PgPool) {
    let (app, _data) = spawn(pool, "").await;
    let f = fixture(
        &app,
        100,
        "Bakery Ledger",
        json!({"business_type": "saas", "brief": "Bookkeeping for bakeries <b>fast</b>.",
               "objectives": ["Invoices in a minute", "Cash flow at a glance"],
               "style": {"palette": ["#7a3e00", "#2a9d8f"], "typography": "serif"}}),
    )
    .await;
    let (status, _) = generate(&app, &f, "k").await;
    assert_eq!(status, StatusCode::OK);
    let proxy = authenticating_proxy(&app, &f.admin).await;
    let url = format!(
        "{proxy}/api/v1/site-builder/blueprints/{}/preview/home",
        f.blueprint
    );

    let dom = chromium(&["--dump-dom", &url]).await;
    let nav_links = dom
        .matches("<li><a href=\"/api/v1/site-builder/blueprints/")
        .count();
    assert_eq!(nav_links, 6, "the navigation lists every page: {dom}");
    assert!(dom.contains("aria-current=\"page\">Home</a>"), "{dom}");
    for block in ["hero", "feature_grid", "stats", "testimonials", "cta"] {
        assert!(
            dom.contains(&format!("data-block=\"{block}\"")),
            "{block} renders: {dom}"
        );
    }
    assert!(dom.contains("Invoices in a minute"), "{dom}");
    assert!(
        dom.contains("&lt;b&gt;fast&lt;/b&gt;"),
        "user text stays text: {dom}"
    );

    let artifacts = PathBuf::from(
        std::env::var("CARGO_TARGET_DIR")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target").to_owned()),
    )
    .join("site-builder");
    std::fs::create_dir_all(&artifacts).unwrap();
    let screenshot = artifacts.join("preview-home.png");
    let _ = std::fs::remove_file(&screenshot);
    chromium(&[
        &format!("--screenshot={}", screenshot.display()),
        "--window-size=1280,1800",
        &url,
    ])
    .await;
    let image = std::fs::read(&screenshot).expect("chromium wrote the screenshot");
    assert!(
        image.starts_with(b"\x89PNG") && image.len() > 10_000,
        "{} bytes",
        image.len()
    );
}

/// A structure as a model answers it under the strict schema: every field, absent ones null.
fn model_structure() -> Value {
    json!({
        "layout": "minimal",
        "theme": {"primary": "#0b3d91", "accent": "#f5a623", "background": "#ffffff",
                  "text": "#111111", "typography": "serif", "personality": "friendly"},
        "pages": [
            {"slug": "home", "title": "Home", "type": "home", "blocks": [
                {"type": "hero", "heading": "Ledgerly", "subheading": "Bookkeeping for bakeries",
                 "button": {"label": "Start", "href": "/contact"}},
                {"type": "text", "heading": null, "body": "Minutes a week."}
            ]},
            {"slug": "how-it-works", "title": "How it works", "type": "services", "blocks": [
                {"type": "feature_grid", "heading": null,
                 "items": [{"title": "Invoices", "text": "Sent for you."}]}
            ]},
            {"slug": "contact", "title": "Contact", "type": "contact", "blocks": [
                {"type": "contact_form", "heading": "Write to us", "intro": null,
                 "submit_label": null}
            ]}
        ]
    })
}

/// The chat completions a mock server received for one prompt template.
async fn requests_for(server: &MockServer, template: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| serde_json::from_slice::<Value>(&request.body).unwrap())
        .filter(|body| body["response_format"]["json_schema"]["name"] == template)
        .collect()
}

fn asks_for(template: &str) -> wiremock::matchers::BodyPartialJsonMatcher {
    body_partial_json(json!({
        "response_format": {"type": "json_schema", "json_schema": {"name": template, "strict": true}},
    }))
}

async fn holds(pool: &PgPool, operation: &str) -> Vec<(String, i64, Option<i64>)> {
    sqlx::query_as(
        "SELECT state, amount, captured_amount FROM credit_holds WHERE operation_type = $1 ORDER BY id",
    )
    .bind(operation)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn pages(app: &TestApp, f: &Fixture) -> Value {
    let (status, listed) = call(
        app,
        Method::GET,
        &format!("/api/v1/site-builder/pages?blueprint_id={}", f.blueprint),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    listed["items"].clone()
}

#[sqlx::test]
async fn a_model_structure_creates_the_pages_and_an_invalid_one_changes_nothing(pool: PgPool) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(asks_for("site_structure"))
        .respond_with(completion(&model_structure().to_string()))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let mut invalid = model_structure();
    invalid["pages"][1]["slug"] = json!("home");
    // Asked once and once more with the reason (max_retries = 1): invalid both times.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(asks_for("site_structure"))
        .respond_with(completion(&invalid.to_string()))
        .expect(2)
        .mount(&server)
        .await;
    let (app, _data) = spawn(pool.clone(), &openai_settings(&server, 1)).await;
    let f = fixture(&app, 120, "Ledgerly", saas_brief()).await;

    let (status, generated) = generate(&app, &f, "model-1").await;
    assert_eq!(status, StatusCode::OK, "{generated}");
    assert_eq!(generated["credits_used"], 50);
    assert_eq!(
        slugs(&generated["pages"]),
        ["home", "how-it-works", "contact"]
    );
    let structure = generated["blueprint"]["structure"].clone();
    assert_eq!(structure["layout"], "minimal");
    assert_eq!(
        structure["pages"][1]["blocks"][0]["items"][0]["title"],
        "Invoices"
    );
    assert_eq!(generated["pages"][0]["blocks"][0]["heading"], "Ledgerly");
    let asked = requests_for(&server, "site_structure").await;
    let prompt = asked[0]["messages"][1]["content"].as_str().unwrap();
    for given in [
        "\"Ledgerly\"",
        "small bakeries",
        "- Save time on invoices",
        "#0b3d91",
    ] {
        assert!(prompt.contains(given), "{given} in {prompt}");
    }
    assert_eq!(balance(&app, &f.admin).await, 70);
    let before = pages(&app, &f).await;

    let (status, error) = generate(&app, &f, "model-2").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{error}");
    assert_eq!(error["error"]["code"], "ai_invalid_answer");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("pages[1].slug"), "{message}");
    // The model was told what was wrong before it was given up on.
    let asked = requests_for(&server, "site_structure").await;
    assert_eq!(asked.len(), 3);
    let retry = asked[2]["messages"].as_array().unwrap().last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(retry.contains("pages[1].slug"), "{retry}");

    let (_, blueprint) = call(
        &app,
        Method::GET,
        &format!("/api/v1/site-builder/blueprints/{}", f.blueprint),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(blueprint["status"], "draft");
    assert!(
        blueprint["last_error"]
            .as_str()
            .unwrap()
            .contains("pages[1].slug"),
        "{blueprint}"
    );
    assert_eq!(blueprint["structure"], structure, "the structure is kept");
    assert_eq!(pages(&app, &f).await, before, "the pages are untouched");
    assert_eq!(balance(&app, &f.admin).await, 70);
    assert_eq!(
        holds(&pool, "site_structure_generation").await,
        [
            ("captured".to_owned(), 50, Some(50)),
            ("released".to_owned(), 50, None)
        ]
    );
}

async fn page_call(
    app: &TestApp,
    token: &str,
    page: &Value,
    action: &str,
    key: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = app
        .http
        .post(app.url(&format!(
            "/api/v1/site-builder/pages/{}/{action}/",
            page["id"]
        )))
        .bearer_auth(token);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test]
async fn page_content_needs_a_language_model_and_costs_nothing_offline(pool: PgPool) {
    let (app, _data) = spawn(pool.clone(), "").await;
    let f = fixture(&app, 100, "Ledgerly", saas_brief()).await;
    let (status, _) = generate(&app, &f, "structure").await;
    assert_eq!(status, StatusCode::OK);
    let before = pages(&app, &f).await;
    let about = before[3].clone();
    assert_eq!(about["slug"], "about");

    for action in ["generate_content", "regenerate"] {
        let (status, refused) = page_call(&app, &f.admin, &about, action, Some("k")).await;
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{action}: {refused}"
        );
        assert_eq!(refused["error"]["code"], "ai_provider_not_configured");
        assert_eq!(refused["error"]["details"]["config_key"], "ai.provider");
    }
    let (status, refused) = page_call(&app, &f.admin, &about, "generate_content", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["error"]["code"], "idempotency_key_required");

    assert_eq!(balance(&app, &f.admin).await, 50);
    assert!(holds(&pool, "site_page_generation").await.is_empty());
    assert_eq!(count(&pool, "SELECT count(*) FROM tasks").await, 0);
    assert_eq!(pages(&app, &f).await, before, "the pages are untouched");

    // Both routes are described with the answers they may give.
    let description: Value = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for action in ["generate_content", "regenerate"] {
        let operation =
            &description["paths"][format!("/api/v1/site-builder/pages/{{id}}/{action}")]["post"];
        for status in ["200", "402", "502", "503"] {
            assert!(
                operation["responses"][status].is_object(),
                "{action} {status}"
            );
        }
        assert!(
            operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "Idempotency-Key" && p["required"] == true),
            "{action}: {operation}"
        );
    }
}

/// An article as a model writes one: sections, a list, inline markup and a script.
const ARTICLE: &str = "<h2>Our story</h2><p>Ledgerly began in a bakery &amp; grew.</p>\
<script>alert('x')</script><ul><li>Invoices</li><li>Cash flow</li></ul>\
<h2>Why it works</h2><p>It takes <b>minutes</b> a week.</p>";

#[sqlx::test]
async fn page_content_from_the_model_fills_the_page_and_is_charged_once(pool: PgPool) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(asks_for("site_structure"))
        .respond_with(completion(&model_structure().to_string()))
        .expect(1)
        .mount(&server)
        .await;
    // The generation and one regeneration; the replay and the refused requests ask nothing.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(asks_for("write_article"))
        .respond_with(completion(
            &json!({
                "title": "Bookkeeping that takes minutes",
                "html": ARTICLE,
                "meta_description": "Ledgerly keeps the books of small bakeries in minutes a week.",
            })
            .to_string(),
        ))
        .expect(2)
        .mount(&server)
        .await;
    let (app, _data) = spawn(pool.clone(), &openai_settings(&server, 0)).await;
    let f = fixture(&app, 90, "Ledgerly", saas_brief()).await;
    // The pipeline job queued with each article would link and optimize it at its own cost;
    // with those stages off, the balance shows the site builder's charges alone.
    let (status, _) = call(
        &app,
        Method::PATCH,
        "/api/v1/settings/modules",
        &f.admin,
        Some(json!({"linker": {"enabled": false}, "optimizer": {"enabled": false}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, generated) = generate(&app, &f, "structure").await;
    assert_eq!(status, StatusCode::OK, "{generated}");
    let structured = pages(&app, &f).await;
    let home = structured[0].clone();
    let hero = home["blocks"][0].clone();
    assert_eq!(hero["type"], "hero");

    let (status, done) = page_call(&app, &f.admin, &home, "generate_content", Some("page-1")).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["credits_used"], 20);
    assert_eq!(done["replayed"], false);
    assert_eq!(done["page"]["status"], "ready");
    assert_eq!(done["page"]["slug"], "home");
    // The hero stays in place; the page's text is the article's, as plain text.
    assert_eq!(
        done["page"]["blocks"],
        json!([
            hero,
            {"type": "text", "heading": "Our story",
             "body": "Ledgerly began in a bakery & grew.\n\n• Invoices\n• Cash flow"},
            {"type": "text", "heading": "Why it works", "body": "It takes minutes a week."},
        ])
    );
    assert_eq!(balance(&app, &f.admin).await, 20);
    assert_eq!(
        holds(&pool, "site_page_generation").await,
        [("captured".to_owned(), 20, Some(20))]
    );
    // The article is also a content row, made through a writer task from the page.
    let content = done["content_id"].as_i64().unwrap();
    // (The pipeline job queued with it may already be linking and optimizing it.)
    let (source, title, body): (String, String, String) =
        sqlx::query_as("SELECT source, title, content_raw FROM content WHERE id = $1")
            .bind(content)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (source.as_str(), title.as_str()),
        ("igny8", "Bookkeeping that takes minutes")
    );
    assert!(body.contains("Ledgerly began in a bakery"), "{body}");
    let (task_title, content_type, task_status, task_credits): (String, String, String, i64) =
        sqlx::query_as("SELECT title, content_type, status, credits_used FROM tasks WHERE id = $1")
            .bind(done["task_id"].as_i64().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (
            task_title.as_str(),
            content_type.as_str(),
            task_status.as_str(),
            task_credits
        ),
        ("Home", "home page", "completed", 20)
    );
    let asked = requests_for(&server, "write_article").await;
    let prompt = asked[0]["messages"][1]["content"].as_str().unwrap();
    for given in [
        "Write a home page titled \"Home\"",
        "\"Ledgerly\"",
        "small bakeries",
        "Accounting software",
    ] {
        assert!(prompt.contains(given), "{given} in {prompt}");
    }

    // The same key again: the first result, no second charge, no model call.
    let (status, replayed) =
        page_call(&app, &f.admin, &home, "generate_content", Some("page-1")).await;
    assert_eq!(status, StatusCode::OK, "{replayed}");
    assert_eq!(replayed["replayed"], true);
    assert_eq!(replayed["page"]["blocks"], done["page"]["blocks"]);
    assert_eq!(balance(&app, &f.admin).await, 20);

    // A viewer may not; an editor without a grant does not see the page; one with an edit
    // grant regenerates it.
    let viewer = app.token(f.account, Role::Viewer).await;
    grant(&app, &pool, &f, viewer.clone(), "view").await;
    let (status, _) = page_call(&app, &viewer, &home, "regenerate", Some("page-2")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let editor = app.token(f.account, Role::Editor).await;
    let (status, _) = page_call(&app, &editor, &home, "regenerate", Some("page-2")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    grant(&app, &pool, &f, editor.clone(), "edit").await;
    let (status, again) = page_call(&app, &editor, &home, "regenerate", Some("page-2")).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["content_id"], content, "the same content row");
    assert_eq!(again["task_id"], done["task_id"], "the same writer task");
    assert_eq!(balance(&app, &f.admin).await, 0);
    let revisions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM content_revisions WHERE content_id = $1 AND origin = 'regenerate'",
    )
    .bind(content)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(revisions, 1, "the replaced body is kept");
    assert_eq!(count(&pool, "SELECT count(*) FROM tasks").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM content").await, 1);
    // The page set is what the structure made: same pages, slugs and order; only the home
    // page's blocks and state changed.
    let after = pages(&app, &f).await;
    assert_eq!(
        after.as_array().unwrap().len(),
        structured.as_array().unwrap().len()
    );
    for (now, was) in after
        .as_array()
        .unwrap()
        .iter()
        .zip(structured.as_array().unwrap())
    {
        assert_eq!(
            (&now["id"], &now["slug"], &now["order"]),
            (&was["id"], &was["slug"], &was["order"])
        );
        if now["slug"] != "home" {
            assert_eq!(now, was);
        }
    }
    assert_eq!(after[0]["blocks"], done["page"]["blocks"]);

    // Without the credits nothing runs; a page never generated cannot be regenerated.
    let (status, error) = page_call(&app, &f.admin, &home, "regenerate", Some("page-3")).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{error}");
    assert_eq!(error["error"]["details"]["required"], 20);
    let (status, error) =
        page_call(&app, &f.admin, &structured[2], "regenerate", Some("page-4")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["error"]["code"], "not_generated");
    assert_eq!(pages(&app, &f).await, after);
}

#[sqlx::test]
async fn a_failed_page_generation_goes_back_to_draft_and_costs_nothing(pool: PgPool) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(asks_for("write_article"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": {"message": "The model `test-model` does not exist", "type": "invalid_request_error",
                      "param": null, "code": "model_not_found"},
        })))
        .expect(1)
        .mount(&server)
        .await;
    let (app, _data) = spawn(pool.clone(), &openai_settings(&server, 0)).await;
    let f = fixture(&app, 50, "Ledgerly", saas_brief()).await;
    let (status, page) = call(
        &app,
        Method::POST,
        "/api/v1/site-builder/pages",
        &f.admin,
        Some(
            json!({"blueprint_id": f.blueprint, "slug": "story", "title": "Our story",
                    "type": "about", "blocks": [{"type": "text", "body": "Written by hand."}]}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{page}");

    let (status, error) = page_call(&app, &f.admin, &page, "generate_content", Some("k")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{error}");
    assert_eq!(error["error"]["code"], "ai_refused");
    let (_, now) = call(
        &app,
        Method::GET,
        &format!("/api/v1/site-builder/pages/{}", page["id"]),
        &f.admin,
        None,
    )
    .await;
    assert_eq!(now["status"], "draft");
    assert_eq!(now["blocks"], page["blocks"], "the blocks are as they were");
    assert_eq!(balance(&app, &f.admin).await, 50);
    assert_eq!(
        holds(&pool, "site_page_generation").await,
        [("released".to_owned(), 20, None)]
    );
    let (task_status, task_error): (String, String) =
        sqlx::query_as("SELECT status, error FROM tasks")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(task_status, "failed");
    assert!(task_error.contains("does not exist"), "{task_error}");
    let last_error: String =
        sqlx::query_scalar("SELECT last_error FROM page_blueprints WHERE id = $1")
            .bind(page["id"].as_i64().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(last_error.contains("does not exist"), "{last_error}");
    // The failed key is spent; the model is not asked again under it.
    let (status, error) = page_call(&app, &f.admin, &page, "generate_content", Some("k")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["error"]["code"], "idempotency_key_spent");
}
