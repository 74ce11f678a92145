//! SIGTERM stops `clearway serve` gracefully: a request in flight completes, the job being
//! run finishes (DONE once, never re-run after a restart), the singular tasks' leases are
//! released, and the process exits 0. SQLite, or PostgreSQL with `TEST_DATABASE_URL`.

use std::time::{Duration, Instant};

use clearway_store::testing::fresh_database;
use clearway_store::{q, Db, DbOptions};

mod support;

use support::cluster::{approved, demo, free_port, process, serve, sigterm};

async fn one(db: &Db, sql: &'static str, id: &str) -> i64 {
    db.fetch_optional(q(sql).bind(id))
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

#[tokio::test]
async fn sigterm_finishes_the_request_and_the_job_in_hand_then_exits_0() {
    let base = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let fresh = fresh_database(base.as_deref(), &DbOptions { max_connections: 2 })
        .await
        .unwrap();
    // Enough investors that processing and a pro-rata create take a noticeable time.
    let tokens = demo(&fresh.url, 1500).await;
    let port = free_port();
    let env = [("CLEARWAY_JOB_WORKERS", "1")];
    let mut child = serve(&fresh.url, port, &env).await;
    let id = approved(port, &tokens, "term-1", "150000.00").await;
    process(port, &tokens, &id).await;
    // SIGTERM once the worker has the job in hand.
    let deadline = Instant::now() + Duration::from_secs(30);
    while one(&fresh.db, "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'distribution.process' AND status = 'RUNNING' AND payload LIKE '%' || $1 || '%'", &id).await == 0 {
        assert!(Instant::now() < deadline, "the job never started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A request in flight when the signal comes: one create (a pro-rata allocation over 1,500
    // investors takes a while); later requests would find the listener closed, as they should.
    let in_flight = {
        let operator = tokens["operator"].as_str().unwrap().to_string();
        tokio::spawn(async move {
            let body = serde_json::json!({
                "fundId": "DEMO-OPEN", "declarationDate": "2026-03-02", "recordDate": "2026-03-16",
                "payableDate": "2026-03-31", "allocation": { "method": "pro_rata", "total": "2500.00" }
            });
            let r = reqwest::Client::new()
                .post(format!("http://127.0.0.1:{port}/api/distributions"))
                .bearer_auth(operator)
                .header("Idempotency-Key", "term-2")
                .json(&body)
                .send()
                .await
                .expect("the in-flight request was answered");
            assert_eq!(r.status(), 201, "create in flight");
            r.json::<serde_json::Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits within the shutdown grace")
        .unwrap();
    assert_eq!(status.code(), Some(0), "graceful exit");
    let second = in_flight.await.expect("the in-flight request completed");

    let process_job = "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'distribution.process' AND status = 'DONE' AND attempts = 1 AND payload LIKE '%' || $1 || '%'";
    assert_eq!(
        one(&fresh.db, process_job, &id).await,
        1,
        "the job in hand finished"
    );
    assert_eq!(
        one(
            &fresh.db,
            "SELECT COUNT(*) AS n FROM distributions WHERE id = $1 AND status = 'COMPLETED'",
            &id
        )
        .await,
        1
    );
    assert_eq!(
        one(
            &fresh.db,
            "SELECT COUNT(*) AS n FROM distributions WHERE id = $1 AND status = 'DRAFT'",
            &second
        )
        .await,
        1,
        "the request in flight was answered and committed"
    );
    // Nothing left claimed: claimed-but-unstarted jobs were given back.
    assert_eq!(
        one(
            &fresh.db,
            "SELECT COUNT(*) AS n FROM jobs WHERE status = 'RUNNING' AND id <> $1",
            ""
        )
        .await,
        0
    );
    // Every lease let go (expiry in 1970), so the next process takes over at once.
    assert_eq!(
        one(
            &fresh.db,
            "SELECT COUNT(*) AS n FROM leases WHERE expires_at > $1",
            "2000"
        )
        .await,
        0,
        "leases released"
    );

    // A restart runs what is left, never the finished job again.
    let mut child = serve(&fresh.url, port, &env).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while one(
        &fresh.db,
        "SELECT COUNT(*) AS n FROM jobs WHERE status <> 'DONE' AND id <> $1",
        "",
    )
    .await
        > 0
    {
        assert!(Instant::now() < deadline, "jobs left after restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(one(&fresh.db, process_job, &id).await, 1, "not re-run");
    assert_eq!(
        one(&fresh.db, "SELECT COUNT(*) AS n FROM outbox WHERE aggregate_id = $1 AND event_type = 'distribution.completed'", &id).await,
        1
    );
    sigterm(&child);
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(0));
    fresh.drop_database().await;
}
