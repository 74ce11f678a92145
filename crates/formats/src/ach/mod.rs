//! NACHA ACH files: typed records, a strict reader and a writer.
//!
//! - [`parse_file`] / [`parse_bytes`] read any NACHA file (every SEC code's standard entry
//!   layout, plus the IAT and ADV layouts), decode addenda 05/98/99, and check record
//!   length, record order, field formats, batch and file control totals. Errors name the
//!   1-based line and the field, e.g. `line 2: BatchHeader.OriginatorStatusCode: invalid value '0'`.
//! - [`write_file`] / [`write_file_with`] emit 94-character records, blocked by 10 with
//!   `9`-padding; control records are recomputed from the entries so they can never disagree.
//! - [`CreditBatchBuilder`] and [`FileBuilder`] build what the product originates:
//!   PPD/CCD credit batches (service class 220) with validated fields; [`credit_file`] the
//!   whole file of a distribution's ACH credits; [`reversing_file`] the NACHA reversing entry
//!   (a debit, service class 225, `REVERSAL`) of an erroneous credit.
//!
//! Amounts are integer cents everywhere; no floating point is involved.

mod build;
mod credit_file;
mod credit_files;
mod read;
mod reversing;
mod write;

pub use build::{AccountType, CreditBatchBuilder, CreditEntry, FileBuilder};
pub use credit_file::{credit_file, nacha_text, CreditItem, Originator};
pub use credit_files::{
    plan_credit_files, plan_grouped_credit_files, verify_credit_file, write_credit_file,
    CreditFile, FileHead, FileLimits, PlannedBatch, PlannedFile,
};
pub use read::{parse_bytes, parse_bytes_lenient, parse_file};
pub use reversing::{debit_code, reversing_file, ReversedEntry, REVERSAL_DESCRIPTION};
pub use write::{write_file, write_file_with, LineEnding};

use chrono::{NaiveDate, NaiveTime};

/// Length of every NACHA record, in characters.
pub const RECORD_LENGTH: usize = 94;
/// Records per block; files are padded with all-`9` records to a multiple of this.
pub const BLOCKING_FACTOR: usize = 10;

/// Errors from reading, writing-side validation, and building.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AchError {
    /// A problem at a specific line of an input file (`record.field` names the place).
    #[error("line {line}: {record}.{field}: {message}")]
    Line {
        /// 1-based line (for files without line breaks: 1-based record number).
        line: usize,
        /// Record name, e.g. `BatchHeader`.
        record: &'static str,
        /// Field name, e.g. `OriginatorStatusCode`.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A builder input that violates NACHA rules; `field` is a path like `entries[2].routing_number`.
    #[error("{field}: {message}")]
    Field {
        /// Path of the offending input field.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl AchError {
    /// The 1-based line number, for reader errors.
    pub fn line(&self) -> Option<usize> {
        match self {
            AchError::Line { line, .. } => Some(*line),
            AchError::Field { .. } => None,
        }
    }

    /// The field name (reader: `Record.Field`'s field part; builder: the input path).
    pub fn field(&self) -> &str {
        match self {
            AchError::Line { field, .. } => field,
            AchError::Field { field, .. } => field,
        }
    }
}

/// Batch service class code (positions 2-4 of batch header and control).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceClassCode {
    /// 200: mixed debits and credits.
    Mixed,
    /// 220: credits only.
    CreditsOnly,
    /// 225: debits only.
    DebitsOnly,
    /// 280: automated accounting advices (ADV).
    Advices,
}

impl ServiceClassCode {
    /// Numeric code as written in the file.
    pub fn code(self) -> u16 {
        match self {
            ServiceClassCode::Mixed => 200,
            ServiceClassCode::CreditsOnly => 220,
            ServiceClassCode::DebitsOnly => 225,
            ServiceClassCode::Advices => 280,
        }
    }

    /// Parses a numeric code; `None` for codes NACHA does not define.
    pub fn from_code(code: u16) -> Option<Self> {
        match code {
            200 => Some(ServiceClassCode::Mixed),
            220 => Some(ServiceClassCode::CreditsOnly),
            225 => Some(ServiceClassCode::DebitsOnly),
            280 => Some(ServiceClassCode::Advices),
            _ => None,
        }
    }
}

macro_rules! sec_codes {
    ($($v:ident => $s:literal, $doc:literal;)*) => {
        /// Standard Entry Class code (batch header positions 51-53).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum SecCode { $(#[doc = $doc] $v,)* }

        impl SecCode {
            /// The three-letter code.
            pub fn as_str(self) -> &'static str {
                match self { $(SecCode::$v => $s,)* }
            }

            /// Parses a three-letter code (uppercase, as NACHA requires).
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(SecCode::$v),)* _ => None }
            }
        }
    };
}

sec_codes! {
    Ack => "ACK", "Acknowledgment of a CCD.";
    Adv => "ADV", "Automated accounting advice.";
    Arc => "ARC", "Accounts receivable check conversion.";
    Atx => "ATX", "Acknowledgment of a CTX.";
    Boc => "BOC", "Back office conversion.";
    Ccd => "CCD", "Corporate credit or debit.";
    Cie => "CIE", "Customer initiated entry.";
    Cor => "COR", "Notification of change / refused NOC.";
    Ctx => "CTX", "Corporate trade exchange.";
    Dne => "DNE", "Death notification.";
    Enr => "ENR", "Automated enrollment.";
    Iat => "IAT", "International ACH transaction.";
    Mte => "MTE", "Machine transfer entry.";
    Pop => "POP", "Point of purchase.";
    Pos => "POS", "Point of sale.";
    Ppd => "PPD", "Prearranged payment and deposit (consumers).";
    Rck => "RCK", "Re-presented check.";
    Shr => "SHR", "Shared network transaction.";
    Tel => "TEL", "Telephone-initiated.";
    Trc => "TRC", "Truncated check.";
    Trx => "TRX", "Truncated checks exchange.";
    Web => "WEB", "Internet-initiated.";
    Xck => "XCK", "Destroyed check.";
}

impl SecCode {
    /// SEC codes NACHA restricts to debit entries.
    pub fn debits_only(self) -> bool {
        matches!(
            self,
            SecCode::Arc | SecCode::Boc | SecCode::Pop | SecCode::Rck | SecCode::Tel | SecCode::Xck
        )
    }
}

/// File header record (type 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeader {
    /// Priority code, always `01`.
    pub priority_code: String,
    /// Receiving point routing number, 9 digits (written right-justified in 10).
    pub immediate_destination: String,
    /// Sending point / company identifier, up to 10 characters.
    pub immediate_origin: String,
    /// File creation date (YYMMDD).
    pub file_creation_date: NaiveDate,
    /// File creation time (HHMM); optional in NACHA.
    pub file_creation_time: Option<NaiveTime>,
    /// Distinguishes files created the same day: `A`-`Z` or `0`-`9`.
    pub file_id_modifier: char,
    /// Destination bank name (23).
    pub immediate_destination_name: String,
    /// Origin name (23).
    pub immediate_origin_name: String,
    /// Free reference code (8).
    pub reference_code: String,
}

/// IAT-layout batch header fields (they replace company name/discretionary data/id).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IatBatchHeader {
    /// IAT indicator (16), normally blank.
    pub iat_indicator: String,
    /// `FV`, `VF` or `FF`.
    pub foreign_exchange_indicator: String,
    /// `1`, `2` or `3`.
    pub foreign_exchange_reference_indicator: String,
    /// Exchange rate or reference (15).
    pub foreign_exchange_reference: String,
    /// ISO 3166 destination country (2).
    pub iso_destination_country_code: String,
    /// Originator identification (10).
    pub originator_identification: String,
    /// ISO 4217 originating currency (3).
    pub iso_originating_currency_code: String,
    /// ISO 4217 destination currency (3).
    pub iso_destination_currency_code: String,
}

/// Batch header record (type 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchHeader {
    /// Service class code.
    pub service_class_code: ServiceClassCode,
    /// Originator name (16); empty for the IAT layout.
    pub company_name: String,
    /// Originator's discretionary data (20); empty for IAT.
    pub company_discretionary_data: String,
    /// Originator identification (10); empty for IAT.
    pub company_identification: String,
    /// Standard Entry Class code.
    pub sec_code: SecCode,
    /// Entry description shown to the receiver (10).
    pub company_entry_description: String,
    /// Descriptive date (6, free text); empty for IAT.
    pub company_descriptive_date: String,
    /// Requested settlement date; `None` when blank or `000000` (as in some return files).
    pub effective_entry_date: Option<NaiveDate>,
    /// Julian settlement date inserted by the ACH operator (3), usually blank.
    pub settlement_date: String,
    /// Originator status code: 0 (ADV/IAT by operator), 1 or 2.
    pub originator_status_code: u8,
    /// ODFI routing prefix, 8 digits.
    pub odfi_identification: String,
    /// Batch number.
    pub batch_number: u32,
    /// IAT layout fields: `Some` for SEC IAT and for IAT NOCs/returns (SEC COR, "IATCOR").
    pub iat: Option<IatBatchHeader>,
}

/// IAT-only entry detail fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IatEntry {
    /// Declared number of addenda records.
    pub number_of_addenda_records: u16,
    /// Gateway operator OFAC screening indicator (1).
    pub gateway_ofac_screening_indicator: String,
    /// Secondary OFAC screening indicator (1).
    pub secondary_ofac_screening_indicator: String,
}

/// ADV-only entry detail fields (ADV entries carry no trace number).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdvEntry {
    /// Advice routing number (9).
    pub advice_routing_number: String,
    /// File identification (5).
    pub file_identification: String,
    /// ACH operator data (1).
    pub ach_operator_data: String,
    /// Routing number of the ACH operator (8).
    pub ach_operator_routing_number: String,
    /// Julian day the advice was created.
    pub julian_day: u16,
    /// Sequence number within the batch.
    pub sequence_number: u16,
}

/// Entry detail record (type 6) with its addenda.
///
/// Positions 40-78 are read with the generic layout (identification number, individual
/// name, discretionary data); SEC codes such as CIE, CTX or SHR give them other meanings,
/// which callers interpret as needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryDetail {
    /// Transaction code (22 checking credit, 32 savings credit, 27 checking debit, ...).
    pub transaction_code: u8,
    /// RDFI routing prefix, 8 digits.
    pub rdfi_identification: String,
    /// Ninth routing digit (ABA check digit).
    pub check_digit: u8,
    /// Receiver's account number (17; 35 for IAT; 15 for ADV).
    pub dfi_account_number: String,
    /// Amount in cents.
    pub amount: u64,
    /// Identification number (15).
    pub identification_number: String,
    /// Receiver name (22).
    pub individual_name: String,
    /// Discretionary data / payment type code (2).
    pub discretionary_data: String,
    /// Whether addenda follow.
    pub addenda_record_indicator: bool,
    /// Trace number: ODFI 8-digit prefix + 7-digit sequence (empty for ADV).
    pub trace_number: String,
    /// IAT layout fields.
    pub iat: Option<IatEntry>,
    /// ADV layout fields.
    pub adv: Option<AdvEntry>,
    /// Addenda records following this entry.
    pub addenda: Vec<Addenda>,
}

impl EntryDetail {
    /// Full 9-digit RDFI routing number.
    pub fn routing_number(&self) -> String {
        format!("{}{}", self.rdfi_identification, self.check_digit)
    }

    /// Whether the transaction code moves money to the receiver's account.
    pub fn is_credit(&self) -> bool {
        is_credit_code(self.transaction_code)
    }
}

/// Addenda 05: payment-related information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRelatedAddenda {
    /// Free text (80).
    pub payment_related_information: String,
    /// Addenda sequence number.
    pub sequence_number: u16,
    /// Last 7 digits of the entry's trace number.
    pub entry_detail_sequence_number: u32,
}

/// Addenda 98: notification of change (NOC / COR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NocAddenda {
    /// Change code, `C01`..`C14` or refused `C61`..`C69`.
    pub change_code: String,
    /// Trace number of the original entry.
    pub original_trace_number: String,
    /// Original RDFI routing prefix (8).
    pub original_rdfi_identification: String,
    /// Corrected data (29).
    pub corrected_data: String,
    /// Trace number of this NOC entry.
    pub trace_number: String,
}

/// Addenda 99: return (standard, dishonored R61-R69 and contested R70-R77 share these fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnAddenda {
    /// Return reason code, `R01`..`R85`.
    pub return_code: String,
    /// Trace number of the original entry.
    pub original_trace_number: String,
    /// Date of death (R14/R15), if given; always `None` for R61-R77.
    pub date_of_death: Option<NaiveDate>,
    /// Positions 22-27 verbatim for dishonored/contested returns (R61-R77), else empty.
    pub positions_22_27: String,
    /// Original RDFI routing prefix (8).
    pub original_rdfi_identification: String,
    /// Positions 36-79 verbatim (addenda information, or dishonored/contested fields).
    pub addenda_information: String,
    /// Trace number of this return entry.
    pub trace_number: String,
}

/// An addenda record (type 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addenda {
    /// Type 05.
    PaymentRelated(PaymentRelatedAddenda),
    /// Type 98.
    Noc(NocAddenda),
    /// Type 99.
    Return(ReturnAddenda),
    /// Other types (02 POS/SHR/MTE terminal data, IAT 10-18), kept verbatim.
    Other {
        /// Two-digit type code.
        type_code: String,
        /// Positions 4-94 verbatim.
        data: String,
    },
}

impl Addenda {
    /// Two-digit addenda type code.
    pub fn type_code(&self) -> &str {
        match self {
            Addenda::PaymentRelated(_) => "05",
            Addenda::Noc(_) => "98",
            Addenda::Return(_) => "99",
            Addenda::Other { type_code, .. } => type_code,
        }
    }
}

/// Batch control record (type 8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchControl {
    /// Must equal the header's.
    pub service_class_code: ServiceClassCode,
    /// Entries plus addenda.
    pub entry_addenda_count: u32,
    /// Sum of RDFI 8-digit prefixes, last 10 digits.
    pub entry_hash: u64,
    /// Total debits, cents.
    pub total_debit: u64,
    /// Total credits, cents.
    pub total_credit: u64,
    /// Originator identification (10); empty for ADV.
    pub company_identification: String,
    /// Message authentication code (19); empty for ADV.
    pub message_authentication_code: String,
    /// ACH operator data (19), ADV only.
    pub ach_operator_data: String,
    /// ODFI routing prefix (8).
    pub odfi_identification: String,
    /// Batch number, equal to the header's.
    pub batch_number: u32,
}

/// File control record (type 9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileControl {
    /// Number of batches.
    pub batch_count: u32,
    /// Number of 10-record blocks, padding included.
    pub block_count: u32,
    /// Entries plus addenda in the whole file.
    pub entry_addenda_count: u32,
    /// Sum of batch entry hashes, last 10 digits.
    pub entry_hash: u64,
    /// Total debits, cents.
    pub total_debit: u64,
    /// Total credits, cents.
    pub total_credit: u64,
}

/// A batch: header, entries (with addenda) and control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Batch header.
    pub header: BatchHeader,
    /// Entries in file order.
    pub entries: Vec<EntryDetail>,
    /// Batch control.
    pub control: BatchControl,
}

impl Batch {
    /// Whether this batch uses the ADV layouts.
    pub fn is_adv(&self) -> bool {
        self.header.sec_code == SecCode::Adv
    }

    /// Control totals computed from the entries: (entry+addenda count, hash, debit, credit).
    pub fn computed_totals(&self) -> (u32, u64, u64, u64) {
        let mut count = 0u32;
        let mut hash = 0u64;
        let (mut debit, mut credit) = (0u64, 0u64);
        for e in &self.entries {
            // usize -> u32: a batch cannot hold 4 billion records in memory.
            count += 1 + e.addenda.len() as u32;
            // The reader (`digits`) and the builder (`check_routing`) only produce 8-digit RDFI
            // ids; only a hand-built `EntryDetail` can get here with a non-number, which then
            // adds 0 (this signature is infallible and public).
            hash += e.rdfi_identification.parse::<u64>().unwrap_or(0);
            if e.is_credit() {
                credit += e.amount;
            } else {
                debit += e.amount;
            }
        }
        (count, hash % 10_000_000_000, debit, credit)
    }
}

/// A whole ACH file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// File header.
    pub header: FileHeader,
    /// Batches in file order.
    pub batches: Vec<Batch>,
    /// File control.
    pub control: FileControl,
}

impl File {
    /// A file of these batches, its control record computed from them.
    pub fn assemble(header: FileHeader, batches: Vec<Batch>) -> File {
        let mut file = File {
            header,
            batches,
            control: FileControl {
                batch_count: 0,
                block_count: 0,
                entry_addenda_count: 0,
                entry_hash: 0,
                total_debit: 0,
                total_credit: 0,
            },
        };
        file.control = file.computed_control();
        file
    }

    /// ADV files (all batches ADV) use the wider ADV file control layout.
    pub fn is_adv(&self) -> bool {
        !self.batches.is_empty() && self.batches.iter().all(Batch::is_adv)
    }

    /// File control computed from the batches (block count assumes blocking by 10).
    pub fn computed_control(&self) -> FileControl {
        // The `as` casts below narrow in-memory counts (usize) to the u32 model fields; they
        // cannot overflow for anything that fits in memory.
        let mut c = FileControl {
            batch_count: self.batches.len() as u32,
            block_count: 0,
            entry_addenda_count: 0,
            entry_hash: 0,
            total_debit: 0,
            total_credit: 0,
        };
        let mut records = 2usize;
        for b in &self.batches {
            let (n, h, d, cr) = b.computed_totals();
            c.entry_addenda_count += n;
            c.entry_hash += h;
            c.total_debit += d;
            c.total_credit += cr;
            records += 2 + n as usize;
        }
        c.entry_hash %= 10_000_000_000;
        c.block_count = records.div_ceil(BLOCKING_FACTOR) as u32;
        c
    }
}

/// Whether a transaction code is a credit (`x1`-`x4` for accounts, odd ADV codes).
pub fn is_credit_code(code: u8) -> bool {
    if (81..=88).contains(&code) {
        code % 2 == 1
    } else {
        code % 10 <= 4
    }
}

/// Transaction codes NACHA defines (account, GL, loan, and ADV codes).
pub fn is_valid_transaction_code(code: u8) -> bool {
    matches!(
        code,
        21..=24 | 26..=29 | 31..=34 | 36..=39 | 41..=44 | 46..=49 | 51..=53 | 55 | 56 | 81..=88
    )
}

/// Checks a 9-digit ABA routing number's check digit (weights 3-7-1).
pub fn aba_checksum_ok(routing: &str) -> bool {
    let b = routing.as_bytes();
    if b.len() != 9 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b
        .iter()
        .zip([3u32, 7, 1, 3, 7, 1, 3, 7, 1])
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    matches!(sum % 10, 0)
}

/// Computes the ABA check digit for an 8-digit routing prefix.
pub fn aba_check_digit(prefix8: &str) -> Option<u8> {
    let b = prefix8.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b
        .iter()
        .zip([3u32, 7, 1, 3, 7, 1, 3, 7])
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(((10 - sum % 10) % 10) as u8)
}

/// NACHA "alphanumeric": printable ASCII 0x20..=0x7E.
pub(crate) fn is_printable(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

#[cfg(test)]
mod tests;
