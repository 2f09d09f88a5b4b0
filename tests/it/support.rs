//! Shared set-up: the test database's URL, quick job settings, and waiting for a condition.

use std::future::Future;
use std::time::Duration;

use igny8::settings::JobSettings;
use sqlx::PgPool;

/// A URL for the database `#[sqlx::test]` made for this test (trust authentication, as
/// DATABASE_URL's server uses).
pub fn database_url(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options
            .get_database()
            .expect("test pools name their database")
    )
}

/// Job settings for tests: short leases and polls so the suite stays quick.
pub fn job_settings(workers: u32, max_attempts: u32, lease_seconds: u64) -> JobSettings {
    JobSettings {
        workers,
        max_attempts,
        lease_seconds,
        poll_interval_ms: 50,
        retain_finished_hours: 1,
    }
}

/// Polls `check` until it returns `Some`, failing the test after `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Settings for a daemon on the test database: `extra` TOML starts the file (so it may set
/// top-level keys), the listener takes a free port.
pub fn settings_for(pool: &PgPool, extra: &str) -> igny8::settings::Settings {
    let dir = tempfile::tempdir().unwrap();
    let main_file = dir.path().join("igny8.toml");
    std::fs::write(
        &main_file,
        format!(
            "{extra}\n[database]\nurl = \"{}\"\nmax_connections = 16\n",
            database_url(pool)
        ),
    )
    .unwrap();
    igny8::settings::Settings::load(&igny8::settings::Sources {
        main_file,
        main_file_explicit: true,
        env: Default::default(),
        overrides: vec![("http.listen", "127.0.0.1:0".to_owned())],
    })
    .unwrap()
}

/// A daemon serving on a free port of 127.0.0.1 until the test ends.
pub struct TestApp {
    pub base: String,
    pub store: igny8::store::Store,
    pub http: reqwest::Client,
    shutdown: igny8::shutdown::Shutdown,
}

impl TestApp {
    pub async fn spawn(pool: PgPool, extra: &str) -> TestApp {
        let settings = settings_for(&pool, extra);
        let store = igny8::store::Store::from_pool(pool);
        let app = igny8::app::App::build_with_store(settings, store.clone())
            .await
            .unwrap();
        let base = format!("http://{}", app.local_addr());
        let shutdown = igny8::shutdown::Shutdown::new();
        tokio::spawn(app.run(shutdown.clone()));
        TestApp {
            base,
            store,
            http: reqwest::Client::new(),
            shutdown,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request with a bearer token and an optional JSON body; the status and the
    /// response's text.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (reqwest::StatusCode, String) {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    /// [`TestApp::request`] with the response parsed as JSON (`Null` when it is not JSON).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let (status, text) = self.request(method, path, token, body).await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// A new account with `credits` and a token of `role` for it.
    pub async fn account(&self, credits: i64, role: igny8::domain::role::Role) -> (i64, String) {
        let account = self.store.create_account("test", None).await.unwrap();
        if credits > 0 {
            let key = igny8::domain::credits::IdempotencyKey::parse("initial").unwrap();
            self.store
                .add_credits(
                    account.id,
                    igny8::store::credits::AdditionKind::Add,
                    credits,
                    &key,
                    "initial_credits",
                    None,
                )
                .await
                .unwrap();
        }
        let token = self.token(account.id.get(), role).await;
        (account.id.get(), token)
    }

    pub async fn token(&self, account: i64, role: igny8::domain::role::Role) -> String {
        let secret = igny8::domain::token::TokenSecret::generate(
            igny8::domain::ids::AccountId::new(account),
        );
        self.store
            .create_token(&secret, "test", role)
            .await
            .unwrap();
        secret.reveal().to_owned()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.begin(Duration::from_secs(1));
    }
}

/// A worker pool running in the background of a test.
pub struct RunningPool {
    shutdown: igny8::shutdown::Shutdown,
    task: tokio::task::JoinHandle<()>,
}

impl RunningPool {
    pub fn start(
        store: &igny8::store::Store,
        registry: igny8::jobs::handler::Registry,
        settings: JobSettings,
    ) -> RunningPool {
        let shutdown = igny8::shutdown::Shutdown::new();
        let task = tokio::spawn(igny8::jobs::worker::run(
            store.clone(),
            registry,
            settings,
            shutdown.clone(),
        ));
        RunningPool { shutdown, task }
    }

    /// Stops the pool the way a daemon stops, and waits for it.
    pub async fn stop(self) {
        self.stop_with_drain(Duration::from_secs(5)).await;
    }

    pub async fn stop_with_drain(self, drain: Duration) {
        self.shutdown.begin(drain);
        self.task.await.unwrap();
    }
}
