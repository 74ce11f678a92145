//! Paying investors: payees (bank accounts), payments, rails (NACHA, pain.001, checks),
//! provider connectors (Modern Treasury-style payment orders, Stripe-style payouts), signed
//! provider webhooks, failures and retries, FX.
//!
//! Money only ever goes OUT: every instruction we produce is a credit to the investor (NACHA
//! transaction codes 22/32, pain.001 credit transfers, checks, provider credits/payouts).
//!
//! # Layout
//! - this file: configuration, the processing step, job dispatch, routes and OpenAPI list.
//! - [`service`]: building payments (payee, FX), retries, re-queues after a payee update.
//! - [`rails`]: the rail jobs producing NACHA files, pain.001 files and check registers (the
//!   bytes written by `clearway_formats`), per rail; return files.
//! - [`connectors`]: HTTP clients of the providers and of the Plaid-style verifier.
//! - [`webhooks`]: provider status webhooks (signature, timestamp tolerance, replay guard).
//! - [`payees`]: bank-account endpoints and verification.
//! - [`routes`], [`dto`]: the payments, review queues, batches, returns, NOC suggestions,
//!   checks and FX endpoints (a file per resource) and their shapes.
//! - [`vault`]: AES-256-GCM sealing of account numbers and files, with key rotation.

pub mod connectors;
pub mod dto;
pub mod payees;
pub mod rails;
pub mod routes;
pub mod service;
pub mod vault;
pub mod webhooks;

use std::fmt;
use std::time::Duration;

use axum::Router;
use clearway_core::distribution::Kind;
use clearway_store::distributions::Distribution;
use clearway_store::jobs::Job;
use clearway_store::{Actor, Tx};
use utoipa::OpenApi;

use crate::jobs::JobError;
use crate::state::AppState;
pub use vault::Vault;

/// Who we are towards the bank: the fund's originator details written into files.
#[derive(Debug, Clone)]
pub struct Originator {
    /// NACHA company name (16) and pain.001 debtor / initiating party name.
    pub company_name: String,
    /// NACHA company identification (10), e.g. `1` + EIN.
    pub company_id: String,
    /// Our bank's (ODFI) 9-digit routing number; trace numbers start with its first 8 digits.
    pub odfi_routing: String,
    /// Immediate destination name (our bank).
    pub bank_name: String,
    /// Debtor account (the fund's disbursement account) for pain.001 and positive pay.
    pub account_number: String,
    /// Our bank's BIC (pain.001 debtor agent).
    pub bank_bic: String,
}

impl Default for Originator {
    fn default() -> Self {
        Originator {
            company_name: "CLEARWAY FUNDS".into(),
            company_id: "1234567890".into(),
            // JPMorgan Chase, NY: a real, check-digit-valid routing number for demos.
            odfi_routing: "021000021".into(),
            bank_name: "JPMORGAN CHASE".into(),
            account_number: "000123456789".into(),
            bank_bic: "CHASUS33".into(),
        }
    }
}

/// A provider's endpoint and credentials.
#[derive(Clone)]
pub struct ProviderConfig {
    /// Base URL, e.g. `https://app.moderntreasury.com`.
    pub base_url: String,
    /// Organization id (Modern Treasury basic-auth user); unused by Stripe.
    pub organization_id: String,
    /// API key (basic-auth password / bearer key).
    pub api_key: String,
    /// Our originating account at the provider (payment orders).
    pub originating_account_id: String,
    /// Secret the provider signs its webhooks with.
    pub webhook_secret: String,
}

// Credentials never reach a log line.
impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProviderConfig({}, secrets redacted)", self.base_url)
    }
}

/// The Plaid-style account verification service.
#[derive(Clone)]
pub struct PlaidConfig {
    /// Base URL.
    pub base_url: String,
    /// Client id.
    pub client_id: String,
    /// Secret.
    pub secret: String,
}

impl fmt::Debug for PlaidConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlaidConfig({}, secrets redacted)", self.base_url)
    }
}

/// How ACH and wire payments leave: as files for the bank, or through a provider's API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendVia {
    /// NACHA and pain.001 files (downloaded by an operator or picked up by the bank).
    Files,
    /// Modern Treasury-style payment orders, falling back to Stripe-style payouts.
    Providers,
}

/// Settings of the payments capability.
#[derive(Debug, Clone)]
pub struct PaymentsConfig {
    /// Keys sealing account numbers and files.
    pub vault: Vault,
    /// Our details in bank files.
    pub originator: Originator,
    /// Files or providers (checks are always printed from the register).
    pub send_via: SendVia,
    /// Primary provider.
    pub modern_treasury: Option<ProviderConfig>,
    /// Fallback provider.
    pub stripe: Option<ProviderConfig>,
    /// Account verification service.
    pub plaid: Option<PlaidConfig>,
    /// Largest clock difference accepted on a signed webhook.
    pub webhook_tolerance: Duration,
    /// Timeout of one provider call.
    pub provider_timeout: Duration,
    /// First check number of the register.
    pub first_check_number: i64,
    /// Age at which an uncashed check is stale-dated.
    pub stale_check_days: u32,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        PaymentsConfig {
            vault: Vault::dev(),
            originator: Originator::default(),
            send_via: SendVia::Files,
            modern_treasury: None,
            stripe: None,
            plaid: None,
            webhook_tolerance: Duration::from_secs(300),
            provider_timeout: Duration::from_secs(15),
            first_check_number: 100_001,
            stale_check_days: clearway_core::payments::checks::STALE_AFTER_DAYS_DEFAULT,
        }
    }
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(routes::router())
        .merge(payees::router())
        .merge(webhooks::router())
}

/// The OpenAPI paths of this module (merged into the API document).
#[derive(OpenApi)]
#[openapi(
    paths(
        payees::list, payees::create, payees::get_one, payees::replace, payees::remove,
        payees::make_default, payees::start_micro_deposits, payees::confirm_micro_deposits,
        payees::plaid_verify,
        routes::payments::list_for_distribution, routes::payments::initiate,
        routes::payments::retry, routes::payments::status,
        routes::review::review_queue, routes::review::unclaimed,
        routes::batches::list_batches, routes::batches::get_batch, routes::batches::download_batch,
        routes::returns::import_returns,
        routes::noc::list_suggestions, routes::noc::accept_suggestion, routes::noc::reject_suggestion,
        routes::checks::positive_pay, routes::checks::void_check, routes::checks::stale_date_checks,
        routes::fx::import_rates, routes::fx::import_rates_csv, routes::fx::list_rates,
        webhooks::modern_treasury, webhooks::stripe,
    ),
    components(schemas(
        dto::BankAccountRequest, dto::AddressDto, dto::BankAccountView, dto::ConfirmRequest,
        dto::PlaidRequest, dto::PaymentView, dto::PaymentStatusView, dto::PaymentEventView,
        dto::BatchView, rails::ReturnsOutcome, dto::SuggestionView, dto::FxRateRequest,
        dto::FxRatesRequest, dto::FxRateView, dto::InitiateResult, dto::StaleResult,
        dto::VerifyResult, dto::FxImportResult, routes::StaleRequest,
    )),
    tags((name = "payments", description = "Payees, payments, bank files, providers, FX")),
)]
pub struct ApiDoc;

/// Processing step 2 (after reinvestment), inside the processing transaction: one payment per
/// line's cash part (`cash_minor > 0`) in the investor's payment currency and default method,
/// and the jobs that send them. Reversals never create payments (money is never pulled back
/// from investors this way).
pub async fn step(tx: &mut Tx, actor: &Actor, d: &Distribution) -> Result<(), JobError> {
    if d.kind == Kind::Reversal || d.total_minor <= 0 {
        return Ok(());
    }
    service::initiate(tx, actor, d, service::Scope::NewLines).await?;
    Ok(())
}

/// Runs a job whose kind starts with `payment.`.
pub async fn run_job(state: &AppState, job: &Job, worker_id: &str) -> Result<(), JobError> {
    match job.kind.as_str() {
        rails::ACH_JOB | rails::WIRE_JOB | rails::CHECK_JOB => {
            rails::run_rail_job(state, job, worker_id).await
        }
        connectors::SEND_JOB => connectors::run_send_job(state, job, worker_id).await,
        clearway_store::payments::RETRY_JOB => service::run_retry_job(state, job, worker_id).await,
        other => Err(JobError::Permanent(format!(
            "no handler for job kind '{other}'"
        ))),
    }
}
