//! Paying investors end to end: processing creates one payment per line by the payee's method
//! (ACH, wire with FX, check; no payee → review queue), the files read back (NACHA by our
//! reader, pain.001 against the XSD), returns and notices of change, retries, checks, FX.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::Command;

use clearway_core::payments::reference;
use clearway_formats::ach;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};

use crate::helpers::{cents, pro_rata, spawn_app, TestApp};

/// Declares, approves and processes a pro-rata distribution; waits for its payments to go out.
pub async fn paid_distribution(app: &TestApp, total: &str) -> String {
    let d = app.create(&pro_rata(app, total)).await;
    let id = d["id"].as_str().unwrap().to_string();
    app.complete(&id).await;
    app.wait_jobs().await;
    id
}

/// Every payment of a distribution, as the role sees them.
pub async fn payments_of(app: &TestApp, role: &str, id: &str) -> Vec<Value> {
    let page: Value = app
        .get(
            role,
            &format!("/api/distributions/{id}/payments?limit=1000"),
        )
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

/// Minor units of a decimal string in a currency with `exp` decimals.
fn minor(v: &Value, exp: u32) -> i64 {
    let d: Decimal = v.as_str().unwrap().parse().unwrap();
    i64::try_from(d * Decimal::from(10i64.pow(exp))).unwrap()
}

fn exponent(ccy: &str) -> u32 {
    match ccy {
        "JPY" => 0,
        "BHD" => 3,
        _ => 2,
    }
}

pub async fn download(app: &TestApp, role: &str, batch_id: &str) -> reqwest::Response {
    app.get(role, &format!("/api/payment-batches/{batch_id}/file"))
        .await
}

/// An ISO 20022 schema from the third-party samples; `None` (and a line on stderr) without
/// them, and `scripts/test.sh` then says the XSD check was skipped.
fn xsd(name: &str) -> Option<PathBuf> {
    let dir = crate::conformance_samples::find()?.join("iso20022/xsd");
    Some(dir.join(format!("{name}.xsd")))
}

fn xmllint(xml: &str, schema: &PathBuf) {
    let path = std::env::temp_dir().join(format!("clearway-pain001-{}.xml", uuid_like()));
    std::fs::write(&path, xml).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(schema)
        .arg(&path)
        .output()
        .expect("xmllint is needed to validate pain.001 against its XSD");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "xmllint rejects our pain.001: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn processing_pays_each_line_by_its_payee_and_the_files_read_back() {
    let app = spawn_app(60).await;
    let id = paid_distribution(&app, "60000.00").await;
    let payments = payments_of(&app, "operator", &id).await;
    assert_eq!(payments.len(), 60, "one payment per line with cash");

    // The fund-currency amounts tie out to the distribution total, FX or not.
    let fund_total: i64 = payments.iter().map(|p| cents(&p["fundAmount"])).sum();
    assert_eq!(fund_total, 6_000_000);
    let by = |method: &str, status: &str| {
        payments
            .iter()
            .filter(|p| p["method"] == method && p["status"] == status)
            .count()
    };
    assert_eq!(by("ACH", "SENT"), 47);
    assert_eq!(by("WIRE", "SENT"), 6);
    assert_eq!(by("CHECK", "SENT"), 6);
    let failed: Vec<&Value> = payments
        .iter()
        .filter(|p| p["status"] == "FAILED")
        .collect();
    assert_eq!(failed.len(), 1, "the investor without a payee");
    assert_eq!(failed[0]["failureCode"], "NO_PAYEE");
    assert!(failed[0]["reviewReason"]
        .as_str()
        .unwrap()
        .starts_with("NO_PAYEE"));

    // FX: recorded rate, source, timestamp; half away from zero to the currency's minor units.
    for p in payments.iter().filter(|p| p["method"] == "WIRE") {
        let ccy = p["currency"].as_str().unwrap();
        assert!(ccy == "EUR" || ccy == "GBP", "{p}");
        let rate: Decimal = p["fxRate"].as_str().unwrap().parse().unwrap();
        assert!(p["fxSource"].as_str().unwrap().contains("ECB"));
        assert!(p["fxAsOf"].as_str().is_some());
        let fund: Decimal = p["fundAmount"].as_str().unwrap().parse().unwrap();
        let expected =
            (fund * rate).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(p["amount"].as_str().unwrap(), expected.to_string());
        assert!(p["endToEndId"].as_str().unwrap().len() <= 35);
    }
    // References reconciliation matches on, on every sent payment.
    for p in payments.iter().filter(|p| p["status"] == "SENT") {
        assert!(p["batchId"].is_string(), "{p}");
        assert!(p["expectedDate"].is_string());
        match p["method"].as_str().unwrap() {
            "ACH" => assert!(p["traceNumber"].as_str().unwrap().starts_with("02100002")),
            // Issue 15: the end-to-end id is the payment's reference token (cut to 16
            // characters by a bank, it still names one payment).
            "WIRE" => assert_eq!(
                p["endToEndId"].as_str().unwrap(),
                reference::token(p["id"].as_str().unwrap())
            ),
            _ => assert!(p["checkNumber"].is_string()),
        }
    }
    let traces: HashSet<&str> = payments
        .iter()
        .filter_map(|p| p["traceNumber"].as_str())
        .collect();
    assert_eq!(traces.len(), 47, "trace numbers are unique");

    // Lines follow their payments.
    let lines = app.all_lines("operator", &id).await;
    let line_status: HashMap<&str, &str> = lines
        .iter()
        .map(|l| {
            (
                l["investorId"].as_str().unwrap(),
                l["status"].as_str().unwrap(),
            )
        })
        .collect();
    for p in &payments {
        let expected = if p["status"] == "FAILED" {
            "FAILED"
        } else {
            "PAYMENT_INITIATED"
        };
        assert_eq!(line_status[p["investorId"].as_str().unwrap()], expected);
    }

    // Three files: NACHA, pain.001, check register.
    let batches: Value = app
        .get(
            "operator",
            &format!("/api/payment-batches?distributionId={id}"),
        )
        .await
        .json()
        .await
        .unwrap();
    let batches = batches["items"].as_array().unwrap();
    let kinds: HashSet<&str> = batches
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, HashSet::from(["NACHA", "PAIN001", "CHECK_REGISTER"]));
    let batch = |kind: &str| {
        batches.iter().find(|b| b["kind"] == kind).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // NACHA: our reader accepts it; totals, traces and transaction codes as paid.
    let resp = download(&app, "operator", &batch("NACHA")).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(text.lines().all(|l| l.len() == 94));
    assert_eq!(text.lines().count() % 10, 0);
    let file = ach::parse_file(&text).expect("our NACHA file reads back");
    let ach_total: i64 = payments
        .iter()
        .filter(|p| p["method"] == "ACH" && p["status"] == "SENT")
        .map(|p| cents(&p["amount"]))
        .sum();
    assert_eq!(file.control.total_credit as i64, ach_total);
    assert_eq!(file.control.total_debit, 0, "credits only: money goes out");
    let file_traces: HashSet<String> = file
        .batches
        .iter()
        .flat_map(|b| b.entries.iter().map(|e| e.trace_number.clone()))
        .collect();
    assert_eq!(file_traces, traces.iter().map(|t| t.to_string()).collect());
    let token_of_trace: HashMap<&str, String> = payments
        .iter()
        .filter_map(|p| {
            Some((
                p["traceNumber"].as_str()?,
                reference::token(p["id"].as_str()?),
            ))
        })
        .collect();
    for b in &file.batches {
        assert!(matches!(
            b.header.sec_code,
            ach::SecCode::Ppd | ach::SecCode::Ccd
        ));
        for e in &b.entries {
            assert!(matches!(e.transaction_code, 22 | 32));
            // The Individual Identification Number is the payment's reference token.
            assert_eq!(
                e.identification_number.trim_end(),
                token_of_trace[e.trace_number.as_str()]
            );
        }
    }

    // pain.001.001.03 valid against the ISO 20022 XSD; one file per currency, true totals.
    let pain: Vec<&Value> = batches.iter().filter(|b| b["kind"] == "PAIN001").collect();
    let mut xml_all = String::new();
    for b in &pain {
        let xml = download(&app, "admin", b["id"].as_str().unwrap())
            .await
            .text()
            .await
            .unwrap();
        if let Some(schema) = xsd("pain.001.001.03") {
            xmllint(&xml, &schema);
        }
        let ccy = b["currency"].as_str().unwrap();
        let total: Decimal = payments
            .iter()
            .filter(|p| p["method"] == "WIRE" && p["currency"] == ccy)
            .map(|p| p["amount"].as_str().unwrap().parse::<Decimal>().unwrap())
            .sum();
        assert_eq!(b["total"].as_str().unwrap(), total.to_string(), "{b}");
        xml_all.push_str(&xml);
    }
    for p in payments.iter().filter(|p| p["method"] == "WIRE") {
        let e2e = p["endToEndId"].as_str().unwrap();
        assert!(xml_all.contains(&format!("<EndToEndId>{e2e}</EndToEndId>")));
        // The remittance starts with the token too (banks cut it at the end).
        assert!(
            xml_all.contains(&format!("<Ustrd>{e2e} Distribution")),
            "{xml_all}"
        );
        let ccy = p["currency"].as_str().unwrap();
        let amount = Decimal::new(minor(&p["amount"], exponent(ccy)), exponent(ccy));
        assert!(
            xml_all.contains(&format!("<InstdAmt Ccy=\"{ccy}\">{amount}</InstdAmt>")),
            "{ccy} {amount}"
        );
    }

    // Check register: sequential numbers from 100001.
    let register = download(&app, "operator", &batch("CHECK_REGISTER"))
        .await
        .text()
        .await
        .unwrap();
    let mut numbers: Vec<i64> = payments
        .iter()
        .filter_map(|p| p["checkNumber"].as_str())
        .map(|n| n.parse().unwrap())
        .collect();
    numbers.sort();
    assert_eq!(numbers, (100_001..100_007).collect::<Vec<_>>());
    assert_eq!(register.lines().count(), 7);
    // Each check's memo leads with its payment's reference token (issue 15: every reference
    // we generate carries it).
    for row in register.lines().skip(1) {
        let fields: Vec<&str> = row.split(',').collect();
        let (payment_id, memo) = (fields[fields.len() - 2], fields[fields.len() - 1]);
        let token = reference::token(payment_id);
        assert!(memo.starts_with(&format!("{token} ")), "{row}");
    }
    let pp = app
        .get("operator", "/api/checks/positive-pay?columns=check_number,amount_cents,void&header=false&from=2000-01-01&to=2100-01-01")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(pp.lines().count(), 6);
    assert!(pp.lines().all(|l| l.ends_with(",I")), "{pp}");

    // Downloads are for admins and operators only, and each is audited.
    assert_eq!(
        download(&app, "auditor", &batch("NACHA")).await.status(),
        403
    );
    assert_eq!(
        download(&app, "approver", &batch("NACHA")).await.status(),
        403
    );
    assert_eq!(
        download(&app, "investor", &batch("NACHA")).await.status(),
        404
    );
    let audit: Value = app
        .get("auditor", "/api/audit?action=payment_batch.download")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"].as_array().unwrap().len(), 2 + pain.len());

    // The manual-review queue has the unpaid line; the investor sees only their own payment.
    let review: Value = app
        .get("operator", "/api/payments/review")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(review["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("investor", "/api/payments/review").await.status(),
        404
    );
    let mine = payments_of(&app, "investor", &id).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(
        mine[0]["investorId"],
        app.seeded.investor_user_investor_id.as_str()
    );
    crate::helpers::assert_no_orphan_payments(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn reversals_never_create_payments() {
    let app = spawn_app(6).await;
    let id = paid_distribution(&app, "600.00").await;
    let resp = app
        .post(
            "operator",
            &format!("/api/distributions/{id}/reversal"),
            &json!({ "reason": "wrong amount" }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let reversal = resp.json::<Value>().await.unwrap()["reversal"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (role, action) in [("approver", "approve"), ("operator", "process")] {
        assert!(app
            .patch(role, &format!("/api/distributions/{reversal}/{action}"))
            .await
            .status()
            .is_success());
    }
    app.wait_status(&reversal, "COMPLETED").await;
    app.wait_jobs().await;
    assert!(payments_of(&app, "operator", &reversal).await.is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM payments WHERE amount_minor <= 0")
            .await,
        0
    );
    app.stop().await;
}
