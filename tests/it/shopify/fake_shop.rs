//! A stand-in for one shop's GraphQL Admin API on wiremock: products, articles and pages held
//! in memory and answered in Shopify's documented shapes (connections with `pageInfo`, keyset
//! cursors over the sort key, `nodes(ids:)` with nulls for unknown ids, mutation payloads with
//! `userErrors`, `extensions.cost` on every answer). Each operation is its own mock, matched
//! on the `operationName` the client sends, so every test states how often each is called.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const TOKEN: &str = "shpat_test_0123456789abcdef";
pub const VERSION: &str = "2025-10";
pub const ENDPOINT: &str = "/admin/api/2025-10/graphql.json";

/// One object of the shop.
#[derive(Debug, Clone)]
pub struct ShopItem {
    /// `Product`, `Article` or `Page`.
    pub typename: &'static str,
    pub id: u64,
    pub title: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
}

impl ShopItem {
    pub fn gid(&self) -> String {
        format!("gid://shopify/{}/{}", self.typename, self.id)
    }

    fn node(&self) -> Value {
        let time = self.updated_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let mut node = json!({
            "__typename": self.typename,
            "id": self.gid(),
            "title": self.title,
            "handle": self.title.to_lowercase().replace(' ', "-"),
            "updatedAt": time,
            "createdAt": "2025-01-01T00:00:00Z",
            "publishedAt": "2025-01-01T00:00:00Z",
        });
        match self.typename {
            "Product" => {
                node["descriptionHtml"] = json!(self.body);
                node["status"] = json!("ACTIVE");
                node["onlineStoreUrl"] = json!(null);
                node["seo"] = json!({"title": null, "description": null});
            }
            "Article" => {
                node["body"] = json!(self.body);
                node["summary"] = json!(null);
                node["isPublished"] = json!(true);
                node["tags"] = json!([]);
                node["author"] = json!({"name": "Staff"});
                node["blog"] =
                    json!({"id": "gid://shopify/Blog/1", "handle": "news", "title": "News"});
            }
            _ => {
                node["body"] = json!(self.body);
                node["bodySummary"] = json!("");
                node["isPublished"] = json!(true);
            }
        }
        node
    }
}

/// What the shop holds.
#[derive(Debug)]
pub struct ShopState {
    pub items: Vec<ShopItem>,
    /// The most items one list answer holds, whatever `first` asks.
    pub page_size: usize,
    /// The time the next edit is stamped with; moves a second per edit.
    pub clock: DateTime<Utc>,
    /// The server's address, for the result urls of bulk operations.
    pub base: String,
    pub operations: Vec<BulkOperation>,
    /// How many polls a new bulk operation answers RUNNING before it completes.
    pub running_polls: u32,
    /// Added to the objectCount a completed operation reports (a result that lost lines).
    pub count_offset: i64,
}

/// A bulk operation the shop runs: the JSONL lines of its result, fixed when it was created.
#[derive(Debug, Clone)]
pub struct BulkOperation {
    pub lines: Vec<String>,
    pub polls_left: u32,
}

#[derive(Clone)]
pub struct FakeShop {
    pub server: Arc<MockServer>,
    pub state: Arc<Mutex<ShopState>>,
}

/// The cost extension of an answer with a full bucket.
pub fn plenty() -> Value {
    json!({"cost": {"requestedQueryCost": 12, "actualQueryCost": 10,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0}}})
}

pub fn answer(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("X-Shopify-API-Version", VERSION)
        .set_body_json(json!({"data": data, "extensions": plenty()}))
}

/// A mock of one operation at the Admin API endpoint, with the token.
pub fn operation(name: &str) -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path(ENDPOINT))
        .and(header("X-Shopify-Access-Token", TOKEN))
        .and(body_partial_json(json!({"operationName": name})))
}

fn kind_of_operation(name: &str) -> (&'static str, &'static str) {
    match name {
        "Products" | "ProductIds" => ("Product", "products"),
        "Articles" | "ArticleIds" => ("Article", "articles"),
        _ => ("Page", "pages"),
    }
}

fn parse_filter(query: Option<&str>) -> Option<DateTime<Utc>> {
    let text = query?.strip_prefix("updated_at:>='")?.strip_suffix('\'')?;
    Some(text.parse().expect("the filter's time is RFC 3339"))
}

impl FakeShop {
    pub async fn start(page_size: usize) -> FakeShop {
        let server = MockServer::start().await;
        let base = server.uri();
        let shop = FakeShop {
            server: Arc::new(server),
            state: Arc::new(Mutex::new(ShopState {
                items: Vec::new(),
                page_size,
                clock: "2026-03-01T10:00:00Z".parse().unwrap(),
                base: String::new(),
                operations: Vec::new(),
                running_polls: 0,
                count_offset: 0,
            })),
        };
        shop.state.lock().unwrap().base = base;
        shop
    }

    /// Mounts the bulk operation's run, its polls and the download of its result.
    pub async fn serve_bulk(&self, runs: u64, polls: u64) {
        self.serve("BulkRun", runs).await;
        self.serve("BulkStatus", polls).await;
        Mock::given(method("GET"))
            .and(path_regex(r"^/bulk/\d+\.jsonl$"))
            .respond_with(BulkResult::new(self.state.clone()))
            .expect(runs)
            .mount(&self.server)
            .await;
    }

    pub fn uri(&self) -> url::Url {
        url::Url::parse(&format!("{}/", self.server.uri())).unwrap()
    }

    /// Adds `count` items of `typename`, each modified a second after the one before.
    pub fn seed(&self, typename: &'static str, count: usize) -> Vec<ShopItem> {
        let mut state = self.state.lock().unwrap();
        let mut made = Vec::new();
        for n in 0..count {
            let id = 1000 + state.items.len() as u64;
            let item = ShopItem {
                typename,
                id,
                title: format!("{typename} {n}"),
                body: format!("<p>{typename} {n} body.</p>"),
                updated_at: state.clock,
            };
            state.clock += Duration::seconds(1);
            state.items.push(item.clone());
            made.push(item);
        }
        made
    }

    pub fn item(&self, gid: &str) -> ShopItem {
        let state = self.state.lock().unwrap();
        state
            .items
            .iter()
            .find(|i| i.gid() == gid)
            .cloned()
            .expect("the item is in the shop")
    }

    /// Changes an item as a merchant would in the admin: a new body, a later `updatedAt`.
    pub fn edit(&self, gid: &str, body: &str) {
        let mut state = self.state.lock().unwrap();
        let clock = state.clock;
        state.clock += Duration::seconds(1);
        let item = state
            .items
            .iter_mut()
            .find(|i| i.gid() == gid)
            .expect("the item is in the shop");
        item.body = body.to_owned();
        item.updated_at = clock;
    }

    /// Mounts `name` answered by the shop's state, expected `times` times.
    pub async fn serve(&self, name: &'static str, times: u64) {
        operation(name)
            .respond_with(Handler {
                state: self.state.clone(),
                operation: name,
            })
            .expect(times)
            .mount(&self.server)
            .await;
    }

    /// Mounts `name` answered by the shop's state, called any number of times within `times`.
    pub async fn serve_range(&self, name: &'static str, times: std::ops::RangeInclusive<u64>) {
        operation(name)
            .respond_with(Handler {
                state: self.state.clone(),
                operation: name,
            })
            .expect(times)
            .mount(&self.server)
            .await;
    }
}

/// Answers one operation from the shop's state.
pub struct Handler {
    pub state: Arc<Mutex<ShopState>>,
    pub operation: &'static str,
}

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).expect("a JSON body");
        let vars = &body["variables"];
        let mut state = self.state.lock().unwrap();
        match self.operation {
            "Shop" => answer(
                json!({"shop": {"name": "Brew Shop", "myshopifyDomain": "brew-shop.myshopify.com"}}),
            ),
            "Products" | "Articles" | "Pages" => {
                let (typename, connection) = kind_of_operation(self.operation);
                let since = parse_filter(vars["query"].as_str());
                let mut items: Vec<&ShopItem> = state
                    .items
                    .iter()
                    .filter(|i| i.typename == typename)
                    .filter(|i| since.is_none_or(|s| i.updated_at >= s))
                    .collect();
                items.sort_by_key(|i| (i.updated_at, i.id));
                page(
                    &items,
                    vars,
                    state.page_size,
                    connection,
                    |i| format!("{}|{}", i.updated_at.timestamp(), i.id),
                    |i| (i.updated_at.timestamp(), i.id),
                    |cursor| {
                        let (t, id) = cursor.split_once('|').unwrap();
                        (t.parse().unwrap(), id.parse().unwrap())
                    },
                    ShopItem::node,
                )
            }
            "ProductIds" | "ArticleIds" | "PageIds" => {
                let (typename, connection) = kind_of_operation(self.operation);
                let mut items: Vec<&ShopItem> = state
                    .items
                    .iter()
                    .filter(|i| i.typename == typename)
                    .collect();
                items.sort_by_key(|i| i.id);
                page(
                    &items,
                    vars,
                    state.page_size,
                    connection,
                    |i| i.id.to_string(),
                    |i| (0, i.id),
                    |cursor| (0, cursor.parse().unwrap()),
                    |i| {
                        let node = i.node();
                        let mut stub = json!({"id": node["id"], "updatedAt": node["updatedAt"]});
                        if let Some(status) = node.get("status") {
                            stub["status"] = status.clone();
                        } else {
                            stub["isPublished"] = node["isPublished"].clone();
                        }
                        stub
                    },
                )
            }
            "Nodes" => {
                let nodes: Vec<Value> = vars["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|id| {
                        state
                            .items
                            .iter()
                            .find(|i| i.gid() == id.as_str().unwrap())
                            .map_or(Value::Null, ShopItem::node)
                    })
                    .collect();
                answer(json!({"nodes": nodes}))
            }
            "CurrentVersion" => {
                let node = state
                    .items
                    .iter()
                    .find(|i| i.gid() == vars["id"].as_str().unwrap())
                    .map_or(Value::Null, |i| {
                        let node = i.node();
                        let mut current = json!({"id": node["id"], "updatedAt": node["updatedAt"]});
                        if i.typename == "Page" {
                            current["body"] = node["body"].clone();
                        }
                        current
                    });
                answer(json!({"node": node}))
            }
            "ProductUpdate" | "ArticleUpdate" | "PageUpdate" => {
                let (field, input, body_field, payload) = match self.operation {
                    "ProductUpdate" => (
                        "product",
                        &vars["product"],
                        "descriptionHtml",
                        "productUpdate",
                    ),
                    "ArticleUpdate" => ("article", &vars["article"], "body", "articleUpdate"),
                    _ => ("page", &vars["page"], "body", "pageUpdate"),
                };
                let id = if field == "product" {
                    &input["id"]
                } else {
                    &vars["id"]
                };
                let clock = state.clock;
                state.clock += Duration::seconds(1);
                let Some(item) = state
                    .items
                    .iter_mut()
                    .find(|i| i.gid() == id.as_str().unwrap())
                else {
                    return answer(json!({payload: {field: null,
                        "userErrors": [{"field": ["id"], "message": "Product does not exist"}]}}));
                };
                if let Some(body) = input[body_field].as_str() {
                    item.body = body.to_owned();
                }
                if let Some(title) = input["title"].as_str() {
                    item.title = title.to_owned();
                }
                item.updated_at = clock;
                answer(json!({payload: {field: item.node(), "userErrors": []}}))
            }
            "BulkRun" => {
                let query = vars["query"].as_str().unwrap();
                let typename = ["Product", "Article", "Page"]
                    .into_iter()
                    .find(|t| {
                        let (_, connection) = kind_of_operation(&format!("{t}s"));
                        query.starts_with(&format!("{{ {connection}("))
                    })
                    .expect("a bulk query over products, articles or pages");
                assert!(query.contains("edges { node {"), "{query}");
                let lines = state
                    .items
                    .iter()
                    .filter(|i| i.typename == typename)
                    .map(|i| {
                        let mut node = i.node();
                        node.as_object_mut().unwrap().remove("__typename");
                        node.to_string()
                    })
                    .collect();
                let polls_left = state.running_polls;
                state.operations.push(BulkOperation { lines, polls_left });
                let id = format!("gid://shopify/BulkOperation/{}", state.operations.len());
                answer(json!({"bulkOperationRunQuery": {
                    "bulkOperation": {"id": id, "status": "CREATED"}, "userErrors": []}}))
            }
            "BulkStatus" => {
                let id = vars["id"].as_str().unwrap().to_owned();
                let number: usize = id.rsplit('/').next().unwrap().parse().unwrap();
                let base = state.base.clone();
                let offset = state.count_offset;
                let operation = &mut state.operations[number - 1];
                if operation.polls_left > 0 {
                    operation.polls_left -= 1;
                    return answer(
                        json!({"node": {"id": id, "status": "RUNNING", "errorCode": null,
                        "objectCount": "0", "url": null, "partialDataUrl": null}}),
                    );
                }
                let count = operation.lines.len() as i64 + offset;
                answer(
                    json!({"node": {"id": id, "status": "COMPLETED", "errorCode": null,
                    "objectCount": count.to_string(),
                    "url": format!("{base}/bulk/{number}.jsonl"), "partialDataUrl": null}}),
                )
            }
            other => panic!("the stand-in shop has no operation {other}"),
        }
    }
}

/// One page of a keyset-paged connection.
#[allow(clippy::too_many_arguments)]
fn page<K: Ord>(
    items: &[&ShopItem],
    vars: &Value,
    page_size: usize,
    connection: &str,
    cursor_of: impl Fn(&ShopItem) -> String,
    key_of: impl Fn(&ShopItem) -> K,
    parse_cursor: impl Fn(&str) -> K,
    node: impl Fn(&ShopItem) -> Value,
) -> ResponseTemplate {
    let first = vars["first"].as_u64().unwrap() as usize;
    let after = vars["after"].as_str().map(&parse_cursor);
    let rest: Vec<&&ShopItem> = items
        .iter()
        .filter(|i| after.as_ref().is_none_or(|a| key_of(i) > *a))
        .collect();
    let taken: Vec<&&ShopItem> = rest.iter().take(first.min(page_size)).copied().collect();
    let end_cursor = taken.last().map(|i| cursor_of(i));
    answer(json!({connection: {
        "pageInfo": {"hasNextPage": rest.len() > taken.len(), "endCursor": end_cursor},
        "nodes": taken.iter().map(|i| node(i)).collect::<Vec<_>>(),
    }}))
}

/// The JSONL result of a completed bulk operation, as Shopify's storage serves it.
pub struct BulkResult {
    state: Arc<Mutex<ShopState>>,
}

impl BulkResult {
    pub fn new(state: Arc<Mutex<ShopState>>) -> BulkResult {
        BulkResult { state }
    }
}

impl Respond for BulkResult {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let number: usize = request
            .url
            .path()
            .trim_start_matches("/bulk/")
            .trim_end_matches(".jsonl")
            .parse()
            .unwrap();
        let state = self.state.lock().unwrap();
        let mut body = state.operations[number - 1].lines.join("\n");
        body.push('\n');
        ResponseTemplate::new(200)
            .insert_header("Content-Type", "application/jsonl")
            .set_body_string(body)
    }
}
