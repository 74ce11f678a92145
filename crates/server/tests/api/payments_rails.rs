//! Returns and notices of change, retries and the review queue, checks (void, stale-dating),
//! a bank-details change holding unsent payments, and a rail job abandoned mid-batch.

use std::time::Duration;

use chrono::NaiveDate;
use clearway_core::distribution::Action;
use clearway_formats::ach::{self, Addenda, NocAddenda, ReturnAddenda, SecCode, ServiceClassCode};
use clearway_store::distributions as store;
use clearway_store::{jobs, q, Actor};
use serde_json::{json, Value};

use crate::helpers::{pro_rata, spawn_app, test_config, TestApp};
use crate::payments::{download, paid_distribution, payments_of, settle_jobs};

/// A NACHA return / NOC file from the investors' banks about our entries.
fn return_file(items: &[(&str, &str, i64, &str)]) -> String {
    let date = NaiveDate::from_ymd_opt(2026, 4, 2).unwrap();
    let mut batches = Vec::new();
    for (n, sec) in [SecCode::Ppd, SecCode::Cor].into_iter().enumerate() {
        let mine: Vec<_> = items
            .iter()
            .filter(|i| (i.0.starts_with('C')) == (sec == SecCode::Cor))
            .collect();
        if mine.is_empty() {
            continue;
        }
        let entries = mine
            .iter()
            .enumerate()
            .map(|(k, (code, trace, amount, corrected))| {
                let own_trace = format!("12104288{:07}", k + 1);
                let addenda = if code.starts_with('C') {
                    Addenda::Noc(NocAddenda {
                        change_code: code.to_string(),
                        original_trace_number: trace.to_string(),
                        original_rdfi_identification: "12104288".into(),
                        corrected_data: corrected.to_string(),
                        trace_number: own_trace.clone(),
                    })
                } else {
                    Addenda::Return(ReturnAddenda {
                        return_code: code.to_string(),
                        original_trace_number: trace.to_string(),
                        date_of_death: None,
                        positions_22_27: String::new(),
                        original_rdfi_identification: "12104288".into(),
                        addenda_information: String::new(),
                        trace_number: own_trace.clone(),
                    })
                };
                ach::EntryDetail {
                    transaction_code: 21,
                    rdfi_identification: "02100002".into(),
                    check_digit: 1,
                    dfi_account_number: "000123456789".into(),
                    amount: if code.starts_with('C') {
                        0
                    } else {
                        *amount as u64
                    },
                    identification_number: String::new(),
                    individual_name: "INVESTOR".into(),
                    discretionary_data: String::new(),
                    addenda_record_indicator: true,
                    trace_number: own_trace,
                    iat: None,
                    adv: None,
                    addenda: vec![addenda],
                }
            })
            .collect();
        let header = ach::BatchHeader {
            service_class_code: ServiceClassCode::CreditsOnly,
            company_name: "CLEARWAY FUNDS".into(),
            company_discretionary_data: String::new(),
            company_identification: "1234567890".into(),
            sec_code: sec,
            company_entry_description: "DISTRIBUTN".into(),
            company_descriptive_date: String::new(),
            effective_entry_date: Some(date),
            settlement_date: String::new(),
            originator_status_code: 1,
            odfi_identification: "12104288".into(),
            batch_number: n as u32 + 1,
            iat: None,
        };
        let mut batch = ach::Batch {
            control: ach::BatchControl {
                service_class_code: ServiceClassCode::CreditsOnly,
                entry_addenda_count: 0,
                entry_hash: 0,
                total_debit: 0,
                total_credit: 0,
                company_identification: "1234567890".into(),
                message_authentication_code: String::new(),
                ach_operator_data: String::new(),
                odfi_identification: "12104288".into(),
                batch_number: n as u32 + 1,
            },
            header,
            entries,
        };
        let (c, h, d, cr) = batch.computed_totals();
        batch.control.entry_addenda_count = c;
        batch.control.entry_hash = h;
        batch.control.total_debit = d;
        batch.control.total_credit = cr;
        batches.push(batch);
    }
    let mut file = ach::File {
        header: ach::FileHeader {
            priority_code: "01".into(),
            immediate_destination: "021000021".into(),
            immediate_origin: "121042882".into(),
            file_creation_date: date,
            file_creation_time: None,
            file_id_modifier: 'A',
            immediate_destination_name: "JPMORGAN CHASE".into(),
            immediate_origin_name: "WELLS FARGO".into(),
            reference_code: String::new(),
        },
        batches,
        control: ach::FileControl {
            batch_count: 0,
            block_count: 0,
            entry_addenda_count: 0,
            entry_hash: 0,
            total_debit: 0,
            total_credit: 0,
        },
    };
    file.control = file.computed_control();
    let text = ach::write_file(&file);
    ach::parse_file(&text).expect("the test's return file is valid NACHA");
    text
}

async fn upload_returns(app: &TestApp, text: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/payments/ach-returns"))
        .bearer_auth(app.token("operator"))
        .header("Content-Type", "text/plain")
        .body(text.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn returns_fail_payments_with_their_reason_and_notices_suggest_payee_updates() {
    let app = spawn_app(8).await;
    let id = paid_distribution(&app, "800.00").await;
    let payments = payments_of(&app, "operator", &id).await;
    let ach: Vec<&Value> = payments.iter().filter(|p| p["method"] == "ACH").collect();
    let (bad, transient, noc) = (ach[0], ach[1], ach[2]);
    let trace = |p: &Value| p["traceNumber"].as_str().unwrap().to_string();
    let file = return_file(&[
        (
            "R03",
            &trace(bad),
            crate::helpers::cents(&bad["amount"]),
            "",
        ),
        (
            "R01",
            &trace(transient),
            crate::helpers::cents(&transient["amount"]),
            "",
        ),
        ("C01", &trace(noc), 0, "1918171614"),
        ("R02", "999999990000001", 100, ""),
    ]);
    let resp = upload_returns(&app, &file).await;
    assert_eq!(resp.status(), 200);
    let out: Value = resp.json().await.unwrap();
    assert_eq!(out["returns"], 3);
    assert_eq!(out["applied"], 2);
    assert_eq!(out["notices"], 1);
    assert_eq!(out["unmatched"], json!(["999999990000001"]));
    let get = |p: &Value| {
        let id = p["id"].as_str().unwrap().to_string();
        let app = &app;
        async move {
            app.get(
                "operator",
                &format!("/api/distributions/payments/{id}/status"),
            )
            .await
            .json::<Value>()
            .await
            .unwrap()
        }
    };
    let b = get(bad).await;
    assert_eq!(b["payment"]["status"], "RETURNED");
    assert_eq!(b["payment"]["failureCode"], "R03");
    assert_eq!(
        b["payment"]["failureReason"],
        "No account / unable to locate account"
    );
    assert!(
        b["payment"]["reviewReason"]
            .as_str()
            .unwrap()
            .starts_with("BAD_ACCOUNT"),
        "{b}"
    );
    assert_eq!(b["lineStatus"], "FAILED");
    let last = b["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["attempt"].as_i64(), last["code"].as_str()),
        (Some(1), Some("R03")),
        "logged with attempt and reason"
    );
    // The transient return is retried automatically in 5 minutes, not sent to review.
    let t = get(transient).await;
    assert_eq!(t["payment"]["status"], "RETURNED");
    assert!(t["payment"]["reviewReason"].is_null());
    let row = app
        .db
        .fetch_optional(q(
            "SELECT run_at FROM jobs WHERE kind = 'payment.retry' AND status = 'QUEUED'",
        ))
        .await
        .unwrap()
        .unwrap();
    let run_at = chrono::DateTime::parse_from_rfc3339(&row.text("run_at").unwrap()).unwrap();
    let wait = run_at.signed_duration_since(chrono::Utc::now());
    assert!(
        wait > chrono::Duration::minutes(4) && wait <= chrono::Duration::minutes(5),
        "{wait}"
    );
    let review: Value = app
        .get("operator", "/api/payments/review")
        .await
        .json()
        .await
        .unwrap();
    let in_review: Vec<&str> = review["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(
        in_review.contains(&bad["id"].as_str().unwrap())
            && !in_review.contains(&transient["id"].as_str().unwrap())
    );

    // The same file again changes nothing.
    let events_before = app.count("SELECT COUNT(*) AS n FROM payment_events").await;
    let again: Value = upload_returns(&app, &file).await.json().await.unwrap();
    assert_eq!(
        (again["applied"].as_i64(), again["alreadyApplied"].as_i64()),
        (Some(0), Some(2))
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM payment_events").await,
        events_before
    );
    // A file that is not NACHA is a 422 naming the line and field.
    let broken = format!("{}\n{}", &file[..93], &file[95..]);
    let bad_file = upload_returns(&app, &broken).await;
    assert_eq!(bad_file.status(), 422);
    assert!(bad_file.json::<Value>().await.unwrap()["field"]
        .as_str()
        .unwrap()
        .contains("line 1"));

    // A payee update clears the bad-account failure and re-queues the payment to the new details.
    let investor = bad["investorId"].as_str().unwrap();
    let accounts: Value = app
        .get(
            "operator",
            &format!("/api/investors/{investor}/bank-accounts"),
        )
        .await
        .json()
        .await
        .unwrap();
    let account = accounts["items"][0]["id"].as_str().unwrap();
    let resp = app.put("operator", &format!("/api/investors/{investor}/bank-accounts/{account}"), &json!({ "method": "ACH", "holderName": "Fixed Name", "routingNumber": "026009593", "accountNumber": "44445555666", "verified": true })).await;
    assert_eq!(resp.status(), 200);
    settle_jobs(&app).await;
    let lines: Vec<Value> = payments_of(&app, "operator", &id)
        .await
        .into_iter()
        .filter(|p| p["investorId"] == investor)
        .collect();
    let retried = lines.iter().find(|p| p["attempt"] == 2).expect("re-queued");
    assert_eq!(retried["status"], "SENT");
    assert_eq!(retried["retryOf"], bad["id"]);
    let text = download(&app, "operator", retried["batchId"].as_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    let parsed = ach::parse_file(&text).unwrap();
    assert_eq!(
        parsed.batches[0].entries[0].dfi_account_number, "44445555666",
        "sent to the new details"
    );
    assert_eq!(parsed.batches[0].entries[0].routing_number(), "026009593");

    // The notice of change is a suggestion an operator accepts.
    let suggestions: Value = app
        .get("operator", "/api/payee-changes?status=OPEN")
        .await
        .json()
        .await
        .unwrap();
    let s = &suggestions["items"][0];
    assert_eq!(s["changeCode"], "C01");
    assert_eq!(s["accountNumberMasked"], "••••1614");
    let accepted: Value = app
        .post(
            "operator",
            &format!("/api/payee-changes/{}/accept", s["id"].as_str().unwrap()),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(accepted["accountNumberMasked"], "••••1614");
    assert_eq!(accepted["verificationMethod"], "NOC");
    assert_eq!(
        app.post(
            "operator",
            &format!("/api/payee-changes/{}/accept", s["id"].as_str().unwrap()),
            &json!({})
        )
        .await
        .status(),
        409
    );

    // Manual retry of the transient return; the scheduled retry then finds nothing to do.
    assert_eq!(
        app.patch(
            "operator",
            &format!(
                "/api/distributions/payments/{}/retry",
                retried["id"].as_str().unwrap()
            )
        )
        .await
        .status(),
        409,
        "a SENT payment is not retried"
    );
    let manual = app
        .patch(
            "operator",
            &format!(
                "/api/distributions/payments/{}/retry",
                transient["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(manual.status(), 201);
    assert_eq!(manual.json::<Value>().await.unwrap()["attempt"], 2);
    app.db
        .execute_script(
            "UPDATE jobs SET run_at = '2000-01-01T00:00:00.000000Z' WHERE kind = 'payment.retry'",
        )
        .await
        .unwrap();
    for _ in 0..200 {
        if app
            .count(
                "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'payment.retry' AND status = 'QUEUED'",
            )
            .await
            == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    settle_jobs(&app).await;
    let tline: Vec<Value> = payments_of(&app, "operator", &id)
        .await
        .into_iter()
        .filter(|p| p["investorId"] == transient["investorId"])
        .collect();
    assert_eq!(
        tline.len(),
        2,
        "the automatic retry did not pay the line a second time"
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM (SELECT distribution_id, investor_id FROM payments WHERE status NOT IN ('FAILED','RETURNED','CANCELLED') GROUP BY distribution_id, investor_id HAVING COUNT(*) > 1) d").await, 0);
    crate::helpers::assert_no_orphan_payments(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn checks_are_voided_reissued_and_stale_dated_into_unclaimed_funds() {
    let app = spawn_app(10).await;
    let id = paid_distribution(&app, "1000.00").await;
    let check = payments_of(&app, "operator", &id)
        .await
        .into_iter()
        .find(|p| p["method"] == "CHECK")
        .unwrap();
    assert_eq!(check["checkNumber"], "100001");
    let pid = check["id"].as_str().unwrap();
    let voided = app
        .patch("operator", &format!("/api/checks/{pid}/void"))
        .await;
    assert_eq!(voided.status(), 200);
    assert_eq!(voided.json::<Value>().await.unwrap()["status"], "CANCELLED");
    assert_eq!(
        app.patch("operator", &format!("/api/checks/{pid}/void"))
            .await
            .status(),
        409
    );
    let pp = app.get("operator", "/api/checks/positive-pay?from=2000-01-01&to=2100-01-01&columns=check_number,void&dateFormat=%25m/%25d/%25Y").await.text().await.unwrap();
    assert!(pp.contains("100001,V"), "{pp}");
    let reissued: Value = app
        .patch(
            "operator",
            &format!("/api/distributions/payments/{pid}/retry"),
        )
        .await
        .json()
        .await
        .unwrap();
    settle_jobs(&app).await;
    let status: Value = app
        .get(
            "operator",
            &format!(
                "/api/distributions/payments/{}/status",
                reissued["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["payment"]["checkNumber"], "100002");
    assert_eq!(status["payment"]["status"], "SENT");
    // 180 days later it is still good; 181 days later it is stale.
    let issued: NaiveDate = status["payment"]["expectedDate"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let at = |days: i64| json!({ "asOf": (issued + chrono::Duration::days(days)).to_string() });
    let r: Value = app
        .post("operator", "/api/checks/stale-date", &at(180))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["staleDated"].as_array().unwrap().len(), 0);
    let r: Value = app
        .post("operator", "/api/checks/stale-date", &at(181))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["staleDated"], json!([reissued["id"]]));
    let unclaimed: Value = app
        .get("operator", "/api/payments/unclaimed")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unclaimed["items"][0]["failureCode"], "STALE_DATED");
    assert_eq!(unclaimed["items"][0]["unclaimed"], true);
    assert_eq!(status["lineStatus"], "PAYMENT_INITIATED");
    let line: Value = app
        .get(
            "operator",
            &format!(
                "/api/distributions/{id}/lines/{}",
                check["investorId"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(line["status"], "FAILED");
    assert_eq!(
        app.patch(
            "operator",
            &format!(
                "/api/distributions/payments/{}/retry",
                reissued["id"].as_str().unwrap()
            )
        )
        .await
        .status(),
        409,
        "unclaimed money is not re-sent"
    );
    app.stop().await;
}

/// Processes a distribution without the server (as the processing job would), leaving its
/// payments PENDING and their rail jobs queued.
pub async fn process_offline(app: &TestApp, id: &str) {
    let system = Actor::system(&app.seeded.org_id);
    let mut tx = app.db.begin().await.unwrap();
    let d = store::get_tx(&mut tx, &system, id).await.unwrap();
    let d = store::transition(&mut tx, &system, &d, Action::Process)
        .await
        .unwrap();
    clearway_app::reinvestment::step(&mut tx, &system, &d)
        .await
        .unwrap();
    clearway_server::payments::step(&mut tx, &system, &d, &Default::default())
        .await
        .unwrap();
    store::transition(&mut tx, &system, &d, Action::Complete)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

pub async fn approved(app: &TestApp, total: &str) -> String {
    let d = app.create(&pro_rata(app, total)).await;
    let id = d["id"].as_str().unwrap().to_string();
    for (role, action) in [("operator", "ready"), ("approver", "approve")] {
        assert!(app
            .patch(role, &format!("/api/distributions/{id}/{action}"))
            .await
            .status()
            .is_success());
    }
    id
}

#[tokio::test]
async fn a_bank_details_change_holds_payments_not_yet_sent() {
    let mut app = spawn_app(3).await;
    let id = approved(&app, "300.00").await;
    app.stop_server().await;
    process_offline(&app, &id).await;
    // The rail job is delayed (bank cut-off), so the payments are still PENDING.
    app.db
        .execute_script(
            "UPDATE jobs SET run_at = '2999-01-01T00:00:00.000000Z' WHERE kind LIKE 'payment.%'",
        )
        .await
        .unwrap();
    app.restart(test_config()).await;
    let investor = app.seeded.investor_ids[1].clone();
    let accounts: Value = app
        .get(
            "operator",
            &format!("/api/investors/{investor}/bank-accounts"),
        )
        .await
        .json()
        .await
        .unwrap();
    let account = accounts["items"][0]["id"].as_str().unwrap();
    let resp = app.put("operator", &format!("/api/investors/{investor}/bank-accounts/{account}"), &json!({ "method": "ACH", "holderName": "New Bank", "routingNumber": "121042882", "accountNumber": "77778888999", "verified": true })).await;
    assert_eq!(resp.status(), 200);
    let events: Value = app
        .get("auditor", "/api/events?type=bank_account.changed")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        events["items"][0]["data"]["details"]["heldPayments"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.db
        .execute_script(
            "UPDATE jobs SET run_at = '2000-01-01T00:00:00.000000Z' WHERE kind LIKE 'payment.%'",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    settle_jobs(&app).await;
    let payments = payments_of(&app, "operator", &id).await;
    let held = payments
        .iter()
        .find(|p| p["investorId"] == investor.as_str())
        .unwrap();
    assert_eq!(
        held["status"], "PENDING",
        "held: not sent to the old details"
    );
    assert_eq!(held["holdReason"], "BANK_DETAILS_CHANGED");
    assert_eq!(payments.iter().filter(|p| p["status"] == "SENT").count(), 2);
    let review: Value = app
        .get("operator", "/api/payments/review")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(review["items"][0]["id"], held["id"]);
    // Reviewed: retry cancels the held instruction and pays the new details.
    let new: Value = app
        .patch(
            "operator",
            &format!(
                "/api/distributions/payments/{}/retry",
                held["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    settle_jobs(&app).await;
    let status: Value = app
        .get(
            "operator",
            &format!(
                "/api/distributions/payments/{}/status",
                new["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["payment"]["status"], "SENT");
    let text = download(
        &app,
        "operator",
        status["payment"]["batchId"].as_str().unwrap(),
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(
        ach::parse_file(&text).unwrap().batches[0].entries[0].dfi_account_number,
        "77778888999"
    );
    let old: Value = app
        .get(
            "operator",
            &format!(
                "/api/distributions/payments/{}/status",
                held["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(old["payment"]["status"], "CANCELLED");
    crate::helpers::assert_no_orphan_payments(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn a_rail_job_abandoned_mid_batch_sends_each_payment_once() {
    let mut app = spawn_app(20).await;
    let id = approved(&app, "2000.00").await;
    app.stop_server().await;
    process_offline(&app, &id).await;
    // A worker claims the rail jobs and dies holding them.
    let claimed = jobs::claim(&app.db, "ghost-worker", Duration::from_secs(1), 10)
        .await
        .unwrap();
    assert!(claimed.iter().any(|j| j.kind == "payment.ach"));
    app.restart(test_config()).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    settle_jobs(&app).await;
    let mut tx = app.db.begin().await.unwrap();
    for job in &claimed {
        assert!(
            jobs::finish(&mut tx, job, "ghost-worker").await.is_err(),
            "the ghost's lease is gone"
        );
    }
    drop(tx);
    let payments = payments_of(&app, "operator", &id).await;
    assert_eq!(payments.len(), 20);
    assert!(
        payments.iter().all(|p| p["status"] == "SENT"),
        "all sent once"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM payment_batches WHERE kind = 'NACHA'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM payment_events WHERE to_status = 'SENT'")
            .await,
        20
    );
    crate::helpers::assert_no_orphan_payments(&app).await;
    app.stop().await;
}
