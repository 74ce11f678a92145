//! HTTP handlers of payments, a file per resource: payments of a distribution, retry and
//! status ([`payments`]), the oversized-payment preflight ([`preflight`]), the manual-review and unclaimed-funds queues ([`review`]), payment
//! batches (files) and their audited download ([`batches`]), NACHA return files
//! ([`returns`]), pain.002 status reports ([`status_reports`]), payee corrections from
//! notifications of change ([`noc`]), checks (positive
//! pay, void, stale-dating: [`checks`]) and FX rates ([`fx`]).

pub mod batches;
pub mod checks;
pub mod fx;
pub mod noc;
pub mod payments;
pub mod preflight;
pub mod returns;
pub mod review;
pub mod status_reports;

pub use batches::{file_content_type, open_batch_file};
pub use checks::{positive_pay_csv, StaleRequest};

use std::collections::HashMap;

use axum::routing::{get, patch, post};
use axum::Router;
use clearway_core::Currency;
use clearway_store::distributions as dstore;
use clearway_store::payments::Payment;
use clearway_store::{Actor, Db, StoreError};

use crate::http::{ApiResult, Page};
use crate::payments::dto::PaymentView;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/distributions/{id}/payments",
            get(payments::list_for_distribution).post(payments::initiate),
        )
        .route(
            "/api/distributions/payments/{payment_id}/retry",
            patch(payments::retry),
        )
        .route(
            "/api/distributions/payments/{payment_id}/status",
            get(payments::status),
        )
        .route(
            "/api/distributions/{id}/preflight",
            get(preflight::preflight),
        )
        .route("/api/payments/review", get(review::review_queue))
        .route("/api/payments/unclaimed", get(review::unclaimed))
        .route("/api/payments/ach-returns", post(returns::import_returns))
        .route(
            "/api/payments/status-reports",
            post(status_reports::import_status_report),
        )
        .route("/api/payment-batches", get(batches::list_batches))
        .route("/api/payment-batches/{batch_id}", get(batches::get_batch))
        .route(
            "/api/payment-batches/{batch_id}/file",
            get(batches::download_batch),
        )
        .route("/api/payee-changes", get(noc::list_suggestions))
        .route(
            "/api/payee-changes/{suggestion_id}/accept",
            post(noc::accept_suggestion),
        )
        .route(
            "/api/payee-changes/{suggestion_id}/reject",
            post(noc::reject_suggestion),
        )
        .route("/api/checks/positive-pay", get(checks::positive_pay))
        .route("/api/checks/{payment_id}/void", patch(checks::void_check))
        .route("/api/checks/stale-date", post(checks::stale_date_checks))
        .route("/api/fx-rates", get(fx::list_rates).post(fx::import_rates))
        .route("/api/fx-rates/csv", post(fx::import_rates_csv))
}

/// Default page size.
pub(super) const PAGE_DEFAULT: i64 = 100;

/// Distribution currencies of the payments' distributions (for the fund-currency amounts).
pub(super) async fn fund_currencies(
    db: &Db,
    actor: &Actor,
    payments: &[Payment],
) -> ApiResult<HashMap<String, Currency>> {
    let mut out = HashMap::new();
    for p in payments {
        if !out.contains_key(&p.distribution_id) {
            let d = dstore::get(db, actor, &p.distribution_id).await?;
            out.insert(p.distribution_id.clone(), d.currency);
        }
    }
    Ok(out)
}

pub(super) async fn views(
    db: &Db,
    actor: &Actor,
    items: Vec<Payment>,
    limit: i64,
) -> ApiResult<Page<PaymentView>> {
    let ccy = fund_currencies(db, actor, &items).await?;
    Ok(Page::new(items, limit, |p| p.id.clone()).map(|p| {
        PaymentView::new(
            &p,
            ccy.get(&p.distribution_id)
                .copied()
                .unwrap_or(Currency::USD),
        )
    }))
}

pub(super) fn staff_only(actor: &Actor, what: &'static str) -> ApiResult<()> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound(what).into());
    }
    Ok(())
}
