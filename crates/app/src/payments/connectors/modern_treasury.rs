//! Modern Treasury-style payment orders: `POST /api/payment_orders` (JSON, basic auth with the
//! organization id and API key, `Idempotency-Key`). Always `direction: "credit"`: the fund's
//! originating account pays the investor's receiving account; never a debit.

use clearway_core::payments::{reference, Method};
use clearway_store::payments::Payment;
use serde_json::{json, Value};

use super::{status_outcome, transport_outcome, Outcome, Receiver};
use crate::payments::ProviderConfig;

/// The JSON body of a payment order for `p` to `r`.
pub fn payment_order_body(cfg: &ProviderConfig, p: &Payment, r: &Receiver) -> Value {
    let (kind, account_details, routing_details) = match r.method {
        Method::Wire => {
            let is_iban =
                clearway_formats::iso20022::pain001::validate_iban(&r.account_number).is_ok();
            (
                "wire",
                json!([{ "account_number": r.account_number, "account_number_type": if is_iban { "iban" } else { "other" } }]),
                // why: payees are stored with checked BIC / routing numbers; the provider refuses an empty one (4xx → review)
                json!([{ "routing_number": r.bic.clone().unwrap_or_default(), "routing_number_type": "swift" }]),
            )
        }
        _ => (
            "ach",
            json!([{ "account_number": r.account_number }]),
            json!([{ "routing_number": r.routing_number.clone().unwrap_or_default(), "routing_number_type": "aba" }]),
        ),
    };
    json!({
        "type": kind,
        "direction": "credit",
        "amount": p.amount_minor,
        "currency": p.currency,
        "originating_account_id": cfg.originating_account_id,
        "effective_date": p.expected_date,
        "description": "Fund distribution",
        // Led by our reference token, which the bank echoes on the statement.
        "remittance_information": format!("{} Fund distribution", reference::token(&p.id)),
        "receiving_account": {
            "party_name": r.name,
            "account_type": r.account_type.as_deref().map(str::to_lowercase).unwrap_or_else(|| "checking".into()),
            "account_details": account_details,
            "routing_details": routing_details,
        },
        "metadata": { "clearway_payment_id": p.id, "distribution_id": p.distribution_id, "attempt": p.attempt.to_string() },
    })
}

/// Creates the payment order (idempotent on the payment id).
pub async fn create_payment_order(
    client: &reqwest::Client,
    timeout: std::time::Duration,
    cfg: &ProviderConfig,
    p: &Payment,
    r: &Receiver,
) -> Outcome {
    let url = format!("{}/api/payment_orders", cfg.base_url.trim_end_matches('/'));
    let resp = crate::outbound::traced(client.post(url))
        .timeout(timeout)
        .basic_auth(&cfg.organization_id, Some(&cfg.api_key))
        .header("Idempotency-Key", &p.id)
        .json(&payment_order_body(cfg, p, r))
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => return transport_outcome(&e),
    };
    let status = resp.status();
    let body = match resp.text().await {
        Ok(t) => t,
        // The answer was cut off: the outcome is unknown, so retry with the same key.
        Err(e) => {
            return Outcome::Retry(format!(
                "provider answered {status}, reading it failed: {e}"
            ))
        }
    };
    if !status.is_success() {
        return status_outcome(status, &body, &r.account_number);
    }
    // why: a 2xx answer that is not JSON has no id, which is retried below (same key).
    let v: Value = serde_json::from_str(&body).unwrap_or_default();
    match v.get("id").and_then(|x| x.as_str()) {
        Some(id) => Outcome::Accepted {
            reference: id.to_string(),
            status: v
                .get("status")
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_string(),
        },
        None => Outcome::Retry("payment order answer has no id".into()),
    }
}
