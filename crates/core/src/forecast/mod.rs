//! Forecasting distributions: statistical models fitted per series, selection by
//! rolling-origin backtest, prediction intervals whose coverage is measured, trend and
//! seasonality tests, the Takahashi–Alexander (Yale) model of private partnerships, and the
//! liquidity plan. Pure: the application layer gathers the series.
//!
//! Models work in `f64`: a forecast is a statistical estimate, never an amount that moves.
//! Amounts are turned into minor units at the boundary (half-even) and the liquidity plan,
//! which says what cash a fund needs, is exact ([`liquidity`] works in `Decimal`/minor units).
//! Nothing here returns NaN or an infinity: [`check_inputs`] refuses non-finite input and
//! every model's output is checked before it leaves [`point`].
//!
//! - [`naive`]: naive and seasonal naive.
//! - [`ets`]: exponential smoothing (additive errors; none/additive/damped trend;
//!   none/additive/multiplicative seasonality) selected by AICc; [`optim`] is its optimizer.
//! - [`theta`]: standard and optimised Theta, deseasonalised when seasonality is significant.
//! - [`decompose`]: the seasonality test (ACF at the season lag) and classical decomposition.
//! - [`intermittent`]: Croston, SBA and TSB for irregular payers.
//! - [`metrics`]: MAPE, sMAPE and MASE, with the reason when one is undefined.
//! - [`select`]: rolling-origin backtest, selection by MASE, the ensemble, intervals.
//! - [`trend`]: Mann–Kendall test with Sen's slope.
//! - [`seasonality`]: strength of seasonality and the months or quarters a fund pays in.
//! - [`yale`]: Takahashi–Alexander contributions, distributions and NAV to the end of life.
//! - [`liquidity`]: cash needed per payable date against cash on hand.

pub mod decompose;
pub mod ets;
pub mod intermittent;
pub mod liquidity;
pub mod metrics;
pub mod naive;
pub mod optim;
pub mod seasonality;
pub mod select;
pub mod theta;
pub mod trend;
pub mod yale;

use serde::{Deserialize, Serialize};

/// Longest horizon a forecast may ask for (ten years of months).
pub const MAX_HORIZON: usize = 120;
/// Longest season (weekly data over a year).
pub const MAX_SEASON: usize = 52;

/// The models a forecast can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    Naive,
    SeasonalNaive,
    Ets,
    Theta,
    OptimizedTheta,
    Croston,
    Sba,
    Tsb,
    /// The median of the point forecasts of ETS, Theta and optimised Theta.
    Ensemble,
}

impl Model {
    /// Every model, in the order candidates are listed.
    pub const ALL: [Model; 9] = [
        Model::Naive,
        Model::SeasonalNaive,
        Model::Ets,
        Model::Theta,
        Model::OptimizedTheta,
        Model::Croston,
        Model::Sba,
        Model::Tsb,
        Model::Ensemble,
    ];

    /// The name used in the API, the CLI and stored forecasts.
    pub fn name(self) -> &'static str {
        match self {
            Model::Naive => "naive",
            Model::SeasonalNaive => "seasonal_naive",
            Model::Ets => "ets",
            Model::Theta => "theta",
            Model::OptimizedTheta => "optimized_theta",
            Model::Croston => "croston",
            Model::Sba => "sba",
            Model::Tsb => "tsb",
            Model::Ensemble => "ensemble",
        }
    }

    /// The model of a name (exact, lower case).
    pub fn parse(name: &str) -> Option<Model> {
        Model::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Why a series cannot be forecast as asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForecastError {
    #[error("the series has {have} points; {} needs at least {need}", model.name())]
    TooShort {
        model: Model,
        need: usize,
        have: usize,
    },
    #[error("the horizon must be between 1 and {MAX_HORIZON}, not {0}")]
    Horizon(usize),
    #[error("the season length must be between 1 and {MAX_SEASON}, not {0}")]
    Season(usize),
    #[error("value {index} is not a finite number")]
    NotFinite { index: usize },
    #[error("the series is empty")]
    Empty,
}

/// A fitted model's point forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// One value per step ahead, all finite.
    pub mean: Vec<f64>,
    /// What was fitted, e.g. `ETS(A,Ad,M)` or `Theta (deseasonalised, m=12)`.
    pub label: String,
}

/// Refuses what no model can take: an empty series, a non-finite value, a horizon outside
/// 1..=[`MAX_HORIZON`], a season outside 1..=[`MAX_SEASON`].
pub fn check_inputs(y: &[f64], season: usize, h: usize) -> Result<(), ForecastError> {
    if y.is_empty() {
        return Err(ForecastError::Empty);
    }
    if let Some(index) = y.iter().position(|v| !v.is_finite()) {
        return Err(ForecastError::NotFinite { index });
    }
    if h == 0 || h > MAX_HORIZON {
        return Err(ForecastError::Horizon(h));
    }
    if season == 0 || season > MAX_SEASON {
        return Err(ForecastError::Season(season));
    }
    Ok(())
}

/// One model's point forecast of `h` steps after `y`, with season length `season` (1 for
/// none). Inputs are checked; a non-finite output is replaced by the naive forecast and said
/// so in the label, never returned.
pub fn point(model: Model, y: &[f64], season: usize, h: usize) -> Result<Point, ForecastError> {
    check_inputs(y, season, h)?;
    let p = match model {
        Model::Naive => naive::naive(y, h),
        Model::SeasonalNaive => naive::seasonal_naive(y, season, h),
        Model::Ets => ets::forecast(y, season, h),
        Model::Theta => theta::forecast(y, season, h, false),
        Model::OptimizedTheta => theta::forecast(y, season, h, true),
        Model::Croston => intermittent::croston(y, h),
        Model::Sba => intermittent::sba(y, h),
        Model::Tsb => intermittent::tsb(y, h),
        Model::Ensemble => select::ensemble(y, season, h),
    }?;
    if p.mean.len() == h && p.mean.iter().all(|v| v.is_finite()) {
        return Ok(p);
    }
    let mut fallback = naive::naive(y, h)?;
    fallback.label = format!("naive (fallback: {} gave a non-finite value)", p.label);
    Ok(fallback)
}
