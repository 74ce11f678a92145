//! Distributions: schedule rules, tax components, the status machine, and line planning.

use std::collections::HashSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::allocation::{integer_weights, largest_remainder, per_share_amount, ComponentRatios};
pub use crate::components::{ComponentKind, Components};
use crate::error::{FieldError, Invalid};
use crate::money::Currency;

pub mod fingerprint;

/// The dates of a distribution: declaration < record < payable, ex-date ≤ record date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Day the board or GP declared it.
    pub declaration: NaiveDate,
    /// Ex-dividend date (open-end funds); absent for partnerships.
    pub ex: Option<NaiveDate>,
    /// Holdings as of this date decide who is paid.
    pub record: NaiveDate,
    /// Day the money is due to investors.
    pub payable: NaiveDate,
}

impl Schedule {
    /// Checks the date order rules; every broken rule names its field.
    pub fn new(
        declaration: NaiveDate,
        ex: Option<NaiveDate>,
        record: NaiveDate,
        payable: NaiveDate,
    ) -> Result<Schedule, Invalid> {
        let mut errors = Vec::new();
        if declaration >= record {
            errors.push(FieldError::new(
                "recordDate",
                format!("record date {record} must be after the declaration date {declaration}"),
            ));
        }
        if record >= payable {
            errors.push(FieldError::new(
                "payableDate",
                format!("payable date {payable} must be after the record date {record}"),
            ));
        }
        if let Some(ex) = ex {
            if ex > record {
                errors.push(FieldError::new(
                    "exDate",
                    format!("ex-date {ex} must not be after the record date {record}"),
                ));
            }
            if ex < declaration {
                errors.push(FieldError::new(
                    "exDate",
                    format!("ex-date {ex} must not be before the declaration date {declaration}"),
                ));
            }
        }
        if errors.is_empty() {
            Ok(Schedule {
                declaration,
                ex,
                record,
                payable,
            })
        } else {
            Err(Invalid(errors))
        }
    }
}

/// Parses an ISO date field ("2026-03-31"); the strict grammar lives in [`crate::input`].
pub use crate::input::parse_date;

string_enum! {
    /// Where a distribution is in its life.
    Status {
        /// Being prepared; editable.
        Draft => "DRAFT",
        /// Submitted for approval; still editable (an edit sends it back to DRAFT).
        Ready => "READY",
        /// Approved by someone other than its maker.
        Approved => "APPROVED",
        /// The processing job is running.
        Processing => "PROCESSING",
        /// Processed; never edited again, only reversed.
        Completed => "COMPLETED",
        /// Abandoned before processing.
        Cancelled => "CANCELLED",
    }
}

string_enum! {
    /// Where one investor's line is.
    LineStatus {
        /// Nothing has happened to it yet.
        Pending => "PENDING",
        /// A payment has been instructed.
        PaymentInitiated => "PAYMENT_INITIATED",
        /// The payment has arrived.
        Paid => "PAID",
        /// Fully reinvested.
        Reinvested => "REINVESTED",
        /// Payment failed.
        Failed => "FAILED",
        /// A reversal line whose original cash had left: owed back as a receivable.
        Receivable => "RECEIVABLE",
        /// A reversal line whose original cash never left: nothing paid, nothing owed.
        NothingOwed => "NOTHING_OWED",
        /// Its whole cash part settled an earlier receivable of the investor (no payment).
        Offset => "OFFSET",
    }
}

string_enum! {
    /// Why a distribution exists.
    Kind {
        /// An ordinary declared distribution.
        Regular => "REGULAR",
        /// Negates (part of) a completed distribution.
        Reversal => "REVERSAL",
        /// Replaces a reversed distribution with corrected amounts.
        Correction => "CORRECTION",
    }
}

string_enum! {
    /// The family of a fund, which decides what holdings mean.
    FundKind {
        /// Mutual fund, interval fund, BDC, REIT: holdings are shares.
        OpenEnd => "OPEN_END",
        /// LP fund: holdings are ownership percentages / capital.
        Partnership => "PARTNERSHIP",
    }
}

/// What a user asks to do to a distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Change dates, description or lines.
    Edit,
    /// Submit for approval.
    MarkReady,
    /// Four-eyes approval.
    Approve,
    /// Start processing.
    Process,
    /// The processing job finished.
    Complete,
    /// Abandon it.
    Cancel,
    /// Recompute the lines from the current record-date holdings with the same allocation.
    Reallocate,
}

impl Action {
    /// Verb used in error messages.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Edit => "edit",
            Action::MarkReady => "mark ready",
            Action::Approve => "approve",
            Action::Process => "process",
            Action::Complete => "complete",
            Action::Cancel => "cancel",
            Action::Reallocate => "reallocate",
        }
    }
}

/// An action that the current status does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a distribution in status {current}", action.verb())]
pub struct IllegalTransition {
    /// Status the distribution is in.
    pub current: Status,
    /// What was attempted.
    pub action: Action,
}

impl Status {
    /// The status after `action`, or why it is not allowed. The whole state machine is here.
    pub fn apply(self, action: Action) -> Result<Status, IllegalTransition> {
        use Status::*;
        let next = match (self, action) {
            (Draft | Ready, Action::Edit) => Draft,
            (Draft, Action::MarkReady) => Ready,
            (Ready, Action::Approve) => Approved,
            (Approved, Action::Process) => Processing,
            (Processing, Action::Complete) => Completed,
            (Draft | Ready | Approved, Action::Cancel) => Cancelled,
            // Recomputed amounts keep a submission, but an approval was of the old amounts:
            // an APPROVED distribution goes back to READY and is approved again.
            (Draft, Action::Reallocate) => Draft,
            (Ready | Approved, Action::Reallocate) => Ready,
            (current, action) => return Err(IllegalTransition { current, action }),
        };
        Ok(next)
    }

    /// Every status, for filters and docs.
    pub const ALL: [Status; 6] = [
        Status::Draft,
        Status::Ready,
        Status::Approved,
        Status::Processing,
        Status::Completed,
        Status::Cancelled,
    ];
}

/// One investor's holding on the record date (shares, or ownership for partnerships).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    /// Investor it belongs to.
    pub investor_id: String,
    /// Shares or ownership units; never negative.
    pub units: Decimal,
}

/// An explicitly given line, already parsed to minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplicitLine {
    /// Investor to pay.
    pub investor_id: String,
    /// Line total in minor units.
    pub total: i64,
    /// Components (must sum to `total`).
    pub components: Components,
}

/// How the amounts of a new distribution are decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allocation {
    /// A declared total split by record-date holdings.
    ProRata {
        /// Total in minor units.
        total: i64,
        /// Split of each line into components.
        ratios: ComponentRatios,
    },
    /// A rate per share (or per unit) applied to record-date holdings.
    PerShare {
        /// Amount per unit, in currency units (e.g. 0.0725).
        rate: Decimal,
        /// Split of each line into components.
        ratios: ComponentRatios,
    },
    /// Amounts given per investor.
    Explicit(Vec<ExplicitLine>),
}

/// A line as it will be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLine {
    /// Investor paid.
    pub investor_id: String,
    /// Units held on the record date that the amount was computed from (None if explicit).
    pub units: Option<Decimal>,
    /// Total in minor units.
    pub total: i64,
    /// Components, summing to `total`.
    pub components: Components,
}

/// Computes the lines of a distribution. `holdings` are the record-date holdings of the fund,
/// sorted by investor id; `fund_investors` are all investors that belong to the fund.
/// Zero-amount lines (holders too small for one minor unit) are left out.
pub fn plan_lines(
    currency: Currency,
    allocation: &Allocation,
    holdings: &[Holding],
    fund_investors: &HashSet<&str>,
) -> Result<Vec<PlannedLine>, Invalid> {
    debug_assert!(holdings
        .windows(2)
        .all(|w| w[0].investor_id < w[1].investor_id));
    let held: Vec<&Holding> = holdings.iter().filter(|h| !h.units.is_zero()).collect();
    let lines = match allocation {
        Allocation::ProRata { total, ratios } => {
            let weights = integer_weights(&held.iter().map(|h| h.units).collect::<Vec<_>>())
                .map_err(|e| FieldError::new("allocation", e.to_string()))?;
            let amounts = largest_remainder(total.unsigned_abs(), &weights).map_err(|e| {
                FieldError::new("allocation.total", format!("cannot allocate: {e}"))
            })?;
            held.iter()
                .zip(amounts)
                .filter(|(_, amount)| *amount > 0)
                .map(|(h, amount)| PlannedLine {
                    investor_id: h.investor_id.clone(),
                    units: Some(h.units),
                    total: amount as i64,
                    components: ratios.split(amount as i64),
                })
                .collect::<Vec<_>>()
        }
        Allocation::PerShare { rate, ratios } => {
            if held.is_empty() {
                return Err(FieldError::new(
                    "allocation",
                    "no investor holds units on the record date",
                )
                .into());
            }
            let mut lines = Vec::with_capacity(held.len());
            for h in held {
                let amount = per_share_amount(h.units, *rate, currency.minor_units())
                    .ok_or_else(|| FieldError::new("allocation.rate", "amount is too large"))?;
                if amount > 0 {
                    lines.push(PlannedLine {
                        investor_id: h.investor_id.clone(),
                        units: Some(h.units),
                        total: amount,
                        components: ratios.split(amount),
                    });
                }
            }
            lines
        }
        Allocation::Explicit(given) => {
            let mut errors = Vec::new();
            let mut seen = HashSet::new();
            for (i, line) in given.iter().enumerate() {
                if !fund_investors.contains(line.investor_id.as_str()) {
                    errors.push(FieldError::new(
                        format!("lines[{i}].investorId"),
                        format!(
                            "investor '{}' is not an investor of this fund",
                            line.investor_id
                        ),
                    ));
                }
                if !seen.insert(line.investor_id.as_str()) {
                    errors.push(FieldError::new(
                        format!("lines[{i}].investorId"),
                        format!("investor '{}' appears more than once", line.investor_id),
                    ));
                }
                errors.extend(check_line(
                    &format!("lines[{i}]"),
                    line.total,
                    &line.components,
                ));
            }
            if !errors.is_empty() {
                return Err(Invalid(errors));
            }
            let mut lines: Vec<PlannedLine> = given
                .iter()
                .map(|l| PlannedLine {
                    investor_id: l.investor_id.clone(),
                    units: None,
                    total: l.total,
                    components: l.components,
                })
                .collect();
            lines.sort_by(|a, b| a.investor_id.cmp(&b.investor_id));
            lines
        }
    };
    if lines.is_empty() {
        return Err(FieldError::new("allocation", "the distribution has no lines").into());
    }
    let total = lines
        .iter()
        .try_fold(0i64, |sum, l| sum.checked_add(l.total));
    match total {
        Some(t) if t <= crate::money::AMOUNT_MAX_MINOR => Ok(lines),
        _ => Err(FieldError::new(
            "allocation",
            "the distribution's total exceeds the largest amount accepted",
        )
        .into()),
    }
}

/// Checks a positive line: amounts positive, components non-negative and tying out.
pub fn check_line(path: &str, total: i64, components: &Components) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if total <= 0 {
        errors.push(FieldError::new(
            format!("{path}.totalAmount"),
            "must be greater than zero",
        ));
    }
    for kind in ComponentKind::ALL {
        if components.get(kind) < 0 {
            errors.push(FieldError::new(
                format!("{path}.{kind}"),
                "must not be negative",
            ));
        }
    }
    if components.foreign_tax < 0 || components.withholding < 0 {
        errors.push(FieldError::new(
            format!("{path}.withholding"),
            "foreign tax and withholding must not be negative",
        ));
    }
    if components.withholding > total {
        errors.push(FieldError::new(
            format!("{path}.withholding"),
            "withholding cannot exceed the line total",
        ));
    }
    if components.income_sum() != total {
        errors.push(FieldError::new(
            format!("{path}.totalAmount"),
            format!(
                "components sum to {} minor units but the total is {}",
                components.income_sum(),
                total
            ),
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn schedule_rules() {
        assert!(Schedule::new(
            date("2026-03-02"),
            None,
            date("2026-03-16"),
            date("2026-03-31")
        )
        .is_ok());
        let err = Schedule::new(
            date("2026-03-16"),
            None,
            date("2026-03-16"),
            date("2026-03-10"),
        )
        .unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["recordDate", "payableDate"]);
        let err = Schedule::new(
            date("2026-03-02"),
            Some(date("2026-03-17")),
            date("2026-03-16"),
            date("2026-03-31"),
        )
        .unwrap_err();
        assert_eq!(err.0[0].field, "exDate");
    }

    #[test]
    fn state_machine() {
        use Status::*;
        assert_eq!(Draft.apply(Action::MarkReady), Ok(Ready));
        assert_eq!(Ready.apply(Action::Approve), Ok(Approved));
        assert_eq!(Ready.apply(Action::Edit), Ok(Draft));
        assert_eq!(Approved.apply(Action::Process), Ok(Processing));
        assert_eq!(Processing.apply(Action::Complete), Ok(Completed));
        assert_eq!(Draft.apply(Action::Reallocate), Ok(Draft));
        assert_eq!(Ready.apply(Action::Reallocate), Ok(Ready));
        assert_eq!(Approved.apply(Action::Reallocate), Ok(Ready));
        assert!(Processing.apply(Action::Reallocate).is_err());
        let err = Draft.apply(Action::Approve).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot approve a distribution in status DRAFT"
        );
        assert!(Processing.apply(Action::Cancel).is_err());
        assert!(Completed.apply(Action::Edit).is_err());
        assert!(Cancelled.apply(Action::MarkReady).is_err());
        // Exhaustive: terminal statuses accept nothing.
        for action in [
            Action::Edit,
            Action::MarkReady,
            Action::Approve,
            Action::Process,
            Action::Complete,
            Action::Cancel,
            Action::Reallocate,
        ] {
            assert!(Completed.apply(action).is_err());
            assert!(Cancelled.apply(action).is_err());
        }
    }

    #[test]
    fn explicit_lines_are_checked() {
        let investors: HashSet<&str> = ["a", "b"].into_iter().collect();
        let c = Components {
            ordinary_dividend: 100,
            ..Components::default()
        };
        let good = ExplicitLine {
            investor_id: "b".into(),
            total: 100,
            components: c,
        };
        let lines = plan_lines(
            Currency::USD,
            &Allocation::Explicit(vec![good.clone()]),
            &[],
            &investors,
        )
        .unwrap();
        assert_eq!(lines[0].total, 100);

        let wrong_sum = ExplicitLine {
            total: 101,
            ..good.clone()
        };
        let unknown = ExplicitLine {
            investor_id: "z".into(),
            ..good.clone()
        };
        let err = plan_lines(
            Currency::USD,
            &Allocation::Explicit(vec![good.clone(), good.clone(), wrong_sum, unknown]),
            &[],
            &investors,
        )
        .unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "lines[1].investorId",
                "lines[2].investorId",
                "lines[2].totalAmount",
                "lines[3].investorId"
            ]
        );
    }

    #[test]
    fn pro_rata_over_awkward_holdings_ties_out() {
        let holdings: Vec<Holding> = [
            ("a", "0.001"),
            ("b", "333.3333"),
            ("c", "333.3333"),
            ("d", "0"),
            ("e", "333.3334"),
        ]
        .iter()
        .map(|(i, u)| Holding {
            investor_id: i.to_string(),
            units: u.parse().unwrap(),
        })
        .collect();
        let alloc = Allocation::ProRata {
            total: 100_000_001,
            ratios: ComponentRatios::all_ordinary(),
        };
        let lines = plan_lines(Currency::USD, &alloc, &holdings, &HashSet::new()).unwrap();
        assert_eq!(lines.iter().map(|l| l.total).sum::<i64>(), 100_000_001);
        let ids: Vec<_> = lines.iter().map(|l| l.investor_id.as_str()).collect();
        assert_eq!(ids, vec!["a", "b", "c", "e"], "zero holder has no line");
        assert_eq!(lines[0].total, 100); // 0.001 / 1000.0010 of 1,000,000.01 = 1.0000000 → 100 cents
    }

    #[test]
    fn per_share_totals_are_the_sum_of_rounded_lines() {
        let holdings = vec![
            Holding {
                investor_id: "a".into(),
                units: "10.5".parse().unwrap(),
            },
            Holding {
                investor_id: "b".into(),
                units: "0.1".parse().unwrap(),
            },
        ];
        let alloc = Allocation::PerShare {
            rate: "0.0725".parse().unwrap(),
            ratios: ComponentRatios::all_ordinary(),
        };
        let lines = plan_lines(Currency::USD, &alloc, &holdings, &HashSet::new()).unwrap();
        // 10.5 × 0.0725 = 0.76125 → 0.76 ; 0.1 × 0.0725 = 0.00725 → 0.01
        assert_eq!(
            lines.iter().map(|l| l.total).collect::<Vec<_>>(),
            vec![76, 1]
        );
    }
}
