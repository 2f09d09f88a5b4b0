//! The Shopify connector (GraphQL Admin API only; the REST Admin API is legacy): products,
//! blog articles and pages read in ascending `updatedAt` order by cursor paging, swept by id,
//! fetched by GID, and written back with a compare-then-write on `updatedAt`. Deletions come
//! from `*/delete` webhooks and the ID sweep, so `deletions` reports none.

pub mod bulk;
pub mod client;
mod listing;
pub mod model;
mod queries;
pub mod throttle;
pub mod webhook;
mod writes;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::connector::ConnectorError;
use crate::connector::http::HttpClient;
use crate::connector::remote::{
    BatchWrite, Connector, Deletion, Patch, RemoteItem, RemoteStub, Stream, Window, WriteOutcome,
};
use crate::connector::wordpress::api::AppPassword;
use crate::domain::site::ShopifyApiVersion;
use bulk::BulkSettings;
use client::AdminApi;
pub use listing::ShopifyPosition;
use model::{Connection, Kind, Stub, node_of_kind};

/// `nodes(ids:)` takes at most this many ids.
const MAX_IDS: usize = 250;
/// Items per page of the ID sweep, which reads two fields of each.
const SWEEP_PAGE: u32 = 250;

/// The first version whose GraphQL Admin API has blog articles and pages.
fn min_version() -> ShopifyApiVersion {
    ShopifyApiVersion::parse("2024-10").expect("a valid version")
}

/// How to reach one shop.
#[derive(Debug, Clone)]
pub struct ShopifySite {
    /// Names the site's limits; two sites never share them.
    pub key: String,
    /// The shop's origin: `ShopDomain::base_url()`, or a stand-in's address in tests.
    pub admin_base: Url,
    pub api_version: ShopifyApiVersion,
    pub access_token: AppPassword,
    /// Where first full reads keep their bulk results; without it they page like any other.
    pub bulk: Option<BulkSettings>,
}

pub struct Shopify {
    api: AdminApi,
    version: ShopifyApiVersion,
    bulk: Option<BulkSettings>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Shop {
    name: String,
    myshopify_domain: String,
}

#[derive(Debug, Deserialize)]
struct ShopAnswer {
    shop: Shop,
}

#[derive(Debug, Deserialize)]
struct NodesAnswer {
    nodes: Vec<Value>,
}

impl Shopify {
    pub fn new(http: Arc<HttpClient>, site: ShopifySite) -> Shopify {
        Shopify {
            api: AdminApi::new(
                http,
                &site.admin_base,
                site.api_version,
                site.access_token,
                &site.key,
            ),
            version: site.api_version,
            bulk: site.bulk,
        }
    }

    pub fn api(&self) -> &AdminApi {
        &self.api
    }
}

impl Connector for Shopify {
    type Position = ShopifyPosition;

    async fn probe(&self) -> Result<Value, ConnectorError> {
        let first = min_version();
        if self.version < first {
            return Err(ConnectorError::Permanent(format!(
                "api_version {} is older than {first}, the first whose GraphQL Admin API has \
                 blog articles and pages",
                self.version
            )));
        }
        let answer: ShopAnswer = self.api.run("Shop", queries::SHOP, json!({})).await?;
        Ok(json!({
            "cms": "shopify",
            "name": answer.shop.name,
            "shop": answer.shop.myshopify_domain,
            "api_version": self.version.to_string(),
            "types": Kind::ALL.iter().map(|k| k.external_type()).collect::<Vec<_>>(),
        }))
    }

    fn streams(&self) -> Vec<Stream> {
        Kind::ALL
            .iter()
            .map(|kind| Stream {
                name: kind.external_type().to_owned(),
                external_type: kind.external_type().to_owned(),
            })
            .collect()
    }

    fn start(&self, stream: &Stream, since: Option<DateTime<Utc>>) -> ShopifyPosition {
        let kind = Kind::parse(&stream.external_type).unwrap_or(Kind::Product);
        ShopifyPosition::new(kind, since, self.bulk.clone())
    }

    async fn next_window(
        &self,
        position: &mut ShopifyPosition,
    ) -> Result<Option<Window>, ConnectorError> {
        position.next(&self.api).await
    }

    async fn sweep(&self, stream: &Stream) -> Result<Vec<RemoteStub>, ConnectorError> {
        let kind = Kind::parse(&stream.external_type)?;
        let query = queries::stubs(kind);
        let mut stubs = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let data: serde_json::Map<String, Value> = self
                .api
                .run(
                    kind.stub_operation(),
                    &query,
                    json!({ "first": SWEEP_PAGE, "after": after }),
                )
                .await?;
            let connection: Connection<Stub> = data
                .get(kind.connection())
                .cloned()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|err| {
                    ConnectorError::Permanent(format!(
                        "{}: unexpected shape: {err}",
                        kind.stub_operation()
                    ))
                })?
                .ok_or_else(|| {
                    ConnectorError::Permanent(format!(
                        "{}: the answer has no {}",
                        kind.stub_operation(),
                        kind.connection()
                    ))
                })?;
            for stub in connection.nodes {
                stubs.push(stub.into_stub(kind)?);
            }
            match connection.page_info.end_cursor {
                Some(cursor) if connection.page_info.has_next_page => after = Some(cursor),
                _ => return Ok(stubs),
            }
        }
    }

    async fn fetch(
        &self,
        external_type: &str,
        external_ids: &[String],
    ) -> Result<Vec<RemoteItem>, ConnectorError> {
        let kind = Kind::parse(external_type)?;
        let query = queries::nodes();
        let mut found = Vec::new();
        for chunk in external_ids.chunks(MAX_IDS) {
            let answer: NodesAnswer = self
                .api
                .run("Nodes", &query, json!({ "ids": chunk }))
                .await?;
            for value in answer.nodes {
                if let Some(node) = node_of_kind(value, kind)? {
                    found.push(node.into_remote(kind)?);
                }
            }
        }
        Ok(found)
    }

    async fn deletions(
        &self,
        _since: DateTime<Utc>,
    ) -> Result<Option<Vec<Deletion>>, ConnectorError> {
        Ok(None)
    }

    async fn write(
        &self,
        external_type: &str,
        external_id: &str,
        patch: &Patch,
        expected_modified: DateTime<Utc>,
    ) -> Result<WriteOutcome, ConnectorError> {
        let kind = Kind::parse(external_type)?;
        writes::write(&self.api, kind, external_id, patch, expected_modified).await
    }

    /// One: each write's precondition is a re-read made just before that write.
    fn batch_size(&self) -> usize {
        1
    }

    async fn write_batch(
        &self,
        writes: &[BatchWrite<'_>],
    ) -> Result<Vec<Result<WriteOutcome, ConnectorError>>, ConnectorError> {
        let mut outcomes = Vec::with_capacity(writes.len());
        for w in writes {
            outcomes.push(
                self.write(w.external_type, w.external_id, w.patch, w.expected_modified)
                    .await,
            );
        }
        Ok(outcomes)
    }
}
