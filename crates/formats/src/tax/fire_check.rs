//! A reader and record-layout check of a FIRE file of Forms 1099-DIV (Publication 1220,
//! Part C), written from the publication apart from [`super::fire`]: its own positions, so
//! a mistake in the writer is not repeated here. Used by the tests and by
//! `clearway tax fire --check`.
//!
//! Checked: every record 750 bytes of printable ASCII ending in CR LF or blanks; upper case
//! outside the contact e-mail; record order T, then per payer A, B…, C, K…, and F last;
//! sequence numbers 1, 2, 3… in 500-507; the payment year of T in every A and B; numeric
//! fields numeric; the A record's type of return and amount codes; no amount in a B record
//! under a code its A record does not name; each C record's payee count and control totals
//! against its B records; each K record against the B records of its state; every CF/SF
//! state of a B record totalled in a K record; T and F payee counts; F's count of A records.

use std::collections::{BTreeMap, BTreeSet};

/// The record length.
const LEN: usize = 750;
/// Sequence number positions (all records).
const SEQ: (usize, usize) = (500, 507);
/// Payment year (T, A, B).
const YEAR: (usize, usize) = (2, 5);
/// The amount codes in the order of their 18 fields.
const CODES: &str = "123456789ABCDEFGHJ";
/// 1099-DIV amount codes (Publication 1220, A record, Form 1099-DIV): 4 is not used.
const DIV_CODES: &str = "12356789ABCDEFGHJ";
/// First B payment amount field and its width.
const B_AMOUNT: (usize, usize) = (55, 12);
/// First C/K control total field and its width.
const CONTROL: (usize, usize) = (16, 18);
const B_STATE_TAX: (usize, usize) = (723, 734);
const B_LOCAL_TAX: (usize, usize) = (735, 746);
const CFSF: (usize, usize) = (747, 748);
const K_STATE_TAX: (usize, usize) = (707, 724);
const K_LOCAL_TAX: (usize, usize) = (725, 742);
const T_EMAIL: (usize, usize) = (359, 408);

/// Something wrong in the file: the record (1-based), the positions, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FireIssue {
    /// Record number, from 1.
    pub record: usize,
    /// First and last position (1-based, inclusive).
    pub position: (usize, usize),
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for FireIssue {
    /// `record 3, positions 55-66: payment amount 1 must be numeric, zero-filled`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (s, e) = self.position;
        write!(
            f,
            "record {}, positions {s}-{e}: {}",
            self.record, self.message
        )
    }
}

/// What a clean file holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FireSummary {
    /// A records.
    pub payers: usize,
    /// B records.
    pub payees: usize,
    /// Sum of the B amounts (cents) per amount code named by any A record.
    pub totals: BTreeMap<char, u128>,
}

/// One state's B records within a payer.
#[derive(Default)]
struct StateSums {
    payees: u128,
    amounts: [u128; 18],
    state_tax: u128,
    seen_k: bool,
}

/// The payer being read: its A record facts and the sums of its B records.
#[derive(Default)]
struct Block {
    codes: Vec<char>,
    cfsf: bool,
    payees: u128,
    amounts: [u128; 18],
    corrected: Option<u8>,
    states: BTreeMap<String, StateSums>,
    k_codes: BTreeSet<String>,
}

struct Reader<'a> {
    rec: &'a [u8],
    n: usize,
    issues: &'a mut Vec<FireIssue>,
}

impl<'a> Reader<'a> {
    fn at(&self, (s, e): (usize, usize)) -> &'a str {
        std::str::from_utf8(&self.rec[s - 1..e]).unwrap_or("")
    }

    fn issue(&mut self, position: (usize, usize), message: impl Into<String>) {
        self.issues.push(FireIssue {
            record: self.n,
            position,
            message: message.into(),
        });
    }

    /// A zero-filled number, or an issue.
    fn num(&mut self, p: (usize, usize), what: &str) -> Option<u128> {
        let t = self.at(p);
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            t.parse().ok()
        } else {
            self.issue(p, format!("{what} must be numeric, zero-filled"));
            None
        }
    }

    /// One of `allowed` single characters at `pos`.
    fn one_of(&mut self, pos: usize, allowed: &str, what: &str) {
        let c = self.rec[pos - 1] as char;
        if !allowed.contains(c) {
            self.issue(
                (pos, pos),
                format!("{what} must be one of {allowed:?}, not {c:?}"),
            );
        }
    }

    fn digits_or_blank(&mut self, p: (usize, usize), what: &str) {
        let t = self.at(p);
        let ok = t.bytes().all(|b| b.is_ascii_digit()) || t.bytes().all(|b| b == b' ');
        if !ok {
            self.issue(p, format!("{what} must be digits or blanks"));
        }
    }

    fn required(&mut self, p: (usize, usize), what: &str) {
        if self.at(p).trim().is_empty() {
            self.issue(p, format!("{what} is required"));
        }
    }

    fn zip(&mut self, p: (usize, usize)) {
        let t = self.at(p);
        let (five, four) = t.split_at(5);
        let ok = five.bytes().all(|b| b.is_ascii_digit())
            && (four.bytes().all(|b| b.is_ascii_digit()) || four.bytes().all(|b| b == b' '));
        if !ok {
            self.issue(p, "ZIP code must be five or nine digits");
        }
    }
}

/// Reads and checks a FIRE file; the summary when it is clean, else every issue found.
pub fn check(file: &[u8]) -> Result<FireSummary, Vec<FireIssue>> {
    let mut issues = Vec::new();
    if file.is_empty() || !file.len().is_multiple_of(LEN) {
        issues.push(FireIssue {
            record: file.len() / LEN + 1,
            position: (1, LEN),
            message: format!("file length {} is not a multiple of {LEN}", file.len()),
        });
        return Err(issues);
    }
    let mut sum = FireSummary::default();
    let mut year = String::new();
    let mut t_payees = None;
    let mut block: Option<Block> = None;
    let mut prev = b' ';
    let count = file.len() / LEN;
    for (i, rec) in file.chunks(LEN).enumerate() {
        let mut r = Reader {
            rec,
            n: i + 1,
            issues: &mut issues,
        };
        let kind = rec[0];
        common(&mut r, i, count);
        order(&mut r, prev, kind, i == count - 1);
        if matches!(kind, b'T' | b'A' | b'B') {
            let y = r.at(YEAR).to_string();
            if kind == b'T' {
                year = y;
                r.num(YEAR, "payment year");
            } else if y != year {
                r.issue(
                    YEAR,
                    format!("payment year {y} differs from the T record's {year}"),
                );
            }
        }
        match kind {
            b'T' => t_payees = transmitter(&mut r),
            b'A' => {
                if let Some(b) = block.take() {
                    close(&mut r, &b);
                }
                sum.payers += 1;
                block = Some(payer(&mut r, &mut sum));
            }
            b'B' => {
                sum.payees += 1;
                if let Some(b) = block.as_mut() {
                    payee(&mut r, b, &mut sum);
                }
            }
            b'C' => {
                if let Some(b) = block.as_ref() {
                    end_of_payer(&mut r, b);
                }
            }
            b'K' => {
                if let Some(b) = block.as_mut() {
                    state_totals(&mut r, b);
                }
            }
            b'F' => {
                if let Some(b) = block.take() {
                    close(&mut r, &b);
                }
                end_of_transmission(&mut r, &sum);
            }
            _ => {}
        }
        prev = kind;
    }
    if let Some(t) = t_payees {
        if t != sum.payees as u128 {
            issues.push(FireIssue {
                record: 1,
                position: (296, 303),
                message: format!("T record counts {t} payees, the file has {}", sum.payees),
            });
        }
    }
    if issues.is_empty() {
        Ok(sum)
    } else {
        Err(issues)
    }
}

/// Every record: printable ASCII, upper case, the line end and its sequence number.
fn common(r: &mut Reader, i: usize, _count: usize) {
    let end = &r.rec[748..];
    if end != b"\r\n" && end != b"  " {
        r.issue((749, 750), "positions 749-750 must be blank or CR LF");
    }
    for (p, b) in r.rec[..748].iter().enumerate() {
        let pos = p + 1;
        let in_email = r.rec[0] == b'T' && (T_EMAIL.0..=T_EMAIL.1).contains(&pos);
        if !(0x20..0x7f).contains(b) {
            r.issue((pos, pos), format!("byte {b:#04x} is not printable ASCII"));
        } else if b.is_ascii_lowercase() && !in_email {
            r.issue((pos, pos), "letters must be upper case");
        }
    }
    if let Some(seq) = r.num(SEQ, "record sequence number") {
        if seq != (i + 1) as u128 {
            r.issue(SEQ, format!("sequence number {seq}, expected {}", i + 1));
        }
    }
}

/// T first; per payer A, B…, C, K…; F last.
fn order(r: &mut Reader, prev: u8, kind: u8, last: bool) {
    let ok = match kind {
        b'T' => prev == b' ',
        b'A' => matches!(prev, b'T' | b'C' | b'K'),
        b'B' => matches!(prev, b'A' | b'B'),
        b'C' => prev == b'B',
        b'K' => matches!(prev, b'C' | b'K'),
        b'F' => matches!(prev, b'C' | b'K'),
        _ => {
            r.issue((1, 1), format!("unknown record type {:?}", kind as char));
            return;
        }
    };
    if !ok {
        let after = if prev == b' ' {
            "the start".to_string()
        } else {
            format!("{:?}", prev as char)
        };
        r.issue(
            (1, 1),
            format!("record {:?} cannot follow {after}", kind as char),
        );
    }
    if last && kind != b'F' {
        r.issue((1, 1), "the file must end with an F record");
    }
}

fn transmitter(r: &mut Reader) -> Option<u128> {
    r.one_of(6, " P", "prior year data indicator");
    r.num((7, 15), "transmitter TIN");
    let tcc = r.at((16, 20)).to_string();
    if !tcc.bytes().all(|b| b.is_ascii_alphanumeric()) {
        r.issue(
            (16, 20),
            "transmitter control code must be five letters or digits",
        );
    }
    r.one_of(28, " T", "test file indicator");
    r.one_of(29, " 1", "foreign entity indicator");
    r.required((30, 69), "transmitter name");
    r.required((110, 149), "company name");
    r.zip((272, 280));
    r.required((304, 343), "contact name");
    r.one_of(518, "IV", "vendor indicator");
    r.num((296, 303), "total number of payees")
}

fn payer(r: &mut Reader, sum: &mut FireSummary) -> Block {
    r.one_of(6, " 1", "combined federal/state filer");
    r.num((12, 20), "payer TIN");
    r.one_of(25, " 1", "last filing indicator");
    if r.at((26, 27)) != "1 " {
        r.issue((26, 27), "type of return must be 1 (Form 1099-DIV)");
    }
    let text = r.at((28, 45)).to_string();
    let codes: Vec<char> = text.trim_end().chars().collect();
    let sorted = codes
        .windows(2)
        .all(|w| CODES.find(w[0]) < CODES.find(w[1]));
    if codes.is_empty() || !codes.iter().all(|c| DIV_CODES.contains(*c)) || !sorted {
        r.issue(
            (28, 45),
            "amount codes must be 1099-DIV codes, ascending, left-justified",
        );
    }
    for c in &codes {
        sum.totals.entry(*c).or_insert(0);
    }
    r.required((53, 92), "payer name");
    r.one_of(133, "01", "transfer agent indicator");
    r.zip((216, 224));
    Block {
        codes,
        cfsf: r.rec[5] == b'1',
        ..Block::default()
    }
}

fn payee(r: &mut Reader, b: &mut Block, sum: &mut FireSummary) {
    r.one_of(6, " GC", "corrected return indicator");
    let corrected = r.rec[5];
    if *b.corrected.get_or_insert(corrected) != corrected {
        r.issue(
            (6, 6),
            "originals and corrections cannot share a payer (A) record",
        );
    }
    r.one_of(11, " 12", "type of TIN");
    r.digits_or_blank((12, 20), "payee TIN");
    r.required((21, 40), "payer's account number for payee");
    let mut amounts = [0u128; 18];
    for (slot, code) in CODES.chars().enumerate() {
        let s = B_AMOUNT.0 + slot * B_AMOUNT.1;
        let p = (s, s + B_AMOUNT.1 - 1);
        let a = r.num(p, &format!("payment amount {code}")).unwrap_or(0);
        if a != 0 && !b.codes.contains(&code) {
            r.issue(
                p,
                format!("amount under code {code}, which the A record does not name"),
            );
        }
        amounts[slot] = a;
        if b.codes.contains(&code) {
            *sum.totals.entry(code).or_insert(0) += a;
        }
    }
    r.one_of(287, " 1", "foreign country indicator");
    r.required((288, 327), "payee name");
    if r.rec[286] == b' ' {
        r.zip((490, 498));
    }
    r.one_of(544, " 2", "second TIN notice");
    r.one_of(587, " 1", "FATCA filing requirement indicator");
    let state_tax = r.num(B_STATE_TAX, "state income tax withheld").unwrap_or(0);
    r.num(B_LOCAL_TAX, "local income tax withheld");
    let code = r.at(CFSF).to_string();
    b.payees += 1;
    add(&mut b.amounts, &amounts);
    if code != "  " {
        if !b.cfsf || !code.bytes().all(|c| c.is_ascii_digit()) {
            r.issue(
                CFSF,
                "a CF/SF state code needs a 1 in A position 6 and two digits",
            );
        }
        let s = b.states.entry(code).or_default();
        s.payees += 1;
        add(&mut s.amounts, &amounts);
        s.state_tax += state_tax;
    }
}

fn add(sum: &mut [u128; 18], amounts: &[u128; 18]) {
    for (s, a) in sum.iter_mut().zip(amounts) {
        *s += a;
    }
}

/// Compares a C or K record's payee count and control totals with sums of B records.
fn control(r: &mut Reader, payees: u128, amounts: &[u128; 18]) {
    if let Some(n) = r.num((2, 9), "number of payees") {
        if n != payees {
            r.issue(
                (2, 9),
                format!("counts {n} payees, its B records are {payees}"),
            );
        }
    }
    for (slot, code) in CODES.chars().enumerate() {
        let s = CONTROL.0 + slot * CONTROL.1;
        let p = (s, s + CONTROL.1 - 1);
        if let Some(t) = r.num(p, &format!("control total {code}")) {
            if t != amounts[slot] {
                r.issue(
                    p,
                    format!(
                        "control total {code} is {t}, its B records sum to {}",
                        amounts[slot]
                    ),
                );
            }
        }
    }
}

fn end_of_payer(r: &mut Reader, b: &Block) {
    control(r, b.payees, &b.amounts);
}

fn state_totals(r: &mut Reader, b: &mut Block) {
    let code = r.at(CFSF).to_string();
    if !b.k_codes.insert(code.clone()) {
        r.issue(CFSF, format!("a second K record for state {code}"));
    }
    let Some(s) = b.states.get_mut(&code) else {
        r.issue(
            CFSF,
            format!("K record for state {code:?}, which no B record of the payer has"),
        );
        return;
    };
    s.seen_k = true;
    let (payees, amounts, tax) = (s.payees, s.amounts, s.state_tax);
    control(r, payees, &amounts);
    if let Some(t) = r.num(K_STATE_TAX, "state income tax withheld total") {
        if t != tax {
            r.issue(
                K_STATE_TAX,
                format!("state tax total {t}, its B records sum to {tax}"),
            );
        }
    }
    r.num(K_LOCAL_TAX, "local income tax withheld total");
}

/// At the next A or F: every CF/SF state of the payer's B records had its K record.
fn close(r: &mut Reader, b: &Block) {
    for (code, s) in &b.states {
        if !s.seen_k {
            r.issue(
                CFSF,
                format!("no K record for state {code} of the previous payer"),
            );
        }
    }
}

fn end_of_transmission(r: &mut Reader, sum: &FireSummary) {
    if let Some(n) = r.num((2, 9), "number of A records") {
        if n != sum.payers as u128 {
            r.issue(
                (2, 9),
                format!("counts {n} A records, the file has {}", sum.payers),
            );
        }
    }
    if r.at((10, 30)).bytes().any(|b| b != b'0') {
        r.issue((10, 30), "must be zeros");
    }
    if r.at((50, 57)).trim().is_empty() {
        return;
    }
    if let Some(n) = r.num((50, 57), "total number of payees") {
        if n != sum.payees as u128 {
            r.issue(
                (50, 57),
                format!("counts {n} payees, the file has {}", sum.payees),
            );
        }
    }
}
