//! Users and tokens: the admin API, revocation and disabling that take effect on the very next
//! request in every process, token scopes, expiry, the demo's token reissue, and the bearer
//! scheme's spelling.

use clearway_server::demo;
use clearway_store::auth;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, test_config, TestApp};

const ACCESS_ROWS: [&str; 4] = [
    "SELECT COUNT(*) AS n FROM users",
    "SELECT COUNT(*) AS n FROM api_tokens",
    "SELECT COUNT(*) AS n FROM api_tokens WHERE revoked_at IS NOT NULL",
    "SELECT COUNT(*) AS n FROM users WHERE disabled_at IS NOT NULL",
];

async fn access_rows(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in ACCESS_ROWS {
        out.push(app.count(sql).await);
    }
    out.push(app.count("SELECT COUNT(*) AS n FROM audit_log").await);
    out
}

async fn get_with(app: &TestApp, base: &str, token: &str) -> StatusCode {
    app.client
        .get(format!("{base}/api/funds"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// Issues a token through the API as the admin; returns the response body.
async fn issue(app: &TestApp, body: Value) -> Value {
    let resp = app.post("admin", "/api/tokens", &body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

async fn problem_field(resp: reqwest::Response, status: StatusCode) -> String {
    assert_eq!(resp.status(), status);
    let body: Value = resp.json().await.unwrap();
    body["field"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app(3).await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let resp = app
            .client
            .get(app.url("/api/funds"))
            .header(
                "Authorization",
                format!("{scheme} {}", app.token("operator")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{scheme}");
    }
    for bad in [
        format!("Bearer{}", app.token("operator")),
        format!("Basic {}", app.token("operator")),
        "Bearer ".to_string(),
    ] {
        let resp = app
            .client
            .get(app.url("/api/funds"))
            .header("Authorization", bad.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{bad}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_token_fails_on_the_next_request_through_another_server() {
    let app = spawn_app(3).await;
    // A second server (its own AppState) on the same database: another process, in effect.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other = clearway_server::start(app.db.clone(), test_config(), listener)
        .await
        .unwrap();
    let other_base = format!("http://{}", other.addr);
    let issued = issue(
        &app,
        json!({ "userId": app.seeded.user_ids["operator"], "name": "ci" }),
    )
    .await;
    let token = issued["token"].as_str().unwrap();
    assert_eq!(issued["scope"], "operator");
    assert_eq!(get_with(&app, &other_base, token).await, StatusCode::OK);
    let id = issued["id"].as_str().unwrap();
    let resp = app
        .post("admin", &format!("/api/tokens/{id}/revoke"), &json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let revoked: Value = resp.json().await.unwrap();
    assert!(revoked["revokedAt"].is_string());
    assert_eq!(
        get_with(&app, &other_base, token).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get_with(&app, &app.base, token).await,
        StatusCode::UNAUTHORIZED
    );
    // The user's other tokens still work.
    let operator = app.token("operator");
    assert_eq!(get_with(&app, &other_base, operator).await, StatusCode::OK);
    other.shutdown().await;
    app.stop().await;
}

#[tokio::test]
async fn a_disabled_users_tokens_fail_at_once_and_they_get_no_new_one() {
    let app = spawn_app(3).await;
    assert_eq!(
        get_with(&app, &app.base, app.token("operator")).await,
        StatusCode::OK
    );
    let operator = app.seeded.user_ids["operator"].clone();
    let resp = app
        .post(
            "admin",
            &format!("/api/users/{operator}/disable"),
            &json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let user: Value = resp.json().await.unwrap();
    assert!(user["disabledAt"].is_string());
    assert_eq!(
        get_with(&app, &app.base, app.token("operator")).await,
        StatusCode::UNAUTHORIZED
    );
    let before = access_rows(&app).await;
    let resp = app
        .post(
            "admin",
            "/api/tokens",
            &json!({ "userId": operator, "name": "again" }),
        )
        .await;
    assert_eq!(
        problem_field(resp, StatusCode::UNPROCESSABLE_ENTITY).await,
        "userId"
    );
    // An admin may not lock themselves out.
    let admin = app.seeded.user_ids["admin"].clone();
    let resp = app
        .post("admin", &format!("/api/users/{admin}/disable"), &json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(access_rows(&app).await, before);
    app.stop().await;
}

#[tokio::test]
async fn an_expired_token_fails_and_an_expiry_in_the_past_is_refused() {
    let app = spawn_app(3).await;
    let before = access_rows(&app).await;
    let resp = app
        .post(
            "admin",
            "/api/tokens",
            &json!({ "userId": app.seeded.user_ids["operator"], "name": "x", "expiresAt": "2020-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(
        problem_field(resp, StatusCode::UNPROCESSABLE_ENTITY).await,
        "expiresAt"
    );
    assert_eq!(access_rows(&app).await, before);
    // One that expired since it was issued (written through the store, which takes any time).
    let org = clearway_store::Actor::system(&app.seeded.org_id);
    let mut tx = app.db.begin().await.unwrap();
    let new = auth::NewToken {
        user_id: &app.seeded.user_ids["operator"],
        name: "short",
        scope: None,
        expires_at: Some(clearway_store::time_text(
            chrono::Utc::now() - chrono::Duration::seconds(1),
        )),
    };
    let expired = auth::issue_token(&mut tx, &org, &new).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        get_with(&app, &app.base, &expired.token).await,
        StatusCode::UNAUTHORIZED
    );
    let future = issue(
        &app,
        json!({ "userId": app.seeded.user_ids["operator"], "name": "y", "expiresAt": "2999-01-01T00:00:00Z" }),
    )
    .await;
    assert_eq!(future["expiresAt"], "2999-01-01T00:00:00.000000Z");
    assert_eq!(
        get_with(&app, &app.base, future["token"].as_str().unwrap()).await,
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn only_admins_manage_users_and_tokens_checked_before_the_body() {
    let app = spawn_app(3).await;
    let before = access_rows(&app).await;
    for role in ["operator", "approver", "auditor", "investor"] {
        // An invalid body still gets 403, not a validation answer.
        let resp = app.post(role, "/api/users", &json!({ "name": "" })).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{role}");
        let resp = app.post(role, "/api/tokens", &json!({})).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{role}");
        assert_eq!(
            app.get(role, "/api/users").await.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(role, "/api/tokens").await.status(),
            StatusCode::FORBIDDEN
        );
        let admin = &app.seeded.user_ids["admin"];
        let resp = app
            .post(role, &format!("/api/users/{admin}/disable"), &json!({}))
            .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{role}");
    }
    assert_eq!(access_rows(&app).await, before);
    app.stop().await;
}

#[tokio::test]
async fn bad_users_are_refused_naming_the_field() {
    let app = spawn_app(3).await;
    let before = access_rows(&app).await;
    let investor = app.seeded.investor_ids[0].clone();
    let cases = [
        (
            json!({ "name": "A", "email": "not-an-email", "role": "operator" }),
            "email",
        ),
        (
            json!({ "name": " ", "email": "a@b.co", "role": "operator" }),
            "name",
        ),
        (
            json!({ "name": "A", "email": "a@b.co", "role": "owner" }),
            "role",
        ),
        (
            json!({ "name": "A", "email": "a@b.co", "role": "investor" }),
            "investorId",
        ),
        (
            json!({ "name": "A", "email": "a@b.co", "role": "investor", "investorId": "nope" }),
            "investorId",
        ),
        (
            json!({ "name": "A", "email": "a@b.co", "role": "auditor", "investorId": investor }),
            "investorId",
        ),
    ];
    for (body, field) in cases {
        let resp = app.post("admin", "/api/users", &body).await;
        assert_eq!(
            problem_field(resp, StatusCode::UNPROCESSABLE_ENTITY).await,
            field,
            "{body}"
        );
    }
    assert_eq!(access_rows(&app).await, before);
    app.stop().await;
}

#[tokio::test]
async fn a_token_scope_never_grants_more_than_the_users_role() {
    let app = spawn_app(3).await;
    let before = access_rows(&app).await;
    let ids = &app.seeded.user_ids;
    for (user, scope) in [
        ("operator", "admin"),
        ("operator", "approver"),
        ("investor", "auditor"),
        ("admin", "investor"),
    ] {
        let body = json!({ "userId": ids[user], "name": "s", "scope": scope });
        let resp = app.post("admin", "/api/tokens", &body).await;
        assert_eq!(
            problem_field(resp, StatusCode::UNPROCESSABLE_ENTITY).await,
            "scope",
            "{user} {scope}"
        );
    }
    assert_eq!(access_rows(&app).await, before);
    // An admin's auditor-scoped token reads but cannot administer.
    let issued = issue(
        &app,
        json!({ "userId": ids["admin"], "name": "read-only", "scope": "auditor" }),
    )
    .await;
    let token = issued["token"].as_str().unwrap();
    assert_eq!(get_with(&app, &app.base, token).await, StatusCode::OK);
    let resp = app
        .client
        .get(app.url("/api/users"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn users_and_tokens_are_created_listed_and_paginated_in_the_own_organization() {
    let app = spawn_app(3).await;
    let body = json!({ "name": "Grace Hopper", "email": "grace@example.com", "role": "approver" });
    let first = app
        .post_with_key("admin", "/api/users", "user-1", &body)
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again: Value = app
        .post_with_key("admin", "/api/users", "user-1", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["id"], again["id"]);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM users WHERE email = 'grace@example.com'")
            .await,
        1
    );
    // Five demo users and Grace, two per page.
    let mut seen = Vec::new();
    let mut path = "/api/users?limit=2".to_string();
    loop {
        let page: Value = app.get("admin", &path).await.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|u| u["id"].as_str().unwrap().to_string()));
        match page["nextCursor"].as_str() {
            Some(c) => path = format!("/api/users?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    assert!(seen.contains(&first["id"].as_str().unwrap().to_string()));
    // A token for her: replaying the request answers the record, never the token again.
    let tbody = json!({ "userId": first["id"], "name": "laptop" });
    let issued: Value = app
        .post_with_key("admin", "/api/tokens", "tok-1", &tbody)
        .await
        .json()
        .await
        .unwrap();
    assert!(issued["token"].as_str().unwrap().starts_with("cw_"));
    let replay = app
        .post_with_key("admin", "/api/tokens", "tok-1", &tbody)
        .await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(
        (replay["id"].clone(), replay.get("token")),
        (issued["id"].clone(), None)
    );
    let stored = app
        .count("SELECT COUNT(*) AS n FROM idempotency_keys WHERE response_body LIKE '%cw_%'")
        .await;
    assert_eq!(stored, 0);
    // Using it records the last use; the list shows it.
    assert_eq!(
        get_with(&app, &app.base, issued["token"].as_str().unwrap()).await,
        StatusCode::OK
    );
    let path = format!("/api/tokens?userId={}", first["id"].as_str().unwrap());
    let list: Value = app.get("admin", &path).await.json().await.unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0]["lastUsedAt"].is_string());
    assert!(items[0].get("token").is_none());
    // Another organization's token is not found, and keeps working.
    let other = app.seed_another_org(2, "Other Org").await;
    let resp = app
        .post(
            "admin",
            "/api/tokens",
            &json!({ "userId": other.user_ids["operator"], "name": "x" }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let theirs = app.count("SELECT COUNT(*) AS n FROM api_tokens").await;
    let all: Value = app
        .get("admin", "/api/tokens?limit=1000")
        .await
        .json()
        .await
        .unwrap();
    assert!((all["items"].as_array().unwrap().len() as i64) < theirs);
    app.stop().await;
}

#[tokio::test]
async fn running_the_demo_again_revokes_the_tokens_it_issued_before() {
    let app = spawn_app(3).await;
    assert_eq!(
        get_with(&app, &app.base, app.token("admin")).await,
        StatusCode::OK
    );
    let fresh = demo::reissue_tokens(&app.db, &app.seeded.org_id)
        .await
        .unwrap();
    for (old, new) in [
        (app.token("admin"), &fresh.admin),
        (app.token("operator"), &fresh.operator),
        (app.token("investor"), &fresh.investor),
    ] {
        assert_eq!(
            get_with(&app, &app.base, old).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(get_with(&app, &app.base, new).await, StatusCode::OK);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM api_tokens WHERE revoked_at IS NULL")
            .await,
        5
    );
    app.stop().await;
}
