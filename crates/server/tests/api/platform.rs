//! Operations endpoints, the OpenAPI document, and signed webhook delivery.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use clearway_server::events::relay::{verify, SIGNATURE_HEADER};
use serde_json::{json, Value};

use crate::helpers::{pro_rata, spawn_app};

#[tokio::test]
async fn health_readiness_metrics_and_openapi_cover_every_endpoint() {
    let app = spawn_app(3).await;
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let ready: Value = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ok");
    app.get("operator", "/api/distributions").await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(crate::helpers::METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("clearway_http_requests_total{method=\"GET\",route=\"/api/distributions\",status=\"200\"}"), "{metrics}");
    // No payment waits with nothing pointing at it (issue 14).
    assert!(
        metrics.contains("clearway_payments_orphaned 0"),
        "{metrics}"
    );
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let routes = [
        ("post", "/api/distributions"),
        ("get", "/api/distributions"),
        ("get", "/api/distributions/fund/{fund_id}"),
        ("get", "/api/distributions/{id}"),
        ("put", "/api/distributions/{id}"),
        ("get", "/api/distributions/{id}/lines"),
        ("get", "/api/distributions/{id}/lines/{investor_id}"),
        ("put", "/api/distributions/{id}/lines/{investor_id}"),
        ("patch", "/api/distributions/{id}/ready"),
        ("patch", "/api/distributions/{id}/approve"),
        ("patch", "/api/distributions/{id}/process"),
        ("patch", "/api/distributions/{id}/cancel"),
        ("post", "/api/distributions/{id}/reversal"),
        ("post", "/api/distributions/{id}/reallocate"),
        ("get", "/api/webhooks"),
        ("post", "/api/webhooks"),
        ("delete", "/api/webhooks/{id}"),
        ("post", "/api/webhooks/{id}/enable"),
        ("get", "/api/events"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("get", "/api/audit"),
        ("get", "/api/funds"),
        ("get", "/api/investors"),
        ("post", "/api/bank-statements"),
        ("get", "/api/bank-statements"),
        ("get", "/api/bank-statements/{id}"),
        ("get", "/api/bank-statements/{id}/lines"),
        ("get", "/api/reconciliation/lines/{id}"),
        ("post", "/api/reconciliation/runs"),
        ("get", "/api/reconciliation/exceptions"),
        ("post", "/api/reconciliation/matches"),
        ("get", "/api/reconciliation/matches/{id}"),
        ("delete", "/api/reconciliation/matches/{id}"),
        ("post", "/api/reconciliation/match-requests/{id}/approve"),
        ("get", "/api/reconciliation/summary"),
        ("get", "/api/investors/{investor_id}/bank-accounts"),
        ("post", "/api/investors/{investor_id}/bank-accounts"),
        (
            "get",
            "/api/investors/{investor_id}/bank-accounts/{account_id}",
        ),
        (
            "put",
            "/api/investors/{investor_id}/bank-accounts/{account_id}",
        ),
        (
            "delete",
            "/api/investors/{investor_id}/bank-accounts/{account_id}",
        ),
        (
            "patch",
            "/api/investors/{investor_id}/bank-accounts/{account_id}/default",
        ),
        (
            "post",
            "/api/investors/{investor_id}/bank-accounts/{account_id}/micro-deposits",
        ),
        (
            "post",
            "/api/investors/{investor_id}/bank-accounts/{account_id}/micro-deposits/confirm",
        ),
        (
            "post",
            "/api/investors/{investor_id}/bank-accounts/{account_id}/plaid-verification",
        ),
        ("get", "/api/distributions/{id}/payments"),
        ("post", "/api/distributions/{id}/payments"),
        ("patch", "/api/distributions/payments/{payment_id}/retry"),
        ("get", "/api/distributions/payments/{payment_id}/status"),
        ("get", "/api/distributions/{id}/preflight"),
        ("get", "/api/payments/review"),
        ("get", "/api/payments/unclaimed"),
        ("post", "/api/payments/ach-returns"),
        ("post", "/api/payments/status-reports"),
        ("get", "/api/payment-batches"),
        ("get", "/api/payment-batches/{batch_id}"),
        ("get", "/api/payment-batches/{batch_id}/file"),
        ("get", "/api/payee-changes"),
        ("post", "/api/payee-changes/{suggestion_id}/accept"),
        ("post", "/api/payee-changes/{suggestion_id}/reject"),
        ("get", "/api/checks/positive-pay"),
        ("patch", "/api/checks/{payment_id}/void"),
        ("post", "/api/checks/stale-date"),
        ("get", "/api/fx-rates"),
        ("post", "/api/fx-rates"),
        ("post", "/api/fx-rates/csv"),
        ("post", "/api/webhooks/providers/modern-treasury"),
        ("post", "/api/webhooks/providers/stripe"),
        ("post", "/api/webhooks/sendgrid/events"),
        ("post", "/api/webhooks/twilio/status"),
        ("post", "/api/webhooks/twilio/inbound"),
        // Users, tokens, OIDC sign-in.
        ("get", "/api/users"),
        ("post", "/api/users"),
        ("post", "/api/users/{id}/disable"),
        ("get", "/api/tokens"),
        ("post", "/api/tokens"),
        ("post", "/api/tokens/{id}/revoke"),
        ("get", "/auth/oidc/login"),
        ("get", "/auth/oidc/callback"),
        // Reinvestment.
        (
            "get",
            "/api/investors/{investor_id}/reinvestment-preferences",
        ),
        (
            "put",
            "/api/investors/{investor_id}/reinvestment-preferences/{fund_id}",
        ),
        (
            "get",
            "/api/investors/{investor_id}/reinvestment-preferences/history",
        ),
        ("post", "/api/reinvestment-preferences/import"),
        ("get", "/api/reinvestment/settings"),
        ("put", "/api/reinvestment/settings"),
        ("get", "/api/funds/{fund_id}/navs"),
        ("post", "/api/funds/{fund_id}/navs"),
        ("get", "/api/funds/{fund_id}/navs/at"),
        ("get", "/api/distributions/{id}/reinvestments"),
        ("get", "/api/distributions/{id}/reinvestments/export"),
        ("get", "/api/investors/{investor_id}/reinvestments/summary"),
        (
            "get",
            "/api/investors/{investor_id}/reinvestments/summary/export",
        ),
        ("get", "/api/investors/{investor_id}/lots"),
        ("post", "/api/investors/{investor_id}/cost-basis"),
        // Share classes and holdings.
        ("get", "/api/funds/{fund_id}/classes"),
        ("post", "/api/funds/{fund_id}/classes"),
        ("post", "/api/funds/{fund_id}/holdings"),
        // Recovery after a reversal.
        ("get", "/api/receivables"),
        ("get", "/api/receivables/{id}"),
        ("post", "/api/receivables/{id}/recoveries"),
        ("post", "/api/receivables/{id}/write-off"),
        ("post", "/api/receivables/{id}/ach-reversal"),
        ("get", "/api/receivables/{id}/ach-reversal/file"),
        // In-kind distributions.
        ("post", "/api/securities"),
        ("get", "/api/securities"),
        ("get", "/api/funds/{fund_id}/positions"),
        ("put", "/api/funds/{fund_id}/positions/{security_id}"),
        ("post", "/api/funds/{fund_id}/in-kind-distributions"),
        ("post", "/api/funds/{fund_id}/in-kind-distributions/preview"),
        ("get", "/api/distributions/{id}/in-kind"),
        ("get", "/api/investors/{investor_id}/security-lots"),
        // Private-fund capital.
        ("get", "/api/funds/{fund_id}/commitments"),
        ("post", "/api/funds/{fund_id}/commitments"),
        ("get", "/api/funds/{fund_id}/capital-calls"),
        ("post", "/api/funds/{fund_id}/capital-calls"),
        ("get", "/api/funds/{fund_id}/contributions"),
        ("post", "/api/funds/{fund_id}/contributions"),
        ("post", "/api/funds/{fund_id}/recallables"),
        ("put", "/api/funds/{fund_id}/ownership-basis"),
        ("post", "/api/funds/{fund_id}/capital-activity/import"),
        ("post", "/api/funds/{fund_id}/income"),
        ("get", "/api/funds/{fund_id}/ownership"),
        ("get", "/api/funds/{fund_id}/capital-accounts"),
        ("get", "/api/funds/{fund_id}/capital-accounts/{investor_id}"),
        // Recurring schedules and calendars.
        ("post", "/api/funds/{fund_id}/schedules"),
        ("get", "/api/schedules"),
        // Notification delivery records (operators).
        ("get", "/api/notification-messages"),
        ("post", "/api/notification-messages/{id}/resend"),
        ("post", "/api/notification-messages/{id}/mark-sent"),
        ("post", "/api/schedules/materialize"),
        ("get", "/api/schedules/{id}"),
        ("patch", "/api/schedules/{id}"),
        ("post", "/api/schedules/{id}/pause"),
        ("post", "/api/schedules/{id}/resume"),
        ("get", "/api/schedules/{id}/preview"),
        ("get", "/api/calendars/{name}/holidays"),
        // Investor documents.
        ("get", "/api/investors/{investor_id}/documents"),
        ("post", "/api/investors/{investor_id}/documents"),
        ("get", "/api/documents/{id}"),
        ("get", "/api/documents/{id}/content"),
        // Year-end tax: K-1 and re-characterization.
        ("get", "/api/funds/{fund_id}/k1-items"),
        ("post", "/api/funds/{fund_id}/k1-items"),
        ("delete", "/api/funds/{fund_id}/k1-items/{id}"),
        ("get", "/api/funds/{fund_id}/k1/{tax_year}"),
        (
            "get",
            "/api/investors/{investor_id}/k1/{tax_year}/{fund_id}",
        ),
        (
            "get",
            "/api/investors/{investor_id}/k1/{tax_year}/{fund_id}/export",
        ),
        (
            "get",
            "/api/distributions/{distribution_id}/recharacterization",
        ),
        (
            "post",
            "/api/distributions/{distribution_id}/recharacterization",
        ),
        // Year-end tax: years, 1099-DIV, 1042-S, runs, FIRE.
        ("get", "/api/tax-years"),
        ("post", "/api/tax-years/{tax_year}/close"),
        ("get", "/api/funds/{fund_id}/1099-div/{tax_year}"),
        (
            "get",
            "/api/investors/{investor_id}/1099-div/{tax_year}/{fund_id}",
        ),
        (
            "get",
            "/api/investors/{investor_id}/1099-div/{tax_year}/{fund_id}/export",
        ),
        (
            "get",
            "/api/investors/{investor_id}/1042-s/{tax_year}/{fund_id}/export",
        ),
        ("get", "/api/funds/{fund_id}/1042-s/{tax_year}"),
        (
            "get",
            "/api/investors/{investor_id}/1042-s/{tax_year}/{fund_id}",
        ),
        ("get", "/api/funds/{fund_id}/tax-summary/{tax_year}"),
        ("post", "/api/funds/{fund_id}/tax-forms/{tax_year}/runs"),
        ("get", "/api/tax-form-runs/{run_id}"),
        ("get", "/api/tax/transmitter"),
        ("put", "/api/tax/transmitter"),
        ("get", "/api/tax/fire-files"),
        ("post", "/api/tax/fire-files"),
        ("get", "/api/tax/fire-files/{file_id}/content"),
        // Waterfalls.
        ("get", "/api/funds/{fund_id}/waterfall"),
        ("put", "/api/funds/{fund_id}/waterfall"),
        ("post", "/api/funds/{fund_id}/waterfall/hypothetical"),
        ("post", "/api/funds/{fund_id}/waterfall/distributions"),
        ("get", "/api/funds/{fund_id}/waterfall/clawback"),
        ("get", "/api/distributions/{id}/waterfall"),
        // Notifications.
        ("get", "/api/notifications/preferences"),
        ("put", "/api/notifications/preferences"),
        ("get", "/api/notifications/preferences/defaults"),
        ("put", "/api/notifications/preferences/defaults"),
        ("patch", "/api/investors/{investor_id}/contact"),
        ("get", "/api/notifications"),
        ("get", "/api/notifications/stream"),
        ("patch", "/api/notifications/{id}/read"),
        // Tax: profiles, tables, withholding.
        ("get", "/api/investors/{investor_id}/tax-profile"),
        ("put", "/api/investors/{investor_id}/tax-profile"),
        ("get", "/api/tax/profiles"),
        ("post", "/api/tax/profiles/import"),
        ("get", "/api/tax/treaty-rates"),
        ("put", "/api/tax/treaty-rates"),
        ("get", "/api/tax/state-rates"),
        ("put", "/api/tax/state-rates"),
        ("get", "/api/tax/settings"),
        ("put", "/api/tax/settings"),
        ("get", "/api/funds/{fund_id}/tax-settings"),
        ("put", "/api/funds/{fund_id}/tax-settings"),
        ("get", "/api/tax/withholding-liability"),
        ("get", "/api/tax/withholding/flags"),
        ("get", "/api/distributions/{id}/withholding"),
        // Forecasting.
        ("get", "/api/funds/{fund_id}/distribution-forecast"),
        (
            "get",
            "/api/funds/{fund_id}/distribution-forecast/with-scenarios",
        ),
        ("get", "/api/funds/{fund_id}/distribution-trends"),
        ("get", "/api/funds/{fund_id}/distribution-forecasts"),
        ("post", "/api/funds/{fund_id}/distribution-forecasts"),
        ("get", "/api/forecasts/aggregate"),
        ("get", "/api/forecasts/accuracy"),
        ("get", "/api/funds/{fund_id}/liquidity-plan"),
        ("get", "/api/liquidity-plan"),
        ("put", "/api/funds/{fund_id}/cash-on-hand"),
        ("get", "/api/funds/{fund_id}/cash-flow-projection"),
        ("get", "/api/events/streams"),
        ("get", "/api/sync/ownership"),
        ("put", "/api/sync/ownership"),
        ("post", "/api/sync/files"),
        ("get", "/api/sync/files"),
        ("get", "/api/sync/files/{id}"),
        ("get", "/api/sync/conflicts"),
        ("post", "/api/sync/conflicts/{id}/resolve"),
        ("get", "/api/sync/connector"),
        ("post", "/api/sync/connector/pull"),
        ("post", "/api/sync/connector/push"),
        ("post", "/api/sync/exports"),
        ("get", "/api/sync/exports"),
        ("get", "/api/sync/exports/{id}/file"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    for (method, path) in routes {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    assert_eq!(
        documented,
        routes.len(),
        "the document and the route table list the same endpoints"
    );
    assert_eq!(
        app.client
            .get(app.url("/api/docs"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let resp = app.client.get(app.url("/api/nope")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    app.stop().await;
}

type Received = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

async fn receiver(status: StatusCode) -> (String, Received) {
    let got: Received = Arc::default();
    let sink = got.clone();
    let router = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((headers, body.to_vec()));
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

#[tokio::test]
async fn events_are_delivered_signed_and_failures_are_retried_later() {
    let app = spawn_app(3).await;
    let (url, got) = receiver(StatusCode::OK).await;
    let resp = app
        .post(
            "admin",
            "/api/webhooks",
            &json!({ "url": url, "eventTypes": ["distribution.declared"] }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let secret = resp.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let (bad_url, bad_got) = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    assert_eq!(
        app.post("admin", "/api/webhooks", &json!({ "url": bad_url }))
            .await
            .status(),
        201
    );
    assert_eq!(
        app.post("admin", "/api/webhooks", &json!({ "url": "ftp://x" }))
            .await
            .status(),
        422
    );

    let d = app.create(&pro_rata(&app, "30.00")).await;
    let mut delivered = Vec::new();
    for _ in 0..200 {
        delivered = got.lock().unwrap().clone();
        if !delivered.is_empty() && !bad_got.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        delivered.len(),
        1,
        "only the subscribed event type is delivered, once"
    );
    let (headers, body) = &delivered[0];
    let signature = headers[SIGNATURE_HEADER].to_str().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(verify(
        &secret,
        signature,
        body,
        now,
        Duration::from_secs(300)
    ));
    assert!(!verify(
        "whsec_other",
        signature,
        body,
        now,
        Duration::from_secs(300)
    ));
    let event: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(event["type"], "distribution.declared");
    assert_eq!(event["aggregateId"], d["id"]);
    assert_eq!(
        headers["clearway-event-id"].to_str().unwrap(),
        event["id"].as_str().unwrap()
    );

    // The failing receiver got one attempt; the retry is scheduled later, not hammered.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(bad_got.lock().unwrap().len(), 1);
    let pending = app.count("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'PENDING' AND attempts = 1 AND last_error LIKE '%500%'").await;
    assert_eq!(pending, 1);
    app.stop().await;
}
