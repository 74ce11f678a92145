//! Schedule pages: the form previews and creates, field errors show next to fields (422),
//! the detail pauses and resumes, the calendar page lists holidays; investors are turned away.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn schedule_pages_preview_create_pause_and_show_calendars() {
    let app = spawn_app(3).await;
    let fund = app.seeded.open_fund_id.clone();
    let mut web = app.sign_in("operator").await;
    let list = web.get("/schedules").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("No schedule yet."));
    assert!(list.body.contains(r#"href="/schedules""#), "nav entry");
    // The GET preview shows the next dates without writing.
    let preview = web
        .get(&format!("/schedules/new?fund={fund}&frequency=QUARTERLY&method=per_share&amount=0.05&calendar=NYSE&record_rule=LAST_BUSINESS_DAY&declaration_days=5&payable_days=3&start=2027-01-01&lead=45"))
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("2027-03-31"), "{}", preview.body);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM schedules").await, 0);
    // Bad fields are named next to the fields, nothing written.
    web.get("/schedules/new").await;
    let bad = web
        .post(
            "/schedules/new",
            &[
                ("fund", &fund),
                ("frequency", "MONTHLY"),
                ("method", "per_share"),
                ("amount", "-1"),
                ("calendar", "NYSE"),
                ("record_rule", "LAST_BUSINESS_DAY"),
                ("start", "2027-01-01"),
                ("end", "2026-01-01"),
                ("lead", "999"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for id in ["err-amount", "err-end", "err-lead"] {
        assert!(bad.body.contains(id), "{id} missing: {}", bad.body);
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM schedules").await, 0);
    let ok = web
        .post(
            "/schedules/new",
            &[
                ("fund", &fund),
                ("frequency", "MONTHLY"),
                ("method", "per_share"),
                ("amount", "0.05"),
                ("calendar", "US_FED"),
                ("record_rule", "DAY_OF_MONTH"),
                ("record_day", "15"),
                ("declaration_days", "5"),
                ("payable_days", "3"),
                ("start", "2027-01-01"),
                ("lead", "45"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let at = ok.location.unwrap();
    let detail = web.get(&at).await;
    assert!(detail.body.contains("Pause schedule"));
    assert!(detail.body.contains("2027-01-15"));
    let paused = web.post(&format!("{at}/pause"), &[]).await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    assert!(web.get(&at).await.body.contains("Resume schedule"));
    let cal = web.get("/calendars?name=US_FED&year=2026").await;
    assert!(cal.body.contains("2026-11-26") && cal.body.contains("Thanksgiving Day"));
    let bad_cal = web.get("/calendars?name=NYSE&year=1999").await;
    assert_eq!(bad_cal.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_cal.body.contains("err-year"));
    let mut investor = app.sign_in("investor").await;
    assert_ne!(investor.get("/schedules").await.status, StatusCode::OK);
    app.stop().await;
}
