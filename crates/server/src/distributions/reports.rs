//! The staff reports on distributions, each a page (filters, SVG chart, table) with CSV and
//! XLSX exports of the same figures: distributions per fund and period, the tax summary
//! (distribution components by tax character per fund and year) and cash flow (paid and
//! scheduled per payable-date bucket and rail). The sums are the store's exact aggregates;
//! months roll up to quarters or years, and days to weeks, here. Investors are sent to their
//! own distributions.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, Duration, NaiveDate};
use clearway_core::components::ComponentKind;
use clearway_core::input::parse_date;
use clearway_core::Currency;
use clearway_store::distributions::reports::{self as store, ReportFilter};
use clearway_store::funds::{self, Fund};
use serde::Deserialize;

use crate::reinvestment::export::{respond, Cell, ExportFormat, Table};
use crate::state::AppState;
use crate::web::chart::{bars, Bar};
use crate::web::error::render_status;
use crate::web::fmt::money_code;
use crate::web::form::FieldErrors;
use crate::web::{Chrome, PageError, PageResult, Viewer};

/// Routes of the report pages and their exports.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports/distributions", get(distributions_page))
        .route("/reports/distributions.csv", get(distributions_csv))
        .route("/reports/distributions.xlsx", get(distributions_xlsx))
        .route("/reports/tax-summary", get(tax_page))
        .route("/reports/tax-summary.csv", get(tax_csv))
        .route("/reports/tax-summary.xlsx", get(tax_xlsx))
        .route("/reports/cash-flow", get(cash_page))
        .route("/reports/cash-flow.csv", get(cash_csv))
        .route("/reports/cash-flow.xlsx", get(cash_xlsx))
}

/// The longest range a report covers (it bounds the rows of every table: periods × funds).
const MAX_RANGE_DAYS: i64 = 3660;

/// A report's query string (every field optional).
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    fund: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// `month`, `quarter` or `year` (distributions); `week` or `month` (cash flow).
    group: Option<String>,
}

/// The query as understood: the store's filter, the grouping, and an error per bad field.
struct Parsed {
    filter: ReportFilter,
    group: &'static str,
    errors: FieldErrors,
}

fn blank(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// Parses the query strictly; the range defaults to the current calendar year.
fn parse(q: &ReportQuery, groups: &[&'static str]) -> Parsed {
    let mut errors = FieldErrors::default();
    let mut date = |field: &str, v: &Option<String>| {
        blank(v).and_then(|t| match parse_date(field, &t) {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(field, "must be a date (YYYY-MM-DD)");
                None
            }
        })
    };
    let year = chrono::Utc::now().year();
    let from = date("from", &q.from).or(NaiveDate::from_ymd_opt(year, 1, 1));
    let to = date("to", &q.to).or(NaiveDate::from_ymd_opt(year, 12, 31));
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errors.push("to", "must not be before the first date");
        } else if (t - f).num_days() > MAX_RANGE_DAYS {
            errors.push("to", "the range may span at most 10 years");
        }
    }
    let group = match blank(&q.group) {
        None => groups[0],
        Some(g) => groups.iter().copied().find(|x| *x == g).unwrap_or_else(|| {
            errors.push("group", format!("must be one of: {}", groups.join(", ")));
            groups[0]
        }),
    };
    Parsed {
        filter: ReportFilter {
            fund_id: blank(&q.fund),
            from,
            to,
        },
        group,
        errors,
    }
}

/// What the filter form of every report shows.
pub struct Filters {
    path: &'static str,
    funds: Vec<(String, String)>,
    fund: String,
    from: String,
    to: String,
    group: &'static str,
    groups: Vec<&'static str>,
    errors: FieldErrors,
    /// The query string of the exports (the same filters).
    export_query: String,
}

impl Filters {
    fn new(path: &'static str, p: &Parsed, funds: &[Fund], groups: &[&'static str]) -> Filters {
        let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let fund = p.filter.fund_id.clone().unwrap_or_default();
        let (from, to) = (day(p.filter.from), day(p.filter.to));
        // The grouping travels only where the report has a choice of them.
        let group = if groups.len() > 1 { p.group } else { "" };
        let export_query = crate::web::query_string(&[
            ("fund", fund.as_str()),
            ("from", &from),
            ("to", &to),
            ("group", group),
        ]);
        Filters {
            path,
            funds: funds
                .iter()
                .map(|f| (f.id.clone(), format!("{} — {}", f.code, f.name)))
                .collect(),
            fund,
            from,
            to,
            group: p.group,
            groups: if groups.len() > 1 {
                groups.to_vec()
            } else {
                Vec::new()
            },
            errors: p.errors.clone(),
            export_query,
        }
    }
}

fn fund_code(funds: &[Fund], id: &str) -> String {
    funds
        .iter()
        .find(|f| f.id == id)
        .map_or_else(|| id.to_string(), |f| f.code.clone())
}

fn status_of(errors: &FieldErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// An export asked with a bad filter: the error page names the field.
fn bad_export(errors: &FieldErrors) -> PageError {
    let detail = errors
        .0
        .iter()
        .map(|(f, m)| format!("{f} {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid filter", &detail)
}

fn money_cell(minor: i64, c: Currency) -> Cell {
    Cell::Money(minor, c.minor_units())
}

// ---------------------------------------------------------------------------------------
// Distributions per fund and period

const PERIODS: [&str; 3] = ["month", "quarter", "year"];

/// One row of the distributions report.
pub struct PeriodRow {
    period: String,
    fund: String,
    currency: Currency,
    count: i64,
    gross: i64,
    reinvested: i64,
    cash: i64,
}

impl PeriodRow {
    fn shown(&self, minor: &i64) -> String {
        money_code(*minor, self.currency)
    }
}

/// `2026-03` as its month, quarter or year.
fn period_of(month: &str, group: &str) -> String {
    let (year, m) = month.split_once('-').unwrap_or((month, "01"));
    match group {
        "year" => year.to_string(),
        "quarter" => {
            let m: u32 = m.parse().unwrap_or(1);
            format!("{year}-Q{}", m.div_ceil(3))
        }
        _ => month.to_string(),
    }
}

async fn period_rows(state: &AppState, viewer: &Viewer, p: &Parsed) -> PageResult<Vec<PeriodRow>> {
    let months = store::by_month(&state.db, &viewer.actor, &p.filter).await?;
    let funds = funds::list_funds(&state.db, &viewer.actor).await?;
    let mut rolled: BTreeMap<(String, String, String), PeriodRow> = BTreeMap::new();
    for m in months {
        let period = period_of(&m.month, p.group);
        let fund = fund_code(&funds, &m.fund_id);
        let key = (period.clone(), fund.clone(), m.currency.code().to_string());
        let row = rolled.entry(key).or_insert(PeriodRow {
            period,
            fund,
            currency: m.currency,
            count: 0,
            gross: 0,
            reinvested: 0,
            cash: 0,
        });
        row.count += m.count;
        row.gross += m.gross_minor;
        row.reinvested += m.reinvested_minor;
        row.cash += m.cash_minor;
    }
    Ok(rolled.into_values().collect())
}

/// Gross per period and currency, for the chart.
fn period_bars(rows: &[PeriodRow]) -> Vec<Bar> {
    let mut per: BTreeMap<(String, String), (i64, Currency)> = BTreeMap::new();
    for r in rows {
        let key = (r.period.clone(), r.currency.code().to_string());
        per.entry(key).or_insert((0, r.currency)).0 += r.gross;
    }
    per.into_iter()
        .map(|((period, code), (v, c))| Bar {
            label: format!("{period} {code}"),
            value: v,
            shown: money_code(v, c),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "reports/distributions.html")]
struct DistributionsPage {
    chrome: Chrome,
    filters: Filters,
    chart: String,
    rows: Vec<PeriodRow>,
}

async fn distributions_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let p = parse(&q, &PERIODS);
    let funds = funds::list_funds(&state.db, &viewer.actor).await?;
    let rows = if p.errors.is_empty() {
        period_rows(&state, &viewer, &p).await?
    } else {
        Vec::new()
    };
    let page = DistributionsPage {
        chrome: Chrome::new(&viewer, "Distributions report", "/reports/distributions"),
        filters: Filters::new("/reports/distributions", &p, &funds, &PERIODS),
        chart: bars(
            "Gross distributed per period",
            &period_bars(&rows),
            720,
            240,
        ),
        rows,
    };
    render_status(status_of(&p.errors), &page)
}

async fn distributions_export(
    state: AppState,
    viewer: Viewer,
    q: ReportQuery,
    format: ExportFormat,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let p = parse(&q, &PERIODS);
    if !p.errors.is_empty() {
        return Err(bad_export(&p.errors));
    }
    let rows = period_rows(&state, &viewer, &p).await?;
    let table = Table {
        name: "distributions-report".into(),
        headers: vec![
            "period",
            "fund",
            "currency",
            "count",
            "gross",
            "reinvested",
            "paid_in_cash",
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.period.clone()),
                    Cell::Text(r.fund.clone()),
                    Cell::Text(r.currency.code().into()),
                    Cell::Number(r.count.into()),
                    money_cell(r.gross, r.currency),
                    money_cell(r.reinvested, r.currency),
                    money_cell(r.cash, r.currency),
                ]
            })
            .collect(),
    };
    Ok(respond(&table, format)?)
}

async fn distributions_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    distributions_export(state, viewer, q, ExportFormat::Csv).await
}

async fn distributions_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    distributions_export(state, viewer, q, ExportFormat::Xlsx).await
}

// ---------------------------------------------------------------------------------------
// Tax summary: components by tax character per fund and calendar year

/// How a component is called on the page and in the exports.
fn component_label(k: ComponentKind) -> &'static str {
    match k {
        ComponentKind::OrdinaryDividend => "Ordinary dividends",
        ComponentKind::QualifiedDividend => "Qualified dividends",
        ComponentKind::ShortTermGain => "Short-term capital gains",
        ComponentKind::LongTermGain => "Long-term capital gains",
        ComponentKind::ReturnOfCapital => "Return of capital",
        ComponentKind::Interest => "Interest",
    }
}

/// One fund-year of the tax summary, formatted.
pub struct TaxRow {
    year: String,
    fund: String,
    currency: Currency,
    components: [i64; 6],
    gross: i64,
    foreign_tax: i64,
    withholding: i64,
    /// The year is not over: later distributions and corrections can still change it.
    estimate: bool,
}

impl TaxRow {
    fn shown(&self, minor: &i64) -> String {
        money_code(*minor, self.currency)
    }
}

async fn tax_rows(state: &AppState, viewer: &Viewer, p: &Parsed) -> PageResult<Vec<TaxRow>> {
    let years = store::tax_by_year(&state.db, &viewer.actor, &p.filter).await?;
    let funds = funds::list_funds(&state.db, &viewer.actor).await?;
    let this_year = chrono::Utc::now().year().to_string();
    Ok(years
        .into_iter()
        .map(|y| TaxRow {
            estimate: y.year >= this_year,
            fund: fund_code(&funds, &y.fund_id),
            year: y.year,
            currency: y.currency,
            components: y.components,
            gross: y.gross_minor,
            foreign_tax: y.foreign_tax_minor,
            withholding: y.withholding_minor,
        })
        .collect())
}

/// Each component's total per currency, for the chart.
fn tax_bars(rows: &[TaxRow]) -> Vec<Bar> {
    let mut per: BTreeMap<(String, usize), (i64, Currency)> = BTreeMap::new();
    for r in rows {
        for (i, v) in r.components.iter().enumerate() {
            let key = (r.currency.code().to_string(), i);
            per.entry(key).or_insert((0, r.currency)).0 += v;
        }
    }
    per.into_iter()
        .map(|((code, i), (v, c))| Bar {
            label: format!("{} {code}", component_label(ComponentKind::ALL[i])),
            value: v,
            shown: money_code(v, c),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "reports/tax_summary.html")]
struct TaxPage {
    chrome: Chrome,
    filters: Filters,
    chart: String,
    labels: Vec<&'static str>,
    rows: Vec<TaxRow>,
}

async fn tax_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let p = parse(&q, &["year"]);
    let funds = funds::list_funds(&state.db, &viewer.actor).await?;
    let rows = if p.errors.is_empty() {
        tax_rows(&state, &viewer, &p).await?
    } else {
        Vec::new()
    };
    let page = TaxPage {
        chrome: Chrome::new(&viewer, "Tax summary", "/reports/tax-summary"),
        filters: Filters::new("/reports/tax-summary", &p, &funds, &["year"]),
        chart: bars("Distributed by tax character", &tax_bars(&rows), 720, 260),
        labels: ComponentKind::ALL.map(component_label).to_vec(),
        rows,
    };
    render_status(status_of(&p.errors), &page)
}

async fn tax_export(
    state: AppState,
    viewer: Viewer,
    q: ReportQuery,
    format: ExportFormat,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let p = parse(&q, &["year"]);
    if !p.errors.is_empty() {
        return Err(bad_export(&p.errors));
    }
    let rows = tax_rows(&state, &viewer, &p).await?;
    let mut headers = vec!["year", "fund", "currency", "status"];
    headers.extend(ComponentKind::ALL.map(|k| k.as_str()));
    headers.extend(["gross", "foreign_tax", "withholding"]);
    let table = Table {
        name: "tax-summary".into(),
        headers,
        rows: rows
            .iter()
            .map(|r| {
                let mut cells = vec![
                    Cell::Text(r.year.clone()),
                    Cell::Text(r.fund.clone()),
                    Cell::Text(r.currency.code().into()),
                    Cell::Text(
                        if r.estimate {
                            "estimate"
                        } else {
                            "year closed"
                        }
                        .into(),
                    ),
                ];
                cells.extend(r.components.iter().map(|v| money_cell(*v, r.currency)));
                cells.push(money_cell(r.gross, r.currency));
                cells.push(money_cell(r.foreign_tax, r.currency));
                cells.push(money_cell(r.withholding, r.currency));
                cells
            })
            .collect(),
    };
    Ok(respond(&table, format)?)
}

async fn tax_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    tax_export(state, viewer, q, ExportFormat::Csv).await
}

async fn tax_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    tax_export(state, viewer, q, ExportFormat::Xlsx).await
}

// ---------------------------------------------------------------------------------------
// Cash flow: paid and scheduled per payable-date bucket and rail

const BUCKETS: [&str; 2] = ["week", "month"];

/// One bucket, currency and rail of the cash-flow report.
pub struct CashRow {
    bucket: String,
    currency: Currency,
    rail: String,
    scheduled: i64,
    paid: i64,
}

impl CashRow {
    fn shown(&self, minor: &i64) -> String {
        money_code(*minor, self.currency)
    }
}

/// The bucket of a payable date: the Monday of its week, or its month.
fn bucket_of(day: NaiveDate, group: &str) -> String {
    if group == "week" {
        let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
        format!("week of {monday}")
    } else {
        day.format("%Y-%m").to_string()
    }
}

async fn cash_rows(state: &AppState, viewer: &Viewer, p: &Parsed) -> PageResult<Vec<CashRow>> {
    let days = store::cash_by_day(&state.db, &viewer.actor, &p.filter).await?;
    let mut rolled: BTreeMap<(String, String, String), CashRow> = BTreeMap::new();
    for d in days {
        let bucket = bucket_of(d.day, p.group);
        let rail = d
            .rail
            .unwrap_or_else(|| "not chosen until processing".into());
        let key = (bucket.clone(), d.currency.code().to_string(), rail.clone());
        let row = rolled.entry(key).or_insert(CashRow {
            bucket,
            currency: d.currency,
            rail,
            scheduled: 0,
            paid: 0,
        });
        row.scheduled += d.scheduled_minor;
        row.paid += d.paid_minor;
    }
    Ok(rolled.into_values().collect())
}

/// Paid and scheduled per bucket and currency, for the chart.
fn cash_bars(rows: &[CashRow]) -> Vec<Bar> {
    let mut per: BTreeMap<(String, String, &str), (i64, Currency)> = BTreeMap::new();
    for r in rows {
        for (what, v) in [("paid", r.paid), ("scheduled", r.scheduled)] {
            if v != 0 {
                let key = (r.bucket.clone(), r.currency.code().to_string(), what);
                per.entry(key).or_insert((0, r.currency)).0 += v;
            }
        }
    }
    per.into_iter()
        .map(|((bucket, code, what), (v, c))| Bar {
            label: format!("{bucket} {what} {code}"),
            value: v,
            shown: money_code(v, c),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "reports/cash_flow.html")]
struct CashPage {
    chrome: Chrome,
    filters: Filters,
    chart: String,
    rows: Vec<CashRow>,
}

async fn cash_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let p = parse(&q, &BUCKETS);
    let funds = funds::list_funds(&state.db, &viewer.actor).await?;
    let rows = if p.errors.is_empty() {
        cash_rows(&state, &viewer, &p).await?
    } else {
        Vec::new()
    };
    let page = CashPage {
        chrome: Chrome::new(&viewer, "Cash flow", "/reports/cash-flow"),
        filters: Filters::new("/reports/cash-flow", &p, &funds, &BUCKETS),
        chart: bars("Cash paid and scheduled", &cash_bars(&rows), 720, 260),
        rows,
    };
    render_status(status_of(&p.errors), &page)
}

async fn cash_export(
    state: AppState,
    viewer: Viewer,
    q: ReportQuery,
    format: ExportFormat,
) -> PageResult<Response> {
    if let Some(r) = viewer.staff_page() {
        return Ok(r);
    }
    let p = parse(&q, &BUCKETS);
    if !p.errors.is_empty() {
        return Err(bad_export(&p.errors));
    }
    let rows = cash_rows(&state, &viewer, &p).await?;
    let table = Table {
        name: "cash-flow".into(),
        headers: vec!["bucket", "currency", "rail", "scheduled", "paid"],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.bucket.clone()),
                    Cell::Text(r.currency.code().into()),
                    Cell::Text(r.rail.clone()),
                    money_cell(r.scheduled, r.currency),
                    money_cell(r.paid, r.currency),
                ]
            })
            .collect(),
    };
    Ok(respond(&table, format)?)
}

async fn cash_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    cash_export(state, viewer, q, ExportFormat::Csv).await
}

async fn cash_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportQuery>,
) -> PageResult<Response> {
    cash_export(state, viewer, q, ExportFormat::Xlsx).await
}
