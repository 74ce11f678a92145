//! The seasonality test (autocorrelation at the season lag against its 90 % bound) and the
//! classical multiplicative decomposition used to deseasonalise before Theta.

/// How a series is deseasonalised: divide by (multiplicative) or subtract (additive) the
/// index of each position in the season.
#[derive(Debug, Clone, PartialEq)]
pub struct Seasonal {
    pub season: usize,
    /// One index per position, position 0 being the series' first value.
    pub indices: Vec<f64>,
    pub multiplicative: bool,
}

impl Seasonal {
    /// The index at (0-based) time `t` of the series.
    fn at(&self, t: usize) -> f64 {
        self.indices[t % self.season]
    }

    /// `y` with the seasonal pattern taken out.
    pub fn remove(&self, y: &[f64]) -> Vec<f64> {
        y.iter()
            .enumerate()
            .map(|(t, v)| {
                if self.multiplicative {
                    v / self.at(t)
                } else {
                    v - self.at(t)
                }
            })
            .collect()
    }

    /// Puts the pattern back on `f`, the forecast of the steps after a series of `n` points.
    pub fn restore(&self, f: &mut [f64], n: usize) {
        for (i, v) in f.iter_mut().enumerate() {
            let s = self.at(n + i);
            if self.multiplicative {
                *v *= s;
            } else {
                *v += s;
            }
        }
    }
}

/// Sample autocorrelations of `y` at lags 1..=`max_lag` (0 for a constant series).
pub fn acf(y: &[f64], max_lag: usize) -> Vec<f64> {
    let n = y.len();
    let mean = y.iter().sum::<f64>() / n.max(1) as f64;
    let denom: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    (1..=max_lag)
        .map(|k| {
            if denom <= 0.0 || k >= n {
                return 0.0;
            }
            let num: f64 = (k..n).map(|t| (y[t] - mean) * (y[t - k] - mean)).sum();
            num / denom
        })
        .collect()
}

/// The M3/M4 Theta benchmark's test: seasonal when |ACF(m)| exceeds 1.645 · sqrt((1 + 2 ·
/// Σ_{k<m} ACF(k)²) / n) (Bartlett's variance), and only with at least three seasons.
pub fn is_seasonal(y: &[f64], season: usize) -> bool {
    let n = y.len();
    if season <= 1 || n < 3 * season {
        return false;
    }
    let r = acf(y, season);
    let sum_sq: f64 = r[..season - 1].iter().map(|v| v * v).sum();
    let limit = 1.645 * ((1.0 + 2.0 * sum_sq) / n as f64).sqrt();
    r[season - 1].abs() > limit
}

/// Classical decomposition's seasonal indices (centred moving average of order `season`,
/// 2×m for even m): multiplicative, normalised to mean 1, when every value is positive;
/// additive, normalised to mean 0, otherwise. `None` below two full seasons.
pub fn classical(y: &[f64], season: usize) -> Option<Seasonal> {
    let n = y.len();
    if season <= 1 || n < 2 * season {
        return None;
    }
    let multiplicative = y.iter().all(|v| *v > 0.0);
    let trend = centred_moving_average(y, season);
    let mut sums = vec![0.0; season];
    let mut counts = vec![0usize; season];
    for (t, tr) in trend.iter().enumerate() {
        if let Some(tr) = tr {
            let ratio = if multiplicative { y[t] / tr } else { y[t] - tr };
            sums[t % season] += ratio;
            counts[t % season] += 1;
        }
    }
    if counts.contains(&0) {
        return None;
    }
    let mut indices: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, c)| s / *c as f64)
        .collect();
    let mean = indices.iter().sum::<f64>() / season as f64;
    for v in &mut indices {
        if multiplicative {
            *v /= mean;
        } else {
            *v -= mean;
        }
    }
    let ok = indices
        .iter()
        .all(|v| v.is_finite() && (!multiplicative || *v > 0.0));
    ok.then_some(Seasonal {
        season,
        indices,
        multiplicative,
    })
}

/// The centred moving average of order `m` (for even m the 2×m average), `None` where the
/// window does not fit.
fn centred_moving_average(y: &[f64], m: usize) -> Vec<Option<f64>> {
    let n = y.len();
    let half = m / 2;
    (0..n)
        .map(|t| {
            if t < half || t + half >= n {
                return None;
            }
            if m % 2 == 1 {
                let s: f64 = y[t - half..=t + half].iter().sum();
                Some(s / m as f64)
            } else {
                // Weights 1/2m at both ends, 1/m inside.
                let inner: f64 = y[t + 1 - half..t + half].iter().sum();
                Some((inner + 0.5 * (y[t - half] + y[t + half])) / m as f64)
            }
        })
        .collect()
}

/// Deseasonalises `y` when the test finds seasonality at `season`; `None` otherwise.
pub fn deseasonalise(y: &[f64], season: usize) -> Option<(Vec<f64>, Seasonal)> {
    if !is_seasonal(y, season) {
        return None;
    }
    let s = classical(y, season)?;
    Some((s.remove(y), s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_multiplicative_pattern_gives_its_indices() {
        // Level 100, indices 0.8, 1.2, 0.9, 1.1 (mean 1): the CMA is 100 everywhere.
        let pattern = [0.8, 1.2, 0.9, 1.1];
        let y: Vec<f64> = (0..24).map(|t| 100.0 * pattern[t % 4]).collect();
        let s = classical(&y, 4).unwrap();
        assert!(s.multiplicative);
        for (got, want) in s.indices.iter().zip(pattern) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        let flat = s.remove(&y);
        assert!(flat.iter().all(|v| (v - 100.0).abs() < 1e-9));
    }

    #[test]
    fn additive_when_a_value_is_not_positive() {
        let pattern = [-5.0, 5.0, -10.0, 10.0];
        let y: Vec<f64> = (0..16).map(|t| pattern[t % 4]).collect();
        let s = classical(&y, 4).unwrap();
        assert!(!s.multiplicative);
        for (got, want) in s.indices.iter().zip(pattern) {
            assert!((got - want).abs() < 1e-12);
        }
    }

    #[test]
    fn odd_season_centred_average() {
        let pattern = [1.0, 2.0, 3.0];
        let y: Vec<f64> = (0..12).map(|t| 10.0 * pattern[t % 3]).collect();
        let s = classical(&y, 3).unwrap();
        for (got, want) in s.indices.iter().zip([0.5, 1.0, 1.5]) {
            assert!((got - want).abs() < 1e-12);
        }
    }

    #[test]
    fn the_test_finds_a_strong_season_and_not_noise_free_trend() {
        let y: Vec<f64> = (0..48)
            .map(|t| 100.0 + 20.0 * ((t % 12) as f64 - 5.5).abs())
            .collect();
        assert!(is_seasonal(&y, 12));
        let line: Vec<f64> = (0..48).map(|t| t as f64).collect();
        // A line's ACF decays slowly: lag 12 is inside the Bartlett bound.
        assert!(!is_seasonal(&line, 12));
        assert!(!is_seasonal(&y[..30], 12), "fewer than three seasons");
    }
}
