//! Payee corrections suggested by notifications of change: list, accept, reject.

use axum::extract::{Path, State};
use axum::Json;
use clearway_store::audit::{self, Change};
use clearway_store::bank_accounts::{self as bstore, PayeeDetails};
use clearway_store::payment_batches as batches;
use clearway_store::payments as pstore;
use clearway_store::{outbox, Actor};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use crate::http::{page_limit, ApiResult, Page, Problem, Qs};
use crate::payments::dto::SuggestionView;
use crate::payments::service;
use crate::state::AppState;

use super::PAGE_DEFAULT;

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
    responses((status = 200, description = "the payee corrected (held payments stay held for review; failed ones are re-queued)", body = crate::payments::dto::BankAccountView), (status = 409, body = Problem), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn accept_suggestion(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<crate::payments::dto::BankAccountView>> {
    let mut tx = state.db.begin().await?;
    let s = batches::suggestion_tx(&mut tx, &actor, &id).await?;
    let payee = bstore::by_id_tx(&mut tx, &actor, &s.bank_account_id).await?;
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
    let held = pstore::hold_for_payee(&mut tx, &actor, &payee.id, "BANK_DETAILS_CHANGED").await?;
    let requeued = if after.is_default {
        service::requeue_for_investor(&mut tx, &actor, &payee.investor_id).await?
    } else {
        Vec::new()
    };
    let view = |b: &clearway_store::bank_accounts::BankAccount| {
        // why: serializing a view of strings and numbers cannot fail
        serde_json::to_value(crate::payments::dto::BankAccountView::from(b)).unwrap_or_default()
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
    outbox::emit(&mut tx, &actor, "bank_account.changed", "bank_account", &payee.id, json!({ "bankAccount": view(&after), "changeCode": s.change_code, "heldPayments": held, "requeuedPayments": requeued })).await?;
    tx.commit().await?;
    state.events_ready.notify_one();
    state.jobs_ready.notify_waiters();
    Ok(Json(crate::payments::dto::BankAccountView::from(&after)))
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
