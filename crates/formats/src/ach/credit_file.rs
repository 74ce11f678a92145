//! The credit file the product originates for a distribution's ACH payments: items grouped
//! into PPD (individuals) and CCD (entities) batches, split at the NACHA entry and total
//! limits, built with [`CreditBatchBuilder`] and written with [`write_file`].

use chrono::{NaiveDate, NaiveDateTime};

use super::{
    write_file, AccountType, AchError, CreditBatchBuilder, CreditEntry, File, FileHeader, SecCode,
};

/// Who we are towards the bank, as written in the file and batch headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Originator {
    /// Company name (16 characters in batch headers, 23 in the file header).
    pub company_name: String,
    /// Company identification (10), e.g. `1` + EIN; also the immediate origin.
    pub company_id: String,
    /// Our bank's (ODFI) 9-digit routing number; trace numbers start with its first 8 digits.
    pub odfi_routing: String,
    /// Immediate destination name (our bank).
    pub bank_name: String,
}

/// Most entries in one NACHA batch (batches also split before their total reaches 12 digits).
const ACH_BATCH_ENTRIES_MAX: usize = 50_000;
/// Largest NACHA batch total (12-digit field), cents.
const ACH_BATCH_TOTAL_MAX: u64 = 999_999_999_999;

/// One ACH credit to write.
#[derive(Debug, Clone)]
pub struct CreditItem {
    /// Payment id.
    pub payment_id: String,
    /// Receiver routing number.
    pub routing_number: String,
    /// Receiver account number (clear; only ever in the file).
    pub account_number: String,
    /// Checking or savings.
    pub account_type: AccountType,
    /// Amount in cents.
    pub amount_cents: u64,
    /// Receiver is an entity (CCD) rather than a person (PPD).
    pub entity: bool,
    /// Receiver name.
    pub name: String,
}

/// NACHA-safe text: printable ASCII, upper case, at most `max` characters.
pub fn nacha_text(s: &str, max: usize) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c.to_ascii_uppercase()
            } else {
                ' '
            }
        })
        .collect();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let t: String = t.chars().take(max).collect();
    if t.trim().is_empty() {
        "INVESTOR".into()
    } else {
        t
    }
}

/// The 15-character identification number of an entry: the random tail of the payment id.
fn individual_id(payment_id: &str) -> String {
    let hex: String = payment_id.chars().filter(|c| *c != '-').collect();
    hex[hex.len().saturating_sub(15)..].to_ascii_uppercase()
}

/// Builds one NACHA credit file: PPD batch(es) for individuals, CCD for entities, all credits (22/32),
/// one effective date; trace numbers are the ODFI's 8-digit prefix and `first_sequence`,
/// `first_sequence + 1`… across batches. Returns the file text and each item's trace number.
pub fn credit_file(
    orig: &Originator,
    created: NaiveDateTime,
    effective: NaiveDate,
    first_sequence: u32,
    file_id_modifier: char,
    items: &[CreditItem],
) -> Result<(String, Vec<String>), AchError> {
    let mut groups: Vec<(SecCode, Vec<usize>)> = Vec::new();
    for sec in [SecCode::Ppd, SecCode::Ccd] {
        let idx: Vec<usize> = (0..items.len())
            .filter(|i| (items[*i].entity) == (sec == SecCode::Ccd))
            .collect();
        if idx.is_empty() {
            continue;
        }
        // Split so that no batch exceeds its entry or total limits.
        let mut current: Vec<usize> = Vec::new();
        let mut total = 0u64;
        for i in idx {
            let amount = items[i].amount_cents;
            if !current.is_empty()
                && (current.len() >= ACH_BATCH_ENTRIES_MAX || total + amount > ACH_BATCH_TOTAL_MAX)
            {
                groups.push((sec, std::mem::take(&mut current)));
                total = 0;
            }
            total += amount;
            current.push(i);
        }
        groups.push((sec, current));
    }
    let company = nacha_text(&orig.company_name, 16);
    let mut batches = Vec::with_capacity(groups.len());
    let mut traces = vec![String::new(); items.len()];
    let mut seq = first_sequence;
    for (n, (sec, idx)) in groups.iter().enumerate() {
        let mut b = CreditBatchBuilder::new(
            &company,
            &orig.company_id,
            *sec,
            "DISTRIBUTN",
            effective,
            &orig.odfi_routing,
        );
        for &i in idx {
            let it = &items[i];
            b = b.entry(CreditEntry {
                routing_number: it.routing_number.clone(),
                account_number: it.account_number.clone(),
                account_type: it.account_type,
                amount_cents: it.amount_cents,
                individual_id: individual_id(&it.payment_id),
                individual_name: nacha_text(&it.name, 22),
                addenda: None,
            });
        }
        let batch = b.build(n as u32 + 1, seq)?;
        for (&i, e) in idx.iter().zip(&batch.entries) {
            traces[i] = e.trace_number.clone();
        }
        seq += batch.entries.len() as u32;
        batches.push(batch);
    }
    let header = FileHeader {
        priority_code: "01".into(),
        immediate_destination: orig.odfi_routing.clone(),
        immediate_origin: orig.company_id.clone(),
        file_creation_date: created.date(),
        file_creation_time: chrono::NaiveTime::from_hms_opt(
            chrono::Timelike::hour(&created),
            chrono::Timelike::minute(&created),
            0,
        ),
        file_id_modifier,
        immediate_destination_name: nacha_text(&orig.bank_name, 23),
        immediate_origin_name: nacha_text(&orig.company_name, 23),
        reference_code: String::new(),
    };
    let file = File::assemble(header, batches);
    Ok((write_file(&file), traces))
}

#[cfg(test)]
mod tests {
    use super::super::parse_file;
    use super::*;

    fn item(i: usize, entity: bool) -> CreditItem {
        CreditItem {
            payment_id: format!("0190f3a2-7c1e-7abc-8def-{:012x}", i),
            routing_number: "121042882".into(),
            account_number: format!("{:010}", 1_000_000 + i),
            account_type: if i.is_multiple_of(3) {
                AccountType::Savings
            } else {
                AccountType::Checking
            },
            amount_cents: 1_000 + i as u64,
            entity,
            name: format!("Investor Ñame {i}"),
        }
    }

    fn originator() -> Originator {
        Originator {
            company_name: "CLEARWAY FUNDS".into(),
            company_id: "1234567890".into(),
            odfi_routing: "021000021".into(),
            bank_name: "JPMORGAN CHASE".into(),
        }
    }

    #[test]
    fn nacha_files_read_back_with_ppd_and_ccd_batches() {
        let items: Vec<CreditItem> = (0..25).map(|i| item(i, i.is_multiple_of(5))).collect();
        let created = NaiveDate::from_ymd_opt(2026, 3, 30)
            .unwrap()
            .and_hms_opt(9, 15, 0)
            .unwrap();
        let effective = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let (text, traces) =
            credit_file(&originator(), created, effective, 41, 'A', &items).unwrap();
        assert!(text.lines().all(|l| l.len() == 94));
        assert_eq!(text.lines().count() % 10, 0, "blocking factor 10");
        let file = parse_file(&text).unwrap();
        assert_eq!(file.batches.len(), 2);
        assert_eq!(file.batches[0].header.sec_code, SecCode::Ppd);
        assert_eq!(file.batches[1].header.sec_code, SecCode::Ccd);
        assert_eq!(file.batches[1].entries.len(), 5);
        let total: u64 = items.iter().map(|i| i.amount_cents).sum();
        assert_eq!(file.control.total_credit, total);
        assert_eq!(file.control.total_debit, 0, "money only goes out");
        for b in &file.batches {
            assert_eq!(b.header.effective_entry_date, Some(effective));
            for e in &b.entries {
                assert!(matches!(e.transaction_code, 22 | 32));
                assert!(e.trace_number.starts_with("02100002"));
            }
        }
        let mut sorted = traces.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 25, "unique traces");
        assert_eq!(
            traces[1], "021000020000041",
            "PPD entries first, from the given sequence"
        );
        assert!(
            text.contains("INVESTOR AME 1 "),
            "non-ASCII letters are dropped, text upper-cased"
        );
    }

    #[test]
    fn nacha_text_keeps_printable_ascii_upper_cased_and_never_empty() {
        assert_eq!(nacha_text("  Zoë  o'Brien ", 22), "ZO O'BRIEN");
        assert_eq!(nacha_text("ÄÖÜ", 22), "INVESTOR");
        assert_eq!(nacha_text("abcdefghij", 4), "ABCD");
    }
}
