//! Writes files this project produces (NACHA, BAI2, CSV, XLSX) into the directory given as the
//! only argument: `scripts/fuzz.sh` seeds the fuzz corpora with them beside the third-party
//! samples, so a bare clone still fuzzes from valid inputs.

use chrono::NaiveDate;
use clearway_formats::ach::{
    write_file, write_file_with, AccountType, CreditBatchBuilder, CreditEntry, FileBuilder,
    LineEnding, SecCode,
};
use clearway_formats::statements::write::{bai2, Bai2Detail, Bai2Spec};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use std::path::Path;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, d).expect("valid date")
}

fn entry(amount_cents: u64, account_type: AccountType, addenda: Option<&str>) -> CreditEntry {
    CreditEntry {
        routing_number: "231380104".into(),
        account_number: "12345678".into(),
        account_type,
        amount_cents,
        individual_id: "INV-0001".into(),
        individual_name: "Jane Investor".into(),
        addenda: addenda.map(str::to_string),
    }
}

fn nacha() -> clearway_formats::ach::File {
    let batch = |sec| {
        CreditBatchBuilder::new(
            "Clearway Fund I",
            "1234567890",
            sec,
            "DISTRIBUTN",
            day(15),
            "121042882",
        )
    };
    FileBuilder::new(
        "031300012",
        "1234567890",
        "Federal Reserve Bank",
        "Clearway",
        day(14).and_hms_opt(10, 55, 0).expect("valid time"),
    )
    .batch(
        batch(SecCode::Ppd)
            .entry(entry(
                100_000,
                AccountType::Checking,
                Some("Q1 2024 distribution"),
            ))
            .entry(entry(2_550, AccountType::Savings, None)),
    )
    .batch(batch(SecCode::Ccd).entry(entry(9_999_999_999, AccountType::Checking, None)))
    .build()
    .expect("valid NACHA file")
}

fn statement_bai2() -> String {
    let detail = |type_code, amount_minor, text: &str, continuations: Vec<String>| Bai2Detail {
        type_code,
        amount_minor,
        value_date: day(3),
        bank_reference: Some("B1".into()),
        customer_reference: Some("E2E1".into()),
        text: text.into(),
        continuations,
    };
    bai2(&Bai2Spec {
        sender: "BANK".into(),
        receiver: "CLEARWAY".into(),
        file_id: "7".into(),
        as_of: day(3),
        account: "12345".into(),
        currency: "USD".into(),
        opening_minor: 100_000,
        closing_minor: 60_050,
        details: vec![
            detail(
                495,
                40_000,
                "WIRE OUT /EREF/E2E1/",
                vec!["CRNM:SMITH, JOHN".into()],
            ),
            detail(399, 50, "INTEREST", vec![]),
        ],
    })
}

const CSV: &str = "Date,Label,Currency,Amount,Partner Name,Bank Account\n\
03/07/2024,Wire out,USD,\"-1,250.50\",Ada Investor,DE89370400440532013000\n\
03/08/2024,Interest,USD,0.07,Bank,\n";

fn statement_xlsx() -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("mm/dd/yyyy");
    for (col, name) in ["Date", "Label", "Partner Name", "Amount", "Currency"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *name).expect("cell");
    }
    let day = ExcelDateTime::from_ymd(2024, 3, 7).expect("valid date");
    sheet
        .write_datetime_with_format(1, 0, &day, &date)
        .expect("cell");
    sheet.write_string(1, 1, "Wire out").expect("cell");
    sheet.write_string(1, 2, "Ada Investor").expect("cell");
    sheet.write_number(1, 3, -1250.5).expect("cell");
    sheet.write_string(1, 4, "USD").expect("cell");
    book.save_to_buffer().expect("in-memory workbook")
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: fuzz_seeds DIR");
    let dir = Path::new(&dir);
    let file = nacha();
    let files: [(&str, Vec<u8>); 5] = [
        ("own.ach", write_file(&file).into_bytes()),
        (
            "own-crlf.ach",
            write_file_with(&file, LineEnding::Crlf).into_bytes(),
        ),
        ("own.bai2", statement_bai2().into_bytes()),
        ("own.csv", CSV.as_bytes().to_vec()),
        ("own.xlsx", statement_xlsx()),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).expect("writable seed directory");
    }
}
