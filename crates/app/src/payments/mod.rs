//! Paying investors, as application services: building payments (payee, FX), retries, the
//! rail jobs producing bank files, the provider connectors, and the sealing of account numbers.
//! No HTTP server here: the server's routes and job adapters call these with the database, the
//! payments settings and the shared outgoing HTTP client.
//!
//! Money only ever goes OUT: every instruction we produce is a credit to the investor (NACHA
//! transaction codes 22/32, pain.001 credit transfers, checks, provider credits/payouts).
//!
//! # Layout
//! - this file: configuration ([`PaymentsConfig`]), the processing [`step`], job dispatch
//!   ([`run_job`]).
//! - [`bank_accounts`]: payees (create, replace, disable, default) and their verification by
//!   micro-deposits or a Plaid-style link, each change audited and emitted.
//! - [`batches`]: the audited download of a payment batch's file.
//! - [`checks`]: voiding checks, stale-dating uncashed ones.
//! - [`fx`]: importing FX rates.
//! - [`noc`]: accepting or rejecting payee corrections from notifications of change.
//! - [`preflight`]: the oversized ACH lines of a distribution not yet processed.
//! - [`orphans`]: the invariant that no payment waits with nothing pointing at it, and the
//!   safety net holding a dead payment job's payments for review.
//! - [`service`]: building payments (payee, FX), retries, re-queues after a payee update.
//! - [`rails`]: the rail jobs producing NACHA files, pain.001 files and check registers (the
//!   bytes written by `clearway_formats`), per rail; return files.
//! - [`connectors`]: HTTP clients of the providers and of the Plaid-style verifier.
//! - [`settlement`]: recording outcomes ([`settle_many`], [`settle`]): reconciliation,
//!   return files and provider webhooks.
//! - [`reversed`]: an original payment that came back after its line was reversed closes its
//!   receivable.
//! - [`webhooks`]: applying a provider's status webhook once per event id.
//! - [`vault`]: AES-256-GCM sealing of account numbers and files, with key rotation.

pub mod bank_accounts;
pub mod batches;
pub mod checks;
pub mod connectors;
pub mod fx;
pub mod noc;
pub mod orphans;
pub mod preflight;
pub mod rails;
pub mod reversed;
pub mod service;
pub mod settlement;
pub mod status_reports;
pub mod vault;
pub mod webhooks;

pub use settlement::{settle, settle_many, settle_read};

use std::fmt;
use std::time::Duration;

use clearway_core::distribution::Kind;
use clearway_store::distributions::Distribution;
use clearway_store::jobs::Job;
use clearway_store::{Actor, Db, Tx};

use crate::jobs::JobError;
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
    /// Our bank's limits on ACH files and entries.
    pub ach_limits: clearway_core::payments::limits::AchLimits,
    /// How often the organization's ACH payments are cut into files: every rail job waits
    /// for the next multiple of it, where the first to run takes all the others along. Zero:
    /// each rail job cuts at once (still taking along whatever else is pending).
    pub ach_cut_every: Duration,
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
            ach_limits: Default::default(),
            ach_cut_every: Duration::ZERO,
        }
    }
}

/// Processing step 2 (after reinvestment), inside the processing transaction: one payment per
/// line's cash part (`cash_minor > 0`) in the investor's payment currency and default method,
/// and the jobs that send them. An ACH credit above `limits` goes by wire where the investor
/// has a usable wire instruction, else it is held for review (`OVERSIZED`), decided here
/// before any file is built. Reversals never create payments (money is never pulled back
/// from investors this way).
pub async fn step(
    tx: &mut Tx,
    actor: &Actor,
    d: &Distribution,
    limits: &clearway_core::payments::limits::AchLimits,
) -> Result<(), JobError> {
    if d.kind == Kind::Reversal || d.total_minor <= 0 {
        return Ok(());
    }
    service::initiate(tx, actor, d, service::Scope::NewLines, limits).await?;
    Ok(())
}

/// Runs a job whose kind starts with `payment.`: with the database, the payments settings and
/// the shared HTTP client (provider calls). The caller wakes its workers afterwards: a run may
/// have enqueued jobs and written events.
pub async fn run_job(
    db: &Db,
    config: &PaymentsConfig,
    http: &reqwest::Client,
    job: &Job,
    worker_id: &str,
) -> Result<(), JobError> {
    match job.kind.as_str() {
        rails::ACH_JOB | rails::WIRE_JOB | rails::CHECK_JOB => {
            rails::run_rail_job(db, config, job, worker_id).await
        }
        connectors::SEND_JOB => connectors::run_send_job(db, config, http, job, worker_id).await,
        clearway_store::payments::RETRY_JOB => {
            service::run_retry_job(db, &config.ach_limits, job, worker_id).await
        }
        other => Err(JobError::Permanent(format!(
            "no handler for job kind '{other}'"
        ))),
    }
}
