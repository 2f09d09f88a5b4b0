//! Push-back through `productUpdate`, `articleUpdate` and `pageUpdate`. Shopify has no
//! precondition of its own on these mutations, so the item's `updatedAt` is read again just
//! before the write and the write is not sent when it moved. Every payload's `userErrors` is
//! read: Shopify reports a refused update with status 200 and a message there.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::connector::ConnectorError;
use crate::connector::remote::{Patch, WriteOutcome};
use crate::connector::shopify::client::AdminApi;
use crate::connector::shopify::model::{Kind, Node, UserError, parse_time};
use crate::connector::shopify::queries;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Current {
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    body: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CurrentAnswer {
    node: Option<Current>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    #[serde(default)]
    user_errors: Vec<UserError>,
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

/// The mutation's input for `patch`: only the fields the pipeline changed, in each type's
/// names. A page's body is always sent, since `pageUpdate` blanks a body left out.
fn input(
    kind: Kind,
    id: &str,
    patch: &Patch,
    current_body: Option<String>,
) -> Result<Value, ConnectorError> {
    let mut fields = serde_json::Map::new();
    if let Some(title) = &patch.title {
        fields.insert("title".to_owned(), json!(title));
    }
    let body_field = match kind {
        Kind::Product => "descriptionHtml",
        Kind::Article | Kind::Page => "body",
    };
    if let Some(content) = &patch.content {
        fields.insert(body_field.to_owned(), json!(content));
    } else if kind == Kind::Page
        && let Some(body) = current_body
    {
        fields.insert(body_field.to_owned(), json!(body));
    }
    if let Some(excerpt) = &patch.excerpt {
        if kind != Kind::Article {
            return Err(ConnectorError::Permanent(format!(
                "a Shopify {} has no excerpt to write",
                kind.external_type()
            )));
        }
        fields.insert("summary".to_owned(), json!(excerpt));
    }
    Ok(match kind {
        Kind::Product => {
            fields.insert("id".to_owned(), json!(id));
            json!({ "product": fields })
        }
        Kind::Article => json!({ "id": id, "article": fields }),
        Kind::Page => json!({ "id": id, "page": fields }),
    })
}

/// Writes `patch` to the item if it is still at `expected_modified`.
pub async fn write(
    api: &AdminApi,
    kind: Kind,
    id: &str,
    patch: &Patch,
    expected_modified: DateTime<Utc>,
) -> Result<WriteOutcome, ConnectorError> {
    let current: CurrentAnswer = api
        .run(
            "CurrentVersion",
            queries::CURRENT_VERSION,
            json!({ "id": id }),
        )
        .await?;
    let current = current
        .node
        .ok_or_else(|| ConnectorError::Permanent(format!("{id} no longer exists in the shop")))?;
    let current_modified = current.updated_at.as_deref().and_then(parse_time);
    if current_modified != Some(expected_modified) {
        return Ok(WriteOutcome::PreconditionFailed { current_modified });
    }
    let variables = input(kind, id, patch, current.body)?;
    let data: serde_json::Map<String, Value> = api
        .run(kind.update_operation(), &queries::update(kind), variables)
        .await?;
    let payload: Payload = data
        .get(kind.mutation_field())
        .filter(|p| !p.is_null())
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|err| {
            ConnectorError::Permanent(format!(
                "{}: unexpected payload shape: {err}",
                kind.mutation_field()
            ))
        })?
        .ok_or_else(|| {
            ConnectorError::Permanent(format!(
                "{}: the answer has no payload",
                kind.mutation_field()
            ))
        })?;
    if !payload.user_errors.is_empty() {
        return Err(ConnectorError::Permanent(format!(
            "{} refused the update of {id}: {}",
            kind.mutation_field(),
            UserError::describe(&payload.user_errors)
        )));
    }
    let node = payload
        .rest
        .get(kind.external_type())
        .filter(|n| !n.is_null())
        .cloned()
        .ok_or_else(|| {
            ConnectorError::Permanent(format!(
                "{} answered no {} and no userErrors",
                kind.mutation_field(),
                kind.external_type()
            ))
        })?;
    let node: Node = serde_json::from_value(node).map_err(|err| {
        ConnectorError::Permanent(format!(
            "{}: the written item has an unexpected shape: {err}",
            kind.mutation_field()
        ))
    })?;
    Ok(WriteOutcome::Written(Box::new(node.into_remote(kind)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_carry_only_changed_fields_in_each_types_names() {
        let patch = Patch {
            content: Some("<p>New</p>".into()),
            ..Patch::default()
        };
        assert_eq!(
            input(Kind::Product, "gid://shopify/Product/1", &patch, None).unwrap(),
            json!({"product": {"id": "gid://shopify/Product/1", "descriptionHtml": "<p>New</p>"}})
        );
        let retitled = Patch {
            title: Some("About".into()),
            ..Patch::default()
        };
        assert_eq!(
            input(
                Kind::Page,
                "gid://shopify/Page/2",
                &retitled,
                Some("<p>Kept</p>".into())
            )
            .unwrap(),
            json!({"id": "gid://shopify/Page/2", "page": {"title": "About", "body": "<p>Kept</p>"}})
        );
        let summary = Patch {
            excerpt: Some("Short".into()),
            ..Patch::default()
        };
        assert_eq!(
            input(Kind::Article, "gid://shopify/Article/3", &summary, None).unwrap(),
            json!({"id": "gid://shopify/Article/3", "article": {"summary": "Short"}})
        );
        assert!(input(Kind::Product, "gid://shopify/Product/1", &summary, None).is_err());
    }
}
