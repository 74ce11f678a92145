//! CSV/XLSX rows read as a stream: one [`StatementLine`] at a time with the statement (one
//! per currency) it belongs to, so a large file can be converted and stored in chunks without
//! every line in memory at once. [`super::read_rows`] collects the same stream; the balances,
//! statement dates and running-balance warnings are kept as running figures per statement and
//! handed out by [`CsvStream::finish`].

use std::borrow::Borrow;
use std::collections::VecDeque;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{
    cell, column_label, parse_amount, parse_date, parse_number, resolve, scan_metadata, text_at,
    AmountColumns, Cell, Column, IndicatorValues, Mapping, Resolved, ResolvedAmount, Row, Side,
};
use crate::statements::{
    Balance, BalanceMismatch, Counterparty, Statement, StatementError, StatementFormat,
    StatementLine,
};

/// Running-balance warnings kept per statement: a file whose every row disagrees would
/// otherwise hold one message per row; the rest are counted.
const WARNINGS_MAX: usize = 1_000;

struct Parsed {
    line: StatementLine,
    currency: Option<String>,
    balance: Option<Decimal>,
}

/// What a statement needs of a line once it has been handed on: its place in the running balance.
#[derive(Clone, Copy)]
struct Point {
    line: usize,
    amount: Decimal,
    balance: Option<Decimal>,
    date: Option<NaiveDate>,
}

/// Warnings up to [`WARNINGS_MAX`], and how many more there were.
#[derive(Default)]
struct Warnings {
    kept: Vec<String>,
    more: usize,
}

impl Warnings {
    fn push(&mut self, at: &Point, previous: &Point) {
        if self.kept.len() == WARNINGS_MAX {
            self.more += 1;
            return;
        }
        self.kept.push(format!(
            "line {}: running balance {} != previous balance {} + amount {}",
            at.line,
            at.balance.unwrap_or_default(),
            previous.balance.unwrap_or_default(),
            at.amount
        ));
    }

    fn into_vec(self, reversed: bool) -> Vec<String> {
        let mut out = self.kept;
        if reversed {
            out.reverse();
        }
        if self.more > 0 {
            out.push(format!(
                "… and {} more running-balance differences",
                self.more
            ));
        }
        out
    }
}

/// The running figures of one statement (one currency).
struct Group {
    currency: Option<String>,
    first: Option<Point>,
    last: Option<Point>,
    max_date: Option<NaiveDate>,
    /// Whether every line so far has a balance (only then are balances derived).
    all_balance: bool,
    /// Sum of the amounts so far, for the balance tie (CSV lines are all booked).
    total: Decimal,
    /// Warnings if the file is oldest first, and if it is newest first (known at the end).
    forward: Warnings,
    backward: Warnings,
}

impl Group {
    fn new(currency: Option<String>) -> Group {
        Group {
            currency,
            first: None,
            last: None,
            max_date: None,
            all_balance: true,
            total: Decimal::ZERO,
            forward: Warnings::default(),
            backward: Warnings::default(),
        }
    }

    fn add(&mut self, next: Point) {
        if next.balance.is_none() {
            self.all_balance = false;
            self.forward = Warnings::default();
            self.backward = Warnings::default();
        }
        if let (Some(prev), true) = (self.last, self.all_balance) {
            let (pb, nb) = (
                prev.balance.unwrap_or_default(),
                next.balance.unwrap_or_default(),
            );
            if nb != pb + next.amount {
                self.forward.push(&next, &prev);
            }
            // Read newest first, `prev` is the later line.
            if pb != nb + prev.amount {
                self.backward.push(&prev, &next);
            }
        }
        self.total += next.amount;
        self.first.get_or_insert(next);
        self.last = Some(next);
        self.max_date = self.max_date.max(next.date);
    }

    /// The statement of this group, without its lines.
    fn statement(self, format: StatementFormat, account: &str, start: usize) -> Statement {
        // Newest-first files are read back to front for balances.
        let newest_first = match (self.first, self.last) {
            (Some(f), Some(l)) => f.date.zip(l.date).is_some_and(|(a, b)| a > b),
            _ => false,
        };
        let (from, to) = if newest_first {
            (self.last, self.first)
        } else {
            (self.first, self.last)
        };
        let currency = self.currency;
        let balance = |amount: Decimal, date: Option<NaiveDate>| Balance {
            amount,
            date,
            currency: currency.clone(),
            intermediate: false,
        };
        let (mut opening, mut closing, mut warnings) = (None, None, Vec::new());
        let mut mismatch = None;
        if let (Some(from), Some(to), true) = (from, to, self.all_balance) {
            let (o, c) = (
                from.balance.unwrap_or_default() - from.amount,
                to.balance.unwrap_or_default(),
            );
            // The tie is named at the last row in time: that is where the closing balance is read.
            if o + self.total != c {
                mismatch = Some(BalanceMismatch {
                    line: to.line,
                    record: "balance column".to_string(),
                    opening: o,
                    lines_total: self.total,
                    closing: c,
                });
            }
            opening = Some(balance(
                from.balance.unwrap_or_default() - from.amount,
                from.date,
            ));
            closing = Some(balance(to.balance.unwrap_or_default(), to.date));
            warnings = if newest_first {
                self.backward.into_vec(true)
            } else {
                self.forward.into_vec(false)
            };
        }
        Statement {
            format,
            account_id: account.to_string(),
            currency,
            encoding: None,
            reference: None,
            statement_number: None,
            statement_date: self.max_date,
            opening_balance: opening,
            closing_balance: closing,
            available_balance: None,
            information: None,
            lines: Vec::new(),
            warnings,
            balance_mismatch: mismatch,
            line: start,
        }
    }
}

/// The lines of a CSV/XLSX file one at a time, each with the index of its statement (one per
/// currency, numbered in order of first appearance: an index seen for the first time is a new
/// statement). After the last line, [`CsvStream::finish`] gives the statements themselves
/// (balances, dates, warnings) without their lines.
pub struct CsvStream<'m, I, R> {
    rows: I,
    reader: RowReader<'m>,
    format: StatementFormat,
    account: String,
    start: usize,
    /// Rows read ahead: the last `footer_rows` of the file are a trailer, not data.
    ahead: VecDeque<R>,
    groups: Vec<Group>,
    done: bool,
}

fn blank(row: &Row) -> bool {
    row.cells.iter().all(Cell::is_blank)
}

impl<'m, I, R> CsvStream<'m, I, R>
where
    I: Iterator<Item = Result<R, StatementError>>,
    R: Borrow<Row>,
{
    /// Reads the metadata rows and the header of `rows`, resolving the columns of `mapping`.
    pub fn new(
        mut rows: I,
        mapping: &'m Mapping,
        format: StatementFormat,
    ) -> Result<Self, StatementError> {
        let (record, kind) = if format == StatementFormat::Xlsx {
            ("XLSX row", "XLSX")
        } else {
            ("CSV row", "CSV")
        };
        let (mut start, mut last_line) = (None, 1);
        let mut next = |rows: &mut I| -> Result<Option<R>, StatementError> {
            let r = rows.next().transpose()?;
            if let Some(r) = &r {
                last_line = r.borrow().line;
                start.get_or_insert(last_line);
            }
            Ok(r)
        };
        let mut meta: Vec<R> = Vec::new();
        while meta.len() < mapping.skip_rows {
            match next(&mut rows)? {
                Some(r) => meta.push(r),
                None => break,
            }
        }
        // Blank rows between metadata and header are not the header.
        let mut first = next(&mut rows)?;
        while first.as_ref().is_some_and(|r| blank(r.borrow())) {
            first = next(&mut rows)?;
        }
        let (header, first_data) = if mapping.header {
            match first {
                Some(h) => (Some(h), None),
                None => {
                    return Err(StatementError::structure(
                        last_line,
                        &format!("{kind} header"),
                        "no header row",
                    ))
                }
            }
        } else {
            (None, first)
        };
        let cols = resolve(mapping, header.as_ref().map(Borrow::borrow), kind)?;
        let (meta_account, meta_currency) = scan_metadata(meta.iter().map(Borrow::borrow));
        let account = mapping
            .account_id
            .clone()
            .or(meta_account)
            // CSV files often carry no account; "" is the model's "not given".
            .unwrap_or_default();
        Ok(CsvStream {
            rows,
            reader: RowReader {
                mapping,
                cols,
                record,
                kind,
                meta_currency,
            },
            format,
            account,
            start: start.unwrap_or(1),
            ahead: first_data.into_iter().collect(),
            groups: Vec::new(),
            done: false,
        })
    }

    /// The account of every statement of the file (`""` when the file names none).
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The 1-based line where the file starts (every statement's `line`).
    pub fn start_line(&self) -> usize {
        self.start
    }

    /// The currency of statement `index`, once a line of it was handed out.
    pub fn currency(&self, index: usize) -> Option<&str> {
        self.groups.get(index).and_then(|g| g.currency.as_deref())
    }

    /// The statements read (all of them once the stream is exhausted), without lines. A file
    /// without data rows gives one empty statement in the mapping's (or metadata's) currency.
    pub fn finish(self) -> Vec<Statement> {
        let mut groups = self.groups;
        if groups.is_empty() {
            let currency = self.reader.mapping.default_currency.clone();
            groups.push(Group::new(currency.or(self.reader.meta_currency)));
        }
        groups
            .into_iter()
            .map(|g| g.statement(self.format, &self.account, self.start))
            .collect()
    }

    /// The next data row that is not a trailer row, `None` at the end.
    fn next_row(&mut self) -> Result<Option<R>, StatementError> {
        while self.ahead.len() <= self.reader.mapping.footer_rows {
            match self.rows.next().transpose()? {
                Some(r) => self.ahead.push_back(r),
                None => return Ok(None),
            }
        }
        Ok(self.ahead.pop_front())
    }

    fn step(&mut self) -> Result<Option<(usize, StatementLine)>, StatementError> {
        loop {
            let Some(row) = self.next_row()? else {
                return Ok(None);
            };
            let row = row.borrow();
            if blank(row) {
                continue;
            }
            let Some(p) = self.reader.row(row)? else {
                return Ok(None);
            };
            let index = match self.groups.iter().position(|g| g.currency == p.currency) {
                Some(i) => i,
                None => {
                    self.groups.push(Group::new(p.currency.clone()));
                    self.groups.len() - 1
                }
            };
            self.groups[index].add(Point {
                line: p.line.line,
                amount: p.line.amount,
                balance: p.balance,
                date: p.line.booking_date,
            });
            return Ok(Some((index, p.line)));
        }
    }
}

impl<I, R> Iterator for CsvStream<'_, I, R>
where
    I: Iterator<Item = Result<R, StatementError>>,
    R: Borrow<Row>,
{
    type Item = Result<(usize, StatementLine), StatementError>;

    /// The next line and its statement's index; after an error or a row that ends the data
    /// (a blank date where the mapping stops), `None`.
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.step().transpose();
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

/// Collects a stream into statements with their lines.
pub(super) fn collect<I, R>(
    mut stream: CsvStream<'_, I, R>,
) -> Result<Vec<Statement>, StatementError>
where
    I: Iterator<Item = Result<R, StatementError>>,
    R: Borrow<Row>,
{
    let mut lines: Vec<Vec<StatementLine>> = Vec::new();
    for item in &mut stream {
        let (index, line) = item?;
        if index == lines.len() {
            lines.push(Vec::new());
        }
        lines[index].push(line);
    }
    let mut statements = stream.finish();
    for (st, lines) in statements.iter_mut().zip(lines) {
        st.lines = lines;
    }
    Ok(statements)
}

/// Runs a stream to its end keeping nothing: whether the file reads without error.
pub(super) fn check<I, R>(mut stream: CsvStream<'_, I, R>) -> Result<(), StatementError>
where
    I: Iterator<Item = Result<R, StatementError>>,
    R: Borrow<Row>,
{
    for item in &mut stream {
        item?;
    }
    Ok(())
}

/// Reads data rows with resolved columns.
struct RowReader<'m> {
    mapping: &'m Mapping,
    cols: Resolved,
    /// `CSV row` / `XLSX row`, for errors.
    record: &'static str,
    /// `CSV` / `XLSX`, the lines' type code.
    kind: &'static str,
    meta_currency: Option<String>,
}

impl RowReader<'_> {
    /// One data row; `Ok(None)` at a blank date when the mapping stops there.
    fn row(&self, row: &Row) -> Result<Option<Parsed>, StatementError> {
        let Some(date) = self.date(row)? else {
            return Ok(None);
        };
        let value_date = self.value_date(row)?;
        let mut amount = self.amount(row)?;
        if self.mapping.inverse_sign {
            amount = -amount;
        }
        let balance = match self.cols.balance {
            Some(i) => self.amount_at(row, i, self.mapping.balance.as_ref())?,
            None => None,
        };
        let currency = self.currency(row)?;
        Ok(Some(Parsed {
            line: self.line(row, date, value_date, amount),
            currency,
            balance,
        }))
    }

    fn date(&self, row: &Row) -> Result<Option<NaiveDate>, StatementError> {
        let (mapping, record) = (self.mapping, self.record);
        let date_label = column_label(Some(&mapping.date), self.cols.date);
        Ok(Some(match cell(row, self.cols.date) {
            None if mapping.stop_at_blank_date => return Ok(None),
            None => {
                return Err(StatementError::field(
                    row.line,
                    record,
                    &date_label,
                    "",
                    "is empty",
                ))
            }
            Some(Cell::Date(d)) => *d,
            Some(c) => parse_date(&c.text(), &mapping.date_formats).ok_or_else(|| {
                StatementError::field(
                    row.line,
                    record,
                    &date_label,
                    &c.text(),
                    &format!("is not a date in {}", mapping.date_formats.join(" or ")),
                )
            })?,
        }))
    }

    fn value_date(&self, row: &Row) -> Result<Option<NaiveDate>, StatementError> {
        // `i` is the value-date column whenever there is a cell to complain about.
        let Some((i, c)) = self
            .cols
            .value_date
            .and_then(|i| cell(row, i).map(|c| (i, c)))
        else {
            return Ok(None);
        };
        Ok(Some(match c {
            Cell::Date(d) => *d,
            c => parse_date(&c.text(), &self.mapping.date_formats).ok_or_else(|| {
                StatementError::field(
                    row.line,
                    self.record,
                    &column_label(self.mapping.value_date.as_ref(), i),
                    &c.text(),
                    "is not a date",
                )
            })?,
        }))
    }

    /// The amount in column `i`, `None` when the cell is blank.
    fn amount_at(
        &self,
        row: &Row,
        i: usize,
        col: Option<&Column>,
    ) -> Result<Option<Decimal>, StatementError> {
        let Some(c) = cell(row, i) else {
            return Ok(None);
        };
        let result = match c {
            Cell::Number(t) => parse_number(t),
            Cell::Text(t) => parse_amount(t, self.mapping.decimal_separator),
            Cell::Date(_) => Err("is a date, not an amount".into()),
        };
        result.map(Some).map_err(|problem| {
            StatementError::field(
                row.line,
                self.record,
                &column_label(col, i),
                &c.text(),
                &problem,
            )
        })
    }

    /// The signed amount (one column, debit/credit columns, or an unsigned amount and its
    /// debit/credit indicator), before `inverse_sign`.
    fn amount(&self, row: &Row) -> Result<Decimal, StatementError> {
        match (&self.cols.amount, &self.mapping.amount) {
            (ResolvedAmount::Signed(i), AmountColumns::Signed(col)) => self.required(row, *i, col),
            (ResolvedAmount::DebitCredit(d, c), AmountColumns::DebitCredit { debit, credit }) => {
                self.debit_credit(row, (*d, debit), (*c, credit))
            }
            (
                ResolvedAmount::Indicator {
                    amount: a,
                    indicator: i,
                    column,
                    values,
                },
                AmountColumns::Signed(amount) | AmountColumns::Indicator { amount, .. },
            ) => self.indicated(row, (*a, amount), (*i, column), values),
            _ => unreachable!("resolve mirrors the mapping's amount kind"),
        }
    }

    /// The amount in column `i`, an error naming the column when it is blank.
    fn required(&self, row: &Row, i: usize, col: &Column) -> Result<Decimal, StatementError> {
        self.amount_at(row, i, Some(col))?.ok_or_else(|| {
            StatementError::field(
                row.line,
                self.record,
                &column_label(Some(col), i),
                "",
                "is empty",
            )
        })
    }

    fn debit_credit(
        &self,
        row: &Row,
        (d, debit): (usize, &Column),
        (c, credit): (usize, &Column),
    ) -> Result<Decimal, StatementError> {
        let dv = self
            .amount_at(row, d, Some(debit))?
            .filter(|v| !v.is_zero());
        let cv = self
            .amount_at(row, c, Some(credit))?
            .filter(|v| !v.is_zero());
        match (dv, cv) {
            (Some(d), None) => Ok(-d.abs()),
            (None, Some(c)) => Ok(c.abs()),
            (None, None) => Ok(Decimal::ZERO),
            (Some(dv), Some(cv)) => Err(StatementError::field(
                row.line,
                self.record,
                &format!(
                    "{} / {}",
                    column_label(Some(debit), d),
                    column_label(Some(credit), c)
                ),
                &format!("{dv} / {cv}"),
                "both debit and credit are filled",
            )),
        }
    }

    /// An unsigned amount signed by its indicator cell. A value that is neither a debit nor
    /// a credit word, or an amount already negative (which sign wins?), is refused.
    fn indicated(
        &self,
        row: &Row,
        (a, amount): (usize, &Column),
        (i, indicator): (usize, &Column),
        values: &IndicatorValues,
    ) -> Result<Decimal, StatementError> {
        let value = self.required(row, a, amount)?;
        let word = cell(row, i).map(Cell::text).unwrap_or_default();
        let refuse = |label: String, text: &str, problem: String| {
            StatementError::field(row.line, self.record, &label, text, &problem)
        };
        if value.is_sign_negative() && !value.is_zero() {
            return Err(refuse(
                column_label(Some(amount), a),
                &cell(row, a).map(Cell::text).unwrap_or_default(),
                format!(
                    "is negative although column {} says debit or credit (ambiguous)",
                    column_label(Some(indicator), i)
                ),
            ));
        }
        match values.side(&word) {
            Some(Side::Debit) => Ok(-value),
            Some(Side::Credit) => Ok(value),
            None => Err(refuse(
                column_label(Some(indicator), i),
                &word,
                format!(
                    "is neither a debit ({}) nor a credit ({}) indicator",
                    values.debit.join(", "),
                    values.credit.join(", ")
                ),
            )),
        }
    }

    fn currency(&self, row: &Row) -> Result<Option<String>, StatementError> {
        let (mapping, cols) = (self.mapping, &self.cols);
        // `source` is the column the currency was read from; `None` when it came from the
        // mapping's default (metadata currencies are checked when they are scanned).
        let (currency, source) = match text_at(row, cols.currency) {
            Some(c) => (Some(c.to_ascii_uppercase()), cols.currency),
            None => (
                mapping
                    .default_currency
                    .clone()
                    .or_else(|| self.meta_currency.clone()),
                None,
            ),
        };
        if let Some(c) = &currency {
            if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(StatementError::field(
                    row.line,
                    self.record,
                    &source.map_or("default currency".to_string(), |i| {
                        column_label(mapping.currency.as_ref(), i)
                    }),
                    c,
                    "is not a three-letter currency code",
                ));
            }
        }
        Ok(currency)
    }

    /// The statement line of a row whose dates and amount are read.
    fn line(
        &self,
        row: &Row,
        date: NaiveDate,
        value_date: Option<NaiveDate>,
        amount: Decimal,
    ) -> StatementLine {
        let cols = &self.cols;
        let description = cols
            .description
            .iter()
            .filter_map(|i| text_at(row, Some(*i)))
            .collect::<Vec<_>>()
            .join(" / ");
        let counterparty = Counterparty {
            name: text_at(row, cols.counterparty),
            account: text_at(row, cols.counterparty_account),
        };
        StatementLine {
            amount,
            currency: None,
            value_date: value_date.or(Some(date)),
            booking_date: Some(date),
            bank_reference: text_at(row, cols.bank_reference),
            customer_reference: text_at(row, cols.customer_reference),
            type_code: self.kind.to_string(),
            reversal: false,
            funds_code: None,
            funds: None,
            counterparty: (counterparty.name.is_some() || counterparty.account.is_some())
                .then_some(counterparty),
            supplementary_details: None,
            description,
            line: row.line,
            raw: row.raw.clone(),
            status: None,
            transactions: Vec::new(),
        }
    }
}
