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
/// points or when a value is not finite. The direction is that of S when p < `alpha`.
pub fn mann_kendall(y: &[f64], alpha: f64) -> Option<Trend> {
    if y.len() < 3 || y.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let s = kendall_s(y);
    let var = s_variance(y);
    // Continuity correction: S moves in steps of 2, so shift it one step towards 0.
    let z = if var <= 0.0 || s == 0 {
        0.0
    } else {
        (s - s.signum()) as f64 / var.sqrt()
    };
    let p_value = two_sided_p(z);
    let direction = match s.signum() {
        _ if p_value >= alpha => Direction::Stable,
        1 => Direction::Increasing,
        -1 => Direction::Decreasing,
        _ => Direction::Stable,
    };
    Some(Trend {
        direction,
        s,
        z,
        p_value,
        sen_slope: sen_slope(y),
        n: y.len(),
    })
}

/// Kendall's S: the number of later values above an earlier one less those below.
fn kendall_s(y: &[f64]) -> i64 {
    let mut s = 0i64;
    for (i, a) in y.iter().enumerate() {
        for b in &y[i + 1..] {
            s += (b > a) as i64 - (b < a) as i64;
        }
    }
    s
}

/// Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18 over the groups of t tied values.
fn s_variance(y: &[f64]) -> f64 {
    let mut sorted = y.to_vec();
    sorted.sort_by(f64::total_cmp);
    let f = |t: f64| t * (t - 1.0) * (2.0 * t + 5.0);
    let mut ties = 0.0;
    let mut run = 1usize;
    for i in 1..=sorted.len() {
        if i < sorted.len() && sorted[i] == sorted[i - 1] {
            run += 1;
        } else {
            ties += f(run as f64);
            run = 1;
        }
    }
    (f(y.len() as f64) - ties) / 18.0
}

/// The median of (y_j − y_i) / (j − i) over all pairs i < j.
pub fn sen_slope(y: &[f64]) -> f64 {
    let mut slopes = Vec::with_capacity(y.len() * y.len().saturating_sub(1) / 2);
    for i in 0..y.len() {
        for j in i + 1..y.len() {
            slopes.push((y[j] - y[i]) / (j - i) as f64);
        }
    }
    if slopes.is_empty() {
        return 0.0;
    }
    slopes.sort_by(f64::total_cmp);
    let m = slopes.len();
    let median = if m % 2 == 1 {
        slopes[m / 2]
    } else {
        (slopes[m / 2 - 1] + slopes[m / 2]) / 2.0
    };
    if median.is_finite() {
        median
    } else {
        0.0
    }
}

/// P(|Z| ≥ |z|) for a standard normal Z: erfc(|z| / √2).
pub fn two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

/// The complementary error function for x ≥ 0 (negative x by reflection), within 1e-13
/// relative of Python's `math.erfc` over 0..26: the everywhere-positive series of erf below
/// 1.5 (no cancellation), the continued fraction of erfc above, where 1 − erf would lose
/// the small tail.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return 1.0;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 1.5 {
        return 1.0 - erf_series(x);
    }
    if x > 27.0 {
        return 0.0; // below the smallest f64
    }
    // erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated backwards.
    let mut t = x;
    for k in (1..=120).rev() {
        t = x + (k as f64 / 2.0) / t;
    }
    (-x * x).exp() / (std::f64::consts::PI.sqrt() * t)
}

/// erf(x) = 2/√π · e^{−x²} · Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1)), all terms positive.
fn erf_series(x: f64) -> f64 {
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term > sum * 1e-17 {
        n += 1.0;
        term *= 2.0 * x * x / (2.0 * n + 1.0);
        sum += term;
    }
    2.0 / std::f64::consts::PI.sqrt() * (-x * x).exp() * sum
}

#[cfg(test)]
mod tests;
