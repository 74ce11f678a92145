//! Paying investors: payees (bank accounts), payments, rails (NACHA, pain.001, checks),
//! provider connectors (Modern Treasury-style payment orders, Stripe-style payouts), signed
//! provider webhooks, failures and retries, FX.
//!
//! Money only ever goes OUT: every instruction we produce is a credit to the investor (NACHA
//! transaction codes 22/32, pain.001 credit transfers, checks, provider credits/payouts).
//!
//! The application services (building payments, retries, rail jobs, provider connectors, the
//! vault, [`PaymentsConfig`]) live in [`clearway_app::payments`] and are re-exported here.
//!
//! # Layout
//! - this file: the job-handler adapter, routes and OpenAPI list.
//! - [`webhooks`]: provider status webhooks (signature, timestamp tolerance, replay guard).
//! - [`bank_accounts`]: bank-account (payee) endpoints and verification.
//! - [`routes`], [`dto`]: the payments, review queues, batches, returns, NOC suggestions,
//!   checks and FX endpoints (a file per resource) and their shapes.

pub mod bank_accounts;
pub mod dto;
pub mod pages;
pub mod routes;
pub mod webhooks;

use axum::Router;
use clearway_store::jobs::Job;
use utoipa::OpenApi;

use crate::jobs::JobError;
use crate::state::AppState;

// The application services live in `clearway_app::payments`; their public paths stay
// reachable here for the CLI and the tests.
pub use clearway_app::payments::{
    connectors, rails, service, step, vault, Originator, PaymentsConfig, PlaidConfig,
    ProviderConfig, SendVia, Vault,
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(routes::router())
        .merge(bank_accounts::router())
        .merge(webhooks::router())
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(
    paths(
        bank_accounts::list, bank_accounts::create, bank_accounts::get_one,
        bank_accounts::replace, bank_accounts::remove, bank_accounts::make_default,
        bank_accounts::start_micro_deposits, bank_accounts::confirm_micro_deposits,
        bank_accounts::plaid_verify,
        routes::payments::list_for_distribution, routes::payments::initiate,
        routes::payments::retry, routes::payments::status,
        routes::review::review_queue, routes::review::unclaimed, routes::preflight::preflight,
        routes::batches::list_batches, routes::batches::get_batch, routes::batches::download_batch,
        routes::returns::import_returns, routes::status_reports::import_status_report,
        routes::noc::list_suggestions, routes::noc::accept_suggestion, routes::noc::reject_suggestion,
        routes::checks::positive_pay, routes::checks::void_check, routes::checks::stale_date_checks,
        routes::fx::import_rates, routes::fx::import_rates_csv, routes::fx::list_rates,
        webhooks::modern_treasury, webhooks::stripe,
    ),
    components(schemas(
        dto::BankAccountRequest, dto::AddressDto, dto::BankAccountView, dto::ConfirmRequest,
        dto::PlaidRequest, dto::PaymentView, dto::PaymentStatusView, dto::PaymentEventView,
        dto::BatchView, dto::ReturnsOutcome, dto::SuggestionView, dto::FxRateRequest,
        dto::FxRatesRequest, dto::FxRateView, dto::InitiateResult, dto::StaleResult,
        dto::VerifyResult, dto::FxImportResult, routes::StaleRequest, dto::PreflightView,
        dto::OversizedLineView, dto::OversizedSummary, dto::StatusReportView,
        dto::StatusReportItemView, dto::BankStatusView,
    )),
    tags((name = "payments", description = "Payees, payments, bank files, providers, FX")),
)]
pub struct ApiDoc;

/// Runs a job whose kind starts with `payment.` (the adapter of
/// [`clearway_app::payments::run_job`]): passes the database, the payments settings and the
/// shared HTTP client, then wakes the workers (a run may enqueue jobs and write events).
pub async fn run_job(state: &AppState, job: &Job, worker_id: &str) -> Result<(), JobError> {
    clearway_app::payments::run_job(
        &state.db,
        &state.config.payments,
        &state.http,
        job,
        worker_id,
    )
    .await?;
    state.jobs_ready.notify_waiters();
    state.events_ready.notify_one();
    Ok(())
}
