//! Durable processing: a worker that dies holding a job is replaced once its lease expires,
//! and re-running a job never emits a second event.

use std::time::Duration;

use clearway_core::access::Role;
use clearway_core::distribution::Action;
use clearway_store::distributions as store;
use clearway_store::{jobs, Actor};
use serde_json::json;

use crate::helpers::{pro_rata, spawn_app, test_config};

#[tokio::test]
async fn a_job_abandoned_by_a_dead_worker_completes_once_after_restart() {
    let mut app = spawn_app(15).await;
    let d = app.create(&pro_rata(&app, "150.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    for (role, action) in [("operator", "ready"), ("approver", "approve")] {
        assert!(app
            .patch(role, &format!("/api/distributions/{id}/{action}"))
            .await
            .status()
            .is_success());
    }
    app.stop_server().await;

    // What a crash looks like: PROCESSING, its job claimed by a worker that then died.
    let operator = Actor {
        user_id: app.seeded.user_ids["operator"].clone(),
        org_id: app.seeded.org_id.clone(),
        role: Role::Operator,
        investor_id: None,
    };
    let mut tx = app.db.begin().await.unwrap();
    let current = store::get_tx(&mut tx, &operator, &id).await.unwrap();
    store::transition(&mut tx, &operator, &current, Action::Process)
        .await
        .unwrap();
    jobs::enqueue(
        &mut tx,
        &Actor::system(&app.seeded.org_id),
        "distribution.process",
        json!({ "distributionId": id }),
        Some(&format!("distribution.process:{id}")),
        4,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let claimed = jobs::claim(&app.db, "ghost-worker", Duration::from_secs(1), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);

    app.restart(test_config()).await;
    let done = app.wait_status(&id, "COMPLETED").await;
    assert_eq!(done["status"], "COMPLETED");
    // The ghost cannot finish its stale claim afterwards.
    let mut tx = app.db.begin().await.unwrap();
    assert!(jobs::finish(&mut tx, &claimed[0], "ghost-worker")
        .await
        .is_err());
    drop(tx);

    // Running the processing job again (a duplicate delivery) changes and emits nothing.
    let mut tx = app.db.begin().await.unwrap();
    jobs::enqueue(
        &mut tx,
        &Actor::system(&app.seeded.org_id),
        "distribution.process",
        json!({ "distributionId": id }),
        None,
        4,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    for _ in 0..200 {
        if app
            .count("SELECT COUNT(*) AS n FROM jobs WHERE status <> 'DONE'")
            .await
            == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM jobs WHERE status = 'DONE' AND kind = 'distribution.process'"
        )
        .await,
        2
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'distribution.completed'")
            .await,
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn a_failing_job_is_retried_on_the_schedule_then_parked_for_review() {
    let app = spawn_app(2).await;
    let mut tx = app.db.begin().await.unwrap();
    jobs::enqueue(
        &mut tx,
        &Actor::system(&app.seeded.org_id),
        "distribution.process",
        json!({ "distributionId": "does-not-exist" }),
        None,
        4,
    )
    .await
    .unwrap();
    jobs::enqueue(
        &mut tx,
        &Actor::system(&app.seeded.org_id),
        "unknown.kind",
        json!({}),
        None,
        4,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    for _ in 0..200 {
        if app
            .count("SELECT COUNT(*) AS n FROM jobs WHERE status = 'DEAD'")
            .await
            == 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Neither can ever succeed (permanent errors), so both go straight to manual review.
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM jobs WHERE status = 'DEAD' AND attempts = 1 AND last_error IS NOT NULL").await, 2);
    app.stop().await;
}

/// A job that takes 1.1 s, then completes (what a long processing job looks like).
fn slow_job<'a>(
    state: &'a clearway_server::state::AppState,
    job: &'a jobs::Job,
    worker_id: &'a str,
) -> clearway_server::jobs::JobFuture<'a> {
    Box::pin(async move {
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        let mut tx = state.db.begin().await?;
        jobs::finish(&mut tx, job, worker_id).await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Regression (issue 21, found by `bench cluster` with two processes): a worker claims a batch;
/// when its first jobs take longer than the others' leases, those ran out while waiting and a
/// second worker took them over — a second attempt for a job that ran once. The rest of the
/// batch now goes back to the queue after half a lease, and every job is done at its first
/// attempt.
#[tokio::test]
async fn jobs_waiting_behind_slow_ones_in_a_batch_are_given_back_not_taken_over() {
    let base = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let fresh = clearway_store::testing::fresh_database(
        base.as_deref(),
        &clearway_store::DbOptions { max_connections: 8 },
    )
    .await
    .unwrap();
    let db = fresh.db.clone();
    let org = "org_batch";
    let mut tx = db.begin().await.unwrap();
    tx.execute(
        clearway_store::q("INSERT INTO organizations (id, name, created_at) VALUES ($1, $1, '2026-12-07T00:00:00.000000Z')")
            .bind(org),
    )
    .await
    .unwrap();
    for i in 0..3 {
        jobs::enqueue(
            &mut tx,
            &Actor::system(org),
            "test.slow",
            json!({ "n": i }),
            None,
            4,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let config = clearway_server::Config {
        // Half a lease (1 s) passes during the first job: the batch's other two are given
        // back at 1.1 s, 0.9 s before their leases would run out (margin for a busy box).
        // Without the give-back the third waits until 2.2 s and is taken over at 2 s.
        job_lease: Duration::from_secs(2),
        poll_interval: Duration::from_millis(20),
        ..test_config()
    };
    let state = clearway_server::state::AppState::new(db.clone(), config);
    let handlers =
        std::sync::Arc::new(clearway_server::jobs::Handlers::new().kind("test.slow", slow_job));
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let first = tokio::spawn(clearway_server::jobs::worker(
        handlers.clone(),
        state.clone(),
        "worker-1".into(),
        shutdown.clone(),
    ));
    // The first worker claims the whole batch before the second one starts.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = tokio::spawn(clearway_server::jobs::worker(
        handlers,
        state,
        "worker-2".into(),
        shutdown,
    ));
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            db.fetch_optional(clearway_store::q(sql))
                .await
                .unwrap()
                .unwrap()
                .i64("n")
                .unwrap()
        }
    };
    for _ in 0..400 {
        if count("SELECT COUNT(*) AS n FROM jobs WHERE status = 'DONE'").await == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    stop.send(true).unwrap();
    first.await.unwrap();
    second.await.unwrap();
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM jobs WHERE status = 'DONE'").await,
        3
    );
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM jobs WHERE attempts > 1").await,
        0,
        "a job waiting in a batch was taken over"
    );
    fresh.drop_database().await;
}
