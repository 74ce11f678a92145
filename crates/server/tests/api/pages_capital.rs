//! Capital pages: the fund page with its tables, report and downloads; the new-call form
//! (errors next to fields, 422, nothing written); the import form; the investor's own page.

use reqwest::StatusCode;
use serde_json::json;

use crate::capital::partnership;
use crate::helpers::spawn_app;

#[tokio::test]
async fn capital_pages_call_import_and_portal() {
    let app = spawn_app(4).await;
    let fund = partnership(&app, "CAP-WEB").await;
    let own = app.seeded.investor_user_investor_id.clone();
    let inv: Vec<String> = app
        .seeded
        .investor_ids
        .iter()
        .filter(|i| **i != own)
        .cloned()
        .collect();
    let r = app
        .post(
            "operator",
            &format!("/api/funds/{fund}/commitments"),
            &json!({"commitments": [
        {"investorId": inv[0], "kind": "LP", "amount": "1000.00", "date": "2024-01-15"},
        {"investorId": own, "kind": "GP", "amount": "3000.00", "date": "2024-01-15"}]}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );

    let mut web = app.sign_in("operator").await;
    let index = web.get("/capital").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(
        index.body.contains("href=\"/capital/CAP-WEB\""),
        "{}",
        index.body
    );
    assert!(index.body.contains("href=\"/capital\""), "nav entry");

    let page = web.get("/capital/CAP-WEB").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page
        .body
        .contains("<caption>Commitments with called, uncalled and recallable capital</caption>"));
    assert!(page.body.contains("format=csv") && page.body.contains("format=xlsx"));

    // A call above the uncalled capital: 422, the error next to the amount, nothing written.
    let bad = web
        .post(
            "/capital/CAP-WEB/calls",
            &[
                ("amount", "999999.00"),
                ("call_date", "2024-03-01"),
                ("due_date", "2024-02-01"),
                ("description", "Close"),
                ("deal", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"err-amount\""), "{}", bad.body);
    assert!(bad.body.contains("id=\"err-due-date\""));
    assert!(bad.body.contains("No calls yet."));

    let ok = web
        .post(
            "/capital/CAP-WEB/calls",
            &[
                ("amount", "400.00"),
                ("call_date", "2024-03-01"),
                ("due_date", "2024-03-15"),
                ("description", "Close"),
                ("deal", "D1"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = web
        .get("/capital/CAP-WEB?notice=called&from=2024-01-01&to=2024-12-31")
        .await;
    assert!(page.body.contains("The capital call was recorded."));
    assert!(
        page.body.contains("<td class=\"num\">400.00</td>"),
        "{}",
        page.body
    );

    // Import: a bad row is listed by row and column; a good file lands.
    let bad_csv = format!(
        "type,investor_id,amount,date\nCONTRIBUTION,{},abc,2024-04-01\n",
        inv[0]
    );
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bad_csv.into_bytes()).file_name("a.csv"),
    );
    let bad = web.post_multipart("/capital/CAP-WEB/import", form).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("rows[2].amount"), "{}", bad.body);
    let good_csv = format!("type,investor_id,amount,date\nCONTRIBUTION,{},100.00,2024-04-01\nCONTRIBUTION,{own},50.00,2024-04-01\n", inv[0]);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(good_csv.into_bytes()).file_name("a.csv"),
    );
    let good = web.post_multipart("/capital/CAP-WEB/import", form).await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
    let page = web
        .get("/capital/CAP-WEB?from=2024-01-01&to=2024-12-31")
        .await;
    assert!(page.body.contains("Ties out:"), "{}", page.body);

    // The investor's own capital account; the staff page sends them home.
    let mut investor = app.sign_in("investor").await;
    let mine = investor
        .get("/account/capital?from=2024-01-01&to=2024-12-31")
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert!(mine.body.contains("CAP-WEB"), "{}", mine.body);
    let staff = investor.get("/capital/CAP-WEB").await;
    assert_eq!(staff.status, StatusCode::SEE_OTHER);
    app.stop().await;
}
