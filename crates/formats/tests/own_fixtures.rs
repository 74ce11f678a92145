//! Readers on files this repository writes itself, for the formats whose other tests read only
//! third-party samples: a bare clone still tests every reader.

use chrono::NaiveDate;
use clearway_formats::statements::{read_file, FileFormat, SheetOptions, StatementFormat};
use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// A statement sheet as a bank portal exports it: a header row, real date cells, numeric
/// amounts of both signs, two currencies, and a text amount with a thousands separator.
fn statement_xlsx() -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("mm/dd/yyyy");
    let header = [
        "Date",
        "Label",
        "Partner Name",
        "Reference",
        "Amount",
        "Currency",
    ];
    for (col, name) in header.iter().enumerate() {
        sheet.write_string(0, col as u16, *name).unwrap();
    }
    let rows: [(u16, u8, u8, &str, &str, &str, &str); 3] = [
        (2024, 3, 7, "Wire out", "Ada Investor", "E2E-1", "USD"),
        (2024, 3, 8, "Interest", "Bank", "INT-3", "USD"),
        (2024, 3, 8, "Refund", "Azure Interior", "R-9", "EUR"),
    ];
    for (i, (y, m, d, label, partner, reference, currency)) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        let day = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
        sheet
            .write_datetime_with_format(row, 0, &day, &date)
            .unwrap();
        sheet.write_string(row, 1, *label).unwrap();
        sheet.write_string(row, 2, *partner).unwrap();
        sheet.write_string(row, 3, *reference).unwrap();
        sheet.write_string(row, 5, *currency).unwrap();
    }
    sheet.write_number(1, 4, -1250.5).unwrap();
    sheet.write_number(2, 4, 0.07).unwrap();
    sheet.write_string(3, 4, "1,525.00").unwrap();
    book.save_to_buffer().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn xlsx_reader_reads_date_cells_numbers_text_amounts_and_currencies() {
    let r = read_file(&statement_xlsx(), None, &SheetOptions::default()).unwrap();
    assert_eq!(r.format, FileFormat::Xlsx);
    assert_eq!(r.preset.as_deref(), Some("simple-en"));
    let st = r.statements;
    assert_eq!(st.len(), 2, "one statement per currency");
    assert_eq!(st[0].format, StatementFormat::Xlsx);
    assert_eq!(st[0].currency.as_deref(), Some("USD"));
    let usd: Vec<Decimal> = st[0].lines.iter().map(|l| l.amount).collect();
    assert_eq!(usd, vec![dec("-1250.50"), dec("0.07")]);
    assert_eq!(
        st[0].lines[0].booking_date,
        NaiveDate::from_ymd_opt(2024, 3, 7)
    );
    assert_eq!(st[0].lines[0].line, 2, "sheet row number");
    assert_eq!(st[0].lines[0].bank_reference.as_deref(), Some("E2E-1"));
    assert_eq!(st[1].currency.as_deref(), Some("EUR"));
    assert_eq!(st[1].lines[0].amount, dec("1525"));
    let partner = st[1].lines[0].counterparty.as_ref().unwrap();
    assert_eq!(partner.name.as_deref(), Some("Azure Interior"));
}

#[test]
fn a_truncated_xlsx_is_a_clear_error() {
    let bytes = statement_xlsx();
    let e = read_file(&bytes[..bytes.len() / 2], None, &SheetOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("XLSX"), "{e}");
}
