//! The WordPress connector against a stand-in WordPress on wiremock: the REST index and
//! `wp/v2` routes in the documented shapes (edit context, `X-WP-Total`, `X-WP-TotalPages`,
//! `Link: rel="next"`, strict `modified_after`/`modified_before`, `rest_post_invalid_page_number`
//! past the end), with the companion plugin's `X-Igny8-Expected-Modified` precondition (412
//! `rest_precondition_failed`) on writes.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use igny8::connector::http::HttpClient;
use igny8::connector::wordpress::api::{AppPassword, Credentials};
use igny8::connector::wordpress::{WordPress, WordPressSite};
use igny8::settings::ConnectorSettings;
use serde_json::{Value, json};
use url::Url;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{ConnectorFixture, Seeded};

/// WordPress writes `*_gmt` fields without a zone, to the second.
fn gmt(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn parse_gmt(text: &str) -> DateTime<Utc> {
    let text = text.trim_end_matches('Z');
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
        .expect("a GMT time")
        .and_utc()
}

#[derive(Debug, Clone)]
struct Post {
    id: u64,
    modified: DateTime<Utc>,
    title: String,
    content: String,
    excerpt: String,
}

/// The posts of the stand-in site and its clock.
#[derive(Debug)]
struct Site {
    base: String,
    posts: Vec<Post>,
    /// Most items one list response carries, whatever `per_page` asks.
    page_size: usize,
    /// The last modified time handed out: every save moves it on by a second.
    clock: DateTime<Utc>,
}

impl Site {
    fn tick(&mut self) -> DateTime<Utc> {
        self.clock += Duration::seconds(1);
        self.clock
    }

    /// A post as `context=edit` shows it.
    fn edit_json(&self, post: &Post) -> Value {
        let link = format!("{}/post-{}/", self.base, post.id);
        json!({
            "id": post.id,
            "date": "2026-01-01T00:00:00",
            "date_gmt": "2026-01-01T00:00:00",
            "guid": {"rendered": format!("{}/?p={}", self.base, post.id), "raw": format!("{}/?p={}", self.base, post.id)},
            "modified": gmt(post.modified),
            "modified_gmt": gmt(post.modified),
            "password": "",
            "slug": format!("post-{}", post.id),
            "status": "publish",
            "type": "post",
            "link": link,
            "title": {"raw": post.title, "rendered": post.title},
            "content": {"raw": post.content, "rendered": post.content, "protected": false, "block_version": 0},
            "excerpt": {"raw": post.excerpt, "rendered": post.excerpt, "protected": false},
            "author": 1,
            "featured_media": 0,
            "comment_status": "open",
            "ping_status": "open",
            "sticky": false,
            "template": "",
            "format": "standard",
            "meta": [],
            "categories": [1],
            "tags": [],
            "permalink_template": format!("{}/%postname%/", self.base),
            "generated_slug": format!("post-{}", post.id),
        })
    }
}

fn wp_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"code": code, "message": message, "data": {"status": status}}))
}

/// `GET /wp-json/wp/v2/posts`: the collection in edit context.
struct ListPosts(Arc<Mutex<Site>>);

impl Respond for ListPosts {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let site = self.0.lock().unwrap();
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            get("context"),
            Some("edit"),
            "the connector reads edit context"
        );
        // Every seeded post is published: `any` shows them all, the trash holds none.
        let status = get("status").unwrap_or("publish");
        let after = get("modified_after").map(parse_gmt);
        let before = get("modified_before").map(parse_gmt);
        let include: Option<Vec<u64>> = get("include").map(|ids| {
            ids.split(',')
                .map(|id| id.parse().expect("numeric ids"))
                .collect()
        });
        let trash = status == "trash";
        let mut posts: Vec<&Post> = site
            .posts
            .iter()
            .filter(|_| !trash)
            .filter(|p| after.is_none_or(|a| p.modified > a))
            .filter(|p| before.is_none_or(|b| p.modified < b))
            .filter(|p| include.as_ref().is_none_or(|ids| ids.contains(&p.id)))
            .collect();
        match get("orderby") {
            Some("id") => posts.sort_by_key(|p| p.id),
            Some("modified") => posts.sort_by_key(|p| (p.modified, p.id)),
            _ => posts.sort_by_key(|p| std::cmp::Reverse(p.id)),
        }
        let per_page = get("per_page")
            .map_or(10, |n| n.parse::<usize>().expect("numeric per_page"))
            .min(site.page_size);
        let page = get("page").map_or(1, |n| n.parse::<usize>().expect("numeric page"));
        let total = posts.len();
        let pages = total.div_ceil(per_page);
        if page > pages.max(1) {
            return wp_error(
                400,
                "rest_post_invalid_page_number",
                "The page number requested is larger than the number of pages available.",
            );
        }
        let body: Vec<Value> = posts
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|p| site.edit_json(p))
            .collect();
        let mut response = ResponseTemplate::new(200)
            .insert_header("x-wp-total", total.to_string())
            .insert_header("x-wp-totalpages", pages.to_string())
            .set_body_json(body);
        let mut next = request.url.clone();
        let kept: Vec<(String, String)> =
            query.iter().filter(|(k, _)| k != "page").cloned().collect();
        next.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("page", &(page + 1).to_string());
        if page < pages {
            response = response.insert_header("link", format!("<{next}>; rel=\"next\""));
        }
        response
    }
}

/// `POST /wp-json/wp/v2/posts/{id}`: an update, refused with 412 by the companion plugin when
/// the post changed since `X-Igny8-Expected-Modified`.
struct UpdatePost(Arc<Mutex<Site>>);

impl Respond for UpdatePost {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut site = self.0.lock().unwrap();
        let id: u64 = request
            .url
            .path()
            .rsplit('/')
            .next()
            .and_then(|id| id.parse().ok())
            .expect("a post id in the path");
        let Some(index) = site.posts.iter().position(|p| p.id == id) else {
            return wp_error(404, "rest_post_invalid_id", "Invalid post ID.");
        };
        let current = site.posts[index].modified;
        if let Some(expected) = request.headers.get("x-igny8-expected-modified")
            && parse_gmt(expected.to_str().expect("an ASCII header")) != current
        {
            return ResponseTemplate::new(412).set_body_json(json!({
                "code": "rest_precondition_failed",
                "message": "The post was modified since the expected time.",
                "data": {"status": 412, "current_modified_gmt": gmt(current)},
            }));
        }
        let fields: Value = serde_json::from_slice(&request.body).expect("a JSON body");
        let modified = site.tick();
        let post = &mut site.posts[index];
        if let Some(title) = fields.get("title").and_then(Value::as_str) {
            post.title = title.to_owned();
        }
        if let Some(content) = fields.get("content").and_then(Value::as_str) {
            post.content = content.to_owned();
        }
        if let Some(excerpt) = fields.get("excerpt").and_then(Value::as_str) {
            post.excerpt = excerpt.to_owned();
        }
        post.modified = modified;
        let post = post.clone();
        ResponseTemplate::new(200).set_body_json(site.edit_json(&post))
    }
}

/// A stand-in WordPress with the companion plugin and the connector pointed at it.
pub struct WordPressFixture {
    server: MockServer,
    site: Arc<Mutex<Site>>,
}

/// The REST index as WordPress 6 answers it, trimmed to what the connector reads: the
/// namespaces and the posts route's arguments (`modified_after` since 5.7).
fn index(base: &str) -> Value {
    json!({
        "name": "Compliance stand-in",
        "description": "",
        "url": base,
        "home": base,
        "gmt_offset": "0",
        "timezone_string": "",
        "namespaces": ["oembed/1.0", "igny8/v1", "wp/v2", "wp-site-health/v1"],
        "authentication": {"application-passwords": {"endpoints": {
            "authorization": format!("{base}/wp-admin/authorize-application.php")
        }}},
        "routes": {
            "/wp/v2/posts": {
                "namespace": "wp/v2",
                "methods": ["GET", "POST"],
                "endpoints": [
                    {"methods": ["GET"], "allow_batch": {"v1": true}, "args": {
                        "context": {"default": "view", "enum": ["view", "embed", "edit"], "required": false},
                        "page": {"default": 1, "type": "integer", "minimum": 1, "required": false},
                        "per_page": {"default": 10, "type": "integer", "minimum": 1, "maximum": 100, "required": false},
                        "modified_after": {"type": "string", "format": "date-time", "required": false},
                        "modified_before": {"type": "string", "format": "date-time", "required": false},
                        "orderby": {"default": "date", "type": "string", "enum": ["author", "date", "id", "include", "modified", "parent", "relevance", "slug", "include_slugs", "title"], "required": false},
                        "status": {"default": "publish", "type": "array", "required": false}
                    }},
                    {"methods": ["POST"], "allow_batch": {"v1": true}, "args": {}}
                ]
            }
        }
    })
}

const PASSWORD: &str = "abcd efgh ijkl mnop qrst uvwx";

impl WordPressFixture {
    /// A site of `count` posts a second apart; the probe's routes are each expected once, the
    /// posts collection `list_calls` times and updates `write_calls` times.
    async fn start(
        count: usize,
        page_size: usize,
        list_calls: std::ops::RangeFrom<u64>,
        write_calls: std::ops::RangeInclusive<u64>,
    ) -> (WordPressFixture, WordPress, Vec<Seeded>) {
        let server = MockServer::start().await;
        let base = server.uri();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let posts: Vec<Post> = (1..=count as u64)
            .map(|id| Post {
                id,
                modified: start + Duration::seconds(id as i64),
                title: format!("Post {id}"),
                content: format!("<p>The body of post {id}.</p>"),
                excerpt: String::new(),
            })
            .collect();
        let site = Arc::new(Mutex::new(Site {
            base: base.clone(),
            clock: start + Duration::seconds(count as i64),
            posts,
            page_size,
        }));
        Mock::given(method("GET"))
            .and(path("/wp-json/"))
            .respond_with(ResponseTemplate::new(200).set_body_json(index(&base)))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/wp-json/wp/v2/types"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "post": {"description": "", "hierarchical": false, "has_archive": false,
                         "name": "Posts", "slug": "post", "taxonomies": ["category", "post_tag"],
                         "rest_base": "posts", "rest_namespace": "wp/v2"},
                "page": {"description": "", "hierarchical": true, "has_archive": false,
                         "name": "Pages", "slug": "page", "taxonomies": [],
                         "rest_base": "pages", "rest_namespace": "wp/v2"}
            })))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/wp-json/wp/v2/categories"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-wp-total", "1")
                    .insert_header("x-wp-totalpages", "1")
                    .set_body_json(json!([{"id": 1, "name": "Uncategorized"}])),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/wp-json/wp/v2/tags"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-wp-total", "0")
                    .insert_header("x-wp-totalpages", "0")
                    .set_body_json(json!([])),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/wp-json/wp/v2/posts"))
            .respond_with(ListPosts(site.clone()))
            .expect(list_calls)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path_regex(r"^/wp-json/wp/v2/posts/\d+$"))
            .respond_with(UpdatePost(site.clone()))
            .expect(write_calls)
            .mount(&server)
            .await;
        let connector = connector(&base);
        let seeded = (1..=count)
            .map(|id| Seeded {
                external_type: "post".to_owned(),
                external_id: id.to_string(),
            })
            .collect();
        (WordPressFixture { server, site }, connector, seeded)
    }
}

fn connector(base: &str) -> WordPress {
    let settings = ConnectorSettings {
        max_backoff_seconds: 2,
        ..ConnectorSettings::default()
    };
    WordPress::new(
        Arc::new(HttpClient::new(&settings).unwrap()),
        WordPressSite {
            key: "compliance".to_owned(),
            base_url: Url::parse(base).unwrap(),
            credentials: Some(Credentials {
                username: "admin".to_owned(),
                password: AppPassword::new(PASSWORD),
            }),
            post_types: vec!["post".to_owned()],
        },
    )
}

impl ConnectorFixture for WordPressFixture {
    type Connector = WordPress;

    async fn with_items(count: usize, page_size: usize) -> (Self, WordPress, Vec<Seeded>) {
        // A paged read, a fetch (one request per status it still misses) and up to two writes.
        WordPressFixture::start(count, page_size, 1.., 0..=2).await
    }

    async fn rate_limited_once() -> Option<(Self, WordPress)> {
        let (fixture, connector, _) = WordPressFixture::start(3, 10, 1.., 0..=0).await;
        Mock::given(method("GET"))
            .and(path("/wp-json/wp/v2/posts"))
            .respond_with(
                wp_error(
                    429,
                    "rest_too_many_requests",
                    "Too many requests, slow down.",
                )
                .insert_header("retry-after", "1"),
            )
            .up_to_n_times(1)
            .with_priority(1)
            .expect(1)
            .mount(&fixture.server)
            .await;
        Some((fixture, connector))
    }

    /// WordPress answers its public routes (the index, post types, terms) to anyone; what the
    /// connector needs credentials for, edit context and writes, is refused with 401.
    async fn unauthorized() -> Option<(Self, WordPress)> {
        let (fixture, connector, _) = WordPressFixture::start(3, 10, 0.., 0..=0).await;
        Mock::given(method("GET"))
            .and(path("/wp-json/wp/v2/posts"))
            .respond_with(wp_error(
                401,
                "rest_forbidden_context",
                "Sorry, you are not allowed to edit posts in this context.",
            ))
            .with_priority(1)
            .expect(1)
            .mount(&fixture.server)
            .await;
        Mock::given(method("POST"))
            .and(path_regex(r"^/wp-json/wp/v2/posts/\d+$"))
            .respond_with(wp_error(
                401,
                "rest_cannot_edit",
                "Sorry, you are not allowed to edit this post.",
            ))
            .with_priority(1)
            .expect(1)
            .mount(&fixture.server)
            .await;
        Some((fixture, connector))
    }

    async fn edit_remotely(&self, item: &Seeded, body: &str) {
        let mut site = self.site.lock().unwrap();
        let modified = site.tick();
        let post = site
            .posts
            .iter_mut()
            .find(|p| p.id.to_string() == item.external_id)
            .expect("a seeded post");
        post.content = body.to_owned();
        post.modified = modified;
    }

    async fn body(&self, item: &Seeded) -> String {
        let site = self.site.lock().unwrap();
        site.posts
            .iter()
            .find(|p| p.id.to_string() == item.external_id)
            .expect("a seeded post")
            .content
            .clone()
    }
}

#[tokio::test]
async fn pagination() {
    super::pagination::<WordPressFixture>().await;
}

#[tokio::test]
async fn rate_limited() {
    super::rate_limited::<WordPressFixture>().await;
}

#[tokio::test]
async fn unauthorized() {
    super::unauthorized::<WordPressFixture>().await;
}

#[tokio::test]
async fn push_is_idempotent() {
    super::push_is_idempotent::<WordPressFixture>().await;
}

#[tokio::test]
async fn conflict_writes_nothing() {
    super::conflict_writes_nothing::<WordPressFixture>().await;
}
