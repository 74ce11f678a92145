//! Schedule K-1 and year-end re-characterization: a partnership year (two LPs and a GP,
//! contributions, income, cash and in-kind distributions, fund items) checked partner by
//! partner against figures written out here; a re-characterization of a distribution to three
//! investors (one whose basis the extra return of capital exceeds) checked on lines, lots and
//! gain; refusals; investors reading only their own K-1.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use clearway_core::distribution::FundKind;
use clearway_core::Currency;
use clearway_store::funds::{self, NewFund};
use clearway_store::reinvestment::{insert_lots, NewLot};
use clearway_store::{new_id, q};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::capital::partnership;
use crate::helpers::{cents, spawn_app, TestApp};

async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
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

async fn created(app: &TestApp, path: &str, body: Value) -> Value {
    let (s, b) = json_of(app.post("operator", path, &body).await).await;
    assert_eq!(s, StatusCode::CREATED, "{path}: {b}");
    b
}

/// A Part III row: ((line, code), cents).
type Part3Row = ((String, String), i64);

/// Part III of a K-1 view as (line, code) → cents.
fn part3(k1: &Value) -> BTreeMap<(String, String), i64> {
    k1["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                (
                    l["line"].as_str().unwrap().to_string(),
                    l["code"].as_str().unwrap().to_string(),
                ),
                cents(&l["amount"]),
            )
        })
        .collect()
}

fn pct(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

/// The partnership year 2025 of the K-1 test: returns (fund, [a, b, gp]) where `a` is the
/// investor user's own investor.
async fn partnership_year(app: &TestApp) -> (String, [String; 3]) {
    let fund = partnership(app, "K1-LP").await;
    let own = app.seeded.investor_user_investor_id.clone();
    let others: Vec<String> = app
        .seeded
        .investor_ids
        .iter()
        .filter(|i| **i != own)
        .cloned()
        .collect();
    let [a, b, gp] = [own, others[0].clone(), others[1].clone()];
    let base = format!("/api/funds/{fund}");
    created(
        app,
        &format!("{base}/commitments"),
        json!({"commitments": [
            {"investorId": a, "kind": "LP", "amount": "300000.00", "date": "2024-06-01"},
            {"investorId": b, "kind": "LP", "amount": "100000.00", "date": "2024-06-01"},
            {"investorId": gp, "kind": "GP", "amount": "100000.00", "date": "2025-03-01"},
        ]}),
    )
    .await;
    created(
        app,
        &format!("{base}/contributions"),
        json!({"contributions": [
            {"investorId": a, "date": "2024-07-01", "amount": "150000.00"},
            {"investorId": b, "date": "2024-07-01", "amount": "50000.00"},
            {"investorId": gp, "date": "2025-03-15", "amount": "50000.00"},
        ]}),
    )
    .await;
    // Allocated by ownership on 2025-04-01 (commitments 60/20/20).
    created(app, &format!("{base}/income"), json!({
        "periodStart": "2025-04-01", "periodEnd": "2025-06-30", "kind": "INCOME", "amount": "10000.00", "description": "Q2"
    })).await;
    let cash = app.create(&json!({
        "fundId": fund, "declarationDate": "2025-09-01", "recordDate": "2025-09-15", "payableDate": "2025-09-30",
        "lines": [
            { "investorId": a, "totalAmount": "3000.00", "returnOfCapital": "3000.00" },
            { "investorId": b, "totalAmount": "1000.00", "returnOfCapital": "1000.00" },
            { "investorId": gp, "totalAmount": "1000.00", "returnOfCapital": "1000.00" },
        ]
    })).await;
    app.complete(cash["id"].as_str().unwrap()).await;
    // The in-kind distribution: its lines carry the cash in lieu, the property is recorded
    // per recipient in in_kind_lines (what the in-kind service writes).
    let in_kind = app.create(&json!({
        "fundId": fund, "declarationDate": "2025-11-01", "recordDate": "2025-11-14", "payableDate": "2025-11-28",
        "lines": [
            { "investorId": a, "totalAmount": "10.00", "returnOfCapital": "10.00" },
            { "investorId": b, "totalAmount": "5.00", "returnOfCapital": "5.00" },
        ]
    })).await;
    let in_kind_id = in_kind["id"].as_str().unwrap().to_string();
    app.complete(&in_kind_id).await;
    let security = created(
        app,
        "/api/securities",
        json!({ "name": "Acme common K1", "identifierType": "CUSIP", "identifier": "037833100" }),
    )
    .await;
    let mut tx = app.db.begin().await.unwrap();
    for (investor, units, property, lieu) in [(&a, 12, 120_000, 1_000), (&b, 4, 40_000, 500)] {
        tx.execute(
                q("INSERT INTO in_kind_lines (distribution_id, org_id, investor_id, security_id, units, value_per_unit, property_minor, cash_in_lieu_minor) VALUES ($1, $2, $3, $4, $5, '100', $6, $7)")
                    .bind(in_kind_id.clone())
                    .bind(app.seeded.org_id.clone())
                    .bind(investor.clone())
                    .bind(security["id"].as_str().unwrap().to_string())
                    .bind(units as i64)
                    .bind(property as i64)
                    .bind(lieu as i64),
            )
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    for (line, code, amount) in [
        ("5", "", "1000.00"),
        ("6a", "", "3000.00"),
        ("6b", "", "2000.00"),
        ("9a", "", "5000.01"),
        ("13", "H", "300.00"),
        ("20", "A", "1500.00"),
    ] {
        created(app, &format!("{base}/k1-items"), json!({
            "taxYear": 2025, "line": line, "code": code, "amount": amount, "description": format!("line {line}")
        })).await;
    }
    (fund, [a, b, gp])
}

#[tokio::test]
async fn k1_per_partner_matches_hand_figures() {
    let app = spawn_app(4).await;
    let (fund, [a, b, gp]) = partnership_year(&app).await;

    let (s, all) = json_of(
        app.get("operator", &format!("/api/funds/{fund}/k1/2025"))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{all}");
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let by: BTreeMap<String, Value> = items
        .iter()
        .map(|k| (k["investorId"].as_str().unwrap().to_string(), k.clone()))
        .collect();
    let line = |l: &str, c: &str| (l.to_string(), c.to_string());
    // End-of-year profit shares 60/20/20; 9a's odd cent to the largest remainder (a).
    let expected: [(&String, Vec<Part3Row>); 3] = [
        (
            &a,
            vec![
                (line("5", ""), 60_000),
                (line("6a", ""), 180_000),
                (line("6b", ""), 120_000),
                (line("9a", ""), 300_001),
                (line("13", "H"), 18_000),
                (line("19A", ""), 301_000),
                (line("19C", ""), 120_000),
                (line("20", "A"), 90_000),
            ],
        ),
        (
            &b,
            vec![
                (line("5", ""), 20_000),
                (line("6a", ""), 60_000),
                (line("6b", ""), 40_000),
                (line("9a", ""), 100_000),
                (line("13", "H"), 6_000),
                (line("19A", ""), 100_500),
                (line("19C", ""), 40_000),
                (line("20", "A"), 30_000),
            ],
        ),
        (
            &gp,
            vec![
                (line("5", ""), 20_000),
                (line("6a", ""), 60_000),
                (line("6b", ""), 40_000),
                (line("9a", ""), 100_000),
                (line("13", "H"), 6_000),
                (line("19A", ""), 100_000),
                (line("20", "A"), 30_000),
            ],
        ),
    ];
    for (investor, lines) in &expected {
        let got = part3(&by[*investor]);
        let want: BTreeMap<(String, String), i64> = lines.iter().cloned().collect();
        assert_eq!(got, want, "partner {investor}");
    }
    // Partners' amounts of each fund item sum to it exactly.
    for (l, c, fund_cents) in [
        ("5", "", 100_000),
        ("6a", "", 300_000),
        ("6b", "", 200_000),
        ("9a", "", 500_001),
        ("13", "H", 30_000),
        ("20", "A", 150_000),
    ] {
        let sum: i64 = by
            .values()
            .map(|k| part3(k).get(&line(l, c)).copied().unwrap_or(0))
            .sum();
        assert_eq!(sum, fund_cents, "line {l}{c}");
    }
    // Item L: 2025 capital accounts.
    for (investor, [beginning, contributed, income, withdrawals, ending]) in [
        (&a, ["150000.00", "0.00", "6000.00", "4210.00", "151790.00"]),
        (&b, ["50000.00", "0.00", "2000.00", "1405.00", "50595.00"]),
        (&gp, ["0.00", "50000.00", "2000.00", "1000.00", "51000.00"]),
    ] {
        let l = &by[investor]["itemL"];
        assert_eq!(
            [
                &l["beginning"],
                &l["contributed"],
                &l["netIncome"],
                &l["other"],
                &l["withdrawalsDistributions"],
                &l["ending"]
            ],
            [beginning, contributed, income, "0.00", withdrawals, ending],
            "item L of {investor}"
        );
    }
    // Item J: profit and loss by commitments at 2024-12-31 and 2025-12-31; capital by
    // capital accounts (end: 151790 / 50595 / 51000 of 253385).
    let end_total = Decimal::from(25_338_500);
    for (investor, begin, end, cap_begin, cap_end_cents) in [
        (&a, 75, 60, 75, 15_179_000),
        (&b, 25, 20, 25, 5_059_500),
        (&gp, 0, 20, 0, 5_100_000),
    ] {
        let j = &by[investor]["itemJ"];
        assert_eq!(
            pct(&j["profitBeginning"]),
            Decimal::from(begin),
            "{investor}"
        );
        assert_eq!(pct(&j["lossBeginning"]), Decimal::from(begin), "{investor}");
        assert_eq!(pct(&j["profitEnding"]), Decimal::from(end), "{investor}");
        assert_eq!(pct(&j["lossEnding"]), Decimal::from(end), "{investor}");
        assert_eq!(
            pct(&j["capitalBeginning"]),
            Decimal::from(cap_begin),
            "{investor}"
        );
        let cap_end = (Decimal::from(cap_end_cents) * Decimal::from(100) / end_total).round_dp(6);
        assert_eq!(pct(&j["capitalEnding"]), cap_end, "{investor}");
    }
    // Written out: 59.9048878… rounds to 59.904888 (6 places).
    assert_eq!(
        pct(&by[&a]["itemJ"]["capitalEnding"]),
        "59.904888".parse::<Decimal>().unwrap()
    );

    // The partner's own K-1: live for an open year.
    let (s, own) = json_of(
        app.get("investor", &format!("/api/investors/{a}/k1/2025/{fund}"))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{own}");
    assert_eq!(own["final"], false);
    assert_eq!(part3(&own), part3(&by[&a]));
    assert_eq!(own["itemJ"], by[&a]["itemJ"]);
    let (s, _) = json_of(
        app.get("investor", &format!("/api/investors/{b}/k1/2025/{fund}"))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another investor's K-1");
    let export = app
        .get(
            "operator",
            &format!("/api/investors/{b}/k1/2025/{fund}/export?format=json"),
        )
        .await;
    assert_eq!(export.status(), StatusCode::OK);
    let doc: Value = export.json().await.unwrap();
    assert_eq!(part3(&doc), part3(&by[&b]));
    // The form itself: a PDF whose text carries the partner's Part III amounts, and a workbook.
    let pdf = app
        .get(
            "operator",
            &format!("/api/investors/{b}/k1/2025/{fund}/export?format=pdf"),
        )
        .await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let path = std::env::temp_dir().join(format!("k1-{}.pdf", uuid::Uuid::now_v7()));
    std::fs::write(&path, &bytes).unwrap();
    let text = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) runs");
    std::fs::remove_file(&path).ok();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Schedule K-1"), "{text}");
    for line in doc["lines"].as_array().unwrap() {
        let amount = line["amount"].as_str().unwrap().trim_start_matches('-');
        let (int, frac) = amount.split_once('.').unwrap_or((amount, "00"));
        let grouped: String = {
            let digits: Vec<char> = int.chars().collect();
            let mut out = String::new();
            for (i, c) in digits.iter().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(*c);
            }
            out
        };
        assert!(
            text.contains(&format!("{grouped}.{frac}")) || text.contains(&format!("{int}.{frac}")),
            "K-1 PDF shows line {} amount {amount}: {text}",
            line["line"]
        );
    }
    let xlsx = app
        .get(
            "operator",
            &format!("/api/investors/{b}/k1/2025/{fund}/export?format=xlsx"),
        )
        .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    let bad = app
        .get(
            "operator",
            &format!("/api/investors/{b}/k1/2025/{fund}/export?format=doc"),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let stranger = app
        .seed_another_org(1, &format!("K1 other {}", uuid::Uuid::now_v7()))
        .await;
    let resp = reqwest::Client::new()
        .get(app.url(&format!("/api/investors/{a}/k1/2025/{fund}")))
        .bearer_auth(&stranger.tokens.operator)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "another organization");

    // Closing the year: every partner's K-1 issued once, then shown as the issued form.
    let mut admin = app.operator();
    admin.role = clearway_core::access::Role::Admin;
    admin.user_id = app.seeded.user_ids["admin"].clone();
    let mut tx = app.db.begin().await.unwrap();
    clearway_store::tax::years::close_tx(&mut tx, &admin, 2025)
        .await
        .unwrap();
    let first = clearway_app::tax::k1::issue_all(&mut tx, &app.operator(), &fund, 2025)
        .await
        .unwrap();
    let again = clearway_app::tax::k1::issue_all(&mut tx, &app.operator(), &fund, 2025)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((first, again), ((3, 0), (0, 3)));
    let (s, issued) = json_of(
        app.get("investor", &format!("/api/investors/{a}/k1/2025/{fund}"))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{issued}");
    assert_eq!(
        (&issued["final"], &issued["seq"], &issued["corrected"]),
        (&json!(true), &json!(1), &json!(false))
    );
    assert_eq!(part3(&issued), part3(&by[&a]));
    assert_eq!(issued["itemL"], by[&a]["itemL"]);
    // The fund's list of a closed year shows the issued forms too (it said `final: false`).
    let (s, list) = json_of(
        app.get("operator", &format!("/api/funds/{fund}/k1/2025"))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let flags: Vec<(Value, Value)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["final"].clone(), k["seq"].clone()))
        .collect();
    assert_eq!(flags, vec![(json!(true), json!(1)); 3]);
    app.stop().await;
}

#[tokio::test]
async fn k1_items_refusals_and_closed_year() {
    let app = spawn_app(3).await;
    let fund = partnership(&app, "K1-REF").await;
    let path = format!("/api/funds/{fund}/k1-items");
    let count = || app.count("SELECT COUNT(*) AS n FROM k1_fund_items");
    for (body, field) in [
        (
            json!({"taxYear": 2025, "line": "19A", "code": "", "amount": "1.00"}),
            "line",
        ),
        (
            json!({"taxYear": 2025, "line": "7", "code": "", "amount": "1.00"}),
            "line",
        ),
        (
            json!({"taxYear": 2025, "line": "11", "code": "", "amount": "1.00"}),
            "code",
        ),
        (
            json!({"taxYear": 2025, "line": "11", "code": "ABC", "amount": "1.00"}),
            "code",
        ),
        (
            json!({"taxYear": 2025, "line": "20", "code": "a", "amount": "1.00"}),
            "code",
        ),
        (
            json!({"taxYear": 2025, "line": "5", "code": "A", "amount": "1.00"}),
            "code",
        ),
        (
            json!({"taxYear": 2025, "line": "5", "code": "", "amount": "0"}),
            "amount",
        ),
        (
            json!({"taxYear": 2025, "line": "5", "code": "", "amount": "1.001"}),
            "amount",
        ),
        (
            json!({"taxYear": 1800, "line": "5", "code": "", "amount": "1.00"}),
            "taxYear",
        ),
        (
            json!({"taxYear": 2025, "line": "6b", "code": "", "amount": "1.00"}),
            "amount",
        ),
    ] {
        let (s, b) = json_of(app.post("operator", &path, &body).await).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert_eq!(fields(&b), vec![field.to_string()], "{body}");
    }
    assert_eq!(count().await, 0, "nothing written");
    // Open-end fund: 422 fundId; investors: 403 before validation, 404 on reads.
    let open = format!("/api/funds/{}/k1-items", app.seeded.open_fund_id);
    let (s, b) = json_of(
        app.post(
            "operator",
            &open,
            &json!({"taxYear": 2025, "line": "5", "amount": "1.00"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, fields(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["fundId".to_string()])
    );
    let (s, _) = json_of(
        app.post(
            "investor",
            &path,
            &json!({"taxYear": 1, "line": "x", "amount": "y"}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = json_of(app.get("investor", &path).await).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let six_a = created(
        &app,
        &path,
        json!({"taxYear": 2025, "line": "6a", "amount": "100.00", "description": "Dividends"}),
    )
    .await;
    assert_eq!(
        (six_a["amount"].as_str(), six_a["code"].as_str()),
        (Some("100.00"), Some(""))
    );
    let six_b = created(
        &app,
        &path,
        json!({"taxYear": 2025, "line": "6b", "amount": "100.00"}),
    )
    .await;
    let (s, b) = json_of(
        app.post(
            "operator",
            &path,
            &json!({"taxYear": 2025, "line": "6b", "amount": "0.01"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, fields(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["amount".to_string()])
    );
    created(
        &app,
        &path,
        json!({"taxYear": 2025, "line": "11", "code": "ZZ", "amount": "-5.00"}),
    )
    .await;
    let (s, page) = json_of(
        app.get("operator", &format!("{path}?taxYear=2025&limit=2"))
            .await,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["nextCursor"].as_str().unwrap().to_string();
    let (_, rest) = json_of(
        app.get(
            "operator",
            &format!("{path}?taxYear=2025&limit=2&cursor={cursor}"),
        )
        .await,
    )
    .await;
    assert_eq!(rest["items"][0]["line"], "11");
    assert_eq!(rest["items"][0]["amount"], "-5.00");
    // Deleting 6a would leave 6b above it.
    let a_id = six_a["id"].as_str().unwrap();
    let resp = app
        .client
        .delete(app.url(&format!("{path}/{a_id}")))
        .bearer_auth(app.token("operator"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let b_id = six_b["id"].as_str().unwrap();
    let resp = app
        .client
        .delete(app.url(&format!("{path}/{b_id}")))
        .bearer_auth(app.token("operator"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(count().await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE 'k1_item.%'")
            .await,
        4
    );

    // A closed year refuses changes; its K-1s are issued by issue_all, then shown final.
    let mut tx = app.db.begin().await.unwrap();
    let mut admin = app.operator();
    admin.role = clearway_core::access::Role::Admin;
    admin.user_id = app.seeded.user_ids["admin"].clone();
    clearway_store::tax::years::close_tx(&mut tx, &admin, 2025)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (s, b) = json_of(
        app.post(
            "operator",
            &path,
            &json!({"taxYear": 2025, "line": "5", "amount": "1.00"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, fields(&b)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["taxYear".to_string()]
        )
    );
    let mut tx = app.db.begin().await.unwrap();
    let open_year = clearway_app::tax::k1::issue_all(&mut tx, &app.operator(), &fund, 2026).await;
    assert!(open_year.is_err(), "an open year issues nothing");
    drop(tx);
    app.stop().await;
}

/// An open-end fund with one lot per investor (acquired 2025-01-10) of the given cost.
async fn open_fund_with_lots(app: &TestApp, investors: &[(&String, i64)]) -> String {
    let mut tx = app.db.begin().await.unwrap();
    let nf = NewFund {
        code: "RC-OPEN",
        name: "Re-characterization test fund",
        kind: FundKind::OpenEnd,
        currency: Currency::parse("USD").unwrap(),
        share_precision: 6,
    };
    let actor = app.operator();
    let fund = funds::create_fund(&mut tx, &actor, &nf).await.unwrap();
    let lots: Vec<NewLot> = investors
        .iter()
        .map(|(investor, cost)| NewLot {
            id: new_id(),
            fund_id: fund.clone(),
            investor_id: (*investor).clone(),
            acquired_on: NaiveDate::from_ymd_opt(2025, 1, 10).unwrap(),
            source: "OPENING",
            source_distribution_id: None,
            shares: Decimal::from(100),
            cost_minor: *cost,
        })
        .collect();
    insert_lots(&mut tx, &actor, &lots).await.unwrap();
    for (investor, _) in investors {
        tx.execute(
            q("INSERT INTO holdings (org_id, fund_id, share_class, investor_id, as_of, units) VALUES ($1, $2, 'DEFAULT', $3, '2025-01-10', '100')")
                .bind(actor.org_id.clone())
                .bind(fund.clone())
                .bind((*investor).clone()),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    fund
}

async fn lot_basis(app: &TestApp, fund: &str, investor: &str) -> i64 {
    app.db
        .fetch_optional(
            q("SELECT CAST(SUM(basis_minor) AS BIGINT) AS n FROM position_lots WHERE fund_id = $1 AND investor_id = $2 AND status = 'OPEN'")
                .bind(fund.to_string())
                .bind(investor.to_string()),
        )
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

async fn gain(app: &TestApp, investor: &str, distribution: &str) -> i64 {
    app.db
        .fetch_optional(
            q("SELECT CAST(COALESCE(SUM(gain_minor), 0) AS BIGINT) AS n FROM roc_gains WHERE investor_id = $1 AND roc_distribution_id = $2")
                .bind(investor.to_string())
                .bind(distribution.to_string()),
        )
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

#[tokio::test]
async fn recharacterization_resplits_lines_and_lots() {
    let app = spawn_app(3).await;
    let inv = app.seeded.investor_ids.clone();
    let (a, b, c) = (&inv[0], &inv[1], &inv[2]);
    // c's lot cost 20.00: the extra return of capital goes beyond its basis.
    let fund = open_fund_with_lots(&app, &[(a, 1_000_000), (b, 500_000), (c, 2_000)]).await;
    let d = app.create(&json!({
        "fundId": fund, "declarationDate": "2025-06-02", "recordDate": "2025-06-16", "payableDate": "2025-06-30",
        "lines": [
            { "investorId": a, "totalAmount": "1000.00", "ordinaryDividend": "800.00", "returnOfCapital": "200.00" },
            { "investorId": b, "totalAmount": "500.00", "ordinaryDividend": "400.00", "returnOfCapital": "100.00" },
            { "investorId": c, "totalAmount": "100.00", "ordinaryDividend": "80.00", "returnOfCapital": "20.00" },
        ]
    })).await;
    let id = d["id"].as_str().unwrap().to_string();
    app.complete(&id).await;
    // Processing took the ROC off the lots: 9,800.00 / 4,900.00 / 0.00, no gain.
    assert_eq!(lot_basis(&app, &fund, a).await, 980_000);
    assert_eq!(lot_basis(&app, &fund, c).await, 0);
    let path = format!("/api/distributions/{id}/recharacterization");
    let body = |ordinary: &str| {
        json!({"components": {"ordinaryDividend": ordinary, "qualifiedDividend": "0", "shortTermGain": "0",
            "longTermGain": "160.00", "returnOfCapital": "640.00", "interest": "0"}, "reason": "Form 8937 of 2026-01-20"})
    };
    let (s, bad) = json_of(app.post("operator", &path, &body("800.01")).await).await;
    assert_eq!(
        (s, fields(&bad)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["components".to_string()]
        ),
        "{bad}"
    );
    let (s, _) = json_of(app.post("investor", &path, &body("800.01")).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "permission before validation");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM recharacterizations")
            .await,
        0
    );

    let (s, done) = json_of(app.post("operator", &path, &body("800.00")).await).await;
    assert_eq!(s, StatusCode::CREATED, "{done}");
    // Final character 50 % ordinary, 10 % long-term gain, 40 % return of capital, per line.
    let lines: BTreeMap<String, Value> = done["lines"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["investorId"].as_str().unwrap().to_string(), l.clone()))
        .collect();
    for (investor, [ord, lt, roc], old_roc) in [
        (a, ["500.00", "100.00", "400.00"], "200.00"),
        (b, ["250.00", "50.00", "200.00"], "100.00"),
        (c, ["50.00", "10.00", "40.00"], "20.00"),
    ] {
        let after = &lines[investor]["after"];
        assert_eq!(
            [
                &after["ordinaryDividend"],
                &after["longTermGain"],
                &after["returnOfCapital"]
            ],
            [ord, lt, roc]
        );
        assert_eq!(lines[investor]["before"]["returnOfCapital"], old_roc);
    }
    let stored = app.all_lines("operator", &id).await;
    let a_line = stored
        .iter()
        .find(|l| l["investorId"] == a.as_str())
        .unwrap();
    assert_eq!(cents(&a_line["returnOfCapital"]), 40_000, "{a_line}");
    // Lots: a and b lose the extra ROC from basis; c's 20.00 basis given back covers 20.00
    // of the new 40.00, the other 20.00 is gain.
    assert_eq!(lot_basis(&app, &fund, a).await, 960_000);
    assert_eq!(lot_basis(&app, &fund, b).await, 480_000);
    assert_eq!(lot_basis(&app, &fund, c).await, 0);
    assert_eq!(gain(&app, c, &id).await, 2_000);
    assert_eq!(gain(&app, a, &id).await, 0);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'distribution.recharacterized'"
        )
        .await,
        1
    );

    let (s, again) = json_of(app.post("operator", &path, &body("800.00")).await).await;
    assert_eq!(s, StatusCode::CONFLICT, "{again}");
    let (s, shown) = json_of(app.get("operator", &format!("{path}?limit=2")).await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(shown["totals"]["returnOfCapital"], "640.00");
    assert_eq!(shown["lines"]["items"].as_array().unwrap().len(), 2);
    assert!(shown["lines"]["nextCursor"].is_string());
    let (s, _) = json_of(app.get("investor", &path).await).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn k1_and_recharacterization_pages() {
    let app = spawn_app(4).await;
    let (fund, [a, _, _]) = partnership_year(&app).await;
    let mut web = app.sign_in("operator").await;
    let page = web.get(&format!("/funds/{fund}/k1/2025")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("5000.01"), "the 9a item is listed");
    assert!(page
        .body
        .contains(&format!("/api/investors/{a}/k1/2025/{fund}/export")));
    let bad = web
        .post(
            &format!("/funds/{fund}/k1/2025"),
            &[
                ("line", "11"),
                ("code", ""),
                ("amount", "5.00"),
                ("description", "x"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"err-code\""), "{}", bad.body);
    let ok = web
        .post(
            &format!("/funds/{fund}/k1/2025"),
            &[
                ("line", "21"),
                ("code", ""),
                ("amount", "77.77"),
                ("description", "Foreign tax"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(web
        .get(&format!("/funds/{fund}/k1/2025"))
        .await
        .body
        .contains("77.77"));

    let inv = app.seeded.investor_ids.clone();
    let open = open_fund_with_lots(&app, &[(&inv[0], 100_000), (&inv[1], 100_000)]).await;
    let d = app.create(&json!({
        "fundId": open, "declarationDate": "2025-06-02", "recordDate": "2025-06-16", "payableDate": "2025-06-30",
        "lines": [
            { "investorId": inv[0], "totalAmount": "100.00", "ordinaryDividend": "100.00" },
            { "investorId": inv[1], "totalAmount": "50.00", "ordinaryDividend": "50.00" },
        ]
    })).await;
    let id = d["id"].as_str().unwrap().to_string();
    app.complete(&id).await;
    let path = format!("/distributions/{id}/recharacterize");
    let form = web.get(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(
        form.body.contains("(now 150.00)"),
        "current ordinary total shown"
    );
    let fields = |ord: &'static str| {
        [
            ("ordinary_dividend", ord),
            ("qualified_dividend", "0"),
            ("short_term_gain", "0"),
            ("long_term_gain", "0"),
            ("return_of_capital", "30.00"),
            ("interest", "0"),
            ("reason", "Form 8937"),
        ]
    };
    let bad = web.post(&path, &fields("100.00")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("role=\"alert\""));
    let ok = web.post(&path, &fields("120.00")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let done = web.get(&path).await;
    assert!(
        done.body.contains("Re-characterized") && done.body.contains("20.00"),
        "{}",
        done.body
    );
    app.stop().await;
}
