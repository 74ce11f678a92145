//! The distributions API: create, edit, submit, approve, process, cancel, reverse.
//!
//! The HTTP side only: requests are read into typed commands ([`dto`]) and handed to the
//! application services of [`clearway_app::distributions`], which run each change in one
//! transaction with its audit entry and outbox event (creations and reversals inside the
//! idempotent write path, so the saved response commits with them).

pub mod dto;
pub mod pages;
pub mod portal;
pub mod reports;
pub mod routes;

use axum::http::{HeaderMap, StatusCode};
use clearway_app::classes;
use clearway_app::distributions::{self as app, ReversalCommand};
use clearway_core::access::Permission;
use clearway_core::distribution::Action;
use clearway_store::Actor;

use crate::http::{idempotent, parse_json, ApiError, ApiResult, Saved};
use crate::state::AppState;
use dto::{
    ClassGroupView, DistributionRequest, DistributionView, LineRequest, ReallocationView,
    ReversalRequest, ReversalView,
};

pub use clearway_app::distributions::PROCESS_JOB;

/// `POST /api/distributions`.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    raw: &[u8],
) -> ApiResult<Saved> {
    // The role first: a caller who may not write learns nothing from validation or a replay.
    actor.require(Permission::Operate)?;
    let req: DistributionRequest = parse_json(headers, raw)?;
    let target = req.class_target()?;
    idempotent(
        state,
        actor,
        Permission::Operate,
        headers,
        "/api/distributions",
        raw,
        async |tx| match &target {
            None => {
                let d = app::create(tx, actor, &req).await?;
                Saved::json(StatusCode::CREATED, &DistributionView::from(&d))
            }
            Some(target) => {
                let (group, made) = classes::create_distributions(tx, actor, &req, target).await?;
                match (group, made.as_slice()) {
                    (None, [d]) => Saved::json(StatusCode::CREATED, &DistributionView::from(d)),
                    (group, _) => Saved::json(
                        StatusCode::CREATED,
                        &ClassGroupView {
                            class_group_id: group,
                            distributions: made.iter().map(DistributionView::from).collect(),
                        },
                    ),
                }
            }
        },
    )
    .await
}

/// `PUT /api/distributions/:id`: replace dates, description and allocation (DRAFT/READY only).
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: &str,
    headers: &HeaderMap,
    raw: &[u8],
) -> ApiResult<DistributionView> {
    actor.require(Permission::Operate)?;
    let req: DistributionRequest = parse_json(headers, raw)?;
    if req.class_rates.is_some() {
        return Err(ApiError::field(
            "classRates",
            "creates one distribution per class; it is for POST /api/distributions only",
        ));
    }
    let updated = app::update(&state.db, actor, id, &req).await?;
    state.events_ready.notify_one();
    Ok(DistributionView::from(&updated))
}

/// `PUT /api/distributions/:id/lines/:investorId`: set one line explicitly (DRAFT/READY only).
pub async fn update_line(
    state: &AppState,
    actor: &Actor,
    id: &str,
    investor_id: &str,
    headers: &HeaderMap,
    raw: &[u8],
) -> ApiResult<DistributionView> {
    // The role before the body: a forbidden role gets 403, not the 422 details.
    actor.require(Permission::Operate)?;
    let req: LineRequest = parse_json(headers, raw)?;
    if req.investor_id.as_deref().is_some_and(|i| i != investor_id) {
        return Err(ApiError::field(
            "investorId",
            "differs from the investor in the path",
        ));
    }
    let updated = app::update_line(&state.db, actor, id, investor_id, |currency| {
        dto::parse_line("line", &req, currency)
    })
    .await?;
    state.events_ready.notify_one();
    Ok(DistributionView::from(&updated))
}

/// `PATCH /api/distributions/:id/{ready,approve,process,cancel}`.
pub async fn transition(
    state: &AppState,
    actor: &Actor,
    id: &str,
    action: Action,
) -> ApiResult<DistributionView> {
    let updated = app::transition(&state.db, actor, id, action).await?;
    state.events_ready.notify_one();
    if action == Action::Process {
        state.jobs_ready.notify_waiters();
    }
    let mut view = DistributionView::from(&updated);
    if matches!(action, Action::MarkReady | Action::Approve) && actor.investor_id.is_none() {
        // The oversized lines, decided before money moves; the page itself is the preflight's.
        let limits = &state.config.payments.ach_limits;
        // The transition has committed: a failing preflight leaves the summary out (the
        // preflight route says why) rather than answering an error for a change that happened.
        match clearway_app::payments::preflight::preflight(&state.db, actor, id, limits, None, 0)
            .await
        {
            Ok(out) => {
                view.oversized = Some(crate::payments::routes::preflight::summary_of(
                    &out,
                    updated.currency,
                ))
            }
            Err(e) => tracing::warn!(distribution_id = %id, error = %e, "preflight failed"),
        }
    }
    Ok(view)
}

/// `POST /api/distributions/:id/reversal`: a linked reversing distribution (whole or chosen
/// lines), and optionally a correction, in one transaction. The original is not touched.
pub async fn reverse(
    state: &AppState,
    actor: &Actor,
    id: &str,
    headers: &HeaderMap,
    raw: &[u8],
) -> ApiResult<Saved> {
    actor.require(Permission::Operate)?;
    let req: ReversalRequest = parse_json(headers, raw)?;
    let cmd = ReversalCommand::new(
        &req.reason,
        req.investor_ids.as_deref(),
        req.correction.as_ref(),
    )?;
    let path = format!("/api/distributions/{id}/reversal");
    idempotent(
        state,
        actor,
        Permission::Operate,
        headers,
        &path,
        raw,
        async |tx| {
            let done = app::reverse(tx, actor, id, &cmd).await?;
            let view = ReversalView {
                reversal: DistributionView::from(&done.reversal),
                correction: done.correction.as_ref().map(DistributionView::from),
            };
            Saved::json(StatusCode::CREATED, &view)
        },
    )
    .await
}

/// `POST /api/distributions/:id/reallocate`: plans the lines again from the record-date
/// holdings of now, with the same allocation (DRAFT, READY or APPROVED; APPROVED goes back to
/// READY). No body; under an optional `Idempotency-Key` like every POST.
pub async fn reallocate(
    state: &AppState,
    actor: &Actor,
    id: &str,
    headers: &HeaderMap,
    raw: &[u8],
) -> ApiResult<Saved> {
    actor.require(Permission::Operate)?;
    let path = format!("/api/distributions/{id}/reallocate");
    idempotent(
        state,
        actor,
        Permission::Operate,
        headers,
        &path,
        raw,
        async |tx| {
            let done = app::reallocate(tx, actor, id, dto::stored_allocation).await?;
            Saved::json(StatusCode::OK, &ReallocationView::from(&done))
        },
    )
    .await
}
