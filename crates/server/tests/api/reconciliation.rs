//! Bank reconciliation through the HTTP API: statement import in every format, duplicate and
//! refused files, matching of an independently generated noisy statement against a processed
//! distribution's payments, exceptions, manual match/unmatch with audit, reports, roles.
//!
//! Payments are written by a fixture in this module (plain SQL into `payments`) so that each
//! test controls amounts, references and noise exactly (the seeded simulator's ground truth);
//! the payments the processing step created for the same lines are removed first.

use std::collections::HashMap;
use std::time::Duration;

use clearway_app::reconciliation::simulation_bai2;
use clearway_core::access::Role;
use clearway_core::reconciliation::simulate::{evaluate, generate};
use clearway_core::reconciliation::{
    reconcile, Decision, MatchConfig, Outcome, Payment, PaymentMethod, PaymentStatus, Reason,
    Reconciliation,
};
use clearway_core::Currency;
use clearway_server::demo;
use clearway_store::reconciliation::{cause_text, file_line_ids, live_decisions};
use clearway_store::{q, Actor};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{pro_rata, spawn_app, spawn_app_with, test_config, TestApp};

/// A third-party sample; only in tests named `third_party_*`, which check
/// `conformance_samples::skip()` first.
fn conformance(rel: &str) -> Vec<u8> {
    let p = crate::conformance_samples::dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A BAI2 file of our own writer with two lines no payment matches (a bank fee and interest),
/// for tests that need a valid file but not a third party's.
pub(crate) fn own_bai2() -> Vec<u8> {
    use clearway_formats::statements::write::{bai2, Bai2Detail, Bai2Spec};
    let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 3).unwrap();
    let detail = |type_code, amount_minor, text: &str| Bai2Detail {
        type_code,
        amount_minor,
        value_date: day,
        bank_reference: None,
        customer_reference: None,
        text: text.into(),
        continuations: vec![],
    };
    bai2(&Bai2Spec {
        sender: "021000021".into(),
        receiver: "CLEARWAY".into(),
        file_id: "ROLES1".into(),
        as_of: day,
        account: "OPS-ROLES".into(),
        currency: "USD".into(),
        opening_minor: 100_000,
        closing_minor: 100_000 - 2_500 + 75,
        details: vec![
            detail(699, 2_500, "SERVICE FEE"),
            detail(399, 75, "INTEREST"),
        ],
    })
    .into_bytes()
}

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = app.snapshot().await;
    for sql in [
        "SELECT COUNT(*) AS n FROM bank_statement_files",
        "SELECT COUNT(*) AS n FROM bank_statements",
        "SELECT COUNT(*) AS n FROM bank_statement_lines",
        "SELECT COUNT(*) AS n FROM reconciliation_matches",
    ] {
        out.push(app.count(sql).await);
    }
    out
}

/// A completed distribution's lines: (distribution id, [(investor id, investor name)]).
async fn completed_distribution(app: &TestApp, total: &str) -> (String, Vec<(String, String)>) {
    let d = app.create(&pro_rata(app, total)).await;
    let id = d["id"].as_str().unwrap().to_string();
    app.complete(&id).await;
    let rows = app
        .db
        .fetch_all(
            q("SELECT l.investor_id, i.name FROM distribution_lines l JOIN investors i ON i.id = l.investor_id WHERE l.distribution_id = $1 ORDER BY l.investor_id")
                .bind(&id),
        )
        .await
        .unwrap();
    let lines = rows
        .iter()
        .map(|r| (r.text("investor_id").unwrap(), r.text("name").unwrap()))
        .collect();
    (id, lines)
}

/// Fixture: writes payments for lines of a distribution, as the payments step would.
async fn insert_payments(app: &TestApp, distribution_id: &str, payments: &[(&str, &Payment)]) {
    let mut tx = app.db.begin().await.unwrap();
    for sql in [
        "DELETE FROM payment_events WHERE payment_id IN (SELECT id FROM payments WHERE distribution_id = $1)",
        "DELETE FROM payee_change_suggestions WHERE payment_id IN (SELECT id FROM payments WHERE distribution_id = $1)",
        "UPDATE payments SET retry_of = NULL WHERE distribution_id = $1",
        "DELETE FROM payments WHERE distribution_id = $1",
    ] {
        tx.execute(q(sql).bind(distribution_id)).await.unwrap();
    }
    let now = clearway_store::now_text();
    for (investor_id, p) in payments {
        let method = match p.method {
            PaymentMethod::Ach => "ACH",
            PaymentMethod::Wire => "WIRE",
            PaymentMethod::Check => "CHECK",
        };
        let (status, cleared) = match p.status {
            PaymentStatus::Paid => ("COMPLETED", Some(p.expected_date.to_string())),
            _ => ("SENT", None),
        };
        tx.execute(
            q("INSERT INTO payments (id, org_id, distribution_id, investor_id, method, status, currency, amount_minor, fund_amount_minor, payee_name,
                 trace_number, end_to_end_id, check_number, batch_id, expected_date, cleared_date, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)")
                .bind(&p.id)
                .bind(&app.seeded.org_id)
                .bind(distribution_id)
                .bind(*investor_id)
                .bind(method)
                .bind(status)
                .bind(p.currency.code())
                .bind(p.amount_minor)
                .bind(&p.counterparty_name)
                .bind(p.trace_number.clone())
                .bind(p.end_to_end_id.clone())
                .bind(p.check_number.clone())
                .bind(p.batch_id.clone())
                .bind(p.expected_date.to_string())
                .bind(cleared)
                .bind(&now),
        )
        .await
        .unwrap();
        tx.execute(
            q("UPDATE distribution_lines SET status = 'PAYMENT_INITIATED' WHERE distribution_id = $1 AND investor_id = $2")
                .bind(distribution_id)
                .bind(*investor_id),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

pub(crate) async fn wait_matching_jobs(app: &TestApp, done: i64) {
    for _ in 0..600 {
        let n = app
            .count("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'reconciliation.match' AND status = 'DONE'")
            .await;
        if n >= done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("matching job never finished");
}

pub(crate) async fn payment(app: &TestApp, id: &str) -> (String, Option<String>) {
    let r = app
        .db
        .fetch_optional(q("SELECT status, cleared_date FROM payments WHERE id = $1").bind(id))
        .await
        .unwrap()
        .unwrap();
    (
        r.text("status").unwrap(),
        r.opt_text("cleared_date").unwrap(),
    )
}

async fn audit_count(app: &TestApp, action: &str, entity: &str) -> i64 {
    app.db
        .fetch_optional(
            q("SELECT COUNT(*) AS n FROM audit_log WHERE action = $1 AND entity_id = $2")
                .bind(action)
                .bind(entity),
        )
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Scenario builders

/// Scenario: a fresh app whose completed three-investor distribution is paid by the payments
/// `make` builds from the investors' names (in investor order), replacing processing's.
async fn with_three_payments(make: impl FnOnce(&[&str]) -> [Payment; 3]) -> TestApp {
    with_three_payments_in(spawn_app(3).await, make).await
}

pub(crate) async fn with_three_payments_in(
    app: TestApp,
    make: impl FnOnce(&[&str]) -> [Payment; 3],
) -> TestApp {
    let (dist, lines) = completed_distribution(&app, "425.00").await;
    let names: Vec<&str> = lines.iter().map(|(_, name)| name.as_str()).collect();
    let payments = make(&names);
    let pairs: Vec<(&str, &Payment)> = lines
        .iter()
        .map(|(investor, _)| investor.as_str())
        .zip(payments.iter())
        .collect();
    insert_payments(&app, &dist, &pairs).await;
    app
}

/// Scenario step: an operator imports `bytes` (upload query `query`), which is accepted
/// (201), and matching jobs run until `done` have finished; returns the import's response.
async fn import_and_match(app: &TestApp, query: &str, bytes: Vec<u8>, done: i64) -> Value {
    let (status, body) = app.upload_statement("operator", query, bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    wait_matching_jobs(app, done).await;
    body
}

/// The id of the first open exception (as an operator sees the queue).
async fn first_exception(app: &TestApp) -> String {
    let ex: Value = app
        .get("operator", "/api/reconciliation/exceptions")
        .await
        .json()
        .await
        .unwrap();
    ex["items"][0]["id"].as_str().unwrap().to_string()
}

/// An operator's `DELETE /api/reconciliation/matches/{id}{query}`.
async fn unmatch(app: &TestApp, match_id: &str, query: &str) -> reqwest::Response {
    app.client
        .delete(app.url(&format!("/api/reconciliation/matches/{match_id}{query}")))
        .bearer_auth(app.token("operator"))
        .send()
        .await
        .unwrap()
}

/// The text column `col` of the one row `sql` selects.
async fn one_text(app: &TestApp, sql: &'static str, col: &str) -> String {
    app.db
        .fetch_optional(q(sql))
        .await
        .unwrap()
        .unwrap()
        .text(col)
        .unwrap()
}

/// `SELECT COUNT(*) AS n …` with `$1` bound to `id`.
async fn count_for(app: &TestApp, sql: &'static str, id: &str) -> i64 {
    app.db
        .fetch_optional(q(sql).bind(id))
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

#[tokio::test]
async fn third_party_imports_every_format_and_the_same_file_twice_adds_nothing() {
    if crate::conformance_samples::skip() {
        return;
    }
    let app = spawn_app(3).await;
    let files: [(&str, &str, usize); 5] = [
        ("bai2/moov-bai2__sample1.bai2", "", 17),
        (
            "iso20022/camt.053/genkgo__camt053.v2.minimal.xml",
            "?format=camt053",
            0,
        ),
        ("mt940/wolph__jejik__sns.sta", "", 0),
        (
            "csv/oca-bsi16__sample_statement_en.csv",
            "?format=csv&preset=simple-en",
            2,
        ),
        ("csv/oca-bsi16__sample_statement_en.xlsx", "", 2),
    ];
    for (file, query, expect_lines) in files {
        let (status, body) = app
            .upload_statement("operator", query, conformance(file))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{file}: {body}");
        assert_eq!(body["duplicate"], false);
        assert!(body["jobId"].is_string(), "{file}: matching job queued");
        let statements = body["statements"].as_array().unwrap();
        assert!(!statements.is_empty(), "{file}");
        let declared: i64 = statements
            .iter()
            .map(|s| s["lineCount"].as_i64().unwrap())
            .sum();
        assert_eq!(body["file"]["lineCount"].as_i64().unwrap(), declared);
        if expect_lines > 0 {
            assert_eq!(declared as usize, expect_lines, "{file}");
        } else {
            assert!(declared > 0, "{file}");
        }
        let mut stored = 0;
        for s in statements {
            let sid = s["id"].as_str().unwrap();
            let page: Value = app
                .get(
                    "auditor",
                    &format!("/api/bank-statements/{sid}/lines?limit=1000"),
                )
                .await
                .json()
                .await
                .unwrap();
            for l in page["items"].as_array().unwrap() {
                assert!(
                    !l["raw"].as_str().unwrap().is_empty(),
                    "{file}: raw record kept"
                );
                assert!(l["amount"].is_string() && l["amountMinor"].is_i64());
            }
            stored += page["items"].as_array().unwrap().len() as i64;
        }
        assert_eq!(stored, declared, "{file}");
    }
    // BAI2 sample1: CAD account, first detail a 409 debit of 25.00 valued 2006-03-16.
    let list: Value = app
        .get("operator", "/api/bank-statements?limit=10")
        .await
        .json()
        .await
        .unwrap();
    let bai2 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|s| s["format"] == "bai2")
        .unwrap()
        .clone();
    assert_eq!(bai2["currency"], "CAD");
    assert_eq!(bai2["accountId"], "10200123456");
    let lines: Value = app
        .get(
            "operator",
            &format!(
                "/api/bank-statements/{}/lines?limit=2",
                bai2["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lines["items"][0]["amount"], "-25.00");
    assert_eq!(lines["items"][0]["valueDate"], "2006-03-16");
    assert!(lines["nextCursor"].is_string(), "paginated");

    // The five matching jobs write their run's audit entry and event; let them finish first.
    wait_matching_jobs(&app, 5).await;
    let before = counts(&app).await;
    let (status, body) = app
        .upload_statement("operator", "", conformance("bai2/moov-bai2__sample1.bai2"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["duplicate"], true);
    assert!(body["jobId"].is_null());
    assert_eq!(counts(&app).await, before, "a duplicate file adds nothing");
    app.stop().await;
}

#[tokio::test]
async fn third_party_garbage_truncated_and_mistotalled_files_are_refused_and_import_nothing() {
    if crate::conformance_samples::skip() {
        return;
    }
    let app = spawn_app(3).await;
    let before = counts(&app).await;
    let sample = conformance("bai2/moov-bai2__sample1.bai2");
    let text = String::from_utf8(sample.clone()).unwrap();
    let mistotalled = text.replacen("16,409,000000000002500", "16,409,000000000002600", 1);
    let truncated = sample[..sample.len() / 2].to_vec();
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "garbage",
            vec![0xde, 0xad, 0xbe, 0xef, 0x00, 0x13, 0x37],
            "",
            "not a BAI2, camt, MT940, OFX, CSV or XLSX",
        ),
        (
            "mis-totalled",
            mistotalled.into_bytes(),
            "",
            "line 16: 49 account trailer: control total 834000 != computed 834100",
        ),
        ("truncated BAI2", truncated, "", "line "),
        (
            "truncated MT940",
            conformance("mt940/wolph__jejik__sns.sta")[..300].to_vec(),
            "?format=mt940",
            "line ",
        ),
        (
            "bad camt",
            b"<Document><BkToCstmrStmt><Stmt>".to_vec(),
            "",
            "line 1",
        ),
        (
            "bad CSV amount",
            b"Date,Label,Amount\n12/15/2018,x,12.3.4\n".to_vec(),
            "?format=csv&preset=simple-en&currency=USD",
            "line 2: CSV row: Amount '12.3.4' is not an amount",
        ),
        (
            "unknown preset",
            b"a,b\n".to_vec(),
            "?format=csv&preset=nope",
            "unknown preset 'nope'",
        ),
        (
            "no currency",
            conformance("csv/oca-bsi16__balance.csv"),
            "",
            "names no currency",
        ),
    ];
    for (what, bytes, query, needle) in cases {
        let (status, body) = app.upload_statement("operator", query, bytes).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(needle), "{what}: {detail}");
        assert!(body["field"].is_string(), "{what}: names the field");
    }
    let (status, _) = app
        .upload_statement("operator", "?format=pdf", b"x".to_vec())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        counts(&app).await,
        before,
        "nothing written by refused files"
    );
    app.stop().await;
}

/// Files banks send that were refused before: a BAI2 account trailer with a blank control
/// total, an MT940 `:61:` amount without its decimal comma and a name only in `:86:` free
/// text. Each is imported, saying in the statement's warnings what could not be verified.
#[tokio::test]
async fn sloppy_bank_files_are_imported_with_warnings() {
    let app = spawn_app(3).await;
    let text = String::from_utf8(own_bai2()).unwrap();
    let trailer = text
        .lines()
        .find(|l| l.starts_with("49,"))
        .unwrap()
        .to_string();
    let blank = format!("49,{}", &trailer[trailer[3..].find(',').unwrap() + 3..]);
    let (status, body) = app
        .upload_statement("operator", "", text.replace(&trailer, &blank).into_bytes())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let warnings = body["statements"][0]["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("49 account trailer: control total is blank")),
        "{body}"
    );
    let mt940 = ":20:NLB1\r\n:25:NL91ABNA0417164300\r\n:28C:1/1\r\n:60F:C240102EUR100,00\r\n\
                 :61:240102C500NTRFNONREF\r\n\
                 :86:SEPA OVERBOEKING IBAN: NL44RABO0123456789 BIC: RABONL2U NAAM: ACME HOLDING BV OMSCHRIJVING: INV 12\r\n\
                 :62F:C240102EUR600,00\r\n-\r\n";
    let (status, body) = app
        .upload_statement("operator", "", mt940.as_bytes().to_vec())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let st = &body["statements"][0];
    assert_eq!(st["creditTotalMinor"], 50_000);
    assert!(
        st["warnings"][0]
            .as_str()
            .unwrap()
            .contains("has no decimal comma"),
        "{st}"
    );
    let lines: Value = app
        .get(
            "operator",
            &format!("/api/bank-statements/{}/lines", st["id"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    let line = &lines["items"][0];
    assert_eq!(line["counterpartyName"], "ACME HOLDING BV", "{line}");
    assert_eq!(line["counterpartyAccount"], "NL44RABO0123456789", "{line}");
    app.stop().await;
}

#[tokio::test]
async fn a_noisy_generated_statement_is_reconciled_without_false_matches() {
    let n = 2_000;
    let app = spawn_app(n).await;
    let (dist, lines) = completed_distribution(&app, "100000.00").await;
    assert_eq!(lines.len(), n);
    // Independently generated: payments, their noisy bank statement and the ground truth.
    let sim = generate(7_777, n);
    let pairs: Vec<(&str, &Payment)> = lines
        .iter()
        .map(|(inv, _)| inv.as_str())
        .zip(sim.payments.iter())
        .collect();
    insert_payments(&app, &dist, &pairs).await;
    let file = simulation_bai2(&sim.lines, "OPS-001", "42");
    let body = import_and_match(&app, "", file.into_bytes(), 1).await;
    assert_eq!(
        body["file"]["lineCount"].as_u64().unwrap() as usize,
        sim.lines.len()
    );

    let actor = Actor::system(&app.seeded.org_id);
    let file_id = body["file"]["id"].as_str().unwrap();
    let ours = file_line_ids(&app.db, &actor, file_id).await.unwrap();
    let to_sim: HashMap<&str, &str> = ours
        .iter()
        .map(String::as_str)
        .zip(sim.lines.iter().map(|l| l.id.as_str()))
        .collect();
    let decisions = live_decisions(&app.db, &actor).await.unwrap();
    // The store keeps no reasons; a charge line is judged by its FeeDeducted reason, so each
    // decision takes the reasons of the pure engine's identical decision (the two are
    // compared decision for decision below).
    let pure = reconcile(&sim.payments, &sim.lines, &MatchConfig::default()).unwrap();
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    let pure_reasons: HashMap<(Vec<String>, Vec<String>), Vec<Reason>> = pure
        .decisions
        .iter()
        .map(|d| {
            (
                (sorted(&d.line_ids), sorted(&d.payment_ids)),
                d.reasons.clone(),
            )
        })
        .collect();
    let result = Reconciliation {
        decisions: decisions
            .iter()
            .map(|(outcome, line_ids, payment_ids)| Decision {
                outcome: if outcome == "RETURNED" {
                    Outcome::Returned
                } else {
                    Outcome::Matched
                },
                line_ids: line_ids
                    .iter()
                    .map(|l| to_sim[l.as_str()].to_string())
                    .collect(),
                payment_ids: payment_ids.clone(),
                score: 0,
                reasons: {
                    let lines: Vec<String> = line_ids
                        .iter()
                        .map(|l| to_sim[l.as_str()].to_string())
                        .collect();
                    pure_reasons
                        .get(&(sorted(&lines), sorted(payment_ids)))
                        .cloned()
                        .unwrap_or_default()
                },
            })
            .collect(),
        ..Reconciliation::default()
    };
    let m = evaluate(&result, &sim.truth);
    assert_eq!(m.false_matches, 0, "{m:?}");
    assert!(m.match_rate_ppm() >= 990_000, "auto-match rate {m:?}");

    // Through the store the matcher decides exactly as the pure engine on the same data: the
    // same matches (lines, payments, outcome) and the same exceptions with the same causes.
    let key = |d: &Decision| {
        let (mut l, mut p) = (d.line_ids.clone(), d.payment_ids.clone());
        l.sort();
        p.sort();
        (d.outcome == Outcome::Returned, l, p)
    };
    let mut want: Vec<_> = pure.decisions.iter().map(key).collect();
    let mut got: Vec<_> = result.decisions.iter().map(key).collect();
    want.sort();
    got.sort();
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
    let mut want: Vec<(String, String)> = pure
        .exceptions
        .iter()
        .map(|e| (e.line_id.clone(), cause_text(e.cause).to_string()))
        .collect();
    let mut got: Vec<(String, String)> = app
        .db
        .fetch_all(q(
            "SELECT id, exception_cause FROM bank_statement_lines WHERE status = 'EXCEPTION'",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let id = r.text("id").unwrap();
            (
                to_sim[id.as_str()].to_string(),
                r.text("exception_cause").unwrap(),
            )
        })
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);

    // Matched payments are COMPLETED with the bank's value date; their lines PAID.
    let cleared = app
        .count("SELECT COUNT(*) AS n FROM payments WHERE status = 'COMPLETED' AND cleared_date IS NOT NULL")
        .await;
    assert!(cleared as usize >= n * 9 / 10, "{cleared} cleared");
    let (status, date) = payment(
        &app,
        &decisions
            .iter()
            .find(|d| d.0 == "CLEARED" && d.2.len() == 1)
            .unwrap()
            .2[0],
    )
    .await;
    assert_eq!(status, "COMPLETED");
    assert!(date.is_some());

    // Running again changes nothing: nothing is matched or settled twice.
    let matches = app
        .count("SELECT COUNT(*) AS n FROM reconciliation_matches")
        .await;
    let settled = app
        .count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'payment.completed'")
        .await;
    let run: Value = app
        .post("operator", "/api/reconciliation/runs", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(run["matchedLines"], 0, "{run}");
    assert_eq!(run["returnedLines"], 0, "{run}");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM reconciliation_matches")
            .await,
        matches
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'payment.completed'")
            .await,
        settled
    );

    // The summary ties out: matched + exceptions = lines; ledger difference = expected − debits.
    let s: Value = app
        .get(
            "auditor",
            "/api/reconciliation/summary?from=2023-12-01&to=2024-03-31&asOf=2024-04-01",
        )
        .await
        .json()
        .await
        .unwrap();
    let a = &s["accounts"][0];
    assert_eq!(a["accountId"], "OPS-001");
    let sum = a["autoCleared"]["lines"].as_i64().unwrap()
        + a["manualCleared"]["lines"].as_i64().unwrap()
        + a["returned"]["lines"].as_i64().unwrap()
        + a["openExceptions"]["lines"].as_i64().unwrap()
        + a["unprocessed"]["lines"].as_i64().unwrap();
    assert_eq!(sum as usize, sim.lines.len(), "{s}");
    let l = &s["ledger"][0];
    assert_eq!(
        l["differenceMinor"].as_i64().unwrap(),
        l["expectedPayments"]["amountMinor"].as_i64().unwrap()
            - l["bankDebitsMinor"].as_i64().unwrap()
    );
    app.stop().await;
}

pub(crate) fn manual_payment(
    id: &str,
    method: PaymentMethod,
    amount: i64,
    name: &str,
    reference: &str,
) -> Payment {
    Payment {
        id: id.into(),
        amount_minor: amount,
        currency: Currency::USD,
        method,
        expected_date: chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
        trace_number: (method == PaymentMethod::Ach).then(|| reference.to_string()),
        end_to_end_id: (method == PaymentMethod::Wire).then(|| reference.to_string()),
        check_number: (method == PaymentMethod::Check).then(|| reference.to_string()),
        batch_id: None,
        counterparty_name: name.into(),
        reference_token: None,
        counterparty_account: None,
        status: PaymentStatus::Initiated,
    }
}

#[tokio::test]
async fn exceptions_manual_match_unmatch_and_returns_are_audited() {
    let app = with_three_payments(|names| {
        [
            manual_payment(
                "P-ACH-1",
                PaymentMethod::Ach,
                10_000,
                names[0],
                "021000020000001",
            ),
            manual_payment(
                "P-WIRE-2",
                PaymentMethod::Wire,
                25_000,
                names[1],
                "CWE2E0000000002",
            ),
            manual_payment("P-CHK-3", PaymentMethod::Check, 7_500, names[2], "100001"),
        ]
    })
    .await;
    let csv = "date;amount;ref;name;text\n\
               2026-04-01;-100,00;021000020000001;;ACH CREDIT\n\
               2026-04-01;-250,00;;ZZZ UNKNOWN CORP;OUTGOING WIRE\n\
               2026-04-02;-12,50;;;SERVICE CHARGE\n\
               2026-04-06;100,00;;;ACH RETURN R03 NO ACCOUNT TRACE 021000020000001\n";
    let query = "?format=csv&dateColumn=date&amountColumn=amount&referenceColumn=ref&counterpartyColumn=name&descriptionColumn=text&decimalSeparator=,&currency=USD&account=OPS-9";
    import_and_match(&app, query, csv.as_bytes().to_vec(), 1).await;

    // P1 cleared by its trace number, then returned by the credit naming it.
    assert_eq!(payment(&app, "P-ACH-1").await.0, "RETURNED");
    let failure = app
        .db
        .fetch_optional(q(
            "SELECT failure_code, cleared_date FROM payments WHERE id = 'P-ACH-1'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failure.text("failure_code").unwrap(), "R03");
    assert_eq!(
        failure.opt_text("cleared_date").unwrap().as_deref(),
        Some("2026-04-01")
    );

    let ex: Value = app
        .get(
            "operator",
            "/api/reconciliation/exceptions?account=OPS-9&asOf=2026-04-10",
        )
        .await
        .json()
        .await
        .unwrap();
    let items = ex["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{ex}");
    let wire_line = items.iter().find(|i| i["amount"] == "-250.00").unwrap();
    let fee_line = items.iter().find(|i| i["amount"] == "-12.50").unwrap();
    assert_eq!(fee_line["exceptionCause"], "NO_CANDIDATE");
    // A clearly different payee name contradicts the only candidate (issue 15: a veto, where
    // it used to be merely below the threshold).
    assert_eq!(wire_line["exceptionCause"], "CONTRADICTED");
    assert_eq!(wire_line["ageDays"], 9);
    assert_eq!(
        wire_line["candidates"][0]["paymentIds"][0], "P-WIRE-2",
        "{wire_line}"
    );
    let by_cause: Value = app
        .get(
            "operator",
            "/api/reconciliation/exceptions?cause=NO_CANDIDATE",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_cause["items"].as_array().unwrap().len(), 1);
    let young: Value = app
        .get(
            "operator",
            "/api/reconciliation/exceptions?maxAgeDays=3&asOf=2026-04-10",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        young["items"].as_array().unwrap().len(),
        0,
        "both are older than 3 days"
    );
    let bad = app
        .get("operator", "/api/reconciliation/exceptions?cause=WHATEVER")
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let wire_id = wire_line["id"].as_str().unwrap();
    let fee_id = fee_line["id"].as_str().unwrap();
    // Contradictory requests are refused and change nothing.
    let before = counts(&app).await;
    let r = app
        .post(
            "operator",
            "/api/reconciliation/matches",
            &json!({"lineIds": [fee_id], "paymentIds": ["P-CHK-3"]}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "amounts differ: {}",
        r.text().await.unwrap()
    );
    let r = app
        .post(
            "operator",
            "/api/reconciliation/matches",
            &json!({"lineIds": [wire_id], "paymentIds": ["P-CHK-3"]}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "amounts differ"
    );
    let r = app
        .post(
            "operator",
            "/api/reconciliation/matches",
            &json!({"lineIds": [wire_id], "paymentIds": ["P-ACH-1"]}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "a returned payment cannot clear"
    );
    let r = app
        .post(
            "operator",
            "/api/reconciliation/matches",
            &json!({"lineIds": [wire_id], "paymentIds": ["nope"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .post(
            "operator",
            "/api/reconciliation/matches",
            &json!({"lineIds": [wire_id, wire_id], "paymentIds": ["P-WIRE-2"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(counts(&app).await, before);

    // Manual match: the payment clears with the line's value date; audited.
    let r = app
        .post_with_key("operator", "/api/reconciliation/matches", "m-1", &json!({"lineIds": [wire_id], "paymentIds": ["P-WIRE-2"], "note": "payee bank renamed"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let m: Value = r.json().await.unwrap();
    let match_id = m["id"].as_str().unwrap().to_string();
    assert_eq!(m["kind"], "MANUAL");
    assert_eq!(m["amount"], "250.00");
    assert_eq!(
        payment(&app, "P-WIRE-2").await,
        ("COMPLETED".into(), Some("2026-04-01".into()))
    );
    let line: Value = app
        .get("auditor", &format!("/api/reconciliation/lines/{wire_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(line["status"], "MATCHED");
    assert_eq!(line["matchId"], match_id.as_str());
    assert_eq!(
        audit_count(&app, "reconciliation.match", &match_id).await,
        1
    );
    // A retry with the same key replays; another match of the same line is a conflict.
    let again = app
        .post_with_key("operator", "/api/reconciliation/matches", "m-1", &json!({"lineIds": [wire_id], "paymentIds": ["P-WIRE-2"], "note": "payee bank renamed"}))
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(
        again.json::<Value>().await.unwrap()["id"],
        match_id.as_str()
    );
    let r = app
        .post(
            "operator",
            "/api/reconciliation/matches",
            &json!({"lineIds": [wire_id], "paymentIds": ["P-WIRE-2"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // Unmatch: the payment reopens (SENT, line PAYMENT_INITIATED), the line returns to people.
    let r = unmatch(&app, &match_id, "").await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    let r = unmatch(&app, &match_id, "?reason=wrong%20payee").await;
    assert_eq!(r.status(), StatusCode::OK);
    let undone: Value = r.json().await.unwrap();
    assert_eq!(undone["live"], false);
    assert_eq!(undone["undoReason"], "wrong payee");
    assert_eq!(payment(&app, "P-WIRE-2").await, ("SENT".into(), None));
    let line_status = one_text(&app, "SELECT l.status FROM distribution_lines l JOIN payments p ON p.distribution_id = l.distribution_id AND p.investor_id = l.investor_id WHERE p.id = 'P-WIRE-2'", "status").await;
    assert_eq!(line_status, "PAYMENT_INITIATED");
    assert_eq!(
        audit_count(&app, "reconciliation.unmatch", &match_id).await,
        1
    );
    assert_eq!(audit_count(&app, "payment.reopened", "P-WIRE-2").await, 1);
    let line: Value = app
        .get("operator", &format!("/api/reconciliation/lines/{wire_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(line["status"], "EXCEPTION");
    assert_eq!(line["exceptionCause"], "MANUALLY_UNMATCHED");
    let r = unmatch(&app, &match_id, "?reason=again").await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "already undone");
    // An automatic run leaves a manually unmatched line to people.
    let run: Value = app
        .post("admin", "/api/reconciliation/runs", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(run["matchedLines"], 0, "{run}");
    assert_eq!(payment(&app, "P-WIRE-2").await.0, "SENT");

    // P1's clearing cannot be undone while its return stands.
    let cleared_p1 = one_text(&app, "SELECT match_id FROM reconciliation_match_payments WHERE payment_id = 'P-ACH-1' AND outcome = 'CLEARED' AND live = 1", "match_id").await;
    let r = unmatch(&app, &cleared_p1, "?reason=test").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("unmatch the return first"));

    // Reports: JSON, CSV and XLSX.
    let s: Value = app.get("auditor", "/api/reconciliation/summary?account=OPS-9&from=2026-03-01&to=2026-04-30&asOf=2026-04-10").await.json().await.unwrap();
    let a = &s["accounts"][0];
    assert_eq!(a["autoCleared"]["lines"], 1);
    assert_eq!(a["autoCleared"]["amount"], "100.00");
    assert_eq!(a["returned"]["lines"], 1);
    assert_eq!(a["openExceptions"]["lines"], 2);
    assert_eq!(a["exceptionAge"]["days8to30"], 2, "{a}");
    assert_eq!(a["debits"], "362.50");
    let l = &s["ledger"][0];
    assert_eq!(l["expectedPayments"]["amount"], "425.00");
    assert_eq!(l["bankDebits"], "362.50");
    assert_eq!(l["difference"], "62.50");
    let csv = app
        .get(
            "auditor",
            "/api/reconciliation/summary?from=2026-03-01&to=2026-04-30&format=csv",
        )
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("section,account,currency"), "{text}");
    assert!(
        text.contains("account,OPS-9,USD,2026-03-01,2026-04-30,4,362.50,100.00,1,100.00"),
        "{text}"
    );
    let xlsx = app
        .get(
            "auditor",
            "/api/reconciliation/summary?from=2026-03-01&to=2026-04-30&format=xlsx",
        )
        .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    // Read back with our own XLSX reader: amounts are numbers, not text.
    let rows = clearway_formats::statements::xlsx::rows(&bytes).unwrap();
    assert_eq!(
        rows[1].cells[5],
        clearway_formats::statements::csv::Cell::Number("362.5".into())
    );
    app.stop().await;
}

#[tokio::test]
async fn roles_and_organizations_are_enforced_on_every_reconciliation_endpoint() {
    let app = spawn_app(3).await;
    let body = import_and_match(&app, "", own_bai2(), 1).await;
    let sid = body["statements"][0]["id"].as_str().unwrap().to_string();
    let line_id = first_exception(&app).await;
    let reads = [
        "/api/bank-statements".to_string(),
        format!("/api/bank-statements/{sid}"),
        format!("/api/bank-statements/{sid}/lines"),
        format!("/api/reconciliation/lines/{line_id}"),
        "/api/reconciliation/exceptions".to_string(),
        "/api/reconciliation/summary".to_string(),
    ];
    for path in &reads {
        assert_eq!(
            app.get("investor", path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            app.get("auditor", path).await.status(),
            StatusCode::OK,
            "{path}"
        );
        assert_eq!(
            app.get("approver", path).await.status(),
            StatusCode::OK,
            "{path}"
        );
    }
    for role in ["investor", "auditor", "approver"] {
        let (status, _) = app.upload_statement(role, "", own_bai2()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role} import");
        let r = app.post(role, "/api/reconciliation/runs", &json!({})).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} run");
        let r = app
            .post(
                role,
                "/api/reconciliation/matches",
                &json!({"lineIds": [line_id], "paymentIds": ["x"]}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} match");
        let r = app
            .client
            .delete(app.url("/api/reconciliation/matches/x?reason=y"))
            .bearer_auth(app.token(role))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} unmatch");
    }
    // Another organization sees none of it, and its own import of the same file is its own.
    let mut options = demo::Options::demo(2);
    options.history = false;
    options.org_name = "Another Fund Admin".into();
    let other = demo::seed(&app.db, &options).await.unwrap();
    let stranger = other.tokens.operator.clone();
    for path in reads.iter().skip(1).take(3) {
        let r = app
            .client
            .get(app.url(path))
            .bearer_auth(&stranger)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let list: Value = app
        .client
        .get(app.url("/api/bank-statements"))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let ex: Value = app
        .client
        .get(app.url("/api/reconciliation/exceptions"))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ex["items"].as_array().unwrap().len(), 0);
    let r = app
        .client
        .post(app.url("/api/reconciliation/matches"))
        .bearer_auth(&stranger)
        .json(&json!({"lineIds": [line_id], "paymentIds": ["x"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "another org's line");
    let r = app
        .client
        .post(app.url("/api/bank-statements"))
        .bearer_auth(&stranger)
        .body(own_bai2())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "the content hash is unique per organization"
    );
    let _ = Role::Admin;
    app.stop().await;
}

/// A camt.053 batch booking: one debit entry for two wires of one batch, each transaction
/// with its end-to-end id; plus a check paid with only its number in the entry reference.
const CAMT_BATCH: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-04-02T18:00:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>S-2026-04-02</Id>
   <Acct><Id><IBAN>US00CLEARWAY0001</IBAN></Id><Ccy>USD</Ccy></Acct>
   <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-04-01</Dt></Dt></Bal>
   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">575.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-04-02</Dt></Dt></Bal>
   <Ntry>
    <Amt Ccy="USD">350.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2026-04-02</Dt></BookgDt><ValDt><Dt>2026-04-02</Dt></ValDt>
    <AcctSvcrRef>BK-991</AcctSvcrRef>
    <NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>
     <TxDtls><Refs><PmtInfId>CWB-7</PmtInfId><EndToEndId>CWE2E-A</EndToEndId></Refs><Amt Ccy="USD">100.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>
      <RltdPties><Cdtr><Nm>Ada Lovelace</Nm></Cdtr></RltdPties></TxDtls>
     <TxDtls><Refs><PmtInfId>CWB-7</PmtInfId><EndToEndId>CWE2E-B</EndToEndId></Refs><Amt Ccy="USD">250.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>
      <RltdPties><Cdtr><Nm>Grace Hopper</Nm></Cdtr></RltdPties></TxDtls>
    </NtryDtls>
   </Ntry>
   <Ntry>
    <Amt Ccy="USD">75.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2026-04-02</Dt></BookgDt><ValDt><Dt>2026-04-02</Dt></ValDt>
    <AcctSvcrRef>CHK 100001</AcctSvcrRef>
    <AddtlNtryInf>CHECK PAID</AddtlNtryInf>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>"#;

/// Issue 15, item 1: a camt.053 whose wire X was posted net of a $25 charge, so its amount is
/// wire Y's, with X's end-to-end id cut to 16 characters (legacy UUIDv7 ids of one run share
/// their first 20) and X's payee named; the charge line comes on the next day's statement.
fn camt_net_of_charge(id: &str, day: &str, open: &str, close: &str, entry: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>M-{id}</MsgId><CreDtTm>{day}T18:00:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>{id}</Id>
   <Acct><Id><IBAN>US00CLEARWAY0001</IBAN></Id><Ccy>USD</Ccy></Acct>
   <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">{open}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>
   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="USD">{close}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>
   {entry}
  </Stmt>
 </BkToCstmrStmt>
</Document>"#
    )
}

const E2E_X: &str = "0190F3A27B1C7D0080A1000000000001";

/// Scenario: wires X ($102.50), Y ($100.00) and Z ($300.00) SENT, to payees of our own
/// naming: clearly different people (the seeded ones differ by a number).
async fn three_wires() -> TestApp {
    with_three_payments(|_| {
        let x = manual_payment("P-X", PaymentMethod::Wire, 10_250, "John Smith", E2E_X);
        let y = manual_payment(
            "P-Y",
            PaymentMethod::Wire,
            10_000,
            "Maria Garcia",
            "0190F3A27B1C7D0080A1000000000002",
        );
        let z = manual_payment(
            "P-Z",
            PaymentMethod::Wire,
            30_000,
            "Ana Lopez",
            "0190F3A27B1C7D0080A1000000000003",
        );
        [x, y, z]
    })
    .await
}

#[tokio::test]
async fn a_wire_net_of_its_charge_is_never_cleared_as_its_neighbour() {
    let app = three_wires().await;
    let x_name = "JOHN SMITH";
    let net = format!(
        r#"<Ntry><Amt Ccy="USD">100.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2026-04-01</Dt></BookgDt><ValDt><Dt>2026-04-01</Dt></ValDt>
    <NtryDtls><TxDtls><Refs><EndToEndId>{}</EndToEndId></Refs>
     <RltdPties><Cdtr><Nm>{x_name}</Nm></Cdtr></RltdPties></TxDtls></NtryDtls></Ntry>"#,
        &E2E_X[..16]
    );
    let first = camt_net_of_charge("S-1", "2026-04-01", "1000.00", "900.00", &net);
    import_and_match(&app, "", first.into_bytes(), 1).await;
    // Before the fix: Y COMPLETED at score 950. Now the cut id names no one and the name
    // contradicts Y: an exception suggesting both.
    assert_eq!(payment(&app, "P-Y").await.0, "SENT");
    assert_eq!(payment(&app, "P-X").await.0, "SENT");
    let ex: Value = app
        .get("operator", "/api/reconciliation/exceptions")
        .await
        .json()
        .await
        .unwrap();
    let item = &ex["items"][0];
    assert_eq!(item["exceptionCause"], "CONTRADICTED", "{ex}");
    let suggested: Vec<&str> = item["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["paymentIds"][0].as_str().unwrap())
        .collect();
    assert!(
        suggested.contains(&"P-X") && suggested.contains(&"P-Y"),
        "{item}"
    );

    // The charge line arrives: the net line and the charge clear X, never Y.
    let charge = r#"<Ntry><Amt Ccy="USD">2.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2026-04-02</Dt></BookgDt><ValDt><Dt>2026-04-02</Dt></ValDt>
    <BkTxCd><Domn><Cd>ACMT</Cd><Fmly><Cd>MDOP</Cd><SubFmlyCd>CHRG</SubFmlyCd></Fmly></Domn></BkTxCd>
    <AddtlNtryInf>OUR CHARGES</AddtlNtryInf></Ntry>"#;
    let second = camt_net_of_charge("S-2", "2026-04-02", "900.00", "897.50", charge);
    import_and_match(&app, "", second.into_bytes(), 2).await;
    // Cleared the day its last line posted, as a wire split in two is.
    assert_eq!(
        payment(&app, "P-X").await,
        ("COMPLETED".into(), Some("2026-04-02".into()))
    );
    assert_eq!(payment(&app, "P-Y").await.0, "SENT");
    let m = one_text(
        &app,
        "SELECT match_id FROM reconciliation_match_payments WHERE payment_id = 'P-X' AND live = 1",
        "match_id",
    )
    .await;
    let m: Value = app
        .get("auditor", &format!("/api/reconciliation/matches/{m}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["lineIds"].as_array().unwrap().len(), 2, "{m}");
    let codes: Vec<&str> = m["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert!(codes.contains(&"FEE_DEDUCTED"), "{m}");
    app.stop().await;
}

/// A camt.053 debit of a wire: its full end-to-end id, payee name and payee IBAN.
fn camt_wire_debit(amount: &str, day: &str, e2e: &str, name: &str, iban: &str) -> String {
    format!(
        r#"<Ntry><Amt Ccy="USD">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>
    <NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>
     <RltdPties><Cdtr><Nm>{name}</Nm></Cdtr><CdtrAcct><Id><IBAN>{iban}</IBAN></Id></CdtrAcct></RltdPties></TxDtls></NtryDtls></Ntry>"#
    )
}

#[tokio::test]
async fn regression_a_line_paid_to_another_account_than_the_payees_is_not_cleared() {
    let app = three_wires().await;
    // X was instructed to its investor's payee account, which ends in 4321.
    let mut tx = app.db.begin().await.unwrap();
    for sql in [
        "UPDATE payments SET bank_account_id = (SELECT b.id FROM bank_accounts b WHERE b.investor_id = payments.investor_id ORDER BY b.id LIMIT 1) WHERE id = 'P-X'",
        "UPDATE bank_accounts SET account_last4 = '4321' WHERE id = (SELECT bank_account_id FROM payments WHERE id = 'P-X')",
    ] {
        assert_eq!(tx.execute(q(sql)).await.unwrap(), 1, "{sql}");
    }
    tx.commit().await.unwrap();
    // Everything agrees (full reference, amount, date, name) but the account: before the
    // fix the store never read the payee's last four digits, and X was cleared.
    let wrong = camt_wire_debit(
        "102.50",
        "2026-04-01",
        E2E_X,
        "JOHN SMITH",
        "DE89370400440532019999",
    );
    let first = camt_net_of_charge("S-1", "2026-04-01", "1000.00", "897.50", &wrong);
    import_and_match(&app, "", first.into_bytes(), 1).await;
    assert_eq!(payment(&app, "P-X").await.0, "SENT");
    let ex: Value = app
        .get("operator", "/api/reconciliation/exceptions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ex["items"].as_array().unwrap().len(), 1, "{ex}");
    assert_eq!(ex["items"][0]["exceptionCause"], "CONTRADICTED", "{ex}");
    // The same payment to the payee's own account clears it.
    let right = camt_wire_debit(
        "102.50",
        "2026-04-02",
        E2E_X,
        "JOHN SMITH",
        "DE89370400440532014321",
    );
    let second = camt_net_of_charge("S-2", "2026-04-02", "897.50", "795.00", &right);
    import_and_match(&app, "", second.into_bytes(), 2).await;
    assert_eq!(
        payment(&app, "P-X").await,
        ("COMPLETED".into(), Some("2026-04-02".into()))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_camt_batch_booking_clears_every_payment_of_the_batch() {
    let app = with_three_payments(|names| {
        let mut a = manual_payment("P-A", PaymentMethod::Wire, 10_000, names[0], "CWE2E-A");
        let mut b = manual_payment("P-B", PaymentMethod::Wire, 25_000, names[1], "CWE2E-B");
        a.batch_id = Some("CWB-7".into());
        b.batch_id = Some("CWB-7".into());
        let c = manual_payment("P-C", PaymentMethod::Check, 7_500, names[2], "100001");
        [a, b, c]
    })
    .await;
    let body = import_and_match(&app, "", CAMT_BATCH.as_bytes().to_vec(), 1).await;
    assert_eq!(body["statements"][0]["closingBalance"], "575.00");
    for id in ["P-A", "P-B", "P-C"] {
        assert_eq!(
            payment(&app, id).await,
            ("COMPLETED".into(), Some("2026-04-02".into())),
            "{id}"
        );
    }
    let batch_match = one_text(
        &app,
        "SELECT match_id FROM reconciliation_match_payments WHERE payment_id = 'P-A' AND live = 1",
        "match_id",
    )
    .await;
    let m: Value = app
        .get(
            "auditor",
            &format!("/api/reconciliation/matches/{batch_match}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["kind"], "AUTO");
    assert_eq!(m["lineIds"].as_array().unwrap().len(), 1);
    assert_eq!(
        m["paymentIds"],
        json!(["P-A", "P-B"]),
        "one statement line, two payments"
    );
    assert_eq!(m["amount"], "350.00");
    assert!(m["score"].as_i64().unwrap() >= 800);
    app.stop().await;
}

/// The whole loop on real payments: processing pays the lines (ACH file, pain.001 wires), the
/// bank's statements for those payments are imported, and matching clears every one of them.
#[tokio::test]
async fn the_banks_statements_of_a_processed_distribution_clear_all_its_payments() {
    let app = spawn_app(60).await;
    let d = app.create(&pro_rata(&app, "250000.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    app.complete(&id).await;
    let operator = Actor {
        role: Role::Operator,
        ..Actor::system(&app.seeded.org_id)
    };
    let sent: Vec<(String, i64)> = app
        .db
        .fetch_all(
            q("SELECT currency, COUNT(*) AS n FROM payments WHERE distribution_id = $1 AND status = 'SENT' GROUP BY currency ORDER BY currency")
                .bind(&id),
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.text("currency").unwrap(), r.i64("n").unwrap()))
        .collect();
    assert!(
        sent.iter().any(|(c, n)| c == "USD" && *n > 0),
        "the demo pays most lines by ACH in USD: {sent:?}"
    );
    for (i, (currency, _)) in sent.iter().enumerate() {
        let lines = clearway_store::statements::bank_view(
            &app.db,
            &operator,
            &id,
            Currency::parse(currency).unwrap(),
        )
        .await
        .unwrap();
        let file = simulation_bai2(&lines, &format!("ACCT-{currency}"), &format!("F{i}"));
        let (status, body) = app
            .upload_statement("operator", "", file.into_bytes())
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    wait_matching_jobs(&app, sent.len() as i64).await;
    let left = count_for(&app, "SELECT COUNT(*) AS n FROM payments WHERE distribution_id = $1 AND status <> 'COMPLETED' AND status <> 'FAILED'", &id).await;
    assert_eq!(
        left, 0,
        "every sent payment is cleared by the bank's statement"
    );
    let cleared: i64 = sent.iter().map(|(_, n)| n).sum();
    let paid_lines = count_for(&app, "SELECT COUNT(*) AS n FROM distribution_lines WHERE distribution_id = $1 AND status = 'PAID'", &id).await;
    assert_eq!(paid_lines, cleared);
    let exceptions: Value = app
        .get("operator", "/api/reconciliation/exceptions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(exceptions["items"].as_array().unwrap().len(), 0);
    app.stop().await;
}

/// Stored values that do not parse are errors (500, nothing shown), never silent defaults:
/// a currency code that is not one (was: its amounts exported unscaled), candidates or
/// warnings that are not JSON (were: shown as null / []), an exception without a cause
/// (was: counted under the empty cause).
#[tokio::test]
async fn stored_values_that_do_not_parse_are_errors_not_silent_defaults() {
    let app = spawn_app(3).await;
    let body = import_and_match(&app, "", own_bai2(), 1).await;
    let sid = body["statements"][0]["id"].as_str().unwrap().to_string();
    let line_id = first_exception(&app).await;
    let summary = "/api/reconciliation/summary?from=2024-01-01&to=2024-01-31&asOf=2024-01-10";
    let line = format!("/api/reconciliation/lines/{line_id}");
    let statement = format!("/api/bank-statements/{sid}");
    for path in [summary, &format!("{summary}&format=csv"), &line, &statement] {
        assert_eq!(
            app.get("operator", path).await.status(),
            StatusCode::OK,
            "{path}"
        );
    }
    let good: Value = app.get("operator", summary).await.json().await.unwrap();
    assert_eq!(
        good["accounts"][0]["exceptionCauses"],
        json!({"NO_CANDIDATE": 2})
    );
    let set = |sql: &'static str, id: String| {
        let db = app.db.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            tx.execute(q(sql).bind(id)).await.unwrap();
            tx.commit().await.unwrap();
        }
    };
    let broken = [
        (
            "UPDATE bank_statement_lines SET currency = 'us dollars' WHERE id = $1",
            "UPDATE bank_statement_lines SET currency = 'USD' WHERE id = $1",
            line_id.clone(),
            vec![
                summary.to_string(),
                format!("{summary}&format=csv"),
                line.clone(),
            ],
        ),
        (
            "UPDATE bank_statement_lines SET candidates = '[{not json' WHERE id = $1",
            "UPDATE bank_statement_lines SET candidates = '[]' WHERE id = $1",
            line_id.clone(),
            vec![line.clone()],
        ),
        (
            "UPDATE bank_statement_lines SET exception_cause = NULL WHERE id = $1",
            "UPDATE bank_statement_lines SET exception_cause = 'NO_CANDIDATE' WHERE id = $1",
            line_id.clone(),
            vec![summary.to_string()],
        ),
        (
            "UPDATE bank_statements SET warnings = 'none' WHERE id = $1",
            "UPDATE bank_statements SET warnings = '[]' WHERE id = $1",
            sid.clone(),
            vec![statement.clone(), "/api/bank-statements".to_string()],
        ),
    ];
    for (corrupt, repair, id, paths) in broken {
        set(corrupt, id.clone()).await;
        for path in &paths {
            let r = app.get("operator", path).await;
            assert_eq!(
                r.status(),
                StatusCode::INTERNAL_SERVER_ERROR,
                "{corrupt}: {path}"
            );
        }
        set(repair, id).await;
        for path in &paths {
            assert_eq!(
                app.get("operator", path).await.status(),
                StatusCode::OK,
                "{repair}: {path}"
            );
        }
    }
    let again: Value = app.get("operator", summary).await.json().await.unwrap();
    assert_eq!(
        again["accounts"][0]["exceptionCauses"],
        json!({"NO_CANDIDATE": 2})
    );
    app.stop().await;
}

/// An admin's manual match: status and body.
async fn post_match(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let r = app
        .post("admin", "/api/reconciliation/matches", &body)
        .await;
    (r.status(), r.json::<Value>().await.unwrap())
}

/// The exception line of `amount` (as shown, e.g. "-250.00").
async fn exception_of(app: &TestApp, amount: &str) -> String {
    let ex: Value = app
        .get("operator", "/api/reconciliation/exceptions?limit=1000")
        .await
        .json()
        .await
        .unwrap();
    let items = ex["items"].as_array().unwrap();
    let line = items.iter().find(|i| i["amount"] == amount);
    line.unwrap_or_else(|| panic!("no exception of {amount}: {ex}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_manual_match_above_the_four_eyes_amount_needs_a_second_user() {
    let mut config = test_config();
    config.four_eyes_above = rust_decimal::Decimal::new(10_000, 2);
    let app = with_three_payments_in(spawn_app_with(3, config).await, |names| {
        [
            manual_payment(
                "P-ACH-1",
                PaymentMethod::Ach,
                10_000,
                names[0],
                "021000020000001",
            ),
            manual_payment(
                "P-WIRE-2",
                PaymentMethod::Wire,
                25_000,
                names[1],
                "CWE2E0000000002",
            ),
            manual_payment("P-CHK-3", PaymentMethod::Check, 7_500, names[2], "100001"),
        ]
    })
    .await;
    let csv = "date;amount;ref;name;text\n\
               2026-04-01;-250,00;;ZZZ UNKNOWN CORP;OUTGOING WIRE\n\
               2026-04-01;-75,00;;YYY SOMEONE;OUTGOING\n";
    let query = "?format=csv&dateColumn=date&amountColumn=amount&referenceColumn=ref&counterpartyColumn=name&descriptionColumn=text&decimalSeparator=,&currency=USD&account=OPS-9";
    import_and_match(&app, query, csv.as_bytes().to_vec(), 1).await;
    let (wire_line, chk_line) = (
        exception_of(&app, "-250.00").await,
        exception_of(&app, "-75.00").await,
    );

    // At or below the amount one user matches alone.
    let (s, m) = post_match(
        &app,
        json!({ "lineIds": [chk_line], "paymentIds": ["P-CHK-3"] }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(payment(&app, "P-CHK-3").await.0, "COMPLETED");

    // Above it the same user cannot: a pending request, and nothing else written.
    let before = (counts(&app).await, payment(&app, "P-WIRE-2").await);
    let wire =
        json!({ "lineIds": [wire_line], "paymentIds": ["P-WIRE-2"], "note": "renamed payee" });
    let (s, pending) = post_match(&app, wire.clone()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{pending}");
    assert_eq!(pending["status"], "PENDING");
    let matches = "SELECT COUNT(*) AS n FROM reconciliation_matches";
    assert_eq!(app.count(matches).await, before.0[9], "no match made");
    assert_eq!(
        payment(&app, "P-WIRE-2").await,
        before.1,
        "the payment untouched"
    );
    let before = (counts(&app).await, before.1);
    let request_id = pending["id"].as_str().unwrap().to_string();
    let approve = |role: &'static str| {
        app.client
            .post(app.url(&format!(
                "/api/reconciliation/match-requests/{request_id}/approve"
            )))
            .bearer_auth(app.token(role))
            .send()
    };
    let own = approve("admin").await.unwrap();
    assert_eq!(
        own.status(),
        StatusCode::FORBIDDEN,
        "the maker approving their own request"
    );
    assert_eq!(
        approve("operator").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let mut with_id = wire.clone();
    with_id["requestId"] = request_id.clone().into();
    let (s, p) = post_match(&app, with_id.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "not approved yet: {p}");
    assert_eq!(
        (counts(&app).await, payment(&app, "P-WIRE-2").await),
        before
    );

    // A second user with the Approve permission approves; then the match is made, once.
    let ok = approve("approver").await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.json::<Value>().await.unwrap()["status"], "APPROVED");
    let (s, m) = post_match(&app, with_id.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(payment(&app, "P-WIRE-2").await.0, "COMPLETED");
    let used = app
        .count("SELECT COUNT(*) AS n FROM match_requests WHERE status = 'APPROVED' AND match_id IS NOT NULL")
        .await;
    assert_eq!(used, 1);
    app.stop().await;
}
