//! Stand-ins for Ghost's Admin API and Strapi's REST API, answering as their documentation
//! shows: Ghost's `{"posts": [...], "meta": {"pagination": {...}}}` with NQL `updated_at`
//! filters, `order`, `limit`/`page`, JWT auth and 409 `UpdateCollisionError` on a stale
//! `updated_at`; Strapi 5's flat `{"data": [...], "meta": {"pagination": {...}}}` with
//! `pagination[page]`, `sort=updatedAt:asc`, `filters[updatedAt][$gt]`, bearer tokens, and
//! last-write-wins updates. Each keeps its items in memory, so a write is visible to the next
//! read.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};
use igny8::connector::http::HttpClient;
use igny8::connector::rest::definition::Definition;
use igny8::connector::rest::{Rest, RestSite};
use igny8::settings::ConnectorSettings;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, Times};

pub const GHOST_KEY_ID: &str = "6489d1c5f0e7a1000140fa1b";
pub const GHOST_SECRET: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
pub const STRAPI_TOKEN: &str = "strapi-api-token-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Ghost,
    Strapi,
}

#[derive(Debug, Clone)]
pub struct FakeItem {
    pub id: String,
    pub updated_at: DateTime<Utc>,
    pub title: String,
    pub html: String,
}

/// One stand-in CMS and what it holds.
#[derive(Clone)]
pub struct FakeCms {
    pub server: Arc<MockServer>,
    pub flavour: Flavour,
    pub items: Arc<Mutex<Vec<FakeItem>>>,
    /// The most items one list answer holds, whatever was asked (Strapi's `maxLimit`).
    pub max_page: usize,
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A time in 2026, `offset` seconds in: distinct whole seconds, as Ghost stores them.
pub fn at(offset: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(offset)
}

fn item_path(flavour: Flavour) -> &'static str {
    match flavour {
        Flavour::Ghost => r"^/ghost/api/admin/posts/[^/]+/$",
        Flavour::Strapi => r"^/api/articles/[^/]+$",
    }
}

impl FakeCms {
    pub async fn start(flavour: Flavour, items: Vec<FakeItem>) -> FakeCms {
        FakeCms {
            server: Arc::new(MockServer::start().await),
            flavour,
            items: Arc::new(Mutex::new(items)),
            max_page: 100,
        }
    }

    /// `count` items modified a second apart, ids in creation order.
    pub fn items(flavour: Flavour, count: usize) -> Vec<FakeItem> {
        (0..count)
            .map(|index| FakeItem {
                id: match flavour {
                    Flavour::Ghost => format!("65a0000000000000000000{index:02}"),
                    Flavour::Strapi => format!("doc{index:04}"),
                },
                updated_at: at(index as i64 * 60),
                title: format!("Item {index}"),
                html: format!("<p>Body {index}</p>"),
            })
            .collect()
    }

    pub fn list_path(&self) -> &'static str {
        match self.flavour {
            Flavour::Ghost => r"^/ghost/api/admin/posts/$",
            Flavour::Strapi => r"^/api/articles$",
        }
    }

    pub fn item_path(&self) -> &'static str {
        item_path(self.flavour)
    }

    /// Answers every list, read and write as the CMS would, `expected` calls of each at least.
    pub async fn serve(&self, lists: impl Into<Times>, reads: impl Into<Times>) {
        Mock::given(method("GET"))
            .and(path_regex(self.list_path()))
            .respond_with(self.answers())
            .expect(lists)
            .mount(&self.server)
            .await;
        Mock::given(method("GET"))
            .and(path_regex(self.item_path()))
            .respond_with(self.answers())
            .expect(reads)
            .mount(&self.server)
            .await;
        Mock::given(method("PUT"))
            .and(path_regex(self.item_path()))
            .respond_with(self.answers())
            .expect(0..)
            .mount(&self.server)
            .await;
    }

    /// Ghost's pages, the definition's second stream, as an empty list (Strapi's definition
    /// has one stream only).
    pub async fn serve_empty_pages(&self, times: impl Into<Times>) {
        if self.flavour == Flavour::Strapi {
            return;
        }
        Mock::given(method("GET"))
            .and(wiremock::matchers::path("/ghost/api/admin/pages/"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "pages": [],
                "meta": {"pagination": {"page": 1, "limit": 100, "pages": 1, "total": 0,
                                        "next": null, "prev": null}}})))
            .expect(times)
            .mount(&self.server)
            .await;
    }

    /// The connector for this stand-in, through the shipped definition.
    pub fn connector(&self) -> Rest {
        let api_key = match self.flavour {
            Flavour::Ghost => format!("{GHOST_KEY_ID}:{GHOST_SECRET}"),
            Flavour::Strapi => STRAPI_TOKEN.to_owned(),
        };
        self.connector_with_key(&api_key)
    }

    pub fn connector_with_key(&self, api_key: &str) -> Rest {
        let name = match self.flavour {
            Flavour::Ghost => "ghost",
            Flavour::Strapi => "strapi",
        };
        let definition = Definition::load(&repo().join(format!("connectors/{name}.toml"))).unwrap();
        let settings = ConnectorSettings {
            requests_per_second: 1000,
            concurrency: 4,
            max_retries: 3,
            max_backoff_seconds: 5,
            ..ConnectorSettings::default()
        };
        Rest::new(
            Arc::new(HttpClient::new(&settings).unwrap()),
            RestSite {
                key: format!("test:{}", uuid::Uuid::new_v4()),
                base_url: self.server.uri().parse().unwrap(),
                api_key: Some(api_key.to_owned()),
                definition: Arc::new(definition),
            },
        )
        .unwrap()
    }

    pub fn item(&self, id: &str) -> FakeItem {
        self.items
            .lock()
            .unwrap()
            .iter()
            .find(|item| item.id == id)
            .cloned()
            .unwrap()
    }

    /// An edit as a person makes it in the CMS: a new body and a later modified time.
    pub fn edit(&self, id: &str, html: &str) {
        let mut items = self.items.lock().unwrap();
        let latest = items.iter().map(|item| item.updated_at).max().unwrap();
        let item = items.iter_mut().find(|item| item.id == id).unwrap();
        item.html = html.to_owned();
        item.updated_at = latest + Duration::seconds(1);
    }

    /// What answers this stand-in's requests. It shares the items but not the server: a mock
    /// holding its own server would keep it alive, and a server checks its mocks' expected call
    /// counts only when it is dropped.
    pub fn answers(&self) -> Answers {
        Answers {
            flavour: self.flavour,
            items: self.items.clone(),
            max_page: self.max_page,
        }
    }
}

/// How a stand-in answers, over the items it shares with its `FakeCms`.
#[derive(Clone)]
pub struct Answers {
    flavour: Flavour,
    items: Arc<Mutex<Vec<FakeItem>>>,
    max_page: usize,
}

impl Answers {
    fn record(&self, item: &FakeItem) -> Value {
        match self.flavour {
            Flavour::Ghost => json!({
                "id": item.id,
                "uuid": format!("uuid-{}", item.id),
                "title": item.title,
                "slug": item.title.to_lowercase().replace(' ', "-"),
                "html": item.html,
                "status": "published",
                "custom_excerpt": null,
                "meta_description": null,
                "url": format!("https://blog.example/{}/", item.id),
                "published_at": "2025-12-31T00:00:00.000Z",
                "updated_at": item.updated_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            }),
            Flavour::Strapi => json!({
                "id": 1,
                "documentId": item.id,
                "title": item.title,
                "slug": item.title.to_lowercase().replace(' ', "-"),
                "content": item.html,
                "description": "",
                "publishedAt": "2025-12-31T00:00:00.000Z",
                "createdAt": "2025-12-31T00:00:00.000Z",
                "updatedAt": item.updated_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            }),
        }
    }

    fn authorized(&self, request: &Request) -> bool {
        let Some(header) = request
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
        else {
            return false;
        };
        match self.flavour {
            Flavour::Ghost => {
                let Some(token) = header.strip_prefix("Ghost ") else {
                    return false;
                };
                let mut validation = Validation::new(Algorithm::HS256);
                validation.set_audience(&["/admin/"]);
                let key = DecodingKey::from_secret(&hex::decode(GHOST_SECRET).unwrap());
                let kid = jsonwebtoken::decode_header(token)
                    .ok()
                    .and_then(|header| header.kid);
                kid.as_deref() == Some(GHOST_KEY_ID)
                    && jsonwebtoken::decode::<Value>(token, &key, &validation).is_ok()
            }
            Flavour::Strapi => header == format!("Bearer {STRAPI_TOKEN}"),
        }
    }

    fn error(&self, status: u16, kind: &str, message: &str) -> ResponseTemplate {
        let body = match self.flavour {
            Flavour::Ghost => json!({"errors": [{"message": message, "type": kind}]}),
            Flavour::Strapi => {
                json!({"data": null, "error": {"status": status, "name": kind, "message": message, "details": {}}})
            }
        };
        ResponseTemplate::new(status).set_body_json(body)
    }

    fn list(&self, request: &Request) -> ResponseTemplate {
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let param = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let (page_key, size_key, sort_key, sort_value) = match self.flavour {
            Flavour::Ghost => ("page", "limit", "order", "updated_at asc"),
            Flavour::Strapi => (
                "pagination[page]",
                "pagination[pageSize]",
                "sort",
                "updatedAt:asc",
            ),
        };
        assert_eq!(
            param(sort_key).as_deref(),
            Some(sort_value),
            "the list is sorted"
        );
        let page: usize = param(page_key).map_or(1, |page| page.parse().unwrap());
        let size: usize = param(size_key)
            .map_or(15, |size| size.parse().unwrap())
            .min(self.max_page);
        let since = match self.flavour {
            Flavour::Ghost => param("filter").map(|filter| {
                let text = filter
                    .strip_prefix("updated_at:>'")
                    .and_then(|rest| rest.strip_suffix('\''))
                    .expect("an NQL updated_at filter");
                chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
                    .unwrap()
                    .and_utc()
            }),
            Flavour::Strapi => param("filters[updatedAt][$gt]")
                .map(|text| DateTime::parse_from_rfc3339(&text).unwrap().to_utc()),
        };
        let mut matching: Vec<FakeItem> = self
            .items
            .lock()
            .unwrap()
            .iter()
            .filter(|item| since.is_none_or(|since| item.updated_at > since))
            .cloned()
            .collect();
        matching.sort_by_key(|item| item.updated_at);
        let total = matching.len();
        let pages = total.div_ceil(size).max(1);
        let records: Vec<Value> = matching
            .iter()
            .skip((page - 1) * size)
            .take(size)
            .map(|item| self.record(item))
            .collect();
        let body = match self.flavour {
            Flavour::Ghost => json!({
                "posts": records,
                "meta": {"pagination": {
                    "page": page, "limit": size, "pages": pages, "total": total,
                    "next": if page < pages { json!(page + 1) } else { Value::Null },
                    "prev": if page > 1 { json!(page - 1) } else { Value::Null },
                }}
            }),
            Flavour::Strapi => json!({
                "data": records,
                "meta": {"pagination": {
                    "page": page, "pageSize": size, "pageCount": pages, "total": total,
                }}
            }),
        };
        ResponseTemplate::new(200).set_body_json(body)
    }

    fn id_of(request: &Request) -> String {
        request
            .url
            .path()
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned()
    }

    fn read(&self, request: &Request) -> ResponseTemplate {
        let id = Answers::id_of(request);
        let found = self
            .items
            .lock()
            .unwrap()
            .iter()
            .find(|item| item.id == id)
            .cloned();
        match found {
            None => self.error(404, "NotFoundError", "Resource not found"),
            Some(item) => ResponseTemplate::new(200).set_body_json(match self.flavour {
                Flavour::Ghost => json!({"posts": [self.record(&item)]}),
                Flavour::Strapi => json!({"data": self.record(&item), "meta": {}}),
            }),
        }
    }

    fn update(&self, request: &Request) -> ResponseTemplate {
        let id = Answers::id_of(request);
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let fields = match self.flavour {
            Flavour::Ghost => body["posts"][0].clone(),
            Flavour::Strapi => body["data"].clone(),
        };
        let mut items = self.items.lock().unwrap();
        let latest = items.iter().map(|item| item.updated_at).max().unwrap();
        let Some(item) = items.iter_mut().find(|item| item.id == id) else {
            return self.error(404, "NotFoundError", "Resource not found");
        };
        if self.flavour == Flavour::Ghost {
            let sent = fields["updated_at"]
                .as_str()
                .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
                .map(|time| time.to_utc());
            if sent != Some(item.updated_at) {
                return self.error(
                    409,
                    "UpdateCollisionError",
                    "Saving failed! Someone else is editing this post.",
                );
            }
        }
        let (html_key, title_key) = match self.flavour {
            Flavour::Ghost => ("html", "title"),
            Flavour::Strapi => ("content", "title"),
        };
        if let Some(html) = fields[html_key].as_str() {
            // Ghost converts HTML to its own document format and back; the answer is its
            // rendering, which for simple markup is what was sent.
            item.html = html.to_owned();
        }
        if let Some(title) = fields[title_key].as_str() {
            item.title = title.to_owned();
        }
        item.updated_at = (latest + Duration::seconds(1))
            .duration_trunc(Duration::seconds(1))
            .unwrap();
        let record = self.record(item);
        ResponseTemplate::new(200).set_body_json(match self.flavour {
            Flavour::Ghost => json!({"posts": [record]}),
            Flavour::Strapi => json!({"data": record, "meta": {}}),
        })
    }
}

impl Respond for Answers {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if !self.authorized(request) {
            return self.error(401, "UnauthorizedError", "Authorization failed");
        }
        let is_item = regex::Regex::new(item_path(self.flavour))
            .unwrap()
            .is_match(request.url.path());
        match (request.method.as_str(), is_item) {
            ("GET", false) => self.list(request),
            ("GET", true) => self.read(request),
            ("PUT", true) => self.update(request),
            _ => self.error(405, "MethodNotAllowed", "not allowed"),
        }
    }
}
