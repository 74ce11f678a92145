//! The investor portal's pages: own line only, 404 for anything else, staff sent to the
//! console, the statement tied to the line, elections and payees through the forms.

use clearway_store::q;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{cents, pro_rata, spawn_app, TestApp};

/// A processed (COMPLETED) pro-rata distribution of the open-end fund; its id.
async fn completed(app: &TestApp, total: &str) -> String {
    let d = app.create(&pro_rata(app, total)).await;
    let id = d["id"].as_str().unwrap().to_string();
    app.complete(&id).await;
    id
}

/// The investor user's line of a distribution, as the API gives it to them.
async fn api_line(app: &TestApp, id: &str) -> Value {
    let me = &app.seeded.investor_user_investor_id;
    let resp = app
        .get("investor", &format!("/api/distributions/{id}/lines/{me}"))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn the_investor_sees_only_their_own_line() {
    let app = spawn_app(5).await;
    let id = completed(&app, "1000.00").await;
    let mine = api_line(&app, &id).await;
    let my_amount = format!("{} USD", mine["totalAmount"].as_str().unwrap());
    let me = app.seeded.investor_user_investor_id.clone();
    let others: Vec<Value> = app
        .all_lines("operator", &id)
        .await
        .into_iter()
        .filter(|l| l["investorId"] != me.as_str())
        .collect();
    assert_eq!(others.len(), 4);

    let mut web = app.sign_in("investor").await;
    let list = web.get("/account/distributions").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body
            .contains(&format!("<td class=\"num\">{my_amount}</td>")),
        "{}",
        list.body
    );
    assert!(list
        .body
        .contains(&format!("href=\"/account/distributions/{id}\"")));
    // Processed, all in cash (the demo investors elect nothing): the list says so.
    assert!(
        list.body.contains(&format!("<td>Cash {my_amount}</td>")),
        "{}",
        list.body
    );

    let page = web.get(&format!("/account/distributions/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains(&format!("<dd id=\"my-amount\">{my_amount}</dd>")),
        "{}",
        page.body
    );
    let roc = format!("{} USD", mine["returnOfCapital"].as_str().unwrap());
    assert!(page.body.contains(&roc), "return of capital {roc} shown");
    assert!(page.body.contains("Not income: reduces your cost basis"));
    // Nobody else's id or amount, no staff ids, no organization total.
    for other in &others {
        assert!(!page.body.contains(other["investorId"].as_str().unwrap()));
        let theirs = format!("{} USD", other["totalAmount"].as_str().unwrap());
        if theirs != my_amount && theirs != roc {
            assert!(
                !page.body.contains(&theirs),
                "another investor's {theirs} shown"
            );
        }
    }
    for role in ["operator", "approver"] {
        assert!(!page.body.contains(app.seeded.user_ids[role].as_str()));
    }
    assert!(!page.body.contains("1,000.00 USD"));
    // Processed: the cash part is paid to the investor's masked ACH account.
    assert!(page.body.contains("<td>ACH</td><td>••••"), "{}", page.body);

    let bad = web.get("/account/distributions?year=20x6").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains(r#"aria-describedby="e-year""#));
    assert!(bad.body.contains("Year must be a year such as 2026"));
    let other_year = web.get("/account/distributions?year=2025").await;
    assert!(
        !other_year.body.contains(&id),
        "2026 distribution listed under 2025"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_distribution_without_the_investors_line_is_the_404_page() {
    let app = spawn_app(4).await;
    let inv = &app.seeded.investor_ids;
    assert_eq!(inv[0], app.seeded.investor_user_investor_id);
    let theirs = app
        .create(&json!({
            "fundId": app.seeded.lp_fund_id, "declarationDate": "2026-03-02", "recordDate": "2026-03-16", "payableDate": "2026-03-31",
            "description": "Others only",
            "lines": [
                { "investorId": inv[1], "totalAmount": "777.77", "interest": "777.77" },
                { "investorId": inv[2], "totalAmount": "55.55", "interest": "55.55" }
            ]
        }))
        .await;
    let id = theirs["id"].as_str().unwrap().to_string();
    app.complete(&id).await;

    let mut web = app.sign_in("investor").await;
    for path in [
        format!("/account/distributions/{id}"),
        format!("/account/distributions/{id}/tax-documents"),
        format!("/account/distributions/{id}/statement.csv"),
    ] {
        let page = web.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.body.contains("777.77") && !page.body.contains("Others only"));
    }
    let list = web.get("/account/distributions").await;
    assert!(!list.body.contains("Others only"));
    // The operator sees it: the 404 is about the investor, not a missing distribution.
    let staff = app
        .get("operator", &format!("/api/distributions/{id}"))
        .await;
    assert_eq!(staff.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn staff_are_sent_to_their_console_and_unbuilt_parts_say_so() {
    let app = spawn_app(2).await;
    let mut web = app.sign_in("operator").await;
    for path in [
        "/account/distributions",
        "/account/reinvestment-preferences",
        "/account/payment-methods",
        "/account/notifications",
    ] {
        let page = web.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location.as_deref(), Some("/distributions"), "{path}");
    }
    let mut investor = app.sign_in("investor").await;
    let page = investor.get("/account/notifications").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No notices yet"), "{}", page.body);
    app.stop().await;
}

#[tokio::test]
async fn the_statement_ties_to_the_line_to_the_cent() {
    let app = spawn_app(5).await;
    // Half reinvested at a NAV of 12.50: the statement carries shares and residual cash.
    let me = app.seeded.investor_user_investor_id.clone();
    let elect = app
        .put(
            "operator",
            &format!("/api/investors/{me}/reinvestment-preferences/DEMO-OPEN"),
            &json!({ "election": "PARTIAL", "percentage": "50", "effectiveDate": "2026-01-01" }),
        )
        .await;
    assert_eq!(elect.status(), StatusCode::OK);
    let nav = app
        .post(
            "operator",
            "/api/funds/DEMO-OPEN/navs",
            &json!({ "navs": [{ "date": "2026-03-31", "nav": "12.50" }], "replace": true, "source": "test" }),
        )
        .await;
    assert!(nav.status().is_success());
    let id = completed(&app, "1234.57").await;
    let mine = api_line(&app, &id).await;
    assert_ne!(mine["reinvestedAmount"], "0.00");
    let mut web = app.sign_in("investor").await;

    let docs = web
        .get(&format!("/account/distributions/{id}/tax-documents"))
        .await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(docs
        .body
        .contains("Year-end tax forms (1099-DIV, K-1) will appear here when issued"));

    let csv = web
        .get(&format!("/account/distributions/{id}/statement.csv"))
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    let disposition = csv.headers["content-disposition"].to_str().unwrap();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"statement-{id}.csv\"")
    );
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let value = |section: &str, item: &str| {
        rows.iter()
            .find(|r| &r[0] == section && &r[1] == item)
            .map(|r| r[2].to_string())
            .unwrap_or_else(|| panic!("no {section}/{item} in {}", csv.body))
    };
    let total = cents(&json!(value("line", "totalAmount")));
    assert_eq!(total, cents(&mine["totalAmount"]));
    let components: Vec<&csv::StringRecord> =
        rows.iter().filter(|r| &r[0] == "component").collect();
    assert_eq!(components.len(), 6);
    let sum: i64 = components.iter().map(|r| cents(&json!(&r[2]))).sum();
    assert_eq!(sum, total, "components sum to the line");
    assert_eq!(
        cents(&json!(value("component", "returnOfCapital"))),
        cents(&mine["returnOfCapital"])
    );
    assert!(components
        .iter()
        .all(|r| r[5].starts_with("Estimate until year end")));
    assert_eq!(value("distribution", "payableDate"), "2026-03-31");
    assert_eq!(
        cents(&json!(value("settlement", "cashAmount"))),
        cents(&mine["cashAmount"])
    );
    let reinvested = cents(&json!(value("settlement", "reinvestedAmount")));
    assert_eq!(reinvested, cents(&mine["reinvestedAmount"]));
    assert_eq!(cents(&json!(value("reinvestment", "cost"))), reinvested);
    let nav: rust_decimal::Decimal = value("reinvestment", "nav").parse().unwrap();
    assert_eq!(nav, rust_decimal::Decimal::new(1250, 2));
    let shares: rust_decimal::Decimal = value("reinvestment", "sharesBought").parse().unwrap();
    assert!(shares > rust_decimal::Decimal::ZERO);
    let detail = web.get(&format!("/account/distributions/{id}")).await;
    assert!(
        detail
            .body
            .contains(&format!("<td class=\"num\">{shares}</td>")),
        "{}",
        detail.body
    );

    let xlsx = web
        .get(&format!("/account/distributions/{id}/statement.xlsx"))
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.headers["content-disposition"]
        .to_str()
        .unwrap()
        .ends_with(".xlsx\""));
    assert!(xlsx.body.as_bytes().starts_with(b"PK"));
    app.stop().await;
}

/// The investor's election of the open-end fund, as the API returns it.
async fn api_election(app: &TestApp) -> Value {
    let me = &app.seeded.investor_user_investor_id;
    let prefs: Value = app
        .get(
            "investor",
            &format!("/api/investors/{me}/reinvestment-preferences"),
        )
        .await
        .json()
        .await
        .unwrap();
    prefs["funds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fundId"] == app.seeded.open_fund_id.as_str())
        .unwrap()
        .clone()
}

#[tokio::test]
async fn the_election_form_changes_what_the_api_returns() {
    let app = spawn_app(3).await;
    assert_eq!(api_election(&app).await["source"], "ORGANIZATION_DEFAULT");
    let mut web = app.sign_in("investor").await;
    let page = web.get("/account/reinvestment-preferences").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let today = chrono::Utc::now().date_naive().to_string();
    assert!(
        page.body.contains(&format!("value=\"{today}\"")),
        "effective date defaults to today"
    );

    let fund = app.seeded.open_fund_id.clone();
    let done = web
        .post(
            "/account/reinvestment-preferences",
            &[
                ("fund", &fund),
                ("election", "PARTIAL"),
                ("percentage", "40"),
                ("target", ""),
                ("effective", &today),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some("/account/reinvestment-preferences?notice=saved")
    );
    let e = api_election(&app).await;
    assert_eq!(e["election"], "PARTIAL");
    assert_eq!(e["percentage"], "40");
    assert_eq!(e["source"], "INVESTOR");
    assert_eq!(e["effectiveDate"], today.as_str());
    let after = web
        .get("/account/reinvestment-preferences?notice=saved")
        .await;
    assert!(after.body.contains("Your election was saved."));
    assert!(after.body.contains("Reinvest 40 %, rest in cash"));
    app.stop().await;
}

#[tokio::test]
async fn an_invalid_election_is_shown_again_with_the_error_next_to_the_field() {
    let app = spawn_app(3).await;
    let mut web = app.sign_in("investor").await;
    web.get("/account/reinvestment-preferences").await;
    let fund = app.seeded.open_fund_id.clone();
    let page = web
        .post(
            "/account/reinvestment-preferences",
            &[
                ("fund", &fund),
                ("election", "PARTIAL"),
                ("percentage", "150"),
                ("effective", ""),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains(
        r#"name="percentage" inputmode="decimal" maxlength="12" value="150" aria-invalid="true" aria-describedby="err-percentage""#
    ), "{}", page.body);
    assert!(page
        .body
        .contains(r#"<span class="field-error" id="err-percentage">Percentage: "#));
    assert!(page
        .body
        .contains(&format!(r#"<option value="{fund}" selected>"#)));

    // An investor may not back-date: the refusal is the store's, next to the date.
    let page = web
        .post(
            "/account/reinvestment-preferences",
            &[
                ("fund", &fund),
                ("election", "CASH"),
                ("effective", "2020-01-01"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains(r#"aria-describedby="err-effective""#));
    assert!(page.body.contains("must not be before today"));
    assert!(page.body.contains(r#"value="2020-01-01""#));
    assert_eq!(api_election(&app).await["source"], "ORGANIZATION_DEFAULT");
    app.stop().await;
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused() {
    let app = spawn_app(2).await;
    let mut web = app.sign_in("investor").await;
    web.get("/account/reinvestment-preferences").await;
    let fund = app.seeded.open_fund_id.clone();
    let page = web
        .post_raw(
            "/account/reinvestment-preferences",
            &[("fund", &fund), ("election", "AUTOMATIC")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = web
        .post_raw(
            "/account/payment-methods",
            &[
                ("_csrf", "forged"),
                ("holder_name", "X"),
                ("routing_number", "021000021"),
                ("account_number", "12345678"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(api_election(&app).await["source"], "ORGANIZATION_DEFAULT");
    app.stop().await;
}

#[tokio::test]
async fn payees_are_masked_validated_and_verified_by_micro_deposits() {
    let app = spawn_app(3).await;
    let me = app.seeded.investor_user_investor_id.clone();
    let mut web = app.sign_in("investor").await;
    let page = web.get("/account/payment-methods").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("••••"), "the demo payee, masked");

    let bad = web
        .post(
            "/account/payment-methods",
            &[
                ("holder_name", "Ada Investor"),
                ("routing_number", "021000022"),
                ("account_number", "987654321012"),
                ("account_type", "SAVINGS"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains(r#"aria-describedby="err-routing""#));
    assert!(bad
        .body
        .contains("Routing number fails the ABA check digit"));
    assert!(bad.body.contains(r#"value="Ada Investor""#));
    assert!(
        !bad.body.contains("987654321012"),
        "the account number is never shown back"
    );

    let added = web
        .post(
            "/account/payment-methods",
            &[
                ("holder_name", "Ada Investor"),
                ("routing_number", "021000021"),
                ("account_number", "987654321012"),
                ("account_type", "SAVINGS"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert_eq!(
        added.location.as_deref(),
        Some("/account/payment-methods?notice=added")
    );
    let list = web.get("/account/payment-methods?notice=added").await;
    assert!(list.body.contains("••••1012"));
    assert!(!list.body.contains("987654321012"));
    assert!(list.body.contains("PENDING_VERIFICATION"));

    let payees: Value = app
        .get("investor", &format!("/api/investors/{me}/bank-accounts"))
        .await
        .json()
        .await
        .unwrap();
    let new = payees["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["accountNumberMasked"] == "••••1012")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = web
        .post(
            &format!("/account/payment-methods/{new}/micro-deposits"),
            &[],
        )
        .await;
    assert_eq!(
        sent.location.as_deref(),
        Some("/account/payment-methods?notice=sent")
    );
    let page = web.get("/account/payment-methods").await;
    let wrong = web
        .post(
            &format!("/account/payment-methods/{new}/verify"),
            &[("amount_1", "abc"), ("amount_2", "0.10")],
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(wrong
        .body
        .contains(&format!(r#"aria-describedby="err-a1-{new}""#)));
    let row = app
        .db
        .fetch_optional(q("SELECT micro_deposit_1 AS a, micro_deposit_2 AS b FROM bank_accounts WHERE id = $1").bind(new.as_str()))
        .await
        .unwrap()
        .unwrap();
    let miss = web
        .post(
            &format!("/account/payment-methods/{new}/verify"),
            &[("amount_1", "1.00"), ("amount_2", "1.00")],
        )
        .await;
    assert_eq!(
        miss.location.as_deref(),
        Some("/account/payment-methods?notice=mismatch")
    );
    let shown = |c: i64| format!("0.{c:02}");
    let (a, b) = (shown(row.i64("a").unwrap()), shown(row.i64("b").unwrap()));
    let ok = web
        .post(
            &format!("/account/payment-methods/{new}/verify"),
            &[("amount_1", &b), ("amount_2", &a)],
        )
        .await;
    assert_eq!(
        ok.location.as_deref(),
        Some("/account/payment-methods?notice=verified")
    );
    let payees: Value = app
        .get("investor", &format!("/api/investors/{me}/bank-accounts"))
        .await
        .json()
        .await
        .unwrap();
    let verified = payees["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == new.as_str())
        .unwrap();
    assert_eq!(verified["status"], "VERIFIED");

    // Three wrong tries lock the confirmation: the button is shown disabled with the reason.
    let added = web
        .post(
            "/account/payment-methods",
            &[
                ("holder_name", "Ada Investor"),
                ("routing_number", "021000021"),
                ("account_number", "555566667777"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let payees: Value = app
        .get("investor", &format!("/api/investors/{me}/bank-accounts"))
        .await
        .json()
        .await
        .unwrap();
    let second = payees["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["accountNumberMasked"] == "••••7777")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    web.post(
        &format!("/account/payment-methods/{second}/micro-deposits"),
        &[],
    )
    .await;
    for _ in 0..3 {
        let miss = web
            .post(
                &format!("/account/payment-methods/{second}/verify"),
                &[("amount_1", "1.00"), ("amount_2", "1.00")],
            )
            .await;
        assert_eq!(miss.status, StatusCode::SEE_OTHER);
    }
    let page = web.get("/account/payment-methods").await;
    assert!(page.body.contains(&format!(
        r#"<button type="button" disabled aria-describedby="locked-{second}">"#
    )));
    assert!(page.body.contains("Too many wrong tries"));
    assert!(!page
        .body
        .contains(&format!("/account/payment-methods/{second}/verify")));

    // Another investor's payee does not exist for this one.
    let theirs: Value = app
        .get(
            "operator",
            &format!(
                "/api/investors/{}/bank-accounts",
                app.seeded.investor_ids[1]
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    let theirs = theirs["items"][0]["id"].as_str().unwrap().to_string();
    web.get("/account/payment-methods").await;
    let refused = web
        .post(
            &format!("/account/payment-methods/{theirs}/micro-deposits"),
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    app.stop().await;
}
