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
