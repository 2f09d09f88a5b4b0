//! The writer through real HTTP: tasks from ideas and by hand, generation refused under the
//! offline provider, and with a wiremock OpenAI-compatible server: an article charged per word
//! (the estimate held, the actual captured) that becomes a native draft and flows through the
//! pipeline, a regeneration that keeps the earlier body, and images.

use std::time::Duration;

use igny8::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::planner::{call, completion, openai_settings, site};
use crate::support::{TestApp, eventually};

/// An article of about 250 words, as a model would write it.
fn article_html() -> String {
    let mut html = String::from("<h2>Brewing basics</h2>");
    for _ in 0..35 {
        html.push_str("<p>Coffee tastes better when brewed with care.</p>");
    }
    html
}

async fn task(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, task) = call(
        app,
        Method::POST,
        "/api/v1/writer/tasks/",
        token,
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{task}");
    task
}

async fn holds(pool: &PgPool, operation: &str) -> Vec<(String, i64, Option<i64>)> {
    sqlx::query_as(
        "SELECT state, amount, captured_amount FROM credit_holds WHERE operation_type = $1 ORDER BY id",
    )
    .bind(operation)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn offline_generation_answers_503_naming_the_config_key(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), "").await;
    let (account, owner) = app.account(100, Role::Owner).await;
    let blog = site(&app, account, "blog").await;
    let (status, idea) = call(
        &app,
        Method::POST,
        "/api/v1/planner/ideas",
        &owner,
        Some(json!({
            "site_id": blog.id,
            "title": "How to Brew Coffee",
            "target_keywords": ["brew coffee"],
            "outline": [{"heading": "Grind", "notes": null}],
            "estimated_word_count": 900,
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{idea}");
    let task = task(&app, &owner, json!({ "idea_id": idea["id"] })).await;
    assert_eq!(task["title"], "How to Brew Coffee");
    assert_eq!(task["site_id"], blog.id.get());
    assert_eq!(task["target_word_count"], 900);
    assert_eq!(task["keywords"], json!(["brew coffee"]));
    let (_, idea) = call(
        &app,
        Method::GET,
        &format!("/api/v1/planner/ideas/{}", idea["id"]),
        &owner,
        None,
    )
    .await;
    assert_eq!(idea["status"], "queued");

    let id = task["id"].as_i64().unwrap();
    let (status, refused) = call(
        &app,
        Method::POST,
        &format!("/api/v1/writer/tasks/{id}/generate_content/"),
        &owner,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{refused}");
    assert_eq!(refused["error"]["code"], "ai_provider_not_configured");
    assert_eq!(refused["error"]["details"]["config_key"], "ai.provider");
    let (status, refused) = call(
        &app,
        Method::POST,
        "/api/v1/writer/batch_generate",
        &owner,
        Some(json!({ "task_ids": [id] })),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused["error"]["code"], "ai_provider_not_configured");
    // Nothing was held, the task waits as it was.
    assert!(holds(&pool, "content_generation").await.is_empty());
    let (_, task) = call(
        &app,
        Method::GET,
        &format!("/api/v1/writer/tasks/{id}"),
        &owner,
        None,
    )
    .await;
    assert_eq!(task["status"], "pending");

    // An image's prompt is recorded even though it cannot be generated.
    let (status, refused) = call(
        &app,
        Method::POST,
        &format!("/api/v1/writer/tasks/{id}/generate_images"),
        &owner,
        Some(
            json!({ "images": [{ "prompt": "a pour-over coffee set", "image_type": "featured" }] }),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{refused}");
    let (prompt, state): (String, String) =
        sqlx::query_as("SELECT prompt, status FROM images WHERE task_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (prompt.as_str(), state.as_str()),
        ("a pour-over coffee set", "pending")
    );

    // A task needs a title or an idea; the error names the field.
    let (status, invalid) = call(
        &app,
        Method::POST,
        "/api/v1/writer/tasks",
        &owner,
        Some(json!({ "site_id": blog.id, "target_word_count": 0, "title": "x" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid["error"]["details"]["field"], "target_word_count");
}

#[sqlx::test]
async fn a_generated_article_is_charged_per_word_and_flows_through_the_pipeline(pool: PgPool) {
    let server = MockServer::start().await;
    let html = article_html();
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(json!({
            "response_format": {"type": "json_schema", "json_schema": {"name": "write_article"}},
        })))
        .respond_with(completion(
            &json!({
                "title": "How to Brew Coffee at Home",
                "html": html,
                "meta_description": "Brew better coffee at home: the grind, the water and the time, step by step for every method.",
            })
            .to_string(),
        ))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .and(body_partial_json(json!({"model": "test-images", "prompt": "a pour-over coffee set"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "created": 1_700_000_000,
            "data": [{"url": "https://images.example/coffee.png", "revised_prompt": "A pour-over coffee set on a wooden table"}],
        })))
        .expect(1)
        .mount(&server)
        .await;
    let app = TestApp::spawn(pool.clone(), &openai_settings(&server, 1)).await;
    let (account, owner) = app.account(100, Role::Owner).await;
    let blog = site(&app, account, "blog").await;
    let task = task(
        &app,
        &owner,
        json!({
            "site_id": blog.id,
            "title": "How to Brew Coffee",
            "keywords": ["brew coffee"],
            "target_word_count": 1000,
        }),
    )
    .await;
    let id = task["id"].as_i64().unwrap();

    let (status, generated) = call(
        &app,
        Method::POST,
        &format!("/api/v1/writer/tasks/{id}/generate_content"),
        &owner,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{generated}");
    let words = u64::from(igny8::writer::word_count::of_html(&html));
    assert!((240..=260).contains(&words), "{words} words");
    assert_eq!(generated["word_count"], words);
    // Held: 1 per 100 words of the 1,000-word target; captured: 1 per 100 words written.
    assert_eq!(generated["credits_held"], 10);
    assert_eq!(generated["credits_used"], words.div_ceil(100));
    assert_eq!(
        holds(&pool, "content_generation").await,
        vec![("captured".to_owned(), 10, Some(words.div_ceil(100) as i64))]
    );
    assert_eq!(generated["usage"]["total_tokens"], 150);
    let content = generated["content_id"].as_i64().unwrap();
    let (source, sync_status, title): (String, String, String) =
        sqlx::query_as("SELECT source, sync_status, title FROM content WHERE id = $1")
            .bind(content)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((source.as_str(), sync_status.as_str()), ("igny8", "native"));
    assert_eq!(title, "How to Brew Coffee at Home");
    let (_, task) = call(
        &app,
        Method::GET,
        &format!("/api/v1/writer/tasks/{id}"),
        &owner,
        None,
    )
    .await;
    assert_eq!(task["status"], "completed");
    assert_eq!(task["content_id"], content);
    assert_eq!(task["ai_usage"]["model"], "test-model");

    // The daemon's workers run the queued pipeline job: linked, then optimized.
    let status = eventually(
        Duration::from_secs(30),
        "the pipeline to process the article",
        || async {
            let status: String = sqlx::query_scalar("SELECT status FROM content WHERE id = $1")
                .bind(content)
                .fetch_one(&pool)
                .await
                .unwrap();
            (status == "optimized").then_some(status)
        },
    )
    .await;
    assert_eq!(status, "optimized");
    let runs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM optimization_tasks WHERE content_id = $1 AND entry_point = 'writer'",
    )
    .bind(content)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(runs, 1);
    let generated_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM domain_events WHERE kind = 'content_generated' AND subject_id = $1",
    )
    .bind(content)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(generated_events, 1);

    // Regeneration replaces the body and keeps the one it replaced.
    let (before, version): (String, i64) =
        sqlx::query_as("SELECT content_raw, version FROM content WHERE id = $1")
            .bind(content)
            .fetch_one(&pool)
            .await
            .unwrap();
    let (status, again) = call(
        &app,
        Method::POST,
        &format!("/api/v1/writer/content/{content}/regenerate"),
        &owner,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["content_id"], content);
    assert_eq!(again["version"], version + 1);
    let kept: String = sqlx::query_scalar(
        "SELECT content_raw FROM content_revisions WHERE content_id = $1 AND origin = 'regenerate' AND version = $2",
    )
    .bind(content)
    .bind(version)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kept, before);

    // Images: 5 credits each.
    let (status, images) = call(
        &app,
        Method::POST,
        &format!("/api/v1/writer/tasks/{id}/generate_images"),
        &owner,
        Some(json!({ "images": [{ "prompt": "a pour-over coffee set", "alt_text": "Pour-over set" }] })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{images}");
    assert_eq!(images[0]["status"], "generated");
    assert_eq!(images[0]["url"], "https://images.example/coffee.png");
    assert_eq!(images[0]["credits_used"], 5);
    assert_eq!(
        holds(&pool, "image_generation").await,
        vec![("captured".to_owned(), 5, Some(5))]
    );
}

const LINKED: &str = "<p>Brew with <a href=\"https://grind.example/guide\">the right grind</a> every time.</p>\
<pre>ratio = 1:16</pre><p>Teh water should be hot but not boiling.</p>";

#[sqlx::test]
async fn an_ai_rewrite_is_kept_only_with_links_and_code_intact_and_no_score_lower(pool: PgPool) {
    let server = MockServer::start().await;
    let rewrites = [
        // The link's target changed: refused.
        LINKED.replace("grind.example/guide", "grind.example/shop"),
        // The code changed: refused.
        LINKED.replace("1:16", "1:15"),
        // Only the prose changed: kept.
        LINKED.replace("Teh water", "The water"),
    ];
    for html in &rewrites {
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .and(body_partial_json(json!({
                "response_format": {"type": "json_schema", "json_schema": {"name": "rewrite_content"}},
            })))
            .respond_with(completion(&json!({ "html": html }).to_string()))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
    }
    let app = TestApp::spawn(pool.clone(), &openai_settings(&server, 0)).await;
    let (account, owner) = app.account(50, Role::Owner).await;
    let blog = site(&app, account, "blog").await;
    let content: i64 = sqlx::query_scalar(
        "INSERT INTO content (account_id, site_id, source, sync_status, title, content_raw) \
         VALUES ($1, $2, 'igny8', 'native', 'Brewing', $3) RETURNING id",
    )
    .bind(account)
    .bind(blog.id)
    .bind(LINKED)
    .fetch_one(&pool)
    .await
    .unwrap();

    let rewrite = || {
        call(
            &app,
            Method::POST,
            "/api/v1/optimizer/rewrite",
            &owner,
            Some(json!({ "content_id": content, "goals": ["fix typos"] })),
        )
    };
    let (status, first) = rewrite().await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["kept"], false);
    assert_eq!(first["rejection"], "link 0 was changed or removed");
    let (_, second) = rewrite().await;
    assert_eq!(second["kept"], false);
    assert_eq!(second["rejection"], "protected region 0 was changed");
    let body: String = sqlx::query_scalar("SELECT content_raw FROM content WHERE id = $1")
        .bind(content)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(body, LINKED, "a refused rewrite leaves the item alone");
    let (_, task) = call(
        &app,
        Method::GET,
        &format!("/api/v1/optimizer/tasks/{}", second["task_id"]),
        &owner,
        None,
    )
    .await;
    assert_eq!(
        (task["status"].as_str(), task["mode"].as_str()),
        (Some("rejected"), Some("ai"))
    );
    assert_eq!(task["html_after"], rewrites[1]);

    let (_, third) = rewrite().await;
    assert_eq!(third["kept"], true, "{third}");
    assert!(third["overall_after"].as_u64() >= third["overall_before"].as_u64());
    assert_eq!(third["credits_used"], 1);
    let body: String = sqlx::query_scalar("SELECT content_raw FROM content WHERE id = $1")
        .bind(content)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(body, rewrites[2]);
    // Two refusals released their holds; the kept rewrite was charged once.
    assert_eq!(
        holds(&pool, "optimization").await,
        vec![
            ("released".to_owned(), 1, None),
            ("released".to_owned(), 1, None),
            ("captured".to_owned(), 1, Some(1)),
        ]
    );
}

#[sqlx::test]
async fn an_ai_rewrite_needs_a_language_model(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), "").await;
    let (account, owner) = app.account(50, Role::Owner).await;
    let blog = site(&app, account, "blog").await;
    let content: i64 = sqlx::query_scalar(
        "INSERT INTO content (account_id, site_id, source, sync_status, title, content_raw) \
         VALUES ($1, $2, 'igny8', 'native', 'Brewing', $3) RETURNING id",
    )
    .bind(account)
    .bind(blog.id)
    .bind(LINKED)
    .fetch_one(&pool)
    .await
    .unwrap();
    let (status, refused) = call(
        &app,
        Method::POST,
        "/api/v1/optimizer/rewrite",
        &owner,
        Some(json!({ "content_id": content, "goals": ["shorter sentences"] })),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{refused}");
    assert_eq!(refused["error"]["code"], "ai_provider_not_configured");
    assert_eq!(refused["error"]["details"]["config_key"], "ai.provider");
}
