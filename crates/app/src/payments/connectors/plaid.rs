//! Plaid-style account verification: exchange the public token from the investor's bank link
//! for an access token (`POST /item/public_token/exchange`), read the account and routing
//! numbers (`POST /auth/get`), and verify the payee if one of them matches it exactly.

use std::time::Duration;

use serde_json::{json, Value};

use crate::payments::PlaidConfig;

/// Why verification did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum PlaidError {
    /// The service refused the token or answered with an error.
    #[error("verification service refused: {0}")]
    Refused(String),
    /// The service could not be reached or answered nonsense.
    #[error("verification service unavailable: {0}")]
    Unavailable(String),
}

async fn post(
    client: &reqwest::Client,
    timeout: Duration,
    cfg: &PlaidConfig,
    path: &str,
    mut body: Value,
) -> Result<Value, PlaidError> {
    body["client_id"] = json!(cfg.client_id);
    body["secret"] = json!(cfg.secret);
    let resp = crate::outbound::traced(
        client.post(format!("{}{path}", cfg.base_url.trim_end_matches('/'))),
    )
    .timeout(timeout)
    .json(&body)
    .send()
    .await
    .map_err(|e| PlaidError::Unavailable(e.to_string()))?;
    let status = resp.status();
    let v: Value = resp
        .json()
        .await
        .map_err(|e| PlaidError::Unavailable(e.to_string()))?;
    if status.is_success() {
        Ok(v)
    } else if status.is_client_error() {
        Err(PlaidError::Refused(
            v.get("error_code")
                .and_then(|c| c.as_str())
                .unwrap_or("ERROR")
                .to_string(),
        ))
    } else {
        Err(PlaidError::Unavailable(format!("answered {status}")))
    }
}

/// The (routing, account) pairs of the item behind `public_token`.
pub async fn ach_numbers(
    client: &reqwest::Client,
    timeout: Duration,
    cfg: &PlaidConfig,
    public_token: &str,
) -> Result<Vec<(String, String)>, PlaidError> {
    let exchanged = post(
        client,
        timeout,
        cfg,
        "/item/public_token/exchange",
        json!({ "public_token": public_token }),
    )
    .await?;
    let access = exchanged
        .get("access_token")
        .and_then(|v| v.as_str())
        .ok_or_else(|| PlaidError::Unavailable("no access_token".into()))?
        .to_string();
    let auth = post(
        client,
        timeout,
        cfg,
        "/auth/get",
        json!({ "access_token": access }),
    )
    .await?;
    Ok(auth
        .pointer("/numbers/ach")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|n| {
                    Some((
                        n.get("routing")?.as_str()?.to_string(),
                        n.get("account")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        // why: no ACH numbers in the answer means nothing matches: the payee is not verified
        .unwrap_or_default())
}
