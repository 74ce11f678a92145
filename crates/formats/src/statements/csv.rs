//! CSV and XLSX bank statements: a configurable column [`Mapping`] plus named [`presets`].
//!
//! Banks export spreadsheets in every layout: one signed amount or separate debit/credit
//! columns, day-first or month-first dates, `1,234.56` or `1.234,56`, metadata rows before the
//! header, a total row after the data, no header at all, several currencies in one file. A
//! [`Mapping`] says where each field is (by header name or column index) and how to read it;
//! [`presets`] are the mappings of layouts we have seen, and [`detect_preset`] picks the first
//! preset that reads a file without error.
//!
//! Normalization: amounts are exact [`Decimal`]s, negative = money leaving the account (a
//! debit column is always a debit whatever sign the bank printed; `inverse_sign` flips cards
//! statements that print charges as positive). A file with several currencies becomes one
//! [`Statement`] per currency, in order of first appearance. With a balance column the
//! opening/closing balances are derived from the first/last rows, and a running balance that
//! does not follow from the amounts is reported as a warning (CSV has no control totals).
//! Every error names the input line (CSV) or sheet row (XLSX), the column and the value.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Statement, StatementError, StatementFormat};

mod stream;

pub use stream::CsvStream;

/// Where a field is: a header name (matched trimmed and case-insensitively) or a 0-based index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// Header name.
    Name(String),
    /// 0-based column index (files without a header).
    Index(usize),
}

impl Column {
    fn name(s: &str) -> Column {
        Column::Name(s.to_string())
    }

    /// Parses `3` as an index and anything else as a header name.
    pub fn parse(text: &str) -> Column {
        match text.trim().parse::<usize>() {
            Ok(i) => Column::Index(i),
            Err(_) => Column::Name(text.trim().to_string()),
        }
    }
}

impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Column::Name(n) => write!(f, "'{n}'"),
            Column::Index(i) => write!(f, "#{i}"),
        }
    }
}

/// How the amount is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountColumns {
    /// One signed amount column.
    Signed(Column),
    /// Separate debit and credit columns (one of them filled per row).
    DebitCredit {
        /// Money out.
        debit: Column,
        /// Money in.
        credit: Column,
    },
    /// An unsigned amount column and a column saying whether the row is a debit or a credit
    /// (`D`/`C`, `DR`/`CR`, `Debit`/`Credit`, Dutch `Af`/`Bij`, or the bank's own words).
    Indicator {
        /// The unsigned amount.
        amount: Column,
        /// The debit/credit indicator.
        indicator: Column,
        /// The words of the indicator column.
        values: IndicatorValues,
    },
}

/// The words an indicator column uses for debits and credits, matched trimmed and
/// case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorValues {
    /// Words meaning money out.
    pub debit: Vec<String>,
    /// Words meaning money in.
    pub credit: Vec<String>,
}

impl Default for IndicatorValues {
    /// English and ISO 20022 (`DBIT`/`CRDT`) spellings, and Dutch banks' `Af`/`Bij`.
    fn default() -> Self {
        let words = |list: &[&str]| list.iter().map(|w| w.to_string()).collect();
        IndicatorValues {
            debit: words(&["D", "DR", "Debit", "DBIT", "Af"]),
            credit: words(&["C", "CR", "Credit", "CRDT", "Bij"]),
        }
    }
}

/// Which way an indicator says the money went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Debit,
    Credit,
}

impl IndicatorValues {
    fn side(&self, word: &str) -> Option<Side> {
        let word = word.trim();
        let is = |list: &[String]| list.iter().any(|w| w.trim().eq_ignore_ascii_case(word));
        match (is(&self.debit), is(&self.credit)) {
            (true, false) => Some(Side::Debit),
            (false, true) => Some(Side::Credit),
            // Blank, unknown, or configured as both: nothing says which.
            _ => None,
        }
    }
}

/// Header names of a debit/credit indicator column next to a signed-amount mapping's amount:
/// such a file's amounts are unsigned, and reading them as signed would turn every debit into
/// a credit.
const INDICATOR_HEADERS: [&str; 10] = [
    "dc",
    "d/c",
    "c/d",
    "dr/cr",
    "cr/dr",
    "debit/credit",
    "credit/debit",
    "af bij",
    "af/bij",
    "cdtdbtind",
];

/// A column mapping: where each field is and how to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Preset name, or `custom`.
    pub name: String,
    /// Field delimiter; `None` sniffs `,` `;` tab `|` from the header line.
    pub delimiter: Option<u8>,
    /// Metadata rows before the header (or before the data without a header).
    pub skip_rows: usize,
    /// Whether a header row follows the metadata rows.
    pub header: bool,
    /// Rows after the data to ignore (balance or total trailers).
    pub footer_rows: usize,
    /// A row whose date cell is empty ends the data (total rows under a table).
    pub stop_at_blank_date: bool,
    /// Booking (posting) date.
    pub date: Column,
    /// Value date, when the bank gives one (else the booking date).
    pub value_date: Option<Column>,
    /// chrono formats tried in order (ISO `%Y-%m-%d` is always tried last).
    pub date_formats: Vec<String>,
    /// Amount column(s).
    pub amount: AmountColumns,
    /// Flip every sign (card statements printing charges as positive).
    pub inverse_sign: bool,
    /// Decimal separator of amounts: `.` or `,` (the other is the thousands separator).
    pub decimal_separator: char,
    /// Currency column.
    pub currency: Option<Column>,
    /// Currency when the file has none (or a row leaves it blank).
    pub default_currency: Option<String>,
    /// Running balance after each row.
    pub balance: Option<Column>,
    /// Bank reference / transaction id.
    pub bank_reference: Option<Column>,
    /// Customer / end-to-end reference.
    pub customer_reference: Option<Column>,
    /// Counterparty name.
    pub counterparty: Option<Column>,
    /// Counterparty account.
    pub counterparty_account: Option<Column>,
    /// Description columns, joined with ` / ` (empty cells left out).
    pub description: Vec<Column>,
    /// Account id when the file does not say (metadata rows are searched for `Account … :`).
    pub account_id: Option<String>,
}

impl Mapping {
    /// A minimal mapping: signed amount, booking date, `.` decimals, a header row.
    pub fn new(date: Column, amount: AmountColumns) -> Mapping {
        Mapping {
            name: "custom".into(),
            delimiter: None,
            skip_rows: 0,
            header: true,
            footer_rows: 0,
            stop_at_blank_date: false,
            date,
            value_date: None,
            date_formats: vec!["%Y-%m-%d".into()],
            amount,
            inverse_sign: false,
            decimal_separator: '.',
            currency: None,
            default_currency: None,
            balance: None,
            bank_reference: None,
            customer_reference: None,
            counterparty: None,
            counterparty_account: None,
            description: Vec::new(),
            account_id: None,
        }
    }
}

/// Changes to a preset (or a whole custom mapping) given by a user, e.g. as query parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Delimiter character.
    pub delimiter: Option<char>,
    /// Metadata rows before the header.
    pub skip_rows: Option<usize>,
    /// Whether there is a header row.
    pub header: Option<bool>,
    /// Trailer rows to ignore.
    pub footer_rows: Option<usize>,
    /// A single chrono date format (tried first).
    pub date_format: Option<String>,
    /// Decimal separator.
    pub decimal_separator: Option<char>,
    /// Flip signs.
    pub inverse_sign: Option<bool>,
    /// Date column.
    pub date_column: Option<Column>,
    /// Value-date column.
    pub value_date_column: Option<Column>,
    /// Signed amount column.
    pub amount_column: Option<Column>,
    /// Debit column (with `credit_column`).
    pub debit_column: Option<Column>,
    /// Credit column (with `debit_column`).
    pub credit_column: Option<Column>,
    /// Debit/credit indicator column (with an amount column, the preset's or `amount_column`).
    pub indicator_column: Option<Column>,
    /// Words of the indicator column meaning a debit (default `D`, `DR`, `Debit`, `DBIT`, `Af`).
    pub indicator_debit: Option<Vec<String>>,
    /// Words of the indicator column meaning a credit (default `C`, `CR`, `Credit`, `CRDT`, `Bij`).
    pub indicator_credit: Option<Vec<String>>,
    /// Currency column.
    pub currency_column: Option<Column>,
    /// Balance column.
    pub balance_column: Option<Column>,
    /// Bank reference column.
    pub reference_column: Option<Column>,
    /// Customer / end-to-end reference column.
    pub customer_reference_column: Option<Column>,
    /// Counterparty name column.
    pub counterparty_column: Option<Column>,
    /// Description column.
    pub description_column: Option<Column>,
    /// Currency when the file has none.
    pub currency: Option<String>,
    /// Account id when the file has none.
    pub account_id: Option<String>,
}

impl Overrides {
    /// True when nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == Overrides::default()
    }

    /// True when the overrides describe columns (enough for a custom mapping without a preset).
    pub fn has_columns(&self) -> bool {
        self.date_column.is_some()
            && (self.amount_column.is_some()
                || (self.debit_column.is_some() && self.credit_column.is_some()))
    }

    /// Applies the overrides to `m`.
    pub fn apply(&self, m: &mut Mapping) -> Result<(), String> {
        if let Some(d) = self.delimiter {
            if !d.is_ascii() || d.is_ascii_alphanumeric() || d == '"' {
                return Err(format!(
                    "delimiter '{d}' must be one ASCII punctuation or tab"
                ));
            }
            m.delimiter = Some(d as u8);
        }
        if let Some(n) = self.skip_rows {
            m.skip_rows = n;
        }
        if let Some(h) = self.header {
            m.header = h;
        }
        if let Some(n) = self.footer_rows {
            m.footer_rows = n;
        }
        if let Some(f) = &self.date_format {
            m.date_formats.insert(0, f.clone());
        }
        if let Some(c) = self.decimal_separator {
            if c != '.' && c != ',' {
                return Err(format!("decimal separator '{c}' must be '.' or ','"));
            }
            m.decimal_separator = c;
        }
        if let Some(b) = self.inverse_sign {
            m.inverse_sign = b;
        }
        if let Some(c) = &self.date_column {
            m.date = c.clone();
        }
        if let Some(c) = &self.value_date_column {
            m.value_date = Some(c.clone());
        }
        self.apply_amount(m)?;
        let set = |slot: &mut Option<Column>, v: &Option<Column>| {
            if let Some(c) = v {
                *slot = Some(c.clone());
            }
        };
        set(&mut m.currency, &self.currency_column);
        set(&mut m.balance, &self.balance_column);
        set(&mut m.bank_reference, &self.reference_column);
        set(&mut m.customer_reference, &self.customer_reference_column);
        set(&mut m.counterparty, &self.counterparty_column);
        if let Some(c) = &self.description_column {
            m.description = vec![c.clone()];
        }
        if let Some(c) = &self.currency {
            m.default_currency = Some(c.trim().to_ascii_uppercase());
        }
        if let Some(a) = &self.account_id {
            m.account_id = Some(a.trim().to_string());
        }
        Ok(())
    }

    /// The amount columns: signed, debit and credit, or amount with an indicator.
    fn apply_amount(&self, m: &mut Mapping) -> Result<(), String> {
        match (&self.amount_column, &self.debit_column, &self.credit_column) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err("give either an amount column or debit and credit columns".into())
            }
            (Some(a), None, None) => m.amount = AmountColumns::Signed(a.clone()),
            (None, Some(d), Some(c)) => {
                m.amount = AmountColumns::DebitCredit {
                    debit: d.clone(),
                    credit: c.clone(),
                }
            }
            (None, Some(_), None) | (None, None, Some(_)) => {
                return Err("debit and credit columns go together".into())
            }
            (None, None, None) => {}
        }
        if let Some(i) = &self.indicator_column {
            let amount = match &m.amount {
                AmountColumns::Signed(a) | AmountColumns::Indicator { amount: a, .. } => a.clone(),
                AmountColumns::DebitCredit { .. } => {
                    return Err("an indicator column goes with one amount column, not with debit and credit columns".into())
                }
            };
            let values = match &m.amount {
                AmountColumns::Indicator { values, .. } => values.clone(),
                _ => IndicatorValues::default(),
            };
            m.amount = AmountColumns::Indicator {
                amount,
                indicator: i.clone(),
                values,
            };
        }
        self.apply_indicator_values(m)
    }

    fn apply_indicator_values(&self, m: &mut Mapping) -> Result<(), String> {
        if self.indicator_debit.is_none() && self.indicator_credit.is_none() {
            return Ok(());
        }
        let AmountColumns::Indicator { values, .. } = &mut m.amount else {
            return Err("indicator words need an indicator column".into());
        };
        for (slot, given, what) in [
            (&mut values.debit, &self.indicator_debit, "debit"),
            (&mut values.credit, &self.indicator_credit, "credit"),
        ] {
            if let Some(words) = given {
                let words: Vec<String> = words
                    .iter()
                    .map(|w| w.trim().to_string())
                    .filter(|w| !w.is_empty())
                    .collect();
                if words.is_empty() {
                    return Err(format!("the {what} indicator words are empty"));
                }
                *slot = words;
            }
        }
        if values
            .debit
            .iter()
            .any(|d| values.credit.iter().any(|c| c.eq_ignore_ascii_case(d)))
        {
            return Err("a word cannot mean both debit and credit".into());
        }
        Ok(())
    }
}

fn names(list: &[&str]) -> Vec<Column> {
    list.iter().map(|n| Column::name(n)).collect()
}

/// The presets, in the order [`detect_preset`] tries them (most specific first).
///
/// - `paypal-en`: PayPal activity export (English): `Net` amount, `Balance`, `Transaction ID`.
/// - `paypal-es`: PayPal statement (Spanish): `Neto`, `Saldo`, decimal comma.
/// - `debit-credit-eu`: 4 metadata rows, `Date,Operation Number,Label,Debit,Credit,Detail`,
///   `dd/mm/yy`, decimal comma, a balance trailer row.
/// - `debit-credit-en`: `REF,DESCRIPTION,DEBIT,CREDIT,BALANCE,DATE` sheets with a TOTAL row.
/// - `ing-nl`: ING Netherlands exports: `Datum` (`yyyymmdd`), unsigned `Bedrag (EUR)` with an
///   `Af Bij` indicator, decimal comma, optional `Saldo na mutatie`.
/// - `simple-en`: `Date,Label,Currency,Amount,…,Partner Name,Bank Account` (US dates, `1,234.56`).
/// - `simple-en-inverse`: the same for card statements that print charges as positive.
/// - `simple-en-no-header`: the same columns without a header row.
pub fn presets() -> Vec<Mapping> {
    let mut out = Vec::new();

    let mut m = Mapping::new(
        Column::name("Date"),
        AmountColumns::Signed(Column::name("Net")),
    );
    m.name = "paypal-en".into();
    m.date_formats = vec!["%d/%m/%Y".into()];
    m.currency = Some(Column::name("Currency"));
    m.balance = Some(Column::name("Balance"));
    m.bank_reference = Some(Column::name("Transaction ID"));
    m.customer_reference = Some(Column::name("Reference Txn ID"));
    m.counterparty = Some(Column::name("Name"));
    m.counterparty_account = Some(Column::name("From Email Address"));
    m.description = names(&["Type", "Subject", "Note"]);
    m.account_id = Some("PAYPAL".into());
    out.push(m);

    let mut m = Mapping::new(
        Column::name("Fecha"),
        AmountColumns::Signed(Column::name("Neto")),
    );
    m.name = "paypal-es".into();
    m.date_formats = vec!["%d/%m/%Y".into()];
    m.decimal_separator = ',';
    m.currency = Some(Column::name("Divisa"));
    m.balance = Some(Column::name("Saldo"));
    m.bank_reference = Some(Column::name("Id. de transacción"));
    m.customer_reference = Some(Column::name("Id. de referencia de trans."));
    m.counterparty = Some(Column::name("Nombre"));
    m.counterparty_account = Some(Column::name("Correo electrónico del remitente"));
    m.description = names(&["Descripción"]);
    m.account_id = Some("PAYPAL".into());
    out.push(m);

    let mut m = Mapping::new(
        Column::name("Date"),
        AmountColumns::DebitCredit {
            debit: Column::name("Debit"),
            credit: Column::name("Credit"),
        },
    );
    m.name = "debit-credit-eu".into();
    m.skip_rows = 4;
    m.footer_rows = 1;
    m.date_formats = vec!["%d/%m/%y".into(), "%d/%m/%Y".into()];
    m.decimal_separator = ',';
    m.bank_reference = Some(Column::name("Operation Number"));
    m.description = names(&["Label", "Detail"]);
    out.push(m);

    let mut m = Mapping::new(
        Column::name("DATE"),
        AmountColumns::DebitCredit {
            debit: Column::name("DEBIT"),
            credit: Column::name("CREDIT"),
        },
    );
    m.name = "debit-credit-en".into();
    m.stop_at_blank_date = true;
    m.date_formats = vec!["%d/%m/%Y".into()];
    m.decimal_separator = ',';
    m.balance = Some(Column::name("BALANCE"));
    m.bank_reference = Some(Column::name("REF"));
    m.description = names(&["DESCRIPTION"]);
    out.push(m);

    let mut m = Mapping::new(
        Column::name("Datum"),
        AmountColumns::Indicator {
            amount: Column::name("Bedrag (EUR)"),
            indicator: Column::name("Af Bij"),
            values: IndicatorValues::default(),
        },
    );
    m.name = "ing-nl".into();
    m.date_formats = vec!["%Y%m%d".into(), "%d-%m-%Y".into()];
    m.decimal_separator = ',';
    m.default_currency = Some("EUR".into());
    m.balance = Some(Column::name("Saldo na mutatie"));
    m.counterparty = Some(Column::name("Naam / Omschrijving"));
    m.counterparty_account = Some(Column::name("Tegenrekening"));
    m.description = names(&["Mededelingen", "Mutatiesoort"]);
    out.push(m);

    let mut m = Mapping::new(
        Column::name("Date"),
        AmountColumns::Signed(Column::name("Amount")),
    );
    m.name = "simple-en".into();
    m.date_formats = vec!["%m/%d/%Y".into()];
    m.currency = Some(Column::name("Currency"));
    m.balance = Some(Column::name("Balance"));
    m.counterparty = Some(Column::name("Partner Name"));
    m.counterparty_account = Some(Column::name("Bank Account"));
    m.bank_reference = Some(Column::name("Reference"));
    m.description = names(&["Label"]);
    let mut inverse = m.clone();
    out.push(m);
    inverse.name = "simple-en-inverse".into();
    inverse.inverse_sign = true;
    out.push(inverse);

    let mut m = Mapping::new(Column::Index(0), AmountColumns::Signed(Column::Index(3)));
    m.name = "simple-en-no-header".into();
    m.header = false;
    m.date_formats = vec!["%m/%d/%Y".into()];
    m.currency = Some(Column::Index(2));
    m.counterparty = Some(Column::Index(5));
    m.counterparty_account = Some(Column::Index(6));
    m.bank_reference = Some(Column::Index(7));
    m.description = vec![Column::Index(1)];
    out.push(m);
    out
}

/// The preset named `name`.
pub fn preset(name: &str) -> Option<Mapping> {
    presets().into_iter().find(|m| m.name == name)
}

/// Names of all presets.
pub fn preset_names() -> Vec<String> {
    presets().into_iter().map(|m| m.name).collect()
}

/// A spreadsheet cell as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Text (CSV cells, XLSX strings).
    Text(String),
    /// An XLSX number as written in the file (`.` decimal point, maybe an exponent).
    Number(String),
    /// An XLSX number formatted as a date (time of day dropped).
    Date(NaiveDate),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(t) | Cell::Number(t) => t.trim().to_string(),
            Cell::Date(d) => d.to_string(),
        }
    }

    fn is_blank(&self) -> bool {
        matches!(self, Cell::Text(t) if t.trim().is_empty())
    }
}

/// One row of a CSV file or sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line (CSV) or sheet row number (XLSX).
    pub line: usize,
    /// Cells in column order.
    pub cells: Vec<Cell>,
    /// The row as found in the file.
    pub raw: String,
}

/// Splits CSV text into rows (quoted fields may span lines; ragged rows are allowed).
pub fn csv_rows(input: &str, delimiter: u8) -> Result<Vec<Row>, StatementError> {
    CsvRows::new(input, delimiter).collect()
}

/// The rows of CSV text, one at a time (see [`csv_rows`]); after an error, none.
pub struct CsvRows<'a> {
    input: &'a str,
    reader: ::csv::Reader<&'a [u8]>,
    record: ::csv::StringRecord,
    done: bool,
}

impl<'a> CsvRows<'a> {
    /// Rows of `input` split at `delimiter`.
    pub fn new(input: &'a str, delimiter: u8) -> Self {
        let input = input.trim_start_matches('\u{feff}');
        let reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(input.as_bytes());
        CsvRows {
            input,
            reader,
            record: ::csv::StringRecord::new(),
            done: false,
        }
    }

    fn read(&mut self) -> Result<Option<Row>, StatementError> {
        let start = self.reader.position().clone();
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                // Positions are byte offsets of record boundaries in `input` (so in range and on
                // char boundaries); `raw` is display text only.
                let end = self.reader.position().byte() as usize;
                let raw = self
                    .input
                    .get(start.byte() as usize..end.min(self.input.len()))
                    .unwrap_or("")
                    .trim_end_matches(['\r', '\n'])
                    .to_string();
                let line = self
                    .record
                    .position()
                    .map_or(start.line() as usize, |p| p.line() as usize);
                Ok(Some(Row {
                    line,
                    cells: self
                        .record
                        .iter()
                        .map(|c| Cell::Text(c.to_string()))
                        .collect(),
                    raw,
                }))
            }
            Err(e) => {
                let line = e
                    .position()
                    .map_or(start.line() as usize, |p| p.line() as usize);
                Err(StatementError::structure(line, "CSV row", e.to_string()))
            }
        }
    }
}

impl Iterator for CsvRows<'_> {
    type Item = Result<Row, StatementError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.read().transpose();
        self.done = !matches!(item, Some(Ok(_)));
        item
    }
}

/// Sniffs the delimiter from the line after `skip` metadata lines.
fn sniff_delimiter(input: &str, skip: usize) -> u8 {
    let line = input
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(skip)
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let mut best = (0usize, b',');
    for d in [b',', b';', b'\t', b'|'] {
        let n = line.bytes().filter(|b| *b == d).count();
        if n > best.0 {
            best = (n, d);
        }
    }
    best.1
}

/// The lines of CSV text read with `mapping`, one at a time (see [`CsvStream`]).
pub fn stream_csv<'a>(
    input: &'a str,
    mapping: &'a Mapping,
) -> Result<CsvStream<'a, CsvRows<'a>, Row>, StatementError> {
    if input.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(StatementError::Empty);
    }
    let delimiter = mapping
        .delimiter
        .unwrap_or_else(|| sniff_delimiter(input, mapping.skip_rows));
    CsvStream::new(
        CsvRows::new(input, delimiter),
        mapping,
        StatementFormat::Csv,
    )
}

/// Reads CSV text with `mapping`.
pub fn read_csv(input: &str, mapping: &Mapping) -> Result<Vec<Statement>, StatementError> {
    stream::collect(stream_csv(input, mapping)?)
}

/// Reads CSV text with the first preset that reads it without error.
pub fn read_csv_detect(input: &str) -> Result<(String, Vec<Statement>), StatementError> {
    detect_preset(|m| read_csv(input, m))
}

/// The first preset that reads CSV text through to its end without error, found keeping no
/// line in memory (the file is then read again, streamed, with it).
pub fn detect_csv_preset(input: &str) -> Result<Mapping, StatementError> {
    detect_preset_with(|m| stream::check(stream_csv(input, m)?)).map(|(m, ())| m)
}

/// Tries every preset in order with `read`; the first success wins. When none fits, the error
/// lists the presets tried and what the most promising one (the one that got furthest) said.
pub fn detect_preset<F>(read: F) -> Result<(String, Vec<Statement>), StatementError>
where
    F: Fn(&Mapping) -> Result<Vec<Statement>, StatementError>,
{
    detect_preset_with(read).map(|(m, st)| (m.name, st))
}

/// [`detect_preset`] for any reading: the preset that read and what it read.
fn detect_preset_with<T, F>(read: F) -> Result<(Mapping, T), StatementError>
where
    F: Fn(&Mapping) -> Result<T, StatementError>,
{
    let mut first_error: Option<StatementError> = None;
    for m in presets() {
        if m.inverse_sign {
            // Indistinguishable from its plain twin by content: only ever chosen by name.
            continue;
        }
        match read(&m) {
            Ok(st) => return Ok((m, st)),
            Err(StatementError::Empty) => return Err(StatementError::Empty),
            Err(e) => {
                // A preset whose header matched but whose rows failed says more than one
                // whose header did not match at all.
                let header_miss = matches!(&e, StatementError::Structure { record, .. } if record.ends_with("header"));
                if first_error.is_none()
                    || (!header_miss
                        && matches!(first_error, Some(StatementError::Structure { ref record, .. }) if record.ends_with("header")))
                {
                    first_error = Some(e);
                }
            }
        }
    }
    // `None` only when no preset was tried (all are inverse twins), which nothing says more.
    let detail = first_error.map(|e| e.to_string()).unwrap_or_default();
    Err(StatementError::structure(
        1,
        "CSV header",
        format!(
            "no preset fits this layout (tried {}); pass a preset or a column mapping. Closest: {detail}",
            preset_names().join(", ")
        ),
    ))
}

/// Resolved amount columns.
#[derive(Debug, Clone)]
enum ResolvedAmount {
    Signed(usize),
    DebitCredit(usize, usize),
    /// The amount, the indicator, the indicator's column as named (for errors) and its words.
    Indicator {
        amount: usize,
        indicator: usize,
        column: Column,
        values: IndicatorValues,
    },
}

/// Resolved column positions.
struct Resolved {
    date: usize,
    value_date: Option<usize>,
    amount: ResolvedAmount,
    currency: Option<usize>,
    balance: Option<usize>,
    bank_reference: Option<usize>,
    customer_reference: Option<usize>,
    counterparty: Option<usize>,
    counterparty_account: Option<usize>,
    description: Vec<usize>,
}

fn resolve(
    mapping: &Mapping,
    header: Option<&Row>,
    record: &str,
) -> Result<Resolved, StatementError> {
    let header_cells: Vec<String> = header
        .map(|h| {
            h.cells
                .iter()
                .map(|c| c.text().trim_start_matches('\u{feff}').to_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let line = header.map_or(1, |h| h.line);
    let find = |c: &Column| -> Option<usize> {
        match c {
            Column::Index(i) => Some(*i),
            Column::Name(n) => {
                let n = n.trim().to_lowercase();
                header_cells.iter().position(|h| *h == n)
            }
        }
    };
    let required = |c: &Column, what: &str| -> Result<usize, StatementError> {
        find(c).ok_or_else(|| {
            StatementError::structure(
                line,
                &format!("{record} header"),
                format!(
                    "no {what} column {c} (preset {}); header is: {}",
                    mapping.name,
                    header_cells.join(" | ")
                ),
            )
        })
    };
    let optional = |c: &Option<Column>| c.as_ref().and_then(find);
    Ok(Resolved {
        date: required(&mapping.date, "date")?,
        value_date: optional(&mapping.value_date),
        amount: match &mapping.amount {
            AmountColumns::Signed(c) => {
                let amount = required(c, "amount")?;
                // A header naming a debit/credit indicator says the amounts are unsigned.
                let indicator = header.and_then(|h| {
                    header_cells
                        .iter()
                        .position(|n| INDICATOR_HEADERS.contains(&n.trim()))
                        .map(|i| (i, h.cells[i].text()))
                });
                match indicator {
                    Some((i, name)) => ResolvedAmount::Indicator {
                        amount,
                        indicator: i,
                        column: Column::Name(name),
                        values: IndicatorValues::default(),
                    },
                    None => ResolvedAmount::Signed(amount),
                }
            }
            AmountColumns::DebitCredit { debit, credit } => {
                ResolvedAmount::DebitCredit(required(debit, "debit")?, required(credit, "credit")?)
            }
            AmountColumns::Indicator {
                amount,
                indicator,
                values,
            } => ResolvedAmount::Indicator {
                amount: required(amount, "amount")?,
                indicator: required(indicator, "debit/credit indicator")?,
                column: indicator.clone(),
                values: values.clone(),
            },
        },
        currency: optional(&mapping.currency),
        balance: optional(&mapping.balance),
        bank_reference: optional(&mapping.bank_reference),
        customer_reference: optional(&mapping.customer_reference),
        counterparty: optional(&mapping.counterparty),
        counterparty_account: optional(&mapping.counterparty_account),
        description: mapping.description.iter().filter_map(find).collect(),
    })
}

/// Parses an amount as banks print it: `-1,234.56`, `1.234,56`, `(12.00)`, `12.00-`,
/// `'579,68 USD`, `$ 12`, `+31070,11`. Refuses anything else (letters, two decimal marks,
/// misplaced grouping) rather than guess.
pub fn parse_amount(text: &str, decimal: char) -> Result<Decimal, String> {
    let mut s = text.trim().trim_start_matches('\'').trim().to_string();
    // Currency code or symbol before or after the number.
    for sym in ['$', '€', '£', '¥'] {
        s = s.replace(sym, " ");
    }
    let mut s = strip_currency_code(&s).to_string();
    if s.is_empty() {
        return Err("is not an amount".into());
    }
    let mut negative = false;
    if s.starts_with('(') && s.ends_with(')') && s.len() > 2 {
        negative = true;
        s = s[1..s.len() - 1].trim().to_string();
    }
    if let Some(rest) = s.strip_prefix('-') {
        negative = !negative;
        s = rest.trim().to_string();
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest.trim().to_string();
    } else if let Some(rest) = s.strip_suffix('-') {
        negative = !negative;
        s = rest.trim().to_string();
    }
    let grouping: &[char] = if decimal == ',' {
        &['.', ' ', '\u{a0}', '\u{202f}', '\'']
    } else {
        &[',', ' ', '\u{a0}', '\u{202f}', '\'']
    };
    let (int_part, frac_part) = match s.split_once(decimal) {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    if let Some(f) = frac_part {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err("is not an amount".into());
        }
    }
    let groups: Vec<&str> = int_part.split(|c| grouping.contains(&c)).collect();
    if groups.is_empty()
        || groups
            .iter()
            .any(|g| !g.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("is not an amount".into());
    }
    if groups.len() > 1
        && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3))
    {
        return Err("has misplaced digit grouping".into());
    }
    let digits: String = groups.concat();
    if digits.is_empty() {
        return Err("is not an amount".into());
    }
    let canonical = match frac_part {
        Some(f) => format!("{digits}.{f}"),
        None => digits,
    };
    let value: Decimal = canonical
        .parse()
        .map_err(|_| "is out of range".to_string())?;
    Ok(if negative { -value } else { value })
}

/// Drops a three-letter currency code before or after the number (`USD 12`, `12 USD`).
fn strip_currency_code(t: &str) -> &str {
    let t = t.trim();
    let b = t.as_bytes();
    if b.len() > 3 && b[..3].iter().all(u8::is_ascii_uppercase) {
        return t[3..].trim();
    }
    if b.len() > 3 && b[b.len() - 3..].iter().all(u8::is_ascii_uppercase) {
        return t[..t.len() - 3].trim();
    }
    t
}

/// An XLSX number (as written: `-33.5`, `1.5E3`), rounded to 8 decimals to drop binary
/// floating-point noise (`33.499999999999996` → `33.5`).
fn parse_number(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    let d = if t.contains(['e', 'E']) {
        Decimal::from_scientific(t)
    } else {
        t.parse::<Decimal>()
    }
    .map_err(|_| "is not a number".to_string())?;
    Ok(d.round_dp(8).normalize())
}

fn parse_date(text: &str, formats: &[String]) -> Option<NaiveDate> {
    let t = text.trim();
    let first = t.split_whitespace().next().unwrap_or("");
    for candidate in [t, first] {
        for f in formats.iter().map(String::as_str).chain(["%Y-%m-%d"]) {
            if let Ok(d) = NaiveDate::parse_from_str(candidate, f) {
                return Some(d);
            }
        }
    }
    None
}

fn cell(row: &Row, i: usize) -> Option<&Cell> {
    row.cells.get(i).filter(|c| !c.is_blank())
}

fn text_at(row: &Row, i: Option<usize>) -> Option<String> {
    i.and_then(|i| cell(row, i))
        .map(Cell::text)
        .filter(|t| !t.is_empty())
}

/// Searches metadata rows for an account number and a currency (`Account Number : X`, `: EUR`).
fn scan_metadata<'r>(rows: impl IntoIterator<Item = &'r Row>) -> (Option<String>, Option<String>) {
    let (mut account, mut currency) = (None, None);
    for row in rows {
        for c in &row.cells {
            let t = c.text();
            let Some((key, value)) = t.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim().to_lowercase(), value.trim());
            if account.is_none()
                && key.contains("account")
                && !key.contains("name")
                && !value.is_empty()
            {
                account = Some(value.to_string());
            }
            if currency.is_none()
                && (key.is_empty() || key.contains("currency"))
                && value.len() == 3
                && value.bytes().all(|b| b.is_ascii_uppercase())
            {
                currency = Some(value.to_string());
            }
        }
    }
    (account, currency)
}

fn column_label(mapping_col: Option<&Column>, i: usize) -> String {
    match mapping_col {
        Some(Column::Name(n)) => n.clone(),
        _ => format!("column {}", i + 1),
    }
}

/// Reads already-split rows (CSV or XLSX) with `mapping`.
pub fn read_rows(
    rows: &[Row],
    mapping: &Mapping,
    format: StatementFormat,
) -> Result<Vec<Statement>, StatementError> {
    stream::collect(CsvStream::new(rows.iter().map(Ok), mapping, format)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn amounts_in_bank_spellings() {
        assert_eq!(parse_amount("1,653.75", '.'), Ok(d("1653.75")));
        assert_eq!(parse_amount("-1,000.00", '.'), Ok(d("-1000.00")));
        assert_eq!(parse_amount("4.626,81", ','), Ok(d("4626.81")));
        assert_eq!(parse_amount("+31070,11", ','), Ok(d("31070.11")));
        assert_eq!(parse_amount("'579,68 USD", ','), Ok(d("579.68")));
        assert_eq!(parse_amount("'USD 9.126,07", ','), Ok(d("9126.07")));
        assert_eq!(parse_amount("'544,00 $", ','), Ok(d("544.00")));
        assert_eq!(parse_amount("(12.50)", '.'), Ok(d("-12.50")));
        assert_eq!(parse_amount("12.50-", '.'), Ok(d("-12.50")));
        assert_eq!(parse_amount("1 234,5", ','), Ok(d("1234.5")));
    }

    #[test]
    fn ambiguous_or_garbled_amounts_are_refused() {
        for bad in [
            "",
            "abc",
            "1.234,56",
            "12,34,5",
            "1,2345.00",
            "--5",
            "1.2.3",
            "12.",
            "$",
        ] {
            assert!(parse_amount(bad, '.').is_err(), "{bad} accepted");
        }
        assert!(parse_amount("1,234.56", ',').is_err());
    }

    #[test]
    fn xlsx_float_noise_is_rounded_away() {
        assert_eq!(parse_number("33.499999999999996"), Ok(d("33.5")));
        assert_eq!(parse_number("1.5E3"), Ok(d("1500")));
    }

    #[test]
    fn debit_and_credit_both_filled_is_an_error_naming_the_line() {
        let m = preset("debit-credit-eu").unwrap();
        let input = "a\nb\nc\nd\nDate,Operation Number,Label,Debit,Credit,Detail\n01/04/20,X,L,\"-5,00\",\"3,00\",D\nfooter\n";
        let err = read_csv(input, &m).unwrap_err().to_string();
        assert!(err.starts_with("line 6: CSV row: Debit / Credit"), "{err}");
    }

    #[test]
    fn a_bad_currency_names_where_it_came_from() {
        let mut m = preset("simple-en").unwrap();
        m.default_currency = Some("EURO".into());
        // Used to blame the mapping's Currency column, which this file does not have.
        let err = read_csv("Date,Label,Amount\n12/15/2018,x,1.00\n", &m)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "line 2: CSV row: default currency 'EURO' is not a three-letter currency code"
        );
        let err = read_csv(
            "Date,Label,Amount,Currency\n12/15/2018,x,1.00,usd\n12/16/2018,y,2.00,\n",
            &m,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "line 3: CSV row: default currency 'EURO' is not a three-letter currency code"
        );
        let err = read_csv("Date,Label,Amount,Currency\n12/15/2018,x,1.00,€\n", &m)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "line 2: CSV row: Currency '€' is not a three-letter currency code"
        );
    }

    #[test]
    fn a_bad_date_names_line_column_and_value() {
        let m = preset("simple-en").unwrap();
        let err = read_csv(
            "Date,Label,Amount\n12/15/2018,x,1.00\n2018-13-45x,y,2.00\n",
            &m,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "line 3: CSV row: Date '2018-13-45x' is not a date in %m/%d/%Y"
        );
    }
}
