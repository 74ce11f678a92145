//! The Theta method (Assimakopoulos & Nikolopoulos 2000; Hyndman & Billah 2003: SES with
//! drift) and the optimised Theta (the theta line chosen by in-sample fit), deseasonalised by
//! classical multiplicative decomposition when seasonality is significant.

use super::{naive, ForecastError, Point};

/// The Theta forecast (placeholder until the models land: naive).
pub fn forecast(
    y: &[f64],
    _season: usize,
    h: usize,
    optimized: bool,
) -> Result<Point, ForecastError> {
    let mut p = naive::naive(y, h)?;
    p.label = if optimized {
        "optimized theta".into()
    } else {
        "theta".into()
    };
    Ok(p)
}
