//! BAI2 (Cash Management Balance Reporting Specification, version 2) reader.
//!
//! Records: `01` file header, `02` group header, `03` account identifier + summaries,
//! `16` transaction detail, `88` continuation, `49` account trailer, `98` group trailer,
//! `99` file trailer. Amounts carry implied decimals by currency (2 for USD).
//! All trailer control totals and record counts are verified, because a bank file that
//! does not add up must never reach reconciliation silently.
//!
//! Real-world tolerance (each seen in third-party samples):
//! - several records on one physical line, separated by `/` + spaces;
//! - a physical line that does not start with a record code continues the previous record;
//! - a text field ends at the end of the record and may contain commas;
//! - blank summary slots (`,,,,`) and extra empty fields before `/` are skipped;
//! - a blank control total or count in a `49`/`98`/`99` trailer (`49,,2/`) is not verified
//!   and says so in each statement's warnings (moov-io/bai2 reads blanks as absent; Python
//!   `bai2` has a sample with a blank account total). A total or count that is present and
//!   disagrees stays an error.
//!
//! One parser, [`events`], reads the file record by record as a stream of its wire structure,
//! each trailer verified as it comes: [`parse`] folds it into a [`Bai2File`], [`stream`] turns
//! it into statement events, and [`read`] collects those.

use std::collections::VecDeque;

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;

use super::balance::{self, LineSums};
use super::events;
use super::model::{digits, yy_to_year};
use super::{
    Balance, Counterparty, FundsType, Statement, StatementError, StatementEvent, StatementFormat,
    StatementLine,
};

/// Record codes that may start a BAI2 record.
const KNOWN_CODES: [&str; 8] = ["01", "02", "03", "16", "49", "88", "98", "99"];

/// A BAI2 type code (e.g. 010 opening ledger, 142 ACH credit, 451 ACH debit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypeCode(pub u16);

/// What a BAI2 type code stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeCodeKind {
    /// 001–099: account status (balances, float).
    Status,
    /// 100–399, multiple of ten: credit summary (e.g. 100 total credits).
    CreditSummary,
    /// 100–399 otherwise: credit detail.
    CreditDetail,
    /// 400–699, multiple of ten: debit summary (e.g. 400 total debits).
    DebitSummary,
    /// 400–699 otherwise: debit detail.
    DebitDetail,
    /// 700–799: loan summary/detail.
    Loan,
    /// 890: non-monetary information.
    NonMonetary,
    /// 900–999 and anything else: bank-specific.
    Custom,
}

impl TypeCode {
    /// Classifies the code by the BAI2 ranges (the round-ten heuristic for summaries matches the spec tables for 100–699).
    // `is_multiple_of` needs Rust 1.87; the workspace MSRV is 1.85.
    #[allow(clippy::manual_is_multiple_of)]
    pub fn kind(self) -> TypeCodeKind {
        match self.0 {
            1..=99 => TypeCodeKind::Status,
            100..=399 if self.0 % 10 == 0 => TypeCodeKind::CreditSummary,
            100..=399 => TypeCodeKind::CreditDetail,
            400..=699 if self.0 % 10 == 0 => TypeCodeKind::DebitSummary,
            400..=699 => TypeCodeKind::DebitDetail,
            700..=799 => TypeCodeKind::Loan,
            890 => TypeCodeKind::NonMonetary,
            _ => TypeCodeKind::Custom,
        }
    }

    /// True for 100–399 (money in).
    pub fn is_credit(self) -> bool {
        (100..=399).contains(&self.0)
    }

    /// True for 400–699 (money out).
    pub fn is_debit(self) -> bool {
        (400..=699).contains(&self.0)
    }
}

impl std::fmt::Display for TypeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// A parsed BAI2 file, close to the wire layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bai2File {
    /// Sender identification (`01` field 1).
    pub sender: String,
    /// Receiver identification.
    pub receiver: String,
    /// File creation date.
    pub creation_date: NaiveDate,
    /// File creation time as written (not validated: banks write `1459`, `14:59:35`, …).
    pub creation_time: String,
    /// File identification number.
    pub file_id: String,
    /// Version number (should be `2`).
    pub version: String,
    /// Groups in file order.
    pub groups: Vec<Group>,
    /// `99` file control total (raw, implied decimals; the computed total when blank).
    pub control_total: i128,
}

/// A `02`…`98` group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Ultimate receiver.
    pub receiver: String,
    /// Originator (usually the bank).
    pub originator: String,
    /// Group status (1 update, 2 deletion, 3 correction, 4 test only).
    pub status: String,
    /// As-of date of the balances.
    pub as_of_date: NaiveDate,
    /// As-of time as written.
    pub as_of_time: Option<String>,
    /// Group default currency.
    pub currency: Option<String>,
    /// As-of date modifier (1–4).
    pub as_of_date_modifier: Option<String>,
    /// Accounts in file order.
    pub accounts: Vec<Account>,
    /// `98` group control total (raw; the computed total when blank).
    pub control_total: i128,
    /// Line of the `02` record.
    pub line: usize,
}

/// A `03`…`49` account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Customer account number.
    pub account_number: String,
    /// Effective currency (account, else group, else USD).
    pub currency: String,
    /// Status and summary items from the `03` record.
    pub summaries: Vec<Summary>,
    /// `16` transaction details.
    pub details: Vec<Detail>,
    /// `49` account control total (raw; the computed total when blank).
    pub control_total: i128,
    /// Line of the `03` record.
    pub line: usize,
    /// Raw `03` record text (with continuations).
    pub raw: String,
    /// Trailer fields left blank, so not verified (its own, its group's and the file's).
    pub warnings: Vec<String>,
}

/// One status/summary item in an `03` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Type code.
    pub type_code: TypeCode,
    /// Amount (signed as written; `None` when blank).
    pub amount: Option<Decimal>,
    /// Item count, when given.
    pub item_count: Option<u64>,
    /// Funds availability, when given.
    pub funds: Option<FundsType>,
}

/// One `16` transaction detail (with its `88` continuations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// Type code.
    pub type_code: TypeCode,
    /// Amount as written (unsigned; the sign comes from the type code, see [`Detail::signed_amount`]).
    pub amount: Decimal,
    /// Funds type letter as written (`0`, `1`, `2`, `S`, `V`, `D`, `Z`).
    pub funds_code: Option<char>,
    /// Funds availability.
    pub funds: Option<FundsType>,
    /// Bank reference number.
    pub bank_reference: Option<String>,
    /// Customer reference number.
    pub customer_reference: Option<String>,
    /// Text (`16` text and `88` continuation texts joined with a space).
    pub text: String,
    /// Continuation texts one by one (keeps `KEY: value` structure some banks use).
    pub continuation_texts: Vec<String>,
    /// Line of the `16` record.
    pub line: usize,
    /// Raw record text.
    pub raw: String,
}

impl Detail {
    /// Amount signed by the type code: 400–699 are debits (negative), everything else as written.
    pub fn signed_amount(&self) -> Decimal {
        if self.type_code.is_debit() {
            -self.amount
        } else {
            self.amount
        }
    }
}

/// Parses a BAI2 file and converts each account into a normalized [`Statement`].
pub fn read(input: &str) -> Result<Vec<Statement>, StatementError> {
    events::collect(stream(input))
}

/// The statements of a BAI2 file as a stream ([`super::events`]): one per account, 010 →
/// opening, 015 → closing, 045 → available, `16` → lines. Every statement ends at the `99`
/// file trailer, whose blank fields (like a `98`'s) warn each statement they cover.
pub fn stream(input: &str) -> impl Iterator<Item = Result<StatementEvent, StatementError>> + '_ {
    events::Stream::new(Statements {
        events: wire(input),
        file_id: String::new(),
        as_of: NaiveDate::MIN,
        group_first: 0,
        open: None,
        done: Vec::new(),
        out: VecDeque::new(),
    })
}

/// [`stream`]'s state: the file's wire events turned into statement events.
struct Statements<'a> {
    events: Events<'a>,
    file_id: String,
    as_of: NaiveDate,
    /// Number of the group's first statement.
    group_first: usize,
    /// The account being read: its head and its lines' sums.
    open: Option<(Statement, LineSums)>,
    /// Accounts read, waiting for the file trailer.
    done: Vec<Statement>,
    out: VecDeque<StatementEvent>,
}

impl events::Step for Statements<'_> {
    fn step(&mut self) -> Result<bool, StatementError> {
        match self.events.next().transpose()? {
            Some(e) => self.take(e),
            None => return Ok(false),
        }
        Ok(true)
    }

    fn queue(&mut self) -> &mut VecDeque<StatementEvent> {
        &mut self.out
    }
}

impl Statements<'_> {
    fn take(&mut self, event: Bai2Event) {
        match event {
            Bai2Event::File(f) => self.file_id = f.file_id,
            Bai2Event::Group(g) => {
                self.as_of = g.as_of_date;
                self.group_first = self.done.len();
            }
            Bai2Event::Account(a) => {
                let st = self.statement(&a);
                self.out.push_back(StatementEvent::Start(st.clone()));
                self.open = Some((st, LineSums::default()));
            }
            Bai2Event::Detail(d) => {
                let line = statement_line(&d, self.as_of);
                if let Some((_, sums)) = self.open.as_mut() {
                    sums.add(&line);
                }
                self.out
                    .push_back(StatementEvent::Line(self.done.len(), line));
            }
            Bai2Event::AccountEnd { warnings, .. } => {
                if let Some((mut st, sums)) = self.open.take() {
                    // 010 opening + details = 015 closing; the summaries are on the 03 record.
                    st.balance_mismatch =
                        balance::tie(&st, &sums, st.line, "03 account identifier (010/015)");
                    st.warnings = warnings;
                    self.done.push(st);
                }
            }
            Bai2Event::GroupEnd { warnings, .. } => {
                for st in &mut self.done[self.group_first..] {
                    st.warnings.extend_from_slice(&warnings);
                }
            }
            Bai2Event::FileEnd { warnings, .. } => {
                for (i, mut st) in std::mem::take(&mut self.done).into_iter().enumerate() {
                    st.warnings.extend_from_slice(&warnings);
                    self.out.push_back(StatementEvent::End(i, st));
                }
            }
        }
    }

    /// An account's statement, without lines.
    fn statement(&self, a: &Account) -> Statement {
        let bal = |code: u16| {
            a.summaries
                .iter()
                .find(|s| s.type_code.0 == code)
                .and_then(|s| s.amount)
                .map(|amount| Balance {
                    amount,
                    date: Some(self.as_of),
                    currency: Some(a.currency.clone()),
                    intermediate: false,
                })
        };
        Statement {
            format: StatementFormat::Bai2,
            account_id: a.account_number.clone(),
            currency: Some(a.currency.clone()),
            encoding: None,
            reference: Some(self.file_id.clone()),
            statement_number: None,
            statement_date: Some(self.as_of),
            opening_balance: bal(10),
            closing_balance: bal(15),
            available_balance: bal(45),
            information: None,
            lines: Vec::new(),
            warnings: Vec::new(),
            balance_mismatch: None,
            line: a.line,
        }
    }
}

/// A `16` detail as a statement line of a group dated `as_of`.
fn statement_line(d: &Detail, as_of: NaiveDate) -> StatementLine {
    StatementLine {
        amount: d.signed_amount(),
        currency: None,
        value_date: match &d.funds {
            Some(FundsType::ValueDated { date, .. }) => Some(*date),
            _ => None,
        },
        booking_date: Some(as_of),
        bank_reference: d.bank_reference.clone(),
        customer_reference: d.customer_reference.clone(),
        type_code: d.type_code.to_string(),
        reversal: false,
        funds_code: d.funds_code,
        funds: d.funds.clone(),
        counterparty: counterparty(d),
        supplementary_details: None,
        description: d.text.clone(),
        line: d.line,
        raw: d.raw.clone(),
        status: None,
        transactions: Vec::new(),
    }
}

/// Some banks (e.g. Goldman Sachs) put `CRNM:`/`DBNM:`/`CACT:`/`DACT:` keys in `88` texts.
fn counterparty(d: &Detail) -> Option<Counterparty> {
    let (name_key, acct_key) = if d.type_code.is_debit() {
        ("CRNM:", "CACT:")
    } else {
        ("DBNM:", "DACT:")
    };
    let find = |k: &str| {
        d.continuation_texts
            .iter()
            .find_map(|t| t.strip_prefix(k))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let cp = Counterparty {
        name: find(name_key),
        account: find(acct_key),
    };
    (cp.name.is_some() || cp.account.is_some()).then_some(cp)
}

/// One record after `88` continuations are attached.
struct Record {
    code: String,
    line: usize,
    /// Own body (after `NN,`) then each continuation body.
    parts: Vec<String>,
    /// Physical records it spans (the record itself plus each `88`).
    count: u64,
    raw: String,
}

impl Record {
    fn name(&self) -> &'static str {
        match self.code.as_str() {
            "01" => "01 file header",
            "02" => "02 group header",
            "03" => "03 account identifier",
            "16" => "16 record",
            "49" => "49 account trailer",
            "98" => "98 group trailer",
            "99" => "99 file trailer",
            _ => "88 continuation",
        }
    }

    /// All parts joined as one comma-separated field list (for records without free text).
    fn joined(&self) -> String {
        let mut s = String::new();
        for (i, p) in self.parts.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(strip_delim(p));
        }
        s
    }
}

/// Drops trailing whitespace and one trailing `/` record delimiter.
fn strip_delim(s: &str) -> &str {
    let s = s.trim_end();
    s.strip_suffix('/').unwrap_or(s).trim_end()
}

/// `Some(code)` when the text starts like a record: two digits then a comma.
fn record_code(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_digit() && b[1].is_ascii_digit() && b[2] == b',')
        .then(|| &s[..2])
}

/// Splits a physical line holding several records (`…/   02,…`) at `/` + whitespace + known code.
fn split_embedded(line: &str) -> Vec<&str> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' {
            let mut j = i + 1;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            if j > i + 1 && record_code(&line[j..]).is_some_and(|c| KNOWN_CODES.contains(&c)) {
                out.push(&line[start..=i]);
                start = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out.push(&line[start..]);
    out
}

/// Physical lines → records with `88` continuations attached, one record at a time.
struct Records<'a> {
    lines: std::iter::Enumerate<std::str::Split<'a, char>>,
    /// Pieces of the current physical line not taken yet, with its number.
    pieces: VecDeque<(usize, &'a str)>,
    /// The last record started: complete once the next one starts.
    open: Option<Record>,
    /// Line of the last record handed out (where a missing trailer is reported).
    last_line: usize,
}

impl<'a> Records<'a> {
    fn new(input: &'a str) -> Self {
        Records {
            lines: input.split('\n').enumerate(),
            pieces: VecDeque::new(),
            open: None,
            last_line: 0,
        }
    }

    fn piece(&mut self) -> Option<(usize, &'a str)> {
        loop {
            if let Some(p) = self.pieces.pop_front() {
                return Some(p);
            }
            let (idx, line) = self.lines.next()?;
            let line = line.strip_suffix('\r').unwrap_or(line);
            let line = if idx == 0 {
                line.trim_start_matches('\u{feff}')
            } else {
                line
            };
            if !line.trim().is_empty() {
                self.pieces
                    .extend(split_embedded(line).into_iter().map(|p| (idx + 1, p)));
            }
        }
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Record, StatementError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let Some((lineno, piece)) = self.piece() else {
                let last = self.open.take()?;
                self.last_line = last.line;
                return Some(Ok(last));
            };
            match push_piece(&mut self.open, lineno, piece) {
                Ok(Some(done)) => {
                    self.last_line = done.line;
                    return Some(Ok(done));
                }
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Adds one record (or an `88` continuation, or a wrapped line) found on line `lineno`;
/// returns the record it completes, if any.
fn push_piece(
    open: &mut Option<Record>,
    lineno: usize,
    piece: &str,
) -> Result<Option<Record>, StatementError> {
    match record_code(piece) {
        Some(code) if !KNOWN_CODES.contains(&code) => {
            return Err(StatementError::field(
                lineno,
                "record",
                "record type",
                code,
                "is not a BAI2 record type (01, 02, 03, 16, 49, 88, 98, 99)",
            ));
        }
        Some("88") => {
            let prev = open.as_mut().ok_or_else(|| {
                StatementError::structure(lineno, "88 continuation", "no record to continue")
            })?;
            prev.parts.push(piece[3..].to_string());
            prev.count += 1;
            prev.raw.push('\n');
            prev.raw.push_str(piece);
        }
        Some(code) => {
            let next = Record {
                code: code.to_string(),
                line: lineno,
                parts: vec![piece[3..].to_string()],
                count: 1,
                raw: piece.to_string(),
            };
            return Ok(open.replace(next));
        }
        None => {
            // A wrapped physical line: glue it onto the previous record as-is
            // (moov-io/bai2 does the same; the file's record counts ignore it).
            let prev = open.as_mut().ok_or_else(|| {
                StatementError::field(
                    lineno,
                    "record",
                    "record type",
                    piece.get(..2).unwrap_or(piece),
                    "is missing: a BAI2 file must start with an 01 record",
                )
            })?;
            if let Some(last) = prev.parts.last_mut() {
                last.push_str(piece);
            }
            prev.raw.push('\n');
            prev.raw.push_str(piece);
        }
    }
    Ok(None)
}

/// Cursor over comma-separated fields; the last field loses its `/` delimiter.
struct Fields<'a> {
    rest: Option<&'a str>,
    line: usize,
    record: &'static str,
}

impl<'a> Fields<'a> {
    fn new(s: &'a str, line: usize, record: &'static str) -> Self {
        Fields {
            rest: Some(s),
            line,
            record,
        }
    }

    /// Next field, trimmed; `None` when the record has no more fields.
    fn next(&mut self) -> Option<&'a str> {
        let r = self.rest?;
        match r.find(',') {
            Some(i) => {
                self.rest = Some(&r[i + 1..]);
                Some(r[..i].trim())
            }
            None => {
                self.rest = None;
                Some(strip_delim(r).trim())
            }
        }
    }

    /// Next field, or "" when exhausted.
    fn next_or_empty(&mut self) -> &'a str {
        self.next().unwrap_or("")
    }

    /// Next field, which must be present and non-empty.
    fn required(&mut self, name: &str) -> Result<&'a str, StatementError> {
        match self.next() {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(StatementError::field(
                self.line,
                self.record,
                name,
                "",
                "is missing",
            )),
        }
    }

    /// Next field, which must be there but may be blank (`""`).
    fn present(&mut self, name: &str) -> Result<&'a str, StatementError> {
        self.next().ok_or_else(|| self.err(name, "", "is missing"))
    }

    /// A trailer count: a whole number, or `None` when blank; missing is an error.
    fn blank_or_count(&mut self, name: &str) -> Result<Option<u64>, StatementError> {
        let v = self.present(name)?;
        if v.is_empty() {
            return Ok(None);
        }
        v.parse()
            .map(Some)
            .map_err(|_| self.err(name, v, "is not a whole number"))
    }

    /// Everything after the current position (the free-text field).
    fn rest_text(&mut self) -> &'a str {
        self.rest.take().map(strip_delim).unwrap_or("")
    }

    fn err(&self, field: &str, value: &str, problem: &str) -> StatementError {
        StatementError::field(self.line, self.record, field, value, problem)
    }

    fn date(&mut self, name: &str) -> Result<NaiveDate, StatementError> {
        let v = self.required(name)?;
        parse_yymmdd(v).ok_or_else(|| self.err(name, v, "is not a valid YYMMDD date"))
    }

    fn raw_amount(&self, name: &str, v: &str) -> Result<i128, StatementError> {
        let digits_part = v.strip_prefix(['+', '-']).unwrap_or(v);
        if digits_part.is_empty()
            || digits_part.len() > 20
            || !digits_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(self.err(name, v, "is not a number"));
        }
        let n: i128 = digits_part
            .parse()
            .map_err(|_| self.err(name, v, "is not a number"))?;
        Ok(if v.starts_with('-') { -n } else { n })
    }

    fn count(&mut self, name: &str) -> Result<Option<u64>, StatementError> {
        let v = self.next_or_empty();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse()
            .map(Some)
            .map_err(|_| self.err(name, v, "is not a whole number"))
    }

    /// Funds type and its extra fields; returns (letter, parsed, raw amounts for control totals—none: BAI2 totals exclude them).
    fn funds(&mut self, scale: u32) -> Result<(Option<char>, Option<FundsType>), StatementError> {
        let v = self.next_or_empty();
        let letter = match v.len() {
            0 => return Ok((None, None)),
            1 => v.chars().next().map(|c| c.to_ascii_uppercase()),
            _ => None,
        };
        let Some(letter) = letter else {
            return Err(self.err("funds type", v, "is not one of 0, 1, 2, S, V, D, Z"));
        };
        let ft = match letter {
            '0' => FundsType::Immediate,
            '1' => FundsType::OneDay,
            '2' => FundsType::TwoOrMoreDays,
            'Z' => FundsType::Unknown,
            'S' => {
                let mut part = |name: &str| -> Result<Option<Decimal>, StatementError> {
                    let v = self.next_or_empty();
                    if v.is_empty() {
                        Ok(None)
                    } else {
                        Ok(Some(to_decimal(self.raw_amount(name, v)?, scale)))
                    }
                };
                FundsType::Distributed {
                    immediate: part("immediate availability amount")?,
                    one_day: part("one-day availability amount")?,
                    two_or_more_days: part("two-or-more-day availability amount")?,
                }
            }
            'V' => {
                let date = self.date("value date")?;
                let t = self.next_or_empty();
                let time = if t.is_empty() || t == "2400" || t == "9999" {
                    None
                } else {
                    let hm =
                        digits(t, 4).ok_or_else(|| self.err("value time", t, "is not HHMM"))?;
                    Some(
                        NaiveTime::from_hms_opt(hm / 100, hm % 100, 0)
                            .ok_or_else(|| self.err("value time", t, "is not a valid time"))?,
                    )
                };
                FundsType::ValueDated { date, time }
            }
            'D' => {
                let n = self.required("number of distributions")?;
                let n: u32 = n
                    .parse()
                    .map_err(|_| self.err("number of distributions", n, "is not a whole number"))?;
                let mut dist = Vec::new();
                for _ in 0..n {
                    let d = self.required("availability days")?;
                    let days: u32 = d
                        .parse()
                        .map_err(|_| self.err("availability days", d, "is not a whole number"))?;
                    let a = self.required("availability amount")?;
                    dist.push((
                        days,
                        to_decimal(self.raw_amount("availability amount", a)?, scale),
                    ));
                }
                FundsType::DaysDistribution(dist)
            }
            _ => return Err(self.err("funds type", v, "is not one of 0, 1, 2, S, V, D, Z")),
        };
        Ok((Some(letter), Some(ft)))
    }
}

fn parse_yymmdd(v: &str) -> Option<NaiveDate> {
    let n = digits(v, 6)?;
    NaiveDate::from_ymd_opt(yy_to_year(n / 10000), (n / 100) % 100, n % 100)
}

fn to_decimal(raw: i128, scale: u32) -> Decimal {
    Decimal::from_i128_with_scale(raw, scale)
}

/// Implied decimal places by ISO currency (ISO 4217 minor units; default 2).
pub fn currency_scale(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

fn valid_currency(c: &str) -> bool {
    c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())
}

/// Parses a BAI2 file into its wire structure, verifying every trailer.
pub fn parse(input: &str) -> Result<Bai2File, StatementError> {
    let mut file: Option<Bai2File> = None;
    for event in events(input) {
        let event = event?;
        let Some(f) = file.as_mut() else {
            if let Bai2Event::File(f) = event {
                file = Some(f);
            }
            continue;
        };
        match event {
            Bai2Event::File(_) => {}
            Bai2Event::Group(g) => f.groups.push(g),
            Bai2Event::Account(a) => {
                if let Some(g) = f.groups.last_mut() {
                    g.accounts.push(a);
                }
            }
            Bai2Event::Detail(d) => {
                if let Some(a) = last_account(f) {
                    a.details.push(d);
                }
            }
            Bai2Event::AccountEnd {
                control_total,
                warnings,
            } => {
                if let Some(a) = last_account(f) {
                    a.control_total = control_total;
                    a.warnings = warnings;
                }
            }
            Bai2Event::GroupEnd {
                control_total,
                warnings,
            } => {
                if let Some(g) = f.groups.last_mut() {
                    g.control_total = control_total;
                    warn_accounts(g.accounts.iter_mut(), &warnings);
                }
            }
            Bai2Event::FileEnd {
                control_total,
                warnings,
            } => {
                f.control_total = control_total;
                warn_accounts(f.groups.iter_mut().flat_map(|g| &mut g.accounts), &warnings);
            }
        }
    }
    file.ok_or(StatementError::Empty)
}

fn last_account(f: &mut Bai2File) -> Option<&mut Account> {
    f.groups.last_mut().and_then(|g| g.accounts.last_mut())
}

/// One step of a BAI2 file's wire structure, in file order: the parts of [`Bai2File`] as
/// they are read, each trailer once verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bai2Event {
    /// The `01` header (no groups yet; control total 0).
    File(Bai2File),
    /// A `02` group header (no accounts yet; control total 0).
    Group(Group),
    /// An `03` account with its summaries (no details yet; control total 0).
    Account(Account),
    /// A `16` detail of the current account.
    Detail(Detail),
    /// The `49` account trailer: control total (the computed one when blank) and the blank
    /// fields not verified.
    AccountEnd {
        /// Control total.
        control_total: i128,
        /// Blank fields, as warnings.
        warnings: Vec<String>,
    },
    /// The `98` group trailer; its warnings cover every account of the group.
    GroupEnd {
        /// Control total.
        control_total: i128,
        /// Blank fields, as warnings.
        warnings: Vec<String>,
    },
    /// The `99` file trailer; its warnings cover every account of the file.
    FileEnd {
        /// Control total.
        control_total: i128,
        /// Blank fields, as warnings.
        warnings: Vec<String>,
    },
}

/// The wire events of a BAI2 file, each trailer verified when it is read: the one BAI2
/// parser, under both [`parse`] and [`stream`].
pub fn events(input: &str) -> impl Iterator<Item = Result<Bai2Event, StatementError>> + '_ {
    wire(input)
}

fn wire(input: &str) -> Events<'_> {
    Events {
        recs: Records::new(input),
        level: Level::Header,
        file: Count::default(),
        group: Count::default(),
        account: Count::default(),
        group_currency: None,
        scale: 2,
    }
}

/// Where the parser is in the nesting of records.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Header,
    File,
    Group,
    Account,
    Done,
}

impl Level {
    /// What may come next.
    fn expected(self) -> &'static str {
        match self {
            Level::Header => "a BAI2 file must start with an 01 file header",
            Level::File => "expected an 02 group header or 99 file trailer",
            Level::Group => "expected an 03 account identifier or 98 group trailer",
            Level::Account | Level::Done => {
                "expected a 16 transaction detail or 49 account trailer"
            }
        }
    }
}

/// Running figures of the file, group or account being read.
#[derive(Default)]
struct Count {
    total: i128,
    records: u64,
    children: u64,
    /// Line of its header record.
    line: usize,
}

impl Count {
    fn new(head: &Record) -> Self {
        Count {
            records: head.count,
            line: head.line,
            ..Count::default()
        }
    }
}

struct Events<'a> {
    recs: Records<'a>,
    level: Level,
    file: Count,
    group: Count,
    account: Count,
    group_currency: Option<String>,
    /// Implied decimals of the current account's currency.
    scale: u32,
}

impl Iterator for Events<'_> {
    type Item = Result<Bai2Event, StatementError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.level == Level::Done {
            return None;
        }
        let step = self.step();
        if step.is_err() {
            self.level = Level::Done;
        }
        step.transpose()
    }
}

impl Events<'_> {
    fn step(&mut self) -> Result<Option<Bai2Event>, StatementError> {
        let rec = self.recs.next().transpose()?;
        let missing = |line: usize, record: &str, message: &str| {
            Err(StatementError::structure(line, record, message))
        };
        let Some(r) = rec else {
            return match self.level {
                Level::Header => Err(StatementError::Empty),
                Level::File => missing(
                    self.recs.last_line,
                    "99 file trailer",
                    "missing: the file ends without an 99 record",
                ),
                Level::Group => missing(
                    self.group.line,
                    "02 group header",
                    "group is not closed by an 98 group trailer",
                ),
                Level::Account => missing(
                    self.account.line,
                    "03 account identifier",
                    "account is not closed by an 49 account trailer",
                ),
                Level::Done => Ok(None),
            };
        };
        let event = match (self.level, r.code.as_str()) {
            (Level::Header, "01") => self.header(&r)?,
            (Level::File, "02") => self.group_head(&r)?,
            (Level::File, "99") => self.file_trailer(&r)?,
            (Level::Group, "03") => self.account_head(&r)?,
            (Level::Group, "98") => self.trailer(&r)?,
            (Level::Account, "16") => {
                self.account.records += r.count;
                let (d, raw) = parse_detail(&r, self.scale)?;
                self.account.total += raw;
                Bai2Event::Detail(d)
            }
            (Level::Account, "49") => self.trailer(&r)?,
            (Level::Done, _) => return Ok(None),
            (level, _) => return missing(r.line, r.name(), level.expected()),
        };
        Ok(Some(event))
    }

    /// Goes down to `level`, whose figures start from its header record `head`.
    fn enter(&mut self, level: Level, head: &Record) {
        let count = Count::new(head);
        match level {
            Level::File => self.file = count,
            Level::Group => self.group = count,
            Level::Account => self.account = count,
            Level::Header | Level::Done => {}
        }
        self.level = level;
    }

    fn header(&mut self, header: &Record) -> Result<Bai2Event, StatementError> {
        let h = header.joined();
        let mut f = Fields::new(&h, header.line, "01 file header");
        let sender = f.required("sender identification")?.to_string();
        let receiver = f.required("receiver identification")?.to_string();
        let creation_date = f.date("file creation date")?;
        let creation_time = f.next_or_empty().to_string();
        let file_id = f.required("file identification number")?.to_string();
        let _record_length = f.next_or_empty();
        let _block_size = f.next_or_empty();
        let version = f.next_or_empty().to_string();
        if !version.is_empty() && version != "2" {
            return Err(f.err(
                "version number",
                &version,
                "is not 2 (only BAI2 is supported)",
            ));
        }
        self.enter(Level::File, header);
        Ok(Bai2Event::File(Bai2File {
            sender,
            receiver,
            creation_date,
            creation_time,
            file_id,
            version,
            groups: Vec::new(),
            control_total: 0,
        }))
    }

    fn file_trailer(&mut self, r: &Record) -> Result<Bai2Event, StatementError> {
        self.file.records += r.count;
        let (declared, warnings) = verify(
            r,
            "99 file trailer",
            &self.file,
            "file control total",
            "number of groups",
        )?;
        if let Some(extra) = self.recs.next().transpose()? {
            return Err(StatementError::structure(
                extra.line,
                extra.name(),
                "record after the 99 file trailer",
            ));
        }
        self.level = Level::Done;
        Ok(Bai2Event::FileEnd {
            control_total: declared.unwrap_or(self.file.total),
            warnings,
        })
    }
}

/// Reads trailer `r` and checks it against `count` (`children` names its child count, `""`
/// for `49`): its declared total, and its blank fields as warnings.
fn verify(
    r: &Record,
    record: &'static str,
    count: &Count,
    total: &str,
    children: &str,
) -> Result<(Option<i128>, Vec<String>), StatementError> {
    let body = r.joined();
    let mut f = Fields::new(&body, r.line, record);
    let declared = Trailer::read(&mut f, total, children)?;
    let mut computed = count.computed();
    if children.is_empty() {
        computed.children = None;
    }
    let warnings = declared.check(r, &computed, children)?;
    Ok((declared.total, warnings))
}

impl Count {
    /// Adds a closed child's figures, with its declared total (else the computed one);
    /// returns that total.
    fn add(&mut self, child: &Count, declared: Option<i128>) -> i128 {
        let total = declared.unwrap_or(child.total);
        self.total += total;
        self.records += child.records;
        self.children += 1;
        total
    }

    /// The figures a trailer must declare.
    fn computed(&self) -> Trailer {
        Trailer {
            total: Some(self.total),
            children: Some(self.children),
            records: Some(self.records),
        }
    }
}

/// A trailer's control total, child count (`98`: accounts, `99`: groups) and record count;
/// `None` where the field is blank.
struct Trailer {
    total: Option<i128>,
    children: Option<u64>,
    records: Option<u64>,
}

impl Trailer {
    /// Reads the trailer fields; `children` names the child count (`None` for `49`, which
    /// has none). A field may be blank, but not missing.
    fn read(f: &mut Fields<'_>, total: &str, children: &str) -> Result<Self, StatementError> {
        let t = f.present(total)?;
        let total = if t.is_empty() {
            None
        } else {
            Some(f.raw_amount(total, t)?)
        };
        let children = if children.is_empty() {
            None
        } else {
            f.blank_or_count(children)?
        };
        let records = f.blank_or_count("number of records")?;
        Ok(Trailer {
            total,
            children,
            records,
        })
    }

    /// Compares with the computed values: a present value that differs is an error, a blank
    /// one a warning (returned) naming what was not verified.
    fn check(
        &self,
        r: &Record,
        computed: &Trailer,
        children_name: &str,
    ) -> Result<Vec<String>, StatementError> {
        let mut blanks = Vec::new();
        let mut blank = |what: &str, value: String| {
            blanks.push(format!(
                "line {}: {}: {what} is blank, not verified (computed {value})",
                r.line,
                r.name()
            ))
        };
        let total = computed.total.unwrap_or_default();
        match self.total {
            None => blank("control total", total.to_string()),
            Some(declared) if declared != total => {
                return Err(StatementError::ControlTotal {
                    line: r.line,
                    record: r.name().to_string(),
                    declared,
                    computed: total,
                })
            }
            Some(_) => {}
        }
        let counts = [
            (self.children, computed.children, children_name),
            (self.records, computed.records, "number of records"),
        ];
        for (declared, computed, what) in counts {
            let Some(computed) = computed else { continue };
            match declared {
                None => blank(what, computed.to_string()),
                Some(declared) if declared != computed => {
                    return Err(StatementError::Count {
                        line: r.line,
                        record: r.name().to_string(),
                        what: what.to_string(),
                        declared,
                        computed,
                    })
                }
                Some(_) => {}
            }
        }
        Ok(blanks)
    }
}

/// Adds a group's or the file's blank-trailer warnings to each statement (account) it covers.
fn warn_accounts<'a>(accounts: impl Iterator<Item = &'a mut Account>, warnings: &[String]) {
    if warnings.is_empty() {
        return;
    }
    for a in accounts {
        a.warnings.extend_from_slice(warnings);
    }
}

impl Events<'_> {
    /// `02`: the group header.
    fn group_head(&mut self, head: &Record) -> Result<Bai2Event, StatementError> {
        let body = head.joined();
        let mut f = Fields::new(&body, head.line, "02 group header");
        let receiver = f.next_or_empty().to_string();
        let originator = f.required("originator identification")?.to_string();
        let status = f.required("group status")?.to_string();
        let as_of_date = f.date("as-of date")?;
        let as_of_time = Some(f.next_or_empty().to_string()).filter(|s| !s.is_empty());
        let currency = Some(f.next_or_empty().to_string()).filter(|s| !s.is_empty());
        if let Some(c) = &currency {
            if !valid_currency(c) {
                return Err(f.err("currency code", c, "is not a 3-letter ISO currency code"));
            }
        }
        let as_of_date_modifier = Some(f.next_or_empty().to_string()).filter(|s| !s.is_empty());
        self.enter(Level::Group, head);
        self.group_currency.clone_from(&currency);
        Ok(Bai2Event::Group(Group {
            receiver,
            originator,
            status,
            as_of_date,
            as_of_time,
            currency,
            as_of_date_modifier,
            accounts: Vec::new(),
            control_total: 0,
            line: head.line,
        }))
    }

    /// `49` or `98`: checks the account's (group's) figures and adds them to its group's
    /// (the file's).
    fn trailer(&mut self, r: &Record) -> Result<Bai2Event, StatementError> {
        let account = self.level == Level::Account;
        let (child, parent, record, total, children) = if account {
            let names = ("49 account trailer", "account control total", "");
            (
                &mut self.account,
                &mut self.group,
                names.0,
                names.1,
                names.2,
            )
        } else {
            let names = (
                "98 group trailer",
                "group control total",
                "number of accounts",
            );
            (&mut self.group, &mut self.file, names.0, names.1, names.2)
        };
        child.records += r.count;
        let (declared, warnings) = verify(r, record, child, total, children)?;
        let control_total = parent.add(child, declared);
        Ok(if account {
            self.level = Level::Group;
            Bai2Event::AccountEnd {
                control_total,
                warnings,
            }
        } else {
            self.level = Level::File;
            Bai2Event::GroupEnd {
                control_total,
                warnings,
            }
        })
    }

    /// `03`: the account and its summaries.
    fn account_head(&mut self, head: &Record) -> Result<Bai2Event, StatementError> {
        let body = head.joined();
        let mut f = Fields::new(&body, head.line, "03 account identifier");
        let account_number = f.required("customer account number")?.to_string();
        let cur = f.next_or_empty();
        if !cur.is_empty() && !valid_currency(cur) {
            return Err(f.err("currency code", cur, "is not a 3-letter ISO currency code"));
        }
        let currency = if cur.is_empty() {
            // BAI2: a blank currency means the group's, and a blank group currency means USD.
            self.group_currency.as_deref().unwrap_or("USD").to_string()
        } else {
            cur.to_string()
        };
        let scale = currency_scale(&currency);
        let mut summaries = Vec::new();
        let mut total: i128 = 0;
        loop {
            // Blank slots (`,,,,`) and stray empty fields before `/` are skipped: a type code is never blank.
            let tc = loop {
                match f.next() {
                    Some("") => continue,
                    other => break other,
                }
            };
            let Some(tc) = tc else { break };
            let code = digits(tc, 3)
                .ok_or_else(|| f.err("type code", tc, "is not a 3-digit type code"))?;
            let a = f.next_or_empty();
            let amount = if a.is_empty() {
                None
            } else {
                let raw = f.raw_amount("amount", a)?;
                total += raw;
                Some(to_decimal(raw, scale))
            };
            let item_count = f.count("item count")?;
            let (_, funds) = f.funds(scale)?;
            summaries.push(Summary {
                type_code: TypeCode(code as u16),
                amount,
                item_count,
                funds,
            });
        }
        self.enter(Level::Account, head);
        self.account.total = total;
        self.scale = scale;
        Ok(Bai2Event::Account(Account {
            account_number,
            currency,
            summaries,
            details: Vec::new(),
            control_total: 0,
            line: head.line,
            raw: head.raw.clone(),
            warnings: Vec::new(),
        }))
    }
}

/// Parses a `16` record; returns the detail and its raw amount for the control total.
fn parse_detail(r: &Record, scale: u32) -> Result<(Detail, i128), StatementError> {
    // Fixed fields normally fit the first physical record; if they do not, the next `88`
    // continues the field list (comma-joined) rather than the text.
    let mut used = 1;
    let mut body = r.parts[0].clone();
    loop {
        let mut f = Fields::new(&body, r.line, "16 record");
        match parse_detail_fields(&mut f, scale) {
            Ok(Some(v)) => {
                let mut texts: Vec<String> = Vec::new();
                let own = f.rest_text().trim().to_string();
                let continuation_texts: Vec<String> = r.parts[used..]
                    .iter()
                    .map(|p| strip_delim(p).trim().to_string())
                    .collect();
                if !own.is_empty() {
                    texts.push(own);
                }
                texts.extend(continuation_texts.iter().filter(|t| !t.is_empty()).cloned());
                let (type_code, raw_amount, funds_code, funds, bank_reference, customer_reference) =
                    v;
                let d = Detail {
                    type_code,
                    amount: to_decimal(raw_amount, scale),
                    funds_code,
                    funds,
                    bank_reference,
                    customer_reference,
                    text: texts.join(" "),
                    continuation_texts,
                    line: r.line,
                    raw: r.raw.clone(),
                };
                return Ok((d, raw_amount));
            }
            Ok(None) if used < r.parts.len() => {
                body = format!("{},{}", strip_delim(&body), r.parts[used]);
                used += 1;
            }
            Ok(None) => {
                return Err(StatementError::structure(
                    r.line,
                    "16 record",
                    "record ends before the amount field",
                ))
            }
            Err(e) => return Err(e),
        }
    }
}

type DetailFields = (
    TypeCode,
    i128,
    Option<char>,
    Option<FundsType>,
    Option<String>,
    Option<String>,
);

/// `Ok(None)` when the record runs out before the fixed fields are complete.
fn parse_detail_fields(
    f: &mut Fields<'_>,
    scale: u32,
) -> Result<Option<DetailFields>, StatementError> {
    let Some(tc) = f.next() else { return Ok(None) };
    let code = digits(tc, 3).ok_or_else(|| f.err("type code", tc, "is not a 3-digit type code"))?;
    let type_code = TypeCode(code as u16);
    if !(type_code.is_credit()
        || type_code.is_debit()
        || matches!(
            type_code.kind(),
            TypeCodeKind::NonMonetary | TypeCodeKind::Custom | TypeCodeKind::Loan
        ))
    {
        return Err(f.err("type code", tc, "is a status code, not a transaction code"));
    }
    let Some(a) = f.next() else { return Ok(None) };
    if a.starts_with(['+', '-']) {
        return Err(f.err(
            "amount",
            a,
            "must be unsigned (the type code gives the sign)",
        ));
    }
    let raw = if a.is_empty() {
        0
    } else {
        f.raw_amount("amount", a)?
    };
    if f.rest.is_none() {
        // Type and amount only: funds type and references are defaulted (valid BAI2).
        return Ok(Some((type_code, raw, None, None, None, None)));
    }
    let (funds_code, funds) = f.funds(scale)?;
    let opt = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    let bank_reference = opt(f.next_or_empty());
    let customer_reference = opt(f.next_or_empty());
    Ok(Some((
        type_code,
        raw,
        funds_code,
        funds,
        bank_reference,
        customer_reference,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(account: &str, total: i128, records: u64) -> String {
        let recs = records + 2;
        format!(
            "01,BANK,CUST,240102,0800,1,,,2/\n02,CUST,BANK,1,240101,,USD,2/\n{account}\n98,{total},1,{recs}/\n99,{total},1,{}/\n",
            recs + 2
        )
    }

    #[test]
    fn continuation_text_with_commas_and_slash() {
        let acct = "03,123,USD,010,10000,,,015,9000,,/\n16,451,1000,0,BREF,CREF,PAYROLL, JAN/\n88,SECOND, PART/\n49,20000,4/";
        let s = read(&wrap(acct, 20000, 4)).unwrap();
        assert_eq!(s.len(), 1);
        let l = &s[0].lines[0];
        assert_eq!(l.amount, Decimal::new(-1000, 2));
        assert_eq!(l.description, "PAYROLL, JAN SECOND, PART");
        assert_eq!(l.bank_reference.as_deref(), Some("BREF"));
        assert_eq!(
            s[0].opening_balance.as_ref().unwrap().amount,
            Decimal::new(10000, 2)
        );
        assert_eq!(
            s[0].closing_balance.as_ref().unwrap().amount,
            Decimal::new(9000, 2)
        );
    }

    #[test]
    fn summary_continued_mid_item() {
        // `190/` then `88,500,…`: the amount of item 190 is on the continuation.
        let acct = "03,1,USD,010,-500,,,190/\n88,500,,/\n49,0,3/";
        let s = parse(&wrap(acct, 0, 3)).unwrap();
        let a = &s.groups[0].accounts[0];
        assert_eq!(a.summaries.len(), 2);
        assert_eq!(a.summaries[1].amount, Some(Decimal::new(500, 2)));
        assert_eq!(a.summaries[0].amount, Some(Decimal::new(-500, 2)));
    }

    #[test]
    fn zero_amount_and_funds_types() {
        let acct = "03,1,USD/\n16,142,0,Z/\n16,115,300,S,100,,200,R1,,/\n16,218,500,V,240103,1200,R2,C2/\n16,195,700,D,2,0,300,1,400,,,TXT/\n49,1500,6/";
        let s = parse(&wrap(acct, 1500, 6)).unwrap();
        let d = &s.groups[0].accounts[0].details;
        assert_eq!(d[0].amount, Decimal::ZERO);
        assert_eq!(d[0].funds, Some(FundsType::Unknown));
        assert_eq!(
            d[1].funds,
            Some(FundsType::Distributed {
                immediate: Some(Decimal::new(100, 2)),
                one_day: None,
                two_or_more_days: Some(Decimal::new(200, 2)),
            })
        );
        assert!(matches!(d[2].funds, Some(FundsType::ValueDated { .. })));
        assert_eq!(d[2].customer_reference.as_deref(), Some("C2"));
        assert_eq!(
            d[3].funds,
            Some(FundsType::DaysDistribution(vec![
                (0, Decimal::new(300, 2)),
                (1, Decimal::new(400, 2))
            ]))
        );
        assert_eq!(d[3].text, "TXT");
    }

    #[test]
    fn control_total_mismatch_names_record() {
        let acct = "03,1,USD/\n16,142,100,Z/\n49,200,3/";
        let e = read(&wrap(acct, 200, 3)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 5: 49 account trailer: control total 200 != computed 100"
        );
    }

    #[test]
    fn record_count_mismatch() {
        let acct = "03,1,USD/\n16,142,100,Z/\n49,100,4/";
        let e = read(&wrap(acct, 100, 3)).unwrap_err();
        assert!(
            e.to_string()
                .contains("49 account trailer: number of records 4 != computed 3"),
            "{e}"
        );
    }

    #[test]
    fn bad_amount_is_named() {
        let acct = "03,1,USD/\n16,142,ABC,Z/\n49,100,3/";
        let e = read(&wrap(acct, 100, 3)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 4: 16 record: amount 'ABC' is not a number"
        );
    }

    #[test]
    fn jpy_has_no_decimals() {
        let acct = "03,1,JPY,010,5000,,/\n49,5000,2/";
        let s = read(&wrap(acct, 5000, 2)).unwrap();
        assert_eq!(
            s[0].opening_balance.as_ref().unwrap().amount,
            Decimal::new(5000, 0)
        );
    }

    #[test]
    fn several_records_on_one_line() {
        let acct = "03,1,USD/ 16,142,100,Z,,,A B/  49,100,3/";
        let s = read(&wrap(acct, 100, 3)).unwrap();
        assert_eq!(s[0].lines[0].description, "A B");
    }

    #[test]
    fn blank_account_control_total_is_read_with_a_warning() {
        // The issue's `49,,2/` shape, with a detail so the total is not trivially zero.
        let acct = "03,1,USD,010,500,,/\n16,142,100,Z/\n49,,3/";
        let s = read(&wrap(acct, 600, 3)).unwrap();
        assert_eq!(s[0].lines[0].amount, Decimal::new(100, 2));
        assert_eq!(
            s[0].warnings,
            ["line 5: 49 account trailer: control total is blank, not verified (computed 600)"]
        );
        // The computed total stands in for the blank one, and the group total is checked
        // against it: a group total that disagrees is still refused.
        assert_eq!(
            parse(&wrap(acct, 600, 3)).unwrap().groups[0].accounts[0].control_total,
            600
        );
        let e = read(&wrap(acct, 700, 3)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 6: 98 group trailer: control total 700 != computed 600"
        );
    }

    #[test]
    fn blank_group_and_file_trailer_fields_warn_every_statement_they_cover() {
        let input = "01,BANK,CUST,240102,0800,1,,,2/\n02,CUST,BANK,1,240101,,USD,2/\n\
                     03,1,USD/\n16,142,100,Z/\n49,100,3/\n03,2,USD/\n49,0,2/\n\
                     98,,2,/\n99,,,/\n";
        let s = read(input).unwrap();
        assert_eq!(s.len(), 2);
        for st in &s {
            assert_eq!(
                st.warnings,
                [
                    "line 8: 98 group trailer: control total is blank, not verified (computed 100)",
                    "line 8: 98 group trailer: number of records is blank, not verified (computed 7)",
                    "line 9: 99 file trailer: control total is blank, not verified (computed 100)",
                    "line 9: 99 file trailer: number of groups is blank, not verified (computed 1)",
                    "line 9: 99 file trailer: number of records is blank, not verified (computed 9)",
                ]
            );
        }
        // Present counts that disagree stay errors; a missing field is not a blank one.
        let wrong = input.replace("98,,2,/", "98,,3,/");
        assert_eq!(
            read(&wrong).unwrap_err().to_string(),
            "line 8: 98 group trailer: number of accounts 3 != computed 2"
        );
        let missing = input.replace("99,,,/", "99,100/");
        assert_eq!(
            read(&missing).unwrap_err().to_string(),
            "line 9: 99 file trailer: number of groups '' is missing"
        );
    }

    #[test]
    fn missing_trailer() {
        let e = read("01,A,B,240101,0000,1,,,2/\n02,B,A,1,240101,,USD,2/\n").unwrap_err();
        assert!(e.to_string().contains("98 group trailer"), "{e}");
    }
}
