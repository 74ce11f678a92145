//! Builders for the files the product originates: PPD/CCD credit batches (service class 220).

use super::{
    aba_checksum_ok, is_printable, AchError, Addenda, Batch, BatchControl, BatchHeader,
    EntryDetail, File, FileHeader, PaymentRelatedAddenda, SecCode, ServiceClassCode,
};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

type Result<T> = std::result::Result<T, AchError>;

/// Largest amount one entry can carry (10-digit field), in cents.
pub(super) const MAX_ENTRY_CENTS: u64 = 9_999_999_999;
/// Largest batch/file total (12-digit field), in cents.
pub(super) const MAX_TOTAL_CENTS: u64 = 999_999_999_999;

/// Receiver account type, which selects the credit transaction code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountType {
    /// Demand deposit: transaction code 22.
    Checking,
    /// Savings: transaction code 32.
    Savings,
}

impl AccountType {
    /// Credit transaction code for this account type.
    pub fn credit_code(self) -> u8 {
        match self {
            AccountType::Checking => 22,
            AccountType::Savings => 32,
        }
    }
}

/// One credit to an investor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditEntry {
    /// Receiver's 9-digit ABA routing number (check digit verified).
    pub routing_number: String,
    /// Receiver's account number: 1-17 of `A-Z`, `0-9`, `-`.
    pub account_number: String,
    /// Checking or savings.
    pub account_type: AccountType,
    /// Amount in cents, 1..=9,999,999,999.
    pub amount_cents: u64,
    /// Our identifier for the receiver (0-15 characters).
    pub individual_id: String,
    /// Receiver name (PPD) or receiving company name (CCD), 1-22 characters.
    pub individual_name: String,
    /// Optional addenda 05 payment-related information (1-80 characters).
    pub addenda: Option<String>,
}

/// Builds a credits-only (service class 220) PPD or CCD batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditBatchBuilder {
    company_name: String,
    company_identification: String,
    sec_code: SecCode,
    company_entry_description: String,
    company_discretionary_data: String,
    effective_entry_date: NaiveDate,
    odfi_routing_number: String,
    entries: Vec<CreditEntry>,
}

pub(super) fn field_err(field: impl Into<String>, message: impl Into<String>) -> AchError {
    AchError::Field {
        field: field.into(),
        message: message.into(),
    }
}

/// NACHA alphanumeric text: printable ASCII, at most `max`, non-blank when `required`.
pub(super) fn check_text(field: &str, v: &str, max: usize, required: bool) -> Result<()> {
    if !is_printable(v) {
        return Err(field_err(
            field,
            "must contain only printable ASCII characters (0x20-0x7E)",
        ));
    }
    if v.len() > max {
        return Err(field_err(
            field,
            format!("must be at most {max} characters, got {}", v.len()),
        ));
    }
    if required && v.trim().is_empty() {
        return Err(field_err(field, "is mandatory and blank"));
    }
    Ok(())
}

pub(super) fn check_routing(field: &str, v: &str) -> Result<()> {
    if v.len() != 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_err(field, format!("'{v}' must be exactly 9 digits")));
    }
    if !aba_checksum_ok(v) {
        return Err(field_err(
            field,
            format!("'{v}' fails the ABA check digit (3-7-1 weights)"),
        ));
    }
    Ok(())
}

/// Dates are written as YYMMDD and read back as 20YY.
pub(super) fn check_year(field: &str, d: NaiveDate) -> Result<()> {
    if !(2000..=2099).contains(&d.year()) {
        return Err(field_err(field, "year must be within 2000-2099 (YYMMDD)"));
    }
    Ok(())
}

impl CreditBatchBuilder {
    /// Starts a batch. `sec_code` must be PPD (individuals) or CCD (entities);
    /// `odfi_routing_number` is our bank's 9-digit routing number.
    pub fn new(
        company_name: &str,
        company_identification: &str,
        sec_code: SecCode,
        company_entry_description: &str,
        effective_entry_date: NaiveDate,
        odfi_routing_number: &str,
    ) -> Self {
        CreditBatchBuilder {
            company_name: company_name.into(),
            company_identification: company_identification.into(),
            sec_code,
            company_entry_description: company_entry_description.into(),
            company_discretionary_data: String::new(),
            effective_entry_date,
            odfi_routing_number: odfi_routing_number.into(),
            entries: Vec::new(),
        }
    }

    /// Sets the company discretionary data (0-20 characters).
    pub fn discretionary_data(mut self, data: &str) -> Self {
        self.company_discretionary_data = data.into();
        self
    }

    /// Adds a credit entry.
    pub fn entry(mut self, entry: CreditEntry) -> Self {
        self.entries.push(entry);
        self
    }

    /// Number of entries added so far.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entries were added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Validates and builds the batch; trace numbers are the ODFI prefix followed by
    /// `first_trace_sequence`, `first_trace_sequence + 1`, ...
    pub fn build(&self, batch_number: u32, first_trace_sequence: u32) -> Result<Batch> {
        self.check_batch(batch_number, first_trace_sequence)?;
        let odfi = &self.odfi_routing_number[..8];
        let mut entries = Vec::with_capacity(self.entries.len());
        for (i, (e, seq)) in self.entries.iter().zip(first_trace_sequence..).enumerate() {
            entries.push(entry_detail(e, i, seq, odfi)?);
        }
        let mut batch = Batch {
            header: self.batch_header(batch_number, odfi),
            entries,
            control: BatchControl {
                service_class_code: ServiceClassCode::CreditsOnly,
                entry_addenda_count: 0,
                entry_hash: 0,
                total_debit: 0,
                total_credit: 0,
                company_identification: self.company_identification.trim().into(),
                message_authentication_code: String::new(),
                ach_operator_data: String::new(),
                odfi_identification: odfi.into(),
                batch_number,
            },
        };
        let (count, hash, debit, credit) = batch.computed_totals();
        if credit > MAX_TOTAL_CENTS {
            return Err(field_err("entries", "batch credit total exceeds 12 digits"));
        }
        batch.control.entry_addenda_count = count;
        batch.control.entry_hash = hash;
        batch.control.total_debit = debit;
        batch.control.total_credit = credit;
        Ok(batch)
    }

    /// The batch-level checks: SEC code, company fields, ODFI, date, batch number and the
    /// range of trace sequences.
    fn check_batch(&self, batch_number: u32, first_trace_sequence: u32) -> Result<()> {
        if !matches!(self.sec_code, SecCode::Ppd | SecCode::Ccd) {
            return Err(field_err(
                "sec_code",
                format!("'{}' not supported: use PPD or CCD", self.sec_code.as_str()),
            ));
        }
        check_text("company_name", &self.company_name, 16, true)?;
        check_text(
            "company_identification",
            &self.company_identification,
            10,
            true,
        )?;
        check_text(
            "company_entry_description",
            &self.company_entry_description,
            10,
            true,
        )?;
        // NACHA-defined descriptions (REVERSAL, RETURN FEE, ...) are uppercase, and ODFIs
        // commonly reject lowercase here.
        if self
            .company_entry_description
            .bytes()
            .any(|b| b.is_ascii_lowercase())
        {
            return Err(field_err("company_entry_description", "must be uppercase"));
        }
        check_text(
            "company_discretionary_data",
            &self.company_discretionary_data,
            20,
            false,
        )?;
        check_routing("odfi_routing_number", &self.odfi_routing_number)?;
        check_year("effective_entry_date", self.effective_entry_date)?;
        if batch_number == 0 || batch_number > 9_999_999 {
            return Err(field_err("batch_number", "must be 1..=9999999"));
        }
        if self.entries.is_empty() {
            return Err(field_err("entries", "a batch needs at least one entry"));
        }
        let last_seq = u64::from(first_trace_sequence) + self.entries.len() as u64 - 1;
        if first_trace_sequence == 0 || last_seq > 9_999_999 {
            return Err(field_err(
                "first_trace_sequence",
                "trace sequences must stay within 1..=9999999",
            ));
        }
        Ok(())
    }

    /// The batch header (service class 220) for ODFI prefix `odfi`.
    fn batch_header(&self, batch_number: u32, odfi: &str) -> BatchHeader {
        BatchHeader {
            service_class_code: ServiceClassCode::CreditsOnly,
            company_name: self.company_name.trim_end().into(),
            company_discretionary_data: self.company_discretionary_data.trim_end().into(),
            company_identification: self.company_identification.trim().into(),
            sec_code: self.sec_code,
            company_entry_description: self.company_entry_description.trim_end().into(),
            company_descriptive_date: String::new(),
            effective_entry_date: Some(self.effective_entry_date),
            settlement_date: String::new(),
            originator_status_code: 1,
            odfi_identification: odfi.into(),
            batch_number,
            iat: None,
        }
    }
}

/// Validates entry `i` of a batch, then builds its entry detail record with trace number
/// `odfi` + `seq` (and its addenda 05, if any).
fn entry_detail(e: &CreditEntry, i: usize, seq: u32, odfi: &str) -> Result<EntryDetail> {
    let f = |name: &str| format!("entries[{i}].{name}");
    check_entry(e, &f)?;
    let mut addenda = Vec::new();
    if let Some(text) = &e.addenda {
        check_text(&f("addenda"), text, 80, true)?;
        addenda.push(Addenda::PaymentRelated(PaymentRelatedAddenda {
            payment_related_information: text.trim_end().into(),
            sequence_number: 1,
            entry_detail_sequence_number: seq,
        }));
    }
    Ok(EntryDetail {
        transaction_code: e.account_type.credit_code(),
        rdfi_identification: e.routing_number[..8].into(),
        check_digit: e.routing_number.as_bytes()[8] - b'0',
        dfi_account_number: e.account_number.clone(),
        amount: e.amount_cents,
        identification_number: e.individual_id.trim_end().into(),
        individual_name: e.individual_name.trim_end().into(),
        discretionary_data: String::new(),
        addenda_record_indicator: !addenda.is_empty(),
        trace_number: format!("{odfi}{seq:07}"),
        iat: None,
        adv: None,
        addenda,
    })
}

/// The entry's routing number, account number, amount, identification and name; `f`
/// names a field of this entry in errors.
pub(super) fn check_entry(e: &CreditEntry, f: &dyn Fn(&str) -> String) -> Result<()> {
    check_routing(&f("routing_number"), &e.routing_number)?;
    let acct = &e.account_number;
    if acct.is_empty() || acct.len() > 17 {
        return Err(field_err(f("account_number"), "must be 1-17 characters"));
    }
    if !acct
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(field_err(
            f("account_number"),
            "may contain only A-Z (uppercase), 0-9 and '-'",
        ));
    }
    if e.amount_cents == 0 || e.amount_cents > MAX_ENTRY_CENTS {
        return Err(field_err(
            f("amount_cents"),
            format!("must be 1..={MAX_ENTRY_CENTS}, got {}", e.amount_cents),
        ));
    }
    check_text(&f("individual_id"), &e.individual_id, 15, false)?;
    check_text(&f("individual_name"), &e.individual_name, 22, true)?;
    Ok(())
}

/// Builds a whole file of credit batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileBuilder {
    immediate_destination: String,
    immediate_origin: String,
    immediate_destination_name: String,
    immediate_origin_name: String,
    created: NaiveDateTime,
    file_id_modifier: char,
    reference_code: String,
    batches: Vec<CreditBatchBuilder>,
}

impl FileBuilder {
    /// Starts a file: `immediate_destination` is the receiving point's 9-digit routing
    /// number; `immediate_origin` is the 9-10 character origin the bank assigned.
    pub fn new(
        immediate_destination: &str,
        immediate_origin: &str,
        immediate_destination_name: &str,
        immediate_origin_name: &str,
        created: NaiveDateTime,
    ) -> Self {
        FileBuilder {
            immediate_destination: immediate_destination.into(),
            immediate_origin: immediate_origin.into(),
            immediate_destination_name: immediate_destination_name.into(),
            immediate_origin_name: immediate_origin_name.into(),
            created,
            file_id_modifier: 'A',
            reference_code: String::new(),
            batches: Vec::new(),
        }
    }

    /// Sets the file ID modifier (`A`-`Z`, `0`-`9`; default `A`).
    pub fn file_id_modifier(mut self, m: char) -> Self {
        self.file_id_modifier = m;
        self
    }

    /// Sets the reference code (0-8 characters).
    pub fn reference_code(mut self, code: &str) -> Self {
        self.reference_code = code.into();
        self
    }

    /// Adds a batch; batches are numbered 1, 2, ... in order.
    pub fn batch(mut self, batch: CreditBatchBuilder) -> Self {
        self.batches.push(batch);
        self
    }

    /// Validates and builds the file. Trace sequences run on across batches so every
    /// trace number in the file is unique.
    pub fn build(&self) -> Result<File> {
        check_routing("immediate_destination", &self.immediate_destination)?;
        check_text("immediate_origin", &self.immediate_origin, 10, true)?;
        check_text(
            "immediate_destination_name",
            &self.immediate_destination_name,
            23,
            false,
        )?;
        check_text(
            "immediate_origin_name",
            &self.immediate_origin_name,
            23,
            false,
        )?;
        check_text("reference_code", &self.reference_code, 8, false)?;
        if !(self.file_id_modifier.is_ascii_uppercase() || self.file_id_modifier.is_ascii_digit()) {
            return Err(field_err(
                "file_id_modifier",
                "must be A-Z (uppercase) or 0-9",
            ));
        }
        check_year("created", self.created.date())?;
        let mut batches = Vec::with_capacity(self.batches.len());
        let mut seq = 1u32;
        for (i, b) in self.batches.iter().enumerate() {
            // `build` rejects batch numbers above 9999999, long before `i as u32` could wrap.
            let batch = b.build(i as u32 + 1, seq).map_err(|e| match e {
                AchError::Field { field, message } => AchError::Field {
                    field: format!("batches[{i}].{field}"),
                    message,
                },
                other => other,
            })?;
            // `build` checked that seq + entries stays within 9999999: no wrap.
            seq += batch.entries.len() as u32;
            batches.push(batch);
        }
        let header = FileHeader {
            priority_code: "01".into(),
            immediate_destination: self.immediate_destination.clone(),
            immediate_origin: self.immediate_origin.trim().into(),
            file_creation_date: self.created.date(),
            file_creation_time: chrono::NaiveTime::from_hms_opt(
                self.created.hour(),
                self.created.minute(),
                0,
            ),
            file_id_modifier: self.file_id_modifier,
            immediate_destination_name: self.immediate_destination_name.trim_end().into(),
            immediate_origin_name: self.immediate_origin_name.trim_end().into(),
            reference_code: self.reference_code.trim_end().into(),
        };
        let file = File::assemble(header, batches);
        if file.control.total_credit > MAX_TOTAL_CENTS {
            return Err(field_err("batches", "file credit total exceeds 12 digits"));
        }
        Ok(file)
    }
}
