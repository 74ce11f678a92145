//! Payees: account numbers never in clear anywhere; bad input is a named 422 that writes
//! nothing; investors manage only their own; verification by micro-deposits and by a
//! Plaid-style link (a local HTTP server); a payee update re-queues failed payments.

use std::time::Duration;

use axum::routing::post;
use axum::{Json, Router};
use clearway_store::q;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, test_config, TestApp};
use crate::payments::{paid_distribution, payments_of};

const ACCOUNT: &str = "987654321012";
const IBAN: &str = "DE89370400440532013000";

fn ach(account: &str) -> Value {
    json!({ "method": "ACH", "holderName": "Ada Lovelace", "routingNumber": "121042882", "accountNumber": account, "accountType": "SAVINGS" })
}

fn path(investor: &str) -> String {
    format!("/api/investors/{investor}/bank-accounts")
}

/// Every text value of every row of the tables that could hold a payee's details.
async fn all_stored_text(app: &TestApp) -> String {
    let mut out = String::new();
    for table in [
        "bank_accounts",
        "audit_log",
        "outbox",
        "payments",
        "payment_events",
        "payment_batches",
        "jobs",
        "idempotency_keys",
        "payee_change_suggestions",
    ] {
        let cols = match app.db.backend() {
            clearway_store::Backend::Sqlite => format!("SELECT name FROM pragma_table_info('{table}')"),
            clearway_store::Backend::Postgres => format!("SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{table}'"),
        };
        let names: Vec<String> = app
            .db
            .fetch_all(q(cols))
            .await
            .unwrap()
            .iter()
            .map(|r| r.text("name").unwrap())
            .collect();
        assert!(!names.is_empty(), "{table} has columns");
        for name in names {
            let rows = app
                .db
                .fetch_all(q(format!("SELECT CAST({name} AS TEXT) AS v FROM {table}")))
                .await
                .unwrap();
            for r in rows {
                if let Some(v) = r.opt_text("v").unwrap() {
                    out.push_str(&v);
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn account_numbers_never_appear_in_clear() {
    let app = spawn_app(4).await;
    let me = app.seeded.investor_user_investor_id.clone();
    // The investor adds an ACH payee and a wire payee; staff read them back.
    let resp = app
        .post_with_key("investor", &path(&me), "payee-1", &ach(ACCOUNT))
        .await;
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["accountNumberMasked"], "••••1012");
    assert_eq!(created["status"], "PENDING_VERIFICATION");
    let wire = json!({ "method": "WIRE", "holderName": "Ada Lovelace", "currency": "EUR", "iban": IBAN, "bic": "COBADEFFXXX",
                       "address": { "lines": ["1 Unter den Linden"], "city": "Berlin", "country": "DE" } });
    let resp = app.post("investor", &path(&me), &wire).await;
    assert_eq!(resp.status(), 201);
    let wire_id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A change of details: audited and evented, masked.
    let changed = app.put("operator", &format!("{}/{wire_id}", path(&me)), &json!({ "method": "WIRE", "holderName": "Ada Lovelace", "currency": "EUR",
        "iban": "GB82 WEST 1234 5698 7654 32", "bic": "NWBKGB2L", "address": { "lines": ["1 High St"], "city": "London", "country": "GB" }, "verified": true })).await;
    assert_eq!(changed.status(), 200);
    assert_eq!(
        changed.json::<Value>().await.unwrap()["accountNumberMasked"],
        "••••5432"
    );

    let mut seen = String::new();
    for role in ["investor", "operator", "auditor", "admin"] {
        seen.push_str(&app.get(role, &path(&me)).await.text().await.unwrap());
    }
    seen.push_str(
        &app.get("auditor", "/api/audit?limit=1000")
            .await
            .text()
            .await
            .unwrap(),
    );
    seen.push_str(
        &app.get("auditor", "/api/events?limit=1000")
            .await
            .text()
            .await
            .unwrap(),
    );
    seen.push_str(&all_stored_text(&app).await);
    for secret in [
        ACCOUNT,
        IBAN,
        "GB82WEST12345698765432",
        "WEST12345698765432",
        "370400440532013000",
    ] {
        assert!(!seen.contains(secret), "{secret} found in clear");
    }
    assert!(seen.contains("••••1012"), "masked form is shown");
    let audit: Value = app
        .get("auditor", "/api/audit?action=bank_account.update")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        audit["items"][0]["before"]["accountNumberMasked"],
        "••••3000"
    );
    assert_eq!(
        audit["items"][0]["after"]["accountNumberMasked"],
        "••••5432"
    );
    let events: Value = app
        .get("auditor", "/api/events?type=bank_account.changed")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn bad_payee_and_rate_input_is_a_named_422_and_writes_nothing() {
    let app = spawn_app(3).await;
    let me = app.seeded.investor_user_investor_id.clone();
    let tables = [
        "bank_accounts",
        "fx_rates",
        "audit_log",
        "outbox",
        "idempotency_keys",
        "jobs",
    ];
    let snapshot = || async {
        let mut v = Vec::new();
        for t in tables {
            v.push(
                app.db
                    .fetch_optional(q(format!("SELECT COUNT(*) AS n FROM {t}")))
                    .await
                    .unwrap()
                    .unwrap()
                    .i64("n")
                    .unwrap(),
            );
        }
        v
    };
    let before = snapshot().await;
    let with = |patch: Value| {
        let mut b = ach(ACCOUNT);
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let cases = vec![
        (
            with(json!({ "routingNumber": "121042883" })),
            "routingNumber",
        ),
        (
            with(json!({ "routingNumber": "12104288" })),
            "routingNumber",
        ),
        (with(json!({ "accountNumber": "12" })), "accountNumber"),
        (
            with(json!({ "accountNumber": "12 34 56!" })),
            "accountNumber",
        ),
        (with(json!({ "currency": "XAU" })), "currency"),
        (with(json!({ "currency": "ABC" })), "currency"),
        (with(json!({ "currency": "EUR" })), "currency"),
        (with(json!({ "accountType": "BROKERAGE" })), "accountType"),
        (with(json!({ "method": "CASH" })), "method"),
        (with(json!({ "holderName": "" })), "holderName"),
        (
            json!({ "method": "WIRE", "holderName": "X", "iban": "DE89370400440532013001", "bic": "COBADEFFXXX", "address": { "lines": ["a"], "country": "DE" } }),
            "iban",
        ),
        (
            json!({ "method": "WIRE", "holderName": "X", "iban": IBAN, "bic": "COBA", "address": { "lines": ["a"], "country": "DE" } }),
            "bic",
        ),
        (
            json!({ "method": "WIRE", "holderName": "X", "iban": IBAN, "bic": "COBADEFFXXX" }),
            "address",
        ),
        (
            json!({ "method": "CHECK", "holderName": "X", "address": { "lines": [], "country": "US" } }),
            "address.lines",
        ),
        (
            json!({ "method": "CHECK", "holderName": "X", "address": { "lines": ["1 Main"], "country": "usa" } }),
            "address.country",
        ),
    ];
    for (body, field) in cases {
        let resp = app.post("operator", &path(&me), &body).await;
        assert_eq!(resp.status(), 422, "{body}");
        let problem: Value = resp.json().await.unwrap();
        assert_eq!(problem["field"], field, "{problem}");
        assert!(
            !problem.to_string().contains(ACCOUNT),
            "no account number in errors"
        );
    }
    // FX rates: unsupported currency, negative rate, bad timestamp — by JSON and by CSV.
    for (rate, field) in [
        (
            json!({ "base": "USD", "quote": "XXX", "rate": "1.1", "source": "ECB", "asOf": "2026-03-30" }),
            "rates[0].quote",
        ),
        (
            json!({ "base": "USD", "quote": "EUR", "rate": "-0.92", "source": "ECB", "asOf": "2026-03-30" }),
            "rates[0].rate",
        ),
        (
            json!({ "base": "USD", "quote": "EUR", "rate": "0.92", "source": "ECB", "asOf": "yesterday" }),
            "rates[0].asOf",
        ),
        (
            json!({ "base": "USD", "quote": "USD", "rate": "1", "source": "ECB", "asOf": "2026-03-30" }),
            "rates[0].quote",
        ),
    ] {
        let resp = app
            .post("operator", "/api/fx-rates", &json!({ "rates": [rate] }))
            .await;
        assert_eq!(resp.status(), 422);
        assert_eq!(resp.json::<Value>().await.unwrap()["field"], field);
    }
    let csv =
        "base,quote,rate,source,as_of\nUSD,EUR,0.92,ECB,2026-03-30\nUSD,JPY,-151,ECB,2026-03-30\n";
    let resp = app
        .client
        .post(app.url("/api/fx-rates/csv"))
        .bearer_auth(app.token("operator"))
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["field"],
        "lines[1].rate"
    );
    // Micro-deposit confirmation with a negative amount.
    let resp = app
        .post(
            "operator",
            &format!("{}/x/micro-deposits/confirm", path(&me)),
            &json!({ "amounts": ["-0.12", "0.34"] }),
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.json::<Value>().await.unwrap()["field"], "amounts[0]");
    assert_eq!(snapshot().await, before, "nothing was written");

    // And good rates import, by JSON and CSV, once each.
    let resp = app.post("operator", "/api/fx-rates", &json!({ "rates": [{ "base": "USD", "quote": "JPY", "rate": "151.235", "source": "bank", "asOf": "2026-03-30T16:00:00Z" }] })).await;
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({ "received": 1, "imported": 1 })
    );
    let csv = "base,quote,rate,source,as_of\nUSD,BHD,0.37605,bank,2026-03-30T16:00:00Z\nUSD,JPY,151.235,bank,2026-03-30T16:00:00Z\n";
    let resp = app
        .client
        .post(app.url("/api/fx-rates/csv"))
        .bearer_auth(app.token("operator"))
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({ "received": 2, "imported": 1 })
    );
    let rates: Value = app
        .get("auditor", "/api/fx-rates")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        rates["items"].as_array().unwrap().len(),
        4,
        "2 demo rates + JPY + BHD"
    );
    assert_eq!(
        app.post("auditor", "/api/fx-rates", &json!({ "rates": [] }))
            .await
            .status(),
        403
    );
    app.stop().await;
}

#[tokio::test]
async fn payees_belong_to_their_investor_and_organization() {
    let app = spawn_app(5).await;
    let mut options = clearway_server::demo::Options::demo(2);
    options.history = false;
    options.org_name = "Another Fund Admin".into();
    let other = clearway_server::demo::seed(&app.db, &options)
        .await
        .unwrap();
    let me = app.seeded.investor_user_investor_id.clone();
    let someone_else = app.seeded.investor_ids[3].clone();
    let mine: Value = app.get("investor", &path(&me)).await.json().await.unwrap();
    let my_account = mine["items"][0]["id"].as_str().unwrap().to_string();
    let id = paid_distribution(&app, "500.00").await;
    let payment = payments_of(&app, "operator", &id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let batch: Value = app
        .get("operator", "/api/payment-batches")
        .await
        .json()
        .await
        .unwrap();
    let batch = batch["items"][0]["id"].as_str().unwrap().to_string();

    let send = |token: String, method: reqwest::Method, p: String| {
        let req = app
            .client
            .request(method.clone(), app.url(&p))
            .bearer_auth(token);
        let body = if p.ends_with("/confirm") {
            json!({ "amounts": ["0.01", "0.02"] })
        } else if p.ends_with("/plaid-verification") {
            json!({ "publicToken": "public-x" })
        } else {
            ach(ACCOUNT)
        };
        let req = if method == reqwest::Method::GET || method == reqwest::Method::DELETE {
            req
        } else {
            req.json(&body)
        };
        async move { req.send().await.unwrap().status().as_u16() }
    };
    use reqwest::Method as M;
    let account_paths = |inv: &str, acct: &str| {
        vec![
            (M::GET, path(inv)),
            (M::POST, path(inv)),
            (M::GET, format!("{}/{acct}", path(inv))),
            (M::PUT, format!("{}/{acct}", path(inv))),
            (M::DELETE, format!("{}/{acct}", path(inv))),
            (M::PATCH, format!("{}/{acct}/default", path(inv))),
            (M::POST, format!("{}/{acct}/micro-deposits", path(inv))),
            (
                M::POST,
                format!("{}/{acct}/micro-deposits/confirm", path(inv)),
            ),
            (M::POST, format!("{}/{acct}/plaid-verification", path(inv))),
        ]
    };
    // Another organization's staff and investors: nothing exists.
    for token in [
        other.tokens.operator.clone(),
        other.tokens.admin.clone(),
        other.tokens.investor.clone(),
    ] {
        for (m, p) in account_paths(&me, &my_account) {
            assert_eq!(
                send(token.clone(), m.clone(), p.clone()).await,
                404,
                "{m} {p}"
            );
        }
        for (m, p) in [
            (M::GET, format!("/api/distributions/{id}/payments")),
            (M::POST, format!("/api/distributions/{id}/payments")),
            (
                M::PATCH,
                format!("/api/distributions/payments/{payment}/retry"),
            ),
            (
                M::GET,
                format!("/api/distributions/payments/{payment}/status"),
            ),
            (M::GET, format!("/api/payment-batches/{batch}")),
            (M::GET, format!("/api/payment-batches/{batch}/file")),
            (M::PATCH, format!("/api/checks/{payment}/void")),
        ] {
            let status = send(token.clone(), m.clone(), p.clone()).await;
            assert!(
                status == 404 || (status == 403 && token == other.tokens.investor),
                "{m} {p}: {status}"
            );
        }
    }
    // Another investor of the same organization: not found.
    for (m, p) in account_paths(&someone_else, "x") {
        assert_eq!(
            send(app.token("investor").to_string(), m.clone(), p.clone()).await,
            404,
            "{m} {p}"
        );
    }
    let theirs = payments_of(&app, "operator", &id)
        .await
        .into_iter()
        .find(|p| p["investorId"] == someone_else.as_str())
        .unwrap();
    let their_payment = theirs["id"].as_str().unwrap();
    assert_eq!(
        app.get(
            "investor",
            &format!("/api/distributions/payments/{their_payment}/status")
        )
        .await
        .status(),
        404
    );
    // Read-only roles read (masked) but change nothing; investors cannot run payments.
    for role in ["auditor", "approver"] {
        assert_eq!(app.get(role, &path(&me)).await.status(), 200);
        assert_eq!(
            app.post(role, &path(&me), &ach(ACCOUNT)).await.status(),
            403,
            "{role}"
        );
        assert_eq!(
            app.patch(
                role,
                &format!("/api/distributions/payments/{payment}/retry")
            )
            .await
            .status(),
            403
        );
        assert_eq!(
            app.post(
                role,
                &format!("/api/distributions/{id}/payments"),
                &json!({})
            )
            .await
            .status(),
            403
        );
        assert_eq!(
            app.patch(role, &format!("/api/checks/{payment}/void"))
                .await
                .status(),
            403
        );
    }
    assert_eq!(
        app.patch(
            "investor",
            &format!("/api/distributions/payments/{payment}/retry")
        )
        .await
        .status(),
        403
    );
    for p in [
        "/api/payments/review",
        "/api/payments/unclaimed",
        "/api/payment-batches",
        "/api/payee-changes",
        "/api/checks/positive-pay",
    ] {
        assert_eq!(app.get("investor", p).await.status(), 404, "{p}");
        assert_eq!(
            app.get("auditor", p).await.status(),
            if p == "/api/checks/positive-pay" {
                403
            } else {
                200
            },
            "{p}"
        );
    }
    let returns = app
        .client
        .post(app.url("/api/payments/ach-returns"))
        .bearer_auth(app.token("auditor"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(returns.status(), 403);
    // The investor manages their own payee, but cannot attest it verified.
    let mut attested = ach(ACCOUNT);
    attested["verified"] = json!(true);
    let resp = app.post("investor", &path(&me), &attested).await;
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.json::<Value>().await.unwrap()["field"], "verified");
    assert_eq!(
        app.post("investor", &path(&me), &ach(ACCOUNT))
            .await
            .status(),
        201
    );
    app.stop().await;
}

#[tokio::test]
async fn micro_deposits_verify_a_payee_and_the_failed_payment_is_requeued() {
    // Investor #50 (index 49) has no payee: its payment fails into review.
    let app = spawn_app(51).await;
    let id = paid_distribution(&app, "5100.00").await;
    let unpaid = app.seeded.investor_ids[49].clone();
    let failed = payments_of(&app, "operator", &id)
        .await
        .into_iter()
        .find(|p| p["investorId"] == unpaid.as_str())
        .unwrap();
    assert_eq!(failed["failureCode"], "NO_PAYEE");
    let resp = app
        .post("operator", &path(&unpaid), &ach("55550000111"))
        .await;
    assert_eq!(resp.status(), 201);
    let account = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let base = format!("{}/{account}", path(&unpaid));
    let resp = app
        .post("operator", &format!("{base}/micro-deposits"), &json!({}))
        .await;
    assert_eq!(resp.status(), 202);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["microDepositsPending"],
        true
    );
    // The two credits went out in a NACHA file of their own, readable by our reader.
    let batches: Value = app
        .get("operator", "/api/payment-batches?kind=MICRO_DEPOSIT")
        .await
        .json()
        .await
        .unwrap();
    let batch_id = batches["items"][0]["id"].as_str().unwrap();
    let file = crate::payments::download(&app, "operator", batch_id)
        .await
        .text()
        .await
        .unwrap();
    let parsed = clearway_formats::ach::parse_file(&file).unwrap();
    assert_eq!(parsed.batches[0].entries.len(), 2);
    assert!(parsed.batches[0]
        .entries
        .iter()
        .all(|e| e.transaction_code == 32 && e.amount < 100));
    let row = app.db.fetch_optional(q("SELECT micro_deposit_1 AS a, micro_deposit_2 AS b FROM bank_accounts WHERE id = $1").bind(account.as_str())).await.unwrap().unwrap();
    let (a, b) = (row.i64("a").unwrap(), row.i64("b").unwrap());
    let amounts: Vec<i64> = parsed.batches[0]
        .entries
        .iter()
        .map(|e| e.amount as i64)
        .collect();
    assert_eq!(amounts, vec![a, b]);
    let fmt = |c: i64| format!("0.{c:02}");
    let wrong = app
        .post(
            "operator",
            &format!("{base}/micro-deposits/confirm"),
            &json!({ "amounts": [fmt(a), fmt(if b == 99 { 98 } else { b + 1 })] }),
        )
        .await;
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(wrong["verified"], false);
    assert_eq!(wrong["attemptsLeft"], 2);
    let right: Value = app
        .post(
            "operator",
            &format!("{base}/micro-deposits/confirm"),
            &json!({ "amounts": [fmt(b), fmt(a)] }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(right["verified"], true, "{right}");
    assert_eq!(right["bankAccount"]["status"], "VERIFIED");
    assert_eq!(right["requeuedPayments"].as_array().unwrap().len(), 1);
    app.wait_jobs().await;
    let now: Vec<Value> = payments_of(&app, "operator", &id)
        .await
        .into_iter()
        .filter(|p| p["investorId"] == unpaid.as_str())
        .collect();
    assert_eq!(now.len(), 2);
    let retry = now.iter().find(|p| p["attempt"] == 2).unwrap();
    assert_eq!(retry["status"], "SENT");
    assert_eq!(retry["retryOf"], failed["id"]);
    let review: Value = app
        .get("operator", "/api/payments/review")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        review["items"].as_array().unwrap().len(),
        0,
        "the review item is resolved"
    );
    let status: Value = app
        .get(
            "operator",
            &format!(
                "/api/distributions/payments/{}/status",
                retry["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["lineStatus"], "PAYMENT_INITIATED");
    let attempts: Vec<i64> = status["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["attempt"].as_i64().unwrap())
        .collect();
    assert!(
        attempts.contains(&1) && attempts.contains(&2),
        "history covers both attempts: {status}"
    );
    app.stop().await;
}

#[tokio::test]
async fn plaid_style_link_verifies_a_matching_account_only() {
    let plaid = Router::new()
        .route("/item/public_token/exchange", post(|Json(b): Json<Value>| async move {
            if b["client_id"] != "cid" || b["secret"] != "sec" {
                return (axum::http::StatusCode::UNAUTHORIZED, Json(json!({ "error_code": "INVALID_API_KEYS" })));
            }
            match b["public_token"].as_str() {
                Some("public-good") => (axum::http::StatusCode::OK, Json(json!({ "access_token": "access-good" }))),
                Some("public-other") => (axum::http::StatusCode::OK, Json(json!({ "access_token": "access-other" }))),
                _ => (axum::http::StatusCode::BAD_REQUEST, Json(json!({ "error_code": "INVALID_PUBLIC_TOKEN" }))),
            }
        }))
        .route("/auth/get", post(|Json(b): Json<Value>| async move {
            let account = if b["access_token"] == "access-good" { ACCOUNT } else { "111122223333" };
            Json(json!({ "accounts": [{ "account_id": "a1", "mask": "1012" }], "numbers": { "ach": [{ "account_id": "a1", "account": account, "routing": "121042882", "wire_routing": "121042882" }] } }))
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, plaid).await.unwrap() });
    let mut config = test_config();
    config.payments.plaid = Some(clearway_server::payments::PlaidConfig {
        base_url: format!("http://{addr}"),
        client_id: "cid".into(),
        secret: "sec".into(),
    });
    let app = spawn_app_with(3, config).await;
    let me = app.seeded.investor_user_investor_id.clone();
    let account = app
        .post("investor", &path(&me), &ach(ACCOUNT))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("{}/{account}/plaid-verification", path(&me));
    let bad = app
        .post("investor", &url, &json!({ "publicToken": "public-nope" }))
        .await;
    assert_eq!(bad.status(), 422);
    let other = app
        .post("investor", &url, &json!({ "publicToken": "public-other" }))
        .await;
    assert_eq!(
        other.status(),
        422,
        "a linked account with another number does not verify"
    );
    let good: Value = app
        .post("investor", &url, &json!({ "publicToken": "public-good" }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(good["verified"], true);
    assert_eq!(good["bankAccount"]["verificationMethod"], "PLAID");
    let again = app
        .post("investor", &url, &json!({ "publicToken": "public-good" }))
        .await;
    assert_eq!(again.status(), 409, "already verified");
    tokio::time::sleep(Duration::from_millis(1)).await;
    app.stop().await;
}
