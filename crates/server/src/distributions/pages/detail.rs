//! One distribution (`/distributions/{id}`): its facts, status timeline, components, lines
//! (searchable, by cursor), and its actions as forms. An action the viewer cannot take is
//! drawn disabled with the reason; the POSTs go through the API's own transition and
//! reversal paths, and a refusal draws the page again with it.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clearway_core::access::Permission;
use clearway_core::distribution::{Action, Kind, Status};
use clearway_store::distributions::{self as store, Distribution};
use clearway_store::{audit, funds};
use serde::Deserialize;
use serde_json::json;

use super::wizard::component_label;
use super::{api_headers, field_errors, notice, see_other};
use crate::http::ApiError;
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::fmt::money_code;
use crate::web::form::{self, FieldErrors};
use crate::web::{Chrome, PageError, PageResult, Viewer};

/// Lines and timeline steps per page.
const PAGE: i64 = 50;

/// The detail page's query string.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    /// Investor id or name prefix.
    q: String,
    /// Lines after this investor id.
    after: String,
    /// Timeline steps after this position.
    steps: String,
    notice: Option<String>,
}

/// One action button: where it posts, and why it is disabled, if it is.
pub struct Button {
    path: String,
    label: &'static str,
    disabled: Option<String>,
    confirm: Option<&'static str>,
}

pub struct Step {
    what: String,
    who: String,
    at: String,
}

pub struct LineRow {
    investor: String,
    name: String,
    units: String,
    total: String,
    components: Vec<String>,
    withholding: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "distributions/detail.html")]
struct DetailPage {
    chrome: Chrome,
    id: String,
    facts: Vec<(&'static str, String)>,
    status: &'static str,
    stale: Option<String>,
    steps: Vec<Step>,
    steps_next: Option<i64>,
    steps_first: bool,
    allocation: Vec<(String, String)>,
    /// A distribution of a security (its units and property value are on its in-kind page).
    in_kind: bool,
    component_labels: Vec<&'static str>,
    lines: Vec<LineRow>,
    lines_next: Option<String>,
    q: String,
    after: String,
    buttons: Vec<Button>,
    edit: Option<String>,
    reversal: Button,
    /// Idempotency key of the reversal form (a double submit reverses once).
    reversal_key: String,
    reason: String,
    errors: FieldErrors,
    error: Option<String>,
}

/// What a refused POST adds to the page.
#[derive(Default)]
struct Refusal {
    error: Option<String>,
    reason: String,
    errors: FieldErrors,
}

/// The statuses from which `action` is allowed, as the lifecycle decides it.
fn allowed_from(action: Action) -> String {
    let from: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.apply(action).is_ok())
        .map(|s| s.as_str())
        .collect();
    match from.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => from.join(""),
    }
}

/// Why the viewer cannot take `action` on `d`, if they cannot.
fn refusal(viewer: &Viewer, d: &Distribution, action: Action, wrote: bool) -> Option<String> {
    let (permission, verb) = match action {
        Action::Approve => (Permission::Approve, "approve"),
        Action::MarkReady => (Permission::Operate, "mark distributions ready"),
        Action::Process => (Permission::Operate, "process"),
        _ => (Permission::Operate, "cancel"),
    };
    if !viewer.can(permission) {
        let role = viewer.actor.role.as_str();
        return Some(format!("Your role ({role}) may not {verb}."));
    }
    if d.status.apply(action).is_err() {
        let done = match action {
            Action::Approve => "approved",
            Action::MarkReady => "marked ready",
            Action::Process => "processed",
            _ => "cancelled",
        };
        return Some(format!(
            "Only {} distributions can be {done}.",
            allowed_from(action)
        ));
    }
    if action == Action::Approve && wrote {
        return Some(
            "You created or last edited this distribution; another approver must approve it."
                .into(),
        );
    }
    if matches!(action, Action::Approve | Action::Process) && d.stale_reason.is_some() {
        return Some("The holdings behind the lines changed: reallocate before this.".into());
    }
    None
}

fn step_label(action: &str) -> String {
    match action {
        "distribution.create" => "Created",
        "distribution.update" => "Edited (back to DRAFT)",
        "distribution.update_line" => "Line edited (back to DRAFT)",
        "distribution.ready" => "Marked ready",
        "distribution.approve" => "Approved",
        "distribution.process" => "Processing started",
        "distribution.complete" => "Completed",
        "distribution.cancel" => "Cancelled",
        "distribution.reallocate" => "Reallocated",
        other => other,
    }
    .to_string()
}

/// The allocation as requested: method, amount and component ratios.
fn allocation_rows(d: &Distribution) -> Vec<(String, String)> {
    let a = &d.allocation;
    let text = |k: &str| a[k].as_str().unwrap_or_default().to_string();
    let mut rows = vec![(
        "Method".to_string(),
        match text("method").as_str() {
            "pro_rata" => "Pro rata of a total amount".to_string(),
            "per_share" => "Per share rate".to_string(),
            "waterfall" => "Waterfall of the fund's terms (return of capital, preferred return, catch-up, carry)".to_string(),
            "inKind" => "In kind: whole units of a security, cash in lieu of fractions".to_string(),
            _ => "Explicit lines (amounts and components given per investor)".to_string(),
        },
    )];
    match text("method").as_str() {
        "pro_rata" => rows.push(("Declared total".into(), text("total"))),
        "per_share" => rows.push(("Rate per share".into(), text("rate"))),
        "waterfall" => {
            rows.push(("Proceeds".into(), text("proceeds")));
            rows.push(("Terms version".into(), a["termsVersion"].to_string()));
            if let Some(deal) = a["deal"].as_str() {
                rows.push(("Deal".into(), deal.to_string()));
            }
            let profit = text("profitCharacter");
            let label = profit
                .parse()
                .map(component_label)
                .unwrap_or(profit.as_str())
                .to_string();
            rows.push(("Profit tiers as".into(), label));
            return rows;
        }
        _ => return rows,
    }
    match a["components"].as_object() {
        Some(ratios) => rows.extend(ratios.iter().map(|(k, v)| {
            let label = k
                .parse()
                .map(component_label)
                .unwrap_or(k.as_str())
                .to_string();
            (
                label,
                format!("{} of each line", v.as_str().unwrap_or_default()),
            )
        })),
        None => rows.push(("Components".into(), "All ordinary dividend".into())),
    }
    rows
}

fn line_row(l: &store::NamedLine, d: &Distribution) -> LineRow {
    let f = |m: i64| crate::web::fmt::money(m, d.currency);
    let c = &l.line.components;
    LineRow {
        investor: l.line.investor_id.clone(),
        name: l.investor_name.clone(),
        units: l.line.units.map(|u| u.to_string()).unwrap_or_default(),
        total: f(l.line.total_minor),
        components: [
            c.ordinary_dividend,
            c.qualified_dividend,
            c.short_term_gain,
            c.long_term_gain,
            c.return_of_capital,
            c.interest,
        ]
        .into_iter()
        .map(f)
        .collect(),
        withholding: f(c.withholding),
        status: l.line.status.as_str(),
    }
}

fn facts(
    d: &Distribution,
    fund: &str,
    names: &HashMap<String, String>,
) -> Vec<(&'static str, String)> {
    let who = |id: &Option<String>| {
        id.as_ref()
            .map(|i| names.get(i).cloned().unwrap_or_else(|| i.clone()))
            .unwrap_or_else(|| "—".into())
    };
    let s = &d.schedule;
    let mut out = vec![
        ("Fund", fund.to_string()),
        ("Description", d.description.clone()),
        ("Kind", d.kind.as_str().to_string()),
        ("Currency", d.currency.code().to_string()),
        ("Total", money_code(d.total_minor, d.currency)),
        ("Lines", d.line_count.to_string()),
        ("Declaration date", s.declaration.to_string()),
        (
            "Ex-date",
            s.ex.map_or_else(|| "—".into(), |x| x.to_string()),
        ),
        ("Record date", s.record.to_string()),
        ("Payable date", s.payable.to_string()),
        ("Maker", who(&d.created_by)),
        ("Checker", who(&d.approved_by)),
    ];
    if let Some(at) = &d.approved_at {
        out.push(("Approved at", at.clone()));
    }
    if let Some(r) = &d.reason {
        out.push(("Reason", r.clone()));
    }
    out
}

/// A query value that must be a whole number, or its field error.
fn position(text: &str, errors: &mut FieldErrors) -> i64 {
    if text.is_empty() {
        return 0;
    }
    text.parse::<i64>().unwrap_or_else(|_| {
        errors.push("steps", "must be a whole number");
        0
    })
}

/// The action forms of `d` for the viewer (each disabled with its reason where refused),
/// the reversal form, and the edit link where editing is possible.
fn actions(
    viewer: &Viewer,
    d: &Distribution,
    wrote: bool,
) -> (Vec<Button>, Button, Option<String>) {
    let id = &d.id;
    let button = |action: Action, label, confirm| Button {
        path: format!("/distributions/{id}/{}", action_path(action)),
        label,
        disabled: refusal(viewer, d, action, wrote),
        confirm,
    };
    let buttons = vec![
        button(Action::MarkReady, "Mark ready", None),
        button(
            Action::Approve,
            "Approve",
            Some("Approve this distribution?"),
        ),
        button(
            Action::Process,
            "Process",
            Some("Start paying this distribution?"),
        ),
        button(
            Action::Cancel,
            "Cancel distribution",
            Some("Cancel this distribution?"),
        ),
    ];
    let reversal = Button {
        path: format!("/distributions/{id}/reversal"),
        label: "Reverse the whole distribution",
        disabled: reversal_refusal(viewer, d),
        confirm: Some("Create a reversal of every line?"),
    };
    let edit = (viewer.can(Permission::Operate)
        && d.kind != Kind::Reversal
        && d.status.apply(Action::Edit).is_ok())
    .then(|| format!("/distributions/{id}/edit"));
    (buttons, reversal, edit)
}

async fn draw(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    q: &DetailQuery,
    refused: Refusal,
    status: StatusCode,
) -> PageResult<Response> {
    let db = &state.db;
    let actor = &viewer.actor;
    let d = store::get(db, actor, id).await?;
    let fund = funds::find_fund(db, actor, &d.fund_id).await?;
    let mut errors = refused.errors;
    let after_step = position(&q.steps, &mut errors);
    let steps = audit::history(db, actor, "distribution", id, after_step, PAGE).await?;
    let search = Some(q.q.trim()).filter(|s| !s.is_empty());
    let after = Some(q.after.as_str()).filter(|s| !s.is_empty());
    let lines = store::search_lines(db, actor, id, search, after, PAGE).await?;
    let names: HashMap<String, String> = steps
        .iter()
        .filter_map(|s| Some((s.actor_id.clone(), s.actor_name.clone()?)))
        .collect();
    let wrote = viewer.can(Permission::Approve)
        && d.status == Status::Ready
        && store::wrote(db, actor, &d).await?;
    let (buttons, reversal, edit) = actions(viewer, &d, wrote);
    let page = DetailPage {
        chrome: Chrome::new(
            viewer,
            distribution_title(&d),
            &format!("/distributions/{id}"),
        )
        .with_notice(notice(q.notice.as_deref())),
        id: id.to_string(),
        facts: facts(&d, &format!("{} — {}", fund.code, fund.name), &names),
        status: d.status.as_str(),
        stale: d.stale_reason.clone(),
        steps_next: (steps.len() as i64 == PAGE)
            .then(|| steps.last().map(|s| s.seq))
            .flatten(),
        steps_first: after_step == 0,
        steps: steps
            .iter()
            .map(|s| Step {
                what: step_label(&s.action),
                who: s.actor_name.clone().unwrap_or_else(|| s.actor_id.clone()),
                at: s.at.clone(),
            })
            .collect(),
        allocation: allocation_rows(&d),
        in_kind: clearway_app::inkind::is_in_kind(&d),
        component_labels: clearway_core::components::ComponentKind::ALL
            .into_iter()
            .map(component_label)
            .collect(),
        lines_next: (lines.len() as i64 == PAGE)
            .then(|| lines.last().map(|l| l.line.investor_id.clone()))
            .flatten(),
        lines: lines.iter().map(|l| line_row(l, &d)).collect(),
        q: q.q.clone(),
        after: q.after.clone(),
        buttons,
        edit,
        reversal,
        reversal_key: uuid::Uuid::new_v4().to_string(),
        reason: refused.reason,
        error: refused.error,
        errors,
    };
    let status = if status == StatusCode::OK && !page.errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        status
    };
    render_status(status, &page)
}

fn distribution_title(d: &Distribution) -> String {
    if d.description.is_empty() {
        "Distribution".into()
    } else {
        format!("Distribution: {}", d.description)
    }
}

/// The lifecycle actions posted from the page: the action, its path segment
/// (`/distributions/{id}/{segment}`), and the notice code after it.
const ACTIONS: [(Action, &str, &str); 4] = [
    (Action::MarkReady, "ready", "ready"),
    (Action::Approve, "approve", "approved"),
    (Action::Process, "process", "processing"),
    (Action::Cancel, "cancel", "cancelled"),
];

fn action_path(action: Action) -> &'static str {
    ACTIONS
        .iter()
        .find(|(a, _, _)| *a == action)
        .map_or("", |(_, path, _)| path)
}

/// Why the viewer cannot reverse `d` (the rules of the reversal service, said beforehand).
fn reversal_refusal(viewer: &Viewer, d: &Distribution) -> Option<String> {
    if !viewer.can(Permission::Operate) {
        let role = viewer.actor.role.as_str();
        return Some(format!("Your role ({role}) may not reverse distributions."));
    }
    if d.kind == Kind::Reversal {
        return Some("A reversal cannot itself be reversed.".into());
    }
    (d.status != Status::Completed)
        .then(|| "Only COMPLETED distributions can be reversed.".to_string())
}

pub(super) async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    draw(&state, &viewer, &id, &q, Refusal::default(), StatusCode::OK).await
}

/// `POST /distributions/{id}/{ready|approve|process|cancel}`: the transition, then the page
/// with its notice, or the page again with the refusal.
pub(super) async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, segment)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let Some(&(action, _, done)) = ACTIONS.iter().find(|(_, path, _)| *path == segment) else {
        return Err(PageError::not_found());
    };
    form::check(&viewer, &headers, &body)?;
    match crate::distributions::transition(&state, &viewer.actor, &id, action).await {
        Ok(_) => Ok(see_other(&format!("/distributions/{id}?notice={done}"))),
        Err(e) => refused_again(&state, &viewer, &id, PageError::from(e), String::new()).await,
    }
}

/// The page drawn again with a refusal (403, 409, …) above the actions; a 404 stays a 404.
async fn refused_again(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    e: PageError,
    reason: String,
) -> PageResult<Response> {
    if e.status == StatusCode::NOT_FOUND || e.status.is_server_error() {
        return Err(e);
    }
    let refused = Refusal {
        error: Some(e.detail),
        reason,
        errors: FieldErrors::default(),
    };
    draw(
        state,
        viewer,
        id,
        &DetailQuery::default(),
        refused,
        e.status,
    )
    .await
}

#[derive(Deserialize)]
struct ReversalForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    idem: String,
}

pub(super) async fn reverse(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let form::Form(f) = form::parse::<ReversalForm>(&viewer, &headers, &body)?;
    let raw = serde_json::to_vec(&json!({ "reason": f.reason }))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let api = api_headers(&f.idem)?;
    match crate::distributions::reverse(&state, &viewer.actor, &id, &api, &raw).await {
        Ok(saved) => {
            let view: crate::distributions::dto::ReversalView =
                serde_json::from_str(&saved.body).map_err(|e| ApiError::Internal(e.to_string()))?;
            let to = format!("/distributions/{}?notice=reversed", view.reversal.id);
            Ok(see_other(&to))
        }
        Err(e) => match field_errors(e, |f, m| {
            let field = if f == "reason" { "reason" } else { "form" };
            (field.to_string(), m.to_string())
        }) {
            Ok(errors) => {
                let refused = Refusal {
                    error: errors.get("form").map(str::to_string),
                    reason: f.reason,
                    errors,
                };
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                draw(
                    &state,
                    &viewer,
                    &id,
                    &DetailQuery::default(),
                    refused,
                    status,
                )
                .await
            }
            Err(other) => {
                refused_again(&state, &viewer, &id, PageError::from(other), f.reason).await
            }
        },
    }
}
