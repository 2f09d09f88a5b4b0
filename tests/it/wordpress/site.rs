//! A fresh WordPress site per test, made by the e2e scripts, and a small REST client that plays
//! the person editing in WordPress.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use igny8::connector::http::HttpClient;
use igny8::connector::wordpress::WordPress;
use igny8::domain::ids::AccountId;
use igny8::domain::site::{ConnectorKind, PushPolicy, SiteName};
use igny8::settings::ConnectorSettings;
use igny8::store::Store;
use igny8::store::sites::{Site, SiteSpec};
use igny8::sync::site_connector::{Secrets, wordpress};
use igny8::sync::site_settings::WordPressSettings;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

static SERVER: OnceCell<()> = OnceCell::const_new();

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Starts the shared WordPress server unless it answers already (the script is idempotent
/// and locked, so parallel test binaries may call it too).
async fn ensure_server() {
    SERVER
        .get_or_init(|| async {
            let status = tokio::task::spawn_blocking(|| {
                Command::new("bash")
                    .arg(repo().join("tests/e2e/wordpress/setup.sh"))
                    .status()
            })
            .await
            .unwrap()
            .expect("could not run tests/e2e/wordpress/setup.sh");
            assert!(
                status.success(),
                "tests/e2e/wordpress/setup.sh failed; it needs root (apt-get) and MariaDB"
            );
        })
        .await;
}

fn php(args: &[&str]) -> Value {
    let output = Command::new("php")
        .arg(repo().join("tests/e2e/wordpress/site.php"))
        .args(args)
        .output()
        .expect("could not run php");
    assert!(
        output.status.success(),
        "site.php {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("site.php prints one JSON line")
}

#[derive(Debug, Clone, Deserialize)]
struct Created {
    base_url: String,
    username: String,
    app_password: String,
    reader_username: String,
    reader_app_password: String,
}

/// One WordPress site, as its administrator sees it over REST.
pub struct WpSite {
    pub name: String,
    pub base_url: String,
    pub username: String,
    pub app_password: String,
    pub reader_username: String,
    pub reader_app_password: String,
    http: reqwest::Client,
}

impl WpSite {
    pub async fn create() -> WpSite {
        ensure_server().await;
        let name = format!("t{}", uuid::Uuid::new_v4().simple())[..20].to_owned();
        let created: Created = {
            let name = name.clone();
            let value = tokio::task::spawn_blocking(move || php(&["create", &name]))
                .await
                .unwrap();
            serde_json::from_value(value).unwrap()
        };
        WpSite {
            name,
            base_url: created.base_url,
            username: created.username,
            app_password: created.app_password,
            reader_username: created.reader_username,
            reader_app_password: created.reader_app_password,
            http: reqwest::Client::new(),
        }
    }

    /// Adds `count` posts, `spread` seconds apart (0: all in one second), ending now.
    pub async fn seed(&self, count: u32, spread: u32) {
        let name = self.name.clone();
        let out = tokio::task::spawn_blocking(move || {
            php(&[
                "seed",
                &name,
                &count.to_string(),
                "--spread",
                &spread.to_string(),
            ])
        })
        .await
        .unwrap();
        assert_eq!(out["count"], json!(count));
    }

    pub async fn enable_plugin(&self, webhook_url: &str, secret: &str) {
        let (name, url, secret) = (self.name.clone(), webhook_url.to_owned(), secret.to_owned());
        tokio::task::spawn_blocking(move || {
            php(&["plugin", &name, "--webhook-url", &url, "--secret", &secret])
        })
        .await
        .unwrap();
    }

    fn url(&self, route: &str) -> String {
        format!(
            "{}/wp-json/{}",
            self.base_url,
            route.trim_start_matches('/')
        )
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request
            .basic_auth(&self.username, Some(&self.app_password))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(status.is_success(), "WordPress answered {status}: {body}");
        body
    }

    /// Creates an item (`wp/v2/posts`, `wp/v2/pages`) and returns it in edit context.
    pub async fn create_item(&self, route: &str, body: Value) -> Value {
        self.send(
            self.http
                .post(self.url(route))
                .query(&[("context", "edit")])
                .json(&body),
        )
        .await
    }

    pub async fn update_item(&self, route: &str, id: u64, body: Value) -> Value {
        self.send(
            self.http
                .post(self.url(&format!("{route}/{id}")))
                .query(&[("context", "edit")])
                .json(&body),
        )
        .await
    }

    pub async fn get_item(&self, route: &str, id: u64) -> Value {
        self.send(
            self.http
                .get(self.url(&format!("{route}/{id}")))
                .query(&[("context", "edit")]),
        )
        .await
    }

    /// Trashes an item, or deletes it for good with `force`.
    pub async fn delete_item(&self, route: &str, id: u64, force: bool) {
        self.send(
            self.http
                .delete(self.url(&format!("{route}/{id}")))
                .query(&[("force", force.to_string())]),
        )
        .await;
    }

    /// WordPress's own count of a route's items in a status.
    pub async fn count(&self, route: &str, status: &str) -> u64 {
        let response = self
            .http
            .get(self.url(route))
            .query(&[("context", "edit"), ("status", status), ("per_page", "1")])
            .basic_auth(&self.username, Some(&self.app_password))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        response.headers()["x-wp-total"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Registers this site for `account` in igny8, as the config file would.
    pub async fn register(&self, store: &Store, account: AccountId, push: PushPolicy) -> Site {
        self.register_with(store, account, push, json!({})).await
    }

    /// Registers with extra connector settings (`lookback_seconds`, ...).
    pub async fn register_with(
        &self,
        store: &Store,
        account: AccountId,
        push: PushPolicy,
        extra: Value,
    ) -> Site {
        let mut settings = json!({"username": self.username, "post_types": ["post", "page"]});
        for (key, value) in extra.as_object().unwrap() {
            settings[key] = value.clone();
        }
        let spec = SiteSpec {
            name: SiteName::parse(&self.name).unwrap(),
            connector: ConnectorKind::Wordpress,
            base_url: Some(self.base_url.clone()),
            credentials_ref: Some(format!("config:{}", self.name)),
            settings,
            schedule: None,
            push_policy: push,
            link_enabled: false,
        };
        store.upsert_site(account, &spec, true).await.unwrap()
    }

    /// Registers with both secrets in files under `dir`, as a daemon started from a config
    /// file would read them.
    pub async fn register_with_files(
        &self,
        store: &Store,
        account: AccountId,
        push: PushPolicy,
        dir: &std::path::Path,
        webhook_secret: &str,
    ) -> Site {
        let password = dir.join("app-password");
        let hook = dir.join("webhook-secret");
        std::fs::write(&password, &self.app_password).unwrap();
        std::fs::write(&hook, webhook_secret).unwrap();
        let spec = SiteSpec {
            name: SiteName::parse(&self.name).unwrap(),
            connector: ConnectorKind::Wordpress,
            base_url: Some(self.base_url.clone()),
            credentials_ref: Some(format!("file:{}", password.display())),
            settings: json!({"username": self.username, "post_types": ["post", "page"],
                "webhook_secret_ref": format!("file:{}", hook.display())}),
            schedule: None,
            push_policy: push,
            link_enabled: false,
        };
        store.upsert_site(account, &spec, false).await.unwrap()
    }

    pub fn secrets(&self) -> Secrets {
        let mut secrets = Secrets::new(std::env::temp_dir());
        secrets.insert(
            format!("config:{}", self.name),
            igny8::connector::wordpress::api::AppPassword::new(&self.app_password),
        );
        secrets
    }

    /// igny8's connector for this site.
    pub fn connector(&self, site: &Site) -> (WordPress, WordPressSettings) {
        let http = Arc::new(HttpClient::new(&ConnectorSettings::default()).unwrap());
        wordpress(site, http, &self.secrets()).unwrap()
    }
}
