//! Writes through WordPress's `/batch/v1` (5.6; posts and pages take part since 5.9): up to
//! `maxItems` (25 unless a site filters `rest_get_max_batch_size`) updates in one call, each
//! with its own `X-Igny8-Expected-Modified` header, which the companion plugin checks per
//! request inside the batch.
//!
//! Batches are sent in WordPress's `normal` validation mode. `require-all-validate` only
//! concerns parameter validation before anything runs; a 412 is decided while each request
//! runs, so it never stops the others in either mode, and in `normal` mode one invalid request
//! does not hold back the valid ones either. Every request gets its own response (status and
//! body), in the order sent.

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::connector::ConnectorError;
use crate::connector::remote::{BatchWrite, WriteOutcome};
use crate::connector::wordpress::EXPECTED_MODIFIED_HEADER;
use crate::connector::wordpress::api::{self, WpApi};
use crate::connector::wordpress::model::{TermNames, WpError, WpPost, format_gmt, parse_gmt};

/// The batch route, as the REST index lists it.
const BATCH_ROUTE: &str = "/batch/v1";

/// What the site's REST index says of `/batch/v1`: how many requests one call may carry, or
/// `None` when the route is absent. (The route has no namespace of its own in the index's
/// `namespaces` list; its entry under `routes` is what tells.)
pub fn batch_limit(index: &Value) -> Option<usize> {
    let route = index.get("routes")?.get(BATCH_ROUTE)?;
    let declared = route
        .get("endpoints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.pointer("/args/requests/maxItems"))
        .filter_map(Value::as_u64)
        .next();
    // WordPress's default (`rest_get_max_batch_size`) where the index does not say.
    Some(declared.map_or(25, |n| n as usize).max(1))
}

/// One request of a batch call, addressed by the item's REST route (`wp/v2/posts`).
pub struct BatchRequest<'a> {
    pub route: String,
    pub write: BatchWrite<'a>,
}

#[derive(Debug, Deserialize)]
struct BatchResponse {
    responses: Vec<ItemResponse>,
}

#[derive(Debug, Deserialize)]
struct ItemResponse {
    status: u16,
    #[serde(default)]
    body: Value,
}

/// The JSON body of a batch call.
fn body(requests: &[BatchRequest<'_>]) -> Value {
    let requests: Vec<Value> = requests
        .iter()
        .map(|r| {
            json!({
                "method": "POST",
                "path": format!("/{}/{}?context=edit", r.route, r.write.external_id),
                "body": r.write.patch,
                "headers": {
                    EXPECTED_MODIFIED_HEADER: format_gmt(r.write.expected_modified),
                },
            })
        })
        .collect();
    json!({ "validation": "normal", "requests": requests })
}

/// Sends one batch call and reads each request's outcome.
pub async fn write(
    api: &WpApi,
    terms: &TermNames,
    requests: &[BatchRequest<'_>],
) -> Result<Vec<Result<WriteOutcome, ConnectorError>>, ConnectorError> {
    let response = api
        .request(Method::POST, BATCH_ROUTE, &[], Some(&body(requests)), &[])
        .await?;
    let status = response.status();
    if !status.is_success() {
        let error = api::error_body(response).await;
        return Err(api::classify_error(BATCH_ROUTE, status, &error));
    }
    let answer: BatchResponse = api::read_json(BATCH_ROUTE, response).await?;
    outcomes(answer, terms, requests)
}

fn outcomes(
    answer: BatchResponse,
    terms: &TermNames,
    requests: &[BatchRequest<'_>],
) -> Result<Vec<Result<WriteOutcome, ConnectorError>>, ConnectorError> {
    if answer.responses.len() != requests.len() {
        return Err(ConnectorError::Permanent(format!(
            "{BATCH_ROUTE} answered {} responses to {} requests",
            answer.responses.len(),
            requests.len()
        )));
    }
    Ok(answer
        .responses
        .into_iter()
        .zip(requests)
        .map(|(response, request)| outcome(response, terms, request))
        .collect())
}

fn outcome(
    response: ItemResponse,
    terms: &TermNames,
    request: &BatchRequest<'_>,
) -> Result<WriteOutcome, ConnectorError> {
    let route = format!(
        "{BATCH_ROUTE} {}/{}",
        request.route, request.write.external_id
    );
    let status = StatusCode::from_u16(response.status).map_err(|_| {
        ConnectorError::Permanent(format!("{route}: invalid status {}", response.status))
    })?;
    if status.is_success() {
        let post: WpPost = serde_json::from_value(response.body).map_err(|err| {
            ConnectorError::Permanent(format!("{route}: the answer is not a post: {err}"))
        })?;
        let item = post.into_remote(terms).map_err(ConnectorError::Permanent)?;
        return Ok(WriteOutcome::Written(Box::new(item)));
    }
    let error: WpError = serde_json::from_value(response.body).unwrap_or_default();
    if status == StatusCode::PRECONDITION_FAILED {
        let current_modified = error
            .data
            .as_ref()
            .and_then(|d| d.get("current_modified_gmt"))
            .and_then(Value::as_str)
            .and_then(parse_gmt);
        return Ok(WriteOutcome::PreconditionFailed { current_modified });
    }
    Err(api::classify_error(&route, status, &error))
}

/// Whether a request's error says its route does not take part in batches (a custom post
/// type's controller may not): such a write is sent on its own instead.
pub fn not_batchable(error: &ConnectorError) -> bool {
    matches!(error, ConnectorError::Permanent(message) if message.contains("rest_batch_not_allowed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::remote::Patch;

    #[test]
    fn the_limit_is_read_from_the_index_and_absent_without_the_route() {
        let index = json!({"routes": {"/batch/v1": {"endpoints": [
            {"args": {"requests": {"type": "array", "maxItems": 10}}}
        ]}}});
        assert_eq!(batch_limit(&index), Some(10));
        let undeclared = json!({"routes": {"/batch/v1": {"endpoints": []}}});
        assert_eq!(batch_limit(&undeclared), Some(25));
        assert_eq!(batch_limit(&json!({"routes": {"/wp/v2/posts": {}}})), None);
    }

    /// A response recorded from the real WordPress by tests/e2e/wordpress/record-fixtures.sh.
    fn recorded(json: &str) -> BatchResponse {
        let fixture: Value = serde_json::from_str(json).unwrap();
        serde_json::from_value(fixture["body"].clone()).unwrap()
    }

    fn request<'a>(patch: &'a Patch, id: &'a str) -> BatchRequest<'a> {
        BatchRequest {
            route: "wp/v2/posts".into(),
            write: BatchWrite {
                external_type: "post",
                external_id: id,
                patch,
                expected_modified: "2026-01-02T03:04:05Z".parse().unwrap(),
            },
        }
    }

    #[test]
    fn each_write_of_a_recorded_batch_is_read_as_its_receipt() {
        let answer = recorded(include_str!(
            "../../../tests/fixtures/wordpress/batch-two-updates.json"
        ));
        let patch = Patch::default();
        let requests = [request(&patch, "2"), request(&patch, "3")];
        let outcomes = outcomes(answer, &TermNames::default(), &requests).unwrap();
        let receipts: Vec<(String, String)> = outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Ok(WriteOutcome::Written(item)) => (item.external_id, item.title),
                other => panic!("expected a receipt, got {other:?}"),
            })
            .collect();
        assert_eq!(
            receipts[0],
            ("2".into(), "Second post, retitled in a batch".into())
        );
        assert_eq!(receipts[1].0, "3");
    }

    #[test]
    fn a_recorded_412_inside_a_batch_is_that_write_s_failed_precondition() {
        let answer = recorded(include_str!(
            "../../../tests/fixtures/wordpress/batch-precondition-failed.json"
        ));
        let patch = Patch::default();
        let outcomes = outcomes(answer, &TermNames::default(), &[request(&patch, "2")]).unwrap();
        assert_eq!(
            outcomes,
            vec![Ok(WriteOutcome::PreconditionFailed {
                current_modified: parse_gmt("2026-11-26T15:35:35"),
            })]
        );
    }

    #[test]
    fn a_batch_answering_a_different_number_of_responses_is_refused() {
        let answer = recorded(include_str!(
            "../../../tests/fixtures/wordpress/batch-precondition-failed.json"
        ));
        let patch = Patch::default();
        let requests = [request(&patch, "2"), request(&patch, "3")];
        let err = outcomes(answer, &TermNames::default(), &requests).unwrap_err();
        assert!(
            err.to_string().contains("1 responses to 2 requests"),
            "{err}"
        );
    }

    #[test]
    fn an_item_error_is_classified_and_a_route_outside_batches_is_recognised() {
        let patch = Patch::default();
        let response = |status: u16, code: &str| ItemResponse {
            status,
            body: json!({"code": code, "message": "m", "data": {"status": status}}),
        };
        let missing = outcome(
            response(404, "rest_post_invalid_id"),
            &TermNames::default(),
            &request(&patch, "9"),
        );
        assert!(
            matches!(missing, Err(ConnectorError::Permanent(_))),
            "{missing:?}"
        );
        let forbidden = outcome(
            response(403, "rest_cannot_edit"),
            &TermNames::default(),
            &request(&patch, "9"),
        );
        assert!(
            matches!(forbidden, Err(ConnectorError::Auth(_))),
            "{forbidden:?}"
        );
        let outside = outcome(
            response(400, "rest_batch_not_allowed"),
            &TermNames::default(),
            &request(&patch, "9"),
        );
        assert!(not_batchable(&outside.unwrap_err()));
    }

    #[test]
    fn each_request_carries_its_own_precondition_in_normal_mode() {
        let patch = Patch {
            title: Some("New title".into()),
            ..Patch::default()
        };
        let requests = [BatchRequest {
            route: "wp/v2/posts".into(),
            write: BatchWrite {
                external_type: "post",
                external_id: "7",
                patch: &patch,
                expected_modified: "2026-01-02T03:04:05Z".parse().unwrap(),
            },
        }];
        assert_eq!(
            body(&requests),
            json!({"validation": "normal", "requests": [{
                "method": "POST",
                "path": "/wp/v2/posts/7?context=edit",
                "body": {"title": "New title"},
                "headers": {"X-Igny8-Expected-Modified": "2026-01-02T03:04:05"},
            }]})
        );
    }
}
