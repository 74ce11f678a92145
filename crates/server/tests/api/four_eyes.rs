//! Issue 13: idempotency keys bound to their caller, the role before validation and replay,
//! four eyes over everyone who wrote a distribution, and what investors see of distributions.

use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::{cents, pro_rata, spawn_app, TestApp};

async fn problem(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// The admin (who made or changed it) may not approve distribution `id`; the approver may.
async fn admin_is_refused_and_the_approver_approves(app: &TestApp, id: &str) {
    let path = format!("/api/distributions/{id}/approve");
    let (s, p) = problem(app.patch("admin", &path).await).await;
    assert_eq!(s, 403, "{p}");
    assert_eq!(app.patch("approver", &path).await.status(), 200);
}

/// Some investor other than the one the investor user represents.
fn other_investor(app: &TestApp) -> String {
    let own = &app.seeded.investor_user_investor_id;
    app.seeded
        .investor_ids
        .iter()
        .find(|i| *i != own)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn an_investor_replaying_an_admins_key_never_gets_the_admins_saved_payee() {
    let app = spawn_app(5).await;
    let path = format!("/api/investors/{}/bank-accounts", other_investor(&app));
    let body = json!({ "method": "ACH", "holderName": "Grace Hopper", "routingNumber": "121042882",
        "accountNumber": "987654321012", "accountType": "SAVINGS" });
    let key = "a-key-someone-could-guess";
    let first = app.post_with_key("admin", &path, key, &body).await;
    assert_eq!(first.status(), 201);
    let accounts = "SELECT COUNT(*) AS n FROM bank_accounts";
    let before = (app.count(accounts).await, app.snapshot().await);

    let resp = app.post_with_key("investor", &path, key, &body).await;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    // Their own fresh request: another investor's payees do not exist for them.
    assert_eq!(status, 404, "{text}");
    for leaked in ["Grace Hopper", "121042882", "9012", "holderName"] {
        assert!(!text.contains(leaked), "{leaked} leaked: {text}");
    }
    assert_eq!((app.count(accounts).await, app.snapshot().await), before);
    app.stop().await;
}

#[tokio::test]
async fn auditors_and_approvers_replaying_an_admins_key_are_forbidden() {
    let app = spawn_app(5).await;
    let body = pro_rata(&app, "500.00");
    let key = "tour-1";
    let first = app
        .post_with_key("admin", "/api/distributions", key, &body)
        .await;
    assert_eq!(first.status(), 201);
    let before = app.snapshot().await;
    for role in ["auditor", "approver", "investor"] {
        let (status, p) = problem(
            app.post_with_key(role, "/api/distributions", key, &body)
                .await,
        )
        .await;
        assert_eq!(status, 403, "{role}: {p}");
        assert!(p.get("id").is_none(), "{role} got a distribution: {p}");
    }
    assert_eq!(app.snapshot().await, before, "nothing was written");
    app.stop().await;
}

#[tokio::test]
async fn keys_are_per_user_and_a_users_own_retry_replays() {
    let app = spawn_app(5).await;
    let body = pro_rata(&app, "500.00");
    let key = "shared-key";
    let post = |role| app.post_with_key(role, "/api/distributions", key, &body);
    let (s, by_operator) = problem(post("operator").await).await;
    assert_eq!(s, 201);
    // The same key from another user is that user's own key: a fresh distribution.
    let (s, by_admin) = problem(post("admin").await).await;
    assert_eq!(s, 201);
    assert_ne!(by_admin["id"], by_operator["id"]);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM distributions").await,
        2
    );
    // The same user's retry replays their own response and writes nothing.
    let before = app.snapshot().await;
    let (s, again) = problem(post("operator").await).await;
    assert_eq!((s, &again), (201, &by_operator));
    assert_eq!(app.snapshot().await, before);
    // The same user, same key, another body: refused, naming the header.
    let other = pro_rata(&app, "501.00");
    let (s, p) = problem(
        app.post_with_key("operator", "/api/distributions", key, &other)
            .await,
    )
    .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("Idempotency-Key")));
    assert_eq!(app.snapshot().await, before);
    app.stop().await;
}

#[tokio::test]
async fn a_forbidden_role_gets_403_before_the_body_is_validated() {
    let app = spawn_app(5).await;
    let d = app.create(&pro_rata(&app, "500.00")).await;
    let id = d["id"].as_str().unwrap();
    let investor = &app.seeded.investor_ids[0];
    let bad = json!({ "total": "not money", "bogus": 1 });
    let before = app.snapshot().await;
    for role in ["auditor", "approver"] {
        let line = format!("/api/distributions/{id}/lines/{investor}");
        let (s, p) = problem(app.put(role, &line, &bad).await).await;
        assert_eq!(s, 403, "{role} on the line: {p}");
        let (s, p) = problem(
            app.put(role, &format!("/api/distributions/{id}"), &bad)
                .await,
        )
        .await;
        assert_eq!(s, 403, "{role} on the distribution: {p}");
        let (s, p) = problem(app.post(role, "/api/distributions", &bad).await).await;
        assert_eq!(s, 403, "{role} creating: {p}");
        let payee = format!("/api/investors/{investor}/bank-accounts/any");
        let (s, p) = problem(app.put(role, &payee, &bad).await).await;
        assert_eq!(s, 403, "{role} on a payee: {p}");
        let election = format!("/api/investors/{investor}/reinvestment-preferences/DEMO-OPEN");
        let (s, p) = problem(app.put(role, &election, &bad).await).await;
        assert_eq!(s, 403, "{role} on an election: {p}");
        let (s, p) = problem(app.post(role, "/api/webhooks", &bad).await).await;
        assert_eq!(s, 403, "{role} on a webhook: {p}");
    }
    // An investor previewing another investor's cost basis: 404 before the body is read.
    let other = other_investor(&app);
    let (s, p) = problem(
        app.post(
            "investor",
            &format!("/api/investors/{other}/cost-basis"),
            &bad,
        )
        .await,
    )
    .await;
    assert_eq!(s, 404, "another investor's cost basis: {p}");
    assert_eq!(app.snapshot().await, before);
    app.stop().await;
}

#[tokio::test]
async fn whoever_edited_a_distribution_cannot_approve_it() {
    let app = spawn_app(5).await;
    let d = app.create(&pro_rata(&app, "500.00")).await;
    let id = d["id"].as_str().unwrap();
    // The admin rewrites the operator's draft, submits it, and tries to approve it.
    let resp = app
        .put(
            "admin",
            &format!("/api/distributions/{id}"),
            &pro_rata(&app, "900.00"),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        app.patch("admin", &format!("/api/distributions/{id}/ready"))
            .await
            .status(),
        200
    );
    let (s, p) = problem(
        app.patch("admin", &format!("/api/distributions/{id}/approve"))
            .await,
    )
    .await;
    assert_eq!(s, 403, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("edited"), "{p}");
    let after: Value = app
        .get("operator", &format!("/api/distributions/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (after["status"].as_str(), &after["approvedBy"]),
        (Some("READY"), &Value::Null)
    );
    // Someone who wrote none of it may.
    let ok = app
        .patch("approver", &format!("/api/distributions/{id}/approve"))
        .await;
    assert_eq!(ok.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_line_edited_by_another_user_bars_them_and_an_edit_sends_ready_back_to_draft() {
    let app = spawn_app(5).await;
    let d = app.create(&pro_rata(&app, "500.00")).await;
    let id = d["id"].as_str().unwrap();
    assert_eq!(
        app.patch("operator", &format!("/api/distributions/{id}/ready"))
            .await
            .status(),
        200
    );
    let investor = &app.seeded.investor_ids[0];
    let line = json!({ "totalAmount": "12.34", "ordinaryDividend": "12.34" });
    let resp = app
        .put(
            "admin",
            &format!("/api/distributions/{id}/lines/{investor}"),
            &line,
        )
        .await;
    let (s, edited) = problem(resp).await;
    assert_eq!(s, 200, "{edited}");
    assert_eq!(
        edited["status"], "DRAFT",
        "an edit of a READY one sends it back"
    );
    let audited = app
        .count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'distribution.update_line'")
        .await;
    assert_eq!(audited, 1);
    assert_eq!(
        app.patch("operator", &format!("/api/distributions/{id}/ready"))
            .await
            .status(),
        200
    );
    admin_is_refused_and_the_approver_approves(&app, id).await;
    app.stop().await;
}

/// Ids of the distributions the investor user lists.
async fn investor_list(app: &TestApp) -> Vec<Value> {
    let page: Value = app
        .get("investor", "/api/distributions?limit=1000")
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn investors_see_only_approved_distributions_they_are_in_and_only_their_own_amount() {
    let app = spawn_app(5).await;
    let own = app.seeded.investor_user_investor_id.clone();
    let draft = app.create(&pro_rata(&app, "500.00")).await;
    let ready = app.create(&pro_rata(&app, "600.00")).await;
    let cancelled = app.create(&pro_rata(&app, "700.00")).await;
    let approved = app.create(&pro_rata(&app, "800.00")).await;
    let id = |d: &Value| d["id"].as_str().unwrap().to_string();
    for d in [&ready, &approved] {
        assert_eq!(
            app.patch("operator", &format!("/api/distributions/{}/ready", id(d)))
                .await
                .status(),
            200
        );
    }
    assert_eq!(
        app.patch(
            "operator",
            &format!("/api/distributions/{}/cancel", id(&cancelled))
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.patch(
            "approver",
            &format!("/api/distributions/{}/approve", id(&approved))
        )
        .await
        .status(),
        200
    );

    let listed = investor_list(&app).await;
    let ids: Vec<_> = listed.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![id(&approved)]);
    for d in [&draft, &ready, &cancelled] {
        let resp = app
            .get("investor", &format!("/api/distributions/{}", id(d)))
            .await;
        assert_eq!(resp.status(), 404);
        let lines = app
            .get("investor", &format!("/api/distributions/{}/lines", id(d)))
            .await;
        assert_eq!(lines.status(), 404);
    }
    let mine: Value = app
        .get(
            "investor",
            &format!("/api/distributions/{}/lines/{own}", id(&approved)),
        )
        .await
        .json()
        .await
        .unwrap();
    let seen: Value = app
        .get("investor", &format!("/api/distributions/{}", id(&approved)))
        .await
        .json()
        .await
        .unwrap();
    for view in [&seen, &listed[0]] {
        assert_eq!(view["createdBy"], Value::Null, "{view}");
        assert_eq!(view["approvedBy"], Value::Null, "{view}");
        assert_eq!(view["allocation"], Value::Null, "{view}");
        assert_eq!(view["lineCount"], 1, "{view}");
        assert_eq!(
            cents(&view["totalAmount"]),
            cents(&mine["totalAmount"]),
            "{view}"
        );
        assert_ne!(cents(&view["totalAmount"]), 80_000);
    }
    // Staff still see it whole.
    let staff: Value = app
        .get("auditor", &format!("/api/distributions/{}", id(&approved)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cents(&staff["totalAmount"]), 80_000);
    assert_eq!(staff["lineCount"], 5);
    assert!(staff["createdBy"].is_string() && staff["approvedBy"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn a_reversal_waits_for_someone_other_than_its_maker() {
    let app = spawn_app(5).await;
    let d = app.create(&pro_rata(&app, "500.00")).await;
    let id = d["id"].as_str().unwrap();
    app.complete(id).await;
    let resp = app
        .post(
            "admin",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": "wrong amounts" }),
        )
        .await;
    let (s, done) = problem(resp).await;
    assert_eq!(s, 201, "{done}");
    let rev = done["reversal"]["id"].as_str().unwrap();
    assert_eq!(done["reversal"]["status"], "READY");
    admin_is_refused_and_the_approver_approves(&app, rev).await;
    app.stop().await;
}
