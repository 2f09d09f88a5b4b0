//! The WordPress connector (DESIGN §4): posts, pages and custom post types over the REST API in
//! edit context, read in windows of ascending modified time, with a trash pass, an ID sweep,
//! the companion plugin's deletion journal, and conditional writes.

pub mod api;
mod batch;
pub mod check;
pub mod model;
mod windows;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::connector::ConnectorError;
use crate::connector::http::{HttpClient, LimitKey};
use crate::connector::remote::{
    BatchWrite, Connector, Deletion, Patch, RemoteItem, RemoteStub, Stream, Window, WriteOutcome,
};
use api::{Credentials, ListQuery, MAX_PER_PAGE, WpApi};
use model::{TermNames, WpPost, WpStub, WpTerm, format_gmt, parse_gmt};
pub use windows::WpPosition;

/// The header the companion plugin checks before a write: the post's modified time we expect.
pub const EXPECTED_MODIFIED_HEADER: &str = "X-Igny8-Expected-Modified";
/// Streams of trashed items carry this suffix after the post type.
const TRASH_SUFFIX: &str = ":trash";

/// How to reach one WordPress site.
#[derive(Debug, Clone)]
pub struct WordPressSite {
    /// Names the site's limits; two sites never share them.
    pub key: String,
    pub base_url: Url,
    pub credentials: Option<Credentials>,
    /// Post types to sync (`post`, `page`, custom types), by their WordPress name.
    pub post_types: Vec<String>,
}

/// What the probe learnt, needed by every later call.
#[derive(Debug, Clone, Default)]
struct Probed {
    /// Post type name to its REST collection route (`wp/v2/posts`).
    routes: BTreeMap<String, String>,
    modified_after: bool,
    companion_plugin: bool,
    /// How many requests one `/batch/v1` call takes, where the site has the route.
    batch_limit: Option<usize>,
    terms: TermNames,
}

pub struct WordPress {
    api: WpApi,
    post_types: Vec<String>,
    /// Shared, so each window reads the term names without copying them.
    probed: RwLock<Option<Arc<Probed>>>,
}

#[derive(Debug, Deserialize)]
struct WpType {
    #[serde(default)]
    rest_base: Option<String>,
    #[serde(default)]
    rest_namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WpDeletion {
    post_id: u64,
    post_type: String,
    deleted_gmt: String,
}

impl WordPress {
    pub fn new(http: Arc<HttpClient>, site: WordPressSite) -> WordPress {
        let credential = site
            .credentials
            .as_ref()
            .map(|c| c.username.clone())
            .unwrap_or_default();
        let key = LimitKey::new(&site.key, &credential);
        WordPress {
            api: WpApi::new(http, &site.base_url, site.credentials, key),
            post_types: site.post_types,
            probed: RwLock::new(None),
        }
    }

    pub fn api(&self) -> &WpApi {
        &self.api
    }

    fn probed(&self) -> Result<Arc<Probed>, ConnectorError> {
        self.probed
            .read()
            .expect("probe lock poisoned")
            .clone()
            .ok_or_else(|| {
                ConnectorError::Permanent("the site was not probed before use".to_owned())
            })
    }

    fn route(&self, external_type: &str) -> Result<String, ConnectorError> {
        self.probed()?
            .routes
            .get(external_type)
            .cloned()
            .ok_or_else(|| {
                ConnectorError::Permanent(format!(
                    "post type {external_type:?} is not one this site syncs"
                ))
            })
    }

    async fn term_names(
        &self,
        route: &str,
    ) -> Result<std::collections::HashMap<u64, String>, ConnectorError> {
        let mut names = std::collections::HashMap::new();
        let mut page = 1;
        loop {
            let query = ListQuery {
                per_page: MAX_PER_PAGE,
                page,
                fields: Some("id,name"),
                ..ListQuery::default()
            };
            let listed = self.api.list::<WpTerm>(route, &query).await?;
            let last = listed.items.is_empty() || !listed.has_next;
            names.extend(listed.items.into_iter().map(|t| (t.id, t.name)));
            if last {
                return Ok(names);
            }
            page += 1;
        }
    }

    /// Items of one route by id, in edit context; trashed ones need their own status.
    async fn fetch_route(
        &self,
        route: &str,
        ids: &[String],
        terms: &TermNames,
    ) -> Result<Vec<RemoteItem>, ConnectorError> {
        let mut found = Vec::new();
        for chunk in ids.chunks(MAX_PER_PAGE as usize) {
            let mut missing: HashSet<&String> = chunk.iter().collect();
            for status in ["any", "trash"] {
                if missing.is_empty() {
                    break;
                }
                let query = ListQuery {
                    status: Some(status.to_owned()),
                    edit_context: true,
                    per_page: MAX_PER_PAGE,
                    page: 1,
                    include: missing.iter().map(|id| (*id).clone()).collect(),
                    ..ListQuery::default()
                };
                let listed = self.api.list::<WpPost>(route, &query).await?;
                for post in listed.items {
                    let item = post.into_remote(terms).map_err(ConnectorError::Permanent)?;
                    missing.remove(&item.external_id);
                    found.push(item);
                }
            }
        }
        Ok(found)
    }
}

impl Connector for WordPress {
    type Position = WpPosition;

    async fn probe(&self) -> Result<Value, ConnectorError> {
        let index: Value = self.api.get("/", &[]).await?;
        let namespaces: Vec<String> = index
            .get("namespaces")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                ConnectorError::Permanent(format!(
                    "{} answered JSON without a namespaces list: not a WordPress REST index",
                    self.api.root()
                ))
            })?
            .iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect();
        if !namespaces.iter().any(|n| n == "wp/v2") {
            return Err(ConnectorError::Permanent(
                "the site's REST index has no wp/v2 namespace".to_owned(),
            ));
        }
        let routes = index.get("routes");
        let modified_after = routes
            .and_then(|r| r.get("/wp/v2/posts"))
            .and_then(|r| r.get("endpoints"))
            .and_then(Value::as_array)
            .is_some_and(|endpoints| {
                endpoints.iter().any(|e| {
                    e.get("args")
                        .and_then(|a| a.get("modified_after"))
                        .is_some()
                })
            });
        let batch_limit = batch::batch_limit(&index);
        let companion_plugin = namespaces.iter().any(|n| n == "igny8/v1");
        let types: BTreeMap<String, WpType> = self.api.get("wp/v2/types", &[]).await?;
        let mut post_routes = BTreeMap::new();
        for post_type in &self.post_types {
            let found = types.get(post_type).ok_or_else(|| {
                ConnectorError::Permanent(format!(
                    "post type {post_type:?} is not available over the REST API (it needs show_in_rest); \
                     the site offers {}",
                    types.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            })?;
            let namespace = found.rest_namespace.as_deref().unwrap_or("wp/v2");
            let base = found.rest_base.as_deref().unwrap_or(post_type);
            post_routes.insert(post_type.clone(), format!("{namespace}/{base}"));
        }
        let terms = TermNames {
            categories: self.term_names("wp/v2/categories").await?,
            tags: self.term_names("wp/v2/tags").await?,
        };
        let capabilities = json!({
            "cms": "wordpress",
            "name": index.get("name"),
            "namespaces": namespaces,
            "modified_after": modified_after,
            "batch": batch_limit.is_some(),
            "batch_limit": batch_limit,
            "companion_plugin": companion_plugin,
            "routes": post_routes,
        });
        *self.probed.write().expect("probe lock poisoned") = Some(Arc::new(Probed {
            routes: post_routes,
            modified_after,
            companion_plugin,
            batch_limit,
            terms,
        }));
        Ok(capabilities)
    }

    fn streams(&self) -> Vec<Stream> {
        self.post_types
            .iter()
            .flat_map(|post_type| {
                [
                    Stream {
                        name: post_type.clone(),
                        external_type: post_type.clone(),
                    },
                    Stream {
                        name: format!("{post_type}{TRASH_SUFFIX}"),
                        external_type: post_type.clone(),
                    },
                ]
            })
            .collect()
    }

    fn start(&self, stream: &Stream, since: Option<DateTime<Utc>>) -> WpPosition {
        let probed = self.probed().unwrap_or_default();
        let route = probed
            .routes
            .get(&stream.external_type)
            .cloned()
            .unwrap_or_default();
        let status = if stream.name.ends_with(TRASH_SUFFIX) {
            "trash"
        } else {
            "any"
        };
        WpPosition::new(route, status, since, probed.modified_after)
    }

    async fn next_window(
        &self,
        position: &mut WpPosition,
    ) -> Result<Option<Window>, ConnectorError> {
        let probed = self.probed()?;
        position.next(&self.api, &probed.terms).await
    }

    async fn sweep(&self, stream: &Stream) -> Result<Vec<RemoteStub>, ConnectorError> {
        let route = self.route(&stream.external_type)?;
        let status = if stream.name.ends_with(TRASH_SUFFIX) {
            "trash"
        } else {
            "any"
        };
        let mut stubs = Vec::new();
        let mut page = 1;
        loop {
            let query = ListQuery {
                status: Some(status.to_owned()),
                edit_context: true,
                per_page: MAX_PER_PAGE,
                page,
                orderby: Some("id"),
                fields: Some("id,modified_gmt,status"),
                ..ListQuery::default()
            };
            let listed = self.api.list::<WpStub>(&route, &query).await?;
            let last = listed.items.is_empty() || !listed.has_next;
            for stub in listed.items {
                stubs.push(stub.into_stub().map_err(ConnectorError::Permanent)?);
            }
            if last {
                return Ok(stubs);
            }
            page += 1;
        }
    }

    async fn fetch(
        &self,
        external_type: &str,
        external_ids: &[String],
    ) -> Result<Vec<RemoteItem>, ConnectorError> {
        let route = self.route(external_type)?;
        let probed = self.probed()?;
        self.fetch_route(&route, external_ids, &probed.terms).await
    }

    async fn deletions(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Option<Vec<Deletion>>, ConnectorError> {
        if !self.probed()?.companion_plugin {
            return Ok(None);
        }
        let journal: Vec<WpDeletion> = self
            .api
            .get("igny8/v1/deletions", &[("since", format_gmt(since))])
            .await?;
        journal
            .into_iter()
            .map(|entry| {
                let deleted_at = parse_gmt(&entry.deleted_gmt).ok_or_else(|| {
                    ConnectorError::Permanent(format!(
                        "the deletion journal has an unreadable time {:?}",
                        entry.deleted_gmt
                    ))
                })?;
                Ok(Deletion {
                    external_type: entry.post_type,
                    external_id: entry.post_id.to_string(),
                    deleted_at,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    async fn write(
        &self,
        external_type: &str,
        external_id: &str,
        patch: &Patch,
        expected_modified: DateTime<Utc>,
    ) -> Result<WriteOutcome, ConnectorError> {
        let route = format!("{}/{external_id}", self.route(external_type)?);
        let body = serde_json::to_value(patch).expect("a patch serializes");
        let response = self
            .api
            .request(
                Method::POST,
                &route,
                &[("context", "edit".to_owned())],
                Some(&body),
                &[(EXPECTED_MODIFIED_HEADER, format_gmt(expected_modified))],
            )
            .await?;
        let status = response.status();
        if status == StatusCode::PRECONDITION_FAILED {
            let error = api::error_body(response).await;
            let current_modified = error
                .data
                .as_ref()
                .and_then(|d| d.get("current_modified_gmt"))
                .and_then(Value::as_str)
                .and_then(parse_gmt);
            return Ok(WriteOutcome::PreconditionFailed { current_modified });
        }
        if !status.is_success() {
            let error = api::error_body(response).await;
            return Err(api::classify_error(&route, status, &error));
        }
        let post: WpPost = api::read_json(&route, response).await?;
        let probed = self.probed()?;
        let item = post
            .into_remote(&probed.terms)
            .map_err(ConnectorError::Permanent)?;
        Ok(WriteOutcome::Written(Box::new(item)))
    }

    /// Batches need the companion plugin: core WordPress has no precondition of its own, and
    /// without one every item of a batch would be written on the strength of a re-read made
    /// before the whole batch, not just before its own write. Single writes keep that moment
    /// to one round trip.
    fn batch_size(&self) -> usize {
        match self.probed() {
            Ok(probed) if probed.companion_plugin => probed.batch_limit.unwrap_or(1),
            _ => 1,
        }
    }

    async fn write_batch(
        &self,
        writes: &[BatchWrite<'_>],
    ) -> Result<Vec<Result<WriteOutcome, ConnectorError>>, ConnectorError> {
        let mut outcomes = Vec::with_capacity(writes.len());
        if self.batch_size() < 2 || writes.len() < 2 {
            for w in writes {
                outcomes.push(
                    self.write(w.external_type, w.external_id, w.patch, w.expected_modified)
                        .await,
                );
            }
            return Ok(outcomes);
        }
        let mut requests = Vec::with_capacity(writes.len());
        for w in writes {
            requests.push(batch::BatchRequest {
                route: self.route(w.external_type)?,
                write: *w,
            });
        }
        let probed = self.probed()?;
        for (outcome, w) in batch::write(&self.api, &probed.terms, &requests)
            .await?
            .into_iter()
            .zip(writes)
        {
            outcomes.push(match outcome {
                Err(err) if batch::not_batchable(&err) => {
                    self.write(w.external_type, w.external_id, w.patch, w.expected_modified)
                        .await
                }
                outcome => outcome,
            });
        }
        Ok(outcomes)
    }
}
