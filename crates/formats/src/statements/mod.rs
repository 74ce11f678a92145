//! Bank statement readers: BAI2, SWIFT MT940/MT942, ISO 20022 camt.052/053/054, OFX, and CSV/XLSX
//! with a column mapping, normalized into one [`Statement`] model.
//!
//! Pure: bytes or `&str` in, typed values out; no I/O. Amounts are exact
//! [`rust_decimal::Decimal`]s, signed from the account holder's view (negative = debit, money
//! leaving the account). Every error names the input line and the record/tag it came from, so
//! an operator can find the offending byte without a debugger.

pub mod bai2;
pub mod balance;
pub mod camt053;
pub mod csv;
pub mod encoding;
pub mod events;
mod model;
pub mod mt940;
pub mod ofx;
pub mod write;
pub mod xlsx;

use std::borrow::Cow;
use std::str::FromStr;

pub use balance::{BalanceMismatch, BalancePolicy};
pub use encoding::{decode, Decoded};
pub use events::StatementEvent;
pub use model::{
    Balance, Counterparty, FundsType, Statement, StatementError, StatementFormat, StatementLine,
    TransactionDetails,
};

/// Reads a bank statement file, detecting OFX (an `OFXHEADER` header or `<OFX>`), ISO 20022
/// camt XML (first non-blank character `<`), BAI2 (first line starts `NN,`, e.g. `01,`) or
/// MT940/MT942.
pub fn read_statements(input: &str) -> Result<Vec<Statement>, StatementError> {
    if ofx::looks_like_ofx(input) {
        return ofx::read(input);
    }
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
    /// OFX 1.x SGML or 2.x XML.
    Ofx,
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
            FileFormat::Ofx => "ofx",
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
            "ofx" | "qfx" => Ok(FileFormat::Ofx),
            other => Err(format!(
                "'{other}' is not a statement format (bai2, camt053, mt940, csv, xlsx, ofx)"
            )),
        }
    }
}

/// Decodes text in the encoding [`decode`] detects (BOM dropped).
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    decode(bytes).text
}

/// Guesses the format from the content: ZIP → XLSX, an OFX header or `<OFX>` → OFX, `<` → camt, `01,` → BAI2, SWIFT tags
/// (`:20:`, `{1:`) → MT940, a delimited first line → CSV. `None` when nothing fits.
pub fn detect_format(bytes: &[u8]) -> Option<FileFormat> {
    if xlsx::looks_like_xlsx(bytes) {
        return Some(FileFormat::Xlsx);
    }
    let text = decode_text(bytes);
    if ofx::looks_like_ofx(&text) {
        return Some(FileFormat::Ofx);
    }
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
            "not a BAI2, camt, MT940, OFX, CSV or XLSX statement (pass the format explicitly if it is one)",
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

/// Reads a statement file of `format` (detected when `None`). Balances that do not tie are
/// not refused here but left in [`Statement::balance_mismatch`] for the caller's
/// [`BalancePolicy`] ([`balance::apply`]); the encoding read is on every statement.
pub fn read_file(
    bytes: &[u8],
    format: Option<FileFormat>,
    options: &SheetOptions,
) -> Result<ReadResult, StatementError> {
    let format = file_format(bytes, format)?;
    let decoded = (format != FileFormat::Xlsx).then(|| decode(bytes));
    let text: &str = decoded.as_ref().map_or("", |d| &d.text);
    let (preset, mut statements) = match stream_text(text, format) {
        Some(events) => (None, events::collect(events)?),
        None => read_whole(bytes, text, format, options)?,
    };
    if statements.is_empty() {
        return Err(StatementError::Empty);
    }
    // XLSX is a zip of XML that is Unicode by definition: no text encoding to state.
    if let Some(d) = &decoded {
        for st in &mut statements {
            st.encoding = Some(d.encoding.to_string());
            st.warnings.extend(d.warning.clone());
        }
    }
    Ok(ReadResult {
        format,
        preset,
        statements,
    })
}

/// A stream of statement events ([`events`]).
pub type Events<'a> = Box<dyn Iterator<Item = Result<StatementEvent, StatementError>> + Send + 'a>;

/// The statements of decoded `text` in `format` as a stream, for the formats read that way
/// (BAI2, MT940/MT942, camt); `None` for CSV (see [`csv::stream_csv`]), XLSX and OFX. As
/// [`read_file`] reads them: balances that do not tie are left to the caller's policy; the
/// encoding is not stated.
pub fn stream_text(text: &str, format: FileFormat) -> Option<Events<'_>> {
    let lenient = mt940::ReadOptions {
        verify_balances: false,
    };
    match format {
        FileFormat::Bai2 => Some(Box::new(bai2::stream(text))),
        FileFormat::Camt => Some(Box::new(camt053::stream(text, &Default::default()))),
        FileFormat::Mt940 => Some(Box::new(mt940::stream(text, &lenient))),
        FileFormat::Csv | FileFormat::Xlsx | FileFormat::Ofx => None,
    }
}

/// The statements of a file read whole, and the CSV/XLSX preset read with.
fn read_whole(
    bytes: &[u8],
    text: &str,
    format: FileFormat,
    options: &SheetOptions,
) -> Result<(Option<String>, Vec<Statement>), StatementError> {
    Ok(match format {
        FileFormat::Bai2 | FileFormat::Camt | FileFormat::Mt940 => (
            None,
            events::collect(stream_text(text, format).into_iter().flatten())?,
        ),
        FileFormat::Ofx => (None, ofx::read(text)?),
        FileFormat::Csv => match mapping_for(options)? {
            Some(m) => (Some(m.name.clone()), csv::read_csv(text, &m)?),
            None => {
                let (name, st) = csv::read_csv_detect(text)?;
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAMT: &str = r#"<?xml version="1.0" encoding="ISO-8859-1"?>
<Document><BkToCstmrDbtCdtNtfctn><Ntfctn><Id>N1</Id><Acct><Id><Othr><Id>A1</Id></Othr></Id></Acct>
<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-03-02</Dt></BookgDt><AddtlNtryInf>Zoë</AddtlNtryInf></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"#;

    #[test]
    fn read_file_states_the_encoding_of_camt_by_its_declaration_or_bom() {
        let latin1: Vec<u8> = CAMT.chars().map(|c| c as u8).collect();
        let st = &read_file(&latin1, None, &SheetOptions::default())
            .unwrap()
            .statements[0];
        assert_eq!(st.encoding.as_deref(), Some("ISO-8859-1"));
        assert_eq!(st.lines[0].description, "Zoë");
        assert!(st.warnings[0].starts_with("file is not UTF-8: read as ISO-8859-1"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                CAMT.replace("ISO-8859-1", "UTF-16")
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        let st = &read_file(&utf16, None, &SheetOptions::default())
            .unwrap()
            .statements[0];
        assert_eq!(st.encoding.as_deref(), Some("UTF-16LE"));
        assert_eq!(st.lines[0].description, "Zoë");
        let utf8 = CAMT.replace("ISO-8859-1", "UTF-8");
        let st = &read_file(utf8.as_bytes(), None, &SheetOptions::default())
            .unwrap()
            .statements[0];
        assert_eq!(st.encoding.as_deref(), Some("UTF-8"));
        assert!(st.warnings.is_empty(), "{:?}", st.warnings);
    }
}
