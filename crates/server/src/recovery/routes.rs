//! Receivables after a reversal: the report (list with totals, one with its recoveries),
//! collections recorded by hand, write-offs and ACH reversing entries.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clearway_app::recovery::{ach, collect};
use clearway_core::access::Permission;
use clearway_core::input::parse_date;
use clearway_core::recovery::{ReceivableStatus, RecoveryMethod, ReversalReason};
use clearway_store::recovery::{self as store, ListFilter};
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{
    AchReversalRequest, ReceivableDetail, ReceivableTotals, ReceivableView, ReceivablesPage,
    RecoveryRequest, RecoveryResult, RecoveryView, WriteOffRequest,
};
use crate::http::{
    idempotent, page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody, Saved,
};
use crate::state::AppState;

const PAGE_DEFAULT: i64 = 100;

/// Query of the receivables report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReceivablesQuery {
    /// Only this status (OPEN, PARTIALLY_RECOVERED, RECOVERING, RECOVERED, WRITTEN_OFF).
    #[param(pattern = "^(OPEN|PARTIALLY_RECOVERED|RECOVERING|RECOVERED|WRITTEN_OFF)$")]
    status: Option<String>,
    /// Only this investor's.
    investor_id: Option<String>,
    /// Only those of this original or reversal distribution, or offset by it.
    distribution_id: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/receivables", tag = "recovery", params(ReceivablesQuery),
    description = "Receivables opened when reversals were processed (investors see their own), by id, with the totals of every page: per investor and currency, paid (amount) = recovered + written off + outstanding.",
    responses((status = 200, body = ReceivablesPage)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<ReceivablesQuery>,
) -> ApiResult<Json<ReceivablesPage>> {
    actor.require(Permission::Read)?;
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let status = q
        .status
        .map(|s| {
            s.parse::<ReceivableStatus>()
                .map_err(|e| ApiError::field("status", e))
        })
        .transpose()?;
    let filter = ListFilter {
        status,
        investor_id: q.investor_id,
        distribution_id: q.distribution_id,
        after_id: q.cursor,
        limit,
    };
    let items = store::list(&state.db, &actor, &filter).await?;
    let totals = store::totals(&state.db, &actor, &filter).await?;
    let page = Page::new(items, limit, |r| r.id.clone()).map(|r| ReceivableView::from(&r));
    Ok(Json(ReceivablesPage {
        items: page.items,
        next_cursor: page.next_cursor,
        totals: totals.iter().map(ReceivableTotals::from).collect(),
    }))
}

#[utoipa::path(get, path = "/api/receivables/{id}", tag = "recovery", params(("id" = String, Path)),
    responses((status = 200, body = ReceivableDetail), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<ReceivableDetail>> {
    let r = store::get(&state.db, &actor, &id).await?;
    let recoveries = store::recoveries(&state.db, &actor, &id).await?;
    Ok(Json(ReceivableDetail {
        receivable: ReceivableView::from(&r),
        recoveries: recoveries
            .iter()
            .map(|x| RecoveryView::new(x, r.currency))
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/receivables/{id}/recoveries", tag = "recovery", params(("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    request_body = RecoveryRequest,
    description = "Records money the investor sent back by wire or check (operators and admins): the receivable is reduced by the amount, which may not exceed what is outstanding and not already on its way back.",
    responses((status = 201, body = RecoveryResult), (status = 404, body = Problem), (status = 409, description = "the receivable is recovered or written off", body = Problem),
        (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn record_recovery(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let req: RecoveryRequest = parse_json(&headers, &body)?;
    let path = format!("/api/receivables/{id}/recoveries");
    let saved = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let current = store::get_tx(tx, &actor, &id).await?;
            let c = collection(&req, current.currency)?;
            let (after, recovery) = collect::record(tx, &actor, &id, &c).await?;
            Saved::json(
                StatusCode::CREATED,
                &RecoveryResult {
                    receivable: ReceivableView::from(&after),
                    recovery: RecoveryView::new(&recovery, after.currency),
                },
            )
        },
    )
    .await?;
    Ok(saved.into_response())
}

/// The request's fields, each refusal naming its field.
fn collection(
    req: &RecoveryRequest,
    currency: clearway_core::Currency,
) -> Result<collect::Collection, ApiError> {
    let mut errors = Vec::new();
    let method = match req.method.parse::<RecoveryMethod>() {
        Ok(m @ (RecoveryMethod::Wire | RecoveryMethod::Check)) => Some(m),
        _ => {
            errors.push(clearway_core::FieldError::new(
                "method",
                "must be WIRE or CHECK",
            ));
            None
        }
    };
    let amount = match currency.parse_amount("amount", &req.amount) {
        Ok(a) if a > 0 => Some(a),
        Ok(_) => {
            errors.push(clearway_core::FieldError::new(
                "amount",
                "must be greater than zero",
            ));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let date = parse_date("receivedDate", &req.received_date)
        .map_err(|e| errors.push(e))
        .ok();
    if req.reference.trim().is_empty() {
        errors.push(clearway_core::FieldError::new(
            "reference",
            "must not be empty",
        ));
    }
    match (method, amount, date) {
        (Some(method), Some(amount_minor), Some(received_date)) if errors.is_empty() => {
            Ok(collect::Collection {
                method,
                amount_minor,
                received_date,
                reference: req.reference.trim().to_string(),
            })
        }
        _ => Err(clearway_app::AppError::from(clearway_core::Invalid(errors)).into()),
    }
}

#[utoipa::path(post, path = "/api/receivables/{id}/write-off", tag = "recovery", params(("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    request_body = WriteOffRequest,
    description = "Gives up what is still owed (approvers and admins), with a reason.",
    responses((status = 200, body = ReceivableView), (status = 404, body = Problem), (status = 409, description = "not OPEN or PARTIALLY_RECOVERED", body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn write_off(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Approve)?;
    let req: WriteOffRequest = parse_json(&headers, &body)?;
    let path = format!("/api/receivables/{id}/write-off");
    let saved = idempotent(
        &state,
        &actor,
        Permission::Approve,
        &headers,
        &path,
        &body,
        async |tx| {
            let after = collect::write_off(tx, &actor, &id, req.reason.trim()).await?;
            Saved::json(StatusCode::OK, &ReceivableView::from(&after))
        },
    )
    .await?;
    Ok(saved.into_response())
}

#[utoipa::path(post, path = "/api/receivables/{id}/ach-reversal", tag = "recovery", params(("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    request_body = AchReversalRequest,
    description = "NACHA reversing entry of the original ACH credit (operators and admins): only for an erroneous entry (reason), for the full amount of the original entry, to the same account, effective within five banking days after the original's settlement date; company entry description REVERSAL, a debit (27/37) in a service class 225 batch of its own file. The receivable becomes RECOVERING with the amount expected back.",
    responses((status = 201, body = RecoveryResult), (status = 404, body = Problem),
        (status = 409, description = "not an ACH payment, not settled, partly recovered already, or outside the five banking days", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn ach_reversal(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let req: AchReversalRequest = parse_json(&headers, &body)?;
    let reason = req.reason.parse::<ReversalReason>().map_err(|_| {
        ApiError::field(
            "reason",
            "must be DUPLICATE, WRONG_RECEIVER, WRONG_AMOUNT or WRONG_DATE",
        )
    })?;
    let effective = req
        .effective_date
        .as_deref()
        .map(|d| parse_date("effectiveDate", d))
        .transpose()
        .map_err(|e| clearway_app::AppError::from(clearway_core::Invalid::from(e)))?;
    let path = format!("/api/receivables/{id}/ach-reversal");
    let payments = &state.config.payments;
    let saved = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        &path,
        &body,
        async |tx| {
            let (after, recovery) =
                ach::reverse(tx, &actor, payments, &id, reason, effective).await?;
            Saved::json(
                StatusCode::CREATED,
                &RecoveryResult {
                    receivable: ReceivableView::from(&after),
                    recovery: RecoveryView::new(&recovery, after.currency),
                },
            )
        },
    )
    .await?;
    Ok(saved.into_response())
}

#[utoipa::path(get, path = "/api/receivables/{id}/ach-reversal/file", tag = "recovery", params(("id" = String, Path)),
    responses((status = 200, description = "the newest ACH reversing file of the receivable (NACHA text); admins and operators only; every download is audited",
        content(("text/plain"))), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn download_file(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (name, bytes) = ach::open_file(&state.db, &state.config.payments, &actor, &id).await?;
    Ok((
        StatusCode::OK,
        [
            (axum::http::header::CONTENT_TYPE, "text/plain".to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
