//! Outbound hardening: the webhook URL policy, failing webhooks backing off and being
//! disabled, and `/metrics` closed on the main port without a token.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::post;
use chrono::{DateTime, Utc};
use clearway_server::state::OutboundPolicy;
use clearway_store::q;
use serde_json::{json, Value};

use crate::helpers::{pro_rata, spawn_app_with, test_config, TestApp, METRICS_TOKEN};

/// A receiver on 127.0.0.1 answering `status`; returns its URL and its hit count.
async fn receiver(status: StatusCode) -> (String, Arc<Mutex<usize>>) {
    let hits = Arc::new(Mutex::new(0));
    let sink = hits.clone();
    let router = axum::Router::new().route(
        "/hook",
        post(move || {
            let sink = sink.clone();
            async move {
                *sink.lock().unwrap() += 1;
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/hook"), hits)
}

#[tokio::test]
async fn webhook_urls_reaching_inside_are_refused_naming_the_url_and_nothing_is_stored() {
    let config = clearway_server::Config {
        outbound: OutboundPolicy::strict(),
        ..test_config()
    };
    let app = spawn_app_with(1, config).await;
    let (local, _) = receiver(StatusCode::OK).await;
    for url in [
        local.as_str(),
        "http://127.0.0.1:5432/",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://10.0.0.1/hook",
        "https://localhost/hook",
        "http://example.com/hook",
        "https://user:secret@example.com/hook",
    ] {
        let resp = app
            .post("admin", "/api/webhooks", &json!({ "url": url }))
            .await;
        assert_eq!(resp.status(), 422, "{url}");
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(problem["field"], "url", "{url}: {problem}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM webhook_subscriptions")
            .await,
        0
    );
    app.stop().await;
}

/// A subscription stored before the policy (or edited in the database) is still refused at
/// delivery: nothing is sent, and the attempt is a recorded failure.
#[tokio::test]
async fn deliveries_to_internal_addresses_are_refused_at_send_time() {
    let config = clearway_server::Config {
        outbound: OutboundPolicy::strict(),
        ..test_config()
    };
    let app = spawn_app_with(1, config).await;
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(
        q("INSERT INTO webhook_subscriptions (id, org_id, url, secret, event_types, active, created_at) VALUES ('sub_meta', $1, 'https://169.254.169.254/latest', 'whsec_x', 'distribution.declared', 1, '2026-01-01T00:00:00Z')")
            .bind(&app.seeded.org_id),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.create(&pro_rata(&app, "30.00")).await;
    wait_attempts(&app, 1).await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE attempts = 1 AND response_status IS NULL AND last_error LIKE '%outbound policy%internal address%'")
            .await,
        1
    );
    app.stop().await;
}

async fn wait_attempts(app: &TestApp, attempts: i64) -> Value {
    for _ in 0..400 {
        let row = app
            .db
            .fetch_optional(q(
                "SELECT attempts, next_attempt_at, status FROM webhook_deliveries",
            ))
            .await
            .unwrap();
        if let Some(r) = row {
            if r.i64("attempts").unwrap() >= attempts {
                return json!({
                    "attempts": r.i64("attempts").unwrap(),
                    "next": r.text("next_attempt_at").unwrap(),
                    "status": r.text("status").unwrap(),
                });
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no delivery reached {attempts} attempts");
}

/// Makes the (only) delivery due now, as if its backoff had passed.
async fn make_due(app: &TestApp) -> DateTime<Utc> {
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(
        q("UPDATE webhook_deliveries SET next_attempt_at = $1").bind(clearway_store::now_text()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Utc::now()
}

fn at(v: &Value) -> DateTime<Utc> {
    v["next"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_dead_webhook_backs_off_exponentially_is_disabled_after_n_failures_and_can_be_enabled() {
    let config = clearway_server::Config {
        webhook_max_failures: 3,
        ..test_config()
    };
    let app = spawn_app_with(1, config).await;
    let (url, hits) = receiver(StatusCode::SERVICE_UNAVAILABLE).await;
    let resp = app
        .post(
            "admin",
            "/api/webhooks",
            &json!({ "url": url, "eventTypes": ["distribution.declared"] }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Attempt n waits between half and all of 10 s · 2^(n−1): 5–10 s, then 10–20 s.
    let before = Utc::now();
    app.create(&pro_rata(&app, "30.00")).await;
    let first = wait_attempts(&app, 1).await;
    let wait = at(&first) - before;
    assert!(
        wait >= chrono::Duration::seconds(5) && wait <= chrono::Duration::seconds(11),
        "{wait}"
    );
    let before = make_due(&app).await;
    let second = wait_attempts(&app, 2).await;
    let wait = at(&second) - before;
    assert!(
        wait >= chrono::Duration::seconds(10) && wait <= chrono::Duration::seconds(21),
        "{wait}"
    );
    assert_eq!(second["status"], "PENDING");

    // The third failure in a row disables the subscription, audited; nothing more is sent.
    make_due(&app).await;
    wait_attempts(&app, 3).await;
    let subs: Value = app
        .get("admin", "/api/webhooks")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(subs[0]["disabled"], true, "{subs}");
    assert_eq!(subs[0]["consecutiveFailures"], 3);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'webhook.disable' AND actor_id = 'system'")
            .await,
        1
    );
    make_due(&app).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(*hits.lock().unwrap(), 3);
    assert_eq!(wait_attempts(&app, 3).await["attempts"], 3);

    // Only an admin enables it again; then deliveries resume with a fresh count.
    let path = format!("/api/webhooks/{id}/enable");
    assert_eq!(app.post("operator", &path, &json!({})).await.status(), 403);
    let resp = app.post("admin", &path, &json!({})).await;
    assert_eq!(resp.status(), 200);
    let enabled: Value = resp.json().await.unwrap();
    assert_eq!(enabled["disabled"], false);
    assert_eq!(enabled["consecutiveFailures"], 0);
    assert_eq!(app.post("admin", &path, &json!({})).await.status(), 409);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'webhook.enable'")
            .await,
        1
    );
    make_due(&app).await;
    wait_attempts(&app, 4).await;
    assert_eq!(*hits.lock().unwrap(), 4);
    app.stop().await;
}

#[tokio::test]
async fn metrics_need_a_token_on_the_main_port_or_a_separate_address() {
    // No token configured: not served on the main port at all.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics_addr = free.local_addr().unwrap();
    drop(free);
    let config = clearway_server::Config {
        metrics_token: None,
        metrics_addr: Some(metrics_addr),
        ..test_config()
    };
    let open = spawn_app_with(1, config).await;
    let resp = open.client.get(open.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = open
        .client
        .get(open.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // The separate listener serves it without a token.
    let resp = open
        .client
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("clearway_"));
    open.stop().await;

    // With a token: 401 without it or with another, 200 with it.
    let app = spawn_app_with(1, test_config()).await;
    let no_token = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(no_token.status(), 401);
    for token in ["wrong", "test-metrics-token-and-more", "test-metrics-toke"] {
        let resp = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{token}");
    }
    let resp = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // The scheme is case-insensitive here too (RFC 7235), as for API tokens.
    let resp = app
        .client
        .get(app.url("/metrics"))
        .header("Authorization", format!("bearer {METRICS_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    app.stop().await;
}

/// A bulk write leaves a large WAL; the checkpointer empties it within a few ticks instead
/// of leaving the file at its largest size (SQLite only; PostgreSQL has no such file).
#[tokio::test]
async fn the_sqlite_wal_is_truncated_after_a_bulk_write() {
    let app = spawn_app_with(1, test_config()).await;
    if app.db.backend() != clearway_store::Backend::Sqlite {
        return app.stop().await;
    }
    app.db
        .execute_script("CREATE TABLE wal_probe (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        .await
        .unwrap();
    // 2,000 rows of 16 kB: a WAL of about 33 MB, twice the limit.
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(q(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) INSERT INTO wal_probe (body) SELECT randomblob(16000) FROM c",
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut wal = app.db.wal_bytes();
    for _ in 0..100 {
        wal = app.db.wal_bytes();
        if wal.is_some_and(|b| b <= clearway_store::WAL_SIZE_LIMIT_BYTES) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let wal = wal.expect("a WAL file");
    assert!(
        wal <= clearway_store::WAL_SIZE_LIMIT_BYTES,
        "WAL still {wal} bytes after the bulk write"
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM wal_probe").await, 2000);
    app.stop().await;
}
