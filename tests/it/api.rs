//! The admin API through real HTTP: credits under concurrency, idempotency, roles, tenant
//! isolation, module switches, rate limits and bad input.

use std::time::Duration;

use futures::future::join_all;
use igny8::domain::ids::AccountId;
use igny8::domain::module::Module;
use igny8::domain::role::Role;
use igny8::jobs::handler::{JobContext, JobError, Registry};
use igny8::modules::Modules;
use igny8::store::jobs::{JobState, NewJob};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{RunningPool, TestApp, eventually, job_settings};

async fn body(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

impl TestApp {
    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        body(
            self.http
                .get(self.url(path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn post(&self, path: &str, token: &str, key: Option<&str>, json: Value) -> Response {
        let mut request = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .json(&json);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap()
    }

    async fn balance(&self, token: &str) -> Value {
        let (status, balance) = self.get("/api/v1/credits/balance", token).await;
        assert_eq!(status, StatusCode::OK);
        balance
    }
}

/// Sum of the ledger's movements for an account.
async fn ledger_sums(pool: &PgPool, account: i64) -> (i64, i64) {
    sqlx::query_as(
        "SELECT coalesce(sum(amount), 0)::bigint, coalesce(sum(held_change), 0)::bigint
         FROM credit_transactions WHERE account_id = $1",
    )
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn sixty_four_concurrent_holds_on_forty_credits_never_overspend(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), "[rate_limits.default]\nburst = 200\n").await;
    let (account, token) = app.account(40, Role::Editor).await;

    let holds = (0..64).map(|n| {
        let (app, token) = (&app, &token);
        async move {
            let key = format!("hold-{n}");
            app.post(
                "/api/v1/credits/holds",
                token,
                Some(&key),
                json!({ "operation": "linking", "amount": 1 }),
            )
            .await
        }
    });
    let responses = join_all(holds).await;
    let mut held = Vec::new();
    let mut refused = 0;
    for response in responses {
        let (status, body) = body(response).await;
        match status {
            StatusCode::CREATED => held.push(body["id"].as_i64().unwrap()),
            StatusCode::PAYMENT_REQUIRED => {
                assert_eq!(body["error"]["code"], "insufficient_credits");
                assert_eq!(body["error"]["details"]["required"], 1);
                assert!(body["error"]["details"]["balance"].as_i64().unwrap() >= 0);
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((held.len(), refused), (40, 24));
    let balance = app.balance(&token).await;
    assert_eq!(
        balance,
        json!({ "balance": 40, "held": 40, "available": 0 })
    );

    let captures = held.iter().map(|id| {
        let (app, token) = (&app, &token);
        async move {
            let path = format!("/api/v1/credits/holds/{id}/capture");
            app.post(&path, token, None, json!({ "amount": 1 })).await
        }
    });
    for response in join_all(captures).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    let balance = app.balance(&token).await;
    assert_eq!(balance, json!({ "balance": 0, "held": 0, "available": 0 }));
    assert_eq!(ledger_sums(&pool, account).await, (0, 0));
    let (status, usage) = app
        .get("/api/v1/credits/usage?operation_type=linking", &token)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(usage["total"], 40);
}

#[sqlx::test]
async fn a_replayed_idempotency_key_charges_once_and_answers_the_same(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), "").await;
    let (account, token) = app.account(0, Role::Admin).await;

    let adds = (0..16).map(|_| {
        app.post(
            "/api/v1/credits/add",
            &token,
            Some("purchase-2026-11-26"),
            json!({ "amount": 250, "description": "top-up" }),
        )
    });
    let replies: Vec<(StatusCode, Value)> =
        join_all(join_all(adds).await.into_iter().map(body)).await;
    assert!(
        replies.iter().all(|reply| reply == &replies[0]),
        "{replies:?}"
    );
    assert_eq!(replies[0].0, StatusCode::CREATED);
    assert_eq!(replies[0].1["balance_after"], 250);
    assert_eq!(app.balance(&token).await["balance"], 250);
    assert_eq!(ledger_sums(&pool, account).await, (250, 0));

    // The same key for a different request moves nothing.
    let reused = app
        .post(
            "/api/v1/credits/add",
            &token,
            Some("purchase-2026-11-26"),
            json!({ "amount": 999 }),
        )
        .await;
    let (status, reused) = body(reused).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(reused["error"]["code"], "idempotency_key_reused");

    let holds = (0..16).map(|_| {
        app.post(
            "/api/v1/credits/holds",
            &token,
            Some("optimize-content-7"),
            json!({ "operation": "optimization", "quantity": 900 }),
        )
    });
    let replies: Vec<(StatusCode, Value)> =
        join_all(join_all(holds).await.into_iter().map(body)).await;
    assert!(
        replies.iter().all(|reply| reply == &replies[0]),
        "{replies:?}"
    );
    assert_eq!(
        replies[0].1["amount"], 5,
        "900 words at 1 credit per started 200"
    );
    assert_eq!(app.balance(&token).await["held"], 5);

    let missing = app
        .post("/api/v1/credits/add", &token, None, json!({ "amount": 1 }))
        .await;
    let (status, missing) = body(missing).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(missing["error"]["code"], "idempotency_key_required");
}

#[sqlx::test]
async fn captures_beyond_the_balance_and_double_settlements_are_refused(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), "").await;
    let (account, token) = app.account(10, Role::Editor).await;
    let hold = |key: &'static str, amount: i64| {
        app.post(
            "/api/v1/credits/holds",
            &token,
            Some(key),
            json!({ "operation": "linking", "amount": amount }),
        )
    };
    let (_, first) = body(hold("a", 4).await).await;
    let (_, second) = body(hold("b", 3).await).await;
    let first = first["id"].as_i64().unwrap();
    let second = second["id"].as_i64().unwrap();

    // 10 credits, 3 held elsewhere: capturing 8 for a hold of 4 needs 8 <= 10 - 3.
    let over = app
        .post(
            &format!("/api/v1/credits/holds/{first}/capture"),
            &token,
            None,
            json!({ "amount": 8 }),
        )
        .await;
    let (status, over) = body(over).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{over}");
    assert_eq!(
        over["error"]["details"],
        json!({ "balance": 7, "required": 8 })
    );
    assert_eq!(
        app.balance(&token).await,
        json!({ "balance": 10, "held": 7, "available": 3 })
    );

    // Above the hold but within the balance is fine.
    let within = app
        .post(
            &format!("/api/v1/credits/holds/{first}/capture"),
            &token,
            None,
            json!({ "amount": 7 }),
        )
        .await;
    assert_eq!(within.status(), StatusCode::OK);
    let again = app
        .post(
            &format!("/api/v1/credits/holds/{first}/capture"),
            &token,
            None,
            json!({ "amount": 1 }),
        )
        .await;
    let (status, again) = body(again).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(again["error"]["code"], "hold_not_pending");

    let release = |id: i64| {
        app.http
            .post(app.url(&format!("/api/v1/credits/holds/{id}/release")))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(release(second).await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        release(second).await.unwrap().status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.balance(&token).await,
        json!({ "balance": 3, "held": 0, "available": 3 })
    );
    assert_eq!(ledger_sums(&pool, account).await, (3, 0));
}

#[sqlx::test]
async fn roles_limit_what_a_token_may_do(pool: PgPool) {
    let app = TestApp::spawn(pool, "").await;
    let (account, owner) = app.account(5, Role::Owner).await;
    let viewer = app.token(account, Role::Viewer).await;
    let editor = app.token(account, Role::Editor).await;
    let admin = app.token(account, Role::Admin).await;

    let add = app
        .post(
            "/api/v1/credits/add",
            &viewer,
            Some("v"),
            json!({ "amount": 1 }),
        )
        .await;
    let (status, add) = body(add).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(add["error"]["code"], "forbidden");
    assert_eq!(add["error"]["details"]["required_role"], "admin");
    assert_eq!(
        app.get("/api/v1/credits/balance", &viewer).await.0,
        StatusCode::OK
    );

    assert_eq!(
        app.get("/api/v1/tokens", &editor).await.0,
        StatusCode::FORBIDDEN
    );
    let mint = app
        .post(
            "/api/v1/tokens",
            &editor,
            None,
            json!({ "name": "x", "role": "viewer" }),
        )
        .await;
    assert_eq!(mint.status(), StatusCode::FORBIDDEN);
    let hold = app
        .post(
            "/api/v1/credits/holds",
            &viewer,
            Some("h"),
            json!({ "operation": "linking", "amount": 1 }),
        )
        .await;
    assert_eq!(hold.status(), StatusCode::FORBIDDEN);

    // An admin cannot mint an owner token, but can mint an editor one.
    let owner_token = app
        .post(
            "/api/v1/tokens",
            &admin,
            None,
            json!({ "name": "x", "role": "owner" }),
        )
        .await;
    assert_eq!(owner_token.status(), StatusCode::FORBIDDEN);
    let created = app
        .post(
            "/api/v1/tokens",
            &admin,
            None,
            json!({ "name": "ci", "role": "editor" }),
        )
        .await;
    let (status, created) = body(created).await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = created["secret"].as_str().unwrap().to_owned();
    let (status, me) = app.get("/api/v1/me", &secret).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["token"]["role"], "editor");
    assert_eq!(me["account"]["id"], account);

    // Revoked tokens stop working at once.
    let id = created["token"]["id"].as_i64().unwrap();
    let revoked = app
        .http
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get("/api/v1/me", &secret).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test]
async fn another_accounts_objects_are_not_found(pool: PgPool) {
    let app = TestApp::spawn(pool, "").await;
    let (_, a) = app.account(10, Role::Owner).await;
    let (_, b) = app.account(10, Role::Owner).await;
    let hold = app
        .post(
            "/api/v1/credits/holds",
            &b,
            Some("b-hold"),
            json!({ "operation": "linking", "amount": 2 }),
        )
        .await;
    let (_, hold) = body(hold).await;
    let hold = hold["id"].as_i64().unwrap();
    let capture = app
        .post(
            &format!("/api/v1/credits/holds/{hold}/capture"),
            &a,
            None,
            json!({ "amount": 1 }),
        )
        .await;
    let (status, capture) = body(capture).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(capture["error"]["code"], "not_found");

    let (_, tokens) = app.get("/api/v1/tokens", &b).await;
    let b_token = tokens["items"][0]["id"].as_i64().unwrap();
    let revoke = app
        .http
        .delete(app.url(&format!("/api/v1/tokens/{b_token}")))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/me", &b).await.0, StatusCode::OK);
    assert_eq!(app.balance(&b).await["held"], 2);
}

#[sqlx::test]
async fn missing_or_bad_tokens_get_401_with_a_challenge(pool: PgPool) {
    let app = TestApp::spawn(pool, "").await;
    let (account, token) = app.account(0, Role::Owner).await;
    let forged = token.replacen(&format!("igny8_{account}_"), "igny8_999_", 1);
    for auth in [
        None,
        Some("Bearer nonsense"),
        Some("Basic abc"),
        Some(forged.as_str()),
    ] {
        let mut request = app.http.get(app.url("/api/v1/me"));
        if let Some(auth) = auth {
            let value = if auth.starts_with("igny8_") {
                format!("Bearer {auth}")
            } else {
                auth.to_owned()
            };
            request = request.header("Authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"igny8\""
        );
        let (_, body) = body(response).await;
        assert_eq!(body["error"]["code"], "unauthorized");
    }
}

#[sqlx::test]
async fn the_request_over_the_quota_gets_429_while_another_account_passes(pool: PgPool) {
    let app = TestApp::spawn(pool, "[rate_limits.default]\nper_minute = 3\nburst = 3\n").await;
    let (_, a) = app.account(0, Role::Viewer).await;
    let (_, b) = app.account(0, Role::Viewer).await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/api/v1/credits/balance", &a).await.0,
            StatusCode::OK
        );
    }
    let limited = app
        .http
        .get(app.url("/api/v1/credits/balance"))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    let (_, limited) = body(limited).await;
    assert_eq!(limited["error"]["code"], "rate_limited");
    assert_eq!(
        app.get("/api/v1/credits/balance", &b).await.0,
        StatusCode::OK
    );
}

#[sqlx::test]
async fn unauthenticated_requests_are_limited_per_address(pool: PgPool) {
    let app = TestApp::spawn(
        pool,
        "[rate_limits.unauthenticated]\nper_minute = 2\nburst = 2\n",
    )
    .await;
    let (_, token) = app.account(0, Role::Viewer).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = app.http.get(app.url("/api/v1/me")).send().await.unwrap();
        statuses.push(response.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    // A valid token is not held back by the address's failures.
    assert_eq!(app.get("/api/v1/me", &token).await.0, StatusCode::OK);
}

#[sqlx::test]
async fn bad_input_gets_clear_4xx_never_500(pool: PgPool) {
    let app = TestApp::spawn(pool, "[http]\nbody_limit_bytes = 2048\n").await;
    let (_, token) = app.account(0, Role::Owner).await;
    let send = |body: &'static str| {
        app.http
            .post(app.url("/api/v1/credits/add"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "k")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let cases: [(&str, StatusCode, &str, Option<&str>); 6] = [
        (
            "{\"amount\": ",
            StatusCode::BAD_REQUEST,
            "malformed_json",
            None,
        ),
        (
            "{\"amount\": \"ten\"}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("amount"),
        ),
        (
            "{\"amount\": 5, \"colour\": 1}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("colour"),
        ),
        (
            "{}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("amount"),
        ),
        (
            "{\"amount\": 0}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("amount"),
        ),
        (
            "\"hello\"",
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(""),
        ),
    ];
    for (input, status, code, field) in cases {
        let (got, reply) = body(send(input).await.unwrap()).await;
        assert_eq!(got, status, "{input}: {reply}");
        assert_eq!(reply["error"]["code"], code, "{input}: {reply}");
        if let Some(field) = field {
            assert_eq!(
                reply["error"]["details"]["field"], field,
                "{input}: {reply}"
            );
        }
    }
    let big = format!(
        "{{\"amount\": 1, \"description\": \"{}\"}}",
        "x".repeat(4096)
    );
    let oversize = app
        .http
        .post(app.url("/api/v1/credits/add"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "k")
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    let (status, oversize) = body(oversize).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(oversize["error"]["code"], "payload_too_large");

    let (status, query) = app.get("/api/v1/credits/usage?page=0", &token).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(query["error"]["details"]["field"], "page");
    let (status, query) = app
        .get("/api/v1/credits/usage?from=yesterday", &token)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(query["error"]["details"]["field"], "from");
    let bad_id = app
        .http
        .delete(app.url("/api/v1/tokens/abc"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, bad_id) = body(bad_id).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad_id}");
    assert_eq!(bad_id["error"]["code"], "invalid_path");
    let (status, _) = app.get("/api/v1/tokens/1", &token).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let no_type = app
        .http
        .post(app.url("/api/v1/credits/add"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "k")
        .body("{\"amount\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(no_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Nothing above charged or added anything.
    assert_eq!(app.balance(&token).await["balance"], 0);
}

#[sqlx::test]
async fn trailing_slashes_are_optional_and_requests_carry_an_id(pool: PgPool) {
    let app = TestApp::spawn(pool, "").await;
    let (_, token) = app.account(3, Role::Viewer).await;
    let response = app
        .http
        .get(app.url("/api/v1/credits/balance/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("x-request-id"));
    let (status, missing) = app.get("/api/v1/nothing-here", &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["error"]["code"], "not_found");
    let (status, description) = body(
        app.http
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(description["paths"]["/api/v1/credits/holds"]["post"].is_object());
    assert!(description["components"]["securitySchemes"]["bearer"].is_object());
}

#[sqlx::test]
async fn a_disabled_module_closes_its_routes_and_skips_its_jobs(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), "").await;
    let (account, admin) = app.account(0, Role::Admin).await;
    let (_, modules) = app.get("/api/v1/settings/modules", &admin).await;
    assert_eq!(
        modules["linker"],
        json!({ "enabled": true, "settings": {}, "source": "default" })
    );

    let patch = app
        .http
        .patch(app.url("/api/v1/settings/modules"))
        .bearer_auth(&admin)
        .json(&json!({ "linker": { "enabled": false, "settings": { "max_links": 3 } } }))
        .send()
        .await
        .unwrap();
    let (status, patched) = body(patch).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["linker"]["enabled"], false);
    assert_eq!(patched["linker"]["source"], "account");
    assert_eq!(patched["optimizer"]["enabled"], true);

    let unknown = app
        .http
        .patch(app.url("/api/v1/settings/modules"))
        .bearer_auth(&admin)
        .json(&json!({ "chat": { "enabled": true } }))
        .send()
        .await
        .unwrap();
    let (status, unknown) = body(unknown).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown["error"]["details"]["field"], "chat");

    // A route behind the linker's guard answers 403 module_disabled.
    let modules = Modules::new(
        app.store.clone(),
        Module::ALL.iter().map(|m| (*m, true)).collect(),
    );
    let guarded = igny8::api::modules::ModuleGuard {
        state: igny8_state(&app, modules.clone()),
        module: Module::Linker,
    };
    let router = axum::Router::new()
        .route("/linked", axum::routing::get(|| async { "linked" }))
        .route_layer(axum::middleware::from_fn_with_state(
            guarded,
            igny8::api::modules::require_module,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            igny8_state(&app, modules.clone()),
            igny8::api::auth::authenticate,
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let response = app
        .http
        .get(format!("http://{address}/linked"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let (status, denied) = body(response).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(denied["error"]["code"], "module_disabled");
    assert_eq!(denied["error"]["details"]["module"], "linker");

    // A linker job of this account is skipped, one of an account with the linker on runs.
    let (other, _) = app.account(0, Role::Admin).await;
    let runs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut registry = Registry::default();
    let seen = runs.clone();
    registry.register(
        "link",
        modules.guard(Module::Linker, move |context: JobContext| {
            let seen = seen.clone();
            async move {
                seen.lock()
                    .unwrap()
                    .push(context.payload["account_id"].as_i64());
                Ok::<(), JobError>(())
            }
        }),
    );
    let disabled = app
        .store
        .enqueue(&NewJob::new("link", json!({ "account_id": account }), 3))
        .await
        .unwrap()
        .unwrap();
    let enabled = app
        .store
        .enqueue(&NewJob::new("link", json!({ "account_id": other }), 3))
        .await
        .unwrap()
        .unwrap();
    let workers = RunningPool::start(&app.store, registry, job_settings(1, 3, 30));
    eventually(Duration::from_secs(30), "both jobs settled", || async {
        let a = app.store.job(disabled).await.unwrap().state;
        let b = app.store.job(enabled).await.unwrap().state;
        (a == JobState::Done && b == JobState::Done).then_some(())
    })
    .await;
    workers.stop().await;
    assert_eq!(*runs.lock().unwrap(), vec![Some(other)]);
    assert!(
        modules
            .is_enabled(AccountId::new(other), Module::Linker)
            .await
            .unwrap()
    );
}

fn igny8_state(app: &TestApp, modules: Modules) -> igny8::api::AppState {
    let settings = igny8::settings::Settings::load(&igny8::settings::Sources {
        main_file: "/nonexistent/igny8.toml".into(),
        main_file_explicit: false,
        env: Default::default(),
        overrides: Vec::new(),
    })
    .unwrap();
    igny8::api::AppState::new(igny8::api::Services {
        store: app.store.clone(),
        prometheus: igny8::telemetry::prometheus(),
        credits: igny8::credits::Credits::new(app.store.clone(), &settings.credits),
        modules,
        rate_limits: std::sync::Arc::new(igny8::api::rate_limit::RateLimits::new(
            &settings.rate_limits,
        )),
        token_cache: std::sync::Arc::new(igny8::api::token_cache::TokenCache::new(
            settings.http.token_cache(),
        )),
        sync: igny8::app::sync_services(
            &settings,
            std::sync::Arc::new(std::sync::RwLock::new(
                igny8::sync::site_connector::Secrets::new(settings.data_dir.clone()),
            )),
        )
        .unwrap(),
        sites: igny8::sites::Sites::new(
            app.store.clone(),
            igny8::sites::credentials::CredentialFiles::new(settings.data_dir.clone()),
            settings.jobs.max_attempts,
        ),
        processing: igny8::app::processing(&settings, &app.store),
        site_builder: igny8::app::site_builder(
            &settings,
            &app.store,
            igny8::app::ai_provider(&settings).unwrap(),
        ),
        automation: igny8::automation::Automation::new(
            &settings,
            app.store.clone(),
            igny8::app::processing(&settings, &app.store),
            igny8::app::planner(
                &settings,
                &app.store,
                igny8::app::ai_provider(&settings).unwrap(),
            ),
            igny8::app::writer(
                &settings,
                &app.store,
                igny8::app::ai_provider(&settings).unwrap(),
            ),
        ),
        planner: igny8::app::planner(
            &settings,
            &app.store,
            igny8::app::ai_provider(&settings).unwrap(),
        ),
        writer: igny8::app::writer(
            &settings,
            &app.store,
            igny8::app::ai_provider(&settings).unwrap(),
        ),
        ai: igny8::app::ai_provider(&settings).unwrap(),
    })
}

#[sqlx::test]
async fn a_revocation_made_elsewhere_takes_effect_within_the_token_cache_time(pool: PgPool) {
    let app = TestApp::spawn(pool, "[http]\ntoken_cache_seconds = 1\n").await;
    let (account, token) = app.account(0, Role::Viewer).await;
    assert_eq!(app.get("/api/v1/me", &token).await.0, StatusCode::OK);
    let id = igny8::domain::token::TokenSecret::parse(&token).unwrap();
    let record = app.store.authenticate(&id).await.unwrap().unwrap();
    // As `igny8 token revoke` or another daemon would: straight in the database.
    app.store
        .revoke_token(AccountId::new(account), record.id)
        .await
        .unwrap();
    eventually(
        Duration::from_secs(5),
        "the revocation to apply",
        || async {
            (app.get("/api/v1/me", &token).await.0 == StatusCode::UNAUTHORIZED).then_some(())
        },
    )
    .await;
}
