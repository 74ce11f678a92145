//! Conformance: the CSV/XLSX statement reader against the third-party layouts in
//! the `csv/` folder of the conformance samples (see `tests/support`) (OCA bank-statement-import fixtures: debit/credit columns,
//! multi-currency, no header, metadata rows, PayPal exports, XLSX with date cells and text
//! amounts). Expected values were read off each file by hand; every amount, date and sign is
//! asserted exactly. Files are never copied into the repo.

use chrono::NaiveDate;
use clearway_formats::statements::{
    csv, read_file, xlsx, FileFormat, SheetOptions, Statement, StatementFormat,
};
use rust_decimal::Decimal;

mod support;

fn sample(name: &str) -> Vec<u8> {
    let dir = support::dir().join("csv");
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Reads with format and preset detection, asserting the preset chosen.
fn detect(name: &str, preset: &str) -> Vec<Statement> {
    let r = read_file(&sample(name), None, &SheetOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(r.preset.as_deref(), Some(preset), "{name}");
    r.statements
}

fn with_preset(name: &str, preset: &str) -> Vec<Statement> {
    let options = SheetOptions {
        preset: Some(preset.into()),
        ..SheetOptions::default()
    };
    read_file(&sample(name), None, &options)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .statements
}

fn amounts(st: &Statement) -> Vec<Decimal> {
    st.lines.iter().map(|l| l.amount).collect()
}

#[test]
fn third_party_simple_en_signed_amounts_one_statement_per_currency() {
    if support::skip() {
        return;
    }
    let st = detect("oca-bsi16__sample_statement_en.csv", "simple-en");
    assert_eq!(st.len(), 2);
    assert_eq!(st[0].format, StatementFormat::Csv);
    assert_eq!(st[0].currency.as_deref(), Some("USD"));
    assert_eq!(amounts(&st[0]), vec![dec("-33.50")]);
    let l = &st[0].lines[0];
    assert_eq!(l.booking_date, date(2018, 12, 15));
    assert_eq!(l.value_date, date(2018, 12, 15));
    assert_eq!(l.description, "Your best supplier on 12/15/2018");
    let cp = l.counterparty.as_ref().unwrap();
    assert_eq!(cp.name.as_deref(), Some("John Doe"));
    assert_eq!(cp.account.as_deref(), Some("123456789"));
    assert_eq!(l.line, 2);
    assert!(l.raw.starts_with("\"12/15/2018\",\"Your best supplier"));
    assert_eq!(st[1].currency.as_deref(), Some("EUR"));
    assert_eq!(amounts(&st[1]), vec![dec("1525.00")]);
    assert_eq!(
        st[1].lines[0]
            .counterparty
            .as_ref()
            .unwrap()
            .name
            .as_deref(),
        Some("Azure Interior")
    );
}

#[test]
fn third_party_credit_card_inverse_sign_flips_every_amount() {
    if support::skip() {
        return;
    }
    let st = with_preset(
        "oca-bsi16__sample_statement_credit_card_inverse_sign_en.csv",
        "simple-en-inverse",
    );
    assert_eq!(amounts(&st[0]), vec![dec("-33.50")]);
    assert_eq!(st[0].currency.as_deref(), Some("USD"));
    assert_eq!(amounts(&st[1]), vec![dec("1525.00")]);
    assert_eq!(st[1].currency.as_deref(), Some("EUR"));
}

#[test]
fn third_party_running_balance_gives_opening_and_closing() {
    if support::skip() {
        return;
    }
    let st = detect("oca-bsi16__balance.csv", "simple-en");
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].currency, None, "the file names no currency");
    assert_eq!(amounts(&st[0]), vec![dec("-33.50"), dec("1533.50")]);
    assert_eq!(st[0].opening_balance.as_ref().unwrap().amount, dec("10.00"));
    assert_eq!(
        st[0].closing_balance.as_ref().unwrap().amount,
        dec("1510.00")
    );
    assert!(st[0].warnings.is_empty(), "{:?}", st[0].warnings);
}

#[test]
fn third_party_multi_and_original_currency_layouts() {
    if support::skip() {
        return;
    }
    let st = detect("oca-bsi16__multi_currency.csv", "simple-en");
    assert_eq!(
        st.iter()
            .map(|s| (s.currency.clone().unwrap(), amounts(s)))
            .collect::<Vec<_>>(),
        vec![
            ("USD".to_string(), vec![dec("-33.50")]),
            ("EUR".to_string(), vec![dec("1525.00")])
        ]
    );
    let st = detect("oca-bsi16__original_currency.csv", "simple-en");
    assert_eq!(st[0].currency.as_deref(), Some("EUR"));
    assert_eq!(amounts(&st[0]), vec![dec("1525.00")]);
    // A blank currency cell leaves the currency to the caller (or to an override).
    let st = detect("oca-bsi16__original_currency_empty.csv", "simple-en");
    assert_eq!(st[0].currency, None);
    assert_eq!(amounts(&st[0]), vec![dec("1525.00")]);
    let options = SheetOptions {
        preset: Some("simple-en".into()),
        overrides: csv::Overrides {
            currency: Some("eur".into()),
            ..Default::default()
        },
    };
    let st = read_file(
        &sample("oca-bsi16__original_currency_empty.csv"),
        Some(FileFormat::Csv),
        &options,
    )
    .unwrap()
    .statements;
    assert_eq!(st[0].currency.as_deref(), Some("EUR"));
}

#[test]
fn third_party_no_header_layout_is_read_by_column_index() {
    if support::skip() {
        return;
    }
    let st = detect(
        "oca-bsi16__original_currency_no_header.csv",
        "simple-en-no-header",
    );
    assert_eq!(st.len(), 1);
    let l = &st[0].lines[0];
    assert_eq!(st[0].currency.as_deref(), Some("EUR"));
    assert_eq!(l.amount, dec("1525.00"));
    assert_eq!(l.booking_date, date(2018, 12, 15));
    assert_eq!(l.bank_reference.as_deref(), Some("INV0001"));
    assert_eq!(l.line, 1);
}

#[test]
fn third_party_metadata_rows_debit_credit_columns_and_trailer() {
    if support::skip() {
        return;
    }
    let st = detect(
        "oca-bsi16__meta_data_separated_credit_debit.csv",
        "debit-credit-eu",
    );
    assert_eq!(st.len(), 1);
    let s = &st[0];
    assert_eq!(
        s.account_id, "08088804068",
        "account from the metadata rows"
    );
    assert_eq!(s.currency.as_deref(), Some("EUR"), "currency from ': EUR'");
    assert_eq!(
        amounts(s),
        vec![dec("-50.00"), dec("-100.00"), dec("-80.68"), dec("1300.00")]
    );
    let dates: Vec<_> = s.lines.iter().map(|l| l.booking_date).collect();
    assert_eq!(
        dates,
        vec![
            date(2020, 4, 1),
            date(2020, 4, 1),
            date(2020, 4, 2),
            date(2020, 4, 2)
        ]
    );
    assert_eq!(s.lines[0].bank_reference.as_deref(), Some("UNIQUE OP 1"));
    assert_eq!(s.lines[1].description, "LABEL 2 / CLIENTS X");
    assert_eq!(s.lines[0].line, 6);
    assert_eq!(s.statement_date, date(2020, 4, 2));
}

#[test]
fn third_party_paypal_activity_english() {
    if support::skip() {
        return;
    }
    let st = detect("oca-bsi14-paypal__activity_en.csv", "paypal-en");
    let by: Vec<(String, usize)> = st
        .iter()
        .map(|s| (s.currency.clone().unwrap(), s.lines.len()))
        .collect();
    assert_eq!(
        by,
        vec![("USD".into(), 45), ("EUR".into(), 29), ("AUD".into(), 2)]
    );
    let usd = &st[0];
    assert_eq!(usd.account_id, "PAYPAL");
    let first = &usd.lines[0];
    assert_eq!(first.amount, dec("79.75"), "net of the 4.25 fee");
    assert_eq!(first.booking_date, date(2015, 12, 29));
    assert_eq!(first.bank_reference.as_deref(), Some("TID1"));
    assert_eq!(
        first.counterparty.as_ref().unwrap().name.as_deref(),
        Some("PARTNER1")
    );
    assert_eq!(usd.lines[2].amount, dec("1580.68"));
    assert_eq!(usd.lines[2].customer_reference.as_deref(), Some("RTID1"));
    assert_eq!(usd.opening_balance.as_ref().unwrap().amount, dec("0.00"));
    assert_eq!(usd.closing_balance.as_ref().unwrap().amount, dec("1.90"));
    let total: Decimal = usd.lines.iter().map(|l| l.amount).sum();
    assert_eq!(total, dec("1.90"));
    let eur = &st[1];
    assert_eq!(eur.lines[0].amount, dec("43.34"));
    assert!(eur.lines.iter().any(|l| l.amount == dec("-12431.37")));
    assert_eq!(eur.closing_balance.as_ref().unwrap().amount, dec("43.34"));
    assert_eq!(
        amounts(&st[2]),
        vec![dec("100.00"), dec("-100.00")],
        "AUD conversion in and payment out"
    );
    for s in &st {
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }
}

#[test]
fn third_party_paypal_statement_spanish_decimal_comma() {
    if support::skip() {
        return;
    }
    let st = detect("oca-bsi14-paypal__statement_es.csv", "paypal-es");
    assert_eq!(st.len(), 1);
    let s = &st[0];
    assert_eq!(s.currency.as_deref(), Some("EUR"));
    assert_eq!(
        amounts(s),
        vec![dec("47.59"), dec("27.63"), dec("34.39"), dec("21.47")]
    );
    assert_eq!(s.lines[0].booking_date, date(2020, 1, 2));
    assert_eq!(s.lines[3].booking_date, date(2020, 1, 3));
    assert_eq!(s.lines[1].bank_reference.as_deref(), Some("TID2"));
    assert_eq!(
        s.lines[2].counterparty.as_ref().unwrap().name.as_deref(),
        Some("Partner 3")
    );
    assert_eq!(s.opening_balance.as_ref().unwrap().amount, dec("4579.22"));
    assert_eq!(s.closing_balance.as_ref().unwrap().amount, dec("4710.30"));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn third_party_xlsx_with_date_cells_and_numbers() {
    if support::skip() {
        return;
    }
    let bytes = sample("oca-bsi16__sample_statement_en.xlsx");
    let r = read_file(&bytes, None, &SheetOptions::default()).unwrap();
    assert_eq!(r.format, FileFormat::Xlsx);
    assert_eq!(r.preset.as_deref(), Some("simple-en"));
    let st = r.statements;
    assert_eq!(st[0].format, StatementFormat::Xlsx);
    assert_eq!(st[0].currency.as_deref(), Some("USD"));
    assert_eq!(amounts(&st[0]), vec![dec("-33.5")]);
    assert_eq!(st[0].lines[0].booking_date, date(2018, 12, 15));
    assert_eq!(st[0].lines[0].line, 2, "sheet row number");
    assert_eq!(st[1].currency.as_deref(), Some("EUR"));
    assert_eq!(amounts(&st[1]), vec![dec("1525")]);
    assert_eq!(
        st[1].lines[0]
            .counterparty
            .as_ref()
            .unwrap()
            .name
            .as_deref(),
        Some("Azure Interior")
    );
}

#[test]
fn third_party_xlsx_text_amounts_with_currency_marks_and_total_row() {
    if support::skip() {
        return;
    }
    let st = detect(
        "oca-bsi16__sample_statement_en_empty_values.xlsx",
        "debit-credit-en",
    );
    assert_eq!(st.len(), 1);
    let s = &st[0];
    assert_eq!(
        amounts(s),
        vec![dec("-579.68"), dec("-544.00"), dec("-1084")],
        "the TOTAL row is not a transaction"
    );
    assert!(s.lines.iter().all(|l| l.booking_date == date(2024, 3, 7)));
    assert_eq!(s.lines[0].bank_reference.as_deref(), Some("84 376358"));
    assert_eq!(s.lines[0].description, "TRANS 3333349666");
    assert_eq!(s.opening_balance.as_ref().unwrap().amount, dec("9705.75"));
    assert_eq!(s.closing_balance.as_ref().unwrap().amount, dec("7498.07"));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn third_party_xlsx_with_only_a_header_is_an_empty_statement() {
    if support::skip() {
        return;
    }
    let st = detect("oca-bsi16__empty_statement_en.xlsx", "simple-en");
    assert_eq!(st.len(), 1);
    assert!(st[0].lines.is_empty());
}

#[test]
fn third_party_custom_mapping_from_overrides() {
    if support::skip() {
        return;
    }
    let input = b"when;what;out;in;ref\n2024-01-05;Fee;12,50;;F1\n2024-01-06;Interest;;0,07;I1\n";
    let options = SheetOptions {
        preset: None,
        overrides: csv::Overrides {
            date_column: Some(csv::Column::parse("when")),
            debit_column: Some(csv::Column::parse("out")),
            credit_column: Some(csv::Column::parse("in")),
            reference_column: Some(csv::Column::parse("ref")),
            description_column: Some(csv::Column::parse("what")),
            decimal_separator: Some(','),
            currency: Some("USD".into()),
            account_id: Some("OPS-1".into()),
            ..Default::default()
        },
    };
    let r = read_file(input, Some(FileFormat::Csv), &options).unwrap();
    assert_eq!(r.preset.as_deref(), Some("custom"));
    let s = &r.statements[0];
    assert_eq!(s.account_id, "OPS-1");
    assert_eq!(amounts(s), vec![dec("-12.50"), dec("0.07")]);
    assert_eq!(s.lines[1].bank_reference.as_deref(), Some("I1"));
}

#[test]
fn third_party_unknown_layout_and_bad_rows_are_clear_errors() {
    if support::skip() {
        return;
    }
    let e = read_file(
        b"foo,bar\n1,2\n",
        Some(FileFormat::Csv),
        &SheetOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("no preset fits"), "{e}");
    let options = SheetOptions {
        preset: Some("simple-en".into()),
        ..Default::default()
    };
    let e = read_file(
        b"Date,Label,Amount\n12/15/2018,x,12.3.4\n",
        Some(FileFormat::Csv),
        &options,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(e, "line 2: CSV row: Amount '12.3.4' is not an amount");
    let e = read_file(
        &sample("oca-bsi16__sample_statement_en.csv")[..120],
        Some(FileFormat::Csv),
        &options,
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("line 2: CSV row:"), "truncated file: {e}");
    let e = xlsx::rows(&sample("oca-bsi16__sample_statement_en.xlsx")[..2000])
        .unwrap_err()
        .to_string();
    assert!(e.contains("XLSX"), "truncated xlsx: {e}");
}
