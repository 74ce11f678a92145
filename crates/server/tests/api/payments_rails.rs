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
use crate::payments::{download, paid_distribution, payments_of};

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
    // (A character lost inside the header: padded to 94 it still does not read.)
    let broken = format!("{}{}", &file[..5], &file[6..]);
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
    app.wait_jobs().await;
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
    app.wait_jobs().await;
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

/// Banks send returns with trailing blanks stripped, or blanks past column 94 (moov-io/ach
/// reads both): the file is read, the return applied, and the answer says what was fixed.
#[tokio::test]
async fn a_returns_file_with_stripped_or_extra_trailing_blanks_is_applied_with_warnings() {
    let app = spawn_app(3).await;
    let id = paid_distribution(&app, "300.00").await;
    let payments = payments_of(&app, "operator", &id).await;
    let p = payments.iter().find(|p| p["method"] == "ACH").unwrap();
    let trace = p["traceNumber"].as_str().unwrap();
    let file = return_file(&[("R01", trace, crate::helpers::cents(&p["amount"]), "")]);
    let sloppy: Vec<String> = file
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            2 => format!("{l}   "),
            _ => l.trim_end().to_string(),
        })
        .collect();
    let resp = upload_returns(&app, &sloppy.join("\r\n")).await;
    assert_eq!(resp.status(), 200);
    let out: Value = resp.json().await.unwrap();
    assert_eq!(
        (out["returns"].as_i64(), out["applied"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        out["warnings"],
        json!([
            "lines 1, 6: shorter than 94 characters (trailing blanks stripped?), padded with blanks",
            "line 3: blanks past column 94, cut to 94 characters"
        ])
    );
    let status: Value = app
        .get(
            "operator",
            &format!(
                "/api/distributions/payments/{}/status",
                p["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["payment"]["failureCode"], "R01");
    // Text past column 94 is still refused, naming the line.
    let mut lines: Vec<&str> = file.lines().collect();
    let long = format!("{}X", lines[2]);
    lines[2] = &long;
    let resp = upload_returns(&app, &lines.join("\n")).await;
    assert_eq!(resp.status(), 422);
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["field"], "file (line 3, RecordLength)", "{problem}");
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
    app.wait_jobs().await;
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

/// Processes `id` with the server stopped and its payment jobs delayed (a bank cut-off), then
/// restarts the server: the payments exist and are still PENDING.
pub async fn processed_with_rails_delayed(app: &mut TestApp, id: &str) {
    app.stop_server().await;
    process_offline(app, id).await;
    app.db
        .execute_script(
            "UPDATE jobs SET run_at = '2999-01-01T00:00:00.000000Z' WHERE kind LIKE 'payment.%'",
        )
        .await
        .unwrap();
    app.restart(test_config()).await;
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
    processed_with_rails_delayed(&mut app, &id).await;
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
    app.wait_jobs().await;
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
    app.wait_jobs().await;
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
    app.wait_jobs().await;
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

/// Issue 14 items 1 and 3: ACH payments go out in files within the ODFI's limits, each with
/// its own File ID Modifier and read back before it is stored; what cannot go out waits in
/// review with the reason.
mod ach_files {
    use std::collections::{HashMap, HashSet};

    use clearway_core::payments::Method;
    use clearway_formats::ach;
    use clearway_server::payments::rails::ach::send_ach_files_tampered;
    use clearway_server::payments::PaymentsConfig;
    use clearway_store::distributions as store;
    use clearway_store::payments::{self as pstore, ach_files};
    use clearway_store::Actor;
    use serde_json::Value;

    use super::{approved, process_offline};
    use crate::helpers::{cents, spawn_app, spawn_app_with, test_config, TestApp};
    use crate::payments::{download, paid_distribution, payments_of};

    async fn nacha_batches(app: &TestApp, id: &str) -> Vec<Value> {
        let page: Value = app
            .get(
                "operator",
                &format!("/api/payment-batches?distributionId={id}&kind=NACHA&limit=100"),
            )
            .await
            .json()
            .await
            .unwrap();
        page["items"].as_array().unwrap().clone()
    }

    /// Every ACH payment of distribution `id` is SENT exactly once, in a downloaded file that
    /// our reader accepts, within `max_entries`; returns each file's (creation date, modifier).
    async fn check_files(app: &TestApp, id: &str, max_entries: usize) -> Vec<(String, char)> {
        let ach: Vec<Value> = payments_of(app, "operator", id)
            .await
            .into_iter()
            .filter(|p| p["method"] == "ACH")
            .collect();
        assert!(ach.len() > max_entries, "enough payments for several files");
        assert!(ach.iter().all(|p| p["status"] == "SENT"), "{ach:?}");
        let by_trace: HashMap<&str, &Value> = ach
            .iter()
            .map(|p| (p["traceNumber"].as_str().unwrap(), p))
            .collect();
        let mut seen = HashSet::new();
        let (mut files_total, mut ids) = (0u64, Vec::new());
        for b in nacha_batches(app, id).await {
            let text = download(app, "operator", b["id"].as_str().unwrap())
                .await
                .text()
                .await
                .unwrap();
            let file = ach::parse_file(&text).expect("every file is valid by our reader");
            let entries: Vec<_> = file.batches.iter().flat_map(|b| &b.entries).collect();
            assert!(entries.len() <= max_entries, "{} entries", entries.len());
            assert_eq!(b["paymentCount"].as_u64().unwrap() as usize, entries.len());
            for e in entries {
                let p = by_trace[e.trace_number.as_str()];
                assert_eq!(e.amount as i64, cents(&p["amount"]));
                assert_eq!(p["batchId"], b["id"]);
                assert!(seen.insert(e.trace_number.clone()), "each payment once");
            }
            files_total += file.control.total_credit;
            ids.push((
                file.header.file_creation_date.to_string(),
                file.header.file_id_modifier,
            ));
        }
        assert_eq!(seen.len(), ach.len(), "every ACH payment is in a file");
        let paid: i64 = ach.iter().map(|p| cents(&p["amount"])).sum();
        assert_eq!(
            files_total as i64, paid,
            "the files carry exactly the payments"
        );
        ids
    }

    #[tokio::test]
    async fn ach_payments_go_out_in_files_within_the_limits_with_modifiers_never_reused() {
        let mut config = test_config();
        config.payments.ach_limits.max_file_entries = 7;
        config.payments.ach_limits.max_batch_entries = 3;
        let app = spawn_app_with(40, config).await;
        let first = paid_distribution(&app, "100000.00").await;
        let second = paid_distribution(&app, "2500.00").await;
        let mut ids = check_files(&app, &first, 7).await;
        ids.extend(check_files(&app, &second, 7).await);
        let days: HashSet<&str> = ids.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(days.len(), 1, "one creation day (UTC)");
        let mut modifiers: Vec<char> = ids.iter().map(|(_, m)| *m).collect();
        modifiers.sort_unstable();
        let expected: Vec<char> = ach_files::FILE_ID_MODIFIERS[..ids.len()]
            .iter()
            .map(|b| char::from(*b))
            .collect();
        assert_eq!(modifiers, expected, "A, B, C… across both distributions");
        assert_eq!(
            app.count("SELECT COUNT(*) AS n FROM ach_file_ids WHERE batch_id IS NOT NULL")
                .await,
            ids.len() as i64
        );
        app.stop().await;
    }

    /// Issue 21: one NACHA file per distribution ran out of the day's 36 File ID Modifiers at
    /// the 37th distribution. An ACH cut takes every distribution waiting: 40 go out today in
    /// one file, each in a batch of its own (its entries, its total, its effective date) that
    /// points at the one stored file; every payment once, nothing deferred.
    #[tokio::test]
    async fn distributions_waiting_together_go_out_in_one_file_each_in_a_batch_of_its_own() {
        let mut app = spawn_app(8).await;
        let mut ids = Vec::new();
        for n in 0..40 {
            ids.push(approved(&app, &format!("{}.00", 1000 + 37 * n)).await);
        }
        app.stop_server().await;
        for id in &ids {
            process_offline(&app, id).await;
        }
        app.restart(test_config()).await;
        app.wait_jobs().await;
        assert_eq!(
            app.count("SELECT COUNT(*) AS n FROM ach_file_ids").await,
            1,
            "one file, one modifier"
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'payment.ach' AND status <> 'DONE'"
            )
            .await,
            0,
            "nothing deferred to tomorrow"
        );
        let (mut by_trace, mut rows) = (HashMap::new(), Vec::new());
        for id in &ids {
            let ach: Vec<Value> = payments_of(&app, "operator", id)
                .await
                .into_iter()
                .filter(|p| p["method"] == "ACH")
                .collect();
            assert!(
                !ach.is_empty() && ach.iter().all(|p| p["status"] == "SENT"),
                "{ach:?}"
            );
            let batches = nacha_batches(&app, id).await;
            assert_eq!(batches.len(), 1, "one batch per distribution");
            let b = batches[0].clone();
            assert_eq!(b["paymentCount"].as_u64().unwrap() as usize, ach.len());
            let total: i64 = ach.iter().map(|p| cents(&p["amount"])).sum();
            assert_eq!(cents(&b["total"]), total);
            for p in ach {
                assert_eq!(p["batchId"], b["id"]);
                by_trace.insert(
                    p["traceNumber"].as_str().unwrap().to_string(),
                    (id.clone(), p),
                );
            }
            rows.push(b);
        }
        let stores: Vec<&Value> = rows.iter().filter(|b| b["fileBatchId"].is_null()).collect();
        assert_eq!(stores.len(), 1, "the file is stored once");
        let file_batch = stores[0]["id"].as_str().unwrap();
        let text = download(&app, "operator", file_batch)
            .await
            .text()
            .await
            .unwrap();
        for b in &rows {
            if !b["fileBatchId"].is_null() {
                assert_eq!(b["fileBatchId"], file_batch);
            }
            assert_eq!(b["fileSha256"], stores[0]["fileSha256"]);
            let shared = download(&app, "operator", b["id"].as_str().unwrap()).await;
            assert_eq!(
                shared.text().await.unwrap(),
                text,
                "every batch downloads the file"
            );
        }
        let file = ach::parse_file(&text).expect("valid by our reader");
        // A distribution paying individuals and entities has a PPD and a CCD batch.
        assert!(file.batches.len() >= ids.len());
        let (mut seen, mut carried) = (HashSet::new(), HashSet::new());
        for nb in &file.batches {
            let owners: HashSet<&str> = nb
                .entries
                .iter()
                .map(|e| {
                    assert!(seen.insert(e.trace_number.clone()), "each payment once");
                    let (owner, p) = &by_trace[e.trace_number.as_str()];
                    assert_eq!(e.amount as i64, cents(&p["amount"]));
                    owner.as_str()
                })
                .collect();
            assert_eq!(owners.len(), 1, "a batch never mixes distributions");
            carried.extend(owners.iter().map(|o| o.to_string()));
            let row = rows
                .iter()
                .find(|b| b["distributionId"] == *owners.iter().next().unwrap())
                .unwrap();
            assert_eq!(
                nb.header
                    .effective_entry_date
                    .map(|d| d.to_string())
                    .as_deref(),
                row["effectiveDate"].as_str()
            );
        }
        assert_eq!(
            seen.len(),
            by_trace.len(),
            "every ACH payment is in the file"
        );
        assert_eq!(carried, ids.iter().cloned().collect::<HashSet<_>>());
        let paid: i64 = by_trace.values().map(|(_, p)| cents(&p["amount"])).sum();
        assert_eq!(file.control.total_credit as i64, paid);
        crate::helpers::assert_no_orphan_payments(&app).await;
        app.stop().await;
    }

    #[tokio::test]
    async fn a_file_failing_the_read_back_is_never_stored_and_its_payments_wait_in_review() {
        let mut app = spawn_app(12).await;
        let id = approved(&app, "3000.00").await;
        app.stop_server().await;
        process_offline(&app, &id).await;
        let system = Actor::system(&app.seeded.org_id);
        let mut tx = app.db.begin().await.unwrap();
        let pending = pstore::pending_for_rail(&mut tx, &system, &id, Method::Ach, None)
            .await
            .unwrap();
        assert!(pending.len() > 3);
        let d = store::get_tx(&mut tx, &system, &id).await.unwrap();
        let date = clearway_server::payments::service::expected_date(&d);
        // One digit of the first entry's amount changes after writing, before the read-back.
        let corrupt = |text: &mut String| {
            let at = 95 * 2 + 38;
            let digit = if &text[at..=at] == "9" { "8" } else { "9" };
            text.replace_range(at..=at, digit);
        };
        let cfg = PaymentsConfig::default();
        let batch = send_ach_files_tampered(&mut tx, &cfg, &system, &id, &pending, date, &corrupt)
            .await
            .unwrap();
        assert_eq!(batch, None, "nothing stored");
        tx.commit().await.unwrap();
        assert_eq!(
            app.count("SELECT COUNT(*) AS n FROM payment_batches WHERE kind = 'NACHA'")
                .await,
            0
        );
        assert_eq!(
            app.count("SELECT COUNT(*) AS n FROM payments WHERE method = 'ACH' AND status = 'PENDING' AND review_reason LIKE 'FILE_INVALID: ACH file A of %' AND hold_reason = review_reason")
                .await,
            pending.len() as i64
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) AS n FROM ach_file_ids WHERE modifier = 'A' AND batch_id IS NULL"
            )
            .await,
            1,
            "the refused file's modifier stays used"
        );
        // The queued rail job finds nothing to send: held payments stay in review, unsent.
        app.restart(test_config()).await;
        app.wait_jobs().await;
        let review: Value = app
            .get("operator", "/api/payments/review?limit=100")
            .await
            .json()
            .await
            .unwrap();
        let in_review = review["items"].as_array().unwrap();
        assert_eq!(
            in_review.iter().filter(|p| p["method"] == "ACH").count(),
            pending.len()
        );
        assert!(payments_of(&app, "operator", &id)
            .await
            .iter()
            .filter(|p| p["method"] == "ACH")
            .all(|p| p["status"] == "PENDING"));
        let audit: Value = app
            .get("auditor", "/api/audit?action=payment.hold_for_review")
            .await
            .json()
            .await
            .unwrap();
        let entry = &audit["items"][0];
        assert_eq!(entry["entityId"], id.as_str());
        app.stop().await;
    }

    #[tokio::test]
    async fn entries_above_the_limit_wait_in_review_and_files_beyond_the_days_modifiers_wait_a_day()
    {
        let mut config = test_config();
        config.payments.ach_limits.max_file_entries = 4;
        config.payments.ach_limits.max_batch_entries = 4;
        // A $300.00 cap per file: larger entries cannot go out by ACH at all.
        config.payments.ach_limits.max_file_credit_minor = 30_000;
        let app = spawn_app_with(20, config).await;
        // 35 of the day's 36 modifiers are already used: one file can still go out.
        let mut tx = app.db.begin().await.unwrap();
        let today = chrono::Utc::now().date_naive();
        let used = ach_files::allocate_file_ids(&mut tx, "1234567890", today, 35)
            .await
            .unwrap();
        assert_eq!(used.last(), Some(&'8'));
        tx.commit().await.unwrap();
        let id = paid_distribution(&app, "3000.00").await;
        let ach: Vec<Value> = payments_of(&app, "operator", &id)
            .await
            .into_iter()
            .filter(|p| p["method"] == "ACH")
            .collect();
        let (big, small): (Vec<&Value>, Vec<&Value>) =
            ach.iter().partition(|p| cents(&p["amount"]) > 30_000);
        assert!(
            !big.is_empty() && small.len() > 4,
            "{} big, {} small",
            big.len(),
            small.len()
        );
        for p in &big {
            assert_eq!(p["status"], "PENDING");
            let reason = p["reviewReason"].as_str().unwrap();
            // Processing decides first (no wire instruction here); the rail holds the same
            // way if one reaches it.
            let expected = format!(
                "OVERSIZED: {} USD above the ACH limit 300.00 USD; no wire instruction",
                p["amount"].as_str().unwrap()
            );
            assert_eq!(reason, expected);
        }
        let sent: Vec<&&Value> = small.iter().filter(|p| p["status"] == "SENT").collect();
        let held: Vec<&&Value> = small.iter().filter(|p| p["status"] == "PENDING").collect();
        assert_eq!(sent.len() + held.len(), small.len());
        assert!(
            (1..=4).contains(&sent.len()),
            "one file, the day's last modifier"
        );
        // Beyond the day's modifiers: not a person's problem, tomorrow's modifiers will do.
        // The payments stay PENDING, unheld, with a rail job queued for the next day.
        for p in &held {
            assert!(p["reviewReason"].is_null() && p["holdReason"].is_null());
        }
        let tomorrow = today.succ_opt().unwrap();
        let deferred = app
            .db
            .fetch_optional(clearway_store::q(format!(
                "SELECT COUNT(*) AS n FROM jobs WHERE kind = 'payment.ach' AND status = 'QUEUED' AND dedupe_key = 'payment.ach:{id}:{tomorrow}' AND run_at >= '{tomorrow}'"
            )))
            .await
            .unwrap()
            .unwrap()
            .i64("n")
            .unwrap();
        assert_eq!(deferred, 1);
        crate::helpers::assert_no_orphan_payments(&app).await;
        let batches = nacha_batches(&app, &id).await;
        assert_eq!(batches.len(), 1);
        let text = download(&app, "operator", batches[0]["id"].as_str().unwrap())
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(ach::parse_file(&text).unwrap().header.file_id_modifier, '9');
        app.stop().await;
    }
}
