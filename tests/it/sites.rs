//! Sites: the config file's sites reconciled into the database (at start, on reload, on
//! removal), and the sites API through real HTTP: write-only credentials, config-managed sites
//! that stay read-only, tenant isolation, site grants, sync requests and run listings.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use igny8::domain::ids::{AccountId, SiteId};
use igny8::domain::role::Role;
use igny8::domain::site::PushPolicy;
use igny8::reload::{ReloadError, Reloader};
use igny8::settings::{Settings, Sources};
use igny8::sites::config::{ConfigSites, ConfigSitesError};
use igny8::store::Store;
use igny8::store::sync_runs::{RunCounts, RunKind, Trigger};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{TestApp, database_url};

/// The password every test site is given; no response or row may contain it.
const PASSWORD: &str = "abcd EFGH ijkl MNOP qrst UVWX";
const PASSWORD_STORED: &str = "abcdEFGHijklMNOPqrstUVWX";

/// A configuration file on the test database, with `sites` TOML after it.
fn sources(dir: &Path, pool: &PgPool, sites: &str) -> Sources {
    let main_file = dir.join("igny8.toml");
    std::fs::write(
        &main_file,
        format!(
            "data_dir = {:?}\n[database]\nurl = \"{}\"\n{sites}",
            dir.join("data").display().to_string(),
            database_url(pool)
        ),
    )
    .unwrap();
    Sources {
        main_file,
        main_file_explicit: true,
        env: BTreeMap::new(),
        overrides: vec![("http.listen", "127.0.0.1:0".to_owned())],
    }
}

fn wordpress_site(name: &str, account: i64, extra: &str) -> String {
    format!(
        "[[sites]]\nname = \"{name}\"\naccount = {account}\nconnector = \"wordpress\"\n\
         base_url = \"https://{name}.example\"\n{extra}"
    )
}

/// A `sites` row, live or deleted, as these tests look at it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct SiteRow {
    name: String,
    id: i64,
    deleted: bool,
    config_managed: bool,
    credentials_ref: Option<String>,
    settings: Value,
    push_policy: String,
    schedule: Option<String>,
}

/// Every row of `sites`, by name.
async fn site_rows(pool: &PgPool) -> BTreeMap<String, SiteRow> {
    let rows: Vec<SiteRow> = sqlx::query_as(
        "SELECT name, id, deleted_at IS NOT NULL AS deleted, config_managed, credentials_ref,
                settings, push_policy, schedule
         FROM sites ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|row| (row.name.clone(), row))
        .collect()
}

#[sqlx::test]
async fn configured_sites_are_created_updated_soft_deleted_and_revived(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let account = store.create_account("sites", None).await.unwrap().id.get();
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("shop-password");
    std::fs::write(&password_file, "from the file\n").unwrap();
    let declare = |blog_extra: &str, with_shop: bool| {
        let mut sites = wordpress_site(
            "blog",
            account,
            &format!("username = \"igny8\"\napp_password = \"{PASSWORD}\"\n{blog_extra}"),
        );
        if with_shop {
            sites.push_str(&wordpress_site(
                "shop",
                account,
                &format!(
                    "username = \"shop-bot\"\napp_password_file = {:?}\n\
                     post_types = [\"product\"]\nlookback_seconds = 30\n",
                    password_file.display().to_string()
                ),
            ));
        }
        let sources = sources(dir.path(), &pool, &sites);
        Settings::load(&sources).unwrap()
    };
    let config_sites = ConfigSites::new(store.clone(), dir.path().join("data"));

    config_sites
        .apply(&declare("schedule = \"*/15 * * * *\"\n", true).sites)
        .await
        .unwrap();
    let rows = site_rows(&pool).await;
    let blog = &rows["blog"];
    assert!(!blog.deleted && blog.config_managed);
    assert_eq!(blog.credentials_ref.as_deref(), Some("config:blog"));
    assert_eq!(
        blog.settings,
        json!({ "username": "igny8", "post_types": ["post", "page"],
                "lookback_seconds": 120, "reconcile_every_hours": 24 })
    );
    assert_eq!(blog.push_policy, "off");
    assert_eq!(blog.schedule.as_deref(), Some("*/15 * * * *"));
    let (blog_id, shop) = (blog.id, &rows["shop"]);
    assert_eq!(
        shop.credentials_ref,
        Some(format!("file:{}", password_file.display())),
        "a password file is referenced by its absolute path"
    );
    assert_eq!(shop.settings["post_types"], json!(["product"]));
    assert_eq!(shop.settings["lookback_seconds"], 30);
    let shop_id = shop.id;
    let secrets = config_sites.secrets();
    for (reference, expected) in [
        ("config:blog".to_owned(), PASSWORD_STORED),
        (format!("file:{}", password_file.display()), "fromthefile"),
    ] {
        let resolved = secrets.read().unwrap().resolve(&reference).unwrap();
        assert_eq!(resolved.expose(), expected);
    }

    // Changed in the file: the same row is updated. Removed from the file: soft-deleted.
    config_sites
        .apply(&declare("push = \"auto\"\n", false).sites)
        .await
        .unwrap();
    let rows = site_rows(&pool).await;
    assert_eq!(rows["blog"].id, blog_id);
    assert_eq!(rows["blog"].push_policy, "auto");
    assert_eq!(rows["blog"].schedule, None, "the schedule was dropped");
    assert_eq!(
        (rows["shop"].id, rows["shop"].deleted),
        (shop_id, true),
        "kept, soft-deleted"
    );
    assert!(
        store
            .site(AccountId::new(account), SiteId::new(shop_id))
            .await
            .is_err(),
        "a deleted site is gone for the daemon"
    );

    // Declared again: the same site comes back, with its content and history.
    config_sites.apply(&declare("", true).sites).await.unwrap();
    let rows = site_rows(&pool).await;
    assert_eq!((rows["shop"].id, rows["shop"].deleted), (shop_id, false));
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM sites")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 2);

    // A site of an account that does not exist changes nothing, and says which.
    let mut broken = declare("push = \"review\"\n", false);
    let unknown = Settings::load(&sources(
        dir.path(),
        &pool,
        &wordpress_site("ghost", 999_999, ""),
    ))
    .unwrap();
    broken.sites.extend(unknown.sites);
    let err = config_sites.apply(&broken.sites).await.unwrap_err();
    let ConfigSitesError::UnknownAccounts(unknown) = &err else {
        panic!("expected an unknown account, got {err:?}");
    };
    assert_eq!(unknown.len(), 1);
    let message = err.to_string();
    assert!(
        message.contains("\"ghost\"") && message.contains("account 999999"),
        "{message}"
    );
    let after = site_rows(&pool).await;
    assert_eq!(after, rows, "nothing changed");
    assert!(
        secrets.read().unwrap().resolve("config:blog").is_ok(),
        "the secrets stay"
    );
}

#[sqlx::test]
async fn start_up_fails_on_a_site_of_an_unknown_account_and_reload_keeps_the_old_sites(
    pool: PgPool,
) {
    let store = Store::from_pool(pool.clone());
    let account = store.create_account("sites", None).await.unwrap().id.get();
    let dir = tempfile::tempdir().unwrap();

    let unknown = sources(dir.path(), &pool, &wordpress_site("ghost", 424_242, ""));
    let err = igny8::app::App::build_with_store(Settings::load(&unknown).unwrap(), store.clone())
        .await
        .err()
        .expect("start-up refuses a site of an unknown account");
    let message = format!("{err:#}");
    assert!(
        message.contains("\"ghost\"") && message.contains("account 424242"),
        "{message}"
    );

    let good = sources(dir.path(), &pool, &wordpress_site("blog", account, ""));
    let settings = Settings::load(&good).unwrap();
    let app = igny8::app::App::build_with_store(settings.clone(), store.clone())
        .await
        .unwrap();
    let reloader = Reloader::new(good.clone(), settings, None).with_sites(app.config_sites());
    assert!(site_rows(&pool).await.contains_key("blog"));

    sources(
        dir.path(),
        &pool,
        &format!(
            "{}{}",
            wordpress_site("blog", account, "push = \"auto\"\n"),
            wordpress_site("ghost", 424_242, "")
        ),
    );
    let Err(ReloadError::Sites(ConfigSitesError::UnknownAccounts(_))) = reloader.reload().await
    else {
        panic!("a reload with an unknown account must be refused");
    };
    assert_eq!(
        reloader.current().sites[0].site.push_policy,
        PushPolicy::Off
    );
    let rows = site_rows(&pool).await;
    assert_eq!(
        rows["blog"].push_policy, "off",
        "the database keeps the old sites"
    );
    assert!(!rows.contains_key("ghost"));

    sources(
        dir.path(),
        &pool,
        &wordpress_site("blog", account, "push = \"auto\"\n"),
    );
    reloader.reload().await.unwrap();
    assert_eq!(site_rows(&pool).await["blog"].push_policy, "auto");
}

/// A request's status and JSON body (null when there is none).
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, text) = app.request(method, path, token, body).await;
    assert!(
        !text.contains(PASSWORD) && !text.contains(PASSWORD_STORED),
        "a response shows the password: {text}"
    );
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

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

fn new_site(name: &str) -> Value {
    json!({
        "name": name,
        "connector": "wordpress",
        // Nothing listens there: a pull the workers try fails fast and is retried later.
        "base_url": "http://127.0.0.1:9/wp",
        "username": "igny8",
        "app_password": PASSWORD,
        "post_types": ["post", "page", "product"],
        // Never due while a test runs, so only the tests queue pulls.
        "schedule": "0 0 1 1 *",
        "push_policy": "review",
        "lookback_seconds": 60,
        "link_enabled": true,
    })
}

#[sqlx::test]
async fn the_api_manages_sites_with_write_only_passwords(pool: PgPool) {
    let (app, data) = spawn(pool.clone(), "").await;
    let (account, admin) = app.account(0, Role::Admin).await;

    let (status, created) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &admin,
        Some(new_site("blog")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["name"], "blog");
    assert_eq!(created["username"], "igny8");
    assert_eq!(created["has_credentials"], true);
    assert_eq!(created["post_types"], json!(["post", "page", "product"]));
    assert_eq!(created["push_policy"], "review");
    assert_eq!(created["lookback_seconds"], 60);
    assert_eq!(created["reconcile_every_hours"], 24);
    assert_eq!(created["link_enabled"], true);
    assert_eq!(created["config_managed"], false);
    assert!(created.get("app_password").is_none(), "{created}");

    let file = data.path().join(format!("credentials/site-{account}-{id}"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), PASSWORD_STORED);
    assert_eq!(file.metadata().unwrap().mode() & 0o777, 0o600);
    assert_eq!(
        file.parent().unwrap().metadata().unwrap().mode() & 0o777,
        0o700
    );
    let (reference, row): (Option<String>, String) =
        sqlx::query_as("SELECT credentials_ref, row_to_json(sites)::text FROM sites WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        reference,
        Some(format!("data:credentials/site-{account}-{id}"))
    );
    assert!(
        !row.contains(PASSWORD) && !row.contains(PASSWORD_STORED),
        "{row}"
    );

    let (status, list) = call(&app, Method::GET, "/api/v1/sites", &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id);
    let path = format!("/api/v1/sites/{id}");
    let (status, one) = call(&app, Method::GET, &path, &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one, created);

    // A new password replaces the file; other fields change alone.
    let (status, changed) = call(
        &app,
        Method::PATCH,
        &path,
        &admin,
        Some(json!({ "app_password": "new-password", "push_policy": "auto", "schedule": null })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "new-password");
    assert_eq!(changed["push_policy"], "auto");
    assert_eq!(changed["schedule"], Value::Null);
    assert_eq!(changed["post_types"], created["post_types"]);
    assert_eq!(changed["has_credentials"], true);
    assert!(!changed.to_string().contains("new-password"));

    // Credentials can be dropped together, not half.
    let (status, half) = call(
        &app,
        Method::PATCH,
        &path,
        &admin,
        Some(json!({ "username": null })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(half["error"]["details"]["field"], "username");
    let (status, anonymous) = call(
        &app,
        Method::PATCH,
        &path,
        &admin,
        Some(json!({ "username": null, "app_password": null })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{anonymous}");
    assert_eq!(anonymous["has_credentials"], false);
    assert_eq!(anonymous["username"], Value::Null);
    assert!(!file.exists(), "the password file is removed");

    // Deleting is soft: the row stays, the site is gone from the API.
    let (status, password_again) = call(
        &app,
        Method::PATCH,
        &path,
        &admin,
        Some(json!({ "username": "igny8", "app_password": PASSWORD })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{password_again}");
    assert!(file.exists());
    let (status, _) = call(&app, Method::DELETE, &path, &admin, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        call(&app, Method::GET, &path, &admin, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&app, Method::DELETE, &path, &admin, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(!file.exists(), "a deleted site's password is removed");
    let (deleted, reference): (bool, Option<String>) =
        sqlx::query_as("SELECT deleted_at IS NOT NULL, credentials_ref FROM sites WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(deleted);
    assert_eq!(reference, None);
}

#[sqlx::test]
async fn bad_sites_are_refused_naming_the_field(pool: PgPool) {
    let (app, _data) = spawn(pool, "").await;
    let (_, admin) = app.account(0, Role::Admin).await;
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &admin,
        Some(new_site("blog")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let with = |change: Value| {
        let mut site = new_site("other");
        for (key, value) in change.as_object().unwrap() {
            site[key] = value.clone();
        }
        site
    };
    for (body, field, needle) in [
        (
            with(json!({ "base_url": "http://blog.example.com" })),
            "base_url",
            "application passwords are sent in the clear over http; use https or a local address",
        ),
        (
            with(json!({ "connector": "shopify" })),
            "username",
            "a key of the wordpress connector; this site uses the shopify connector",
        ),
        (
            with(json!({ "connector": "drupal" })),
            "connector",
            "expected \"wordpress\", \"shopify\" or \"rest\"",
        ),
        (with(json!({ "name": "Not OK" })), "name", "site name"),
        (
            with(json!({ "post_types": [] })),
            "post_types",
            "at least one",
        ),
        (
            with(json!({ "post_types": ["post", "Bad"] })),
            "post_types[1]",
            "post type",
        ),
        (with(json!({ "schedule": "daily" })), "schedule", "cron"),
        (
            with(json!({ "lookback_seconds": 90000 })),
            "lookback_seconds",
            "0 to 86400",
        ),
        (
            with(json!({ "reconcile_every_hours": 0 })),
            "reconcile_every_hours",
            "1 to 8760",
        ),
        (
            with(json!({ "app_password": null })),
            "app_password",
            "needs an app_password",
        ),
        (
            with(json!({ "push_policy": "now" })),
            "push_policy",
            "variant",
        ),
        (with(json!({ "colour": "red" })), "colour", "unknown field"),
    ] {
        let (status, error) = call(&app, Method::POST, "/api/v1/sites", &admin, Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {error}");
        assert_eq!(error["error"]["details"]["field"], field, "{error}");
        assert!(
            error["error"]["message"].as_str().unwrap().contains(needle),
            "{field}: {error}"
        );
    }
    let (status, taken) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &admin,
        Some(new_site("blog")),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(taken["error"]["code"], "site_name_taken");
    let (status, local) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &admin,
        Some(with(json!({ "base_url": "http://localhost:8080" }))),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a local http address is fine: {local}"
    );
}

#[sqlx::test]
async fn configured_sites_are_read_only_over_the_api(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let account = store.create_account("sites", None).await.unwrap().id.get();
    let (app, _data) = spawn(
        pool,
        &wordpress_site(
            "blog",
            account,
            &format!("username = \"igny8\"\napp_password = \"{PASSWORD}\"\n"),
        ),
    )
    .await;
    let admin = app.token(account, Role::Owner).await;
    let (_, list) = call(&app, Method::GET, "/api/v1/sites", &admin, None).await;
    assert_eq!(list["total"], 1);
    let site = &list["items"][0];
    assert_eq!(site["config_managed"], true);
    assert_eq!(site["has_credentials"], true);
    assert_eq!(site["base_url"], "https://blog.example/");
    let path = format!("/api/v1/sites/{}", site["id"]);

    for (method, body) in [
        (Method::PATCH, Some(json!({ "push_policy": "auto" }))),
        (Method::DELETE, None),
    ] {
        let (status, error) = call(&app, method.clone(), &path, &admin, body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{method}");
        assert_eq!(error["error"]["code"], "config_managed");
        assert_eq!(
            error["error"]["message"],
            "this site is declared in the configuration file; change it there"
        );
    }
    let (_, after) = call(&app, Method::GET, &path, &admin, None).await;
    assert_eq!(after["push_policy"], "off");

    // Its name is taken for sites made through the API.
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &admin,
        Some(new_site("blog")),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[sqlx::test]
async fn another_accounts_site_is_not_found(pool: PgPool) {
    let (app, _data) = spawn(pool, "").await;
    let (_, a) = app.account(0, Role::Owner).await;
    let (_, b) = app.account(0, Role::Owner).await;
    let (_, created) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &a,
        Some(new_site("blog")),
    )
    .await;
    let path = format!("/api/v1/sites/{}", created["id"]);
    let (_, list) = call(&app, Method::GET, "/api/v1/sites", &b, None).await;
    assert_eq!(list["total"], 0);
    for (method, path, body) in [
        (Method::GET, path.clone(), None),
        (
            Method::PATCH,
            path.clone(),
            Some(json!({ "link_enabled": false })),
        ),
        (Method::DELETE, path.clone(), None),
        (Method::POST, format!("{path}/sync"), None),
        (Method::GET, format!("{path}/runs"), None),
    ] {
        let (status, error) = call(&app, method.clone(), &path, &b, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(error["error"]["code"], "not_found");
    }
    let (status, _) = call(&app, Method::GET, &path, &a, None).await;
    assert_eq!(status, StatusCode::OK, "untouched for its own account");
}

#[sqlx::test]
async fn editors_and_viewers_see_only_the_sites_granted_to_them(pool: PgPool) {
    let (app, _data) = spawn(pool.clone(), "").await;
    let (account, admin) = app.account(0, Role::Admin).await;
    let mut ids = Vec::new();
    for name in ["blog", "shop"] {
        let (_, site) = call(
            &app,
            Method::POST,
            "/api/v1/sites",
            &admin,
            Some(new_site(name)),
        )
        .await;
        ids.push(site["id"].as_i64().unwrap());
    }
    let (blog, shop) = (ids[0], ids[1]);
    let editor = app.token(account, Role::Editor).await;
    let editor_id = token_id(&app, &editor).await;

    let (status, list) = call(&app, Method::GET, "/api/v1/sites", &editor, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (list["total"].clone(), list["items"].clone()),
        (json!(0), json!([]))
    );
    for (method, path) in [
        (Method::GET, format!("/api/v1/sites/{blog}")),
        (Method::POST, format!("/api/v1/sites/{blog}/sync")),
        (Method::GET, format!("/api/v1/sites/{blog}/runs")),
    ] {
        let (status, _) = call(&app, method, &path, &editor, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }

    // A grant to the token itself.
    sqlx::query(
        "INSERT INTO site_user_access (account_id, site_id, api_token_id) VALUES ($1, $2, $3)",
    )
    .bind(account)
    .bind(blog)
    .bind(editor_id)
    .execute(&pool)
    .await
    .unwrap();
    let (_, list) = call(&app, Method::GET, "/api/v1/sites", &editor, None).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], blog);
    let blog_path = format!("/api/v1/sites/{blog}");
    assert_eq!(
        call(&app, Method::GET, &blog_path, &editor, None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(
            &app,
            Method::GET,
            &format!("/api/v1/sites/{shop}"),
            &editor,
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (status, queued) = call(
        &app,
        Method::POST,
        &format!("{blog_path}/sync"),
        &editor,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    // Editing a site stays with owners and admins.
    let (status, error) = call(
        &app,
        Method::PATCH,
        &blog_path,
        &editor,
        Some(json!({ "link_enabled": false })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["error"]["details"]["required_role"], "admin");

    // A grant to a user reaches every token of that user; a 'view' grant lets it read only.
    let user: i64 = sqlx::query_scalar(
        "INSERT INTO users (account_id, email, role) VALUES ($1, 'ed@example.com', 'editor')
         RETURNING id",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    let user_token = app.token(account, Role::Editor).await;
    sqlx::query("UPDATE api_tokens SET user_id = $2 WHERE account_id = $1 AND id = $3")
        .bind(account)
        .bind(user)
        .bind(token_id(&app, &user_token).await)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO site_user_access (account_id, site_id, user_id, access)
         VALUES ($1, $2, $3, 'view')",
    )
    .bind(account)
    .bind(shop)
    .bind(user)
    .execute(&pool)
    .await
    .unwrap();
    let (_, list) = call(&app, Method::GET, "/api/v1/sites", &user_token, None).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], shop);
    let (status, error) = call(
        &app,
        Method::POST,
        &format!("/api/v1/sites/{shop}/sync"),
        &user_token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["error"]["details"]["site_access"], "view");

    // A viewer with a grant reads, and may not queue work.
    let viewer = app.token(account, Role::Viewer).await;
    sqlx::query(
        "INSERT INTO site_user_access (account_id, site_id, api_token_id) VALUES ($1, $2, $3)",
    )
    .bind(account)
    .bind(shop)
    .bind(token_id(&app, &viewer).await)
    .execute(&pool)
    .await
    .unwrap();
    let (_, list) = call(&app, Method::GET, "/api/v1/sites", &viewer, None).await;
    assert_eq!(list["total"], 1);
    let (status, error) = call(
        &app,
        Method::POST,
        &format!("/api/v1/sites/{shop}/sync"),
        &viewer,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["error"]["details"]["required_role"], "editor");
}

async fn token_id(app: &TestApp, token: &str) -> i64 {
    let secret = igny8::domain::token::TokenSecret::parse(token).unwrap();
    app.store
        .authenticate(&secret)
        .await
        .unwrap()
        .unwrap()
        .id
        .get()
}

#[sqlx::test]
async fn a_manual_sync_is_queued_once_and_runs_are_listed_newest_first(pool: PgPool) {
    let (app, _data) = spawn(pool.clone(), "").await;
    let (account, editor_admin) = app.account(0, Role::Admin).await;
    let (_, site) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &editor_admin,
        Some(new_site("blog")),
    )
    .await;
    let id = site["id"].as_i64().unwrap();
    let sync = format!("/api/v1/sites/{id}/sync");

    let (status, first) = call(
        &app,
        Method::POST,
        &sync,
        &editor_admin,
        Some(json!({ "full": true })),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    assert_eq!(first["queued"], true);
    let job_id = first["job_id"].as_i64().unwrap();
    let (status, second) = call(&app, Method::POST, &sync, &editor_admin, None).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        second,
        json!({ "queued": false,
                "reason": "a sync of this site is already queued or running" })
    );
    let jobs: Vec<(i64, String, Value, Option<String>)> =
        sqlx::query_as("SELECT id, kind, payload, unique_key FROM jobs WHERE kind = 'sync.pull'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        jobs,
        [(
            job_id,
            "sync.pull".to_owned(),
            json!({ "account_id": account, "site_id": id, "full": true, "trigger": "manual" }),
            Some(format!("sync.pull:{account}:{id}")),
        )]
    );
    let (status, bad) = call(
        &app,
        Method::POST,
        &sync,
        &editor_admin,
        Some(json!({ "fast": true })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["error"]["details"]["field"], "fast");

    // Runs as the sync machinery records them, on a second site: the first one's queued pull
    // may be running (against an address where nothing listens) and records runs of its own.
    let (_, other) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &editor_admin,
        Some(new_site("shop")),
    )
    .await;
    let id = other["id"].as_i64().unwrap();
    let (account_id, site_id) = (AccountId::new(account), SiteId::new(id));
    let mut started = Vec::new();
    for (kind, error) in [
        (RunKind::Full, None),
        (RunKind::Reconcile, Some("the count did not match")),
        (RunKind::Refetch, None),
    ] {
        let run = app
            .store
            .start_run(account_id, site_id, kind, Trigger::Webhook)
            .await
            .unwrap();
        let counts = RunCounts {
            fetched: 3,
            created: 2,
            ..RunCounts::default()
        };
        app.store
            .finish_run(account_id, run, &counts, &json!({}), error)
            .await
            .unwrap();
        started.push(run.get());
    }
    let (status, runs) = call(
        &app,
        Method::GET,
        &format!("/api/v1/sites/{id}/runs"),
        &editor_admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{runs}");
    assert_eq!(runs["total"], 3);
    let listed: Vec<i64> = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["id"].as_i64().unwrap())
        .collect();
    started.reverse();
    assert_eq!(listed, started, "newest first");
    let newest = &runs["items"][0];
    assert_eq!(newest["kind"], "refetch");
    assert_eq!(newest["status"], "succeeded");
    assert_eq!(newest["triggered_by"], "webhook");
    assert_eq!(newest["fetched_count"], 3);
    assert_eq!(newest["created_count"], 2);
    assert_eq!(runs["items"][1]["status"], "failed");
    assert_eq!(runs["items"][1]["error"], "the count did not match");
    let (_, page) = call(
        &app,
        Method::GET,
        &format!("/api/v1/sites/{id}/runs?page=2&page_size=1"),
        &editor_admin,
        None,
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], listed[1]);
    assert_eq!(page["total"], 3);
}

const WEBHOOK_SECRET: &str = "whsec-0123456789abcdef";

#[sqlx::test]
async fn configured_and_api_sites_get_resolvable_webhook_secrets(pool: PgPool) {
    let store = Store::from_pool(pool.clone());
    let account = store.create_account("hooks", None).await.unwrap().id.get();
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("shop-webhook-secret");
    std::fs::write(&secret_file, "from-the-secret-file\n").unwrap();
    let sites = format!(
        "{}{}{}",
        wordpress_site(
            "blog",
            account,
            &format!("webhook_secret = \"{WEBHOOK_SECRET}\"\n")
        ),
        wordpress_site(
            "shop",
            account,
            &format!(
                "webhook_secret_file = {:?}\n",
                secret_file.display().to_string()
            ),
        ),
        wordpress_site("plain", account, ""),
    );
    let settings = Settings::load(&sources(dir.path(), &pool, &sites)).unwrap();
    let config_sites = ConfigSites::new(store.clone(), dir.path().join("data"));
    config_sites.apply(&settings.sites).await.unwrap();
    let rows = site_rows(&pool).await;
    assert_eq!(
        rows["blog"].settings["webhook_secret_ref"],
        json!("config:blog:webhook")
    );
    assert_eq!(
        rows["shop"].settings["webhook_secret_ref"],
        json!(format!("file:{}", secret_file.display()))
    );
    assert!(rows["plain"].settings.get("webhook_secret_ref").is_none());
    let secrets = config_sites.secrets();
    let secrets = secrets.read().unwrap().clone();
    for (name, expected) in [
        ("blog", Some(WEBHOOK_SECRET)),
        ("shop", Some("from-the-secret-file")),
        ("plain", None),
    ] {
        let site = store
            .site(AccountId::new(account), SiteId::new(rows[name].id))
            .await
            .unwrap();
        let resolved = igny8::sync::site_connector::webhook_secret(&site, &secrets).unwrap();
        assert_eq!(
            resolved.as_ref().map(|secret| secret.expose()),
            expected,
            "{name}"
        );
    }

    // Through the API: stored in a private file, shown only as a flag.
    let (app, data) = spawn(pool.clone(), "").await;
    let (account, admin) = app.account(0, Role::Admin).await;
    let mut body = new_site("hooked");
    body["webhook_secret"] = json!(WEBHOOK_SECRET);
    let (status, created) = call(&app, Method::POST, "/api/v1/sites", &admin, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["has_webhook_secret"], true);
    assert!(!created.to_string().contains(WEBHOOK_SECRET));
    let id = created["id"].as_i64().unwrap();
    let file = data
        .path()
        .join(format!("credentials/site-{account}-{id}-webhook"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), WEBHOOK_SECRET);
    assert_eq!(file.metadata().unwrap().mode() & 0o777, 0o600);
    let (reference,): (Option<String>,) =
        sqlx::query_as("SELECT settings->>'webhook_secret_ref' FROM sites WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        reference,
        Some(format!("data:credentials/site-{account}-{id}-webhook"))
    );

    let (status, plain) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &admin,
        Some(new_site("unhooked")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{plain}");
    assert_eq!(plain["has_webhook_secret"], false);

    let mut short = new_site("short");
    short["webhook_secret"] = json!("too-short");
    let (status, refused) = call(&app, Method::POST, "/api/v1/sites", &admin, Some(short)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("webhook_secret"), "{refused}");

    // PATCH removes it with null, which removes the file.
    let (status, changed) = call(
        &app,
        Method::PATCH,
        &format!("/api/v1/sites/{id}"),
        &admin,
        Some(json!({ "webhook_secret": null })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["has_webhook_secret"], false);
    assert!(!file.exists());
}

#[sqlx::test]
async fn a_check_queued_over_the_api_records_its_diagnosis_on_the_site(pool: PgPool) {
    // No retries, so the unreachable address is diagnosed at once.
    let (app, _data) = spawn(pool.clone(), "[connectors]\nmax_retries = 0\n").await;
    let (_, admin) = app.account(0, Role::Admin).await;
    let (_, site) = call(
        &app,
        Method::POST,
        "/api/v1/sites",
        &admin,
        Some(new_site("blog")),
    )
    .await;
    let id = site["id"].as_i64().unwrap();

    let (status, queued) = call(
        &app,
        Method::POST,
        &format!("/api/v1/sites/{id}/check"),
        &admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["queued"], true);
    let check = crate::support::eventually(
        std::time::Duration::from_secs(20),
        "the check to be recorded",
        || {
            let app = &app;
            let admin = admin.clone();
            async move {
                let (_, site) = call(
                    app,
                    Method::GET,
                    &format!("/api/v1/sites/{id}"),
                    &admin,
                    None,
                )
                .await;
                let check = site["capabilities"]["check"].clone();
                (!check.is_null()).then_some(check)
            }
        },
    )
    .await;
    assert_eq!(check["ok"], false);
    assert_eq!(check["code"], "unreachable");
    assert!(
        check["message"].as_str().unwrap().contains("127.0.0.1:9"),
        "{check}"
    );
    assert!(check["checked_at"].is_string());
}
