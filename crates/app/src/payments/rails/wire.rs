//! The wire rail: a distribution's pending wires as a pain.001 file.

use chrono::{NaiveDate, NaiveDateTime};
use clearway_core::payments::reference;
use clearway_core::Currency;
use clearway_formats::iso20022::pain001::{self, AccountId, PostalAddress, Version};
use clearway_formats::iso20022::wires::{self, end_to_end_id, latin_text, WireItem};
use clearway_store::payments::{Payment, Sent};
use clearway_store::{Actor, Tx};

use crate::jobs::JobError;
use crate::payments::{Originator, PaymentsConfig};

use super::{payees_of, Produced};

/// Builds a pain.001 of `items` paid by `orig` (see
/// [`clearway_formats::iso20022::wires::credit_transfer_file`]). Returns the XML.
pub fn pain001_file(
    orig: &Originator,
    message_id: &str,
    created: NaiveDateTime,
    execution: NaiveDate,
    items: &[WireItem],
    version: Version,
) -> Result<String, pain001::Pain001Error> {
    let debtor = wires::Debtor {
        name: orig.company_name.clone(),
        account_number: orig.account_number.clone(),
        bank_bic: orig.bank_bic.clone(),
    };
    wires::credit_transfer_file(&debtor, message_id, created, execution, items, version)
}

/// A pain.001 error without the offending value: it may be an account number or IBAN, and
/// failure reasons are stored and shown.
fn without_value(e: &pain001::Pain001Error) -> String {
    match e {
        pain001::Pain001Error::Field { path, problem, .. } => format!("{path}: {problem}"),
        other => other.to_string(),
    }
}

/// Address JSON (`{"lines": [...], "city", "postalCode", "country", ...}`) as pain.001 fields.
pub fn postal_address(v: &serde_json::Value) -> Option<PostalAddress> {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(|t| latin_text(t, 70));
    let lines: Vec<String> = v
        .get("lines")
        .and_then(|l| l.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .map(|t| latin_text(t, 70))
                .collect()
        })
        .unwrap_or_default();
    let country = v
        .get("country")
        .and_then(|x| x.as_str())
        .map(str::to_string);
    if lines.is_empty() && country.is_none() {
        return None;
    }
    // PostalAddress6 allows Ctry with AdrLine; keep it to lines + town + post code + country.
    let mut address_lines = lines;
    let town_line = [s("postalCode"), s("city")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if !town_line.is_empty() {
        address_lines.push(town_line);
    }
    address_lines.truncate(7);
    Some(PostalAddress {
        country,
        address_lines,
        ..PostalAddress::default()
    })
}

pub(super) async fn produce_wire(
    tx: &mut Tx,
    cfg: &PaymentsConfig,
    actor: &Actor,
    batch_id: &str,
    payments: &[Payment],
    execution: NaiveDate,
    description: &str,
) -> Result<Produced, JobError> {
    let payees = payees_of(tx, actor, payments).await?;
    let mut items = Vec::new();
    let mut kept = Vec::new();
    let mut rejected = Vec::new();
    let message_id = end_to_end_id(batch_id);
    let created = chrono::Utc::now().naive_utc();
    for p in payments {
        let Some(b) = p.bank_account_id.as_ref().and_then(|id| payees.get(id)) else {
            rejected.push((p.id.clone(), "payee no longer exists".to_string()));
            continue;
        };
        let account = match b.account.as_ref().map(|s| cfg.vault.open(s)) {
            Some(Ok(a)) => a,
            Some(Err(e)) => return Err(JobError::Permanent(format!("payee {}: {e}", b.id))),
            None => {
                rejected.push((p.id.clone(), "payee has no account number or IBAN".into()));
                continue;
            }
        };
        let currency = p.currency;
        let account = if pain001::validate_iban(&account).is_ok() {
            AccountId::Iban(account)
        } else {
            AccountId::Other(account)
        };
        let token = reference::token(&p.id);
        let item = WireItem {
            payment_id: p.id.clone(),
            end_to_end_id: token.clone(),
            amount_minor: p.amount_minor,
            currency: currency.code().to_string(),
            exponent: currency.minor_units(),
            account,
            // why: a wire payee without a BIC fails pain.001 validation below, alone
            bic: b.bic.clone().unwrap_or_default(),
            name: p.payee_name.clone(),
            address: b.address.as_ref().and_then(postal_address),
            // Led by the token: banks that cut the remittance keep its head.
            remittance: format!("{token} Distribution {description}"),
        };
        // Each wire alone first, so one bad payee fails only its own payment.
        match pain001_file(
            &cfg.originator,
            &message_id,
            created,
            execution,
            std::slice::from_ref(&item),
            Version::V03,
        ) {
            Ok(_) => {
                items.push(item);
                kept.push(p);
            }
            Err(e) => rejected.push((p.id.clone(), format!("pain.001: {}", without_value(&e)))),
        }
    }
    let content = if items.is_empty() {
        String::new()
    } else {
        pain001_file(
            &cfg.originator,
            &message_id,
            created,
            execution,
            &items,
            Version::V03,
        )
        .map_err(|e| JobError::Permanent(without_value(&e)))?
    };
    let currency = kept.first().map_or(Currency::USD, |p| p.currency);
    Ok(Produced {
        kind: "PAIN001",
        file_name: format!("wires-{}-{batch_id}.xml", execution.format("%Y%m%d")),
        content,
        sent: kept
            .iter()
            .map(|p| Sent {
                id: p.id.clone(),
                reference: reference::token(&p.id),
                attempt: p.attempt,
            })
            .collect(),
        rejected,
        total_minor: if kept.iter().all(|p| p.currency == currency) {
            kept.iter().map(|p| p.amount_minor).sum()
        } else {
            0
        },
        currency: currency.code().to_string(),
    })
}
