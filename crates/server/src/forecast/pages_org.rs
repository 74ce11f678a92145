//! The organization's forecast page (`/distributions/forecast`, staff): per currency, the
//! distributions paid by month and the funds' forecasts summed with their 80 % band (chart
//! and table), the next forecast distribution of each fund (paginated) with its model,
//! backtest accuracy and trend, and the liquidity plan's shortfalls across funds (paginated).
//! The route is a literal: axum prefers it to the `/distributions/{id}` capture.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, NaiveDate};
use clearway_app::forecast::{
    self as app, aggregate, fund, liquidity, series, Aggregate, OrgLiquidityPlan, Request,
};
use clearway_core::Currency;
use clearway_store::funds::{self, Fund};
use clearway_store::Tx;
use serde::Deserialize;

use super::pages::field_errors;
use super::pages_view::{direction, major, model_label, pct, ratio};
use crate::state::AppState;
use crate::web::chart_band::{self, Band, Chart, Mark, Series};
use crate::web::error::render_status;
use crate::web::fmt::money;
use crate::web::form::FieldErrors;
use crate::web::{query_string, Chrome, PageResult, Viewer};

/// Funds per page of the funds table, and shortfalls per page.
const PAGE: i64 = 25;
const SHORT_PAGE: usize = 25;
/// Months of paid history shown before the forecast.
const HISTORY_MONTHS: i32 = 24;

/// Route of the page.
pub fn router() -> Router<AppState> {
    Router::new().route("/distributions/forecast", get(page))
}

/// The page's query string.
#[derive(Debug, Default, Deserialize)]
pub struct OrgQuery {
    #[serde(default)]
    horizon: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    soffset: Option<usize>,
}

pub struct MonthRow {
    month: String,
    paid: String,
    forecast: String,
    low80: String,
    high80: String,
}

pub struct CurrencyChart {
    currency: String,
    svg: String,
    rows: Vec<MonthRow>,
}

pub struct FundRow {
    id: String,
    code: String,
    /// Why there is no forecast, when there is none.
    none: Option<String>,
    next_date: String,
    per_unit: String,
    total: String,
    model: &'static str,
    mape: String,
    mase: String,
    trend: String,
}

pub struct ShortRow {
    fund_id: String,
    fund_code: String,
    date: String,
    cash: String,
    shortfall: String,
    shortfall_high: String,
}

#[derive(Template)]
#[template(path = "forecast/org.html")]
struct OrgPage {
    chrome: Chrome,
    horizon: String,
    errors: FieldErrors,
    charts: Vec<CurrencyChart>,
    funds: Vec<FundRow>,
    funds_total: usize,
    funds_prev: Option<String>,
    funds_next: Option<String>,
    shortfalls: Vec<ShortRow>,
    shortfalls_total: usize,
    short_prev: Option<String>,
    short_next: Option<String>,
}

fn month_index(d: NaiveDate) -> i32 {
    d.year() * 12 + d.month0() as i32
}

fn month_label(i: i32) -> String {
    format!("{:04}-{:02}", i.div_euclid(12), i.rem_euclid(12) + 1)
}

/// Forecast sums of one month: (total, lower80, upper80).
type Sums = (i64, i64, i64);
/// Paid totals per (currency code, month index).
type Paid = BTreeMap<(String, i32), (Currency, i64)>;
/// One currency's paid and forecast months.
type PerCurrency = (Currency, BTreeMap<i32, i64>, BTreeMap<i32, Sums>);

/// Paid totals per (currency, month index) over every fund of the organization.
async fn paid_by_month(tx: &mut Tx, viewer: &Viewer, ids: &[String]) -> PageResult<Paid> {
    let mut out: Paid = BTreeMap::new();
    for id in ids {
        let s = series::load(tx, &viewer.actor, id).await?;
        let c = s.fund.currency;
        for a in &s.actuals {
            let e = out
                .entry((c.code().to_string(), month_index(a.date)))
                .or_insert((c, 0));
            e.1 = e.1.saturating_add(a.total_minor);
        }
    }
    Ok(out)
}

/// One currency's chart and table: up to two years paid, then the forecast months.
fn currency_chart(
    code: &str,
    c: Currency,
    paid: &BTreeMap<i32, i64>,
    fc: &BTreeMap<i32, Sums>,
) -> CurrencyChart {
    let first_fc = fc.keys().next().copied();
    let last = fc
        .keys()
        .last()
        .or(paid.keys().last())
        .copied()
        .unwrap_or(0);
    let from = paid
        .keys()
        .next()
        .copied()
        .unwrap_or(last)
        .max(first_fc.unwrap_or(last + 1) - HISTORY_MONTHS);
    let months: Vec<i32> = (from..=last).collect();
    let value = |m: i32| paid.get(&m).map(|v| major(*v, c));
    let chart = Chart {
        id: format!("aggregate-chart-{code}"),
        title: format!("Distributions per month in {code}: paid and forecast"),
        description: format!(
            "Bars: paid per month from {} ; dashed line: the funds' forecasts summed, with the 80 % band; the figures are in the table below.",
            month_label(from)
        ),
        labels: months.iter().map(|m| month_label(*m)).collect(),
        bands: vec![Band {
            name: "80 % band".into(),
            class: "b80",
            bounds: months
                .iter()
                .map(|m| fc.get(m).map(|s| (major(s.1, c), major(s.2, c))))
                .collect(),
        }],
        series: vec![
            Series {
                name: "Paid".into(),
                class: "history",
                mark: Mark::Bars,
                values: months.iter().map(|m| value(*m)).collect(),
            },
            Series {
                name: "Forecast".into(),
                class: "forecast",
                mark: Mark::Dashed,
                values: months.iter().map(|m| fc.get(m).map(|s| major(s.0, c))).collect(),
            },
        ],
        decimals: c.minor_units() as usize,
    };
    let shown = |v: Option<i64>| v.map_or_else(|| "—".into(), |v| money(v, c));
    CurrencyChart {
        currency: code.to_string(),
        svg: chart_band::draw(&chart, 900, 300),
        rows: months
            .iter()
            .map(|m| {
                let f = fc.get(m);
                MonthRow {
                    month: month_label(*m),
                    paid: shown(paid.get(m).copied()),
                    forecast: shown(f.map(|s| s.0)),
                    low80: shown(f.map(|s| s.1)),
                    high80: shown(f.map(|s| s.2)),
                }
            })
            .collect(),
    }
}

fn charts(agg: &Aggregate, paid: &Paid) -> Vec<CurrencyChart> {
    let mut by: BTreeMap<String, PerCurrency> = BTreeMap::new();
    for ((code, m), (c, v)) in paid {
        let e = by
            .entry(code.clone())
            .or_insert((*c, BTreeMap::new(), BTreeMap::new()));
        e.1.insert(*m, *v);
    }
    for m in &agg.months {
        let c = m.currency;
        let e = by
            .entry(c.code().to_string())
            .or_insert((c, BTreeMap::new(), BTreeMap::new()));
        let s = (m.total_minor, m.lower80_minor, m.upper80_minor);
        e.2.insert(month_index(m.month), s);
    }
    by.iter()
        .map(|(code, (c, paid, fc))| currency_chart(code, *c, paid, fc))
        .collect()
}

async fn fund_row(tx: &mut Tx, viewer: &Viewer, f: &Fund, req: &Request) -> PageResult<FundRow> {
    let fc = fund::forecast(tx, &viewer.actor, &f.id, req).await?;
    let trends = fund::trends(tx, &viewer.actor, &f.id).await?;
    let c = fc.currency;
    let next = fc.points.first();
    let none = next.is_none().then(|| {
        let why = fc
            .notes
            .first()
            .cloned()
            .unwrap_or_else(|| "no history".into());
        format!("No forecast: {why}.")
    });
    Ok(FundRow {
        id: f.id.clone(),
        code: f.code.clone(),
        none,
        next_date: next.map_or_else(String::new, |p| p.date.to_string()),
        per_unit: next.map_or_else(String::new, |p| p.per_unit.to_string()),
        total: next.map_or_else(String::new, |p| {
            format!("{} {}", money(p.total_minor, c), c.code())
        }),
        model: fc.model.map_or("none", model_label),
        mape: pct(fc.accuracy.mape),
        mase: ratio(fc.accuracy.mase),
        trend: trends.trend.as_ref().map_or_else(
            || "—".into(),
            |t| {
                format!(
                    "{} (p = {:.3})",
                    direction(t.direction),
                    if t.p_value.is_finite() {
                        t.p_value
                    } else {
                        1.0
                    }
                )
            },
        ),
    })
}

fn shortfalls(plan: &OrgLiquidityPlan) -> Vec<ShortRow> {
    plan.funds
        .iter()
        .flat_map(|p| {
            let c = p.currency;
            p.rows
                .iter()
                .filter(|r| r.shortfall_minor > 0 || r.shortfall_high_minor > 0)
                .map(move |r| ShortRow {
                    fund_id: p.fund_id.clone(),
                    fund_code: p.fund_code.clone(),
                    date: r.date.to_string(),
                    cash: format!("{} {}", money(r.cash_minor, c), c.code()),
                    shortfall: money(r.shortfall_minor, c),
                    shortfall_high: money(r.shortfall_high_minor, c),
                })
        })
        .collect()
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<OrgQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let horizon = q
        .horizon
        .clone()
        .unwrap_or_else(|| app::DEFAULT_HORIZON.to_string());
    let mut page = OrgPage {
        chrome: Chrome::new(&viewer, "Distributions forecast", "/distributions/forecast"),
        horizon: horizon.clone(),
        errors: FieldErrors::default(),
        charts: Vec::new(),
        funds: Vec::new(),
        funds_total: 0,
        funds_prev: None,
        funds_next: None,
        shortfalls: Vec::new(),
        shortfalls_total: 0,
        short_prev: None,
        short_next: None,
    };
    let req = match app::parse_request(Some(&horizon), None) {
        Ok(req) => req,
        Err(invalid) => {
            page.errors = field_errors(invalid);
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    fill(&state, &viewer, &q, &req, &mut page).await?;
    render_status(StatusCode::OK, &page)
}

async fn fill(
    state: &AppState,
    viewer: &Viewer,
    q: &OrgQuery,
    req: &Request,
    page: &mut OrgPage,
) -> PageResult<()> {
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
    let listed = funds::list_funds_page(&state.db, &viewer.actor, cursor, PAGE).await?;
    let mut tx = state.db.begin().await?;
    let ids = clearway_store::forecast::fund_ids_tx(&mut tx, &viewer.actor).await?;
    let agg = aggregate::aggregate(&mut tx, &viewer.actor, req.horizon).await?;
    let paid = paid_by_month(&mut tx, viewer, &ids).await?;
    for f in &listed {
        page.funds.push(fund_row(&mut tx, viewer, f, req).await?);
    }
    let plan = liquidity::org_plan(&mut tx, &viewer.actor, req.horizon).await?;
    tx.commit().await?;
    page.charts = charts(&agg, &paid);
    page.funds_total = ids.len();
    let h = req.horizon.to_string();
    page.funds_next = (listed.len() as i64 == PAGE)
        .then(|| listed.last())
        .flatten()
        .map(|f| {
            format!(
                "/distributions/forecast?{}",
                query_string(&[("horizon", &h), ("cursor", &f.code)])
            )
        });
    page.funds_prev = cursor.map(|_| {
        format!(
            "/distributions/forecast?{}",
            query_string(&[("horizon", &h)])
        )
    });
    let all = shortfalls(&plan);
    let off = q.soffset.unwrap_or(0).min(all.len());
    let link = |o: usize| {
        let q = query_string(&[
            ("horizon", &h),
            ("cursor", cursor.unwrap_or("")),
            ("soffset", &o.to_string()),
        ]);
        format!("/distributions/forecast?{q}#h-shortfalls")
    };
    page.short_prev = (off > 0).then(|| link(off.saturating_sub(SHORT_PAGE)));
    page.short_next = (off + SHORT_PAGE < all.len()).then(|| link(off + SHORT_PAGE));
    page.shortfalls_total = all.len();
    page.shortfalls = all.into_iter().skip(off).take(SHORT_PAGE).collect();
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;

    use axum::routing::get;
    use axum::Router;

    /// The distributions pages own `/distributions/{id}`; the forecast's literal route must
    /// win over that capture whichever router is merged first.
    #[tokio::test]
    async fn the_literal_forecast_route_wins_over_the_id_capture() {
        for capture_first in [true, false] {
            let capture = Router::new().route("/distributions/{id}", get(|| async { "capture" }));
            let literal =
                Router::new().route("/distributions/forecast", get(|| async { "literal" }));
            let mut app = if capture_first {
                capture.merge(literal)
            } else {
                literal.merge(capture)
            };
            let ask = |path: &str| Request::get(path).body(Body::empty()).unwrap();
            for (path, want) in [
                ("/distributions/forecast", "literal"),
                ("/distributions/d-1", "capture"),
            ] {
                let res = tower::Service::call(&mut app, ask(path)).await.unwrap();
                let body = axum::body::to_bytes(res.into_body(), 64).await.unwrap();
                assert_eq!(&body[..], want.as_bytes(), "{path}");
            }
        }
    }
}
