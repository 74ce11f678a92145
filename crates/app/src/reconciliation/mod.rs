//! Bank reconciliation: statement import (reading bank files and storing their lines) and
//! matching (the core's matcher over the store's open lines and payments), with manual match
//! and unmatch. Every service runs in one transaction with its audit entry and event.

pub mod import;
pub mod simulation;

pub use import::{import, prepare, ImportOptions, ImportOutcome, MATCH_JOB};
pub use simulation::simulation_bai2;
