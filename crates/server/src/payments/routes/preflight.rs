//! The preflight of a distribution not yet processed: its lines above the ACH limit and
//! what processing will do with each.

use axum::extract::{Path, State};
use axum::Json;
use clearway_app::payments::preflight::{self as app, Preflight};
use clearway_core::Currency;
use clearway_store::distributions as dstore;
use clearway_store::Actor;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::{page_limit, ApiResult, Problem, Qs};
use crate::payments::dto::{OversizedLineView, OversizedSummary, PreflightView};
use crate::state::AppState;

use super::{staff_only, PAGE_DEFAULT};

/// Query of the preflight.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreflightQuery {
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/distributions/{id}/preflight", tag = "payments", params(("id" = String, Path), PreflightQuery),
    responses((status = 200, description = "the lines whose cash is above the ACH limit of their payee's rail, with what processing will do (WIRE or REVIEW), paginated by investor; counts and totals over all of them", body = PreflightView),
        (status = 404, body = Problem), (status = 409, description = "the distribution is already processing, processed or cancelled", body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn preflight(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Qs(q): Qs<PreflightQuery>,
) -> ApiResult<Json<PreflightView>> {
    staff_only(&actor, "distribution")?;
    let limit = page_limit(q.limit, PAGE_DEFAULT)?;
    let d = dstore::get(&state.db, &actor, &id).await?;
    let out = app::preflight(
        &state.db,
        &actor,
        &id,
        &state.config.payments.ach_limits,
        q.cursor.as_deref(),
        // why: page_limit keeps it within 1..=1000
        limit as usize,
    )
    .await?;
    Ok(Json(view(&id, d.currency, limit, out)))
}

fn view(id: &str, currency: Currency, limit: i64, out: Preflight) -> PreflightView {
    let usd = Currency::USD;
    let limit_text = usd.format_minor(out.limit_minor);
    let next_cursor = (out.items.len() as i64 == limit && out.count > out.items.len())
        .then(|| out.items.last().map(|o| o.line.investor_id.clone()))
        .flatten();
    PreflightView {
        distribution_id: id.to_string(),
        currency: currency.code().to_string(),
        summary: summary_of(&out, currency),
        items: out
            .items
            .iter()
            .map(|o| OversizedLineView {
                investor_id: o.line.investor_id.clone(),
                investor_name: o.line.investor_name.clone(),
                amount: currency.format_minor(o.line.cash_minor),
                ach_amount: usd.format_minor(o.ach_minor),
                method: "ACH".into(),
                limit: limit_text.clone(),
                route: o.route.as_str().into(),
            })
            .collect(),
        next_cursor,
    }
}

/// The counts and total of a preflight.
pub fn summary_of(out: &Preflight, currency: Currency) -> OversizedSummary {
    OversizedSummary {
        limit: Currency::USD.format_minor(out.limit_minor),
        count: out.count,
        to_wire: out.to_wire,
        to_review: out.to_review,
        total_amount: currency.format_minor(out.total_minor),
        reinvestment_applied: out.reinvestment_applied,
    }
}
