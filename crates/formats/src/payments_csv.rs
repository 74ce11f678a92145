//! Payments CSV files: the positive-pay export and the check register handed to the check
//! printer (out), and FX rates (in). Pure: typed rows in, text out, and back.

use chrono::NaiveDate;

/// Columns a positive-pay file may have, in any order the bank wants.
pub const POSITIVE_PAY_COLUMNS: [&str; 8] = [
    "account",
    "check_number",
    "amount",
    "amount_cents",
    "issue_date",
    "payee",
    "void",
    "currency",
];

/// One issued (or voided) check of a positive-pay file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositivePayCheck {
    /// Check number.
    pub check_number: String,
    /// Amount as a decimal in the check's currency (e.g. `1234.50`).
    pub amount: String,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// Issue date as stored (`YYYY-MM-DD`); written in the file's date format when it parses,
    /// as is otherwise.
    pub issue_date: String,
    /// Payee name.
    pub payee: String,
    /// Voided (`V`) rather than issued (`I`).
    pub void: bool,
    /// ISO 4217 code.
    pub currency: String,
}

/// The positive-pay CSV of `checks` drawn on `account`: the given `columns` (names from
/// [`POSITIVE_PAY_COLUMNS`]; an unknown name writes an empty field) with dates written with
/// `date_format` (chrono, e.g. `%m/%d/%Y`), and a header row when `header_row`.
pub fn positive_pay(
    account: &str,
    checks: &[PositivePayCheck],
    columns: &[&str],
    date_format: &str,
    header_row: bool,
) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    if header_row {
        let _ = w.write_record(columns);
    }
    for c in checks {
        let date = NaiveDate::parse_from_str(&c.issue_date, "%Y-%m-%d")
            .map(|d| d.format(date_format).to_string())
            .unwrap_or_else(|_| c.issue_date.clone());
        let row: Vec<String> = columns
            .iter()
            .map(|col| match *col {
                "account" => account.to_string(),
                "check_number" => c.check_number.clone(),
                "amount" => c.amount.clone(),
                "amount_cents" => c.amount_minor.to_string(),
                "issue_date" => date.clone(),
                "payee" => c.payee.clone(),
                "void" => {
                    if c.void {
                        "V".into()
                    } else {
                        "I".into()
                    }
                }
                "currency" => c.currency.clone(),
                _ => String::new(),
            })
            .collect();
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A check to print in the check register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRegisterEntry {
    /// Check number.
    pub number: i64,
    /// Payee.
    pub payee: String,
    /// Amount as a decimal in the check's currency.
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Mailing address lines.
    pub address: Vec<String>,
    /// Payment id.
    pub payment_id: String,
    /// Memo line printed on the check, led by the payment's reference token (what a bank
    /// that images the check may give back on the statement).
    pub memo: String,
}

/// The check register (CSV) handed to the check printer: one row per check, all issued on
/// `issue`; address lines are joined with `", "`.
pub fn check_register(issue: NaiveDate, entries: &[CheckRegisterEntry]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "check_number",
        "issue_date",
        "payee",
        "amount",
        "currency",
        "address",
        "payment_id",
        "memo",
    ]);
    for c in entries {
        let _ = w.write_record([
            c.number.to_string(),
            issue.to_string(),
            c.payee.clone(),
            c.amount.clone(),
            c.currency.clone(),
            c.address.join(", "),
            c.payment_id.clone(),
            c.memo.clone(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// One row of an FX rates CSV, as text (validated by the caller).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FxRateRow {
    /// Base currency code.
    pub base: String,
    /// Quote currency code.
    pub quote: String,
    /// Units of quote per unit of base.
    pub rate: String,
    /// Where the rate comes from.
    pub source: String,
    /// When it applies (timestamp or date).
    pub as_of: String,
}

/// Why an FX rates CSV could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FxRatesCsvError {
    /// The header row could not be read.
    #[error("unreadable CSV header: {0}")]
    Header(String),
    /// The header lacks one of the columns.
    #[error("the header must name base, quote, rate, source and as_of")]
    MissingColumns,
    /// A data row could not be read.
    #[error("line {line}: {message}")]
    Record {
        /// 1-based line of the file (the header is line 1).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Reads an FX rates CSV: header `base,quote,rate,source,as_of` in any order, names matched
/// case-insensitively and with or without underscores (`asOf` is accepted); fields trimmed.
pub fn fx_rates(text: &[u8]) -> Result<Vec<FxRateRow>, FxRatesCsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text);
    let headers = reader
        .headers()
        .map_err(|e| FxRatesCsvError::Header(e.to_string()))?
        .clone();
    let col = |name: &str| {
        headers.iter().position(|h| {
            h.eq_ignore_ascii_case(name)
                || h.replace('_', "")
                    .eq_ignore_ascii_case(&name.replace('_', ""))
        })
    };
    let (Some(b), Some(q), Some(r), Some(s), Some(a)) = (
        col("base"),
        col("quote"),
        col("rate"),
        col("source"),
        col("as_of"),
    ) else {
        return Err(FxRatesCsvError::MissingColumns);
    };
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| FxRatesCsvError::Record {
            line: i + 2,
            message: e.to_string(),
        })?;
        let get = |k: usize| record.get(k).unwrap_or("").to_string();
        out.push(FxRateRow {
            base: get(b),
            quote: get(q),
            rate: get(r),
            source: get(s),
            as_of: get(a),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    fn check(number: &str, void: bool) -> PositivePayCheck {
        PositivePayCheck {
            check_number: number.into(),
            amount: "1234.50".into(),
            amount_minor: 123_450,
            issue_date: "2026-03-31".into(),
            payee: "Ada Lovelace, Trustee".into(),
            void,
            currency: "USD".into(),
        }
    }

    #[test]
    fn positive_pay_reads_back_in_the_requested_columns_and_date_format() {
        let text = positive_pay(
            "000123456789",
            &[check("100001", false), check("100002", true)],
            &[
                "check_number",
                "issue_date",
                "amount",
                "amount_cents",
                "payee",
                "void",
                "account",
                "currency",
            ],
            "%m/%d/%Y",
            true,
        );
        let rows = records(&text);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            [
                "check_number",
                "issue_date",
                "amount",
                "amount_cents",
                "payee",
                "void",
                "account",
                "currency"
            ]
        );
        assert_eq!(
            rows[1],
            [
                "100001",
                "03/31/2026",
                "1234.50",
                "123450",
                "Ada Lovelace, Trustee",
                "I",
                "000123456789",
                "USD"
            ]
        );
        assert_eq!(rows[2][0], "100002");
        assert_eq!(rows[2][5], "V");
    }

    #[test]
    fn positive_pay_without_header_keeps_an_unparsable_date_and_blanks_unknown_columns() {
        let mut c = check("7", false);
        c.issue_date = "someday".into();
        let text = positive_pay("ACCT", &[c], &["issue_date", "nonsense"], "%Y%m%d", false);
        assert_eq!(
            records(&text),
            vec![vec!["someday".to_string(), String::new()]]
        );
    }

    #[test]
    fn check_register_reads_back() {
        let issue = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
        let text = check_register(
            issue,
            &[CheckRegisterEntry {
                number: 100_001,
                payee: "Grace Hopper".into(),
                amount: "250.00".into(),
                currency: "USD".into(),
                address: vec!["1 Main St".into(), "Arlington VA 22201".into()],
                payment_id: "p-1".into(),
                memo: "5KQ0H2T3V7W8X Distribution".into(),
            }],
        );
        let rows = records(&text);
        assert_eq!(rows[0][0], "check_number");
        assert_eq!(
            rows[1],
            [
                "100001",
                "2026-04-01",
                "Grace Hopper",
                "250.00",
                "USD",
                "1 Main St, Arlington VA 22201",
                "p-1",
                "5KQ0H2T3V7W8X Distribution"
            ]
        );
    }

    #[test]
    fn fx_rates_reads_any_column_order_and_header_spelling() {
        let rows = fx_rates(b"asOf, Source ,RATE,quote,base\n2026-03-31,ECB, 1.0842 ,USD,EUR\n2026-03-31T16:00:00Z,WMR,0.8571,GBP,USD\n").unwrap();
        assert_eq!(
            rows,
            vec![
                FxRateRow {
                    base: "EUR".into(),
                    quote: "USD".into(),
                    rate: "1.0842".into(),
                    source: "ECB".into(),
                    as_of: "2026-03-31".into(),
                },
                FxRateRow {
                    base: "USD".into(),
                    quote: "GBP".into(),
                    rate: "0.8571".into(),
                    source: "WMR".into(),
                    as_of: "2026-03-31T16:00:00Z".into(),
                },
            ]
        );
    }

    #[test]
    fn fx_rates_refuses_a_missing_column_and_names_the_bad_line() {
        assert_eq!(
            fx_rates(b"base,quote,rate,as_of\nEUR,USD,1.08,2026-03-31\n"),
            Err(FxRatesCsvError::MissingColumns)
        );
        match fx_rates(b"base,quote,rate,source,as_of\nEUR,USD,1.08,ECB,2026-03-31\nEUR,USD\n") {
            Err(FxRatesCsvError::Record { line, message }) => {
                assert_eq!(line, 3);
                assert!(message.contains("2 fields"), "{message}");
            }
            other => panic!("expected a record error, got {other:?}"),
        }
        assert_eq!(fx_rates(b"base,quote,rate,source,as_of\n").unwrap(), vec![]);
    }
}
