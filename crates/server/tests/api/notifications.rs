//! Notifications: preferences (own only, strict, audited), contacts, the in-app inbox and its
//! live feed (SSE), and unsubscribe links (GET changes nothing, one-click POST does, once).

use std::time::Duration;

use clearway_app::notifications::unsubscribe::unsubscribe_url;
use clearway_core::notifications::unsubscribe::Claim;
use clearway_core::notifications::{Channel, EventKind};
use clearway_server::state::SecretKey;
use clearway_store::notifications::contacts;
use clearway_store::notifications::inbox::{self, NewInboxItem};
use clearway_store::q;
use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

async fn n(app: &TestApp, sql: String) -> i64 {
    app.db
        .fetch_optional(q(sql))
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap()
}

async fn send(
    app: &TestApp,
    method: &str,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> Response {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut r = app.client.request(m, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
}

async fn problem_field(r: Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    (
        status,
        body["field"].as_str().unwrap_or_default().to_string(),
    )
}

fn other_investor(app: &TestApp) -> String {
    let own = &app.seeded.investor_user_investor_id;
    app.seeded
        .investor_ids
        .iter()
        .find(|i| *i != own)
        .unwrap()
        .clone()
}

fn cell<'a>(view: &'a Value, fund: Option<&str>, kind: &str, channel: &str) -> &'a Value {
    view["effective"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["fundId"].as_str() == fund && e["eventKind"] == kind && e["channel"] == channel)
        .unwrap_or_else(|| panic!("no cell {fund:?} {kind} {channel}"))
}

#[tokio::test]
async fn preferences_are_own_only_strict_and_audited() {
    let app = spawn_app(4).await;
    let inv = app.token("investor");
    let own = app.seeded.investor_user_investor_id.clone();
    let fund = app.seeded.open_fund_id.clone();

    let view: Value = app
        .get("investor", "/api/notifications/preferences")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["investorId"], own.as_str());
    assert_eq!(view["preferences"].as_array().unwrap().len(), 0);
    assert_eq!(view["effective"].as_array().unwrap().len(), 12 * 3);
    assert_eq!(cell(&view, None, "payment.sent", "sms")["enabled"], false);
    assert_eq!(cell(&view, None, "payment.sent", "email")["enabled"], true);

    // Unknown channel and kind: 422 naming each, nothing written.
    let audit_before = n(&app, "SELECT COUNT(*) AS n FROM audit_log".into()).await;
    let bad = json!({"preferences": [
        {"fundId": null, "eventKind": "payment.sent", "channel": "email", "enabled": false},
        {"fundId": null, "eventKind": "payment.sent", "channel": "sms", "enabled": true},
        {"fundId": null, "eventKind": "payment.sent", "channel": "fax", "enabled": true},
    ]});
    let r = send(
        &app,
        "PUT",
        inv,
        "/api/notifications/preferences",
        Some(bad),
    )
    .await;
    assert_eq!(
        problem_field(r).await,
        (422, "preferences[2].channel".into())
    );
    let bad_kind = json!({"preferences": [{"eventKind": "payment.lost", "channel": "email", "enabled": true}]});
    let r = send(
        &app,
        "PUT",
        inv,
        "/api/notifications/preferences",
        Some(bad_kind),
    )
    .await;
    assert_eq!(
        problem_field(r).await,
        (422, "preferences[0].eventKind".into())
    );
    let other_org = app.seed_another_org(2, "Notif Prefs Other Org").await;
    let foreign_fund = json!({"preferences": [{"fundId": other_org.open_fund_id, "eventKind": "payment.sent", "channel": "email", "enabled": false}]});
    let r = send(
        &app,
        "PUT",
        inv,
        "/api/notifications/preferences",
        Some(foreign_fund),
    )
    .await;
    assert_eq!(
        problem_field(r).await,
        (422, "preferences[0].fundId".into())
    );
    assert_eq!(
        n(
            &app,
            "SELECT COUNT(*) AS n FROM notification_preferences".into()
        )
        .await,
        0
    );
    assert_eq!(
        n(&app, "SELECT COUNT(*) AS n FROM audit_log".into()).await,
        audit_before
    );

    // A valid set: SMS on for every fund, email off for payments of one fund.
    let good = json!({"preferences": [
        {"fundId": null, "eventKind": "payment.sent", "channel": "sms", "enabled": true},
        {"fundId": fund, "eventKind": "payment.sent", "channel": "email", "enabled": false},
    ]});
    let r = send(
        &app,
        "PUT",
        inv,
        "/api/notifications/preferences",
        Some(good),
    )
    .await;
    assert_eq!(r.status(), 200);
    let view: Value = r.json().await.unwrap();
    assert_eq!(view["preferences"].as_array().unwrap().len(), 2);
    assert_eq!(cell(&view, None, "payment.sent", "sms")["enabled"], true);
    assert_eq!(
        cell(&view, Some(&fund), "payment.sent", "email")["enabled"],
        false
    );
    assert_eq!(cell(&view, None, "payment.sent", "email")["enabled"], true);
    let sql = format!("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'notification_preferences.replace' AND entity_id = '{own}' AND before_json = '[]' AND after_json LIKE '%\"sms\"%'");
    assert_eq!(n(&app, sql).await, 1);

    // Another investor's preferences: 404 for an investor, readable by staff.
    let other = other_investor(&app);
    let path = format!("/api/notifications/preferences?investorId={other}");
    assert_eq!(app.get("investor", &path).await.status(), 404);
    assert_eq!(app.get("operator", &path).await.status(), 200);
    assert_eq!(
        problem_field(app.get("operator", "/api/notifications/preferences").await).await,
        (422, "investorId".into())
    );
    // Another organization's investor: 404 for staff too.
    let foreign = format!(
        "/api/notifications/preferences?investorId={}",
        other_org.investor_user_investor_id
    );
    assert_eq!(app.get("operator", &foreign).await.status(), 404);
    // Approvers read but do not change someone's preferences.
    let r = send(&app, "PUT", app.token("approver"), &path, Some(json!({"preferences": [{"eventKind": "payment.sent", "channel": "sms", "enabled": true}]}))).await;
    assert_eq!(r.status(), 403);

    // Defaults: admins only; they apply where the investor has no row of their own.
    let defaults = json!({"preferences": [{"fundId": null, "eventKind": "distribution.declared", "channel": "email", "enabled": false}]});
    let r = send(
        &app,
        "PUT",
        app.token("operator"),
        "/api/notifications/preferences/defaults",
        Some(defaults.clone()),
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.get("investor", "/api/notifications/preferences/defaults")
            .await
            .status(),
        403
    );
    let r = send(
        &app,
        "PUT",
        app.token("admin"),
        "/api/notifications/preferences/defaults",
        Some(defaults),
    )
    .await;
    assert_eq!(r.status(), 200);
    let view: Value = app
        .get("investor", "/api/notifications/preferences")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        cell(&view, None, "distribution.declared", "email")["enabled"],
        false
    );
    let sql = "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'notification_preferences.replace_defaults' AND entity_id = 'organization'";
    assert_eq!(n(&app, sql.into()).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn contacts_are_checked_audited_announced_and_lift_the_suppression() {
    let app = spawn_app(3).await;
    let inv = app.token("investor");
    let own = app.seeded.investor_user_investor_id.clone();
    let path = format!("/api/investors/{own}/contact");
    for (body, field) in [
        (json!({"phone": "+0123456789"}), "phone"),
        (json!({"phone": "4155550123"}), "phone"),
        (json!({"email": "not an email"}), "email"),
        (json!({"email": "a@b"}), "email"),
        (json!({"locale": "fr"}), "locale"),
    ] {
        let r = send(&app, "PATCH", inv, &path, Some(body.clone())).await;
        assert_eq!(problem_field(r).await, (422, field.into()), "{body}");
    }
    let before = contacts::get(&app.db, &app.operator(), &own).await.unwrap();
    let old_email = before.email.clone().expect("demo investors have an email");
    contacts::suppress(
        &app.db,
        &app.seeded.org_id,
        Channel::Email,
        &old_email,
        "bounce",
    )
    .await
    .unwrap();

    let r = send(
        &app,
        "PATCH",
        inv,
        &path,
        Some(json!({"email": "new.address@example.com", "phone": "+14155550123", "locale": "es"})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["email"], "new.address@example.com");
    assert_eq!(c["phone"], "+14155550123");
    assert_eq!(c["locale"], "es");
    assert!(
        !contacts::is_suppressed(&app.db, &app.operator(), Channel::Email, &old_email)
            .await
            .unwrap()
    );
    let sql = format!("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'investor.contact_change' AND entity_id = '{own}'");
    assert_eq!(n(&app, sql).await, 1);
    let sql = format!("SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'investor.contact_changed' AND aggregate_id = '{own}'");
    assert_eq!(n(&app, sql).await, 1);
    // The same values again change nothing.
    let r = send(&app, "PATCH", inv, &path, Some(json!({"locale": "es"}))).await;
    assert_eq!(r.status(), 200);
    let sql = format!("SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'investor.contact_changed' AND aggregate_id = '{own}'");
    assert_eq!(n(&app, sql).await, 1);
    // null clears the phone; staff may change it too.
    let r = send(
        &app,
        "PATCH",
        app.token("operator"),
        &path,
        Some(json!({"phone": null})),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["phone"], Value::Null);

    // Another investor's contact: 404 for an investor, even with bad input; another org's for staff.
    let other = format!("/api/investors/{}/contact", other_investor(&app));
    assert_eq!(
        send(&app, "PATCH", inv, &other, Some(json!({"phone": "bad"})))
            .await
            .status(),
        404
    );
    let org2 = app.seed_another_org(1, "Notif Contacts Other Org").await;
    let foreign = format!("/api/investors/{}/contact", org2.investor_user_investor_id);
    assert_eq!(
        send(
            &app,
            "PATCH",
            app.token("operator"),
            &foreign,
            Some(json!({"locale": "en"}))
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        send(
            &app,
            "PATCH",
            app.token("auditor"),
            &path,
            Some(json!({"locale": "en"}))
        )
        .await
        .status(),
        403
    );
    app.stop().await;
}

async fn add(app: &TestApp, investor: &str, title: &str) -> String {
    let item = NewInboxItem {
        investor_id: investor.into(),
        event_id: uuid::Uuid::new_v4().to_string(),
        event_kind: "payment.sent".into(),
        fund_id: None,
        title: title.into(),
        body: format!("{title} body"),
        link: Some("/account/distributions".into()),
    };
    inbox::insert(&app.db, &app.seeded.org_id, &item)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn the_inbox_lists_own_notices_newest_first_and_marks_them_read_once() {
    let app = spawn_app(3).await;
    let own = app.seeded.investor_user_investor_id.clone();
    let other = other_investor(&app);
    let first = add(&app, &own, "First").await;
    let second = add(&app, &own, "Second").await;
    let third = add(&app, &own, "Third").await;
    let theirs = add(&app, &other, "Not yours").await;

    let page: Value = app
        .get("investor", "/api/notifications?limit=2")
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [third.as_str(), second.as_str()]);
    assert_eq!(page["unreadCount"], 3);
    let cursor = page["nextCursor"].as_str().unwrap();
    let page: Value = app
        .get(
            "investor",
            &format!("/api/notifications?limit=2&cursor={cursor}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["id"], first.as_str());
    assert_eq!(page["items"][0]["title"], "First");
    assert!(page["nextCursor"].is_null());

    let r = app
        .patch("investor", &format!("/api/notifications/{second}/read"))
        .await;
    assert_eq!(r.status(), 200);
    let read_at = r.json::<Value>().await.unwrap()["readAt"]
        .as_str()
        .unwrap()
        .to_string();
    let again: Value = app
        .patch("investor", &format!("/api/notifications/{second}/read"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["readAt"],
        read_at.as_str(),
        "a second mark keeps the first time"
    );
    let page: Value = app
        .get("investor", "/api/notifications")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["unreadCount"], 2);

    assert_eq!(
        app.patch("investor", &format!("/api/notifications/{theirs}/read"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.patch("operator", &format!("/api/notifications/{first}/read"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get(
            "investor",
            &format!("/api/notifications?investorId={other}")
        )
        .await
        .status(),
        404
    );
    let staff: Value = app
        .get(
            "operator",
            &format!("/api/notifications?investorId={other}"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(staff["items"][0]["id"], theirs.as_str());
    let org2 = app.seed_another_org(1, "Notif Inbox Other Org").await;
    let foreign = format!(
        "/api/notifications?investorId={}",
        org2.investor_user_investor_id
    );
    assert_eq!(app.get("operator", &foreign).await.status(), 404);
    assert_eq!(
        app.get("operator", "/api/notifications?limit=0")
            .await
            .status(),
        422
    );
    app.stop().await;
}

/// Reads the stream until an event with `id` arrives (or `wait` passes); returns the text read.
async fn read_until(resp: &mut Response, id: &str, wait: Duration) -> String {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + wait;
    while !text.contains(&format!("id: {id}\n")) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, resp.chunk()).await {
            Ok(Ok(Some(bytes))) => text.push_str(&String::from_utf8_lossy(&bytes)),
            _ => break,
        }
    }
    text
}

#[tokio::test]
async fn the_live_feed_streams_new_notices_and_resumes_after_the_last_event_id() {
    let app = spawn_app(3).await;
    let own = app.seeded.investor_user_investor_id.clone();
    let other = other_investor(&app);
    let old = add(&app, &own, "Before the feed").await;

    let mut resp = app.get("investor", "/api/notifications/stream").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    add(&app, &other, "Someone else's").await;
    let new = add(&app, &own, "Live one").await;
    let text = read_until(&mut resp, &new, Duration::from_secs(5)).await;
    assert!(text.contains(&format!("id: {new}\n")), "{text}");
    assert!(text.contains("event: notification"), "{text}");
    assert!(text.contains("Live one"), "{text}");
    assert!(
        !text.contains(&old),
        "a fresh feed starts after the newest notice: {text}"
    );
    assert!(!text.contains("Someone else"), "{text}");
    drop(resp);

    // Resuming after `old` replays what came since, and nothing before.
    let mut resp = app
        .client
        .get(app.url("/api/notifications/stream"))
        .bearer_auth(app.token("investor"))
        .header("Last-Event-ID", &old)
        .send()
        .await
        .unwrap();
    let text = read_until(&mut resp, &new, Duration::from_secs(5)).await;
    assert!(text.contains(&format!("id: {new}\n")), "{text}");
    assert!(!text.contains(&format!("id: {old}\n")), "{text}");
    drop(resp);

    let r = app
        .get(
            "investor",
            &format!("/api/notifications/stream?investorId={other}"),
        )
        .await;
    assert_eq!(r.status(), 404);
    app.stop().await;
}

fn claim(app: &TestApp, kind: Option<EventKind>, expires_at: i64) -> Claim {
    Claim {
        org_id: app.seeded.org_id.clone(),
        investor_id: app.seeded.investor_user_investor_id.clone(),
        fund_id: None,
        kind,
        channel: Channel::Email,
        expires_at,
    }
}

#[tokio::test]
async fn unsubscribe_links_change_nothing_on_get_and_turn_off_once_on_post() {
    let app = spawn_app(3).await;
    let key = SecretKey::dev();
    let own = app.seeded.investor_user_investor_id.clone();
    let in_a_day = chrono::Utc::now().timestamp() + 86_400;
    let url = unsubscribe_url(
        &app.base,
        key.bytes(),
        &claim(&app, Some(EventKind::PaymentSent), in_a_day),
    );
    assert!(url.starts_with(&format!("{}/unsubscribe?token=", app.base)));

    let page = app.client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("payment sent by email for every fund"),
        "{html}"
    );
    assert_eq!(
        n(
            &app,
            "SELECT COUNT(*) AS n FROM notification_preferences".into()
        )
        .await,
        0
    );

    let one_click = || {
        app.client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
    };
    assert_eq!(one_click().await.unwrap().status(), 200);
    let view: Value = app
        .get("investor", "/api/notifications/preferences")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cell(&view, None, "payment.sent", "email")["enabled"], false);
    assert_eq!(
        cell(&view, None, "payment.settled", "email")["enabled"],
        true
    );
    let audited = format!("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'notification_preferences.replace' AND actor_id = 'unsubscribe-link:{own}'");
    assert_eq!(n(&app, audited.clone()).await, 1);
    // Idempotent: a second use changes and audits nothing.
    assert_eq!(one_click().await.unwrap().status(), 200);
    assert_eq!(n(&app, audited.clone()).await, 1);
    assert_eq!(
        n(
            &app,
            format!(
                "SELECT COUNT(*) AS n FROM notification_preferences WHERE investor_id = '{own}'"
            )
        )
        .await,
        1
    );

    // Every kind at once (the page's form).
    let all = unsubscribe_url(&app.base, key.bytes(), &claim(&app, None, in_a_day));
    let r = app
        .client
        .post(&all)
        .form(&[("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(n(&app, format!("SELECT COUNT(*) AS n FROM notification_preferences WHERE investor_id = '{own}' AND channel = 'email' AND enabled = 0")).await, 12);

    // Expired, forged and missing tokens are refused and change nothing.
    let before = n(&app, "SELECT COUNT(*) AS n FROM audit_log".into()).await;
    let expired = unsubscribe_url(&app.base, key.bytes(), &claim(&app, None, 1_000));
    assert_eq!(app.client.get(&expired).send().await.unwrap().status(), 410);
    assert_eq!(
        app.client
            .post(&expired)
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap()
            .status(),
        410
    );
    let forged = unsubscribe_url(&app.base, b"another key", &claim(&app, None, in_a_day));
    assert_eq!(
        app.client
            .post(&forged)
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        app.client
            .get(app.url("/unsubscribe"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        n(&app, "SELECT COUNT(*) AS n FROM audit_log".into()).await,
        before
    );
    app.stop().await;
}

#[tokio::test]
async fn the_documented_patterns_name_every_event_kind_and_channel() {
    let app = spawn_app(1).await;
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let props = &doc["components"]["schemas"]["PreferenceView"]["properties"];
    let kinds = props["eventKind"]["pattern"].as_str().unwrap().to_string();
    let channels = props["channel"]["pattern"].as_str().unwrap().to_string();
    let alternatives = |p: &str| -> Vec<String> {
        p.trim_start_matches("^(")
            .trim_end_matches(")$")
            .split('|')
            .map(|a| a.replace("\\.", "."))
            .collect()
    };
    let want: Vec<String> = EventKind::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .collect();
    assert_eq!(alternatives(&kinds), want);
    let want: Vec<String> = Channel::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    assert_eq!(alternatives(&channels), want);
    app.stop().await;
}
