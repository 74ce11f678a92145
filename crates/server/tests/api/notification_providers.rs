//! The notification providers through the running server: SMS through a Twilio stand-in only
//! to investors who opted in, STOP and START by signed inbound texts, status callbacks;
//! email through a SendGrid stand-in (retried after a 500, sent once) and its signed event
//! webhook moving messages and suppressing a bounced address; forged signatures refused.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use clearway_app::notifications::channels::sendgrid::SendGridConfig;
use clearway_app::notifications::channels::twilio::{compute_signature, TwilioConfig};
use clearway_store::q;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::{json, Value};

use crate::helpers::{pro_rata, spawn_app_with, test_config, TestApp};

const PUBLIC: &str = "https://clearway.test";
const TOKEN: &str = "twilio-test-token";

type Seen = Arc<Mutex<Vec<Value>>>;

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

async fn twilio_messages(
    State(seen): State<Seen>,
    Form(form): Form<Vec<(String, String)>>,
) -> impl IntoResponse {
    let mut seen = seen.lock().unwrap();
    seen.push(json!(form));
    let sid = format!("SM{}", seen.len());
    (StatusCode::CREATED, Json(json!({ "sid": sid })))
}

async fn sendgrid_send(State(seen): State<Seen>, Json(body): Json<Value>) -> impl IntoResponse {
    let mut seen = seen.lock().unwrap();
    seen.push(body);
    // The first call fails (the provider's trouble): the sender retries it.
    if seen.len() == 1 {
        return (StatusCode::INTERNAL_SERVER_ERROR, HeaderMap::new()).into_response();
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-message-id",
        format!("sg-{}", seen.len()).parse().unwrap(),
    );
    (StatusCode::ACCEPTED, headers).into_response()
}

async fn messages(app: &TestApp, channel: &str) -> Vec<Value> {
    let page: Value = app
        .get(
            "operator",
            &format!("/api/notification-messages?channel={channel}&limit=1000"),
        )
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

/// Waits until no message of `channel` is queued or sending; returns them.
async fn settled(app: &TestApp, channel: &str) -> Vec<Value> {
    for _ in 0..300 {
        let all = messages(app, channel).await;
        if !all.is_empty()
            && all
                .iter()
                .all(|m| m["status"] != "queued" && m["status"] != "sending")
        {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{channel} messages did not settle: {:?}",
        messages(app, channel).await
    );
}

async fn set_phone(app: &TestApp, investor: &str, phone: &str) {
    let resp = app
        .client
        .patch(app.url(&format!("/api/investors/{investor}/contact")))
        .bearer_auth(app.token("operator"))
        .json(&json!({ "phone": phone }))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
}

async fn twilio_post(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    token: &str,
) -> reqwest::Response {
    let params: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let sig = compute_signature(token, &format!("{PUBLIC}{path}"), &params);
    app.client
        .post(app.url(path))
        .header("X-Twilio-Signature", sig)
        .form(&params)
        .send()
        .await
        .unwrap()
}

async fn suppressions(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) AS n FROM notification_suppressions")
        .await
}

/// A distribution declared and approved: investors hear of it once it is approved (a draft is
/// staff-only).
async fn approved(app: &TestApp, body: &Value) -> Value {
    let d = app.create(body).await;
    let id = d["id"].as_str().unwrap();
    for (role, action) in [("operator", "ready"), ("approver", "approve")] {
        let r = app
            .patch(role, &format!("/api/distributions/{id}/{action}"))
            .await;
        assert_eq!(r.status(), 200, "{action}");
    }
    d
}

fn of_kind<'a>(all: &'a [Value], kind: &str) -> Vec<&'a Value> {
    all.iter().filter(|m| m["eventKind"] == kind).collect()
}

#[tokio::test]
async fn only_opted_in_investors_get_sms_and_stop_and_start_are_honoured() {
    let seen: Seen = Arc::default();
    let stand_in = serve(
        Router::new()
            .route(
                "/2010-04-01/Accounts/ACtest/Messages.json",
                post(twilio_messages),
            )
            .with_state(seen.clone()),
    )
    .await;
    let mut config = test_config();
    config.public_url = Some(PUBLIC.into());
    config.notifications.poll = Duration::from_millis(50);
    config.notifications.twilio = Some(TwilioConfig {
        base_url: stand_in,
        account_sid: "ACtest".into(),
        auth_token: TOKEN.into(),
        from: "+15005550006".into(),
    });
    let app = spawn_app_with(2, config).await;
    let me = app.seeded.investor_user_investor_id.clone();
    let other = app
        .seeded
        .investor_ids
        .iter()
        .find(|i| **i != me)
        .unwrap()
        .clone();
    let (my_phone, other_phone) = ("+14155550101", "+14155550102");
    set_phone(&app, &me, my_phone).await;
    set_phone(&app, &other, other_phone).await;
    let prefs: Vec<Value> = ["distribution.approved", "distribution.processed"]
        .iter()
        .map(|k| json!({ "eventKind": k, "channel": "sms", "enabled": true }))
        .collect();
    let resp = app
        .put(
            "investor",
            "/api/notifications/preferences",
            &json!({ "preferences": prefs }),
        )
        .await;
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());

    let d = approved(&app, &pro_rata(&app, "1000.00")).await;
    let id = d["id"].as_str().unwrap().to_string();
    let all = settled(&app, "sms").await;
    let declared = of_kind(&all, "distribution.approved");
    let mine: Vec<_> = declared
        .iter()
        .filter(|m| m["investorId"] == me.as_str())
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["status"], "sent");
    assert_eq!(mine[0]["providerId"], "SM1");
    let theirs: Vec<_> = declared
        .iter()
        .filter(|m| m["investorId"] == other.as_str())
        .collect();
    assert_eq!(theirs[0]["status"], "skipped");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        let form: Vec<(String, String)> = serde_json::from_value(seen[0].clone()).unwrap();
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("To").as_deref(), Some(my_phone));
        assert_eq!(
            get("StatusCallback"),
            Some(format!("{PUBLIC}/api/webhooks/twilio/status"))
        );
        assert!(get("Body").is_some_and(|b| !b.is_empty()));
    }

    // A signed status callback moves the message; a replay changes nothing more.
    let status = [("MessageSid", "SM1"), ("MessageStatus", "delivered")];
    for _ in 0..2 {
        let r = twilio_post(&app, "/api/webhooks/twilio/status", &status, TOKEN).await;
        assert_eq!(r.status(), 200);
    }
    let delivered = messages(&app, "sms").await;
    assert!(delivered
        .iter()
        .any(|m| m["providerId"] == "SM1" && m["status"] == "delivered"));

    // A forged STOP is refused and changes nothing; a signed one suppresses the number.
    let stop = [("From", my_phone), ("Body", "Stop!")];
    let audit_before = app.count("SELECT COUNT(*) AS n FROM audit_log").await;
    let forged = twilio_post(&app, "/api/webhooks/twilio/inbound", &stop, "not-the-token").await;
    assert_eq!(forged.status(), 401);
    let unsigned = app
        .client
        .post(app.url("/api/webhooks/twilio/inbound"))
        .form(&stop)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    assert_eq!(suppressions(&app).await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log").await,
        audit_before
    );
    let r = twilio_post(&app, "/api/webhooks/twilio/inbound", &stop, TOKEN).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/xml");
    assert!(r.text().await.unwrap().ends_with("<Response/>"));
    assert_eq!(suppressions(&app).await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM audit_log").await,
        audit_before + 1
    );

    // The next notice (processed; the approved one went before the STOP) is suppressed,
    // never sent.
    let r = app
        .patch("operator", &format!("/api/distributions/{id}/process"))
        .await;
    assert!(r.status().is_success());
    app.wait_status(&id, "COMPLETED").await;
    app.wait_jobs().await;
    let mut after = Vec::new();
    for _ in 0..200 {
        after = settled(&app, "sms").await;
        if !of_kind(&after, "distribution.processed").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let m: Vec<_> = of_kind(&after, "distribution.processed")
        .into_iter()
        .filter(|m| m["investorId"] == me.as_str())
        .collect();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["status"], "suppressed");
    assert_eq!(seen.lock().unwrap().len(), 1);

    // START lifts it: the next distribution's notice is sent.
    let r = twilio_post(
        &app,
        "/api/webhooks/twilio/inbound",
        &[("From", my_phone), ("Body", "start")],
        TOKEN,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(suppressions(&app).await, 0);
    approved(&app, &pro_rata(&app, "500.00")).await;
    for _ in 0..200 {
        if seen.lock().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.lock().unwrap().len(), 2);
    app.stop().await;
}

fn key_pair() -> (EcdsaKeyPair, String) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    // SubjectPublicKeyInfo: ecPublicKey, prime256v1, the uncompressed point.
    let mut spki = vec![0x30, 0x59, 0x30, 0x13, 0x06, 0x07];
    spki.extend_from_slice(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
    spki.extend_from_slice(&[0x06, 0x08]);
    spki.extend_from_slice(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
    spki.extend_from_slice(&[0x03, 0x42, 0x00]);
    spki.extend_from_slice(pair.public_key().as_ref());
    (pair, B64.encode(spki))
}

async fn post_events(app: &TestApp, pair: &EcdsaKeyPair, body: &str) -> reqwest::Response {
    let ts = chrono::Utc::now().timestamp().to_string();
    let msg = [ts.as_bytes(), body.as_bytes()].concat();
    let sig = B64.encode(pair.sign(&SystemRandom::new(), &msg).unwrap().as_ref());
    app.client
        .post(app.url("/api/webhooks/sendgrid/events"))
        .header("X-Twilio-Email-Event-Webhook-Signature", sig)
        .header("X-Twilio-Email-Event-Webhook-Timestamp", ts)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sendgrid_sends_once_after_a_500_and_its_signed_events_move_messages() {
    let seen: Seen = Arc::default();
    let stand_in = serve(
        Router::new()
            .route("/v3/mail/send", post(sendgrid_send))
            .with_state(seen.clone()),
    )
    .await;
    let (pair, key) = key_pair();
    let mut config = test_config();
    config.notifications.poll = Duration::from_millis(50);
    config.notifications.sender_workers = 1;
    config.notifications.sender.retry_delays = vec![Duration::ZERO; 3];
    // SMTP configured too, on a closed port: SendGrid wins.
    config.notifications.smtp_url = Some("smtp://127.0.0.1:9".into());
    config.notifications.sendgrid = Some(SendGridConfig {
        base_url: stand_in,
        api_key: "SG.test".into(),
    });
    config.notifications.sendgrid_webhook_key = Some(key);
    let app = spawn_app_with(2, config).await;
    approved(&app, &pro_rata(&app, "1000.00")).await;
    let all = settled(&app, "email").await;
    let declared = of_kind(&all, "distribution.approved");
    assert_eq!(declared.len(), 2);
    assert!(
        declared.iter().all(|m| m["status"] == "sent"),
        "{declared:?}"
    );
    let sent_ids: Vec<&str> = declared.iter().map(|m| m["id"].as_str().unwrap()).collect();
    {
        let seen = seen.lock().unwrap();
        let ids: Vec<&str> = seen
            .iter()
            .map(|b| {
                b["custom_args"]["message_id"]
                    .as_str()
                    .or(b["personalizations"][0]["custom_args"]["message_id"].as_str())
                    .unwrap_or("")
            })
            .collect();
        // Each declared notice accepted once; the first call (a 500) was retried.
        for id in &sent_ids {
            let n = ids.iter().filter(|i| *i == id).count();
            assert!((1..=2).contains(&n), "{id}: {ids:?}");
        }
        assert_eq!(
            seen.len(),
            all.iter().filter(|m| m["status"] == "sent").count() + 1
        );
    }
    assert_eq!(
        declared
            .iter()
            .map(|m| m["attempts"].as_i64().unwrap())
            .sum::<i64>(),
        3
    );
    let (a, b) = (declared[0], declared[1]);
    let b_provider = b["providerId"].as_str().unwrap();
    let batch = json!([
        { "event": "delivered", "message_id": a["id"], "sg_message_id": format!("{}.filter0001", a["providerId"].as_str().unwrap()) },
        { "event": "open", "message_id": a["id"] },
        { "event": "bounce", "sg_message_id": format!("{b_provider}.filter0002"), "reason": "550 5.1.1 no such user" },
    ])
    .to_string();

    let forged = post_events(&app, &key_pair().0, &batch).await;
    assert_eq!(forged.status(), 401);
    assert_eq!(suppressions(&app).await, 0);

    let r = post_events(&app, &pair, &batch).await;
    assert_eq!(r.status(), 200);
    let r: Value = r.json().await.unwrap();
    assert_eq!(r["moved"], 3);
    let status_of =
        |all: &[Value], id: &Value| all.iter().find(|m| m["id"] == *id).unwrap()["status"].clone();
    let now = messages(&app, "email").await;
    assert_eq!(status_of(&now, &a["id"]), "opened");
    assert_eq!(status_of(&now, &b["id"]), "bounced");
    assert_eq!(suppressions(&app).await, 1);
    let bounced: i64 = app
        .db
        .fetch_optional(
            q("SELECT COUNT(*) AS n FROM notification_suppressions WHERE channel = 'email' AND address = $1")
                .bind(b["address"].as_str().unwrap().to_string()),
        )
        .await
        .unwrap()
        .unwrap()
        .i64("n")
        .unwrap();
    assert_eq!(bounced, 1);

    // A replayed batch changes nothing more.
    let r: Value = post_events(&app, &pair, &batch).await.json().await.unwrap();
    assert_eq!(r["moved"], 0);
    let again = messages(&app, "email").await;
    assert_eq!(status_of(&again, &a["id"]), "opened");
    assert_eq!(status_of(&again, &b["id"]), "bounced");
    assert_eq!(suppressions(&app).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn provider_webhooks_not_configured_are_404() {
    let app = spawn_app_with(1, test_config()).await;
    for path in [
        "/api/webhooks/sendgrid/events",
        "/api/webhooks/twilio/status",
        "/api/webhooks/twilio/inbound",
    ] {
        // Unsigned: refused first (401); signed but nothing configured: not found.
        let r = app
            .client
            .post(app.url(path))
            .body("[]")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let r = app
            .client
            .post(app.url(path))
            .header("X-Twilio-Email-Event-Webhook-Signature", "c2ln")
            .header("X-Twilio-Email-Event-Webhook-Timestamp", "1700000000")
            .header("X-Twilio-Signature", "c2ln")
            .body("[]")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    app.stop().await;
}

async fn twilio_unsubscribed() -> impl IntoResponse {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "code": 21610, "message": "Attempt to send to unsubscribed recipient" })),
    )
}

#[tokio::test]
async fn twilio_21610_bounces_the_sms_and_suppresses_the_number() {
    let stand_in = serve(Router::new().route(
        "/2010-04-01/Accounts/ACtest/Messages.json",
        post(twilio_unsubscribed),
    ))
    .await;
    let mut config = test_config();
    config.notifications.poll = Duration::from_millis(50);
    config.notifications.twilio = Some(TwilioConfig {
        base_url: stand_in,
        account_sid: "ACtest".into(),
        auth_token: TOKEN.into(),
        from: "+15005550006".into(),
    });
    let app = spawn_app_with(1, config).await;
    let me = app.seeded.investor_user_investor_id.clone();
    set_phone(&app, &me, "+14155550109").await;
    let prefs = json!({ "preferences": [{ "eventKind": "distribution.approved", "channel": "sms", "enabled": true }] });
    let resp = app
        .put("investor", "/api/notifications/preferences", &prefs)
        .await;
    assert!(resp.status().is_success());
    approved(&app, &pro_rata(&app, "1000.00")).await;
    let all = settled(&app, "sms").await;
    let declared = of_kind(&all, "distribution.approved");
    assert_eq!(declared[0]["status"], "bounced");
    assert_eq!(declared[0]["attempts"], 1);
    assert!(declared[0]["lastError"]
        .as_str()
        .unwrap()
        .starts_with("Twilio error 21610"));
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM notification_suppressions WHERE channel = 'sms' AND address = '+14155550109'")
            .await,
        1
    );
    app.stop().await;
}
