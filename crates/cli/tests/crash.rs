//! The real binary, killed with SIGKILL while it processes distributions, resumes on restart
//! without losing one and without a duplicate event. Runs on SQLite, or on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

use std::process::Stdio;
use std::time::{Duration, Instant};

use clearway_store::testing::fresh_database;
use clearway_store::{q, DbOptions};
use serde_json::{json, Value};
use tokio::process::Child;

mod support;

use support::clearway;
/// Encryption keys for the payees' account numbers, shared by `demo` and `serve`.
const KEYS_ENV: &str = "CLEARWAY_ENCRYPTION_KEYS";
const TEST_KEYS: &str = "crash1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn serve(url: &str, port: u16) -> Child {
    let child = clearway()
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            url,
            "--job-lease-secs",
            "2",
            "--job-workers",
            "1",
        ])
        .env("CLEARWAY_LOG", "warn")
        .env(KEYS_ENV, TEST_KEYS)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn clearway serve");
    support::ready(child, port, Duration::from_secs(30)).await
}

#[tokio::test]
async fn sigkill_during_processing_resumes_without_duplicates() {
    let base = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let fresh = fresh_database(base.as_deref(), &DbOptions { max_connections: 2 })
        .await
        .unwrap();
    let url = fresh.url.clone();
    let tokens_file =
        std::env::temp_dir().join(format!("clearway-crash-{}.json", std::process::id()));
    let status = clearway()
        .args([
            "demo",
            "--investors",
            "300",
            "--no-history",
            "--database-url",
            &url,
            "--tokens-out",
        ])
        .arg(&tokens_file)
        .env("CLEARWAY_LOG", "warn")
        .env(KEYS_ENV, TEST_KEYS)
        .stdout(Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let tokens: Value = serde_json::from_slice(&std::fs::read(&tokens_file).unwrap()).unwrap();
    let (op, ap) = (
        tokens["operator"].as_str().unwrap().to_string(),
        tokens["approver"].as_str().unwrap().to_string(),
    );

    let port = free_port();
    let mut child = serve(&url, port).await;
    let client = reqwest::Client::new();
    let api = |p: &str| format!("http://127.0.0.1:{port}{p}");
    let body = json!({
        "fundId": "DEMO-OPEN", "declarationDate": "2026-03-02", "recordDate": "2026-03-16", "payableDate": "2026-03-31",
        "allocation": { "method": "pro_rata", "total": "123456.78" }
    });
    // At most 36 ACH files a day per origin (File ID Modifiers A-Z, 0-9): one each.
    let count = 30;
    let mut ids = Vec::new();
    for i in 0..count {
        let d: Value = client
            .post(api("/api/distributions"))
            .bearer_auth(&op)
            .header("Idempotency-Key", format!("crash-{i}"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = d["id"].as_str().unwrap().to_string();
        assert!(client
            .patch(api(&format!("/api/distributions/{id}/ready")))
            .bearer_auth(&op)
            .send()
            .await
            .unwrap()
            .status()
            .is_success());
        assert!(client
            .patch(api(&format!("/api/distributions/{id}/approve")))
            .bearer_auth(&ap)
            .send()
            .await
            .unwrap()
            .status()
            .is_success());
        ids.push(id);
    }
    for id in &ids {
        assert_eq!(
            client
                .patch(api(&format!("/api/distributions/{id}/process")))
                .bearer_auth(&op)
                .send()
                .await
                .unwrap()
                .status(),
            202
        );
    }
    // SIGKILL while the worker is working through the queue.
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let completed_at_kill = fresh
        .db
        .fetch_optional(q(
            "SELECT COUNT(*) AS n FROM distributions WHERE status = 'COMPLETED'",
        ))
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap();

    let mut child = serve(&url, port).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let n = fresh
            .db
            .fetch_optional(q(
                "SELECT COUNT(*) AS n FROM distributions WHERE status = 'COMPLETED'",
            ))
            .await
            .unwrap()
            .unwrap()
            .i64("n")
            .unwrap();
        // Completed, and the payment jobs processing enqueued have run too.
        let busy = fresh
            .db
            .fetch_optional(q("SELECT COUNT(*) AS n FROM jobs WHERE status <> 'DONE'"))
            .await
            .unwrap()
            .unwrap()
            .i64("n")
            .unwrap();
        if n == count as i64 && busy == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {n} of {count} completed after restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let one = |sql: &'static str| {
        let db = fresh.db.clone();
        async move {
            db.fetch_optional(q(sql))
                .await
                .unwrap()
                .unwrap()
                .i64("n")
                .unwrap()
        }
    };
    assert_eq!(
        one("SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'distribution.completed'").await,
        count as i64
    );
    assert_eq!(one("SELECT COUNT(*) AS n FROM (SELECT aggregate_id, event_type FROM outbox GROUP BY aggregate_id, event_type HAVING COUNT(*) > 1) d").await, 0);
    assert_eq!(
        one("SELECT COUNT(*) AS n FROM jobs WHERE status <> 'DONE'").await,
        0
    );
    // Never a second payment for a line, nor a second file for a distribution's payments.
    assert_eq!(one("SELECT COUNT(*) AS n FROM (SELECT distribution_id, investor_id FROM payments GROUP BY distribution_id, investor_id HAVING COUNT(*) > 1) d").await, 0);
    assert_eq!(one("SELECT COUNT(*) AS n FROM (SELECT distribution_id FROM payment_batches WHERE kind = 'NACHA' GROUP BY distribution_id HAVING COUNT(*) <> 1) d").await, 0);
    assert_eq!(
        one(
            "SELECT COUNT(DISTINCT distribution_id) AS n FROM payment_batches WHERE kind = 'NACHA'"
        )
        .await,
        count as i64
    );
    assert_eq!(
        one("SELECT COUNT(*) AS n FROM payments WHERE status IN ('PENDING','PROCESSING')").await,
        0
    );
    assert_eq!(
        one("SELECT COUNT(*) AS n FROM distribution_lines l WHERE l.cash_minor > 0 AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.distribution_id = l.distribution_id AND p.investor_id = l.investor_id)").await,
        0,
        "every line with cash has its payment"
    );
    eprintln!("completed before SIGKILL: {completed_at_kill} of {count}; all {count} after restart, each event once");
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let _ = std::fs::remove_file(&tokens_file);
    fresh.drop_database().await;
}
