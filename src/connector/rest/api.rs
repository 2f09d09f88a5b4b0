//! Requests to one site under the shared client's limits, signed with the site's credential,
//! and answers classified: 401 and 403 are auth failures, 404 is absence, other refusals are
//! permanent with the CMS's own words.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use reqwest::header::LINK;
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use url::Url;

use crate::connector::ConnectorError;
use crate::connector::http::{HttpClient, LimitKey};
use crate::connector::rest::auth::Credential;

/// How much of an error body is quoted in a message.
const QUOTED_BYTES: usize = 300;

/// A JSON answer and where the next page is, when a `Link` header says.
#[derive(Debug, Clone)]
pub struct Answer {
    pub body: Value,
    pub next_link: Option<Url>,
}

/// What a request ended in, short of a failure.
#[derive(Debug)]
pub enum Reply {
    Ok(Answer),
    NotFound,
    /// A refusal the caller may know the meaning of (a conflict status).
    Refused {
        status: u16,
        message: String,
    },
}

pub struct RestApi {
    http: Arc<HttpClient>,
    base_url: Url,
    credential: Option<Credential>,
    headers: BTreeMap<String, String>,
    key: LimitKey,
}

impl RestApi {
    pub fn new(
        http: Arc<HttpClient>,
        base_url: Url,
        credential: Option<Credential>,
        headers: BTreeMap<String, String>,
        key: LimitKey,
    ) -> RestApi {
        RestApi {
            http,
            base_url,
            credential,
            headers,
            key,
        }
    }

    /// The URL of `path` (relative to the base URL, which may itself have a path) with `query`.
    pub fn url(&self, path: &str, query: &[(String, String)]) -> Url {
        let mut url = self.base_url.clone();
        let joined = format!("{}{}", url.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url.set_query(None);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// Sends a request to `url` and reads the answer.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<Reply, ConnectorError> {
        let credential = self.credential.clone();
        let response = self
            .http
            .send(&self.key, || {
                let mut request = self.http.client().request(method.clone(), url.clone());
                for (name, value) in &self.headers {
                    request = request.header(name.as_str(), value.as_str());
                }
                if let Some(body) = body {
                    request = request.json(body);
                }
                match &credential {
                    // A token is minted per attempt, so a retry after a long pause is not sent
                    // with an expired one.
                    Some(credential) => credential.sign(request, Utc::now()),
                    None => request,
                }
            })
            .await?;
        read(response).await
    }

    pub async fn get(&self, url: &Url) -> Result<Reply, ConnectorError> {
        self.send(Method::GET, url, None).await
    }
}

async fn read(response: Response) -> Result<Reply, ConnectorError> {
    let status = response.status();
    let host = response.url().host_str().unwrap_or("the server").to_owned();
    let next_link = next_link(&response);
    let text = response
        .text()
        .await
        .map_err(|err| ConnectorError::Transient(format!("{host}: reading the answer: {err}")))?;
    if status.is_success() {
        let body = serde_json::from_str(&text).map_err(|err| {
            ConnectorError::Permanent(format!("{host} answered {status} with no JSON: {err}"))
        })?;
        return Ok(Reply::Ok(Answer { body, next_link }));
    }
    let message = format!("{host} answered {status}: {}", quote(&text));
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(ConnectorError::Auth(message)),
        StatusCode::NOT_FOUND => Ok(Reply::NotFound),
        _ => Ok(Reply::Refused {
            status: status.as_u16(),
            message,
        }),
    }
}

fn quote(text: &str) -> &str {
    let mut end = text.len().min(QUOTED_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].trim()
}

/// The `rel="next"` target of a `Link` header.
fn next_link(response: &Response) -> Option<Url> {
    response
        .headers()
        .get_all(LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|link| {
            let (target, params) = link.split_once(';')?;
            let is_next = params.split(';').any(|param| {
                let param = param.trim().replace(' ', "");
                param == "rel=\"next\"" || param == "rel=next"
            });
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            is_next.then(|| response.url().join(target).ok()).flatten()
        })
}

impl Reply {
    /// The answer of a request that must succeed; anything else is permanent.
    pub fn answer(self, what: &str) -> Result<Answer, ConnectorError> {
        match self {
            Reply::Ok(answer) => Ok(answer),
            Reply::NotFound => Err(ConnectorError::Permanent(format!(
                "{what}: not found (404)"
            ))),
            Reply::Refused { message, .. } => {
                Err(ConnectorError::Permanent(format!("{what}: {message}")))
            }
        }
    }
}
