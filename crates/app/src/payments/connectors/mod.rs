//! Provider connectors over HTTP: Modern Treasury-style payment orders (primary), Stripe-style
//! payouts (fallback), and a Plaid-style account verifier.
//!
//! Sending one payment (`payment.send` job), crash-safe and never twice:
//! 1. in a first transaction the payment goes PENDING → PROCESSING and the provider is chosen
//!    and recorded; that commits before any call;
//! 2. the provider is called with `Idempotency-Key: <payment id>`; a re-run after a crash (the
//!    payment found PROCESSING) calls the same provider with the same key, which returns the
//!    order it already created instead of paying again;
//! 3. a second transaction records the provider's id, moves the payment to SENT and finishes
//!    the job.
//!
//! We fall back from the primary to the secondary provider only when the primary could not be
//! reached at all (connection refused: the request never arrived). A timeout or a 5xx leaves
//! the outcome unknown, so it is retried with the same provider and key (5 min, 1 h, 1 day via
//! the job queue), then the payment goes to manual review. A 4xx is a refusal: FAILED, review.

pub mod modern_treasury;
pub mod plaid;
pub mod stripe;

use clearway_core::payments::{reference, Method, PaymentStatus};
use clearway_store::bank_accounts;
use clearway_store::jobs::{self, Job};
use clearway_store::payment_batches::{self, NewBatch};
use clearway_store::payments::{self as pstore, Payment, Update};
use clearway_store::{new_id, Actor, StoreError};
use serde_json::json;

use super::{PaymentsConfig, ProviderConfig};
use crate::jobs::JobError;
use clearway_store::Db;

/// Job kind: send one payment through a provider.
pub const SEND_JOB: &str = "payment.send";

/// Provider names as stored on payments.
pub const MODERN_TREASURY: &str = "MODERN_TREASURY";
/// Stripe-style payouts.
pub const STRIPE: &str = "STRIPE";

/// What a provider said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted: the provider's id for the payment and its status.
    Accepted {
        /// Provider id (payment order / payout id).
        reference: String,
        /// Provider status text.
        status: String,
    },
    /// Could not connect: the request never arrived (safe to try the fallback).
    Unreachable(String),
    /// Outcome unknown or provider trouble (timeout, 5xx, 409 in progress): retry, same key.
    Retry(String),
    /// Refused the instruction (4xx): a person must look.
    Refused {
        /// Provider error code.
        code: String,
        /// Message.
        message: String,
    },
}

/// The payee details a provider needs, decrypted just for the call.
#[derive(Clone)]
pub struct Receiver {
    /// ACH / wire.
    pub method: Method,
    /// Account holder.
    pub name: String,
    /// ACH routing number.
    pub routing_number: Option<String>,
    /// Account number or IBAN (clear, never logged).
    pub account_number: String,
    /// CHECKING / SAVINGS.
    pub account_type: Option<String>,
    /// Wire BIC.
    pub bic: Option<String>,
    /// Our payee id (Stripe-style payouts name a destination registered beforehand).
    pub payee_id: String,
}

/// Classifies a reqwest failure.
pub fn transport_outcome(e: &reqwest::Error) -> Outcome {
    if e.is_connect() {
        Outcome::Unreachable(format!("could not connect: {e}"))
    } else {
        Outcome::Retry(format!("request failed: {e}"))
    }
}

/// Longest excerpt of a provider's answer kept in a failure reason.
const BODY_EXCERPT_CHARS: usize = 200;

/// A provider's answer as it may be stored and shown in a failure reason: the receiver's
/// account number and any other run of 8 or more digits masked, whitespace collapsed, cut to
/// [`BODY_EXCERPT_CHARS`] characters.
pub fn body_excerpt(body: &str, account_number: &str) -> String {
    let body = if account_number.is_empty() {
        body.to_string()
    } else {
        body.replace(account_number, "****")
    };
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 8 {
            out.push_str("****");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in body
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
    {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    match out.char_indices().nth(BODY_EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &out[..cut]),
        None => out,
    }
}

/// "provider answered 503: <excerpt>" (without the colon when the answer is empty).
fn answered(status: reqwest::StatusCode, excerpt: &str) -> String {
    if excerpt.is_empty() {
        format!("provider answered {status}")
    } else {
        format!("provider answered {status}: {excerpt}")
    }
}

/// Classifies a non-2xx answer. The reason says what the provider said: its error message,
/// or else an excerpt of its answer ([`body_excerpt`], `account_number` masked out).
pub fn status_outcome(status: reqwest::StatusCode, body: &str, account_number: &str) -> Outcome {
    let excerpt = body_excerpt(body, account_number);
    if status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status == reqwest::StatusCode::CONFLICT
    {
        return Outcome::Retry(answered(status, &excerpt));
    }
    // why: a body that is not JSON (an HTML error page) has no code or message to read; the
    // excerpt below carries it into the reason instead.
    let parsed: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    // why: no error object → the defaults below (REFUSED, the answer's excerpt).
    let err = parsed
        .get("errors")
        .or_else(|| parsed.get("error"))
        .cloned()
        .unwrap_or_default();
    let code = err
        .get("code")
        .and_then(|v| v.as_str())
        .unwrap_or("REFUSED")
        .to_string();
    let message = err
        .get("message")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| answered(status, &excerpt));
    Outcome::Refused { code, message }
}

fn configured<'a>(cfg: &'a PaymentsConfig, name: &str) -> Option<&'a ProviderConfig> {
    match name {
        MODERN_TREASURY => cfg.modern_treasury.as_ref(),
        STRIPE => cfg.stripe.as_ref(),
        _ => None,
    }
}

async fn call(
    client: &reqwest::Client,
    payments: &PaymentsConfig,
    provider: &str,
    p: &Payment,
    r: &Receiver,
) -> Outcome {
    let timeout = payments.provider_timeout;
    let Some(cfg) = configured(payments, provider) else {
        return Outcome::Refused {
            code: "NOT_CONFIGURED".into(),
            message: format!("provider {provider} is not configured"),
        };
    };
    match provider {
        MODERN_TREASURY => modern_treasury::create_payment_order(client, timeout, cfg, p, r).await,
        _ => stripe::create_payout(client, timeout, cfg, p, r).await,
    }
}

async fn log_attempt(
    db: &Db,
    actor: &Actor,
    p: &Payment,
    code: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    pstore::log_attempt(&mut tx, actor, p, code, reason).await?;
    tx.commit().await
}

/// The `payment.send` job (see the module docs).
pub async fn run_send_job(
    db: &Db,
    cfg: &PaymentsConfig,
    client: &reqwest::Client,
    job: &Job,
    worker_id: &str,
) -> Result<(), JobError> {
    let id = crate::jobs::payload_text(job, "paymentId")?;
    let send = SendRun {
        db,
        actor: Actor::system(&job.org_id),
        job,
        worker_id,
        id,
    };
    // 1. Claim the payment for sending (PENDING → PROCESSING), choosing the provider.
    let Some((p, payee)) = send.claim(cfg).await? else {
        return Ok(());
    };
    let receiver = receiver_of(cfg, &p, &payee)?;
    // 2. Call the provider (same idempotency key on every run).
    let (provider, outcome) = send.call_provider(client, cfg, &p, &receiver).await?;
    // 3. Record the outcome with the job's completion.
    match outcome {
        Outcome::Accepted { reference, status } => {
            send.record_accepted(&provider, &reference, &status).await
        }
        Outcome::Refused { code, message } => {
            let reason = format!("{provider} refused it: {code}: {message}");
            send.record_refused(&reason).await
        }
        Outcome::Retry(why) | Outcome::Unreachable(why) => {
            send.record_unknown(&p, &provider, why).await
        }
    }
}

/// The payee details a provider needs, the account number opened just for the call.
fn receiver_of(
    cfg: &PaymentsConfig,
    p: &Payment,
    payee: &bank_accounts::BankAccount,
) -> Result<Receiver, JobError> {
    let account = payee
        .account
        .as_ref()
        .map(|s| cfg.vault.open(s))
        .transpose()
        .map_err(|e| JobError::Permanent(e.to_string()))?
        // why: Stripe-style payouts name a registered destination, not the number; a provider that needs one refuses an empty one (4xx → review)
        .unwrap_or_default();
    Ok(Receiver {
        method: p.method,
        name: p.payee_name.clone(),
        routing_number: payee.routing_number.clone(),
        account_number: account,
        account_type: payee.account_type.clone(),
        bic: payee.bic.clone(),
        payee_id: payee.id.clone(),
    })
}

/// One run of the `payment.send` job: what every step needs.
struct SendRun<'a> {
    db: &'a Db,
    actor: Actor,
    job: &'a Job,
    worker_id: &'a str,
    id: String,
}

impl SendRun<'_> {
    fn org_id(&self) -> &str {
        &self.job.org_id
    }

    /// Step 1: the payment and its payee if it is to be sent (PENDING and unheld: moved to
    /// PROCESSING with the chosen provider, committed before any call; or PROCESSING: a re-run).
    /// Otherwise finishes the job and returns `None`.
    async fn claim(
        &self,
        cfg: &PaymentsConfig,
    ) -> Result<Option<(Payment, bank_accounts::BankAccount)>, JobError> {
        let mut tx = self.db.begin().await?;
        let p = pstore::get_tx(&mut tx, &self.actor, &self.id).await?;
        let proceed = match p.status {
            PaymentStatus::Pending if p.hold_reason.is_none() => true,
            PaymentStatus::Processing => true,
            _ => false,
        };
        if !proceed {
            jobs::finish(&mut tx, self.job, self.worker_id).await?;
            tx.commit().await?;
            return Ok(None);
        }
        let payee_id = p
            .bank_account_id
            .clone()
            .ok_or_else(|| JobError::Permanent("payment has no payee".into()))?;
        let payee = bank_accounts::by_id_tx(&mut tx, &self.actor, &payee_id).await?;
        if p.status != PaymentStatus::Pending {
            return Ok(Some((p, payee)));
        }
        let provider = if cfg.modern_treasury.is_some() {
            MODERN_TREASURY
        } else {
            STRIPE
        };
        let update = Update {
            provider: Some(provider.into()),
            reason: Some(format!("sending via {provider}")),
            ..Update::default()
        };
        let p = pstore::transition(&mut tx, &self.actor, &p, PaymentStatus::Processing, &update)
            .await?;
        tx.commit().await?;
        Ok(Some((p, payee)))
    }

    /// Step 2: calls the payment's provider; falls back from the primary to the secondary only
    /// when the primary could not be reached at all. Returns the provider that answered.
    async fn call_provider(
        &self,
        client: &reqwest::Client,
        cfg: &PaymentsConfig,
        p: &Payment,
        receiver: &Receiver,
    ) -> Result<(String, Outcome), JobError> {
        let provider = p.provider.clone().unwrap_or_else(|| MODERN_TREASURY.into());
        let outcome = call(client, cfg, &provider, p, receiver).await;
        let Outcome::Unreachable(why) = &outcome else {
            return Ok((provider, outcome));
        };
        if provider != MODERN_TREASURY || cfg.stripe.is_none() {
            return Ok((provider, outcome));
        }
        tracing::warn!(payment_id = %p.id, attempt = p.attempt, reason = %why, "primary provider unreachable; falling back to payouts");
        let mut tx = self.db.begin().await?;
        pstore::switch_provider(&mut tx, &self.actor, p, STRIPE).await?;
        tx.commit().await?;
        Ok((STRIPE.into(), call(client, cfg, STRIPE, p, receiver).await))
    }

    /// Step 3, accepted: a PROVIDER batch of one, the payment SENT with the provider's id, the
    /// `payment.sent` event, and the job's completion, in one transaction.
    async fn record_accepted(
        &self,
        provider: &str,
        reference: &str,
        status: &str,
    ) -> Result<(), JobError> {
        let (org_id, id) = (self.org_id(), &self.id);
        let mut tx = self.db.begin().await?;
        let current = pstore::get_tx(&mut tx, &self.actor, id).await?;
        if current.status == PaymentStatus::Processing {
            let batch_id = new_id();
            payment_batches::insert(&mut tx, &self.actor, &provider_batch(&batch_id, &current))
                .await?;
            let (trace, e2e) = match current.method {
                Method::Ach => (Some(reference.to_string()), None),
                // The provider sent our reference token (see the request bodies).
                _ => (None, Some(reference::token(&current.id))),
            };
            let update = Update {
                provider: Some(provider.to_string()),
                provider_ref: Some(reference.to_string()),
                batch_id: Some(batch_id),
                trace_number: trace,
                end_to_end_id: e2e,
                reason: Some(format!("{provider} accepted it as {reference} ({status})")),
                ..Update::default()
            };
            pstore::transition(&mut tx, &self.actor, &current, PaymentStatus::Sent, &update)
                .await?;
            let payload =
                json!({ "paymentId": id, "provider": provider, "providerRef": reference });
            clearway_store::outbox::emit(
                &mut tx,
                &Actor::system(org_id),
                "payment.sent",
                "payment",
                id,
                payload,
            )
            .await?;
        }
        jobs::finish(&mut tx, self.job, self.worker_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Step 3, refused: the payment FAILED (code REFUSED, `reason`), its follow-up (review),
    /// the `payment.failed` event and the job's completion, in one transaction.
    async fn record_refused(&self, reason: &str) -> Result<(), JobError> {
        let (org_id, id) = (self.org_id(), &self.id);
        let mut tx = self.db.begin().await?;
        let current = pstore::get_tx(&mut tx, &self.actor, id).await?;
        if current.status == PaymentStatus::Processing {
            let update = Update {
                code: Some("REFUSED".into()),
                reason: Some(reason.to_string()),
                ..Update::default()
            };
            let failed = pstore::transition(
                &mut tx,
                &self.actor,
                &current,
                PaymentStatus::Failed,
                &update,
            )
            .await?;
            pstore::after_failure(&mut tx, &self.actor, &failed).await?;
            let payload = json!({ "paymentId": id, "attempt": failed.attempt, "failureCode": "REFUSED", "failureReason": failed.failure_reason });
            clearway_store::outbox::emit(
                &mut tx,
                &Actor::system(org_id),
                "payment.failed",
                "payment",
                id,
                payload,
            )
            .await?;
        }
        jobs::finish(&mut tx, self.job, self.worker_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Step 3, outcome unknown: logged; retried by the job queue with the same key, or, once
    /// the retries are spent, left PROCESSING in the manual-review queue.
    async fn record_unknown(
        &self,
        p: &Payment,
        provider: &str,
        why: String,
    ) -> Result<(), JobError> {
        let attempt = format!("job attempt {}: {why}", self.job.attempts);
        log_attempt(self.db, &self.actor, p, "PROVIDER_ERROR", &attempt).await?;
        if self.job.attempts < self.job.max_attempts {
            return Err(JobError::Retryable(why));
        }
        // Retries spent (5 min, 1 h, 1 day): manual review, the outcome still unknown to us,
        // so the payment stays PROCESSING under the same idempotency key.
        let mut tx = self.db.begin().await?;
        let review = format!("RETRIES_EXHAUSTED: {provider}: {why}");
        pstore::set_review(&mut tx, &self.actor, &self.id, Some(&review)).await?;
        jobs::finish(&mut tx, self.job, self.worker_id).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The PROVIDER batch of one payment sent through a provider.
fn provider_batch(batch_id: &str, p: &Payment) -> NewBatch {
    NewBatch {
        id: batch_id.to_string(),
        kind: "PROVIDER",
        distribution_id: Some(p.distribution_id.clone()),
        status: "SUBMITTED",
        payment_count: 1,
        total_minor: p.amount_minor,
        currency: p.currency.code().to_string(),
        effective_date: p.expected_date.to_string(),
        file_name: None,
        file: None,
        file_sha256: None,
        file_batch_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn a_refusal_without_an_error_message_keeps_the_answer_masked_and_cut() {
        let body = format!(
            "<html><body>Account 000123456789 rejected: beneficiary bank closed {}</body></html>",
            "x".repeat(400)
        );
        let Outcome::Refused { code, message } =
            status_outcome(StatusCode::BAD_REQUEST, &body, "000123456789")
        else {
            panic!("a 400 is a refusal");
        };
        assert_eq!(code, "REFUSED");
        assert!(message.starts_with(
            "provider answered 400 Bad Request: <html><body>Account **** rejected: beneficiary bank closed xxx"
        ), "{message}");
        assert!(!message.contains("123456789"), "{message}");
        assert!(message.ends_with('…'), "{message}");
        assert!(message.chars().count() < 260, "{message}");
    }

    #[test]
    fn a_provider_error_keeps_the_answer_and_masks_long_digit_runs() {
        let Outcome::Retry(why) = status_outcome(
            StatusCode::SERVICE_UNAVAILABLE,
            "upstream timeout for 021000021 / acct 99887766554433",
            "",
        ) else {
            panic!("a 503 is retried");
        };
        assert_eq!(
            why,
            "provider answered 503 Service Unavailable: upstream timeout for **** / acct ****"
        );
    }

    #[test]
    fn an_error_message_is_used_as_is_and_an_empty_answer_says_only_the_status() {
        let body = r#"{"errors":{"code":"invalid_account","message":"The account is closed"}}"#;
        assert_eq!(
            status_outcome(StatusCode::UNPROCESSABLE_ENTITY, body, "1234"),
            Outcome::Refused {
                code: "invalid_account".into(),
                message: "The account is closed".into()
            }
        );
        assert_eq!(
            status_outcome(StatusCode::BAD_GATEWAY, "", ""),
            Outcome::Retry("provider answered 502 Bad Gateway".into())
        );
    }
}
