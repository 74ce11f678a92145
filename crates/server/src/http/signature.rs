//! HMAC-SHA256 signatures of webhook bodies: signed by the outbox relay on delivery, checked on
//! provider webhooks we receive.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub const SIGNATURE_HEADER: &str = "Clearway-Signature";

/// Signs a webhook body at a timestamp.
pub fn sign(secret: &str, timestamp: u64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Checks a signature header against a body within `tolerance` of `now` (receiver side;
/// used by tests and offered to integrators as the reference check).
pub fn verify(secret: &str, header: &str, body: &[u8], now: u64, tolerance: Duration) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<u64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if now.abs_diff(t) > tolerance.as_secs() {
        return false;
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&v1).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_expire() {
        let header = sign("whsec_x", 1_700_000_000, b"{}");
        assert!(verify(
            "whsec_x",
            &header,
            b"{}",
            1_700_000_100,
            Duration::from_secs(300)
        ));
        assert!(
            !verify(
                "whsec_y",
                &header,
                b"{}",
                1_700_000_100,
                Duration::from_secs(300)
            ),
            "wrong secret"
        );
        assert!(
            !verify(
                "whsec_x",
                &header,
                b"{ }",
                1_700_000_100,
                Duration::from_secs(300)
            ),
            "tampered body"
        );
        assert!(
            !verify(
                "whsec_x",
                &header,
                b"{}",
                1_700_001_000,
                Duration::from_secs(300)
            ),
            "too old"
        );
    }
}
