//! Payments of a distribution: list, (re)initiate, retry one, status.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clearway_core::access::Permission;
use clearway_core::payments::PaymentStatus;
use clearway_store::distributions as dstore;
use clearway_store::payments::{self as pstore, ListFilter};
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::{page_limit, ApiError, ApiResult, Page, Problem, Qs, RawBody, Saved};
use crate::payments::dto::{InitiateResult, PaymentStatusView, PaymentView};
use crate::payments::service;
use crate::state::AppState;

use super::PAGE_DEFAULT;

/// Query of payment lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentsQuery {
    /// Only this status.
    status: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/distributions/{id}/payments", tag = "payments", params(("id" = String, Path), PaymentsQuery),
    responses((status = 200, body = Page<PaymentView>), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list_for_distribution(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Qs(q): Qs<PaymentsQuery>,
) -> ApiResult<Json<Page<PaymentView>>> {
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let d = dstore::get(&state.db, &actor, &id).await?;
    let status = q
        .status
        .map(|s| {
            s.parse::<PaymentStatus>()
                .map_err(|e| ApiError::field("status", e))
        })
        .transpose()?;
    let items = pstore::list(
        &state.db,
        &actor,
        &ListFilter {
            distribution_id: Some(d.id.clone()),
            status,
            after_id: q.cursor,
            limit,
            ..ListFilter::default()
        },
    )
    .await?;
    Ok(Json(
        Page::new(items, limit, |p| p.id.clone()).map(|p| PaymentView::new(&p, d.currency)),
    ))
}

#[utoipa::path(post, path = "/api/distributions/{id}/payments", tag = "payments", params(("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key return the first response")),
    responses((status = 201, description = "payments created for every unpaid line (failed, returned or cancelled last attempt)", body = InitiateResult), (status = 409, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn initiate(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let path = format!("/api/distributions/{id}/payments");
    let saved = crate::http::idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let out = service::initiate_unpaid(tx, &actor, &id, &state.config.payments.ach_limits)
                .await?;
            Saved::json(
                StatusCode::CREATED,
                &InitiateResult {
                    pending: out.pending,
                    failed: out.failed,
                    held: out.held.into_iter().map(|(id, _)| id).collect(),
                },
            )
        },
    )
    .await?;
    state.jobs_ready.notify_waiters();
    Ok(saved.into_response())
}

#[utoipa::path(patch, path = "/api/distributions/payments/{payment_id}/retry", tag = "payments", params(("payment_id" = String, Path)),
    responses((status = 201, description = "the new attempt", body = PaymentView), (status = 409, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn retry(
    State(state): State<AppState>,
    actor: Actor,
    Path(payment_id): Path<String>,
) -> ApiResult<(StatusCode, Json<PaymentView>)> {
    actor.require(Permission::Operate)?;
    let out = service::retry(
        &state.db,
        &actor,
        &payment_id,
        &state.config.payments.ach_limits,
    )
    .await?;
    state.jobs_ready.notify_waiters();
    state.events_ready.notify_one();
    Ok((
        StatusCode::CREATED,
        Json(PaymentView::new(&out.payment, out.fund_currency)),
    ))
}

#[utoipa::path(get, path = "/api/distributions/payments/{payment_id}/status", tag = "payments", params(("payment_id" = String, Path)),
    responses((status = 200, body = PaymentStatusView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn status(
    State(state): State<AppState>,
    actor: Actor,
    Path(payment_id): Path<String>,
) -> ApiResult<Json<PaymentStatusView>> {
    let p = pstore::get(&state.db, &actor, &payment_id).await?;
    let d = dstore::get(&state.db, &actor, &p.distribution_id).await?;
    let line = dstore::line(&state.db, &actor, &d.id, &p.investor_id).await?;
    let history = pstore::history(&state.db, &actor, &p).await?;
    let bank = pstore::status_reports::latest_for_payment(&state.db, &actor, &p.id).await?;
    Ok(Json(PaymentStatusView {
        payment: PaymentView::new(&p, d.currency),
        line_status: line.status.as_str().into(),
        history: history.iter().map(Into::into).collect(),
        bank_status: bank.map(Into::into),
    }))
}
