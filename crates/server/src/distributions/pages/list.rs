//! The list of distributions (filters, search, totals, pagination).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clearway_core::distribution::{parse_date, Status};
use clearway_store::distributions::{self as store, ListFilter};
use clearway_store::funds;
use serde::Deserialize;

use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::fmt::money_code;
use crate::web::form::FieldErrors;
use crate::web::{Chrome, PageResult, Viewer};

/// Rows per page of the list.
const PAGE: i64 = 50;

/// The list's query string (every field optional; empty means no filter).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    fund: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
    notice: Option<String>,
}

/// One row of the list, formatted.
pub struct Row {
    id: String,
    fund: String,
    description: String,
    status: &'static str,
    kind: &'static str,
    record: String,
    payable: String,
    lines: i64,
    total: String,
    stale: bool,
}

#[derive(Template)]
#[template(path = "distributions/list.html")]
struct ListPage {
    chrome: Chrome,
    funds: Vec<(String, String)>,
    statuses: Vec<&'static str>,
    fund: String,
    status: String,
    from: String,
    to: String,
    q: String,
    errors: FieldErrors,
    rows: Vec<Row>,
    totals: Vec<String>,
    next: Option<String>,
    first_page: bool,
}

fn blank(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The filter of a query, with a field error per value that does not parse.
fn filter_of(q: &ListQuery, errors: &mut FieldErrors) -> ListFilter {
    let status = blank(q.status.clone()).and_then(|s| match s.parse::<Status>() {
        Ok(s) => Some(s),
        Err(_) => {
            errors.push("status", "is not a status");
            None
        }
    });
    let mut date = |field: &str, v: &Option<String>| {
        blank(v.clone()).and_then(|t| match parse_date(field, &t) {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(field, "must be a date (YYYY-MM-DD)");
                None
            }
        })
    };
    let payable_from = date("from", &q.from);
    let payable_to = date("to", &q.to);
    let search = blank(q.q.clone()).map(|s| s.chars().take(200).collect());
    ListFilter {
        fund_id: blank(q.fund.clone()),
        status,
        payable_from,
        payable_to,
        before_id: blank(q.cursor.clone()),
        limit: PAGE,
        search,
    }
}

pub(super) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let mut errors = FieldErrors::default();
    let filter = filter_of(&q, &mut errors);
    let fund_list = funds::list_funds(&state.db, &viewer.actor).await?;
    let (items, totals) = if errors.is_empty() {
        (
            store::list(&state.db, &viewer.actor, &filter).await?,
            store::totals(&state.db, &viewer.actor, &filter).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let code_of = |id: &str| {
        fund_list
            .iter()
            .find(|f| f.id == id)
            .map_or_else(|| id.to_string(), |f| f.code.clone())
    };
    let next = (items.len() as i64 == PAGE)
        .then(|| items.last().map(|d| d.id.clone()))
        .flatten();
    let rows = items
        .iter()
        .map(|d| Row {
            id: d.id.clone(),
            fund: code_of(&d.fund_id),
            description: d.description.clone(),
            status: d.status.as_str(),
            kind: d.kind.as_str(),
            record: d.schedule.record.to_string(),
            payable: d.schedule.payable.to_string(),
            lines: d.line_count,
            total: money_code(d.total_minor, d.currency),
            stale: d.stale_reason.is_some(),
        })
        .collect();
    let page = ListPage {
        chrome: Chrome::new(&viewer, "Distributions", "/distributions")
            .with_notice(super::notice(q.notice.as_deref())),
        funds: fund_list
            .iter()
            .map(|f| (f.id.clone(), format!("{} — {}", f.code, f.name)))
            .collect(),
        statuses: Status::ALL.iter().map(|s| s.as_str()).collect(),
        fund: q.fund.clone().unwrap_or_default(),
        status: q.status.clone().unwrap_or_default(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        q: q.q.clone().unwrap_or_default(),
        totals: totals
            .iter()
            .map(|t| {
                format!(
                    "{} distributions, {}",
                    t.count,
                    money_code(t.total_minor, t.currency)
                )
            })
            .collect(),
        first_page: filter.before_id.is_none(),
        errors,
        rows,
        next,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(status, &page)
}

/// The query string of the list with `cursor` replaced (pagination links keep the filters).
pub fn with_cursor(
    fund: &str,
    status: &str,
    from: &str,
    to: &str,
    q: &str,
    cursor: &str,
) -> String {
    crate::web::query_string(&[
        ("fund", fund),
        ("status", status),
        ("from", from),
        ("to", to),
        ("q", q),
        ("cursor", cursor),
    ])
}
