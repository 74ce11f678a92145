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
/// year. A non-finite value (refused upstream by `check_inputs`) is read as 0 so that
/// nothing here is NaN.
pub fn analyse(y: &[f64], period: usize, first: usize) -> Seasonality {
    let period = period.max(1);
    let y: Vec<f64> = y
        .iter()
        .map(|v| if v.is_finite() { *v } else { 0.0 })
        .collect();
    let (profile, paying) = profile_and_paying(&y, period, first);
    Seasonality {
        period,
        strength: strength(&y, period, first),
        significant: significant(&y, period),
        profile,
        paying,
    }
}

/// Position in the year of the value at index `t`.
fn position(first: usize, t: usize, period: usize) -> usize {
    (first % period + t) % period
}

/// Strength of seasonality from a classical additive decomposition (centred moving-average
/// trend, seasonal indices summing to zero), over the points where the trend is defined;
/// 0 with fewer than two full periods or no variation.
pub fn strength(y: &[f64], period: usize, first: usize) -> f64 {
    if period < 2 || y.len() < 2 * period {
        return 0.0;
    }
    let trend = centred_moving_average(y, period);
    let detrended: Vec<(usize, f64)> = trend.iter().map(|(t, m)| (*t, y[*t] - m)).collect();
    let mut sum = vec![0.0; period];
    let mut count = vec![0usize; period];
    for (t, d) in &detrended {
        let p = position(first, *t, period);
        sum[p] += d;
        count[p] += 1;
    }
    let index: Vec<f64> = (0..period)
        .map(|p| {
            if count[p] > 0 {
                sum[p] / count[p] as f64
            } else {
                0.0
            }
        })
        .collect();
    let centre = index.iter().sum::<f64>() / period as f64;
    let remainder: Vec<f64> = detrended
        .iter()
        .map(|(t, d)| d - (index[position(first, *t, period)] - centre))
        .collect();
    let both: Vec<f64> = detrended.iter().map(|(_, d)| *d).collect();
    let var_both = variance(&both);
    // No variation beyond rounding noise (or NaN from overflow): no seasonality.
    if var_both.is_nan() || var_both <= 1e-12 * mean_square(y).max(f64::MIN_POSITIVE) {
        return 0.0;
    }
    let s = 1.0 - variance(&remainder) / var_both;
    if s.is_finite() {
        s.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The centred moving average of order `m` (2×m for even m), as (index, value) where defined.
fn centred_moving_average(y: &[f64], m: usize) -> Vec<(usize, f64)> {
    let half = m / 2;
    (half..y.len() - half)
        .map(|t| {
            let window = &y[t - half..=t + half];
            let v = if m % 2 == 1 {
                window.iter().sum::<f64>() / m as f64
            } else {
                let inner: f64 = window[1..m].iter().sum();
                (inner + 0.5 * (window[0] + window[m])) / m as f64
            };
            (t, v)
        })
        .collect()
}

fn variance(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / x.len() as f64
}

fn mean_square(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>() / x.len().max(1) as f64
}

/// The seasonality test of the Theta method: |r_m| > 1.645·√((1 + 2 Σ_{k<m} r_k²) / n), with
/// more than two full periods and a series that varies.
pub fn significant(y: &[f64], period: usize) -> bool {
    let n = y.len();
    if period < 2 || n <= 2 * period {
        return false;
    }
    let r = acf(y, period);
    if r.is_empty() {
        return false;
    }
    let sum_sq: f64 = r[..period - 1].iter().map(|v| v * v).sum();
    let bound = 1.645 * ((1.0 + 2.0 * sum_sq) / n as f64).sqrt();
    r[period - 1].abs() > bound
}

/// Autocorrelations r_1..=r_max (empty when the series does not vary).
pub fn acf(y: &[f64], max_lag: usize) -> Vec<f64> {
    let n = y.len();
    let mean = y.iter().sum::<f64>() / n.max(1) as f64;
    let dev: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let denom: f64 = dev.iter().map(|d| d * d).sum();
    if !denom.is_finite() || denom <= 1e-12 * mean_square(y) * n as f64 {
        return Vec::new();
    }
    (1..=max_lag.min(n.saturating_sub(1)))
        .map(|k| (k..n).map(|t| dev[t] * dev[t - k]).sum::<f64>() / denom)
        .collect()
}

/// Mean per position over the mean of the observed positions (1.0 for a position never
/// observed, and everywhere when that mean is 0), and the positions paid (non-zero) in at
/// least half of the years in which they were observed.
fn profile_and_paying(y: &[f64], period: usize, first: usize) -> (Vec<f64>, Vec<usize>) {
    let mut sum = vec![0.0; period];
    let mut seen = vec![0usize; period];
    let mut paid = vec![0usize; period];
    for (t, v) in y.iter().enumerate() {
        let p = position(first, t, period);
        sum[p] += v;
        seen[p] += 1;
        paid[p] += (*v != 0.0) as usize;
    }
    let means: Vec<Option<f64>> = (0..period)
        .map(|p| (seen[p] > 0).then(|| sum[p] / seen[p] as f64))
        .collect();
    let observed: Vec<f64> = means.iter().flatten().copied().collect();
    let overall = observed.iter().sum::<f64>() / observed.len().max(1) as f64;
    let profile = means
        .iter()
        .map(|m| match m {
            Some(m) if overall != 0.0 && (m / overall).is_finite() => m / overall,
            _ => 1.0,
        })
        .collect();
    let paying = (0..period)
        .filter(|p| paid[*p] > 0 && 2 * paid[*p] >= seen[*p])
        .collect();
    (profile, paying)
}

#[cfg(test)]
mod tests;
