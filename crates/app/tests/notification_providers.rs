//! The notification providers against local stand-ins (axum on 127.0.0.1:0) that check what
//! each API's documentation requires and answer as the real service would: SendGrid v3 Mail
//! Send, Twilio Messages, and the Anthropic Messages API behind the greeting writer. Each
//! answers success, 500 then success (our `send` reports Temporary; the job queue retries),
//! a documented refusal (Permanent), and a slow answer (Temporary, or no greeting, on the
//! timeout).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use clearway_app::notifications::channels::sendgrid::{SendGrid, SendGridConfig};
use clearway_app::notifications::channels::twilio::{Twilio, TwilioConfig};
use clearway_app::notifications::channels::{Attachment, OutgoingEmail, OutgoingSms, SendOutcome};
use clearway_app::notifications::writer::{GreetingRequest, GreetingWriter, WriterConfig};
use clearway_core::notifications::{EventKind, Locale};
use serde_json::{json, Value};

/// One request a stand-in received.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    fn form(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_bytes(&self.body).expect("a form body")
    }
}

/// One scripted answer.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

fn reply(status: u16, body: impl Into<String>) -> Reply {
    Reply {
        status,
        headers: vec![("content-type", "application/json".into())],
        body: body.into(),
        delay: Duration::ZERO,
    }
}

#[derive(Clone, Default)]
struct StandIn {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

impl StandIn {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn answer(
    State(s): State<StandIn>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    s.seen.lock().unwrap().push(Seen {
        method,
        path: uri.path().to_string(),
        headers,
        body: body.to_vec(),
    });
    let next = s.script.lock().unwrap().pop_front();
    let Some(r) = next else {
        return (StatusCode::IM_A_TEAPOT, "no answer scripted").into_response();
    };
    tokio::time::sleep(r.delay).await;
    let mut resp = (StatusCode::from_u16(r.status).unwrap(), r.body).into_response();
    for (k, v) in r.headers {
        resp.headers_mut().insert(k, v.parse().unwrap());
    }
    resp
}

/// A stand-in answering `script` in order; its base URL.
async fn stand_in(script: Vec<Reply>) -> (String, StandIn) {
    let state = StandIn {
        script: Arc::new(Mutex::new(script.into())),
        ..StandIn::default()
    };
    let app = Router::new().fallback(answer).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), state)
}

/// A base URL nothing listens on.
async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

fn temporary(o: &SendOutcome) -> &str {
    match o {
        SendOutcome::Temporary(r) => r,
        other => panic!("expected Temporary, got {other:?}"),
    }
}

fn permanent(o: &SendOutcome) -> &str {
    match o {
        SendOutcome::Permanent(r) => r,
        other => panic!("expected Permanent, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// SendGrid

const SG_KEY: &str = "SG.test-key";

fn sendgrid(base: &str) -> SendGrid {
    let config = SendGridConfig {
        base_url: base.to_string(),
        api_key: SG_KEY.to_string(),
    };
    SendGrid::new(config, reqwest::Client::new())
}

/// A notice with a binary attachment (every byte value) and a one-click unsubscribe link.
fn email() -> OutgoingEmail {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend(0u8..=255);
    OutgoingEmail {
        message_id: "msg-sg-0001".into(),
        from: "Clearway Notices <notices@clearway.example>".into(),
        to: "ana@investor.example".into(),
        to_name: "Ana <Pérez> & Co".into(),
        subject: "Distribution declared: DEMO-OPEN".into(),
        html: "<p>Dear Ana,</p><p>USD 1,234.56</p>".into(),
        text: "Dear Ana,\n\nUSD 1,234.56\n".into(),
        attachments: vec![Attachment {
            filename: "notice-2026-12.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: pdf,
        }],
        unsubscribe_url: Some("https://clearway.example/u/tok?e=1&k=2".into()),
    }
}

fn accepted_202(id: &str) -> Reply {
    Reply {
        status: 202,
        headers: vec![("x-message-id", id.to_string())],
        body: String::new(),
        delay: Duration::ZERO,
    }
}

#[tokio::test]
async fn sendgrid_sends_what_mail_send_documents_and_keeps_the_message_id() {
    let (base, s) = stand_in(vec![accepted_202("W6A3tO4BSpCf1aZ4dR3tPQ")]).await;
    let e = email();
    let outcome = sendgrid(&base).send(&e).await;
    assert_eq!(
        outcome,
        SendOutcome::Accepted {
            provider_id: Some("W6A3tO4BSpCf1aZ4dR3tPQ".into())
        }
    );
    let seen = s.seen();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v3/mail/send")
    );
    assert_eq!(r.header("authorization"), "Bearer SG.test-key");
    assert_eq!(r.header("content-type"), "application/json");
    let b = r.json();
    assert_eq!(
        b["personalizations"],
        json!([{
            "to": [{ "email": "ana@investor.example", "name": "Ana <Pérez> & Co" }],
            "custom_args": { "message_id": "msg-sg-0001" },
        }])
    );
    assert_eq!(
        b["from"],
        json!({ "email": "notices@clearway.example", "name": "Clearway Notices" })
    );
    assert_eq!(b["subject"], "Distribution declared: DEMO-OPEN");
    // Plain text first, then HTML: the API refuses another order.
    assert_eq!(
        b["content"],
        json!([
            { "type": "text/plain", "value": e.text },
            { "type": "text/html", "value": e.html },
        ])
    );
    let att = &b["attachments"][0];
    assert_eq!(att["type"], "application/pdf");
    assert_eq!(att["filename"], "notice-2026-12.pdf");
    assert_eq!(att["disposition"], "attachment");
    let back = B64.decode(att["content"].as_str().unwrap()).unwrap();
    assert_eq!(back, e.attachments[0].bytes);
    assert_eq!(
        b["headers"],
        json!({
            "List-Unsubscribe": "<https://clearway.example/u/tok?e=1&k=2>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        })
    );
}

#[tokio::test]
async fn sendgrid_without_link_or_attachment_sends_neither_key() {
    let (base, s) = stand_in(vec![accepted_202("x")]).await;
    let e = OutgoingEmail {
        attachments: vec![],
        unsubscribe_url: None,
        to_name: String::new(),
        from: "notices@clearway.example".into(),
        ..email()
    };
    assert!(matches!(
        sendgrid(&base).send(&e).await,
        SendOutcome::Accepted { .. }
    ));
    let b = s.seen()[0].json();
    assert!(
        b.get("attachments").is_none() && b.get("headers").is_none(),
        "{b}"
    );
    assert_eq!(
        b["personalizations"][0]["to"],
        json!([{ "email": "ana@investor.example" }])
    );
    assert_eq!(b["from"], json!({ "email": "notices@clearway.example" }));
}

#[tokio::test]
async fn sendgrid_500_is_temporary_and_the_retry_is_accepted() {
    let (base, s) = stand_in(vec![
        reply(500, r#"{"errors":[{"message":"internal error"}]}"#),
        accepted_202("retry-id"),
    ])
    .await;
    let sg = sendgrid(&base);
    let first = sg.send(&email()).await;
    assert_eq!(
        temporary(&first),
        "SendGrid answered 500 Internal Server Error: internal error"
    );
    let second = sg.send(&email()).await;
    assert_eq!(
        second,
        SendOutcome::Accepted {
            provider_id: Some("retry-id".into())
        }
    );
    let seen = s.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].body, seen[1].body,
        "the retry sends the same message"
    );
}

#[tokio::test]
async fn sendgrid_refusals_are_permanent_with_its_messages_and_429_is_temporary() {
    let body = json!({ "errors": [
        { "message": "The from address does not match a verified Sender Identity.", "field": "from", "help": null },
        { "message": "Invalid type. Expected: string", "field": "subject" },
    ]});
    let (base, _s) = stand_in(vec![
        reply(400, body.to_string()),
        reply(401, r#"{"errors":[{"message":"The provided authorization grant is invalid, expired, or revoked"}]}"#),
        reply(413, "x".repeat(10_000)),
        reply(429, r#"{"errors":[{"message":"too many requests"}]}"#),
    ])
    .await;
    let sg = sendgrid(&base);
    assert_eq!(
        permanent(&sg.send(&email()).await),
        "SendGrid answered 400 Bad Request: The from address does not match a verified \
         Sender Identity.; Invalid type. Expected: string"
    );
    assert!(permanent(&sg.send(&email()).await).contains("authorization grant is invalid"));
    let long = sg.send(&email()).await;
    assert!(permanent(&long).starts_with("SendGrid answered 413 Payload Too Large: xxx"));
    assert!(permanent(&long).chars().count() < 400, "bounded: {long:?}");
    assert!(temporary(&sg.send(&email()).await).contains("429"));
}

#[tokio::test]
async fn sendgrid_slow_or_unreachable_is_temporary_within_the_timeout() {
    let mut slow = accepted_202("late");
    slow.delay = Duration::from_secs(5);
    let (base, _s) = stand_in(vec![slow]).await;
    let sg = sendgrid(&base).with_timeout(Duration::from_millis(300));
    let t = Instant::now();
    let outcome = sg.send(&email()).await;
    assert!(temporary(&outcome).contains("timed out"), "{outcome:?}");
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );

    let refused = sendgrid(&closed_port().await).send(&email()).await;
    assert!(
        temporary(&refused).contains("could not connect"),
        "{refused:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Twilio

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-test-token";

fn twilio(base: &str, from: &str) -> Twilio {
    let config = TwilioConfig {
        base_url: base.to_string(),
        account_sid: SID.to_string(),
        auth_token: TOKEN.to_string(),
        from: from.to_string(),
    };
    Twilio::new(config, reqwest::Client::new())
}

fn sms() -> OutgoingSms {
    OutgoingSms {
        message_id: "msg-tw-0001".into(),
        to: "+14155550100".into(),
        body: "Clearway: payment sent & on its way (+1 day). Reply STOP to opt out. ñ".into(),
        status_callback: Some(
            "https://clearway.example/webhooks/twilio/status?m=msg-tw-0001".into(),
        ),
    }
}

fn created(sid: &str) -> Reply {
    reply(
        201,
        json!({ "sid": sid, "status": "queued", "account_sid": SID }).to_string(),
    )
}

#[tokio::test]
async fn twilio_sends_the_documented_form_with_basic_auth_and_keeps_the_sid() {
    let (base, s) = stand_in(vec![created("SM0001")]).await;
    let outcome = twilio(&base, "+14155550199").send(&sms()).await;
    assert_eq!(
        outcome,
        SendOutcome::Accepted {
            provider_id: Some("SM0001".into())
        }
    );
    let seen = s.seen();
    let r = &seen[0];
    assert_eq!(r.method, Method::POST);
    assert_eq!(r.path, format!("/2010-04-01/Accounts/{SID}/Messages.json"));
    assert_eq!(
        r.header("authorization"),
        format!("Basic {}", B64.encode(format!("{SID}:{TOKEN}")))
    );
    assert_eq!(
        r.header("content-type"),
        "application/x-www-form-urlencoded"
    );
    let m = sms();
    assert_eq!(
        r.form(),
        [
            ("To".to_string(), m.to),
            ("From".to_string(), "+14155550199".to_string()),
            ("Body".to_string(), m.body),
            ("StatusCallback".to_string(), m.status_callback.unwrap()),
        ]
    );
}

#[tokio::test]
async fn twilio_names_a_messaging_service_and_leaves_out_an_unset_callback() {
    let (base, s) = stand_in(vec![created("SM0002")]).await;
    let m = OutgoingSms {
        status_callback: None,
        ..sms()
    };
    let mg = "MG0123456789abcdef0123456789abcdef";
    assert!(matches!(
        twilio(&base, mg).send(&m).await,
        SendOutcome::Accepted { .. }
    ));
    let form = s.seen()[0].form();
    let names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["To", "MessagingServiceSid", "Body"]);
    assert_eq!(form[1].1, mg);
}

#[tokio::test]
async fn twilio_500_is_temporary_and_the_retry_is_accepted() {
    let (base, s) = stand_in(vec![
        reply(
            500,
            r#"{"code":20500,"message":"Internal Server Error","status":500}"#,
        ),
        created("SM0003"),
    ])
    .await;
    let tw = twilio(&base, "+14155550199");
    assert_eq!(
        temporary(&tw.send(&sms()).await),
        "Twilio error 20500 (HTTP 500 Internal Server Error): Internal Server Error"
    );
    assert_eq!(
        tw.send(&sms()).await,
        SendOutcome::Accepted {
            provider_id: Some("SM0003".into())
        }
    );
    assert_eq!(s.seen().len(), 2);
}

#[tokio::test]
async fn twilio_refusals_are_permanent_with_the_error_code_and_429_is_temporary() {
    let error = |code: u32, message: &str, status: u16| {
        reply(
            status,
            json!({
                "code": code, "message": message, "status": status,
                "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            })
            .to_string(),
        )
    };
    let (base, _s) = stand_in(vec![
        error(
            21211,
            "The 'To' number +1415555 is not a valid phone number.",
            400,
        ),
        error(21610, "Attempt to send to unsubscribed recipient", 400),
        error(20003, "Authenticate", 401),
        error(20429, "Too Many Requests", 429),
        reply(400, "<html>proxy says no</html>"),
    ])
    .await;
    let tw = twilio(&base, "+14155550199");
    assert_eq!(
        permanent(&tw.send(&sms()).await),
        "Twilio error 21211 (HTTP 400 Bad Request): The 'To' number +1415555 is not a valid phone number."
    );
    assert!(permanent(&tw.send(&sms()).await).starts_with("Twilio error 21610 "));
    assert!(permanent(&tw.send(&sms()).await).starts_with("Twilio error 20003 "));
    assert!(temporary(&tw.send(&sms()).await).starts_with("Twilio error 20429 "));
    assert_eq!(
        permanent(&tw.send(&sms()).await),
        "Twilio answered 400 Bad Request: <html>proxy says no</html>"
    );
}

#[tokio::test]
async fn twilio_slow_or_unreachable_is_temporary_within_the_timeout() {
    let mut slow = created("SM-late");
    slow.delay = Duration::from_secs(5);
    let (base, _s) = stand_in(vec![slow]).await;
    let tw = twilio(&base, "+14155550199").with_timeout(Duration::from_millis(300));
    let t = Instant::now();
    assert!(temporary(&tw.send(&sms()).await).contains("timed out"));
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    let refused = twilio(&closed_port().await, "+14155550199")
        .send(&sms())
        .await;
    assert!(
        temporary(&refused).contains("could not connect"),
        "{refused:?}"
    );
}

// ---------------------------------------------------------------------------------------
// The greeting writer (Anthropic Messages API)

const MODEL: &str = "claude-test-model";
const API_KEY: &str = "sk-ant-test-key";

fn writer(base: &str, timeout: Duration) -> GreetingWriter {
    let config = WriterConfig {
        base_url: base.to_string(),
        model: MODEL.to_string(),
        api_key: API_KEY.to_string(),
        timeout,
    };
    GreetingWriter::new(config, reqwest::Client::new())
}

fn request() -> GreetingRequest {
    GreetingRequest {
        investor_name: "Ana".into(),
        kind: EventKind::DistributionDeclared,
        locale: Locale::Es,
        fund_name: Some("Clearway Open Fund".into()),
    }
}

/// A Messages API answer with `text` as its one text block.
fn message(text: &str, stop_reason: &str) -> Reply {
    reply(
        200,
        json!({
            "id": "msg_01", "type": "message", "role": "assistant", "model": MODEL,
            "content": [{ "type": "text", "text": text }],
            "stop_reason": stop_reason, "stop_sequence": null,
            "usage": { "input_tokens": 10, "output_tokens": 20 },
        })
        .to_string(),
    )
}

#[tokio::test]
async fn a_good_greeting_is_used_and_the_request_carries_no_figures() {
    let text = "Estimada Ana, le escribimos con novedades sobre Clearway Open Fund.";
    let (base, s) = stand_in(vec![message(text, "end_turn")]).await;
    let got = writer(&base, Duration::from_secs(5))
        .greeting(&request())
        .await;
    assert_eq!(got.as_deref(), Some(text));
    let seen = s.seen();
    let r = &seen[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v1/messages")
    );
    assert_eq!(r.header("x-api-key"), API_KEY);
    assert_eq!(r.header("anthropic-version"), "2023-06-01");
    assert_eq!(r.header("content-type"), "application/json");
    let b = r.json();
    assert_eq!(b["model"], MODEL);
    assert_eq!(b["max_tokens"], 200);
    assert_eq!(b["messages"].as_array().unwrap().len(), 1);
    assert_eq!(b["messages"][0]["role"], "user");
    let prompt = b["messages"][0]["content"].as_str().unwrap();
    assert!(prompt.contains("\"Ana\"") && prompt.contains("\"Clearway Open Fund\""));
    assert!(prompt.contains("Spanish"), "{prompt}");
    for sent in [prompt, b["system"].as_str().unwrap()] {
        assert!(!sent.chars().any(char::is_numeric), "digits sent: {sent}");
    }
}

#[tokio::test]
async fn a_greeting_with_a_digit_or_currency_sign_is_refused() {
    let (base, s) = stand_in(vec![
        message("Dear Ana, your 3 new shares are here.", "end_turn"),
        message("Dear Ana, the payout in $ is on its way.", "end_turn"),
        message("Estimada Ana, su pago en € ya salió.", "end_turn"),
        message("Dear Ana,\n\nWelcome.", "end_turn"),
        message("Dear Ana, a warm greeting", "max_tokens"),
    ])
    .await;
    let w = writer(&base, Duration::from_secs(5));
    for _ in 0..5 {
        assert_eq!(w.greeting(&request()).await, None);
    }
    assert_eq!(s.seen().len(), 5);
}

#[tokio::test]
async fn a_failing_slow_or_malformed_answer_gives_no_greeting() {
    let mut slow = message("Dear Ana, hello.", "end_turn");
    slow.delay = Duration::from_secs(5);
    let (base, s) = stand_in(vec![
        reply(
            500,
            r#"{"type":"error","error":{"type":"api_error","message":"Internal"}}"#,
        ),
        reply(200, "{not json"),
        reply(
            200,
            r#"{"type":"message","content":"not a list","stop_reason":"end_turn"}"#,
        ),
        slow,
    ])
    .await;
    let timeout = Duration::from_millis(300);
    let w = writer(&base, timeout);
    assert_eq!(w.greeting(&request()).await, None);
    assert_eq!(w.greeting(&request()).await, None);
    assert_eq!(w.greeting(&request()).await, None);
    let t = Instant::now();
    assert_eq!(w.greeting(&request()).await, None);
    assert!(
        t.elapsed() < timeout + Duration::from_secs(1),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(s.seen().len(), 4);
    let unreachable = writer(&closed_port().await, timeout);
    assert_eq!(unreachable.greeting(&request()).await, None);
}

#[tokio::test]
async fn a_disabled_writer_asks_nobody() {
    let (base, s) = stand_in(vec![message("Dear Ana, hello.", "end_turn")]).await;
    assert_eq!(GreetingWriter::disabled().greeting(&request()).await, None);
    let no_key = GreetingWriter::new(
        WriterConfig {
            base_url: base,
            model: MODEL.into(),
            api_key: String::new(),
            timeout: Duration::from_secs(1),
        },
        reqwest::Client::new(),
    );
    assert_eq!(no_key.greeting(&request()).await, None);
    assert!(s.seen().is_empty());
}
