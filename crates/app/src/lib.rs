//! Clearway's application layer: for each capability, the services that run the pure core and
//! the store together in one transaction (state, audit entry and outbox event commit at once).
//! It knows nothing of HTTP: the server's routes, the job workers and the CLI call it with
//! typed commands and map [`AppError`] once at their own boundary.
//!
//! # Layout
//! - [`access`]: users and API tokens (create, disable, issue, revoke), audited.
//! - [`classes`]: share classes of open-end funds and per-class distributions.
//! - [`distributions`]: the distribution lifecycle (declare, edit, transition, reverse) and
//!   the trail (audit entry + event) of every change.
//! - [`documents`]: investor documents (notice, statement, tax summary) rendered, stored once
//!   per version, audited; [`documents::notice_pdf`] for the notification engine.
//! - [`error`]: [`AppError`], the one error of this layer.
//! - [`events`]: webhook subscriptions, and the outbox relay's bookkeeping (fan-out into
//!   deliveries, attempts recorded with their retry).
//! - [`forecast`]: distribution forecasts, scenarios, trends, the liquidity plan, stored
//!   forecasts and their recorded errors, the Yale projection of partnerships.
//! - [`jobs`]: how a job run fails ([`jobs::JobError`]), for handlers and workers.
//! - [`notifications`]: the notification engine, its channels and delivery tracking.
//! - [`payments`]: building, retrying and sending payments (rails, provider connectors, vault),
//!   and settling their outcomes.
//! - [`processing`]: the `distribution.process` job: tie-out, reinvestment, payments and
//!   completion of a distribution in one transaction.
//! - [`reconciliation`]: bank statement import ([`reconciliation::import`]), matching runs,
//!   manual match/unmatch.
//! - [`recovery`]: receivables after a reversal, offsets, collections, ACH reversing entries.
//! - [`reinvestment`]: NAV imports, the reinvestment step of processing and its pre-flight
//!   check.
//! - [`waterfall`]: partnership waterfalls: terms, hypothetical runs, a run declared as a
//!   distribution, the GP clawback.
//! - [`schedules`]: recurring schedules and their materialization into DRAFT distributions.

pub mod access;
pub mod capital;
pub mod classes;
pub mod distributions;
pub mod documents;
pub mod error;
pub mod events;
pub mod forecast;
pub mod inkind;
pub mod jobs;
pub mod notifications;
pub mod outbound;
pub mod payments;
pub mod processing;
pub mod reconciliation;
pub mod recovery;
pub mod reinvestment;
pub mod schedules;
pub mod sync;
pub mod tax;
pub mod waterfall;

pub use error::{AppError, AppResult};
