//! Clearway's pure core: the domain rules of fund distributions, with no I/O and no async.
//!
//! # Layout
//! - [`money`]: ISO 4217 currencies and exact minor-unit amounts.
//! - [`allocation`]: pro-rata (largest remainder), per-share and component splits.
//! - [`distribution`]: schedules, components, statuses and their legal transitions.
//! - [`error`]: field-named validation errors.

pub mod allocation;
pub mod distribution;
pub mod error;
pub mod money;

pub use error::{FieldError, Invalid};
pub use money::Currency;
