//! Status pipeline, maker-checker, edits, audit and events.

use serde_json::{json, Value};

use crate::helpers::{cents, pro_rata, spawn_app};

#[tokio::test]
async fn full_lifecycle_with_maker_checker_and_one_event_per_change() {
    let app = spawn_app(25).await;
    let d = app.create(&pro_rata(&app, "1000.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    assert_eq!(d["status"], "DRAFT");

    // Approving a DRAFT is an illegal transition that names the current status.
    let resp = app
        .patch("approver", &format!("/api/distributions/{id}/approve"))
        .await;
    assert_eq!(resp.status(), 409);
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["currentStatus"], "DRAFT");
    assert_eq!(
        problem["detail"],
        "cannot approve a distribution in status DRAFT"
    );

    assert_eq!(
        app.patch("operator", &format!("/api/distributions/{id}/ready"))
            .await
            .status(),
        200
    );
    // The operator cannot approve (role), and an admin who created one cannot approve it either.
    assert_eq!(
        app.patch("operator", &format!("/api/distributions/{id}/approve"))
            .await
            .status(),
        403
    );
    let admin_made = app
        .client
        .post(app.url("/api/distributions"))
        .bearer_auth(app.token("admin"))
        .json(&pro_rata(&app, "10.00"))
        .send()
        .await
        .unwrap();
    let admin_made: Value = admin_made.json().await.unwrap();
    let admin_id = admin_made["id"].as_str().unwrap();
    assert_eq!(
        app.patch("admin", &format!("/api/distributions/{admin_id}/ready"))
            .await
            .status(),
        200
    );
    let resp = app
        .patch("admin", &format!("/api/distributions/{admin_id}/approve"))
        .await;
    assert_eq!(resp.status(), 403);
    assert!(resp.text().await.unwrap().contains("maker-checker"));

    let approved: Value = app
        .patch("approver", &format!("/api/distributions/{id}/approve"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(approved["status"], "APPROVED");
    assert_eq!(
        approved["approvedBy"],
        app.seeded.user_ids["approver"].as_str()
    );
    // Edits are refused once approved.
    assert_eq!(
        app.put(
            "operator",
            &format!("/api/distributions/{id}"),
            &pro_rata(&app, "1.00")
        )
        .await
        .status(),
        409
    );
    let resp = app
        .patch("operator", &format!("/api/distributions/{id}/process"))
        .await;
    assert_eq!(resp.status(), 202);
    let done = app.wait_status(&id, "COMPLETED").await;
    assert_eq!(done["totalAmount"], "1000.00");
    // Terminal: nothing more.
    for action in ["ready", "approve", "process", "cancel"] {
        let resp = app
            .patch("admin", &format!("/api/distributions/{id}/{action}"))
            .await;
        assert_eq!(resp.status(), 409, "{action}");
        assert_eq!(
            resp.json::<Value>().await.unwrap()["currentStatus"],
            "COMPLETED"
        );
    }
    // Exactly one event per change, and an audit entry per change with before/after.
    let events: Value = app
        .get("auditor", "/api/events?limit=1000")
        .await
        .json()
        .await
        .unwrap();
    let mine: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["aggregateId"] == id.as_str())
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        mine,
        vec![
            "distribution.declared",
            "distribution.submitted",
            "distribution.approved",
            "distribution.processing",
            "distribution.reinvested",
            "distribution.completed"
        ]
    );
    let audit: Value = app
        .get("auditor", &format!("/api/audit?entityId={id}"))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "distribution.create",
            "distribution.ready",
            "distribution.approve",
            "distribution.process",
            "distribution.reinvest",
            "distribution.complete"
        ]
    );
    let approve_entry = &audit["items"][2];
    assert_eq!(approve_entry["before"]["status"], "READY");
    assert_eq!(approve_entry["after"]["status"], "APPROVED");
    assert_eq!(
        approve_entry["actorId"],
        app.seeded.user_ids["approver"].as_str()
    );
    app.stop().await;
}

#[tokio::test]
async fn edits_in_draft_and_ready_send_it_back_to_draft_and_cancel_before_processing() {
    let app = spawn_app(10).await;
    let d = app.create(&pro_rata(&app, "100.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    app.patch("operator", &format!("/api/distributions/{id}/ready"))
        .await;
    let mut changed = pro_rata(&app, "250.00");
    changed["description"] = json!("Q1 2026 (revised)");
    let resp = app
        .put("operator", &format!("/api/distributions/{id}"), &changed)
        .await;
    assert_eq!(resp.status(), 200);
    let edited: Value = resp.json().await.unwrap();
    assert_eq!(
        edited["status"], "DRAFT",
        "an edit sends it back for approval"
    );
    assert_eq!(edited["totalAmount"], "250.00");
    assert_eq!(edited["version"], 3);
    let lines = app.all_lines("operator", &id).await;
    assert_eq!(
        lines.iter().map(|l| cents(&l["totalAmount"])).sum::<i64>(),
        25_000
    );

    // One line set explicitly: the total follows.
    let investor = app.seeded.investor_ids[2].clone();
    let resp = app
        .put(
            "operator",
            &format!("/api/distributions/{id}/lines/{investor}"),
            &json!({ "totalAmount": "1.00", "interest": "1.00" }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let after: Value = resp.json().await.unwrap();
    let old = lines
        .iter()
        .find(|l| l["investorId"] == investor.as_str())
        .unwrap();
    assert_eq!(
        cents(&after["totalAmount"]),
        25_000 - cents(&old["totalAmount"]) + 100
    );
    let line: Value = app
        .get(
            "operator",
            &format!("/api/distributions/{id}/lines/{investor}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(line["interest"], "1.00");
    assert_eq!(line["totalAmount"], "1.00");
    // A line whose components do not sum is refused.
    let resp = app
        .put(
            "operator",
            &format!("/api/distributions/{id}/lines/{investor}"),
            &json!({ "totalAmount": "2.00", "interest": "1.00" }),
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.json::<Value>().await.unwrap()["field"], "totalAmount");
    // The fund cannot change.
    let mut other_fund = pro_rata(&app, "1.00");
    other_fund["fundId"] = json!("DEMO-LP");
    let resp = app
        .put("operator", &format!("/api/distributions/{id}"), &other_fund)
        .await;
    assert_eq!(resp.json::<Value>().await.unwrap()["field"], "fundId");

    let cancelled: Value = app
        .patch("operator", &format!("/api/distributions/{id}/cancel"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(
        app.patch("operator", &format!("/api/distributions/{id}/ready"))
            .await
            .status(),
        409
    );
    app.stop().await;
}

#[tokio::test]
async fn lists_paginate_and_filter() {
    let app = spawn_app(5).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let d = app.create(&pro_rata(&app, &format!("{}.00", 10 + i))).await;
        ids.push(d["id"].as_str().unwrap().to_string());
    }
    let mut lp = pro_rata(&app, "5.00");
    lp["fundId"] = json!("DEMO-LP");
    app.create(&lp).await;
    let mut seen = Vec::new();
    let mut path = "/api/distributions/fund/DEMO-OPEN?limit=3".to_string();
    loop {
        let page: Value = app.get("auditor", &path).await.json().await.unwrap();
        for d in page["items"].as_array().unwrap() {
            seen.push(d["id"].as_str().unwrap().to_string());
        }
        match page["nextCursor"].as_str() {
            Some(c) => path = format!("/api/distributions/fund/DEMO-OPEN?limit=3&cursor={c}"),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, every open-end distribution once");
    let drafts: Value = app
        .get("operator", "/api/distributions?status=DRAFT&limit=100")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(drafts["items"].as_array().unwrap().len(), 8);
    let none: Value = app
        .get("operator", "/api/distributions?payableFrom=2027-01-01")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    app.stop().await;
}
