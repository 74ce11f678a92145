//! The NACHA reversing entry of an erroneous ACH credit, recovering a receivable.
//!
//! NACHA allows reversing an entry only when it was erroneous (a duplicate, to the wrong
//! receiver, for the wrong amount or on the wrong date), for the full amount of the original
//! entry, to the same account, and it must reach the receiver within five banking days after
//! the original's settlement date. So the receivable must be untouched (OPEN, the whole
//! original payment), the payment an ACH credit that left (SENT or COMPLETED), and the
//! reversing entry is built from the original entry as it was written in our stored file
//! (read back with our reader). Its own file takes the day's next File ID Modifier from the
//! allocator of the credit files ([`clearway_store::payments::ach_files`]): the bank sees one
//! origin, and no modifier is used twice in a day by either kind of file. The receivable becomes RECOVERING, the amount EXPECTED
//! until reconciliation sees it settle ([`super::reconcile`]).

use chrono::{Days, NaiveDate, Utc};
use clearway_core::access::Permission;
use clearway_core::payments::{Method, PaymentStatus};
use clearway_core::recovery::{
    within_reversal_window, ReceivableStatus, RecoveryMethod, ReversalReason,
    REVERSAL_WINDOW_BANKING_DAYS,
};
use clearway_formats::ach::{self, AccountType, ReversedEntry};
use clearway_store::payments::{self as pstore, ach_files, Payment};
use clearway_store::recovery::{
    self as store, Amounts, NewRecovery, NewRecoveryFile, Receivable, Recovery,
};
use clearway_store::{Actor, StoreError, Tx};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::payments::rails::trace_sequences;
use crate::payments::service::business_day_on_or_after;
use crate::payments::PaymentsConfig;
use crate::{AppError, AppResult};

/// Sends an ACH reversing entry for receivable `id` (see the module docs), in `tx`.
pub async fn reverse(
    tx: &mut Tx,
    actor: &Actor,
    cfg: &PaymentsConfig,
    id: &str,
    reason: ReversalReason,
    effective: Option<NaiveDate>,
) -> AppResult<(Receivable, Recovery)> {
    actor.require(Permission::Operate)?;
    // The receivable first: one the caller cannot see is a 404 whatever the body says.
    let current = store::get_tx(tx, actor, id).await?;
    let today = Utc::now().date_naive();
    let effective = match effective {
        Some(d) if d < today => {
            return Err(AppError::field("effectiveDate", "must not be in the past"))
        }
        Some(d) => d,
        None => business_day_on_or_after(today.checked_add_days(Days::new(1)).unwrap_or(today)),
    };
    let payment = reversible_payment(tx, actor, &current).await?;
    let settled = payment.cleared_date.unwrap_or(payment.expected_date);
    if !within_reversal_window(settled, effective) {
        return Err(AppError::conflict(format!(
            "an ACH reversing entry must settle within {REVERSAL_WINDOW_BANKING_DAYS} banking days after the original's settlement date ({settled}); {effective} is outside: recover by offset, wire or check instead"
        )));
    }
    let original = original_entry(tx, actor, cfg, &payment).await?;
    let created = Utc::now().naive_utc();
    let (text, trace, modifier) = build(tx, actor, cfg, created, effective, &original).await?;
    let made = Made {
        created: created.date(),
        effective,
        modifier,
        reason,
    };
    let file_id = store_file(tx, actor, cfg, &current, &made, &text).await?;
    let recovery = store::insert_recovery(
        tx,
        actor,
        &NewRecovery {
            receivable_id: current.id.clone(),
            investor_id: current.investor_id.clone(),
            method: Some(RecoveryMethod::AchReversal),
            received: false,
            amount_minor: current.outstanding_minor,
            reference: Some(reason.as_str().to_string()),
            trace_number: Some(trace.clone()),
            file_id: Some(file_id.clone()),
            ..NewRecovery::default()
        },
    )
    .await?;
    let after = store::update(
        tx,
        actor,
        &current,
        &Amounts {
            outstanding_minor: current.outstanding_minor,
            expected_minor: current.outstanding_minor,
            written_off_minor: current.written_off_minor,
            status: ReceivableStatus::Recovering,
            method: RecoveryMethod::AchReversal,
            write_off_reason: None,
        },
    )
    .await?;
    super::trail(
        tx,
        actor,
        "receivable.ach_reversal",
        "receivable.recovering",
        Some(&current),
        &after,
        json!({ "recoveryId": recovery.id, "fileId": file_id, "traceNumber": trace, "reason": reason.as_str(), "effectiveDate": effective, "fileIdModifier": modifier.to_string(), "originalTraceNumber": payment.trace_number }),
    )
    .await?;
    Ok((after, recovery))
}

/// The original payment, if a reversing entry may recover this receivable.
async fn reversible_payment(tx: &mut Tx, actor: &Actor, r: &Receivable) -> AppResult<Payment> {
    if r.status != ReceivableStatus::Open {
        return Err(AppError::conflict(format!(
            "a reversing entry is for the full amount of the original entry; this receivable is {}",
            r.status
        )));
    }
    let Some(payment_id) = &r.original_payment_id else {
        return Err(AppError::conflict(
            "nothing was sent by ACH for this receivable",
        ));
    };
    let p = pstore::get_tx(tx, actor, payment_id).await?;
    if p.method != Method::Ach {
        return Err(AppError::conflict(format!(
            "the original payment went by {}, not ACH: recover by offset, wire or check",
            p.method
        )));
    }
    if !matches!(p.status, PaymentStatus::Sent | PaymentStatus::Completed)
        || p.trace_number.is_none()
    {
        return Err(AppError::conflict(format!(
            "the original ACH entry is {}; only a sent entry can be reversed",
            p.status
        )));
    }
    if p.fund_amount_minor != r.outstanding_minor || p.amount_minor != r.outstanding_minor {
        return Err(AppError::conflict(
            "a reversing entry is for the full amount of the original entry, which is not what this receivable holds",
        ));
    }
    Ok(p)
}

/// The original entry as written in our stored file (same account, same amount, same SEC).
async fn original_entry(
    tx: &mut Tx,
    actor: &Actor,
    cfg: &PaymentsConfig,
    p: &Payment,
) -> AppResult<ReversedEntry> {
    let gone =
        || AppError::conflict("the original ACH file is no longer stored; it cannot be reversed");
    let batch_id = p.batch_id.as_deref().ok_or_else(gone)?;
    let sealed = match store::batch_file_tx(tx, actor, batch_id).await {
        Ok(s) => s,
        Err(StoreError::NotFound(_)) => return Err(gone()),
        Err(e) => return Err(e.into()),
    };
    let bytes = cfg
        .vault
        .open_bytes(&sealed.key_id, &sealed.ciphertext)
        .map_err(|e| StoreError::Corrupt(format!("file of batch {batch_id}: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| StoreError::Corrupt(format!("file of batch {batch_id}: {e}")))?;
    let file = ach::parse_file(&text)
        .map_err(|e| StoreError::Corrupt(format!("file of batch {batch_id}: {e}")))?;
    let trace = p.trace_number.as_deref().unwrap_or_default();
    for b in &file.batches {
        if let Some(e) = b.entries.iter().find(|e| e.trace_number == trace) {
            let account_type = match e.transaction_code {
                22 => AccountType::Checking,
                32 => AccountType::Savings,
                other => {
                    return Err(AppError::conflict(format!(
                        "the original entry has transaction code {other}, not a credit to reverse"
                    )))
                }
            };
            return Ok(ReversedEntry {
                routing_number: e.routing_number(),
                account_number: e.dfi_account_number.trim().to_string(),
                account_type,
                amount_cents: e.amount,
                sec_code: b.header.sec_code,
                individual_id: e.identification_number.clone(),
                individual_name: e.individual_name.clone(),
            });
        }
    }
    Err(gone())
}

/// Writes the reversing file: a trace number, the day's next File ID Modifier, our reader.
async fn build(
    tx: &mut Tx,
    actor: &Actor,
    cfg: &PaymentsConfig,
    created: chrono::NaiveDateTime,
    effective: NaiveDate,
    entry: &ReversedEntry,
) -> AppResult<(String, String, char)> {
    // The same allocator as the payment files: the bank sees one origin, and a modifier is
    // never used twice in a day, whichever kind of file took it.
    let origin = &cfg.originator.company_id;
    let modifier = ach_files::allocate_file_ids(tx, origin, created.date(), 1)
        .await?
        .first()
        .copied()
        .ok_or_else(|| {
            AppError::conflict("all 36 File ID Modifiers of today are used; send it tomorrow")
        })?;
    ach_files::record_file_id(tx, actor, origin, created.date(), modifier, None).await?;
    let prefix = &cfg.originator.odfi_routing[..8.min(cfg.originator.odfi_routing.len())];
    let seq = trace_sequences(tx, prefix, 1).await?;
    let orig = ach::Originator {
        company_name: cfg.originator.company_name.clone(),
        company_id: cfg.originator.company_id.clone(),
        odfi_routing: cfg.originator.odfi_routing.clone(),
        bank_name: cfg.originator.bank_name.clone(),
    };
    let (text, trace) = ach::reversing_file(&orig, created, effective, seq, modifier, entry)
        .map_err(|e| AppError::conflict(format!("the reversing file is not valid NACHA: {e}")))?;
    Ok((text, trace, modifier))
}

/// What a reversing file was made with.
struct Made {
    created: NaiveDate,
    effective: NaiveDate,
    modifier: char,
    reason: ReversalReason,
}

/// Seals and stores the file; returns its id.
async fn store_file(
    tx: &mut Tx,
    actor: &Actor,
    cfg: &PaymentsConfig,
    r: &Receivable,
    made: &Made,
    text: &str,
) -> AppResult<String> {
    let Made {
        created,
        effective,
        modifier,
        reason,
    } = made;
    let (key_id, ciphertext) = cfg
        .vault
        .seal_bytes(text.as_bytes())
        .map_err(|e| StoreError::Corrupt(format!("sealing the reversing file: {e}")))?;
    let new = NewRecoveryFile {
        receivable_id: r.id.clone(),
        creation_date: created.to_string(),
        file_id_modifier: *modifier,
        effective_date: effective.to_string(),
        reason: reason.as_str().to_string(),
        total_minor: r.outstanding_minor,
        file_name: format!("ach-reversal-{}-{}.ach", effective.format("%Y%m%d"), r.id),
        file: clearway_store::bank_accounts::Sealed {
            key_id,
            ciphertext,
            last4: String::new(),
        },
        file_sha256: hex::encode(Sha256::digest(text.as_bytes())),
    };
    store::insert_file(tx, actor, &new).await.map_err(|e| {
        if e.is_unique_violation() {
            AppError::conflict("another reversing file took this File ID Modifier meanwhile; retry")
        } else {
            e.into()
        }
    })
}

/// Decrypts the newest reversing file of receivable `id` for an admin or operator, auditing
/// the download; returns (file name, bytes).
pub async fn open_file(
    db: &clearway_store::Db,
    cfg: &PaymentsConfig,
    actor: &Actor,
    id: &str,
) -> AppResult<(String, Vec<u8>)> {
    let (name, sealed) = store::file_of(db, actor, id).await?;
    let bytes = cfg
        .vault
        .open_bytes(&sealed.key_id, &sealed.ciphertext)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut tx = db.begin().await?;
    clearway_store::audit::record(
        &mut tx,
        actor,
        clearway_store::audit::Change {
            action: "recovery_file.download",
            entity_type: "receivable",
            entity_id: id,
            before: None,
            after: Some(json!({ "fileName": name, "bytes": bytes.len() })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((name, bytes))
}
