//! Clearway's application layer: for each capability, the services that run the pure core and
//! the store together in one transaction (state, audit entry and outbox event commit at once).
//! It knows nothing of HTTP: the server's routes, the job workers and the CLI call it with
//! typed commands and map [`AppError`] once at their own boundary.
//!
//! # Layout
//! - [`error`]: [`AppError`], the one error of this layer.
//! - [`jobs`]: how a job run fails ([`jobs::JobError`]), for handlers and workers.
//! - [`reinvestment`]: the reinvestment step of processing and its pre-flight check.

pub mod error;
pub mod jobs;
pub mod reinvestment;

pub use error::{AppError, AppResult};
