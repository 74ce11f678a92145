//! Payee endpoints: `/api/investors/:investorId/bank-accounts`, and their verification by
//! micro-deposits or a Plaid-style link.
//!
//! Investors manage their own payees; staff (operators, admins) manage anyone's in their
//! organization and may attest details as verified; approvers and auditors read. Every change
//! is audited and emits an outbox event, both with the account number masked. A change of bank
//! details holds the payments not yet sent to the old details (manual review) and flags the
//! ones already sent; once the payee is usable, payments that failed for bad or missing account
//! details are re-queued to it.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use clearway_core::access::Permission;
use clearway_core::payments::{micro_deposit_amounts, Method};
use clearway_core::{Currency, FieldError, Invalid};
use clearway_store::audit::{self, Change};
use clearway_store::bank_accounts::{self as store, BankAccount, Verification};
use clearway_store::payment_batches::{self, NewBatch};
use clearway_store::payments as pstore;
use clearway_store::{new_id, outbox, Actor, StoreError, Tx};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use super::dto::{BankAccountRequest, BankAccountView, ConfirmRequest, PlaidRequest, VerifyResult};
use super::rails::{nacha_file, AchItem};
use super::service;
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

fn view(b: &BankAccount) -> serde_json::Value {
    // why: serializing a view of strings and numbers cannot fail
    serde_json::to_value(BankAccountView::from(b)).unwrap_or_default()
}

async fn trail(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    event: &str,
    before: Option<&BankAccount>,
    after: &BankAccount,
    extra: serde_json::Value,
) -> ApiResult<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            entity_type: "bank_account",
            entity_id: &after.id,
            before: before.map(view),
            after: Some(view(after)),
        },
    )
    .await?;
    outbox::emit(tx, actor, event, "bank_account", &after.id, json!({ "bankAccount": view(after), "investorId": after.investor_id, "actorId": actor.user_id, "details": extra })).await?;
    Ok(())
}

fn attest(
    actor: &Actor,
    req: &BankAccountRequest,
    method: Method,
) -> ApiResult<Option<&'static str>> {
    if req.verified == Some(true) {
        if actor.investor_id.is_some() {
            return Err(ApiError::field("verified", "only staff can attest a payee as verified; verify it by micro-deposits or bank link"));
        }
        actor.require(Permission::Operate)?;
        return Ok(Some("OPERATOR"));
    }
    // A check needs no bank verification: the address is the payee.
    Ok((method == Method::Check).then_some("ADDRESS"))
}

/// Query of the payee list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
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
    let req: BankAccountRequest = parse_json(&headers, &body)?;
    let path = format!("/api/investors/{investor_id}/bank-accounts");
    let saved_response =
        crate::http::idempotent(&state, &actor, &headers, &path, &body, async |tx| {
            store::authorize(tx, &actor, &investor_id, Permission::Operate).await?;
            let details = req.parse(&state.config.payments.vault)?;
            let verified = attest(&actor, &req, details.method)?;
            let created = store::create(
                tx,
                &actor,
                &investor_id,
                &details,
                verified,
                req.is_default.unwrap_or(false),
            )
            .await?;
            let requeued = if created.usable() && created.is_default {
                service::requeue_for_investor(tx, &actor, &investor_id).await?
            } else {
                Vec::new()
            };
            trail(
                tx,
                &actor,
                "bank_account.create",
                "bank_account.created",
                None,
                &created,
                json!({ "requeuedPayments": requeued }),
            )
            .await?;
            Saved::json(StatusCode::CREATED, &BankAccountView::from(&created))
        })
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
    let req: BankAccountRequest = parse_json(&headers, &body)?;
    let mut tx = state.db.begin().await?;
    store::authorize(&mut tx, &actor, &investor_id, Permission::Operate).await?;
    let details = req.parse(&state.config.payments.vault)?;
    let verified = attest(&actor, &req, details.method)?;
    let (before, after) = store::replace(
        &mut tx,
        &actor,
        &investor_id,
        &account_id,
        &details,
        verified,
    )
    .await?;
    let held = pstore::hold_for_payee(&mut tx, &actor, &account_id, "BANK_DETAILS_CHANGED").await?;
    let requeued = if after.usable() && after.is_default {
        service::requeue_for_investor(&mut tx, &actor, &investor_id).await?
    } else {
        Vec::new()
    };
    trail(
        &mut tx,
        &actor,
        "bank_account.update",
        "bank_account.changed",
        Some(&before),
        &after,
        json!({ "heldPayments": held, "requeuedPayments": requeued }),
    )
    .await?;
    tx.commit().await?;
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
    let mut tx = state.db.begin().await?;
    let before = store::get_tx(&mut tx, &actor, &investor_id, &account_id).await?;
    let after = store::disable(&mut tx, &actor, &investor_id, &account_id).await?;
    let held = pstore::hold_for_payee(&mut tx, &actor, &account_id, "PAYEE_DISABLED").await?;
    trail(
        &mut tx,
        &actor,
        "bank_account.disable",
        "bank_account.disabled",
        Some(&before),
        &after,
        json!({ "heldPayments": held }),
    )
    .await?;
    tx.commit().await?;
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
    let mut tx = state.db.begin().await?;
    let before = store::get_tx(&mut tx, &actor, &investor_id, &account_id).await?;
    let after = store::make_default(&mut tx, &actor, &investor_id, &account_id).await?;
    let requeued = if after.usable() {
        service::requeue_for_investor(&mut tx, &actor, &investor_id).await?
    } else {
        Vec::new()
    };
    trail(
        &mut tx,
        &actor,
        "bank_account.default",
        "bank_account.changed",
        Some(&before),
        &after,
        json!({ "requeuedPayments": requeued }),
    )
    .await?;
    tx.commit().await?;
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
    let cfg = &state.config.payments;
    let mut tx = state.db.begin().await?;
    let before = store::get_tx(&mut tx, &actor, &investor_id, &account_id).await?;
    let mut random = [0u8; 16];
    getrandom::getrandom(&mut random)
        .map_err(|_| StoreError::Conflict("random source unavailable; retry".into()))?;
    let amounts = micro_deposit_amounts(
        // why: both halves of a 16-byte array are exactly 8 bytes; the conversion cannot fail.
        u64::from_le_bytes(random[..8].try_into().unwrap_or_default()),
        u64::from_le_bytes(random[8..].try_into().unwrap_or_default()),
    );
    let after =
        store::start_micro_deposits(&mut tx, &actor, &investor_id, &account_id, amounts).await?;
    let account = before.account.as_ref().ok_or(StoreError::Conflict(
        "the payee has no account number".into(),
    ))?;
    let clear = cfg
        .vault
        .open(account)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let items: Vec<AchItem> = [amounts.0, amounts.1]
        .iter()
        .map(|a| {
            let cents = u64::try_from(*a).map_err(|_| {
                StoreError::Corrupt(format!("micro-deposit amount {a} is negative"))
            })?;
            Ok(AchItem {
                payment_id: new_id(),
                // why: an ACH payee has a checked routing number; the NACHA writer refuses none.
                routing_number: before.routing_number.clone().unwrap_or_default(),
                account_number: clear.clone(),
                account_type: if before.account_type.as_deref() == Some("SAVINGS") {
                    clearway_formats::ach::AccountType::Savings
                } else {
                    clearway_formats::ach::AccountType::Checking
                },
                amount_cents: cents,
                entity: false,
                name: before.holder_name.clone(),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    // Micro-deposit traces use sequences from 9,000,000 so they never meet payment traces.
    let n = clearway_store::payment_batches::micro_deposit_count(&mut tx, &actor).await?;
    let first = 9_000_000 + ((n * 2) % 999_990) as u32;
    let today = chrono::Utc::now();
    let effective = service::business_day_on_or_after(
        today.date_naive().succ_opt().unwrap_or(today.date_naive()),
    );
    let (file, _) = nacha_file(
        &cfg.originator,
        today.naive_utc(),
        effective,
        first,
        'M',
        &items,
    )
    .map_err(|e| ApiError::field("accountNumber", e.to_string()))?;
    let (key_id, ciphertext) = cfg
        .vault
        .seal_bytes(file.as_bytes())
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let batch_id = new_id();
    payment_batches::insert(
        &mut tx,
        &actor,
        &NewBatch {
            id: batch_id.clone(),
            kind: "MICRO_DEPOSIT",
            distribution_id: None,
            status: "GENERATED",
            payment_count: 2,
            total_minor: amounts.0 + amounts.1,
            currency: Currency::USD.code().into(),
            effective_date: effective.to_string(),
            file_name: Some(format!("micro-deposits-{batch_id}.ach")),
            file: Some(clearway_store::bank_accounts::Sealed {
                key_id,
                ciphertext,
                last4: String::new(),
            }),
            file_sha256: Some(hex::encode(Sha256::digest(file.as_bytes()))),
        },
    )
    .await?;
    trail(
        &mut tx,
        &actor,
        "bank_account.micro_deposits",
        "bank_account.verification_started",
        Some(&before),
        &after,
        json!({ "batchId": batch_id }),
    )
    .await?;
    tx.commit().await?;
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
    let mut tx = state.db.begin().await?;
    let before = store::get_tx(&mut tx, &actor, &investor_id, &account_id).await?;
    let outcome = store::confirm_micro_deposits(
        &mut tx,
        &actor,
        &investor_id,
        &account_id,
        (cents[0], cents[1]),
    )
    .await?;
    let result = match outcome {
        Verification::Verified(after) => {
            verified(
                &mut tx,
                &actor,
                &investor_id,
                &before,
                &after,
                "MICRO_DEPOSIT",
            )
            .await?
        }
        Verification::Mismatch { attempts_left } => {
            let after = store::get_tx(&mut tx, &actor, &investor_id, &account_id).await?;
            audit::record(
                &mut tx,
                &actor,
                Change {
                    action: "bank_account.verify_failed",
                    entity_type: "bank_account",
                    entity_id: &account_id,
                    before: None,
                    after: Some(json!({ "attemptsLeft": attempts_left })),
                },
            )
            .await?;
            VerifyResult {
                verified: false,
                attempts_left: Some(attempts_left),
                requeued_payments: Vec::new(),
                bank_account: BankAccountView::from(&after),
            }
        }
    };
    tx.commit().await?;
    state.events_ready.notify_one();
    state.jobs_ready.notify_waiters();
    Ok(Json(result))
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
    let cfg = &state.config.payments;
    // Read and authorize first; call the service outside any transaction.
    let mut tx = state.db.begin().await?;
    let current = store::get_tx(&mut tx, &actor, &investor_id, &account_id).await?;
    store::authorize(&mut tx, &actor, &investor_id, Permission::Operate).await?;
    drop(tx);
    let plaid = cfg.plaid.as_ref().ok_or_else(|| {
        StoreError::Conflict("no account verification service is configured".into())
    })?;
    if current.method != Method::Ach || current.status != "PENDING_VERIFICATION" {
        return Err(StoreError::Conflict(
            "bank-link verification applies to ACH payees awaiting verification".into(),
        )
        .into());
    }
    let clear = current
        .account
        .as_ref()
        .map(|a| cfg.vault.open(a))
        .transpose()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?
        .unwrap_or_default();
    let numbers = super::connectors::plaid::ach_numbers(
        &state.http,
        cfg.provider_timeout,
        plaid,
        req.public_token.trim(),
    )
    .await
    .map_err(|e| match e {
        super::connectors::plaid::PlaidError::Refused(code) => ApiError::field(
            "publicToken",
            format!("the verification service refused the token ({code})"),
        ),
        super::connectors::plaid::PlaidError::Unavailable(why) => ApiError::BadRequest {
            status: StatusCode::BAD_GATEWAY,
            field: "publicToken".into(),
            detail: format!("verification service unavailable: {why}"),
        },
    })?;
    let matches = numbers.iter().any(|(routing, account)| {
        Some(routing) == current.routing_number.as_ref() && account.eq_ignore_ascii_case(&clear)
    });
    if !matches {
        return Err(ApiError::field(
            "publicToken",
            "the linked bank account does not match this payee's routing and account numbers",
        ));
    }
    let mut tx = state.db.begin().await?;
    let after = store::mark_verified(&mut tx, &actor, &investor_id, &account_id, "PLAID").await?;
    let result = verified(&mut tx, &actor, &investor_id, &current, &after, "PLAID").await?;
    tx.commit().await?;
    state.events_ready.notify_one();
    state.jobs_ready.notify_waiters();
    Ok(Json(result))
}

/// What follows a payee's verification (micro-deposits or Plaid): the investor's held payments
/// are re-queued when it is their default payee, and the change is audited with its method.
async fn verified(
    tx: &mut Tx,
    actor: &Actor,
    investor_id: &str,
    before: &BankAccount,
    after: &BankAccount,
    method: &str,
) -> ApiResult<VerifyResult> {
    let requeued = if after.is_default {
        service::requeue_for_investor(tx, actor, investor_id).await?
    } else {
        Vec::new()
    };
    trail(
        tx,
        actor,
        "bank_account.verify",
        "bank_account.verified",
        Some(before),
        after,
        json!({ "method": method, "requeuedPayments": requeued }),
    )
    .await?;
    Ok(VerifyResult {
        verified: true,
        attempts_left: None,
        requeued_payments: requeued,
        bank_account: BankAccountView::from(after),
    })
}
