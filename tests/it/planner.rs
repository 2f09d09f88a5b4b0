//! The planner through real HTTP: keywords and their CSV import, offline clustering of a list
//! with a known grouping (scored by the adjusted Rand index), ideas, and the `openai` provider
//! against a wiremock server speaking the chat-completions shapes: structured output checked
//! against the input, a malformed answer retried and then refused with the hold released, 429
//! with `Retry-After`, and a server without JSON-schema support.

use std::collections::HashMap;

use igny8::domain::ids::AccountId;
use igny8::domain::role::Role;
use igny8::domain::site::{ConnectorKind, PushPolicy, SiteName};
use igny8::store::sites::{Site, SiteSpec};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::TestApp;

/// Sixty keywords of six topics, ten each, in topic order.
pub const TOPICS: [[&str; 10]; 6] = [
    [
        "how to brew coffee",
        "coffee brewing methods",
        "french press coffee ratio",
        "pour over coffee technique",
        "cold brew coffee recipe",
        "best coffee grinder",
        "coffee beans for espresso",
        "coffee to water ratio",
        "brew coffee without a machine",
        "coffee brewing temperature",
    ],
    [
        "best running shoes",
        "running shoes for flat feet",
        "trail running shoes",
        "running shoes for women",
        "cheap running shoes",
        "running shoe size guide",
        "marathon running shoes",
        "running shoes for beginners",
        "cushioned running shoes",
        "how to choose running shoes",
    ],
    [
        "how to train a puppy",
        "puppy training schedule",
        "dog training tips",
        "crate training a puppy",
        "dog obedience training",
        "train a dog to sit",
        "puppy potty training",
        "leash training a dog",
        "dog training treats",
        "clicker training for dogs",
    ],
    [
        "solar panels for home",
        "solar panel installation cost",
        "how many solar panels do i need",
        "solar panel efficiency",
        "best solar panels",
        "solar panel battery storage",
        "roof solar panels",
        "are solar panels worth it",
        "solar panel inverter",
        "diy solar panel kit",
    ],
    [
        "sourdough bread recipe",
        "sourdough starter",
        "how to make a sourdough starter",
        "sourdough bread for beginners",
        "sourdough discard recipes",
        "sourdough baking schedule",
        "whole wheat sourdough bread",
        "flour for sourdough bread",
        "shaping a sourdough loaf",
        "no knead sourdough bread",
    ],
    [
        "how to file taxes",
        "tax deductions for freelancers",
        "income tax brackets",
        "tax return deadline",
        "self employed tax",
        "tax refund status",
        "property tax calculator",
        "tax filing software",
        "capital gains tax",
        "tax credits for families",
    ],
];

fn pairs(n: u64) -> f64 {
    (n * n.saturating_sub(1) / 2) as f64
}

/// The adjusted Rand index of two labelings of the same items (Hubert and Arabie, 1985).
pub fn adjusted_rand_index(truth: &[usize], found: &[usize]) -> f64 {
    assert_eq!(truth.len(), found.len());
    let mut table: HashMap<(usize, usize), u64> = HashMap::new();
    let mut rows: HashMap<usize, u64> = HashMap::new();
    let mut columns: HashMap<usize, u64> = HashMap::new();
    for (&t, &f) in truth.iter().zip(found) {
        *table.entry((t, f)).or_default() += 1;
        *rows.entry(t).or_default() += 1;
        *columns.entry(f).or_default() += 1;
    }
    let index: f64 = table.values().map(|&n| pairs(n)).sum();
    let row_pairs: f64 = rows.values().map(|&n| pairs(n)).sum();
    let column_pairs: f64 = columns.values().map(|&n| pairs(n)).sum();
    let expected = row_pairs * column_pairs / pairs(truth.len() as u64);
    let max = (row_pairs + column_pairs) / 2.0;
    (index - expected) / (max - expected)
}

#[test]
fn the_adjusted_rand_index_is_one_for_the_same_grouping_and_near_zero_for_none() {
    assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[5, 5, 7, 7]), 1.0);
    let all_apart: Vec<usize> = (0..60).collect();
    let truth: Vec<usize> = (0..60).map(|i| i / 10).collect();
    assert!(adjusted_rand_index(&truth, &all_apart).abs() < 1e-9);
}

pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, text) = app.request(method, path, token, body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn site(app: &TestApp, account: i64, name: &str) -> Site {
    let spec = SiteSpec {
        name: SiteName::parse(name).unwrap(),
        connector: ConnectorKind::Wordpress,
        base_url: Some("https://planner.example".to_owned()),
        credentials_ref: None,
        settings: json!({}),
        schedule: None,
        push_policy: PushPolicy::Off,
        link_enabled: false,
    };
    app.store
        .upsert_site(AccountId::new(account), &spec, false)
        .await
        .unwrap()
}

/// Imports `csv` into the site; the keywords' ids in file order.
async fn import(app: &TestApp, token: &str, site: &Site, csv: &str) -> Vec<i64> {
    let response = app
        .http
        .post(app.url(&format!(
            "/api/v1/planner/keywords/bulk_import/?site_id={}",
            site.id
        )))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_i64().unwrap())
        .collect()
}

async fn balance(app: &TestApp, token: &str) -> (i64, i64) {
    let (_, body) = call(app, Method::GET, "/api/v1/credits/balance", token, None).await;
    (
        body["balance"].as_i64().unwrap(),
        body["held"].as_i64().unwrap(),
    )
}

/// Each keyword's cluster id, by keyword id.
async fn assignments(pool: &PgPool, ids: &[i64]) -> Vec<Option<i64>> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        let cluster: Option<i64> =
            sqlx::query_scalar("SELECT cluster_id FROM keywords WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap();
        found.push(cluster);
    }
    found
}

async fn events(pool: &PgPool, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM domain_events WHERE kind = $1")
        .bind(kind)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn offline_clustering_recovers_six_known_topics(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), "").await;
    let (account, token) = app.account(100, Role::Owner).await;
    let blog = site(&app, account, "blog").await;
    let mut csv = String::from("keyword,volume\n");
    for (t, topic) in TOPICS.iter().enumerate() {
        for (k, keyword) in topic.iter().enumerate() {
            csv.push_str(&format!("{keyword},{}\n", 1000 - t * 10 - k));
        }
    }
    let ids = import(&app, &token, &blog, &csv).await;
    assert_eq!(ids.len(), 60);
    assert_eq!(events(&pool, "keyword_added").await, 60);

    let (status, clustered) = call(
        &app,
        Method::POST,
        "/api/v1/planner/clusters/auto_cluster/",
        &token,
        Some(json!({ "keyword_ids": ids })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{clustered}");
    assert_eq!(clustered["credits_used"], 10);
    assert_eq!(clustered["usage"]["provider"], "offline");
    assert_eq!(balance(&app, &token).await, (90, 0));

    let found = assignments(&pool, &ids).await;
    assert!(
        found.iter().all(Option::is_some),
        "every keyword is clustered"
    );
    let found: Vec<usize> = found.into_iter().map(|c| c.unwrap() as usize).collect();
    let truth: Vec<usize> = (0..60).map(|i| i / 10).collect();
    let ari = adjusted_rand_index(&truth, &found);
    println!(
        "adjusted Rand index {ari:.3} over {} clusters",
        clustered["clusters"].as_array().unwrap().len()
    );
    assert!(ari >= 0.8, "adjusted Rand index {ari:.3}: {clustered}");
    let clusters = clustered["clusters"].as_array().unwrap();
    assert_eq!(
        events(&pool, "cluster_created").await,
        clusters.len() as i64
    );
    // Each cluster is named after one of its own keywords.
    for cluster in clusters {
        let name = cluster["name"].as_str().unwrap();
        assert!(TOPICS.iter().flatten().any(|k| *k == name), "{name}");
    }

    // Ideas: 15 credits per cluster, from the intent templates.
    let two: Vec<&Value> = clusters.iter().take(2).map(|c| &c["id"]).collect();
    let (status, ideas) = call(
        &app,
        Method::POST,
        "/api/v1/planner/clusters/auto_generate_ideas",
        &token,
        Some(json!({ "cluster_ids": two })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ideas}");
    assert_eq!(ideas["credits_used"], 30);
    assert_eq!(ideas["ideas"].as_array().unwrap().len(), 6);
    assert!(ideas["ideas"][0]["outline"].as_array().unwrap().len() >= 3);
    assert_eq!(balance(&app, &token).await, (60, 0));
    assert_eq!(events(&pool, "idea_created").await, 6);
}

#[sqlx::test]
async fn keywords_are_deduplicated_and_bad_rows_named(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), "").await;
    let (account, owner) = app.account(0, Role::Owner).await;
    let blog = site(&app, account, "blog").await;

    let (status, created) = call(
        &app,
        Method::POST,
        "/api/v1/planner/keywords",
        &owner,
        Some(json!({ "site_id": blog.id, "keyword": "Running  Shoes", "volume": 500, "intent": "commercial" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["normalized"], "running shoes");
    let (status, again) = call(
        &app,
        Method::POST,
        "/api/v1/planner/keywords",
        &owner,
        Some(json!({ "site_id": blog.id, "keyword": "running shoes" })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(again["error"]["code"], "keyword_exists");

    // A re-import updates instead of duplicating; a repeat within the file counts once.
    let ids = import(
        &app,
        &owner,
        &blog,
        "keyword,volume,difficulty\nRUNNING SHOES,800,40\ntrail shoes,20,\ntrail   shoes,30,\n",
    )
    .await;
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[1], created["id"].as_i64().unwrap());
    let (_, list) = call(
        &app,
        Method::GET,
        &format!("/api/v1/planner/keywords?site_id={}", blog.id),
        &owner,
        None,
    )
    .await;
    assert_eq!(list["total"], 2);
    let updated = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == created["id"])
        .unwrap();
    assert_eq!(updated["volume"], 800);
    assert_eq!(
        updated["intent"], "commercial",
        "a value the file leaves out is kept"
    );

    let response = app
        .http
        .post(app.url(&format!(
            "/api/v1/planner/keywords/bulk_import?site_id={}",
            blog.id
        )))
        .bearer_auth(&owner)
        .body("keyword,volume,intent\nboots,lots,\nhats,3,curious\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: Value = response.json().await.unwrap();
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("row 2, column volume"), "{message}");
    assert!(message.contains("row 3, column intent"), "{message}");
    assert_eq!(error["error"]["details"]["field"], "csv");

    // The routes are described.
    let description: Value = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, verb) in [
        ("/api/v1/planner/keywords/bulk_import", "post"),
        ("/api/v1/planner/clusters/auto_cluster", "post"),
        ("/api/v1/planner/clusters/auto_generate_ideas", "post"),
        ("/api/v1/planner/ideas/{id}", "patch"),
        ("/api/v1/writer/tasks/{id}/generate_content", "post"),
        ("/api/v1/writer/content/{id}/regenerate", "post"),
        ("/api/v1/writer/batch_generate", "post"),
        ("/api/v1/optimizer/rewrite", "post"),
    ] {
        assert!(
            description["paths"][path][verb].is_object(),
            "{path} {verb}"
        );
    }

    // A module switched off closes the planner.
    let (status, _) = call(
        &app,
        Method::PATCH,
        "/api/v1/settings/modules",
        &owner,
        Some(json!({ "planner": { "enabled": false } })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, closed) = call(
        &app,
        Method::GET,
        &format!("/api/v1/planner/clusters?site_id={}", blog.id),
        &owner,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(closed["error"]["code"], "module_disabled");
}

/// Settings for the `openai` provider at the mock server.
pub fn openai_settings(server: &MockServer, retries: u32) -> String {
    format!(
        "[ai]\nprovider = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"test-model\"\n\
         image_model = \"test-images\"\nmax_retries = {retries}\ntimeout_seconds = 10\n",
        server.uri()
    )
}

/// A chat-completions answer whose message content is `content`, as the API documents it.
pub fn completion(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "finish_reason": "stop",
        }],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
    }))
}

/// Clusters the keyword ids the request lists: the first two together, the rest apart.
struct ClustersFromPrompt;

impl Respond for ClustersFromPrompt {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let prompt = body["messages"][1]["content"].as_str().unwrap();
        let ids: Vec<i64> = prompt
            .lines()
            .filter_map(|line| line.split_once(": "))
            .filter_map(|(id, _)| id.trim().parse().ok())
            .collect();
        let mut clusters = vec![json!({"name": "running shoes", "keyword_ids": ids[..2]})];
        for id in &ids[2..] {
            clusters.push(json!({"name": format!("topic {id}"), "keyword_ids": [id]}));
        }
        completion(&json!({ "clusters": clusters }).to_string())
    }
}

#[sqlx::test]
async fn the_model_clusters_with_structured_output_after_a_429(pool: PgPool) {
    let server = MockServer::start().await;
    // The first call is rate limited; the retry comes after Retry-After.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(
                    json!({"error": {"message": "Rate limit reached", "type": "requests"}}),
                ),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(json!({
            "model": "test-model",
            "response_format": {"type": "json_schema", "json_schema": {"name": "cluster_keywords", "strict": true}},
        })))
        .respond_with(ClustersFromPrompt)
        .expect(1)
        .mount(&server)
        .await;
    let app = TestApp::spawn(pool.clone(), &openai_settings(&server, 2)).await;
    let (account, owner) = app.account(25, Role::Owner).await;
    let blog = site(&app, account, "blog").await;
    let ids = import(
        &app,
        &owner,
        &blog,
        "keyword\nrunning shoes\ntrail running shoes\ncoffee\n",
    )
    .await;

    let started = std::time::Instant::now();
    let (status, clustered) = call(
        &app,
        Method::POST,
        "/api/v1/planner/clusters/auto_cluster",
        &owner,
        Some(json!({ "keyword_ids": ids })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{clustered}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert_eq!(clustered["credits_used"], 10);
    assert_eq!(clustered["usage"]["provider"], "openai");
    assert_eq!(clustered["usage"]["total_tokens"], 150);
    let clusters = clustered["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2);
    assert_eq!(clusters[0]["name"], "running shoes");
    assert_eq!(clusters[0]["keyword_count"], 2);
    assert_eq!(balance(&app, &owner).await, (15, 0));
    let found = assignments(&pool, &ids).await;
    assert_eq!(found[0], found[1]);
    assert_ne!(found[0], found[2]);
}

#[sqlx::test]
async fn a_malformed_answer_is_retried_then_refused_with_the_hold_released(pool: PgPool) {
    let server = MockServer::start().await;
    // Not JSON at all, then JSON that leaves a keyword out: asked 1 + 2 times, never usable.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion("Sure! Here are your clusters: {clusters: [oops"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(completion(
            r#"{"clusters": [{"name": "shoes", "keyword_ids": []}]}"#,
        ))
        .expect(2)
        .mount(&server)
        .await;
    let app = TestApp::spawn(pool.clone(), &openai_settings(&server, 2)).await;
    let (account, owner) = app.account(25, Role::Owner).await;
    let blog = site(&app, account, "blog").await;
    let ids = import(&app, &owner, &blog, "keyword\nrunning shoes\ntrail shoes\n").await;

    let (status, refused) = call(
        &app,
        Method::POST,
        "/api/v1/planner/clusters/auto_cluster",
        &owner,
        Some(json!({ "keyword_ids": ids })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{refused}");
    assert_eq!(refused["error"]["code"], "ai_invalid_answer");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("after 3 attempts"), "{message}");
    // Nothing was charged, the hold is released, and nothing was clustered.
    assert_eq!(balance(&app, &owner).await, (25, 0));
    let (state, captured): (String, Option<i64>) = sqlx::query_as(
        "SELECT state, captured_amount FROM credit_holds WHERE operation_type = 'clustering'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((state.as_str(), captured), ("released", None));
    assert_eq!(assignments(&pool, &ids).await, vec![None, None]);
    assert_eq!(events(&pool, "cluster_created").await, 0);

    // The retries told the model what was wrong.
    let requests = server.received_requests().await.unwrap();
    let last: Value = serde_json::from_slice(&requests.last().unwrap().body).unwrap();
    let messages = last["messages"].as_array().unwrap();
    assert!(
        messages.last().unwrap()["content"]
            .as_str()
            .unwrap()
            .contains("cannot be used")
    );
}

#[sqlx::test]
async fn a_server_without_json_schema_is_asked_in_json_mode(pool: PgPool) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(json!({"response_format": {"type": "json_schema"}})))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"message": "response_format json_schema is not supported", "type": "invalid_request_error"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(json!({"response_format": {"type": "json_object"}})))
        .respond_with(completion(
            &json!({"ideas": [{
                "title": "Choosing Running Shoes",
                "description": "What matters when buying running shoes.",
                "outline": [{"heading": "Fit", "notes": null}, {"heading": "Cushioning", "notes": "Road vs trail"}],
                "target_keywords": ["running shoes"],
                "intent": "commercial",
                "estimated_word_count": 1200
            }]})
            .to_string(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let app = TestApp::spawn(pool.clone(), &openai_settings(&server, 1)).await;
    let (account, owner) = app.account(100, Role::Owner).await;
    let blog = site(&app, account, "blog").await;
    let (status, cluster) = call(
        &app,
        Method::POST,
        "/api/v1/planner/clusters",
        &owner,
        Some(json!({ "site_id": blog.id, "name": "running shoes" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{cluster}");

    let (status, ideas) = call(
        &app,
        Method::POST,
        "/api/v1/planner/clusters/auto_generate_ideas",
        &owner,
        Some(json!({ "cluster_ids": [cluster["id"]] })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ideas}");
    assert_eq!(ideas["credits_used"], 15);
    assert_eq!(ideas["ideas"][0]["title"], "Choosing Running Shoes");
    assert_eq!(ideas["ideas"][0]["intent"], "commercial");
    assert_eq!(ideas["ideas"][0]["outline"][1]["notes"], "Road vs trail");
    assert_eq!(balance(&app, &owner).await, (85, 0));
}
