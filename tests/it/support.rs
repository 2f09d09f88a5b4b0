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
