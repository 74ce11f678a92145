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

use chrono::NaiveDate;
use clearway_core::payments::{Method, PaymentStatus};
use clearway_store::bank_accounts;
use clearway_store::jobs::{self, Job};
use clearway_store::payment_batches::{self, NewBatch};
use clearway_store::payments::{self as pstore, Payment, Update};
use clearway_store::{new_id, now_text, q, Actor, StoreError};
use serde_json::json;

use super::ProviderConfig;
use crate::jobs::JobError;
use crate::state::AppState;

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

/// Classifies a non-2xx answer.
pub fn status_outcome(status: reqwest::StatusCode, body: &str) -> Outcome {
    if status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status == reqwest::StatusCode::CONFLICT
    {
        return Outcome::Retry(format!("provider answered {status}"));
    }
    let parsed: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
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
        .unwrap_or_else(|| format!("provider answered {status}"));
    Outcome::Refused { code, message }
}

fn configured<'a>(state: &'a AppState, name: &str) -> Option<&'a ProviderConfig> {
    match name {
        MODERN_TREASURY => state.config.payments.modern_treasury.as_ref(),
        STRIPE => state.config.payments.stripe.as_ref(),
        _ => None,
    }
}

async fn call(state: &AppState, provider: &str, p: &Payment, r: &Receiver) -> Outcome {
    let (client, timeout) = (&state.http, state.config.payments.provider_timeout);
    let Some(cfg) = configured(state, provider) else {
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
    state: &AppState,
    org_id: &str,
    p: &Payment,
    code: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let mut tx = state.db.begin().await?;
    tx.execute(
        q("INSERT INTO payment_events (id, org_id, payment_id, attempt, from_status, to_status, code, reason, at) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)")
            .bind(new_id())
            .bind(org_id)
            .bind(&p.id)
            .bind(p.attempt)
            .bind(p.status.as_str())
            .bind(code)
            .bind(reason)
            .bind(now_text()),
    )
    .await?;
    tx.commit().await
}

/// The `payment.send` job (see the module docs).
pub async fn run_send_job(state: &AppState, job: &Job, worker_id: &str) -> Result<(), JobError> {
    let id = job
        .payload
        .get("paymentId")
        .and_then(|v| v.as_str())
        .ok_or_else(|| JobError::Permanent("payload has no paymentId".into()))?
        .to_string();
    let actor = Actor::system(&job.org_id);
    let cfg = &state.config.payments;

    // 1. Claim the payment for sending (PENDING → PROCESSING), choosing the provider.
    let mut tx = state.db.begin().await?;
    let p = pstore::get_tx(&mut tx, &actor, &id).await?;
    let proceed = match p.status {
        PaymentStatus::Pending if p.hold_reason.is_none() => true,
        PaymentStatus::Processing => true,
        _ => false,
    };
    if !proceed {
        jobs::finish(&mut tx, job, worker_id).await?;
        tx.commit().await?;
        return Ok(());
    }
    let payee_id = p
        .bank_account_id
        .clone()
        .ok_or_else(|| JobError::Permanent("payment has no payee".into()))?;
    let payee = bank_accounts::by_id_tx(&mut tx, &job.org_id, &payee_id).await?;
    let p = if p.status == PaymentStatus::Pending {
        let provider = if cfg.modern_treasury.is_some() {
            MODERN_TREASURY
        } else {
            STRIPE
        };
        let p = pstore::transition(
            &mut tx,
            &job.org_id,
            &p,
            PaymentStatus::Processing,
            &Update {
                provider: Some(provider.into()),
                reason: Some(format!("sending via {provider}")),
                ..Update::default()
            },
        )
        .await?;
        tx.commit().await?;
        p
    } else {
        drop(tx);
        p
    };
    let account = payee
        .account
        .as_ref()
        .map(|s| cfg.vault.open(s))
        .transpose()
        .map_err(|e| JobError::Permanent(e.to_string()))?
        .unwrap_or_default();
    let receiver = Receiver {
        method: p.method,
        name: p.payee_name.clone(),
        routing_number: payee.routing_number.clone(),
        account_number: account,
        account_type: payee.account_type.clone(),
        bic: payee.bic.clone(),
        payee_id: payee.id.clone(),
    };

    // 2. Call the provider (same idempotency key on every run).
    let mut provider = p.provider.clone().unwrap_or_else(|| MODERN_TREASURY.into());
    let mut outcome = call(state, &provider, &p, &receiver).await;
    if let Outcome::Unreachable(why) = &outcome {
        if provider == MODERN_TREASURY && cfg.stripe.is_some() {
            tracing::warn!(payment_id = %p.id, attempt = p.attempt, reason = %why, "primary provider unreachable; falling back to payouts");
            let mut tx = state.db.begin().await?;
            tx.execute(q("UPDATE payments SET provider = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND status = 'PROCESSING'").bind(STRIPE).bind(now_text()).bind(&p.id)).await?;
            tx.commit().await?;
            provider = STRIPE.into();
            outcome = call(state, &provider, &p, &receiver).await;
        }
    }

    // 3. Record the outcome with the job's completion.
    match outcome {
        Outcome::Accepted { reference, status } => {
            let mut tx = state.db.begin().await?;
            let current = pstore::get_tx(&mut tx, &actor, &id).await?;
            if current.status == PaymentStatus::Processing {
                let batch_id = new_id();
                let date = NaiveDate::parse_from_str(&current.expected_date, "%Y-%m-%d")
                    .unwrap_or_else(|_| chrono::Utc::now().date_naive());
                payment_batches::insert(
                    &mut tx,
                    &job.org_id,
                    &NewBatch {
                        id: batch_id.clone(),
                        kind: "PROVIDER",
                        distribution_id: Some(current.distribution_id.clone()),
                        status: "SUBMITTED",
                        payment_count: 1,
                        total_minor: current.amount_minor,
                        currency: current.currency.clone(),
                        effective_date: date.to_string(),
                        file_name: None,
                        file: None,
                        file_sha256: None,
                    },
                )
                .await?;
                let (trace, e2e) = match current.method {
                    Method::Ach => (Some(reference.clone()), None),
                    _ => (None, Some(super::rails::end_to_end_id(&current.id))),
                };
                pstore::transition(
                    &mut tx,
                    &job.org_id,
                    &current,
                    PaymentStatus::Sent,
                    &Update {
                        provider: Some(provider.clone()),
                        provider_ref: Some(reference.clone()),
                        batch_id: Some(batch_id),
                        trace_number: trace,
                        end_to_end_id: e2e,
                        reason: Some(format!("{provider} accepted it as {reference} ({status})")),
                        ..Update::default()
                    },
                )
                .await?;
                clearway_store::outbox::emit(
                    &mut tx,
                    &Actor::system(&job.org_id),
                    "payment.sent",
                    "payment",
                    &id,
                    json!({ "paymentId": id, "provider": provider, "providerRef": reference }),
                )
                .await?;
            }
            jobs::finish(&mut tx, job, worker_id).await?;
            tx.commit().await?;
            state.events_ready.notify_one();
            Ok(())
        }
        Outcome::Refused { code, message } => {
            let mut tx = state.db.begin().await?;
            let current = pstore::get_tx(&mut tx, &actor, &id).await?;
            if current.status == PaymentStatus::Processing {
                let failed = pstore::transition(
                    &mut tx,
                    &job.org_id,
                    &current,
                    PaymentStatus::Failed,
                    &Update {
                        code: Some("REFUSED".into()),
                        reason: Some(format!("{provider} refused it: {code}: {message}")),
                        ..Update::default()
                    },
                )
                .await?;
                pstore::after_failure(&mut tx, &job.org_id, &failed).await?;
                clearway_store::outbox::emit(&mut tx, &Actor::system(&job.org_id), "payment.failed", "payment", &id, json!({ "paymentId": id, "attempt": failed.attempt, "failureCode": "REFUSED", "failureReason": failed.failure_reason })).await?;
            }
            jobs::finish(&mut tx, job, worker_id).await?;
            tx.commit().await?;
            Ok(())
        }
        Outcome::Retry(why) | Outcome::Unreachable(why) => {
            log_attempt(
                state,
                &job.org_id,
                &p,
                "PROVIDER_ERROR",
                &format!("job attempt {}: {why}", job.attempts),
            )
            .await?;
            if job.attempts >= job.max_attempts {
                // Retries spent (5 min, 1 h, 1 day): manual review, the outcome still unknown
                // to us, so the payment stays PROCESSING under the same idempotency key.
                let mut tx = state.db.begin().await?;
                pstore::set_review(
                    &mut tx,
                    &job.org_id,
                    &id,
                    Some(&format!("RETRIES_EXHAUSTED: {provider}: {why}")),
                )
                .await?;
                jobs::finish(&mut tx, job, worker_id).await?;
                tx.commit().await?;
                return Ok(());
            }
            Err(JobError::Retryable(why))
        }
    }
}
