//! Ghost's Admin API as the shipped definition reads and writes it: requests checked to the
//! parameter, answers in Ghost's documented shapes.

use chrono::Duration;
use igny8::connector::remote::{Connector, Patch, WriteOutcome};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, header_regex, method, path, query_param};
use wiremock::{Mock, MockBuilder, ResponseTemplate};

use super::fake::{FakeCms, Flavour, at};

fn post(id: &str, offset: i64, html: &str) -> Value {
    json!({
        "id": id, "uuid": format!("uuid-{id}"), "title": format!("Post {id}"), "slug": id,
        "html": html, "status": "published", "custom_excerpt": null,
        "meta_description": "About it", "url": format!("https://blog.example/{id}/"),
        "published_at": "2025-12-31T00:00:00.000Z",
        "updated_at": at(offset).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    })
}

fn page(posts: Vec<Value>, page: u64, next: Option<u64>, total: u64) -> Value {
    json!({"posts": posts, "meta": {"pagination": {
        "page": page, "limit": 100, "pages": if next.is_some() { page + 1 } else { page },
        "total": total, "next": next, "prev": null}}})
}

fn list(filter: &str) -> MockBuilder {
    Mock::given(method("GET"))
        .and(path("/ghost/api/admin/posts/"))
        .and(query_param("formats", "html"))
        .and(query_param("limit", "100"))
        .and(query_param("page", "1"))
        .and(query_param("order", "updated_at asc"))
        .and(query_param("filter", filter))
        .and(header("Accept-Version", "v5.0"))
        .and(header_regex(
            "Authorization",
            r"^Ghost [\w-]+\.[\w-]+\.[\w-]+$",
        ))
}

#[tokio::test]
async fn posts_are_read_after_the_cursor_page_by_page_in_updated_order() {
    let cms = FakeCms::start(Flavour::Ghost, Vec::new()).await;
    let server = &cms.server;
    list("updated_at:>'2026-01-01 00:00:00'")
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            vec![post("a1", 10, "<p>A</p>"), post("b2", 20, "<p>B</p>")],
            1,
            Some(2),
            3,
        )))
        .expect(1)
        .mount(server)
        .await;
    // The next window starts again just before the last second read, so nothing that moved
    // meanwhile is skipped; what was already read is not handed out twice.
    list("updated_at:>'2026-01-01 00:00:19'")
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            vec![post("b2", 20, "<p>B</p>"), post("c3", 30, "<p>C</p>")],
            1,
            None,
            2,
        )))
        .expect(1)
        .mount(server)
        .await;

    let connector = cms.connector();
    let stream = connector.streams().remove(0);
    assert_eq!(
        (stream.name.as_str(), stream.external_type.as_str()),
        ("posts", "post")
    );
    let mut position = connector.start(&stream, Some(at(0)));
    let first = connector.next_window(&mut position).await.unwrap().unwrap();
    assert_eq!(first.expected_total, Some(3));
    let ids = |window: &igny8::connector::remote::Window| {
        window
            .items
            .iter()
            .map(|item| item.external_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), ["a1"]);
    let item = &first.items[0];
    assert_eq!(item.content_raw, "<p>A</p>");
    assert_eq!(item.remote_modified, at(10));
    assert_eq!(item.remote_status, "published");
    assert_eq!(item.meta_description.as_deref(), Some("About it"));
    assert_eq!(
        item.external_url.as_deref(),
        Some("https://blog.example/a1/")
    );
    let second = connector.next_window(&mut position).await.unwrap().unwrap();
    assert_eq!(ids(&second), ["b2", "c3"]);
    assert_eq!(connector.next_window(&mut position).await.unwrap(), None);
}

#[tokio::test]
async fn a_write_carries_the_updated_at_read_and_a_collision_is_a_failed_precondition() {
    let cms = FakeCms::start(Flavour::Ghost, Vec::new()).await;
    let server = &cms.server;
    Mock::given(method("PUT"))
        .and(path("/ghost/api/admin/posts/a1/"))
        .and(query_param("source", "html"))
        .and(body_json(json!({"posts": [{
            "html": "<p>Linked</p>", "updated_at": "2026-01-01T00:00:10.000Z"}]})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"posts": [post("a1", 11, "<p>Linked</p>")]})),
        )
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/ghost/api/admin/posts/a1/"))
        .and(body_json(json!({"posts": [{
            "html": "<p>Again</p>", "updated_at": "2026-01-01T00:00:10.000Z"}]})))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({"errors": [{
            "message": "Saving failed! Someone else is editing this post.",
            "type": "UpdateCollisionError"}]})))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ghost/api/admin/posts/a1/"))
        .and(query_param("formats", "html"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"posts": [post("a1", 11, "<p>Linked</p>")]})),
        )
        .expect(1)
        .mount(server)
        .await;

    let connector = cms.connector();
    let patch = |html: &str| Patch {
        content: Some(html.to_owned()),
        ..Patch::default()
    };
    let written = connector
        .write("post", "a1", &patch("<p>Linked</p>"), at(10))
        .await
        .unwrap();
    let WriteOutcome::Written(item) = written else {
        panic!("expected a write, got {written:?}");
    };
    assert_eq!(item.content_raw, "<p>Linked</p>");
    assert_eq!(item.remote_modified, at(11));
    assert_eq!(
        connector
            .write("post", "a1", &patch("<p>Again</p>"), at(10))
            .await
            .unwrap(),
        WriteOutcome::PreconditionFailed {
            current_modified: Some(at(10) + Duration::seconds(1))
        }
    );
}
