//! Payee endpoints: `/api/investors/:investorId/bank-accounts`, and their verification by
//! micro-deposits or a Plaid-style link.
//!
//! Investors manage their own payees; staff (operators, admins) manage anyone's in their
//! organization and may attest details as verified; approvers and auditors read. Every change
//! is audited and emits an outbox event, both with the account number masked. A change of bank
//! details holds the payments not yet sent to the old details (manual review) and flags the
//! ones already sent; once the payee is usable, payments that failed for bad or missing account
//! details are re-queued to it.
//!
//! The transactions, audit entries, events, holds, re-queues and the micro-deposit file are
//! the application's ([`clearway_app::payments::bank_accounts`]); this file parses and
//! validates the bodies, keeps the idempotency record of a create, shapes the views and wakes
//! the workers.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use clearway_app::payments::bank_accounts::{
    self as app, PayeeCommand, PlaidVerifyError, VerifyOutcome,
};
use clearway_core::access::Permission;
use clearway_core::{Currency, FieldError, Invalid};
use clearway_store::bank_accounts as store;
use clearway_store::{Actor, StoreError};
use serde::Deserialize;
use utoipa::IntoParams;

use super::connectors::plaid::PlaidError;
use super::dto::{BankAccountRequest, BankAccountView, ConfirmRequest, PlaidRequest, VerifyResult};
use crate::http::{page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody, Saved};
use crate::state::AppState;

const BASE: &str = "/api/investors/{investor_id}/bank-accounts";

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(BASE, get(list).post(create))
        .route(
            &format!("{BASE}/{{account_id}}"),
            get(get_one).put(replace).delete(remove),
        )
        .route(
            &format!("{BASE}/{{account_id}}/default"),
            patch(make_default),
        )
        .route(
            &format!("{BASE}/{{account_id}}/micro-deposits"),
            post(start_micro_deposits),
        )
        .route(
            &format!("{BASE}/{{account_id}}/micro-deposits/confirm"),
            post(confirm_micro_deposits),
        )
        .route(
            &format!("{BASE}/{{account_id}}/plaid-verification"),
            post(plaid_verify),
        )
}

/// The command of a create or replace body: validated and sealed by the DTO's parse.
fn command(req: &BankAccountRequest, state: &AppState) -> Result<PayeeCommand, Invalid> {
    Ok(PayeeCommand {
        details: req.parse(&state.config.payments.vault)?,
        attest_verified: req.verified == Some(true),
        is_default: req.is_default.unwrap_or(false),
    })
}

fn verify_result(outcome: VerifyOutcome) -> VerifyResult {
    VerifyResult {
        verified: outcome.verified,
        attempts_left: outcome.attempts_left,
        requeued_payments: outcome.requeued_payments,
        bank_account: BankAccountView::from(&outcome.bank_account),
    }
}

/// Query of the payee list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/bank-accounts", tag = "payments", params(("investor_id" = String, Path), ListQuery),
    responses((status = 200, body = Page<BankAccountView>), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
    Qs(q): Qs<ListQuery>,
) -> ApiResult<Json<Page<BankAccountView>>> {
    let limit = page_limit(q.limit, 50)?;
    let items = store::list(&state.db, &actor, &investor_id, q.cursor.as_deref(), limit).await?;
    Ok(Json(
        Page::new(items, limit, |b| b.id.clone()).map(|b| BankAccountView::from(&b)),
    ))
}

#[utoipa::path(post, path = "/api/investors/{investor_id}/bank-accounts", tag = "payments", params(("investor_id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body return the first response")),
    request_body = BankAccountRequest, responses((status = 201, body = BankAccountView), (status = 422, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    // Staff need Operate; an investor may add their own payees (the store refuses others').
    // Checked before the body and before any replay.
    let permission = match actor.investor_id {
        Some(_) => Permission::Read,
        None => Permission::Operate,
    };
    actor.require(permission)?;
    let req: BankAccountRequest = parse_json(&headers, &body)?;
    let path = format!("/api/investors/{investor_id}/bank-accounts");
    let saved_response = crate::http::idempotent(
        &state,
        &actor,
        permission,
        &headers,
        &path,
        &body,
        async |tx| {
            let created = app::create(tx, &actor, &investor_id, || command(&req, &state)).await?;
            Saved::json(StatusCode::CREATED, &BankAccountView::from(&created))
        },
    )
    .await?;
    state.jobs_ready.notify_waiters();
    Ok(saved_response.into_response())
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/bank-accounts/{account_id}", tag = "payments", params(("investor_id" = String, Path), ("account_id" = String, Path)),
    responses((status = 200, body = BankAccountView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, account_id)): Path<(String, String)>,
) -> ApiResult<Json<BankAccountView>> {
    let items = store::list(&state.db, &actor, &investor_id, None, 1000).await?;
    let b = items
        .iter()
        .find(|b| b.id == account_id)
        .ok_or(StoreError::NotFound("bank account"))?;
    Ok(Json(BankAccountView::from(b)))
}

#[utoipa::path(put, path = "/api/investors/{investor_id}/bank-accounts/{account_id}", tag = "payments", params(("investor_id" = String, Path), ("account_id" = String, Path)),
    request_body = BankAccountRequest, responses((status = 200, body = BankAccountView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn replace(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, account_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<BankAccountView>> {
    // The role before the body (investors change only their own; the store refuses others').
    if actor.investor_id.is_none() {
        actor.require(Permission::Operate)?;
    }
    let req: BankAccountRequest = parse_json(&headers, &body)?;
    let after = app::replace(&state.db, &actor, &investor_id, &account_id, || {
        command(&req, &state)
    })
    .await?;
    state.events_ready.notify_one();
    state.jobs_ready.notify_waiters();
    Ok(Json(BankAccountView::from(&after)))
}

#[utoipa::path(delete, path = "/api/investors/{investor_id}/bank-accounts/{account_id}", tag = "payments", params(("investor_id" = String, Path), ("account_id" = String, Path)),
    responses((status = 200, description = "disabled (kept for history)", body = BankAccountView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, account_id)): Path<(String, String)>,
) -> ApiResult<Json<BankAccountView>> {
    let after = app::disable(&state.db, &actor, &investor_id, &account_id).await?;
    state.events_ready.notify_one();
    Ok(Json(BankAccountView::from(&after)))
}

#[utoipa::path(patch, path = "/api/investors/{investor_id}/bank-accounts/{account_id}/default", tag = "payments", params(("investor_id" = String, Path), ("account_id" = String, Path)),
    responses((status = 200, body = BankAccountView), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn make_default(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, account_id)): Path<(String, String)>,
) -> ApiResult<Json<BankAccountView>> {
    let after = app::make_default(&state.db, &actor, &investor_id, &account_id).await?;
    state.events_ready.notify_one();
    state.jobs_ready.notify_waiters();
    Ok(Json(BankAccountView::from(&after)))
}

/// Sends the two micro-deposits as ACH credits (a small NACHA file of their own).
#[utoipa::path(post, path = "/api/investors/{investor_id}/bank-accounts/{account_id}/micro-deposits", tag = "payments", params(("investor_id" = String, Path), ("account_id" = String, Path)),
    responses((status = 202, description = "two small credits sent; confirm their amounts", body = BankAccountView), (status = 404, body = Problem), (status = 409, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn start_micro_deposits(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, account_id)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<BankAccountView>)> {
    let after = app::start_micro_deposits(
        &state.db,
        &state.config.payments,
        &actor,
        &investor_id,
        &account_id,
    )
    .await?;
    state.events_ready.notify_one();
    Ok((StatusCode::ACCEPTED, Json(BankAccountView::from(&after))))
}

#[utoipa::path(post, path = "/api/investors/{investor_id}/bank-accounts/{account_id}/micro-deposits/confirm", tag = "payments", params(("investor_id" = String, Path), ("account_id" = String, Path)),
    request_body = ConfirmRequest, responses((status = 200, body = VerifyResult), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn confirm_micro_deposits(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, account_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<VerifyResult>> {
    let req: ConfirmRequest = parse_json(&headers, &body)?;
    if req.amounts.len() != 2 {
        return Err(ApiError::field(
            "amounts",
            "give exactly the two amounts received",
        ));
    }
    let mut errors = Vec::new();
    let mut cents = Vec::new();
    for (i, a) in req.amounts.iter().enumerate() {
        match Currency::USD.parse_amount(&format!("amounts[{i}]"), a) {
            Ok(c) if c > 0 => cents.push(c),
            Ok(_) => errors.push(FieldError::new(format!("amounts[{i}]"), "must be positive")),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Invalid(errors).into());
    }
    let outcome = app::confirm_micro_deposits(
        &state.db,
        &actor,
        &investor_id,
        &account_id,
        (cents[0], cents[1]),
    )
    .await?;
    state.events_ready.notify_one();
    state.jobs_ready.notify_waiters();
    Ok(Json(verify_result(outcome)))
}

#[utoipa::path(post, path = "/api/investors/{investor_id}/bank-accounts/{account_id}/plaid-verification", tag = "payments", params(("investor_id" = String, Path), ("account_id" = String, Path)),
    request_body = PlaidRequest, responses((status = 200, body = VerifyResult), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem), (status = 502, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn plaid_verify(
    State(state): State<AppState>,
    actor: Actor,
    Path((investor_id, account_id)): Path<(String, String)>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<VerifyResult>> {
    let req: PlaidRequest = parse_json(&headers, &body)?;
    if req.public_token.trim().is_empty() || req.public_token.len() > 500 {
        return Err(ApiError::field("publicToken", "is required"));
    }
    let outcome = app::plaid_verify(
        &state.db,
        &state.config.payments,
        &state.http,
        &actor,
        &investor_id,
        &account_id,
        req.public_token.trim(),
    )
    .await
    .map_err(|e| match e {
        PlaidVerifyError::App(e) => ApiError::from(e),
        PlaidVerifyError::Service(PlaidError::Refused(code)) => ApiError::field(
            "publicToken",
            format!("the verification service refused the token ({code})"),
        ),
        PlaidVerifyError::Service(PlaidError::Unavailable(why)) => ApiError::BadRequest {
            status: StatusCode::BAD_GATEWAY,
            field: "publicToken".into(),
            detail: format!("verification service unavailable: {why}"),
        },
    })?;
    state.events_ready.notify_one();
    state.jobs_ready.notify_waiters();
    Ok(Json(verify_result(outcome)))
}

#[cfg(test)]
mod tests {
    use clearway_core::payments::Method;
    use clearway_store::bank_accounts::BankAccount;
    use serde_json::json;

    use super::BankAccountView;

    /// Audit entries and events (written by the application) carry the payee in the shape
    /// the API returns it.
    #[test]
    fn the_audited_view_is_the_api_view() {
        let mut b = BankAccount {
            id: "ba1".into(),
            investor_id: "inv1".into(),
            method: Method::Ach,
            status: "PENDING_VERIFICATION".into(),
            is_default: true,
            holder_name: "Ada".into(),
            currency: "USD".into(),
            routing_number: Some("021000021".into()),
            account_type: Some("CHECKING".into()),
            account: None,
            account_last4: Some("6789".into()),
            bic: None,
            bank_name: None,
            bank_address: None,
            address: Some(json!({ "city": "New York" })),
            verification_method: None,
            micro_deposits: Some((12, 34)),
            verify_attempts: 0,
            verified_at: None,
            blocked_reason: Some("RETURNED: R02 Account closed".into()),
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-02T00:00:00Z".into(),
            version: 3,
        };
        for _ in 0..2 {
            assert_eq!(
                clearway_app::payments::bank_accounts::masked_view(&b),
                serde_json::to_value(BankAccountView::from(&b)).unwrap_or_default()
            );
            b.account_last4 = None;
            b.micro_deposits = None;
            b.method = Method::Wire;
            b.bic = Some("CHASUS33".into());
            b.verified_at = Some("2026-01-03T00:00:00Z".into());
        }
    }
}
