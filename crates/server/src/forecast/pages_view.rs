//! The forecast pages' rows, formatted from the application's results: exact amounts from
//! minor units and decimals, statistics rounded for reading ("—" when undefined), and the
//! charts' SVG.

use clearway_app::forecast::{
    CashFlowProjection, CashOnHand, LiquidityPlan, RecordedError, ScenarioForecast, StoredForecast,
    Trends,
};
use clearway_core::distribution::FundKind;
use clearway_core::forecast::liquidity::Row;
use clearway_core::forecast::trend::Direction;
use clearway_core::forecast::Model;
use clearway_core::Currency;
use clearway_store::funds::Fund;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::pages::CashForm;
use crate::web::chart_band::{self, Band, Chart, Mark, Series};
use crate::web::fmt::money;
use crate::web::form::FieldErrors;

/// Longest history drawn on a fund's chart (the table below has the forecast's figures).
const CHART_HISTORY: usize = 60;

/// The fund a page is about.
pub struct FundHead {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub currency: String,
}

pub fn fund_head(f: &Fund) -> FundHead {
    FundHead {
        id: f.id.clone(),
        code: f.code.clone(),
        name: f.name.clone(),
        kind: match f.kind {
            FundKind::OpenEnd => "Open-end",
            FundKind::Partnership => "Partnership",
        },
        currency: f.currency.code().to_string(),
    }
}

/// A model's name for people.
pub fn model_label(m: Model) -> &'static str {
    match m {
        Model::Naive => "Naive (last value)",
        Model::SeasonalNaive => "Seasonal naive",
        Model::Ets => "Exponential smoothing (ETS)",
        Model::Theta => "Theta",
        Model::OptimizedTheta => "Optimised Theta",
        Model::Croston => "Croston",
        Model::Sba => "SBA (Syntetos–Boylan)",
        Model::Tsb => "TSB (Teunter–Syntetos–Babai)",
        Model::Ensemble => "Ensemble (median of ETS and Thetas)",
    }
}

/// A percentage already in percent, or "—" (undefined, e.g. MAPE over zeros).
pub fn pct(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(|| "—".into(), |v| format!("{v:.2} %"))
}

/// A share (0..=1) as a percentage, or "—".
pub fn share(v: Option<f64>) -> String {
    pct(v.map(|v| v * 100.0))
}

/// A ratio (MASE) to three places, or "—".
pub fn ratio(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(|| "—".into(), |v| format!("{v:.3}"))
}

pub fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Increasing => "Increasing",
        Direction::Decreasing => "Decreasing",
        Direction::Stable => "Stable",
    }
}

/// Field errors as one sentence (a refusal shown beside a button).
pub fn sentence(errors: &FieldErrors) -> String {
    errors
        .0
        .iter()
        .map(|(f, m)| format!("{f}: {m}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A statistic as printed: never NaN or infinite on a page.
fn fin(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

fn f64_of(d: Decimal) -> f64 {
    d.to_f64().filter(|v| v.is_finite()).unwrap_or(0.0)
}

/// Minor units as a value in major units, for drawing only.
pub fn major(minor: i64, c: Currency) -> f64 {
    minor as f64 / 10f64.powi(c.minor_units() as i32)
}

pub struct PointRow {
    pub date: String,
    pub per_unit: String,
    pub low80: String,
    pub high80: String,
    pub low95: String,
    pub high95: String,
    pub total: String,
}

pub struct ScenarioRow {
    pub date: String,
    pub bear: String,
    pub base: String,
    pub bull: String,
}

pub struct AccuracyView {
    pub origins: usize,
    pub points: usize,
    pub mape: String,
    pub smape: String,
    pub mase: String,
    pub coverage80: String,
    pub coverage95: String,
    pub notes: Vec<String>,
}

pub struct CandidateRow {
    pub model: &'static str,
    pub mase: String,
    pub smape: String,
    pub chosen: bool,
}

pub struct ForecastView {
    pub model: &'static str,
    pub label: String,
    pub based_on: String,
    pub frequency: &'static str,
    pub notes: Vec<String>,
    pub chart: String,
    pub points: Vec<PointRow>,
    pub scenarios: Vec<ScenarioRow>,
    pub accuracy: AccuracyView,
    pub candidates: Vec<CandidateRow>,
}

fn frequency(f: clearway_app::forecast::Frequency) -> &'static str {
    use clearway_app::forecast::Frequency as F;
    match f {
        F::Monthly => "Monthly",
        F::Quarterly => "Quarterly",
        F::SemiAnnual => "Semi-annual",
        F::Annual => "Annual",
        F::Irregular => "Irregular (monthly buckets, intermittent-demand models)",
    }
}

/// History (per unit) then the forecast with its bands, one period per payable date.
fn fund_chart(sf: &ScenarioForecast) -> String {
    let f = &sf.forecast;
    let skip = f.history.len().saturating_sub(CHART_HISTORY);
    let history = &f.history[skip..];
    let (h, n) = (history.len(), history.len() + f.points.len());
    let mut labels: Vec<String> = history.iter().map(|a| a.date.to_string()).collect();
    labels.extend(f.points.iter().map(|p| p.date.to_string()));
    let mut actual = vec![None; n];
    let mut mean = vec![None; n];
    let (mut b80, mut b95) = (vec![None; n], vec![None; n]);
    for (i, a) in history.iter().enumerate() {
        actual[i] = Some(f64_of(a.per_unit));
    }
    // The forecast's line starts at the last actual, so the two join.
    if h > 0 {
        mean[h - 1] = actual[h - 1];
    }
    for (i, p) in f.points.iter().enumerate() {
        mean[h + i] = Some(f64_of(p.per_unit));
        b80[h + i] = Some((f64_of(p.per_unit_lower80), f64_of(p.per_unit_upper80)));
        b95[h + i] = Some((f64_of(p.per_unit_lower95), f64_of(p.per_unit_upper95)));
    }
    let chart = Chart {
        id: "forecast-chart".into(),
        title: format!("{}: distribution per unit, history and forecast", f.fund_code),
        description: format!(
            "{} actual distributions per unit, then {} forecast payable dates with 80 % and 95 % prediction intervals; the figures are in the table below.",
            h,
            f.points.len()
        ),
        labels,
        bands: vec![
            Band { name: "95 % interval".into(), class: "b95", bounds: b95 },
            Band { name: "80 % interval".into(), class: "b80", bounds: b80 },
        ],
        series: vec![
            Series { name: "Paid".into(), class: "history", mark: Mark::Line, values: actual },
            Series { name: "Forecast".into(), class: "forecast", mark: Mark::Dashed, values: mean },
        ],
        decimals: 4,
    };
    chart_band::draw(&chart, 900, 300)
}

fn accuracy_view(a: &clearway_core::forecast::select::Accuracy) -> AccuracyView {
    AccuracyView {
        origins: a.origins,
        points: a.points,
        mape: pct(a.mape),
        smape: pct(a.smape),
        mase: ratio(a.mase),
        coverage80: share(a.coverage80),
        coverage95: share(a.coverage95),
        notes: a.notes.clone(),
    }
}

pub fn forecast_view(sf: &ScenarioForecast) -> ForecastView {
    let f = &sf.forecast;
    let c = f.currency;
    let b = &f.based_on;
    let based_on = match (b.first_payable, b.last_payable) {
        (Some(first), Some(last)) => format!(
            "{} distributions paid {first} to {last} ({} periods); totals at {} units outstanding",
            b.distributions,
            b.points_used,
            b.units_outstanding.normalize()
        ),
        _ => "no history".into(),
    };
    ForecastView {
        model: f.model.map_or("none", model_label),
        label: f.label.clone(),
        based_on,
        frequency: frequency(f.frequency),
        notes: f.notes.clone(),
        chart: fund_chart(sf),
        points: f
            .points
            .iter()
            .map(|p| PointRow {
                date: p.date.to_string(),
                per_unit: p.per_unit.to_string(),
                low80: p.per_unit_lower80.to_string(),
                high80: p.per_unit_upper80.to_string(),
                low95: p.per_unit_lower95.to_string(),
                high95: p.per_unit_upper95.to_string(),
                total: money(p.total_minor, c),
            })
            .collect(),
        scenarios: sf
            .scenarios
            .iter()
            .map(|s| ScenarioRow {
                date: s.date.to_string(),
                bear: money(s.bear_minor, c),
                base: money(s.base_minor, c),
                bull: money(s.bull_minor, c),
            })
            .collect(),
        accuracy: accuracy_view(&f.accuracy),
        candidates: f
            .candidates
            .iter()
            .map(|k| CandidateRow {
                model: model_label(k.model),
                mase: ratio(k.mase),
                smape: pct(k.smape),
                chosen: Some(k.model) == f.model,
            })
            .collect(),
    }
}

pub struct TrendsView {
    pub direction: String,
    pub p_value: String,
    pub slope: String,
    pub strength: String,
    pub paying: String,
}

pub fn trends_view(t: &Trends) -> TrendsView {
    let (direction, p_value, slope) = match &t.trend {
        Some(k) => (
            format!(
                "{}{}",
                direction(k.direction),
                if k.significant {
                    " (significant at 5 %)"
                } else {
                    ""
                }
            ),
            format!("{:.4}", fin(k.p_value)),
            format!(
                "{:.6} per unit per period ({:.6} per year)",
                fin(k.sen_slope_per_period),
                fin(k.sen_slope_per_year)
            ),
        ),
        None => (
            "Not tested (too few distributions)".into(),
            "—".into(),
            "—".into(),
        ),
    };
    let (strength, paying) = match &t.seasonality {
        Some(s) => (
            format!(
                "{:.2}{}",
                fin(s.strength),
                if s.significant {
                    " (significant)"
                } else {
                    " (not significant)"
                }
            ),
            if s.paying.is_empty() {
                "—".into()
            } else {
                s.paying.join(", ")
            },
        ),
        None => ("—".into(), "—".into()),
    };
    TrendsView {
        direction,
        p_value,
        slope,
        strength,
        paying,
    }
}

pub struct SavedRow {
    pub at: String,
    pub model: &'static str,
    pub horizon: usize,
    pub first_date: String,
    pub first: String,
    pub errors: usize,
    pub mape: String,
}

pub fn saved_row(s: &StoredForecast, errors: &[RecordedError]) -> SavedRow {
    let mine: Vec<&RecordedError> = errors.iter().filter(|e| e.forecast_id == s.id).collect();
    let apes: Vec<f64> = mine.iter().filter_map(|e| e.ape).collect();
    let mape = (!apes.is_empty()).then(|| apes.iter().sum::<f64>() / apes.len() as f64);
    let first = s.points.first();
    SavedRow {
        at: s.created_at.replace('T', " "),
        model: s.model.map_or("none", Model::name),
        horizon: s.horizon,
        first_date: first.map_or_else(|| "—".into(), |p| p.date.to_string()),
        first: first.map_or_else(|| "—".into(), |p| p.per_unit.to_string()),
        errors: mine.len(),
        mape: pct(mape),
    }
}

pub struct ErrorRow {
    pub date: String,
    pub model: &'static str,
    pub predicted: String,
    pub actual: String,
    pub error: String,
    pub ape: String,
}

pub fn error_row(e: &RecordedError) -> ErrorRow {
    ErrorRow {
        date: e.actual_date.to_string(),
        model: e.model.map_or("none", Model::name),
        predicted: e.predicted_per_unit.to_string(),
        actual: e.actual_per_unit.to_string(),
        error: e.error.to_string(),
        ape: pct(e.ape),
    }
}

pub struct PlanRow {
    pub date: String,
    pub gross: String,
    pub reinvested: String,
    pub cash: String,
    pub cash_high: String,
    pub remaining: String,
    pub shortfall: String,
    pub short: bool,
}

pub fn plan_row(r: &Row, c: Currency) -> PlanRow {
    PlanRow {
        date: r.date.to_string(),
        gross: money(r.gross_minor, c),
        reinvested: money(r.reinvested_minor, c),
        cash: money(r.cash_minor, c),
        cash_high: money(r.cash_high_minor, c),
        remaining: money(r.remaining_minor, c),
        shortfall: money(r.shortfall_minor, c),
        short: r.shortfall_minor > 0,
    }
}

pub fn on_hand(c: &CashOnHand) -> String {
    format!(
        "{} {} as of {}",
        money(c.amount_minor, c.currency),
        c.currency.code(),
        c.as_of
    )
}

/// The cash-on-hand form filled with what is on file (today's date when nothing is).
pub fn cash_form(plan: &LiquidityPlan) -> CashForm {
    match &plan.cash_on_hand {
        Some(c) => CashForm {
            amount: c.currency.format_minor(c.amount_minor),
            as_of: c.as_of.to_string(),
        },
        None => CashForm {
            amount: String::new(),
            as_of: chrono::Utc::now().date_naive().to_string(),
        },
    }
}

pub struct YaleRow {
    pub year: String,
    pub kind: &'static str,
    pub calls: String,
    pub distributions: String,
    pub nav: String,
    pub unfunded: String,
}

pub struct YaleView {
    pub about: String,
    pub notes: Vec<String>,
    pub chart: String,
    pub rows: Vec<YaleRow>,
}

impl YaleView {
    /// The projection refused (no commitments, …): its reasons, nothing drawn.
    pub fn refused(errors: &FieldErrors) -> YaleView {
        YaleView {
            about: format!("No projection: {}.", sentence(errors)),
            notes: Vec::new(),
            chart: String::new(),
            rows: Vec::new(),
        }
    }
}

fn yale_chart(p: &CashFlowProjection) -> String {
    let c = p.currency;
    let series =
        |name: &str,
         class: &'static str,
         f: &dyn Fn(&clearway_app::forecast::CashFlowYear) -> i64| Series {
            name: name.into(),
            class,
            mark: Mark::Line,
            values: p.years.iter().map(|y| Some(major(f(y), c))).collect(),
        };
    let chart = Chart {
        id: "yale-chart".into(),
        title: format!("{}: calls, distributions and NAV by year", p.fund_code),
        description: "Actual years, then the Takahashi–Alexander projection to the end of the fund's life; the figures are in the table below.".into(),
        labels: p.years.iter().map(|y| y.calendar_year.to_string()).collect(),
        bands: Vec::new(),
        series: vec![
            series("Calls", "calls", &|y| y.contributions_minor),
            series("Distributions", "dists", &|y| y.distributions_minor),
            series("NAV", "nav", &|y| y.nav_minor),
        ],
        decimals: c.minor_units() as usize,
    };
    chart_band::draw(&chart, 900, 300)
}

pub fn yale_view(p: &CashFlowProjection) -> YaleView {
    let c = p.currency;
    let about = format!(
        "Commitment {}, paid in {}, distributed {}, NAV {} ({}). Calibrated from the fund's history: bow {:.2}, yield {:.1} %, NAV growth {:.1} % a year, life {} years from {}.",
        money(p.commitment_minor, c),
        money(p.paid_in_minor, c),
        money(p.distributed_minor, c),
        money(p.nav_minor, c),
        c.code(),
        fin(p.params.bow),
        fin(p.params.yield_rate) * 100.0,
        fin(p.params.growth) * 100.0,
        p.life_years,
        p.vintage
    );
    YaleView {
        about,
        notes: p.notes.clone(),
        chart: yale_chart(p),
        rows: p
            .years
            .iter()
            .map(|y| YaleRow {
                year: format!("{} (year {})", y.calendar_year, y.year),
                kind: if y.actual { "Actual" } else { "Projected" },
                calls: money(y.contributions_minor, c),
                distributions: money(y.distributions_minor, c),
                nav: money(y.nav_minor, c),
                unfunded: money(y.unfunded_minor, c),
            })
            .collect(),
    }
}
