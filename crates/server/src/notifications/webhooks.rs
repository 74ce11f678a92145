//! Provider webhooks of the notification channels, used without a login and verified before
//! anything is read: `POST /api/webhooks/sendgrid/events` (SendGrid's signed event webhook,
//! ECDSA with `CLEARWAY_SENDGRID_WEBHOOK_KEY`), `POST /api/webhooks/twilio/status` and
//! `POST /api/webhooks/twilio/inbound` (`X-Twilio-Signature`: HMAC-SHA1 with the auth token
//! over the public URL + path + form parameters). A bad or missing signature is a 401 and
//! changes nothing; a provider that is not configured is a 404. Each event is applied in its
//! own transaction by [`clearway_app::notifications::webhooks`]; a replay changes nothing.

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use clearway_app::notifications::channels::{sendgrid, twilio};
use clearway_app::notifications::webhooks::{apply_provider_event, apply_sms_reply, Applied};
use clearway_core::notifications::Channel;
use clearway_store::StoreError;
use serde_json::{json, Value};
use utoipa::OpenApi;

use super::worker::TWILIO_STATUS_PATH;
use crate::http::{ApiError, ApiResult, Problem, RawBody};
use crate::state::AppState;

/// Where Twilio posts texts investors send to our number.
pub const TWILIO_INBOUND_PATH: &str = "/api/webhooks/twilio/inbound";

/// The empty TwiML answer: nothing to text back (Twilio's own keyword handling answers STOP).
pub const EMPTY_TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

/// The OpenAPI paths of this module.
#[derive(OpenApi)]
#[openapi(paths(sendgrid_events, twilio_status, twilio_inbound))]
pub struct ApiDoc;

/// Routes of the notification providers' webhooks.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/webhooks/sendgrid/events", post(sendgrid_events))
        .route(TWILIO_STATUS_PATH, post(twilio_status))
        .route(TWILIO_INBOUND_PATH, post(twilio_inbound))
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    // why: a header that is not text is as good as missing: 401
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn not_configured(what: &'static str) -> ApiError {
    ApiError::Store(StoreError::NotFound(what))
}

#[utoipa::path(post, path = "/api/webhooks/sendgrid/events", tag = "notifications",
    params(
        ("X-Twilio-Email-Event-Webhook-Signature" = String, Header, description = "base64 ECDSA P-256 signature of timestamp + body"),
        ("X-Twilio-Email-Event-Webhook-Timestamp" = String, Header, description = "Unix seconds"),
    ),
    request_body(content = Vec<Object>, description = "SendGrid event batch"),
    responses((status = 200, description = "applied (replays change nothing)"), (status = 401, description = "bad or missing signature", body = Problem),
        (status = 404, description = "SendGrid webhook not configured", body = Problem), (status = 400, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn sendgrid_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<Value>> {
    // An unsigned request is refused before anything else is said about this server.
    let (Some(sig), Some(ts)) = (
        header_text(&headers, sendgrid::SIGNATURE_HEADER),
        header_text(&headers, sendgrid::TIMESTAMP_HEADER),
    ) else {
        return Err(ApiError::Unauthorized);
    };
    let key = state
        .config
        .notifications
        .sendgrid_webhook_key
        .as_deref()
        .ok_or(not_configured("SendGrid event webhook"))?;
    sendgrid::verify_event_webhook(key, sig, ts, &body).map_err(|_| ApiError::Unauthorized)?;
    let events = sendgrid::parse_events(&body).map_err(|e| ApiError::field("body", e.0))?;
    let mut moved = 0;
    for event in &events {
        if let Applied::Moved(_) = apply_provider_event(&state.db, Channel::Email, event).await? {
            moved += 1;
        }
    }
    Ok(Json(json!({ "events": events.len(), "moved": moved })))
}

/// The form parameters of a Twilio request, once its signature checks out.
fn verified_form(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
) -> ApiResult<Vec<(String, String)>> {
    let sig = header_text(headers, twilio::SIGNATURE_HEADER).ok_or(ApiError::Unauthorized)?;
    let config = state.config.notifications.twilio.as_ref();
    let (Some(config), Some(public)) = (config, state.config.public_url.as_deref()) else {
        return Err(not_configured("Twilio webhook"));
    };
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let url = format!("{}{path}", public.trim_end_matches('/'));
    if !twilio::verify_signature(&config.auth_token, &url, &params, sig) {
        return Err(ApiError::Unauthorized);
    }
    Ok(params)
}

fn twiml() -> Response {
    ([(header::CONTENT_TYPE, "text/xml")], EMPTY_TWIML).into_response()
}

#[utoipa::path(post, path = "/api/webhooks/twilio/status", tag = "notifications",
    params(("X-Twilio-Signature" = String, Header, description = "base64 HMAC-SHA1 of the URL and sorted form parameters with the auth token")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "Twilio status callback (MessageSid, MessageStatus, ErrorCode)"),
    responses((status = 200, description = "applied (replays change nothing); empty TwiML", content_type = "text/xml"), (status = 401, description = "bad or missing signature", body = Problem),
        (status = 404, description = "Twilio not configured", body = Problem), (status = 400, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn twilio_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let params = verified_form(&state, &headers, TWILIO_STATUS_PATH, &body)?;
    let event = twilio::parse_status_callback(&params)
        .ok_or_else(|| ApiError::field("MessageStatus", "the callback has no MessageStatus"))?;
    apply_provider_event(&state.db, Channel::Sms, &event).await?;
    Ok(twiml())
}

#[utoipa::path(post, path = "/api/webhooks/twilio/inbound", tag = "notifications",
    params(("X-Twilio-Signature" = String, Header, description = "base64 HMAC-SHA1 of the URL and sorted form parameters with the auth token")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "Twilio inbound message (From, Body)"),
    responses((status = 200, description = "read (STOP suppresses the number, START lifts it); empty TwiML", content_type = "text/xml"), (status = 401, description = "bad or missing signature", body = Problem),
        (status = 404, description = "Twilio not configured", body = Problem), (status = 400, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn twilio_inbound(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let params = verified_form(&state, &headers, TWILIO_INBOUND_PATH, &body)?;
    let (from, text) = twilio::inbound_reply(&params)
        .ok_or_else(|| ApiError::field("From", "the message names no sender"))?;
    apply_sms_reply(&state.db, &from, &text).await?;
    Ok(twiml())
}
