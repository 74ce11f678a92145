//! One rule, for every format, for a statement whose balances do not tie:
//! `opening + Σ booked lines ≠ closing`.
//!
//! Readers only *find* a mismatch ([`tie`], stored typed in [`Statement::balance_mismatch`]);
//! the caller decides what it means with a [`BalancePolicy`] ([`apply`]): refuse the file (the
//! default: reconciliation must not book a statement that does not add up) or keep it with a
//! warning. File-integrity checks (BAI2 control totals and record counts) are not balance ties
//! and stay errors in the reader whatever the policy.
//!
//! What counts: lines without a status or `BOOK` (camt `PDNG`/`INFO` entries have not moved
//! money), and only when both balances are present in the same currency. Some banks (a real
//! PostFinance camt.053 in our conformance set) book an entry valued after the closing
//! balance's date but leave it out of that balance (it is in the forward-available one): the
//! tie also holds when it holds without the lines valued after the closing date.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Statement, StatementError, StatementLine};

/// What to do with a statement whose balances do not tie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum BalancePolicy {
    /// Refuse the whole file, naming the statement's line and the figures.
    #[default]
    Refuse,
    /// Keep the statement with the mismatch as a warning.
    Warn,
}

impl BalancePolicy {
    /// The lowercase name (`refuse`, `warn`).
    pub fn as_str(self) -> &'static str {
        match self {
            BalancePolicy::Refuse => "refuse",
            BalancePolicy::Warn => "warn",
        }
    }
}

impl FromStr for BalancePolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "refuse" => Ok(BalancePolicy::Refuse),
            "warn" => Ok(BalancePolicy::Warn),
            other => Err(format!("'{other}' is not a balance policy (refuse, warn)")),
        }
    }
}

impl fmt::Display for BalancePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A statement whose opening balance plus its booked lines is not its closing balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceMismatch {
    /// 1-based input line of the closing balance (or of the record holding it).
    pub line: usize,
    /// The record or tag of the closing balance, e.g. `:62F:` or `Stmt/Bal CLBD`.
    pub record: String,
    /// Opening balance.
    pub opening: Decimal,
    /// Sum of the booked lines.
    pub lines_total: Decimal,
    /// Closing balance in the file.
    pub closing: Decimal,
}

impl BalanceMismatch {
    /// Opening + lines: what the closing balance should have been.
    pub fn expected(&self) -> Decimal {
        self.opening + self.lines_total
    }

    /// The refusal.
    pub fn to_error(&self) -> StatementError {
        StatementError::BalanceMismatch {
            line: self.line,
            record: self.record.clone(),
            opening: self.opening,
            lines_total: self.lines_total,
            expected: self.expected(),
            closing: self.closing,
        }
    }
}

impl fmt::Display for BalanceMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_error().fmt(f)
    }
}

fn booked(l: &StatementLine) -> bool {
    matches!(l.status.as_deref(), None | Some("BOOK"))
}

/// What the tie needs of a statement's lines, summed as they go by: a streamed statement's
/// lines are gone by the time its closing balance is known (an MT940 `:62F:` follows them).
/// Sums per value date, so the tie without the lines valued after the closing date can be
/// made whatever that date turns out to be (a statement spans few dates).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineSums {
    total: Decimal,
    by_value_date: BTreeMap<Option<NaiveDate>, Decimal>,
}

impl LineSums {
    /// Counts `l` when it is booked.
    pub fn add(&mut self, l: &StatementLine) {
        if booked(l) {
            self.total += l.amount;
            *self.by_value_date.entry(l.value_date).or_default() += l.amount;
        }
    }

    /// Booked lines without a value date or valued on or before `day`.
    fn through(&self, day: NaiveDate) -> Decimal {
        self.by_value_date
            .iter()
            .filter(|(v, _)| v.is_none_or(|v| v <= day))
            .map(|(_, a)| *a)
            .sum()
    }
}

/// Checks `opening + Σ booked lines = closing` (see the module notes) for `st`, whose lines
/// are summed in `sums`; `None` when it holds or cannot be checked. `line`/`record` name the
/// closing balance in the file.
pub(crate) fn tie(
    st: &Statement,
    sums: &LineSums,
    line: usize,
    record: &str,
) -> Option<BalanceMismatch> {
    let (o, c) = (st.opening_balance.as_ref()?, st.closing_balance.as_ref()?);
    if o.currency != c.currency {
        return None;
    }
    if o.amount + sums.total == c.amount {
        return None;
    }
    if c.date
        .is_some_and(|day| o.amount + sums.through(day) == c.amount)
    {
        return None;
    }
    Some(BalanceMismatch {
        line,
        record: record.to_string(),
        opening: o.amount,
        lines_total: sums.total,
        closing: c.amount,
    })
}

/// Applies `policy` to the mismatches the readers found: [`BalancePolicy::Refuse`] fails on
/// the first; [`BalancePolicy::Warn`] adds each as a warning on its statement.
pub fn apply(policy: BalancePolicy, statements: &mut [Statement]) -> Result<(), StatementError> {
    for st in statements {
        let Some(m) = &st.balance_mismatch else {
            continue;
        };
        match policy {
            BalancePolicy::Refuse => return Err(m.to_error()),
            BalancePolicy::Warn => {
                let warning = format!("balances do not tie: {m}");
                st.warnings.push(warning);
            }
        }
    }
    Ok(())
}
