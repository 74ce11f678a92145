//! Bank statement readers: BAI2, SWIFT MT940/MT942 and ISO 20022 camt.052/053/054, normalized into one [`Statement`] model.
//!
//! Pure: `&str` in, typed values out; no I/O. Amounts are exact [`rust_decimal::Decimal`]s,
//! signed from the account holder's view (negative = debit, money leaving the account).
//! Every error names the input line and the record/tag it came from, so an operator can
//! find the offending byte without a debugger.

pub mod bai2;
pub mod camt053;
mod model;
pub mod mt940;

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
