//! The reversing entry of an erroneous ACH credit (NACHA Rules, Article Two, Subsection
//! 2.9): a debit (27 checking / 37 savings) for the full amount of the original entry, to the
//! same account, with the original's company name, company identification and SEC code, the
//! company entry description `REVERSAL`, alone in a debits-only (service class 225) batch of
//! its own file. The file is read back with our reader before it is returned.

use chrono::{NaiveDate, NaiveDateTime, Timelike};

use super::{
    aba_checksum_ok, nacha_text, parse_file, write_file, AccountType, AchError, Batch,
    BatchControl, BatchHeader, EntryDetail, File, FileHeader, Originator, SecCode,
    ServiceClassCode,
};

/// Largest amount one entry can carry (10-digit field), in cents.
const MAX_ENTRY_CENTS: u64 = 9_999_999_999;

/// The company entry description NACHA requires on a reversing batch.
pub const REVERSAL_DESCRIPTION: &str = "REVERSAL";

/// The original entry being reversed, as it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReversedEntry {
    /// Receiver's 9-digit routing number (the original's).
    pub routing_number: String,
    /// Receiver's account number (the original's, clear; only ever in the file).
    pub account_number: String,
    /// Checking (debit 27) or savings (debit 37).
    pub account_type: AccountType,
    /// The original entry's amount, cents (reversed in full).
    pub amount_cents: u64,
    /// PPD or CCD, as the original batch.
    pub sec_code: SecCode,
    /// The original's identification number.
    pub individual_id: String,
    /// Receiver name.
    pub individual_name: String,
}

/// The debit transaction code reversing a credit to this account type.
pub fn debit_code(account_type: AccountType) -> u8 {
    match account_type {
        AccountType::Checking => 27,
        AccountType::Savings => 37,
    }
}

fn field(name: &str, message: impl Into<String>) -> AchError {
    AchError::Field {
        field: name.into(),
        message: message.into(),
    }
}

fn check(e: &ReversedEntry) -> Result<(), AchError> {
    let r = &e.routing_number;
    if r.len() != 9 || !r.bytes().all(|b| b.is_ascii_digit()) || !aba_checksum_ok(r) {
        return Err(field(
            "routing_number",
            format!("'{r}' is not a valid ABA routing number"),
        ));
    }
    let a = &e.account_number;
    if a.is_empty()
        || a.len() > 17
        || !a
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(field("account_number", "must be 1-17 of A-Z, 0-9 and '-'"));
    }
    if e.amount_cents == 0 || e.amount_cents > MAX_ENTRY_CENTS {
        return Err(field(
            "amount_cents",
            format!("must be 1..={MAX_ENTRY_CENTS}, got {}", e.amount_cents),
        ));
    }
    if !matches!(e.sec_code, SecCode::Ppd | SecCode::Ccd) {
        return Err(field(
            "sec_code",
            "only PPD and CCD credits are reversed here",
        ));
    }
    Ok(())
}

/// Builds, writes and reads back the reversing file of `entry`: one batch (service class
/// 225, `REVERSAL`), one debit with trace number ODFI prefix + `trace_sequence`. Returns the
/// file text and the entry's trace number.
pub fn reversing_file(
    orig: &Originator,
    created: NaiveDateTime,
    effective: NaiveDate,
    trace_sequence: u32,
    file_id_modifier: char,
    entry: &ReversedEntry,
) -> Result<(String, String), AchError> {
    check(entry)?;
    if !(1..=9_999_999).contains(&trace_sequence) {
        return Err(field("trace_sequence", "must be 1..=9999999"));
    }
    if !(file_id_modifier.is_ascii_uppercase() || file_id_modifier.is_ascii_digit()) {
        return Err(field("file_id_modifier", "must be A-Z (uppercase) or 0-9"));
    }
    let odfi = orig.odfi_routing.get(..8).unwrap_or_default().to_string();
    let trace = format!("{odfi}{trace_sequence:07}");
    let debit = EntryDetail {
        transaction_code: debit_code(entry.account_type),
        rdfi_identification: entry.routing_number[..8].into(),
        check_digit: entry.routing_number.as_bytes()[8] - b'0',
        dfi_account_number: entry.account_number.clone(),
        amount: entry.amount_cents,
        identification_number: nacha_text(&entry.individual_id, 15),
        individual_name: nacha_text(&entry.individual_name, 22),
        discretionary_data: String::new(),
        addenda_record_indicator: false,
        trace_number: trace.clone(),
        iat: None,
        adv: None,
        addenda: Vec::new(),
    };
    let company_id = orig.company_id.trim().to_string();
    let mut batch = Batch {
        header: BatchHeader {
            service_class_code: ServiceClassCode::DebitsOnly,
            company_name: nacha_text(&orig.company_name, 16),
            company_discretionary_data: String::new(),
            company_identification: company_id.clone(),
            sec_code: entry.sec_code,
            company_entry_description: REVERSAL_DESCRIPTION.into(),
            company_descriptive_date: String::new(),
            effective_entry_date: Some(effective),
            settlement_date: String::new(),
            originator_status_code: 1,
            odfi_identification: odfi.clone(),
            batch_number: 1,
            iat: None,
        },
        entries: vec![debit],
        control: BatchControl {
            service_class_code: ServiceClassCode::DebitsOnly,
            entry_addenda_count: 0,
            entry_hash: 0,
            total_debit: 0,
            total_credit: 0,
            company_identification: company_id,
            message_authentication_code: String::new(),
            ach_operator_data: String::new(),
            odfi_identification: odfi,
            batch_number: 1,
        },
    };
    let (count, hash, debit_total, credit_total) = batch.computed_totals();
    batch.control.entry_addenda_count = count;
    batch.control.entry_hash = hash;
    batch.control.total_debit = debit_total;
    batch.control.total_credit = credit_total;
    let header = FileHeader {
        priority_code: "01".into(),
        immediate_destination: orig.odfi_routing.clone(),
        immediate_origin: orig.company_id.clone(),
        file_creation_date: created.date(),
        file_creation_time: chrono::NaiveTime::from_hms_opt(created.hour(), created.minute(), 0),
        file_id_modifier,
        immediate_destination_name: nacha_text(&orig.bank_name, 23),
        immediate_origin_name: nacha_text(&orig.company_name, 23),
        reference_code: String::new(),
    };
    let text = write_file(&File::assemble(header, vec![batch]));
    // Never hand the bank a file our own reader refuses.
    parse_file(&text)?;
    Ok((text, trace))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(account_type: AccountType) -> ReversedEntry {
        ReversedEntry {
            routing_number: "021000021".into(),
            account_number: "123456789".into(),
            account_type,
            amount_cents: 1_234_567,
            sec_code: SecCode::Ppd,
            individual_id: "ABC123".into(),
            individual_name: "Jane Investor".into(),
        }
    }

    fn orig() -> Originator {
        Originator {
            company_name: "CLEARWAY FUNDS".into(),
            company_id: "1234567890".into(),
            odfi_routing: "021000021".into(),
            bank_name: "JPMORGAN CHASE".into(),
        }
    }

    #[test]
    fn a_reversing_file_is_one_debit_in_a_225_reversal_batch_our_reader_accepts() {
        let created = NaiveDate::from_ymd_opt(2026, 4, 6)
            .unwrap()
            .and_hms_opt(10, 30, 0)
            .unwrap();
        let effective = NaiveDate::from_ymd_opt(2026, 4, 7).unwrap();
        for (kind, code) in [(AccountType::Checking, 27), (AccountType::Savings, 37)] {
            let (text, trace) =
                reversing_file(&orig(), created, effective, 42, 'B', &entry(kind)).unwrap();
            assert_eq!(trace, "021000020000042");
            let file = parse_file(&text).unwrap();
            assert_eq!(file.header.file_id_modifier, 'B');
            let b = &file.batches[0];
            assert_eq!(file.batches.len(), 1);
            assert_eq!(b.header.service_class_code.code(), 225);
            assert_eq!(b.header.company_entry_description, "REVERSAL");
            assert_eq!(b.entries[0].transaction_code, code);
            assert_eq!(b.entries[0].amount, 1_234_567);
            assert_eq!(b.control.total_debit, 1_234_567);
            assert_eq!(b.control.total_credit, 0);
            assert_eq!(file.control.total_debit, 1_234_567);
        }
    }

    #[test]
    fn bad_entries_are_refused_naming_the_field() {
        let created = NaiveDate::from_ymd_opt(2026, 4, 6)
            .unwrap()
            .and_hms_opt(10, 30, 0)
            .unwrap();
        let effective = NaiveDate::from_ymd_opt(2026, 4, 7).unwrap();
        let mut e = entry(AccountType::Checking);
        e.amount_cents = 10_000_000_000;
        let err = reversing_file(&orig(), created, effective, 1, 'A', &e).unwrap_err();
        assert_eq!(err.field(), "amount_cents");
        let mut e = entry(AccountType::Checking);
        e.routing_number = "021000022".into();
        let err = reversing_file(&orig(), created, effective, 1, 'A', &e).unwrap_err();
        assert_eq!(err.field(), "routing_number");
    }
}
