//! SendGrid: the v3 Mail Send API (`POST /v3/mail/send`) and the Signed Event Webhook.
//!
//! Sending: one personalization per message, our message id as the custom arg `message_id`
//! (SendGrid echoes custom args at the top level of every event), plain text before HTML (the
//! API requires that order), attachments base64, and the RFC 8058 one-click unsubscribe
//! headers. `202 Accepted` → accepted with the `X-Message-Id` header; 429, 5xx, timeouts and
//! connection failures → temporary; any other 4xx → permanent, with SendGrid's
//! `errors[].message` in the reason.
//!
//! Events: the webhook signs `timestamp || raw body` with ECDSA P-256 / SHA-256 (ASN.1 DER
//! signature, base64 in `X-Twilio-Email-Event-Webhook-Signature`, timestamp in
//! `X-Twilio-Email-Event-Webhook-Timestamp`); the verification key is the base64 DER
//! SubjectPublicKeyInfo shown in SendGrid's mail settings.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::{
    excerpt, status_outcome, transport_outcome, OutgoingEmail, ProviderEvent, ProviderEventKind,
    SendOutcome, REASON_EXCERPT_CHARS,
};

/// Request timeout when none is set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The header carrying the base64 ECDSA signature of an event batch.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Email-Event-Webhook-Signature";

/// The header carrying the signed Unix timestamp of an event batch.
pub const TIMESTAMP_HEADER: &str = "X-Twilio-Email-Event-Webhook-Timestamp";

/// How old (or how far ahead) a signed event batch's timestamp may be, by default.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Where and how to call SendGrid.
#[derive(Clone)]
pub struct SendGridConfig {
    /// API root, `https://api.sendgrid.com` (a local stand-in in tests).
    pub base_url: String,
    /// API key with the Mail Send permission.
    pub api_key: String,
}

impl std::fmt::Debug for SendGridConfig {
    // why: a config printed in a log must not carry the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendGridConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

/// The Mail Send connector.
#[derive(Debug, Clone)]
pub struct SendGrid {
    config: SendGridConfig,
    http: reqwest::Client,
    timeout: Duration,
}

impl SendGrid {
    /// A connector over `http` (shared, pooled) with the default timeout.
    pub fn new(config: SendGridConfig, http: reqwest::Client) -> SendGrid {
        SendGrid {
            config,
            http,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same connector with another per-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> SendGrid {
        self.timeout = timeout;
        self
    }

    /// Sends one email; never retries itself (the job queue does, on `Temporary`).
    pub async fn send(&self, email: &OutgoingEmail) -> SendOutcome {
        let url = format!(
            "{}/v3/mail/send",
            self.config.base_url.trim_end_matches('/')
        );
        let resp = crate::outbound::traced(self.http.post(url))
            .timeout(self.timeout)
            .bearer_auth(&self.config.api_key)
            .json(&mail_send_body(email))
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => return transport_outcome("SendGrid", &e),
        };
        let status = resp.status();
        if status == reqwest::StatusCode::ACCEPTED {
            let provider_id = resp
                .headers()
                .get("x-message-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            return SendOutcome::Accepted { provider_id };
        }
        // why: a body cut off mid-read still leaves the status to decide on.
        let text = resp.text().await.unwrap_or_default();
        if status.is_success() {
            // 200 is what the sandbox mode answers: nothing was sent, and retrying won't send.
            return SendOutcome::Permanent(format!("SendGrid answered {status}, not 202"));
        }
        status_outcome(status, refusal_reason(status, &text))
    }
}

/// The v3 Mail Send JSON for `email`.
pub fn mail_send_body(email: &OutgoingEmail) -> Value {
    let mut to = Map::new();
    to.insert("email".into(), json!(email.to));
    if !email.to_name.trim().is_empty() {
        to.insert("name".into(), json!(email.to_name));
    }
    let (from_name, from_email) = split_mailbox(&email.from);
    let mut from = Map::new();
    from.insert("email".into(), json!(from_email));
    if let Some(name) = from_name {
        from.insert("name".into(), json!(name));
    }
    let mut content = Vec::new();
    if !email.text.is_empty() {
        content.push(json!({ "type": "text/plain", "value": email.text }));
    }
    if !email.html.is_empty() {
        content.push(json!({ "type": "text/html", "value": email.html }));
    }
    let mut body = json!({
        "personalizations": [{
            "to": [to],
            "custom_args": { "message_id": email.message_id },
        }],
        "from": from,
        "subject": email.subject,
        "content": content,
    });
    if !email.attachments.is_empty() {
        body["attachments"] = email
            .attachments
            .iter()
            .map(|a| {
                json!({
                    "content": B64.encode(&a.bytes),
                    "type": a.content_type,
                    "filename": a.filename,
                    "disposition": "attachment",
                })
            })
            .collect();
    }
    if let Some(url) = &email.unsubscribe_url {
        body["headers"] = json!({
            "List-Unsubscribe": format!("<{url}>"),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        });
    }
    body
}

/// `Name <addr@host>` → (Some("Name"), "addr@host"); a bare address → (None, it).
fn split_mailbox(mailbox: &str) -> (Option<String>, String) {
    let m = mailbox.trim();
    match (m.rfind('<'), m.ends_with('>')) {
        (Some(open), true) => {
            let name = m[..open].trim().trim_matches('"').trim();
            let addr = m[open + 1..m.len() - 1].trim().to_string();
            ((!name.is_empty()).then(|| name.to_string()), addr)
        }
        _ => (None, m.to_string()),
    }
}

/// "SendGrid answered 400 Bad Request: <errors[].message joined>" (or the raw answer,
/// bounded, when it is not SendGrid's error shape).
fn refusal_reason(status: reqwest::StatusCode, body: &str) -> String {
    let messages: Vec<String> = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("errors").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.get("message").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    let detail = if messages.is_empty() {
        body.to_string()
    } else {
        messages.join("; ")
    };
    let detail = excerpt(&detail, REASON_EXCERPT_CHARS);
    if detail.is_empty() {
        format!("SendGrid answered {status}")
    } else {
        format!("SendGrid answered {status}: {detail}")
    }
}

/// Why a signed event batch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The verification key is not a base64 DER P-256 SubjectPublicKeyInfo.
    #[error("the verification key is not a P-256 public key: {0}")]
    BadPublicKey(&'static str),
    /// The signature header is not base64.
    #[error("the signature is not base64")]
    BadSignatureEncoding,
    /// The timestamp header is not whole seconds since the epoch.
    #[error("the timestamp is not a Unix time")]
    BadTimestamp,
    /// The timestamp is outside the tolerance (a replay, or a clock far off).
    #[error("the timestamp is {age_secs} s from now, beyond the {tolerance_secs} s allowed")]
    StaleTimestamp {
        /// Now minus the timestamp (negative: in the future).
        age_secs: i64,
        /// The tolerance applied.
        tolerance_secs: i64,
    },
    /// The signature does not match the key, timestamp and body.
    #[error("the signature does not match")]
    SignatureMismatch,
}

/// Verifies a signed event batch now, with [`DEFAULT_TOLERANCE_SECS`].
pub fn verify_event_webhook(
    public_key: &str,
    signature: &str,
    timestamp: &str,
    body: &[u8],
) -> Result<(), VerifyError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    verify_event_webhook_at(
        public_key,
        signature,
        timestamp,
        body,
        now,
        DEFAULT_TOLERANCE_SECS,
    )
}

/// Verifies a signed event batch at `now_unix`: the key parsed, the signature checked over
/// `timestamp || body`, then the timestamp within `tolerance_secs` of now either way.
pub fn verify_event_webhook_at(
    public_key: &str,
    signature: &str,
    timestamp: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let point = p256_point_of_spki(&decode_key(public_key)?)?;
    let sig = B64
        .decode(signature.trim())
        .map_err(|_| VerifyError::BadSignatureEncoding)?;
    let ts = timestamp.trim();
    let at: i64 = if !ts.is_empty() && ts.bytes().all(|b| b.is_ascii_digit()) {
        ts.parse().map_err(|_| VerifyError::BadTimestamp)?
    } else {
        return Err(VerifyError::BadTimestamp);
    };
    let mut signed = Vec::with_capacity(ts.len() + body.len());
    signed.extend_from_slice(ts.as_bytes());
    signed.extend_from_slice(body);
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, point)
        .verify(&signed, &sig)
        .map_err(|_| VerifyError::SignatureMismatch)?;
    let age_secs = now_unix.saturating_sub(at);
    if age_secs.abs() > tolerance_secs {
        return Err(VerifyError::StaleTimestamp {
            age_secs,
            tolerance_secs,
        });
    }
    Ok(())
}

/// The key's DER bytes: base64, also accepted inside PEM armour and with line breaks.
fn decode_key(public_key: &str) -> Result<Vec<u8>, VerifyError> {
    let b64: String = public_key
        .lines()
        .filter(|l| !l.trim_start().starts_with("-----"))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    B64.decode(b64)
        .map_err(|_| VerifyError::BadPublicKey("not base64"))
}

/// DER of id-ecPublicKey (1.2.840.10045.2.1) and prime256v1 (1.2.840.10045.3.1.7).
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_PRIME256V1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// The 65-byte uncompressed point of a P-256 SubjectPublicKeyInfo (RFC 5480):
/// `SEQUENCE { SEQUENCE { OID ecPublicKey, OID prime256v1 }, BIT STRING 0x00 0x04 X Y }`,
/// with nothing before, after or between.
pub fn p256_point_of_spki(der: &[u8]) -> Result<Vec<u8>, VerifyError> {
    let bad = VerifyError::BadPublicKey;
    let (spki, rest) = der_take(der, 0x30).ok_or(bad("not a DER sequence"))?;
    if !rest.is_empty() {
        return Err(bad("bytes after the key"));
    }
    let (alg, rest) = der_take(spki, 0x30).ok_or(bad("no algorithm identifier"))?;
    let (bits, rest) = der_take(rest, 0x03).ok_or(bad("no key bit string"))?;
    if !rest.is_empty() {
        return Err(bad("bytes after the key bit string"));
    }
    let (oid, alg_rest) = der_take(alg, 0x06).ok_or(bad("no algorithm OID"))?;
    if oid != OID_EC_PUBLIC_KEY {
        return Err(bad("not an elliptic-curve key"));
    }
    let (curve, alg_rest) = der_take(alg_rest, 0x06).ok_or(bad("no named curve"))?;
    if curve != OID_PRIME256V1 || !alg_rest.is_empty() {
        return Err(bad("not the P-256 curve"));
    }
    // One leading byte of unused bits (0), then the uncompressed point 0x04 || X || Y.
    match bits {
        [0x00, point @ ..] if point.len() == 65 && point[0] == 0x04 => Ok(point.to_vec()),
        _ => Err(bad("not an uncompressed P-256 point")),
    }
}

/// One DER element with tag `tag` at the start of `input`: (its content, what follows).
/// Definite lengths only, short form or long form up to two bytes (keys are small).
fn der_take(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (first as usize, rest),
        0x81 => {
            let (&b, rest) = rest.split_first()?;
            (b as usize, rest)
        }
        0x82 => {
            let (b, rest) = (rest.get(..2)?, &rest[2..]);
            ((b[0] as usize) << 8 | b[1] as usize, rest)
        }
        _ => return None,
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// A webhook body that is not SendGrid's event array.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a SendGrid event batch: {0}")]
pub struct ParseError(pub String);

/// The events of a (verified) webhook body, in order.
///
/// - `delivered` → Delivered; `open` → Opened; `spamreport` → Complained;
/// - `bounce` → Bounced, except `type: "blocked"` → Failed: SendGrid documents a block as the
///   receiving server refusing the message *temporarily* (reputation, policy, content), not
///   the address as invalid; the message is given up but the address is not suppressed;
/// - `dropped` → Failed (SendGrid did not try: suppressed address, invalid, …);
/// - anything else (`processed`, `deferred`, `click`, `unsubscribe`, `group_*`) → Other.
///
/// `message_id` is our custom arg; `provider_id` is `sg_message_id` up to its first dot,
/// which is the `X-Message-Id` Mail Send answered with; the reason is `reason`, else
/// `response`, bounded.
pub fn parse_events(body: &[u8]) -> Result<Vec<ProviderEvent>, ParseError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ParseError(format!("not JSON: {e}")))?;
    let items = value
        .as_array()
        .ok_or_else(|| ParseError("not a JSON array".into()))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_event(item).map_err(|e| ParseError(format!("event {i}: {e}"))))
        .collect()
}

fn parse_event(item: &Value) -> Result<ProviderEvent, String> {
    let obj = item.as_object().ok_or("not an object")?;
    let event = obj
        .get("event")
        .and_then(Value::as_str)
        .ok_or("no `event` string")?;
    let text = |k: &str| obj.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let kind = match event {
        "delivered" => ProviderEventKind::Delivered,
        "bounce" if text("type") == Some("blocked") => ProviderEventKind::Failed,
        "bounce" => ProviderEventKind::Bounced,
        "dropped" => ProviderEventKind::Failed,
        "open" => ProviderEventKind::Opened,
        "spamreport" => ProviderEventKind::Complained,
        _ => ProviderEventKind::Other,
    };
    Ok(ProviderEvent {
        message_id: text("message_id").map(str::to_string),
        provider_id: text("sg_message_id").map(|id| id.split('.').next().unwrap_or(id).to_string()),
        kind,
        reason: text("reason")
            .or_else(|| text("response"))
            .map(|r| excerpt(r, REASON_EXCERPT_CHARS)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};

    /// A fresh key pair: (signing key, base64 SPKI as SendGrid shows its key).
    fn key_pair() -> (EcdsaKeyPair, String) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let mut spki = vec![0x30, 0x59, 0x30, 0x13, 0x06, 0x07];
        spki.extend_from_slice(OID_EC_PUBLIC_KEY);
        spki.extend_from_slice(&[0x06, 0x08]);
        spki.extend_from_slice(OID_PRIME256V1);
        spki.extend_from_slice(&[0x03, 0x42, 0x00]);
        spki.extend_from_slice(pair.public_key().as_ref());
        (pair, B64.encode(spki))
    }

    fn sign(pair: &EcdsaKeyPair, ts: &str, body: &[u8]) -> String {
        let msg = [ts.as_bytes(), body].concat();
        B64.encode(pair.sign(&SystemRandom::new(), &msg).unwrap().as_ref())
    }

    const NOW: i64 = 1_800_000_000;
    const BODY: &[u8] = br#"[{"event":"delivered","message_id":"m-1"}]"#;

    #[test]
    fn a_batch_signed_with_the_key_verifies_and_any_change_is_refused() {
        let (pair, key) = key_pair();
        let ts = NOW.to_string();
        let sig = sign(&pair, &ts, BODY);
        assert_eq!(
            verify_event_webhook_at(&key, &sig, &ts, BODY, NOW, 300),
            Ok(())
        );
        let tampered = br#"[{"event":"delivered","message_id":"m-2"}]"#;
        assert_eq!(
            verify_event_webhook_at(&key, &sig, &ts, tampered, NOW, 300),
            Err(VerifyError::SignatureMismatch)
        );
        // The timestamp is signed too: moving it breaks the signature.
        let later = (NOW + 1).to_string();
        assert_eq!(
            verify_event_webhook_at(&key, &sig, &later, BODY, NOW, 300),
            Err(VerifyError::SignatureMismatch)
        );
        let (_, other_key) = key_pair();
        assert_eq!(
            verify_event_webhook_at(&other_key, &sig, &ts, BODY, NOW, 300),
            Err(VerifyError::SignatureMismatch)
        );
    }

    #[test]
    fn bad_encodings_and_stale_timestamps_are_refused() {
        let (pair, key) = key_pair();
        let ts = NOW.to_string();
        let sig = sign(&pair, &ts, BODY);
        let at = |key: &str, sig: &str, ts: &str, now: i64| {
            verify_event_webhook_at(key, sig, ts, BODY, now, 300)
        };
        assert_eq!(
            at(&key, "not base64!", &ts, NOW),
            Err(VerifyError::BadSignatureEncoding)
        );
        assert!(matches!(
            at("%%%", &sig, &ts, NOW),
            Err(VerifyError::BadPublicKey(_))
        ));
        assert_eq!(at(&key, &sig, "12a", NOW), Err(VerifyError::BadTimestamp));
        assert_eq!(at(&key, &sig, "-5", NOW), Err(VerifyError::BadTimestamp));
        assert_eq!(at(&key, &sig, &ts, NOW + 300), Ok(()));
        assert_eq!(
            at(&key, &sig, &ts, NOW + 301),
            Err(VerifyError::StaleTimestamp {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        assert_eq!(
            at(&key, &sig, &ts, NOW - 301),
            Err(VerifyError::StaleTimestamp {
                age_secs: -301,
                tolerance_secs: 300
            })
        );
    }

    /// SendGrid's own published vector (the fixture of its SDKs' event-webhook tests;
    /// checked independently with `openssl dgst -sha256 -verify`): proves the algorithm and
    /// the key format, not merely that our signer and verifier agree.
    #[test]
    fn sendgrids_published_example_verifies() {
        let key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
        let sig = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
        let ts = "1588788367";
        let body =
            br#"{"category":"example_payload","event":"test_event","message_id":"message_id"}"#;
        assert_eq!(
            verify_event_webhook_at(key, sig, ts, body, 1588788367, 300),
            Ok(())
        );
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n{}\n-----END PUBLIC KEY-----\n",
            &key[..64],
            &key[64..]
        );
        assert_eq!(
            verify_event_webhook_at(&pem, sig, ts, body, 1588788367, 300),
            Ok(())
        );
        // Their "failing signature": one character changed.
        let bad = sig.replace("H2j", "H3j");
        assert_eq!(
            verify_event_webhook_at(key, &bad, ts, body, 1588788367, 300),
            Err(VerifyError::SignatureMismatch)
        );
        // A real key that is not SendGrid's, and a stale replay of the real batch.
        let other = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==";
        assert_eq!(
            verify_event_webhook_at(other, sig, ts, body, 1588788367, 300),
            Err(VerifyError::SignatureMismatch)
        );
        assert!(matches!(
            verify_event_webhook(key, sig, ts, body),
            Err(VerifyError::StaleTimestamp { .. })
        ));
    }

    #[test]
    fn the_key_is_parsed_not_sliced() {
        let (_, key) = key_pair();
        let der = B64.decode(&key).unwrap();
        assert_eq!(p256_point_of_spki(&der).unwrap().len(), 65);
        // Another curve (secp384r1's OID in place of prime256v1's, same lengths otherwise).
        let mut wrong_curve = der.clone();
        wrong_curve[15..23].copy_from_slice(&[0x2b, 0x81, 0x04, 0x00, 0x22, 0, 0, 0]);
        assert!(p256_point_of_spki(&wrong_curve).is_err());
        // An RSA algorithm OID, a trailing byte, a truncated key, a compressed point.
        let mut rsa = der.clone();
        rsa[6..13].copy_from_slice(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01]);
        assert!(p256_point_of_spki(&rsa).is_err());
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(p256_point_of_spki(&trailing).is_err());
        assert!(p256_point_of_spki(&der[..der.len() - 1]).is_err());
        let mut compressed = der.clone();
        compressed[26] = 0x02;
        assert!(p256_point_of_spki(&compressed).is_err());
        // The last 65 bytes alone are not a key.
        assert!(p256_point_of_spki(&der[der.len() - 65..]).is_err());
    }

    #[test]
    fn events_map_to_our_kinds() {
        let body = br#"[
          {"event":"processed","message_id":"m-1","sg_message_id":"abc123.filter0001.1.2.0"},
          {"event":"delivered","message_id":"m-1","sg_message_id":"abc123.filter0001.1.2.0","response":"250 OK"},
          {"event":"bounce","type":"bounce","message_id":"m-2","reason":"550 5.1.1 no such user"},
          {"event":"bounce","type":"blocked","message_id":"m-3","reason":"554 policy"},
          {"event":"dropped","message_id":"m-4","reason":"Bounced Address"},
          {"event":"open","message_id":"m-5"},
          {"event":"spamreport","message_id":"m-6"},
          {"event":"deferred","response":"451 try later"},
          {"event":"click"},{"event":"unsubscribe"},{"event":"group_unsubscribe"},
          {"event":"something_new"}
        ]"#;
        let events = parse_events(body).unwrap();
        use ProviderEventKind as K;
        let kinds: Vec<_> = events.iter().map(|e| e.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                K::Other,
                K::Delivered,
                K::Bounced,
                K::Failed,
                K::Failed,
                K::Opened,
                K::Complained,
                K::Other,
                K::Other,
                K::Other,
                K::Other,
                K::Other
            ]
        );
        assert_eq!(
            events[1],
            ProviderEvent {
                message_id: Some("m-1".into()),
                provider_id: Some("abc123".into()),
                kind: K::Delivered,
                reason: Some("250 OK".into()),
            }
        );
        assert_eq!(events[2].reason.as_deref(), Some("550 5.1.1 no such user"));
        assert_eq!(events[7].reason.as_deref(), Some("451 try later"));
        assert_eq!(events[8].message_id, None);
    }

    #[test]
    fn a_body_that_is_not_an_event_array_is_refused() {
        for body in [
            &b"{}"[..],
            b"not json",
            b"[1]",
            br#"[{"email":"a@b"}]"#,
            br#"[{"event":7}]"#,
        ] {
            assert!(
                parse_events(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(parse_events(b"[]"), Ok(vec![]));
    }

    #[test]
    fn mailboxes_split_into_name_and_address() {
        assert_eq!(
            split_mailbox("Clearway <notices@clearway.example>"),
            (Some("Clearway".into()), "notices@clearway.example".into())
        );
        assert_eq!(
            split_mailbox("\"Fund, Inc.\" <a@b.example>"),
            (Some("Fund, Inc.".into()), "a@b.example".into())
        );
        assert_eq!(split_mailbox(" a@b.example "), (None, "a@b.example".into()));
    }

    #[test]
    fn a_refusal_quotes_sendgrids_messages_bounded() {
        let s = reqwest::StatusCode::BAD_REQUEST;
        let body = r#"{"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from"},{"message":"Bad\nthing"}]}"#;
        assert_eq!(
            refusal_reason(s, body),
            "SendGrid answered 400 Bad Request: The from address does not match a verified Sender Identity.; Bad thing"
        );
        assert_eq!(refusal_reason(s, ""), "SendGrid answered 400 Bad Request");
        let long = "x".repeat(5000);
        assert!(refusal_reason(s, &long).chars().count() < REASON_EXCERPT_CHARS + 40);
    }
}
