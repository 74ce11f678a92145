//! SWIFT MT940 (customer statement) and MT942 (interim transaction report) reader.
//!
//! Tags read: `:20:` `:21:` `:25:` `:28:`/`:28C:` `:60F:`/`:60M:` `:61:` `:86:` `:62F:`/`:62M:`
//! `:64:` `:65:` and, for MT942, `:34F:` `:13D:` `:90D:` `:90C:`. Other tags (`:NS:`, …) are
//! skipped. SWIFT block wrappers (`{1:…}{2:…}{4:` … `-}`), bank preambles before the first
//! tag, several statements per file, and CRLF/LF are all accepted.
//!
//! Checks: `opening + Σ lines = closing` is an **error** when both balances are present,
//! because reconciliation must not book a statement that does not add up (none of the
//! real-bank samples we test against violate it). MT942 `:90D:`/`:90C:` count/sum mismatches
//! are only **warnings** ([`Statement::warnings`]): banks compute them over their own
//! reporting window, and real files disagree with the listed lines.
//!
//! Read as a stream ([`stream`]; [`read`] collects it): tags are tokenized one at a time and a
//! statement's lines handed out as they are read, its checks made from running sums at its end.

use std::collections::VecDeque;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::balance::LineSums;
use super::events;
use super::model::{digits, yy_to_year};
use super::{
    Balance, Counterparty, Statement, StatementError, StatementEvent, StatementFormat,
    StatementLine,
};

/// One tag with its content lines (first line is the text after the tag).
#[derive(Clone)]
struct Field {
    tag: String,
    line: usize,
    lines: Vec<String>,
}

impl Field {
    fn first(&self) -> &str {
        self.lines.first().map_or("", |s| s.trim())
    }

    /// Content lines joined without separator (for fields SWIFT wraps at fixed width).
    fn joined(&self) -> String {
        self.lines.iter().map(|l| l.trim()).collect()
    }

    fn record(&self) -> String {
        format!(":{}:", self.tag)
    }

    fn err(&self, field: &str, value: &str, problem: &str) -> StatementError {
        StatementError::field(self.line, &self.record(), field, value, problem)
    }
}

/// `Some(tag)` if the line starts with `:NN[A-Z]:` or `:NS:`.
fn tag_of(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    if b.first() != Some(&b':') {
        return None;
    }
    let end = line[1..].find(':')? + 1;
    let tag = &line[1..end];
    let tb = tag.as_bytes();
    let ok = tag == "NS"
        || (tb.len() == 2 || tb.len() == 3)
            && tb[0].is_ascii_digit()
            && tb[1].is_ascii_digit()
            && (tb.len() == 2 || tb[2].is_ascii_uppercase());
    ok.then_some(tag)
}

/// End-of-message marker: `-`, `-}…`, or a bank trailer like ING's `-XXX`.
fn is_end_marker(line: &str) -> bool {
    let t = line.trim_end();
    t == "-"
        || t.starts_with("-}")
        || (t.len() <= 4 && t.starts_with('-') && t[1..].bytes().all(|b| b.is_ascii_uppercase()))
}

#[derive(Clone)]
enum Token {
    Field(Field),
    End,
}

/// Lines → tags, one at a time; block wrappers and end markers become [`Token::End`].
#[derive(Clone)]
struct Tokens<'a> {
    lines: std::iter::Enumerate<std::str::Split<'a, char>>,
    /// The last tag read: it takes the untagged lines after it.
    open: Option<Field>,
    ready: VecDeque<Token>,
}

impl<'a> Tokens<'a> {
    fn new(input: &'a str) -> Self {
        Tokens {
            lines: input.split('\n').enumerate(),
            open: None,
            ready: VecDeque::new(),
        }
    }

    fn close(&mut self) {
        if let Some(f) = self.open.take() {
            self.ready.push_back(Token::Field(f));
        }
    }

    /// Whether the next non-blank line is untagged text.
    fn text_follows(&self) -> bool {
        let mut rest = self
            .lines
            .clone()
            .map(|(_, l)| l.strip_suffix('\r').unwrap_or(l));
        rest.find(|l| !l.trim().is_empty())
            .is_some_and(|n| tag_of(n).is_none() && !n.starts_with('{') && !is_end_marker(n))
    }

    fn line(&mut self, idx: usize, raw: &'a str) {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let mut line = if idx == 0 {
            raw.trim_start_matches('\u{feff}')
        } else {
            raw
        };
        // ING wraps `:86:` text at fixed width, so a lone `-` can be text: it is a
        // continuation when it sits inside :61:/:86: and more untagged text follows.
        let in_narrative = self
            .open
            .as_ref()
            .is_some_and(|f| f.tag == "86" || f.tag == "61");
        let text_dash = || line.trim_end() == "-" && in_narrative && self.text_follows();
        if (is_end_marker(line) && !text_dash()) || line.starts_with('{') {
            self.close();
            self.ready.push_back(Token::End);
            // `-}{5:…}{1:…}{2:…}{4:` may open the next message on the same line.
            match line.find("{4:") {
                Some(i) => line = &line[i + 3..],
                None => return,
            }
        }
        if line.trim().is_empty() {
            return;
        }
        if let Some(tag) = tag_of(line) {
            self.close();
            self.open = Some(Field {
                tag: tag.to_string(),
                line: idx + 1,
                lines: vec![line[tag.len() + 2..].to_string()],
            });
        } else if let Some(f) = self.open.as_mut() {
            f.lines.push(line.to_string());
        }
        // Otherwise: preamble before the first tag (e.g. `ABNANL2A`, `940`) — skipped.
    }
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        loop {
            if let Some(t) = self.ready.pop_front() {
                return Some(t);
            }
            let Some((idx, raw)) = self.lines.next() else {
                return self.open.take().map(Token::Field);
            };
            self.line(idx, raw);
        }
    }
}

/// Reader options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Fail when opening + lines != closing (default `true`); when `false` the mismatch is
    /// left in [`Statement::balance_mismatch`] for the caller's policy.
    pub verify_balances: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            verify_balances: true,
        }
    }
}

/// Parses an MT940/MT942 file into statements (one per `:20:`), verifying balances.
pub fn read(input: &str) -> Result<Vec<Statement>, StatementError> {
    read_with(input, &ReadOptions::default())
}

/// Parses an MT940/MT942 file with explicit [`ReadOptions`].
pub fn read_with(input: &str, options: &ReadOptions) -> Result<Vec<Statement>, StatementError> {
    events::collect_some(stream(input, options))
}

/// The statements of an MT940/MT942 file as a stream ([`super::events`]), one per `:20:`.
/// A statement starts at its first `:61:`; when its opening balance or `:25:` is not read by
/// then, its head is found by reading its remaining tags ahead (without its lines).
pub fn stream<'a>(
    input: &'a str,
    options: &ReadOptions,
) -> impl Iterator<Item = Result<StatementEvent, StatementError>> + 'a {
    events::Stream::new(Statements {
        tokens: Tokens::new(input),
        options: *options,
        current: None,
        count: 0,
        out: VecDeque::new(),
    })
}

/// The tags of the current statement not read yet, when its head is handed out.
#[derive(Clone, Copy)]
enum Rest<'f> {
    /// None: the statement is read.
    None,
    /// Those the tokens hold.
    Tokens,
    /// This one (being read), then those the tokens hold.
    From(&'f Field),
}

struct Statements<'a> {
    tokens: Tokens<'a>,
    options: ReadOptions,
    current: Option<Assembly>,
    /// Statements started so far.
    count: usize,
    out: VecDeque<StatementEvent>,
}

impl events::Step for Statements<'_> {
    fn step(&mut self) -> Result<bool, StatementError> {
        match self.tokens.next() {
            None => {
                self.finish()?;
                return Ok(false);
            }
            Some(Token::End) => self.finish()?,
            Some(Token::Field(f)) if f.tag == "20" => {
                self.finish()?;
                self.current = Some(Assembly::new(&f));
            }
            Some(Token::Field(f)) => self.field(&f)?,
        }
        Ok(true)
    }

    fn queue(&mut self) -> &mut VecDeque<StatementEvent> {
        &mut self.out
    }
}

impl Statements<'_> {
    fn field(&mut self, f: &Field) -> Result<(), StatementError> {
        let Some(a) = self.current.as_mut() else {
            return Err(StatementError::structure(
                f.line,
                &f.record(),
                "tag outside a statement (a statement starts with :20:)",
            ));
        };
        // A `:86:` right after a `:61:` completes that line; anything else means it is complete.
        let details = f.tag == "86" && a.last_was_61;
        if !details {
            self.hand_out_line(Rest::From(f));
        }
        if let Some(a) = self.current.as_mut() {
            a.field(f)?;
        }
        if details {
            self.hand_out_line(Rest::Tokens);
        }
        Ok(())
    }

    /// Starts the statement (once), and hands out its complete line, if any.
    fn hand_out_line(&mut self, rest: Rest<'_>) {
        let Some(a) = self.current.as_mut() else {
            return;
        };
        let Some(line) = a.pending.take() else {
            return;
        };
        let index = self.start(rest);
        self.out.push_back(StatementEvent::Line(index, line));
    }

    /// The current statement's number, handing out its head when it has not started yet:
    /// what its tags so far say, with what the `rest` of them will say when they leave its
    /// account or currency open.
    fn start(&mut self, rest: Rest<'_>) -> usize {
        let Some(a) = self.current.as_mut() else {
            return self.count;
        };
        if let Some(i) = a.index {
            return i;
        }
        let settled = a.account_seen && a.st.opening_balance.is_some();
        let head = match rest {
            Rest::From(next) if !settled => a.ahead(Some(next), self.tokens.clone()).head(),
            Rest::Tokens if !settled => a.ahead(None, self.tokens.clone()).head(),
            _ => a.head(),
        };
        a.index = Some(self.count);
        self.count += 1;
        self.out.push_back(StatementEvent::Start(head));
        self.count - 1
    }

    /// Ends the current statement, if any, with its checks.
    fn finish(&mut self) -> Result<(), StatementError> {
        self.hand_out_line(Rest::None);
        if self.current.is_none() {
            return Ok(());
        }
        let index = self.start(Rest::None);
        if let Some(a) = self.current.take() {
            let st = a.complete(&self.options)?;
            self.out.push_back(StatementEvent::End(index, st));
        }
        Ok(())
    }
}

/// Parses `D`/`C` + YYMMDD + currency + amount (`:60F:`, `:62F:`, `:64:`, `:65:`).
fn parse_balance(f: &Field) -> Result<Balance, StatementError> {
    let v = f.first();
    let (sign, rest) = match v.get(..1) {
        Some("C") => (Decimal::ONE, &v[1..]),
        Some("D") => (Decimal::NEGATIVE_ONE, &v[1..]),
        _ => {
            return Err(f.err(
                "debit/credit mark",
                v.get(..1).unwrap_or(""),
                "is not C or D",
            ))
        }
    };
    let date_s = rest.get(..6).unwrap_or(rest);
    let date =
        parse_date(date_s).ok_or_else(|| f.err("date", date_s, "is not a valid YYMMDD date"))?;
    let cur = rest.get(6..9).unwrap_or("");
    if !(cur.len() == 3 && cur.bytes().all(|b| b.is_ascii_uppercase())) {
        return Err(f.err("currency", cur, "is not a 3-letter currency code"));
    }
    let amt_s = &rest[9..];
    let amount = parse_amount(amt_s).ok_or_else(|| f.err("amount", amt_s, "is not a number"))?;
    Ok(Balance {
        amount: sign * amount,
        date: Some(date),
        currency: Some(cur.to_string()),
        intermediate: f.tag.ends_with('M'),
    })
}

/// SWIFT amount: digits with one `,` decimal separator (`380115,` and `00,12` are valid).
fn parse_amount(s: &str) -> Option<Decimal> {
    let (int, frac) = s.split_once(',')?;
    if int.is_empty()
        || int.len() + frac.len() > 26
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let n: i128 = format!("{int}{frac}").parse().ok()?;
    Decimal::try_from_i128_with_scale(n, frac.len() as u32).ok()
}

/// YYMMDD. A day past the month end (German banks' 30/360 `160230`) is clamped to the last
/// day of the month, as the Python `mt-940` reference does.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let n = digits(s, 6)?;
    let (y, m, d) = (yy_to_year(n / 10000), (n / 100) % 100, n % 100);
    if !(1..=31).contains(&d) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d).or_else(|| {
        (28..=30)
            .rev()
            .find_map(|last| NaiveDate::from_ymd_opt(y, m, last))
    })
}

/// Entry date MMDD: the year is the one (value year −1, 0, +1) closest to the value date,
/// so a 31 Dec value date with a `0102` entry date books on 2 Jan of the next year.
fn entry_date(value: NaiveDate, mmdd: u32) -> Option<NaiveDate> {
    let (m, d) = (mmdd / 100, mmdd % 100);
    [value.year(), value.year() + 1, value.year() - 1]
        .into_iter()
        .filter_map(|y| {
            NaiveDate::from_ymd_opt(y, m, d).or_else(|| {
                (d <= 31).then(|| {
                    (28..=30)
                        .rev()
                        .find_map(|l| NaiveDate::from_ymd_opt(y, m, l))
                })?
            })
        })
        .min_by_key(|dt| (*dt - value).num_days().abs())
}

/// What a `:61:` line does that SWIFT does not allow but banks send; each is a warning.
#[derive(Default)]
struct Quirks {
    /// Transaction type not starting with N, F or S.
    nonstandard_type: bool,
    /// Amount without its decimal comma (`C500NTRF`).
    amount_without_comma: bool,
}

/// A `:61:` amount: SWIFT's `500,00`, or `500` without the comma that SWIFT requires (some
/// Dutch banks send it; Python `mt-940` reads it as whole units, and so do we, flagged) but
/// only when a SWIFT transaction type (`N`, `F` or `S` + 3) follows at once, so `1.00`,
/// `1 000` or `5OO` stay refused.
fn line_amount(s: &str, after: &str) -> Option<(Decimal, bool)> {
    if let Some(a) = parse_amount(s) {
        return Some((a, false));
    }
    let whole = !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_digit());
    let ty = after.as_bytes().get(..4).unwrap_or_default();
    let swift_type = ty.len() == 4
        && matches!(ty[0], b'N' | b'F' | b'S')
        && ty[1..]
            .iter()
            .all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' ');
    (whole && swift_type)
        .then(|| parse_amount(&format!("{s},")).map(|a| (a, true)))
        .flatten()
}

/// Parses one `:61:` statement line (first line structured, further lines = supplementary details).
fn parse_61(f: &Field) -> Result<(StatementLine, Quirks), StatementError> {
    let v = f.lines[0].trim_end();
    let vd = v.get(..6).unwrap_or(v);
    let value_date =
        parse_date(vd).ok_or_else(|| f.err("value date", vd, "is not a valid YYMMDD date"))?;
    let mut rest = &v[6..];
    let mut booking = None;
    if let Some(mmdd) = rest.get(..4).and_then(|s| digits(s, 4)) {
        booking = Some(
            entry_date(value_date, mmdd)
                .ok_or_else(|| f.err("entry date", &rest[..4], "is not a valid MMDD date"))?,
        );
        rest = &rest[4..];
    }
    let (sign, reversal, n) = if rest.starts_with("RC") {
        (Decimal::NEGATIVE_ONE, true, 2)
    } else if rest.starts_with("RD") {
        (Decimal::ONE, true, 2)
    } else if rest.starts_with('C') {
        (Decimal::ONE, false, 1)
    } else if rest.starts_with('D') {
        (Decimal::NEGATIVE_ONE, false, 1)
    } else {
        let got: String = rest.chars().take(2).collect();
        return Err(f.err("debit/credit mark", &got, "is not C, D, RC or RD"));
    };
    rest = &rest[n..];
    let mut funds_code = None;
    if let Some(c) = rest.chars().next().filter(|c| c.is_ascii_alphabetic()) {
        funds_code = Some(c);
        rest = &rest[1..];
    }
    let amt_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ','))
        .unwrap_or(rest.len());
    let amt_s = &rest[..amt_end];
    let (amount, amount_without_comma) = line_amount(amt_s, &rest[amt_end..])
        .ok_or_else(|| f.err("amount", amt_s, "is not a number"))?;
    rest = &rest[amt_end..];
    let ty = rest.get(..4).unwrap_or(rest);
    if ty.len() != 4 || !ty.as_bytes()[0].is_ascii_uppercase() {
        return Err(f.err(
            "transaction type",
            ty,
            "is not a letter followed by 3 characters",
        ));
    }
    // SWIFT allows only N/F/S; some banks send other letters (e.g. `MCI0`), so the caller gets a warning.
    let nonstandard_type = !matches!(ty.as_bytes()[0], b'N' | b'F' | b'S');
    rest = &rest[4..];
    // Customer reference up to `//`; the rest of the line is the bank reference.
    // Lengths are not enforced (real banks exceed 16 characters).
    let (cust, bank) = match rest.split_once("//") {
        Some((c, b)) => (c, Some(b.trim())),
        None => (rest, None),
    };
    let supplementary: Vec<&str> = f.lines[1..]
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    let line = StatementLine {
        amount: sign * amount,
        currency: None,
        value_date: Some(value_date),
        booking_date: booking.or(Some(value_date)),
        bank_reference: bank.filter(|b| !b.is_empty()).map(str::to_string),
        customer_reference: Some(cust.trim().to_string()).filter(|c| !c.is_empty()),
        type_code: ty.to_string(),
        reversal,
        funds_code,
        funds: None,
        counterparty: None,
        supplementary_details: (!supplementary.is_empty()).then(|| supplementary.join("\n")),
        description: String::new(),
        line: f.line,
        raw: raw_text(f),
        status: None,
        transactions: Vec::new(),
    };
    let quirks = Quirks {
        nonstandard_type,
        amount_without_comma,
    };
    Ok((line, quirks))
}

fn raw_text(f: &Field) -> String {
    let mut s = f.record();
    for (i, l) in f.lines.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(l);
    }
    s
}

/// `:86:` text: lines trimmed at the end, blank lines dropped, `\n`-joined.
fn info_text(f: &Field) -> String {
    let lines: Vec<&str> = f
        .lines
        .iter()
        .map(|l| l.trim_end())
        .filter(|l| !l.trim().is_empty())
        .collect();
    lines.join("\n").trim().to_string()
}

/// Counterparty from the `:86:` layouts banks use, most structured first. Plain narrative
/// gives `None`, never a guess: the matcher accepts and vetoes matches on this name.
/// - German `?NN` subfields: `?31` account, `?32`/`?33` name (with or without the GVC code);
/// - slash codes anywhere: ING `/CNTP/account/bic/name/`, Rabobank/ABN AMRO `/NAME/…/`
///   (account from ABN AMRO's `/IBAN/…/`);
/// - keywords: ABN AMRO `IBAN: … BIC: … NAAM: …`, `NAME: …`;
/// - the first line a valid IBAN then the name (SNS, ASN, ING old layouts).
///
/// `info` is the field as written, lines and their trailing blanks kept: banks wrap `:86:`
/// at a fixed width, mid-word, so lines are joined without a separator.
fn counterparty(info: &str) -> Option<Counterparty> {
    let flat: String = info.lines().collect();
    let flat = flat.trim_start();
    let cp = german_subfields(flat)
        .or_else(|| slash_codes(flat))
        .or_else(|| name_keyword(info))
        .or_else(|| iban_then_name(info))?;
    (cp.name.is_some() || cp.account.is_some()).then_some(cp)
}

/// Trimmed, `None` when empty.
fn non_empty(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// `NNN?NN…` or `?NN…` (German banks' structured `:86:`).
fn german_subfields(flat: &str) -> Option<Counterparty> {
    let b = flat.as_bytes();
    let at = |i: usize| b.len() > i + 2 && b[i] == b'?' && b[i + 1].is_ascii_digit();
    if !(at(0) || (flat.len() > 4 && b[3] == b'?')) {
        return None;
    }
    let mut cp = Counterparty::default();
    let mut name = String::new();
    for part in flat.split('?').skip(1) {
        match part.get(..2) {
            Some("31") => cp.account = non_empty(&part[2..]),
            Some("32") | Some("33") => name.push_str(&part[2..]),
            _ => {}
        }
    }
    cp.name = non_empty(&name);
    Some(cp)
}

/// The value of a slash code (`/CODE/value/`), anywhere in the text.
fn slash_value<'a>(flat: &'a str, code: &str) -> Option<&'a str> {
    let i = flat.find(code)?;
    flat[i + code.len()..].split('/').next()
}

/// ING `/CNTP/account/bic/name/…`, else `/NAME/name/` with ABN AMRO's `/IBAN/account/`.
fn slash_codes(flat: &str) -> Option<Counterparty> {
    if let Some(i) = flat.find("/CNTP/") {
        let mut it = flat[i + 6..].split('/');
        let account = it.next().and_then(non_empty);
        let name = it.nth(1).and_then(non_empty);
        return Some(Counterparty { name, account });
    }
    let name = slash_value(flat, "/NAME/").and_then(non_empty)?;
    Some(Counterparty {
        name: Some(name),
        account: slash_value(flat, "/IBAN/").and_then(non_empty),
    })
}

/// `NAAM:` / `NAME:` (any case, as a word) up to the next `KEYWORD:` or a run of blanks,
/// with the account from `IBAN:` (ABN AMRO's SEPA layout).
fn name_keyword(info: &str) -> Option<Counterparty> {
    let name = ["NAAM:", "NAME:"]
        .iter()
        .find_map(|k| keyword_value(info, k))?;
    let account = keyword_value(info, "IBAN:")
        .and_then(|v| v.split_whitespace().next().map(str::to_string))
        .filter(|v| iban_shaped(v));
    Some(Counterparty {
        name: Some(name),
        account,
    })
}

/// The words after `key` (ASCII case-insensitive, at a word start) up to the next
/// `WORD:` keyword or two blanks in a row; `None` when there are none. The value goes on
/// into the next line only where its line fills the field's width (a mid-word wrap) and
/// the next line does not start with a keyword.
fn keyword_value(info: &str, key: &str) -> Option<String> {
    let lines: Vec<&str> = info.lines().collect();
    let width = lines.iter().map(|l| l.len()).max()?;
    let (n, at) = lines.iter().enumerate().find_map(|(n, l)| {
        let upper = l.to_ascii_uppercase();
        let at = upper
            .match_indices(key)
            .map(|(i, _)| i)
            .find(|&i| i == 0 || !upper.as_bytes()[i - 1].is_ascii_alphanumeric())?;
        Some((n, at))
    })?;
    let mut value = lines[n][at + key.len()..].to_string();
    let mut last = n;
    while lines[last].len() >= width
        && lines
            .get(last + 1)
            .is_some_and(|next| !next.split(' ').next().is_some_and(is_keyword))
    {
        last += 1;
        value.push_str(lines[last]);
    }
    let value = value.trim_start();
    let words: Vec<&str> = value
        .split("  ")
        .next()
        .unwrap_or("")
        .split(' ')
        .take_while(|w| !is_keyword(w))
        .filter(|w| !w.is_empty())
        .collect();
    non_empty(&words.join(" "))
}

/// `OMSCHRIJVING:`, `BIC:`, `Kenmerk:`: letters (and dots) ending in a colon.
fn is_keyword(w: &str) -> bool {
    w.strip_suffix(':')
        .is_some_and(|k| k.len() >= 3 && k.bytes().all(|b| b.is_ascii_alphabetic() || b == b'.'))
}

/// The SNS/ASN layout: a valid IBAN, then the name, on the first line.
fn iban_then_name(info: &str) -> Option<Counterparty> {
    let first = info.lines().find(|l| !l.trim().is_empty())?.trim();
    let (iban, rest) = first.split_once(char::is_whitespace).unwrap_or((first, ""));
    if !iban_valid(iban) {
        return None;
    }
    let name = rest.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(Counterparty {
        name: non_empty(&name).filter(|n| n.bytes().any(|b| b.is_ascii_alphabetic())),
        account: Some(iban.to_string()),
    })
}

/// Two letters, two check digits, 11 to 30 letters or digits.
fn iban_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    (15..=34).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// [`iban_shaped`] with a correct ISO 13616 check (mod 97 = 1): without a keyword before
/// it, only a real IBAN makes the rest of the line a name.
fn iban_valid(s: &str) -> bool {
    if !iban_shaped(s) {
        return false;
    }
    let rearranged = s[4..].bytes().chain(s[..4].bytes());
    let rem = rearranged.fold(0u32, |r, c| {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        };
        if v < 10 {
            (r * 10 + v) % 97
        } else {
            (r * 100 + v) % 97
        }
    });
    rem == 1
}

/// `:90D:`/`:90C:`: number of entries, currency, amount.
fn parse_90(f: &Field) -> Result<(u64, Decimal), StatementError> {
    let v = f.first();
    let n_end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let n: u64 = v[..n_end]
        .parse()
        .map_err(|_| f.err("number of entries", &v[..n_end], "is not a whole number"))?;
    let amt_s = v.get(n_end + 3..).unwrap_or("");
    let amount = parse_amount(amt_s).ok_or_else(|| f.err("amount", amt_s, "is not a number"))?;
    Ok((n, amount))
}

/// A statement being assembled from its tags, in order; its lines are handed out as they
/// come, and summed for the checks.
#[derive(Clone)]
struct Assembly {
    st: Statement,
    account_seen: bool,
    /// Line of the closing balance (where a mismatch is reported).
    closing_line: usize,
    last_was_61: bool,
    is_942: bool,
    /// `:90D:`/`:90C:`: (line, record, debit, number of entries, sum).
    sums: Vec<(usize, String, bool, u64, Decimal)>,
    /// The first `:34F:`'s currency (MT942 has no balances).
    currency_34f: Option<String>,
    /// The last `:61:` line, until a `:86:` may have completed it.
    pending: Option<StatementLine>,
    booked: LineSums,
    /// Count and Σ|amount| of the debit lines and of the credit lines.
    debits: (u64, Decimal),
    credits: (u64, Decimal),
    /// The statement's number once started.
    index: Option<usize>,
}

impl Assembly {
    /// Starts from the `:20:` field.
    fn new(first: &Field) -> Self {
        let start = first.line;
        Assembly {
            st: Statement {
                format: StatementFormat::Mt940,
                account_id: String::new(),
                currency: None,
                encoding: None,
                reference: Some(first.first().to_string()).filter(|s| !s.is_empty()),
                statement_number: None,
                statement_date: None,
                opening_balance: None,
                closing_balance: None,
                available_balance: None,
                information: None,
                lines: Vec::new(),
                warnings: Vec::new(),
                balance_mismatch: None,
                line: start,
            },
            account_seen: false,
            closing_line: start,
            last_was_61: false,
            is_942: false,
            sums: Vec::new(),
            currency_34f: None,
            pending: None,
            booked: LineSums::default(),
            debits: (0, Decimal::ZERO),
            credits: (0, Decimal::ZERO),
            index: None,
        }
    }

    /// The statement as its tags so far make it: MT942 without balances, and its currency.
    fn head(&self) -> Statement {
        let mut st = self.st.clone();
        if self.is_942 && st.opening_balance.is_none() {
            st.format = StatementFormat::Mt942;
        }
        st.currency = st
            .opening_balance
            .as_ref()
            .or(st.closing_balance.as_ref())
            .and_then(|b| b.currency.clone())
            .or_else(|| self.currency_34f.clone());
        st
    }

    /// This statement with the tags of the rest of it (`next`, then `tokens`) but its lines: what its head
    /// will be. A bad tag stops the look (the reading proper reports it).
    fn ahead(&self, next: Option<&Field>, tokens: Tokens<'_>) -> Assembly {
        let mut a = self.clone();
        for t in next.cloned().map(Token::Field).into_iter().chain(tokens) {
            match t {
                Token::End => break,
                Token::Field(f) if f.tag == "20" => break,
                Token::Field(f) if f.tag == "61" || f.tag == "86" => {}
                Token::Field(f) => {
                    if a.field(&f).is_err() {
                        break;
                    }
                }
            }
        }
        a
    }

    /// The statement read, without its lines, and its checks.
    fn complete(self, options: &ReadOptions) -> Result<Statement, StatementError> {
        if !self.account_seen {
            return Err(StatementError::structure(
                self.st.line,
                ":20:",
                "statement has no :25: account identification",
            ));
        }
        let mut st = self.head();
        check_balances(&mut st, &self.booked, self.closing_line, options)?;
        for (line, record, debit, n, amount) in self.sums {
            let (count, sum) = if debit { self.debits } else { self.credits };
            if count != n || sum != amount {
                st.warnings.push(format!(
                    "line {line}: {record}: {n} entries totalling {amount} declared, lines give {count} totalling {sum}",
                ));
            }
        }
        Ok(st)
    }

    /// Takes one tag after `:20:`.
    fn field(&mut self, f: &Field) -> Result<(), StatementError> {
        let dup = |f: &Field| {
            StatementError::structure(f.line, &f.record(), "appears twice in one statement")
        };
        let was_61 = std::mem::replace(&mut self.last_was_61, false);
        let st = &mut self.st;
        match f.tag.as_str() {
            "25" => {
                if self.account_seen {
                    return Err(dup(f));
                }
                self.account_seen = true;
                st.account_id = f.first().to_string();
            }
            "28" | "28C" => st.statement_number = Some(f.joined()),
            "60F" | "60M" => {
                if st.opening_balance.is_some() {
                    return Err(dup(f));
                }
                st.opening_balance = Some(parse_balance(f)?);
            }
            "62F" | "62M" => {
                if st.closing_balance.is_some() {
                    return Err(dup(f));
                }
                let b = parse_balance(f)?;
                st.statement_date = b.date;
                st.closing_balance = Some(b);
                self.closing_line = f.line;
            }
            "64" => st.available_balance = Some(parse_balance(f)?),
            "61" => {
                self.line_61(f)?;
                self.last_was_61 = true;
            }
            "86" => self.info_86(f, was_61),
            "34F" => {
                self.is_942 = true;
                if self.currency_34f.is_none() {
                    self.currency_34f = Some(f.first().chars().take(3).collect());
                }
            }
            "13D" | "13" => {
                self.is_942 = true;
                let v = f.first();
                let d = v.get(..6).unwrap_or(v);
                st.statement_date = Some(
                    parse_date(d).ok_or_else(|| f.err("date", d, "is not a valid YYMMDD date"))?,
                );
            }
            "90D" | "90C" => {
                self.is_942 = true;
                let (n, a) = parse_90(f)?;
                self.sums.push((f.line, f.record(), f.tag == "90D", n, a));
            }
            _ => {} // :21:, :65:, :NS: and bank-specific tags carry nothing we normalize.
        }
        Ok(())
    }

    /// `:61:`: a statement line.
    fn line_61(&mut self, f: &Field) -> Result<(), StatementError> {
        let (line, quirks) = parse_61(f)?;
        if quirks.nonstandard_type {
            self.st.warnings.push(format!(
                "line {}: :61:: transaction type '{}' is not N, F or S + 3 characters",
                f.line, line.type_code
            ));
        }
        if quirks.amount_without_comma {
            self.st.warnings.push(format!(
                "line {}: :61:: amount {} has no decimal comma (SWIFT requires one): read as \
                 whole units",
                f.line,
                line.amount.abs()
            ));
        }
        self.booked.add(&line);
        let side = if line.amount.is_sign_negative() {
            &mut self.debits
        } else {
            &mut self.credits
        };
        side.0 += 1;
        side.1 += line.amount.abs();
        self.pending = Some(line);
        Ok(())
    }

    /// `:86:`: details of the `:61:` right before it, else statement information.
    fn info_86(&mut self, f: &Field, was_61: bool) {
        let st = &mut self.st;
        let text = info_text(f);
        match self.pending.as_mut() {
            Some(l) if was_61 => {
                l.counterparty = counterparty(&f.lines.join("\n"));
                l.description = text;
                l.raw.push('\n');
                l.raw.push_str(&raw_text(f));
            }
            _ => {
                st.information = Some(match st.information.take() {
                    Some(prev) => format!("{prev}\n{text}"),
                    None => text,
                })
            }
        }
    }
}

/// opening + Σ lines = closing ([`super::balance::tie`]): an error when `verify_balances`,
/// else left in [`Statement::balance_mismatch`] for the caller's policy.
fn check_balances(
    st: &mut Statement,
    booked: &LineSums,
    closing_line: usize,
    options: &ReadOptions,
) -> Result<(), StatementError> {
    let record = match &st.closing_balance {
        Some(c) if c.intermediate => ":62M:",
        _ => ":62F:",
    };
    st.balance_mismatch = super::balance::tie(st, booked, closing_line, record);
    match (
        &st.opening_balance,
        &st.closing_balance,
        &st.balance_mismatch,
    ) {
        (_, _, Some(m)) if options.verify_balances => return Err(m.to_error()),
        (None, _, _) if st.format == StatementFormat::Mt940 => st
            .warnings
            .push("no :60F:/:60M: opening balance: balance not verified".to_string()),
        (_, None, _) if st.format == StatementFormat::Mt940 => st
            .warnings
            .push("no :62F:/:62M: closing balance: balance not verified".to_string()),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(body: &str) -> String {
        format!(":20:REF\r\n:25:NL00BANK0123456789\r\n:28C:1/1\r\n{body}-\r\n")
    }

    #[test]
    fn entry_date_rolls_over_year() {
        let s = read(&stmt(":60F:C231231EUR100,00\r\n:61:2312310102D10,50NTRFNONREF//B1\r\n:62F:C240102EUR89,50\r\n")).unwrap();
        let l = &s[0].lines[0];
        assert_eq!(l.value_date, NaiveDate::from_ymd_opt(2023, 12, 31));
        assert_eq!(l.booking_date, NaiveDate::from_ymd_opt(2024, 1, 2));
        assert_eq!(l.amount, Decimal::new(-1050, 2));
        assert_eq!(l.bank_reference.as_deref(), Some("B1"));
        // And backwards: value 2 Jan, entry 31 Dec of the previous year.
        let s = read(&stmt(
            ":60F:C240102EUR0,\r\n:61:2401021231C1,NTRFX\r\n:62F:C240102EUR1,\r\n",
        ))
        .unwrap();
        assert_eq!(
            s[0].lines[0].booking_date,
            NaiveDate::from_ymd_opt(2023, 12, 31)
        );
    }

    #[test]
    fn reversal_and_funds_code_and_info() {
        let s = read(&stmt(
            ":60F:D240101EUR5,\r\n:61:240101RD2,5NTRFCUST//BANK\r\nSUPP\r\n:86:LINE ONE\r\nLINE TWO\r\n:61:240101CR1,NMSCNONREF\r\n:62F:D240101EUR1,5\r\n:86:STATEMENT INFO\r\n",
        ))
        .unwrap();
        let st = &s[0];
        assert_eq!(
            st.opening_balance.as_ref().unwrap().amount,
            Decimal::new(-5, 0)
        );
        assert_eq!(st.lines[0].amount, Decimal::new(25, 1));
        assert!(st.lines[0].reversal);
        assert_eq!(st.lines[0].supplementary_details.as_deref(), Some("SUPP"));
        assert_eq!(st.lines[0].description, "LINE ONE\nLINE TWO");
        assert_eq!(st.lines[1].funds_code, Some('R'));
        assert_eq!(st.lines[1].customer_reference.as_deref(), Some("NONREF"));
        assert_eq!(st.information.as_deref(), Some("STATEMENT INFO"));
    }

    #[test]
    fn missing_optional_fields() {
        let s = read(":20:X\n:25:ACC\n:61:240101C1,NMSC\n").unwrap();
        let l = &s[0].lines[0];
        assert_eq!(l.customer_reference, None);
        assert_eq!(l.bank_reference, None);
        assert_eq!(l.booking_date, l.value_date);
        assert_eq!(s[0].warnings.len(), 1);
    }

    #[test]
    fn balance_mismatch_is_an_error() {
        let e = read(&stmt(
            ":60F:C240101EUR10,\r\n:61:240101D1,NMSC\r\n:62F:C240101EUR10,\r\n",
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 6: :62F:: opening 10 + lines -1 = 9 != closing 10"
        );
    }

    #[test]
    fn bad_amount_is_named() {
        let e = read(&stmt(":61:240101D1.00NMSC\r\n")).unwrap_err();
        let e2 = read(&stmt(":61:240101DABCNMSC\r\n")).unwrap_err();
        assert_eq!(e2.to_string(), "line 4: :61:: amount '' is not a number");
        assert_eq!(e.to_string(), "line 4: :61:: amount '1' is not a number");
    }

    #[test]
    fn swift_blocks_and_two_messages() {
        let one = ":20:A\r\n:25:X\r\n:28C:1\r\n:60F:C240101EUR0,\r\n:62F:C240101EUR0,\r\n";
        let input = format!(
            "{{1:F01BANKXXX}}{{2:I940X}}{{4:\r\n{one}-}}{{5:{{CHK:1}}}}{{1:F01B}}{{4:\r\n{one}-}}"
        );
        let s = read(&input).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].line, 8);
    }

    #[test]
    fn mt942_sums_are_warnings() {
        let s = read(":20:A\n:25:X\n:28C:1\n:34F:EURD0,\n:13D:2401011200+0100\n:61:240101D1,NMSC\n:90D:1EUR2,\n:90C:0EUR0,\n").unwrap();
        assert_eq!(s[0].format, StatementFormat::Mt942);
        assert_eq!(s[0].currency.as_deref(), Some("EUR"));
        assert_eq!(s[0].warnings.len(), 1, "{:?}", s[0].warnings);
    }

    #[test]
    fn a_head_read_ahead_has_the_currency_and_format_the_statement_ends_with() {
        let heads = |input: &str| -> Vec<(StatementFormat, Option<String>)> {
            stream(input, &ReadOptions::default())
                .map(Result::unwrap)
                .filter_map(|e| match e {
                    StatementEvent::Start(st) | StatementEvent::End(_, st) => {
                        Some((st.format, st.currency))
                    }
                    StatementEvent::Line(..) => None,
                })
                .collect()
        };
        // No opening balance: the currency is the closing balance's, after the lines.
        let mt940 = heads(":20:A\n:25:X\n:61:240101C1,NMSC\n:62F:C240101EUR1,\n-\n");
        assert_eq!(mt940, vec![(StatementFormat::Mt940, Some("EUR".into())); 2]);
        // MT942 known by its :34F:/:90C: after the lines; its currency is :34F:'s.
        let mt942 = heads(":20:A\n:25:X\n:61:240101C1,NMSC\n:34F:CHF0,\n:90C:1CHF1,\n-\n");
        assert_eq!(mt942, vec![(StatementFormat::Mt942, Some("CHF".into())); 2]);
    }

    #[test]
    fn lone_dash_inside_86_is_text() {
        let s =
            read(":20:A\n:25:X\n:61:240101C1,NMSC\n:86:/MARF/MND\n-\nEV01\n:61:240101C2,NMSC\n-\n")
                .unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].lines.len(), 2);
        assert_eq!(s[0].lines[0].description, "/MARF/MND\n-\nEV01");
    }

    #[test]
    fn balance_check_can_be_left_to_the_caller() {
        let input = stmt(":60F:C240101EUR10,\r\n:61:240101D1,NMSC\r\n:62F:C240101EUR10,\r\n");
        let s = read_with(
            &input,
            &ReadOptions {
                verify_balances: false,
            },
        )
        .unwrap();
        let m = s[0].balance_mismatch.as_ref().unwrap();
        assert_eq!((m.line, m.record.as_str()), (6, ":62F:"));
        assert_eq!(
            m.to_string(),
            "line 6: :62F:: opening 10 + lines -1 = 9 != closing 10"
        );
        assert!(s[0].warnings.is_empty(), "the caller's policy decides");
    }

    #[test]
    fn february_30_is_clamped() {
        assert_eq!(parse_date("160230"), NaiveDate::from_ymd_opt(2016, 2, 29));
        assert_eq!(parse_date("160232"), None);
    }

    #[test]
    fn amount_without_decimal_comma_reads_as_whole_units_with_a_warning() {
        // The Dutch bank: `C500NTRF`; the funds code letter may come first.
        let s = read(&stmt(
            ":60F:C240101EUR0,\r\n:61:240101C500NTRFREF1//B1\r\n:61:240101DR25NMSCREF2\r\n:62F:C240101EUR475,\r\n",
        ))
        .unwrap();
        let l = &s[0].lines;
        assert_eq!(l[0].amount, Decimal::new(500, 0));
        assert_eq!(l[0].type_code, "NTRF");
        assert_eq!(l[0].customer_reference.as_deref(), Some("REF1"));
        assert_eq!(
            (l[1].amount, l[1].funds_code),
            (Decimal::new(-25, 0), Some('R'))
        );
        assert_eq!(
            s[0].warnings,
            [
                "line 5: :61:: amount 500 has no decimal comma (SWIFT requires one): read as whole units",
                "line 6: :61:: amount 25 has no decimal comma (SWIFT requires one): read as whole units",
            ]
        );
        // With the comma: no warning.
        let s = read(&stmt(
            ":60F:C240101EUR0,\r\n:61:240101C500,NTRF\r\n:62F:C240101EUR500,\r\n",
        ))
        .unwrap();
        assert!(s[0].warnings.is_empty(), "{:?}", s[0].warnings);
    }

    #[test]
    fn amounts_that_are_not_numbers_stay_refused() {
        for (line, value) in [
            (":61:240101C1.00NTRF", "1"),
            (":61:240101C1 000,NTRF", "1"),
            (":61:240101C500", "500"),
            (":61:240101C5OONTRF", "5"),
            (":61:240101C1234567890123456NTRF", "1234567890123456"),
        ] {
            let e = read(&stmt(&format!("{line}\r\n"))).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("line 4: :61:: amount '{value}' is not a number"),
                "{line}"
            );
        }
    }

    fn name_of(info: &str) -> Option<String> {
        counterparty(info).and_then(|c| c.name)
    }

    #[test]
    fn counterparty_from_german_subfields_without_the_code() {
        let cp =
            counterparty("?00GUTSCHRIFT?20RE 4711?31DE02120300000000202051?32ACME GMB\nH?33BERLIN")
                .unwrap();
        assert_eq!(cp.name.as_deref(), Some("ACME GMBHBERLIN"));
        assert_eq!(cp.account.as_deref(), Some("DE02120300000000202051"));
    }

    #[test]
    fn counterparty_from_slash_codes_anywhere() {
        // Rabobank: /NAME/ after other codes; ABN AMRO SEPA: /IBAN/ and /NAME/.
        assert_eq!(
            name_of("/EREF/01-01-2013 12:00 0030000987654321/BENM//NAME/CONTRA ACCOUN\nT HOLDER/REMI//ISDT/2013-07-11").as_deref(),
            Some("CONTRA ACCOUNT HOLDER")
        );
        let cp = counterparty("/TRTP/SEPA OVERBOEKING/IBAN/NL44RABO0123456789/BIC/RABONL2U/NAME/J. DE VRIES/REMI/FACTUUR 12/EREF/NOTPROVIDED").unwrap();
        assert_eq!(cp.name.as_deref(), Some("J. DE VRIES"));
        assert_eq!(cp.account.as_deref(), Some("NL44RABO0123456789"));
        // Not at the start: a bank's own prefix before the codes.
        assert_eq!(
            name_of("SEPA /NAME/ACME BV/REMI/X").as_deref(),
            Some("ACME BV")
        );
    }

    #[test]
    fn counterparty_from_name_keywords() {
        // ABN AMRO: fixed-width fields, IBAN: … BIC: … NAAM: … OMSCHRIJVING: …
        let cp = counterparty(
            "SEPA OVERBOEKING                 IBAN: NL44RABO0123456789\nBIC: RABONL2U                    NAAM: J JANSSEN\nOMSCHRIJVING: FACTUUR 2024-001",
        )
        .unwrap();
        assert_eq!(cp.name.as_deref(), Some("J JANSSEN"));
        assert_eq!(cp.account.as_deref(), Some("NL44RABO0123456789"));
        // Single blanks before the next keyword; English and mixed case.
        assert_eq!(
            name_of("Name: Acme Holdings Ltd Kenmerk: 123").as_deref(),
            Some("Acme Holdings Ltd")
        );
        assert_eq!(name_of("NAAM:ING BANK NV").as_deref(), Some("ING BANK NV"));
        // Part of another word, or nothing after it: no name.
        assert_eq!(name_of("SURNAME: X"), None);
        assert_eq!(name_of("NAAM:   OMSCHRIJVING: Y"), None);
    }

    #[test]
    fn counterparty_from_an_iban_then_the_name() {
        let cp =
            counterparty("NL49RABO0166416932 gerrits glas en schilderwerk\nFactuur 17227/248/20")
                .unwrap();
        assert_eq!(cp.name.as_deref(), Some("gerrits glas en schilderwerk"));
        assert_eq!(cp.account.as_deref(), Some("NL49RABO0166416932"));
        // An IBAN whose check digits are wrong is not taken as one, so nor is the name.
        assert_eq!(counterparty("NL49RABO0166416933 gerrits glas"), None);
        // The IBAN alone: the account, no name.
        let cp = counterparty("NL49RABO0166416932\nFactuur 1").unwrap();
        assert_eq!(
            (cp.name, cp.account.as_deref()),
            (None, Some("NL49RABO0166416932"))
        );
    }

    #[test]
    fn narrative_gives_no_counterparty() {
        for info in [
            "GIRO   428428 KPN - DIGITENNE    BETALINGSKENM.  000000042188659",
            "0111111111 GPSEOUL SPOEDBETALING\tMPBZS1016000047 GPSEOUL",
            "0987654321 marechal s\ndit is een test",
            "BEA   NR:XXX1234   21.05.11/12.54 DIRCKIII FIL2500 KATWIJK,PAS999",
            "999PN5477SCHECK-NR. 0000016703074",
            "REMIT:Costs to MT940 Parsing.\nThis is Somuchfun.",
            "Payment to John Smith for invoice 42",
            "/EREF/EV123REP123412T1234//MARF/MND",
        ] {
            assert_eq!(counterparty(info), None, "{info}");
        }
    }

    #[test]
    fn counterparty_from_subfields() {
        let cp = counterparty("166?00GUTSCHRIFT?20X?31DE12?32MAX MUST\nER?33MANN").unwrap();
        assert_eq!(cp.account.as_deref(), Some("DE12"));
        assert_eq!(cp.name.as_deref(), Some("MAX MUSTERMANN"));
        let cp =
            counterparty("/EREF/1//CNTP/NL32INGB0000012345/INGBNL2A/J.Janssen///REMI/X").unwrap();
        assert_eq!(cp.name.as_deref(), Some("J.Janssen"));
    }
}
