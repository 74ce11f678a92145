//! The notification pages: the investor's inbox (mark read), preferences (the matrix saved
//! for one fund scope, contact fields) and the admins' defaults.

use reqwest::StatusCode;
use serde_json::Value;

use clearway_store::notifications::inbox::{self, NewInboxItem};

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_inbox_page_lists_notices_and_marks_one_read() {
    let app = spawn_app(2).await;
    let own = app.seeded.investor_user_investor_id.clone();
    let item = NewInboxItem {
        investor_id: own.clone(),
        event_id: uuid::Uuid::new_v4().to_string(),
        event_kind: "payment.sent".into(),
        fund_id: None,
        title: "Payment <sent>".into(),
        body: "USD 12.34 left".into(),
        link: Some("/account/distributions".into()),
    };
    let id = inbox::insert(&app.db, &app.seeded.org_id, &item)
        .await
        .unwrap()
        .unwrap();
    let mut web = app.sign_in("investor").await;
    let page = web.get("/account/notifications").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Payment &#60;sent&#62;"),
        "titles are escaped: {}",
        page.body
    );
    assert!(
        page.body.contains(r#"<span id="unread-count">1</span>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("/assets/notifications.js"));
    let done = web
        .post(&format!("/account/notifications/{id}/read"), &[])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.location.as_deref(),
        Some("/account/notifications?notice=read")
    );
    let page = web.get("/account/notifications?notice=read").await;
    assert!(
        page.body.contains(r#"<span id="unread-count">0</span>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("Marked as read."));
    // Without the CSRF token nothing happens.
    let refused = web
        .post_raw(&format!("/account/notifications/{id}/read"), &[])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let js = app
        .client
        .get(app.url("/assets/notifications.js"))
        .send()
        .await
        .unwrap();
    assert!(js.text().await.unwrap().contains("EventSource"));
    app.stop().await;
}

#[tokio::test]
async fn the_preferences_page_saves_one_scope_and_the_contact() {
    let app = spawn_app(2).await;
    let mut web = app.sign_in("investor").await;
    let page = web.get("/account/notifications/preferences").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<legend>Payment sent</legend>"),
        "{}",
        page.body
    );
    // Only email for payments sent, for every fund: everything else in this scope off.
    let saved = web
        .post(
            "/account/notifications/preferences",
            &[("fund", ""), ("payment.sent/email", "on")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let view: Value = app
        .get("investor", "/api/notifications/preferences")
        .await
        .json()
        .await
        .unwrap();
    let rows = view["preferences"].as_array().unwrap();
    assert_eq!(rows.len(), 36);
    assert_eq!(rows.iter().filter(|r| r["enabled"] == true).count(), 1);
    // A bad phone is shown again with its error, and nothing is saved.
    let bad = web
        .post(
            "/account/notifications/contact",
            &[
                ("email", "me@example.com"),
                ("phone", "12345"),
                ("locale", "en"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("err-phone"), "{}", bad.body);
    let ok = web
        .post(
            "/account/notifications/contact",
            &[
                ("email", "me@example.com"),
                ("phone", "+14155550123"),
                ("locale", "es"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let page = web
        .get("/account/notifications/preferences?notice=contact")
        .await;
    assert!(page.body.contains("+14155550123"));

    // Defaults: admins see and save them; operators are refused; investors sent home.
    let mut admin = app.sign_in("admin").await;
    let page = admin.get("/notifications/defaults").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(r#"href="/notifications/defaults""#),
        "linked from the navigation"
    );
    let saved = admin
        .post(
            "/notifications/defaults",
            &[("fund", ""), ("payment.sent/sms", "on")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let d: Value = app
        .get("admin", "/api/notifications/preferences/defaults")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["preferences"].as_array().unwrap().len(), 36);
    let mut operator = app.sign_in("operator").await;
    assert_eq!(
        operator.get("/notifications/defaults").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        web.get("/notifications/defaults").await.status,
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}
