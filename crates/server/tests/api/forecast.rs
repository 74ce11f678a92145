//! Forecasting over HTTP: a fund's forecast from its completed distributions (dated from the
//! last payable date), scenarios and trends, bad input, tenancy and roles, stored forecasts
//! whose error is recorded when the actual completes, the liquidity plan against cash on
//! hand, and the Yale projection of a partnership.

use std::collections::HashSet;

use chrono::NaiveDate;
use clearway_core::allocation::ComponentRatios;
use clearway_core::distribution::{
    plan_lines, Action, Allocation, ComponentKind, FundKind, Kind, Schedule, Status,
};
use clearway_core::Currency;
use clearway_store::distributions::{self as store, NewDistribution};
use clearway_store::funds::{self, NewFund};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .parse()
        .unwrap()
}

/// A fund of `kind` whose first two demo investors hold 1,000 and 3,000 units from 2020.
async fn fund(app: &TestApp, code: &str, kind: FundKind) -> String {
    let op = app.operator();
    let mut tx = app.db.begin().await.unwrap();
    let nf = NewFund {
        code,
        name: code,
        kind,
        currency: Currency::USD,
        share_precision: 4,
    };
    let id = funds::create_fund(&mut tx, &op, &nf).await.unwrap();
    let inv = &app.seeded.investor_ids;
    let holdings = vec![
        (inv[0].clone(), Decimal::from(1000)),
        (inv[1].clone(), Decimal::from(3000)),
    ];
    funds::record_holdings(&mut tx, &op, &id, d("2020-01-01"), &holdings)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// Completed per-share distributions at `rate` payable on each date (the demo's import path:
/// no processing, so no forecast snapshots).
async fn history(app: &TestApp, fund_id: &str, payable: &[NaiveDate], rate: &str) {
    let (op, approver) = (app.operator(), approver(app));
    let rate: Decimal = rate.parse().unwrap();
    for p in payable {
        let mut tx = app.db.begin().await.unwrap();
        let schedule = Schedule {
            declaration: *p - chrono::Duration::days(20),
            ex: None,
            record: *p - chrono::Duration::days(10),
            payable: *p,
        };
        let ratios =
            ComponentRatios::new(vec![(ComponentKind::OrdinaryDividend, Decimal::ONE)]).unwrap();
        let allocation = Allocation::PerShare { rate, ratios };
        let holdings = funds::holdings_as_of(&mut tx, &op, fund_id, schedule.record)
            .await
            .unwrap();
        let lines = plan_lines(Currency::USD, &allocation, &holdings, &HashSet::new()).unwrap();
        let new = NewDistribution {
            fund_id: fund_id.into(),
            kind: Kind::Regular,
            status: Status::Draft,
            currency: Currency::USD,
            schedule,
            description: format!("Dividend {p}"),
            allocation: json!({ "method": "per_share", "rate": rate.to_string(), "components": { "ordinaryDividend": "1" } }),
            reverses_id: None,
            corrects_id: None,
            reason: None,
        };
        let mut dist = store::insert(&mut tx, &op, &new, &lines).await.unwrap();
        for (actor, action) in [
            (&op, Action::MarkReady),
            (&approver, Action::Approve),
            (&op, Action::Process),
            (&op, Action::Complete),
        ] {
            dist = store::transition(&mut tx, actor, &dist, action)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
}

fn approver(app: &TestApp) -> clearway_store::Actor {
    clearway_store::Actor {
        user_id: app.seeded.user_ids["approver"].clone(),
        org_id: app.seeded.org_id.clone(),
        role: clearway_core::access::Role::Approver,
        investor_id: None,
    }
}

fn month_ends(from: &str, n: u32, step: u32) -> Vec<NaiveDate> {
    let first = d(from);
    (0..n)
        .map(|k| {
            let m = first + chrono::Months::new(k * step);
            clearway_core::calendar::last_day_of_month(
                chrono::Datelike::year(&m),
                chrono::Datelike::month(&m),
            )
            .unwrap()
        })
        .collect()
}

async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let s = r.status();
    let text = r.text().await.unwrap();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
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

fn dates(points: &Value) -> Vec<String> {
    points
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["date"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_constant_monthly_payer_forecasts_its_rate_from_its_last_payable_date() {
    let app = spawn_app(4).await;
    let f = fund(&app, "FC-M", FundKind::OpenEnd).await;
    history(&app, &f, &month_ends("2024-01-31", 24, 1), "0.05").await;
    let (s, b) = json_of(
        app.get(
            "operator",
            &format!("/api/funds/{f}/distribution-forecast?horizon=4"),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["frequency"], "MONTHLY");
    assert_eq!(b["requestedModel"], "auto");
    assert_eq!(b["basedOn"]["lastPayable"], "2025-12-31");
    assert_eq!(b["basedOn"]["pointsUsed"], 24);
    assert_eq!(b["basedOn"]["unitsOutstanding"], "4000");
    // Month ends from the last actual, rolled to business days (Jan 31 and Feb 28 2026 are
    // Saturdays): not from today.
    assert_eq!(
        dates(&b["points"]),
        ["2026-01-30", "2026-02-27", "2026-03-31", "2026-04-30"]
    );
    for p in b["points"].as_array().unwrap() {
        assert_eq!(dec(&p["perUnit"]), Decimal::new(5, 2), "{p}");
        // 0.05 × 4,000 units.
        assert_eq!(p["total"], "200.00");
        assert_eq!(p["totalMinor"], 20000);
        assert!(dec(&p["perUnitLower95"]) <= dec(&p["perUnitLower80"]));
        assert!(dec(&p["perUnitUpper80"]) <= dec(&p["perUnitUpper95"]));
    }
    // Scenarios are the interval bounds around the median.
    let (s, b) = json_of(
        app.get(
            "auditor",
            &format!("/api/funds/{f}/distribution-forecast/with-scenarios?horizon=2&model=naive"),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["forecast"]["model"], "naive");
    let sc = &b["scenarios"][0];
    assert_eq!(sc["base"], "200.00");
    assert_eq!(sc["bull"], b["forecast"]["points"][0]["totalUpper80"]);
    assert_eq!(sc["bear"], b["forecast"]["points"][0]["totalLower80"]);
    // A constant series: no trend; pays every month.
    let (s, b) = json_of(
        app.get("operator", &format!("/api/funds/{f}/distribution-trends"))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["trend"]["direction"], "stable");
    assert_eq!(b["seasonality"]["paying"].as_array().unwrap().len(), 12);
    app.stop().await;
}

#[tokio::test]
async fn a_quarterly_payer_is_forecast_every_quarter() {
    let app = spawn_app(4).await;
    let f = fund(&app, "FC-Q", FundKind::OpenEnd).await;
    history(&app, &f, &month_ends("2023-03-31", 12, 3), "0.20").await;
    let (s, b) = json_of(
        app.get(
            "operator",
            &format!("/api/funds/{f}/distribution-forecast?horizon=4"),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["frequency"], "QUARTERLY");
    assert_eq!(b["season"], 4);
    assert_eq!(
        dates(&b["points"]),
        ["2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31"]
    );
    assert_eq!(b["points"][0]["total"], "800.00");
    let (_, t) = json_of(
        app.get("operator", &format!("/api/funds/{f}/distribution-trends"))
            .await,
    )
    .await;
    assert_eq!(
        t["seasonality"]["paying"],
        json!(["March (Q1)", "June (Q2)", "September (Q3)", "December (Q4)"])
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_nothing_is_written() {
    let app = spawn_app(4).await;
    let f = fund(&app, "FC-B", FundKind::OpenEnd).await;
    history(&app, &f, &month_ends("2025-01-31", 12, 1), "0.05").await;
    for (query, field) in [
        ("horizon=0", "horizon"),
        ("horizon=121", "horizon"),
        ("horizon=abc", "horizon"),
        ("model=arima", "model"),
    ] {
        let (s, b) = json_of(
            app.get(
                "operator",
                &format!("/api/funds/{f}/distribution-forecast?{query}"),
            )
            .await,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {b}");
        assert_eq!(fields(&b), [field], "{query}");
    }
    for body in [
        json!({ "horizon": 0 }),
        json!({ "horizon": 121 }),
        json!({ "model": "arima" }),
    ] {
        let r = app
            .post(
                "operator",
                &format!("/api/funds/{f}/distribution-forecasts"),
                &body,
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let r = app
        .put(
            "operator",
            &format!("/api/funds/{f}/cash-on-hand"),
            &json!({ "amount": "-1.00", "asOf": "2026-01-01" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM forecasts").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM fund_cash_on_hand")
            .await,
        0
    );
    // An open-end fund has no Yale projection: 422 naming the fund.
    let (s, b) = json_of(
        app.get("operator", &format!("/api/funds/{f}/cash-flow-projection"))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        b["errors"][0]["message"].as_str().unwrap().contains("FC-B"),
        "{b}"
    );
    let lp = fund(&app, "FC-LP0", FundKind::Partnership).await;
    let r = app
        .get(
            "operator",
            &format!("/api/funds/{lp}/cash-flow-projection?lifeYears=0"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Too little history: 200 with no points and the reason.
    let empty = fund(&app, "FC-E", FundKind::OpenEnd).await;
    let (s, b) = json_of(
        app.get(
            "operator",
            &format!("/api/funds/{empty}/distribution-forecast"),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(b["points"].as_array().unwrap().is_empty());
    assert!(b["model"].is_null());
    assert!(
        b["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("no completed distribution")),
        "{b}"
    );
    app.stop().await;
}

#[tokio::test]
async fn another_organizations_fund_is_not_found_and_investors_see_no_forecast() {
    let app = spawn_app(4).await;
    let other = app.seed_another_org(2, "Other Forecast Org").await;
    let mine = fund(&app, "FC-T", FundKind::OpenEnd).await;
    for path in [
        "distribution-forecast",
        "distribution-forecast/with-scenarios",
        "distribution-trends",
        "liquidity-plan",
        "distribution-forecasts",
    ] {
        let r = app
            .get(
                "operator",
                &format!("/api/funds/{}/{path}", other.open_fund_id),
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        let r = app
            .get("investor", &format!("/api/funds/{mine}/{path}"))
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "investor {path}");
    }
    let r = app
        .get(
            "operator",
            &format!("/api/funds/{}/cash-flow-projection", other.lp_fund_id),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .put(
            "operator",
            &format!("/api/funds/{}/cash-on-hand", other.open_fund_id),
            &json!({ "amount": "1.00", "asOf": "2026-01-01" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Writing needs an operator: an investor or an auditor is refused.
    for role in ["investor", "auditor"] {
        let r = app
            .put(
                role,
                &format!("/api/funds/{mine}/cash-on-hand"),
                &json!({ "amount": "1.00", "asOf": "2026-01-01" }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role}");
    }
    for path in [
        "/api/forecasts/aggregate",
        "/api/liquidity-plan",
        "/api/forecasts/accuracy",
    ] {
        assert_eq!(
            app.get("investor", path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(
            app.get("auditor", path).await.status(),
            StatusCode::OK,
            "{path}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_stored_forecast_gets_its_error_when_the_actual_distribution_completes() {
    let app = spawn_app(4).await;
    let f = fund(&app, "FC-S", FundKind::OpenEnd).await;
    history(&app, &f, &month_ends("2025-01-31", 12, 1), "0.05").await;
    let path = format!("/api/funds/{f}/distribution-forecasts");
    let (s, stored) = json_of(app.post("operator", &path, &json!({ "horizon": 3 })).await).await;
    assert_eq!(s, StatusCode::CREATED, "{stored}");
    assert_eq!(stored["trigger"], "REQUEST");
    assert_eq!(stored["input"].as_array().unwrap().len(), 12);
    assert_eq!(stored["points"][0]["date"], "2026-01-30");
    assert_eq!(dec(&stored["points"][0]["perUnit"]), Decimal::new(5, 2));
    let model = stored["model"].as_str().unwrap().to_string();
    // The actual: 0.06 per unit, payable on the forecast date, processed for real.
    let created = app
        .create(&json!({
            "fundId": f, "declarationDate": "2026-01-05", "recordDate": "2026-01-15",
            "payableDate": "2026-01-30", "currency": "USD", "description": "January 2026",
            "allocation": { "method": "per_share", "rate": "0.06", "components": { "ordinaryDividend": "1" } }
        }))
        .await;
    app.complete(created["id"].as_str().unwrap()).await;
    let (s, b) = json_of(
        app.get("auditor", &format!("/api/forecasts/accuracy?fundId={f}"))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let rows = b["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{b}");
    assert_eq!(rows[0]["model"], model.as_str());
    assert_eq!(rows[0]["count"], 1);
    // |0.06 − 0.05| / 0.06 = 16.67 %; the error is actual − predicted.
    let mape = rows[0]["mape"].as_f64().unwrap();
    assert!((mape - 100.0 / 6.0).abs() < 1e-9, "{mape}");
    assert!((rows[0]["meanError"].as_f64().unwrap() - 0.01).abs() < 1e-12);
    assert_eq!(rows[0]["periods"][0]["month"], "2026-01");
    // The completion stored a snapshot from the new history (13 actuals).
    let (_, list) = json_of(app.get("operator", &path).await).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["trigger"], "SNAPSHOT");
    assert_eq!(items[0]["input"].as_array().unwrap().len(), 13);
    assert_eq!(items[0]["points"][0]["date"], "2026-02-27");
    app.stop().await;
}

/// Issue 21: a snapshot per completion fitted the fund's whole history each time, O(n²) for
/// a burst of n. Completions processed together (three of one payable date) share one
/// snapshot, which reflects all three, and settle the error of the stored forecast's point.
#[tokio::test]
async fn completions_processed_together_share_one_snapshot_and_settle_the_error() {
    use clearway_core::distribution::Action;
    let mut config = crate::helpers::test_config();
    // One worker runs its claimed jobs in order: the three processing jobs, then the three
    // snapshot jobs, so the first of these finds all three completions waiting.
    config.job_workers = 1;
    let mut app = crate::helpers::spawn_app_with(4, config.clone()).await;
    let f = fund(&app, "FC-B", FundKind::OpenEnd).await;
    history(&app, &f, &month_ends("2025-01-31", 12, 1), "0.05").await;
    let path = format!("/api/funds/{f}/distribution-forecasts");
    let (s, stored) = json_of(app.post("operator", &path, &json!({ "horizon": 3 })).await).await;
    assert_eq!(s, StatusCode::CREATED, "{stored}");
    assert_eq!(stored["points"][0]["date"], "2026-01-30");
    let mut ids = Vec::new();
    for n in 0..3 {
        let created = app
            .create(&json!({
                "fundId": f, "declarationDate": "2026-01-05", "recordDate": "2026-01-15",
                "payableDate": "2026-01-30", "currency": "USD", "description": format!("January part {n}"),
                "allocation": { "method": "per_share", "rate": "0.02", "components": { "ordinaryDividend": "1" } }
            }))
            .await;
        let id = created["id"].as_str().unwrap().to_string();
        for (role, action) in [("operator", "ready"), ("approver", "approve")] {
            let r = app
                .patch(role, &format!("/api/distributions/{id}/{action}"))
                .await;
            assert!(r.status().is_success(), "{action}");
        }
        ids.push(id);
    }
    app.stop_server().await;
    let system = clearway_store::Actor::system(&app.seeded.org_id);
    for id in &ids {
        clearway_app::distributions::lifecycle::transition(&app.db, &system, id, Action::Process)
            .await
            .unwrap();
    }
    app.restart(config).await;
    for id in &ids {
        app.wait_status(id, "COMPLETED").await;
    }
    app.wait_jobs().await;
    let (_, list) = json_of(app.get("operator", &path).await).await;
    let triggers: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["trigger"].as_str().unwrap())
        .collect();
    assert_eq!(
        triggers,
        ["SNAPSHOT", "REQUEST"],
        "one snapshot for the three"
    );
    // The snapshot reflects all three: a forecast asked for now reads the same history.
    let (_, now) = json_of(app.post("operator", &path, &json!({ "horizon": 3 })).await).await;
    assert_eq!(list["items"][0]["input"], now["input"]);
    assert_eq!(list["items"][0]["points"][0]["date"], "2026-02-27");
    let (s, b) = json_of(
        app.get("auditor", &format!("/api/forecasts/accuracy?fundId={f}"))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["rows"][0]["periods"][0]["month"], "2026-01", "{b}");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM forecast_pending")
            .await,
        0,
        "nothing left to do"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'forecast.snapshot' AND status = 'DONE'"
        )
        .await,
        3,
        "each completion's job ran (two found their work taken)"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_liquidity_plan_shows_the_shortfall_against_cash_on_hand() {
    let app = spawn_app(4).await;
    let f = fund(&app, "FC-L", FundKind::OpenEnd).await;
    history(&app, &f, &month_ends("2025-01-31", 12, 1), "0.05").await;
    let cash_path = format!("/api/funds/{f}/cash-on-hand");
    let cash = json!({ "amount": "500.00", "asOf": "2026-01-02" });
    let (s, b) = json_of(app.put("operator", &cash_path, &cash).await).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["amountMinor"], 50000);
    // Setting the same value again is harmless (PUT), and audited each time.
    assert_eq!(
        app.put("operator", &cash_path, &cash).await.status(),
        StatusCode::OK
    );
    let (s, p) = json_of(
        app.get(
            "operator",
            &format!("/api/funds/{f}/liquidity-plan?horizon=3"),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["cashOnHand"]["amount"], "500.00");
    assert_eq!(dec(&p["reinvestShare"]), Decimal::ZERO);
    let rows = p["rows"].as_array().unwrap();
    let cash: Vec<i64> = rows
        .iter()
        .map(|r| r["cashMinor"].as_i64().unwrap())
        .collect();
    let short: Vec<i64> = rows
        .iter()
        .map(|r| r["shortfallMinor"].as_i64().unwrap())
        .collect();
    // 200.00 a month against 500.00: the third month is 100.00 short.
    assert_eq!(cash, [20000, 20000, 20000]);
    assert_eq!(short, [0, 0, 10000]);
    assert_eq!(p["firstShortfall"], "2026-03-31");
    let (_, org) = json_of(app.get("operator", "/api/liquidity-plan?horizon=3").await).await;
    let usd = org["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["currency"] == "USD")
        .unwrap()
        .clone();
    assert!(usd["shortfallMinor"].as_i64().unwrap() >= 10000, "{usd}");
    let (_, agg) = json_of(
        app.get("operator", "/api/forecasts/aggregate?horizon=3")
            .await,
    )
    .await;
    let jan = agg["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == "2026-01")
        .unwrap()
        .clone();
    assert_eq!(jan["totalMinor"], 20000, "{jan}");
    app.stop().await;
}

#[tokio::test]
async fn a_partnership_is_projected_to_the_end_of_its_life() {
    let app = spawn_app(4).await;
    let lp = fund(&app, "FC-LP", FundKind::Partnership).await;
    let inv = &app.seeded.investor_ids;
    let csv = format!(
        "type,investor_id,partner_kind,amount,date,due_date,description,deal\n\
         COMMITMENT,{a},LP,1000000.00,2023-01-02,,,\n\
         COMMITMENT,{b},LP,3000000.00,2023-01-02,,,\n\
         CONTRIBUTION,{a},,250000.00,2023-03-01,,,\n\
         CONTRIBUTION,{b},,750000.00,2023-03-01,,,\n\
         CONTRIBUTION,{a},,250000.00,2024-03-01,,,\n\
         CONTRIBUTION,{b},,750000.00,2024-03-01,,,\n",
        a = inv[0],
        b = inv[1]
    );
    let r = app
        .client
        .post(app.url(&format!("/api/funds/{lp}/capital-activity/import")))
        .bearer_auth(app.token("operator"))
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    // 25.00 per unit on 4,000 units = 100,000.00 at the end of 2025.
    history(&app, &lp, &[d("2025-12-31")], "25").await;
    let (s, b) = json_of(
        app.get(
            "operator",
            &format!("/api/funds/{lp}/cash-flow-projection?lifeYears=10"),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["vintage"], 2023);
    assert_eq!(b["commitmentMinor"], 400_000_000);
    assert_eq!(b["paidInMinor"], 200_000_000);
    assert_eq!(b["distributedMinor"], 10_000_000);
    let years = b["years"].as_array().unwrap();
    let actual: Vec<&Value> = years.iter().filter(|y| y["actual"] == true).collect();
    assert_eq!(actual[0]["contributionsMinor"], 100_000_000);
    assert_eq!(actual[0]["unfundedMinor"], 300_000_000);
    assert_eq!(actual[2]["navMinor"], 190_000_000);
    // Observed contribution rates of the unfunded commitment: 25 %, then 1/3.
    let rates = b["params"]["contributionRates"].as_array().unwrap();
    assert!((rates[0].as_f64().unwrap() - 0.25).abs() < 1e-12);
    assert!((rates[1].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    // Projected to year 10, nothing left unfunded beyond the commitment, never negative.
    assert_eq!(years.last().unwrap()["year"], 10, "{b}");
    for y in years {
        assert!(y["navMinor"].as_i64().unwrap() >= 0, "{y}");
        assert!(y["unfundedMinor"].as_i64().unwrap() >= 0, "{y}");
    }
    app.stop().await;
}
