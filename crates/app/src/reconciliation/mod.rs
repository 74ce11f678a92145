//! Bank reconciliation: statement import (reading bank files and storing their lines) and
//! matching (the core's matcher over the store's open lines and payments), with manual match
//! and unmatch. Every service runs in one transaction with its audit entry and event.
//!
//! - [`import`]: reading a bank file and storing it with its matching job.
//! - [`run()`]: the matching run; [`manual_match`] and [`unmatch`] by hand ([`unmatch_now`] in
//!   its own transaction).
//! - [`simulation_bai2`]: the BAI2 file a bank would send (rehearsals, benchmarks, tests).
//! - Settling matched payments happens in one place (`settlement::settle`).

pub mod import;
pub mod simulation;

mod matches;
mod run;
mod settlement;
mod views;

pub use import::{import, prepare, ImportOptions, ImportOutcome, MATCH_JOB};
pub use matches::{
    approve_match_request, manual_match, unmatch, unmatch_now, ManualMatch, ManualOutcome,
};
pub use run::{match_job, run, run_now};
pub use simulation::simulation_bai2;
pub use views::{match_json, run_json};
