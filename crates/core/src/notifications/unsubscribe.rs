//! Signed, expiring unsubscribe links: a claim naming whose preference to turn off, encoded
//! as base64url JSON and signed with HMAC-SHA256. No login is needed to use one, so the
//! signature and the expiry are the only guards.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{Channel, EventKind};

/// How long a link works unless the caller says otherwise: 60 days.
pub const DEFAULT_LIFETIME_SECS: i64 = 60 * 24 * 3600;

/// Longest token accepted (a claim is a few hundred bytes); longer input is malformed.
const MAX_TOKEN_LEN: usize = 2048;

/// What an unsubscribe link turns off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Organization.
    pub org_id: String,
    /// Investor whose preference changes.
    pub investor_id: String,
    /// The fund, or `None` for every fund.
    pub fund_id: Option<String>,
    /// The event kind, or `None` for every kind.
    pub kind: Option<EventKind>,
    /// The channel turned off.
    pub channel: Channel,
    /// Unix seconds after which the link no longer works.
    pub expires_at: i64,
}

/// Why a token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token we could have written.
    #[error("malformed unsubscribe token")]
    Malformed,
    /// The signature does not match (forged, altered or another key).
    #[error("unsubscribe token signature does not match")]
    BadSignature,
    /// Past its expiry.
    #[error("unsubscribe link has expired")]
    Expired,
}

/// The signed payload: short keys keep links short.
#[derive(Serialize, Deserialize)]
struct Wire {
    o: String,
    i: String,
    f: Option<String>,
    k: Option<String>,
    c: String,
    e: i64,
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length")
}

/// Signs `claim`: base64url(JSON) "." base64url(HMAC-SHA256 of the first part).
pub fn sign(key: &[u8], claim: &Claim) -> String {
    let wire = Wire {
        o: claim.org_id.clone(),
        i: claim.investor_id.clone(),
        f: claim.fund_id.clone(),
        k: claim.kind.map(|k| k.as_str().to_string()),
        c: claim.channel.as_str().to_string(),
        e: claim.expires_at,
    };
    let json = serde_json::to_vec(&wire).expect("a claim always serializes");
    let payload = B64.encode(json);
    let mut m = mac(key);
    m.update(payload.as_bytes());
    let sig = B64.encode(m.finalize().into_bytes());
    format!("{payload}.{sig}")
}

/// Checks the signature (in constant time) before reading anything, then the expiry.
pub fn verify(key: &[u8], token: &str, now_unix: i64) -> Result<Claim, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let (payload, sig) = token.split_once('.').ok_or(TokenError::Malformed)?;
    let sig = B64.decode(sig).map_err(|_| TokenError::Malformed)?;
    let mut m = mac(key);
    m.update(payload.as_bytes());
    m.verify_slice(&sig).map_err(|_| TokenError::BadSignature)?;
    let json = B64.decode(payload).map_err(|_| TokenError::Malformed)?;
    let wire: Wire = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    let claim = Claim {
        org_id: wire.o,
        investor_id: wire.i,
        fund_id: wire.f,
        kind: wire
            .k
            .map(|k| k.parse::<EventKind>())
            .transpose()
            .map_err(|_| TokenError::Malformed)?,
        channel: wire.c.parse().map_err(|_| TokenError::Malformed)?,
        expires_at: wire.e,
    };
    if now_unix > claim.expires_at {
        return Err(TokenError::Expired);
    }
    Ok(claim)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test key of some length";

    fn claim() -> Claim {
        Claim {
            org_id: "org1".into(),
            investor_id: "inv1".into(),
            fund_id: Some("fund1".into()),
            kind: Some(EventKind::PaymentSent),
            channel: Channel::Email,
            expires_at: 1_000,
        }
    }

    #[test]
    fn round_trip_gives_the_claim_back() {
        let token = sign(KEY, &claim());
        assert_eq!(verify(KEY, &token, 999), Ok(claim()));
        assert_eq!(verify(KEY, &token, 1_000), Ok(claim()));
        let all = Claim {
            fund_id: None,
            kind: None,
            channel: Channel::Sms,
            ..claim()
        };
        assert_eq!(verify(KEY, &sign(KEY, &all), 0), Ok(all));
    }

    #[test]
    fn expired_tokens_are_refused() {
        let token = sign(KEY, &claim());
        assert_eq!(verify(KEY, &token, 1_001), Err(TokenError::Expired));
    }

    #[test]
    fn another_key_is_a_bad_signature() {
        let token = sign(KEY, &claim());
        assert_eq!(
            verify(b"another key", &token, 0),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn a_tampered_payload_or_signature_is_refused() {
        let token = sign(KEY, &claim());
        let (payload, sig) = token.split_once('.').unwrap();
        // Another investor's claim under the first claim's signature.
        let other = sign(
            KEY,
            &Claim {
                investor_id: "inv2".into(),
                ..claim()
            },
        );
        let other_payload = other.split_once('.').unwrap().0;
        assert_eq!(
            verify(KEY, &format!("{other_payload}.{sig}"), 0),
            Err(TokenError::BadSignature)
        );
        let mut flipped = sig.to_string().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            verify(KEY, &format!("{payload}.{flipped}"), 0),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        for t in ["", "abc", "a.b.c", "!!.??", &"x".repeat(5000)] {
            assert_eq!(verify(KEY, t, 0), Err(TokenError::Malformed), "{t:.20}");
        }
        // A validly signed payload that is not a claim is still malformed.
        let payload = B64.encode(b"{\"x\":1}");
        let mut m = mac(KEY);
        m.update(payload.as_bytes());
        let sig = B64.encode(m.finalize().into_bytes());
        assert_eq!(
            verify(KEY, &format!("{payload}.{sig}"), 0),
            Err(TokenError::Malformed)
        );
    }
}
