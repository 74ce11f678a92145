//! ACH credits as as many NACHA files as the limits need.
//!
//! [`plan_credit_files`] splits the items (deterministically: PPD items in input order, then
//! CCD) so that every file and batch respects the ODFI's caps and the NACHA field widths;
//! [`plan_grouped_credit_files`] does the same for several groups (distributions) sharing
//! files, each group in batches of its own with its own effective entry date;
//! [`write_credit_file`] writes one planned file straight into one buffer, validating every
//! field on the way and refusing (an error, never a truncated field) any count or total that
//! does not fit its field.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

use super::build::{
    check_routing, check_text, check_year, field_err, MAX_ENTRY_CENTS, MAX_TOTAL_CENTS,
};
use super::credit_file::{nacha_text, CreditItem, Originator};
use super::{
    aba_checksum_ok, parse_file, AchError, SecCode, ServiceClassCode, BLOCKING_FACTOR,
    RECORD_LENGTH,
};

type Result<T> = std::result::Result<T, AchError>;

/// Most entries a batch's 6-digit entry/addenda count can state.
const BATCH_COUNT_MAX: usize = 999_999;
/// Largest trace sequence (7 digits).
const TRACE_SEQUENCE_MAX: u64 = 9_999_999;
/// What the company entry description of a distribution says.
const ENTRY_DESCRIPTION: &str = "DISTRIBUTN";

/// The limits a set of credit files respects: the ODFI's caps, never above the NACHA fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    /// Most entries in one file.
    pub max_file_entries: usize,
    /// Most entries in one batch.
    pub max_batch_entries: usize,
    /// Largest credit total of one file, cents (capped at the 12-digit field).
    pub max_file_credit_cents: u64,
    /// Largest single entry, cents (capped at the 10-digit field and the file cap).
    pub max_entry_cents: u64,
}

impl FileLimits {
    /// Only NACHA's own limits: 10-digit entries, 12-digit totals, batches of 50,000 entries.
    pub const NACHA: FileLimits = FileLimits {
        max_file_entries: TRACE_SEQUENCE_MAX as usize,
        max_batch_entries: 50_000,
        max_file_credit_cents: MAX_TOTAL_CENTS,
        max_entry_cents: MAX_ENTRY_CENTS,
    };

    /// The file credit cap in force (never above 12 digits).
    pub fn file_credit_cap(&self) -> u64 {
        self.max_file_credit_cents.min(MAX_TOTAL_CENTS)
    }

    /// The entry cap in force (never above 10 digits nor the file cap).
    pub fn entry_cap(&self) -> u64 {
        self.max_entry_cents
            .min(MAX_ENTRY_CENTS)
            .min(self.file_credit_cap())
    }

    fn batch_cap(&self) -> usize {
        self.max_batch_entries
            .min(self.max_file_entries)
            .min(BATCH_COUNT_MAX)
    }

    fn check(&self) -> Result<()> {
        if self.max_file_entries == 0 {
            return Err(field_err("limits.max_file_entries", "must be at least 1"));
        }
        if self.max_batch_entries == 0 {
            return Err(field_err("limits.max_batch_entries", "must be at least 1"));
        }
        if self.max_file_credit_cents == 0 || self.max_entry_cents == 0 {
            return Err(field_err("limits", "credit caps must be at least 1 cent"));
        }
        Ok(())
    }
}

/// One batch of a planned file: indexes into the items, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedBatch {
    /// PPD (individuals) or CCD (entities).
    pub sec: SecCode,
    /// Items of this batch, in order.
    pub items: Vec<usize>,
    /// Group of every item of the batch (0 when planned ungrouped).
    pub group: usize,
    /// Effective entry date of the batch; `None`: the file's ([`FileHead::effective`]).
    pub effective: Option<NaiveDate>,
}

/// One planned file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlannedFile {
    /// Batches in file order.
    pub batches: Vec<PlannedBatch>,
    /// Credit total, cents.
    pub total_cents: u64,
}

impl PlannedFile {
    /// Number of entries.
    pub fn entry_count(&self) -> usize {
        self.batches.iter().map(|b| b.items.len()).sum()
    }

    /// Item indexes in file order.
    pub fn items(&self) -> impl Iterator<Item = usize> + '_ {
        self.batches.iter().flat_map(|b| b.items.iter().copied())
    }
}

/// Splits `items` into files within `limits`: PPD items in input order then CCD items, a new
/// file whenever the next entry would pass the file's entry count or credit cap, a new batch at
/// the batch entry cap. An item of 0 or above [`FileLimits::entry_cap`] is an error naming it
/// (callers filter those first). Same input, same plan.
pub fn plan_credit_files(items: &[CreditItem], limits: &FileLimits) -> Result<Vec<PlannedFile>> {
    plan_grouped_credit_files(items, &vec![0; items.len()], &[], limits)
}

/// [`plan_credit_files`] for items of several groups sharing files: `group_of[i]` is item
/// `i`'s group, `effective_of[g]` group `g`'s effective entry date (`None` past its end: the
/// file's). Groups come in order of their number, each PPD then CCD; a batch never mixes two
/// groups, so each group's entries and totals stand in batches of their own (a bank posts
/// and returns per batch). Same input, same plan.
pub fn plan_grouped_credit_files(
    items: &[CreditItem],
    group_of: &[usize],
    effective_of: &[NaiveDate],
    limits: &FileLimits,
) -> Result<Vec<PlannedFile>> {
    limits.check()?;
    if group_of.len() != items.len() {
        return Err(field_err("group_of", "must name one group per item"));
    }
    let (entry_cap, file_cap, batch_cap) = (
        limits.entry_cap(),
        limits.file_credit_cap(),
        limits.batch_cap(),
    );
    for (i, it) in items.iter().enumerate() {
        if it.amount_cents == 0 || it.amount_cents > entry_cap {
            return Err(field_err(
                format!("items[{i}].amount_cents"),
                format!(
                    "payment {}: {} is outside the entry limit 1..={entry_cap}",
                    it.payment_id, it.amount_cents
                ),
            ));
        }
    }
    let mut ordered: Vec<usize> = (0..items.len()).collect();
    // A stable sort keeps the input order within a group and class.
    ordered.sort_by_key(|&i| (group_of[i], items[i].entity));
    let mut files = Vec::new();
    let mut cur = PlannedFile::default();
    let mut count = 0usize;
    for i in ordered {
        let it = &items[i];
        if count > 0
            && (count >= limits.max_file_entries || cur.total_cents + it.amount_cents > file_cap)
        {
            files.push(std::mem::take(&mut cur));
            count = 0;
        }
        let sec = if it.entity {
            SecCode::Ccd
        } else {
            SecCode::Ppd
        };
        let group = group_of[i];
        match cur.batches.last_mut() {
            Some(b) if b.sec == sec && b.group == group && b.items.len() < batch_cap => {
                b.items.push(i)
            }
            _ => cur.batches.push(PlannedBatch {
                sec,
                items: vec![i],
                group,
                effective: effective_of.get(group).copied(),
            }),
        }
        cur.total_cents += it.amount_cents;
        count += 1;
    }
    if count > 0 {
        files.push(cur);
    }
    Ok(files)
}

/// One written file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditFile {
    /// The file text (LF line ends, blocked by 10).
    pub text: String,
    /// (item index, trace number) in file order.
    pub traces: Vec<(usize, String)>,
    /// Credit total, cents.
    pub total_cents: u64,
}

/// The file header and the per-file fields of its batches.
pub struct FileHead<'a> {
    /// Who we are.
    pub originator: &'a Originator,
    /// File creation date and time (the File ID Modifier was allocated for this date).
    pub created: NaiveDateTime,
    /// Effective entry date of every batch that names none of its own.
    pub effective: NaiveDate,
    /// File ID Modifier, `A`-`Z` or `0`-`9`.
    pub modifier: char,
    /// Trace sequence of the first entry; the next entries follow on.
    pub first_sequence: u32,
}

/// Writes planned file `plan` of `items`: PPD/CCD credit batches (service class 220), trace
/// numbers from `head.first_sequence` in file order. Every field is validated and every
/// count, hash and total checked against its width; nothing is ever written truncated.
pub fn write_credit_file(
    head: &FileHead<'_>,
    items: &[CreditItem],
    plan: &PlannedFile,
) -> Result<CreditFile> {
    let fixed = FixedFields::new(head)?;
    let entries = plan.entry_count();
    let last = u64::from(head.first_sequence) + entries as u64;
    if head.first_sequence == 0 || last > TRACE_SEQUENCE_MAX + 1 {
        return Err(field_err(
            "first_sequence",
            "trace sequences must stay within 1..=9999999",
        ));
    }
    let records = 2 + 2 * plan.batches.len() + entries;
    let blocks = records.div_ceil(BLOCKING_FACTOR);
    let mut out = String::with_capacity(blocks * BLOCKING_FACTOR * (RECORD_LENGTH + 1));
    fixed.file_header(&mut out);
    let mut traces = Vec::with_capacity(entries);
    let mut seq = head.first_sequence;
    let (mut file_hash, mut file_credit) = (0u64, 0u64);
    for (b, batch) in plan.batches.iter().enumerate() {
        let number = b as u64 + 1;
        let effective = batch.effective.unwrap_or(head.effective);
        check_year("batches.effective", effective)?;
        fixed.batch_header(&mut out, batch.sec, effective, number)?;
        let (mut hash, mut credit) = (0u64, 0u64);
        for &i in &batch.items {
            let it = items.get(i).ok_or_else(|| {
                field_err(format!("plan.items[{i}]"), "not an index of the items")
            })?;
            entry(&mut out, it, i, fixed.odfi, seq)?;
            traces.push((i, out[out.len() - 16..out.len() - 1].to_string()));
            hash += digits8(&it.routing_number);
            credit += it.amount_cents;
            seq += 1;
        }
        hash %= 10_000_000_000;
        if credit > MAX_TOTAL_CENTS {
            return Err(field_err(
                format!("batches[{b}].total_credit"),
                format!("{credit} exceeds the 12-digit batch total"),
            ));
        }
        fixed.batch_control(&mut out, batch.items.len() as u64, hash, credit, number)?;
        file_hash += hash;
        file_credit += credit;
    }
    if file_credit != plan.total_cents {
        return Err(field_err("plan.total_cents", "does not equal its entries"));
    }
    out.push('9');
    num(
        &mut out,
        "file_control.batch_count",
        plan.batches.len() as u64,
        6,
    )?;
    num(&mut out, "file_control.block_count", blocks as u64, 6)?;
    num(&mut out, "file_control.entry_count", entries as u64, 8)?;
    num(
        &mut out,
        "file_control.entry_hash",
        file_hash % 10_000_000_000,
        10,
    )?;
    num(&mut out, "file_control.total_debit", 0, 12)?;
    num(&mut out, "file_control.total_credit", file_credit, 12)?;
    pad_record(&mut out);
    for _ in records..blocks * BLOCKING_FACTOR {
        out.extend(std::iter::repeat_n('9', RECORD_LENGTH));
        out.push('\n');
    }
    Ok(CreditFile {
        text: out,
        traces,
        total_cents: file_credit,
    })
}

/// Reads a written file back with our own reader ([`parse_file`]: layout, field formats,
/// batch and file controls) and checks it says what was meant: the File ID Modifier and
/// creation date, credits only, exactly the `expected` (trace number, amount) entries in
/// order, and a credit total equal to their sum. The error names what differs.
pub fn verify_credit_file(
    text: &str,
    modifier: char,
    created: NaiveDate,
    expected: &[(&str, u64)],
) -> Result<()> {
    let file = parse_file(text)?;
    let h = &file.header;
    if h.file_id_modifier != modifier || h.file_creation_date != created {
        return Err(field_err(
            "file_header",
            format!(
                "modifier {} created {}, expected {modifier} created {created}",
                h.file_id_modifier, h.file_creation_date
            ),
        ));
    }
    let mut n = 0usize;
    for (b, batch) in file.batches.iter().enumerate() {
        if batch.header.service_class_code != ServiceClassCode::CreditsOnly {
            return Err(field_err(
                format!("batches[{b}].service_class_code"),
                "must be 220 (credits only)",
            ));
        }
        for e in &batch.entries {
            let Some((trace, amount)) = expected.get(n) else {
                return Err(field_err(
                    "entries",
                    format!("more than the {} expected", expected.len()),
                ));
            };
            if !e.is_credit() || e.trace_number != *trace || e.amount != *amount {
                return Err(field_err(
                    format!("entries[{n}]"),
                    format!(
                        "trace {} amount {} (code {}), expected a credit of {amount} with trace {trace}",
                        e.trace_number, e.amount, e.transaction_code
                    ),
                ));
            }
            n += 1;
        }
    }
    if n != expected.len() {
        return Err(field_err(
            "entries",
            format!("{n} entries, expected {}", expected.len()),
        ));
    }
    let total: u64 = expected.iter().map(|e| e.1).sum();
    if file.control.total_credit != total || file.control.total_debit != 0 {
        return Err(field_err(
            "file_control",
            format!(
                "credit {} debit {}, expected credit {total} debit 0",
                file.control.total_credit, file.control.total_debit
            ),
        ));
    }
    Ok(())
}

/// Fields every record of one file shares, validated once.
struct FixedFields<'a> {
    head: &'a FileHead<'a>,
    company: String,
    company_id: &'a str,
    odfi: &'a str,
}

impl<'a> FixedFields<'a> {
    fn new(head: &'a FileHead<'a>) -> Result<Self> {
        let o = head.originator;
        check_text("company_id", &o.company_id, 10, true)?;
        check_routing("odfi_routing", &o.odfi_routing)?;
        check_year("created", head.created.date())?;
        check_year("effective", head.effective)?;
        if !(head.modifier.is_ascii_uppercase() || head.modifier.is_ascii_digit()) {
            return Err(field_err(
                "file_id_modifier",
                "must be A-Z (uppercase) or 0-9",
            ));
        }
        Ok(FixedFields {
            head,
            company: nacha_text(&o.company_name, 16),
            company_id: o.company_id.trim(),
            odfi: &o.odfi_routing[..8],
        })
    }

    fn file_header(&self, out: &mut String) {
        let (h, o) = (self.head, self.head.originator);
        out.push_str("101");
        right(out, &o.odfi_routing, 10);
        right(out, &o.company_id, 10);
        yymmdd(out, h.created.date());
        push_n(out, u64::from(h.created.hour()), 2);
        push_n(out, u64::from(h.created.minute()), 2);
        out.push(h.modifier);
        out.push_str("094101");
        alpha(out, nacha_text(&o.bank_name, 23).trim_end(), 23);
        alpha(out, nacha_text(&o.company_name, 23).trim_end(), 23);
        pad_record(out);
    }

    fn batch_header(
        &self,
        out: &mut String,
        sec: SecCode,
        effective: NaiveDate,
        number: u64,
    ) -> Result<()> {
        out.push_str("5220");
        alpha(out, self.company.trim_end(), 16);
        alpha(out, "", 20);
        alpha(out, self.company_id, 10);
        out.push_str(sec.as_str());
        alpha(out, ENTRY_DESCRIPTION, 10);
        alpha(out, "", 6);
        yymmdd(out, effective);
        out.push_str("   1");
        out.push_str(self.odfi);
        num(out, "batch_number", number, 7)?;
        pad_record(out);
        Ok(())
    }

    fn batch_control(
        &self,
        out: &mut String,
        count: u64,
        hash: u64,
        credit: u64,
        number: u64,
    ) -> Result<()> {
        out.push_str("8220");
        num(out, "batch_control.entry_count", count, 6)?;
        num(out, "batch_control.entry_hash", hash, 10)?;
        num(out, "batch_control.total_debit", 0, 12)?;
        num(out, "batch_control.total_credit", credit, 12)?;
        alpha(out, self.company_id, 10);
        alpha(out, "", 25);
        out.push_str(self.odfi);
        num(out, "batch_number", number, 7)?;
        pad_record(out);
        Ok(())
    }
}

/// One entry detail record, validated as it is written.
fn entry(out: &mut String, it: &CreditItem, i: usize, odfi: &str, seq: u32) -> Result<()> {
    let rt = &it.routing_number;
    if !aba_checksum_ok(rt) {
        check_routing(&format!("items[{i}].routing_number"), rt)?;
    }
    let acct = it.account_number.as_bytes();
    if acct.is_empty()
        || acct.len() > 17
        || !acct
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'-')
    {
        return Err(field_err(
            format!("items[{i}].account_number"),
            "must be 1-17 of A-Z (uppercase), 0-9 and '-'",
        ));
    }
    if it.amount_cents == 0 || it.amount_cents > MAX_ENTRY_CENTS {
        return Err(field_err(
            format!("items[{i}].amount_cents"),
            format!("must be 1..={MAX_ENTRY_CENTS}, got {}", it.amount_cents),
        ));
    }
    out.push('6');
    out.push_str(if it.account_type == super::AccountType::Savings {
        "32"
    } else {
        "22"
    });
    out.push_str(rt);
    alpha(out, &it.account_number, 17);
    push_n(out, it.amount_cents, 10);
    individual_id(out, it, i)?;
    let start = out.len();
    push_nacha_text(out, &it.name, 22);
    pad_to(out, start, 22);
    out.push_str("  0");
    out.push_str(odfi);
    push_n(out, u64::from(seq), 7);
    out.push('\n');
    Ok(())
}

/// The 15-character identification number: the item's own (our reference token), else the
/// last 15 characters of the payment id without its dashes; upper-cased, blank-padded.
fn individual_id(out: &mut String, it: &CreditItem, i: usize) -> Result<()> {
    if let Some(id) = &it.individual_id {
        if id.len() > 15 || !id.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(field_err(
                format!("items[{i}].individual_id"),
                "must be at most 15 printable ASCII characters",
            ));
        }
        let start = out.len();
        out.extend(id.bytes().map(|b| b.to_ascii_uppercase() as char));
        pad_to(out, start, 15);
        return Ok(());
    }
    let payment_id = it.payment_id.as_str();
    if !payment_id.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(field_err(
            format!("items[{i}].payment_id"),
            "must be printable ASCII",
        ));
    }
    let kept = payment_id.bytes().filter(|b| *b != b'-').count();
    let start = out.len();
    for b in payment_id
        .bytes()
        .filter(|b| *b != b'-')
        .skip(kept.saturating_sub(15))
    {
        out.push(b.to_ascii_uppercase() as char);
    }
    // Trailing blanks of the id are blanks of the field either way.
    pad_to(out, start, 15);
    Ok(())
}

/// [`nacha_text`] written in place: printable ASCII upper-cased, blanks collapsed, at most
/// `max` characters, `INVESTOR` when nothing is left.
fn push_nacha_text(out: &mut String, s: &str, max: usize) {
    let (mut n, mut gap) = (0usize, false);
    for c in s.chars() {
        if n >= max {
            break;
        }
        if !c.is_ascii_graphic() {
            gap = n > 0;
            continue;
        }
        if gap {
            out.push(' ');
            n += 1;
            gap = false;
            if n >= max {
                break;
            }
        }
        out.push(c.to_ascii_uppercase());
        n += 1;
    }
    if n == 0 {
        out.push_str("INVESTOR");
    }
}

/// Sum term of the entry hash: the 8-digit RDFI prefix (the routing number was checked).
fn digits8(routing: &str) -> u64 {
    routing.as_bytes()[..8]
        .iter()
        .fold(0, |acc, d| acc * 10 + u64::from(d - b'0'))
}

/// Alphanumeric: left-justified, blank-padded; the text was validated as printable ASCII.
fn alpha(out: &mut String, s: &str, w: usize) {
    let start = out.len();
    out.push_str(&s[..s.len().min(w)]);
    pad_to(out, start, w);
}

/// Right-justified text (routing numbers and the origin in the file header).
fn right(out: &mut String, s: &str, w: usize) {
    let s = &s[..s.len().min(w)];
    out.extend(std::iter::repeat_n(' ', w - s.len()));
    out.push_str(s);
}

fn pad_to(out: &mut String, start: usize, w: usize) {
    let len = out.len() - start;
    if len < w {
        out.extend(std::iter::repeat_n(' ', w - len));
    } else {
        out.truncate(start + w);
    }
}

/// Pads the current record to 94 characters and ends it.
fn pad_record(out: &mut String) {
    let line_start = out[..out.len()].rfind('\n').map_or(0, |p| p + 1);
    pad_to(out, line_start, RECORD_LENGTH);
    out.push('\n');
}

fn yymmdd(out: &mut String, d: NaiveDate) {
    // check_year keeps the year within 2000-2099.
    push_n(out, (d.year() % 100) as u64, 2);
    push_n(out, u64::from(d.month()), 2);
    push_n(out, u64::from(d.day()), 2);
}

/// A count or total of `w` digits; one that does not fit is an error naming `field`.
fn num(out: &mut String, field: &'static str, v: u64, w: usize) -> Result<()> {
    if w < 20 && v >= 10u64.pow(w as u32) {
        return Err(field_err(field, format!("{v} does not fit its {w} digits")));
    }
    push_n(out, v, w);
    Ok(())
}

/// Zero-padded digits of `v`; the caller guarantees `v` fits `w` digits.
fn push_n(out: &mut String, mut v: u64, w: usize) {
    let mut buf = [b'0'; 20];
    for slot in buf[20 - w..].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    // The buffer holds ASCII digits only.
    out.push_str(std::str::from_utf8(&buf[20 - w..]).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::super::{
        parse_file, AccountType, CreditBatchBuilder, CreditEntry, File, FileHeader,
    };
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    const MODIFIERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    fn originator() -> Originator {
        Originator {
            company_name: "Clearway Funds".into(),
            company_id: "1234567890".into(),
            odfi_routing: "021000021".into(),
            bank_name: "JPMorgan Chase".into(),
        }
    }

    fn created() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 30)
            .unwrap()
            .and_hms_opt(9, 15, 0)
            .unwrap()
    }

    fn effective() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
    }

    fn item(i: usize, amount_cents: u64, entity: bool) -> CreditItem {
        CreditItem {
            payment_id: format!("0190f3a2-7c1e-7abc-8def-{i:012x}"),
            routing_number: ["121042882", "021000021", "026009593"][i % 3].into(),
            account_number: format!("{:010}", 1_000_000 + i),
            account_type: if i.is_multiple_of(3) {
                AccountType::Savings
            } else {
                AccountType::Checking
            },
            amount_cents,
            entity,
            name: format!("Investor {i}"),
            // Both ways of writing the field: the reference token, and the id's tail.
            individual_id: (i % 2 == 1).then(|| format!("7QK3M9{i:07}X")),
        }
    }

    /// Plans and writes every file; returns (plan, file) pairs.
    fn write_all(items: &[CreditItem], limits: &FileLimits) -> Vec<(PlannedFile, CreditFile)> {
        let orig = originator();
        let mut seq = 1;
        plan_credit_files(items, limits)
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(f, plan)| {
                let h = FileHead {
                    originator: &orig,
                    created: created(),
                    effective: effective(),
                    modifier: MODIFIERS[f % MODIFIERS.len()] as char,
                    first_sequence: seq,
                };
                let file = write_credit_file(&h, items, &plan).unwrap();
                seq += plan.entry_count() as u32;
                (plan, file)
            })
            .collect()
    }

    /// The path `credit_file` took before issue 14: builders, `File::assemble`, `write_file`.
    fn builder_path(items: &[CreditItem], plan: &PlannedFile, modifier: char) -> String {
        let orig = originator();
        let company = nacha_text(&orig.company_name, 16);
        let mut seq = 1;
        let batches = plan
            .batches
            .iter()
            .enumerate()
            .map(|(n, pb)| {
                let mut b = CreditBatchBuilder::new(
                    &company,
                    &orig.company_id,
                    pb.sec,
                    "DISTRIBUTN",
                    effective(),
                    &orig.odfi_routing,
                );
                for &i in &pb.items {
                    let it = &items[i];
                    let hex: String = it.payment_id.chars().filter(|c| *c != '-').collect();
                    b = b.entry(CreditEntry {
                        routing_number: it.routing_number.clone(),
                        account_number: it.account_number.clone(),
                        account_type: it.account_type,
                        amount_cents: it.amount_cents,
                        individual_id: match &it.individual_id {
                            Some(id) => id.to_ascii_uppercase(),
                            None => hex[hex.len().saturating_sub(15)..].to_ascii_uppercase(),
                        },
                        individual_name: nacha_text(&it.name, 22),
                        addenda: None,
                    });
                }
                let batch = b.build(n as u32 + 1, seq).unwrap();
                seq += batch.entries.len() as u32;
                batch
            })
            .collect();
        let header = FileHeader {
            priority_code: "01".into(),
            immediate_destination: orig.odfi_routing.clone(),
            immediate_origin: orig.company_id.clone(),
            file_creation_date: created().date(),
            file_creation_time: chrono::NaiveTime::from_hms_opt(9, 15, 0),
            file_id_modifier: modifier,
            immediate_destination_name: nacha_text(&orig.bank_name, 23),
            immediate_origin_name: nacha_text(&orig.company_name, 23),
            reference_code: String::new(),
        };
        super::super::write_file(&File::assemble(header, batches))
    }

    /// Checks one written file against its plan with our own reader.
    fn check_file(items: &[CreditItem], limits: &FileLimits, plan: &PlannedFile, f: &CreditFile) {
        let parsed = parse_file(&f.text).expect("our reader accepts every file we write");
        let entries: Vec<_> = parsed.batches.iter().flat_map(|b| &b.entries).collect();
        assert!(entries.len() <= limits.max_file_entries);
        assert!(parsed
            .batches
            .iter()
            .all(|b| b.entries.len() <= limits.max_batch_entries));
        assert!(parsed.control.total_credit <= limits.file_credit_cap());
        assert_eq!(parsed.control.total_credit, f.total_cents);
        assert_eq!(parsed.control.total_debit, 0);
        assert_eq!(entries.len(), f.traces.len());
        for (e, (i, trace)) in entries.iter().zip(&f.traces) {
            assert_eq!(&e.trace_number, trace);
            assert_eq!(e.amount, items[*i].amount_cents);
            assert_eq!(e.routing_number(), items[*i].routing_number);
            assert_eq!(e.dfi_account_number.trim_end(), items[*i].account_number);
            if let Some(id) = &items[*i].individual_id {
                assert_eq!(e.identification_number.trim_end(), id);
            }
        }
        assert_eq!(
            plan.items().collect::<Vec<_>>(),
            f.traces.iter().map(|t| t.0).collect::<Vec<_>>()
        );
    }

    /// Issue 14 item 1: credits of $14,999,999,999.85 (13 digits) never give a truncated
    /// control: they split into files within the 12-digit total, each valid by our reader.
    #[test]
    fn a_total_above_twelve_digits_splits_into_valid_files() {
        let items: Vec<CreditItem> = (0..150)
            .map(|i| item(i, 9_999_999_999, i.is_multiple_of(4)))
            .collect();
        let files = write_all(&items, &FileLimits::NACHA);
        assert_eq!(files.len(), 2);
        let mut total = 0;
        for (plan, f) in &files {
            check_file(&items, &FileLimits::NACHA, plan, f);
            total += f.total_cents;
        }
        assert_eq!(total, 150 * 9_999_999_999);
        assert_eq!(
            files[0].1.total_cents,
            100 * 9_999_999_999,
            "as many as fit"
        );
    }

    /// Issue 14 item 3: 12,000 payments, 10,000 entries a file at most → two files.
    #[test]
    fn twelve_thousand_credits_make_two_files_of_at_most_ten_thousand() {
        let items: Vec<CreditItem> = (0..12_000)
            .map(|i| item(i, 1_000 + i as u64, i.is_multiple_of(7)))
            .collect();
        let limits = FileLimits {
            max_file_entries: 10_000,
            max_batch_entries: 10_000,
            ..FileLimits::NACHA
        };
        let files = write_all(&items, &limits);
        assert_eq!(
            files
                .iter()
                .map(|(p, _)| p.entry_count())
                .collect::<Vec<_>>(),
            [10_000, 2_000]
        );
        for (plan, f) in &files {
            check_file(&items, &limits, plan, f);
        }
        let mut modifiers: Vec<char> = files
            .iter()
            .map(|(_, f)| parse_file(&f.text).unwrap().header.file_id_modifier)
            .collect();
        modifiers.dedup();
        assert_eq!(modifiers, ['A', 'B']);
    }

    #[test]
    fn verify_accepts_what_was_written_and_names_any_difference() {
        let items: Vec<CreditItem> = (0..12)
            .map(|i| item(i, 100 + i as u64, i.is_multiple_of(4)))
            .collect();
        let (plan, f) = &write_all(&items, &FileLimits::NACHA)[0];
        let expected: Vec<(&str, u64)> = f
            .traces
            .iter()
            .map(|(i, t)| (t.as_str(), items[*i].amount_cents))
            .collect();
        let day = created().date();
        verify_credit_file(&f.text, 'A', day, &expected).unwrap();
        assert_eq!(plan.entry_count(), 12);
        assert_eq!(
            verify_credit_file(&f.text, 'B', day, &expected)
                .unwrap_err()
                .field(),
            "file_header"
        );
        let mut short = expected.clone();
        short.pop();
        assert_eq!(
            verify_credit_file(&f.text, 'A', day, &short)
                .unwrap_err()
                .field(),
            "entries"
        );
        let mut other = expected.clone();
        other[3].1 += 1;
        assert_eq!(
            verify_credit_file(&f.text, 'A', day, &other)
                .unwrap_err()
                .field(),
            "entries[3]"
        );
        // One amount digit changed in the text: the batch control no longer ties out.
        let tampered = f.text.replacen("0000000102DEF", "0000000192DEF", 1);
        assert_ne!(tampered, f.text);
        assert!(verify_credit_file(&tampered, 'A', day, &expected).is_err());
        // Our own read-back stays strict about record length, where a bank's return file
        // is read leniently: a header that lost its trailing blanks, or a record with a
        // blank past column 94, stops the file.
        let header = f.text.lines().next().unwrap();
        for bad in [
            f.text.replacen(header, header.trim_end(), 1),
            f.text.replacen(header, &format!("{header} "), 1),
        ] {
            assert!(super::super::parse_bytes_lenient(bad.as_bytes()).is_ok());
            let e = verify_credit_file(&bad, 'A', day, &expected).unwrap_err();
            assert_eq!((e.line(), e.field()), (Some(1), "RecordLength"), "{e}");
        }
    }

    #[test]
    fn an_item_above_the_entry_limit_is_an_error_naming_it() {
        let mut items: Vec<CreditItem> = (0..3).map(|i| item(i, 500, false)).collect();
        items[2].amount_cents = 100_000_001;
        let limits = FileLimits {
            max_entry_cents: 100_000_000,
            ..FileLimits::NACHA
        };
        let e = plan_credit_files(&items, &limits).unwrap_err();
        assert_eq!(e.field(), "items[2].amount_cents");
        // At the limit itself it is planned.
        let mut at = items.clone();
        at[2].amount_cents = 100_000_000;
        assert_eq!(plan_credit_files(&at, &limits).unwrap()[0].entry_count(), 3);
        assert!(
            e.to_string()
                .contains("0190f3a2-7c1e-7abc-8def-000000000002"),
            "{e}"
        );
        items[2].amount_cents = 0;
        assert!(plan_credit_files(&items, &FileLimits::NACHA).is_err());
    }

    #[test]
    fn counts_and_totals_that_do_not_fit_their_fields_are_refused() {
        let mut s = String::new();
        let e = num(&mut s, "file_control.total_credit", 1_000_000_000_000, 12).unwrap_err();
        assert_eq!(e.field(), "file_control.total_credit");
        assert!(s.is_empty(), "nothing written");
        num(&mut s, "x", 999_999_999_999, 12).unwrap();
        assert_eq!(s, "999999999999");
        // A trace range past 7 digits is refused, not wrapped.
        let items = vec![item(0, 100, false), item(1, 100, false)];
        let plan = &plan_credit_files(&items, &FileLimits::NACHA).unwrap()[0];
        let orig = originator();
        let h = FileHead {
            originator: &orig,
            created: created(),
            effective: effective(),
            modifier: 'A',
            first_sequence: 9_999_999,
        };
        assert_eq!(
            write_credit_file(&h, &items, plan).unwrap_err().field(),
            "first_sequence"
        );
        // A plan whose total disagrees with its entries is refused.
        let mut bad = plan.clone();
        bad.total_cents += 1;
        let h = FileHead {
            first_sequence: 1,
            ..h
        };
        assert_eq!(
            write_credit_file(&h, &items, &bad).unwrap_err().field(),
            "plan.total_cents"
        );
    }

    #[test]
    fn invalid_entry_fields_are_errors_naming_the_item() {
        let mut items = vec![item(0, 100, false), item(1, 100, false)];
        items[1].account_number = "12ab".into();
        let plan = &plan_credit_files(&items, &FileLimits::NACHA).unwrap()[0];
        let orig = originator();
        let h = FileHead {
            originator: &orig,
            created: created(),
            effective: effective(),
            modifier: 'A',
            first_sequence: 1,
        };
        assert_eq!(
            write_credit_file(&h, &items, plan).unwrap_err().field(),
            "items[1].account_number"
        );
        items[1].account_number = "12".into();
        // The reference token is 13 characters; 16 do not fit the field, a tab is not text.
        for bad in ["0123456789ABCDEF", "ABC\tDEF"] {
            items[1].individual_id = Some(bad.into());
            assert_eq!(
                write_credit_file(&h, &items, plan).unwrap_err().field(),
                "items[1].individual_id"
            );
        }
        items[1].individual_id = Some("wmyy49y6nkqar".into());
        let f = write_credit_file(&h, &items, plan).unwrap();
        let parsed = parse_file(&f.text).unwrap();
        assert_eq!(
            parsed.batches[0].entries[1]
                .identification_number
                .trim_end(),
            "WMYY49Y6NKQAR"
        );
        items[1].routing_number = "121042883".into();
        assert_eq!(
            write_credit_file(&h, &items, plan).unwrap_err().field(),
            "items[1].routing_number"
        );
        let h = FileHead { modifier: 'a', ..h };
        assert_eq!(
            write_credit_file(&h, &items, plan).unwrap_err().field(),
            "file_id_modifier"
        );
    }

    fn arb_item() -> impl Strategy<Value = (u64, bool, bool, String, String, usize)> {
        (
            prop_oneof![1u64..=10_000, 1u64..=9_999_999_999],
            any::<bool>(),
            any::<bool>(),
            "[A-Z0-9-]{1,17}",
            "\\PC{0,30}",
            0usize..3,
        )
    }

    fn to_items(raw: &[(u64, bool, bool, String, String, usize)]) -> Vec<CreditItem> {
        raw.iter()
            .enumerate()
            .map(|(i, (amt, entity, savings, acct, name, rt))| CreditItem {
                amount_cents: *amt,
                entity: *entity,
                account_type: if *savings {
                    AccountType::Savings
                } else {
                    AccountType::Checking
                },
                account_number: acct.clone(),
                name: name.clone(),
                routing_number: ["121042882", "021000021", "026009593"][*rt].into(),
                ..item(i, 1, false)
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The in-place writer writes byte for byte what the builders and `write_file` wrote.
        #[test]
        fn the_writer_equals_the_builder_path(raw in prop::collection::vec(arb_item(), 1..40)) {
            let items: Vec<CreditItem> = to_items(&raw)
                .into_iter()
                .map(|it| CreditItem { amount_cents: it.amount_cents.min(10_000_000_000 / 40), ..it })
                .collect();
            let plans = plan_credit_files(&items, &FileLimits::NACHA).unwrap();
            prop_assert_eq!(plans.len(), 1);
            let (_, f) = &write_all(&items, &FileLimits::NACHA)[0];
            prop_assert_eq!(&f.text, &builder_path(&items, &plans[0], 'A'));
        }

        /// Every file within every limit, valid by our reader, every item exactly once, totals
        /// equal; the same input gives the same split.
        #[test]
        fn split_files_respect_every_limit(
            raw in prop::collection::vec(arb_item(), 1..120),
            max_file_entries in 1usize..30,
            max_batch_entries in 1usize..30,
            max_file_credit_cents in prop_oneof![Just(999_999_999_999u64), 10_000_000_000u64..=50_000_000_000],
        ) {
            let items = to_items(&raw);
            let limits = FileLimits { max_file_entries, max_batch_entries, max_file_credit_cents, max_entry_cents: 9_999_999_999 };
            let files = write_all(&items, &limits);
            let mut seen: HashMap<usize, usize> = HashMap::new();
            let mut total = 0u64;
            for (plan, f) in &files {
                check_file(&items, &limits, plan, f);
                for (i, _) in &f.traces {
                    *seen.entry(*i).or_default() += 1;
                }
                total += f.total_cents;
            }
            prop_assert_eq!(seen.len(), items.len());
            prop_assert!(seen.values().all(|n| *n == 1));
            prop_assert_eq!(total, items.iter().map(|i| i.amount_cents).sum::<u64>());
            prop_assert_eq!(plan_credit_files(&items, &limits).unwrap(), files.into_iter().map(|f| f.0).collect::<Vec<_>>());
        }

        /// Groups sharing files (distributions cut together): no batch mixes two groups, each
        /// batch carries its group's effective date in the file our reader reads, every item
        /// is written once with its group, and each group's entries come in input order.
        #[test]
        fn grouped_files_keep_each_group_in_batches_of_its_own(
            raw in prop::collection::vec((arb_item(), 0usize..5), 1..120),
            max_file_entries in 1usize..30,
            max_batch_entries in 1usize..30,
        ) {
            let items = to_items(&raw.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>());
            let group_of: Vec<usize> = raw.iter().map(|(_, g)| *g).collect();
            let effective_of: Vec<NaiveDate> = (0..5u64).map(|g| effective() + chrono::Days::new(g)).collect();
            let limits = FileLimits { max_file_entries, max_batch_entries, max_file_credit_cents: 999_999_999_999, max_entry_cents: 9_999_999_999 };
            let plans = plan_grouped_credit_files(&items, &group_of, &effective_of, &limits).unwrap();
            let orig = originator();
            let (mut seq, mut written) = (1u32, Vec::new());
            for (f, plan) in plans.iter().enumerate() {
                let head = FileHead { originator: &orig, created: created(), effective: effective(), modifier: MODIFIERS[f % 36] as char, first_sequence: seq };
                let file = write_credit_file(&head, &items, plan).unwrap();
                let parsed = parse_file(&file.text).unwrap();
                prop_assert_eq!(parsed.batches.len(), plan.batches.len());
                for (pb, b) in plan.batches.iter().zip(&parsed.batches) {
                    prop_assert!(pb.items.len() <= max_batch_entries);
                    prop_assert!(pb.items.iter().all(|&i| group_of[i] == pb.group));
                    prop_assert_eq!(b.header.effective_entry_date, Some(effective_of[pb.group]));
                    prop_assert_eq!(b.entries.len(), pb.items.len());
                }
                seq += plan.entry_count() as u32;
                written.extend(plan.items());
            }
            let mut sorted = written.clone();
            sorted.sort_unstable();
            prop_assert_eq!(sorted, (0..items.len()).collect::<Vec<_>>());
            // Within a group and class, input order; groups in order of their number.
            let key = |i: usize| (group_of[i], items[i].entity, i);
            prop_assert!(written.windows(2).all(|w| key(w[0]) < key(w[1])));
            // One group: the ungrouped plan, byte for byte.
            let one = vec![0; items.len()];
            prop_assert_eq!(
                plan_grouped_credit_files(&items, &one, &[], &limits).unwrap(),
                plan_credit_files(&items, &limits).unwrap()
            );
        }

        #[test]
        fn nacha_text_in_place_equals_nacha_text(s in "\\PC{0,40}", max in 1usize..30) {
            let mut out = String::new();
            push_nacha_text(&mut out, &s, max);
            let expected = nacha_text(&s, max);
            prop_assert_eq!(out.trim_end(), expected.trim_end());
        }
    }
}
