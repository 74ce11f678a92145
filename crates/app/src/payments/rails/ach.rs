//! The ACH rail: a distribution's pending ACH payments as one NACHA file.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use clearway_core::Currency;
use clearway_formats::ach::{self, AccountType, AchError};
use clearway_store::payments::{self as pstore, Payment, Sent};
use clearway_store::{Actor, StoreError, Tx};

use crate::jobs::JobError;
use crate::payments::{Originator, PaymentsConfig};

use super::Produced;

/// One ACH credit to write (see [`clearway_formats::ach::CreditItem`]).
pub use clearway_formats::ach::CreditItem as AchItem;

/// Builds one NACHA file of `items` for `orig` (see [`clearway_formats::ach::credit_file`]):
/// PPD batch(es) for individuals, CCD for entities, all credits, one effective date, trace
/// numbers from `first_sequence`. Returns the file text and each item's trace number.
pub fn nacha_file(
    orig: &Originator,
    created: NaiveDateTime,
    effective: NaiveDate,
    first_sequence: u32,
    file_id_modifier: char,
    items: &[AchItem],
) -> Result<(String, Vec<String>), AchError> {
    let originator = ach::Originator {
        company_name: orig.company_name.clone(),
        company_id: orig.company_id.clone(),
        odfi_routing: orig.odfi_routing.clone(),
        bank_name: orig.bank_name.clone(),
    };
    ach::credit_file(
        &originator,
        created,
        effective,
        first_sequence,
        file_id_modifier,
        items,
    )
}

/// Trace sequences for `count` entries: one series per ODFI prefix for the whole installation,
/// so a trace number names one entry whatever organization sent it (returns are matched on it).
/// Sequences wrap within the 7 digits NACHA gives them, skipping the micro-deposit range.
pub async fn trace_sequences(
    tx: &mut Tx,
    odfi_prefix: &str,
    count: usize,
) -> Result<u32, StoreError> {
    let first =
        // why: a count of entries in memory fits an i64
        pstore::allocate_sequence(tx, "*", &format!("trace:{odfi_prefix}"), 1, count as i64)
            .await?;
    let start = (first - 1).rem_euclid((TRACE_SEQUENCE_MAX - count as i64).max(1)) + 1;
    Ok(start as u32)
}

/// A payment's amount as the unsigned cents of a NACHA credit entry; a negative amount is an
/// error (never wrapped into a huge credit).
pub fn credit_cents(payment_id: &str, amount_minor: i64) -> Result<u64, JobError> {
    u64::try_from(amount_minor).map_err(|_| {
        JobError::Permanent(format!(
            "payment {payment_id}: amount {amount_minor} is negative; a NACHA credit cannot carry it"
        ))
    })
}

/// Trace sequences of payment files stay below this; micro-deposits use 9,000,000 and up.
const TRACE_SEQUENCE_MAX: i64 = 9_000_000;

pub(super) async fn produce_ach(
    tx: &mut Tx,
    cfg: &PaymentsConfig,
    actor: &Actor,
    distribution_id: &str,
    batch_id: &str,
    payments: &[Payment],
    effective: NaiveDate,
) -> Result<Produced, JobError> {
    struct Receiver {
        routing: Option<String>,
        savings: bool,
        sealed: Option<clearway_store::bank_accounts::Sealed>,
        entity: bool,
    }
    let receivers: HashMap<String, Receiver> =
        clearway_store::bank_accounts::ach_receivers(tx, actor, distribution_id)
            .await?
            .into_iter()
            .map(|r| {
                let receiver = Receiver {
                    routing: r.routing_number,
                    savings: r.account_type.as_deref() == Some("SAVINGS"),
                    sealed: r.account,
                    entity: !matches!(r.entity_type.as_str(), "INDIVIDUAL" | "JOINT" | "IRA"),
                };
                (r.payment_id, receiver)
            })
            .collect();
    let mut items = Vec::with_capacity(payments.len());
    let mut kept = Vec::with_capacity(payments.len());
    let mut rejected = Vec::new();
    for p in payments {
        let Some(b) = receivers.get(&p.id) else {
            rejected.push((p.id.clone(), "payee no longer exists".to_string()));
            continue;
        };
        let account = match b.sealed.as_ref().map(|s| cfg.vault.open(s)) {
            Some(Ok(a)) => a,
            Some(Err(e)) => {
                return Err(JobError::Permanent(format!(
                    "payee of payment {}: {e}",
                    p.id
                )))
            }
            None => {
                rejected.push((p.id.clone(), "payee has no account number".into()));
                continue;
            }
        };
        if p.currency != Currency::USD {
            rejected.push((
                p.id.clone(),
                format!("ACH pays USD only, not {}", p.currency),
            ));
            continue;
        }
        items.push(AchItem {
            payment_id: p.id.clone(),
            // why: ACH payees are stored with a checked routing number; a missing one is
            // refused by the NACHA writer (no silent file).
            routing_number: b.routing.clone().unwrap_or_default(),
            account_number: account,
            account_type: if b.savings {
                AccountType::Savings
            } else {
                AccountType::Checking
            },
            amount_cents: credit_cents(&p.id, p.amount_minor)?,
            entity: b.entity,
            name: p.payee_name.clone(),
        });
        kept.push(p);
    }
    let prefix = &cfg.originator.odfi_routing[..8.min(cfg.originator.odfi_routing.len())];
    let first = trace_sequences(tx, prefix, items.len()).await?;
    let created = chrono::Utc::now().naive_utc();
    let (content, traces) = if items.is_empty() {
        (String::new(), Vec::new())
    } else {
        nacha_file(&cfg.originator, created, effective, first, 'A', &items)
            .map_err(|e| JobError::Permanent(format!("NACHA file: {e}")))?
    };
    let sent = kept
        .iter()
        .zip(traces)
        .map(|(p, t)| Sent {
            id: p.id.clone(),
            reference: t,
            attempt: p.attempt,
        })
        .collect();
    Ok(Produced {
        kind: "NACHA",
        file_name: format!("ach-{}-{batch_id}.ach", effective.format("%Y%m%d")),
        content,
        sent,
        rejected,
        total_minor: kept.iter().map(|p| p.amount_minor).sum(),
        currency: "USD".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_amount_is_an_error_not_a_huge_credit() {
        assert_eq!(credit_cents("p1", 12_345).unwrap(), 12_345);
        assert_eq!(credit_cents("p1", 0).unwrap(), 0);
        match credit_cents("p2", -5) {
            Err(JobError::Permanent(why)) => assert_eq!(
                why,
                "payment p2: amount -5 is negative; a NACHA credit cannot carry it"
            ),
            other => panic!("expected a permanent error, got {other:?}"),
        }
    }
}
