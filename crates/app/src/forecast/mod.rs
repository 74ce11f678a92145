//! Forecasting distributions (issue 20): a fund's series of completed distributions per unit,
//! the core's models on it (selection by backtest, intervals, trend and seasonality), dated
//! from the last actual payable date; scenarios from the intervals; the liquidity plan against
//! cash on hand; the organization's aggregate; stored forecasts whose errors are recorded when
//! the actual distribution completes; and the Yale projection of a partnership.
//!
//! Amounts that a page shows are exact: per-unit values are `Decimal` (rounded half-even to
//! [`PER_UNIT_DP`] places), totals are minor units of the fund currency (half-even). Statistics
//! (MAPE, p-values, strengths) stay `f64` and are never NaN or infinite.
//!
//! - [`series`]: the fund's series (per unit and total per payable date), its frequency, and
//!   the next payable dates.
//! - [`fund`]: a fund's forecast, its scenarios, its trends.
//! - [`liquidity`]: cash on hand and the liquidity plan, per fund and for the organization.
//! - [`aggregate`]: forecast totals per currency and month across the organization's funds.
//! - [`stored`]: stored forecasts, the errors recorded at completion, the accuracy report.
//! - [`yale`]: the cash-flow projection of a partnership (Takahashi–Alexander).

pub mod aggregate;
pub mod fund;
pub mod liquidity;
pub mod series;
pub mod stored;
pub mod yale;

use chrono::NaiveDate;
use clearway_core::forecast::select::{Accuracy, Candidate};
use clearway_core::forecast::trend::Direction;
use clearway_core::forecast::{Model, MAX_HORIZON};
use clearway_core::{Currency, FieldError, Invalid};
use rust_decimal::Decimal;

/// Decimal places of per-unit amounts in forecasts.
pub const PER_UNIT_DP: u32 = 6;
/// Horizon when none is asked for.
pub const DEFAULT_HORIZON: usize = 12;
/// Fewest actual distributions a forecast is made from (fewer: an empty forecast with a note).
pub const MIN_POINTS: usize = 2;
/// Fund life of the Yale projection when none is asked for, and the longest one accepted.
pub const DEFAULT_LIFE_YEARS: u32 = 12;
pub const MAX_LIFE_YEARS: u32 = 30;

/// How often a fund pays, as detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    Monthly,
    Quarterly,
    SemiAnnual,
    Annual,
    /// No regular rhythm: the series is monthly buckets with zeros (intermittent).
    Irregular,
}

impl Frequency {
    /// API name.
    pub fn name(self) -> &'static str {
        match self {
            Frequency::Monthly => "MONTHLY",
            Frequency::Quarterly => "QUARTERLY",
            Frequency::SemiAnnual => "SEMI_ANNUAL",
            Frequency::Annual => "ANNUAL",
            Frequency::Irregular => "IRREGULAR",
        }
    }

    /// Months between two payable dates (irregular: monthly buckets).
    pub fn months(self) -> u32 {
        match self {
            Frequency::Monthly | Frequency::Irregular => 1,
            Frequency::Quarterly => 3,
            Frequency::SemiAnnual => 6,
            Frequency::Annual => 12,
        }
    }

    /// Season length given to the models: periods per year.
    pub fn season(self) -> usize {
        (12 / self.months()) as usize
    }
}

/// A checked forecast request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// Steps ahead, 1..=[`MAX_HORIZON`].
    pub horizon: usize,
    /// One model, or `None`: chosen by backtest.
    pub model: Option<Model>,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            horizon: DEFAULT_HORIZON,
            model: None,
        }
    }
}

/// Parses `horizon` (1..=120, default 12) and `model` (a model name, or `auto`/absent),
/// naming each offending field.
pub fn parse_request(horizon: Option<&str>, model: Option<&str>) -> Result<Request, Invalid> {
    let mut errs = Vec::new();
    let h = match horizon.map(str::trim) {
        None | Some("") => Some(DEFAULT_HORIZON),
        Some(t) => match t.parse::<usize>() {
            Ok(h) if (1..=MAX_HORIZON).contains(&h) => Some(h),
            _ => {
                errs.push(FieldError::new(
                    "horizon",
                    format!("must be a whole number between 1 and {MAX_HORIZON}"),
                ));
                None
            }
        },
    };
    let m = match model.map(str::trim) {
        None | Some("") | Some("auto") => Some(None),
        Some(name) => match Model::parse(name) {
            Some(m) => Some(Some(m)),
            None => {
                let names: Vec<&str> = Model::ALL.iter().map(|m| m.name()).collect();
                errs.push(FieldError::new(
                    "model",
                    format!("must be auto or one of {}", names.join(", ")),
                ));
                None
            }
        },
    };
    match (h, m) {
        (Some(horizon), Some(model)) if errs.is_empty() => Ok(Request { horizon, model }),
        _ => Err(Invalid(errs)),
    }
}

/// One actual distribution of the series.
#[derive(Debug, Clone, PartialEq)]
pub struct Actual {
    /// Payable date (of the corrected distribution, for a correction).
    pub date: NaiveDate,
    /// Amount per unit (the declared rate, or total ÷ units outstanding at the record date).
    pub per_unit: Decimal,
    /// Total paid, minor units (net of partial reversals).
    pub total_minor: i64,
    /// Units outstanding at the record date.
    pub units: Decimal,
    /// The distribution (the correction, when corrected).
    pub distribution_id: String,
}

/// One forecast period, dated.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastPoint {
    /// Step ahead, 1-based.
    pub step: usize,
    /// Expected payable date.
    pub date: NaiveDate,
    /// Per unit: median and the 80 % and 95 % bounds (`lower95 ≤ lower80 ≤ mean ≤ upper80 ≤ upper95`).
    pub per_unit: Decimal,
    pub per_unit_lower80: Decimal,
    pub per_unit_upper80: Decimal,
    pub per_unit_lower95: Decimal,
    pub per_unit_upper95: Decimal,
    /// Totals at the units outstanding now, minor units, same bounds.
    pub total_minor: i64,
    pub total_lower80_minor: i64,
    pub total_upper80_minor: i64,
    pub total_lower95_minor: i64,
    pub total_upper95_minor: i64,
}

/// What a forecast was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct BasedOn {
    /// First and last actual payable dates used (None: no history).
    pub first_payable: Option<NaiveDate>,
    pub last_payable: Option<NaiveDate>,
    /// Values of the series given to the model (monthly buckets count for irregular payers).
    pub points_used: usize,
    /// Actual distributions behind them.
    pub distributions: usize,
    /// Units outstanding now (totals are per unit × these).
    pub units_outstanding: Decimal,
    /// Fingerprint of the input series (SHA-256 of the dated per-unit values).
    pub fingerprint: String,
}

/// A fund's forecast. Empty `points` (with a note) when the fund has too little history.
#[derive(Debug, Clone, PartialEq)]
pub struct FundForecast {
    pub fund_id: String,
    pub fund_code: String,
    pub fund_name: String,
    pub currency: Currency,
    pub frequency: Frequency,
    /// Season length given to the models.
    pub season: usize,
    pub horizon: usize,
    /// The model asked for (None: chosen by backtest).
    pub requested_model: Option<Model>,
    /// The model used (None when nothing was forecast).
    pub model: Option<Model>,
    /// What was fitted, e.g. `ETS(A,Ad,N)`.
    pub label: String,
    pub points: Vec<ForecastPoint>,
    /// The chosen model's backtest on the fund's own history.
    pub accuracy: Accuracy,
    pub candidates: Vec<Candidate>,
    /// Fallbacks and reasons (too little history, constant series, MAPE undefined …).
    pub notes: Vec<String>,
    pub based_on: BasedOn,
    /// The actual distributions of the series, oldest first (for a chart).
    pub history: Vec<Actual>,
}

/// One date's scenarios: base = median, bull = upper 80 %, bear = lower 80 %, and the 95 %
/// bounds; never fixed multipliers.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub step: usize,
    pub date: NaiveDate,
    pub base_per_unit: Decimal,
    pub bull_per_unit: Decimal,
    pub bear_per_unit: Decimal,
    pub bull95_per_unit: Decimal,
    pub bear95_per_unit: Decimal,
    pub base_minor: i64,
    pub bull_minor: i64,
    pub bear_minor: i64,
    pub bull95_minor: i64,
    pub bear95_minor: i64,
}

/// A forecast with its scenarios.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioForecast {
    pub forecast: FundForecast,
    pub scenarios: Vec<Scenario>,
}

/// Mann–Kendall on the per-unit series.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendView {
    pub direction: Direction,
    pub p_value: f64,
    /// Whether the p-value is below the 5 % level.
    pub significant: bool,
    pub s: i64,
    pub z: f64,
    /// Sen's slope per unit, per period of the series and per year.
    pub sen_slope_per_period: f64,
    pub sen_slope_per_year: f64,
    pub n: usize,
}

/// One position of the year in the seasonal profile.
#[derive(Debug, Clone, PartialEq)]
pub struct SeasonPosition {
    /// `January` … `December`, or `Q1` … `Q4`, `H1`/`H2`.
    pub name: String,
    /// Mean value at the position as a share of the yearly mean.
    pub share: f64,
    /// Whether the fund paid at this position in most years.
    pub paying: bool,
}

/// Seasonality of the fund's payments.
#[derive(Debug, Clone, PartialEq)]
pub struct SeasonalityView {
    pub period: usize,
    pub strength: f64,
    pub significant: bool,
    pub profile: Vec<SeasonPosition>,
    /// Names of the months or quarters it pays in.
    pub paying: Vec<String>,
}

/// Trend and seasonality of a fund's series.
#[derive(Debug, Clone, PartialEq)]
pub struct Trends {
    pub fund_id: String,
    pub fund_code: String,
    pub currency: Currency,
    pub frequency: Frequency,
    pub points_used: usize,
    /// None: too few points (with a note).
    pub trend: Option<TrendView>,
    /// Analysed on monthly buckets (period 12) so that paying months show; None without history.
    pub seasonality: Option<SeasonalityView>,
    pub notes: Vec<String>,
}

/// A fund's cash on hand, as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashOnHand {
    pub fund_id: String,
    pub currency: Currency,
    pub amount_minor: i64,
    pub as_of: NaiveDate,
    pub updated_by: String,
    pub updated_at: String,
}

/// A fund's liquidity plan.
#[derive(Debug, Clone, PartialEq)]
pub struct LiquidityPlan {
    pub fund_id: String,
    pub fund_code: String,
    pub fund_name: String,
    pub currency: Currency,
    /// None: never entered (the plan runs against zero).
    pub cash_on_hand: Option<CashOnHand>,
    pub units_outstanding: Decimal,
    /// Share of units whose current election reinvests (0..=1), weighted by units.
    pub reinvest_share: Decimal,
    /// The model used (None: nothing forecast).
    pub model: Option<Model>,
    pub rows: Vec<clearway_core::forecast::liquidity::Row>,
    /// First date cash on hand does not cover (base, and at the high bound).
    pub first_shortfall: Option<NaiveDate>,
    pub first_shortfall_high: Option<NaiveDate>,
    pub notes: Vec<String>,
}

/// Totals of the organization's plans per currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiquidityTotal {
    pub currency: Currency,
    pub cash_on_hand_minor: i64,
    pub cash_needed_minor: i64,
    pub cash_needed_high_minor: i64,
    pub shortfall_minor: i64,
    pub shortfall_high_minor: i64,
    /// Funds with a shortfall.
    pub funds_short: usize,
}

/// The organization's liquidity plan: one per fund, totals per currency.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgLiquidityPlan {
    pub horizon: usize,
    pub funds: Vec<LiquidityPlan>,
    pub totals: Vec<LiquidityTotal>,
}

/// One fund's forecast total in a month of the aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateFundRow {
    pub fund_id: String,
    pub fund_code: String,
    pub date: NaiveDate,
    pub total_minor: i64,
    pub lower80_minor: i64,
    pub upper80_minor: i64,
    pub lower95_minor: i64,
    pub upper95_minor: i64,
}

/// A currency's month in the aggregate. Bounds are the sums of the funds' bounds: a
/// conservative approximation (it assumes the funds move together), not a joint interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateMonth {
    pub currency: Currency,
    /// First day of the month.
    pub month: NaiveDate,
    pub total_minor: i64,
    pub lower80_minor: i64,
    pub upper80_minor: i64,
    pub lower95_minor: i64,
    pub upper95_minor: i64,
    pub funds: Vec<AggregateFundRow>,
}

/// A fund left out of the aggregate, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFund {
    pub fund_id: String,
    pub fund_code: String,
    pub reason: String,
}

/// Forecast totals of the organization per currency and month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregate {
    pub horizon: usize,
    /// Ordered by currency, then month.
    pub months: Vec<AggregateMonth>,
    pub skipped: Vec<SkippedFund>,
}

/// A stored forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredForecast {
    pub id: String,
    pub fund_id: String,
    /// `REQUEST` (stored on demand) or `SNAPSHOT` (after a distribution completed).
    pub trigger: String,
    pub created_by: String,
    pub created_at: String,
    pub currency: Currency,
    pub frequency: Frequency,
    pub horizon: usize,
    pub requested_model: Option<Model>,
    pub model: Option<Model>,
    pub label: String,
    /// The input series and its fingerprint.
    pub input: Vec<Actual>,
    pub fingerprint: String,
    pub points: Vec<ForecastPoint>,
    pub accuracy: Accuracy,
    pub notes: Vec<String>,
}

/// The error of one stored forecast's point against the actual distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedError {
    pub forecast_id: String,
    pub fund_id: String,
    pub model: Option<Model>,
    pub distribution_id: String,
    /// The point's date and the actual payable date.
    pub period: NaiveDate,
    pub actual_date: NaiveDate,
    pub step: usize,
    pub predicted_per_unit: Decimal,
    pub actual_per_unit: Decimal,
    /// Actual − predicted, per unit.
    pub error: Decimal,
    /// |error| / actual, percent (None when the actual is zero).
    pub ape: Option<f64>,
    /// Symmetric APE, percent (0–200).
    pub sape: Option<f64>,
    pub recorded_at: String,
}

/// Accuracy of one fund and model in one month of actuals.
#[derive(Debug, Clone, PartialEq)]
pub struct AccuracyPeriod {
    /// First day of the month of the actual payable dates.
    pub month: NaiveDate,
    pub count: usize,
    pub mape: Option<f64>,
    pub smape: Option<f64>,
    pub mean_error: f64,
}

/// Accuracy of one fund and model over time.
#[derive(Debug, Clone, PartialEq)]
pub struct AccuracyRow {
    pub fund_id: String,
    pub fund_code: String,
    /// Model name (`none` when the forecast was empty).
    pub model: String,
    pub count: usize,
    pub mape: Option<f64>,
    pub smape: Option<f64>,
    /// Mean of actual − predicted, per unit.
    pub mean_error: f64,
    pub periods: Vec<AccuracyPeriod>,
}

/// The accuracy report.
#[derive(Debug, Clone, PartialEq)]
pub struct AccuracyReport {
    pub rows: Vec<AccuracyRow>,
}

/// One year of a Yale projection (or of the actual history), minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashFlowYear {
    /// Year of life, 1-based, and its calendar year.
    pub year: u32,
    pub calendar_year: i32,
    pub actual: bool,
    pub contributions_minor: i64,
    pub distributions_minor: i64,
    pub nav_minor: i64,
    pub unfunded_minor: i64,
}

/// The Takahashi–Alexander projection of a partnership.
#[derive(Debug, Clone, PartialEq)]
pub struct CashFlowProjection {
    pub fund_id: String,
    pub fund_code: String,
    pub fund_name: String,
    pub currency: Currency,
    pub life_years: u32,
    /// First year of life (calendar) and the fund's age in whole years.
    pub vintage: i32,
    pub age_years: u32,
    pub commitment_minor: i64,
    pub paid_in_minor: i64,
    pub distributed_minor: i64,
    pub nav_minor: i64,
    pub params: clearway_core::forecast::yale::Params,
    /// Actual years, then projected ones to the end of life.
    pub years: Vec<CashFlowYear>,
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_names_each_bad_field() {
        assert_eq!(parse_request(None, None).unwrap(), Request::default());
        assert_eq!(
            parse_request(Some("120"), Some("ets")).unwrap().horizon,
            120
        );
        for h in ["0", "121", "x", "-1"] {
            let e = parse_request(Some(h), None).unwrap_err();
            assert_eq!(e.0[0].field, "horizon", "{h}");
        }
        let e = parse_request(Some("0"), Some("arima")).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["horizon", "model"]);
    }
}
