//! Issue 14: oversized ACH credits decided before money moves (preflight, wire or review),
//! no payment left waiting with nothing pointing at it (a dead rail job holds its payments),
//! and a bank return without a code blocks the payee instead of being re-sent.

use clearway_store::distributions as store;
use clearway_store::payments::Settlement;
use clearway_store::{q, Actor};
use serde_json::{json, Value};

use crate::helpers::{assert_no_orphan_payments, spawn_app, test_config, TestApp};
use crate::payments::{paid_distribution, payments_of};

/// An explicit distribution of the open fund paying `lines` (investor, cash) all ordinary.
fn explicit(app: &TestApp, lines: &[(&str, &str)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(inv, amount)| json!({ "investorId": inv, "totalAmount": amount, "ordinaryDividend": amount }))
        .collect();
    json!({
        "fundId": app.seeded.open_fund_id, "declarationDate": "2026-03-02", "recordDate": "2026-03-16",
        "payableDate": "2026-03-31", "currency": "USD", "description": "Large", "lines": lines
    })
}

/// Adds a verified USD wire instruction (not the default payee) to `investor`.
async fn add_wire(app: &TestApp, investor: &str) -> String {
    let body = json!({ "method": "WIRE", "holderName": "Big Holder", "currency": "USD",
        "iban": "GB82 WEST 1234 5698 7654 32", "bic": "NWBKGB2L",
        "address": { "lines": ["1 High St"], "city": "London", "country": "GB" }, "verified": true, "isDefault": false });
    let resp = app
        .post(
            "operator",
            &format!("/api/investors/{investor}/bank-accounts"),
            &body,
        )
        .await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn of<'a>(payments: &'a [Value], investor: &str) -> &'a Value {
    payments
        .iter()
        .find(|p| p["investorId"] == investor)
        .unwrap_or_else(|| panic!("no payment for {investor}"))
}

#[tokio::test]
async fn oversized_ach_credits_go_by_wire_or_wait_in_review_and_the_rest_is_sent() {
    let app = spawn_app(4).await;
    let inv = app.seeded.investor_ids.clone();
    // Investors 0–3 are ACH payees; 1 also has a wire instruction.
    add_wire(&app, &inv[1]).await;
    let body = explicit(
        &app,
        &[
            (&inv[0], "150000000.00"),
            (&inv[1], "120000000.00"),
            (&inv[2], "1000.00"),
            (&inv[3], "99999999.99"),
        ],
    );
    let d = app.create(&body).await;
    let id = d["id"].as_str().unwrap().to_string();

    // READY shows the two oversized lines; the preflight lists them with their route.
    let ready: Value = app
        .patch("operator", &format!("/api/distributions/{id}/ready"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "READY");
    assert_eq!(
        ready["oversized"],
        json!({ "limit": "99999999.99", "count": 2, "toWire": 1, "toReview": 1, "totalAmount": "270000000.00", "reinvestmentApplied": true })
    );
    let pre: Value = app
        .get("operator", &format!("/api/distributions/{id}/preflight"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pre["summary"]["count"], 2);
    let mut routes: Vec<(String, String, String)> = pre["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            assert_eq!(i["method"], "ACH");
            assert_eq!(i["limit"], "99999999.99");
            (
                i["investorId"].as_str().unwrap().to_string(),
                i["amount"].as_str().unwrap().to_string(),
                i["route"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    routes.sort();
    let mut expected = vec![
        (
            inv[0].clone(),
            "150000000.00".to_string(),
            "REVIEW".to_string(),
        ),
        (
            inv[1].clone(),
            "120000000.00".to_string(),
            "WIRE".to_string(),
        ),
    ];
    expected.sort();
    assert_eq!(routes, expected);
    // Paginated: one per page, the cursor leads to the other.
    let first: Value = app
        .get(
            "operator",
            &format!("/api/distributions/{id}/preflight?limit=1"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["nextCursor"].as_str().unwrap().to_string();
    let second: Value = app
        .get(
            "operator",
            &format!("/api/distributions/{id}/preflight?limit=1&cursor={cursor}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_ne!(
        second["items"][0]["investorId"],
        first["items"][0]["investorId"]
    );
    // Staff only: an investor does not learn of it.
    let as_investor = app
        .get("investor", &format!("/api/distributions/{id}/preflight"))
        .await;
    assert_eq!(as_investor.status(), 404);
    // Nor does another organization.
    let elsewhere = app.seed_another_org(2, "Other Org").await;
    let resp = app
        .client
        .get(app.url(&format!("/api/distributions/{id}/preflight")))
        .bearer_auth(&elsewhere.tokens.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    let approved: Value = app
        .patch("approver", &format!("/api/distributions/{id}/approve"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(approved["oversized"]["count"], 2);
    assert!(app
        .patch("operator", &format!("/api/distributions/{id}/process"))
        .await
        .status()
        .is_success());
    app.wait_status(&id, "COMPLETED").await;
    app.wait_jobs().await;

    let payments = payments_of(&app, "operator", &id).await;
    assert_eq!(payments.len(), 4);
    let held = of(&payments, &inv[0]);
    assert_eq!(held["method"], "ACH");
    assert_eq!(held["status"], "PENDING");
    assert_eq!(held["batchId"], Value::Null, "never written into a file");
    let reason =
        "OVERSIZED: 150000000.00 USD above the ACH limit 99999999.99 USD; no wire instruction";
    assert_eq!(held["holdReason"], reason);
    assert_eq!(held["reviewReason"], reason);
    let wired = of(&payments, &inv[1]);
    assert_eq!(wired["method"], "WIRE");
    assert_eq!(wired["status"], "SENT");
    assert_eq!(wired["amount"], "120000000.00");
    for i in [2, 3] {
        let p = of(&payments, &inv[i]);
        assert_eq!(p["method"], "ACH");
        assert_eq!(p["status"], "SENT", "{p}");
        assert!(p["batchId"].is_string());
    }
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM jobs WHERE status = 'DEAD'")
            .await,
        0,
        "no job failed"
    );
    // The held payment is in the review queue.
    let review: Value = app
        .get("operator", "/api/payments/review")
        .await
        .json()
        .await
        .unwrap();
    assert!(review["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == held["id"]));
    assert_no_orphan_payments(&app).await;
    // Processed: the preflight is over.
    let late = app
        .get("operator", &format!("/api/distributions/{id}/preflight"))
        .await;
    assert_eq!(late.status(), 409);
    app.stop().await;
}

#[tokio::test]
async fn a_rail_job_that_fails_for_good_holds_its_payments_for_review() {
    let mut app = spawn_app(4).await;
    let id = crate::payments_rails::approved(&app, "400.00").await;
    app.stop_server().await;
    crate::payments_rails::process_offline(&app, &id).await;
    // One ACH payee's sealed account number no longer opens: the ACH job fails for good.
    let system = Actor::system(&app.seeded.org_id);
    let mut tx = app.db.begin().await.unwrap();
    let d = store::get_tx(&mut tx, &system, &id).await.unwrap();
    assert_eq!(d.status.as_str(), "COMPLETED");
    tx.execute(
        q("UPDATE bank_accounts SET account_enc = '00' WHERE investor_id = $1")
            .bind(&app.seeded.investor_ids[0]),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.restart(test_config()).await;
    app.wait_jobs().await;

    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM jobs WHERE status = 'DEAD' AND kind = 'payment.ach'")
            .await,
        1
    );
    let payments = payments_of(&app, "operator", &id).await;
    let ach: Vec<&Value> = payments.iter().filter(|p| p["method"] == "ACH").collect();
    assert_eq!(ach.len(), 4);
    for p in ach {
        assert_eq!(p["status"], "PENDING");
        let reason = p["reviewReason"].as_str().unwrap_or_default();
        assert!(
            reason.starts_with("RAIL_FAILED: payment.ach: payee of payment "),
            "{reason}"
        );
        assert_eq!(p["holdReason"], p["reviewReason"]);
    }
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'payments.hold_after_failed_job'"
        )
        .await,
        1
    );
    assert_no_orphan_payments(&app).await;

    // Not vacuous: a PENDING payment with no reason and no live job is found, and counted.
    let one = payments.iter().find(|p| p["method"] == "ACH").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut tx = app.db.begin().await.unwrap();
    tx.execute(
        q("UPDATE payments SET hold_reason = NULL, review_reason = NULL WHERE id = $1").bind(&one),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let found = clearway_app::payments::orphans::orphans(&app.db, &app.operator(), Some(&id), 10)
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        vec![one]
    );
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(crate::helpers::METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("clearway_payments_orphaned 1"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_wire_returned_without_a_code_blocks_the_payee_until_it_is_replaced() {
    let app = spawn_app(8).await;
    let first = paid_distribution(&app, "8000.00").await;
    // Investor 7 is paid by wire (EUR, a German bank).
    let investor = app.seeded.investor_ids[7].clone();
    let paid = of(&payments_of(&app, "operator", &first).await, &investor).clone();
    assert_eq!(paid["method"], "WIRE");
    assert_eq!(paid["status"], "SENT");
    let account = paid["bankAccountId"].as_str().unwrap().to_string();

    // The bank sends the wire back: "ACCOUNT CLOSED", no R-code.
    let mut tx = app.db.begin().await.unwrap();
    let returned = Settlement::Returned {
        code: "BANK_RETURN".into(),
        reason: "ACCOUNT CLOSED".into(),
    };
    clearway_app::payments::settle(
        &mut tx,
        &app.operator(),
        paid["id"].as_str().unwrap(),
        &returned,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'payment.retry'")
            .await,
        0,
        "never re-sent automatically"
    );
    let back = of(&payments_of(&app, "operator", &first).await, &investor).clone();
    assert_eq!(back["status"], "RETURNED");
    assert_eq!(
        back["reviewReason"],
        "BAD_ACCOUNT: BANK_RETURN ACCOUNT CLOSED"
    );
    let path = format!("/api/investors/{investor}/bank-accounts/{account}");
    let payee: Value = app.get("operator", &path).await.json().await.unwrap();
    let blocked = payee["blockedReason"].as_str().unwrap().to_string();
    assert!(
        blocked.starts_with("RETURNED: BANK_RETURN ACCOUNT CLOSED (payment "),
        "{blocked}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'bank_account.block'")
            .await,
        1
    );

    // The next distribution's payment to that account is held, not sent.
    let second = paid_distribution(&app, "8000.00").await;
    let next = of(&payments_of(&app, "operator", &second).await, &investor).clone();
    assert_eq!(next["status"], "PENDING");
    assert_eq!(next["holdReason"], format!("PAYEE_BLOCKED: {blocked}"));
    assert_eq!(next["reviewReason"], next["holdReason"]);
    assert_no_orphan_payments(&app).await;

    // New details clear the block (audited with the change) and re-queue both payments.
    let new_details = json!({ "method": "WIRE", "holderName": "Ada Lovelace", "currency": "EUR",
        "iban": "GB82 WEST 1234 5698 7654 32", "bic": "NWBKGB2L",
        "address": { "lines": ["1 High St"], "city": "London", "country": "GB" }, "verified": true });
    let changed = app.put("operator", &path, &new_details).await;
    assert_eq!(changed.status(), 200);
    assert_eq!(
        changed.json::<Value>().await.unwrap()["blockedReason"],
        Value::Null
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'bank_account.unblock'")
            .await,
        1
    );
    app.wait_jobs().await;
    for d in [&first, &second] {
        let attempts: Vec<Value> = payments_of(&app, "operator", d)
            .await
            .into_iter()
            .filter(|p| p["investorId"] == investor.as_str())
            .collect();
        let newest = attempts
            .iter()
            .max_by_key(|p| p["attempt"].as_i64())
            .unwrap();
        assert_eq!(newest["status"], "SENT", "{d}: {newest}");
        assert_eq!(newest["holdReason"], Value::Null);
    }
    assert_no_orphan_payments(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn the_preflight_counts_cash_after_reinvestment_and_the_limit_is_to_the_cent() {
    let app = spawn_app(2).await;
    let inv = app.seeded.investor_ids.clone();
    // Investor 0 reinvests half: $150M leaves about $75M in cash, under the limit.
    let election =
        json!({ "election": "PARTIAL", "percentage": "50", "effectiveDate": "2026-01-01" });
    let resp = app
        .put(
            "operator",
            &format!(
                "/api/investors/{}/reinvestment-preferences/DEMO-OPEN",
                inv[0]
            ),
            &election,
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    // Investor 1 is paid $100,000,000.00 in cash: one cent above the NACHA field.
    let body = explicit(
        &app,
        &[(&inv[0], "150000000.00"), (&inv[1], "100000000.00")],
    );
    let id = app.create(&body).await["id"].as_str().unwrap().to_string();
    let pre: Value = app
        .get("operator", &format!("/api/distributions/{id}/preflight"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pre["summary"]["reinvestmentApplied"], true);
    assert_eq!(pre["summary"]["count"], 1);
    assert_eq!(pre["items"][0]["investorId"], inv[1].as_str());
    assert_eq!(pre["items"][0]["amount"], "100000000.00");
    assert_eq!(pre["items"][0]["route"], "REVIEW");

    app.complete(&id).await;
    app.wait_jobs().await;
    let payments = payments_of(&app, "operator", &id).await;
    let reinvesting = of(&payments, &inv[0]);
    assert_eq!(reinvesting["status"], "SENT");
    assert!(crate::helpers::cents(&reinvesting["amount"]) < 9_999_999_999);
    let held = of(&payments, &inv[1]);
    assert_eq!(
        held["holdReason"],
        "OVERSIZED: 100000000.00 USD above the ACH limit 99999999.99 USD; no wire instruction"
    );
    assert_no_orphan_payments(&app).await;
    app.stop().await;
}
