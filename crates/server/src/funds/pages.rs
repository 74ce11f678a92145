//! The funds pages: the organization's funds (`/funds`, by code, paginated) and one fund's
//! overview (`/funds/{id}`): kind, currency, share classes with their latest NAV and holders,
//! recent distributions, links to the fund's other pages, and (operators and admins, open-end
//! funds) a form that adds a class through the same service as the API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use clearway_app::classes as app;
use clearway_core::access::Permission;
use clearway_core::distribution::FundKind;
use clearway_store::distributions::{self as distributions, ListFilter};
use clearway_store::funds::{self, Fund};
use serde::Deserialize;

use crate::reinvestment::routes::today;
use crate::state::AppState;
use crate::web::error::render_status;
use crate::web::fmt::money_code;
use crate::web::form::{self, FieldErrors};
use crate::web::{query_string, Chrome, PageResult, Viewer};

/// Funds per page of the list.
const PAGE: i64 = 50;
/// Distributions shown on a fund's page.
const RECENT: i64 = 10;

/// Routes of the pages and the class form.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/funds", get(list))
        .route("/funds/{id}", get(overview))
        .route("/funds/{id}/classes", post(add_class))
}

/// The list's query string.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

/// One fund of the list, formatted.
pub struct FundRow {
    id: String,
    code: String,
    name: String,
    kind: &'static str,
    currency: String,
}

fn kind_label(kind: FundKind) -> &'static str {
    match kind {
        FundKind::OpenEnd => "Open-end",
        FundKind::Partnership => "Partnership",
    }
}

#[derive(Template)]
#[template(path = "funds/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<FundRow>,
    next: Option<String>,
    first_page: bool,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
    let page = funds::list_funds_page(&state.db, &viewer.actor, cursor, PAGE).await?;
    let next = (page.len() as i64 == PAGE)
        .then(|| page.last().map(|f| query_string(&[("cursor", &f.code)])))
        .flatten();
    let rows = page
        .iter()
        .map(|f| FundRow {
            id: f.id.clone(),
            code: f.code.clone(),
            name: f.name.clone(),
            kind: kind_label(f.kind),
            currency: f.currency.code().to_string(),
        })
        .collect();
    let page = ListPage {
        chrome: Chrome::new(&viewer, "Funds", "/funds"),
        rows,
        next,
        first_page: cursor.is_none(),
    };
    render_status(StatusCode::OK, &page)
}

/// A link from the fund's page to another page about the fund. Capabilities add theirs to
/// [`sections`] (capital accounts, waterfall, schedules, positions…).
pub struct Section {
    href: String,
    label: &'static str,
    about: &'static str,
}

/// The fund page's links, in order; `kind` decides which apply.
fn sections(fund: &Fund) -> Vec<Section> {
    let mut out = vec![Section {
        href: format!("/distributions?{}", query_string(&[("fund", &fund.id)])),
        label: "Distributions",
        about: "every distribution of the fund, with filters",
    }];
    if fund.kind == FundKind::OpenEnd {
        out.push(Section {
            href: "/reports/distributions".into(),
            label: "Reports",
            about: "distribution and reinvestment reports",
        });
    } else {
        out.push(Section {
            href: format!("/capital/{}", fund.code),
            label: "Capital",
            about: "commitments, capital calls, contributions and capital accounts",
        });
        out.push(Section {
            href: format!("/funds/{}/waterfall", fund.id),
            label: "Waterfall",
            about: "terms, a what-if run, a waterfall distribution and the GP clawback",
        });
    }
    out.push(Section {
        href: format!("/schedules/new?{}", query_string(&[("fund", &fund.id)])),
        label: "Schedules",
        about: "a recurring schedule that drafts the fund's distributions ahead of time",
    });
    out.push(Section {
        href: format!("/funds/{}/forecast", fund.id),
        label: "Forecast",
        about: "forecast distributions with their measured accuracy, the liquidity plan and cash on hand",
    });
    out.push(Section {
        href: format!("/positions?{}", query_string(&[("fund", &fund.id)])),
        label: "Positions",
        about: "securities the fund holds, and distributing them in kind",
    });
    out
}

/// One class, formatted.
pub struct ClassRow {
    code: String,
    name: String,
    nav: String,
    nav_date: String,
    holders: usize,
    units: String,
}

/// One recent distribution, formatted.
pub struct DistributionRow {
    id: String,
    description: String,
    class: String,
    status: &'static str,
    record: String,
    payable: String,
    total: String,
}

/// The add-a-class form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ClassForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

#[derive(Template)]
#[template(path = "funds/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    fund: FundRow,
    share_precision: u32,
    today: String,
    classes: Vec<ClassRow>,
    holders: usize,
    recent: Vec<DistributionRow>,
    sections: Vec<Section>,
    can_add_class: bool,
    form: ClassForm,
    errors: FieldErrors,
}

async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let notice =
        (q.notice.as_deref() == Some("class-added")).then(|| "The class was added.".into());
    draw(
        &state,
        &viewer,
        &id,
        ClassForm::default(),
        FieldErrors::default(),
        notice,
    )
    .await
}

/// The overview's query string.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// Draws a fund's page; `errors` non-empty means the class form is shown again (422).
async fn draw(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: ClassForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> PageResult<Response> {
    let mut tx = state.db.begin().await?;
    let (fund, classes) = app::overview(&mut tx, &viewer.actor, id, today()).await?;
    tx.commit().await?;
    let filter = ListFilter {
        fund_id: Some(fund.id.clone()),
        status: None,
        payable_from: None,
        payable_to: None,
        before_id: None,
        limit: RECENT,
        search: None,
    };
    let recent = distributions::list(&state.db, &viewer.actor, &filter).await?;
    let title = format!("{} — {}", fund.code, fund.name);
    let page = OverviewPage {
        chrome: Chrome::new(viewer, title, "/funds").with_notice(notice),
        share_precision: fund.share_precision,
        today: today().to_string(),
        holders: classes.iter().map(|c| c.holders).sum(),
        classes: classes
            .iter()
            .map(|c| ClassRow {
                code: c.class.code.clone(),
                name: c.class.name.clone(),
                nav: c
                    .latest_nav
                    .map_or_else(|| "—".into(), |(_, n)| n.to_string()),
                nav_date: c
                    .latest_nav
                    .map_or_else(String::new, |(d, _)| d.to_string()),
                holders: c.holders,
                units: c.units.normalize().to_string(),
            })
            .collect(),
        recent: recent
            .iter()
            .map(|d| DistributionRow {
                id: d.id.clone(),
                description: d.description.clone(),
                class: d.share_class.clone(),
                status: d.status.as_str(),
                record: d.schedule.record.to_string(),
                payable: d.schedule.payable.to_string(),
                total: money_code(d.total_minor, d.currency),
            })
            .collect(),
        sections: sections(&fund),
        can_add_class: fund.kind == FundKind::OpenEnd && viewer.can(Permission::Operate),
        fund: FundRow {
            id: fund.id.clone(),
            code: fund.code.clone(),
            name: fund.name.clone(),
            kind: kind_label(fund.kind),
            currency: fund.currency.code().to_string(),
        },
        form,
        errors,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(status, &page)
}

async fn add_class(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<ClassForm>(&viewer, &headers, &body)?;
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    viewer.actor.require(Permission::Operate)?;
    let mut tx = state.db.begin().await?;
    let errors = match app::create_class(&mut tx, &viewer.actor, &id, &f.code, &f.name).await {
        Ok(_) => {
            tx.commit().await?;
            state.events_ready.notify_one();
            let to = format!("/funds/{}?notice=class-added", urlencoding_path(&id));
            return Ok(Redirect::to(&to).into_response());
        }
        Err(e) => FieldErrors::from_error(e, |f| match f {
            "fundId" => "code".to_string(),
            other => other.to_string(),
        })?,
    };
    drop(tx);
    draw(&state, &viewer, &id, f, errors, None).await
}

/// A path segment as typed (ids and codes are plain, but a code may hold `.`).
fn urlencoding_path(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
