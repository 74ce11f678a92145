//! How seasonal a fund's payments are, and when in the year it pays.

use serde::Serialize;

/// Seasonality of a series of `period` positions per year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Seasonality {
    pub period: usize,
    /// Strength in 0..=1 (Wang, Smith & Hyndman: 1 − Var(remainder) / Var(season + remainder)).
    pub strength: f64,
    /// Whether the autocorrelation at the season lag passes its 90 % bound.
    pub significant: bool,
    /// Mean value at each position of the year (index 0 = January or the first quarter),
    /// as a share of the yearly mean.
    pub profile: Vec<f64>,
    /// Positions of the year (0-based) in which the fund paid in most years.
    pub paying: Vec<usize>,
}

/// Analyses `y`, whose first value falls at position `first` (0-based) of a `period`-position
/// year (placeholder until the analysis lands: no seasonality).
pub fn analyse(y: &[f64], period: usize, first: usize) -> Seasonality {
    let period = period.max(1);
    let mut paying: Vec<usize> = y
        .iter()
        .enumerate()
        .filter(|(_, v)| **v != 0.0)
        .map(|(i, _)| (first + i) % period)
        .collect();
    paying.sort_unstable();
    paying.dedup();
    Seasonality {
        period,
        strength: 0.0,
        significant: false,
        profile: vec![1.0; period],
        paying,
    }
}
