//! The credit file the product originates for a distribution's ACH payments: items grouped
//! into PPD (individuals) and CCD (entities) batches, split at the NACHA entry and total
//! limits, written by [`super::write_credit_file`].

use chrono::{NaiveDate, NaiveDateTime};

use super::build::field_err;
use super::credit_files::{plan_credit_files, write_credit_file, FileHead, FileLimits};
use super::{AccountType, AchError};

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
    /// The entry's Individual Identification Number (≤ 15 printable characters): our
    /// payment reference token, which banks echo back on statements. `None` writes the last
    /// 15 characters of the payment id without dashes, as files before the token did.
    pub individual_id: Option<String>,
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

/// Builds one NACHA credit file: PPD batch(es) for individuals, CCD for entities, all credits
/// (22/32), one effective date, batches split at 50,000 entries; trace numbers are the ODFI's
/// 8-digit prefix and `first_sequence`, `first_sequence + 1`… across batches. Returns the file
/// text and each item's trace number. Items that do not fit one file (a credit total above the
/// 12-digit field) are an error: split them with [`super::plan_credit_files`].
pub fn credit_file(
    orig: &Originator,
    created: NaiveDateTime,
    effective: NaiveDate,
    first_sequence: u32,
    file_id_modifier: char,
    items: &[CreditItem],
) -> Result<(String, Vec<String>), AchError> {
    let plan = plan_credit_files(items, &FileLimits::NACHA)?;
    let plan = match plan.as_slice() {
        [one] => one,
        [] => return Err(field_err("items", "a file needs at least one entry")),
        _ => {
            return Err(field_err(
                "items",
                "the credit total exceeds the 12 digits of one file; split into several files",
            ))
        }
    };
    let head = FileHead {
        originator: orig,
        created,
        effective,
        modifier: file_id_modifier,
        first_sequence,
    };
    let file = write_credit_file(&head, items, plan)?;
    let mut traces = vec![String::new(); items.len()];
    for (i, t) in file.traces {
        traces[i] = t;
    }
    Ok((file.text, traces))
}

#[cfg(test)]
mod tests {
    use super::super::{parse_file, SecCode};
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
            individual_id: None,
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

    /// Issue 14 item 1: 150 entries at the entry maximum total $14,999,999,999.85, 13 digits.
    /// The old writer kept the last 12 digits of the file control total (a file our own reader
    /// rejects); a single file must now refuse, never write a truncated control.
    #[test]
    fn a_file_total_above_twelve_digits_is_refused_not_truncated() {
        let items: Vec<CreditItem> = (0..150)
            .map(|i| CreditItem {
                amount_cents: 9_999_999_999,
                ..item(i, false)
            })
            .collect();
        let created = NaiveDate::from_ymd_opt(2026, 3, 30)
            .unwrap()
            .and_hms_opt(9, 15, 0)
            .unwrap();
        let effective = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        match credit_file(&originator(), created, effective, 1, 'A', &items) {
            Ok((text, _)) => {
                let file = parse_file(&text).expect("a written file reads back");
                assert_eq!(file.control.total_credit, 150 * 9_999_999_999);
            }
            Err(e) => assert!(e.to_string().contains("12 digits"), "{e}"),
        }
    }

    #[test]
    fn nacha_text_keeps_printable_ascii_upper_cased_and_never_empty() {
        assert_eq!(nacha_text("  Zoë  o'Brien ", 22), "ZO O'BRIEN");
        assert_eq!(nacha_text("ÄÖÜ", 22), "INVESTOR");
        assert_eq!(nacha_text("abcdefghij", 4), "ABCD");
    }
}
