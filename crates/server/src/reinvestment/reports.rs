//! Reinvestment reporting and tax lots: a distribution's reinvestments (paged, CSV, XLSX), an
//! investor's performance per fund, lots, and cost-basis previews for a redemption.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use chrono::NaiveDate;
use clearway_core::allocation::{integer_weights, largest_remainder};
use clearway_core::distribution::parse_date;
use clearway_core::money::parse_decimal;
use clearway_core::reinvestment::nav::{self as core_nav, DEFAULT_SHARE_CLASS};
use clearway_core::reinvestment::{market_value_minor, round_minor};
use clearway_core::taxlots::{redeem, LotError, Method, MethodName};
use clearway_core::FieldError;
use clearway_store::reinvestment::nav as navs;
use clearway_store::reinvestment::{self as store, Reinvestment};
use clearway_store::{funds, taxlots, Actor, StoreError};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::*;
use super::export::{respond, Cell, ExportFormat, Table};
use super::routes::today;
use crate::http::{page_limit, parse_json, ApiError, ApiResult, Page, Problem, Qs, RawBody};
use crate::state::AppState;

/// Query of a distribution's reinvestments.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// `nextCursor` of the previous page (an investor id).
    cursor: Option<String>,
    /// Page size (1–1000, default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/distributions/{id}/reinvestments", tag = "reinvestment",
    params(("id" = String, Path), ListQuery),
    responses((status = 200, body = Page<ReinvestmentView>), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn for_distribution(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Qs(q): Qs<ListQuery>,
) -> ApiResult<Json<Page<ReinvestmentView>>> {
    let limit = page_limit(q.limit, 50)?;
    let items =
        store::for_distribution(&state.db, &actor, &id, q.cursor.as_deref(), Some(limit)).await?;
    Ok(Json(
        Page::new(items, limit, |r| r.investor_id.clone()).map(|r| ReinvestmentView::from(&r)),
    ))
}

/// Query of an export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    #[param(pattern = "^(csv|xlsx)$")]
    format: Option<String>,
}

fn reinvestment_row(r: &Reinvestment) -> Vec<Cell> {
    let units = r.currency.minor_units();
    let money = |m: i64| Cell::Money(m, units);
    vec![
        Cell::Text(r.distribution_id.clone()),
        Cell::Text(r.investor_id.clone()),
        Cell::Text(r.kind.as_str().into()),
        Cell::Text(r.fund_id.clone()),
        Cell::Text(r.election.as_str().into()),
        Cell::Number(r.percentage),
        Cell::Text(r.currency.code().into()),
        money(r.line_total_minor),
        money(r.withholding_minor),
        money(r.reinvestable_minor),
        money(r.cost_minor),
        money(r.reinvestable_minor - r.cost_minor),
        money(r.line_total_minor - r.withholding_minor - r.cost_minor),
        Cell::Number(r.shares),
        Cell::Number(r.nav),
        Cell::Date(r.nav_date),
        Cell::Text(r.nav_rule.as_str().into()),
        Cell::Date(r.trade_date),
        Cell::Text(r.lot_id.clone()),
    ]
}

const REINVESTMENT_HEADERS: [&str; 19] = [
    "distributionId",
    "investorId",
    "kind",
    "fundId",
    "election",
    "percentage",
    "currency",
    "lineTotal",
    "withholding",
    "reinvestableAmount",
    "reinvestedAmount",
    "residualCash",
    "cashAmount",
    "shares",
    "nav",
    "navDate",
    "navRule",
    "tradeDate",
    "lotId",
];

#[utoipa::path(get, path = "/api/distributions/{id}/reinvestments/export", tag = "reinvestment",
    params(("id" = String, Path), ExportQuery),
    responses((status = 200, description = "CSV (text/csv) or XLSX file, as an attachment", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn export_distribution(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Qs(q): Qs<ExportQuery>,
) -> ApiResult<Response> {
    let format = ExportFormat::parse(q.format.as_deref())?;
    let items = store::for_distribution(&state.db, &actor, &id, None, None).await?;
    let table = Table {
        name: format!("reinvestments-{id}"),
        headers: REINVESTMENT_HEADERS.to_vec(),
        rows: items.iter().map(reinvestment_row).collect(),
    };
    respond(&table, format)
}

/// Query of the summary.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SummaryQuery {
    /// Only this fund bought (id or code).
    fund_id: Option<String>,
}

async fn summary(
    state: &AppState,
    actor: &Actor,
    investor_id: &str,
    fund: Option<&str>,
) -> ApiResult<SummaryView> {
    let fund_id = match fund {
        Some(f) => Some(funds::find_fund(&state.db, actor, f).await?.id),
        None => None,
    };
    let rows = store::for_investor(&state.db, actor, investor_id, fund_id.as_deref()).await?;
    let all_funds = funds::list_funds(&state.db, actor).await?;
    let lots = taxlots::list(
        &state.db,
        actor,
        investor_id,
        fund_id.as_deref(),
        false,
        None,
        i64::MAX,
    )
    .await?;
    let mut by_fund: BTreeMap<String, Vec<&Reinvestment>> = BTreeMap::new();
    for r in &rows {
        by_fund.entry(r.fund_id.clone()).or_default().push(r);
    }
    let mut out = Vec::new();
    for (fund_id, items) in by_fund {
        let currency = items[0].currency;
        let units = currency.minor_units();
        let total: i64 = items.iter().map(|r| r.cost_minor).sum();
        let shares: Decimal = items.iter().map(|r| r.shares).sum();
        let basis: i64 = lots
            .iter()
            .filter(|l| l.fund_id == fund_id && l.source == "REINVESTMENT")
            .map(|l| l.basis_minor)
            .sum();
        let latest =
            navs::latest_on_or_before(&state.db, actor, &fund_id, DEFAULT_SHARE_CLASS, None)
                .await?;
        let value = latest.and_then(|(_, nav)| market_value_minor(shares, nav, units));
        let gain = value.map(|v| v - total);
        let gain_percent = gain.filter(|_| total != 0).and_then(|g| {
            round_minor(
                Decimal::from(g) * Decimal::ONE_HUNDRED / Decimal::from(total),
                2,
            )
            .map(|p| Decimal::new(p, 2).to_string())
        });
        // Reinvestments only buy funds of the organization: a fund missing here is corrupt
        // data, not a fund without a code.
        let code = all_funds
            .iter()
            .find(|f| f.id == fund_id)
            .map(|f| f.code.clone())
            .ok_or_else(|| {
                StoreError::Corrupt(format!("reinvestments into unknown fund {fund_id}"))
            })?;
        out.push(FundSummary {
            fund_code: code,
            currency: currency.code().into(),
            transactions: items.len(),
            first_trade_date: items.first().map(|r| r.trade_date.to_string()),
            last_trade_date: items.last().map(|r| r.trade_date.to_string()),
            total_reinvested: currency.format_minor(total),
            shares_acquired: shares.to_string(),
            cost_basis: currency.format_minor(basis),
            latest_nav: latest.map(|(_, n)| n.to_string()),
            latest_nav_date: latest.map(|(d, _)| d.to_string()),
            current_value: value.map(|v| currency.format_minor(v)),
            gain: gain.map(|g| currency.format_minor(g)),
            gain_percent,
            fund_id,
        });
    }
    Ok(SummaryView {
        investor_id: investor_id.to_string(),
        funds: out,
    })
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/reinvestments/summary", tag = "reinvestment",
    params(("investor_id" = String, Path), SummaryQuery),
    responses((status = 200, body = SummaryView), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn investor_summary(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
    Qs(q): Qs<SummaryQuery>,
) -> ApiResult<Json<SummaryView>> {
    Ok(Json(
        summary(&state, &actor, &investor_id, q.fund_id.as_deref()).await?,
    ))
}

/// Query of the summary export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SummaryExportQuery {
    /// Only this fund bought (id or code).
    fund_id: Option<String>,
    /// `csv` (default) or `xlsx`.
    #[param(pattern = "^(csv|xlsx)$")]
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/reinvestments/summary/export", tag = "reinvestment",
    params(("investor_id" = String, Path), SummaryExportQuery),
    responses((status = 200, description = "CSV (text/csv) or XLSX file, as an attachment", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn export_summary(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
    Qs(q): Qs<SummaryExportQuery>,
) -> ApiResult<Response> {
    let format = ExportFormat::parse(q.format.as_deref())?;
    let s = summary(&state, &actor, &investor_id, q.fund_id.as_deref()).await?;
    // The summary's decimals and dates were formatted just above from typed values, so they
    // parse back; one that does not is a bug to report, never a 0 or a blank in the file.
    let dec = |field: &str, t: &Option<String>| -> ApiResult<Cell> {
        match t {
            Some(v) => v
                .parse()
                .map(Cell::Number)
                .map_err(|_| ApiError::Internal(format!("summary {field} '{v}' is not a decimal"))),
            None => Ok(Cell::Empty),
        }
    };
    let date = |field: &str, t: &Option<String>| -> ApiResult<Cell> {
        match t {
            Some(v) => v
                .parse::<NaiveDate>()
                .map(Cell::Date)
                .map_err(|_| ApiError::Internal(format!("summary {field} '{v}' is not a date"))),
            None => Ok(Cell::Empty),
        }
    };
    let rows = s
        .funds
        .iter()
        .map(|f| {
            Ok(vec![
                Cell::Text(f.fund_id.clone()),
                Cell::Text(f.fund_code.clone()),
                Cell::Text(f.currency.clone()),
                Cell::Number(Decimal::from(f.transactions)),
                date("firstTradeDate", &f.first_trade_date)?,
                date("lastTradeDate", &f.last_trade_date)?,
                dec("totalReinvested", &Some(f.total_reinvested.clone()))?,
                dec("sharesAcquired", &Some(f.shares_acquired.clone()))?,
                dec("costBasis", &Some(f.cost_basis.clone()))?,
                dec("latestNav", &f.latest_nav)?,
                date("latestNavDate", &f.latest_nav_date)?,
                dec("currentValue", &f.current_value)?,
                dec("gain", &f.gain)?,
                dec("gainPercent", &f.gain_percent)?,
            ])
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let table = Table {
        name: format!("reinvestment-summary-{investor_id}"),
        headers: vec![
            "fundId",
            "fundCode",
            "currency",
            "transactions",
            "firstTradeDate",
            "lastTradeDate",
            "totalReinvested",
            "sharesAcquired",
            "costBasis",
            "latestNav",
            "latestNavDate",
            "currentValue",
            "gain",
            "gainPercent",
        ],
        rows,
    };
    respond(&table, format)
}

/// Query of the lots list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LotsQuery {
    /// Only this fund (id or code).
    fund_id: Option<String>,
    /// Include closed lots.
    include_closed: Option<bool>,
    /// `nextCursor` of the previous page.
    #[param(min_length = 1)]
    cursor: Option<String>,
    /// Page size (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/investors/{investor_id}/lots", tag = "reinvestment",
    params(("investor_id" = String, Path), LotsQuery),
    responses((status = 200, body = Page<LotView>), (status = 404, body = Problem)), security(("bearer" = [])))]
pub(crate) async fn investor_lots(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
    Qs(q): Qs<LotsQuery>,
) -> ApiResult<Json<Page<LotView>>> {
    let limit = page_limit(q.limit, 100)?;
    let fund_id = match &q.fund_id {
        Some(f) => Some(funds::find_fund(&state.db, &actor, f).await?.id),
        None => None,
    };
    let after = match q.cursor.as_deref() {
        None => None,
        Some(c) => {
            let (d, id) = c
                .split_once('|')
                .ok_or_else(|| ApiError::field("cursor", "not a cursor from this list"))?;
            Some((
                parse_date("cursor", d).map_err(|e| ApiError::Invalid(e.into()))?,
                id.to_string(),
            ))
        }
    };
    let items = taxlots::list(
        &state.db,
        &actor,
        &investor_id,
        fund_id.as_deref(),
        q.include_closed.unwrap_or(false),
        after,
        limit,
    )
    .await?;
    let ids: Vec<String> = items.iter().map(|l| l.id.clone()).collect();
    let changes = taxlots::basis_changes(&state.db, &actor, &investor_id, &ids).await?;
    Ok(Json(
        Page::new(items, limit, |l| format!("{}|{}", l.acquired_on, l.id))
            .map(|l| LotView::new(&l, changes.get(&l.id).copied().unwrap_or(0))),
    ))
}

fn lot_error(e: LotError) -> ApiError {
    let field = match &e {
        LotError::NotPositive(_) | LotError::InsufficientShares { .. } => "shares",
        LotError::Overflow => "shares",
        _ => "lots",
    };
    ApiError::field(field, e.to_string())
}

/// A share count of a fund whose shares have `precision` decimals: positive, and no finer
/// than them (lots are bought in whole increments of the last decimal, see
/// `clearway_core::reinvestment`; a finer count names shares no one holds). Trailing zeros
/// beyond them are the same number.
fn parse_shares(field: &str, text: &str, precision: u32) -> Result<Decimal, FieldError> {
    let v = parse_decimal(field, text)?.normalize();
    if v <= Decimal::ZERO {
        return Err(FieldError::new(field, "must be greater than zero"));
    }
    let precision = precision.min(12);
    if v.scale() > precision {
        return Err(FieldError::new(
            field,
            format!("has more than {precision} decimal places: the fund's shares have {precision}"),
        ));
    }
    Ok(v)
}

#[utoipa::path(post, path = "/api/investors/{investor_id}/cost-basis", tag = "reinvestment",
    params(("investor_id" = String, Path)), request_body = CostBasisRequest,
    responses((status = 200, body = CostBasisView, description = "a preview: nothing is sold or written"), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub(crate) async fn cost_basis(
    State(state): State<AppState>,
    actor: Actor,
    Path(investor_id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<CostBasisView>> {
    // Who may see this investor first: another investor's id is a 404 whatever the body.
    store::check_investor(&state.db, &actor, &investor_id).await?;
    let req: CostBasisRequest = parse_json(&headers, &body)?;
    let fund = funds::find_fund(&state.db, &actor, &req.fund_id)
        .await
        .map_err(|_| ApiError::field("fundId", format!("fund '{}' not found", req.fund_id)))?;
    let shares = parse_shares("shares", &req.shares, fund.share_precision)
        .map_err(|e| ApiError::Invalid(e.into()))?;
    let name: MethodName = req
        .method
        .parse()
        .map_err(|why: String| ApiError::field("method", why))?;
    let date = match &req.date {
        Some(t) => parse_date("date", t).map_err(|e| ApiError::Invalid(e.into()))?,
        None => today(),
    };
    let method = match (name, &req.lots) {
        (MethodName::SpecificId, Some(picks)) if !picks.is_empty() => {
            let mut chosen = Vec::with_capacity(picks.len());
            for (i, p) in picks.iter().enumerate() {
                let s = parse_shares(
                    &format!("lots[{i}].shares"),
                    &p.shares,
                    fund.share_precision,
                )
                .map_err(|e| ApiError::Invalid(e.into()))?;
                chosen.push((p.lot_id.clone(), s));
            }
            Method::SpecificIdentification(chosen)
        }
        (MethodName::SpecificId, _) => {
            return Err(ApiError::field(
                "lots",
                "SPECIFIC_ID needs the lots and shares to sell",
            ))
        }
        (_, Some(_)) => {
            return Err(ApiError::field("lots", "only used with SPECIFIC_ID"));
        }
        (MethodName::Fifo, None) => Method::Fifo,
        (MethodName::AverageCost, None) => Method::AverageCost,
    };
    let held = taxlots::open_lots_of(&state.db, &actor, &investor_id, &fund.id).await?;
    let r = redeem(&held, shares, &method, date).map_err(lot_error)?;
    let settings = store::settings(&state.db, &actor).await?;
    let latest =
        navs::latest_on_or_before(&state.db, &actor, &fund.id, DEFAULT_SHARE_CLASS, Some(date))
            .await?;
    // No usable NAV (missing or stale): proceeds and gains are reported unknown, by design.
    let quote = core_nav::resolve(latest, date, settings.nav_staleness_days).ok();
    let units = fund.currency.minor_units();
    let f = |m: i64| fund.currency.format_minor(m);
    let proceeds = quote.and_then(|q| market_value_minor(shares, q.nav, units));
    // Proceeds per lot by shares, largest remainder, so the parts sum to the total exactly.
    // Non-negative proceeds (filtered) split into parts no larger than themselves: the casts
    // are lossless; a split that cannot be made leaves the parts unknown, like the proceeds.
    let part_proceeds: Option<Vec<i64>> = proceeds.filter(|p| *p >= 0).and_then(|p| {
        let weights =
            integer_weights(&r.parts.iter().map(|x| x.shares).collect::<Vec<_>>()).ok()?;
        largest_remainder(p as u64, &weights)
            .ok()
            .map(|v| v.into_iter().map(|x| x as i64).collect())
    });
    let (mut short, mut long) = (0i64, 0i64);
    let parts = r
        .parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let pr = part_proceeds.as_ref().map(|v| v[i]);
            let gain = pr.map(|x| x - p.basis_minor);
            if let Some(g) = gain {
                if p.long_term {
                    long += g;
                } else {
                    short += g;
                }
            }
            PartView {
                lot_id: p.lot_id.clone(),
                acquired_on: p.acquired.to_string(),
                shares: p.shares.to_string(),
                basis: f(p.basis_minor),
                proceeds: pr.map(f),
                gain: gain.map(f),
                long_term: p.long_term,
            }
        })
        .collect();
    let known = part_proceeds.is_some();
    Ok(Json(CostBasisView {
        fund_id: fund.id.clone(),
        method: name.as_str().into(),
        date: date.to_string(),
        shares: shares.to_string(),
        basis: f(r.basis_minor),
        nav: quote.map(|q| q.nav.to_string()),
        nav_date: quote.map(|q| q.date.to_string()),
        proceeds: proceeds.map(f),
        short_term_gain: known.then(|| f(short)),
        long_term_gain: known.then(|| f(long)),
        parts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_headers_match_rows() {
        let r = Reinvestment {
            distribution_id: "d".into(),
            investor_id: "i".into(),
            kind: clearway_store::reinvestment::TxKind::Reinvest,
            source_fund_id: "f".into(),
            fund_id: "f".into(),
            election: clearway_core::reinvestment::ElectionKind::Partial,
            percentage: "37.5".parse().unwrap(),
            currency: clearway_core::Currency::USD,
            line_total_minor: 10_001,
            withholding_minor: 2_400,
            reinvestable_minor: 2_850,
            cost_minor: 2_849,
            shares: "2.8856".parse().unwrap(),
            nav: "9.87654321".parse().unwrap(),
            nav_date: "2026-03-31".parse().unwrap(),
            nav_rule: clearway_core::reinvestment::nav::NavRule::Exact,
            trade_date: "2026-03-31".parse().unwrap(),
            lot_id: "l".into(),
            reverses_distribution_id: None,
        };
        let row = reinvestment_row(&r);
        assert_eq!(row.len(), REINVESTMENT_HEADERS.len());
        assert_eq!(row[11], Cell::Money(1, 2));
        assert_eq!(row[12], Cell::Money(10_001 - 2_400 - 2_849, 2));
    }
}
