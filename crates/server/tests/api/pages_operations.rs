//! The operations-console pages: reports (figures, CSV and XLSX exports), the audit trail,
//! statement upload, the exceptions queue with manual match and four eyes, the forecast
//! placeholder, CSRF and roles.

use clearway_core::reconciliation::{Payment, PaymentMethod};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{cents, pro_rata, spawn_app, spawn_app_with, test_config, TestApp};
use crate::reconciliation::{
    manual_payment, own_bai2, payment, wait_matching_jobs, with_three_payments_in,
};
use crate::web_client::Web;

const RANGE: &str = "from=2026-01-01&to=2026-12-31";

/// Creates a distribution of the demo open-end fund (payable 2026-03-31) through the API.
async fn create(app: &TestApp, total: &str) -> String {
    let d = app.create(&pro_rata(app, total)).await;
    d["id"].as_str().unwrap().to_string()
}

/// The body's text between the first `start` and the next `end` after it.
fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let at = body
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {body}"));
    let rest = &body[at + start.len()..];
    &rest[..rest.find(end).unwrap()]
}

#[tokio::test]
async fn the_distributions_report_adds_up_the_distributions_and_its_exports_agree() {
    let app = spawn_app(3).await;
    create(&app, "1000.00").await;
    create(&app, "234.56").await;
    let mut web = app.sign_in("operator").await;

    let page = web
        .get(&format!("/reports/distributions?{RANGE}&group=quarter"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let row = between(&page.body, "<th scope=\"row\">2026-Q1</th>", "</tr>");
    assert!(row.contains("<td>DEMO-OPEN</td>"), "{row}");
    assert!(row.contains("<td class=\"num\">2</td>"), "{row}");
    assert!(row.contains("1,234.56 USD"), "{row}");
    assert!(page.body.contains("<svg class=\"chart\""), "a chart");

    let csv = web
        .get(&format!("/reports/distributions.csv?{RANGE}&group=quarter"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(
        csv.body,
        "period,fund,currency,count,gross,reinvested,paid_in_cash\n2026-Q1,DEMO-OPEN,USD,2,1234.56,0.00,0.00\n"
    );
    // Per month the same money, in March.
    let monthly = web
        .get(&format!("/reports/distributions.csv?{RANGE}"))
        .await;
    assert!(
        monthly
            .body
            .ends_with("\n2026-03,DEMO-OPEN,USD,2,1234.56,0.00,0.00\n"),
        "{}",
        monthly.body
    );
    // A range that leaves them out has no row.
    let before = web
        .get("/reports/distributions.csv?from=2025-01-01&to=2025-12-31")
        .await;
    assert_eq!(before.body.lines().count(), 1, "{}", before.body);

    let xlsx = app
        .client
        .get(app.url(&format!("/reports/distributions.xlsx?{RANGE}")))
        .header("Cookie", web_cookie(&web))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX is a zip");

    let bad = web
        .get("/reports/distributions?from=2026-02-30&group=fortnight")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"e-from\""), "{}", bad.body);
    assert!(bad.body.contains("id=\"e-group\""), "{}", bad.body);
    let bad_export = web.get("/reports/distributions.csv?to=soon").await;
    assert_eq!(bad_export.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

fn web_cookie(web: &Web) -> String {
    web.cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn the_tax_summary_splits_the_gross_by_character_and_cash_flow_shows_what_is_scheduled() {
    let app = spawn_app(3).await;
    let id = create(&app, "1000.00").await;
    for (role, action) in [("operator", "ready"), ("approver", "approve")] {
        let r = app
            .patch(role, &format!("/api/distributions/{id}/{action}"))
            .await;
        assert!(r.status().is_success(), "{action}");
    }
    let mut web = app.sign_in("auditor").await;

    // What the API says each investor's line carries, per component (cents).
    let kinds = [
        "ordinaryDividend",
        "qualifiedDividend",
        "shortTermGain",
        "longTermGain",
        "returnOfCapital",
        "interest",
    ];
    let lines = app.all_lines("operator", &id).await;
    let expected: Vec<i64> = kinds
        .iter()
        .map(|k| lines.iter().map(|l| cents(&l[k])).sum())
        .collect();

    let page = web.get(&format!("/reports/tax-summary?{RANGE}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let row = between(&page.body, "<th scope=\"row\">2026</th>", "</tr>");
    assert!(row.contains("<td>DEMO-OPEN</td>"), "{row}");
    assert!(row.contains("1,000.00 USD"), "{row}");
    let this_year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
    if this_year <= 2026 {
        assert!(row.contains("Estimate until year end"), "{row}");
    }

    let csv = web.get(&format!("/reports/tax-summary.csv?{RANGE}")).await;
    let rows: Vec<&str> = csv.body.lines().collect();
    assert_eq!(rows.len(), 2, "{}", csv.body);
    let header: Vec<&str> = rows[0].split(',').collect();
    let cells: Vec<&str> = rows[1].split(',').collect();
    let col = |name: &str| cells[header.iter().position(|h| *h == name).unwrap()];
    let shown: Vec<i64> = kinds.iter().map(|k| cents(&json!(col(k)))).collect();
    assert_eq!(shown, expected, "each character as the lines carry it");
    assert_eq!(shown.iter().sum::<i64>(), cents(&json!(col("gross"))));
    assert_eq!(col("gross"), "1000.00");
    assert_eq!(
        col("status"),
        if this_year <= 2026 {
            "estimate"
        } else {
            "year closed"
        }
    );
    let xlsx = web.get(&format!("/reports/tax-summary.xlsx?{RANGE}")).await;
    assert_eq!(xlsx.status, StatusCode::OK);

    // Approved, not processed: scheduled at its gross, no rail chosen yet, nothing paid.
    let cash = web
        .get(&format!("/reports/cash-flow.csv?{RANGE}&group=month"))
        .await;
    assert_eq!(
        cash.body,
        "bucket,currency,rail,scheduled,paid\n2026-03,USD,not chosen until processing,1000.00,0.00\n"
    );
    let weekly = web.get(&format!("/reports/cash-flow?{RANGE}")).await;
    assert!(
        weekly.body.contains("week of 2026-03-30"),
        "2026-03-31 is a Tuesday: {}",
        weekly.body
    );
    app.stop().await;
}

#[tokio::test]
async fn the_audit_trail_shows_a_creation_made_through_the_api_to_auditors_only() {
    let app = spawn_app(3).await;
    let id = create(&app, "500.00").await;
    let mut auditor = app.sign_in("auditor").await;
    let page = auditor.get("/audit?entity_type=distribution").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let row = between(&page.body, "<td>distribution.create</td>", "</tr>");
    assert!(
        row.contains(&format!("<a href=\"/distributions/{id}\">{id}</a>")),
        "{row}"
    );
    assert!(row.contains("<dt>"), "the created state's keys: {row}");
    assert!(
        page.body
            .contains("<td>Demo operator</td><td>distribution.create</td>")
            || page
                .body
                .contains("<td>Demo operator</td>\n      <td>distribution.create</td>"),
        "who, by name: {}",
        page.body
    );
    let other = auditor.get("/audit?entity_id=no-such-entity").await;
    assert!(other.body.contains("No entries match."));
    let bad = auditor.get("/audit?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"e-from\""));
    // The operator's role has no ReadAudit (clearway_core::access).
    let mut operator = app.sign_in("operator").await;
    let refused = operator.get("/audit").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    app.stop().await;
}

fn statement_form(bytes: Vec<u8>) -> Form {
    Form::new().part("file", Part::bytes(bytes).file_name("statement.bai"))
}

#[tokio::test]
async fn a_statement_uploaded_through_the_form_shows_its_result_and_a_broken_one_its_error() {
    let app = spawn_app(3).await;
    let mut web = app.sign_in("operator").await;
    web.get("/reconciliation").await;
    let done = web
        .post_multipart("/reconciliation/statements", statement_form(own_bai2()))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let to = done.location.unwrap();
    assert!(
        to.starts_with("/reconciliation?notice=imported&file="),
        "{to}"
    );
    let page = web.get(&to).await;
    let result = between(&page.body, "id=\"import-result\"", "</dl>");
    assert!(
        result.contains("<dt>Lines imported</dt><dd>2</dd>"),
        "{result}"
    );
    assert!(page.body.contains("OPS-ROLES"), "the statement is listed");

    let broken = web
        .post_multipart(
            "/reconciliation/statements",
            statement_form(b"01,NOT,A,REAL,FILE/\n".to_vec()),
        )
        .await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        broken
            .body
            .contains("aria-invalid=\"true\" aria-describedby=\"e-file\""),
        "{}",
        broken.body
    );
    assert!(broken
        .body
        .contains("<span class=\"field-error\" id=\"e-file\">"));

    // Without the token the upload is refused before anything is read into the store.
    web.csrf = String::new();
    let forged = web
        .post_multipart("/reconciliation/statements", statement_form(own_bai2()))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let mut auditor = app.sign_in("auditor").await;
    let page = auditor.get("/reconciliation").await;
    assert!(
        page.body
            .contains("Your role may not import statements or match lines"),
        "{}",
        page.body
    );
    let refused = auditor
        .post_multipart("/reconciliation/statements", statement_form(own_bai2()))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    app.stop().await;
}

/// Three payments of a completed distribution; the wire of 250.00 to a payee the bank names
/// differently, so that its statement line is an exception with the wire as candidate.
async fn wire_exception(app: TestApp) -> (TestApp, String) {
    let make = |names: &[&str]| -> [Payment; 3] {
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
    };
    let app = with_three_payments_in(app, make).await;
    let csv = "date;amount;ref;name;text\n2026-04-01;-250,00;;ZZZ UNKNOWN CORP;OUTGOING WIRE\n";
    let query = "?format=csv&dateColumn=date&amountColumn=amount&referenceColumn=ref&counterpartyColumn=name&descriptionColumn=text&decimalSeparator=,&currency=USD&account=OPS-9";
    let (status, body) = app
        .upload_statement("operator", query, csv.as_bytes().to_vec())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    wait_matching_jobs(&app, 1).await;
    let ex: Value = app
        .get("operator", "/api/reconciliation/exceptions")
        .await
        .json()
        .await
        .unwrap();
    let line = ex["items"][0]["id"].as_str().unwrap().to_string();
    (app, line)
}

async fn line_status(app: &TestApp, line: &str) -> Value {
    app.get("operator", &format!("/api/reconciliation/lines/{line}"))
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_exception_is_matched_by_hand_through_the_form_and_the_api_shows_it_matched() {
    let (app, line) = wire_exception(spawn_app(3).await).await;
    let mut approver = app.sign_in("approver").await;
    let queue = approver.get("/reconciliation/exceptions").await;
    assert!(
        queue.body.contains("<code>P-WIRE-2</code>"),
        "{}",
        queue.body
    );
    assert!(
        queue.body.contains(&format!(
            "<button type=\"button\" disabled aria-describedby=\"rm-{line}\">Match by hand</button>"
        )),
        "the approver's role may not match: {}",
        queue.body
    );

    let mut web = app.sign_in("operator").await;
    // The distribution's payments were sent: paid per rail, and in cash in the report.
    let cash = web
        .get(&format!("/reports/cash-flow.csv?{RANGE}&group=month"))
        .await;
    assert_eq!(
        cash.body,
        "bucket,currency,rail,scheduled,paid\n2026-03,USD,ACH,0.00,100.00\n2026-03,USD,CHECK,0.00,75.00\n2026-03,USD,WIRE,0.00,250.00\n"
    );
    let report = web
        .get(&format!("/reports/distributions.csv?{RANGE}"))
        .await;
    assert!(
        report
            .body
            .ends_with("\n2026-03,DEMO-OPEN,USD,1,425.00,0.00,425.00\n"),
        "{}",
        report.body
    );

    let form = web
        .get(&format!("/reconciliation/exceptions/{line}/match"))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("value=\"P-WIRE-2\""));
    let path = format!("/reconciliation/exceptions/{line}/match");
    let missing = web.post(&path, &[("outcome", "CLEARED")]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.body.contains("id=\"e-candidate\""),
        "{}",
        missing.body
    );
    assert_eq!(line_status(&app, &line).await["status"], "EXCEPTION");

    let done = web
        .post(
            &path,
            &[
                ("candidate", "P-WIRE-2"),
                ("outcome", "CLEARED"),
                ("note", "renamed payee"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some("/reconciliation/exceptions?notice=matched")
    );
    let shown = line_status(&app, &line).await;
    assert_eq!(shown["status"], "MATCHED", "{shown}");
    assert_eq!(payment(&app, "P-WIRE-2").await.0, "COMPLETED");
    let queue = web.get("/reconciliation/exceptions?notice=matched").await;
    assert!(queue.body.contains("The lines were matched"));
    assert!(queue.body.contains("No open exceptions."));

    // Undone through its page with a reason; a blank reason is refused next to the field.
    let match_id = shown["matchId"].as_str().unwrap().to_string();
    let unmatch = format!("/reconciliation/matches/{match_id}/unmatch");
    web.get(&unmatch).await;
    let blank = web.post(&unmatch, &[("reason", " ")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.body.contains("id=\"e-reason\""), "{}", blank.body);
    let undone = web.post(&unmatch, &[("reason", "wrong payee")]).await;
    assert_eq!(undone.status, StatusCode::SEE_OTHER, "{}", undone.body);
    assert_eq!(line_status(&app, &line).await["status"], "EXCEPTION");
    app.stop().await;
}

#[tokio::test]
async fn a_large_manual_match_waits_for_a_second_person_on_the_pages() {
    let mut config = test_config();
    config.four_eyes_above = rust_decimal::Decimal::new(10_000, 2);
    let (app, line) = wire_exception(spawn_app_with(3, config).await).await;
    let mut operator = app.sign_in("operator").await;
    let path = format!("/reconciliation/exceptions/{line}/match");
    operator.get(&path).await;
    let asked = operator
        .post(&path, &[("candidate", "P-WIRE-2"), ("outcome", "CLEARED")])
        .await;
    assert_eq!(
        asked.location.as_deref(),
        Some("/reconciliation/exceptions?notice=pending")
    );
    assert_eq!(line_status(&app, &line).await["status"], "EXCEPTION");
    let queue = operator.get("/reconciliation/exceptions").await;
    assert!(
        queue.body.contains("Waiting for approval"),
        "{}",
        queue.body
    );
    assert!(
        queue.body.contains("Your role may not approve matches"),
        "{}",
        queue.body
    );
    let request: String =
        between(&queue.body, "/reconciliation/match-requests/", "/approve").into();

    let mut approver = app.sign_in("approver").await;
    approver.get("/reconciliation/exceptions").await;
    let approve = format!("/reconciliation/match-requests/{request}/approve");
    let approved = approver.post(&approve, &[]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    assert_eq!(line_status(&app, &line).await["status"], "EXCEPTION");

    let queue = operator.get("/reconciliation/exceptions").await;
    assert!(
        queue.body.contains("Approved, not yet made"),
        "{}",
        queue.body
    );
    let made = operator
        .post(
            &format!("/reconciliation/match-requests/{request}/complete"),
            &[],
        )
        .await;
    assert_eq!(
        made.location.as_deref(),
        Some("/reconciliation/exceptions?notice=matched"),
        "{}",
        made.body
    );
    assert_eq!(line_status(&app, &line).await["status"], "MATCHED");
    app.stop().await;
}

#[tokio::test]
async fn the_forecast_page_is_in_the_nav_and_forms_without_a_token_are_refused() {
    let app = spawn_app(3).await;
    let mut web = app.sign_in("operator").await;
    let page = web.get("/distributions/forecast").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>Distributions forecast</h1>"));
    assert!(
        page.body.contains("Next forecast distribution per fund"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("<a href=\"/distributions/forecast\" aria-current=\"page\">"));

    for path in [
        "/reconciliation/match-requests/x/approve",
        "/reconciliation/exceptions/x/match",
        "/reconciliation/matches/x/unmatch",
    ] {
        let forged = web.post_raw(path, &[("candidate", "P-1")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_investor_gets_no_staff_page_or_report() {
    let app = spawn_app(3).await;
    create(&app, "1000.00").await;
    let mut web = app.sign_in("investor").await;
    for path in [
        "/reports/distributions",
        "/reports/distributions.csv",
        "/reports/tax-summary.xlsx",
        "/reports/cash-flow",
        "/audit",
        "/reconciliation",
        "/reconciliation/exceptions",
        "/distributions/forecast",
    ] {
        let page = web.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            page.location.as_deref(),
            Some("/account/distributions"),
            "{path}"
        );
        assert!(!page.body.contains("1000.00") && !page.body.contains("1,000.00"));
    }
    app.stop().await;
}
