//! Tax lots and cost basis: return of capital against open lots, and the basis of a
//! redemption by FIFO, specific identification or average cost.
//!
//! # Rules
//! - **Return of capital** (ROC) is paid per share, so it is spread over the investor's open
//!   lots *pro rata by shares* with the largest-remainder rule of [`crate::allocation`]
//!   (ties to the earlier lot in acquisition order): the per-lot parts sum exactly to the ROC.
//!   Each lot's basis is reduced by its part, but never below zero; what a lot's part exceeds
//!   its remaining basis by is capital gain (ROC beyond basis). So for every application
//!   `Σ reductions + gain = ROC`, exactly. No open lots at all: the whole ROC is gain.
//! - **Re-applied return of capital**: when a reversal takes back a lot, the basis later
//!   distributions' ROC had taken off it is applied again to the investor's remaining open
//!   lots ([`reapply_return_of_capital`]): each amount by the rule above, over the lots held
//!   on its distribution's record date, in record-date order, each on the basis the previous
//!   ones left. Again `Σ reductions + gain = amount` for each, and no basis goes below zero.
//! - **Redemption basis**, for `n` shares sold on a date (only lots acquired on or before it):
//!   - *FIFO*: oldest lots first (acquisition date, then lot id).
//!   - *Specific identification*: the lots and share counts the investor names; they must
//!     exist, be open, not exceed a lot's shares, and sum to `n`.
//!   - *Average cost* (single category): basis relieved `= round½↑(B × n / S)` where `B`, `S`
//!     are the total basis and shares of the eligible lots; the shares themselves are taken
//!     FIFO (for the holding period) and the relieved basis is spread over them by largest
//!     remainder, so the parts sum exactly to it.
//!   - A lot sold whole relieves its whole basis; part of a lot relieves
//!     `round½↑(basis × taken / shares)` minor units. Selling every share relieves exactly the
//!     total basis under every method.
//!   - A part is long-term when the sale date is after the first anniversary of acquisition
//!     (held "more than one year").

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;

use crate::allocation::{integer_weights, largest_remainder};

/// One open tax lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    /// Lot id.
    pub id: String,
    /// Acquisition (trade) date.
    pub acquired: NaiveDate,
    /// Shares still held in it (≥ 0).
    pub shares: Decimal,
    /// Its adjusted cost basis in minor units (≥ 0).
    pub basis_minor: i64,
}

/// What went wrong with lots.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LotError {
    /// The amount or share count must be positive.
    #[error("{0}")]
    NotPositive(&'static str),
    /// More shares asked for than the lots hold.
    #[error("{requested} shares requested but only {available} are held in lots acquired on or before the sale date")]
    InsufficientShares {
        /// Requested.
        requested: Decimal,
        /// Held.
        available: Decimal,
    },
    /// A specific lot that does not exist (or is not eligible).
    #[error("lot '{0}' is not an open lot acquired on or before the sale date")]
    UnknownLot(String),
    /// The same lot named twice.
    #[error("lot '{0}' is named more than once")]
    DuplicateLot(String),
    /// More shares from a lot than it holds.
    #[error("lot '{lot}' holds {held} shares; {asked} requested")]
    LotTooSmall {
        /// Lot.
        lot: String,
        /// Shares in it.
        held: Decimal,
        /// Shares asked.
        asked: Decimal,
    },
    /// Specific lots whose shares do not add up to the redemption.
    #[error("the named lots add up to {named} shares, not the {requested} requested")]
    SpecificMismatch {
        /// Sum of the named shares.
        named: Decimal,
        /// Requested shares.
        requested: Decimal,
    },
    /// Numbers beyond exact arithmetic.
    #[error("amounts are too large to compute exactly")]
    Overflow,
}

/// The outcome of applying a return of capital to a list of lots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RocOutcome {
    /// Basis reduction per lot, in the order of the input lots.
    pub reductions: Vec<i64>,
    /// ROC beyond basis: capital gain.
    pub gain_minor: i64,
}

/// Applies `roc_minor` (≥ 0) to `lots` (in acquisition order); see the module docs.
pub fn apply_return_of_capital(lots: &[Lot], roc_minor: i64) -> Result<RocOutcome, LotError> {
    if roc_minor < 0 {
        return Err(LotError::NotPositive(
            "return of capital must not be negative",
        ));
    }
    let open: Vec<Decimal> = lots.iter().map(|l| l.shares.max(Decimal::ZERO)).collect();
    if roc_minor == 0 || open.iter().all(|s| s.is_zero()) {
        return Ok(RocOutcome {
            reductions: vec![0; lots.len()],
            gain_minor: roc_minor,
        });
    }
    let weights = integer_weights(&open).map_err(|_| LotError::Overflow)?;
    let parts = largest_remainder(roc_minor as u64, &weights).map_err(|_| LotError::Overflow)?;
    let mut reductions = Vec::with_capacity(lots.len());
    let mut gain = 0i64;
    for (lot, part) in lots.iter().zip(parts) {
        let part = part as i64;
        let reduction = part.min(lot.basis_minor.max(0));
        reductions.push(reduction);
        gain += part - reduction;
    }
    assert_eq!(reductions.iter().sum::<i64>() + gain, roc_minor);
    Ok(RocOutcome {
        reductions,
        gain_minor: gain,
    })
}

/// A return of capital to apply again after a reversal took back a lot: what a later
/// distribution's ROC had taken off that lot's basis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reapply {
    /// That distribution's record date: only lots acquired on or before it share the amount.
    pub record: NaiveDate,
    /// The amount, minor units (≥ 0).
    pub roc_minor: i64,
}

/// Applies each of `later` again to `lots` (an investor's remaining open lots, any order; see
/// the module docs): in record-date order (ties in input order), each by
/// [`apply_return_of_capital`] over the lots acquired on or before its record date, on the
/// basis the previous ones left. Returns one outcome per entry of `later`, in its order, with
/// reductions indexed like `lots` (0 for lots not held on that record date).
pub fn reapply_return_of_capital(
    lots: &[Lot],
    later: &[Reapply],
) -> Result<Vec<RocOutcome>, LotError> {
    let mut order: Vec<usize> = (0..lots.len()).collect();
    // Acquisition order, as the first application saw them (ties to the earlier lot).
    order.sort_by(|&a, &b| (lots[a].acquired, &lots[a].id).cmp(&(lots[b].acquired, &lots[b].id)));
    let mut turns: Vec<usize> = (0..later.len()).collect();
    turns.sort_by_key(|&i| later[i].record);
    let mut basis: Vec<i64> = lots.iter().map(|l| l.basis_minor.max(0)).collect();
    let mut out = vec![
        RocOutcome {
            reductions: Vec::new(),
            gain_minor: 0,
        };
        later.len()
    ];
    for t in turns {
        let held: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| lots[i].acquired <= later[t].record)
            .collect();
        let now: Vec<Lot> = held
            .iter()
            .map(|&i| Lot {
                basis_minor: basis[i],
                ..lots[i].clone()
            })
            .collect();
        let applied = apply_return_of_capital(&now, later[t].roc_minor)?;
        let mut reductions = vec![0; lots.len()];
        for (&i, r) in held.iter().zip(&applied.reductions) {
            reductions[i] = *r;
            basis[i] -= r;
        }
        out[t] = RocOutcome {
            reductions,
            gain_minor: applied.gain_minor,
        };
    }
    Ok(out)
}

/// Cost-basis method of a redemption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// First in, first out.
    Fifo,
    /// These lots and share counts.
    SpecificIdentification(Vec<(String, Decimal)>),
    /// Average cost (single category).
    AverageCost,
}

/// The method names on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodName {
    /// `FIFO`.
    Fifo,
    /// `SPECIFIC_ID`.
    SpecificId,
    /// `AVERAGE_COST`.
    AverageCost,
}

impl MethodName {
    /// The wire spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            MethodName::Fifo => "FIFO",
            MethodName::SpecificId => "SPECIFIC_ID",
            MethodName::AverageCost => "AVERAGE_COST",
        }
    }
}

impl FromStr for MethodName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "FIFO" => Ok(MethodName::Fifo),
            "SPECIFIC_ID" => Ok(MethodName::SpecificId),
            "AVERAGE_COST" => Ok(MethodName::AverageCost),
            other => Err(format!(
                "'{other}' is not a method; use FIFO, SPECIFIC_ID or AVERAGE_COST"
            )),
        }
    }
}

impl fmt::Display for MethodName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Shares taken from one lot by a redemption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Lot.
    pub lot_id: String,
    /// Its acquisition date.
    pub acquired: NaiveDate,
    /// Shares taken from it.
    pub shares: Decimal,
    /// Basis relieved, minor units.
    pub basis_minor: i64,
    /// Held more than one year on the sale date.
    pub long_term: bool,
}

/// The basis of a redemption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    /// Shares sold.
    pub shares: Decimal,
    /// Total basis relieved.
    pub basis_minor: i64,
    /// Per lot.
    pub parts: Vec<Part>,
}

/// Held more than one year: the sale is after the first anniversary of the acquisition.
pub fn is_long_term(acquired: NaiveDate, sold: NaiveDate) -> bool {
    acquired
        .checked_add_months(Months::new(12))
        .is_some_and(|anniversary| sold > anniversary)
}

/// `round½↑(basis × taken / held)`; the whole basis when everything is taken.
fn basis_of(basis: i64, taken: Decimal, held: Decimal) -> Result<i64, LotError> {
    if taken == held {
        return Ok(basis);
    }
    let w = integer_weights(&[taken, held]).map_err(|_| LotError::Overflow)?;
    let (t, h) = (w[0], w[1]);
    let b = u128::try_from(basis.max(0)).map_err(|_| LotError::Overflow)?;
    let num = b
        .checked_mul(t)
        .and_then(|v| v.checked_mul(2))
        .and_then(|v| v.checked_add(h))
        .ok_or(LotError::Overflow)?;
    i64::try_from(num / (2 * h)).map_err(|_| LotError::Overflow)
}

/// Lots eligible on `date`, in FIFO order.
fn eligible(lots: &[Lot], date: NaiveDate) -> Vec<&Lot> {
    let mut out: Vec<&Lot> = lots
        .iter()
        .filter(|l| l.acquired <= date && l.shares > Decimal::ZERO)
        .collect();
    out.sort_by(|a, b| a.acquired.cmp(&b.acquired).then(a.id.cmp(&b.id)));
    out
}

/// Shares taken FIFO from `lots` for `n` shares: (lot, taken).
fn take_fifo<'a>(lots: &[&'a Lot], n: Decimal) -> Vec<(&'a Lot, Decimal)> {
    let mut left = n;
    let mut out = Vec::new();
    for lot in lots {
        if left <= Decimal::ZERO {
            break;
        }
        let taken = left.min(lot.shares);
        out.push((*lot, taken));
        left -= taken;
    }
    out
}

/// The basis of selling `shares` on `date` by `method`; see the module docs.
pub fn redeem(
    lots: &[Lot],
    shares: Decimal,
    method: &Method,
    date: NaiveDate,
) -> Result<Redemption, LotError> {
    if shares <= Decimal::ZERO {
        return Err(LotError::NotPositive("shares must be greater than zero"));
    }
    let pool = eligible(lots, date);
    let available: Decimal = pool.iter().map(|l| l.shares).sum();
    if shares > available {
        return Err(LotError::InsufficientShares {
            requested: shares,
            available,
        });
    }
    let part = |lot: &Lot, taken: Decimal, basis: i64| Part {
        lot_id: lot.id.clone(),
        acquired: lot.acquired,
        shares: taken,
        basis_minor: basis,
        long_term: is_long_term(lot.acquired, date),
    };
    let parts: Vec<Part> = match method {
        Method::Fifo => take_fifo(&pool, shares)
            .into_iter()
            .map(|(lot, taken)| {
                Ok(part(
                    lot,
                    taken,
                    basis_of(lot.basis_minor, taken, lot.shares)?,
                ))
            })
            .collect::<Result<_, LotError>>()?,
        Method::SpecificIdentification(chosen) => {
            let mut seen = HashSet::new();
            let mut out = Vec::with_capacity(chosen.len());
            for (id, taken) in chosen {
                if !seen.insert(id.as_str()) {
                    return Err(LotError::DuplicateLot(id.clone()));
                }
                let lot = pool
                    .iter()
                    .find(|l| &l.id == id)
                    .ok_or_else(|| LotError::UnknownLot(id.clone()))?;
                if *taken <= Decimal::ZERO {
                    return Err(LotError::NotPositive(
                        "shares taken from a lot must be greater than zero",
                    ));
                }
                if *taken > lot.shares {
                    return Err(LotError::LotTooSmall {
                        lot: id.clone(),
                        held: lot.shares,
                        asked: *taken,
                    });
                }
                out.push(part(
                    lot,
                    *taken,
                    basis_of(lot.basis_minor, *taken, lot.shares)?,
                ));
            }
            let named: Decimal = out.iter().map(|p| p.shares).sum();
            if named != shares {
                return Err(LotError::SpecificMismatch {
                    named,
                    requested: shares,
                });
            }
            out
        }
        Method::AverageCost => {
            let total_basis: i64 = pool.iter().map(|l| l.basis_minor).sum();
            let relieved = basis_of(total_basis, shares, available)?;
            let taken = take_fifo(&pool, shares);
            let weights = integer_weights(&taken.iter().map(|(_, t)| *t).collect::<Vec<_>>())
                .map_err(|_| LotError::Overflow)?;
            let split =
                largest_remainder(relieved as u64, &weights).map_err(|_| LotError::Overflow)?;
            taken
                .into_iter()
                .zip(split)
                .map(|((lot, t), b)| part(lot, t, b as i64))
                .collect()
        }
    };
    let basis_minor = parts.iter().map(|p| p.basis_minor).sum();
    debug_assert_eq!(parts.iter().map(|p| p.shares).sum::<Decimal>(), shares);
    Ok(Redemption {
        shares,
        basis_minor,
        parts,
    })
}
