//! Share classes (issue 17): classes of an open-end fund, holdings and distributions per
//! class, all classes at class-specific rates in one request, DRIP at the class's NAV, the
//! refusals naming each field, and the single-class behaviour unchanged.

use std::str::FromStr;

use clearway_store::q;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

async fn body(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert_eq!(got, status, "unexpected status, body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The fields a 422 names, in order.
fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {problem}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

async fn add_class(app: &TestApp, fund: &str, code: &str) -> Value {
    let path = format!("/api/funds/{fund}/classes");
    let resp = app
        .post(
            "operator",
            &path,
            &json!({ "code": code, "name": format!("Class {code}") }),
        )
        .await;
    body(resp, 201).await
}

async fn hold(app: &TestApp, class: &str, rows: &[(usize, &str)]) {
    let holdings: Vec<Value> = rows
        .iter()
        .map(|(i, u)| json!({ "investorId": app.seeded.investor_ids[*i], "units": u }))
        .collect();
    let req = json!({ "asOf": "2026-01-01", "shareClass": class, "holdings": holdings });
    body(
        app.post("operator", "/api/funds/DEMO-OPEN/holdings", &req)
            .await,
        201,
    )
    .await;
}

fn declaration() -> Value {
    json!({ "fundId": "DEMO-OPEN", "declarationDate": "2026-03-02", "recordDate": "2026-03-16",
            "payableDate": "2026-03-31", "description": "class test" })
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base[key] = value;
    base
}

/// Line totals of a distribution by investor.
async fn line_totals(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let path = format!("/api/distributions/{id}/lines?limit=1000");
    let page = body(app.get("operator", &path).await, 200).await;
    let mut out: Vec<(String, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let investor = l["investorId"].as_str().unwrap().to_string();
            (investor, l["totalAmount"].as_str().unwrap().to_string())
        })
        .collect();
    out.sort();
    out
}

async fn distribution_count(app: &TestApp) -> i64 {
    app.db
        .fetch_optional(q("SELECT COUNT(*) AS n FROM distributions"))
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

#[tokio::test]
async fn classes_are_added_listed_and_refused_field_by_field() {
    let app = spawn_app(4).await;
    let list = body(
        app.get("auditor", "/api/funds/DEMO-OPEN/classes").await,
        200,
    )
    .await;
    let codes: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["DEFAULT"], "every fund has its implicit class");
    assert!(list["items"][0]["holders"].as_u64().unwrap() > 0);

    let req = json!({ "code": "I", "name": "Institutional" });
    let first = app
        .post_with_key("operator", "/api/funds/DEMO-OPEN/classes", "k-i", &req)
        .await;
    let created = body(first, 201).await;
    assert_eq!(created["code"], "I");
    assert_eq!(created["currency"], "USD");
    let replay = app
        .post_with_key("operator", "/api/funds/DEMO-OPEN/classes", "k-i", &req)
        .await;
    assert_eq!(
        body(replay, 201).await["id"],
        created["id"],
        "the replay is the first answer"
    );

    let dup = app
        .post(
            "operator",
            "/api/funds/DEMO-OPEN/classes",
            &json!({ "code": "i", "name": "x" }),
        )
        .await;
    assert_eq!(fields(&body(dup, 422).await), ["code"]);
    let default = app
        .post(
            "operator",
            "/api/funds/DEMO-OPEN/classes",
            &json!({ "code": "DEFAULT", "name": "x" }),
        )
        .await;
    assert_eq!(fields(&body(default, 422).await), ["code"]);
    let bad = app
        .post(
            "operator",
            "/api/funds/DEMO-OPEN/classes",
            &json!({ "code": "no spaces", "name": " " }),
        )
        .await;
    assert_eq!(fields(&body(bad, 422).await), ["code", "name"]);
    let lp = app
        .post(
            "operator",
            "/api/funds/DEMO-LP/classes",
            &json!({ "code": "A", "name": "A" }),
        )
        .await;
    assert_eq!(fields(&body(lp, 422).await), ["fundId"]);
    let forbidden = app
        .post("approver", "/api/funds/DEMO-OPEN/classes", &req)
        .await;
    assert_eq!(forbidden.status().as_u16(), 403);
    let missing = app.post("operator", "/api/funds/NOPE/classes", &req).await;
    assert_eq!(missing.status().as_u16(), 404);

    add_class(&app, "DEMO-OPEN", "A").await;
    let list = body(
        app.get("operator", "/api/funds/DEMO-OPEN/classes?limit=2")
            .await,
        200,
    )
    .await;
    let codes: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["DEFAULT", "A"]);
    let next = list["nextCursor"].as_str().unwrap();
    let rest = body(
        app.get(
            "operator",
            &format!("/api/funds/DEMO-OPEN/classes?limit=2&cursor={next}"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(rest["items"][0]["code"], "I");
    assert_eq!(rest["items"][0]["holders"], 0);
    app.stop().await;
}

#[tokio::test]
async fn all_classes_get_one_distribution_each_at_their_rate_exactly() {
    let app = spawn_app(4).await;
    let default_rate = with(
        declaration(),
        "allocation",
        json!({ "method": "per_share", "rate": "0.0725" }),
    );
    let before = app.create(&default_rate).await;
    add_class(&app, "DEMO-OPEN", "A").await;
    add_class(&app, "DEMO-OPEN", "I").await;
    hold(&app, "A", &[(0, "100"), (1, "250.5")]).await;
    hold(&app, "I", &[(2, "1000"), (0, "10")]).await;

    let req = with(
        declaration(),
        "classRates",
        json!({ "A": "0.05", "I": "0.0625" }),
    );
    let resp = app
        .post_with_key("operator", "/api/distributions", "k-all", &req)
        .await;
    let group = body(resp, 201).await;
    let made = group["distributions"].as_array().unwrap();
    assert_eq!(made.len(), 2);
    let gid = group["classGroupId"].as_str().unwrap();
    let ids = &app.seeded.investor_ids;
    // Per share, each line rounded half-up to the cent: A 100 × 0.05 = 5.00 and
    // 250.5 × 0.05 = 12.525 → 12.53; I 1000 × 0.0625 = 62.50 and 10 × 0.0625 = 0.625 → 0.63.
    let (a, i) = (&made[0], &made[1]);
    assert_eq!(
        (a["shareClass"].as_str(), a["totalAmount"].as_str()),
        (Some("A"), Some("17.53"))
    );
    assert_eq!(
        (i["shareClass"].as_str(), i["totalAmount"].as_str()),
        (Some("I"), Some("63.13"))
    );
    assert!(made
        .iter()
        .all(|d| d["classGroupId"] == gid && d["status"] == "DRAFT"));
    assert_eq!(a["allocation"]["rate"], "0.05");
    let mut want_a = vec![
        (ids[0].clone(), "5.00".to_string()),
        (ids[1].clone(), "12.53".to_string()),
    ];
    want_a.sort();
    assert_eq!(line_totals(&app, a["id"].as_str().unwrap()).await, want_a);
    let mut want_i = vec![
        (ids[0].clone(), "0.63".to_string()),
        (ids[2].clone(), "62.50".to_string()),
    ];
    want_i.sort();
    assert_eq!(line_totals(&app, i["id"].as_str().unwrap()).await, want_i);

    // Idempotent like any create: the replay answers the same group, nothing more written.
    let n = distribution_count(&app).await;
    let replay = app
        .post_with_key("operator", "/api/distributions", "k-all", &req)
        .await;
    assert_eq!(body(replay, 201).await["classGroupId"], gid);
    assert_eq!(distribution_count(&app).await, n);

    // One class alone, with the request's own allocation.
    let one = with(
        with(declaration(), "shareClass", json!("I")),
        "allocation",
        json!({ "method": "pro_rata", "total": "101.00" }),
    );
    let single = app.create(&one).await;
    assert_eq!(single["shareClass"], "I");
    assert_eq!(single["totalAmount"], "101.00");
    assert!(single["classGroupId"].is_null());

    // The DEFAULT class is what it was: same holders, same amounts as before the classes.
    let after = app.create(&default_rate).await;
    assert_eq!(after["shareClass"], "DEFAULT");
    assert_eq!(after["totalAmount"], before["totalAmount"]);
    assert_eq!(after["lineCount"], before["lineCount"]);
    assert_eq!(after["holdingsFingerprint"], before["holdingsFingerprint"]);
    app.stop().await;
}

#[tokio::test]
async fn class_requests_are_refused_naming_each_field_and_write_nothing() {
    let app = spawn_app(4).await;
    add_class(&app, "DEMO-OPEN", "A").await;
    add_class(&app, "DEMO-OPEN", "R").await;
    hold(&app, "A", &[(0, "100")]).await;
    let n = distribution_count(&app).await;
    let post = |b: Value| {
        let app = &app;
        async move { body(app.post("operator", "/api/distributions", &b).await, 422).await }
    };
    // An unknown class, a rate that is no rate, and a class nobody holds: each named.
    let p = post(with(
        declaration(),
        "classRates",
        json!({ "A": "-1", "R": "0.01", "Z": "0.1" }),
    ))
    .await;
    assert_eq!(fields(&p), ["classRates.A", "classRates.Z"]);
    let p = post(with(
        declaration(),
        "classRates",
        json!({ "A": "0.05", "R": "0.01" }),
    ))
    .await;
    assert_eq!(fields(&p), ["classRates.R"], "R has no holdings: {p}");
    let p = post(with(
        with(declaration(), "shareClass", json!("Q")),
        "allocation",
        json!({ "method": "per_share", "rate": "1" }),
    ))
    .await;
    assert_eq!(fields(&p), ["shareClass"]);
    let both = with(
        with(declaration(), "shareClass", json!("A")),
        "classRates",
        json!({ "A": "0.05" }),
    );
    let p = post(with(
        both,
        "allocation",
        json!({ "method": "pro_rata", "total": "5" }),
    ))
    .await;
    assert_eq!(
        fields(&p),
        ["shareClass", "allocation.method", "allocation.total"]
    );
    let lp = with(
        with(declaration(), "fundId", json!("DEMO-LP")),
        "classRates",
        json!({ "A": "0.05" }),
    );
    assert_eq!(fields(&post(lp).await), ["classRates"]);
    let lp = with(
        with(declaration(), "fundId", json!("DEMO-LP")),
        "shareClass",
        json!("A"),
    );
    let lp = with(
        lp,
        "allocation",
        json!({ "method": "pro_rata", "total": "5" }),
    );
    assert_eq!(fields(&post(lp).await), ["shareClass"]);
    assert_eq!(distribution_count(&app).await, n, "nothing written");

    let investor = &app.seeded.investor_ids[0];
    let holdings = |class: &str| {
        json!({ "asOf": "2026-01-01", "shareClass": class,
        "holdings": [{ "investorId": investor, "units": "1" }, { "investorId": investor, "units": "-1" }] })
    };
    let p = body(
        app.post("operator", "/api/funds/DEMO-OPEN/holdings", &holdings("A"))
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["holdings[1].investorId", "holdings[1].units"]);
    let one = json!({ "asOf": "2026-01-01", "shareClass": "Z", "holdings": [{ "investorId": investor, "units": "1" }] });
    let p = body(
        app.post("operator", "/api/funds/DEMO-OPEN/holdings", &one)
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["shareClass"]);
    app.stop().await;
}

#[tokio::test]
async fn a_class_distribution_reinvests_at_the_class_nav_into_the_class() {
    let app = spawn_app(4).await;
    add_class(&app, "DEMO-OPEN", "I").await;
    let investor = app.seeded.investor_ids[2].clone();
    hold(&app, "I", &[(2, "1000")]).await;
    let election = json!({ "election": "AUTOMATIC", "effectiveDate": "2026-01-01" });
    let path = format!("/api/investors/{investor}/reinvestment-preferences/DEMO-OPEN");
    body(app.put("operator", &path, &election).await, 200).await;
    let navs = json!({ "replace": true, "source": "test", "navs": [
        { "date": "2026-03-31", "nav": "20", "shareClass": "I" },
        { "date": "2026-03-31", "nav": "10" } ] });
    let resp = app
        .post("operator", "/api/funds/DEMO-OPEN/navs", &navs)
        .await;
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    let default_units = units(&app, &investor, "DEFAULT").await;

    let req = with(
        with(declaration(), "shareClass", json!("I")),
        "allocation",
        json!({ "method": "per_share", "rate": "0.10" }),
    );
    let d = app.create(&req).await;
    assert_eq!(d["totalAmount"], "100.00");
    let id = d["id"].as_str().unwrap();
    app.complete(id).await;
    let page = body(
        app.get(
            "operator",
            &format!("/api/distributions/{id}/reinvestments"),
        )
        .await,
        200,
    )
    .await;
    let r = &page["items"][0];
    // 100.00 at the class's NAV of 20 buys 5 shares of class I (not 10 at DEFAULT's NAV).
    assert_eq!(r["nav"], "20");
    assert_eq!(
        Decimal::from_str(r["shares"].as_str().unwrap()).unwrap(),
        Decimal::from(5)
    );
    assert_eq!(units(&app, &investor, "I").await, Decimal::from(1005));
    assert_eq!(
        units(&app, &investor, "DEFAULT").await,
        default_units,
        "DEFAULT untouched"
    );
    app.stop().await;
}

/// The latest units of an investor in a class of DEMO-OPEN.
async fn units(app: &TestApp, investor: &str, class: &str) -> Decimal {
    let row = app
        .db
        .fetch_optional(
            q("SELECT units FROM holdings WHERE fund_id = $1 AND investor_id = $2 AND share_class = $3 ORDER BY as_of DESC LIMIT 1")
                .bind(&app.seeded.open_fund_id)
                .bind(investor)
                .bind(class),
        )
        .await
        .unwrap();
    row.map_or(Decimal::ZERO, |r| r.parse("units").unwrap())
}
