//! A Carta-style administrator API (the layout is documented in `docs/sync.md`):
//! - `GET {base}/v1/changes?since=<cursor>&limit=500` → `{"changes": [{"id", "type",
//!   "data": {...}}], "next_cursor", "has_more"}`;
//! - `POST {base}/v1/distributions` with `Idempotency-Key` → `{"id"}` (201 new, 200 replayed).
//!
//! Every request carries `Authorization: Bearer <token>`.

use std::collections::BTreeMap;
use std::time::Duration;

use clearway_core::retry::backoff;
use reqwest::{RequestBuilder, StatusCode};
use serde::Deserialize;

use super::{
    AdministratorConnector, ChangeRecord, ConnectorError, Cursor, OutboundBatch, Pulled,
    PushReceipt, RecordKind, RetryPolicy,
};

/// Changes asked for per page.
pub const PAGE_LIMIT: u32 = 500;

/// The name its state is kept under.
pub const NAME: &str = "CARTA_STYLE";

/// A Carta-style API over the shared HTTP client (whose resolver applies the outbound policy).
#[derive(Clone)]
pub struct CartaStyle {
    client: reqwest::Client,
    base: String,
    token: String,
    retry: RetryPolicy,
}

impl CartaStyle {
    /// The API at `base` (already checked against the outbound policy) with `token`.
    pub fn new(client: reqwest::Client, base: &str, token: &str, retry: RetryPolicy) -> Self {
        CartaStyle {
            client,
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            retry,
        }
    }

    /// Sends the request `build` makes, retrying transport faults (see the module docs of
    /// `connector`); the 2xx status and body.
    async fn send(
        &self,
        what: &str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<(StatusCode, String), ConnectorError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (why, retry_after) = match self.attempt(build()).await {
                Attempt::Done(status, body) => return Ok((status, body)),
                Attempt::Refused(why) => {
                    return Err(ConnectorError::Permanent(format!("{what}: {why}")))
                }
                Attempt::Again(why, retry_after) => (why, retry_after),
            };
            let r = &self.retry;
            let wait = backoff(r.base, r.cap, r.max_attempts, attempt, jitter_permille());
            let Some(wait) = wait else {
                return Err(ConnectorError::Transient(format!(
                    "{what}: {why} (gave up after {attempt} attempts)"
                )));
            };
            if retry_after.is_some_and(|ra| ra > r.max_retry_after) {
                return Err(ConnectorError::Transient(format!(
                    "{what}: {why} (asked to wait longer than {}s)",
                    r.max_retry_after.as_secs()
                )));
            }
            let wait = retry_after.map_or(wait, |ra| ra.max(wait));
            tracing::warn!(what, attempt, %why, wait_ms = wait.as_millis() as u64, "administrator API call failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, request: RequestBuilder) -> Attempt {
        let resp = match request
            .bearer_auth(&self.token)
            .timeout(self.retry.timeout)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => return Attempt::Again(format!("request failed: {e}"), None),
        };
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = match resp.text().await {
            Ok(b) => b,
            Err(e) => {
                return Attempt::Again(format!("answered {status}, reading failed: {e}"), None)
            }
        };
        if status.is_success() {
            return Attempt::Done(status, body);
        }
        let why = format!("answered {status}: {}", excerpt(&body));
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Attempt::Again(why, retry_after)
        } else {
            Attempt::Refused(why)
        }
    }
}

enum Attempt {
    Done(StatusCode, String),
    Again(String, Option<Duration>),
    Refused(String),
}

/// `Retry-After` as delay-seconds (an HTTP date is read as a wait until then).
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    Some(Duration::from_secs(secs.max(0) as u64))
}

/// The start of an answer, for an error message (administrators' errors carry no secrets of
/// ours; cut so a page of HTML does not fill the status).
fn excerpt(body: &str) -> String {
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

fn jitter_permille() -> u32 {
    let mut b = [0u8; 2];
    match getrandom::getrandom(&mut b) {
        Ok(()) => u32::from(u16::from_le_bytes(b)) % 1001,
        Err(_) => 500,
    }
}

#[derive(Deserialize)]
struct ChangesPage {
    changes: Vec<WireChange>,
    next_cursor: Option<String>,
    #[serde(default)]
    has_more: bool,
}

#[derive(Deserialize)]
struct WireChange {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: BTreeMap<String, serde_json::Value>,
}

/// A change's fields as text: strings as they are, `null` as empty; a number or anything else
/// is refused (amounts travel as decimal strings so that none is rounded through a float).
fn fields(change: &WireChange) -> Result<BTreeMap<String, String>, String> {
    change
        .data
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => Ok((k.clone(), s.clone())),
            serde_json::Value::Null => Ok((k.clone(), String::new())),
            _ => Err(format!(
                "change {}: field {k} must be a string or null",
                change.id
            )),
        })
        .collect()
}

/// Reads a page of the change feed.
pub fn parse_page(body: &str) -> Result<Pulled, String> {
    let page: ChangesPage =
        serde_json::from_str(body).map_err(|e| format!("not a changes page: {e}"))?;
    let records = page
        .changes
        .iter()
        .map(|c| {
            Ok(ChangeRecord {
                id: c.id.clone(),
                kind: RecordKind::parse(&c.kind),
                fields: fields(c)?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Pulled {
        records,
        next_cursor: page.next_cursor.map(Cursor),
        has_more: page.has_more,
    })
}

impl AdministratorConnector for CartaStyle {
    async fn pull(&self, since: Option<Cursor>) -> Result<Pulled, ConnectorError> {
        let url = format!("{}/v1/changes", self.base);
        let limit = PAGE_LIMIT.to_string();
        let (_, body) = self
            .send("pull", || {
                let mut q = vec![("limit", limit.as_str())];
                if let Some(c) = &since {
                    q.push(("since", c.0.as_str()));
                }
                self.client.get(&url).query(&q)
            })
            .await?;
        parse_page(&body).map_err(|e| ConnectorError::Permanent(format!("pull: {e}")))
    }

    async fn push(&self, batch: OutboundBatch) -> Result<PushReceipt, ConnectorError> {
        let url = format!("{}/v1/distributions", self.base);
        let (_, body) = self
            .send("push", || {
                self.client
                    .post(&url)
                    .header("Idempotency-Key", &batch.idempotency_key)
                    .json(&batch)
            })
            .await?;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        match v.get("id").and_then(|x| x.as_str()) {
            Some(id) => Ok(PushReceipt { id: id.to_string() }),
            None => Err(ConnectorError::Transient(
                "push: the answer has no id".into(),
            )),
        }
    }

    fn name(&self) -> &str {
        NAME
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reads_strings_and_nulls_and_refuses_numbers() {
        let body = r#"{"changes":[{"id":"c1","type":"NAV","data":{"fund_id":"F1","share_class":null,"nav_per_share":"10.25"}},
            {"id":"c2","type":"LOAN","data":{}},{"id":"c4","type":"SCHEDULE","data":{"schedule_id":"Q1"}}],"next_cursor":"p2","has_more":true}"#;
        let page = parse_page(body).unwrap();
        assert_eq!(page.records.len(), 3);
        assert_eq!(page.records[2].kind, RecordKind::Schedule);
        assert_eq!(page.records[0].kind, RecordKind::Nav);
        assert_eq!(page.records[0].fields["share_class"], "");
        assert_eq!(page.records[0].fields["nav_per_share"], "10.25");
        assert_eq!(page.records[1].kind, RecordKind::Other("LOAN".into()));
        assert_eq!(page.next_cursor, Some(Cursor("p2".into())));
        assert!(page.has_more);
        let err = parse_page(
            r#"{"changes":[{"id":"c3","type":"NAV","data":{"nav_per_share":10.25}}],"next_cursor":null}"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            "change c3: field nav_per_share must be a string or null"
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
