//! The distribution lifecycle: create, edit, submit, approve, process, cancel, reverse.
//!
//! Every operation runs in one transaction that also writes its audit entry and outbox event
//! (and, for creations with an `Idempotency-Key`, the saved response), so a change is never
//! visible without its trail, and a retried request never does the work twice.

pub mod dto;
pub mod routes;

use std::collections::HashSet;

use axum::http::{HeaderMap, StatusCode};
use clearway_core::distribution::{
    plan_lines, Action, Allocation, Kind, PlannedLine, Schedule, Status,
};
use clearway_core::FieldError;
use clearway_store::audit::{self, Change};
use clearway_store::distributions::{self as store, Distribution, NewDistribution};
use clearway_store::funds::{self, Fund};
use clearway_store::{jobs, outbox, Actor, StoreError, Tx};
use serde_json::{json, Value};

use crate::http::{idempotent, parse_json, ApiError, ApiResult, Saved};
use crate::state::AppState;
use dto::{DistributionRequest, DistributionView, LineRequest, ReversalRequest, ReversalView};

/// Job kind of distribution processing.
pub const PROCESS_JOB: &str = "distribution.process";

/// Plans lines for a request against the fund's record-date holdings.
async fn plan(
    tx: &mut Tx,
    actor: &Actor,
    fund: &Fund,
    schedule: &Schedule,
    allocation: &Allocation,
) -> ApiResult<Vec<PlannedLine>> {
    let (holdings, members) = match allocation {
        Allocation::Explicit(_) => (
            Vec::new(),
            funds::fund_investor_ids(tx, actor, &fund.id).await?,
        ),
        _ => (
            funds::holdings_as_of(tx, actor, &fund.id, schedule.record).await?,
            HashSet::new(),
        ),
    };
    let members: HashSet<&str> = members.iter().map(String::as_str).collect();
    Ok(plan_lines(fund.currency, allocation, &holdings, &members)?)
}

fn view_json(d: &Distribution) -> Value {
    serde_json::to_value(DistributionView::from(d)).unwrap_or(Value::Null)
}

/// Writes the audit entry and outbox event of a change to a distribution.
pub(crate) async fn trail(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    event: &str,
    before: Option<&Distribution>,
    after: &Distribution,
) -> ApiResult<()> {
    let after_json = view_json(after);
    audit::record(
        tx,
        actor,
        Change {
            action,
            entity_type: "distribution",
            entity_id: &after.id,
            before: before.map(view_json),
            after: Some(after_json.clone()),
        },
    )
    .await?;
    outbox::emit(
        tx,
        actor,
        event,
        "distribution",
        &after.id,
        json!({ "distribution": after_json, "actorId": actor.user_id }),
    )
    .await?;
    Ok(())
}

/// Inserts a new distribution from a parsed request.
async fn insert_new(
    tx: &mut Tx,
    actor: &Actor,
    req: &DistributionRequest,
    kind: Kind,
    corrects: Option<(&str, &str)>,
) -> ApiResult<Distribution> {
    let fund = funds::get_fund_tx(tx, actor, &req.fund_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => {
                ApiError::field("fundId", format!("fund '{}' not found", req.fund_id))
            }
            other => other.into(),
        })?;
    let parsed = req.parse(fund.currency)?;
    let lines = plan(tx, actor, &fund, &parsed.schedule, &parsed.allocation).await?;
    let new = NewDistribution {
        fund_id: fund.id.clone(),
        kind,
        status: Status::Draft,
        currency: fund.currency,
        schedule: parsed.schedule,
        description: parsed.description,
        allocation: req.allocation_record(),
        reverses_id: None,
        corrects_id: corrects.map(|(id, _)| id.to_string()),
        reason: corrects.map(|(_, reason)| reason.to_string()),
    };
    let d = store::insert(tx, actor, &new, &lines).await?;
    trail(
        tx,
        actor,
        "distribution.create",
        "distribution.declared",
        None,
        &d,
    )
    .await?;
    Ok(d)
}

/// `POST /api/distributions`.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    raw: &[u8],
) -> ApiResult<Saved> {
    let req: DistributionRequest = parse_json(headers, raw)?;
    idempotent(
        state,
        actor,
        headers,
        "/api/distributions",
        raw,
        async |tx| {
            let d = insert_new(tx, actor, &req, Kind::Regular, None).await?;
            Ok(Saved {
                status: StatusCode::CREATED,
                body: serde_json::to_string(&DistributionView::from(&d)).unwrap_or_default(),
            })
        },
    )
    .await
}

fn refuse_reversal_edit(d: &Distribution) -> ApiResult<()> {
    if d.kind == Kind::Reversal {
        return Err(StoreError::Conflict(
            "a reversal is derived from the original and cannot be edited; cancel it instead"
                .into(),
        )
        .into());
    }
    Ok(())
}

/// `PUT /api/distributions/:id`: replace dates, description and allocation (DRAFT/READY only).
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: &str,
    headers: &HeaderMap,
    raw: &[u8],
) -> ApiResult<DistributionView> {
    let req: DistributionRequest = parse_json(headers, raw)?;
    let mut tx = state.db.begin().await?;
    let current = store::get_tx(&mut tx, actor, id).await?;
    refuse_reversal_edit(&current)?;
    current.status.apply(Action::Edit)?;
    let fund = funds::get_fund_tx(&mut tx, actor, &current.fund_id).await?;
    if req.fund_id != fund.id && req.fund_id != fund.code {
        return Err(ApiError::field(
            "fundId",
            "the fund of a distribution cannot change; create a new one",
        ));
    }
    let parsed = req.parse(fund.currency)?;
    let lines = plan(&mut tx, actor, &fund, &parsed.schedule, &parsed.allocation).await?;
    let edit = store::Edit {
        schedule: parsed.schedule,
        description: parsed.description,
        allocation: req.allocation_record(),
    };
    let updated = store::edit(&mut tx, actor, &current, &edit, Some(&lines)).await?;
    trail(
        &mut tx,
        actor,
        "distribution.update",
        "distribution.updated",
        Some(&current),
        &updated,
    )
    .await?;
    tx.commit().await?;
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
    let req: LineRequest = parse_json(headers, raw)?;
    if req.investor_id.as_deref().is_some_and(|i| i != investor_id) {
        return Err(ApiError::field(
            "investorId",
            "differs from the investor in the path",
        ));
    }
    let mut tx = state.db.begin().await?;
    let current = store::get_tx(&mut tx, actor, id).await?;
    refuse_reversal_edit(&current)?;
    current.status.apply(Action::Edit)?;
    let (total, components) =
        dto::parse_line("line", &req, current.currency).map_err(|errors| {
            clearway_core::Invalid(
                errors
                    .into_iter()
                    .map(|e| {
                        FieldError::new(e.field.trim_start_matches("line.").to_string(), e.message)
                    })
                    .collect(),
            )
        })?;
    let mut errors = clearway_core::distribution::check_line("line", total, &components);
    if !funds::fund_investor_ids(&mut tx, actor, &current.fund_id)
        .await?
        .contains(investor_id)
    {
        errors.push(FieldError::new(
            "investorId",
            format!("investor '{investor_id}' is not an investor of this fund"),
        ));
    }
    if !errors.is_empty() {
        // The body is the line itself: name its fields without the internal "line." prefix.
        for e in &mut errors {
            if let Some(rest) = e.field.strip_prefix("line.") {
                e.field = rest.to_string();
            }
        }
        return Err(clearway_core::Invalid(errors).into());
    }
    let line = PlannedLine {
        investor_id: investor_id.to_string(),
        units: None,
        total,
        components,
    };
    let updated = store::replace_line(&mut tx, actor, &current, &line).await?;
    trail(
        &mut tx,
        actor,
        "distribution.update_line",
        "distribution.updated",
        Some(&current),
        &updated,
    )
    .await?;
    tx.commit().await?;
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
    let mut tx = state.db.begin().await?;
    let current = store::get_tx(&mut tx, actor, id).await?;
    let updated = store::transition(&mut tx, actor, &current, action).await?;
    if action == Action::Process {
        // Refused here, whole, rather than failing in the job: a missing or stale NAV leaves
        // the distribution APPROVED (this transaction rolls back).
        clearway_app::reinvestment::preflight(&mut tx, actor, &current).await?;
    }
    let (verb, event) = match action {
        Action::MarkReady => ("distribution.ready", "distribution.submitted"),
        Action::Approve => ("distribution.approve", "distribution.approved"),
        Action::Process => ("distribution.process", "distribution.processing"),
        Action::Cancel => ("distribution.cancel", "distribution.cancelled"),
        Action::Complete => ("distribution.complete", "distribution.completed"),
        Action::Edit => ("distribution.update", "distribution.updated"),
    };
    if action == Action::Process {
        let key = format!("{PROCESS_JOB}:{}", updated.id);
        jobs::enqueue(
            &mut tx,
            actor,
            PROCESS_JOB,
            json!({ "distributionId": updated.id }),
            Some(&key),
            4,
        )
        .await?;
    }
    trail(&mut tx, actor, verb, event, Some(&current), &updated).await?;
    tx.commit().await?;
    state.events_ready.notify_one();
    if action == Action::Process {
        state.jobs_ready.notify_waiters();
    }
    Ok(DistributionView::from(&updated))
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
    let req: ReversalRequest = parse_json(headers, raw)?;
    let reason = req.reason.trim().to_string();
    if reason.is_empty() || reason.len() > 500 {
        return Err(ApiError::field(
            "reason",
            "is required (1 to 500 characters)",
        ));
    }
    let path = format!("/api/distributions/{id}/reversal");
    idempotent(state, actor, headers, &path, raw, async |tx| {
        let original = store::get_tx(tx, actor, id).await?;
        if original.status != Status::Completed {
            return Err(StoreError::Conflict(format!(
                "only a COMPLETED distribution can be reversed; this one is {}",
                original.status
            ))
            .into());
        }
        if original.kind == Kind::Reversal {
            return Err(StoreError::Conflict("a reversal cannot itself be reversed".into()).into());
        }
        let all = store::all_lines_tx(tx, actor, &original.id).await?;
        let chosen: Vec<_> = match &req.investor_ids {
            None => all.iter().collect(),
            Some(ids) => {
                let mut errors = Vec::new();
                let mut picked = Vec::new();
                let mut seen = HashSet::new();
                for (i, inv) in ids.iter().enumerate() {
                    match all.iter().find(|l| &l.investor_id == inv) {
                        Some(_) if !seen.insert(inv) => errors.push(FieldError::new(
                            format!("investorIds[{i}]"),
                            "appears more than once",
                        )),
                        Some(l) => picked.push(l),
                        None => errors.push(FieldError::new(
                            format!("investorIds[{i}]"),
                            format!("investor '{inv}' has no line in this distribution"),
                        )),
                    }
                }
                if ids.is_empty() {
                    errors.push(FieldError::new(
                        "investorIds",
                        "must not be empty; omit it to reverse every line",
                    ));
                }
                if !errors.is_empty() {
                    return Err(clearway_core::Invalid(errors).into());
                }
                picked
            }
        };
        let lines: Vec<PlannedLine> = chosen
            .iter()
            .map(|l| PlannedLine {
                investor_id: l.investor_id.clone(),
                units: l.units.as_deref().and_then(|u| u.parse().ok()),
                total: -l.total_minor,
                components: l.components.negated(),
            })
            .collect();
        let today = chrono::Utc::now().date_naive();
        let schedule = Schedule {
            payable: original.schedule.payable.max(today),
            ..original.schedule
        };
        let new = NewDistribution {
            fund_id: original.fund_id.clone(),
            kind: Kind::Reversal,
            status: Status::Ready,
            currency: original.currency,
            schedule,
            description: format!(
                "Reversal of {}",
                if original.description.is_empty() {
                    &original.id
                } else {
                    &original.description
                }
            ),
            allocation: json!({ "method": "reversal", "of": original.id }),
            reverses_id: Some(original.id.clone()),
            corrects_id: None,
            reason: Some(reason.clone()),
        };
        let reversal = store::insert(tx, actor, &new, &lines).await.map_err(|e| {
            if e.is_unique_violation() {
                ApiError::Store(StoreError::Conflict(
                    "some of these lines have already been reversed".into(),
                ))
            } else {
                e.into()
            }
        })?;
        trail(
            tx,
            actor,
            "distribution.reverse",
            "distribution.reversed",
            None,
            &reversal,
        )
        .await?;
        let correction = match &req.correction {
            None => None,
            Some(c) => {
                let fund = funds::get_fund_tx(tx, actor, &c.fund_id).await.ok();
                if fund.map(|f| f.id) != Some(original.fund_id.clone()) {
                    return Err(ApiError::field(
                        "correction.fundId",
                        "must be the fund of the original distribution",
                    ));
                }
                let corrected = insert_new(
                    tx,
                    actor,
                    c,
                    Kind::Correction,
                    Some((&original.id, &reason)),
                )
                .await
                .map_err(|e| match e {
                    ApiError::Invalid(clearway_core::Invalid(errors)) => {
                        ApiError::Invalid(clearway_core::Invalid(
                            errors
                                .into_iter()
                                .map(|e| {
                                    FieldError::new(format!("correction.{}", e.field), e.message)
                                })
                                .collect(),
                        ))
                    }
                    other => other,
                })?;
                Some(corrected)
            }
        };
        let view = ReversalView {
            reversal: DistributionView::from(&reversal),
            correction: correction.as_ref().map(DistributionView::from),
        };
        Ok(Saved {
            status: StatusCode::CREATED,
            body: serde_json::to_string(&view).unwrap_or_default(),
        })
    })
    .await
}
