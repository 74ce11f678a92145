//! Provider status webhooks: `POST /api/webhooks/providers/modern-treasury` and `…/stripe`.
//!
//! Checked before anything is read or written: an HMAC-SHA256 signature over
//! `"<timestamp>.<body>"` with the provider's webhook secret (Stripe: `Stripe-Signature:
//! t=…,v1=…`; Modern Treasury-style: `X-Timestamp` and `X-Signature`), and the timestamp within
//! the configured tolerance (5 minutes by default). A bad signature, a missing header or an old
//! timestamp gets 401 and changes nothing. A delivery whose event id was already applied is a
//! replay: 200, nothing changes. The status update and the event id commit together, in
//! [`clearway_app::payments::webhooks::apply`].

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use chrono::NaiveDate;
use clearway_app::payments::webhooks::{self as app_webhooks, Outcome, Reported};
use serde_json::{json, Value};

use super::connectors::{MODERN_TREASURY, STRIPE};
use crate::http::signature;
use crate::http::{ApiError, ApiResult, Problem, RawBody};
use crate::state::AppState;

/// Routes of the provider webhooks (authenticated by signature, not by bearer token).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/webhooks/providers/modern-treasury",
            post(modern_treasury),
        )
        .route("/api/webhooks/providers/stripe", post(stripe))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        // why: a clock before 1970 makes every signed timestamp look too new, so it is refused
        .unwrap_or(0)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    // why: a header that is not text is as good as missing: 401
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[utoipa::path(post, path = "/api/webhooks/providers/modern-treasury", tag = "payments",
    params(("X-Timestamp" = String, Header, description = "Unix seconds"), ("X-Signature" = String, Header, description = "hex HMAC-SHA256 of \"<X-Timestamp>.<body>\"")),
    responses((status = 200, description = "applied, or a replay (nothing changes)"), (status = 404, description = "unknown payment order: redeliver later", body = Problem), (status = 401, body = Problem), (status = 400, body = Problem), (status = 413, body = Problem), (status = 500, body = Problem)))]
pub(crate) async fn modern_treasury(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<Value>> {
    let cfg = state
        .config
        .payments
        .modern_treasury
        .as_ref()
        .ok_or(ApiError::Unauthorized)?;
    let (Some(ts), Some(sig)) = (
        header(&headers, "x-timestamp"),
        header(&headers, "x-signature"),
    ) else {
        return Err(ApiError::Unauthorized);
    };
    if !signature::verify(
        &cfg.webhook_secret,
        &format!("t={ts},v1={sig}"),
        &body,
        now_secs(),
        state.config.payments.webhook_tolerance,
    ) {
        return Err(ApiError::Unauthorized);
    }
    let v = parse(&body)?;
    let event_id = v
        .get("id")
        .and_then(|x| x.as_str())
        .ok_or_else(|| ApiError::field("id", "the event has no id"))?;
    // why: a missing object has no id, which is refused just below
    let order = v.get("data").cloned().unwrap_or_default();
    let reference = order
        .get("id")
        .and_then(|x| x.as_str())
        .ok_or_else(|| ApiError::field("data.id", "the event names no payment order"))?;
    let s = |k: &str| {
        order
            .get(k)
            .and_then(|x| x.as_str())
            .unwrap_or("")
            .to_string()
    };
    let reported = match v.get("event").and_then(|x| x.as_str()).unwrap_or("") {
        "completed" => Reported::Completed(effective_date(&s("effective_date"))?),
        "failed" => Reported::Failed(
            first_non_empty(&s("failure_code"), "PROVIDER_FAILED"),
            first_non_empty(
                &s("failure_reason"),
                "the provider failed the payment order",
            ),
        ),
        "returned" => {
            // why: no return object: the defaults below (RETURNED, the code's description)
            let ret = order.get("return").cloned().unwrap_or_default();
            let code = ret
                .get("code")
                .and_then(|x| x.as_str())
                .unwrap_or("RETURNED")
                .to_string();
            let reason = ret
                .get("reason")
                .and_then(|x| x.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| {
                    clearway_core::payments::returns::classify(&code)
                        .0
                        .to_string()
                });
            Reported::Returned(code, reason)
        }
        "cancelled" => Reported::Failed(
            "CANCELLED_BY_PROVIDER".into(),
            "the provider cancelled the payment order".into(),
        ),
        "sent" | "processing" | "approved" => Reported::Sent,
        _ => Reported::Ignored,
    };
    apply(&state, MODERN_TREASURY, event_id, reference, reported).await
}

#[utoipa::path(post, path = "/api/webhooks/providers/stripe", tag = "payments",
    params(("Stripe-Signature" = String, Header, description = "t=<unix>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">")),
    responses((status = 200, description = "applied, or a replay (nothing changes)"), (status = 404, description = "unknown payout: redeliver later", body = Problem), (status = 401, body = Problem), (status = 400, body = Problem), (status = 413, body = Problem), (status = 500, body = Problem)))]
pub(crate) async fn stripe(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<Value>> {
    let cfg = state
        .config
        .payments
        .stripe
        .as_ref()
        .ok_or(ApiError::Unauthorized)?;
    let sig = header(&headers, "stripe-signature").ok_or(ApiError::Unauthorized)?;
    if !signature::verify(
        &cfg.webhook_secret,
        sig,
        &body,
        now_secs(),
        state.config.payments.webhook_tolerance,
    ) {
        return Err(ApiError::Unauthorized);
    }
    let v = parse(&body)?;
    let event_id = v
        .get("id")
        .and_then(|x| x.as_str())
        .ok_or_else(|| ApiError::field("id", "the event has no id"))?;
    // why: a missing object has no id, which is refused just below
    let payout = v.pointer("/data/object").cloned().unwrap_or_default();
    let reference = payout
        .get("id")
        .and_then(|x| x.as_str())
        .ok_or_else(|| ApiError::field("data.object.id", "the event names no payout"))?;
    let s = |k: &str| {
        payout
            .get(k)
            .and_then(|x| x.as_str())
            .unwrap_or("")
            .to_string()
    };
    let reported = match v.get("type").and_then(|x| x.as_str()).unwrap_or("") {
        "payout.paid" => Reported::Completed(
            payout
                .get("arrival_date")
                .and_then(|x| x.as_i64())
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map(|t| t.date_naive())
                .unwrap_or_else(|| chrono::Utc::now().date_naive()),
        ),
        "payout.failed" => Reported::Failed(
            first_non_empty(&s("failure_code"), "PAYOUT_FAILED"),
            first_non_empty(&s("failure_message"), "the payout failed"),
        ),
        "payout.canceled" => Reported::Failed(
            "CANCELLED_BY_PROVIDER".into(),
            "the payout was canceled".into(),
        ),
        "payout.created" | "payout.updated" => Reported::Sent,
        _ => Reported::Ignored,
    };
    apply(&state, STRIPE, event_id, reference, reported).await
}

fn first_non_empty(v: &str, default: &str) -> String {
    if v.is_empty() {
        default.to_string()
    } else {
        v.to_string()
    }
}

fn parse(body: &[u8]) -> ApiResult<Value> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ApiError::BadRequest {
        status: axum::http::StatusCode::BAD_REQUEST,
        field: "body".into(),
        detail: format!("malformed JSON: {e}"),
    })?;
    // Provider text is stored (failure reasons, references): the same control-character rule
    // as our own bodies. Its lists are the provider's business: only strings and keys are checked.
    crate::http::extract::check_strings(&v).map_err(ApiError::Invalid)?;
    Ok(v)
}

/// The settlement date a provider reports; absent means today (the provider settled now).
fn effective_date(s: &str) -> ApiResult<NaiveDate> {
    if s.is_empty() {
        return Ok(chrono::Utc::now().date_naive());
    }
    clearway_core::input::parse_date("data.effective_date", s)
        .map_err(|e| ApiError::Invalid(e.into()))
}

async fn apply(
    state: &AppState,
    provider: &str,
    event_id: &str,
    reference: &str,
    reported: Reported,
) -> ApiResult<Json<Value>> {
    let outcome = app_webhooks::apply(&state.db, provider, event_id, reference, &reported).await?;
    if outcome != Outcome::Duplicate {
        state.events_ready.notify_one();
        state.jobs_ready.notify_waiters();
    }
    Ok(Json(json!({ "status": outcome.as_str() })))
}
