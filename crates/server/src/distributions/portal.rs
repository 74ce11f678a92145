//! The investor portal's distribution pages: the investor's distributions, their own line of
//! one (components with their tax character, reinvestment, payments), and its statement (CSV,
//! XLSX). Every read goes through the store with the viewer's actor, so an investor sees only
//! distributions they have a line in, from APPROVED on, and only that line; anything else is
//! the 404 page. Staff are sent to their console.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use clearway_core::components::ComponentKind;
use clearway_core::Currency;
use clearway_store::distributions::{self as store, Distribution, Line, ListFilter};
use clearway_store::payments::{self as pstore, Payment};
use clearway_store::reinvestment::{self as rstore, Reinvestment};
use clearway_store::{bank_accounts, funds, StoreError};
use serde::Deserialize;

use crate::reinvestment::export::{respond, Cell, ExportFormat, Table};
use crate::state::AppState;
use crate::web::error::{render, render_status};
use crate::web::fmt::money_code;
use crate::web::form::FieldErrors;
use crate::web::{Chrome, PageError, PageResult, Viewer};

/// Routes of the portal's distribution pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/distributions", get(list))
        .route("/account/distributions/{id}", get(detail))
        .route("/account/distributions/{id}/tax-documents", get(documents))
        .route(
            "/account/distributions/{id}/statement.csv",
            get(statement_csv),
        )
        .route(
            "/account/distributions/{id}/statement.xlsx",
            get(statement_xlsx),
        )
}

/// Rows per page of the list; payments per page of a line.
const PAGE: i64 = 25;

/// Printed next to every component: the character is the fund's estimate until the year-end
/// tax form fixes it.
pub const ESTIMATE_NOTE: &str =
    "Estimate until year end: your year-end tax form (1099-DIV or K-1) gives the final character.";

/// The label and tax character of an income component, as the investor reads them.
pub fn component_label(kind: ComponentKind) -> (&'static str, &'static str) {
    match kind {
        ComponentKind::OrdinaryDividend => (
            "Ordinary dividend",
            "Ordinary income (non-qualified dividend)",
        ),
        ComponentKind::QualifiedDividend => (
            "Qualified dividend",
            "Qualified dividend, taxed at long-term capital gain rates",
        ),
        ComponentKind::ShortTermGain => ("Short-term capital gain", "Short-term capital gain"),
        ComponentKind::LongTermGain => ("Long-term capital gain", "Long-term capital gain"),
        ComponentKind::ReturnOfCapital => {
            ("Return of capital", "Not income: reduces your cost basis")
        }
        ComponentKind::Interest => ("Interest", "Interest income"),
    }
}

// ---------------------------------------------------------------------------------------
// The list

/// The list's query string (every field optional; empty means no filter).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    fund: Option<String>,
    year: Option<String>,
    cursor: Option<String>,
}

/// One row of the list, formatted.
pub struct Row {
    id: String,
    fund: String,
    description: String,
    payable: String,
    status: &'static str,
    amount: String,
    settled: String,
}

#[derive(Template)]
#[template(path = "account/distributions.html")]
struct ListPage {
    chrome: Chrome,
    funds: Vec<(String, String)>,
    fund: String,
    year: String,
    errors: FieldErrors,
    rows: Vec<Row>,
    next: Option<String>,
    first_page: bool,
}

fn blank(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The payable-date range of a year given as text, or the field's error.
fn year_range(text: &str) -> Result<(NaiveDate, NaiveDate), &'static str> {
    let year: i32 = text
        .parse()
        .ok()
        .filter(|y| (1900..=2200).contains(y))
        .ok_or("must be a year such as 2026")?;
    let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or("must be a year such as 2026")?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31).ok_or("must be a year such as 2026")?;
    Ok((first, last))
}

/// The filter of a query, with a field error per value that does not parse.
fn filter_of(q: &ListQuery, fund_ids: &[String], errors: &mut FieldErrors) -> ListFilter {
    let fund_id = blank(&q.fund);
    if fund_id.as_ref().is_some_and(|f| !fund_ids.contains(f)) {
        errors.push("fund", "is not a fund of yours");
    }
    let range = blank(&q.year).and_then(|y| match year_range(&y) {
        Ok(r) => Some(r),
        Err(why) => {
            errors.push("year", why);
            None
        }
    });
    ListFilter {
        fund_id,
        payable_from: range.map(|r| r.0),
        payable_to: range.map(|r| r.1),
        before_id: blank(&q.cursor),
        limit: PAGE,
        ..ListFilter::default()
    }
}

/// How the line was settled, once processing has split it.
fn settled(line: Option<&Line>, currency: Currency) -> String {
    match line.and_then(|l| Some((l.reinvested_minor?, l.cash_minor?))) {
        Some((0, cash)) => format!("Cash {}", money_code(cash, currency)),
        Some((reinvested, 0)) => format!("Reinvested {}", money_code(reinvested, currency)),
        Some((reinvested, cash)) => format!(
            "Reinvested {}; cash {}",
            money_code(reinvested, currency),
            money_code(cash, currency)
        ),
        None => "Not yet processed".into(),
    }
}

/// The list's rows: each distribution with the investor's own line's settlement.
fn rows_of(items: &[Distribution], lines: &[(String, Line)], all: &[funds::Fund]) -> Vec<Row> {
    items
        .iter()
        .map(|d| Row {
            id: d.id.clone(),
            fund: all
                .iter()
                .find(|f| f.id == d.fund_id)
                .map_or_else(|| d.fund_id.clone(), |f| f.code.clone()),
            description: d.description.clone(),
            payable: d.schedule.payable.to_string(),
            status: d.status.as_str(),
            amount: money_code(d.total_minor, d.currency),
            settled: settled(
                lines.iter().find(|(id, _)| *id == d.id).map(|(_, l)| l),
                d.currency,
            ),
        })
        .collect()
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.portal_page() {
        return Ok(away);
    }
    let fund_list = funds::list_funds(&state.db, &viewer.actor).await?;
    let fund_ids: Vec<String> = fund_list.iter().map(|f| f.id.clone()).collect();
    let mut errors = FieldErrors::default();
    let filter = filter_of(&q, &fund_ids, &mut errors);
    let items = if errors.is_empty() {
        store::list(&state.db, &viewer.actor, &filter).await?
    } else {
        Vec::new()
    };
    let ids: Vec<String> = items.iter().map(|d| d.id.clone()).collect();
    let lines = store::own_lines(&state.db, &viewer.actor, &ids).await?;
    let rows = rows_of(&items, &lines, &fund_list);
    let next = (items.len() as i64 == PAGE)
        .then(|| items.last().map(|d| d.id.clone()))
        .flatten();
    let page = ListPage {
        chrome: Chrome::new(&viewer, "My distributions", "/account/distributions"),
        funds: fund_list
            .iter()
            .map(|f| (f.id.clone(), format!("{} — {}", f.code, f.name)))
            .collect(),
        fund: q.fund.clone().unwrap_or_default(),
        year: q.year.clone().unwrap_or_default(),
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

/// The list's query string with `cursor` replaced (pagination links keep the filters).
pub fn list_query(fund: &str, year: &str, cursor: &str) -> String {
    crate::web::query_string(&[("fund", fund), ("year", year), ("cursor", cursor)])
}

// ---------------------------------------------------------------------------------------
// One line

/// What the investor may know of one of their distributions: the header (their amount
/// only), the fund, their line, reinvestments and payments.
struct Own {
    d: Distribution,
    fund: funds::Fund,
    /// The organization's funds (a reinvestment may buy another fund).
    funds: Vec<funds::Fund>,
    line: Line,
    reinvestments: Vec<Reinvestment>,
    payments: Vec<Payment>,
    /// Masked account (`••••6789`) per payee id the payments went to.
    payees: Vec<(String, String)>,
}

/// Loads [`Own`] through the store with the investor's actor (another investor's
/// distribution, or one without their line, is the store's 404). `after` pages payments.
async fn own(
    state: &AppState,
    viewer: &Viewer,
    investor_id: &str,
    id: &str,
    after: Option<String>,
) -> PageResult<Own> {
    let db = &state.db;
    let actor = &viewer.actor;
    let d = store::get(db, actor, id).await?;
    let all_funds = funds::list_funds(db, actor).await?;
    let fund = all_funds
        .iter()
        .find(|f| f.id == d.fund_id)
        .cloned()
        .ok_or(StoreError::NotFound("fund"))?;
    let line = store::line(db, actor, id, investor_id).await?;
    let reinvestments = rstore::for_distribution(db, actor, id, None, Some(PAGE)).await?;
    let filter = pstore::ListFilter {
        distribution_id: Some(d.id.clone()),
        after_id: after,
        limit: PAGE,
        ..pstore::ListFilter::default()
    };
    let payments = pstore::list(db, actor, &filter).await?;
    // Only to mask the accounts paid: a payee older than the newest 100 shows as "—".
    let payees = bank_accounts::list(db, actor, investor_id, None, 100)
        .await?
        .iter()
        .filter_map(|b| Some((b.id.clone(), format!("••••{}", b.account_last4.as_ref()?))))
        .collect();
    Ok(Own {
        d,
        fund,
        funds: all_funds,
        line,
        reinvestments,
        payments,
        payees,
    })
}

impl Own {
    fn money(&self, minor: i64) -> String {
        money_code(minor, self.d.currency)
    }

    fn code_of(&self, fund_id: &str) -> String {
        self.funds
            .iter()
            .find(|f| f.id == fund_id)
            .map_or_else(|| fund_id.to_string(), |f| f.code.clone())
    }

    /// The masked account a payment went to (a check goes to the payee's address).
    fn account_of(&self, p: &Payment) -> String {
        p.bank_account_id
            .as_ref()
            .and_then(|b| self.payees.iter().find(|(id, _)| id == b))
            .map_or_else(|| "—".to_string(), |(_, m)| m.clone())
    }
}

/// One income component, formatted.
pub struct ComponentRow {
    label: &'static str,
    character: &'static str,
    amount: String,
}

/// One reinvestment, formatted.
pub struct ReinvestmentRow {
    fund: String,
    election: String,
    shares: String,
    nav: String,
    nav_date: String,
    cost: String,
    residual: String,
}

/// One payment, formatted.
pub struct PaymentRow {
    method: &'static str,
    account: String,
    amount: String,
    status: &'static str,
    expected: String,
    cleared: String,
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "account/distribution.html")]
struct DetailPage {
    chrome: Chrome,
    id: String,
    fund: String,
    description: String,
    status: &'static str,
    record: String,
    payable: String,
    total: String,
    line_status: &'static str,
    components: Vec<ComponentRow>,
    foreign_tax: String,
    withholding: String,
    reinvested: Option<String>,
    cash: Option<String>,
    offset: Option<String>,
    reinvestments: Vec<ReinvestmentRow>,
    payments: Vec<PaymentRow>,
    next_payments: Option<String>,
    estimate_note: &'static str,
}

/// The detail page's query: the payments' cursor.
#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    payments_after: Option<String>,
}

fn component_rows(o: &Own) -> Vec<ComponentRow> {
    ComponentKind::ALL
        .iter()
        .map(|k| {
            let (label, character) = component_label(*k);
            ComponentRow {
                label,
                character,
                amount: o.money(o.line.components.get(*k)),
            }
        })
        .collect()
}

fn reinvestment_rows(o: &Own) -> Vec<ReinvestmentRow> {
    o.reinvestments
        .iter()
        .map(|r| ReinvestmentRow {
            fund: o.code_of(&r.fund_id),
            election: format!("{} ({} %)", r.election.as_str(), r.percentage),
            shares: r.shares.to_string(),
            nav: format!("{} {}", r.nav, r.currency.code()),
            nav_date: r.nav_date.to_string(),
            cost: money_code(r.cost_minor, r.currency),
            residual: money_code(r.reinvestable_minor - r.cost_minor, r.currency),
        })
        .collect()
}

fn payment_rows(o: &Own) -> Vec<PaymentRow> {
    o.payments
        .iter()
        .map(|p| PaymentRow {
            method: p.method.as_str(),
            account: o.account_of(p),
            amount: money_code(p.amount_minor, p.currency),
            status: p.status.as_str(),
            expected: p.expected_date.to_string(),
            cleared: p.cleared_date.map_or_else(|| "—".into(), |d| d.to_string()),
            problem: p.failure_reason.clone(),
        })
        .collect()
}

/// A distribution's page title: its description, or its fund and payable date without one.
fn title_of(d: &Distribution) -> String {
    if d.description.is_empty() {
        format!("Distribution payable {}", d.schedule.payable)
    } else {
        d.description.clone()
    }
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> PageResult<Response> {
    let Some(investor_id) = viewer.actor.investor_id.clone() else {
        return Ok(viewer.to_home());
    };
    let o = own(&state, &viewer, &investor_id, &id, blank(&q.payments_after)).await?;
    let next_payments = (o.payments.len() as i64 == PAGE)
        .then(|| o.payments.last().map(|p| p.id.clone()))
        .flatten();
    let page = DetailPage {
        chrome: Chrome::new(&viewer, title_of(&o.d), "/account/distributions"),
        id: o.d.id.clone(),
        fund: format!("{} — {}", o.fund.code, o.fund.name),
        description: o.d.description.clone(),
        status: o.d.status.as_str(),
        record: o.d.schedule.record.to_string(),
        payable: o.d.schedule.payable.to_string(),
        total: o.money(o.line.total_minor),
        line_status: o.line.status.as_str(),
        components: component_rows(&o),
        foreign_tax: o.money(o.line.components.foreign_tax),
        withholding: o.money(o.line.components.withholding),
        reinvested: o.line.reinvested_minor.map(|m| o.money(m)),
        cash: o.line.cash_minor.map(|m| o.money(m)),
        offset: o.line.offset_minor.filter(|m| *m != 0).map(|m| o.money(m)),
        reinvestments: reinvestment_rows(&o),
        payments: payment_rows(&o),
        next_payments,
        estimate_note: ESTIMATE_NOTE,
    };
    render(&page)
}

// ---------------------------------------------------------------------------------------
// Tax documents and the statement

#[derive(Template)]
#[template(path = "account/tax_documents.html")]
struct DocumentsPage {
    chrome: Chrome,
    id: String,
    description: String,
}

async fn documents(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let Some(investor_id) = viewer.actor.investor_id.clone() else {
        return Ok(viewer.to_home());
    };
    // The line itself proves it is theirs (404 otherwise).
    let d = store::get(&state.db, &viewer.actor, &id).await?;
    store::line(&state.db, &viewer.actor, &id, &investor_id).await?;
    let page = DocumentsPage {
        chrome: Chrome::new(&viewer, "Tax documents", "/account/distributions"),
        id: d.id,
        description: d.description,
    };
    render(&page)
}

/// Columns of the statement: one fact per row, so it reads top to bottom.
const STATEMENT_HEADERS: [&str; 6] = [
    "section",
    "item",
    "value",
    "currency",
    "taxCharacter",
    "note",
];

fn fact(section: &str, item: &str, value: Cell) -> Vec<Cell> {
    vec![
        Cell::Text(section.into()),
        Cell::Text(item.into()),
        value,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]
}

fn money_fact(o: &Own, section: &str, item: &str, minor: i64) -> Vec<Cell> {
    let mut row = fact(
        section,
        item,
        Cell::Money(minor, o.d.currency.minor_units()),
    );
    row[3] = Cell::Text(o.d.currency.code().into());
    row
}

fn header_rows(o: &Own) -> Vec<Vec<Cell>> {
    let s = &o.d.schedule;
    vec![
        fact(
            "distribution",
            "fund",
            Cell::Text(format!("{} — {}", o.fund.code, o.fund.name)),
        ),
        fact("distribution", "distributionId", Cell::Text(o.d.id.clone())),
        fact(
            "distribution",
            "description",
            Cell::Text(o.d.description.clone()),
        ),
        fact(
            "distribution",
            "status",
            Cell::Text(o.d.status.as_str().into()),
        ),
        fact("distribution", "declarationDate", Cell::Date(s.declaration)),
        fact("distribution", "recordDate", Cell::Date(s.record)),
        fact("distribution", "payableDate", Cell::Date(s.payable)),
        money_fact(o, "line", "totalAmount", o.line.total_minor),
    ]
}

fn component_facts(o: &Own) -> Vec<Vec<Cell>> {
    let c = &o.line.components;
    let mut rows: Vec<Vec<Cell>> = ComponentKind::ALL
        .iter()
        .map(|k| {
            let mut row = money_fact(o, "component", k.as_str(), c.get(*k));
            row[4] = Cell::Text(component_label(*k).1.into());
            row[5] = Cell::Text(ESTIMATE_NOTE.into());
            row
        })
        .collect();
    rows.push(money_fact(o, "attribute", "foreignTaxPaid", c.foreign_tax));
    rows.push(money_fact(o, "attribute", "withholding", c.withholding));
    rows
}

fn settlement_facts(o: &Own) -> Vec<Vec<Cell>> {
    let l = &o.line;
    let mut rows = vec![fact(
        "settlement",
        "lineStatus",
        Cell::Text(l.status.as_str().into()),
    )];
    for (item, v) in [
        ("reinvestedAmount", l.reinvested_minor),
        ("cashAmount", l.cash_minor),
        ("offsetAgainstReceivables", l.offset_minor),
    ] {
        if let Some(m) = v {
            rows.push(money_fact(o, "settlement", item, m));
        }
    }
    for r in &o.reinvestments {
        let units = r.currency.minor_units();
        let mut shares = fact("reinvestment", "sharesBought", Cell::Number(r.shares));
        shares[5] = Cell::Text(format!(
            "fund {}; election {} ({} %); trade date {}",
            o.code_of(&r.fund_id),
            r.election.as_str(),
            r.percentage,
            r.trade_date
        ));
        rows.push(shares);
        rows.push(fact("reinvestment", "nav", Cell::Number(r.nav)));
        rows.push(fact("reinvestment", "navDate", Cell::Date(r.nav_date)));
        rows.push(fact(
            "reinvestment",
            "cost",
            Cell::Money(r.cost_minor, units),
        ));
        rows.push(fact(
            "reinvestment",
            "residualCash",
            Cell::Money(r.reinvestable_minor - r.cost_minor, units),
        ));
    }
    rows
}

fn payment_facts(o: &Own) -> Vec<Vec<Cell>> {
    o.payments
        .iter()
        .map(|p| {
            let mut row = fact(
                "payment",
                &format!("{} {}", p.method.as_str(), o.account_of(p)),
                Cell::Money(p.amount_minor, p.currency.minor_units()),
            );
            row[3] = Cell::Text(p.currency.code().into());
            row[5] = Cell::Text(format!(
                "status {}; expected {}; cleared {}",
                p.status.as_str(),
                p.expected_date,
                p.cleared_date
                    .map_or_else(|| "not yet".into(), |d| d.to_string())
            ));
            row
        })
        .collect()
}

async fn statement_csv(
    state: State<AppState>,
    viewer: Viewer,
    id: Path<String>,
) -> PageResult<Response> {
    statement(state, viewer, id, ExportFormat::Csv).await
}

async fn statement_xlsx(
    state: State<AppState>,
    viewer: Viewer,
    id: Path<String>,
) -> PageResult<Response> {
    statement(state, viewer, id, ExportFormat::Xlsx).await
}

/// The statement of the viewer's line, as an attachment.
async fn statement(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    format: ExportFormat,
) -> PageResult<Response> {
    let Some(investor_id) = viewer.actor.investor_id.clone() else {
        return Ok(viewer.to_home());
    };
    let o = own(&state, &viewer, &investor_id, &id, None).await?;
    let mut rows = header_rows(&o);
    rows.extend(component_facts(&o));
    rows.extend(settlement_facts(&o));
    rows.extend(payment_facts(&o));
    let table = Table {
        name: format!("statement-{}", o.d.id),
        headers: STATEMENT_HEADERS.to_vec(),
        rows,
    };
    respond(&table, format).map_err(PageError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_is_four_digits_in_range() {
        let (first, last) = year_range("2026").unwrap();
        assert_eq!(first.to_string(), "2026-01-01");
        assert_eq!(last.to_string(), "2026-12-31");
        for bad in ["26", "20x6", "1899", "2201", "-2026", "2026.0"] {
            assert!(year_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_settlement_says_reinvested_and_cash_exactly() {
        let usd = Currency::USD;
        let mut line = Line {
            investor_id: "i".into(),
            units: None,
            total_minor: 10_000,
            components: Default::default(),
            status: clearway_core::distribution::LineStatus::Pending,
            reverses_distribution_id: None,
            reinvested_minor: None,
            cash_minor: None,
            offset_minor: None,
            receivable_id: None,
        };
        assert_eq!(settled(Some(&line), usd), "Not yet processed");
        assert_eq!(settled(None, usd), "Not yet processed");
        line.reinvested_minor = Some(4_001);
        line.cash_minor = Some(5_999);
        assert_eq!(
            settled(Some(&line), usd),
            "Reinvested 40.01 USD; cash 59.99 USD"
        );
        line.reinvested_minor = Some(0);
        line.cash_minor = Some(10_000);
        assert_eq!(settled(Some(&line), usd), "Cash 100.00 USD");
    }
}
