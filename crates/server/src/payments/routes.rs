//! HTTP handlers: payments of a distribution, retry and status, the manual-review and
//! unclaimed-funds queues, payment batches (files) and their audited download, NACHA return
//! files, payee corrections, checks (positive pay, void, stale-dating) and FX rates.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use clearway_core::access::Permission;
use clearway_core::distribution::{parse_date, Kind, Status};
use clearway_core::payments::checks::stale_cutoff;
use clearway_core::payments::fx::parse_rate;
use clearway_core::payments::PaymentStatus;
use clearway_core::{Currency, FieldError, Invalid};
use clearway_store::audit::{self, Change};
use clearway_store::bank_accounts::{self as bstore, PayeeDetails};
use clearway_store::distributions as dstore;
use clearway_store::fx::{self, NewRate};
use clearway_store::payment_batches as batches;
use clearway_store::payments::{self as pstore, ListFilter, Payment, Update};
use clearway_store::{outbox, time_text, Actor, Db, StoreError, Tx};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use super::dto::{
    BatchView, FxImportResult, FxRateRequest, FxRateView, FxRatesRequest, InitiateResult,
    PaymentStatusView, PaymentView, StaleResult, SuggestionView,
};
use super::rails::{self, ReturnsOutcome};
use super::service::{self, Scope};
use crate::http::{page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody, Saved};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/distributions/{id}/payments",
            get(list_for_distribution).post(initiate),
        )
        .route(
            "/api/distributions/payments/{payment_id}/retry",
            patch(retry),
        )
        .route(
            "/api/distributions/payments/{payment_id}/status",
            get(status),
        )
        .route("/api/payments/review", get(review_queue))
        .route("/api/payments/unclaimed", get(unclaimed))
        .route("/api/payments/ach-returns", post(import_returns))
        .route("/api/payment-batches", get(list_batches))
        .route("/api/payment-batches/{batch_id}", get(get_batch))
        .route("/api/payment-batches/{batch_id}/file", get(download_batch))
        .route("/api/payee-changes", get(list_suggestions))
        .route(
            "/api/payee-changes/{suggestion_id}/accept",
            post(accept_suggestion),
        )
        .route(
            "/api/payee-changes/{suggestion_id}/reject",
            post(reject_suggestion),
        )
        .route("/api/checks/positive-pay", get(positive_pay))
        .route("/api/checks/{payment_id}/void", patch(void_check))
        .route("/api/checks/stale-date", post(stale_date_checks))
        .route("/api/fx-rates", get(list_rates).post(import_rates))
        .route("/api/fx-rates/csv", post(import_rates_csv))
}

/// Default page size.
const PAGE_DEFAULT: i64 = 100;

/// Distribution currencies of the payments' distributions (for the fund-currency amounts).
async fn fund_currencies(
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

async fn views(
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

fn staff_only(actor: &Actor, what: &'static str) -> ApiResult<()> {
    if actor.investor_id.is_some() {
        return Err(StoreError::NotFound(what).into());
    }
    Ok(())
}

/// Query of payment lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentsQuery {
    /// Only this status.
    status: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
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
    let saved = crate::http::idempotent(&state, &actor, &headers, &path, &body, async |tx| {
        let d = dstore::get_tx(tx, &actor, &id).await?;
        if d.status != Status::Completed || d.kind == Kind::Reversal {
            return Err(StoreError::Conflict(format!("payments are (re)initiated for processed (COMPLETED) regular distributions; this one is {} {}", d.kind, d.status)).into());
        }
        let out = service::initiate(tx, &actor, &d, Scope::Unpaid).await?;
        Ok(Saved { status: StatusCode::CREATED, body: serde_json::to_string(&InitiateResult { pending: out.pending, failed: out.failed }).unwrap_or_default() })
    })
    .await?;
    state.jobs_ready.notify_waiters();
    Ok((
        saved.status,
        [(header::CONTENT_TYPE, "application/json")],
        saved.body,
    )
        .into_response())
}

#[utoipa::path(patch, path = "/api/distributions/payments/{payment_id}/retry", tag = "payments", params(("payment_id" = String, Path)),
    responses((status = 201, description = "the new attempt", body = PaymentView), (status = 409, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn retry(
    State(state): State<AppState>,
    actor: Actor,
    Path(payment_id): Path<String>,
) -> ApiResult<(StatusCode, Json<PaymentView>)> {
    actor.require(Permission::Operate)?;
    let mut tx = state.db.begin().await?;
    let current = pstore::get_tx(&mut tx, &actor, &payment_id).await?;
    let new = service::retry_one(&mut tx, &actor, &current).await?;
    let d = dstore::get_tx(&mut tx, &actor, &new.distribution_id).await?;
    tx.commit().await?;
    state.jobs_ready.notify_waiters();
    state.events_ready.notify_one();
    Ok((
        StatusCode::CREATED,
        Json(PaymentView::new(&new, d.currency)),
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
    Ok(Json(PaymentStatusView {
        payment: PaymentView::new(&p, d.currency),
        line_status: line.status.as_str().into(),
        history: history.iter().map(Into::into).collect(),
    }))
}

/// Query of the queues.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/payments/review", tag = "payments", params(QueueQuery),
    responses((status = 200, description = "payments waiting for a person: no payee, bad account, refused, retries exhausted, held after a bank-details change", body = Page<PaymentView>)), security(("bearer" = [])))]
pub(crate) async fn review_queue(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<QueueQuery>,
) -> ApiResult<Json<Page<PaymentView>>> {
    staff_only(&actor, "review queue")?;
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let items = pstore::list(
        &state.db,
        &actor,
        &ListFilter {
            needs_review: true,
            after_id: q.cursor,
            limit,
            ..ListFilter::default()
        },
    )
    .await?;
    Ok(Json(views(&state.db, &actor, items, limit).await?))
}

#[utoipa::path(get, path = "/api/payments/unclaimed", tag = "payments", params(QueueQuery),
    responses((status = 200, description = "stale-dated checks: money owed but unclaimed", body = Page<PaymentView>)), security(("bearer" = [])))]
pub(crate) async fn unclaimed(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<QueueQuery>,
) -> ApiResult<Json<Page<PaymentView>>> {
    staff_only(&actor, "unclaimed funds")?;
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let items = pstore::list(
        &state.db,
        &actor,
        &ListFilter {
            unclaimed: true,
            after_id: q.cursor,
            limit,
            ..ListFilter::default()
        },
    )
    .await?;
    Ok(Json(views(&state.db, &actor, items, limit).await?))
}

/// Query of the batch list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BatchesQuery {
    /// NACHA, PAIN001, CHECK_REGISTER, PROVIDER or MICRO_DEPOSIT.
    kind: Option<String>,
    /// Only this distribution.
    distribution_id: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/payment-batches", tag = "payments", params(BatchesQuery),
    responses((status = 200, body = Page<BatchView>)), security(("bearer" = [])))]
pub(crate) async fn list_batches(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<BatchesQuery>,
) -> ApiResult<Json<Page<BatchView>>> {
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let items = batches::list(
        &state.db,
        &actor,
        q.kind.as_deref(),
        q.distribution_id.as_deref(),
        q.cursor.as_deref(),
        limit,
    )
    .await?;
    Ok(Json(
        Page::new(items, limit, |b| b.id.clone()).map(|b| BatchView::from(&b)),
    ))
}

#[utoipa::path(get, path = "/api/payment-batches/{batch_id}", tag = "payments", params(("batch_id" = String, Path)),
    responses((status = 200, body = BatchView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_batch(
    State(state): State<AppState>,
    actor: Actor,
    Path(batch_id): Path<String>,
) -> ApiResult<Json<BatchView>> {
    Ok(Json(BatchView::from(
        &batches::get(&state.db, &actor, &batch_id).await?,
    )))
}

/// Decrypts a batch's file for an admin or operator, auditing the download.
pub async fn open_batch_file(
    state: &AppState,
    actor: &Actor,
    batch_id: &str,
) -> ApiResult<(batches::Batch, Vec<u8>)> {
    let (batch, sealed) = batches::file(&state.db, actor, batch_id).await?;
    let bytes = state
        .config
        .payments
        .vault
        .open_bytes(&sealed.key_id, &sealed.ciphertext)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut tx = state.db.begin().await?;
    audit::record(&mut tx, actor, Change { action: "payment_batch.download", entity_type: "payment_batch", entity_id: batch_id, before: None, after: Some(json!({ "fileName": batch.file_name, "sha256": batch.file_sha256, "bytes": bytes.len() })) }).await?;
    tx.commit().await?;
    Ok((batch, bytes))
}

#[utoipa::path(get, path = "/api/payment-batches/{batch_id}/file", tag = "payments", params(("batch_id" = String, Path)),
    responses((status = 200, description = "the file as sent to the bank (NACHA text, pain.001 XML, check register CSV); admins and operators only; every download is audited", content_type = "application/octet-stream"), (status = 403, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn download_batch(
    State(state): State<AppState>,
    actor: Actor,
    Path(batch_id): Path<String>,
) -> ApiResult<Response> {
    let (batch, bytes) = open_batch_file(&state, &actor, &batch_id).await?;
    let content_type = match batch.kind.as_str() {
        "PAIN001" => "application/xml",
        "CHECK_REGISTER" => "text/csv",
        _ => "text/plain",
    };
    let name = batch.file_name.unwrap_or_else(|| format!("{batch_id}.txt"));
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/payments/ach-returns", tag = "payments", request_body(content = String, content_type = "text/plain", description = "a NACHA return / notification-of-change file"),
    responses((status = 200, body = ReturnsOutcome), (status = 422, description = "unreadable file: names the line and field", body = Problem)), security(("bearer" = [])))]
pub(crate) async fn import_returns(
    State(state): State<AppState>,
    actor: Actor,
    RawBody(body): RawBody,
) -> ApiResult<Json<ReturnsOutcome>> {
    actor.require(Permission::Operate)?;
    staff_only(&actor, "returns")?;
    if body.is_empty() {
        return Err(ApiError::field("file", "is empty"));
    }
    let mut tx = state.db.begin().await?;
    let out = rails::import_returns(&mut tx, &actor, &state.config.payments.vault, &body).await?;
    tx.commit().await?;
    state.events_ready.notify_one();
    state.jobs_ready.notify_waiters();
    Ok(Json(out))
}

/// Query of the suggestion list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SuggestionsQuery {
    /// OPEN, ACCEPTED or REJECTED.
    status: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/payee-changes", tag = "payments", params(SuggestionsQuery),
    responses((status = 200, body = Page<SuggestionView>)), security(("bearer" = [])))]
pub(crate) async fn list_suggestions(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<SuggestionsQuery>,
) -> ApiResult<Json<Page<SuggestionView>>> {
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let items = batches::suggestions(
        &state.db,
        &actor,
        q.status.as_deref(),
        q.cursor.as_deref(),
        limit,
    )
    .await?;
    Ok(Json(
        Page::new(items, limit, |s| s.id.clone()).map(|s| SuggestionView::from(&s)),
    ))
}

#[utoipa::path(post, path = "/api/payee-changes/{suggestion_id}/accept", tag = "payments", params(("suggestion_id" = String, Path)),
    responses((status = 200, description = "the payee corrected (held payments stay held for review; failed ones are re-queued)", body = super::dto::BankAccountView), (status = 409, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn accept_suggestion(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<super::dto::BankAccountView>> {
    let mut tx = state.db.begin().await?;
    let s = batches::suggestion_tx(&mut tx, &actor, &id).await?;
    let payee = bstore::by_id_tx(&mut tx, &actor.org_id, &s.bank_account_id).await?;
    let details = PayeeDetails {
        method: payee.method,
        holder_name: payee.holder_name.clone(),
        currency: payee.currency.clone(),
        routing_number: s.routing_number.clone().or(payee.routing_number.clone()),
        account_type: s.account_type.clone().or(payee.account_type.clone()),
        account: s.account.clone().or(payee.account.clone()),
        bic: payee.bic.clone(),
        bank_name: payee.bank_name.clone(),
        bank_address: payee.bank_address.clone(),
        address: payee.address.clone(),
    };
    // The correction comes from the investor's own bank: the corrected payee is verified.
    let (before, after) = bstore::replace(
        &mut tx,
        &actor,
        &payee.investor_id,
        &payee.id,
        &details,
        Some("NOC"),
    )
    .await?;
    batches::decide(&mut tx, &actor, &id, "ACCEPTED").await?;
    let held =
        pstore::hold_for_payee(&mut tx, &actor.org_id, &payee.id, "BANK_DETAILS_CHANGED").await?;
    let requeued = if after.is_default {
        service::requeue_for_investor(&mut tx, &actor, &payee.investor_id).await?
    } else {
        Vec::new()
    };
    let view = |b: &clearway_store::bank_accounts::BankAccount| {
        serde_json::to_value(super::dto::BankAccountView::from(b)).unwrap_or_default()
    };
    audit::record(
        &mut tx,
        &actor,
        Change {
            action: "bank_account.noc_accept",
            entity_type: "bank_account",
            entity_id: &payee.id,
            before: Some(view(&before)),
            after: Some(view(&after)),
        },
    )
    .await?;
    outbox::emit(&mut tx, &actor.org_id, "bank_account.changed", "bank_account", &payee.id, json!({ "bankAccount": view(&after), "changeCode": s.change_code, "heldPayments": held, "requeuedPayments": requeued })).await?;
    tx.commit().await?;
    state.events_ready.notify_one();
    state.jobs_ready.notify_waiters();
    Ok(Json(super::dto::BankAccountView::from(&after)))
}

#[utoipa::path(post, path = "/api/payee-changes/{suggestion_id}/reject", tag = "payments", params(("suggestion_id" = String, Path)),
    responses((status = 200, body = SuggestionView), (status = 409, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn reject_suggestion(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<SuggestionView>> {
    let mut tx = state.db.begin().await?;
    batches::suggestion_tx(&mut tx, &actor, &id).await?;
    batches::decide(&mut tx, &actor, &id, "REJECTED").await?;
    audit::record(
        &mut tx,
        &actor,
        Change {
            action: "payee_change.reject",
            entity_type: "payee_change",
            entity_id: &id,
            before: None,
            after: Some(json!({ "status": "REJECTED" })),
        },
    )
    .await?;
    let s = batches::suggestion_tx(&mut tx, &actor, &id).await?;
    tx.commit().await?;
    Ok(Json(SuggestionView::from(&s)))
}

/// Query of the positive-pay export (the layout is configurable to the bank's format).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PositivePayQuery {
    /// First issue date (YYYY-MM-DD; default 30 days ago).
    from: Option<String>,
    /// Last issue date (default today).
    to: Option<String>,
    /// Columns in order, from: account, check_number, amount, amount_cents, issue_date, payee, void, currency
    /// (default `account,check_number,amount,issue_date,payee,void`).
    columns: Option<String>,
    /// Date format (chrono, e.g. `%m/%d/%Y`; default `%Y-%m-%d`).
    date_format: Option<String>,
    /// Write a header row (default true).
    header: Option<bool>,
}

/// The positive-pay CSV for checks issued between `from` and `to`.
pub fn positive_pay_csv(
    account: &str,
    checks: &[Payment],
    columns: &[&str],
    date_format: &str,
    header_row: bool,
) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    if header_row {
        let _ = w.write_record(columns);
    }
    for p in checks {
        let ccy = Currency::parse(&p.currency).unwrap_or(Currency::USD);
        let date = NaiveDate::parse_from_str(&p.expected_date, "%Y-%m-%d")
            .map(|d| d.format(date_format).to_string())
            .unwrap_or_else(|_| p.expected_date.clone());
        let voided = p.status == PaymentStatus::Cancelled;
        let row: Vec<String> = columns
            .iter()
            .map(|c| match *c {
                "account" => account.to_string(),
                "check_number" => p.check_number.clone().unwrap_or_default(),
                "amount" => ccy.format_minor(p.amount_minor),
                "amount_cents" => p.amount_minor.to_string(),
                "issue_date" => date.clone(),
                "payee" => p.payee_name.clone(),
                "void" => {
                    if voided {
                        "V".into()
                    } else {
                        "I".into()
                    }
                }
                "currency" => p.currency.clone(),
                _ => String::new(),
            })
            .collect();
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

const POSITIVE_PAY_COLUMNS: [&str; 8] = [
    "account",
    "check_number",
    "amount",
    "amount_cents",
    "issue_date",
    "payee",
    "void",
    "currency",
];

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
    let mut tx = state.db.begin().await?;
    let p = pstore::get_tx(&mut tx, &actor, &payment_id).await?;
    if p.method != clearway_core::payments::Method::Check || p.status != PaymentStatus::Sent {
        return Err(StoreError::Conflict(format!(
            "only an issued (SENT) check can be voided; this is a {} {} payment",
            p.status, p.method
        ))
        .into());
    }
    let voided = pstore::transition(
        &mut tx,
        &actor.org_id,
        &p,
        PaymentStatus::Cancelled,
        &Update {
            code: Some("VOID".into()),
            reason: Some(format!(
                "check {} voided",
                p.check_number.clone().unwrap_or_default()
            )),
            ..Update::default()
        },
    )
    .await?;
    pstore::set_review(
        &mut tx,
        &actor.org_id,
        &p.id,
        Some("VOIDED: reissue with retry"),
    )
    .await?;
    audit::record(
        &mut tx,
        &actor,
        Change {
            action: "payment.void",
            entity_type: "payment",
            entity_id: &p.id,
            before: Some(json!({ "status": p.status.as_str() })),
            after: Some(json!({ "status": "CANCELLED", "checkNumber": p.check_number })),
        },
    )
    .await?;
    outbox::emit(
        &mut tx,
        &actor.org_id,
        "payment.voided",
        "payment",
        &p.id,
        json!({ "paymentId": p.id, "checkNumber": p.check_number }),
    )
    .await?;
    let d = dstore::get_tx(&mut tx, &actor, &p.distribution_id).await?;
    tx.commit().await?;
    state.events_ready.notify_one();
    Ok(Json(PaymentView::new(&voided, d.currency)))
}

/// Stale-dates every check still uncashed more than `days` after issue: CANCELLED (code
/// STALE_DATED), line FAILED, money in the unclaimed-funds queue. Returns the payment ids.
pub async fn stale_date(
    tx: &mut Tx,
    actor: &Actor,
    today: NaiveDate,
    days: u32,
) -> Result<Vec<String>, StoreError> {
    actor.require(Permission::Operate)?;
    let cutoff = stale_cutoff(today, days);
    let mut out = Vec::new();
    for p in pstore::stale_checks(tx, &actor.org_id, cutoff).await? {
        pstore::transition(
            tx,
            &actor.org_id,
            &p,
            PaymentStatus::Cancelled,
            &Update {
                code: Some("STALE_DATED".into()),
                reason: Some(format!(
                    "check {} uncashed {days} days after issue",
                    p.check_number.clone().unwrap_or_default()
                )),
                ..Update::default()
            },
        )
        .await?;
        pstore::mark_unclaimed(tx, &actor.org_id, &p.id).await?;
        outbox::emit(
            tx,
            &actor.org_id,
            "payment.stale_dated",
            "payment",
            &p.id,
            json!({ "paymentId": p.id, "checkNumber": p.check_number, "issued": p.expected_date }),
        )
        .await?;
        out.push(p.id);
    }
    audit::record(
        tx,
        actor,
        Change {
            action: "checks.stale_date",
            entity_type: "payment",
            entity_id: "checks",
            before: None,
            after: Some(json!({ "cutoff": cutoff.to_string(), "staleDated": out.len() })),
        },
    )
    .await?;
    Ok(out)
}

/// Body of `POST /api/checks/stale-date`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaleRequest {
    /// The day to judge from (default today).
    #[serde(default)]
    pub as_of: Option<String>,
}

#[utoipa::path(post, path = "/api/checks/stale-date", tag = "payments", request_body = StaleRequest,
    responses((status = 200, body = StaleResult), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn stale_date_checks(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<StaleResult>> {
    staff_only(&actor, "checks")?;
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
    let mut tx = state.db.begin().await?;
    let ids = stale_date(&mut tx, &actor, today, days).await?;
    tx.commit().await?;
    state.events_ready.notify_one();
    Ok(Json(StaleResult {
        stale_dated: ids,
        cutoff: stale_cutoff(today, days).to_string(),
    }))
}

/// Parses an `asOf`: an RFC 3339 timestamp, or a date (midnight UTC).
fn parse_as_of(field: &str, t: &str) -> Result<String, FieldError> {
    if let Ok(ts) = chrono::DateTime::parse_from_rfc3339(t.trim()) {
        return Ok(time_text(ts.with_timezone(&chrono::Utc)));
    }
    let d = parse_date(field, t.trim()).map_err(|_| {
        FieldError::new(
            field,
            format!("'{t}' is not an RFC 3339 timestamp or a date"),
        )
    })?;
    Ok(time_text(
        d.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
    ))
}

/// Validates rates; errors are named `{prefix}[i].field`.
fn parse_rates(rates: &[FxRateRequest], prefix: &str) -> Result<Vec<NewRate>, Invalid> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    if rates.is_empty() || rates.len() > 10_000 {
        return Err(FieldError::new(prefix, "give 1 to 10,000 rates").into());
    }
    for (i, r) in rates.iter().enumerate() {
        let f = |name: &str| format!("{prefix}[{i}].{name}");
        let base = Currency::parse(&r.base)
            .map_err(|e| FieldError::new(f("base"), format!("unsupported currency: {e}")));
        let quote = Currency::parse(&r.quote)
            .map_err(|e| FieldError::new(f("quote"), format!("unsupported currency: {e}")));
        let rate = parse_rate(&f("rate"), &r.rate);
        let as_of = parse_as_of(&f("asOf"), &r.as_of);
        let source = r.source.trim().to_string();
        if source.is_empty() || source.len() > 64 {
            errors.push(FieldError::new(
                f("source"),
                "is required (1 to 64 characters)",
            ));
        }
        match (base, quote, rate, as_of) {
            (Ok(b), Ok(q), Ok(rate), Ok(as_of)) => {
                if b == q {
                    errors.push(FieldError::new(f("quote"), "must differ from base"));
                } else {
                    out.push(NewRate {
                        base: b,
                        quote: q,
                        rate,
                        source,
                        as_of,
                    });
                }
            }
            (b, q, r, a) => {
                errors.extend([b.err(), q.err(), r.err(), a.err()].into_iter().flatten());
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Invalid(errors))
    }
}

async fn store_rates(
    state: &AppState,
    actor: &Actor,
    rates: &[NewRate],
) -> ApiResult<FxImportResult> {
    let mut tx = state.db.begin().await?;
    let imported = fx::import(&mut tx, actor, rates).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "fx_rates.import",
            entity_type: "fx_rate",
            entity_id: "fx",
            before: None,
            after: Some(json!({ "received": rates.len(), "imported": imported })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(FxImportResult {
        received: rates.len(),
        imported,
    })
}

#[utoipa::path(post, path = "/api/fx-rates", tag = "payments", request_body = FxRatesRequest,
    responses((status = 200, body = FxImportResult), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn import_rates(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<FxImportResult>> {
    actor.require(Permission::Operate)?;
    let req: FxRatesRequest = parse_json(&headers, &body)?;
    let rates = parse_rates(&req.rates, "rates")?;
    Ok(Json(store_rates(&state, &actor, &rates).await?))
}

/// Reads FX rates CSV: header `base,quote,rate,source,as_of` (any order; `asOf` accepted).
pub fn rates_from_csv(text: &[u8]) -> Result<Vec<FxRateRequest>, Invalid> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text);
    let headers = reader
        .headers()
        .map_err(|e| FieldError::new("file", format!("unreadable CSV header: {e}")))?
        .clone();
    let col = |name: &str| {
        headers.iter().position(|h| {
            h.eq_ignore_ascii_case(name)
                || h.replace('_', "")
                    .eq_ignore_ascii_case(&name.replace('_', ""))
        })
    };
    let (Some(b), Some(q), Some(r), Some(s), Some(a)) = (
        col("base"),
        col("quote"),
        col("rate"),
        col("source"),
        col("as_of"),
    ) else {
        return Err(FieldError::new(
            "file",
            "the header must name base, quote, rate, source and as_of",
        )
        .into());
    };
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record =
            record.map_err(|e| FieldError::new(format!("line {}", i + 2), e.to_string()))?;
        let get = |k: usize| record.get(k).unwrap_or("").to_string();
        out.push(FxRateRequest {
            base: get(b),
            quote: get(q),
            rate: get(r),
            source: get(s),
            as_of: get(a),
        });
    }
    Ok(out)
}

#[utoipa::path(post, path = "/api/fx-rates/csv", tag = "payments", request_body(content = String, content_type = "text/csv", description = "base,quote,rate,source,as_of"),
    responses((status = 200, body = FxImportResult), (status = 422, description = "names the line and column, e.g. `lines[0].rate` for the first data row", body = Problem)), security(("bearer" = [])))]
pub(crate) async fn import_rates_csv(
    State(state): State<AppState>,
    actor: Actor,
    RawBody(body): RawBody,
) -> ApiResult<Json<FxImportResult>> {
    actor.require(Permission::Operate)?;
    let rows = rates_from_csv(&body)?;
    let rates = parse_rates(&rows, "lines")?;
    Ok(Json(store_rates(&state, &actor, &rates).await?))
}

/// Query of the rates list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RatesQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/fx-rates", tag = "payments", params(RatesQuery),
    responses((status = 200, body = Page<FxRateView>)), security(("bearer" = [])))]
pub(crate) async fn list_rates(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<RatesQuery>,
) -> ApiResult<Json<Page<FxRateView>>> {
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let items = fx::list(&state.db, &actor, q.cursor.as_deref(), limit).await?;
    Ok(Json(Page::new(items, limit, |r| r.id.clone()).map(|r| {
        FxRateView {
            id: r.id,
            base: r.base,
            quote: r.quote,
            rate: r.rate,
            source: r.source,
            as_of: r.as_of,
        }
    })))
}
