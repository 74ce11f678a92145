//! Twilio: the Messages REST API (`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`,
//! form-encoded, HTTP Basic with the account SID and auth token), its status callbacks and
//! inbound messages, both signed with `X-Twilio-Signature`.
//!
//! `201 Created` → accepted with the message `sid`; 429 and 5xx → temporary; any other 4xx
//! (e.g. 21211 invalid `To`, 21610 recipient replied STOP) → permanent with Twilio's error
//! code in the reason. The Messages API has no idempotency key: a timeout after Twilio took
//! the message is reported as temporary, and a retry may send that SMS twice.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;

use super::{
    excerpt, status_outcome, transport_outcome, OutgoingSms, ProviderEvent, ProviderEventKind,
    SendOutcome, REASON_EXCERPT_CHARS,
};

/// Request timeout when none is set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The header carrying the signature of a status callback or inbound message.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";

/// Where and how to call Twilio.
#[derive(Clone)]
pub struct TwilioConfig {
    /// API root, `https://api.twilio.com` (a local stand-in in tests).
    pub base_url: String,
    /// Account SID (`AC…`), also the Basic-auth user.
    pub account_sid: String,
    /// Auth token: the Basic-auth password and the key of `X-Twilio-Signature`.
    pub auth_token: String,
    /// Sender: an E.164 number, or a messaging service SID (`MG…`).
    pub from: String,
}

impl std::fmt::Debug for TwilioConfig {
    // why: a config printed in a log must not carry the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("from", &self.from)
            .finish()
    }
}

/// The Messages connector.
#[derive(Debug, Clone)]
pub struct Twilio {
    config: TwilioConfig,
    http: reqwest::Client,
    timeout: Duration,
}

impl Twilio {
    /// A connector over `http` (shared, pooled) with the default timeout.
    pub fn new(config: TwilioConfig, http: reqwest::Client) -> Twilio {
        Twilio {
            config,
            http,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same connector with another per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Twilio {
        self.timeout = timeout;
        self
    }

    /// Sends one SMS; never retries itself (the job queue does, on `Temporary`).
    pub async fn send(&self, sms: &OutgoingSms) -> SendOutcome {
        let c = &self.config;
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            c.base_url.trim_end_matches('/'),
            c.account_sid
        );
        let resp = crate::outbound::traced(self.http.post(url))
            .timeout(self.timeout)
            .basic_auth(&c.account_sid, Some(&c.auth_token))
            .form(&message_form(&c.from, sms))
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => return transport_outcome("Twilio", &e),
        };
        let status = resp.status();
        // why: a body cut off mid-read still leaves the status to decide on.
        let text = resp.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or_default();
        if status.is_success() {
            // Twilio took it: without a sid we still must not send it again.
            let provider_id = body.get("sid").and_then(Value::as_str).map(str::to_string);
            return SendOutcome::Accepted { provider_id };
        }
        status_outcome(status, refusal_reason(status, &body, &text))
    }
}

/// The form fields of a message: `To`, `From` or `MessagingServiceSid`, `Body`, and
/// `StatusCallback` when set.
pub fn message_form(from: &str, sms: &OutgoingSms) -> Vec<(&'static str, String)> {
    let sender = if from.starts_with("MG") {
        "MessagingServiceSid"
    } else {
        "From"
    };
    let mut form = vec![
        ("To", sms.to.clone()),
        (sender, from.to_string()),
        ("Body", sms.body.clone()),
    ];
    if let Some(cb) = &sms.status_callback {
        form.push(("StatusCallback", cb.clone()));
    }
    form
}

/// "Twilio error 21211 (HTTP 400 Bad Request): <message>", bounded; the raw answer when it
/// is not Twilio's error shape.
fn refusal_reason(status: reqwest::StatusCode, body: &Value, text: &str) -> String {
    let code = body.get("code").and_then(Value::as_i64);
    let message = body.get("message").and_then(Value::as_str).unwrap_or(text);
    let message = excerpt(message, REASON_EXCERPT_CHARS);
    let head = match code {
        Some(code) => format!("Twilio error {code} (HTTP {status})"),
        None => format!("Twilio answered {status}"),
    };
    if message.is_empty() {
        head
    } else {
        format!("{head}: {message}")
    }
}

/// Whether `signature` (the `X-Twilio-Signature` header) is Twilio's for this request:
/// base64 of HMAC-SHA1, keyed with the auth token, over the full URL followed by every POST
/// parameter's name and value, sorted by name. Compared in constant time. The URL is tried
/// as given and with the scheme's default port added or removed, as Twilio may sign either.
pub fn verify_signature(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    let Ok(given) = B64.decode(signature.trim()) else {
        return false;
    };
    if auth_token.is_empty() {
        return false;
    }
    url_variants(url).iter().any(|u| {
        signature_mac(auth_token, u, params)
            .verify_slice(&given)
            .is_ok()
    })
}

/// The base64 `X-Twilio-Signature` of a request (what a stand-in or a test sends).
pub fn compute_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    B64.encode(
        signature_mac(auth_token, url, params)
            .finalize()
            .into_bytes(),
    )
}

fn signature_mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<sha1::Sha1> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // Repeated names keep a fixed order too (by value), as Twilio's own libraries do.
    sorted.sort();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// `url` itself, then the same URL with the default port (443, 80) removed if it has it, or
/// added if it has no port.
fn url_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_string()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return out;
    };
    let default = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return out,
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    // The port follows the last colon after any userinfo and outside an IPv6 literal.
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let port = host_port
        .rsplit_once(':')
        .filter(|(host, p)| !p.is_empty() && !p.contains(']') && !host.ends_with('['));
    let other = match port {
        Some((_, p)) if p == default => {
            let cut = authority.len() - p.len() - 1;
            format!("{scheme}://{}{tail}", &authority[..cut])
        }
        Some(_) => return out,
        None => format!("{scheme}://{authority}:{default}{tail}"),
    };
    out.push(other);
    out
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The event of a (verified) status callback: `MessageStatus` delivered → Delivered,
/// undelivered/failed → Failed with `ErrorCode` in the reason, anything else (queued,
/// sending, sent, accepted, scheduled, read, …) → Other. `None` when it has no
/// `MessageStatus` (not a status callback). Twilio does not echo our message id; the
/// provider id is `MessageSid` (or the older `SmsSid`).
pub fn parse_status_callback(params: &[(String, String)]) -> Option<ProviderEvent> {
    let status = param(params, "MessageStatus")?;
    let kind = match status {
        "delivered" => ProviderEventKind::Delivered,
        "undelivered" | "failed" => ProviderEventKind::Failed,
        _ => ProviderEventKind::Other,
    };
    let reason = param(params, "ErrorCode")
        .filter(|c| !c.is_empty())
        .map(|c| format!("Twilio error {}: message {status}", excerpt(c, 20)))
        .or_else(|| (kind == ProviderEventKind::Failed).then(|| format!("message {status}")));
    Some(ProviderEvent {
        message_id: None,
        provider_id: param(params, "MessageSid")
            .or_else(|| param(params, "SmsSid"))
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        kind,
        reason,
    })
}

/// The sender and text of a (verified) inbound-message webhook: `From` and `Body`. `None`
/// for anything else (a status callback has no `Body`).
pub fn inbound_reply(params: &[(String, String)]) -> Option<(String, String)> {
    let from = param(params, "From").filter(|f| !f.trim().is_empty())?;
    let body = param(params, "Body")?;
    Some((from.to_string(), body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const DOC_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    /// Twilio's worked example (webhooks security docs; the same vector as the C# helper
    /// library's test), reproduced independently with
    /// `printf '%s' '<url>CallSidCA1234567890ABCDECaller+12349013030Digits1234From+12349013030To+18005551212' | openssl dgst -sha1 -hmac 12345 -binary | base64`.
    fn doc_params(caller: &str) -> Vec<(String, String)> {
        // Deliberately not in sorted order: the function sorts.
        params(&[
            ("To", "+18005551212"),
            ("Digits", "1234"),
            ("From", caller),
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", caller),
        ])
    }

    #[test]
    fn twilios_published_examples_verify() {
        let p = doc_params("+12349013030");
        assert_eq!(
            compute_signature("12345", DOC_URL, &p),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
        assert!(verify_signature(
            "12345",
            DOC_URL,
            &p,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        let p = doc_params("+14158675309");
        assert!(verify_signature(
            "12345",
            DOC_URL,
            &p,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
    }

    #[test]
    fn a_tampered_request_is_refused() {
        let sig = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        let mut p = doc_params("+12349013030");
        p[0].1 = "+18005551213".into();
        assert!(!verify_signature("12345", DOC_URL, &p, sig));
        let p = doc_params("+12349013030");
        assert!(!verify_signature("54321", DOC_URL, &p, sig));
        assert!(!verify_signature(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &p,
            sig
        ));
        let mut extra = p.clone();
        extra.push(("MessageStatus".into(), "delivered".into()));
        assert!(!verify_signature("12345", DOC_URL, &extra, sig));
        assert!(!verify_signature("12345", DOC_URL, &p, ""));
        assert!(!verify_signature("12345", DOC_URL, &p, "not base64!"));
        assert!(!verify_signature("", DOC_URL, &p, sig));
    }

    #[test]
    fn the_default_port_may_be_signed_or_not() {
        let p = doc_params("+12349013030");
        let sig = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        assert!(verify_signature(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &p,
            sig
        ));
        assert!(!verify_signature(
            "12345",
            "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
            &p,
            sig
        ));
        let with_port = compute_signature(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &p,
        );
        assert!(verify_signature("12345", DOC_URL, &p, &with_port));
        assert_eq!(
            url_variants("http://u:p@[::1]/cb"),
            ["http://u:p@[::1]/cb", "http://u:p@[::1]:80/cb"]
        );
        assert_eq!(url_variants("http://h:80"), ["http://h:80", "http://h"]);
    }

    #[test]
    fn status_callbacks_map_to_our_kinds() {
        let cb = |status: &str, code: Option<&str>| {
            let mut p = params(&[("MessageSid", "SM123"), ("MessageStatus", status)]);
            if let Some(c) = code {
                p.push(("ErrorCode".into(), c.into()));
            }
            parse_status_callback(&p).unwrap()
        };
        assert_eq!(
            cb("delivered", None),
            ProviderEvent {
                message_id: None,
                provider_id: Some("SM123".into()),
                kind: ProviderEventKind::Delivered,
                reason: None,
            }
        );
        let failed = cb("undelivered", Some("30003"));
        assert_eq!(failed.kind, ProviderEventKind::Failed);
        assert_eq!(
            failed.reason.as_deref(),
            Some("Twilio error 30003: message undelivered")
        );
        assert_eq!(cb("failed", None).reason.as_deref(), Some("message failed"));
        for s in ["sent", "queued", "accepted", "sending"] {
            assert_eq!(cb(s, None).kind, ProviderEventKind::Other, "{s}");
        }
        assert_eq!(
            parse_status_callback(&params(&[("MessageSid", "SM1")])),
            None
        );
    }

    #[test]
    fn an_inbound_reply_gives_sender_and_text() {
        let inbound = params(&[
            ("From", "+14155550100"),
            ("Body", "STOP"),
            ("SmsStatus", "received"),
        ]);
        assert_eq!(
            inbound_reply(&inbound),
            Some(("+14155550100".into(), "STOP".into()))
        );
        let status = params(&[("From", "+14155550199"), ("MessageStatus", "sent")]);
        assert_eq!(inbound_reply(&status), None);
        assert_eq!(inbound_reply(&params(&[("Body", "STOP")])), None);
    }

    #[test]
    fn a_messaging_service_is_named_as_such() {
        let sms = OutgoingSms {
            message_id: "m".into(),
            to: "+14155550100".into(),
            body: "hi".into(),
            status_callback: None,
        };
        assert_eq!(
            message_form("MG0123", &sms)[1],
            ("MessagingServiceSid", "MG0123".into())
        );
        assert_eq!(
            message_form("+14155550199", &sms)[1],
            ("From", "+14155550199".into())
        );
        assert_eq!(message_form("+14155550199", &sms).len(), 3);
    }
}
