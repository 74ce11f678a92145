//! Checks: voiding an issued check and stale-dating the uncashed ones into unclaimed funds.

use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::payments::checks::stale_cutoff;
use clearway_core::payments::{Method, PaymentStatus};
use clearway_core::Currency;
use clearway_store::audit::{self, Change};
use clearway_store::distributions as dstore;
use clearway_store::payments::{self as pstore, Payment, Update};
use clearway_store::{outbox, Actor, Db, StoreError, Tx};
use serde_json::json;

use crate::AppResult;

/// A voided check and its distribution's currency (for the fund-currency amount).
#[derive(Debug, Clone)]
pub struct Voided {
    /// The payment, now CANCELLED.
    pub payment: Payment,
    /// The distribution's currency.
    pub fund_currency: Currency,
}

/// Voids an issued (SENT) check: CANCELLED (code VOID), held for review ("reissue with
/// retry"), audited and announced (`payment.voided`), in one transaction.
pub async fn void(db: &Db, actor: &Actor, payment_id: &str) -> AppResult<Voided> {
    let mut tx = db.begin().await?;
    let p = pstore::get_tx(&mut tx, actor, payment_id).await?;
    if p.method != Method::Check || p.status != PaymentStatus::Sent {
        return Err(StoreError::Conflict(format!(
            "only an issued (SENT) check can be voided; this is a {} {} payment",
            p.status, p.method
        ))
        .into());
    }
    let voided = pstore::transition(
        &mut tx,
        actor,
        &p,
        PaymentStatus::Cancelled,
        &Update {
            code: Some("VOID".into()),
            reason: Some(format!(
                "check {} voided",
                p.check_number.clone().unwrap_or_default()
            )),
            ..Update::default()
        },
    )
    .await?;
    pstore::set_review(&mut tx, actor, &p.id, Some("VOIDED: reissue with retry")).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "payment.void",
            entity_type: "payment",
            entity_id: &p.id,
            before: Some(json!({ "status": p.status.as_str() })),
            after: Some(json!({ "status": "CANCELLED", "checkNumber": p.check_number })),
        },
    )
    .await?;
    outbox::emit(
        &mut tx,
        actor,
        "payment.voided",
        "payment",
        &p.id,
        json!({ "paymentId": p.id, "checkNumber": p.check_number }),
    )
    .await?;
    let d = dstore::get_tx(&mut tx, actor, &p.distribution_id).await?;
    tx.commit().await?;
    Ok(Voided {
        payment: voided,
        fund_currency: d.currency,
    })
}

/// Stale-dates every check still uncashed more than `days` after issue: CANCELLED (code
/// STALE_DATED), line FAILED, money in the unclaimed-funds queue. Returns the payment ids.
pub async fn stale_date(
    tx: &mut Tx,
    actor: &Actor,
    today: NaiveDate,
    days: u32,
) -> Result<Vec<String>, StoreError> {
    actor.require(Permission::Operate)?;
    let cutoff = stale_cutoff(today, days);
    let mut out = Vec::new();
    for p in pstore::stale_checks(tx, actor, cutoff).await? {
        pstore::transition(
            tx,
            actor,
            &p,
            PaymentStatus::Cancelled,
            &Update {
                code: Some("STALE_DATED".into()),
                reason: Some(format!(
                    "check {} uncashed {days} days after issue",
                    p.check_number.clone().unwrap_or_default()
                )),
                ..Update::default()
            },
        )
        .await?;
        pstore::mark_unclaimed(tx, actor, &p.id).await?;
        outbox::emit(
            tx,
            actor,
            "payment.stale_dated",
            "payment",
            &p.id,
            json!({ "paymentId": p.id, "checkNumber": p.check_number, "issued": p.expected_date }),
        )
        .await?;
        out.push(p.id);
    }
    audit::record(
        tx,
        actor,
        Change {
            action: "checks.stale_date",
            entity_type: "payment",
            entity_id: "checks",
            before: None,
            after: Some(json!({ "cutoff": cutoff.to_string(), "staleDated": out.len() })),
        },
    )
    .await?;
    Ok(out)
}

/// What [`stale_date_all`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleDated {
    /// The payments stale-dated.
    pub payment_ids: Vec<String>,
    /// Checks issued before this day were stale-dated.
    pub cutoff: NaiveDate,
}

/// [`stale_date`] in its own transaction.
pub async fn stale_date_all(
    db: &Db,
    actor: &Actor,
    today: NaiveDate,
    days: u32,
) -> AppResult<StaleDated> {
    let mut tx = db.begin().await?;
    let payment_ids = stale_date(&mut tx, actor, today, days).await?;
    tx.commit().await?;
    Ok(StaleDated {
        payment_ids,
        cutoff: stale_cutoff(today, days),
    })
}
