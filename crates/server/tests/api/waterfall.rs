//! Waterfalls through the API: the worked European example of docs/private-funds.md
//! ("API example") computed by hand, declared as a distribution and paid; prior distributions
//! counted by later runs; clawback; refusals that write nothing; staff only.

use clearway_app::capital::{self, Batch, CommitmentInput, ContributionInput};
use clearway_core::distribution::FundKind;
use clearway_core::Currency;
use clearway_store::funds::{self, NewFund};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::web_client::Web;

/// A partnership WF-EU: LP A 550,000, LP B 350,000 and the GP G 100,000 (an LP interest too),
/// all contributed on 2024-01-01. Returns (fund id, [A, B, G]).
pub(crate) async fn fund(app: &TestApp) -> (String, [String; 3]) {
    let actor = app.operator();
    let ids = &app.seeded.investor_ids;
    let partners = [ids[0].clone(), ids[1].clone(), ids[2].clone()];
    let mut tx = app.db.begin().await.unwrap();
    let fund_id = funds::create_fund(
        &mut tx,
        &actor,
        &NewFund {
            code: "WF-EU",
            name: "Waterfall Example LP",
            kind: FundKind::Partnership,
            currency: Currency::USD,
            share_precision: 6,
        },
    )
    .await
    .unwrap();
    let amounts = ["550000.00", "350000.00", "100000.00"];
    let batch = Batch {
        commitments: (0..3)
            .map(|i| CommitmentInput {
                at: format!("commitments[{i}]"),
                investor_id: partners[i].clone(),
                kind: if i == 2 { "GP" } else { "LP" }.into(),
                amount: amounts[i].into(),
                date: "2023-12-01".into(),
            })
            .collect(),
        calls: vec![],
        contributions: (0..3)
            .map(|i| ContributionInput {
                at: format!("contributions[{i}]"),
                investor_id: partners[i].clone(),
                date: "2024-01-01".into(),
                amount: amounts[i].into(),
                deal: None,
                call_id: None,
            })
            .collect(),
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    capital::record_batch(&mut tx, &actor, &fund_id, &batch, today, "capital.record")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (fund_id, partners)
}

fn terms() -> Value {
    json!({
        "style": "EUROPEAN",
        "tiers": [
            { "kind": "RETURN_OF_CAPITAL" },
            { "kind": "PREFERRED_RETURN", "rate": "0.08", "compounding": "SIMPLE", "dayCount": "ACT_365" },
            { "kind": "CATCH_UP", "gpPercentage": "1.00", "targetGpShare": "0.20" },
            { "kind": "CARRIED_INTEREST", "gpPercentage": "0.20" }
        ],
        "clawbackTaxOffset": "0.40"
    })
}

fn row<'a>(view: &'a Value, investor: &str) -> &'a Value {
    view["investors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["investorId"] == investor)
        .unwrap_or_else(|| panic!("no row for {investor} in {view}"))
}

async fn json_of(resp: reqwest::Response, status: StatusCode) -> Value {
    let got = resp.status();
    let body = resp.text().await.unwrap();
    assert_eq!(got, status, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn the_worked_example_is_computed_declared_paid_and_counted_by_the_next_run() {
    let app = spawn_app(5).await;
    let (fund_id, [a, b, g]) = fund(&app).await;
    let base = format!("/api/funds/{fund_id}/waterfall");

    // No terms yet: a run is a conflict that says what to do.
    let resp = app
        .post(
            "operator",
            &format!("{base}/hypothetical"),
            &json!({ "amount": "1500000.00", "date": "2025-01-01" }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    let set = json_of(app.put("operator", &base, &terms()).await, StatusCode::OK).await;
    assert_eq!(set["version"], 1);
    assert_eq!(set["terms"]["tiers"][2]["gpPercentage"], "1.00");

    // 1,500,000 on 2025-01-01, 366 days after the contributions (2024 is a leap year).
    let hypo = json!({ "amount": "1500000.00", "date": "2025-01-01" });
    let before = app.snapshot().await;
    let view = json_of(
        app.post("operator", &format!("{base}/hypothetical"), &hypo)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        app.snapshot().await,
        before,
        "a hypothetical writes nothing"
    );
    let tiers: Vec<(&str, &str)> = view["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap(),
                t["allocated"].as_str().unwrap(),
            )
        })
        .collect();
    // Pref: 1,000,000 × 8 % × 366/365 = 80,219.178… → 80,219.18. Catch-up: 20 % / 80 % of
    // it = 20,054.795 → 20,054.80. Carry: the rest, 399,726.02.
    assert_eq!(
        tiers,
        [
            ("RETURN_OF_CAPITAL", "1000000.00"),
            ("PREFERRED_RETURN", "80219.18"),
            ("CATCH_UP", "20054.80"),
            ("CARRIED_INTEREST", "399726.02"),
        ]
    );
    let expect = [
        (
            &a,
            ["550000.00", "44120.55", "0.00", "175879.45", "770000.00"],
        ),
        (
            &b,
            ["350000.00", "28076.71", "0.00", "111923.29", "490000.00"],
        ),
        (
            &g,
            ["100000.00", "8021.92", "20054.80", "111923.28", "240000.00"],
        ),
    ];
    for (who, [roc, pref, cu, carry, total]) in expect {
        let r = row(&view, who);
        assert_eq!(
            [
                &r["returnOfCapital"],
                &r["preferredReturn"],
                &r["catchUp"],
                &r["carriedInterest"],
                &r["total"]
            ],
            [roc, pref, cu, carry, total],
            "{who}"
        );
    }

    // Declared as a distribution: the same lines, return of capital kept as such.
    let declare = json!({
        "amount": "1500000.00", "declarationDate": "2024-12-16", "recordDate": "2024-12-31",
        "payableDate": "2025-01-01", "description": "Exit of Alpha Co"
    });
    let created = json_of(
        app.post_with_key(
            "operator",
            &format!("{base}/distributions"),
            "wf-1",
            &declare,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["distribution"]["id"].as_str().unwrap().to_string();
    assert_eq!(created["distribution"]["status"], "DRAFT");
    assert_eq!(created["distribution"]["totalAmount"], "1500000.00");
    // The same key and body replays; the same key with another body is refused.
    let again = json_of(
        app.post_with_key(
            "operator",
            &format!("{base}/distributions"),
            "wf-1",
            &declare,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(again["distribution"]["id"], id.as_str());
    let lines = app.all_lines("operator", &id).await;
    let line_a = lines
        .iter()
        .find(|l| l["investorId"] == a.as_str())
        .unwrap();
    assert_eq!(line_a["totalAmount"], "770000.00");
    assert_eq!(line_a["returnOfCapital"], "550000.00");
    assert_eq!(line_a["longTermGain"], "220000.00");
    let run = json_of(
        app.get("auditor", &format!("/api/distributions/{id}/waterfall"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(run["proceeds"], "1500000.00");
    assert_eq!(run["lines"].as_array().unwrap().len(), 3);

    // A waterfall distribution is derived: never edited by hand.
    let resp = app
        .put(
            "operator",
            &format!("/api/distributions/{id}/lines/{a}"),
            &json!({ "totalAmount": "1.00", "longTermGain": "1.00" }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    // The next run counts it (even before it is paid): capital and pref are met, the GP has
    // its 20 %, so 100,000 more is split 20 / 80.
    let next = json_of(
        app.post(
            "operator",
            &format!("{base}/hypothetical"),
            &json!({ "amount": "100000.00", "date": "2025-07-01" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(row(&next, &a)["total"], "44000.00");
    assert_eq!(row(&next, &b)["total"], "28000.00");
    assert_eq!(row(&next, &g)["total"], "28000.00");
    assert_eq!(row(&next, &a)["returnOfCapital"], "0.00");

    // Approve → process → pay, the normal path.
    let done = app.complete(&id).await;
    assert_eq!(done["status"], "COMPLETED");

    // The clawback: what the GP got is what it is entitled to.
    let claw = json_of(
        app.get("operator", &format!("{base}/clawback?asOf=2025-06-30"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(claw["carryReceived"], "100000.00");
    assert_eq!(claw["carryEntitled"], "100000.00");
    assert_eq!(claw["clawback"], "0.00");

    // A's line reversed: the reversal nets it away, so A's capital is unreturned again and the
    // next run pays it back first.
    let rev = app
        .post_with_key(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            "wf-rev",
            &json!({ "reason": "wrong partner record", "investorIds": [a] }),
        )
        .await;
    assert_eq!(
        rev.status(),
        StatusCode::CREATED,
        "{}",
        rev.text().await.unwrap()
    );
    let after = json_of(
        app.post(
            "operator",
            &format!("{base}/hypothetical"),
            &json!({ "amount": "100000.00", "date": "2030-12-31" }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(row(&after, &a)["returnOfCapital"], "100000.00");
    assert_eq!(row(&after, &b)["total"], "0.00");
    assert_eq!(row(&after, &g)["total"], "0.00");
    app.stop().await;
}

#[tokio::test]
async fn bad_terms_and_runs_name_their_fields_and_write_nothing() {
    let app = spawn_app(3).await;
    let (fund_id, _) = fund(&app).await;
    let base = format!("/api/funds/{fund_id}/waterfall");
    let before = app.snapshot().await;
    let mut bad = terms();
    // Out of order, a negative rate, a catch-up target unlike the carry.
    bad["tiers"] = json!([
        { "kind": "PREFERRED_RETURN", "rate": "-0.08" },
        { "kind": "RETURN_OF_CAPITAL" },
        { "kind": "CATCH_UP", "gpPercentage": "1.00", "targetGpShare": "0.25" },
        { "kind": "CARRIED_INTEREST", "gpPercentage": "0.20" }
    ]);
    let resp = app.put("operator", &base, &bad).await;
    let problem = json_of(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.iter().any(|f| f.starts_with("tiers[0]")),
        "{fields:?}"
    );
    assert!(
        fields.iter().any(|f| f.starts_with("tiers[2]")),
        "{fields:?}"
    );
    // A catch-up with no carry tier.
    let mut no_carry = terms();
    no_carry["tiers"].as_array_mut().unwrap().pop();
    let resp = app.put("operator", &base, &no_carry).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Unknown fields are refused.
    let mut extra = terms();
    extra["hurdle"] = json!("0.08");
    let resp = app.put("operator", &base, &extra).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.snapshot().await, before, "refused terms write nothing");

    app.put("operator", &base, &terms()).await;
    let before = app.snapshot().await;
    let resp = app
        .post(
            "operator",
            &format!("{base}/distributions"),
            &json!({
                "amount": "-5", "declarationDate": "2025-01-10", "recordDate": "2025-01-05",
                "payableDate": "2025-01-20", "description": "", "profitCharacter": "returnOfCapital"
            }),
        )
        .await;
    let problem = json_of(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["amount", "description", "profitCharacter", "recordDate"]
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused declaration writes nothing"
    );

    // Open-end funds have no waterfall.
    let open = &app.seeded.open_fund_id;
    let resp = app
        .put(
            "operator",
            &format!("/api/funds/{open}/waterfall"),
            &terms(),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

#[tokio::test]
async fn waterfalls_are_for_staff_and_writes_for_operators() {
    let app = spawn_app(3).await;
    let (fund_id, _) = fund(&app).await;
    let base = format!("/api/funds/{fund_id}/waterfall");
    // An investor sees nothing of it, before any validation.
    let resp = app.put("investor", &base, &json!({})).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = app
        .post(
            "investor",
            &format!("{base}/hypothetical"),
            &json!({ "amount": "1.00", "date": "2025-01-01" }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // An auditor reads but does not set terms.
    let resp = app.put("auditor", &base, &terms()).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Another organization's fund is not found.
    let other = app.seed_another_org(2, "Other Org").await;
    let resp = app
        .get(
            "operator",
            &format!("/api/funds/{}/waterfall", other.lp_fund_id),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn the_waterfall_page_sets_terms_runs_a_hypothetical_and_declares_it() {
    let app = spawn_app(3).await;
    let (fund_id, _) = fund(&app).await;
    let path = format!("/funds/{fund_id}/waterfall");
    let mut web: Web = app.sign_in("operator").await;
    let page = web.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No terms yet"), "{}", page.body);

    // A bad percentage is shown next to its field and nothing is saved.
    let fields = [
        ("style", "EUROPEAN"),
        ("pref_rate", "eight"),
        ("compounding", "SIMPLE"),
        ("catch_up", "100"),
        ("carry", "20"),
        ("tax_offset", "40"),
    ];
    let page = web.post(&format!("{path}/terms"), &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains(r#"id="err-pref""#), "{}", page.body);
    // A catch-up at or below the carry cannot reach its target: the core's refusal lands on
    // the catch-up field.
    let fields = [
        ("style", "EUROPEAN"),
        ("pref_rate", "8"),
        ("compounding", "SIMPLE"),
        ("catch_up", "10"),
        ("carry", "20"),
        ("tax_offset", "40"),
    ];
    let page = web.post(&format!("{path}/terms"), &fields).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains(r#"id="err-catch""#), "{}", page.body);
    let get = app
        .get("operator", &format!("/api/funds/{fund_id}/waterfall"))
        .await;
    assert_eq!(get.status(), StatusCode::NOT_FOUND);

    let fields = [
        ("style", "EUROPEAN"),
        ("pref_rate", "8"),
        ("compounding", "SIMPLE"),
        ("catch_up", "100"),
        ("carry", "20"),
        ("tax_offset", "40"),
    ];
    let page = web.post(&format!("{path}/terms"), &fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = web.get(page.location.as_deref().unwrap()).await;
    assert!(page.body.contains("Terms in force (version 1)"));

    // The hypothetical is a GET: the figures of the worked example, and its chart.
    let page = web
        .get(&format!("{path}?amount=1500000.00&date=2025-01-01"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for figure in [
        "770,000.00",
        "490,000.00",
        "240,000.00",
        "80,219.18",
        "20,054.80",
        "1,500,000.00",
    ] {
        assert!(page.body.contains(figure), "{figure} missing");
    }
    assert!(page.body.contains("<svg class=\"chart\""));
    let bad = web.get(&format!("{path}?amount=-1&date=2025-13-01")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains(r#"id="err-h-amount""#) && bad.body.contains(r#"id="err-h-date""#));

    // Declared from the page: a DRAFT distribution with the waterfall's lines.
    let fields = [
        ("amount", "1500000.00"),
        ("deal", ""),
        ("declaration", "2024-12-16"),
        ("record", "2024-12-31"),
        ("payable", "2025-01-01"),
        ("description", "Exit of Alpha Co"),
        ("profit", "longTermGain"),
    ];
    let page = web.post(&format!("{path}/distribution"), &fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let id = page
        .location
        .unwrap()
        .trim_start_matches("/distributions/")
        .to_string();
    let d: Value = app
        .get("operator", &format!("/api/distributions/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["totalAmount"], "1500000.00");
    assert_eq!(d["allocation"]["method"], "waterfall");
    let detail = web.get(&format!("/distributions/{id}")).await;
    assert!(
        detail.body.contains("Waterfall"),
        "the detail page names its method"
    );

    // Investors are sent to their portal; the form without a token changes nothing.
    let mut investor = app.sign_in("investor").await;
    let page = investor.get(&path).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let before = app.snapshot().await;
    let page = web.post_raw(&format!("{path}/terms"), &fields).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(app.snapshot().await, before);
    app.stop().await;
}
