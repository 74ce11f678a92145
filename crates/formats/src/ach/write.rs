//! NACHA writer: fixed-width records, recomputed controls, blocking by 10.

use super::{
    Addenda, Batch, BatchControl, BatchHeader, EntryDetail, File, FileHeader, SecCode,
    BLOCKING_FACTOR, RECORD_LENGTH,
};

/// Line terminator between records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnding {
    /// `\n` (default).
    #[default]
    Lf,
    /// `\r\n`, which some bank portals require.
    Crlf,
}

/// Writes a file with LF line endings. See [`write_file_with`].
pub fn write_file(file: &File) -> String {
    write_file_with(file, LineEnding::Lf)
}

/// Writes a file. Batch and file control counts, entry hashes, totals and the block count
/// are recomputed from the entries (the stored values are ignored), and the output is
/// padded with all-`9` records to a multiple of 10. Text longer than its field is
/// truncated; use the builders to get validated input.
pub fn write_file_with(file: &File, ending: LineEnding) -> String {
    let mut recs: Vec<String> = vec![file_header(&file.header)];
    for b in &file.batches {
        recs.push(batch_header(&b.header));
        for e in &b.entries {
            recs.push(entry(&b.header, e));
            for a in &e.addenda {
                recs.push(addenda(a));
            }
        }
        recs.push(batch_control(b));
    }
    let c = file.computed_control();
    let (debit, credit) = if file.is_adv() {
        (n(c.total_debit, 20), n(c.total_credit, 20))
    } else {
        (n(c.total_debit, 12), n(c.total_credit, 12))
    };
    recs.push(format!(
        "9{}{}{}{}{debit}{credit}",
        n(c.batch_count.into(), 6),
        n(c.block_count.into(), 6),
        n(c.entry_addenda_count.into(), 8),
        n(c.entry_hash, 10),
    ));
    // `matches!` rather than `is_multiple_of`, which is newer than the workspace MSRV (1.85).
    while !matches!(recs.len() % BLOCKING_FACTOR, 0) {
        recs.push("9".repeat(RECORD_LENGTH));
    }
    let eol = match ending {
        LineEnding::Lf => "\n",
        LineEnding::Crlf => "\r\n",
    };
    let mut out = String::with_capacity(recs.len() * (RECORD_LENGTH + 2));
    for r in recs {
        // Every record is exactly 94 characters: pad short ones (reserved blanks).
        out.push_str(&a(&r, RECORD_LENGTH));
        out.push_str(eol);
    }
    out
}

/// Alphanumeric: left-justified, blank-padded, truncated to `w`.
fn a(s: &str, w: usize) -> String {
    let mut v: String = s.chars().take(w).collect();
    while v.len() < w {
        v.push(' ');
    }
    v
}

/// Right-justified text (routing numbers in the file header).
fn r(s: &str, w: usize) -> String {
    let v: String = s.chars().take(w).collect();
    format!("{v:>w$}")
}

/// Numeric: zero-padded, keeping the last `w` digits (entry hash rule).
fn n(v: u64, w: usize) -> String {
    let s = format!("{v:0w$}");
    s[s.len() - w..].to_string()
}

fn file_header(h: &FileHeader) -> String {
    let time = h
        .file_creation_time
        .map_or_else(|| "    ".to_string(), |t| t.format("%H%M").to_string());
    format!(
        "1{}{}{}{}{time}{}094101{}{}{}",
        a(&h.priority_code, 2),
        r(&h.immediate_destination, 10),
        r(&h.immediate_origin, 10),
        h.file_creation_date.format("%y%m%d"),
        h.file_id_modifier,
        a(&h.immediate_destination_name, 23),
        a(&h.immediate_origin_name, 23),
        a(&h.reference_code, 8),
    )
}

fn batch_header(h: &BatchHeader) -> String {
    let middle_a; // positions 5-50
    let middle_b; // positions 64-69
    if let Some(i) = &h.iat {
        middle_a = format!(
            "{}{}{}{}{}{}",
            a(&i.iat_indicator, 16),
            a(&i.foreign_exchange_indicator, 2),
            a(&i.foreign_exchange_reference_indicator, 1),
            a(&i.foreign_exchange_reference, 15),
            a(&i.iso_destination_country_code, 2),
            a(&i.originator_identification, 10),
        );
        middle_b = format!(
            "{}{}",
            a(&i.iso_originating_currency_code, 3),
            a(&i.iso_destination_currency_code, 3)
        );
    } else {
        middle_a = format!(
            "{}{}{}",
            a(&h.company_name, 16),
            a(&h.company_discretionary_data, 20),
            a(&h.company_identification, 10),
        );
        middle_b = a(&h.company_descriptive_date, 6);
    }
    let eff = h
        .effective_entry_date
        .map_or_else(|| "      ".to_string(), |d| d.format("%y%m%d").to_string());
    format!(
        "5{}{middle_a}{}{}{middle_b}{eff}{}{}{}{}",
        h.service_class_code.code(),
        h.sec_code.as_str(),
        a(&h.company_entry_description, 10),
        a(&h.settlement_date, 3),
        h.originator_status_code % 10,
        a(&h.odfi_identification, 8),
        n(h.batch_number.into(), 7),
    )
}

fn entry(h: &BatchHeader, e: &EntryDetail) -> String {
    let head = format!(
        "6{}{}{}",
        n(e.transaction_code.into(), 2),
        a(&e.rdfi_identification, 8),
        e.check_digit % 10
    );
    let ind = if e.addenda_record_indicator { '1' } else { '0' };
    match h.sec_code {
        _ if h.iat.is_some() => {
            // A hand-built IAT entry without IAT fields writes them blank/zero (the writer is
            // infallible; the builders never produce one).
            let x = e.iat.clone().unwrap_or_default();
            format!(
                "{head}{}{}{}{}{}{}{}{ind}{}",
                n(x.number_of_addenda_records.into(), 4),
                a("", 13),
                n(e.amount, 10),
                a(&e.dfi_account_number, 35),
                a("", 2),
                a(&x.gateway_ofac_screening_indicator, 1),
                a(&x.secondary_ofac_screening_indicator, 1),
                a(&e.trace_number, 15),
            )
        }
        SecCode::Adv => {
            // As for IAT: missing ADV fields are written blank/zero.
            let x = e.adv.clone().unwrap_or_default();
            format!(
                "{head}{}{}{}{}{}{}{}{ind}{}{}{}",
                a(&e.dfi_account_number, 15),
                n(e.amount, 12),
                a(&x.advice_routing_number, 9),
                a(&x.file_identification, 5),
                a(&x.ach_operator_data, 1),
                a(&e.individual_name, 22),
                a(&e.discretionary_data, 2),
                a(&x.ach_operator_routing_number, 8),
                n(x.julian_day.into(), 3),
                n(x.sequence_number.into(), 4),
            )
        }
        _ => format!(
            "{head}{}{}{}{}{}{ind}{}",
            a(&e.dfi_account_number, 17),
            n(e.amount, 10),
            a(&e.identification_number, 15),
            a(&e.individual_name, 22),
            a(&e.discretionary_data, 2),
            a(&e.trace_number, 15),
        ),
    }
}

fn addenda(ad: &Addenda) -> String {
    match ad {
        Addenda::PaymentRelated(x) => format!(
            "705{}{}{}",
            a(&x.payment_related_information, 80),
            n(x.sequence_number.into(), 4),
            n(x.entry_detail_sequence_number.into(), 7),
        ),
        Addenda::Noc(x) => format!(
            "798{}{}{}{}{}{}{}",
            a(&x.change_code, 3),
            a(&x.original_trace_number, 15),
            a("", 6),
            a(&x.original_rdfi_identification, 8),
            a(&x.corrected_data, 29),
            a("", 15),
            a(&x.trace_number, 15),
        ),
        Addenda::Return(x) => format!(
            "799{}{}{}{}{}{}",
            a(&x.return_code, 3),
            a(&x.original_trace_number, 15),
            x.date_of_death.map_or_else(
                || a(&x.positions_22_27, 6),
                |d| d.format("%y%m%d").to_string()
            ),
            a(&x.original_rdfi_identification, 8),
            a(&x.addenda_information, 44),
            a(&x.trace_number, 15),
        ),
        Addenda::Other { type_code, data } => format!("7{}{}", a(type_code, 2), a(data, 91)),
    }
}

fn batch_control(b: &Batch) -> String {
    let c: &BatchControl = &b.control;
    let (count, hash, debit, credit) = b.computed_totals();
    let middle = if b.is_adv() {
        format!(
            "{}{}{}",
            n(debit, 20),
            n(credit, 20),
            a(&c.ach_operator_data, 19)
        )
    } else {
        format!(
            "{}{}{}{}{}",
            n(debit, 12),
            n(credit, 12),
            a(&c.company_identification, 10),
            a(&c.message_authentication_code, 19),
            a("", 6),
        )
    };
    format!(
        "8{}{}{}{middle}{}{}",
        b.header.service_class_code.code(),
        n(count.into(), 6),
        n(hash, 10),
        a(&c.odfi_identification, 8),
        n(c.batch_number.into(), 7),
    )
}
