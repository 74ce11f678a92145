//! NACHA return and notification-of-change files read back: returns move payments to
//! RETURNED, NOCs become suggested payee updates.

use clearway_core::payments::returns::{parse_correction, return_reason, AccountKind};
use clearway_core::payments::PaymentStatus;
use clearway_formats::ach;
use clearway_store::audit::{self, Change};
use clearway_store::payment_batches::{self, NewSuggestion};
use clearway_store::payments::{self as pstore, Settlement};
use clearway_store::{Actor, Db, StoreError, Tx};
use serde_json::json;

use crate::payments::Vault;

/// What a return / NOC file did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnsOutcome {
    /// Return entries read.
    pub returns: usize,
    /// Returns applied to one of our payments.
    pub applied: usize,
    /// Returns for payments already in that state (a file imported twice).
    pub already_applied: usize,
    /// Notifications of change read (each a suggested payee update).
    pub notices: usize,
    /// Trace numbers we do not know.
    pub unmatched: Vec<String>,
    /// What the reader normalised to read the file (records padded or cut to 94 characters).
    pub warnings: Vec<String>,
}

/// [`import_returns`] in its own transaction.
pub async fn import_returns_file(
    db: &Db,
    actor: &Actor,
    vault: &Vault,
    bytes: &[u8],
) -> Result<ReturnsOutcome, crate::AppError> {
    let mut tx = db.begin().await?;
    let out = import_returns(&mut tx, actor, vault, bytes).await?;
    tx.commit().await?;
    Ok(out)
}

/// Applies a NACHA return / NOC file: each return (addenda 99) moves its payment to RETURNED
/// (FAILED if it had not been sent) with the code and reason, and starts the retry or review;
/// each NOC (addenda 98) becomes a suggested payee update. Unknown traces are reported.
pub async fn import_returns(
    tx: &mut Tx,
    actor: &Actor,
    vault: &Vault,
    bytes: &[u8],
) -> Result<ReturnsOutcome, crate::AppError> {
    let (file, warnings) = parse_returns_file(bytes)?;
    let mut out = ReturnsOutcome {
        warnings,
        ..ReturnsOutcome::default()
    };
    for batch in &file.batches {
        for entry in &batch.entries {
            for addenda in &entry.addenda {
                match addenda {
                    ach::Addenda::Return(r) => apply_return(tx, actor, r, &mut out).await?,
                    ach::Addenda::Noc(n) => apply_notice(tx, actor, vault, n, &mut out).await?,
                    _ => {}
                }
            }
        }
    }
    audit::record(
        tx,
        actor,
        Change {
            action: "payments.returns_import",
            entity_type: "payment_batch",
            entity_id: "ach-returns",
            before: None,
            after: Some(json!({ "returns": out.returns, "applied": out.applied, "alreadyApplied": out.already_applied, "notices": out.notices, "unmatched": out.unmatched.len(), "warnings": out.warnings })),
        },
    )
    .await?;
    Ok(out)
}

/// Parses the file as banks send it (record lengths normalised, with warnings), reporting
/// a format error as a field error that names the line.
fn parse_returns_file(bytes: &[u8]) -> Result<(ach::File, Vec<String>), crate::AppError> {
    ach::parse_bytes_lenient(bytes).map_err(|e| {
        crate::AppError::field(
            match e.line() {
                Some(line) => format!("file (line {line}, {})", e.field()),
                None => format!("file ({})", e.field()),
            },
            e.to_string(),
        )
    })
}

/// One return (addenda 99): its payment becomes RETURNED (FAILED if it had not been sent),
/// unless it already is; an unknown or foreign trace is reported as unmatched.
async fn apply_return(
    tx: &mut Tx,
    actor: &Actor,
    r: &ach::ReturnAddenda,
    out: &mut ReturnsOutcome,
) -> Result<(), crate::AppError> {
    out.returns += 1;
    let Some((org, p)) =
        pstore::find_by_reference(tx, "trace_number", r.original_trace_number.trim()).await?
    else {
        out.unmatched.push(r.original_trace_number.clone());
        return Ok(());
    };
    if org != actor.org_id {
        out.unmatched.push(r.original_trace_number.clone());
        return Ok(());
    }
    let code = r.return_code.trim().to_string();
    let reason = return_reason(&code);
    let settlement = if matches!(p.status, PaymentStatus::Pending | PaymentStatus::Processing) {
        Settlement::Failed { code, reason }
    } else {
        Settlement::Returned { code, reason }
    };
    if p.status.is_live()
        && !p
            .status
            .can_become(if matches!(settlement, Settlement::Failed { .. }) {
                PaymentStatus::Failed
            } else {
                PaymentStatus::Returned
            })
    {
        out.already_applied += 1;
        return Ok(());
    }
    if crate::payments::settle(tx, actor, &p.id, &settlement).await? {
        out.applied += 1;
    } else {
        out.already_applied += 1;
    }
    Ok(())
}

/// One notification of change (addenda 98): a suggested update of the payment's bank
/// account (a corrected account number sealed with `vault`); an unknown or foreign trace,
/// or a payment without an account, is reported as unmatched.
async fn apply_notice(
    tx: &mut Tx,
    actor: &Actor,
    vault: &Vault,
    n: &ach::NocAddenda,
    out: &mut ReturnsOutcome,
) -> Result<(), crate::AppError> {
    out.notices += 1;
    let Some((org, p)) =
        pstore::find_by_reference(tx, "trace_number", n.original_trace_number.trim()).await?
    else {
        out.unmatched.push(n.original_trace_number.clone());
        return Ok(());
    };
    let (Some(account_id), true) = (p.bank_account_id.clone(), org == actor.org_id) else {
        out.unmatched.push(n.original_trace_number.clone());
        return Ok(());
    };
    let Some(c) = parse_correction(&n.change_code, &n.corrected_data) else {
        return Ok(());
    };
    let account = match &c.account_number {
        Some(a) => Some(
            vault
                .seal(a)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        ),
        None => None,
    };
    payment_batches::suggest(
        tx,
        actor,
        &NewSuggestion {
            bank_account_id: account_id,
            payment_id: Some(p.id.clone()),
            change_code: n.change_code.clone(),
            routing_number: c.routing_number.clone(),
            account,
            account_type: c.account_kind.map(|k| match k {
                AccountKind::Checking => "CHECKING".into(),
                AccountKind::Savings => "SAVINGS".into(),
            }),
        },
    )
    .await?;
    Ok(())
}
