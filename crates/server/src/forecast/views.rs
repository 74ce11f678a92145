//! Wire views of forecasting (schema names start with `Forecast`): decimals as strings
//! (per-unit values to six places, totals in the fund currency's scale, half-even), dates
//! as YYYY-MM-DD, statistics as numbers (never NaN).

use clearway_app::forecast::{
    AccuracyReport, Actual, Aggregate, BasedOn, CashFlowProjection, CashOnHand, ForecastPoint,
    FundForecast, LiquidityPlan, OrgLiquidityPlan, ScenarioForecast, StoredForecast, Trends,
};
use clearway_core::forecast::select::{Accuracy, Candidate};
use clearway_core::forecast::trend::Direction;
use clearway_core::Currency;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn fin(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

fn num(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// One forecast period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastPointView {
    /// Step ahead, 1-based.
    pub step: usize,
    /// Expected payable date.
    pub date: String,
    /// Per unit: median, and the 80 % and 95 % bounds.
    pub per_unit: String,
    pub per_unit_lower80: String,
    pub per_unit_upper80: String,
    pub per_unit_lower95: String,
    pub per_unit_upper95: String,
    /// Total at the units outstanding now (fund currency), and its bounds.
    pub total: String,
    pub total_lower80: String,
    pub total_upper80: String,
    pub total_lower95: String,
    pub total_upper95: String,
    /// The total in minor units.
    pub total_minor: i64,
}

impl ForecastPointView {
    pub fn new(p: &ForecastPoint, c: Currency) -> Self {
        ForecastPointView {
            step: p.step,
            date: p.date.to_string(),
            per_unit: p.per_unit.to_string(),
            per_unit_lower80: p.per_unit_lower80.to_string(),
            per_unit_upper80: p.per_unit_upper80.to_string(),
            per_unit_lower95: p.per_unit_lower95.to_string(),
            per_unit_upper95: p.per_unit_upper95.to_string(),
            total: c.format_minor(p.total_minor),
            total_lower80: c.format_minor(p.total_lower80_minor),
            total_upper80: c.format_minor(p.total_upper80_minor),
            total_lower95: c.format_minor(p.total_lower95_minor),
            total_upper95: c.format_minor(p.total_upper95_minor),
            total_minor: p.total_minor,
        }
    }
}

/// How the model did in the rolling-origin backtest on the fund's own history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastAccuracyView {
    /// Origins evaluated and points forecast.
    pub origins: usize,
    pub points: usize,
    /// Percent; absent when undefined (see notes).
    pub mape: Option<f64>,
    pub smape: Option<f64>,
    pub mase: Option<f64>,
    /// Share of backtest actuals inside the 80 % and 95 % intervals (0–1).
    pub coverage80: Option<f64>,
    pub coverage95: Option<f64>,
    pub notes: Vec<String>,
}

impl From<&Accuracy> for ForecastAccuracyView {
    fn from(a: &Accuracy) -> Self {
        ForecastAccuracyView {
            origins: a.origins,
            points: a.points,
            mape: fin(a.mape),
            smape: fin(a.smape),
            mase: fin(a.mase),
            coverage80: fin(a.coverage80),
            coverage95: fin(a.coverage95),
            notes: a.notes.clone(),
        }
    }
}

/// A model's backtest score.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastCandidateView {
    pub model: String,
    pub mase: Option<f64>,
    pub smape: Option<f64>,
}

impl From<&Candidate> for ForecastCandidateView {
    fn from(c: &Candidate) -> Self {
        ForecastCandidateView {
            model: c.model.name().into(),
            mase: fin(c.mase),
            smape: fin(c.smape),
        }
    }
}

/// What the forecast was made from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastBasedOnView {
    /// First and last actual payable dates (absent without history).
    pub first_payable: Option<String>,
    pub last_payable: Option<String>,
    /// Values given to the model (periods, zeros where nothing was paid).
    pub points_used: usize,
    /// Actual distributions behind them.
    pub distributions: usize,
    /// Units outstanding now; totals are per unit × these.
    pub units_outstanding: String,
    /// SHA-256 of the input series.
    pub fingerprint: String,
}

impl From<&BasedOn> for ForecastBasedOnView {
    fn from(b: &BasedOn) -> Self {
        ForecastBasedOnView {
            first_payable: b.first_payable.map(|d| d.to_string()),
            last_payable: b.last_payable.map(|d| d.to_string()),
            points_used: b.points_used,
            distributions: b.distributions,
            units_outstanding: b.units_outstanding.normalize().to_string(),
            fingerprint: b.fingerprint.clone(),
        }
    }
}

/// One actual distribution of the series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastActualView {
    pub date: String,
    pub per_unit: String,
    pub total: String,
    pub total_minor: i64,
    /// Units outstanding at the record date.
    pub units: String,
    pub distribution_id: String,
}

impl ForecastActualView {
    pub fn new(a: &Actual, c: Currency) -> Self {
        ForecastActualView {
            date: a.date.to_string(),
            per_unit: a.per_unit.normalize().to_string(),
            total: c.format_minor(a.total_minor),
            total_minor: a.total_minor,
            units: a.units.normalize().to_string(),
            distribution_id: a.distribution_id.clone(),
        }
    }
}

/// A fund's distribution forecast. `points` is empty (with a note saying why) when the fund
/// has fewer than two completed distributions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FundForecastView {
    pub fund_id: String,
    pub fund_code: String,
    pub fund_name: String,
    pub currency: String,
    /// MONTHLY, QUARTERLY, SEMI_ANNUAL, ANNUAL or IRREGULAR (monthly buckets).
    pub frequency: String,
    /// Season length given to the models.
    pub season: usize,
    pub horizon: usize,
    /// The model asked for (`auto`: chosen by backtest).
    pub requested_model: String,
    /// The model used (absent when nothing was forecast).
    pub model: Option<String>,
    /// What was fitted.
    pub label: String,
    pub points: Vec<ForecastPointView>,
    pub accuracy: ForecastAccuracyView,
    pub candidates: Vec<ForecastCandidateView>,
    pub notes: Vec<String>,
    pub based_on: ForecastBasedOnView,
    /// The actual distributions, oldest first.
    pub history: Vec<ForecastActualView>,
}

impl From<&FundForecast> for FundForecastView {
    fn from(f: &FundForecast) -> Self {
        FundForecastView {
            fund_id: f.fund_id.clone(),
            fund_code: f.fund_code.clone(),
            fund_name: f.fund_name.clone(),
            currency: f.currency.code().into(),
            frequency: f.frequency.name().into(),
            season: f.season,
            horizon: f.horizon,
            requested_model: f.requested_model.map_or("auto", |m| m.name()).into(),
            model: f.model.map(|m| m.name().into()),
            label: f.label.clone(),
            points: f
                .points
                .iter()
                .map(|p| ForecastPointView::new(p, f.currency))
                .collect(),
            accuracy: (&f.accuracy).into(),
            candidates: f.candidates.iter().map(Into::into).collect(),
            notes: f.notes.clone(),
            based_on: (&f.based_on).into(),
            history: f
                .history
                .iter()
                .map(|a| ForecastActualView::new(a, f.currency))
                .collect(),
        }
    }
}

/// One date's scenarios: base = median, bull = upper 80 %, bear = lower 80 % (and the 95 %
/// bounds), from the model's prediction intervals — never fixed multipliers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastScenarioView {
    pub step: usize,
    pub date: String,
    pub base_per_unit: String,
    pub bull_per_unit: String,
    pub bear_per_unit: String,
    pub bull95_per_unit: String,
    pub bear95_per_unit: String,
    pub base: String,
    pub bull: String,
    pub bear: String,
    pub bull95: String,
    pub bear95: String,
}

/// A forecast with its scenarios.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastWithScenariosView {
    pub forecast: FundForecastView,
    pub scenarios: Vec<ForecastScenarioView>,
}

impl From<&ScenarioForecast> for ForecastWithScenariosView {
    fn from(s: &ScenarioForecast) -> Self {
        let c = s.forecast.currency;
        ForecastWithScenariosView {
            forecast: (&s.forecast).into(),
            scenarios: s
                .scenarios
                .iter()
                .map(|x| ForecastScenarioView {
                    step: x.step,
                    date: x.date.to_string(),
                    base_per_unit: x.base_per_unit.to_string(),
                    bull_per_unit: x.bull_per_unit.to_string(),
                    bear_per_unit: x.bear_per_unit.to_string(),
                    bull95_per_unit: x.bull95_per_unit.to_string(),
                    bear95_per_unit: x.bear95_per_unit.to_string(),
                    base: c.format_minor(x.base_minor),
                    bull: c.format_minor(x.bull_minor),
                    bear: c.format_minor(x.bear_minor),
                    bull95: c.format_minor(x.bull95_minor),
                    bear95: c.format_minor(x.bear95_minor),
                })
                .collect(),
        }
    }
}

/// Mann–Kendall trend test with Sen's slope, on the per-unit series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastTrendView {
    /// `increasing`, `decreasing` or `stable`.
    pub direction: String,
    pub p_value: f64,
    /// p-value below 5 %.
    pub significant: bool,
    pub s: i64,
    pub z: f64,
    /// Sen's slope per unit, per period of the series and per year.
    pub sen_slope_per_period: f64,
    pub sen_slope_per_year: f64,
    pub n: usize,
}

/// One month of the seasonal profile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastSeasonPositionView {
    pub name: String,
    /// Mean value in the month as a share of the yearly mean.
    pub share: f64,
    /// Paid in this month in most years.
    pub paying: bool,
}

/// Seasonality of the fund's payments (read on monthly buckets).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastSeasonalityView {
    pub period: usize,
    /// 0–1.
    pub strength: f64,
    pub significant: bool,
    pub profile: Vec<ForecastSeasonPositionView>,
    /// Months it pays in (with the quarter when it pays once a quarter).
    pub paying: Vec<String>,
}

/// Trend and seasonality of a fund's distributions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastTrendsView {
    pub fund_id: String,
    pub fund_code: String,
    pub currency: String,
    pub frequency: String,
    pub points_used: usize,
    /// Absent with fewer than three values.
    pub trend: Option<ForecastTrendView>,
    /// Absent without history.
    pub seasonality: Option<ForecastSeasonalityView>,
    pub notes: Vec<String>,
}

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Increasing => "increasing",
        Direction::Decreasing => "decreasing",
        Direction::Stable => "stable",
    }
}

impl From<&Trends> for ForecastTrendsView {
    fn from(t: &Trends) -> Self {
        ForecastTrendsView {
            fund_id: t.fund_id.clone(),
            fund_code: t.fund_code.clone(),
            currency: t.currency.code().into(),
            frequency: t.frequency.name().into(),
            points_used: t.points_used,
            trend: t.trend.as_ref().map(|x| ForecastTrendView {
                direction: direction(x.direction).into(),
                p_value: num(x.p_value),
                significant: x.significant,
                s: x.s,
                z: num(x.z),
                sen_slope_per_period: num(x.sen_slope_per_period),
                sen_slope_per_year: num(x.sen_slope_per_year),
                n: x.n,
            }),
            seasonality: t.seasonality.as_ref().map(|s| ForecastSeasonalityView {
                period: s.period,
                strength: num(s.strength),
                significant: s.significant,
                profile: s
                    .profile
                    .iter()
                    .map(|p| ForecastSeasonPositionView {
                        name: p.name.clone(),
                        share: num(p.share),
                        paying: p.paying,
                    })
                    .collect(),
                paying: s.paying.clone(),
            }),
            notes: t.notes.clone(),
        }
    }
}

/// One fund's forecast total in a month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastAggregateFundView {
    pub fund_id: String,
    pub fund_code: String,
    pub date: String,
    pub total: String,
    pub total_minor: i64,
    pub lower80_minor: i64,
    pub upper80_minor: i64,
    pub lower95_minor: i64,
    pub upper95_minor: i64,
}

/// A currency's month: the sum of the funds' forecast totals. The bounds are the sums of the
/// funds' bounds, a conservative approximation (as if the funds moved together), not a
/// joint prediction interval.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastAggregateMonthView {
    pub currency: String,
    /// `YYYY-MM`.
    pub month: String,
    pub total: String,
    pub total_minor: i64,
    pub lower80_minor: i64,
    pub upper80_minor: i64,
    pub lower95_minor: i64,
    pub upper95_minor: i64,
    pub funds: Vec<ForecastAggregateFundView>,
}

/// A fund left out, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastSkippedFundView {
    pub fund_id: String,
    pub fund_code: String,
    pub reason: String,
}

/// Forecast totals of the organization per currency and month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastAggregateView {
    pub horizon: usize,
    pub months: Vec<ForecastAggregateMonthView>,
    pub skipped: Vec<ForecastSkippedFundView>,
}

impl From<&Aggregate> for ForecastAggregateView {
    fn from(a: &Aggregate) -> Self {
        ForecastAggregateView {
            horizon: a.horizon,
            months: a
                .months
                .iter()
                .map(|m| ForecastAggregateMonthView {
                    currency: m.currency.code().into(),
                    month: m.month.format("%Y-%m").to_string(),
                    total: m.currency.format_minor(m.total_minor),
                    total_minor: m.total_minor,
                    lower80_minor: m.lower80_minor,
                    upper80_minor: m.upper80_minor,
                    lower95_minor: m.lower95_minor,
                    upper95_minor: m.upper95_minor,
                    funds: m
                        .funds
                        .iter()
                        .map(|f| ForecastAggregateFundView {
                            fund_id: f.fund_id.clone(),
                            fund_code: f.fund_code.clone(),
                            date: f.date.to_string(),
                            total: m.currency.format_minor(f.total_minor),
                            total_minor: f.total_minor,
                            lower80_minor: f.lower80_minor,
                            upper80_minor: f.upper80_minor,
                            lower95_minor: f.lower95_minor,
                            upper95_minor: f.upper95_minor,
                        })
                        .collect(),
                })
                .collect(),
            skipped: a
                .skipped
                .iter()
                .map(|s| ForecastSkippedFundView {
                    fund_id: s.fund_id.clone(),
                    fund_code: s.fund_code.clone(),
                    reason: s.reason.clone(),
                })
                .collect(),
        }
    }
}

/// Sets a fund's cash on hand.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForecastCashOnHandRequest {
    /// Decimal in the fund currency, not negative.
    #[schema(pattern = "^[0-9]{1,13}(\\.[0-9]{1,4})?$")]
    pub amount: String,
    /// YYYY-MM-DD.
    #[schema(format = Date)]
    pub as_of: String,
}

/// A fund's cash on hand.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastCashOnHandView {
    pub fund_id: String,
    pub currency: String,
    pub amount: String,
    pub amount_minor: i64,
    pub as_of: String,
    pub updated_by: String,
    pub updated_at: String,
}

impl From<&CashOnHand> for ForecastCashOnHandView {
    fn from(c: &CashOnHand) -> Self {
        ForecastCashOnHandView {
            fund_id: c.fund_id.clone(),
            currency: c.currency.code().into(),
            amount: c.currency.format_minor(c.amount_minor),
            amount_minor: c.amount_minor,
            as_of: c.as_of.to_string(),
            updated_by: c.updated_by.clone(),
            updated_at: c.updated_at.clone(),
        }
    }
}

/// One future payable date of the plan, minor units.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastLiquidityRowView {
    pub date: String,
    /// Forecast per unit × units outstanding.
    pub gross_minor: i64,
    /// What current elections reinvest.
    pub reinvested_minor: i64,
    /// Cash that leaves the fund (base), and at the upper 95 % bound.
    pub cash_minor: i64,
    pub cash_high_minor: i64,
    pub cumulative_cash_minor: i64,
    /// Cash on hand left after this date.
    pub remaining_minor: i64,
    /// Missing on this date (0 when covered), base and high.
    pub shortfall_minor: i64,
    pub shortfall_high_minor: i64,
}

/// A fund's liquidity plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastLiquidityPlanView {
    pub fund_id: String,
    pub fund_code: String,
    pub fund_name: String,
    pub currency: String,
    /// Absent when never entered (the plan runs against zero).
    pub cash_on_hand: Option<ForecastCashOnHandView>,
    pub units_outstanding: String,
    /// Share of units whose election reinvests (0–1), weighted by units.
    pub reinvest_share: String,
    pub model: Option<String>,
    pub rows: Vec<ForecastLiquidityRowView>,
    pub first_shortfall: Option<String>,
    pub first_shortfall_high: Option<String>,
    pub notes: Vec<String>,
}

impl From<&LiquidityPlan> for ForecastLiquidityPlanView {
    fn from(p: &LiquidityPlan) -> Self {
        ForecastLiquidityPlanView {
            fund_id: p.fund_id.clone(),
            fund_code: p.fund_code.clone(),
            fund_name: p.fund_name.clone(),
            currency: p.currency.code().into(),
            cash_on_hand: p.cash_on_hand.as_ref().map(Into::into),
            units_outstanding: p.units_outstanding.normalize().to_string(),
            reinvest_share: p.reinvest_share.normalize().to_string(),
            model: p.model.map(|m| m.name().into()),
            rows: p
                .rows
                .iter()
                .map(|r| ForecastLiquidityRowView {
                    date: r.date.to_string(),
                    gross_minor: r.gross_minor,
                    reinvested_minor: r.reinvested_minor,
                    cash_minor: r.cash_minor,
                    cash_high_minor: r.cash_high_minor,
                    cumulative_cash_minor: r.cumulative_cash_minor,
                    remaining_minor: r.remaining_minor,
                    shortfall_minor: r.shortfall_minor,
                    shortfall_high_minor: r.shortfall_high_minor,
                })
                .collect(),
            first_shortfall: p.first_shortfall.map(|d| d.to_string()),
            first_shortfall_high: p.first_shortfall_high.map(|d| d.to_string()),
            notes: p.notes.clone(),
        }
    }
}

/// Totals of a currency over the organization's plans, minor units.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastLiquidityTotalView {
    pub currency: String,
    pub cash_on_hand_minor: i64,
    pub cash_needed_minor: i64,
    pub cash_needed_high_minor: i64,
    pub shortfall_minor: i64,
    pub shortfall_high_minor: i64,
    pub funds_short: usize,
}

/// The organization's liquidity plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastOrgLiquidityView {
    pub horizon: usize,
    pub funds: Vec<ForecastLiquidityPlanView>,
    pub totals: Vec<ForecastLiquidityTotalView>,
}

impl From<&OrgLiquidityPlan> for ForecastOrgLiquidityView {
    fn from(p: &OrgLiquidityPlan) -> Self {
        ForecastOrgLiquidityView {
            horizon: p.horizon,
            funds: p.funds.iter().map(Into::into).collect(),
            totals: p
                .totals
                .iter()
                .map(|t| ForecastLiquidityTotalView {
                    currency: t.currency.code().into(),
                    cash_on_hand_minor: t.cash_on_hand_minor,
                    cash_needed_minor: t.cash_needed_minor,
                    cash_needed_high_minor: t.cash_needed_high_minor,
                    shortfall_minor: t.shortfall_minor,
                    shortfall_high_minor: t.shortfall_high_minor,
                    funds_short: t.funds_short,
                })
                .collect(),
        }
    }
}

/// The Yale model's parameters.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastYaleParamsView {
    /// Rate of contribution of the unfunded commitment per year of life (the last repeats).
    pub contribution_rates: Vec<f64>,
    pub bow: f64,
    pub yield_rate: f64,
    /// NAV growth per year.
    pub growth: f64,
    pub life_years: u32,
}

/// One year of life, minor units.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastCashFlowYearView {
    pub year: u32,
    pub calendar_year: i32,
    /// Actual (lived) or projected.
    pub actual: bool,
    pub contributions_minor: i64,
    pub distributions_minor: i64,
    pub nav_minor: i64,
    pub unfunded_minor: i64,
}

/// The Takahashi–Alexander (Yale) projection of a partnership to the end of its life.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastCashFlowProjectionView {
    pub fund_id: String,
    pub fund_code: String,
    pub fund_name: String,
    pub currency: String,
    pub life_years: u32,
    pub vintage: i32,
    pub age_years: u32,
    pub commitment_minor: i64,
    pub paid_in_minor: i64,
    pub distributed_minor: i64,
    pub nav_minor: i64,
    pub params: ForecastYaleParamsView,
    pub years: Vec<ForecastCashFlowYearView>,
    pub notes: Vec<String>,
}

impl From<&CashFlowProjection> for ForecastCashFlowProjectionView {
    fn from(p: &CashFlowProjection) -> Self {
        ForecastCashFlowProjectionView {
            fund_id: p.fund_id.clone(),
            fund_code: p.fund_code.clone(),
            fund_name: p.fund_name.clone(),
            currency: p.currency.code().into(),
            life_years: p.life_years,
            vintage: p.vintage,
            age_years: p.age_years,
            commitment_minor: p.commitment_minor,
            paid_in_minor: p.paid_in_minor,
            distributed_minor: p.distributed_minor,
            nav_minor: p.nav_minor,
            params: ForecastYaleParamsView {
                contribution_rates: p
                    .params
                    .contribution_rates
                    .iter()
                    .map(|v| num(*v))
                    .collect(),
                bow: num(p.params.bow),
                yield_rate: num(p.params.yield_rate),
                growth: num(p.params.growth),
                life_years: p.params.life_years,
            },
            years: p
                .years
                .iter()
                .map(|y| ForecastCashFlowYearView {
                    year: y.year,
                    calendar_year: y.calendar_year,
                    actual: y.actual,
                    contributions_minor: y.contributions_minor,
                    distributions_minor: y.distributions_minor,
                    nav_minor: y.nav_minor,
                    unfunded_minor: y.unfunded_minor,
                })
                .collect(),
            notes: p.notes.clone(),
        }
    }
}

/// Stores the current forecast.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForecastStoreRequest {
    /// 1–120 (default 12).
    #[schema(minimum = 1, maximum = 120)]
    pub horizon: Option<i64>,
    /// A model name, or `auto` (default).
    pub model: Option<String>,
}

/// A stored forecast.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoredForecastView {
    pub id: String,
    pub fund_id: String,
    /// `REQUEST` or `SNAPSHOT` (after a distribution completed).
    pub trigger: String,
    pub created_by: String,
    pub created_at: String,
    pub currency: String,
    pub frequency: String,
    pub horizon: usize,
    pub requested_model: String,
    pub model: Option<String>,
    pub label: String,
    /// The input series and its SHA-256.
    pub input: Vec<ForecastActualView>,
    pub fingerprint: String,
    pub points: Vec<ForecastPointView>,
    pub accuracy: ForecastAccuracyView,
    pub notes: Vec<String>,
}

impl From<&StoredForecast> for StoredForecastView {
    fn from(s: &StoredForecast) -> Self {
        StoredForecastView {
            id: s.id.clone(),
            fund_id: s.fund_id.clone(),
            trigger: s.trigger.clone(),
            created_by: s.created_by.clone(),
            created_at: s.created_at.clone(),
            currency: s.currency.code().into(),
            frequency: s.frequency.name().into(),
            horizon: s.horizon,
            requested_model: s.requested_model.map_or("auto", |m| m.name()).into(),
            model: s.model.map(|m| m.name().into()),
            label: s.label.clone(),
            input: s
                .input
                .iter()
                .map(|a| ForecastActualView::new(a, s.currency))
                .collect(),
            fingerprint: s.fingerprint.clone(),
            points: s
                .points
                .iter()
                .map(|p| ForecastPointView::new(p, s.currency))
                .collect(),
            accuracy: (&s.accuracy).into(),
            notes: s.notes.clone(),
        }
    }
}

/// Accuracy of a fund and model in a month of actuals.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastAccuracyPeriodView {
    /// `YYYY-MM`.
    pub month: String,
    pub count: usize,
    pub mape: Option<f64>,
    pub smape: Option<f64>,
    /// Mean of actual − predicted, per unit.
    pub mean_error: f64,
}

/// Accuracy of a fund and model over time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastAccuracyRowView {
    pub fund_id: String,
    pub fund_code: String,
    pub model: String,
    /// Points judged against actuals.
    pub count: usize,
    /// Percent; absent when every actual was zero.
    pub mape: Option<f64>,
    pub smape: Option<f64>,
    pub mean_error: f64,
    pub periods: Vec<ForecastAccuracyPeriodView>,
}

/// Accuracy over time of stored forecasts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastAccuracyReportView {
    pub rows: Vec<ForecastAccuracyRowView>,
}

impl From<&AccuracyReport> for ForecastAccuracyReportView {
    fn from(r: &AccuracyReport) -> Self {
        ForecastAccuracyReportView {
            rows: r
                .rows
                .iter()
                .map(|x| ForecastAccuracyRowView {
                    fund_id: x.fund_id.clone(),
                    fund_code: x.fund_code.clone(),
                    model: x.model.clone(),
                    count: x.count,
                    mape: fin(x.mape),
                    smape: fin(x.smape),
                    mean_error: num(x.mean_error),
                    periods: x
                        .periods
                        .iter()
                        .map(|p| ForecastAccuracyPeriodView {
                            month: p.month.format("%Y-%m").to_string(),
                            count: p.count,
                            mape: fin(p.mape),
                            smape: fin(p.smape),
                            mean_error: num(p.mean_error),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
