//! Investors' tax profiles: entered through the API or an import, TIN sealed with the payments
//! vault (like account numbers), every change audited (TIN masked) with a
//! `tax_profile.changed` event in the same transaction.
//!
//! The TIN of a body: absent (or `null`) keeps the stored TIN; `""` removes it; a value
//! replaces it. A certified US person needs a TIN on file (unless an exempt payee).

use std::collections::HashMap;

use clearway_core::access::Permission;
use clearway_core::tax::profile::{validate, ProfileInput, Residency, TaxProfile, TinStatus};
use clearway_core::FieldError;
use clearway_store::tax::profiles::{self as store, StoredProfile, TinChange};
use clearway_store::{audit, outbox, Actor, Db, StoreError, Tx};
use serde_json::json;

use crate::payments::vault::Vault;
use crate::{AppError, AppResult};

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// No profile before.
    Created,
    /// Changed.
    Updated,
    /// Same as stored: nothing written.
    Unchanged,
}

/// `•••••6789` (or nothing).
pub fn masked(last4: Option<&str>) -> Option<String> {
    last4.map(|l| format!("•••••{l}"))
}

/// The profile as the audit log and events see it: the TIN masked.
fn audit_view(p: &TaxProfile) -> serde_json::Value {
    let mut v = serde_json::to_value(p).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.remove("tinLast4");
        obj.insert("tin".into(), json!(masked(p.tin_last4.as_deref())));
    }
    v
}

/// Checks, seals and stores one profile; the caller commits. Permission and the investor's
/// existence come before validation.
pub async fn put(
    tx: &mut Tx,
    actor: &Actor,
    vault: &Vault,
    investor_id: &str,
    input: &ProfileInput,
) -> AppResult<(StoredProfile, Outcome)> {
    actor.require(Permission::Operate)?;
    let before = store::get_tx(tx, actor, investor_id).await?;
    let valid = validate(investor_id, input)?;
    let mut profile = valid.profile;
    let given = input.tin.as_deref().map(str::trim);
    let prior = before.as_ref().map(|b| &b.profile);
    let change = match (given, valid.tin) {
        (_, Some(tin)) if same_tin(tx, actor, vault, investor_id, prior, &tin).await? => {
            TinChange::Keep
        }
        (_, Some(tin)) => TinChange::Set(
            vault
                .seal(&tin)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        ),
        (Some(""), None) => TinChange::Clear,
        _ => {
            profile.tin_last4 = prior.and_then(|p| p.tin_last4.clone());
            if profile.tin_type.is_none() {
                profile.tin_type = prior.and_then(|p| p.tin_type);
            }
            TinChange::Keep
        }
    };
    if matches!(change, TinChange::Clear) {
        profile.tin_type = None;
    }
    if profile.residency == Residency::Us
        && profile.tin_status == TinStatus::Certified
        && profile.tin_last4.is_none()
        && profile.exempt_payee_code.is_none()
    {
        return Err(AppError::Invalid(
            FieldError::new("tin", "a certified US person needs a TIN on file").into(),
        ));
    }
    if prior == Some(&profile) && matches!(change, TinChange::Keep) {
        let Some(b) = before else {
            return Err(StoreError::NotFound("tax profile").into());
        };
        return Ok((b, Outcome::Unchanged));
    }
    let version = store::upsert_tx(
        tx,
        actor,
        &profile,
        &change,
        before.as_ref().map(|b| b.version),
    )
    .await?;
    let after = audit_view(&profile);
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "tax_profile.put",
            entity_type: "tax_profile",
            entity_id: investor_id,
            before: prior.map(audit_view),
            after: Some(after.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        "tax_profile.changed",
        "investor",
        investor_id,
        json!({ "investorId": investor_id, "version": version, "profile": after }),
    )
    .await?;
    let outcome = if before.is_some() {
        Outcome::Updated
    } else {
        Outcome::Created
    };
    let stored = store::get_tx(tx, actor, investor_id)
        .await?
        .ok_or(StoreError::NotFound("tax profile"))?;
    Ok((stored, outcome))
}

/// Whether `tin` is the TIN already stored (then nothing is re-sealed: an import of the same
/// file again changes nothing).
async fn same_tin(
    tx: &mut Tx,
    actor: &Actor,
    vault: &Vault,
    investor_id: &str,
    prior: Option<&TaxProfile>,
    tin: &str,
) -> AppResult<bool> {
    if prior.and_then(|p| p.tin_last4.as_deref()) != Some(&tin[tin.len().saturating_sub(4)..]) {
        return Ok(false);
    }
    let sealed = store::sealed_tins_tx(tx, actor, &[investor_id.to_string()]).await?;
    Ok(sealed
        .first()
        .and_then(|(_, s)| vault.open(s).ok())
        .is_some_and(|clear| clear == tin))
}

/// An investor's profile (staff, or the investor themself); `None` when none was entered.
pub async fn get(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
) -> AppResult<Option<StoredProfile>> {
    Ok(store::get_tx(tx, actor, investor_id).await?)
}

/// The TINs of `investor_ids` in clear (nine digits), for the FIRE file: staff with Operate
/// only, audited as one `tax_profile.reveal` entry listing the investors, never the TINs.
/// Investors without a TIN on file are absent from the map.
pub async fn reveal_tins(
    tx: &mut Tx,
    actor: &Actor,
    vault: &Vault,
    investor_ids: &[String],
) -> AppResult<HashMap<String, String>> {
    actor.require(Permission::Operate)?;
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("tax profile").into());
    }
    let sealed = store::sealed_tins_tx(tx, actor, investor_ids).await?;
    let mut out = HashMap::with_capacity(sealed.len());
    for (id, s) in &sealed {
        let clear = vault
            .open(s)
            .map_err(|e| StoreError::Corrupt(format!("TIN of {id}: {e}")))?;
        out.insert(id.clone(), clear);
    }
    let mut ids: Vec<&String> = out.keys().collect();
    ids.sort();
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "tax_profile.reveal",
            entity_type: "tax_profile",
            entity_id: "bulk",
            before: None,
            after: Some(json!({ "investorIds": ids, "count": ids.len() })),
        },
    )
    .await?;
    Ok(out)
}

/// Re-seals every TIN under another key than the vault's active one (`clearway payments
/// rotate-keys`), 500 per transaction; returns how many.
pub async fn reseal_tins(db: &Db, vault: &Vault) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let mut tx = db.begin().await?;
        let rows = store::rows_to_reseal(&mut tx, vault.active_key_id(), 500).await?;
        if rows.is_empty() {
            return Ok(total);
        }
        for (id, sealed) in &rows {
            let fresh = vault.reseal(sealed).map_err(|e| {
                StoreError::Corrupt(format!(
                    "TIN of {id}: the key '{}' that sealed it: {e}",
                    sealed.key_id
                ))
            })?;
            store::store_resealed(&mut tx, id, &fresh).await?;
        }
        tx.commit().await?;
        total += rows.len();
    }
}
