//! Allocations tie out to the cent over awkward holdings, on every line and component.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::json;

use crate::helpers::{cents, pro_rata, spawn_app};

#[tokio::test]
async fn pro_rata_ties_out_to_the_cent_and_matches_an_independent_computation() {
    let app = spawn_app(257).await;
    let created = app.create(&pro_rata(&app, "1000000.01")).await;
    assert_eq!(created["totalAmount"], "1000000.01");
    assert_eq!(created["lineCount"], 257);
    let id = created["id"].as_str().unwrap();
    let lines = app.all_lines("operator", id).await;
    assert_eq!(lines.len(), 257);
    let total: i64 = lines.iter().map(|l| cents(&l["totalAmount"])).sum();
    assert_eq!(total, 100_000_001);

    // Independent recomputation: exact quotas, floors, then the leftover cents to the largest
    // remainders (ties by investor id).
    let units: Vec<Decimal> = lines
        .iter()
        .map(|l| l["units"].as_str().unwrap().parse().unwrap())
        .collect();
    let sum: Decimal = units.iter().sum();
    let mut expected: Vec<(i64, Decimal, usize)> = units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let quota = Decimal::from(100_000_001i64) * u / sum;
            (quota.floor().try_into().unwrap(), quota - quota.floor(), i)
        })
        .collect();
    let leftover = 100_000_001 - expected.iter().map(|e| e.0).sum::<i64>();
    let mut order: Vec<usize> = (0..expected.len()).collect();
    order.sort_by(|a, b| expected[*b].1.cmp(&expected[*a].1).then(a.cmp(b)));
    for i in order.iter().take(leftover as usize) {
        expected[*i].0 += 1;
    }
    for (line, e) in lines.iter().zip(&expected) {
        assert_eq!(
            cents(&line["totalAmount"]),
            e.0,
            "line of {}",
            line["investorId"]
        );
        // Components tie out per line: 60 % ordinary, 40 % ROC.
        let parts = cents(&line["ordinaryDividend"]) + cents(&line["returnOfCapital"]);
        assert_eq!(parts, cents(&line["totalAmount"]));
        assert_eq!(cents(&line["qualifiedDividend"]), 0);
    }
    // Deterministic: the same request allocates identically.
    let again = app.create(&pro_rata(&app, "1000000.01")).await;
    let lines2 = app
        .all_lines("operator", again["id"].as_str().unwrap())
        .await;
    let amounts = |ls: &[serde_json::Value]| {
        ls.iter()
            .map(|l| (l["investorId"].clone(), l["totalAmount"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(amounts(&lines), amounts(&lines2));
    app.stop().await;
}

#[tokio::test]
async fn per_share_rounds_each_line_half_up_and_explicit_lines_are_kept() {
    let app = spawn_app(40).await;
    let body = json!({
        "fundId": "DEMO-OPEN", "declarationDate": "2026-03-02", "recordDate": "2026-03-16", "payableDate": "2026-03-31",
        "allocation": { "method": "per_share", "rate": "0.0725", "components": { "qualifiedDividend": "0.5", "longTermGain": "0.5" } }
    });
    let created = app.create(&body).await;
    let lines = app
        .all_lines("operator", created["id"].as_str().unwrap())
        .await;
    let mut total = 0;
    for l in &lines {
        let units: Decimal = l["units"].as_str().unwrap().parse().unwrap();
        let expect = (units * Decimal::new(725, 4))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(
            l["totalAmount"]
                .as_str()
                .unwrap()
                .parse::<Decimal>()
                .unwrap(),
            expect
        );
        assert_eq!(
            cents(&l["qualifiedDividend"]) + cents(&l["longTermGain"]),
            cents(&l["totalAmount"])
        );
        total += cents(&l["totalAmount"]);
    }
    assert_eq!(
        cents(&created["totalAmount"]),
        total,
        "header total is the sum of rounded lines"
    );

    let inv = &app.seeded.investor_ids;
    let explicit = json!({
        "fundId": app.seeded.lp_fund_id, "declarationDate": "2026-03-02", "recordDate": "2026-03-16", "payableDate": "2026-03-31",
        "lines": [
            { "investorId": inv[3], "totalAmount": "1234.56", "longTermGain": "1000.00", "returnOfCapital": "234.56" },
            { "investorId": inv[1], "totalAmount": "0.01", "interest": "0.01", "withholding": "0.01" }
        ]
    });
    let created = app.create(&explicit).await;
    assert_eq!(created["totalAmount"], "1234.57");
    let lines = app
        .all_lines("operator", created["id"].as_str().unwrap())
        .await;
    let by_investor: BTreeMap<_, _> = lines
        .iter()
        .map(|l| (l["investorId"].as_str().unwrap().to_string(), l.clone()))
        .collect();
    assert_eq!(by_investor[inv[3].as_str()]["returnOfCapital"], "234.56");
    assert_eq!(by_investor[inv[1].as_str()]["withholding"], "0.01");
    app.stop().await;
}

#[tokio::test]
async fn partnership_pro_rata_uses_ownership_on_the_record_date() {
    let app = spawn_app(30).await;
    let mut body = pro_rata(&app, "250000.00");
    body["fundId"] = json!("DEMO-LP");
    let created = app.create(&body).await;
    let lines = app
        .all_lines("operator", created["id"].as_str().unwrap())
        .await;
    assert_eq!(lines.len(), 30);
    assert_eq!(
        lines.iter().map(|l| cents(&l["totalAmount"])).sum::<i64>(),
        25_000_000
    );
    // Before any holding exists there is nobody to pay: a clear error, nothing written.
    let before = app.snapshot().await;
    let mut early = pro_rata(&app, "100.00");
    early["declarationDate"] = json!("2019-01-01");
    early["recordDate"] = json!("2019-01-15");
    early["payableDate"] = json!("2019-01-31");
    let resp = app.post("operator", "/api/distributions", &early).await;
    assert_eq!(resp.status(), 422);
    let problem: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(problem["field"], "allocation.total");
    assert_eq!(app.snapshot().await, before);
    app.stop().await;
}
