//! Checks: positive pay, void, stale-dating. Voiding and stale-dating run in
//! [`clearway_app::payments::checks`].

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use clearway_app::payments::checks as app_checks;
use clearway_core::access::Permission;
use clearway_core::distribution::parse_date;
use clearway_core::payments::PaymentStatus;
use clearway_store::payments::{self as pstore, Payment};
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::{parse_json, ApiError, ApiResult, Problem, Qs, RawBody};
use crate::payments::dto::{PaymentView, StaleResult};
use crate::state::AppState;
use clearway_formats::payments_csv::{self, PositivePayCheck, POSITIVE_PAY_COLUMNS};

use super::staff_only;

/// Query of the positive-pay export (the layout is configurable to the bank's format).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PositivePayQuery {
    /// First issue date (YYYY-MM-DD; default 30 days ago).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    from: Option<String>,
    /// Last issue date (default today).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    to: Option<String>,
    /// Columns in order, from: account, check_number, amount, amount_cents, issue_date, payee, void, currency
    /// (default `account,check_number,amount,issue_date,payee,void`).
    #[param(
        pattern = "^ *(account|check_number|amount|amount_cents|issue_date|payee|void|currency) *(, *(account|check_number|amount|amount_cents|issue_date|payee|void|currency) *)*$"
    )]
    columns: Option<String>,
    /// Date format (chrono, e.g. `%m/%d/%Y`; default `%Y-%m-%d`).
    date_format: Option<String>,
    /// Write a header row (default true).
    header: Option<bool>,
}

/// The positive-pay CSV of `checks` (see [`payments_csv::positive_pay`]).
pub fn positive_pay_csv(
    account: &str,
    checks: &[Payment],
    columns: &[&str],
    date_format: &str,
    header_row: bool,
) -> String {
    let checks: Vec<PositivePayCheck> = checks
        .iter()
        .map(|p| PositivePayCheck {
            // why: the query reads only payments with a check number
            check_number: p.check_number.clone().unwrap_or_default(),
            amount: p.currency.format_minor(p.amount_minor),
            amount_minor: p.amount_minor,
            issue_date: p.expected_date.to_string(),
            payee: p.payee_name.clone(),
            void: p.status == PaymentStatus::Cancelled,
            currency: p.currency.code().to_string(),
        })
        .collect();
    payments_csv::positive_pay(account, &checks, columns, date_format, header_row)
}

#[utoipa::path(get, path = "/api/checks/positive-pay", tag = "payments", params(PositivePayQuery),
    responses((status = 200, description = "positive-pay CSV (I = issued, V = void)", content_type = "text/csv"), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn positive_pay(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<PositivePayQuery>,
) -> ApiResult<Response> {
    staff_only(&actor, "checks")?;
    let today = chrono::Utc::now().date_naive();
    let from = q
        .from
        .as_deref()
        .map(|t| parse_date("from", t))
        .transpose()
        .map_err(|e| ApiError::Invalid(e.into()))?
        .unwrap_or(today - chrono::Duration::days(30));
    let to =
        q.to.as_deref()
            .map(|t| parse_date("to", t))
            .transpose()
            .map_err(|e| ApiError::Invalid(e.into()))?
            .unwrap_or(today);
    let columns: Vec<&str> = q
        .columns
        .as_deref()
        .unwrap_or("account,check_number,amount,issue_date,payee,void")
        .split(',')
        .map(str::trim)
        .collect();
    if let Some(bad) = columns.iter().find(|c| !POSITIVE_PAY_COLUMNS.contains(c)) {
        return Err(ApiError::field(
            "columns",
            format!(
                "unknown column '{bad}'; use {}",
                POSITIVE_PAY_COLUMNS.join(", ")
            ),
        ));
    }
    let date_format = q.date_format.as_deref().unwrap_or("%Y-%m-%d");
    if date_format.is_empty()
        || date_format.len() > 20
        || !date_format
            .split('%')
            .skip(1)
            .all(|s| s.starts_with(['Y', 'y', 'm', 'd']))
    {
        return Err(ApiError::field(
            "dateFormat",
            "use %Y, %y, %m and %d with separators, e.g. %m/%d/%Y",
        ));
    }
    let checks = pstore::checks_issued(&state.db, &actor, from, to).await?;
    let csv = positive_pay_csv(
        &state.config.payments.originator.account_number,
        &checks,
        &columns,
        date_format,
        q.header.unwrap_or(true),
    );
    Ok(([(header::CONTENT_TYPE, "text/csv")], csv).into_response())
}

#[utoipa::path(patch, path = "/api/checks/{payment_id}/void", tag = "payments", params(("payment_id" = String, Path)),
    responses((status = 200, body = PaymentView), (status = 409, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn void_check(
    State(state): State<AppState>,
    actor: Actor,
    Path(payment_id): Path<String>,
) -> ApiResult<Json<PaymentView>> {
    actor.require(Permission::Operate)?;
    staff_only(&actor, "payment")?;
    let out = app_checks::void(&state.db, &actor, &payment_id).await?;
    state.events_ready.notify_one();
    Ok(Json(PaymentView::new(&out.payment, out.fund_currency)))
}

/// Body of `POST /api/checks/stale-date`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaleRequest {
    /// The day to judge from (default today).
    #[serde(default)]
    #[schema(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    pub as_of: Option<String>,
}

#[utoipa::path(post, path = "/api/checks/stale-date", tag = "payments",
    request_body(content = Option<StaleRequest>, description = "optional: without a body, judge from today"),
    responses((status = 200, body = StaleResult), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn stale_date_checks(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<StaleResult>> {
    staff_only(&actor, "checks")?;
    // The role before the body: a forbidden caller learns nothing about its input.
    actor.require(Permission::Operate)?;
    let req: StaleRequest = if body.is_empty() {
        StaleRequest { as_of: None }
    } else {
        parse_json(&headers, &body)?
    };
    let today = req
        .as_of
        .as_deref()
        .map(|t| parse_date("asOf", t))
        .transpose()
        .map_err(|e| ApiError::Invalid(e.into()))?
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let days = state.config.payments.stale_check_days;
    let out = app_checks::stale_date_all(&state.db, &actor, today, days).await?;
    state.events_ready.notify_one();
    Ok(Json(StaleResult {
        stale_dated: out.payment_ids,
        cutoff: out.cutoff.to_string(),
    }))
}
