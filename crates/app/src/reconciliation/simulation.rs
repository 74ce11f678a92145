//! Rehearsing reconciliation where no bank is reachable: the statement a bank would send,
//! written with the formats crate's BAI2 writer (benchmarks, tests and `clearway statements
//! bank-file`).

use clearway_formats::statements::write::{bai2, Bai2Detail, Bai2Spec};

/// A generated statement (see [`clearway_core::reconciliation::simulate`]) as a BAI2 file,
/// lines in the given order: debits as 451 (ACH), 495 (wire), 475 (check) or 699, credits as
/// 399; references in the 16 record, the counterparty as an `88` `CRNM:`/`DBNM:` text.
pub fn simulation_bai2(
    lines: &[clearway_core::reconciliation::StatementLine],
    account: &str,
    file_id: &str,
) -> String {
    let as_of = lines
        .iter()
        .map(|l| l.booking_date)
        .max()
        .unwrap_or_else(|| chrono::NaiveDate::from_ymd_opt(2024, 1, 2).expect("date"));
    let details = lines
        .iter()
        .map(|l| {
            let d = l.description.to_ascii_uppercase();
            let type_code = if l.amount_minor > 0 {
                399
            } else if d.contains("WIRE") {
                495
            } else if d.contains("CHECK") {
                475
            } else if d.contains("ACH") {
                451
            } else {
                699
            };
            let key = if l.amount_minor < 0 { "CRNM:" } else { "DBNM:" };
            Bai2Detail {
                type_code,
                amount_minor: l.amount_minor.unsigned_abs(),
                value_date: l.value_date,
                bank_reference: l.bank_reference.clone(),
                customer_reference: l.customer_reference.clone(),
                text: l.description.clone(),
                continuations: l.counterparty.iter().map(|c| format!("{key}{c}")).collect(),
            }
        })
        .collect();
    let net: i64 = lines.iter().map(|l| l.amount_minor).sum();
    bai2(&Bai2Spec {
        sender: "021000021".into(),
        receiver: "CLEARWAY".into(),
        file_id: file_id.into(),
        as_of,
        account: account.into(),
        // The account's currency is the lines' (USD for an empty statement).
        currency: lines.first().map_or("USD", |l| l.currency.code()).into(),
        opening_minor: 0,
        closing_minor: net,
        details,
    })
}
