//! The fund's waterfall page: the terms in force and a form to change them, a hypothetical
//! run ("what if we distribute X on D", a GET: it writes nothing and can be bookmarked), the
//! run declared as a DRAFT distribution, and the GP clawback at a date. Everything goes
//! through the same application service as the API ([`clearway_app::waterfall`]).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{Duration, NaiveDate};
use clearway_app::waterfall as app;
use clearway_core::distribution::{parse_date, FundKind};
use clearway_core::money::parse_decimal;
use clearway_core::waterfall::{self as core, Outcome, Terms, TierKind};
use clearway_store::funds::{self, Fund};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::dto::{deal, positive_amount, WaterfallDistributionRequest};
use crate::reinvestment::routes::today;
use crate::state::AppState;
use crate::web::chart::{bars, Bar};
use crate::web::error::render_status;
use crate::web::fmt::money;
use crate::web::form::{self, FieldErrors};
use crate::web::{query_string, Chrome, PageResult, Viewer};

/// Routes of the page and its two forms.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/funds/{id}/waterfall", get(page))
        .route("/funds/{id}/waterfall/terms", post(save_terms))
        .route("/funds/{id}/waterfall/distribution", post(declare))
}

/// Investor rows per page of a result.
const PAGE: usize = 50;

/// The page's query: the hypothetical's inputs, the clawback date, the result page.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct WfQuery {
    amount: String,
    date: String,
    deal: String,
    clawback: String,
    page: String,
    notice: String,
}

/// The terms form, in percentages as people write them ("8" for 8 %).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct TermsForm {
    style: String,
    pref_rate: String,
    compounding: String,
    catch_up: String,
    carry: String,
    tax_offset: String,
}

/// The declare form.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct DeclareForm {
    amount: String,
    deal: String,
    declaration: String,
    record: String,
    payable: String,
    description: String,
    profit: String,
}

/// One tier's result, formatted.
pub struct TierRow {
    label: &'static str,
    hurdle: String,
    available: String,
    allocated: String,
    gp: String,
    remaining: String,
    explanation: String,
}

/// One investor's result, formatted.
pub struct InvestorRow {
    name: String,
    roc: String,
    pref: String,
    catch_up: String,
    carry: String,
    total: String,
}

/// A computed hypothetical.
pub struct RunResult {
    terms_version: i64,
    tiers: Vec<TierRow>,
    investors: Vec<InvestorRow>,
    totals: InvestorRow,
    chart: String,
    prev: Option<String>,
    next: Option<String>,
    first_row: usize,
    partners: usize,
}

/// The clawback, formatted.
pub struct ClawbackRow {
    as_of: String,
    received: String,
    entitled: String,
    excess: String,
    tax_offset: String,
    clawback: String,
    explanation: String,
}

#[derive(Template)]
#[template(path = "waterfall/fund.html")]
struct WaterfallPage {
    chrome: Chrome,
    fund: Fund,
    may_operate: bool,
    terms: Option<(i64, Vec<(String, String)>)>,
    terms_form: TermsForm,
    terms_errors: FieldErrors,
    q: WfQuery,
    hypo_errors: FieldErrors,
    result: Option<RunResult>,
    declare: DeclareForm,
    declare_errors: FieldErrors,
    profits: Vec<(&'static str, &'static str)>,
    clawback: Option<ClawbackRow>,
    clawback_errors: FieldErrors,
}

fn tier_label(k: TierKind) -> &'static str {
    match k {
        TierKind::ReturnOfCapital => "Return of capital",
        TierKind::PreferredReturn => "Preferred return",
        TierKind::CatchUp => "GP catch-up",
        TierKind::CarriedInterest => "Carried interest",
    }
}

fn pct(d: Decimal) -> String {
    format!("{} %", (d * Decimal::from(100)).normalize())
}

/// The terms in words, one row per tier.
fn describe(t: &Terms) -> Vec<(String, String)> {
    let mut rows = vec![(
        "Style".to_string(),
        match t.style {
            core::Style::European => "European (whole fund)".to_string(),
            core::Style::American => "American (deal by deal)".to_string(),
        },
    )];
    for tier in &t.tiers {
        let text = match tier {
            core::Tier::ReturnOfCapital => {
                "All contributed capital back to the partners first".to_string()
            }
            core::Tier::PreferredReturn {
                rate, compounding, ..
            } => format!(
                "{} a year, {}, actual/365, from each contribution's date",
                pct(*rate),
                match compounding {
                    core::Compounding::Simple => "simple",
                    core::Compounding::Annual => "compounded annually",
                }
            ),
            core::Tier::CatchUp {
                gp_percentage,
                target_gp_share,
            } => format!(
                "{} to the GP until it has {} of the profit",
                pct(*gp_percentage),
                pct(*target_gp_share)
            ),
            core::Tier::CarriedInterest { gp_percentage } => format!(
                "{} to the GP, {} to the partners by contributed capital",
                pct(*gp_percentage),
                pct(Decimal::ONE - gp_percentage)
            ),
        };
        rows.push((tier_label(tier.kind()).to_string(), text));
    }
    rows.push((
        "Clawback tax offset".into(),
        format!(
            "{} of an excess stays with the GP",
            pct(t.clawback_tax_offset)
        ),
    ));
    rows
}

/// The form's values of stored terms.
fn terms_form(t: Option<&Terms>) -> TermsForm {
    let mut f = TermsForm {
        style: "EUROPEAN".into(),
        compounding: "SIMPLE".into(),
        ..TermsForm::default()
    };
    let Some(t) = t else {
        f.pref_rate = "8".into();
        f.catch_up = "100".into();
        f.carry = "20".into();
        f.tax_offset = "40".into();
        return f;
    };
    let hundred = |d: &Decimal| (d * Decimal::from(100)).normalize().to_string();
    if t.style == core::Style::American {
        f.style = "AMERICAN".into();
    }
    f.tax_offset = hundred(&t.clawback_tax_offset);
    for tier in &t.tiers {
        match tier {
            core::Tier::ReturnOfCapital => {}
            core::Tier::PreferredReturn {
                rate, compounding, ..
            } => {
                f.pref_rate = hundred(rate);
                if *compounding == core::Compounding::Annual {
                    f.compounding = "ANNUAL".into();
                }
            }
            core::Tier::CatchUp { gp_percentage, .. } => f.catch_up = hundred(gp_percentage),
            core::Tier::CarriedInterest { gp_percentage } => f.carry = hundred(gp_percentage),
        }
    }
    f
}

/// Terms from the form, and the form field of each tier index (to place the core's errors).
fn terms_of(f: &TermsForm) -> Result<(Terms, Vec<&'static str>), FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut percent = |field: &'static str, text: &str| -> Option<Decimal> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match parse_decimal(field, text) {
            Ok(d) => Some(d / Decimal::from(100)),
            Err(e) => {
                errors.push(field, e.message);
                None
            }
        }
    };
    let pref = percent("pref_rate", &f.pref_rate);
    let catch_up = percent("catch_up", &f.catch_up);
    let carry = percent("carry", &f.carry);
    let offset = percent("tax_offset", &f.tax_offset).unwrap_or_default();
    let style = match f.style.as_str() {
        "AMERICAN" => core::Style::American,
        _ => core::Style::European,
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut tiers = vec![core::Tier::ReturnOfCapital];
    let mut fields = vec!["style"];
    if let Some(rate) = pref {
        tiers.push(core::Tier::PreferredReturn {
            rate,
            compounding: if f.compounding == "ANNUAL" {
                core::Compounding::Annual
            } else {
                core::Compounding::Simple
            },
            day_count: core::DayCount::Act365,
        });
        fields.push("pref_rate");
    }
    if let Some(gp) = catch_up {
        tiers.push(core::Tier::CatchUp {
            gp_percentage: gp,
            target_gp_share: carry.unwrap_or_default(),
        });
        fields.push("catch_up");
    }
    if let Some(gp) = carry {
        tiers.push(core::Tier::CarriedInterest { gp_percentage: gp });
        fields.push("carry");
    }
    Ok((
        Terms {
            style,
            tiers,
            clawback_tax_offset: offset,
        },
        fields,
    ))
}

/// The form field of a core error path ("tiers[2].gpPercentage" → the third tier's field).
fn terms_field(path: &str, fields: &[&'static str]) -> String {
    if path == "clawbackTaxOffset" {
        return "tax_offset".into();
    }
    path.strip_prefix("tiers[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| fields.get(i))
        .map_or("carry", |f| *f)
        .to_string()
}

fn result_of(
    fund: &Fund,
    computed: &app::Computed,
    q: &WfQuery,
    names: &std::collections::HashMap<String, String>,
    start: usize,
) -> RunResult {
    let c = fund.currency;
    let o: &Outcome = &computed.outcome;
    let tiers = o
        .tiers
        .iter()
        .map(|t| TierRow {
            label: tier_label(t.kind),
            hurdle: money(t.hurdle, c),
            available: money(t.available, c),
            allocated: money(t.allocated, c),
            gp: money(t.gp_amount, c),
            remaining: money(t.remaining, c),
            explanation: t.explanation.clone(),
        })
        .collect();
    let row = |name: String, a: &core::TierAmounts| InvestorRow {
        name,
        roc: money(a.return_of_capital, c),
        pref: money(a.preferred_return, c),
        catch_up: money(a.catch_up, c),
        carry: money(a.carried_interest, c),
        total: money(a.total(), c),
    };
    let mut sum = core::TierAmounts::default();
    for i in &o.investors {
        sum.return_of_capital += i.amounts.return_of_capital;
        sum.preferred_return += i.amounts.preferred_return;
        sum.catch_up += i.amounts.catch_up;
        sum.carried_interest += i.amounts.carried_interest;
    }
    let investors = o
        .investors
        .iter()
        .skip(start)
        .take(PAGE)
        .map(|i| {
            row(
                names
                    .get(&i.investor_id)
                    .cloned()
                    .unwrap_or_else(|| i.investor_id.clone()),
                &i.amounts,
            )
        })
        .collect();
    let link = |p: usize| {
        format!(
            "/funds/{}/waterfall?{}",
            fund.id,
            query_string(&[
                ("amount", &q.amount),
                ("date", &q.date),
                ("deal", &q.deal),
                ("page", &p.to_string()),
            ])
        )
    };
    let chart = bars(
        "Proceeds by tier",
        &o.tiers
            .iter()
            .map(|t| Bar {
                label: tier_label(t.kind).to_string(),
                value: t.allocated,
                shown: money(t.allocated, c),
            })
            .collect::<Vec<_>>(),
        720,
        240,
    );
    RunResult {
        terms_version: computed.terms_version,
        tiers,
        investors,
        totals: row("All partners".into(), &sum),
        chart,
        prev: (start > 0).then(|| link(start / PAGE - 1)),
        next: (start + PAGE < o.investors.len()).then(|| link(start / PAGE + 1)),
        first_row: start + 1,
        partners: o.investors.len(),
    }
}

/// The hypothetical asked for in the query, if any: its result or the fields refused.
async fn hypothetical(
    state: &AppState,
    viewer: &Viewer,
    fund: &Fund,
    q: &WfQuery,
) -> PageResult<(Option<RunResult>, FieldErrors)> {
    let mut errors = FieldErrors::default();
    if q.amount.trim().is_empty() && q.date.trim().is_empty() {
        return Ok((None, errors));
    }
    let amount = positive_amount("amount", q.amount.trim(), fund.currency);
    let date = parse_date("date", q.date.trim());
    let deal_v = deal(Some(&q.deal));
    let proceeds = match (amount, date, deal_v) {
        (Ok(amount), Ok(date), Ok(deal)) => core::Proceeds {
            amount,
            date,
            deal,
            currency: fund.currency,
        },
        (a, d, l) => {
            for e in [a.err(), d.err(), l.err()].into_iter().flatten() {
                errors.push(&e.field, e.message);
            }
            return Ok((None, errors));
        }
    };
    match app::hypothetical(&state.db, &viewer.actor, &fund.id, |_| Ok(proceeds.clone())).await {
        Ok((_, computed)) => {
            let start = q.page.parse::<usize>().unwrap_or(0).saturating_mul(PAGE);
            let start = if start >= computed.outcome.investors.len() {
                0
            } else {
                start
            };
            let ids: Vec<&str> = computed
                .outcome
                .investors
                .iter()
                .skip(start)
                .take(PAGE)
                .map(|i| i.investor_id.as_str())
                .collect();
            let names =
                clearway_store::distributions::investor_names(&state.db, &viewer.actor, &ids)
                    .await?;
            Ok((Some(result_of(fund, &computed, q, &names, start)), errors))
        }
        Err(e) => match e {
            clearway_app::AppError::Store(clearway_store::StoreError::Conflict(why)) => {
                errors.push("amount", why);
                Ok((None, errors))
            }
            other => Ok((None, FieldErrors::from_error(other, |f| f.to_string())?)),
        },
    }
}

async fn clawback(
    state: &AppState,
    viewer: &Viewer,
    fund: &Fund,
    q: &WfQuery,
) -> PageResult<(Option<ClawbackRow>, FieldErrors)> {
    let mut errors = FieldErrors::default();
    if q.clawback.trim().is_empty() {
        return Ok((None, errors));
    }
    let as_of = match parse_date("clawback", q.clawback.trim()) {
        Ok(d) => d,
        Err(e) => {
            errors.push("clawback", e.message);
            return Ok((None, errors));
        }
    };
    match app::clawback(&state.db, &viewer.actor, &fund.id, as_of).await {
        Ok((_, c)) => {
            let cur = fund.currency;
            Ok((
                Some(ClawbackRow {
                    as_of: c.as_of.to_string(),
                    received: money(c.carry_received, cur),
                    entitled: money(c.carry_entitled, cur),
                    excess: money(c.excess, cur),
                    tax_offset: money(c.tax_offset, cur),
                    clawback: money(c.clawback, cur),
                    explanation: c.explanation,
                }),
                errors,
            ))
        }
        Err(clearway_app::AppError::Store(clearway_store::StoreError::Conflict(why))) => {
            errors.push("clawback", why);
            Ok((None, errors))
        }
        Err(other) => Ok((None, FieldErrors::from_error(other, |_| "clawback".into())?)),
    }
}

const PROFITS: [(&str, &str); 5] = [
    ("longTermGain", "Long-term capital gain"),
    ("shortTermGain", "Short-term capital gain"),
    ("ordinaryDividend", "Ordinary income"),
    ("qualifiedDividend", "Qualified dividend"),
    ("interest", "Interest"),
];

/// The declare form's defaults for a hypothetical: its amount, deal and date.
fn declare_defaults(q: &WfQuery, fund: &Fund) -> DeclareForm {
    let payable = parse_date("date", q.date.trim()).ok();
    let record = payable.map(|p| p - Duration::days(1));
    let declaration = record.map(|r| today().min(r - Duration::days(1)));
    let show = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    DeclareForm {
        amount: q.amount.trim().to_string(),
        deal: q.deal.trim().to_string(),
        declaration: show(declaration),
        record: show(record),
        payable: show(payable),
        description: format!("{} distribution (waterfall)", fund.code),
        profit: "longTermGain".into(),
    }
}

struct Forms {
    terms_form: Option<TermsForm>,
    terms_errors: FieldErrors,
    declare: Option<DeclareForm>,
    declare_errors: FieldErrors,
}

async fn draw(
    state: &AppState,
    viewer: &Viewer,
    fund: Fund,
    q: WfQuery,
    forms: Forms,
) -> PageResult<Response> {
    let terms = app::terms(&state.db, &viewer.actor, &fund.id).await?;
    let (result, hypo_errors) = hypothetical(state, viewer, &fund, &q).await?;
    let (clawback, clawback_errors) = clawback(state, viewer, &fund, &q).await?;
    let failed = !forms.terms_errors.is_empty()
        || !forms.declare_errors.is_empty()
        || !hypo_errors.is_empty()
        || !clawback_errors.is_empty();
    let notice = match q.notice.as_str() {
        "terms" => Some("The new terms are in force.".to_string()),
        _ => None,
    };
    let page = WaterfallPage {
        chrome: Chrome::new(
            viewer,
            format!("Waterfall · {}", fund.code),
            &format!("/funds/{}/waterfall", fund.id),
        )
        .with_notice(notice),
        may_operate: viewer
            .actor
            .role
            .allows(clearway_core::access::Permission::Operate),
        terms_form: forms
            .terms_form
            .unwrap_or_else(|| terms_form(terms.as_ref().map(|t| &t.1))),
        terms: terms.as_ref().map(|(row, t)| (row.version, describe(t))),
        terms_errors: forms.terms_errors,
        declare: forms.declare.unwrap_or_else(|| declare_defaults(&q, &fund)),
        declare_errors: forms.declare_errors,
        profits: PROFITS.to_vec(),
        q,
        hypo_errors,
        result,
        clawback,
        clawback_errors,
        fund,
    };
    render_status(
        if failed {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &page,
    )
}

/// The partnership a page names; open-end funds have no waterfall (404 page).
async fn partnership(state: &AppState, viewer: &Viewer, id: &str) -> PageResult<Fund> {
    let fund = funds::find_fund(&state.db, &viewer.actor, id).await?;
    if fund.kind != FundKind::Partnership {
        return Err(clearway_store::StoreError::NotFound("waterfall").into());
    }
    Ok(fund)
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<WfQuery>,
) -> PageResult<Response> {
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let fund = partnership(&state, &viewer, &id).await?;
    let forms = Forms {
        terms_form: None,
        terms_errors: FieldErrors::default(),
        declare: None,
        declare_errors: FieldErrors::default(),
    };
    draw(&state, &viewer, fund, q, forms).await
}

async fn save_terms(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<TermsForm>(&viewer, &headers, &body)?;
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let fund = partnership(&state, &viewer, &id).await?;
    let errors = match terms_of(&f) {
        Err(errors) => errors,
        Ok((terms, fields)) => {
            let mut tx = state.db.begin().await?;
            match app::set_terms(&mut tx, &viewer.actor, &fund.id, &terms).await {
                Ok(_) => {
                    tx.commit().await?;
                    state.events_ready.notify_one();
                    return Ok(
                        Redirect::to(&format!("/funds/{}/waterfall?notice=terms", fund.id))
                            .into_response(),
                    );
                }
                Err(e) => FieldErrors::from_error(e, |p| terms_field(p, &fields))?,
            }
        }
    };
    let forms = Forms {
        terms_form: Some(f),
        terms_errors: errors,
        declare: None,
        declare_errors: FieldErrors::default(),
    };
    draw(&state, &viewer, fund, WfQuery::default(), forms).await
}

/// The declare form's field of an API field name.
fn declare_field(api: &str) -> String {
    match api {
        "declarationDate" => "declaration",
        "recordDate" => "record",
        "payableDate" | "date" => "payable",
        "profitCharacter" => "profit",
        "amount" | "deal" | "description" => api,
        _ => "amount",
    }
    .to_string()
}

async fn declare(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> PageResult<Response> {
    let form::Form(f) = form::parse::<DeclareForm>(&viewer, &headers, &body)?;
    if let Some(away) = viewer.staff_page() {
        return Ok(away);
    }
    let fund = partnership(&state, &viewer, &id).await?;
    let req = WaterfallDistributionRequest {
        amount: f.amount.trim().to_string(),
        deal: Some(f.deal.clone()),
        declaration_date: f.declaration.trim().to_string(),
        record_date: f.record.trim().to_string(),
        payable_date: f.payable.trim().to_string(),
        description: f.description.clone(),
        profit_character: Some(f.profit.clone()).filter(|p| !p.is_empty()),
    };
    let outcome = match req.command(fund.currency) {
        Err(invalid) => Err(clearway_app::AppError::Invalid(invalid)),
        Ok(cmd) => {
            let mut tx = state.db.begin().await?;
            match app::create_distribution(&mut tx, &viewer.actor, &fund.id, &cmd).await {
                Ok((d, _)) => {
                    tx.commit().await?;
                    state.events_ready.notify_one();
                    return Ok(Redirect::to(&format!("/distributions/{}", d.id)).into_response());
                }
                Err(e) => Err(e),
            }
        }
    };
    let errors = match outcome {
        Err(clearway_app::AppError::Store(clearway_store::StoreError::Conflict(why))) => {
            let mut e = FieldErrors::default();
            e.push("amount", why);
            e
        }
        Err(e) => FieldErrors::from_error(e, declare_field)?,
        Ok(()) => FieldErrors::default(),
    };
    let q = WfQuery {
        amount: f.amount.clone(),
        date: f.payable.clone(),
        deal: f.deal.clone(),
        ..WfQuery::default()
    };
    let forms = Forms {
        terms_form: None,
        terms_errors: FieldErrors::default(),
        declare: Some(f),
        declare_errors: errors,
    };
    draw(&state, &viewer, fund, q, forms).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_error_paths_land_on_the_form_field_of_their_tier() {
        let fields = ["style", "pref_rate", "catch_up", "carry"];
        assert_eq!(terms_field("tiers[1].rate", &fields), "pref_rate");
        assert_eq!(terms_field("tiers[2].gpPercentage", &fields), "catch_up");
        assert_eq!(terms_field("tiers[3].gpPercentage", &fields), "carry");
        assert_eq!(terms_field("clawbackTaxOffset", &fields), "tax_offset");
    }

    #[test]
    fn percentages_are_read_as_people_write_them() {
        let f = TermsForm {
            style: "EUROPEAN".into(),
            pref_rate: "8".into(),
            compounding: "ANNUAL".into(),
            catch_up: "100".into(),
            carry: "20".into(),
            tax_offset: "40".into(),
        };
        let (terms, fields) = terms_of(&f).unwrap();
        assert_eq!(fields, ["style", "pref_rate", "catch_up", "carry"]);
        assert_eq!(
            terms.tiers[1],
            core::Tier::PreferredReturn {
                rate: Decimal::new(8, 2),
                compounding: core::Compounding::Annual,
                day_count: core::DayCount::Act365
            }
        );
        assert_eq!(terms.clawback_tax_offset, Decimal::new(4, 1));
        let bad = TermsForm {
            pref_rate: "eight".into(),
            ..f
        };
        assert!(terms_of(&bad).unwrap_err().get("pref_rate").is_some());
    }
}
