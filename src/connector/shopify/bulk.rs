//! The first full read of a kind by bulk operation: `bulkOperationRunQuery` over every item,
//! `node(id:)` polled until the operation ends, the JSONL result streamed to a file under the
//! data directory, and every line counted against the operation's `objectCount` before any
//! item is handed on: a short result fails the read, so the cursor never moves past items
//! that were lost. The operation's id is kept in a file beside the result while it runs, so a
//! read that crashed resumes polling the same operation instead of starting another (Shopify
//! runs one bulk query per shop at a time before 2026-01, and keeps results for 7 days).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use url::Url;

use crate::connector::ConnectorError;
use crate::connector::remote::RemoteItem;
use crate::connector::shopify::client::AdminApi;
use crate::connector::shopify::model::{Kind, Node, UserError};
use crate::connector::shopify::queries;

/// Where bulk results go and how often a running operation is looked at.
#[derive(Debug, Clone)]
pub struct BulkSettings {
    /// A directory of this site's own under the data directory.
    pub dir: PathBuf,
    pub poll_interval: Duration,
}

impl BulkSettings {
    /// Shopify's own guidance is to poll every few seconds.
    pub const POLL_INTERVAL: Duration = Duration::from_secs(3);

    fn state_file(&self, kind: Kind) -> PathBuf {
        self.dir.join(format!("{}.operation", kind.external_type()))
    }

    fn result_file(&self, kind: Kind) -> PathBuf {
        self.dir.join(format!("{}.jsonl", kind.external_type()))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Operation {
    id: String,
    status: String,
    #[serde(default)]
    error_code: Option<String>,
    /// `UnsignedInt64`, which GraphQL sends as a string.
    #[serde(default)]
    object_count: Option<Value>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    partial_data_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunPayload {
    #[serde(default)]
    bulk_operation: Option<Operation>,
    #[serde(default)]
    user_errors: Vec<UserError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunAnswer {
    bulk_operation_run_query: RunPayload,
}

#[derive(Debug, Deserialize)]
struct StatusAnswer {
    node: Option<Operation>,
}

fn io(what: &str, path: &Path, err: std::io::Error) -> ConnectorError {
    ConnectorError::Transient(format!("{what} {}: {err}", path.display()))
}

/// Every item of `kind` by bulk operation, in ascending (modified, id) order.
pub async fn read_all(
    api: &AdminApi,
    settings: &BulkSettings,
    kind: Kind,
) -> Result<Vec<RemoteItem>, ConnectorError> {
    tokio::fs::create_dir_all(&settings.dir)
        .await
        .map_err(|err| io("could not create", &settings.dir, err))?;
    let state = settings.state_file(kind);
    let id = match tokio::fs::read_to_string(&state).await {
        Ok(id) if !id.trim().is_empty() => {
            tracing::info!(
                operation = id.trim(),
                kind = kind.external_type(),
                "Resuming a bulk operation started before."
            );
            id.trim().to_owned()
        }
        _ => {
            let id = start(api, kind).await?;
            write_atomically(&state, id.as_bytes()).await?;
            id
        }
    };
    let finished = poll(api, settings, &id).await;
    let operation = match finished {
        Ok(operation) => operation,
        Err(err) => {
            if !err.is_retryable() {
                forget(&state).await;
            }
            return Err(err);
        }
    };
    let expected = object_count(&operation)?;
    let result = settings.result_file(kind);
    let items = match &operation.url {
        // No url: the query matched nothing.
        None => Vec::new(),
        Some(url) => {
            let url = Url::parse(url).map_err(|err| {
                ConnectorError::Permanent(format!("bulk operation {id}: unusable url: {err}"))
            })?;
            download(api, &url, &result).await?;
            parse(&result, kind).await?
        }
    };
    if items.len() as u64 != expected {
        // A result that does not add up is not read again: the next run starts a new one.
        forget(&state).await;
        return Err(ConnectorError::Permanent(format!(
            "bulk operation {id} reported {expected} objects but its result holds {}; nothing \
             was kept",
            items.len()
        )));
    }
    let mut items = items;
    items.sort_by(|a, b| {
        (a.remote_modified, &a.external_id).cmp(&(b.remote_modified, &b.external_id))
    });
    Ok(items)
}

/// Forgets the finished operation of `kind`, once its items are committed.
pub async fn finish(settings: &BulkSettings, kind: Kind) {
    forget(&settings.state_file(kind)).await;
    let _ = tokio::fs::remove_file(settings.result_file(kind)).await;
}

async fn forget(state: &Path) {
    if let Err(err) = tokio::fs::remove_file(state).await
        && err.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(file = %state.display(), error = %err, "Could not remove a bulk operation's state file.");
    }
}

async fn start(api: &AdminApi, kind: Kind) -> Result<String, ConnectorError> {
    let answer: RunAnswer = api
        .run(
            "BulkRun",
            queries::BULK_RUN,
            json!({ "query": queries::bulk_items(kind) }),
        )
        .await?;
    let payload = answer.bulk_operation_run_query;
    if !payload.user_errors.is_empty() {
        let message = UserError::describe(&payload.user_errors);
        // Another bulk query of this app on the shop: it ends on its own.
        return Err(if message.contains("already in progress") {
            ConnectorError::Transient(format!("bulkOperationRunQuery: {message}"))
        } else {
            ConnectorError::Permanent(format!("bulkOperationRunQuery refused: {message}"))
        });
    }
    payload.bulk_operation.map(|op| op.id).ok_or_else(|| {
        ConnectorError::Permanent(
            "bulkOperationRunQuery answered neither an operation nor userErrors".to_owned(),
        )
    })
}

async fn poll(
    api: &AdminApi,
    settings: &BulkSettings,
    id: &str,
) -> Result<Operation, ConnectorError> {
    loop {
        let answer: StatusAnswer = api
            .run("BulkStatus", queries::BULK_STATUS, json!({ "id": id }))
            .await?;
        let operation = answer.node.ok_or_else(|| {
            ConnectorError::Permanent(format!("bulk operation {id} is unknown to the shop"))
        })?;
        match operation.status.as_str() {
            "CREATED" | "RUNNING" | "CANCELING" => {
                tokio::time::sleep(settings.poll_interval).await;
            }
            "COMPLETED" => return Ok(operation),
            other => {
                let partial = operation
                    .partial_data_url
                    .as_deref()
                    .map(|_| " (a partial result exists; it is not used)")
                    .unwrap_or("");
                return Err(ConnectorError::Permanent(format!(
                    "bulk operation {id} ended {other}{}{partial}",
                    operation
                        .error_code
                        .as_deref()
                        .map(|code| format!(" with {code}"))
                        .unwrap_or_default()
                )));
            }
        }
    }
}

fn object_count(operation: &Operation) -> Result<u64, ConnectorError> {
    let count = match &operation.object_count {
        Some(Value::String(text)) => text.parse().ok(),
        Some(Value::Number(number)) => number.as_u64(),
        _ => None,
    };
    count.ok_or_else(|| {
        ConnectorError::Permanent(format!(
            "bulk operation {} completed without a readable objectCount",
            operation.id
        ))
    })
}

async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ConnectorError> {
    let temporary = path.with_extension("tmp");
    tokio::fs::write(&temporary, bytes)
        .await
        .map_err(|err| io("could not write", &temporary, err))?;
    tokio::fs::rename(&temporary, path)
        .await
        .map_err(|err| io("could not rename", &temporary, err))
}

/// Streams the result to `to` (a temporary file renamed once whole). The url is signed by
/// Shopify's storage and takes no token.
async fn download(api: &AdminApi, url: &Url, to: &Path) -> Result<(), ConnectorError> {
    let mut response = api
        .http()
        .send(api.limit_key(), || api.http().client().get(url.clone()))
        .await?;
    if !response.status().is_success() {
        return Err(ConnectorError::Permanent(format!(
            "the bulk result answered {}",
            response.status()
        )));
    }
    let temporary = to.with_extension("part");
    let mut file = tokio::fs::File::create(&temporary)
        .await
        .map_err(|err| io("could not create", &temporary, err))?;
    while let Some(chunk) = response.chunk().await.map_err(|err| {
        ConnectorError::Transient(format!("reading the bulk result failed: {err}"))
    })? {
        file.write_all(&chunk)
            .await
            .map_err(|err| io("could not write", &temporary, err))?;
    }
    file.sync_all()
        .await
        .map_err(|err| io("could not sync", &temporary, err))?;
    tokio::fs::rename(&temporary, to)
        .await
        .map_err(|err| io("could not rename", &temporary, err))
}

/// Reads the JSONL result, one item per line.
async fn parse(path: &Path, kind: Kind) -> Result<Vec<RemoteItem>, ConnectorError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|err| io("could not open", path, err))?;
    let mut lines = tokio::io::BufReader::new(file).lines();
    let mut items = Vec::new();
    let mut number = 0;
    while let Some(line) = lines
        .next_line()
        .await
        .map_err(|err| io("could not read", path, err))?
    {
        number += 1;
        if line.trim().is_empty() {
            continue;
        }
        let node: Node = serde_json::from_str(&line).map_err(|err| {
            ConnectorError::Permanent(format!(
                "the bulk result's line {number} is not a {}: {err}",
                kind.typename()
            ))
        })?;
        items.push(node.into_remote(kind)?);
    }
    Ok(items)
}
