//! The WordPress REST API as igny8 uses it: requests under the shared client's limits, with
//! Basic auth (application passwords), and WordPress's error bodies turned into classified
//! `ConnectorError`s.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::header::{CONTENT_TYPE, LINK};
use reqwest::{Method, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::connector::ConnectorError;
use crate::connector::http::{HttpClient, LimitKey};
use crate::connector::wordpress::model::WpError;

/// WordPress's own cap on `per_page`.
pub const MAX_PER_PAGE: u32 = 100;

/// An application password: kept out of `Debug` output and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct AppPassword(String);

impl AppPassword {
    /// WordPress shows application passwords in groups of four separated by spaces and accepts
    /// them either way.
    pub fn new(password: &str) -> AppPassword {
        AppPassword(password.split_whitespace().collect())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AppPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppPassword(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: AppPassword,
}

/// One list request: a page of a collection route.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: Option<String>,
    pub edit_context: bool,
    pub per_page: u32,
    pub page: u32,
    pub orderby: Option<&'static str>,
    pub modified_after: Option<DateTime<Utc>>,
    pub modified_before: Option<DateTime<Utc>>,
    pub include: Vec<String>,
    pub fields: Option<&'static str>,
}

impl ListQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("per_page", self.per_page.clamp(1, MAX_PER_PAGE).to_string()),
            ("page", self.page.max(1).to_string()),
        ];
        if self.edit_context {
            pairs.push(("context", "edit".to_owned()));
        }
        if let Some(status) = &self.status {
            pairs.push(("status", status.clone()));
        }
        if let Some(orderby) = self.orderby {
            pairs.push(("orderby", orderby.to_owned()));
            pairs.push(("order", "asc".to_owned()));
        }
        // An explicit zone: WordPress converts it to the site's own before comparing.
        if let Some(after) = self.modified_after {
            pairs.push((
                "modified_after",
                after.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            ));
        }
        if let Some(before) = self.modified_before {
            pairs.push((
                "modified_before",
                before.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            ));
        }
        if !self.include.is_empty() {
            pairs.push(("include", self.include.join(",")));
        }
        if let Some(fields) = self.fields {
            pairs.push(("_fields", fields.to_owned()));
        }
        pairs
    }
}

/// One page of a collection.
#[derive(Debug, Clone)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    /// `X-WP-Total`: what WordPress counted, which edit context may not all return.
    pub total: Option<u64>,
    /// Whether a `rel="next"` link was sent: the only reliable end-of-data signal.
    pub has_next: bool,
}

/// A REST endpoint of one WordPress site.
pub struct WpApi {
    http: Arc<HttpClient>,
    /// `{base_url}/wp-json/`: the REST root with pretty permalinks.
    root: Url,
    credentials: Option<Credentials>,
    key: LimitKey,
}

impl WpApi {
    pub fn new(
        http: Arc<HttpClient>,
        base_url: &Url,
        credentials: Option<Credentials>,
        limit_key: LimitKey,
    ) -> WpApi {
        let mut root = base_url.clone();
        let path = format!("{}/wp-json/", root.path().trim_end_matches('/'));
        root.set_path(&path);
        root.set_query(None);
        WpApi {
            http,
            root,
            credentials,
            key: limit_key,
        }
    }

    pub fn root(&self) -> &Url {
        &self.root
    }

    fn url(&self, route: &str) -> Url {
        self.root
            .join(route.trim_start_matches('/'))
            .expect("routes are relative paths")
    }

    /// Sends a request to `route` and returns the raw response, whatever its status.
    pub async fn request(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        headers: &[(&str, String)],
    ) -> Result<Response, ConnectorError> {
        let url = self.url(route);
        self.http
            .send(&self.key, || {
                let mut request = self
                    .http
                    .client()
                    .request(method.clone(), url.clone())
                    .query(query);
                if let Some(credentials) = &self.credentials {
                    request = request
                        .basic_auth(&credentials.username, Some(credentials.password.expose()));
                }
                for (name, value) in headers {
                    request = request.header(*name, value);
                }
                if let Some(body) = body {
                    request = request.json(body);
                }
                request
            })
            .await
    }

    /// GETs `route` and reads a JSON body of type `T`; any non-2xx answer is an error.
    pub async fn get<T: DeserializeOwned>(
        &self,
        route: &str,
        query: &[(&str, String)],
    ) -> Result<T, ConnectorError> {
        let response = self.request(Method::GET, route, query, None, &[]).await?;
        if !response.status().is_success() {
            return Err(error_from(route, response).await);
        }
        read_json(route, response).await
    }

    /// One page of a collection route. A page past the end
    /// (`rest_post_invalid_page_number`) is an empty last page.
    pub async fn list<T: DeserializeOwned>(
        &self,
        route: &str,
        query: &ListQuery,
    ) -> Result<ListPage<T>, ConnectorError> {
        let response = self
            .request(Method::GET, route, &query.pairs(), None, &[])
            .await?;
        let status = response.status();
        if status == StatusCode::BAD_REQUEST {
            let error = error_body(response).await;
            if error.code == "rest_post_invalid_page_number" {
                return Ok(ListPage {
                    items: Vec::new(),
                    total: None,
                    has_next: false,
                });
            }
            return Err(classify_error(route, status, &error));
        }
        if !status.is_success() {
            return Err(error_from(route, response).await);
        }
        let total = response
            .headers()
            .get("x-wp-total")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let has_next = response
            .headers()
            .get_all(LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("rel=\"next\""));
        let items = read_json(route, response).await?;
        Ok(ListPage {
            items,
            total,
            has_next,
        })
    }
}

/// Reads a JSON body, naming the route and what came instead when it is not JSON (a host's
/// HTML error page, a PHP notice printed before the JSON).
pub async fn read_json<T: DeserializeOwned>(
    route: &str,
    response: Response,
) -> Result<T, ConnectorError> {
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = response.bytes().await.map_err(|err| {
        ConnectorError::Transient(format!("{route}: reading the body failed: {err}"))
    })?;
    serde_json::from_slice(&bytes).map_err(|err| {
        let start = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
        ConnectorError::Permanent(format!(
            "{route}: expected a JSON response, got {content_type:?} that does not parse ({err}); it starts {start:?}"
        ))
    })
}

/// The WordPress error in a failed response's body (empty when the body is not one).
pub async fn error_body(response: Response) -> WpError {
    response.json::<WpError>().await.unwrap_or_default()
}

async fn error_from(route: &str, response: Response) -> ConnectorError {
    let status = response.status();
    let error = error_body(response).await;
    classify_error(route, status, &error)
}

/// What a WordPress error means for the caller.
pub fn classify_error(route: &str, status: StatusCode, error: &WpError) -> ConnectorError {
    let detail = if error.code.is_empty() {
        format!("{route} answered {status}")
    } else {
        format!(
            "{route} answered {status} {}: {}",
            error.code, error.message
        )
    };
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ConnectorError::Auth(detail),
        StatusCode::REQUEST_TIMEOUT => ConnectorError::Transient(detail),
        _ => ConnectorError::Permanent(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_passwords_lose_their_spaces_and_stay_out_of_debug() {
        let password = AppPassword::new("abcd EFGH ijkl MNOP qrst UVWX");
        assert_eq!(password.expose(), "abcdEFGHijklMNOPqrstUVWX");
        assert_eq!(format!("{password:?}"), "AppPassword(..)");
    }

    #[test]
    fn the_rest_root_sits_under_the_site_path() {
        let http =
            Arc::new(HttpClient::new(&crate::settings::ConnectorSettings::default()).unwrap());
        let api = WpApi::new(
            http,
            &Url::parse("http://127.0.0.1:8787/s/blog/").unwrap(),
            None,
            LimitKey::new("blog", ""),
        );
        assert_eq!(
            api.url("wp/v2/posts").as_str(),
            "http://127.0.0.1:8787/s/blog/wp-json/wp/v2/posts"
        );
        assert_eq!(
            api.url("/").as_str(),
            "http://127.0.0.1:8787/s/blog/wp-json/"
        );
    }

    #[test]
    fn list_queries_send_an_explicit_zone_and_ascending_order() {
        let query = ListQuery {
            status: Some("any".into()),
            edit_context: true,
            per_page: 500,
            page: 0,
            orderby: Some("modified"),
            modified_after: Some("2026-01-02T03:04:05Z".parse().unwrap()),
            ..ListQuery::default()
        };
        let pairs = query.pairs();
        assert!(pairs.contains(&("per_page", "100".into())));
        assert!(pairs.contains(&("page", "1".into())));
        assert!(pairs.contains(&("order", "asc".into())));
        assert!(pairs.contains(&("modified_after", "2026-01-02T03:04:05Z".into())));
    }
}
