//! Recovering money after a reversal (issue 14 item 5): receivables for the cash that left,
//! unsent payments cancelled instead, the report and its per-investor identity, offsets
//! against later distributions, collections by hand, write-offs, ACH reversing entries.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::helpers::{cents, spawn_app, TestApp};
use crate::payments::{paid_distribution, payments_of};
use crate::payments_rails::{approved, processed_with_rails_delayed};

/// Reverses every line of `id`, approves and processes the reversal; returns its id.
async fn reverse_all(app: &TestApp, id: &str) -> String {
    let resp = app
        .post(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": "paid in error" }),
        )
        .await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let rev: Value = resp.json().await.unwrap();
    let rev_id = rev["reversal"]["id"].as_str().unwrap().to_string();
    for (role, action) in [("approver", "approve"), ("operator", "process")] {
        let resp = app
            .patch(role, &format!("/api/distributions/{rev_id}/{action}"))
            .await;
        assert!(
            resp.status().is_success(),
            "{action}: {}",
            resp.text().await.unwrap()
        );
    }
    app.wait_status(&rev_id, "COMPLETED").await;
    rev_id
}

async fn receivables(app: &TestApp, role: &str, query: &str) -> Value {
    let resp = app.get(role, &format!("/api/receivables?{query}")).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

fn by_investor(items: &[Value]) -> HashMap<String, Value> {
    items
        .iter()
        .map(|v| (v["investorId"].as_str().unwrap().to_string(), v.clone()))
        .collect()
}

/// Cash of each investor's line (cents).
async fn line_cash(app: &TestApp, id: &str) -> HashMap<String, Value> {
    by_investor(&app.all_lines("operator", id).await)
}

#[tokio::test]
async fn a_reversal_of_paid_lines_opens_receivables_that_offsets_and_collections_recover() {
    let app = spawn_app(6).await;
    let id = paid_distribution(&app, "600.00").await;
    let paid = payments_of(&app, "operator", &id).await;
    assert_eq!(paid.len(), 6);
    assert!(paid.iter().all(|p| p["status"] == "SENT"), "{paid:?}");
    let rev_id = reverse_all(&app, &id).await;

    // Every reversal line points at its receivable: nothing stays PENDING.
    let rev_lines = app.all_lines("operator", &rev_id).await;
    assert!(
        rev_lines.iter().all(|l| l["status"] == "RECEIVABLE"),
        "{rev_lines:?}"
    );
    let page = receivables(&app, "operator", &format!("distributionId={id}")).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 6);
    let owed = by_investor(items);
    let original = line_cash(&app, &id).await;
    let mut sum = 0;
    for p in &paid {
        let inv = p["investorId"].as_str().unwrap();
        let r = &owed[inv];
        assert_eq!(cents(&r["amount"]), cents(&p["fundAmount"]));
        assert_eq!(cents(&r["outstanding"]), cents(&p["fundAmount"]));
        assert_eq!(r["status"], "OPEN");
        assert_eq!(r["method"], "OFFSET");
        assert_eq!(r["originalPaymentId"], p["id"]);
        assert_eq!(r["reversalDistributionId"], rev_id.as_str());
        let rl = rev_lines.iter().find(|l| l["investorId"] == inv).unwrap();
        assert_eq!(rl["receivableId"], r["id"]);
        sum += cents(&r["outstanding"]);
    }
    assert_eq!(sum, 60_000);
    assert_eq!(page["totals"][0]["currency"], "USD");
    assert_eq!(cents(&page["totals"][0]["outstanding"]), sum);
    assert_eq!(cents(&page["totals"][0]["amount"]), sum);
    // Per investor: paid − recovered − outstanding = net of original and reversal (0 here).
    let reversal = line_cash(&app, &rev_id).await;
    for (inv, r) in &owed {
        let net = cents(&original[inv]["cashAmount"]) + cents(&reversal[inv]["cashAmount"]);
        assert_eq!(net, 0);
        assert_eq!(
            cents(&r["amount"]) - cents(&r["recovered"]) - cents(&r["outstanding"]),
            net
        );
    }

    // Later distributions offset what each investor still owes (modelled here in cents).
    let mut left: HashMap<String, i64> = owed
        .iter()
        .map(|(inv, r)| (inv.clone(), cents(&r["outstanding"])))
        .collect();
    let small = paid_distribution(&app, "300.00").await;
    let small_offsets = check_offsets(&app, &small, &mut left, &owed).await;
    // Half the original: every line is offset in full, no payment made.
    assert!(payments_of(&app, "operator", &small).await.is_empty());
    let page = receivables(&app, "operator", "status=PARTIALLY_RECOVERED").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 6);
    let still: i64 = left.values().sum();
    assert_eq!(cents(&page["totals"][0]["outstanding"]), still);
    assert_eq!(cents(&page["totals"][0]["recovered"]), sum - still);

    // A wire collected by hand (operator), idempotent; amounts beyond what is owed refused.
    let first = app.seeded.investor_ids[0].clone();
    let rid = owed[&first]["id"].as_str().unwrap().to_string();
    let path = format!("/api/receivables/{rid}/recoveries");
    let body = json!({ "method": "WIRE", "amount": "1.00", "receivedDate": "2026-04-06", "reference": "FED REF 123" });
    let resp = app.post_with_key("operator", &path, "rec-1", &body).await;
    let out: Value = resp.json().await.unwrap();
    assert!(out["recovery"].is_object(), "{out}");
    *left.get_mut(&first).unwrap() -= 100;
    assert_eq!(cents(&out["receivable"]["outstanding"]), left[&first]);
    assert_eq!(out["recovery"]["method"], "WIRE");
    let again: Value = app
        .post_with_key("operator", &path, "rec-1", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, out);
    let over = rust_decimal::Decimal::new(left[&first] + 1, 2).to_string();
    let too_much = json!({ "method": "CHECK", "amount": over, "receivedDate": "2026-04-06", "reference": "1001" });
    let resp = app.post("operator", &path, &too_much).await;
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.json::<Value>().await.unwrap()["field"], "amount");
    let bad = json!({ "method": "OFFSET", "amount": "1.00", "receivedDate": "2026-02-30", "reference": "x" });
    let resp = app.post("operator", &path, &bad).await;
    assert_eq!(resp.status(), 422);
    let fields: Vec<String> = resp.json::<Value>().await.unwrap()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["method", "receivedDate"]);
    for role in ["approver", "investor", "auditor"] {
        assert_eq!(app.post(role, &path, &body).await.status(), 403, "{role}");
    }

    // Write-off: approvers only, with a reason.
    let second = app.seeded.investor_ids[1].clone();
    let rid2 = owed[&second]["id"].as_str().unwrap().to_string();
    let wo = format!("/api/receivables/{rid2}/write-off");
    assert_eq!(
        app.post("operator", &wo, &json!({ "reason": "uncollectable" }))
            .await
            .status(),
        403
    );
    let resp = app
        .post("approver", &wo, &json!({ "reason": "uncollectable" }))
        .await;
    assert_eq!(resp.status(), 200);
    let written: Value = resp.json().await.unwrap();
    assert_eq!(written["status"], "WRITTEN_OFF");
    assert_eq!(cents(&written["writtenOff"]), left[&second]);
    assert_eq!(written["outstanding"], "0.00");
    left.insert(second.clone(), 0);

    // Four times the original: the rest is offset, each payment carries cash − offset.
    let big = paid_distribution(&app, "2400.00").await;
    let big_offsets = check_offsets(&app, &big, &mut left, &owed).await;
    assert_eq!(big_offsets[&second], 0);
    assert_eq!(payments_of(&app, "operator", &big).await.len(), 6);
    assert!(left.values().all(|v| *v == 0));
    let all = receivables(&app, "operator", "").await;
    for r in all["items"].as_array().unwrap() {
        let want = if r["investorId"] == second.as_str() {
            "WRITTEN_OFF"
        } else {
            "RECOVERED"
        };
        assert_eq!(r["status"], want);
        // paid − recovered − written off − outstanding = net (0) for every investor.
        assert_eq!(
            cents(&r["amount"])
                - cents(&r["recovered"])
                - cents(&r["writtenOff"])
                - cents(&r["outstanding"]),
            0
        );
    }
    let detail: Value = app
        .get("operator", &format!("/api/receivables/{rid}"))
        .await
        .json()
        .await
        .unwrap();
    let methods: Vec<(String, i64)> = detail["recoveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_string(),
                cents(&r["amount"]),
            )
        })
        .collect();
    assert_eq!(
        methods,
        [
            ("OFFSET".to_string(), small_offsets[&first]),
            ("WIRE".to_string(), 100),
            ("OFFSET".to_string(), big_offsets[&first])
        ]
    );
    app.stop().await;
}

/// Checks every line of `id` against the model `left` (outstanding per investor, updated):
/// offset = min(cash, owed), the payment carries cash − offset (none when 0), and a line
/// offset in full is OFFSET. Returns the offsets.
async fn check_offsets(
    app: &TestApp,
    id: &str,
    left: &mut HashMap<String, i64>,
    owed: &HashMap<String, Value>,
) -> HashMap<String, i64> {
    let pays = by_investor(&payments_of(app, "operator", id).await);
    let mut out = HashMap::new();
    for l in app.all_lines("operator", id).await {
        let inv = l["investorId"].as_str().unwrap().to_string();
        let cash = cents(&l["cashAmount"]);
        let want = cash.min(left[&inv]);
        let offset = if l["offsetAmount"].is_null() {
            0
        } else {
            cents(&l["offsetAmount"])
        };
        assert_eq!(offset, want, "{inv}");
        if want > 0 {
            assert_eq!(l["receivableId"], owed[&inv]["id"]);
        }
        if cash == want {
            assert_eq!(l["status"], "OFFSET");
            assert!(!pays.contains_key(&inv));
        } else {
            assert_eq!(l["status"], "PAYMENT_INITIATED");
            assert_eq!(cents(&pays[&inv]["fundAmount"]), cash - want);
        }
        *left.get_mut(&inv).unwrap() -= want;
        out.insert(inv, want);
    }
    out
}

#[tokio::test]
async fn an_investor_sees_only_their_receivables_and_another_org_none() {
    let app = spawn_app(4).await;
    let id = paid_distribution(&app, "400.00").await;
    reverse_all(&app, &id).await;
    let mine = &app.seeded.investor_user_investor_id;
    let page = receivables(&app, "investor", "").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["investorId"], mine.as_str());
    assert_eq!(page["totals"][0]["count"], 1);
    let all = receivables(&app, "operator", "limit=2").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert!(all["nextCursor"].is_string());
    assert_eq!(all["totals"][0]["count"], 4);
    let other = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(
            receivables(&app, "operator", "").await["items"]
                .as_array()
                .unwrap(),
        )
        .find(|r| r["investorId"] != mine.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.get("investor", &format!("/api/receivables/{other}"))
            .await
            .status(),
        404
    );
    let elsewhere = app.seed_another_org(2, "Other Org").await;
    let resp = app
        .client
        .get(app.url(&format!("/api/receivables/{other}")))
        .bearer_auth(&elsewhere.tokens.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = app
        .client
        .get(app.url("/api/receivables"))
        .bearer_auth(&elsewhere.tokens.admin)
        .send()
        .await
        .unwrap();
    let page: Value = resp.json().await.unwrap();
    assert!(page["items"].as_array().unwrap().is_empty());
    // Nor can it act on one: every write is a 404 there, and changes nothing.
    let before = app.snapshot().await;
    for (action, body) in [
        ("write-off", json!({ "reason": "not ours" })),
        (
            "recoveries",
            json!({ "method": "WIRE", "amount": "1.00", "receivedDate": "2026-03-31", "reference": "X" }),
        ),
        ("ach-reversal", json!({ "reason": "DUPLICATE" })),
    ] {
        let resp = app
            .client
            .post(app.url(&format!("/api/receivables/{other}/{action}")))
            .bearer_auth(&elsewhere.tokens.admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{action}");
    }
    assert_eq!(app.snapshot().await, before);
    app.stop().await;
}

#[tokio::test]
async fn payments_still_pending_at_reversal_are_cancelled_and_nothing_is_owed() {
    let mut app = spawn_app(3).await;
    let id = approved(&app, "300.00").await;
    // The rail job is delayed (bank cut-off): the payments are still PENDING at reversal.
    processed_with_rails_delayed(&mut app, &id).await;
    let rev_id = reverse_all(&app, &id).await;
    let pays = payments_of(&app, "operator", &id).await;
    assert_eq!(pays.len(), 3);
    for p in &pays {
        assert_eq!(p["status"], "CANCELLED");
        assert_eq!(p["failureCode"], "REVERSED");
    }
    for l in app.all_lines("operator", &rev_id).await {
        assert_eq!(l["status"], "NOTHING_OWED");
        assert!(l["receivableId"].is_null());
    }
    let page = receivables(&app, "operator", "").await;
    assert!(page["items"].as_array().unwrap().is_empty());
    // The reversed lines are not paid again.
    let resp = app
        .post(
            "operator",
            &format!("/api/distributions/{id}/payments"),
            &json!({}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let out: Value = resp.json().await.unwrap();
    assert!(out["pending"].as_array().unwrap().is_empty(), "{out}");
    assert!(out["failed"].as_array().unwrap().is_empty(), "{out}");
    let audited = app
        .count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'payment.cancel'")
        .await;
    assert_eq!(audited, 3);
    app.stop().await;
}

/// The NACHA file behind a download.
async fn nacha(app: &TestApp, path: &str) -> clearway_formats::ach::File {
    let resp = app.get("operator", path).await;
    assert_eq!(resp.status(), 200, "{path}");
    clearway_formats::ach::parse_file(&resp.text().await.unwrap()).expect("valid NACHA")
}

#[tokio::test]
async fn an_ach_reversing_entry_debits_the_same_account_in_full_within_five_banking_days() {
    let app = spawn_app(3).await;
    let id = paid_distribution(&app, "300.00").await;
    let paid = by_investor(&payments_of(&app, "operator", &id).await);
    reverse_all(&app, &id).await;
    let owed = by_investor(
        receivables(&app, "operator", "").await["items"]
            .as_array()
            .unwrap(),
    );
    let inv = &app.seeded.investor_ids;
    let path = |n: usize| {
        format!(
            "/api/receivables/{}/ach-reversal",
            owed[&inv[n]]["id"].as_str().unwrap()
        )
    };

    // Only erroneous entries, and only staff who operate.
    let resp = app
        .post("operator", &path(0), &json!({ "reason": "CHANGED_MIND" }))
        .await;
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.json::<Value>().await.unwrap()["field"], "reason");
    assert_eq!(
        app.post("investor", &path(0), &json!({ "reason": "DUPLICATE" }))
            .await
            .status(),
        403
    );
    let resp = app
        .post_with_key(
            "operator",
            &path(0),
            "rev-ach-1",
            &json!({ "reason": "DUPLICATE" }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let out: Value = resp.json().await.unwrap();
    let r = &out["receivable"];
    assert_eq!(r["status"], "RECOVERING");
    assert_eq!(r["method"], "ACH_REVERSAL");
    assert_eq!(r["expected"], r["amount"]);
    assert_eq!(r["outstanding"], r["amount"]);
    assert_eq!(out["recovery"]["status"], "EXPECTED");
    assert_eq!(out["recovery"]["method"], "ACH_REVERSAL");

    // The file: one debit (27/37) of the full original amount, to the original account, in a
    // 225 batch described REVERSAL, with the original's SEC code and company.
    let rid = owed[&inv[0]]["id"].as_str().unwrap();
    let file = nacha(&app, &format!("/api/receivables/{rid}/ach-reversal/file")).await;
    let original_payment = &paid[&inv[0]];
    let original = nacha(
        &app,
        &format!(
            "/api/payment-batches/{}/file",
            original_payment["batchId"].as_str().unwrap()
        ),
    )
    .await;
    let (ob, oe) = original
        .batches
        .iter()
        .find_map(|b| {
            b.entries
                .iter()
                .find(|e| Some(e.trace_number.as_str()) == original_payment["traceNumber"].as_str())
                .map(|e| (b, e))
        })
        .unwrap();
    assert_eq!(file.batches.len(), 1);
    let b = &file.batches[0];
    assert_eq!(b.header.service_class_code.code(), 225);
    assert_eq!(b.header.company_entry_description, "REVERSAL");
    assert_eq!(b.header.sec_code, ob.header.sec_code);
    assert_eq!(
        b.header.company_identification,
        ob.header.company_identification
    );
    assert_eq!(b.entries.len(), 1);
    let e = &b.entries[0];
    assert_eq!(e.transaction_code, oe.transaction_code + 5, "22→27, 32→37");
    assert_eq!(e.amount, oe.amount);
    assert_eq!(e.amount as i64, cents(&r["amount"]));
    assert_eq!(e.routing_number(), oe.routing_number());
    assert_eq!(e.dfi_account_number, oe.dfi_account_number);
    assert_eq!(b.control.total_debit, oe.amount);
    assert_eq!(b.control.total_credit, 0);
    assert_eq!(
        e.trace_number,
        out["recovery"]["traceNumber"].as_str().unwrap()
    );
    // One allocator for every ACH file of the day: the reversing file takes a modifier after the
    // credit files' (A, B, … in order), never one of theirs.
    assert_eq!(
        file.header.file_creation_date,
        original.header.file_creation_date
    );
    assert!(file.header.file_id_modifier > original.header.file_id_modifier);
    // Not twice: the receivable is no longer OPEN.
    assert_eq!(
        app.post("operator", &path(0), &json!({ "reason": "DUPLICATE" }))
            .await
            .status(),
        409
    );

    // The bank credits the reversal's money: reconciliation clears the expected recovery
    // (not the original payment, which stays SENT).
    let amount = cents(&r["amount"]);
    let trace = out["recovery"]["traceNumber"].as_str().unwrap();
    let csv = format!(
        "date;amount;ref;name;text\n2026-04-08;{},{:02};{trace};;ACH DEBIT SETTLED\n2026-04-08;{},{:02};;;OTHER CREDIT\n",
        amount / 100,
        amount % 100,
        amount / 100,
        amount % 100
    );
    let query = "?format=csv&dateColumn=date&amountColumn=amount&referenceColumn=ref&counterpartyColumn=name&descriptionColumn=text&decimalSeparator=,&currency=USD&account=OPS-9";
    let resp = app
        .client
        .post(app.url(&format!("/api/bank-statements{query}")))
        .bearer_auth(app.token("operator"))
        .header("Content-Type", "application/octet-stream")
        .body(csv.into_bytes())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    app.wait_jobs().await;
    let cleared: Value = app
        .get("operator", &format!("/api/receivables/{rid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["receivable"]["status"], "RECOVERED");
    assert_eq!(cleared["receivable"]["outstanding"], "0.00");
    assert_eq!(cleared["receivable"]["expected"], "0.00");
    assert_eq!(cents(&cleared["receivable"]["recovered"]), amount);
    let rec = &cleared["recoveries"][0];
    assert_eq!(
        (rec["status"].as_str(), rec["receivedDate"].as_str()),
        (Some("RECEIVED"), Some("2026-04-08"))
    );
    let after: Vec<Value> = payments_of(&app, "operator", &id).await;
    let p0 = after
        .iter()
        .find(|p| p["id"] == original_payment["id"])
        .unwrap();
    assert_eq!(p0["status"], "SENT");
    let matched = app
        .count("SELECT COUNT(*) AS n FROM bank_statement_lines WHERE status = 'MATCHED'")
        .await;
    assert_eq!(matched, 1, "only the line quoting the trace number");

    // A second reversing file the same day takes the next modifier.
    let resp = app
        .post("operator", &path(1), &json!({ "reason": "WRONG_AMOUNT" }))
        .await;
    assert_eq!(resp.status(), 201);
    let rid1 = owed[&inv[1]]["id"].as_str().unwrap();
    let second = nacha(&app, &format!("/api/receivables/{rid1}/ach-reversal/file")).await;
    assert!(second.header.file_id_modifier > file.header.file_id_modifier);

    // Settled more than five banking days ago: refused, naming why.
    let pid = paid[&inv[2]]["id"].as_str().unwrap();
    let long_ago = chrono::Utc::now().date_naive() - chrono::Days::new(14);
    app.db
        .execute_script(&format!(
            "UPDATE payments SET cleared_date = '{long_ago}', status = 'COMPLETED' WHERE id = '{pid}'"
        ))
        .await
        .unwrap();
    let resp = app
        .post("operator", &path(2), &json!({ "reason": "WRONG_RECEIVER" }))
        .await;
    assert_eq!(resp.status(), 409);
    let why = resp.json::<Value>().await.unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(why.contains("5 banking days"), "{why}");
    let still: Value = app
        .get(
            "operator",
            &format!("/api/receivables/{}", owed[&inv[2]]["id"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["receivable"]["status"], "OPEN");
    assert!(still["recoveries"].as_array().unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn an_original_payment_returned_after_the_reversal_closes_its_receivable() {
    let app = spawn_app(2).await;
    let id = paid_distribution(&app, "200.00").await;
    let paid = by_investor(&payments_of(&app, "operator", &id).await);
    reverse_all(&app, &id).await;
    let inv = app.seeded.investor_ids.clone();
    let pid = paid[&inv[0]]["id"].as_str().unwrap().to_string();
    let system = clearway_store::Actor::system(&app.seeded.org_id);
    let mut tx = app.db.begin().await.unwrap();
    clearway_app::payments::settle(
        &mut tx,
        &system,
        &pid,
        &clearway_core::payments::settlement::Settlement::Returned {
            code: "R02".into(),
            reason: "account closed".into(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let owed = by_investor(
        receivables(&app, "operator", "").await["items"]
            .as_array()
            .unwrap(),
    );
    let back = &owed[&inv[0]];
    assert_eq!(back["status"], "RECOVERED");
    assert_eq!(back["outstanding"], "0.00");
    assert_eq!(
        cents(&back["recovered"]),
        cents(&paid[&inv[0]]["fundAmount"])
    );
    assert_eq!(owed[&inv[1]]["status"], "OPEN");
    let detail: Value = app
        .get(
            "operator",
            &format!("/api/receivables/{}", back["id"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["recoveries"][0]["method"], "RETURNED");
    // The money is back: the next distribution offsets only the other investor.
    let next = paid_distribution(&app, "100.00").await;
    for l in app.all_lines("operator", &next).await {
        let offset = l["offsetAmount"]
            .as_str()
            .map(|_| cents(&l["offsetAmount"]))
            .unwrap_or(0);
        if l["investorId"] == inv[0].as_str() {
            assert_eq!(offset, 0);
        } else {
            assert!(offset > 0);
        }
    }
    app.stop().await;
}
