//! Users and site grants through the API: tokens made for a person follow the person's role
//! and activity, and grants decide which sites editors and viewers see.

use igny8::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::TestApp;

async fn spawn(pool: PgPool) -> (TestApp, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(
        pool,
        &format!("data_dir = {:?}\n", data.path().display().to_string()),
    )
    .await;
    (app, data)
}

async fn create_site(app: &TestApp, admin: &str, name: &str) -> i64 {
    let (status, site) = app
        .call(
            Method::POST,
            "/api/v1/sites",
            admin,
            Some(json!({
                "name": name,
                "connector": "wordpress",
                // Nothing listens there: a queued pull fails fast and is retried later.
                "base_url": "http://127.0.0.1:9/wp",
                // Never due while a test runs.
                "schedule": "0 0 1 1 *",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    site["id"].as_i64().unwrap()
}

/// A user of `role` and a token of `token_role` acting for them.
async fn person(
    app: &TestApp,
    admin: &str,
    email: &str,
    role: &str,
    token_role: &str,
) -> (i64, String) {
    let (status, user) = app
        .call(
            Method::POST,
            "/api/v1/users",
            admin,
            Some(json!({ "email": email, "name": "Ana Silva", "role": role })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let user_id = user["id"].as_i64().unwrap();
    let (status, token) = app
        .call(
            Method::POST,
            "/api/v1/tokens",
            admin,
            Some(json!({ "name": "ana's laptop", "role": token_role, "user_id": user_id })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    assert_eq!(token["token"]["user_id"], user_id);
    (user_id, token["secret"].as_str().unwrap().to_owned())
}

async fn visible_sites(app: &TestApp, token: &str) -> Vec<i64> {
    let (status, list) = app.call(Method::GET, "/api/v1/sites", token, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|site| site["id"].as_i64().unwrap())
        .collect()
}

#[sqlx::test]
async fn grants_decide_which_sites_a_person_sees_and_may_operate(pool: PgPool) {
    let (app, _data) = spawn(pool).await;
    let (_, admin) = app.account(0, Role::Admin).await;
    let blog = create_site(&app, &admin, "blog").await;
    let shop = create_site(&app, &admin, "shop").await;
    let (ana, ana_token) = person(&app, &admin, "Ana@Example.com", "editor", "editor").await;
    assert_eq!(visible_sites(&app, &ana_token).await, Vec::<i64>::new());

    let (status, grant) = app
        .call(
            Method::POST,
            &format!("/api/v1/sites/{blog}/grants"),
            &admin,
            Some(json!({ "user_id": ana, "access": "view" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{grant}");
    assert_eq!(
        (
            grant["user_id"].clone(),
            grant["token_id"].clone(),
            grant["access"].clone()
        ),
        (json!(ana), Value::Null, json!("view"))
    );
    assert_eq!(visible_sites(&app, &ana_token).await, vec![blog]);
    let sync = format!("/api/v1/sites/{blog}/sync");
    let (status, refused) = app.call(Method::POST, &sync, &ana_token, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["error"]["details"]["site_access"], "view");

    // Granting again changes the level of the same grant.
    let (_, edit) = app
        .call(
            Method::POST,
            &format!("/api/v1/sites/{blog}/grants"),
            &admin,
            Some(json!({ "user_id": ana })),
        )
        .await;
    assert_eq!(
        (edit["id"].clone(), edit["access"].clone()),
        (grant["id"].clone(), json!("edit"))
    );
    let (status, queued) = app.call(Method::POST, &sync, &ana_token, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");

    // A grant for one token only: a second token of the same person does not see the shop.
    let (status, other) = app
        .call(
            Method::POST,
            "/api/v1/tokens",
            &admin,
            Some(json!({ "name": "ana's phone", "role": "viewer", "user_id": ana })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let phone = other["secret"].as_str().unwrap();
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/sites/{shop}/grants"),
            &admin,
            Some(json!({ "token_id": other["token"]["id"], "access": "view" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(visible_sites(&app, phone).await, vec![blog, shop]);
    assert_eq!(visible_sites(&app, &ana_token).await, vec![blog]);

    let (status, grants) = app
        .call(
            Method::GET,
            &format!("/api/v1/sites/{blog}/grants"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(grants.as_array().unwrap().len(), 1);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/sites/{blog}/grants/{}", grant["id"]),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(visible_sites(&app, &ana_token).await, Vec::<i64>::new());
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/sites/{blog}/grants/{}", grant["id"]),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a removed grant is gone");
}

#[sqlx::test]
async fn a_persons_tokens_follow_their_role_and_activity_at_once(pool: PgPool) {
    let (app, _data) = spawn(pool).await;
    let (_, owner) = app.account(0, Role::Owner).await;
    let (ana, ana_token) = person(&app, &owner, "ana@example.com", "admin", "admin").await;
    let me = |token: String| {
        let app = &app;
        async move { app.call(Method::GET, "/api/v1/me", &token, None).await }
    };
    let (status, before) = me(ana_token.clone()).await;
    assert_eq!(
        (status, before["token"]["role"].clone()),
        (StatusCode::OK, json!("admin"))
    );

    let user = format!("/api/v1/users/{ana}");
    let (status, demoted) = app
        .call(
            Method::PATCH,
            &user,
            &owner,
            Some(json!({ "role": "viewer" })),
        )
        .await;
    assert_eq!(
        (status, demoted["role"].clone()),
        (StatusCode::OK, json!("viewer"))
    );
    let (_, after) = me(ana_token.clone()).await;
    assert_eq!(
        after["token"]["role"], "viewer",
        "a demoted person's token is demoted too"
    );
    let (status, _) = app
        .call(Method::GET, "/api/v1/tokens", &ana_token, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, inactive) = app
        .call(
            Method::PATCH,
            &user,
            &owner,
            Some(json!({ "is_active": false })),
        )
        .await;
    assert_eq!(inactive["is_active"], false);
    let (status, _) = me(ana_token.clone()).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "an inactive person's token stops at once"
    );

    app.call(
        Method::PATCH,
        &user,
        &owner,
        Some(json!({ "is_active": true, "role": "admin" })),
    )
    .await;
    let (status, back) = me(ana_token.clone()).await;
    assert_eq!(
        (status, back["token"]["role"].clone()),
        (StatusCode::OK, json!("admin"))
    );

    let (status, list) = app.call(Method::GET, "/api/v1/users", &owner, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["email"], "ana@example.com");
}

#[sqlx::test]
async fn bad_people_and_grants_are_refused_naming_the_field(pool: PgPool) {
    let (app, _data) = spawn(pool).await;
    let (account, admin) = app.account(0, Role::Admin).await;
    let (_, other_admin) = app.account(0, Role::Admin).await;
    let blog = create_site(&app, &admin, "blog").await;
    let elsewhere = create_site(&app, &other_admin, "blog").await;
    let (ana, _) = person(&app, &admin, "ana@example.com", "editor", "viewer").await;
    let (stranger, _) = person(&app, &other_admin, "bo@example.com", "editor", "editor").await;
    let editor = app.token(account, Role::Editor).await;

    // Method, path, caller, body, expected status, error code, field named.
    type Case<'a> = (
        Method,
        String,
        &'a str,
        Value,
        StatusCode,
        &'a str,
        Option<&'a str>,
    );
    let cases: Vec<Case> = vec![
        (
            Method::POST,
            "/api/v1/users".into(),
            &admin,
            json!({ "email": "ANA@example.com", "role": "viewer" }),
            StatusCode::CONFLICT,
            "email_taken",
            None,
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            &admin,
            json!({ "email": "ana at example", "role": "viewer" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("email"),
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            &admin,
            json!({ "email": "cy@example.com", "role": "owner" }),
            StatusCode::FORBIDDEN,
            "forbidden",
            None,
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            &editor,
            json!({ "email": "cy@example.com", "role": "viewer" }),
            StatusCode::FORBIDDEN,
            "forbidden",
            None,
        ),
        (
            Method::POST,
            "/api/v1/tokens".into(),
            &admin,
            json!({ "name": "x", "role": "admin", "user_id": ana }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("role"),
        ),
        (
            Method::POST,
            "/api/v1/tokens".into(),
            &admin,
            json!({ "name": "x", "role": "viewer", "user_id": stranger }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("user_id"),
        ),
        (
            Method::POST,
            format!("/api/v1/sites/{blog}/grants"),
            &admin,
            json!({ "user_id": ana, "token_id": 1 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("user_id"),
        ),
        (
            Method::POST,
            format!("/api/v1/sites/{blog}/grants"),
            &admin,
            json!({ "user_id": stranger }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("user_id"),
        ),
        (
            Method::POST,
            format!("/api/v1/sites/{blog}/grants"),
            &admin,
            json!({ "user_id": ana, "access": "own" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("access"),
        ),
        (
            Method::POST,
            format!("/api/v1/sites/{elsewhere}/grants"),
            &admin,
            json!({ "user_id": ana }),
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/sites/{elsewhere}/grants"),
            &admin,
            Value::Null,
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/users/{stranger}"),
            &admin,
            Value::Null,
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{ana}"),
            &admin,
            json!({ "role": "owner" }),
            StatusCode::FORBIDDEN,
            "forbidden",
            None,
        ),
    ];
    for (method, path, token, body, status, code, field) in cases {
        let body = (!body.is_null()).then_some(body);
        let (got, error) = app.call(method.clone(), &path, token, body.clone()).await;
        assert_eq!(got, status, "{method} {path} {body:?}: {error}");
        assert_eq!(
            error["error"]["code"], code,
            "{method} {path} {body:?}: {error}"
        );
        if let Some(field) = field {
            assert_eq!(
                error["error"]["details"]["field"], field,
                "{method} {path}: {error}"
            );
        }
    }
    let (_, user) = app
        .call(Method::GET, &format!("/api/v1/users/{ana}"), &admin, None)
        .await;
    assert_eq!(user["role"], "editor", "refused changes change nothing");
}
