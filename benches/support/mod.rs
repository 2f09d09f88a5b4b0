//! Set-up the sync benchmarks share: a database of their own, created afresh, and a WordPress
//! site registered in it with a client whose own limits stay out of the way.

use std::sync::Arc;

use igny8::connector::http::HttpClient;
use igny8::domain::site::{ConnectorKind, PushPolicy, SiteName};
use igny8::settings::{ConnectorSettings, DatabaseSettings, DatabaseUrl};
use igny8::store::Store;
use igny8::store::sites::{Site, SiteSpec};
use serde_json::Value;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::Postgres;

/// The URL of database `name` on DATABASE_URL's server.
pub fn database_url(name: &str) -> String {
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let base = server
        .rsplit_once('/')
        .map_or(server.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

/// A migrated, empty database `name` on DATABASE_URL's server (dropped first if it exists).
pub async fn fresh_store(name: &str) -> Store {
    let settings = DatabaseSettings {
        url: DatabaseUrl::parse(&database_url(name)).unwrap(),
        max_connections: 4,
        migrate_on_start: true,
    };
    let url = settings.url.expose().to_owned();
    if Postgres::database_exists(&url).await.unwrap() {
        Postgres::drop_database(&url).await.unwrap();
    }
    let store = Store::connect(&settings).await.unwrap();
    store.migrate().await.unwrap();
    store
}

/// A WordPress site `name` at `base_url` for a new account.
pub async fn wordpress_site(
    store: &Store,
    name: &str,
    base_url: &str,
    credentials_ref: Option<String>,
    settings: Value,
    push_policy: PushPolicy,
) -> Site {
    let account = store.create_account("Bench", None).await.unwrap().id;
    store
        .upsert_site(
            account,
            &SiteSpec {
                name: SiteName::parse(name).unwrap(),
                connector: ConnectorKind::Wordpress,
                base_url: Some(base_url.to_owned()),
                credentials_ref,
                settings,
                schedule: None,
                push_policy,
                link_enabled: false,
            },
            false,
        )
        .await
        .unwrap()
}

/// The shared client, unthrottled: the comparisons are with unthrottled readers.
pub fn http() -> Arc<HttpClient> {
    Arc::new(
        HttpClient::new(&ConnectorSettings {
            requests_per_second: 1000,
            ..ConnectorSettings::default()
        })
        .unwrap(),
    )
}
