//! CSV statements whose amounts are unsigned, with a separate debit/credit indicator column
//! (issue 15 item 3), and the streamed reading of CSV files (issue 15 item 5): the stream
//! hands out the same lines as the collected read, one statement per currency.

use clearway_formats::statements::{
    csv::{self, Column, Overrides},
    read_file, FileFormat, SheetOptions, Statement,
};
use rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn read(input: &str, options: &SheetOptions) -> Result<Vec<Statement>, String> {
    read_file(input.as_bytes(), Some(FileFormat::Csv), options)
        .map(|r| r.statements)
        .map_err(|e| e.to_string())
}

fn amounts(st: &Statement) -> Vec<Decimal> {
    st.lines.iter().map(|l| l.amount).collect()
}

/// Dates and amounts by column name, the indicator by `indicator` (the override path of the
/// API's `indicatorColumn` and the CLI's `--indicator-column`).
fn columns(indicator: &str) -> SheetOptions {
    SheetOptions {
        preset: None,
        overrides: Overrides {
            date_column: Some(Column::parse("Date")),
            amount_column: Some(Column::parse("Amount")),
            indicator_column: Some(Column::parse(indicator)),
            currency: Some("USD".into()),
            ..Overrides::default()
        },
    }
}

const AMOUNT_DC: &str = "Date,Description,Amount,DC\n\
2024-01-02,WIRE OUT,1500.00,D\n\
2024-01-02,DEPOSIT,250.10,c\n\
2024-01-03,FEE,25.00,DR\n\
2024-01-03,INTEREST,0.42,Credit\n";

/// Regression: a statement with `Amount,DC` columns had no mapping; detected as `simple-en`
/// its unsigned debits were read as credits.
#[test]
fn a_statement_with_amount_and_dc_columns_is_signed_by_the_indicator() {
    let want = vec![dec("-1500.00"), dec("250.10"), dec("-25.00"), dec("0.42")];
    let st = read(AMOUNT_DC, &columns("DC")).unwrap();
    assert_eq!(amounts(&st[0]), want);
    // Detected: the header's `DC` column signs the simple layout's amounts.
    let detected = SheetOptions {
        overrides: Overrides {
            currency: Some("USD".into()),
            ..Overrides::default()
        },
        ..SheetOptions::default()
    };
    let r = read_file(AMOUNT_DC.as_bytes(), None, &detected).unwrap();
    assert_eq!(r.preset.as_deref(), Some("simple-en"));
    assert_eq!(amounts(&r.statements[0]), want);
}

#[test]
fn an_indicator_that_is_neither_debit_nor_credit_names_row_column_and_value() {
    let input = "Date,Amount,DC\n2024-01-02,10.00,D\n2024-01-02,5.00,X\n";
    let err = read(input, &columns("DC")).unwrap_err();
    assert_eq!(
        err,
        "line 3: CSV row: DC 'X' is neither a debit (D, DR, Debit, DBIT, Af) nor a credit (C, CR, Credit, CRDT, Bij) indicator"
    );
    let blank = "Date,Amount,DC\n2024-01-02,10.00,\n";
    let err = read(blank, &columns("DC")).unwrap_err();
    assert!(
        err.starts_with("line 2: CSV row: DC '' is neither"),
        "{err}"
    );
}

#[test]
fn a_negative_amount_with_an_indicator_is_refused_as_ambiguous() {
    let input = "Date,Amount,DC\n2024-01-02,-10.00,D\n";
    let err = read(input, &columns("DC")).unwrap_err();
    assert_eq!(
        err,
        "line 2: CSV row: Amount '-10.00' is negative although column DC says debit or credit (ambiguous)"
    );
}

#[test]
fn indicator_words_are_configurable() {
    let input = "Date,Amount,Richting\n2024-01-02,10.00,UIT\n2024-01-02,4.00,in\n";
    let mut options = columns("Richting");
    options.overrides.indicator_debit = Some(vec!["Uit".into()]);
    options.overrides.indicator_credit = Some(vec!["In".into()]);
    let st = read(input, &options).unwrap();
    assert_eq!(amounts(&st[0]), vec![dec("-10.00"), dec("4.00")]);
    // The defaults no longer apply once words are given.
    let err = read("Date,Amount,Richting\n2024-01-02,1.00,D\n", &options).unwrap_err();
    assert!(
        err.contains("is neither a debit (Uit) nor a credit (In)"),
        "{err}"
    );
    // Words without an indicator column, or one word on both sides, are mapping errors.
    let mut no_column = columns("Richting");
    no_column.overrides.indicator_column = None;
    no_column.overrides.indicator_debit = Some(vec!["Uit".into()]);
    assert!(read(input, &no_column)
        .unwrap_err()
        .contains("indicator words need an indicator column"));
    options.overrides.indicator_credit = Some(vec!["uit".into()]);
    assert!(read(input, &options)
        .unwrap_err()
        .contains("a word cannot mean both debit and credit"));
}

#[test]
fn an_ing_netherlands_export_is_detected_with_af_bij() {
    let input = "\"Datum\";\"Naam / Omschrijving\";\"Rekening\";\"Tegenrekening\";\"Code\";\"Af Bij\";\"Bedrag (EUR)\";\"Mutatiesoort\";\"Mededelingen\";\"Saldo na mutatie\";\"Tag\"\n\
\"20240102\";\"Albert Heijn\";\"NL01INGB0001234567\";\"\";\"BA\";\"Af\";\"12,50\";\"Betaalautomaat\";\"Pasvolgnr 001\";\"987,50\";\"\"\n\
\"20240103\";\"Werkgever BV\";\"NL01INGB0001234567\";\"NL02RABO0123456789\";\"GT\";\"Bij\";\"1.500,00\";\"Overschrijving\";\"Salaris\";\"2487,50\";\"\"\n";
    let r = read_file(input.as_bytes(), None, &SheetOptions::default()).unwrap();
    assert_eq!(r.preset.as_deref(), Some("ing-nl"));
    let st = &r.statements[0];
    assert_eq!(st.currency.as_deref(), Some("EUR"));
    assert_eq!(amounts(st), vec![dec("-12.50"), dec("1500.00")]);
    assert_eq!(st.opening_balance.as_ref().unwrap().amount, dec("1000.00"));
    assert_eq!(st.closing_balance.as_ref().unwrap().amount, dec("2487.50"));
    let cp = st.lines[1].counterparty.as_ref().unwrap();
    assert_eq!(cp.account.as_deref(), Some("NL02RABO0123456789"));
}

#[test]
fn the_stream_hands_out_the_lines_of_the_collected_read_per_currency() {
    let input = "Date,Label,Currency,Amount,Balance\n\
12/15/2018,a,USD,-1.00,9.00\n\
12/16/2018,b,EUR,2.00,2.00\n\
12/17/2018,c,USD,3.00,12.00\n\
12/18/2018,d,USD,1.00,99.00\n";
    let mapping = csv::preset("simple-en").unwrap();
    let collected = csv::read_csv(input, &mapping).unwrap();
    let mut stream = csv::stream_csv(input, &mapping).unwrap();
    let mut seen: Vec<(usize, Decimal, usize)> = Vec::new();
    for item in &mut stream {
        let (index, line) = item.unwrap();
        seen.push((index, line.amount, line.line));
    }
    assert_eq!(
        seen,
        vec![
            (0, dec("-1.00"), 2),
            (1, dec("2.00"), 3),
            (0, dec("3.00"), 4),
            (0, dec("1.00"), 5)
        ]
    );
    let statements = stream.finish();
    assert_eq!(statements.len(), 2);
    for (streamed, read) in statements.iter().zip(&collected) {
        assert!(streamed.lines.is_empty());
        assert_eq!(streamed.currency, read.currency);
        assert_eq!(streamed.opening_balance, read.opening_balance);
        assert_eq!(streamed.closing_balance, read.closing_balance);
        assert_eq!(streamed.statement_date, read.statement_date);
        assert_eq!(streamed.warnings, read.warnings);
    }
    assert_eq!(
        collected[0].warnings,
        vec!["line 5: running balance 99.00 != previous balance 12.00 + amount 1.00"]
    );
}

#[test]
fn preset_detection_without_keeping_lines_picks_what_the_collected_read_picks() {
    let m = csv::detect_csv_preset(AMOUNT_DC).unwrap();
    assert_eq!(m.name, "simple-en");
    let eu = "a\nb\nc\nd\nDate,Operation Number,Label,Debit,Credit,Detail\n01/04/20,X,L,\"-5,00\",,D\nfooter\n";
    assert_eq!(csv::detect_csv_preset(eu).unwrap().name, "debit-credit-eu");
    assert_eq!(csv::read_csv_detect(eu).unwrap().0, "debit-credit-eu");
}
