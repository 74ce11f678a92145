//! The declaration wizard (`/distributions/create`), its live preview
//! (`POST /distributions/preview`) and the edit form (`/distributions/{id}/edit`). Submitting
//! builds the API's request and goes through the API's own write path (the idempotent create,
//! the update), so validation, roles and four-eyes bookkeeping are the same.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use clearway_core::access::Permission;
use clearway_core::distribution::{Action, FundKind, Kind};
use clearway_store::distributions as store;
use clearway_store::funds;

use super::wizard::{input_of, PreviewView, WizardForm, FORM_LINES};
use super::{api_headers, field_errors, see_other};
use crate::http::ApiError;
use crate::state::AppState;
use crate::web::error::{render, render_status};
use crate::web::form::{self, FieldErrors};
use crate::web::{Chrome, PageError, PageResult, Viewer};

#[derive(Template)]
#[template(path = "distributions/wizard.html")]
struct WizardPage {
    chrome: Chrome,
    form: WizardForm,
    errors: FieldErrors,
    warnings: BTreeMap<&'static str, String>,
    funds: Vec<(String, String)>,
    /// Where the form posts.
    action: String,
    /// Why the distribution cannot be edited (no form is shown then).
    blocked: Option<String>,
    preview: Option<PreviewView>,
    /// Always empty here: the preview's problems are the fields' errors.
    problems: Vec<String>,
}

/// The preview alone, swapped into the wizard by the script.
#[derive(Template)]
#[template(path = "distributions/preview.html")]
struct PreviewFragment {
    preview: Option<PreviewView>,
    problems: Vec<String>,
}

/// What the page shows for `form`: the wizard, or the edit form of the distribution it edits.
struct Shown<'a> {
    form: WizardForm,
    errors: FieldErrors,
    preview: Option<PreviewView>,
    blocked: Option<String>,
    viewer: &'a Viewer,
}

async fn draw(state: &AppState, shown: Shown<'_>, status: StatusCode) -> PageResult<Response> {
    let editing = !shown.form.editing.is_empty();
    let (title, path, action) = if editing {
        let id = &shown.form.editing;
        (
            "Edit distribution",
            format!("/distributions/{id}/edit"),
            format!("/distributions/{id}/edit"),
        )
    } else {
        (
            "New distribution",
            "/distributions/create".to_string(),
            "/distributions/create".to_string(),
        )
    };
    let fund_list = funds::list_funds(&state.db, &shown.viewer.actor).await?;
    let page = WizardPage {
        chrome: Chrome::new(shown.viewer, title, &path),
        warnings: shown.form.warnings(),
        form: shown.form,
        errors: shown.errors,
        funds: fund_list
            .iter()
            .map(|f| {
                let kind = match f.kind {
                    FundKind::OpenEnd => "open-end",
                    FundKind::Partnership => "partnership",
                };
                let label = format!("{} — {} ({kind}, {})", f.code, f.name, f.currency.code());
                (f.id.clone(), label)
            })
            .collect(),
        action,
        blocked: shown.blocked,
        preview: shown.preview,
        problems: Vec::new(),
    };
    render_status(status, &page)
}

/// Staff who may not declare or edit get a plain refusal instead of a form.
fn require_operate(viewer: &Viewer) -> PageResult<()> {
    if viewer.can(Permission::Operate) {
        return Ok(());
    }
    Err(PageError::new(
        StatusCode::FORBIDDEN,
        "Not allowed",
        &format!(
            "Your role ({}) may not declare or edit distributions.",
            viewer.actor.role.as_str()
        ),
    ))
}

pub(super) async fn create_page(
    State(state): State<AppState>,
    viewer: Viewer,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    require_operate(&viewer)?;
    let form = WizardForm::blank(chrono::Utc::now().date_naive());
    let shown = Shown {
        form,
        errors: FieldErrors::default(),
        preview: None,
        blocked: None,
        viewer: &viewer,
    };
    draw(&state, shown, StatusCode::OK).await
}

/// The form posted, with its defaults filled, and the API request it makes (or the errors of
/// a form that makes none).
fn read(
    viewer: &Viewer,
    headers: &HeaderMap,
    body: &[u8],
) -> PageResult<(
    WizardForm,
    Result<crate::distributions::dto::DistributionRequest, FieldErrors>,
)> {
    let form::Form(mut f) = form::parse::<WizardForm>(viewer, headers, body)?;
    // Only ever a path segment of our own links: anything else is dropped.
    if !f
        .editing
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        f.editing.clear();
    }
    f.fill_defaults();
    let req = f.request().map_err(|m| {
        let mut e = FieldErrors::default();
        e.push("lines", m);
        e
    });
    Ok((f, req))
}

/// A refused write shown on the form: field errors at their inputs (422), anything else about
/// the request as a whole (409 conflict, …) above it; 403/404 are error pages.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    form: WizardForm,
    e: ApiError,
) -> PageResult<Response> {
    let (errors, status) = match field_errors(e, input_of) {
        Ok(errors) => (errors, StatusCode::UNPROCESSABLE_ENTITY),
        Err(other) => {
            let page = PageError::from(other);
            if page.status != StatusCode::CONFLICT {
                return Err(page);
            }
            let mut errors = FieldErrors::default();
            errors.push("form", page.detail);
            (errors, StatusCode::CONFLICT)
        }
    };
    again(state, viewer, form, errors, status).await
}

pub(super) async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let (mut f, req) = read(&viewer, &headers, &body)?;
    f.editing.clear();
    let req = match req {
        Ok(req) => req,
        Err(errors) => {
            return again(&state, &viewer, f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    };
    let raw = serde_json::to_vec(&req).map_err(|e| ApiError::Internal(e.to_string()))?;
    match crate::distributions::create(&state, &viewer.actor, &api_headers(&f.idem)?, &raw).await {
        Ok(saved) => {
            let view: crate::distributions::dto::DistributionView =
                serde_json::from_str(&saved.body).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(see_other(&format!(
                "/distributions/{}?notice=created",
                view.id
            )))
        }
        Err(e) => refused(&state, &viewer, f, e).await,
    }
}

/// The form drawn again with its values and errors.
async fn again(
    state: &AppState,
    viewer: &Viewer,
    form: WizardForm,
    errors: FieldErrors,
    status: StatusCode,
) -> PageResult<Response> {
    let shown = Shown {
        form,
        errors,
        preview: None,
        blocked: None,
        viewer,
    };
    draw(state, shown, status).await
}

/// Whether the script asked for the fragment (without it, the whole wizard is drawn again).
fn wants_fragment(headers: &HeaderMap) -> bool {
    headers
        .get("x-preview")
        .is_some_and(|v| v.as_bytes() == b"fragment")
}

pub(super) async fn preview(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let (f, req) = read(&viewer, &headers, &body)?;
    let outcome = match req {
        Ok(req) => {
            match clearway_app::distributions::preview(&state.db, &viewer.actor, &req).await {
                Ok(p) => Ok(PreviewView::from(&p)),
                Err(e) => Err(field_errors(ApiError::from(e), input_of).map_err(PageError::from)?),
            }
        }
        Err(errors) => Err(errors),
    };
    if wants_fragment(&headers) {
        let (preview, problems) = match outcome {
            Ok(p) => (Some(p), Vec::new()),
            Err(errors) => (None, errors.0.into_iter().map(|(_, m)| m).collect()),
        };
        return render(&PreviewFragment { preview, problems });
    }
    let (preview, errors, status) = match outcome {
        Ok(p) => (Some(p), FieldErrors::default(), StatusCode::OK),
        Err(errors) => (None, errors, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let shown = Shown {
        form: f,
        errors,
        preview,
        blocked: None,
        viewer: &viewer,
    };
    draw(&state, shown, status).await
}

/// Why `d` cannot be edited in the form, if it cannot.
fn not_editable(d: &store::Distribution) -> Option<String> {
    if d.kind == Kind::Reversal {
        return Some(
            "A reversal is derived from its original and cannot be edited; cancel it instead."
                .into(),
        );
    }
    if d.status.apply(Action::Edit).is_err() {
        return Some(format!(
            "Only DRAFT or READY distributions can be edited; this one is {}.",
            d.status.as_str()
        ));
    }
    let explicit = !matches!(
        d.allocation["method"].as_str(),
        Some("pro_rata" | "per_share")
    );
    (explicit && d.line_count > FORM_LINES).then(|| {
        format!(
            "This distribution has {} explicit lines, more than this form holds ({FORM_LINES}); edit it through the API.",
            d.line_count
        )
    })
}

pub(super) async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    require_operate(&viewer)?;
    let d = store::get(&state.db, &viewer.actor, &id).await?;
    let blocked = not_editable(&d);
    let lines = if blocked.is_none() {
        store::lines(&state.db, &viewer.actor, &id, None, FORM_LINES).await?
    } else {
        Vec::new()
    };
    let shown = Shown {
        form: WizardForm::of(&d, &lines),
        errors: FieldErrors::default(),
        preview: None,
        blocked,
        viewer: &viewer,
    };
    draw(&state, shown, StatusCode::OK).await
}

pub(super) async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let (mut f, req) = read(&viewer, &headers, &body)?;
    f.editing = id.clone();
    let req = match req {
        Ok(req) => req,
        Err(errors) => {
            return again(&state, &viewer, f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    };
    let raw = serde_json::to_vec(&req).map_err(|e| ApiError::Internal(e.to_string()))?;
    match crate::distributions::update(&state, &viewer.actor, &id, &api_headers("")?, &raw).await {
        Ok(_) => Ok(see_other(&format!("/distributions/{id}?notice=edited"))),
        Err(e) => refused(&state, &viewer, f, e).await,
    }
}
