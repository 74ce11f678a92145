//! Private-fund capital: commitments, calls pro rata to uncalled capital, contributions,
//! income allocation, ownership, capital accounts (JSON/CSV/XLSX) and their tie-out, imports,
//! refusals naming each field with nothing written, and investors seeing only their own.

use clearway_core::distribution::FundKind;
use clearway_core::Currency;
use clearway_store::funds::{self, NewFund};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

/// A fresh partnership fund (the demo's DEMO-LP has undated commitments for everyone).
pub async fn partnership(app: &TestApp, code: &str) -> String {
    let mut tx = app.db.begin().await.unwrap();
    let nf = NewFund {
        code,
        name: "Capital test LP",
        kind: FundKind::Partnership,
        currency: Currency::parse("USD").unwrap(),
        share_precision: 6,
    };
    let id = funds::create_fund(&mut tx, &app.operator(), &nf)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .parse()
        .unwrap()
}

fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn calls_contributions_income_and_accounts_tie_out() {
    let app = spawn_app(6).await;
    let fund = partnership(&app, "CAP-1").await;
    let inv = app.seeded.investor_ids.clone();
    let base = format!("/api/funds/{fund}");
    let (s, b) = json_of(
        app.post(
            "operator",
            &format!("{base}/commitments"),
            &json!({"commitments": [
                {"investorId": inv[0], "kind": "LP", "amount": "300000.00", "date": "2024-01-15"},
                {"investorId": inv[1], "kind": "LP", "amount": "100000.00", "date": "2024-01-15"},
                {"investorId": inv[2], "kind": "GP", "amount": "33333.33", "date": "2024-02-01"},
            ]}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["commitments"], 3);

    // 100,000.00 pro rata to uncalled 433,333.33: exact, nobody above their commitment.
    let (s, b) = json_of(app.post("operator", &format!("{base}/capital-calls"), &json!({
        "callDate": "2024-03-01", "dueDate": "2024-03-15", "description": "First close", "deal": "DEAL-A", "amount": "100000.00"
    })).await).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let call = &b["calls"][0];
    let items = call["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let sum: Decimal = items.iter().map(|i| dec(&i["amount"])).sum();
    assert_eq!(sum, Decimal::new(10_000_000, 2));
    let call_id = call["id"].as_str().unwrap();

    // Every investor pays their part of the call.
    let contributions: Vec<Value> = items.iter().map(|i| json!({"investorId": i["investorId"], "date": "2024-03-10", "amount": i["amount"], "callId": call_id})).collect();
    let (s, b) = json_of(
        app.post(
            "operator",
            &format!("{base}/contributions"),
            &json!({"contributions": contributions}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Paying it twice is refused.
    let (s, b) = json_of(
        app.post(
            "operator",
            &format!("{base}/contributions"),
            &json!({"contributions": [contributions[0]]}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&b), vec!["contributions[0].callId"]);

    let (s, b) = json_of(app.get("operator", &format!("{base}/commitments")).await).await;
    assert_eq!(s, StatusCode::OK);
    let first = &b["items"][0];
    assert_eq!(
        dec(&first["called"]) + dec(&first["uncalled"]),
        dec(&first["committed"])
    );
    assert_eq!(first["called"], first["contributed"]);

    // Income allocated by ownership at the period start, exactly.
    let (s, b) = json_of(app.post("operator", &format!("{base}/income"), &json!({
        "periodStart": "2024-04-01", "periodEnd": "2024-06-30", "kind": "INCOME", "amount": "1000.01", "description": "Q2"
    })).await).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let alloc: Decimal = b["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| dec(&a["amount"]))
        .sum();
    assert_eq!(alloc, Decimal::new(100_001, 2));
    let (s, b) = json_of(app.post("operator", &format!("{base}/income"), &json!({
        "periodStart": "2024-04-01", "periodEnd": "2024-06-30", "kind": "EXPENSE", "amount": "200.00"
    })).await).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["amount"], "-200.00");

    let (s, b) = json_of(
        app.get("operator", &format!("{base}/ownership?asOf=2024-12-31"))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let pct: Decimal = b["investors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| dec(&i["percent"]))
        .sum();
    assert_eq!(pct, Decimal::from(100));

    let (s, b) = json_of(
        app.get(
            "operator",
            &format!("{base}/capital-accounts?from=2024-04-01&to=2024-12-31"),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["tiesOut"], true, "{b}");
    assert_eq!(b["total"]["beginning"], "100000.00");
    assert_eq!(b["total"]["allocated"], "800.01");
    assert_eq!(b["total"]["ending"], "100800.01");
    assert_eq!(b["fundTotal"]["ending"], "100800.01");

    let csv = app
        .get(
            "operator",
            &format!("{base}/capital-accounts?from=2024-04-01&to=2024-12-31&format=csv"),
        )
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    assert!(
        text.starts_with("investor_id,investor_name,beginning"),
        "{text}"
    );
    assert!(
        text.contains("TOTAL,,100000.00,0.00,800.01,0.00,100800.01"),
        "{text}"
    );
    let xlsx = app
        .get(
            "operator",
            &format!("{base}/capital-accounts?from=2024-04-01&to=2024-12-31&format=xlsx"),
        )
        .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));

    // Investors see only their own account.
    let own = &app.seeded.investor_user_investor_id;
    let other = inv.iter().find(|i| *i != own).unwrap();
    let (s, b) = json_of(
        app.get(
            "investor",
            &format!("{base}/capital-accounts?from=2024-01-01&to=2024-12-31"),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(b["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["investorId"] == own.as_str()));
    assert!(b["fundTotal"].is_null());
    let r = app
        .get(
            "investor",
            &format!("{base}/capital-accounts/{other}?from=2024-01-01&to=2024-12-31"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .post("investor", &format!("{base}/capital-calls"), &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn bad_input_names_each_field_and_writes_nothing() {
    let app = spawn_app(4).await;
    let fund = partnership(&app, "CAP-2").await;
    let inv = app.seeded.investor_ids.clone();
    let base = format!("/api/funds/{fund}");
    let r = app
        .post(
            "operator",
            &format!("{base}/commitments"),
            &json!({"commitments": [
        {"investorId": inv[0], "kind": "LP", "amount": "1000.00", "date": "2024-01-15"}]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let (s, b) = json_of(
        app.post(
            "operator",
            &format!("{base}/commitments"),
            &json!({"commitments": [
                {"investorId": inv[0], "kind": "LP", "amount": "5.00", "date": "2024-01-15"},
                {"investorId": "nobody", "kind": "XP", "amount": "-5.00", "date": "2024-13-01"},
                {"investorId": inv[1], "kind": "GP", "amount": "10.00", "date": "2024-01-15"},
            ]}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let f = fields(&b);
    for want in [
        "commitments[0].investorId",
        "commitments[1].kind",
        "commitments[1].amount",
        "commitments[1].date",
        "commitments[1].investorId",
    ] {
        assert!(f.contains(&want.to_string()), "{want} in {f:?}");
    }
    // inv[1]'s valid row was not written either.
    let (_, b) = json_of(app.get("operator", &format!("{base}/commitments")).await).await;
    assert_eq!(b["items"].as_array().unwrap().len(), 1);

    let (s, b) = json_of(
        app.post(
            "operator",
            &format!("{base}/capital-calls"),
            &json!({
        "callDate": "2024-03-01", "dueDate": "2024-02-01", "description": "", "amount": "1000.01"}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let f = fields(&b);
    assert!(
        f.contains(&"dueDate".into())
            && f.contains(&"description".into())
            && f.contains(&"amount".into()),
        "{f:?}"
    );
    let (s, b) = json_of(app.post("operator", &format!("{base}/capital-calls"), &json!({
        "callDate": "2024-03-01", "dueDate": "2024-03-02", "description": "x", "items": [{"investorId": inv[0], "amount": "1000.01"}]})).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&b), vec!["items[0].amount"]);

    let (s, b) = json_of(
        app.post(
            "operator",
            &format!("{base}/contributions"),
            &json!({"contributions": [
                {"investorId": inv[0], "date": "2099-01-01", "amount": "1.00"},
                {"investorId": inv[0], "date": "2024-01-01", "amount": "1.00"},
                {"investorId": inv[2], "date": "2024-05-01", "amount": "1.00"},
                {"investorId": inv[0], "date": "2024-05-01", "amount": "0"},
            ]}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&b),
        vec![
            "contributions[0].date",
            "contributions[1].date",
            "contributions[2].investorId",
            "contributions[3].amount"
        ]
    );

    let (s, b) = json_of(
        app.post(
            "operator",
            &format!("{base}/income"),
            &json!({
        "periodStart": "2024-06-30", "periodEnd": "2024-04-01", "kind": "BONUS", "amount": "x"}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&b), vec!["periodEnd", "kind", "amount"]);
    let (s, b) = json_of(
        app.get(
            "operator",
            &format!("{base}/capital-accounts?from=2024-06-30&to=2024-01-01"),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&b), vec!["to"]);

    let (_, b) = json_of(
        app.get(
            "operator",
            &format!("{base}/capital-accounts?from=2024-01-01&to=2024-12-31"),
        )
        .await,
    )
    .await;
    assert_eq!(b["total"]["ending"], "0.00", "nothing was written: {b}");
    // An open-end fund has no capital accounts.
    let r = app
        .get(
            "operator",
            &format!("/api/funds/{}/commitments", app.seeded.open_fund_id),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    app.stop().await;
}

#[tokio::test]
async fn import_is_all_or_nothing_and_names_row_and_column() {
    let app = spawn_app(4).await;
    let fund = partnership(&app, "CAP-3").await;
    let inv = app.seeded.investor_ids.clone();
    let path = format!("/api/funds/{fund}/capital-activity/import");
    let upload = |body: String| {
        app.client
            .post(app.url(&path))
            .bearer_auth(app.token("operator"))
            .header("Content-Type", "text/csv")
            .body(body)
            .send()
    };
    let bad = format!(
        "type,investor_id,partner_kind,amount,date,due_date,description,deal\n\
         COMMITMENT,{a},LP,1000.00,2024-01-01,,,\n\
         COMMITMENT,{b},GP,500.00,2024-01-01,,,\n\
         CALL,{a},,600.00,2024-02-01,2024-02-15,Close,D1\n\
         CALL,{b},,600.00,2024-02-01,2024-02-15,Close,D1\n",
        a = inv[0],
        b = inv[1]
    );
    let (s, b) = json_of(upload(bad.clone()).await.unwrap()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&b), vec!["rows[5].amount"], "{b}");
    let (_, b) = json_of(
        app.get("operator", &format!("/api/funds/{fund}/commitments"))
            .await,
    )
    .await;
    assert!(b["items"].as_array().unwrap().is_empty());

    let good = bad.replace(
        &format!("CALL,{},,600.00", inv[1]),
        &format!("CALL,{},,400.00", inv[1]),
    ) + &format!("CONTRIBUTION,{},,50.00,2024-03-01,,,D2\n", inv[0]);
    let (s, b) = json_of(upload(good).await.unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(
        (
            b["commitments"].as_u64(),
            b["calls"].as_array().unwrap().len(),
            b["contributions"].as_u64()
        ),
        (Some(2), 1, Some(1))
    );
    let (_, b) = json_of(
        app.get("operator", &format!("/api/funds/{fund}/commitments"))
            .await,
    )
    .await;
    let a = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["investorId"] == inv[0].as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (a["called"].as_str(), a["uncalled"].as_str()),
        (Some("650.00"), Some("350.00"))
    );
    app.stop().await;
}

#[tokio::test]
async fn distributions_reduce_capital_accounts() {
    let app = spawn_app(6).await;
    let inv = app.seeded.investor_ids.clone();
    let lp = app.seeded.lp_fund_id.clone();
    let created = app.create(&json!({
        "fundId": lp, "declarationDate": "2026-03-02", "recordDate": "2026-03-16", "payableDate": "2026-03-31",
        "lines": [{ "investorId": inv[3], "totalAmount": "1234.56", "returnOfCapital": "1234.56" }]
    })).await;
    let (s, b) = json_of(
        app.get(
            "operator",
            &format!("/api/funds/{lp}/capital-accounts?from=2026-01-01&to=2026-06-30"),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        b["total"]["distributions"], "0.00",
        "a DRAFT distribution has not left the fund"
    );
    app.complete(created["id"].as_str().unwrap()).await;
    let (_, b) = json_of(
        app.get(
            "operator",
            &format!("/api/funds/{lp}/capital-accounts?from=2026-01-01&to=2026-06-30"),
        )
        .await,
    )
    .await;
    assert_eq!(b["tiesOut"], true, "{b}");
    let row = b["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["investorId"] == inv[3].as_str())
        .unwrap()
        .clone();
    assert_eq!(row["distributions"], "1234.56");
    assert_eq!(row["ending"], "-1234.56");
    assert_eq!(b["fundTotal"]["distributions"], "1234.56");
    app.stop().await;
}
