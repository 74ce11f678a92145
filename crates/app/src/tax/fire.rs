//! The IRS FIRE file (Publication 1220) of a closed year: the transmitter settings, the
//! newest issued 1099-DIVs of every fund not yet filed (ORIGINAL: first issues; CORRECTED:
//! corrected issues, indicator G), written and checked by `clearway_formats::tax::{fire,
//! fire_check}`, stored with the forms it carries marked, audited, in one transaction.
//!
//! Every call into the formats crate and into the TIN vault is in this file (the adapter at
//! the end), so the names are fixed in one place.

use clearway_core::access::Permission;
use clearway_core::tax::form1099::Div1099;
use clearway_core::FieldError;
use clearway_store::tax::fire::{self as store, FireFile, Transmitter};
use clearway_store::tax::forms::FormRecord;
use clearway_store::{audit, new_id, now_text, Actor, StoreError, Tx};
use serde_json::json;

use super::years::require_closed;
use crate::{AppError, AppResult};

/// Checks a transmitter as entered (every field named on failure).
pub fn validate_transmitter(t: &Transmitter) -> AppResult<()> {
    let mut errors = Vec::new();
    let mut need = |field: &str, ok: bool, why: &str| {
        if !ok {
            errors.push(FieldError::new(field, why));
        }
    };
    let alnum = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_alphanumeric());
    let digits =
        |s: &str, n: &[usize]| n.contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit());
    let text = |s: &str, max: usize| !s.trim().is_empty() && s.len() <= max && s.is_ascii();
    need(
        "tcc",
        alnum(&t.tcc, 5),
        "must be the 5-character Transmitter Control Code (letters and digits)",
    );
    need("tin", digits(&t.tin, &[9]), "must be 9 digits");
    need("name", text(&t.name, 80), "must be 1–80 ASCII characters");
    need(
        "address",
        text(&t.address, 40),
        "must be 1–40 ASCII characters",
    );
    need("city", text(&t.city, 40), "must be 1–40 ASCII characters");
    need(
        "state",
        t.state.len() == 2 && t.state.chars().all(|c| c.is_ascii_uppercase()),
        "must be a two-letter USPS state code",
    );
    need("zip", digits(&t.zip, &[5, 9]), "must be 5 or 9 digits");
    need(
        "contactName",
        text(&t.contact_name, 40),
        "must be 1–40 ASCII characters",
    );
    need(
        "contactPhone",
        digits(&t.contact_phone, &[10, 11, 12, 13, 14, 15]),
        "must be 10–15 digits",
    );
    need(
        "contactEmail",
        t.contact_email.len() <= 50
            && t.contact_email.is_ascii()
            && t.contact_email
                .split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.')),
        "must be an e-mail address of at most 50 characters",
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(clearway_core::Invalid(errors)))
    }
}

/// Writes the transmitter (admins; permission before validation), audited.
pub async fn put_transmitter(
    tx: &mut Tx,
    actor: &Actor,
    t: &Transmitter,
) -> AppResult<Transmitter> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("transmitter").into());
    }
    actor.require(Permission::Administer)?;
    validate_transmitter(t)?;
    let before = store::transmitter_tx(tx, actor).await?;
    let saved = store::put_transmitter_tx(tx, actor, t).await?;
    // The TIN is the organization's own EIN (public on every form it files), not an investor's.
    let view =
        |t: &Transmitter| json!({ "tcc": t.tcc, "tin": t.tin, "name": t.name, "state": t.state });
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "tax_transmitter.put",
            entity_type: "tax_transmitter",
            entity_id: &actor.org_id,
            before: before.as_ref().map(view),
            after: Some(view(&saved)),
        },
    )
    .await?;
    Ok(saved)
}

/// What a FIRE file is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FireRequest {
    /// The (closed) year.
    pub year: i32,
    /// A corrected-returns file (indicator G) instead of originals.
    pub corrected: bool,
    /// A test file (the forms stay unfiled).
    pub test: bool,
}

/// One payee of the file, before TINs are revealed.
#[derive(Debug, Clone)]
pub struct FirePayee {
    /// The issued form.
    pub form: FormRecord,
    /// Its figures.
    pub figures: Div1099,
}

/// Builds, checks and stores the FIRE file (admins; closed year; a transmitter entered).
/// A file that fails the Publication 1220 check is neither stored nor marked.
/// Payees' TINs are unsealed with `vault` (audited as one reveal listing the investors).
pub async fn create_file(
    tx: &mut Tx,
    actor: &Actor,
    vault: &crate::payments::vault::Vault,
    req: FireRequest,
) -> AppResult<FireFile> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound("FIRE file").into());
    }
    actor.require(Permission::Administer)?;
    require_closed(tx, actor, req.year).await?;
    let transmitter = store::transmitter_tx(tx, actor).await?.ok_or_else(|| {
        AppError::conflict("no transmitter entered: PUT /api/tax/transmitter first")
    })?;
    let forms = store::forms_to_file_tx(tx, actor, req.year, req.corrected).await?;
    if forms.is_empty() {
        return Err(AppError::field(
            "kind",
            format!(
                "no {} 1099-DIV of {} is waiting to be filed",
                if req.corrected {
                    "corrected"
                } else {
                    "original"
                },
                req.year
            ),
        ));
    }
    let mut payees = Vec::with_capacity(forms.len());
    for form in forms {
        let figures: Div1099 = serde_json::from_str(&form.figures)
            .map_err(|_| StoreError::Corrupt("tax_forms.figures".into()))?;
        payees.push(FirePayee { form, figures });
    }
    let written = adapter::write_checked(tx, actor, vault, &transmitter, req, &payees).await?;
    let file = FireFile {
        id: new_id(),
        tax_year: req.year,
        kind: if req.corrected {
            "CORRECTED"
        } else {
            "ORIGINAL"
        }
        .into(),
        test: req.test,
        payers: written.payers,
        payees: written.payees,
        sha256: clearway_store::tax::forms::fingerprint(&written.content),
        created_by: actor.user_id.clone(),
        created_at: now_text(),
    };
    let ids: Vec<String> = payees.iter().map(|p| p.form.id.clone()).collect();
    store::insert_file_tx(tx, actor, &file, &written.content, &ids).await?;
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "fire_file.create",
            entity_type: "fire_file",
            entity_id: &file.id,
            before: None,
            after: Some(json!({ "taxYear": file.tax_year, "kind": file.kind, "test": file.test, "payers": file.payers, "payees": file.payees, "sha256": file.sha256 })),
        },
    )
    .await?;
    Ok(file)
}

/// A written and checked file.
#[derive(Debug, Clone)]
pub struct Written {
    /// The file (ASCII).
    pub content: String,
    /// A records.
    pub payers: i64,
    /// B records.
    pub payees: i64,
}

/// The calls into `clearway_formats::tax::{fire, fire_check}` and the TIN reveal, in one
/// place.
mod adapter {
    use std::collections::BTreeMap;

    use clearway_formats::tax::{fire, fire_check};
    use clearway_store::tax::forms::{fund_tax_tx, recipients_tx};

    use super::*;

    /// Writes the file (payers from the funds' tax settings, payees' TINs in clear) and
    /// checks it; a file failing the check is refused with its issues, nothing stored.
    pub(super) async fn write_checked(
        tx: &mut Tx,
        actor: &Actor,
        vault: &crate::payments::vault::Vault,
        transmitter: &Transmitter,
        req: FireRequest,
        payees: &[FirePayee],
    ) -> AppResult<Written> {
        let ids: Vec<String> = payees.iter().map(|p| p.form.investor_id.clone()).collect();
        let who = recipients_tx(tx, actor, &ids).await?;
        // Only the payees with a TIN on file are revealed (and named in the audit entry).
        let with_tin: Vec<String> = ids
            .iter()
            .filter(|id| who.get(*id).is_some_and(|r| r.tin_last4.is_some()))
            .cloned()
            .collect();
        let tins = crate::tax::profiles::reveal_tins(tx, actor, vault, &with_tin).await?;
        let mut by_fund: BTreeMap<&str, Vec<fire::Payee>> = BTreeMap::new();
        for p in payees {
            let r = who.get(&p.form.investor_id).cloned().unwrap_or_default();
            let (address, city, state, zip) = mailing(&p.form.investor_id, &r)?;
            by_fund
                .entry(&p.form.fund_id)
                .or_default()
                .push(fire::Payee {
                    address,
                    city,
                    state,
                    zip,
                    tin: tins.get(&p.form.investor_id).cloned(),
                    tin_type: r.tin_type.as_deref().and_then(|t| t.parse().ok()),
                    name: r.name,
                    name_control: None,
                    account: account(&p.form.investor_id),
                    corrected: if req.corrected {
                        fire::CorrectionKind::G
                    } else {
                        fire::CorrectionKind::None
                    },
                    figures: p.figures.clone(),
                    ..fire::Payee::default()
                });
        }
        let mut payers = Vec::with_capacity(by_fund.len());
        for (fund_id, list) in by_fund {
            payers.push((payer(tx, actor, fund_id).await?, list));
        }
        let input = fire::FireInput {
            year: req.year,
            transmitter: fire::Transmitter {
                tcc: transmitter.tcc.clone(),
                tin: transmitter.tin.clone(),
                name: transmitter.name.clone(),
                company_name: transmitter.name.clone(),
                address: transmitter.address.clone(),
                city: transmitter.city.clone(),
                state: transmitter.state.clone(),
                zip: transmitter.zip.clone(),
                contact_name: transmitter.contact_name.clone(),
                contact_phone: transmitter.contact_phone.clone(),
                contact_email: transmitter.contact_email.clone(),
                test: req.test,
                prior_year: false,
            },
            payers,
        };
        let bytes = fire::write(&input)
            .map_err(|e| AppError::conflict(format!("the FIRE file cannot be written: {e}")))?;
        let summary = fire_check::check(&bytes).map_err(|issues| {
            let text: Vec<String> = issues
                .iter()
                .take(20)
                .map(|i| {
                    format!(
                        "record {} positions {}-{}: {}",
                        i.record, i.position.0, i.position.1, i.message
                    )
                })
                .collect();
            AppError::Remote(format!(
                "the FIRE file failed its Publication 1220 check: {}",
                text.join("; ")
            ))
        })?;
        let content = String::from_utf8(bytes)
            .map_err(|_| AppError::Remote("the FIRE file is not ASCII".into()))?;
        Ok(Written {
            content,
            payers: summary.payers as i64,
            payees: summary.payees as i64,
        })
    }

    /// The payee's mailing address (street, city, state, ZIP) from their payment method; a
    /// payee without one refuses the file, naming them (the IRS needs it on the B record).
    fn mailing(
        investor_id: &str,
        r: &clearway_store::tax::forms::Recipient,
    ) -> AppResult<(String, String, String, String)> {
        let a = r.address.as_ref();
        let text = |k: &str| {
            a.and_then(|a| a.get(k))
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let street = a
            .and_then(|a| a.get("lines"))
            .and_then(|l| l.get(0))
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        let state = Some(text("region"))
            .filter(|s| !s.is_empty())
            .or_else(|| r.residence_state.clone())
            .unwrap_or_default();
        let zip: String = text("postalCode")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if street.is_empty() || text("city").is_empty() || zip.is_empty() {
            return Err(AppError::conflict(format!(
                "investor {investor_id} has no US mailing address on file (a payment method's address): the FIRE file needs it"
            )));
        }
        Ok((street, text("city"), state, zip))
    }

    /// The payer's account number for the payee (unique per payer, at most 20): the id's
    /// last 20 letters and digits (a UUID's random end; its time-ordered start is shared).
    fn account(investor_id: &str) -> String {
        let plain: Vec<char> = investor_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        plain[plain.len().saturating_sub(20)..].iter().collect()
    }

    /// The fund as payer (A record), from its tax settings; a fund without them cannot file.
    async fn payer(tx: &mut Tx, actor: &Actor, fund_id: &str) -> AppResult<fire::Payer> {
        let t = fund_tax_tx(tx, actor, fund_id).await?;
        let missing = || {
            AppError::conflict(format!(
                "fund {fund_id} has no payer TIN, name and address in its tax settings"
            ))
        };
        Ok(fire::Payer {
            tin: t.payer_tin.ok_or_else(missing)?,
            name: t.payer_name.ok_or_else(missing)?,
            name_control: None,
            address: t.payer_address.unwrap_or_default(),
            city: t.payer_city.unwrap_or_default(),
            state: t.payer_state.unwrap_or_default(),
            zip: t.payer_zip.unwrap_or_default(),
            phone: t.payer_phone.unwrap_or_default(),
            last_filing: false,
        })
    }
}
