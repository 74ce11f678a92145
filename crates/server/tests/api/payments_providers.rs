//! Provider connectors against local HTTP servers: Modern Treasury-style payment orders
//! (credits only, idempotency keys, basic auth), Stripe-style payouts as the fallback, signed
//! status webhooks (bad signature / old timestamp → 401 and nothing changes, replays ignored),
//! and a send interrupted after the provider accepted it never paying twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use clearway_core::payments::PaymentStatus;
use clearway_server::events::relay::sign;
use clearway_server::payments::{ProviderConfig, SendVia};
use clearway_server::Config;
use clearway_store::payments::{self as pstore, Update};
use clearway_store::{jobs, Actor};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, test_config, TestApp};
use crate::payments::payments_of;
use crate::payments_rails::{approved, process_offline};

/// What a mock provider saw: (path, idempotency key, authorization, body).
#[derive(Default)]
struct Seen {
    requests: Vec<(String, String, String, String)>,
    created: HashMap<String, String>,
}

type Shared = Arc<Mutex<Seen>>;

async fn record(
    state: &Shared,
    path: &str,
    headers: &HeaderMap,
    body: String,
    prefix: &str,
) -> (StatusCode, String) {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut s = state.lock().unwrap();
    s.requests.push((path.to_string(), key.clone(), auth, body));
    if key.is_empty() {
        return (StatusCode::BAD_REQUEST, json!({ "errors": { "code": "parameter_missing", "message": "Idempotency-Key required" } }).to_string());
    }
    // Idempotent like the real APIs: the same key returns the object created the first time.
    let n = s.created.len() + 1;
    let id = s
        .created
        .entry(key)
        .or_insert_with(|| format!("{prefix}_{n:04}"))
        .clone();
    (
        StatusCode::CREATED,
        json!({ "id": id, "status": if prefix == "po" { "approved" } else { "pending" } })
            .to_string(),
    )
}

async fn mock(prefix: &'static str, path: &'static str) -> (String, Shared) {
    let state: Shared = Arc::default();
    let app = Router::new()
        .route(
            path,
            post(
                move |State(s): State<Shared>, headers: HeaderMap, body: String| async move {
                    record(&s, path, &headers, body, prefix).await
                },
            ),
        )
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), state)
}

const MT_SECRET: &str = "whsec_mt_test";
const STRIPE_SECRET: &str = "whsec_stripe_test";

fn provider_config(mt_url: &str, stripe_url: &str) -> Config {
    let mut config = test_config();
    config.payments.send_via = SendVia::Providers;
    config.payments.provider_timeout = Duration::from_secs(2);
    config.payments.modern_treasury = Some(ProviderConfig {
        base_url: mt_url.into(),
        organization_id: "org_1".into(),
        api_key: "mt_key".into(),
        originating_account_id: "oa_fund".into(),
        webhook_secret: MT_SECRET.into(),
    });
    config.payments.stripe = Some(ProviderConfig {
        base_url: stripe_url.into(),
        organization_id: String::new(),
        api_key: "sk_test".into(),
        originating_account_id: String::new(),
        webhook_secret: STRIPE_SECRET.into(),
    });
    config
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn mt_webhook(app: &TestApp, body: &Value, secret: &str, ts: u64) -> reqwest::Response {
    let raw = body.to_string();
    let header = sign(secret, ts, raw.as_bytes());
    let sig = header.split("v1=").nth(1).unwrap().to_string();
    app.client
        .post(app.url("/api/webhooks/providers/modern-treasury"))
        .header("X-Timestamp", ts.to_string())
        .header("X-Signature", sig)
        .header("Content-Type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap()
}

async fn stripe_webhook(app: &TestApp, body: &Value, secret: &str, ts: u64) -> reqwest::Response {
    let raw = body.to_string();
    app.client
        .post(app.url("/api/webhooks/providers/stripe"))
        .header("Stripe-Signature", sign(secret, ts, raw.as_bytes()))
        .header("Content-Type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap()
}

async fn state_of(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) AS n FROM payment_events",
        "SELECT COUNT(*) AS n FROM outbox",
        "SELECT COUNT(*) AS n FROM audit_log",
        "SELECT COUNT(*) AS n FROM provider_events",
        "SELECT COUNT(*) AS n FROM payments WHERE status = 'COMPLETED'",
    ] {
        out.push(app.count(sql).await);
    }
    out
}

#[tokio::test]
async fn payment_orders_are_credits_with_idempotency_keys_and_signed_webhooks_settle_them() {
    let (mt_url, mt) = mock("po", "/api/payment_orders").await;
    let (stripe_url, stripe) = mock("tr", "/v1/payouts").await;
    let app = spawn_app_with(10, provider_config(&mt_url, &stripe_url)).await;
    let id = approved(&app, "1000.00").await;
    assert!(app
        .patch("operator", &format!("/api/distributions/{id}/process"))
        .await
        .status()
        .is_success());
    app.wait_status(&id, "COMPLETED").await;
    app.wait_jobs().await;
    let payments = payments_of(&app, "operator", &id).await;
    let via_provider: Vec<&Value> = payments.iter().filter(|p| p["method"] != "CHECK").collect();
    assert_eq!(via_provider.len(), 9);
    {
        let seen = mt.lock().unwrap();
        assert_eq!(seen.requests.len(), 9);
        for (path, key, auth, body) in &seen.requests {
            assert_eq!(path, "/api/payment_orders");
            assert_eq!(auth, "Basic b3JnXzE6bXRfa2V5", "basic auth org_1:mt_key");
            let b: Value = serde_json::from_str(body).unwrap();
            assert_eq!(b["direction"], "credit", "money goes out, never a debit");
            assert_eq!(b["originating_account_id"], "oa_fund");
            let p = payments
                .iter()
                .find(|p| p["id"] == key.as_str())
                .expect("idempotency key is the payment id");
            assert_eq!(
                b["amount"].as_i64().unwrap(),
                crate::helpers::cents(&p["amount"])
            );
            assert_eq!(
                b["type"],
                if p["method"] == "WIRE" { "wire" } else { "ach" }
            );
            assert!(!body.contains("debit"));
        }
        assert!(
            stripe.lock().unwrap().requests.is_empty(),
            "no fallback needed"
        );
    }
    for p in &via_provider {
        assert_eq!(p["status"], "SENT");
        assert_eq!(p["provider"], "MODERN_TREASURY");
        assert!(p["providerRef"].as_str().unwrap().starts_with("po_"));
        assert!(p["batchId"].is_string());
    }
    let target = via_provider[0];
    let order = target["providerRef"].as_str().unwrap();
    let completed = json!({ "id": "evt_1", "event": "completed", "data": { "id": order, "status": "completed", "effective_date": "2026-03-31" } });

    // Wrong secret, tampered body, old timestamp, missing headers: 401 and nothing changes.
    let before = state_of(&app).await;
    assert_eq!(
        mt_webhook(&app, &completed, "whsec_wrong", now())
            .await
            .status(),
        401
    );
    assert_eq!(
        mt_webhook(&app, &completed, MT_SECRET, now() - 3600)
            .await
            .status(),
        401
    );
    assert_eq!(
        mt_webhook(&app, &completed, MT_SECRET, now() + 3600)
            .await
            .status(),
        401
    );
    let raw = completed.to_string();
    let sig = sign(MT_SECRET, now(), raw.as_bytes());
    let tampered = app
        .client
        .post(app.url("/api/webhooks/providers/modern-treasury"))
        .header("X-Timestamp", now().to_string())
        .header("X-Signature", sig.split("v1=").nth(1).unwrap())
        .body(raw.replace("completed\"", "completed \""))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 401);
    assert_eq!(
        app.client
            .post(app.url("/api/webhooks/providers/modern-treasury"))
            .body(raw.clone())
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        stripe_webhook(
            &app,
            &json!({ "id": "evt_s", "type": "payout.paid", "data": { "object": { "id": order } } }),
            MT_SECRET,
            now()
        )
        .await
        .status(),
        401,
        "each provider its own secret"
    );
    assert_eq!(state_of(&app).await, before);
    let still: Value = app
        .get(
            "operator",
            &format!(
                "/api/distributions/payments/{}/status",
                target["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["payment"]["status"], "SENT");

    // Signed and fresh: applied once; the same delivery again changes nothing.
    let resp = mt_webhook(&app, &completed, MT_SECRET, now()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["status"], "applied");
    let done: Value = app
        .get(
            "operator",
            &format!(
                "/api/distributions/payments/{}/status",
                target["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["payment"]["status"], "COMPLETED");
    assert_eq!(done["payment"]["clearedDate"], "2026-03-31");
    assert_eq!(done["lineStatus"], "PAID");
    let after_first = state_of(&app).await;
    let replay = mt_webhook(&app, &completed, MT_SECRET, now()).await;
    assert_eq!(replay.json::<Value>().await.unwrap()["status"], "duplicate");
    let returned_replay = json!({ "id": "evt_1", "event": "returned", "data": { "id": order, "return": { "code": "R03" } } });
    assert_eq!(
        mt_webhook(&app, &returned_replay, MT_SECRET, now())
            .await
            .json::<Value>()
            .await
            .unwrap()["status"],
        "duplicate"
    );
    assert_eq!(state_of(&app).await, after_first);

    // A return reported by the provider: RETURNED with the NACHA reason, into review.
    let other = via_provider[1];
    let returned = json!({ "id": "evt_2", "event": "returned", "data": { "id": other["providerRef"], "return": { "code": "R03" } } });
    assert_eq!(
        mt_webhook(&app, &returned, MT_SECRET, now()).await.status(),
        200
    );
    let r: Value = app
        .get(
            "operator",
            &format!(
                "/api/distributions/payments/{}/status",
                other["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["payment"]["status"], "RETURNED");
    assert_eq!(
        r["payment"]["failureReason"],
        "No account / unable to locate account"
    );
    assert_eq!(r["lineStatus"], "FAILED");
    // Unknown payment orders are not acknowledged (the provider redelivers later).
    let unknown = json!({ "id": "evt_3", "event": "completed", "data": { "id": "po_nope" } });
    assert_eq!(
        mt_webhook(&app, &unknown, MT_SECRET, now()).await.status(),
        404
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM provider_events WHERE event_id = 'evt_3'")
            .await,
        0
    );
    crate::helpers::assert_no_orphan_payments(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn an_unreachable_primary_falls_back_to_payouts() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        format!("http://{addr}")
    };
    let (stripe_url, stripe) = mock("tr", "/v1/payouts").await;
    let app = spawn_app_with(3, provider_config(&closed, &stripe_url)).await;
    let id = approved(&app, "300.00").await;
    assert!(app
        .patch("operator", &format!("/api/distributions/{id}/process"))
        .await
        .status()
        .is_success());
    app.wait_status(&id, "COMPLETED").await;
    app.wait_jobs().await;
    let payments = payments_of(&app, "operator", &id).await;
    assert!(
        payments
            .iter()
            .all(|p| p["status"] == "SENT" && p["provider"] == "STRIPE"),
        "{payments:?}"
    );
    {
        let seen = stripe.lock().unwrap();
        assert_eq!(seen.requests.len(), 3);
        for (_, key, auth, body) in &seen.requests {
            assert_eq!(auth, "Bearer sk_test");
            assert!(payments.iter().any(|p| p["id"] == key.as_str()));
            assert!(
                body.contains("currency=usd") && body.contains("method=standard"),
                "{body}"
            );
            assert!(body.contains("metadata%5Bclearway_payment_id%5D="));
        }
    }
    let payout = payments[0]["providerRef"].as_str().unwrap();
    let paid = json!({ "id": "evt_p1", "type": "payout.paid", "data": { "object": { "id": payout, "status": "paid", "arrival_date": 1_774_915_200 } } });
    assert_eq!(
        stripe_webhook(&app, &paid, STRIPE_SECRET, now() - 400)
            .await
            .status(),
        401,
        "outside the 5-minute tolerance"
    );
    assert_eq!(
        stripe_webhook(&app, &paid, STRIPE_SECRET, now())
            .await
            .status(),
        200
    );
    let done: Value = app
        .get(
            "operator",
            &format!(
                "/api/distributions/payments/{}/status",
                payments[0]["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["payment"]["status"], "COMPLETED");
    assert_eq!(done["payment"]["clearedDate"], "2026-03-31");
    let failed = json!({ "id": "evt_p2", "type": "payout.failed", "data": { "object": { "id": payments[1]["providerRef"], "failure_code": "account_closed", "failure_message": "The bank account has been closed" } } });
    assert_eq!(
        stripe_webhook(&app, &failed, STRIPE_SECRET, now())
            .await
            .status(),
        200
    );
    let f: Value = app
        .get(
            "operator",
            &format!(
                "/api/distributions/payments/{}/status",
                payments[1]["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(f["payment"]["status"], "FAILED");
    assert_eq!(f["payment"]["failureCode"], "account_closed");
    let history = f["history"].as_array().unwrap();
    assert!(history.iter().any(|e| e["toStatus"] == "FAILED"
        && e["attempt"] == 1
        && e["reason"] == "The bank account has been closed"));
    app.stop().await;
}

#[tokio::test]
async fn a_send_interrupted_after_the_provider_accepted_it_never_pays_twice() {
    let (mt_url, mt) = mock("po", "/api/payment_orders").await;
    let config = provider_config(&mt_url, "http://127.0.0.1:9");
    let mut app = spawn_app_with(3, config.clone()).await;
    let id = approved(&app, "300.00").await;
    app.stop_server().await;
    process_offline(&app, &id).await;
    // The rail job fans out; a worker takes the first payment's send job, moves the payment to
    // PROCESSING, calls the provider (accepted), and dies before recording the answer.
    let system = Actor::system(&app.seeded.org_id);
    let mut tx = app.db.begin().await.unwrap();
    let pending = pstore::list(
        &app.db,
        &system,
        &pstore::ListFilter {
            distribution_id: Some(id.clone()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(pending.len(), 3);
    let victim = pending[0].clone();
    jobs::enqueue(
        &mut tx,
        &Actor::system(&app.seeded.org_id),
        "payment.send",
        json!({ "paymentId": victim.id }),
        Some(&format!("payment.send:{}", victim.id)),
        4,
    )
    .await
    .unwrap();
    pstore::transition(
        &mut tx,
        &Actor::system(&app.seeded.org_id),
        &victim,
        PaymentStatus::Processing,
        &Update {
            provider: Some("MODERN_TREASURY".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let claimed = jobs::claim(&app.db, "ghost-worker", Duration::from_secs(1), 10)
        .await
        .unwrap();
    assert!(claimed.iter().any(|j| j.kind == "payment.send"));
    let first = reqwest::Client::new()
        .post(format!("{mt_url}/api/payment_orders"))
        .basic_auth("org_1", Some("mt_key"))
        .header("Idempotency-Key", &victim.id)
        .json(&json!({ "type": "ach", "direction": "credit", "amount": victim.amount_minor }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let accepted_id = first["id"].as_str().unwrap().to_string();

    app.restart(config).await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    app.wait_jobs().await;
    let payments = payments_of(&app, "operator", &id).await;
    assert_eq!(payments.len(), 3, "one payment per line");
    assert!(payments.iter().all(|p| p["status"] == "SENT"));
    let v = payments
        .iter()
        .find(|p| p["id"] == victim.id.as_str())
        .unwrap();
    assert_eq!(
        v["providerRef"],
        accepted_id.as_str(),
        "the re-run got the order created before the crash"
    );
    {
        let seen = mt.lock().unwrap();
        let calls_for_victim = seen.requests.iter().filter(|r| r.1 == victim.id).count();
        assert_eq!(
            calls_for_victim, 2,
            "called again after the crash, with the same key"
        );
        assert_eq!(seen.created.len(), 3, "but only three payment orders exist");
    }
    app.stop().await;
}
