//! Ingest throughput: a full pull of 100,000 synthetic posts from a local server that answers
//! like WordPress's REST API (`modified_after` strict, ascending modified order, pages of 100,
//! `X-WP-Total` and `rel="next"`), through the real connector, windows and upserts, into the
//! local PostgreSQL (database `igny8_bench_ingest`, created afresh each run).
//!
//! Run: `cargo bench --bench sync_ingest`. Prints rows per second for each of three runs and
//! checks that every item arrived exactly once. Target: at least 20,000 rows/s. A last run has
//! an active `content_synced` rule, so every created body also writes its domain event.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use igny8::connector::remote::Connector;
use igny8::domain::site::PushPolicy;
use igny8::store::sync_runs::{RunKind, Trigger};
use igny8::sync::pull::{Quiet, pull};
use igny8::sync::site_connector::{Secrets, wordpress};
use serde::Deserialize;
use serde_json::json;

const ITEMS: usize = 100_000;
const RUNS: usize = 3;

/// Every post pre-rendered as JSON, in ascending modified order (one second apart).
struct Corpus {
    modified: Vec<DateTime<Utc>>,
    json: Vec<String>,
}

fn corpus() -> Corpus {
    let start = "2025-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let mut modified = Vec::with_capacity(ITEMS);
    let mut rendered = Vec::with_capacity(ITEMS);
    for i in 0..ITEMS {
        let at = start + Duration::seconds(i as i64);
        let gmt = at.format("%Y-%m-%dT%H:%M:%S").to_string();
        let body = format!(
            "<!-- wp:paragraph --><p>Post {i} is about brewing coffee at home, with notes on grind size, \
             water temperature and the bloom.</p><!-- /wp:paragraph -->\n<!-- wp:heading --><h2>Method {i}</h2>\
             <!-- /wp:heading -->\n<!-- wp:paragraph --><p>Weigh the beans, grind them just before brewing, \
             and pour in slow circles. A burr grinder gives an even grind; a blade grinder does not. \
             Taste, adjust one thing, and taste again.</p><!-- /wp:paragraph -->"
        );
        rendered.push(
            json!({
                "id": i + 1, "type": "post", "status": "publish", "date_gmt": gmt, "modified_gmt": gmt,
                "slug": format!("post-{i}"), "link": format!("https://bench.example/post-{i}/"),
                "title": {"raw": format!("Post {i}"), "rendered": format!("Post {i}")},
                "content": {"raw": body, "rendered": body},
                "excerpt": {"raw": "", "rendered": ""},
                "author": 1, "featured_media": 0, "categories": [1], "tags": []
            })
            .to_string(),
        );
        modified.push(at);
    }
    Corpus {
        modified,
        json: rendered,
    }
}

#[derive(Deserialize)]
struct ListParams {
    status: Option<String>,
    modified_after: Option<String>,
    page: Option<usize>,
    per_page: Option<usize>,
}

async fn posts(
    State(corpus): State<Arc<Corpus>>,
    Query(params): Query<ListParams>,
) -> impl IntoResponse {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    let trash = params.status.as_deref() == Some("trash");
    let after = params.modified_after.as_deref().map(|text| {
        NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S")
            .unwrap()
            .and_utc()
    });
    let first = if trash {
        ITEMS
    } else {
        after.map_or(0, |after| corpus.modified.partition_point(|m| *m <= after))
    };
    let per_page = params.per_page.unwrap_or(10).min(100);
    let page = params.page.unwrap_or(1).max(1);
    let total = ITEMS - first;
    let from = (first + (page - 1) * per_page).min(ITEMS);
    let to = (from + per_page).min(ITEMS);
    headers.insert("x-wp-total", total.to_string().parse().unwrap());
    if to < ITEMS {
        headers.insert("link", "<http://bench/next>; rel=\"next\"".parse().unwrap());
    }
    let body = format!("[{}]", corpus.json[from..to].join(","));
    (headers, body)
}

async fn serve(corpus: Arc<Corpus>) -> String {
    let app = Router::new()
        .route(
            "/wp-json/",
            get(|| async {
                Json(json!({"name": "bench", "namespaces": ["wp/v2"],
                    "routes": {"/wp/v2/posts": {"endpoints": [{"args": {"modified_after": {}}}]}}}))
            }),
        )
        .route(
            "/wp-json/wp/v2/types",
            get(|| async {
                Json(json!({"post": {"rest_base": "posts", "rest_namespace": "wp/v2"}}))
            }),
        )
        .route(
            "/wp-json/wp/v2/categories",
            get(|| async { Json(json!([{"id": 1, "name": "Brewing"}])) }),
        )
        .route("/wp-json/wp/v2/tags", get(|| async { Json(json!([])) }))
        .route("/wp-json/wp/v2/posts", get(posts))
        .with_state(corpus);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

mod support;

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and only checks
    // that this builds.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let corpus = Arc::new(corpus());
    let base = serve(corpus).await;
    let http = support::http();
    for run in 1..=RUNS + 1 {
        let with_rule = run > RUNS;
        let store = support::fresh_store("igny8_bench_ingest").await;
        let site = support::wordpress_site(
            &store,
            "bench",
            &base,
            None,
            json!({"post_types": ["post"]}),
            PushPolicy::Off,
        )
        .await;
        if with_rule {
            let rule = json!({
                "name": "Optimize synced posts",
                "trigger_type": "content_synced",
                "actions": [{"type": "optimize_content"}],
            });
            let rule = igny8::domain::rule::RuleDefinition::parse(&rule).unwrap();
            store.create_rule(site.account_id, &rule).await.unwrap();
        }
        let (connector, site_settings) =
            wordpress(&site, http.clone(), &Secrets::new(std::env::temp_dir())).unwrap();
        // The same windows read and parsed without the database, for comparison.
        connector.probe().await.unwrap();
        let started = Instant::now();
        let mut position = connector.start(&connector.streams()[0], None);
        let mut read = 0;
        while let Some(window) = connector.next_window(&mut position).await.unwrap() {
            read += window.items.len();
        }
        println!(
            "run {run}: reading alone: {read} items in {:.2} s",
            started.elapsed().as_secs_f64()
        );
        let started = Instant::now();
        let report = pull(
            &store,
            &connector,
            &site,
            RunKind::Full,
            Trigger::Manual,
            site_settings.lookback(),
            &Quiet,
        )
        .await
        .unwrap();
        let elapsed = started.elapsed();
        assert_eq!(report.error, None);
        assert_eq!(report.counts.created, ITEMS as u64);
        println!(
            "run {run}{}: {ITEMS} items in {:.2} s = {:.0} rows/s",
            if with_rule {
                " (content_synced rule, one event per item)"
            } else {
                ""
            },
            elapsed.as_secs_f64(),
            ITEMS as f64 / elapsed.as_secs_f64()
        );
    }
}
