//! Bank statement readers: BAI2, SWIFT MT940/MT942, ISO 20022 camt.052/053/054, and CSV/XLSX
//! with a column mapping, normalized into one [`Statement`] model.
//!
//! Pure: bytes or `&str` in, typed values out; no I/O. Amounts are exact
//! [`rust_decimal::Decimal`]s, signed from the account holder's view (negative = debit, money
//! leaving the account). Every error names the input line and the record/tag it came from, so
//! an operator can find the offending byte without a debugger.

pub mod bai2;
pub mod camt053;
pub mod csv;
mod model;
pub mod mt940;
pub mod write;
pub mod xlsx;

use std::borrow::Cow;
use std::str::FromStr;

pub use model::{
    Balance, Counterparty, FundsType, Statement, StatementError, StatementFormat, StatementLine,
    TransactionDetails,
};

/// Reads a bank statement file, detecting ISO 20022 camt XML (first non-blank character `<`),
/// BAI2 (first line starts `NN,`, e.g. `01,`) or MT940/MT942.
pub fn read_statements(input: &str) -> Result<Vec<Statement>, StatementError> {
    let first = input
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty());
    match first {
        Some(l)
            if l.len() >= 3
                && l.as_bytes()[..2].iter().all(u8::is_ascii_digit)
                && l.as_bytes()[2] == b',' =>
        {
            bai2::read(input)
        }
        Some(l) if l.starts_with('<') => camt053::read(input),
        Some(_) => mt940::read(input),
        None => Err(StatementError::Empty),
    }
}

/// A statement file format as a user names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// BAI2.
    Bai2,
    /// ISO 20022 camt.052/053/054.
    Camt,
    /// SWIFT MT940/MT942.
    Mt940,
    /// CSV with a column mapping.
    Csv,
    /// XLSX with a column mapping.
    Xlsx,
}

impl FileFormat {
    /// The canonical lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Bai2 => "bai2",
            FileFormat::Camt => "camt053",
            FileFormat::Mt940 => "mt940",
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
        }
    }
}

impl FromStr for FileFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bai2" | "bai" => Ok(FileFormat::Bai2),
            "camt" | "camt053" | "camt.053" | "camt052" | "camt.052" | "camt054" | "camt.054" => {
                Ok(FileFormat::Camt)
            }
            "mt940" | "mt942" | "swift" => Ok(FileFormat::Mt940),
            "csv" => Ok(FileFormat::Csv),
            "xlsx" => Ok(FileFormat::Xlsx),
            other => Err(format!(
                "'{other}' is not a statement format (bai2, camt053, mt940, csv, xlsx)"
            )),
        }
    }
}

/// Decodes text: UTF-8 (BOM dropped), else Latin-1 (older MT940 files), byte for byte.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// Guesses the format from the content: ZIP → XLSX, `<` → camt, `01,` → BAI2, SWIFT tags
/// (`:20:`, `{1:`) → MT940, a delimited first line → CSV. `None` when nothing fits.
pub fn detect_format(bytes: &[u8]) -> Option<FileFormat> {
    if xlsx::looks_like_xlsx(bytes) {
        return Some(FileFormat::Xlsx);
    }
    let text = decode_text(bytes);
    let first = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    if first.starts_with('<') {
        return Some(FileFormat::Camt);
    }
    if first.starts_with("01,") {
        return Some(FileFormat::Bai2);
    }
    if first.starts_with("{1:")
        || first.starts_with(":20:")
        || text
            .lines()
            .take(20)
            .any(|l| l.trim_start().starts_with(":20:"))
    {
        return Some(FileFormat::Mt940);
    }
    if [',', ';', '\t', '|'].iter().any(|d| first.contains(*d)) {
        return Some(FileFormat::Csv);
    }
    None
}

/// How to read a CSV/XLSX file: a preset by name (else detected) plus overrides.
#[derive(Debug, Clone, Default)]
pub struct SheetOptions {
    /// Preset name; `None` detects one (or uses the overrides' columns as a custom mapping).
    pub preset: Option<String>,
    /// Changes to the preset.
    pub overrides: csv::Overrides,
}

/// What [`read_file`] found.
#[derive(Debug, Clone)]
pub struct ReadResult {
    /// The format read.
    pub format: FileFormat,
    /// The CSV/XLSX preset used (`custom` for a mapping from overrides).
    pub preset: Option<String>,
    /// The statements.
    pub statements: Vec<Statement>,
}

fn mapping_for(options: &SheetOptions) -> Result<Option<csv::Mapping>, StatementError> {
    let bad = |m: String| StatementError::structure(1, "column mapping", m);
    let base = match &options.preset {
        Some(name) => Some(csv::preset(name).ok_or_else(|| {
            bad(format!(
                "unknown preset '{name}' (known: {})",
                csv::preset_names().join(", ")
            ))
        })?),
        None if options.overrides.has_columns() => Some(csv::Mapping::new(
            csv::Column::Index(0),
            csv::AmountColumns::Signed(csv::Column::Index(1)),
        )),
        None => None,
    };
    match base {
        Some(mut m) => {
            options.overrides.apply(&mut m).map_err(bad)?;
            Ok(Some(m))
        }
        None => Ok(None),
    }
}

/// The format of `bytes`: `format` when given, else detected. Blank input is empty.
pub fn file_format(bytes: &[u8], format: Option<FileFormat>) -> Result<FileFormat, StatementError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(StatementError::Empty);
    }
    format.or_else(|| detect_format(bytes)).ok_or_else(|| {
        StatementError::structure(
            1,
            "file",
            "not a BAI2, camt, MT940, CSV or XLSX statement (pass the format explicitly if it is one)",
        )
    })
}

/// The CSV mapping `options` give (a preset and overrides, or overrides' columns), checked
/// without reading the file; `None` when a preset is to be detected.
pub fn given_mapping(options: &SheetOptions) -> Result<Option<csv::Mapping>, StatementError> {
    mapping_for(options)
}

/// The mapping to stream CSV `text` with: the one `options` give, else the first preset that
/// reads the whole file without error (a pass that keeps no line).
pub fn csv_mapping(text: &str, options: &SheetOptions) -> Result<csv::Mapping, StatementError> {
    match mapping_for(options)? {
        Some(m) => Ok(m),
        None => csv::detect_csv_preset(text),
    }
}

/// Reads a statement file of `format` (detected when `None`).
pub fn read_file(
    bytes: &[u8],
    format: Option<FileFormat>,
    options: &SheetOptions,
) -> Result<ReadResult, StatementError> {
    let format = file_format(bytes, format)?;
    let text = || decode_text(bytes);
    let (preset, statements) = match format {
        FileFormat::Bai2 => (None, bai2::read(&text())?),
        FileFormat::Camt => (None, camt053::read(&text())?),
        FileFormat::Mt940 => (None, mt940::read(&text())?),
        FileFormat::Csv => match mapping_for(options)? {
            Some(m) => (Some(m.name.clone()), csv::read_csv(&text(), &m)?),
            None => {
                let (name, st) = csv::read_csv_detect(&text())?;
                (Some(name), st)
            }
        },
        FileFormat::Xlsx => match mapping_for(options)? {
            Some(m) => (Some(m.name.clone()), xlsx::read(bytes, &m)?),
            None => {
                let (name, st) = xlsx::read_detect(bytes)?;
                (Some(name), st)
            }
        },
    };
    if statements.is_empty() {
        return Err(StatementError::Empty);
    }
    Ok(ReadResult {
        format,
        preset,
        statements,
    })
}
