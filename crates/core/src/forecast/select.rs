//! Choosing a model by rolling-origin backtest on the series' own history (lowest mean MASE),
//! the ensemble, and prediction intervals (80 % and 95 %) whose coverage is measured in the
//! same backtest.

use serde::Serialize;

use super::{naive, point, ForecastError, Model, Point};

/// What to forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub horizon: usize,
    /// Season length: 12 monthly, 4 quarterly, 1 none.
    pub season: usize,
    /// One model, or `None` to choose by backtest.
    pub model: Option<Model>,
}

/// Lower and upper bounds per step, 80 % and 95 %; `lower95 ≤ lower80 ≤ mean ≤ upper80 ≤ upper95`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Intervals {
    pub lower80: Vec<f64>,
    pub upper80: Vec<f64>,
    pub lower95: Vec<f64>,
    pub upper95: Vec<f64>,
}

/// How the chosen model did in the backtest.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Accuracy {
    /// Rolling origins evaluated, and points forecast in all.
    pub origins: usize,
    pub points: usize,
    pub mape: Option<f64>,
    pub smape: Option<f64>,
    pub mase: Option<f64>,
    /// Share of backtest actuals inside the 80 % and 95 % intervals.
    pub coverage80: Option<f64>,
    pub coverage95: Option<f64>,
    pub notes: Vec<String>,
}

/// One model's backtest score, for the list of candidates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub model: Model,
    pub mase: Option<f64>,
    pub smape: Option<f64>,
}

/// A forecast with what it is worth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    pub model: Model,
    pub label: String,
    pub mean: Vec<f64>,
    pub intervals: Intervals,
    pub accuracy: Accuracy,
    pub candidates: Vec<Candidate>,
    /// Fallbacks and their reasons (a series too short for a model, a constant series).
    pub notes: Vec<String>,
}

/// Forecasts `y` as asked (placeholder until selection lands: naive, no backtest).
pub fn forecast(y: &[f64], opts: &Options) -> Result<Forecast, ForecastError> {
    let model = opts.model.unwrap_or(Model::Naive);
    let p = point(model, y, opts.season, opts.horizon)?;
    Ok(Forecast {
        model,
        label: p.label,
        intervals: Intervals {
            lower80: p.mean.clone(),
            upper80: p.mean.clone(),
            lower95: p.mean.clone(),
            upper95: p.mean.clone(),
        },
        mean: p.mean,
        accuracy: Accuracy::default(),
        candidates: Vec::new(),
        notes: Vec::new(),
    })
}

/// The median of ETS, Theta and optimised Theta (placeholder: naive).
pub fn ensemble(y: &[f64], _season: usize, h: usize) -> Result<Point, ForecastError> {
    let mut p = naive::naive(y, h)?;
    p.label = "ensemble".into();
    Ok(p)
}
