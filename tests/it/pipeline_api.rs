//! The pipeline's API through real HTTP: the linker on one item and in batches, the content list
//! and detail within the caller's sites, the free analyzer, and the errors each gives.

use igny8::domain::ids::AccountId;
use igny8::domain::role::Role;
use igny8::domain::site::{ConnectorKind, PushPolicy, SiteName};
use igny8::store::sites::{Site, SiteSpec};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::processing::{FRENCH_PRESS, NEEDS_WORK, POUR_OVER, SITE_URL, pull_posts};
use crate::support::TestApp;

/// Room for every call a test makes; the groups' own limits are tested on their own.
const GENEROUS_LIMITS: &str = "[rate_limits.linker]\nper_minute = 600\nburst = 100\n\
    [rate_limits.optimizer]\nper_minute = 600\nburst = 100\n";

async fn site(app: &TestApp, account: i64, name: &str) -> Site {
    let spec = SiteSpec {
        name: SiteName::parse(name).unwrap(),
        connector: ConnectorKind::Wordpress,
        base_url: Some(SITE_URL.to_owned()),
        credentials_ref: None,
        settings: json!({}),
        schedule: None,
        push_policy: PushPolicy::Off,
        link_enabled: true,
    };
    app.store
        .upsert_site(AccountId::new(account), &spec, false)
        .await
        .unwrap()
}

#[sqlx::test]
async fn linking_through_the_api_shows_in_the_content_views(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), GENEROUS_LIMITS).await;
    let (account, owner) = app.account(100, Role::Owner).await;
    let brew = site(&app, account, "brew").await;
    let ids = pull_posts(&pool, &app.store, &brew, &[FRENCH_PRESS, POUR_OVER]).await;
    let post = ids[1].get();

    let (status, linked) = app
        .call(
            Method::POST,
            "/api/v1/linker/process",
            &owner,
            Some(json!({ "content_id": post })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{linked}");
    assert_eq!(linked["credits_used"], 8);
    assert_eq!(linked["status"], "linked");
    assert_eq!(linked["added"].as_array().unwrap().len(), 1);
    assert_eq!(linked["added"][0]["anchor"], "french press");

    let (status, detail) = app
        .call(
            Method::GET,
            &format!("/api/v1/content/{post}"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["internal_links"], linked["internal_links"]);
    assert_eq!(detail["linker_version"], 1);
    assert_eq!(detail["status"], "linked");
    assert!(
        detail["content_raw"]
            .as_str()
            .unwrap()
            .contains("data-igny8-link=")
    );

    for (query, expected) in [
        ("status=linked", vec![post]),
        ("q=pour", vec![post]),
        ("q=PRESS", vec![ids[0].get()]),
        ("q=%25", vec![]),
        (
            "sync_status=synced&source=wordpress&status=draft",
            vec![ids[0].get()],
        ),
    ] {
        let (status, list) = app
            .call(
                Method::GET,
                &format!("/api/v1/content?{query}"),
                &owner,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {list}");
        let found: Vec<i64> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_i64().unwrap())
            .collect();
        assert_eq!(found, expected, "{query}");
        assert_eq!(list["total"], expected.len(), "{query}");
    }
    let (status, error) = app
        .call(Method::GET, "/api/v1/content?status=finished", &owner, None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["details"]["field"], "status");

    let balance = app
        .call(Method::GET, "/api/v1/credits/balance", &owner, None)
        .await;
    assert_eq!(balance.1["balance"], 92);
}

#[sqlx::test]
async fn the_linker_api_refuses_what_it_must_not_do(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), GENEROUS_LIMITS).await;
    let (account, owner) = app.account(5, Role::Owner).await;
    let viewer = app.token(account, Role::Viewer).await;
    let (_, stranger) = app.account(100, Role::Owner).await;
    let brew = site(&app, account, "brew").await;
    let ids = pull_posts(&pool, &app.store, &brew, &[FRENCH_PRESS, POUR_OVER]).await;
    let post = ids[1].get();
    let process = |token: &str, body: Value| {
        let token = token.to_owned();
        let app = &app;
        async move {
            app.call(Method::POST, "/api/v1/linker/process", &token, Some(body))
                .await
        }
    };

    let (status, error) = process(&owner, json!({ "content_id": post })).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{error}");
    assert_eq!(error["error"]["code"], "insufficient_credits");
    let (status, _) = process(&viewer, json!({ "content_id": post })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = process(&stranger, json!({ "content_id": post })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = process(&owner, json!({ "content_id": 999_999 })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, error) = process(&owner, json!({ "content_id": "ten" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["details"]["field"], "content_id");

    sqlx::query("UPDATE content SET sync_status = 'deleted_remote' WHERE id = $1")
        .bind(ids[0])
        .execute(&pool)
        .await
        .unwrap();
    let (status, error) = process(&owner, json!({ "content_id": ids[0].get() })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["error"]["code"], "not_processable");

    let (status, error) = app
        .call(
            Method::POST,
            "/api/v1/linker/batch_process",
            &owner,
            Some(json!({ "content_ids": [post, post] })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["details"]["field"], "content_ids[1]");
    let (status, queued) = app
        .call(
            Method::POST,
            "/api/v1/linker/batch_process",
            &owner,
            Some(json!({ "content_ids": [post] })),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["items"][0]["content_id"], post);
    assert_eq!(queued["items"][0]["queued"], true);

    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/settings/modules",
            &owner,
            Some(json!({ "linker": { "enabled": false } })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, error) = process(&owner, json!({ "content_id": post })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["error"]["code"], "module_disabled");
}

#[sqlx::test]
async fn content_is_listed_only_within_the_callers_sites(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), GENEROUS_LIMITS).await;
    let (account, owner) = app.account(0, Role::Owner).await;
    let brew = site(&app, account, "brew").await;
    let shop = site(&app, account, "shop").await;
    let brewed = pull_posts(&pool, &app.store, &brew, &[FRENCH_PRESS]).await;
    let sold = pull_posts(&pool, &app.store, &shop, &[POUR_OVER]).await;
    let editor = app.token(account, Role::Editor).await;
    let secret = igny8::domain::token::TokenSecret::parse(&editor).unwrap();
    let editor_id = app.store.authenticate(&secret).await.unwrap().unwrap().id;
    sqlx::query(
        "INSERT INTO site_user_access (account_id, site_id, api_token_id) VALUES ($1, $2, $3)",
    )
    .bind(account)
    .bind(brew.id)
    .bind(editor_id)
    .execute(&pool)
    .await
    .unwrap();

    let (_, all) = app.call(Method::GET, "/api/v1/content", &owner, None).await;
    assert_eq!(all["total"], 2);
    let (_, granted) = app
        .call(Method::GET, "/api/v1/content", &editor, None)
        .await;
    assert_eq!(granted["total"], 1);
    assert_eq!(granted["items"][0]["id"], brewed[0].get());
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/v1/content/{}", sold[0]),
            &editor,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, by_site) = app
        .call(
            Method::GET,
            &format!("/api/v1/content?site={}", shop.id),
            &owner,
            None,
        )
        .await;
    assert_eq!(by_site["items"][0]["id"], sold[0].get());
}

#[sqlx::test]
async fn the_analyzer_is_free_and_reads_html_or_an_item(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), GENEROUS_LIMITS).await;
    let (account, owner) = app.account(0, Role::Owner).await;
    let brew = site(&app, account, "brew").await;
    let ids = pull_posts(&pool, &app.store, &brew, &[POUR_OVER]).await;
    let analyze = |body: Value| {
        let app = &app;
        let owner = owner.clone();
        async move {
            app.call(
                Method::POST,
                "/api/v1/optimizer/analyze",
                &owner,
                Some(body),
            )
            .await
        }
    };

    let html = "<p>A French press makes a rich cup. Steep coarse grounds for four minutes.</p>";
    let (status, report) = analyze(json!({ "html": html, "keyphrase": "french press" })).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["numbers"]["words"], 13);
    assert_eq!(report["numbers"]["sentences"], 2);
    assert_eq!(report["profile"], "default");
    for part in ["seo", "readability", "engagement"] {
        assert!(report[part]["score"].as_u64().unwrap() <= 100, "{part}");
    }
    assert!(report["overall"].as_u64().unwrap() <= 100);

    let (status, by_item) = analyze(json!({ "content_id": ids[0].get() })).await;
    assert_eq!(status, StatusCode::OK, "{by_item}");
    let direct = analyze(json!({ "html": POUR_OVER.2, "title": POUR_OVER.1 }))
        .await
        .1;
    assert_eq!(
        by_item["seo"], direct["seo"],
        "an item is read with its own title"
    );

    for (body, field) in [
        (json!({}), "html"),
        (json!({ "html": html, "content_id": ids[0].get() }), "html"),
        (json!({ "html": html, "locale": "xx" }), "locale"),
        (json!({ "html": html, "profile": "strict" }), "profile"),
    ] {
        let (status, error) = analyze(body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(error["error"]["details"]["field"], field, "{body}");
    }
    let balance = app
        .call(Method::GET, "/api/v1/credits/balance", &owner, None)
        .await;
    assert_eq!(balance.1["balance"], 0);
}

#[sqlx::test]
async fn the_optimizer_group_has_its_own_rate_limit(pool: PgPool) {
    let app = TestApp::spawn(pool, "").await;
    let (_, token) = app.account(0, Role::Viewer).await;
    let body = json!({ "html": "<p>Short.</p>" });
    // The default optimizer quota allows a burst of 3.
    for _ in 0..3 {
        let (status, _) = app
            .call(
                Method::POST,
                "/api/v1/optimizer/analyze",
                &token,
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let response = app
        .http
        .post(app.url("/api/v1/optimizer/analyze"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    // Other groups keep their own quota.
    let (status, _) = app.call(Method::GET, "/api/v1/content", &token, None).await;
    assert_eq!(status, StatusCode::OK);
}

#[sqlx::test]
async fn optimizing_through_the_api_leaves_a_run_to_read(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), GENEROUS_LIMITS).await;
    let (account, owner) = app.account(100, Role::Owner).await;
    let (_, stranger) = app.account(100, Role::Owner).await;
    let brew = site(&app, account, "brew").await;
    let post = pull_posts(&pool, &app.store, &brew, &[NEEDS_WORK]).await[0].get();

    let response = app
        .http
        .post(app.url("/api/v1/optimizer/optimize"))
        .bearer_auth(&owner)
        .header("Idempotency-Key", "optimize-cold-brew")
        .json(&json!({ "content_id": post, "entry_point": "writer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let optimized: Value = response.json().await.unwrap();
    assert_eq!(optimized["credits_used"], 1);
    assert_eq!(optimized["status"], "optimized");
    let task = optimized["task_id"].as_i64().unwrap();

    let (status, run) = app
        .call(
            Method::GET,
            &format!("/api/v1/optimizer/tasks/{task}"),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["status"], "completed");
    assert_eq!(run["entry_point"], "writer");
    assert_eq!(run["html_before"], NEEDS_WORK.2);
    assert_eq!(run["credits_used"], 1);
    assert_eq!(
        run["changes"].as_array().unwrap().len(),
        optimized["changes"].as_u64().unwrap() as usize
    );
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/v1/optimizer/tasks/{task}"),
            &stranger,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, detail) = app
        .call(
            Method::GET,
            &format!("/api/v1/content/{post}"),
            &owner,
            None,
        )
        .await;
    assert_eq!(detail["tasks"][0]["id"], task);
    assert_eq!(detail["scores"]["overall"], optimized["overall_after"]);

    let (status, queued) = app
        .call(
            Method::POST,
            "/api/v1/optimizer/batch_optimize",
            &owner,
            Some(json!({ "content_ids": [post] })),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["items"][0]["queued"], true);
    let (status, error) = app
        .call(
            Method::POST,
            "/api/v1/optimizer/batch_optimize",
            &owner,
            Some(json!({ "content_ids": [] })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["details"]["field"], "content_ids");
}
