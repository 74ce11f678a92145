//! Payees: the bank accounts (ACH, wire) and mailing addresses (check) investors are paid to.
//!
//! Account numbers and IBANs arrive here already sealed (AES-256-GCM by the server, see
//! [`Sealed`]); this module never sees them in clear and stores only the ciphertext, the id of
//! the key that sealed it, and the last four characters. Investors manage their own payees
//! only; another investor's (or organization's) payee does not exist for them.

use clearway_core::access::Permission;
use clearway_core::payments::Method;
use serde_json::Value;

use crate::{new_id, now_text, q, Actor, Db, Row, StoreError, Tx};

/// An encrypted value and the key that sealed it.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Key id (keys rotate; old ciphertext names its key).
    pub key_id: String,
    /// `hex(nonce ‖ ciphertext ‖ tag)`.
    pub ciphertext: String,
    /// Last four characters of the clear value, for display.
    pub last4: String,
}

// Hand-written so a debug print can never show even the ciphertext.
impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed(key {}, ••••{})", self.key_id, self.last4)
    }
}

/// A payee as stored (never with a clear account number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankAccount {
    /// Id.
    pub id: String,
    /// Investor paid.
    pub investor_id: String,
    /// ACH, WIRE or CHECK.
    pub method: Method,
    /// PENDING_VERIFICATION, VERIFIED or DISABLED.
    pub status: String,
    /// Whether payments go here by default.
    pub is_default: bool,
    /// Account holder / payee name.
    pub holder_name: String,
    /// Currency paid into this account.
    pub currency: String,
    /// ACH routing number (public, not secret).
    pub routing_number: Option<String>,
    /// CHECKING or SAVINGS (ACH).
    pub account_type: Option<String>,
    /// Sealed account number (ACH) or IBAN (wire).
    pub account: Option<Sealed>,
    /// Last four characters of the account number or IBAN.
    pub account_last4: Option<String>,
    /// Beneficiary bank BIC (wire).
    pub bic: Option<String>,
    /// Beneficiary bank name (wire).
    pub bank_name: Option<String>,
    /// Beneficiary bank address (wire).
    pub bank_address: Option<String>,
    /// Payee postal address (wire beneficiary, check mailing address).
    pub address: Option<Value>,
    /// MICRO_DEPOSIT, PLAID, OPERATOR when verified.
    pub verification_method: Option<String>,
    /// Micro-deposit amounts in cents, while a micro-deposit verification is open.
    pub micro_deposits: Option<(i64, i64)>,
    /// Failed micro-deposit confirmations.
    pub verify_attempts: i64,
    /// When verified.
    pub verified_at: Option<String>,
    /// Why payments may not be sent here (a bank return needing changed details), until the
    /// details are replaced.
    pub blocked_reason: Option<String>,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
    /// Incremented on every change.
    pub version: i64,
}

impl BankAccount {
    /// Whether payments may be sent here (verified and enabled).
    pub fn usable(&self) -> bool {
        self.status == "VERIFIED"
    }
}

/// Fields of a new or replaced payee.
#[derive(Debug, Clone)]
pub struct PayeeDetails {
    /// Method.
    pub method: Method,
    /// Holder name.
    pub holder_name: String,
    /// Currency.
    pub currency: String,
    /// ACH routing number.
    pub routing_number: Option<String>,
    /// CHECKING / SAVINGS.
    pub account_type: Option<String>,
    /// Sealed account number or IBAN.
    pub account: Option<Sealed>,
    /// BIC.
    pub bic: Option<String>,
    /// Bank name.
    pub bank_name: Option<String>,
    /// Bank address.
    pub bank_address: Option<String>,
    /// Postal address JSON.
    pub address: Option<Value>,
}

const COLUMNS: &str = "id, investor_id, method, status, is_default, holder_name, currency, routing_number, account_type, account_enc, account_key_id, account_last4, bic, bank_name, bank_address, address, verification_method, micro_deposit_1, micro_deposit_2, verify_attempts, verified_at, blocked_reason, created_at, updated_at, version";

/// Reads a payee row.
pub fn from_row(r: &Row) -> Result<BankAccount, StoreError> {
    let account = match (r.opt_text("account_enc")?, r.opt_text("account_key_id")?) {
        (Some(ciphertext), Some(key_id)) => Some(Sealed {
            key_id,
            ciphertext,
            // why: last4 is for display only; rows sealed before it was kept show none
            last4: r.opt_text("account_last4")?.unwrap_or_default(),
        }),
        _ => None,
    };
    let micro = match (r.opt_i64("micro_deposit_1")?, r.opt_i64("micro_deposit_2")?) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    Ok(BankAccount {
        id: r.text("id")?,
        investor_id: r.text("investor_id")?,
        method: r.parse("method")?,
        status: r.text("status")?,
        is_default: r.i64("is_default")? == 1,
        holder_name: r.text("holder_name")?,
        currency: r.text("currency")?,
        routing_number: r.opt_text("routing_number")?,
        account_type: r.opt_text("account_type")?,
        account,
        account_last4: r.opt_text("account_last4")?,
        bic: r.opt_text("bic")?,
        bank_name: r.opt_text("bank_name")?,
        bank_address: r.opt_text("bank_address")?,
        address: r
            .opt_text("address")?
            .map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t))),
        verification_method: r.opt_text("verification_method")?,
        micro_deposits: micro,
        verify_attempts: r.i64("verify_attempts")?,
        verified_at: r.opt_text("verified_at")?,
        blocked_reason: r.opt_text("blocked_reason")?,
        created_at: r.text("created_at")?,
        updated_at: r.text("updated_at")?,
        version: r.i64("version")?,
    })
}

/// Investors may act on their own payees; staff need `permission`. Another investor's payees,
/// and investors of another organization, are "not found".
pub async fn authorize(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    permission: Permission,
) -> Result<(), StoreError> {
    match &actor.investor_id {
        Some(own) if own != investor_id => return Err(StoreError::NotFound("investor")),
        Some(_) => {}
        None => actor.require(permission)?,
    }
    tx.fetch_optional(
        q("SELECT id FROM investors WHERE id = $1 AND org_id = $2")
            .bind(investor_id)
            .bind(&actor.org_id),
    )
    .await?
    .ok_or(StoreError::NotFound("investor"))?;
    Ok(())
}

/// Creates a payee. It is verified at once when `verified_by` says how (staff-entered details
/// from a signed form, a check address), and becomes the default when it is the investor's
/// first or `make_default` is set.
pub async fn create(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    details: &PayeeDetails,
    verified_by: Option<&str>,
    make_default: bool,
) -> Result<BankAccount, StoreError> {
    authorize(tx, actor, investor_id, Permission::Operate).await?;
    let existing = tx
        .count(
            q("SELECT COUNT(*) AS n FROM bank_accounts WHERE org_id = $1 AND investor_id = $2 AND status <> 'DISABLED'")
                .bind(&actor.org_id)
                .bind(investor_id),
        )
        .await?;
    let default = make_default || existing == 0;
    if default {
        clear_default(tx, actor, investor_id).await?;
    }
    let id = new_id();
    let now = now_text();
    let sealed = details.account.as_ref();
    tx.execute(
        q("INSERT INTO bank_accounts (id, org_id, investor_id, method, status, is_default, holder_name, currency, routing_number, account_type, account_enc, account_key_id, account_last4, bic, bank_name, bank_address, address, verification_method, verified_at, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20)")
            .bind(&id)
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(details.method.as_str())
            .bind(if verified_by.is_some() { "VERIFIED" } else { "PENDING_VERIFICATION" })
            .bind(i64::from(default))
            .bind(&details.holder_name)
            .bind(&details.currency)
            .bind(details.routing_number.clone())
            .bind(details.account_type.clone())
            .bind(sealed.map(|s| s.ciphertext.clone()))
            .bind(sealed.map(|s| s.key_id.clone()))
            .bind(sealed.map(|s| s.last4.clone()))
            .bind(details.bic.clone())
            .bind(details.bank_name.clone())
            .bind(details.bank_address.clone())
            .bind(details.address.as_ref().map(|a| a.to_string()))
            .bind(verified_by)
            .bind(verified_by.map(|_| now.clone()))
            .bind(&now),
    )
    .await?;
    get_tx(tx, actor, investor_id, &id).await
}

async fn clear_default(tx: &mut Tx, actor: &Actor, investor_id: &str) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE bank_accounts SET is_default = 0, updated_at = $1, version = version + 1 WHERE org_id = $2 AND investor_id = $3 AND is_default = 1")
            .bind(now_text())
            .bind(&actor.org_id)
            .bind(investor_id),
    )
    .await?;
    Ok(())
}

/// One payee of an investor, inside a transaction.
pub async fn get_tx(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    id: &str,
) -> Result<BankAccount, StoreError> {
    authorize(tx, actor, investor_id, Permission::Read).await?;
    let row = tx
        .fetch_optional(
            q(format!("SELECT {COLUMNS} FROM bank_accounts WHERE id = $1 AND org_id = $2 AND investor_id = $3"))
                .bind(id)
                .bind(&actor.org_id)
                .bind(investor_id),
        )
        .await?
        .ok_or(StoreError::NotFound("bank account"))?;
    from_row(&row)
}

/// A payee by id alone (system use: workers sending payments).
pub async fn by_id_tx(tx: &mut Tx, actor: &Actor, id: &str) -> Result<BankAccount, StoreError> {
    let row = tx
        .fetch_optional(
            q(format!(
                "SELECT {COLUMNS} FROM bank_accounts WHERE id = $1 AND org_id = $2"
            ))
            .bind(id)
            .bind(&actor.org_id),
        )
        .await?
        .ok_or(StoreError::NotFound("bank account"))?;
    from_row(&row)
}

/// Payees of an investor (disabled ones included, newest first), keyset-paginated by id.
pub async fn list(
    db: &Db,
    actor: &Actor,
    investor_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<BankAccount>, StoreError> {
    if actor
        .investor_id
        .as_deref()
        .is_some_and(|own| own != investor_id)
    {
        return Err(StoreError::NotFound("investor"));
    }
    actor.require(Permission::Read)?;
    db.fetch_optional(
        q("SELECT id FROM investors WHERE id = $1 AND org_id = $2")
            .bind(investor_id)
            .bind(&actor.org_id),
    )
    .await?
    .ok_or(StoreError::NotFound("investor"))?;
    db.fetch_all(
        q(format!("SELECT {COLUMNS} FROM bank_accounts WHERE org_id = $1 AND investor_id = $2 AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"))
            .bind(&actor.org_id)
            .bind(investor_id)
            .bind(before)
            .bind(limit),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Replaces a payee's details (a change of bank details): verification starts over unless
/// `verified_by` is given. Returns the payee before and after.
pub async fn replace(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    id: &str,
    details: &PayeeDetails,
    verified_by: Option<&str>,
) -> Result<(BankAccount, BankAccount), StoreError> {
    authorize(tx, actor, investor_id, Permission::Operate).await?;
    let before = get_tx(tx, actor, investor_id, id).await?;
    if before.status == "DISABLED" {
        return Err(StoreError::Conflict(
            "this payee is disabled; add a new one".into(),
        ));
    }
    let now = now_text();
    let sealed = details.account.as_ref();
    let n = tx
        .execute(
            q("UPDATE bank_accounts SET method = $1, status = $2, holder_name = $3, currency = $4, routing_number = $5, account_type = $6, account_enc = $7, account_key_id = $8, account_last4 = $9,
                 bic = $10, bank_name = $11, bank_address = $12, address = $13, verification_method = $14, verified_at = $15, micro_deposit_1 = NULL, micro_deposit_2 = NULL, verify_attempts = 0,
                 blocked_reason = NULL, updated_at = $16, version = version + 1
               WHERE id = $17 AND org_id = $18 AND version = $19")
                .bind(details.method.as_str())
                .bind(if verified_by.is_some() { "VERIFIED" } else { "PENDING_VERIFICATION" })
                .bind(&details.holder_name)
                .bind(&details.currency)
                .bind(details.routing_number.clone())
                .bind(details.account_type.clone())
                .bind(sealed.map(|s| s.ciphertext.clone()))
                .bind(sealed.map(|s| s.key_id.clone()))
                .bind(sealed.map(|s| s.last4.clone()))
                .bind(details.bic.clone())
                .bind(details.bank_name.clone())
                .bind(details.bank_address.clone())
                .bind(details.address.as_ref().map(|a| a.to_string()))
                .bind(verified_by)
                .bind(verified_by.map(|_| now.clone()))
                .bind(&now)
                .bind(id)
                .bind(&actor.org_id)
                .bind(before.version),
        )
        .await?;
    if n != 1 {
        return Err(StoreError::Conflict(
            "the payee was changed by someone else; reload and retry".into(),
        ));
    }
    let after = get_tx(tx, actor, investor_id, id).await?;
    Ok((before, after))
}

/// Blocks a payee after a bank return that needs changed details: payments to it are held
/// for review until [`replace`] changes the details (which clears the block). Returns whether
/// it was blocked now (`false`: already blocked, or not found).
pub async fn block(tx: &mut Tx, actor: &Actor, id: &str, reason: &str) -> Result<bool, StoreError> {
    let n = tx
        .execute(
            q("UPDATE bank_accounts SET blocked_reason = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND org_id = $4 AND blocked_reason IS NULL")
                .bind(reason)
                .bind(now_text())
                .bind(id)
                .bind(&actor.org_id),
        )
        .await?;
    Ok(n == 1)
}

/// Makes a payee the investor's default.
pub async fn make_default(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    id: &str,
) -> Result<BankAccount, StoreError> {
    authorize(tx, actor, investor_id, Permission::Operate).await?;
    let current = get_tx(tx, actor, investor_id, id).await?;
    if current.status == "DISABLED" {
        return Err(StoreError::Conflict(
            "a disabled payee cannot be the default".into(),
        ));
    }
    clear_default(tx, actor, investor_id).await?;
    tx.execute(
        q("UPDATE bank_accounts SET is_default = 1, updated_at = $1, version = version + 1 WHERE id = $2 AND org_id = $3")
            .bind(now_text())
            .bind(id)
            .bind(&actor.org_id),
    )
    .await?;
    get_tx(tx, actor, investor_id, id).await
}

/// Disables a payee (kept for history; payments already made to it still name it).
pub async fn disable(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    id: &str,
) -> Result<BankAccount, StoreError> {
    authorize(tx, actor, investor_id, Permission::Operate).await?;
    get_tx(tx, actor, investor_id, id).await?;
    tx.execute(
        q("UPDATE bank_accounts SET status = 'DISABLED', is_default = 0, micro_deposit_1 = NULL, micro_deposit_2 = NULL, updated_at = $1, version = version + 1 WHERE id = $2 AND org_id = $3")
            .bind(now_text())
            .bind(id)
            .bind(&actor.org_id),
    )
    .await?;
    get_tx(tx, actor, investor_id, id).await
}

/// Records the two micro-deposit amounts sent to a payee awaiting verification.
pub async fn start_micro_deposits(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    id: &str,
    amounts: (i64, i64),
) -> Result<BankAccount, StoreError> {
    authorize(tx, actor, investor_id, Permission::Operate).await?;
    let current = get_tx(tx, actor, investor_id, id).await?;
    if current.method != Method::Ach || current.status != "PENDING_VERIFICATION" {
        return Err(StoreError::Conflict(
            "micro-deposits verify ACH payees awaiting verification only".into(),
        ));
    }
    if current.micro_deposits.is_some() {
        return Err(StoreError::Conflict(
            "micro-deposits were already sent to this payee; confirm them".into(),
        ));
    }
    tx.execute(
        q("UPDATE bank_accounts SET micro_deposit_1 = $1, micro_deposit_2 = $2, verify_attempts = 0, updated_at = $3, version = version + 1 WHERE id = $4 AND org_id = $5")
            .bind(amounts.0)
            .bind(amounts.1)
            .bind(now_text())
            .bind(id)
            .bind(&actor.org_id),
    )
    .await?;
    get_tx(tx, actor, investor_id, id).await
}

/// Failed confirmations after which micro-deposit verification is locked (staff must restart).
pub const VERIFY_ATTEMPTS_MAX: i64 = 3;

/// Outcome of a verification attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Verified now.
    Verified(Box<BankAccount>),
    /// Wrong amounts; attempts left.
    Mismatch {
        /// Attempts left before the lock.
        attempts_left: i64,
    },
}

/// Checks the amounts an investor reports against the micro-deposits sent (order-free).
pub async fn confirm_micro_deposits(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    id: &str,
    reported: (i64, i64),
) -> Result<Verification, StoreError> {
    authorize(tx, actor, investor_id, Permission::Operate).await?;
    let current = get_tx(tx, actor, investor_id, id).await?;
    let Some((a, b)) = current.micro_deposits else {
        return Err(StoreError::Conflict(
            "no micro-deposits are awaiting confirmation for this payee".into(),
        ));
    };
    if current.verify_attempts >= VERIFY_ATTEMPTS_MAX {
        return Err(StoreError::Conflict(
            "too many wrong confirmations; ask an operator to restart verification".into(),
        ));
    }
    let matches = (reported == (a, b)) || (reported == (b, a));
    if !matches {
        tx.execute(
            q("UPDATE bank_accounts SET verify_attempts = verify_attempts + 1, updated_at = $1, version = version + 1 WHERE id = $2 AND org_id = $3")
                .bind(now_text())
                .bind(id)
                .bind(&actor.org_id),
        )
        .await?;
        return Ok(Verification::Mismatch {
            attempts_left: VERIFY_ATTEMPTS_MAX - current.verify_attempts - 1,
        });
    }
    mark_verified(tx, actor, investor_id, id, "MICRO_DEPOSIT")
        .await
        .map(|b| Verification::Verified(Box::new(b)))
}

/// Marks a payee verified by `method` (MICRO_DEPOSIT, PLAID, OPERATOR).
pub async fn mark_verified(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    id: &str,
    method: &str,
) -> Result<BankAccount, StoreError> {
    authorize(tx, actor, investor_id, Permission::Operate).await?;
    let now = now_text();
    let n = tx.execute(
        q("UPDATE bank_accounts SET status = 'VERIFIED', verification_method = $1, verified_at = $2, micro_deposit_1 = NULL, micro_deposit_2 = NULL, updated_at = $2, version = version + 1
           WHERE id = $3 AND org_id = $4 AND investor_id = $5 AND status = 'PENDING_VERIFICATION'")
            .bind(method)
            .bind(&now)
            .bind(id)
            .bind(&actor.org_id)
            .bind(investor_id),
    )
    .await?;
    if n != 1 {
        return Err(StoreError::Conflict(
            "only a payee awaiting verification can be verified".into(),
        ));
    }
    get_tx(tx, actor, investor_id, id).await
}

/// The default payee of each of `investor_ids` (any status), for the payment step.
pub async fn defaults_for(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<Vec<BankAccount>, StoreError> {
    tx.fetch_all(
        q(format!("SELECT {} FROM bank_accounts b WHERE b.org_id = $1 AND b.is_default = 1
                   AND b.investor_id IN (SELECT investor_id FROM distribution_lines WHERE distribution_id = $2 AND org_id = $1)",
            COLUMNS.split(", ").map(|c| format!("b.{c}")).collect::<Vec<_>>().join(", ")))
            .bind(&actor.org_id)
            .bind(distribution_id),
    )
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// The usable wire instruction (WIRE, verified, not blocked) of each investor of
/// `distribution_id` (or of `investor_id` alone), the default one first, else the newest:
/// where an oversized ACH credit goes instead.
pub async fn wire_instructions(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: Option<&str>,
    investor_id: Option<&str>,
) -> Result<std::collections::HashMap<String, BankAccount>, StoreError> {
    actor.require(Permission::Read)?;
    let rows = tx
        .fetch_all(
            q(format!("SELECT {COLUMNS} FROM bank_accounts WHERE org_id = $1 AND method = 'WIRE' AND status = 'VERIFIED' AND blocked_reason IS NULL
                       AND ($2 IS NULL OR investor_id IN (SELECT investor_id FROM distribution_lines WHERE distribution_id = $2 AND org_id = $1))
                       AND ($3 IS NULL OR investor_id = $3)
                       ORDER BY investor_id, is_default DESC, created_at DESC, id DESC"))
                .bind(&actor.org_id)
                .bind(distribution_id)
                .bind(investor_id),
        )
        .await?;
    let mut out = std::collections::HashMap::new();
    for r in rows {
        let b = from_row(&r)?;
        out.entry(b.investor_id.clone()).or_insert(b);
    }
    Ok(out)
}

/// Re-seals every account number still under another key than `active_key_id` (key
/// rotation): `reseal` decrypts with the old key and encrypts with the active one.
pub async fn rows_to_reseal(
    tx: &mut Tx,
    active_key_id: &str,
    limit: i64,
) -> Result<Vec<(String, Sealed)>, StoreError> {
    tx.fetch_all(
        q("SELECT id, account_enc, account_key_id, account_last4 FROM bank_accounts WHERE account_enc IS NOT NULL AND account_key_id <> $1 ORDER BY id LIMIT $2")
            .bind(active_key_id)
            .bind(limit),
    )
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.text("id")?,
            Sealed {
                key_id: r.text("account_key_id")?,
                ciphertext: r.text("account_enc")?,
                last4: r.opt_text("account_last4")?.unwrap_or_default(),
            },
        ))
    })
    .collect()
}

/// Stores a re-sealed account number (key rotation; the clear value is unchanged).
pub async fn store_resealed(tx: &mut Tx, id: &str, sealed: &Sealed) -> Result<(), StoreError> {
    tx.execute(
        q("UPDATE bank_accounts SET account_enc = $1, account_key_id = $2 WHERE id = $3")
            .bind(&sealed.ciphertext)
            .bind(&sealed.key_id)
            .bind(id),
    )
    .await?;
    Ok(())
}

/// The investor's default payee, if any (system use: a retry pays the current default).
pub async fn default_of(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
) -> Result<Option<BankAccount>, StoreError> {
    actor.require(Permission::Read)?;
    tx.fetch_optional(
        q(format!("SELECT {COLUMNS} FROM bank_accounts WHERE org_id = $1 AND investor_id = $2 AND is_default = 1"))
            .bind(&actor.org_id)
            .bind(investor_id),
    )
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The payees of a distribution's PENDING payments, by payee id (a rail job's receivers).
pub async fn of_pending_payments(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<std::collections::HashMap<String, BankAccount>, StoreError> {
    actor.require(Permission::Read)?;
    // From the payments to their payees: index range, then primary-key lookups.
    let rows = tx
        .fetch_all(
            q(format!("SELECT {} FROM payments p JOIN bank_accounts b ON b.id = p.bank_account_id WHERE p.org_id = $1 AND b.org_id = $1 AND p.distribution_id = $2 AND p.status = 'PENDING'",
                COLUMNS.split(", ").map(|c| format!("b.{c}")).collect::<Vec<_>>().join(", ")))
                .bind(&actor.org_id)
                .bind(distribution_id),
        )
        .await?;
    let mut out = std::collections::HashMap::with_capacity(rows.len());
    for r in rows {
        let b = from_row(&r)?;
        out.insert(b.id.clone(), b);
    }
    Ok(out)
}

/// What a NACHA entry needs of one PENDING ACH payment's payee and investor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AchReceiver {
    /// The payment.
    pub payment_id: String,
    /// ACH routing number.
    pub routing_number: Option<String>,
    /// CHECKING / SAVINGS.
    pub account_type: Option<String>,
    /// Sealed account number (no last four digits: not read).
    pub account: Option<Sealed>,
    /// The investor's entity type (INDIVIDUAL, JOINT, IRA, …).
    pub entity_type: String,
}

/// The receivers of a distribution's PENDING ACH payments: only the columns a NACHA entry
/// needs, for every payment at once (at 100,000 payments decoding whole payee rows costs more
/// than building the file).
pub async fn ach_receivers(
    tx: &mut Tx,
    actor: &Actor,
    distribution_id: &str,
) -> Result<Vec<AchReceiver>, StoreError> {
    actor.require(Permission::Read)?;
    let rows = tx
        .fetch_all(
            q("SELECT p.id, b.routing_number, b.account_type, b.account_enc, b.account_key_id, i.entity_type
               FROM payments p JOIN bank_accounts b ON b.id = p.bank_account_id JOIN investors i ON i.id = p.investor_id
               WHERE p.org_id = $1 AND p.distribution_id = $2 AND p.status = 'PENDING' AND p.method = 'ACH'")
                .bind(&actor.org_id)
                .bind(distribution_id),
        )
        .await?;
    rows.iter()
        .map(|r| {
            let account = match (r.opt_text("account_enc")?, r.opt_text("account_key_id")?) {
                (Some(ciphertext), Some(key_id)) => Some(Sealed {
                    key_id,
                    ciphertext,
                    last4: String::new(),
                }),
                _ => None,
            };
            Ok(AchReceiver {
                payment_id: r.text("id")?,
                routing_number: r.opt_text("routing_number")?,
                account_type: r.opt_text("account_type")?,
                account,
                entity_type: r.text("entity_type")?,
            })
        })
        .collect()
}
