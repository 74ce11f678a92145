//! Conformance: our OFX reader against the OCA `account_statement_import_ofx` samples, read
//! from the conformance samples folder (see its README; never copied into the repo). The
//! expected values are what that module's own tests assert: the valid file imports with a
//! closing balance of 2156.56 (their opening 2516.56 is derived: closing − the lines) and an
//! "Agrolait" line on 2013-08-24; the "wrong" file (CURDEF, BANKACCTFROM and a DTPOSTED
//! commented out) is refused.

use chrono::NaiveDate;
use clearway_formats::statements::{
    detect_format, ofx, read_file, FileFormat, SheetOptions, StatementFormat,
};
use rust_decimal::Decimal;

mod support;

fn sample(rel: &str) -> Option<Vec<u8>> {
    let dir = support::find()?;
    Some(std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}")))
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn third_party_oca_ofx_reads_as_the_oca_module_expects() {
    let Some(bytes) = sample("ofx/oca-bsi16__test_ofx.ofx") else {
        return;
    };
    assert_eq!(detect_format(&bytes), Some(FileFormat::Ofx));
    let r = read_file(&bytes, None, &SheetOptions::default()).unwrap();
    assert_eq!(r.format, FileFormat::Ofx);
    let st = &r.statements;
    assert_eq!(st.len(), 2, "a bank and a credit-card statement");
    let bank = &st[0];
    assert_eq!(bank.format, StatementFormat::Ofx);
    assert_eq!(bank.account_id, "123456");
    assert_eq!(bank.currency.as_deref(), Some("USD"));
    assert_eq!(
        bank.closing_balance.as_ref().unwrap().amount,
        dec("2156.56")
    );
    let total: Decimal = bank.lines.iter().map(|l| l.amount).sum();
    // OCA's balance_start: the closing balance less the lines.
    assert_eq!(dec("2156.56") - total, dec("2516.56"));
    let names: Vec<_> = bank
        .lines
        .iter()
        .map(|l| l.counterparty.as_ref().unwrap().name.clone().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Agrolait", "China Export", "Axelor Scuba", "China Scuba"]
    );
    let amounts: Vec<_> = bank.lines.iter().map(|l| l.amount).collect();
    assert_eq!(amounts, [dec("-80"), dec("-90"), dec("-100"), dec("-90")]);
    let agrolait = &bank.lines[0];
    assert_eq!(agrolait.booking_date, NaiveDate::from_ymd_opt(2013, 8, 24));
    assert_eq!(agrolait.bank_reference.as_deref(), Some("219378"));
    assert_eq!(agrolait.type_code, "POS");
    assert_eq!(agrolait.line, 31);
    assert_eq!(bank.statement_date, NaiveDate::from_ymd_opt(2013, 8, 31));
    let card = &st[1];
    assert_eq!(card.account_id, "123412341234");
    assert!(card.lines.is_empty());
    assert_eq!(
        card.closing_balance.as_ref().unwrap().amount,
        dec("-562.00")
    );
    // "No activity" is said once for every format, by the import (app), not by each reader.
    assert!(card.warnings.is_empty(), "{:?}", card.warnings);
}

#[test]
fn third_party_oca_wrong_ofx_is_refused() {
    let Some(bytes) = sample("ofx/oca-bsi16__test_ofx_wrong.ofx") else {
        return;
    };
    let text = String::from_utf8(bytes).unwrap();
    let e = ofx::read(&text).unwrap_err();
    assert_eq!(e.line(), Some(21), "{e}");
    assert!(
        e.to_string().contains("missing required <BANKACCTFROM>"),
        "{e}"
    );
}
