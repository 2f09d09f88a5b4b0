//! The GraphQL Admin API of one shop as igny8 uses it: `POST {admin}/admin/api/{version}/
//! graphql.json` with the access token, under the shared client's limits and the shop's cost
//! bucket. Throttled queries wait for the refill and are sent again; answers are classified
//! into `ConnectorError`s (GraphQL reports most failures with status 200 and `errors`).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use url::Url;

use crate::connector::ConnectorError;
use crate::connector::http::{HttpClient, LimitKey};
use crate::connector::shopify::throttle::{CostBucket, QueryCost};
use crate::connector::wordpress::api::AppPassword;
use crate::domain::site::ShopifyApiVersion;

/// How often a throttled query is sent again before the job gives up and is retried later.
const THROTTLED_ATTEMPTS: u32 = 6;
/// The cost reserved for a query the shop has not priced yet: about one page of a listing.
const FIRST_ESTIMATE: f64 = 50.0;
/// Header Shopify names the version that answered with; it differs from the one asked for
/// when the pinned version is no longer served.
const VERSION_HEADER: &str = "x-shopify-api-version";
const TOKEN_HEADER: &str = "X-Shopify-Access-Token";

/// Shops whose version mismatch was already reported by this process.
static VERSION_WARNED: LazyLock<Mutex<HashSet<String>>> =
    LazyLock::new(|| Mutex::new(HashSet::new()));

/// One GraphQL error of an answer.
#[derive(Debug, Clone, Deserialize)]
pub struct GraphqlError {
    pub message: String,
    #[serde(default)]
    pub extensions: Option<Value>,
}

impl GraphqlError {
    fn code(&self) -> Option<&str> {
        self.extensions.as_ref()?.get("code")?.as_str()
    }
}

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Option<Value>,
    #[serde(default)]
    extensions: Option<Value>,
}

/// The Admin API of one shop.
pub struct AdminApi {
    http: Arc<HttpClient>,
    endpoint: Url,
    token: AppPassword,
    version: ShopifyApiVersion,
    key: LimitKey,
    bucket: Arc<CostBucket>,
    /// What the last query of each operation cost, reserved ahead for its next call.
    estimates: Mutex<std::collections::HashMap<&'static str, f64>>,
    throttled: AtomicU64,
}

impl AdminApi {
    /// `admin_base` is the shop's origin (`https://{shop}/` in production).
    pub fn new(
        http: Arc<HttpClient>,
        admin_base: &Url,
        version: ShopifyApiVersion,
        token: AppPassword,
        site_key: &str,
    ) -> AdminApi {
        let endpoint = admin_base
            .join(&format!("admin/api/{version}/graphql.json"))
            .expect("the Admin API path is relative");
        // The token itself never names the bucket: only a digest of it, kept apart per shop.
        let credential = {
            use sha2::Digest;
            hex::encode(&sha2::Sha256::digest(token.expose().as_bytes())[..8])
        };
        let bucket = CostBucket::shared(&format!("{endpoint}\u{0}{site_key}\u{0}{credential}"));
        AdminApi {
            http,
            endpoint,
            token,
            version,
            key: LimitKey::new(site_key, &credential),
            bucket,
            estimates: Mutex::new(std::collections::HashMap::new()),
            throttled: AtomicU64::new(0),
        }
    }

    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    pub fn limit_key(&self) -> &LimitKey {
        &self.key
    }

    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    pub fn bucket(&self) -> &CostBucket {
        &self.bucket
    }

    /// How many answers were THROTTLED and sent again.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    /// Runs the named operation `query` with `variables` and reads its `data` as `T`.
    pub async fn run<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        query: &str,
        variables: Value,
    ) -> Result<T, ConnectorError> {
        let data = self.run_value(operation, query, variables).await?;
        serde_json::from_value(data).map_err(|err| {
            ConnectorError::Permanent(format!(
                "{operation}: the answer's data does not have the documented shape: {err}"
            ))
        })
    }

    async fn run_value(
        &self,
        operation: &'static str,
        query: &str,
        variables: Value,
    ) -> Result<Value, ConnectorError> {
        let body = json!({
            "query": query,
            "operationName": operation,
            "variables": variables,
        });
        let mut attempt = 0;
        loop {
            attempt += 1;
            let estimate = self
                .estimates
                .lock()
                .expect("estimates poisoned")
                .get(operation)
                .copied()
                .unwrap_or(FIRST_ESTIMATE);
            let wait = self.bucket.reserve(estimate);
            if !wait.is_zero() {
                tracing::debug!(
                    operation,
                    wait_ms = wait.as_millis() as u64,
                    "Waiting for the shop's query cost bucket to refill."
                );
                tokio::time::sleep(wait).await;
            }
            let answer = self.post(operation, &body).await?;
            let cost = answer
                .extensions
                .as_ref()
                .and_then(|e| e.get("cost"))
                .and_then(|c| serde_json::from_value::<QueryCost>(c.clone()).ok());
            if let Some(cost) = &cost {
                self.bucket.observe(&cost.throttle_status);
                self.estimates
                    .lock()
                    .expect("estimates poisoned")
                    .insert(operation, cost.requested_query_cost);
            }
            let errors: Vec<GraphqlError> = match answer.errors {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::String(message)) => vec![GraphqlError {
                    message,
                    extensions: None,
                }],
                Some(other) => serde_json::from_value(other).map_err(|err| {
                    ConnectorError::Permanent(format!(
                        "{operation}: unreadable errors in the answer: {err}"
                    ))
                })?,
            };
            if errors.iter().any(|e| e.code() == Some("THROTTLED")) {
                self.throttled.fetch_add(1, Ordering::Relaxed);
                if attempt >= THROTTLED_ATTEMPTS {
                    let retry_after = cost.map(|c| {
                        let lacking = (c.requested_query_cost
                            - c.throttle_status.currently_available)
                            .max(0.0);
                        std::time::Duration::from_secs_f64(
                            lacking / c.throttle_status.restore_rate.max(1.0),
                        )
                    });
                    return Err(ConnectorError::RateLimited {
                        message: format!(
                            "{operation}: Shopify throttled the query {attempt} times in a row"
                        ),
                        retry_after,
                    });
                }
                continue;
            }
            if let Some(error) = classify(operation, &errors) {
                return Err(error);
            }
            return answer.data.filter(|d| !d.is_null()).ok_or_else(|| {
                ConnectorError::Permanent(format!("{operation}: the answer has no data"))
            });
        }
    }

    async fn post(&self, operation: &str, body: &Value) -> Result<Answer, ConnectorError> {
        let response = self
            .http
            .send(&self.key, || {
                self.http
                    .client()
                    .post(self.endpoint.clone())
                    .header(TOKEN_HEADER, self.token.expose())
                    .json(body)
            })
            .await?;
        self.check_version(response.headers());
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(ConnectorError::Auth(format!(
                "{operation}: Shopify answered {status}: the access token was refused or lacks \
                 the scope (read_products, write_products, read_content, write_content)"
            )));
        }
        let bytes = response.bytes().await.map_err(|err| {
            ConnectorError::Transient(format!("{operation}: reading the answer failed: {err}"))
        })?;
        if !status.is_success() {
            let start = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
            return Err(ConnectorError::Permanent(format!(
                "{operation}: Shopify answered {status}: {start}"
            )));
        }
        serde_json::from_slice(&bytes).map_err(|err| {
            let start = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
            ConnectorError::Permanent(format!(
                "{operation}: expected a GraphQL answer, got one that does not parse ({err}); it \
                 starts {start:?}"
            ))
        })
    }

    fn check_version(&self, headers: &reqwest::header::HeaderMap) {
        let Some(answered) = headers.get(VERSION_HEADER).and_then(|v| v.to_str().ok()) else {
            return;
        };
        let pinned = self.version.to_string();
        if answered == pinned {
            return;
        }
        let first = VERSION_WARNED
            .lock()
            .expect("version warnings poisoned")
            .insert(format!("{}\u{0}{answered}", self.endpoint));
        if first {
            tracing::warn!(endpoint = %self.endpoint, pinned = %pinned, answered,
                "Shopify answered with another API version than the one pinned: the pinned version is no longer served; update api_version.");
        }
    }
}

/// What GraphQL errors (other than THROTTLED) mean for the caller.
fn classify(operation: &str, errors: &[GraphqlError]) -> Option<ConnectorError> {
    let first = errors.first()?;
    let messages = errors
        .iter()
        .map(|e| match e.code() {
            Some(code) => format!("{code}: {}", e.message),
            None => e.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let detail = format!("{operation}: Shopify answered errors: {messages}");
    Some(match first.code() {
        Some("ACCESS_DENIED") | Some("UNAUTHORIZED") | Some("FORBIDDEN") => {
            ConnectorError::Auth(detail)
        }
        Some("INTERNAL_SERVER_ERROR") | Some("SERVICE_UNAVAILABLE") | Some("TIMEOUT") => {
            ConnectorError::Transient(detail)
        }
        _ => ConnectorError::Permanent(detail),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(value: Value) -> Vec<GraphqlError> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn graphql_errors_are_classified_by_their_code() {
        let denied = errors(json!([{"message": "Access denied for products field.",
            "extensions": {"code": "ACCESS_DENIED"}}]));
        assert!(matches!(
            classify("Products", &denied),
            Some(ConnectorError::Auth(_))
        ));
        let internal = errors(
            json!([{"message": "Internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]),
        );
        assert!(matches!(
            classify("Products", &internal),
            Some(ConnectorError::Transient(_))
        ));
        let syntax = errors(json!([{"message": "Field 'nope' doesn't exist on type 'Product'"}]));
        match classify("Products", &syntax) {
            Some(ConnectorError::Permanent(message)) => {
                assert!(message.contains("Field 'nope'"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert!(classify("Products", &[]).is_none());
    }

    #[test]
    fn the_endpoint_is_the_pinned_versions_graphql_path() {
        let http =
            Arc::new(HttpClient::new(&crate::settings::ConnectorSettings::default()).unwrap());
        let api = AdminApi::new(
            http,
            &Url::parse("https://my-shop.myshopify.com/").unwrap(),
            ShopifyApiVersion::parse("2025-07").unwrap(),
            AppPassword::new("shpat_x"),
            "1:2",
        );
        assert_eq!(
            api.endpoint().as_str(),
            "https://my-shop.myshopify.com/admin/api/2025-07/graphql.json"
        );
    }
}
