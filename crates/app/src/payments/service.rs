//! Building payments: which payee, which currency and amount (FX), which rail; retries and the
//! re-queue after a payee update. Everything here runs inside the caller's transaction (but
//! [`retry`] and the retry job, which open their own) and enqueues the sending jobs in it, so a
//! payment exists iff its sending job does.
//!
//! A line with no usable payee (no verified default bank account or address), or paid in a
//! currency we have no FX rate for, is not silently dropped: it gets a FAILED payment with
//! code `NO_PAYEE` / `NO_FX_RATE` and a review reason, so it shows in the manual-review queue,
//! and the line is FAILED. Adding or fixing the payee re-queues it (see [`requeue_for_investor`]).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Weekday};
use clearway_core::calendar::{Calendar, Roll};
use clearway_core::payments::fx::Rate;
use clearway_core::payments::limits::AchLimits;
use clearway_core::payments::{Method, PaymentStatus};
use clearway_core::Currency;
use clearway_store::audit::{self, Change};
use clearway_store::bank_accounts::{self, BankAccount};
use clearway_store::distributions::{self as dstore, Distribution};
use clearway_store::jobs::{self, Job};
use clearway_store::payments::{self as pstore, LineToPay, NewPayment, Payment, Update};
use clearway_store::{fx, new_id, now_text, outbox, Actor, StoreError, Tx};
use serde_json::json;

use super::rails;
use crate::jobs::JobError;
use clearway_store::Db;

/// Which lines [`initiate`] pays.
pub use clearway_store::payments::LineScope as Scope;

/// What [`initiate`] did.
#[derive(Debug, Clone, Default)]
pub struct Initiated {
    /// Payments created, by id, that will be sent.
    pub pending: Vec<String>,
    /// Payments created FAILED (no payee, no FX rate): in the review queue.
    pub failed: Vec<String>,
    /// Payments created PENDING but held for review (oversized without a wire instruction,
    /// payee blocked), with the reason: never sent until a person acts.
    pub held: Vec<(String, String)>,
}

/// The first ACH settlement day on or after `d`: a weekday that is not a Federal Reserve
/// holiday (so NACHA effective entry dates never fall on one). Outside the calendar's years
/// (2000–2040) only weekends are skipped, as before the calendar existed.
pub fn business_day_on_or_after(d: NaiveDate) -> NaiveDate {
    if let Ok(day) = Calendar::UsFed.roll(d, Roll::Following) {
        return day;
    }
    let mut day = d;
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day.succ_opt().unwrap_or(day);
    }
    day
}

/// The date a payment of `d` is expected to leave: its payable date, or the next business day
/// if that has passed.
pub fn expected_date(d: &Distribution) -> NaiveDate {
    business_day_on_or_after(d.schedule.payable.max(chrono::Utc::now().date_naive()))
}

/// Newest FX rate per payment currency, looked up once per run.
struct FxCache {
    fund: Currency,
    at: String,
    rates: HashMap<String, Option<(Rate, String, String)>>,
}

impl FxCache {
    async fn get(
        &mut self,
        tx: &mut Tx,
        actor: &Actor,
        quote: Currency,
    ) -> Result<Option<(Rate, String, String)>, StoreError> {
        if let Some(hit) = self.rates.get(quote.code()) {
            return Ok(hit.clone());
        }
        let found = fx::latest(tx, actor, self.fund.code(), quote.code(), &self.at).await?;
        let value = match found {
            Some(r) => {
                let rate = r
                    .rate
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("fx rate {}: {e}", r.rate)))?;
                Some((
                    Rate {
                        base: self.fund,
                        quote,
                        rate,
                    },
                    r.source,
                    r.as_of,
                ))
            }
            None => None,
        };
        self.rates.insert(quote.code().to_string(), value.clone());
        Ok(value)
    }
}

/// Builds the payment of one line to `payee` (or a FAILED one when it cannot be paid).
#[allow(clippy::too_many_arguments)]
async fn build(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    line: &LineToPay,
    payee: Option<&BankAccount>,
    fx: &mut FxCache,
    attempt: i64,
    retry_of: Option<String>,
) -> Result<NewPayment, StoreError> {
    let mut p = NewPayment {
        id: new_id(),
        distribution_id: d.id.clone(),
        investor_id: line.investor_id.clone(),
        method: payee.map(|b| b.method).unwrap_or(Method::Ach),
        status: PaymentStatus::Pending,
        currency: d.currency.code().to_string(),
        amount_minor: line.cash_minor,
        fund_amount_minor: line.cash_minor,
        payee_name: payee
            .map(|b| b.holder_name.clone())
            .unwrap_or_else(|| line.investor_name.clone()),
        expected_date: expected_date(d),
        attempt,
        retry_of,
        bank_account_id: payee.map(|b| b.id.clone()),
        fx: None,
        failure_code: None,
        failure_reason: None,
        review_reason: None,
    };
    let fail = |p: &mut NewPayment, code: &str, reason: String| {
        p.status = PaymentStatus::Failed;
        p.failure_code = Some(code.into());
        p.review_reason = Some(format!("{code}: {reason}"));
        p.failure_reason = Some(reason);
    };
    let Some(payee) = payee.filter(|b| b.usable()) else {
        let reason = match payee {
            Some(b) => format!("the default payee is {} (not verified)", b.status),
            None => "no payment method: the investor has no default payee".to_string(),
        };
        fail(&mut p, "NO_PAYEE", reason);
        return Ok(p);
    };
    let quote = Currency::parse(&payee.currency).map_err(StoreError::Corrupt)?;
    if quote != d.currency {
        match fx.get(tx, actor, quote).await? {
            None => fail(
                &mut p,
                "NO_FX_RATE",
                format!(
                    "no {}→{} exchange rate has been imported",
                    d.currency, quote
                ),
            ),
            Some((rate, source, as_of)) => match rate.convert(line.cash_minor) {
                Ok(amount) => {
                    p.currency = quote.code().to_string();
                    p.amount_minor = amount;
                    p.fx = Some((rate.rate.to_string(), source, as_of));
                }
                Err(e) => fail(&mut p, "FX", e.to_string()),
            },
        }
    }
    Ok(p)
}

/// A payment built for a line, and why it is held for review instead of sent (if it is).
struct Built {
    payment: NewPayment,
    hold: Option<String>,
}

/// [`build`], then the checks made before money moves: a payee blocked after a bank return
/// holds the payment (`PAYEE_BLOCKED`); an ACH credit above the rail's limit goes by wire
/// when the investor has a usable wire instruction, else it is held (`OVERSIZED`).
#[allow(clippy::too_many_arguments)]
async fn build_routed(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    line: &LineToPay,
    payee: Option<&BankAccount>,
    wire: Option<&BankAccount>,
    limits: &AchLimits,
    fx: &mut FxCache,
    attempt: i64,
    retry_of: Option<String>,
) -> Result<Built, StoreError> {
    let p = build(tx, actor, d, line, payee, fx, attempt, retry_of.clone()).await?;
    if p.status != PaymentStatus::Pending {
        return Ok(Built {
            payment: p,
            hold: None,
        });
    }
    if p.method == Method::Ach && !limits.entry_fits(p.amount_minor) {
        if let Some(wire) = wire {
            let p = build(tx, actor, d, line, Some(wire), fx, attempt, retry_of).await?;
            return Ok(Built {
                hold: blocked_hold(Some(wire)),
                payment: p,
            });
        }
        let hold = oversized_reason(p.amount_minor, limits);
        return Ok(Built {
            payment: p,
            hold: Some(hold),
        });
    }
    Ok(Built {
        hold: blocked_hold(payee),
        payment: p,
    })
}

/// `OVERSIZED: 150000000.00 USD above the ACH limit 99999999.99 USD; no wire instruction`.
pub fn oversized_reason(amount_minor: i64, limits: &AchLimits) -> String {
    let usd = Currency::USD;
    format!(
        "OVERSIZED: {} USD above the ACH limit {} USD; no wire instruction",
        usd.format_minor(amount_minor),
        usd.format_minor(limits.entry_max_minor())
    )
}

/// The hold of a payment to a payee blocked after a bank return.
fn blocked_hold(payee: Option<&BankAccount>) -> Option<String> {
    payee
        .and_then(|b| b.blocked_reason.as_ref())
        .map(|why| format!("PAYEE_BLOCKED: {why}"))
}

/// Creates the payments of a distribution's unpaid lines, moves the lines, and enqueues the
/// jobs that send them — all in `tx`.
pub async fn initiate(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    scope: Scope,
    limits: &AchLimits,
) -> Result<Initiated, StoreError> {
    let lines = pstore::lines_to_pay(tx, actor, &d.id, scope, None).await?;
    if lines.is_empty() {
        return Ok(Initiated::default());
    }
    let payees: HashMap<String, BankAccount> = bank_accounts::defaults_for(tx, actor, &d.id)
        .await?
        .into_iter()
        .map(|b| (b.investor_id.clone(), b))
        .collect();
    let wires = bank_accounts::wire_instructions(tx, actor, Some(&d.id), None).await?;
    let mut fx = FxCache {
        fund: d.currency,
        at: now_text(),
        rates: HashMap::new(),
    };
    let mut new = Vec::with_capacity(lines.len());
    let mut holds = HashMap::new();
    for line in &lines {
        let (attempt, retry_of) = match &line.last {
            Some((id, a)) => (a + 1, Some(id.clone())),
            None => (1, None),
        };
        let built = build_routed(
            tx,
            actor,
            d,
            line,
            payees.get(&line.investor_id),
            wires.get(&line.investor_id),
            limits,
            &mut fx,
            attempt,
            retry_of,
        )
        .await?;
        if let Some(hold) = built.hold {
            holds.insert(built.payment.id.clone(), hold);
        }
        new.push(built.payment);
    }
    let (new, unchanged) = drop_repeated_failures(tx, actor, &lines, new).await?;
    if new.is_empty() {
        return Ok(Initiated {
            pending: Vec::new(),
            failed: unchanged,
            held: Vec::new(),
        });
    }
    insert_and_send(tx, actor, d, &new, &holds).await?;
    let held = hold_built(tx, actor, d, &new, &holds).await?;
    // Replaced attempts leave the review queue: the new attempt carries the line now.
    if scope == Scope::Unpaid {
        for p in &new {
            if let Some(old) = &p.retry_of {
                pstore::set_review(tx, actor, old, None).await?;
            }
        }
    }
    let out = Initiated {
        pending: new
            .iter()
            .filter(|p| p.status == PaymentStatus::Pending && !holds.contains_key(&p.id))
            .map(|p| p.id.clone())
            .collect(),
        failed: new
            .iter()
            .filter(|p| p.status == PaymentStatus::Failed)
            .map(|p| p.id.clone())
            .chain(unchanged)
            .collect(),
        held,
    };
    let mut by_method: HashMap<&str, i64> = HashMap::new();
    for p in new.iter().filter(|p| p.status == PaymentStatus::Pending) {
        *by_method.entry(p.method.as_str()).or_default() += 1;
    }
    let summary = json!({ "distributionId": d.id, "pending": out.pending.len(), "failed": out.failed.len(), "held": out.held.len(), "byMethod": by_method });
    // A payment run is its own entity: the distribution's trail stays the lifecycle's.
    let run_id = new_id();
    audit::record(
        tx,
        actor,
        Change {
            action: "payments.initiate",
            entity_type: "payment_run",
            entity_id: &run_id,
            before: None,
            after: Some(summary.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "payments.initiated",
        "payment_run",
        &run_id,
        summary,
    )
    .await?;
    for p in new.iter().filter(|p| p.status == PaymentStatus::Failed) {
        outbox::emit(
            tx,
            actor,
            "payment.failed",
            "payment",
            &p.id,
            json!({ "paymentId": p.id, "distributionId": d.id, "investorId": p.investor_id, "attempt": p.attempt, "failureCode": p.failure_code, "failureReason": p.failure_reason }),
        )
        .await?;
    }
    Ok(out)
}

/// A new attempt that would fail exactly as its line's last attempt did (same failure code:
/// still no payee, still no FX rate) is not made: repeating `POST …/payments` before the cause
/// is fixed adds no FAILED rows. `built` is parallel to `lines`. Returns the attempts to make
/// and the ids of the last attempts that stand unchanged.
async fn drop_repeated_failures(
    tx: &mut Tx,
    actor: &Actor,
    lines: &[LineToPay],
    built: Vec<NewPayment>,
) -> Result<(Vec<NewPayment>, Vec<String>), StoreError> {
    let mut keep = Vec::with_capacity(built.len());
    let mut unchanged = Vec::new();
    for (line, p) in lines.iter().zip(built) {
        if let (PaymentStatus::Failed, Some((last_id, _))) = (p.status, &line.last) {
            let last = pstore::get_tx(tx, actor, last_id).await?;
            if last.status == PaymentStatus::Failed && last.failure_code == p.failure_code {
                unchanged.push(last.id);
                continue;
            }
        }
        keep.push(p);
    }
    Ok((keep, unchanged))
}

/// Inserts payments, moves their lines, and enqueues their sending jobs.
async fn insert_and_send(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    new: &[NewPayment],
    holds: &HashMap<String, String>,
) -> Result<(), StoreError> {
    pstore::insert_many(tx, actor, new).await.map_err(|e| {
        if e.is_unique_violation() {
            StoreError::Conflict("a line of this distribution already has a live payment".into())
        } else {
            e
        }
    })?;
    // Lines follow their new payment: PENDING → PAYMENT_INITIATED, FAILED → FAILED.
    pstore::lines_follow_new_payments(tx, actor, &d.id).await?;
    enqueue_sending(
        tx,
        &actor.org_id,
        &d.id,
        new.iter()
            .filter(|p| p.status == PaymentStatus::Pending && !holds.contains_key(&p.id)),
    )
    .await
}

/// Holds the just-inserted payments of `holds` for review, each with its reason, audited and
/// emitted (`payment.held`). Returns the held ids and reasons.
async fn hold_built(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    new: &[NewPayment],
    holds: &HashMap<String, String>,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut held = Vec::new();
    for p in new.iter().filter(|p| holds.contains_key(&p.id)) {
        let reason = &holds[&p.id];
        pstore::hold_for_review(tx, actor, std::slice::from_ref(&p.id), reason).await?;
        let payload = json!({ "paymentId": p.id, "distributionId": d.id, "investorId": p.investor_id, "method": p.method.as_str(), "amount": p.amount_minor, "currency": p.currency, "reason": reason });
        audit::record(
            tx,
            actor,
            Change {
                action: "payment.hold",
                entity_type: "payment",
                entity_id: &p.id,
                before: None,
                after: Some(payload.clone()),
            },
        )
        .await?;
        outbox::emit(tx, actor, "payment.held", "payment", &p.id, payload).await?;
        held.push((p.id.clone(), reason.clone()));
    }
    Ok(held)
}

/// Enqueues the jobs that send pending payments: one rail job per method present. The rail
/// job builds the bank file, or (when configured to send through providers) fans out one
/// provider call per payment; checks are always printed from the register.
pub async fn enqueue_sending<'a>(
    tx: &mut Tx,
    org_id: &str,
    distribution_id: &str,
    pending: impl Iterator<Item = &'a NewPayment>,
) -> Result<(), StoreError> {
    let mut rails_needed: Vec<(Method, String)> = Vec::new();
    for p in pending {
        if !rails_needed.iter().any(|(m, _)| *m == p.method) {
            rails_needed.push((p.method, p.id.clone()));
        }
    }
    for (method, first_id) in rails_needed {
        let kind = rails::job_kind(method);
        jobs::enqueue(
            tx,
            &Actor::system(org_id),
            kind,
            json!({ "distributionId": distribution_id }),
            Some(&format!("{kind}:{distribution_id}:{first_id}")),
            4,
        )
        .await?;
    }
    Ok(())
}

/// A new attempt for a failed, returned, cancelled (or held, still pending) payment, to the
/// investor's current default payee. Refused (409) if the line already has a live payment, if
/// this attempt was already retried, or if there is no usable payee.
pub async fn retry_one(
    tx: &mut Tx,
    actor: &Actor,
    current: &Payment,
    limits: &AchLimits,
) -> Result<Payment, StoreError> {
    if pstore::was_retried(tx, actor, &current.id).await? {
        return Err(StoreError::Conflict(
            "this payment was already retried; retry the newest attempt".into(),
        ));
    }
    if current.unclaimed {
        return Err(StoreError::Conflict("the check is stale-dated and its money unclaimed; reissue through the unclaimed-funds process".into()));
    }
    let mut replaced = current.clone();
    if current.status.is_live() {
        if current.status == PaymentStatus::Pending && current.hold_reason.is_some() {
            replaced = pstore::transition(
                tx,
                actor,
                current,
                PaymentStatus::Cancelled,
                &Update {
                    code: Some("HELD".into()),
                    reason: current.hold_reason.clone(),
                    ..Update::default()
                },
            )
            .await?;
        } else {
            return Err(StoreError::Conflict(format!("the payment is {}; only failed, returned, cancelled or held payments can be retried", current.status)));
        }
    }
    let system = Actor {
        investor_id: None,
        ..actor.clone()
    };
    let d = dstore::get_tx(tx, &system, &current.distribution_id).await?;
    let line = pstore::line_of(tx, &system, &d.id, &current.investor_id).await?;
    let payee = bank_accounts::default_of(tx, &system, &current.investor_id).await?;
    let wires =
        bank_accounts::wire_instructions(tx, &system, None, Some(&current.investor_id)).await?;
    let mut fx = FxCache {
        fund: d.currency,
        at: now_text(),
        rates: HashMap::new(),
    };
    let built = build_routed(
        tx,
        actor,
        &d,
        &line,
        payee.as_ref(),
        wires.get(&current.investor_id),
        limits,
        &mut fx,
        current.attempt + 1,
        Some(current.id.clone()),
    )
    .await?;
    if let Some(hold) = built.hold {
        return Err(StoreError::Conflict(format!("cannot retry: {hold}")));
    }
    let new = built.payment;
    if new.status != PaymentStatus::Pending {
        return Err(StoreError::Conflict(format!(
            "cannot retry: {}",
            // why: a payment built FAILED always carries its reason
            new.failure_reason.unwrap_or_default()
        )));
    }
    insert_and_send(tx, actor, &d, std::slice::from_ref(&new), &HashMap::new()).await?;
    pstore::set_review(tx, actor, &current.id, None).await?;
    audit::record(
        tx,
        actor,
        Change {
            action: "payment.retry",
            entity_type: "payment",
            entity_id: &new.id,
            before: Some(json!({ "paymentId": replaced.id, "status": replaced.status.as_str(), "attempt": replaced.attempt })),
            after: Some(json!({ "paymentId": new.id, "attempt": new.attempt, "method": new.method.as_str(), "bankAccountId": new.bank_account_id })),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "payment.retried",
        "payment",
        &new.id,
        json!({ "paymentId": new.id, "retryOf": replaced.id, "attempt": new.attempt, "distributionId": d.id, "investorId": new.investor_id }),
    )
    .await?;
    pstore::get_tx(tx, &system, &new.id).await
}

/// After a payee was added, fixed or verified: retries the investor's payments that failed
/// for bad or missing account details. Returns the new payments' ids.
pub async fn requeue_for_investor(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
) -> Result<Vec<String>, StoreError> {
    let system = Actor {
        investor_id: None,
        user_id: actor.user_id.clone(),
        ..Actor::system(&actor.org_id)
    };
    let mut out = Vec::new();
    // why: the payee paths that call this carry no payments settings; the NACHA field limit
    // is the one a bank file cannot exceed (the ACH rail holds anything above a stricter
    // configured limit for review as its own defence).
    let limits = AchLimits::default();
    for p in pstore::awaiting_payee_update(tx, actor, investor_id).await? {
        let live = pstore::live_for_line(tx, actor, &p.distribution_id, &p.investor_id).await?;
        if live.is_some_and(|l| l.id != p.id) {
            continue;
        }
        match retry_one(tx, &system, &p, &limits).await {
            Ok(new) => out.push(new.id),
            Err(StoreError::Conflict(why)) => {
                tracing::info!(payment_id = %p.id, %why, "not re-queued")
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The `payment.retry` job: the automatic retry of a failed attempt, on the schedule.
pub async fn run_retry_job(
    db: &Db,
    limits: &AchLimits,
    job: &Job,
    worker_id: &str,
) -> Result<(), JobError> {
    let id = job
        .payload
        .get("paymentId")
        .and_then(|v| v.as_str())
        .ok_or_else(|| JobError::Permanent("payload has no paymentId".into()))?;
    let actor = Actor::system(&job.org_id);
    let mut tx = db.begin().await?;
    let p = pstore::get_tx(&mut tx, &actor, id).await?;
    let live = pstore::live_for_line(&mut tx, &actor, &p.distribution_id, &p.investor_id).await?;
    if live.is_none() && !p.status.is_live() {
        match retry_one(&mut tx, &actor, &p, limits).await {
            Ok(new) => {
                tracing::info!(payment_id = %p.id, new_payment_id = %new.id, attempt = new.attempt, "payment retried automatically")
            }
            Err(StoreError::Conflict(why)) => {
                pstore::set_review(
                    &mut tx,
                    &actor,
                    &p.id,
                    Some(&format!("RETRY_BLOCKED: {why}")),
                )
                .await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    jobs::finish(&mut tx, job, worker_id).await?;
    tx.commit().await?;
    Ok(())
}

/// (Re)initiates, in `tx`, the payments of every unpaid line (failed, returned or cancelled
/// last attempt) of a processed (COMPLETED) regular distribution; anything else is a conflict.
pub async fn initiate_unpaid(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
    limits: &AchLimits,
) -> crate::AppResult<Initiated> {
    let d = dstore::get_tx(tx, actor, distribution_id).await?;
    if d.status != clearway_core::distribution::Status::Completed
        || d.kind == clearway_core::distribution::Kind::Reversal
    {
        return Err(StoreError::Conflict(format!("payments are (re)initiated for processed (COMPLETED) regular distributions; this one is {} {}", d.kind, d.status)).into());
    }
    Ok(initiate(tx, actor, &d, Scope::Unpaid, limits).await?)
}

/// A new attempt and its distribution's currency (for the fund-currency amount).
#[derive(Debug, Clone)]
pub struct Retried {
    /// The new attempt.
    pub payment: Payment,
    /// The distribution's currency.
    pub fund_currency: Currency,
}

/// [`retry_one`] of a payment by id, in its own transaction.
pub async fn retry(
    db: &Db,
    actor: &Actor,
    payment_id: &str,
    limits: &AchLimits,
) -> crate::AppResult<Retried> {
    let mut tx = db.begin().await?;
    let current = pstore::get_tx(&mut tx, actor, payment_id).await?;
    let new = retry_one(&mut tx, actor, &current, limits).await?;
    let d = dstore::get_tx(&mut tx, actor, &new.distribution_id).await?;
    tx.commit().await?;
    Ok(Retried {
        payment: new,
        fund_currency: d.currency,
    })
}

#[cfg(test)]
mod calendar_tests {
    use super::business_day_on_or_after;

    fn d(s: &str) -> chrono::NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn effective_dates_skip_fed_holidays_and_weekends() {
        // Thanksgiving 2026 -> Friday; Christmas 2026 (Friday) -> Monday; New Year 2027 too.
        assert_eq!(business_day_on_or_after(d("2026-11-26")), d("2026-11-27"));
        assert_eq!(business_day_on_or_after(d("2026-12-25")), d("2026-12-28"));
        assert_eq!(business_day_on_or_after(d("2027-01-01")), d("2027-01-04"));
        // The Fed settles on Friday 2026-07-03 (July 4 is a Saturday), and on Good Friday.
        assert_eq!(business_day_on_or_after(d("2026-07-03")), d("2026-07-03"));
        assert_eq!(business_day_on_or_after(d("2026-04-03")), d("2026-04-03"));
        // Outside the calendar's years: weekends only.
        assert_eq!(business_day_on_or_after(d("2050-12-31")), d("2051-01-02"));
    }
}
