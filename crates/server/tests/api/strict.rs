//! Strict input (issue 13, items 6 and 7): control characters, dates, money strings, JSON
//! syntax, echoed input, empty lists and repeated payment initiation. Every refusal is a 4xx
//! naming the field, and writes nothing.

use serde_json::{json, Value};

use crate::helpers::{pro_rata, spawn_app, TestApp};
use crate::payments::{paid_distribution, payments_of};

/// Row counts of every table the routes below could write to.
async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = app.snapshot().await;
    for sql in [
        "SELECT COUNT(*) AS n FROM fx_rates",
        "SELECT COUNT(*) AS n FROM bank_accounts",
        "SELECT COUNT(*) AS n FROM payments",
        "SELECT COUNT(*) AS n FROM bank_statement_files",
    ] {
        out.push(app.count(sql).await);
    }
    out
}

async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
    let resp = app
        .client
        .request(method, app.url(path))
        .bearer_auth(app.token("operator"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A problem's texts hold no control character (serde_json escapes them on the wire, so the
/// parsed strings are what a client would print).
fn printable(problem: &Value) -> bool {
    let mut texts = vec![problem["detail"].as_str().unwrap_or("").to_string()];
    texts.push(problem["field"].as_str().unwrap_or("").to_string());
    for e in problem["errors"].as_array().into_iter().flatten() {
        texts.push(e["field"].as_str().unwrap_or("").to_string());
        texts.push(e["message"].as_str().unwrap_or("").to_string());
    }
    texts.iter().all(|t| !t.chars().any(char::is_control))
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

#[tokio::test]
async fn control_characters_are_refused_on_every_text_route_and_nothing_is_stored() {
    use reqwest::Method as M;
    let app = spawn_app(3).await;
    let d = app.create(&pro_rata(&app, "300.00")).await;
    let draft = d["id"].as_str().unwrap().to_string();
    let done = app.create(&pro_rata(&app, "300.00")).await;
    let done = done["id"].as_str().unwrap().to_string();
    app.complete(&done).await;
    let inv = app.seeded.investor_ids[1].clone();
    let accounts = format!("/api/investors/{inv}/bank-accounts");
    let ach = |name: &str| json!({ "method": "ACH", "holderName": name, "routingNumber": "121042882", "accountNumber": "987654321012", "accountType": "SAVINGS" });
    let (status, created) = send(&app, M::POST, &accounts, &ach("Ada Lovelace")).await;
    assert_eq!(status, 201, "{created}");
    let account = format!("{accounts}/{}", created["id"].as_str().unwrap());
    let rate = |source: &str| json!({ "rates": [{ "base": "USD", "quote": "JPY", "rate": "151.2", "source": source, "asOf": "2026-03-30" }] });

    let before = counts(&app).await;
    let cases: Vec<(M, String, Value, &str)> = vec![
        (
            M::POST,
            "/api/distributions".into(),
            with(pro_rata(&app, "1.00"), "description", json!("Q1\u{0}")),
            "description",
        ),
        (
            M::POST,
            "/api/distributions".into(),
            with(pro_rata(&app, "1.00"), "description", json!("Q1\r")),
            "description",
        ),
        (
            M::POST,
            "/api/distributions".into(),
            with(pro_rata(&app, "1.00"), "currency", json!("USD\u{85}")),
            "currency",
        ),
        (
            M::POST,
            "/api/distributions".into(),
            with(pro_rata(&app, "1.00"), "fundId", json!("\u{1b}[31m")),
            "fundId",
        ),
        (
            M::POST,
            "/api/distributions".into(),
            with(pro_rata(&app, "1.00"), "description\u{0}", json!("x")),
            "description\\u{0}",
        ),
        (
            M::PUT,
            format!("/api/distributions/{draft}"),
            with(pro_rata(&app, "1.00"), "description", json!("a\u{0}b")),
            "description",
        ),
        (
            M::POST,
            format!("/api/distributions/{done}/reversal"),
            json!({ "reason": "typo\u{0}" }),
            "reason",
        ),
        (
            M::POST,
            format!("/api/distributions/{done}/reversal"),
            json!({ "reason": "ok", "investorIds": ["\u{7f}"] }),
            "investorIds[0]",
        ),
        (
            M::POST,
            "/api/fx-rates".into(),
            rate("ECB\u{0}"),
            "rates[0].source",
        ),
        (M::POST, accounts.clone(), ach("Ada\u{0}"), "holderName"),
        (
            M::POST,
            accounts.clone(),
            ach("Ada\tLovelace"),
            "holderName",
        ),
        (M::PUT, account.clone(), ach("Ada\u{0}"), "holderName"),
    ];
    for (method, path, body, field) in cases {
        let (status, problem) = send(&app, method.clone(), &path, &body).await;
        assert_eq!(status, 422, "{method} {path} {body}: {problem}");
        assert_eq!(problem["field"], field, "{method} {path}: {problem}");
        assert!(printable(&problem), "{problem}");
    }
    // The FX CSV upload checks the same rule.
    let resp = app
        .client
        .post(app.url("/api/fx-rates/csv"))
        .bearer_auth(app.token("operator"))
        .header("Content-Type", "text/csv")
        .body("base,quote,rate,source,as_of\nUSD,JPY,151.2,EC\u{0}B,2026-03-30\n")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["field"],
        "lines[0].source"
    );
    // Query parameters: no text there is free text.
    for path in [
        "/api/distributions?fundId=%00",
        "/api/distributions?status=READY%0A",
        "/api/funds?cursor=%C2%85",
    ] {
        let resp = app.get("operator", path).await;
        let status = resp.status().as_u16();
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(status, 422, "{path}: {problem}");
        assert!(problem["field"].is_string(), "{path}: {problem}");
        assert!(printable(&problem), "{problem}");
    }
    // Path segments are ids: a control character in one is a client error, never a 500.
    for path in [
        "/api/distributions/%00".to_string(),
        format!("/api/distributions/{draft}%00/lines"),
        "/api/investors/%00/bank-accounts".to_string(),
    ] {
        let status = app.get("operator", &path).await.status().as_u16();
        assert!((400..500).contains(&status), "{path}: {status}");
    }
    let (status, _) = send(
        &app,
        M::PUT,
        "/api/investors/%00/bank-accounts/x%00",
        &ach("Ada"),
    )
    .await;
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(counts(&app).await, before, "nothing was written");

    // Free text keeps its tabs and newlines.
    let ok = with(pro_rata(&app, "1.00"), "description", json!("Q1\n\tnote"));
    assert_eq!(
        app.post("operator", "/api/distributions", &ok)
            .await
            .status(),
        201
    );
    app.stop().await;
}

#[tokio::test]
async fn dates_have_one_strict_grammar_in_bodies_and_queries() {
    let app = spawn_app(3).await;
    let before = counts(&app).await;
    for bad in [
        "26-03-01",
        "0000-01-01",
        "-2026-01-01",
        "+2026-01-01",
        "2026-3-2",
        "2026-03-02 ",
        "9999-12-31",
        "1899-12-31",
    ] {
        let body = with(pro_rata(&app, "1.00"), "declarationDate", json!(bad));
        let resp = app.post("operator", "/api/distributions", &body).await;
        assert_eq!(resp.status(), 422, "{bad}");
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(problem["field"], "declarationDate", "{bad}: {problem}");

        let rate = json!({ "rates": [{ "base": "USD", "quote": "JPY", "rate": "151.2", "source": "ECB", "asOf": bad }] });
        let resp = app.post("operator", "/api/fx-rates", &rate).await;
        assert_eq!(resp.status(), 422, "{bad}");
        assert_eq!(
            resp.json::<Value>().await.unwrap()["field"],
            "rates[0].asOf",
            "{bad}"
        );

        let query = bad.replace('+', "%2B").replace(' ', "%20");
        for (path, field) in [
            (
                format!("/api/distributions?payableFrom={query}"),
                "payableFrom",
            ),
            (
                format!("/api/reconciliation/exceptions?asOf={query}"),
                "asOf",
            ),
        ] {
            let resp = app.get("operator", &path).await;
            assert_eq!(resp.status(), 422, "{path}");
            assert_eq!(
                resp.json::<Value>().await.unwrap()["field"],
                field,
                "{path}"
            );
        }
    }
    // Timestamps obey the same date rule.
    let rate = json!({ "rates": [{ "base": "USD", "quote": "JPY", "rate": "151.2", "source": "ECB", "asOf": "9999-03-30T16:00:00Z" }] });
    assert_eq!(
        app.post("operator", "/api/fx-rates", &rate).await.status(),
        422
    );
    assert_eq!(counts(&app).await, before, "nothing was written");
    // The bounds themselves are dates.
    let body = with(
        pro_rata(&app, "1.00"),
        "declarationDate",
        json!("1900-01-01"),
    );
    assert_eq!(
        app.post("operator", "/api/distributions", &body)
            .await
            .status(),
        201
    );
    app.stop().await;
}

#[tokio::test]
async fn money_strings_have_one_strict_grammar() {
    let app = spawn_app(3).await;
    let inv = app.seeded.investor_ids[0].clone();
    let before = counts(&app).await;
    for bad in [
        " 100", "100 ", "+5", "1e3", ".5", "1,000", "5.", "1.001", "007", "-5.00", "0x10",
    ] {
        let mut body = pro_rata(&app, bad);
        let resp = app.post("operator", "/api/distributions", &body).await;
        assert_eq!(resp.status(), 422, "{bad}");
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(problem["field"], "allocation.total", "{bad}: {problem}");

        body["allocation"] = Value::Null;
        body["lines"] =
            json!([{ "investorId": inv, "totalAmount": bad, "ordinaryDividend": "1.00" }]);
        let resp = app.post("operator", "/api/distributions", &body).await;
        assert_eq!(resp.status(), 422, "{bad}");
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(problem["field"], "lines[0].totalAmount", "{bad}: {problem}");
    }
    // Rates share the grammar (their scale and sign rules are their own).
    for bad in [" 1.5", "+1.5", "1e3", ".5", "1,000", "5.", "007"] {
        let rate = json!({ "rates": [{ "base": "USD", "quote": "JPY", "rate": bad, "source": "ECB", "asOf": "2026-03-30" }] });
        let resp = app.post("operator", "/api/fx-rates", &rate).await;
        assert_eq!(resp.status(), 422, "{bad}");
        assert_eq!(
            resp.json::<Value>().await.unwrap()["field"],
            "rates[0].rate",
            "{bad}"
        );
    }
    assert_eq!(counts(&app).await, before, "nothing was written");
    assert_eq!(
        app.post("operator", "/api/distributions", &pro_rata(&app, "0.50"))
            .await
            .status(),
        201
    );
    app.stop().await;
}

#[tokio::test]
async fn malformed_json_is_400_even_when_an_unknown_field_comes_first() {
    let app = spawn_app(3).await;
    let before = counts(&app).await;
    let raw = |body: &'static str| {
        app.client
            .post(app.url("/api/distributions"))
            .bearer_auth(app.token("operator"))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    for body in [
        r#"{"bogus": 1, "fundId": "x""#,
        r#"{"bogus": 1, "fundId": }"#,
        r#"{"bogus": 1} trailing"#,
    ] {
        let resp = raw(body).await.unwrap();
        assert_eq!(resp.status(), 400, "{body}");
        assert_eq!(
            resp.json::<Value>().await.unwrap()["field"],
            "body",
            "{body}"
        );
    }
    // Well-formed with an unknown field stays a 422 naming it.
    let resp = raw(r#"{"bogus": 1}"#).await.unwrap();
    assert_eq!(resp.status(), 422);
    assert_eq!(counts(&app).await, before);
    app.stop().await;
}

#[tokio::test]
async fn a_binary_statement_upload_is_refused_without_echoing_its_bytes() {
    let app = spawn_app(3).await;
    let before = counts(&app).await;
    let mut binary: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
    // Starts like a BAI2 file header, so the reader gets far enough to quote a field.
    binary.splice(0..0, b"01,\x00\x1b[2J\x07\x9b,".iter().copied());
    for query in [
        "",
        "?format=bai2",
        "?format=mt940",
        "?format=camt053",
        "?format=csv&preset=simple-en&currency=USD",
    ] {
        let resp = app
            .client
            .post(app.url(&format!("/api/bank-statements{query}")))
            .bearer_auth(app.token("operator"))
            .header("Content-Type", "application/octet-stream")
            .body(binary.clone())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let problem: Value = resp.json().await.unwrap();
        assert!((400..500).contains(&status), "{query}: {status} {problem}");
        assert!(printable(&problem), "{query}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().len() <= 1100,
            "{query}: bounded"
        );
    }
    assert_eq!(counts(&app).await, before);
    app.stop().await;
}

#[tokio::test]
async fn empty_lists_and_non_object_bodies_are_refused_naming_the_field() {
    let app = spawn_app(3).await;
    let done = app.create(&pro_rata(&app, "300.00")).await;
    let done = done["id"].as_str().unwrap().to_string();
    app.complete(&done).await;
    let inv = app.seeded.investor_ids[1].clone();
    let before = counts(&app).await;
    let cases: Vec<(String, Value, &str)> = vec![
        ("/api/checks/stale-date".into(), json!([]), "body"),
        (
            "/api/checks/stale-date".into(),
            json!(["2026-03-01"]),
            "body",
        ),
        ("/api/fx-rates".into(), json!({ "rates": [] }), "rates"),
        (
            "/api/reinvestment-preferences/import".into(),
            json!({ "elections": [] }),
            "elections",
        ),
        (
            "/api/reconciliation/matches".into(),
            json!({ "lineIds": [], "paymentIds": ["p"] }),
            "lineIds",
        ),
        (
            format!("/api/distributions/{done}/reversal"),
            json!({ "reason": "x", "investorIds": [] }),
            "investorIds",
        ),
        (
            format!("/api/investors/{inv}/bank-accounts"),
            json!({ "method": "CHECK", "holderName": "X", "address": { "lines": [], "country": "US" } }),
            "address.lines",
        ),
        (
            format!("/api/funds/{}/navs", app.seeded.open_fund_id),
            json!({ "navs": [] }),
            "navs",
        ),
    ];
    for (path, body, field) in cases {
        let resp = app.post("operator", &path, &body).await;
        let status = resp.status().as_u16();
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(status, 422, "{path} {body}: {problem}");
        assert_eq!(problem["field"], field, "{path} {body}: {problem}");
    }
    assert_eq!(counts(&app).await, before);
    // The role is checked first: a forbidden role with bad input is a 403.
    let resp = app
        .post("auditor", "/api/checks/stale-date", &json!([]))
        .await;
    assert_eq!(resp.status(), 403);
    let resp = app
        .post("auditor", "/api/fx-rates", &json!({ "rates": [] }))
        .await;
    assert_eq!(resp.status(), 403);
    // An empty object is still "judge from today".
    assert_eq!(
        app.post("operator", "/api/checks/stale-date", &json!({}))
            .await
            .status(),
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn repeated_payment_initiation_adds_no_failed_rows() {
    // The demo's 50th investor has no payee.
    let app = spawn_app(50).await;
    // So processing pays the others and leaves one FAILED payment.
    let id = paid_distribution(&app, "300.00").await;
    let first = payments_of(&app, "operator", &id).await;
    let failed: Vec<&Value> = first.iter().filter(|p| p["status"] == "FAILED").collect();
    assert_eq!(failed.len(), 1, "{first:?}");
    let path = format!("/api/distributions/{id}/payments");
    for _ in 0..3 {
        let resp = app.post("operator", &path, &json!({})).await;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        assert!(status == 200 || status == 201, "{status} {body}");
        assert_eq!(body["pending"], json!([]), "{body}");
        assert_eq!(
            body["failed"],
            json!([failed[0]["id"]]),
            "the existing attempt: {body}"
        );
    }
    let after = payments_of(&app, "operator", &id).await;
    assert_eq!(after.len(), first.len(), "no new rows: {after:?}");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM payments WHERE status = 'FAILED'")
            .await,
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn a_statement_line_with_a_nul_is_refused_naming_its_line() {
    let app = spawn_app(3).await;
    let before = counts(&app).await;
    let resp = app
        .client
        .post(app.url("/api/bank-statements?format=csv&preset=simple-en&currency=USD"))
        .bearer_auth(app.token("operator"))
        .header("Content-Type", "text/csv")
        .body("Date,Label,Amount\n12/15/2018,ok,1.00\n12/16/2018,x\u{0}y,12.34\n")
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["field"], "file", "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("line 3"),
        "{problem}"
    );
    assert!(printable(&problem), "{problem}");
    assert_eq!(counts(&app).await, before);
    app.stop().await;
}
