//! Intermittent-demand methods for irregular payers: Croston (1972), the Syntetos–Boylan
//! approximation (SBA, 2005) and Teunter–Syntetos–Babai (TSB, 2011).

use super::{naive, ForecastError, Point};

/// Croston's method (placeholder until the models land: naive).
pub fn croston(y: &[f64], h: usize) -> Result<Point, ForecastError> {
    let mut p = naive::naive(y, h)?;
    p.label = "croston".into();
    Ok(p)
}

/// The Syntetos–Boylan approximation (placeholder: naive).
pub fn sba(y: &[f64], h: usize) -> Result<Point, ForecastError> {
    let mut p = naive::naive(y, h)?;
    p.label = "sba".into();
    Ok(p)
}

/// Teunter–Syntetos–Babai (placeholder: naive).
pub fn tsb(y: &[f64], h: usize) -> Result<Point, ForecastError> {
    let mut p = naive::naive(y, h)?;
    p.label = "tsb".into();
    Ok(p)
}
