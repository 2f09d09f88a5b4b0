//! The declarative REST connector (`connector = "rest"`): any CMS with a JSON REST API, read and
//! written as its definition file (`connectors/{name}.toml`) says. `definition.rs` is the
//! schema, `definitions.rs` the cache that reloads changed files, `auth.rs` the credentials
//! (Ghost's Admin API JWT among them), `windows.rs` the paging, `mapping.rs` records to items,
//! `body.rs` the write-back body and `webhook.rs` the signature schemes.

pub mod api;
pub mod auth;
pub mod body;
pub mod definition;
pub mod definitions;
pub mod mapping;
pub mod pointer;
pub mod time_format;
pub mod webhook;
pub mod windows;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use url::Url;

use crate::connector::ConnectorError;
use crate::connector::http::{HttpClient, LimitKey};
use crate::connector::remote::{
    BatchWrite, Connector, Deletion, Patch, RemoteItem, RemoteStub, Stream, Window, WriteOutcome,
};
use crate::connector::rest::api::{Reply, RestApi};
use crate::connector::rest::auth::Credential;
use crate::connector::rest::definition::{Definition, Precondition, StreamDefinition};
use crate::connector::rest::windows::RestPosition;

/// One site read through a definition.
pub struct RestSite {
    /// The limiter key of the site (`{account}:{id}`).
    pub key: String,
    pub base_url: Url,
    /// The site's `api_key`, when the definition authenticates.
    pub api_key: Option<String>,
    pub definition: Arc<Definition>,
}

pub struct Rest {
    api: RestApi,
    definition: Arc<Definition>,
}

impl Rest {
    /// The connector for `site`; the error says what about the site's key is wrong.
    pub fn new(http: Arc<HttpClient>, site: RestSite) -> Result<Rest, String> {
        let key = site
            .api_key
            .as_deref()
            .ok_or("the definition authenticates, but the site has no api_key")?;
        let credential = Credential::new(&site.definition.auth, key)?;
        // Ghost keys name themselves; other keys are one per site.
        let key_id = match &credential {
            Credential::GhostAdmin { id, .. } => id.clone(),
            _ => String::new(),
        };
        let api = RestApi::new(
            http,
            site.base_url,
            Some(credential),
            site.definition.headers.clone(),
            LimitKey::new(&site.key, &key_id),
        );
        Ok(Rest {
            api,
            definition: site.definition,
        })
    }

    pub fn definition(&self) -> &Definition {
        &self.definition
    }

    fn stream(&self, name: &str) -> Result<&StreamDefinition, ConnectorError> {
        self.definition.stream(name).ok_or_else(|| {
            ConnectorError::Permanent(format!("the definition has no stream {name:?}"))
        })
    }

    fn stream_of_type(&self, external_type: &str) -> Result<&StreamDefinition, ConnectorError> {
        self.definition
            .stream_of_type(external_type)
            .ok_or_else(|| {
                ConnectorError::Permanent(format!(
                    "the definition has no stream of type {external_type:?}"
                ))
            })
    }

    async fn fetch_one(
        &self,
        stream: &StreamDefinition,
        external_id: &str,
    ) -> Result<Option<RemoteItem>, ConnectorError> {
        let fetch = &stream.fetch;
        let query: Vec<(String, String)> = fetch.query.clone().into_iter().collect();
        let url = self.api.url(&fetch.path.render(external_id), &query);
        match self.api.get(&url).await? {
            Reply::NotFound => Ok(None),
            reply => {
                let answer = reply.answer(&format!("reading {} {external_id}", stream.name))?;
                let record = fetch.record.find(&answer.body).ok_or_else(|| {
                    ConnectorError::Permanent(format!(
                        "stream {}: the answer has no record at {:?}",
                        stream.name,
                        fetch.record.as_str()
                    ))
                })?;
                mapping::item(stream, record).map(Some)
            }
        }
    }
}

impl Connector for Rest {
    type Position = RestPosition;

    async fn probe(&self) -> Result<Value, ConnectorError> {
        let mut streams = Vec::new();
        for stream in self.definition.streams.iter().map(|s| s.get_ref()) {
            let position = RestPosition::new(stream, None, false);
            let page = position.read(&self.api, stream).await?;
            streams.push(json!({
                "name": stream.name,
                "external_type": stream.external_type,
                "total": page.total,
                "incremental": stream.incremental.is_some(),
                "write": stream.write.is_some(),
            }));
        }
        Ok(json!({
            "connector": "rest",
            "description": self.definition.description,
            "streams": streams,
            "deletion_feed": self.definition.deletions.is_some(),
            "webhooks": self.definition.webhook.is_some(),
        }))
    }

    fn streams(&self) -> Vec<Stream> {
        self.definition
            .streams
            .iter()
            .map(|stream| Stream {
                name: stream.get_ref().name.clone(),
                external_type: stream.get_ref().external_type.clone(),
            })
            .collect()
    }

    fn start(&self, stream: &Stream, since: Option<DateTime<Utc>>) -> RestPosition {
        match self.definition.stream(&stream.name) {
            Some(definition) => RestPosition::new(definition, since, true),
            None => RestPosition::unknown(&stream.name),
        }
    }

    async fn next_window(
        &self,
        position: &mut RestPosition,
    ) -> Result<Option<Window>, ConnectorError> {
        let stream = self.stream(position.stream_name())?;
        position.next_window(&self.api, stream).await
    }

    async fn sweep(&self, stream: &Stream) -> Result<Vec<RemoteStub>, ConnectorError> {
        let definition = self.stream(&stream.name)?;
        let mut position = RestPosition::new(definition, None, false);
        let mut stubs: Vec<RemoteStub> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while !position.is_done() {
            let page = position.read(&self.api, definition).await?;
            for item in &page.items {
                if seen.insert(item.external_id.clone()) {
                    stubs.push(RemoteStub {
                        external_id: item.external_id.clone(),
                        remote_modified: item.remote_modified,
                        remote_status: item.remote_status.clone(),
                    });
                }
            }
            position.advance(&page);
        }
        Ok(stubs)
    }

    async fn fetch(
        &self,
        external_type: &str,
        external_ids: &[String],
    ) -> Result<Vec<RemoteItem>, ConnectorError> {
        let stream = self.stream_of_type(external_type)?;
        let mut items = Vec::with_capacity(external_ids.len());
        for id in external_ids {
            if let Some(item) = self.fetch_one(stream, id).await? {
                items.push(item);
            }
        }
        Ok(items)
    }

    async fn deletions(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Option<Vec<Deletion>>, ConnectorError> {
        let Some(feed) = &self.definition.deletions else {
            return Ok(None);
        };
        let url = self.api.url(
            feed.path.as_str(),
            &[(feed.since_param.clone(), feed.since_format.format(since))],
        );
        let answer = self
            .api
            .get(&url)
            .await?
            .answer("reading the deletion feed")?;
        let records = feed
            .records
            .find(&answer.body)
            .and_then(Value::as_array)
            .ok_or_else(|| {
                ConnectorError::Permanent(format!(
                    "the deletion feed has no array of records at {:?}",
                    feed.records.as_str()
                ))
            })?;
        records
            .iter()
            .map(|record| {
                let field = |name: &str, pointer: &pointer::JsonPointer| {
                    pointer.text(record).ok_or_else(|| {
                        ConnectorError::Permanent(format!(
                            "the deletion feed has a record without {name} at {:?}",
                            pointer.as_str()
                        ))
                    })
                };
                let deleted_at = feed
                    .deleted_at
                    .find(record)
                    .ok_or_else(|| {
                        ConnectorError::Permanent(
                            "the deletion feed has a record without deleted_at".to_owned(),
                        )
                    })
                    .and_then(|value| {
                        feed.deleted_at_format
                            .parse(value)
                            .map_err(ConnectorError::Permanent)
                    })?;
                Ok(Deletion {
                    external_type: field("external_type", &feed.external_type)?,
                    external_id: field("id", &feed.id)?,
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
        let stream = self.stream_of_type(external_type)?;
        let write = stream.write.as_ref().map(|w| w.get_ref()).ok_or_else(|| {
            ConnectorError::Permanent(format!(
                "the definition cannot write {} items (stream {} has no write)",
                external_type, stream.name
            ))
        })?;
        if write.precondition == Precondition::Reread {
            let current = self.fetch_one(stream, external_id).await?;
            let current_modified = current.map(|item| item.remote_modified);
            if current_modified != Some(expected_modified) {
                return Ok(WriteOutcome::PreconditionFailed { current_modified });
            }
        }
        let version = stream.fields.modified_format.format(expected_modified);
        let body = write.body.render(patch, &version);
        let query: Vec<(String, String)> = write.query.clone().into_iter().collect();
        let url = self.api.url(&write.path.render(external_id), &query);
        match self
            .api
            .send(write.method.as_reqwest(), &url, Some(&body))
            .await?
        {
            Reply::Refused { status, .. } if write.conflict_status.contains(&status) => {
                let current = self.fetch_one(stream, external_id).await?;
                Ok(WriteOutcome::PreconditionFailed {
                    current_modified: current.map(|item| item.remote_modified),
                })
            }
            reply => {
                let answer = reply.answer(&format!(
                    "writing {} {external_id} ({} {})",
                    stream.name,
                    write.method,
                    url.path()
                ))?;
                let record = write.record.find(&answer.body).ok_or_else(|| {
                    ConnectorError::Permanent(format!(
                        "stream {}: the write's answer has no record at {:?}",
                        stream.name,
                        write.record.as_str()
                    ))
                })?;
                Ok(WriteOutcome::Written(Box::new(mapping::item(
                    stream, record,
                )?)))
            }
        }
    }

    fn batch_size(&self) -> usize {
        1
    }

    async fn write_batch(
        &self,
        writes: &[BatchWrite<'_>],
    ) -> Result<Vec<Result<WriteOutcome, ConnectorError>>, ConnectorError> {
        let mut outcomes = Vec::with_capacity(writes.len());
        for write in writes {
            outcomes.push(
                self.write(
                    write.external_type,
                    write.external_id,
                    write.patch,
                    write.expected_modified,
                )
                .await,
            );
        }
        Ok(outcomes)
    }
}
