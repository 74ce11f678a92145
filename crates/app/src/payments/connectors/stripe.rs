//! Stripe-style outbound payouts: `POST /v1/payouts` (form-encoded, bearer secret key,
//! `Idempotency-Key`). A payout sends money from our balance to a destination bank account
//! registered with the provider beforehand (named by our payee id); it never charges anyone.

use clearway_core::payments::reference;
use clearway_store::payments::Payment;
use serde_json::Value;

use super::{status_outcome, transport_outcome, Outcome, Receiver};
use crate::payments::ProviderConfig;

/// The form fields of a payout for `p` to `r`.
pub fn payout_form(p: &Payment, r: &Receiver) -> Vec<(String, String)> {
    vec![
        ("amount".into(), p.amount_minor.to_string()),
        ("currency".into(), p.currency.code().to_lowercase()),
        ("destination".into(), r.payee_id.clone()),
        ("method".into(), "standard".into()),
        ("description".into(), "Fund distribution".into()),
        // The bank statement shows the descriptor: our reference token (13 of its 22).
        ("statement_descriptor".into(), reference::token(&p.id)),
        ("metadata[clearway_payment_id]".into(), p.id.clone()),
        (
            "metadata[distribution_id]".into(),
            p.distribution_id.clone(),
        ),
    ]
}

/// Creates the payout (idempotent on the payment id).
pub async fn create_payout(
    client: &reqwest::Client,
    timeout: std::time::Duration,
    cfg: &ProviderConfig,
    p: &Payment,
    r: &Receiver,
) -> Outcome {
    let url = format!("{}/v1/payouts", cfg.base_url.trim_end_matches('/'));
    let form = payout_form(p, r);
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", form_escape(k), form_escape(v)))
        .collect::<Vec<_>>()
        .join("&");
    let resp = crate::outbound::traced(client.post(url))
        .timeout(timeout)
        .bearer_auth(&cfg.api_key)
        .header("Idempotency-Key", &p.id)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => return transport_outcome(&e),
    };
    let status = resp.status();
    let text = match resp.text().await {
        Ok(t) => t,
        // The answer was cut off: the outcome is unknown, so retry with the same key.
        Err(e) => {
            return Outcome::Retry(format!(
                "provider answered {status}, reading it failed: {e}"
            ))
        }
    };
    if !status.is_success() {
        return status_outcome(status, &text, &r.account_number);
    }
    // why: a 2xx answer that is not JSON has no id, which is retried below (same key).
    let v: Value = serde_json::from_str(&text).unwrap_or_default();
    match v.get("id").and_then(|x| x.as_str()) {
        Some(id) => Outcome::Accepted {
            reference: id.to_string(),
            status: v
                .get("status")
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_string(),
        },
        None => Outcome::Retry("payout answer has no id".into()),
    }
}

/// `application/x-www-form-urlencoded` escaping.
pub fn form_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_escaping() {
        assert_eq!(
            super::form_escape("metadata[a b]&c"),
            "metadata%5Ba+b%5D%26c"
        );
    }
}
