//! Payees (bank accounts) of investors, and their verification by micro-deposits or a
//! Plaid-style link, as application services.
//!
//! Every change is audited and emits an outbox event, both with the account number masked, in
//! the transaction that makes it. A change of bank details holds the payments not yet sent to
//! the old details (manual review) and flags the ones already sent; once the payee is usable,
//! payments that failed for bad or missing account details are re-queued to it.
//!
//! The server parses and validates the request bodies; the commands arrive typed. Where the
//! authorization is checked before the body is validated, the parse is given as a closure run
//! after the check.

use clearway_core::access::Permission;
use clearway_core::payments::{micro_deposit_amounts, Method};
use clearway_core::{Currency, Invalid};
use clearway_store::audit::{self, Change};
use clearway_store::bank_accounts::{self as store, BankAccount, PayeeDetails, Verification};
use clearway_store::payment_batches::{self, NewBatch};
use clearway_store::payments as pstore;
use clearway_store::{new_id, outbox, Actor, Db, StoreError, Tx};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::connectors::plaid::{self, PlaidError};
use super::rails::{nacha_file, AchItem};
use super::{service, PaymentsConfig};
use crate::{AppError, AppResult};

/// A payee's details as given by the caller (create or replace).
#[derive(Debug, Clone)]
pub struct PayeeCommand {
    /// The validated details, the account number sealed.
    pub details: PayeeDetails,
    /// The caller attests the details as verified (staff only).
    pub attest_verified: bool,
    /// Make it the investor's default payee (create only; a replace keeps the flag).
    pub is_default: bool,
}

/// The outcome of a verification attempt (micro-deposit confirmation or bank link).
#[derive(Debug, Clone)]
pub struct VerifyOutcome {
    /// Whether the payee is verified now.
    pub verified: bool,
    /// Confirmations left (micro-deposits) when not.
    pub attempts_left: Option<i64>,
    /// Payments re-queued because the payee became usable.
    pub requeued_payments: Vec<String>,
    /// The payee.
    pub bank_account: BankAccount,
}

/// How a bank-link verification fails: the application's refusals, or the verification
/// service's (which the server reports against the public token).
#[derive(Debug, thiserror::Error)]
pub enum PlaidVerifyError {
    /// Refused or failed here (not found, forbidden, conflict, mismatch).
    #[error(transparent)]
    App(#[from] AppError),
    /// The verification service refused the token or was unavailable.
    #[error(transparent)]
    Service(PlaidError),
}

impl From<StoreError> for PlaidVerifyError {
    fn from(value: StoreError) -> Self {
        PlaidVerifyError::App(value.into())
    }
}

/// The payee as written in audit entries and events: the account number masked to its last
/// four. The same shape as the server's `BankAccountView`.
pub fn masked_view(b: &BankAccount) -> serde_json::Value {
    json!({
        "id": b.id,
        "investorId": b.investor_id,
        "method": b.method.as_str(),
        "status": b.status,
        "isDefault": b.is_default,
        "holderName": b.holder_name,
        "currency": b.currency,
        "routingNumber": b.routing_number,
        "accountType": b.account_type,
        "accountNumberMasked": b.account_last4.as_ref().map(|l| format!("••••{l}")),
        "bic": b.bic,
        "bankName": b.bank_name,
        "bankAddress": b.bank_address,
        "address": b.address,
        "verificationMethod": b.verification_method,
        "verifiedAt": b.verified_at,
        "microDepositsPending": b.micro_deposits.is_some(),
        "blockedReason": b.blocked_reason,
        "createdAt": b.created_at,
        "updatedAt": b.updated_at,
        "version": b.version,
    })
}

/// The audit entry and the outbox event of a payee change.
async fn trail(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    event: &str,
    before: Option<&BankAccount>,
    after: &BankAccount,
    extra: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            entity_type: "bank_account",
            entity_id: &after.id,
            before: before.map(masked_view),
            after: Some(masked_view(after)),
        },
    )
    .await?;
    outbox::emit(tx, actor, event, "bank_account", &after.id, json!({ "bankAccount": masked_view(after), "investorId": after.investor_id, "actorId": actor.user_id, "details": extra })).await?;
    Ok(())
}

/// The verification method recorded for new details: staff may attest them; a check needs no
/// bank verification (the address is the payee).
fn attest(actor: &Actor, attest_verified: bool, method: Method) -> AppResult<Option<&'static str>> {
    if attest_verified {
        if actor.investor_id.is_some() {
            return Err(AppError::field("verified", "only staff can attest a payee as verified; verify it by micro-deposits or bank link"));
        }
        actor.require(Permission::Operate)?;
        return Ok(Some("OPERATOR"));
    }
    Ok((method == Method::Check).then_some("ADDRESS"))
}

/// Creates a payee of investor `investor_id` in the caller's transaction (the server wraps it
/// in its idempotency record). `parse` runs after the authorization check.
pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    parse: impl FnOnce() -> Result<PayeeCommand, Invalid> + Send,
) -> AppResult<BankAccount> {
    store::authorize(tx, actor, investor_id, Permission::Operate).await?;
    let cmd = parse()?;
    let verified = attest(actor, cmd.attest_verified, cmd.details.method)?;
    let created = store::create(
        tx,
        actor,
        investor_id,
        &cmd.details,
        verified,
        cmd.is_default,
    )
    .await?;
    let requeued = if created.usable() && created.is_default {
        service::requeue_for_investor(tx, actor, investor_id).await?
    } else {
        Vec::new()
    };
    trail(
        tx,
        actor,
        "bank_account.create",
        "bank_account.created",
        None,
        &created,
        json!({ "requeuedPayments": requeued }),
    )
    .await?;
    Ok(created)
}

/// Replaces the details of payee `account_id`: holds the payments not yet sent to the old
/// details and re-queues failed ones when the payee is a usable default. `parse` runs after
/// the authorization check. Returns the payee after the change.
pub async fn replace(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    account_id: &str,
    parse: impl FnOnce() -> Result<PayeeCommand, Invalid> + Send,
) -> AppResult<BankAccount> {
    let mut tx = db.begin().await?;
    store::authorize(&mut tx, actor, investor_id, Permission::Operate).await?;
    let cmd = parse()?;
    let verified = attest(actor, cmd.attest_verified, cmd.details.method)?;
    let (before, after) = store::replace(
        &mut tx,
        actor,
        investor_id,
        account_id,
        &cmd.details,
        verified,
    )
    .await?;
    if let Some(was) = &before.blocked_reason {
        // New details clear the block a bank return set (the payee's own trail shows it too).
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "bank_account.unblock",
                entity_type: "bank_account",
                entity_id: &after.id,
                before: Some(json!({ "blockedReason": was })),
                after: Some(json!({ "blockedReason": null })),
            },
        )
        .await?;
    }
    let held = pstore::hold_for_payee(&mut tx, actor, account_id, "BANK_DETAILS_CHANGED").await?;
    let requeued = if after.usable() && after.is_default {
        service::requeue_for_investor(&mut tx, actor, investor_id).await?
    } else {
        Vec::new()
    };
    trail(
        &mut tx,
        actor,
        "bank_account.update",
        "bank_account.changed",
        Some(&before),
        &after,
        json!({ "heldPayments": held, "requeuedPayments": requeued }),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Disables payee `account_id` (kept for history) and holds the payments not yet sent to it.
pub async fn disable(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    account_id: &str,
) -> AppResult<BankAccount> {
    let mut tx = db.begin().await?;
    let before = store::get_tx(&mut tx, actor, investor_id, account_id).await?;
    let after = store::disable(&mut tx, actor, investor_id, account_id).await?;
    let held = pstore::hold_for_payee(&mut tx, actor, account_id, "PAYEE_DISABLED").await?;
    trail(
        &mut tx,
        actor,
        "bank_account.disable",
        "bank_account.disabled",
        Some(&before),
        &after,
        json!({ "heldPayments": held }),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Makes payee `account_id` the investor's default; re-queues failed payments when usable.
pub async fn make_default(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    account_id: &str,
) -> AppResult<BankAccount> {
    let mut tx = db.begin().await?;
    let before = store::get_tx(&mut tx, actor, investor_id, account_id).await?;
    let after = store::make_default(&mut tx, actor, investor_id, account_id).await?;
    let requeued = if after.usable() {
        service::requeue_for_investor(&mut tx, actor, investor_id).await?
    } else {
        Vec::new()
    };
    trail(
        &mut tx,
        actor,
        "bank_account.default",
        "bank_account.changed",
        Some(&before),
        &after,
        json!({ "requeuedPayments": requeued }),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Sends the two micro-deposits to payee `account_id` as ACH credits: a small NACHA file of
/// their own, sealed and recorded as a `MICRO_DEPOSIT` batch. Returns the payee after.
pub async fn start_micro_deposits(
    db: &Db,
    config: &PaymentsConfig,
    actor: &Actor,
    investor_id: &str,
    account_id: &str,
) -> AppResult<BankAccount> {
    let mut tx = db.begin().await?;
    let before = store::get_tx(&mut tx, actor, investor_id, account_id).await?;
    let mut random = [0u8; 16];
    getrandom::getrandom(&mut random)
        .map_err(|_| StoreError::Conflict("random source unavailable; retry".into()))?;
    let amounts = micro_deposit_amounts(
        // why: both halves of a 16-byte array are exactly 8 bytes; the conversion cannot fail.
        u64::from_le_bytes(random[..8].try_into().unwrap_or_default()),
        u64::from_le_bytes(random[8..].try_into().unwrap_or_default()),
    );
    let after =
        store::start_micro_deposits(&mut tx, actor, investor_id, account_id, amounts).await?;
    let account = before.account.as_ref().ok_or(StoreError::Conflict(
        "the payee has no account number".into(),
    ))?;
    let clear = config
        .vault
        .open(account)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let items: Vec<AchItem> = [amounts.0, amounts.1]
        .iter()
        .map(|a| {
            let cents = u64::try_from(*a).map_err(|_| {
                StoreError::Corrupt(format!("micro-deposit amount {a} is negative"))
            })?;
            Ok(AchItem {
                payment_id: new_id(),
                // why: an ACH payee has a checked routing number; the NACHA writer refuses none.
                routing_number: before.routing_number.clone().unwrap_or_default(),
                account_number: clear.clone(),
                account_type: if before.account_type.as_deref() == Some("SAVINGS") {
                    clearway_formats::ach::AccountType::Savings
                } else {
                    clearway_formats::ach::AccountType::Checking
                },
                amount_cents: cents,
                entity: false,
                name: before.holder_name.clone(),
                // Not a payment: nothing reconciles it by reference.
                individual_id: None,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    // Micro-deposit traces use sequences from 9,000,000 so they never meet payment traces.
    let n = payment_batches::micro_deposit_count(&mut tx, actor).await?;
    let first = 9_000_000 + ((n * 2) % 999_990) as u32;
    let today = chrono::Utc::now();
    let effective = service::business_day_on_or_after(
        today.date_naive().succ_opt().unwrap_or(today.date_naive()),
    );
    let (file, _) = nacha_file(
        &config.originator,
        today.naive_utc(),
        effective,
        first,
        'M',
        &items,
    )
    .map_err(|e| AppError::field("accountNumber", e.to_string()))?;
    let (key_id, ciphertext) = config
        .vault
        .seal_bytes(file.as_bytes())
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let batch_id = new_id();
    payment_batches::insert(
        &mut tx,
        actor,
        &NewBatch {
            id: batch_id.clone(),
            kind: "MICRO_DEPOSIT",
            distribution_id: None,
            status: "GENERATED",
            payment_count: 2,
            total_minor: amounts.0 + amounts.1,
            currency: Currency::USD.code().into(),
            effective_date: effective.to_string(),
            file_name: Some(format!("micro-deposits-{batch_id}.ach")),
            file: Some(store::Sealed {
                key_id,
                ciphertext,
                last4: String::new(),
            }),
            file_sha256: Some(hex::encode(Sha256::digest(file.as_bytes()))),
            file_batch_id: None,
        },
    )
    .await?;
    trail(
        &mut tx,
        actor,
        "bank_account.micro_deposits",
        "bank_account.verification_started",
        Some(&before),
        &after,
        json!({ "batchId": batch_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Confirms the two micro-deposit amounts (minor units, already validated as positive) of
/// payee `account_id`: verifies it, or records the failed attempt.
pub async fn confirm_micro_deposits(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    account_id: &str,
    amounts: (i64, i64),
) -> AppResult<VerifyOutcome> {
    let mut tx = db.begin().await?;
    let before = store::get_tx(&mut tx, actor, investor_id, account_id).await?;
    let outcome =
        store::confirm_micro_deposits(&mut tx, actor, investor_id, account_id, amounts).await?;
    let result = match outcome {
        Verification::Verified(after) => {
            verified(
                &mut tx,
                actor,
                investor_id,
                &before,
                *after,
                "MICRO_DEPOSIT",
            )
            .await?
        }
        Verification::Mismatch { attempts_left } => {
            let after = store::get_tx(&mut tx, actor, investor_id, account_id).await?;
            audit::record(
                &mut tx,
                actor,
                Change {
                    action: "bank_account.verify_failed",
                    entity_type: "bank_account",
                    entity_id: account_id,
                    before: None,
                    after: Some(json!({ "attemptsLeft": attempts_left })),
                },
            )
            .await?;
            VerifyOutcome {
                verified: false,
                attempts_left: Some(attempts_left),
                requeued_payments: Vec::new(),
                bank_account: after,
            }
        }
    };
    tx.commit().await?;
    Ok(result)
}

/// Verifies ACH payee `account_id` through the Plaid-style service: the account linked with
/// `public_token` (already checked non-empty) must carry the payee's routing and account
/// numbers. The service is called outside any transaction.
pub async fn plaid_verify(
    db: &Db,
    config: &PaymentsConfig,
    http: &reqwest::Client,
    actor: &Actor,
    investor_id: &str,
    account_id: &str,
    public_token: &str,
) -> Result<VerifyOutcome, PlaidVerifyError> {
    // Read and authorize first; call the service outside any transaction.
    let mut tx = db.begin().await?;
    let current = store::get_tx(&mut tx, actor, investor_id, account_id).await?;
    store::authorize(&mut tx, actor, investor_id, Permission::Operate).await?;
    drop(tx);
    let service_config = config.plaid.as_ref().ok_or_else(|| {
        StoreError::Conflict("no account verification service is configured".into())
    })?;
    if current.method != Method::Ach || current.status != "PENDING_VERIFICATION" {
        return Err(StoreError::Conflict(
            "bank-link verification applies to ACH payees awaiting verification".into(),
        )
        .into());
    }
    let clear = current
        .account
        .as_ref()
        .map(|a| config.vault.open(a))
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?
        .unwrap_or_default();
    let numbers = plaid::ach_numbers(http, config.provider_timeout, service_config, public_token)
        .await
        .map_err(PlaidVerifyError::Service)?;
    let matches = numbers.iter().any(|(routing, account)| {
        Some(routing) == current.routing_number.as_ref() && account.eq_ignore_ascii_case(&clear)
    });
    if !matches {
        return Err(AppError::field(
            "publicToken",
            "the linked bank account does not match this payee's routing and account numbers",
        )
        .into());
    }
    let mut tx = db.begin().await?;
    let after = store::mark_verified(&mut tx, actor, investor_id, account_id, "PLAID").await?;
    let result = verified(&mut tx, actor, investor_id, &current, after, "PLAID").await?;
    tx.commit().await?;
    Ok(result)
}

/// What follows a payee's verification (micro-deposits or Plaid): the investor's held payments
/// are re-queued when it is their default payee, and the change is audited with its method.
async fn verified(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    before: &BankAccount,
    after: BankAccount,
    method: &str,
) -> AppResult<VerifyOutcome> {
    let requeued = if after.is_default {
        service::requeue_for_investor(tx, actor, investor_id).await?
    } else {
        Vec::new()
    };
    trail(
        tx,
        actor,
        "bank_account.verify",
        "bank_account.verified",
        Some(before),
        &after,
        json!({ "method": method, "requeuedPayments": requeued }),
    )
    .await?;
    Ok(VerifyOutcome {
        verified: true,
        attempts_left: None,
        requeued_payments: requeued,
        bank_account: after,
    })
}
