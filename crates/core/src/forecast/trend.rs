//! The Mann–Kendall trend test (normal approximation with the tie correction) and Sen's slope.

use serde::Serialize;

/// The direction a series moves in, at the test's significance level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Increasing,
    Decreasing,
    Stable,
}

/// The test's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    pub direction: Direction,
    /// Kendall's S, its normal score and the two-sided p-value.
    pub s: i64,
    pub z: f64,
    pub p_value: f64,
    /// Sen's slope: the median of pairwise slopes, per step.
    pub sen_slope: f64,
    pub n: usize,
}

/// Tests `y` for a monotonic trend at significance `alpha` (0.05 usual); `None` below 3
/// points (placeholder until the test lands: stable).
pub fn mann_kendall(y: &[f64], _alpha: f64) -> Option<Trend> {
    if y.len() < 3 {
        return None;
    }
    Some(Trend {
        direction: Direction::Stable,
        s: 0,
        z: 0.0,
        p_value: 1.0,
        sen_slope: 0.0,
        n: y.len(),
    })
}
