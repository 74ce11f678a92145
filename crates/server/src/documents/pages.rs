//! Document pages: the investor's `/account/documents` and the staff view of one investor's
//! `/investors/{id}/documents`, each listing the documents with downloads and forms that
//! generate a notice, a statement of a period or a tax summary of a year. The forms are read
//! as the API reads its body ([`DocumentRequestBody::parse`]); every read and write goes
//! through the application with the viewer's actor (another investor's id is the 404 page).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use clearway_app::documents::{self as app, StoredDocument};
use clearway_core::access::{Permission, Role};
use clearway_store::distributions::{self as dstore, ListFilter};
use clearway_store::documents::facts;
use serde::Deserialize;

use super::dto::DocumentRequestBody;
use super::routes::attachment;
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::form::{self, FieldErrors};
use crate::web::{Chrome, PageError, PageResult, Viewer};

/// Routes of the document pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/documents", get(own).post(own_generate))
        .route("/account/documents/{id}/download", get(own_download))
        .route(
            "/investors/{investor_id}/documents",
            get(staff).post(staff_generate),
        )
        .route(
            "/investors/{investor_id}/documents/{id}/download",
            get(staff_download),
        )
}

const PAGE: i64 = 25;

/// The list's query: the page cursor and the document just generated.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
    done: Option<String>,
}

/// The generate forms (one kind each; blank fields are absent).
#[derive(Debug, Default, Deserialize)]
pub struct GenerateForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    format: String,
    #[serde(default, rename = "distributionId")]
    distribution_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    year: String,
}

fn opt(v: &str) -> Option<String> {
    Some(v.trim()).filter(|s| !s.is_empty()).map(str::to_string)
}

impl GenerateForm {
    /// The form as the API's body; a year that is not a number is the year field's error.
    fn body(&self) -> Result<DocumentRequestBody, FieldErrors> {
        let year = match opt(&self.year) {
            None => None,
            Some(y) => Some(y.parse::<i64>().map_err(|_| {
                let mut e = FieldErrors::default();
                e.push("year", "must be a year such as 2026");
                e
            })?),
        };
        Ok(DocumentRequestBody {
            kind: self.kind.trim().to_string(),
            format: self.format.trim().to_string(),
            distribution_id: opt(&self.distribution_id),
            from: opt(&self.from),
            to: opt(&self.to),
            year,
        })
    }
}

/// One document row, formatted.
pub struct DocRow {
    id: String,
    kind: &'static str,
    subject: String,
    format: String,
    version: i64,
    created: String,
    size: String,
    filename: String,
}

/// The document just generated, shown above the list.
pub struct Done {
    id: String,
    filename: String,
    message: String,
}

#[derive(Template)]
#[template(path = "documents/list.html")]
struct ListPage {
    chrome: Chrome,
    /// `/account/documents` or `/investors/{id}/documents`.
    base: String,
    staff_back: String,
    rows: Vec<DocRow>,
    next: Option<String>,
    first_page: bool,
    done: Option<Done>,
    may_generate: bool,
    distributions: Vec<(String, String)>,
    formats: Vec<(&'static str, &'static str)>,
    form: GenerateForm,
    errors: FieldErrors,
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "notice" => "Distribution notice",
        "statement" => "Statement",
        "taxSummary" => "Tax summary",
        _ => "Document",
    }
}

fn row_of(d: &StoredDocument) -> DocRow {
    DocRow {
        id: d.id.clone(),
        kind: kind_label(&d.kind),
        subject: d.subject_key.replace("..", " to "),
        format: d.format.to_uppercase(),
        version: d.version,
        created: d
            .created_at
            .get(..16)
            .unwrap_or(&d.created_at)
            .replace('T', " "),
        size: format!("{:.1} KB", d.size as f64 / 1024.0),
        filename: d.filename.clone(),
    }
}

/// Whose documents a page shows, and where it lives.
struct Scope {
    investor_id: String,
    base: String,
    is_staff: bool,
}

/// The distributions a notice can be generated for: the investor's newest 25 lines' (staff:
/// the organization's newest approved ones, which the app then checks hold a line).
async fn distribution_options(
    state: &AppState,
    viewer: &Viewer,
) -> PageResult<Vec<(String, String)>> {
    let filter = ListFilter {
        limit: PAGE,
        ..ListFilter::default()
    };
    let items = dstore::list(&state.db, &viewer.actor, &filter).await?;
    Ok(items
        .into_iter()
        .filter(|d| d.approved_by.is_some() || viewer.actor.role == Role::Investor)
        .map(|d| {
            let label = if d.description.is_empty() {
                d.id.clone()
            } else {
                d.description.clone()
            };
            (d.id, format!("{label} (payable {})", d.schedule.payable))
        })
        .collect())
}

async fn draw(
    state: &AppState,
    viewer: &Viewer,
    scope: &Scope,
    q: &ListQuery,
    form: GenerateForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let investor = facts::investor(&state.db, &viewer.actor, &scope.investor_id).await?;
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
    let items = app::list(&state.db, &viewer.actor, &scope.investor_id, cursor, PAGE).await?;
    let next = (items.len() as i64 == PAGE)
        .then(|| items.last().map(|d| d.id.clone()))
        .flatten();
    let done = match q.done.as_deref().filter(|d| !d.is_empty()) {
        Some(id) => {
            let d = app::get(&state.db, &viewer.actor, id).await?;
            Some(Done {
                message: format!("{} ready, version {}.", kind_label(&d.kind), d.version),
                id: d.id,
                filename: d.filename,
            })
        }
        None => None,
    };
    let may_generate = viewer.actor.role == Role::Investor || viewer.can(Permission::Operate);
    let title = if scope.is_staff {
        format!("Documents of {}", investor.name)
    } else {
        "My documents".to_string()
    };
    let path = if scope.is_staff {
        "/distributions"
    } else {
        "/account/documents"
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        chrome: Chrome::new(viewer, title, path),
        base: scope.base.clone(),
        staff_back: if scope.is_staff {
            "/distributions".into()
        } else {
            String::new()
        },
        rows: items.iter().map(row_of).collect(),
        next,
        first_page: cursor.is_none(),
        done,
        may_generate,
        distributions: distribution_options(state, viewer).await?,
        formats: vec![("pdf", "PDF"), ("xlsx", "Excel (XLSX)"), ("csv", "CSV")],
        form,
        errors,
    };
    render_status(status, &page)
}

async fn generate(
    state: &AppState,
    viewer: &Viewer,
    scope: &Scope,
    headers: &HeaderMap,
    body: &Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<GenerateForm>(viewer, headers, body)?;
    let parsed = f.body().and_then(|b| {
        b.parse(&scope.investor_id)
            .map_err(|e| FieldErrors(e.0.into_iter().map(|f| (f.field, f.message)).collect()))
    });
    let errors = match parsed {
        Ok(req) => match app::generate(&state.db, &viewer.actor, &req).await {
            Ok(doc) => {
                return Ok(Redirect::to(&format!("{}?done={}", scope.base, doc.id)).into_response())
            }
            Err(e) => FieldErrors::from_error(e, |f| f.to_string())?,
        },
        Err(errors) => errors,
    };
    draw(state, viewer, scope, &ListQuery::default(), f, errors).await
}

fn own_scope(viewer: &Viewer) -> Option<Scope> {
    Some(Scope {
        investor_id: viewer.actor.investor_id.clone()?,
        base: "/account/documents".into(),
        is_staff: false,
    })
}

fn staff_scope(viewer: &Viewer, investor_id: String) -> Option<Scope> {
    (viewer.actor.role != Role::Investor).then(|| Scope {
        base: format!("/investors/{investor_id}/documents"),
        investor_id,
        is_staff: true,
    })
}

async fn own(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.portal_page() {
        return Ok(away);
    }
    let Some(scope) = own_scope(&viewer) else {
        return Ok(viewer.to_home());
    };
    draw(
        &state,
        &viewer,
        &scope,
        &q,
        GenerateForm::default(),
        FieldErrors::default(),
    )
    .await
}

async fn own_generate(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult<Response> {
    let Some(scope) = own_scope(&viewer) else {
        return Ok(viewer.to_home());
    };
    generate(&state, &viewer, &scope, &headers, &body).await
}

async fn own_download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Response> {
    if own_scope(&viewer).is_none() {
        return Ok(viewer.to_home());
    }
    Ok(attachment(
        app::content(&state.db, &viewer.actor, &id).await?,
    ))
}

async fn staff(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(investor_id): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult<Response> {
    let Some(scope) = staff_scope(&viewer, investor_id) else {
        return Err(PageError::not_found());
    };
    draw(
        &state,
        &viewer,
        &scope,
        &q,
        GenerateForm::default(),
        FieldErrors::default(),
    )
    .await
}

async fn staff_generate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(investor_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult<Response> {
    let Some(scope) = staff_scope(&viewer, investor_id) else {
        return Err(PageError::not_found());
    };
    generate(&state, &viewer, &scope, &headers, &body).await
}

async fn staff_download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((investor_id, id)): Path<(String, String)>,
) -> PageResult<Response> {
    let doc = app::content(&state.db, &viewer.actor, &id).await?;
    if viewer.actor.role == Role::Investor || doc.investor_id != investor_id {
        return Err(PageError::not_found());
    }
    Ok(attachment(doc))
}
