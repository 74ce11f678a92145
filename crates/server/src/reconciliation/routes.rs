//! HTTP handlers of the reconciliation API.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use clearway_app::reconciliation::{self as app, ImportOptions, ManualMatch};
use clearway_core::access::Permission;
use clearway_core::reconciliation::MatchConfig;
use clearway_formats::statements::{
    csv::Column, csv::Overrides, BalancePolicy, FileFormat, SheetOptions,
};
use clearway_store::reconciliation::{self as store, ExceptionFilter};
use clearway_store::statements;
use clearway_store::Actor;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::dto::{
    self, ImportOutcomeView, ImportQuery, LineView, ManualMatchRequest, MatchRequestView,
    MatchView, RunSummaryView, StatementView, SummaryView,
};
use super::export;
use crate::http::{
    idempotent, page_limit, parse_json, ApiError, ApiResult, Problem, Qs, RawBody, Saved,
};
use crate::state::AppState;

/// Default page size.
const PAGE_DEFAULT: i64 = 100;

/// Whether a page holds `limit` items (then there may be a next one).
fn full_page(len: usize, limit: i64) -> bool {
    i64::try_from(len).is_ok_and(|n| n == limit)
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/bank-statements", post(import).get(list_statements))
        .route("/api/bank-statements/{id}", get(get_statement))
        .route("/api/bank-statements/{id}/lines", get(statement_lines))
        .route("/api/reconciliation/lines/{id}", get(get_line))
        .route("/api/reconciliation/runs", post(run_matching))
        .route("/api/reconciliation/exceptions", get(list_exceptions))
        .route("/api/reconciliation/matches", post(create_match))
        .route(
            "/api/reconciliation/match-requests/{id}/approve",
            post(approve_match_request),
        )
        .route(
            "/api/reconciliation/matches/{id}",
            get(get_match).delete(delete_match),
        )
        .route("/api/reconciliation/summary", get(summary))
}

fn one_char(field: &str, v: &Option<String>) -> ApiResult<Option<char>> {
    match v.as_deref() {
        None => Ok(None),
        Some("\\t") | Some("tab") => Ok(Some('\t')),
        Some(s) if s.chars().count() == 1 => Ok(s.chars().next()),
        Some(_) => Err(ApiError::field(field, "must be one character")),
    }
}

/// Most rows `skipRows`/`footerRows` may name. The schema states the bound (a schema-valid
/// value then always fits the server's integer) and the server enforces it.
const ROWS_MAX: usize = 1_000_000;

fn rows(field: &str, v: Option<usize>) -> ApiResult<Option<usize>> {
    match v {
        Some(n) if n > ROWS_MAX => Err(ApiError::field(field, format!("at most {ROWS_MAX}"))),
        _ => Ok(v),
    }
}

/// A comma-separated list of words.
fn words(v: &Option<String>) -> Option<Vec<String>> {
    v.as_deref()
        .map(|s| s.split(',').map(|w| w.trim().to_string()).collect())
}

fn import_options(q: &ImportQuery, policy: BalancePolicy) -> ApiResult<ImportOptions> {
    let format = q
        .format
        .as_deref()
        .map(|f| {
            f.parse::<FileFormat>()
                .map_err(|e| ApiError::field("format", e))
        })
        .transpose()?;
    let col = |v: &Option<String>| v.as_deref().map(Column::parse);
    let overrides = Overrides {
        delimiter: one_char("delimiter", &q.delimiter)?,
        skip_rows: rows("skipRows", q.skip_rows)?,
        header: q.header,
        footer_rows: rows("footerRows", q.footer_rows)?,
        date_format: q.date_format.clone(),
        decimal_separator: one_char("decimalSeparator", &q.decimal_separator)?,
        inverse_sign: q.inverse_sign,
        date_column: col(&q.date_column),
        value_date_column: col(&q.value_date_column),
        amount_column: col(&q.amount_column),
        debit_column: col(&q.debit_column),
        credit_column: col(&q.credit_column),
        indicator_column: col(&q.indicator_column),
        indicator_debit: words(&q.indicator_debit),
        indicator_credit: words(&q.indicator_credit),
        currency_column: col(&q.currency_column),
        balance_column: col(&q.balance_column),
        reference_column: col(&q.reference_column),
        customer_reference_column: col(&q.customer_reference_column),
        counterparty_column: col(&q.counterparty_column),
        description_column: col(&q.description_column),
        currency: q.currency.clone(),
        account_id: q.account.clone(),
    };
    Ok(ImportOptions {
        format,
        sheet: SheetOptions {
            preset: q.preset.clone(),
            overrides,
        },
        account: q.account.clone(),
        currency: q.currency.clone(),
        balance_policy: match q.balance_policy.as_deref() {
            Some(p) => p
                .parse()
                .map_err(|e: String| ApiError::field("balancePolicy", e))?,
            None => policy,
        },
    })
}

#[utoipa::path(post, path = "/api/bank-statements", tag = "reconciliation", params(ImportQuery),
    request_body(content = Vec<u8>, description = "The statement file as uploaded (BAI2, camt XML, MT940, OFX, CSV or XLSX bytes)", content_type = "application/octet-stream"),
    responses((status = 201, description = "imported; a matching job is queued", body = Object), (status = 200, description = "the same file was imported before: nothing added", body = Object),
        (status = 422, description = "unreadable, truncated or mis-totalled file, balances that do not tie under the refuse policy (the error names the line, record and figures), or a `currency` the file contradicts; nothing imported. A statement without entries is imported with the warning 'no activity'; one decoded from another encoding than UTF-8 says so in `encoding` and a warning", body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn import(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<ImportQuery>,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let options = import_options(&q, state.config.statement_balance_policy)?;
    let outcome = app::import(&state.db, &actor, &body, &options).await?;
    if outcome.job_id.is_some() {
        state.jobs_ready.notify_waiters();
        state.events_ready.notify_one();
    }
    let status = if outcome.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(dto::view(&ImportOutcomeView::from(&outcome)))).into_response())
}

/// Query of the statements list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatementsQuery {
    /// Only this account.
    account: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/bank-statements", tag = "reconciliation", params(StatementsQuery),
    responses((status = 200, description = "statements, newest first", body = Object), (status = 403, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list_statements(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<StatementsQuery>,
) -> ApiResult<Json<Value>> {
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let items = statements::list(
        &state.db,
        &actor,
        q.account.as_deref(),
        q.cursor.as_deref(),
        limit,
    )
    .await?;
    let next = full_page(items.len(), limit)
        .then(|| items.last().map(|s| s.id.clone()))
        .flatten();
    let views = items.iter().map(|s| dto::view(&StatementView::from(s)));
    Ok(Json(dto::page(views.collect(), next)))
}

#[utoipa::path(get, path = "/api/bank-statements/{id}", tag = "reconciliation", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_statement(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let statement = statements::get(&state.db, &actor, &id).await?;
    Ok(Json(dto::view(&StatementView::from(&statement))))
}

/// Query of a statement's lines.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinesQuery {
    /// Only lines with this status (OPEN, MATCHED, EXCEPTION).
    #[param(pattern = "^(OPEN|MATCHED|EXCEPTION)$")]
    status: Option<String>,
    /// `nextCursor` of the previous page (a line position).
    cursor: Option<i64>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/bank-statements/{id}/lines", tag = "reconciliation", params(("id" = String, Path), LinesQuery),
    responses((status = 200, description = "lines in file order with their raw record and match", body = Object), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn statement_lines(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Qs(q): Qs<LinesQuery>,
) -> ApiResult<Json<Value>> {
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    if let Some(s) = &q.status {
        if !["OPEN", "MATCHED", "EXCEPTION"].contains(&s.as_str()) {
            return Err(ApiError::field(
                "status",
                "must be OPEN, MATCHED or EXCEPTION",
            ));
        }
    }
    let items = statements::lines(
        &state.db,
        &actor,
        &id,
        q.status.as_deref(),
        q.cursor.unwrap_or(-1),
        limit,
    )
    .await?;
    let next = full_page(items.len(), limit)
        .then(|| items.last().map(|l| l.seq.to_string()))
        .flatten();
    let views = items.iter().map(|l| dto::view(&LineView::from(l)));
    Ok(Json(dto::page(views.collect(), next)))
}

#[utoipa::path(get, path = "/api/reconciliation/lines/{id}", tag = "reconciliation", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_line(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let line = statements::line(&state.db, &actor, &id).await?;
    Ok(Json(dto::view(&LineView::from(&line))))
}

#[utoipa::path(post, path = "/api/reconciliation/runs", tag = "reconciliation",
    responses((status = 200, description = "matching ran over every open line and payment", body = Object), (status = 403, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn run_matching(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Value>> {
    let summary = app::run_now(&state.db, &actor, "MANUAL", &MatchConfig::default()).await?;
    state.events_ready.notify_one();
    Ok(Json(dto::view(&RunSummaryView::from(&summary))))
}

/// Query of the exceptions queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExceptionsQuery {
    /// Only this account.
    account: Option<String>,
    /// Only this cause (NO_CANDIDATE, BELOW_THRESHOLD, AMBIGUOUS, CONTESTED, AMOUNT_MISMATCH, CONTRADICTED, ALREADY_MATCHED, MANUALLY_UNMATCHED).
    #[param(
        pattern = "^(NO_CANDIDATE|BELOW_THRESHOLD|AMBIGUOUS|CONTESTED|AMOUNT_MISMATCH|CONTRADICTED|ALREADY_MATCHED|MANUALLY_UNMATCHED)$"
    )]
    cause: Option<String>,
    /// At least this many days since the value date.
    #[param(minimum = 0, maximum = 36500)]
    min_age_days: Option<i64>,
    /// At most this many days since the value date.
    #[param(minimum = 0, maximum = 36500)]
    max_age_days: Option<i64>,
    /// Count ages to this day (YYYY-MM-DD; default today).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    as_of: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

fn date(field: &str, v: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    v.as_deref()
        .map(|t| {
            clearway_core::input::parse_date(field, t).map_err(|e| ApiError::Invalid(e.into()))
        })
        .transpose()
}

#[utoipa::path(get, path = "/api/reconciliation/exceptions", tag = "reconciliation", params(ExceptionsQuery),
    responses((status = 200, description = "open exceptions with cause, age and suggested candidates", body = Object), (status = 403, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list_exceptions(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<ExceptionsQuery>,
) -> ApiResult<Json<Value>> {
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    for (field, v) in [
        ("minAgeDays", q.min_age_days),
        ("maxAgeDays", q.max_age_days),
    ] {
        if v.is_some_and(|n| !(0..=36_500).contains(&n)) {
            return Err(ApiError::field(field, "must be between 0 and 36500"));
        }
    }
    let as_of = date("asOf", &q.as_of)?.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let f = ExceptionFilter {
        account: q.account,
        cause: q.cause,
        min_age_days: q.min_age_days,
        max_age_days: q.max_age_days,
        as_of: Some(as_of),
        after_id: q.cursor,
        limit,
    };
    let items = store::exceptions(&state.db, &actor, &f).await?;
    let next = full_page(items.len(), limit)
        .then(|| items.last().map(|l| l.id.clone()))
        .flatten();
    let views = items
        .iter()
        .map(|l| {
            let mut v = dto::view(&LineView::from(l));
            v["ageDays"] = Value::from((as_of - l.value_date).num_days());
            v
        })
        .collect();
    Ok(Json(dto::page(views, next)))
}

#[utoipa::path(post, path = "/api/reconciliation/matches", tag = "reconciliation", request_body = ManualMatchRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    description = "Four eyes: a match whose lines total more than the four-eyes amount (CLEARWAY_FOUR_EYES_ABOVE, in the lines' currency; default 10000.00) is not made at once. It answers 202 with a PENDING match request; a different user with the Approve permission approves it (`POST /api/reconciliation/match-requests/{id}/approve`); then the match is sent again with `requestId` and made.",
    responses((status = 201, description = "matched; the payments are settled (COMPLETED with the line's value date, or RETURNED)", body = Object),
        (status = 202, description = "above the four-eyes amount: a PENDING match request, nothing else written", body = Object),
        (status = 404, description = "a line or payment does not exist in this organization", body = Problem),
        (status = 409, description = "a line is already matched, a payment cannot take this outcome, or the request is not approved or already used", body = Problem),
        (status = 422, description = "amounts, signs or currencies do not agree, or requestId was approved for other lines", body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn create_match(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    actor.require(Permission::Operate)?;
    let req: ManualMatchRequest = parse_json(&headers, &body)?;
    let manual = ManualMatch {
        line_ids: req.line_ids,
        payment_ids: req.payment_ids,
        outcome: req.outcome.unwrap_or_else(|| "CLEARED".into()),
        note: req.note,
        request_id: req.request_id,
    };
    let above = state.config.four_eyes_above;
    let saved = idempotent(
        &state,
        &actor,
        Permission::Operate,
        &headers,
        "/api/reconciliation/matches",
        &body,
        async |tx| match app::manual_match(tx, &actor, &manual, above).await? {
            app::ManualOutcome::Matched(m) => Ok(Saved {
                status: StatusCode::CREATED,
                body: dto::view(&MatchView::from(&m)).to_string(),
            }),
            app::ManualOutcome::Pending(r) => Ok(Saved {
                status: StatusCode::ACCEPTED,
                body: dto::view(&MatchRequestView::from(&r)).to_string(),
            }),
        },
    )
    .await?;
    Ok(saved.into_response())
}

#[utoipa::path(post, path = "/api/reconciliation/match-requests/{id}/approve", tag = "reconciliation", params(("id" = String, Path)),
    description = "Four eyes: approves a PENDING manual match request. The approver needs the Approve permission and must not be the user who asked for the match; the maker then sends the match again with `requestId`.",
    responses((status = 200, description = "the request, APPROVED", body = Object), (status = 403, description = "not allowed to approve, or approving one's own request", body = Problem),
        (status = 404, body = Problem), (status = 409, description = "not pending", body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn approve_match_request(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    actor.require(Permission::Approve)?;
    let mut tx = state.db.begin().await?;
    let approved = app::approve_match_request(&mut tx, &actor, &id).await?;
    tx.commit().await?;
    Ok(Json(dto::view(&MatchRequestView::from(&approved))))
}

#[utoipa::path(get, path = "/api/reconciliation/matches/{id}", tag = "reconciliation", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_match(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let m = store::get_match(&state.db, &actor, &id).await?;
    Ok(Json(dto::view(&MatchView::from(&m))))
}

/// Query of an unmatch.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnmatchQuery {
    /// Why the match is wrong (required, audited).
    #[param(required = true, value_type = String, max_length = 1000, pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x1F\\x7F-\\x9F]*$")]
    reason: Option<String>,
}

#[utoipa::path(delete, path = "/api/reconciliation/matches/{id}", tag = "reconciliation", params(("id" = String, Path), UnmatchQuery),
    responses((status = 200, description = "undone: payments reopened, lines back in the exceptions queue (manual only)", body = Object),
        (status = 404, body = Problem), (status = 409, description = "already undone, or its payment was returned since", body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn delete_match(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Qs(q): Qs<UnmatchQuery>,
) -> ApiResult<Json<Value>> {
    actor.require(Permission::Operate)?;
    // why: no reason is an empty one, which the service refuses (422 naming `reason`)
    let reason = q.reason.unwrap_or_default();
    let m = app::unmatch_now(&state.db, &actor, &id, &reason).await?;
    state.events_ready.notify_one();
    Ok(Json(dto::view(&MatchView::from(&m))))
}

/// Query of the summary.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SummaryQuery {
    /// Only this account.
    account: Option<String>,
    /// First value date (YYYY-MM-DD; default 30 days before `to`).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    from: Option<String>,
    /// Last value date (YYYY-MM-DD; default today).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    to: Option<String>,
    /// Count exception ages to this day (default today).
    #[param(format = Date, pattern = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
    as_of: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    #[param(pattern = "^(json|csv|xlsx)$")]
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/reconciliation/summary", tag = "reconciliation", params(SummaryQuery),
    responses((status = 200, description = "per account: matched count and amount (auto vs manual), returns, open exceptions by age and cause; per currency: ledger-to-bank difference. JSON, CSV or XLSX.",
            content((Object = "application/json"), ("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 422, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn summary(
    State(state): State<AppState>,
    actor: Actor,
    Qs(q): Qs<SummaryQuery>,
) -> ApiResult<Response> {
    let today = chrono::Utc::now().date_naive();
    let to = date("to", &q.to)?.unwrap_or(today);
    let from = date("from", &q.from)?.unwrap_or(to - chrono::Duration::days(30));
    let as_of = date("asOf", &q.as_of)?.unwrap_or(today);
    if (to - from).num_days() > 3660 {
        return Err(ApiError::field(
            "from",
            "the period may span at most 10 years",
        ));
    }
    let s = store::summary(&state.db, &actor, q.account.as_deref(), from, to, as_of).await?;
    let name = format!("reconciliation-{from}-{to}");
    let internal = |e: String| ApiError::Store(clearway_store::StoreError::Corrupt(e));
    Ok(match q.format.as_deref().unwrap_or("json") {
        "json" => Json(dto::view(&SummaryView::from(&s))).into_response(),
        "csv" => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            export::csv(&s).map_err(internal)?,
        )
            .into_response(),
        "xlsx" => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.xlsx\""),
                ),
            ],
            export::xlsx(&s).map_err(internal)?,
        )
            .into_response(),
        other => {
            return Err(ApiError::field(
                "format",
                format!("'{other}' is not json, csv or xlsx"),
            ))
        }
    })
}
