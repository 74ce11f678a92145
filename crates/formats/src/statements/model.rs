//! The normalized statement model shared by all readers, and the reader error type.

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;

/// Which file format a [`Statement`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatementFormat {
    /// BAI2 balance-and-transaction report (one statement per `03` account).
    Bai2,
    /// SWIFT MT940 customer statement.
    Mt940,
    /// SWIFT MT942 interim transaction report (no opening/closing balance).
    Mt942,
    /// ISO 20022 camt.052 bank-to-customer account report (intraday).
    Camt052,
    /// ISO 20022 camt.053 bank-to-customer statement.
    Camt053,
    /// ISO 20022 camt.054 debit/credit notification.
    Camt054,
    /// CSV export read with a column mapping.
    Csv,
    /// XLSX export read with a column mapping.
    Xlsx,
    /// OFX 1.x (SGML) or 2.x (XML) bank or credit-card statement.
    Ofx,
}

/// A dated balance. Amount is signed: negative = overdrawn / debit balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    /// Signed amount.
    pub amount: Decimal,
    /// Balance date, when the format gives one.
    pub date: Option<NaiveDate>,
    /// ISO currency code, when the format gives one.
    pub currency: Option<String>,
    /// True for MT940 intermediate balances (`:60M:`/`:62M:`): the statement continues on another page.
    pub intermediate: bool,
}

/// Availability of funds (BAI2 funds type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FundsType {
    /// `Z` (or blank): availability unknown.
    Unknown,
    /// `0`: immediately available.
    Immediate,
    /// `1`: available in one business day.
    OneDay,
    /// `2`: available in two or more business days.
    TwoOrMoreDays,
    /// `S`: split into immediate / one-day / two-or-more-day amounts (blank parts are `None`).
    Distributed {
        /// Immediately available part.
        immediate: Option<Decimal>,
        /// Part available in one day.
        one_day: Option<Decimal>,
        /// Part available in two or more days.
        two_or_more_days: Option<Decimal>,
    },
    /// `V`: value dated; available on `date` (at `time` when given).
    ValueDated {
        /// Value date.
        date: NaiveDate,
        /// Value time, when given (`2400`/`9999` = end of day, stored as `None`).
        time: Option<NaiveTime>,
    },
    /// `D`: distributed availability as (days, amount) pairs.
    DaysDistribution(Vec<(u32, Decimal)>),
}

/// The other party of a transaction, when the bank supplies it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counterparty {
    /// Name of the payer/payee.
    pub name: Option<String>,
    /// Account number / IBAN of the payer/payee.
    pub account: Option<String>,
}

/// One booked (or, for MT942, reported) transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// Signed amount: negative = debit (money leaving the account).
    pub amount: Decimal,
    /// Currency of `amount` as the entry itself states it (camt `Amt/@Ccy`, OFX `CURRENCY`);
    /// `None` when the format gives the currency only per account or statement.
    pub currency: Option<String>,
    /// Value date (MT940 `:61:` value date; BAI2 funds type `V` date).
    pub value_date: Option<NaiveDate>,
    /// Booking/entry date (MT940 entry date, else value date; BAI2 group as-of date).
    pub booking_date: Option<NaiveDate>,
    /// Bank's reference (MT940 after `//`; BAI2 bank reference field).
    pub bank_reference: Option<String>,
    /// Customer / end-to-end reference (MT940 reference for the account owner; BAI2 customer reference).
    pub customer_reference: Option<String>,
    /// Transaction type code as in the file (BAI2 `142`; MT940 `NTRF`).
    pub type_code: String,
    /// True for MT940 reversals (`RC`/`RD`).
    pub reversal: bool,
    /// MT940 funds code (third letter of the currency code) or BAI2 funds type letter.
    pub funds_code: Option<char>,
    /// BAI2 funds availability, when given.
    pub funds: Option<FundsType>,
    /// Counterparty, when it can be extracted from the narrative.
    pub counterparty: Option<Counterparty>,
    /// MT940 `:61:` supplementary details (the line(s) after the `:61:` line).
    pub supplementary_details: Option<String>,
    /// Free text: MT940 `:86:`, BAI2 `16` text plus `88` continuations.
    pub description: String,
    /// 1-based line number where the transaction starts in the input.
    pub line: usize,
    /// The raw record text (all physical lines of the transaction, `\n`-joined; camt: the `<Ntry>` element).
    pub raw: String,
    /// camt entry status (`BOOK`, `PDNG`, `INFO`); `None` for formats without one.
    pub status: Option<String>,
    /// camt `NtryDtls/TxDtls`, one per underlying transaction (several for a batch booking);
    /// empty for BAI2/MT940. The line's `amount` stays the entry total.
    pub transactions: Vec<TransactionDetails>,
}

/// One underlying transaction of a camt entry (`NtryDtls/TxDtls`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransactionDetails {
    /// Signed transaction amount (`AmtDtls/TxAmt/Amt` or `Amt`), when given.
    pub amount: Option<Decimal>,
    /// Currency of `amount`.
    pub currency: Option<String>,
    /// `Refs/MsgId`.
    pub message_id: Option<String>,
    /// `Refs/AcctSvcrRef`.
    pub account_servicer_reference: Option<String>,
    /// `Refs/PmtInfId`.
    pub payment_information_id: Option<String>,
    /// `Refs/InstrId`.
    pub instruction_id: Option<String>,
    /// `Refs/EndToEndId` (`NOTPROVIDED` kept as given).
    pub end_to_end_id: Option<String>,
    /// `Refs/TxId`.
    pub transaction_id: Option<String>,
    /// `Refs/UETR` (camt.05x.001.08).
    pub uetr: Option<String>,
    /// `RltdPties/Dbtr` + `DbtrAcct`.
    pub debtor: Option<Counterparty>,
    /// `RltdPties/Cdtr` + `CdtrAcct`.
    pub creditor: Option<Counterparty>,
    /// `RmtInf/Ustrd` lines, in order.
    pub remittance: Vec<String>,
    /// `RmtInf/Strd/CdtrRefInf/Ref` (structured creditor reference).
    pub creditor_reference: Option<String>,
    /// `BkTxCd` as `DOMAIN/FAMILY/SUBFAMILY`, or the proprietary code.
    pub bank_transaction_code: Option<String>,
    /// `RtrInf/Rsn/Cd`: why a payment came back (e.g. `AC04` closed account).
    pub return_reason: Option<String>,
    /// `AddtlTxInf`.
    pub additional_info: Option<String>,
    /// 1-based line of `<TxDtls>`.
    pub line: usize,
}

/// One account statement, normalized across formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Source format.
    pub format: StatementFormat,
    /// Account identifier as given by the bank (BAI2 `03` account number; MT940 `:25:`).
    pub account_id: String,
    /// Account currency (BAI2 account/group currency, default USD; MT940 balance currency).
    pub currency: Option<String>,
    /// Character encoding the file was decoded from (`UTF-8`, `windows-1252`, …), when known.
    pub encoding: Option<String>,
    /// Statement reference (MT940 `:20:`; BAI2 file id).
    pub reference: Option<String>,
    /// Statement/sequence number (MT940 `:28C:`).
    pub statement_number: Option<String>,
    /// Statement date (BAI2 group as-of date; MT942 `:13D:` date; MT940 closing balance date).
    pub statement_date: Option<NaiveDate>,
    /// Opening ledger balance (BAI2 type 010; MT940 `:60F:`/`:60M:`).
    pub opening_balance: Option<Balance>,
    /// Closing ledger balance (BAI2 type 015; MT940 `:62F:`/`:62M:`).
    pub closing_balance: Option<Balance>,
    /// Closing available balance (BAI2 type 045; MT940 `:64:`).
    pub available_balance: Option<Balance>,
    /// Statement-level information (MT940 `:86:` not attached to a `:61:`).
    pub information: Option<String>,
    /// Transactions, in file order.
    pub lines: Vec<StatementLine>,
    /// Non-fatal findings (e.g. MT942 `:90D:` totals that disagree with the lines).
    pub warnings: Vec<String>,
    /// Opening + booked lines ≠ closing, as the reader found it; what it means is the
    /// caller's [`super::BalancePolicy`] ([`super::balance::apply`]).
    pub balance_mismatch: Option<super::BalanceMismatch>,
    /// 1-based line number where the statement starts.
    pub line: usize,
}

/// Why a statement file could not be read. Messages start with `line N: <record>:`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// Nothing that looks like a statement was found.
    #[error("input is empty or contains no statement")]
    Empty,
    /// A field has a bad value.
    #[error("line {line}: {}: {field} '{}' {problem}", printable(.record, EXCERPT_MAX), printable(.value, EXCERPT_MAX))]
    Field {
        /// 1-based input line.
        line: usize,
        /// Record or tag, e.g. `16 record` or `:61: statement line`.
        record: String,
        /// Field name.
        field: String,
        /// Offending value as found.
        value: String,
        /// What is wrong, e.g. `is not a number`.
        problem: String,
    },
    /// Records/tags out of order, missing or duplicated.
    #[error("line {line}: {}: {}", printable(.record, EXCERPT_MAX), printable(.message, MESSAGE_MAX))]
    Structure {
        /// 1-based input line.
        line: usize,
        /// Record or tag.
        record: String,
        /// What is wrong.
        message: String,
    },
    /// A BAI2 trailer's control total disagrees with the amounts it covers.
    #[error("line {line}: {record}: control total {declared} != computed {computed}")]
    ControlTotal {
        /// 1-based input line of the trailer.
        line: usize,
        /// Trailer record, e.g. `49 account trailer`.
        record: String,
        /// Total in the trailer.
        declared: i128,
        /// Total summed from the records.
        computed: i128,
    },
    /// A BAI2 trailer's record/account/group count disagrees with the records it covers.
    #[error("line {line}: {record}: {what} {declared} != computed {computed}")]
    Count {
        /// 1-based input line of the trailer.
        line: usize,
        /// Trailer record.
        record: String,
        /// Which count, e.g. `number of records`.
        what: String,
        /// Count in the trailer.
        declared: u64,
        /// Count of records found.
        computed: u64,
    },
    /// MT940 opening balance + lines != closing balance.
    #[error("line {line}: {record}: opening {opening} + lines {lines_total} = {expected} != closing {closing}")]
    BalanceMismatch {
        /// 1-based input line of the closing balance.
        line: usize,
        /// Closing balance tag.
        record: String,
        /// Opening balance.
        opening: Decimal,
        /// Sum of the statement lines.
        lines_total: Decimal,
        /// Opening + lines.
        expected: Decimal,
        /// Closing balance in the file.
        closing: Decimal,
    },
}

impl StatementError {
    /// The 1-based input line the error refers to, if any.
    pub fn line(&self) -> Option<usize> {
        match self {
            StatementError::Empty => None,
            StatementError::Field { line, .. }
            | StatementError::Structure { line, .. }
            | StatementError::ControlTotal { line, .. }
            | StatementError::Count { line, .. }
            | StatementError::BalanceMismatch { line, .. } => Some(*line),
        }
    }

    pub(crate) fn field(
        line: usize,
        record: &str,
        field: &str,
        value: &str,
        problem: &str,
    ) -> Self {
        StatementError::Field {
            line,
            record: record.to_string(),
            field: field.to_string(),
            value: value.to_string(),
            problem: problem.to_string(),
        }
    }

    pub(crate) fn structure(line: usize, record: &str, message: impl Into<String>) -> Self {
        StatementError::Structure {
            line,
            record: record.to_string(),
            message: message.into(),
        }
    }
}

/// Longest excerpt of file content an error message quotes, in characters.
const EXCERPT_MAX: usize = 40;

/// Longest message (which may quote the file) an error carries, in characters.
const MESSAGE_MAX: usize = 300;

/// File content as an error message may quote it: control characters (a binary upload is
/// full of them) escaped as `\u{…}`, at most `max` characters, so a message never carries
/// raw bytes of the file.
fn printable(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() || c == '\u{FFFD}' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Builds a date from a two-digit year (SWIFT/BAI2 YY → 20YY, or 19YY for 70..=99).
pub(crate) fn yy_to_year(yy: u32) -> i32 {
    if yy >= 70 {
        1900 + yy as i32
    } else {
        2000 + yy as i32
    }
}

/// Parses exactly `n` ASCII digits.
pub(crate) fn digits(s: &str, n: usize) -> Option<u32> {
    if s.len() == n && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}
