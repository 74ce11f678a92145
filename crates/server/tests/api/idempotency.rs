//! Idempotency keys: a retry creates nothing and returns the same response.

use serde_json::Value;

use crate::helpers::{pro_rata, spawn_app};

#[tokio::test]
async fn retry_returns_the_same_response_and_creates_nothing() {
    let app = spawn_app(20).await;
    let body = pro_rata(&app, "500.00");
    let first = app
        .post_with_key("operator", "/api/distributions", "key-1", &body)
        .await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let before = app.snapshot().await;
    let second = app
        .post_with_key("operator", "/api/distributions", "key-1", &body)
        .await;
    assert_eq!(second.status(), 201);
    let second: Value = second.json().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(app.snapshot().await, before, "the retry wrote nothing");

    // Same key, different body: refused, nothing written.
    let other = pro_rata(&app, "501.00");
    let resp = app
        .post_with_key("operator", "/api/distributions", "key-1", &other)
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["field"],
        "Idempotency-Key"
    );
    assert_eq!(app.snapshot().await, before);

    // A failed request does not burn its key: fixing the body and retrying works.
    let mut bad = pro_rata(&app, "502.00");
    bad["recordDate"] = "2026-01-01".into();
    assert_eq!(
        app.post_with_key("operator", "/api/distributions", "key-2", &bad)
            .await
            .status(),
        422
    );
    assert_eq!(
        app.post_with_key(
            "operator",
            "/api/distributions",
            "key-2",
            &pro_rata(&app, "502.00")
        )
        .await
        .status(),
        201
    );
    app.stop().await;
}

#[tokio::test]
async fn concurrent_duplicates_create_exactly_one_distribution() {
    let app = spawn_app(20).await;
    let body = pro_rata(&app, "777.77");
    let before = app.count("SELECT COUNT(*) AS n FROM distributions").await;
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (client, url, token, body) = (
            app.client.clone(),
            app.url("/api/distributions"),
            app.token("operator").to_string(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let resp = client
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", "same")
                .json(&body)
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 201, "{body}");
        ids.insert(body["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1, "every duplicate got the same distribution");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM distributions").await,
        before + 1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'distribution.declared'")
            .await,
        1
    );
    app.stop().await;
}

/// A saved response whose status cannot be an HTTP status is corrupt: the retry fails loudly
/// (500 problem) instead of replaying the body as a 200.
#[tokio::test]
async fn a_corrupt_saved_status_is_an_error_not_a_200() {
    let app = spawn_app(5).await;
    let body = pro_rata(&app, "500.00");
    let first = app
        .post_with_key("operator", "/api/distributions", "key-corrupt", &body)
        .await;
    assert_eq!(first.status(), 201);
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(clearway_store::q(
        "UPDATE idempotency_keys SET status_code = 70000 WHERE idem_key = 'key-corrupt'",
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let replay = app
        .post_with_key("operator", "/api/distributions", "key-corrupt", &body)
        .await;
    assert_eq!(replay.status(), 500);
    assert_eq!(replay.json::<Value>().await.unwrap()["status"], 500);
    app.stop().await;
}
