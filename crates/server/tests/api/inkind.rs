//! In-kind distributions: securities, positions, declaration (split, cash in lieu, property
//! apart), over-distribution refused (also under concurrent requests), cancel, processing
//! (lots, position reduced, zero-cash lines done), reversal (units returned).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

/// Apple Inc.: a CUSIP with a valid check digit.
const CUSIP: &str = "037833100";

async fn security(app: &TestApp, identifier_type: &str, identifier: &str) -> Value {
    let resp = app
        .post(
            "operator",
            "/api/securities",
            &json!({ "name": "Acme common", "identifierType": identifier_type, "identifier": identifier }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

async fn position(app: &TestApp, security_id: &str, quantity: i64) -> Value {
    let fund = &app.seeded.lp_fund_id;
    let resp = app
        .put(
            "operator",
            &format!("/api/funds/{fund}/positions/{security_id}"),
            &json!({ "quantity": quantity }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

fn in_kind(security_id: &str, quantity: i64, value: &str) -> Value {
    json!({
        "securityId": security_id, "quantity": quantity, "valuePerUnit": value,
        "declarationDate": "2026-03-02", "recordDate": "2026-03-16", "payableDate": "2026-03-31",
        "description": "Distribution of Acme shares"
    })
}

fn in_kind_path(app: &TestApp) -> String {
    format!("/api/funds/{}/in-kind-distributions", app.seeded.lp_fund_id)
}

async fn available(app: &TestApp, security_id: &str) -> (i64, i64) {
    let list: Value = app
        .get(
            "operator",
            &format!("/api/funds/{}/positions", app.seeded.lp_fund_id),
        )
        .await
        .json()
        .await
        .unwrap();
    let p = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["security"]["id"] == security_id)
        .unwrap();
    (
        p["quantity"].as_i64().unwrap(),
        p["reserved"].as_i64().unwrap(),
    )
}

fn field_names(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn securities_are_checked_and_listed() {
    let app = spawn_app(3).await;
    let s = security(&app, "CUSIP", CUSIP).await;
    assert_eq!(s["identifier"], CUSIP);
    security(&app, "ISIN", "us0378331005").await;
    let bad = app
        .post(
            "operator",
            "/api/securities",
            &json!({ "name": "", "identifierType": "ISIN", "identifier": "US0378331006" }),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = bad.json().await.unwrap();
    assert_eq!(field_names(&problem), vec!["name", "identifier"]);
    let dup = app
        .post(
            "operator",
            "/api/securities",
            &json!({ "name": "Again", "identifierType": "CUSIP", "identifier": CUSIP }),
        )
        .await;
    assert_eq!(dup.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let kind = app
        .post(
            "operator",
            "/api/securities",
            &json!({ "name": "X", "identifierType": "SEDOL", "identifier": "B0YBKJ7" }),
        )
        .await;
    assert_eq!(
        field_names(&kind.json().await.unwrap()),
        vec!["identifierType"]
    );
    let investor = app
        .post(
            "investor",
            "/api/securities",
            &json!({ "name": "X", "identifierType": "TICKER", "identifier": "ACME" }),
        )
        .await;
    assert_eq!(investor.status(), StatusCode::FORBIDDEN);
    let list: Value = app
        .get("auditor", "/api/securities")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn declaring_splits_whole_units_reserves_them_and_refuses_more_than_available() {
    let app = spawn_app(7).await;
    let s = security(&app, "CUSIP", CUSIP).await;
    let sid = s["id"].as_str().unwrap();
    position(&app, sid, 1000).await;
    let preview: Value = app
        .post(
            "operator",
            &format!("{}/preview", in_kind_path(&app)),
            &in_kind(sid, 1000, "12.345"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        available(&app, sid).await,
        (1000, 0),
        "a preview writes nothing"
    );
    let resp = app
        .post(
            "operator",
            &in_kind_path(&app),
            &in_kind(sid, 1000, "12.345"),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["lines"], preview["lines"]);
    let lines = created["lines"].as_array().unwrap();
    let units: i64 = lines.iter().map(|l| l["units"].as_i64().unwrap()).sum();
    assert_eq!(units + created["retainedUnits"].as_i64().unwrap(), 1000);
    assert!(created["retainedUnits"].as_i64().unwrap() < 7);
    let cash: i64 = lines
        .iter()
        .map(|l| l["cashInLieuMinor"].as_i64().unwrap())
        .sum();
    // The retained units' value, half-up to the cent, is the cash in lieu and the cash total.
    let retained = created["retainedUnits"].as_i64().unwrap();
    let expected = (rust_decimal::Decimal::from(retained)
        * rust_decimal::Decimal::new(12345, 3)
        * rust_decimal::Decimal::from(100))
    .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    assert_eq!(rust_decimal::Decimal::from(cash), expected);
    let d = &created["distribution"];
    assert_eq!(crate::helpers::cents(&d["totalAmount"]), cash);
    for l in lines {
        let p = rust_decimal::Decimal::from(l["units"].as_i64().unwrap())
            * rust_decimal::Decimal::new(12345, 3);
        let p = (p * rust_decimal::Decimal::from(100))
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(
            rust_decimal::Decimal::from(l["propertyMinor"].as_i64().unwrap()),
            p
        );
    }
    assert_eq!(available(&app, sid).await, (1000, 1000));
    let id = d["id"].as_str().unwrap();
    let view: Value = app
        .get("operator", &format!("/api/distributions/{id}/in-kind"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["lines"], created["lines"]);
    // Every line exists, zero-cash ones included.
    assert_eq!(d["lineCount"].as_i64().unwrap() as usize, lines.len());

    // Nothing left: one more unit is refused, naming the field, nothing written.
    let before = app.snapshot().await;
    let over = app
        .post("operator", &in_kind_path(&app), &in_kind(sid, 1, "12.345"))
        .await;
    assert_eq!(over.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_names(&over.json().await.unwrap()), vec!["quantity"]);
    // Every bad field at once.
    let mut bad = in_kind("no-such-security", 0, "-1");
    bad["recordDate"] = json!("2026-02-01");
    let resp = app.post("operator", &in_kind_path(&app), &bad).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_names(&resp.json().await.unwrap()),
        vec!["quantity", "valuePerUnit", "recordDate", "securityId"]
    );
    assert_eq!(app.snapshot().await, before);
    // The position cannot drop below what is reserved.
    let low = app
        .put(
            "operator",
            &format!("/api/funds/{}/positions/{sid}", app.seeded.lp_fund_id),
            &json!({ "quantity": 999 }),
        )
        .await;
    assert_eq!(low.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Editing it as a cash distribution is refused.
    let realloc = app
        .post(
            "operator",
            &format!("/api/distributions/{id}/reallocate"),
            &json!({}),
        )
        .await;
    assert_eq!(realloc.status(), StatusCode::CONFLICT);

    // Cancel releases the reservation.
    assert!(app
        .patch("operator", &format!("/api/distributions/{id}/cancel"))
        .await
        .status()
        .is_success());
    assert_eq!(available(&app, sid).await, (1000, 0));
    app.stop().await;
}

#[tokio::test]
async fn concurrent_declarations_never_over_distribute_a_position() {
    let app = spawn_app(4).await;
    let s = security(&app, "TICKER", "ACME").await;
    let sid = s["id"].as_str().unwrap().to_string();
    position(&app, &sid, 100).await;
    let path = in_kind_path(&app);
    let body = in_kind(&sid, 30, "5");
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let request = app
            .client
            .post(app.url(&path))
            .bearer_auth(app.token("operator"))
            .json(&body);
        set.spawn(async move { request.send().await.unwrap().status() });
    }
    let statuses: Vec<StatusCode> = set.join_all().await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 3, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
    assert_eq!(available(&app, &sid).await, (100, 90));
    app.stop().await;
}

#[tokio::test]
async fn processing_delivers_lots_and_a_reversal_returns_the_units() {
    let app = spawn_app(5).await;
    let s = security(&app, "CUSIP", CUSIP).await;
    let sid = s["id"].as_str().unwrap();
    position(&app, sid, 500).await;
    let created: Value = app
        .post("operator", &in_kind_path(&app), &in_kind(sid, 333, "10.01"))
        .await
        .json()
        .await
        .unwrap();
    let id = created["distribution"]["id"].as_str().unwrap().to_string();
    let distributed = created["distributedUnits"].as_i64().unwrap();
    app.complete(&id).await;
    assert_eq!(available(&app, sid).await, (500 - distributed, 0));
    // Lines paid wholly in kind are done, with no payment of 0.
    let lines = app.all_lines("operator", &id).await;
    for l in &lines {
        if crate::helpers::cents(&l["totalAmount"]) == 0 {
            assert_eq!(l["status"], "PAID", "{l}");
        }
    }
    let zero_payments = app
        .count("SELECT COUNT(*) AS n FROM payments WHERE amount_minor <= 0")
        .await;
    assert_eq!(zero_payments, 0);
    // Each recipient holds a lot at the property value, acquired on the payable date.
    let me = &app.seeded.investor_user_investor_id;
    let own: Value = app
        .get("investor", &format!("/api/investors/{me}/security-lots"))
        .await
        .json()
        .await
        .unwrap();
    let mine = created["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| &l["investorId"] == me);
    if let Some(line) = mine.filter(|l| l["units"].as_i64().unwrap() > 0) {
        let lot = &own["items"][0];
        assert_eq!(lot["units"], line["units"]);
        assert_eq!(lot["basisAmount"], line["propertyAmount"]);
        assert_eq!(lot["acquiredOn"], "2026-03-31");
    }
    let other = app.seeded.investor_ids.iter().find(|i| *i != me).unwrap();
    let refused = app
        .get("investor", &format!("/api/investors/{other}/security-lots"))
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    let lots = app
        .count("SELECT COUNT(*) AS n FROM security_lots WHERE closed_on IS NULL")
        .await;
    let with_units = created["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["units"].as_i64().unwrap() > 0)
        .count();
    assert_eq!(lots as usize, with_units);
    // Capital accounts read the property per investor by payable date.
    let from = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let property = clearway_store::inkind::property_by_investor_db(
        &app.db,
        &app.operator(),
        &app.seeded.lp_fund_id,
        from,
        to,
    )
    .await
    .unwrap();
    let total: i64 = property.iter().map(|p| p.1).sum();
    let expected: i64 = created["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["propertyMinor"].as_i64().unwrap())
        .sum();
    assert_eq!(total, expected);

    // Reverse everything: the lots close and the units come back to the fund.
    let rev = app
        .post(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": "wrong security" }),
        )
        .await;
    assert_eq!(
        rev.status(),
        StatusCode::CREATED,
        "{}",
        rev.text().await.unwrap()
    );
    let rev: Value = rev.json().await.unwrap();
    let rid = rev["reversal"]["id"].as_str().unwrap().to_string();
    let rview: Value = app
        .get("operator", &format!("/api/distributions/{rid}/in-kind"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rview["distributedUnits"].as_i64().unwrap(), -distributed);
    for (role, action) in [("approver", "approve"), ("operator", "process")] {
        let r = app
            .patch(role, &format!("/api/distributions/{rid}/{action}"))
            .await;
        assert!(
            r.status().is_success(),
            "{action}: {}",
            r.text().await.unwrap()
        );
    }
    app.wait_status(&rid, "COMPLETED").await;
    app.wait_jobs().await;
    assert_eq!(available(&app, sid).await, (500, 0));
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM security_lots WHERE closed_on IS NULL")
            .await,
        0
    );
    let property = clearway_store::inkind::property_by_investor_db(
        &app.db,
        &app.operator(),
        &app.seeded.lp_fund_id,
        from,
        to,
    )
    .await
    .unwrap();
    assert!(property.iter().all(|p| p.1 == 0), "{property:?}");
    app.stop().await;
}
