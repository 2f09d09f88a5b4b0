//! A record of a list or fetch answer as one of our content items, through the stream's field
//! map. A record without an id, a modified time or a body field fails loudly, naming the field:
//! a definition that points at the wrong place must not read as a site of empty items.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::connector::ConnectorError;
use crate::connector::remote::{RemoteItem, RemoteStub};
use crate::connector::rest::definition::StreamDefinition;
use crate::connector::rest::pointer::JsonPointer;
use crate::connector::rest::time_format::TimeFormat;

/// Status of items whose stream maps none.
const DEFAULT_STATUS: &str = "publish";

/// The records of a list answer.
pub fn records<'a>(
    stream: &StreamDefinition,
    body: &'a Value,
) -> Result<&'a Vec<Value>, ConnectorError> {
    stream
        .records
        .find(body)
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ConnectorError::Permanent(format!(
                "stream {}: the answer has no array of records at {:?}",
                stream.name,
                stream.records.as_str()
            ))
        })
}

pub fn item(stream: &StreamDefinition, record: &Value) -> Result<RemoteItem, ConnectorError> {
    let fields = &stream.fields;
    let text = |pointer: &Option<JsonPointer>| pointer.as_ref().and_then(|p| p.text(record));
    let external_id = required(stream, record, "id", &fields.id)?;
    Ok(RemoteItem {
        external_type: stream.external_type.clone(),
        remote_modified: modified(stream, record)?,
        remote_status: text(&fields.status).unwrap_or_else(|| DEFAULT_STATUS.to_owned()),
        title: fields.title.text(record).unwrap_or_default(),
        content_raw: body(stream, record)?,
        content_rendered: None,
        excerpt: text(&fields.excerpt),
        slug: text(&fields.slug),
        external_url: text(&fields.url),
        author: text(&fields.author),
        categories: Vec::new(),
        tags: Vec::new(),
        featured_media: None,
        focus_keyphrase: text(&fields.keyphrase),
        meta_description: text(&fields.meta_description),
        published_at: fields
            .published
            .as_ref()
            .and_then(|pointer| pointer.find(record))
            .and_then(|value| fields.modified_format.parse(value).ok()),
        metadata: json!({ "stream": stream.name }),
        external_id,
    })
}

pub fn stub(stream: &StreamDefinition, record: &Value) -> Result<RemoteStub, ConnectorError> {
    Ok(RemoteStub {
        external_id: required(stream, record, "id", &stream.fields.id)?,
        remote_modified: modified(stream, record)?,
        remote_status: stream
            .fields
            .status
            .as_ref()
            .and_then(|pointer| pointer.text(record))
            .unwrap_or_else(|| DEFAULT_STATUS.to_owned()),
    })
}

pub fn modified(
    stream: &StreamDefinition,
    record: &Value,
) -> Result<DateTime<Utc>, ConnectorError> {
    time(
        stream,
        record,
        "modified",
        &stream.fields.modified,
        &stream.fields.modified_format,
    )
}

pub fn time(
    stream: &StreamDefinition,
    record: &Value,
    field: &str,
    pointer: &JsonPointer,
    format: &TimeFormat,
) -> Result<DateTime<Utc>, ConnectorError> {
    let value = pointer
        .find(record)
        .ok_or_else(|| missing(stream, field, pointer))?;
    format.parse(value).map_err(|err| {
        ConnectorError::Permanent(format!(
            "stream {}: field {field} at {:?}: {err}",
            stream.name,
            pointer.as_str()
        ))
    })
}

/// The body: an explicit `null` is an empty item (Ghost's new posts), a missing key an error.
fn body(stream: &StreamDefinition, record: &Value) -> Result<String, ConnectorError> {
    let pointer = &stream.fields.body;
    match record.pointer(pointer.as_str()) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Null) => Ok(String::new()),
        _ => Err(missing(stream, "body", pointer)),
    }
}

fn required(
    stream: &StreamDefinition,
    record: &Value,
    field: &str,
    pointer: &JsonPointer,
) -> Result<String, ConnectorError> {
    pointer
        .text(record)
        .ok_or_else(|| missing(stream, field, pointer))
}

fn missing(stream: &StreamDefinition, field: &str, pointer: &JsonPointer) -> ConnectorError {
    ConnectorError::Permanent(format!(
        "stream {}: a record has no {field} at {:?}",
        stream.name,
        pointer.as_str()
    ))
}
