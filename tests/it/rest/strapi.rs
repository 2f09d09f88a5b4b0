//! Strapi 5's REST API as the shipped definition reads and writes it.

use igny8::connector::remote::{Connector, Patch, WriteOutcome};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use super::fake::{FakeCms, Flavour, STRAPI_TOKEN, at};

fn article(document: &str, offset: i64, content: &str) -> Value {
    json!({
        "id": 4, "documentId": document, "title": format!("Article {document}"),
        "slug": document, "description": "Short", "content": content,
        "createdAt": "2025-12-31T00:00:00.000Z", "publishedAt": "2025-12-31T00:00:00.000Z",
        "updatedAt": at(offset).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    })
}

#[tokio::test]
async fn articles_are_read_after_the_cursor_until_the_last_page() {
    let cms = FakeCms::start(Flavour::Strapi, Vec::new()).await;
    let list = |page: &str| {
        Mock::given(method("GET"))
            .and(path("/api/articles"))
            .and(query_param("pagination[page]", page))
            .and(query_param("pagination[pageSize]", "100"))
            .and(query_param("sort", "updatedAt:asc"))
            .and(header(
                "Authorization",
                format!("Bearer {STRAPI_TOKEN}").as_str(),
            ))
    };
    // A server capped below the asked page size (Strapi's maxLimit) still pages on by
    // pageCount.
    list("1")
        .and(query_param(
            "filters[updatedAt][$gt]",
            "2026-01-01T00:00:00.000Z",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [article("d1", 5, "<p>One</p>"), article("d2", 5, "<p>Two</p>")],
            "meta": {"pagination": {"page": 1, "pageSize": 2, "pageCount": 2, "total": 3}}})))
        .expect(1)
        .mount(&cms.server)
        .await;
    list("2")
        .and(query_param(
            "filters[updatedAt][$gt]",
            "2026-01-01T00:00:00.000Z",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [article("d3", 9, "<p>Three</p>")],
            "meta": {"pagination": {"page": 2, "pageSize": 2, "pageCount": 2, "total": 3}}})))
        .expect(1)
        .mount(&cms.server)
        .await;

    let connector = cms.connector();
    let stream = connector.streams().remove(0);
    let mut position = connector.start(&stream, Some(at(0)));
    let mut read = Vec::new();
    while let Some(window) = connector.next_window(&mut position).await.unwrap() {
        assert_eq!(window.expected_total, Some(3));
        read.extend(window.items);
    }
    let ids: Vec<&str> = read.iter().map(|item| item.external_id.as_str()).collect();
    assert_eq!(ids, ["d1", "d2", "d3"]);
    assert_eq!(read[0].external_type, "article");
    assert_eq!(read[0].excerpt.as_deref(), Some("Short"));
    assert_eq!(read[2].content_raw, "<p>Three</p>");
}

#[tokio::test]
async fn a_write_rereads_first_and_writes_nothing_over_a_newer_version() {
    let cms = FakeCms::start(Flavour::Strapi, Vec::new()).await;
    Mock::given(method("GET"))
        .and(path("/api/articles/d1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": article("d1", 5, "<p>One</p>"), "meta": {}})))
        .expect(1)
        .mount(&cms.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/articles/d2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": article("d2", 50, "<p>Edited in Strapi</p>"), "meta": {}})))
        .expect(1)
        .mount(&cms.server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/articles/d1"))
        .and(body_json(json!({"data": {"content": "<p>Linked</p>"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": article("d1", 60, "<p>Linked</p>"), "meta": {}})))
        .expect(1)
        .mount(&cms.server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/articles/d2"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&cms.server)
        .await;

    let connector = cms.connector();
    let patch = Patch {
        content: Some("<p>Linked</p>".to_owned()),
        ..Patch::default()
    };
    let written = connector
        .write("article", "d1", &patch, at(5))
        .await
        .unwrap();
    assert!(
        matches!(&written, WriteOutcome::Written(item) if item.remote_modified == at(60)),
        "{written:?}"
    );
    assert_eq!(
        connector
            .write("article", "d2", &patch, at(5))
            .await
            .unwrap(),
        WriteOutcome::PreconditionFailed {
            current_modified: Some(at(50))
        }
    );
}
