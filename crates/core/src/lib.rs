//! Clearway's pure core: the domain rules of fund distributions, with no I/O and no async.
//!
//! # Layout
//! - [`access`]: roles and permissions.
//! - [`money`]: ISO 4217 currencies and exact minor-unit amounts.
//! - [`components`]: the income components of a line and their fixed order.
//! - [`allocation`]: pro-rata (largest remainder), per-share and component splits.
//! - [`classes`]: share classes of open-end funds.
//! - [`calendar`]: business-day calendars (US Fed / ACH, NYSE) and roll rules.
//! - [`distribution`]: schedules, components, statuses and their legal transitions.
//! - [`retry`]: retry schedules of jobs and webhooks.
//! - [`schedules`]: recurring distribution schedules: periods and the dates of each.
//! - [`payments`]: payment methods and status machine, FX rounding, NACHA return codes, checks.
//! - [`reconciliation`]: matching bank statement lines to payments, with a seeded simulator.
//! - [`recovery`]: receivables after a reversal, offsets, the ACH reversing-entry window.
//! - [`reinvestment`]: DRIP elections, NAV at a date, and the split of a line into shares and cash.
//! - [`forecast`]: forecasting models, backtest selection, trend, the Yale model, liquidity.
//! - [`tax`]: tax profiles, withholding, 1099-DIV, 1042-S, K-1 figures, re-characterization.
//! - [`taxlots`]: tax lots, return of capital against basis, FIFO / specific / average-cost basis.
//! - [`waterfall`]: private-fund distribution waterfalls (European / American) and the GP clawback.
//! - [`notifications`]: event kinds, channels, locales and the locked disclosures of notices.
//! - [`input`]: strict grammars of input text: dates, control characters, safe excerpts.
//! - [`error`]: field-named validation errors.

#[macro_use]
mod macros;

pub mod access;
pub mod allocation;
pub mod calendar;
pub mod capital;
pub mod classes;
pub mod components;
pub mod distribution;
pub mod error;
pub mod forecast;
pub mod inkind;
pub mod input;
pub mod money;
pub mod notifications;
pub mod outbound;
pub mod payments;
pub mod reconciliation;
pub mod recovery;
pub mod reinvestment;
pub mod retry;
pub mod schedules;
pub mod sync;
pub mod tax;
pub mod taxlots;
pub mod waterfall;

pub use error::{FieldError, Invalid};
pub use money::Currency;
