//! The distribution lifecycle: declare, edit, submit, approve, process, cancel, reverse.
//!
//! Every service runs in one transaction that also writes its audit entry and outbox event
//! ([`trail`]), so a change is never visible without its trail. Services that the HTTP shell
//! wraps in its idempotent write path take that path's `&mut Tx`; the others own their
//! transaction and take the `&Db`.
//!
//! # Layout
//! - [`command`]: typed commands ([`DistributionCommand`], [`ReversalCommand`]) and the
//!   [`DistributionInput`] a request implements to be read in its fund's currency.
//! - [`lifecycle`]: [`create`], [`update`], [`update_line`], [`transition`].
//! - [`preview`]: [`preview`] (the lines a declaration would get, nothing written).
//! - [`reversal`]: [`reverse`] (a linked reversing distribution, optionally a correction).
//! - [`stale`]: approve/process refuse stale allocations, [`reallocate`], and the processing
//!   hook that flags the open distributions whose record-date holdings it changed.
//! - [`trail`]: the audit entry and event of a change, and the [`snapshot`] they carry.

pub mod command;
pub mod lifecycle;
pub mod preview;
pub mod reversal;
pub mod stale;
pub mod trail;

pub use command::{DistributionCommand, DistributionInput, ReversalCommand};
pub use lifecycle::{create, transition, update, update_line};
pub use preview::{preview, Preview};
pub use reversal::{reverse, Reversal};
pub use stale::{reallocate, Reallocation};
pub use trail::{snapshot, trail};

/// Job kind of distribution processing (enqueued when a distribution goes to `PROCESSING`).
pub const PROCESS_JOB: &str = "distribution.process";
