//! The reconciliation summary as CSV and XLSX (numbers written as numbers, with a money format).

use clearway_core::Currency;
use clearway_store::reconciliation::{AccountSummary, Summary};
use rust_xlsxwriter::{Format, Workbook};

/// Columns of the per-account table: header and how to read the value (minor units or counts).
type Getter = fn(&AccountSummary) -> i64;
const COLUMNS: [(&str, Getter, bool); 16] = [
    ("lines", |a| a.lines, false),
    ("debits", |a| a.debits_minor, true),
    ("credits", |a| a.credits_minor, true),
    ("auto_cleared_lines", |a| a.auto_cleared.lines, false),
    ("auto_cleared_amount", |a| a.auto_cleared.amount_minor, true),
    ("manual_cleared_lines", |a| a.manual_cleared.lines, false),
    (
        "manual_cleared_amount",
        |a| a.manual_cleared.amount_minor,
        true,
    ),
    ("returned_lines", |a| a.returned.lines, false),
    ("returned_amount", |a| a.returned.amount_minor, true),
    ("open_exceptions", |a| a.open_exceptions.lines, false),
    (
        "open_exceptions_amount",
        |a| a.open_exceptions.amount_minor,
        true,
    ),
    ("exceptions_0_2_days", |a| a.exception_age.days_0_2, false),
    ("exceptions_3_7_days", |a| a.exception_age.days_3_7, false),
    ("exceptions_8_30_days", |a| a.exception_age.days_8_30, false),
    (
        "exceptions_over_30_days",
        |a| a.exception_age.days_over_30,
        false,
    ),
    ("unprocessed_lines", |a| a.unprocessed.lines, false),
];

fn decimal(currency: Currency, minor: i64) -> String {
    currency.format_minor(minor)
}

/// CSV: one row per account and currency, then one ledger row per currency.
pub fn csv(s: &Summary) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["section", "account", "currency", "from", "to"];
    header.extend(COLUMNS.iter().map(|c| c.0));
    header.extend([
        "expected_payments",
        "outstanding_payments",
        "bank_debits",
        "ledger_minus_bank",
    ]);
    w.write_record(&header).map_err(|e| e.to_string())?;
    for a in &s.accounts {
        let mut row = vec![
            "account".to_string(),
            a.account_id.clone(),
            a.currency.code().to_string(),
            s.from.to_string(),
            s.to.to_string(),
        ];
        for (_, get, money) in COLUMNS {
            let v = get(a);
            row.push(if money {
                decimal(a.currency, v)
            } else {
                v.to_string()
            });
        }
        row.extend(std::iter::repeat_n(String::new(), 4));
        w.write_record(&row).map_err(|e| e.to_string())?;
    }
    for l in &s.ledger {
        let mut row = vec![
            "ledger".to_string(),
            String::new(),
            l.currency.code().to_string(),
            s.from.to_string(),
            s.to.to_string(),
        ];
        row.extend(std::iter::repeat_n(String::new(), COLUMNS.len()));
        row.push(decimal(l.currency, l.expected_payments.amount_minor));
        row.push(decimal(l.currency, l.outstanding_payments.amount_minor));
        row.push(decimal(l.currency, l.bank_debits_minor));
        row.push(decimal(l.currency, l.difference_minor));
        w.write_record(&row).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

fn as_number(currency: Currency, minor: i64) -> f64 {
    // Display only: the exact value is the decimal in the CSV/JSON; an f64 holds any amount
    // below 2^53 minor units exactly enough to show to the cent.
    // ISO 4217 minor units are 0 to 4: the cast is exact.
    minor as f64 / 10f64.powi(currency.minor_units() as i32)
}

/// XLSX: sheet "Accounts" and sheet "Ledger", amounts as numbers with a money format.
pub fn xlsx(s: &Summary) -> Result<Vec<u8>, String> {
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let ws = wb.add_worksheet();
    ws.set_name("Accounts").map_err(e)?;
    let mut header = vec!["account", "currency", "from", "to"];
    header.extend(COLUMNS.iter().map(|c| c.0));
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(e)?;
    }
    for (r, a) in s.accounts.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, &a.account_id).map_err(e)?;
        ws.write_string(r, 1, a.currency.code()).map_err(e)?;
        ws.write_string(r, 2, s.from.to_string()).map_err(e)?;
        ws.write_string(r, 3, s.to.to_string()).map_err(e)?;
        for (i, (_, get, is_money)) in COLUMNS.iter().enumerate() {
            let col = 4 + i as u16;
            let v = get(a);
            if *is_money {
                ws.write_number_with_format(r, col, as_number(a.currency, v), &money)
                    .map_err(e)?;
            } else {
                ws.write_number(r, col, v as f64).map_err(e)?;
            }
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("Ledger").map_err(e)?;
    for (c, h) in [
        "currency",
        "expected_payments",
        "expected_amount",
        "outstanding_payments",
        "outstanding_amount",
        "bank_debits",
        "ledger_minus_bank",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(e)?;
    }
    for (r, l) in s.ledger.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, l.currency.code()).map_err(e)?;
        ws.write_number(r, 1, l.expected_payments.lines as f64)
            .map_err(e)?;
        ws.write_number_with_format(
            r,
            2,
            as_number(l.currency, l.expected_payments.amount_minor),
            &money,
        )
        .map_err(e)?;
        ws.write_number(r, 3, l.outstanding_payments.lines as f64)
            .map_err(e)?;
        ws.write_number_with_format(
            r,
            4,
            as_number(l.currency, l.outstanding_payments.amount_minor),
            &money,
        )
        .map_err(e)?;
        ws.write_number_with_format(r, 5, as_number(l.currency, l.bank_debits_minor), &money)
            .map_err(e)?;
        ws.write_number_with_format(r, 6, as_number(l.currency, l.difference_minor), &money)
            .map_err(e)?;
    }
    wb.save_to_buffer().map_err(e)
}
