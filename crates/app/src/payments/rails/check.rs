//! The check rail: a distribution's pending checks numbered into the check register.

use chrono::NaiveDate;
use clearway_core::payments::reference;
use clearway_core::Currency;
use clearway_formats::payments_csv::{self, CheckRegisterEntry};
use clearway_store::payments::{self as pstore, Payment, Sent};
use clearway_store::{Actor, Tx};

use crate::jobs::JobError;
use crate::payments::PaymentsConfig;

use super::{payees_of, Produced};

/// A check to print: number, date, payee, amount, mailing address.
#[derive(Debug, Clone)]
pub struct CheckItem {
    /// Check number.
    pub number: i64,
    /// Payee.
    pub payee: String,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// Currency.
    pub currency: Currency,
    /// Mailing address lines.
    pub address: Vec<String>,
    /// Payment id.
    pub payment_id: String,
}

/// The check register file (CSV) handed to the check printer (see
/// [`clearway_formats::payments_csv::check_register`]).
pub fn check_register(issue: NaiveDate, items: &[CheckItem]) -> String {
    let entries: Vec<CheckRegisterEntry> = items
        .iter()
        .map(|c| CheckRegisterEntry {
            number: c.number,
            payee: c.payee.clone(),
            amount: c.currency.format_minor(c.amount_minor),
            currency: c.currency.code().to_string(),
            address: c.address.clone(),
            payment_id: c.payment_id.clone(),
            // Led by the token, as the wires' remittance and the ACH individual id are.
            memo: format!("{} Distribution", reference::token(&c.payment_id)),
        })
        .collect();
    payments_csv::check_register(issue, &entries)
}

/// Address JSON as printable lines (checks).
pub fn address_lines(v: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .get("lines")
        .and_then(|l| l.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let city = [s("city"), s("region"), s("postalCode")]
        .into_iter()
        .filter(|x| !x.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !city.is_empty() {
        out.push(city);
    }
    if !s("country").is_empty() {
        out.push(s("country"));
    }
    out
}

pub(super) async fn produce_checks(
    tx: &mut Tx,
    cfg: &PaymentsConfig,
    actor: &Actor,
    batch_id: &str,
    payments: &[Payment],
    issue: NaiveDate,
) -> Result<Produced, JobError> {
    let payees = payees_of(tx, actor, payments).await?;
    let mut rejected = Vec::new();
    let mut to_print = Vec::new();
    for p in payments {
        match p
            .bank_account_id
            .as_ref()
            .and_then(|id| payees.get(id))
            .and_then(|b| b.address.clone())
        {
            Some(address) => to_print.push((p, address)),
            None => rejected.push((p.id.clone(), "payee has no mailing address".to_string())),
        }
    }
    // Numbers only for the checks printed: the register has no gaps.
    let mut next = pstore::next_check_numbers(
        tx,
        actor,
        cfg.first_check_number,
        // why: a count of checks in memory fits an i64
        to_print.len() as i64,
    )
    .await?;
    let mut items = Vec::new();
    let mut kept = Vec::new();
    for (p, address) in to_print {
        items.push(CheckItem {
            number: next,
            payee: p.payee_name.clone(),
            amount_minor: p.amount_minor,
            currency: p.currency,
            address: address_lines(&address),
            payment_id: p.id.clone(),
        });
        kept.push(p);
        next += 1;
    }
    Ok(Produced {
        kind: "CHECK_REGISTER",
        file_name: format!("checks-{}-{batch_id}.csv", issue.format("%Y%m%d")),
        content: check_register(issue, &items),
        sent: kept
            .iter()
            .zip(&items)
            .map(|(p, c)| Sent {
                id: p.id.clone(),
                reference: c.number.to_string(),
                attempt: p.attempt,
            })
            .collect(),
        rejected,
        total_minor: kept.iter().map(|p| p.amount_minor).sum(),
        currency: kept
            .first()
            .map_or("USD", |p| p.currency.code())
            .to_string(),
    })
}
