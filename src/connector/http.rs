//! The one HTTP client every connector uses: timeouts and compression, a limiter per (site,
//! credential) that the server's own signals (429, 503, Retry-After) slow down, and retries with
//! jittered exponential backoff. A connector gets either a response worth reading or a
//! classified `ConnectorError`.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::connector::ConnectorError;
use crate::jobs::handler::error_chain;
use crate::settings::ConnectorSettings;

/// The first retry waits about this long; later ones double, with jitter, up to the cap.
const FIRST_RETRY: Duration = Duration::from_millis(500);

/// Who the limits are kept for: one site reached with one credential.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LimitKey(String);

impl LimitKey {
    pub fn new(site: &str, credential: &str) -> LimitKey {
        LimitKey(format!("{site}\u{0}{credential}"))
    }
}

/// The limits of one key: a start rate, a bound on requests in flight, and a pause the server
/// asked for.
struct Limit {
    rate: DefaultDirectRateLimiter,
    slots: Semaphore,
    paused_until: Mutex<Option<Instant>>,
}

impl Limit {
    fn pause_for(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut paused = self.paused_until.lock().expect("pause lock poisoned");
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    fn paused_until(&self) -> Option<Instant> {
        *self.paused_until.lock().expect("pause lock poisoned")
    }
}

pub struct HttpClient {
    client: reqwest::Client,
    settings: ConnectorSettings,
    limits: Mutex<HashMap<LimitKey, Arc<Limit>>>,
}

impl HttpClient {
    pub fn new(settings: &ConnectorSettings) -> Result<HttpClient, ConnectorError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("igny8/", env!("CARGO_PKG_VERSION")))
            .timeout(settings.timeout())
            .connect_timeout(settings.timeout().min(Duration::from_secs(10)))
            .gzip(true)
            .build()
            .map_err(|err| {
                ConnectorError::Permanent(format!("could not build the HTTP client: {err}"))
            })?;
        Ok(HttpClient {
            client,
            settings: settings.clone(),
            limits: Mutex::new(HashMap::new()),
        })
    }

    /// The underlying client, for building requests to hand to `send`.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    fn limit(&self, key: &LimitKey) -> Arc<Limit> {
        let mut limits = self.limits.lock().expect("limits lock poisoned");
        limits
            .entry(key.clone())
            .or_insert_with(|| {
                let per_second =
                    NonZeroU32::new(self.settings.requests_per_second).unwrap_or(NonZeroU32::MIN);
                Arc::new(Limit {
                    rate: RateLimiter::direct(Quota::per_second(per_second)),
                    slots: Semaphore::new(self.settings.concurrency as usize),
                    paused_until: Mutex::new(None),
                })
            })
            .clone()
    }

    /// Sends the request `build` makes, under `key`'s limits, retrying transient failures and
    /// rate limits. Any other answer, success or not, is returned for the caller to read.
    pub async fn send(
        &self,
        key: &LimitKey,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, ConnectorError> {
        let limit = self.limit(key);
        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(FIRST_RETRY)
            .with_max_delay(self.settings.max_backoff())
            .with_jitter()
            .without_max_times()
            .build();
        let mut retries = 0;
        loop {
            let outcome = {
                let _slot = limit
                    .slots
                    .acquire()
                    .await
                    .expect("limit semaphore never closes");
                if let Some(until) = limit.paused_until() {
                    tokio::time::sleep_until(until).await;
                }
                limit.rate.until_ready().await;
                build().send().await
            };
            let failure = match outcome {
                Ok(response) => match classify(&response) {
                    None => return Ok(response),
                    Some(failure) => failure,
                },
                Err(err) => request_failure(&err),
            };
            if !failure.is_retryable() || retries >= self.settings.max_retries {
                return Err(failure);
            }
            retries += 1;
            let computed = backoff.next().unwrap_or(self.settings.max_backoff());
            let delay = match &failure {
                ConnectorError::RateLimited {
                    retry_after: Some(asked),
                    ..
                } => {
                    let delay = (*asked).min(self.settings.max_backoff());
                    limit.pause_for(delay);
                    delay
                }
                _ => computed,
            };
            tracing::debug!(error = %failure, retry = retries, delay_ms = delay.as_millis() as u64, "Retrying a CMS request.");
            tokio::time::sleep(delay).await;
        }
    }
}

/// The failure a response stands for, when it is one we retry; every other status is the
/// caller's to interpret.
fn classify(response: &Response) -> Option<ConnectorError> {
    let status = response.status();
    let retry_after = retry_after(response.headers());
    match status {
        StatusCode::TOO_MANY_REQUESTS => Some(ConnectorError::RateLimited {
            message: format!(
                "{} answered 429 Too Many Requests",
                response.url().host_str().unwrap_or("the server")
            ),
            retry_after,
        }),
        StatusCode::SERVICE_UNAVAILABLE if retry_after.is_some() => {
            Some(ConnectorError::RateLimited {
                message: format!(
                    "{} answered 503 with Retry-After",
                    response.url().host_str().unwrap_or("the server")
                ),
                retry_after,
            })
        }
        StatusCode::INTERNAL_SERVER_ERROR
        | StatusCode::BAD_GATEWAY
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => Some(ConnectorError::Transient(format!(
            "{} answered {status}",
            response.url().host_str().unwrap_or("the server")
        ))),
        _ => None,
    }
}

fn request_failure(err: &reqwest::Error) -> ConnectorError {
    if err.is_builder() {
        ConnectorError::Permanent(format!("could not build the request: {err}"))
    } else if err.is_timeout() {
        ConnectorError::Transient(format!("the request timed out: {err}"))
    } else if err.is_connect() {
        ConnectorError::Transient(format!("could not connect: {}", error_chain(err)))
    } else {
        ConnectorError::Transient(format!("the request failed: {}", error_chain(err)))
    }
}

/// Retry-After in seconds; the HTTP-date form is rare from CMSs and read as "a minute".
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    Some(match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => Duration::from_secs(60),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_defaults_dates_to_a_minute() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2026 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(60)));
    }
}
