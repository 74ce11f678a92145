//! The Theta method (Assimakopoulos & Nikolopoulos 2000; Hyndman & Billah 2003: SES with
//! drift) and the optimised Theta (the theta line chosen by in-sample fit), deseasonalised by
//! classical multiplicative decomposition when seasonality is significant.
//!
//! Both are the state-space forms of Fiorucci et al. (2016): one-step prediction
//! μ_t = ℓ_{t−1} + (1 − 1/θ)·[(1 − α)^{t−1}·A + (1 − (1 − α)^t)/α·B], ℓ_t = α·y_t + (1 − α)·ℓ_{t−1},
//! with A and B the intercept and slope of the least-squares line. θ = 2 is the standard
//! Theta (the drift is half the slope); the optimised one (DOTM) chooses θ ≥ 1 and updates A
//! and B as each point arrives. Given α, μ_t is linear in ℓ_0 and w = 1 − 1/θ, so both come
//! from a 2×2 least-squares solve and only α is searched (grid, then golden section).

use super::{decompose, ForecastError, Model, Point};

/// Fewest points either Theta fits.
pub const MIN_POINTS: usize = 4;
/// Bounds of α (as in statsforecast) and of w = 1 − 1/θ (θ from 1 to 20).
const ALPHA: (f64, f64) = (0.1, 0.99);
const W_MAX: f64 = 0.95;

/// The Theta forecast of `h` steps after `y`: standard (θ = 2) or optimised (dynamic, θ
/// chosen by in-sample MSE).
pub fn forecast(
    y: &[f64],
    season: usize,
    h: usize,
    optimized: bool,
) -> Result<Point, ForecastError> {
    let model = if optimized {
        Model::OptimizedTheta
    } else {
        Model::Theta
    };
    if y.len() < MIN_POINTS {
        return Err(ForecastError::TooShort {
            model,
            need: MIN_POINTS,
            have: y.len(),
        });
    }
    let seasonal = decompose::deseasonalise(y, season);
    let series = seasonal.as_ref().map_or(y, |(d, _)| d.as_slice());
    let fit = fit(series, optimized);
    let mut mean = fit.forecast(series, h);
    let mut label = format!(
        "{} (alpha={:.3}, theta={:.2})",
        if optimized {
            "optimized theta"
        } else {
            "theta"
        },
        fit.alpha,
        1.0 / (1.0 - fit.w)
    );
    if let Some((_, s)) = &seasonal {
        s.restore(&mut mean, y.len());
        label.push_str(&format!(", deseasonalised m={}", s.season));
    }
    Ok(Point { mean, label })
}

/// A fitted Theta model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub alpha: f64,
    pub l0: f64,
    /// w = 1 − 1/θ.
    pub w: f64,
    pub dynamic: bool,
    pub mse: f64,
}

/// The running least-squares line (A, B) of the points seen so far, updated per point.
#[derive(Debug, Clone, Copy)]
struct Line {
    mean: f64,
    a: f64,
    b: f64,
}

impl Line {
    /// Adds y_t (t 1-based) and returns the line after it (Fiorucci et al. eq. 11–13).
    fn push(self, t: usize, y: f64) -> Line {
        let t = t as f64;
        let mean = ((t - 1.0) * self.mean + y) / t;
        let b = ((t - 2.0) * self.b + 6.0 * (y - self.mean) / t) / (t + 1.0);
        Line {
            mean,
            a: mean - b * (t + 1.0) / 2.0,
            b,
        }
    }
}

/// Intercept and slope of y on t = 1..n.
fn ols(y: &[f64]) -> (f64, f64) {
    let n = y.len() as f64;
    let tm = (n + 1.0) / 2.0;
    let ym = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in y.iter().enumerate() {
        let dt = (i + 1) as f64 - tm;
        sxy += dt * (v - ym);
        sxx += dt * dt;
    }
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (ym - b * tm, b)
}

/// The drift term D_t for each t (so that μ_t = ℓ_{t−1} + w·D_t), the level part a_t with
/// ℓ_0 = 0 and its coefficient c_t = (1 − α)^{t−1}. The dynamic model skips t = 1, where its
/// line is not defined yet.
fn terms(y: &[f64], alpha: f64, dynamic: bool) -> Vec<(f64, f64, f64, f64)> {
    let (a_all, b_all) = ols(y);
    let mut line = Line {
        mean: y[0],
        a: y[0],
        b: 0.0,
    };
    let (mut level0, mut decay) = (0.0, 1.0);
    let mut out = Vec::with_capacity(y.len());
    for (i, &v) in y.iter().enumerate() {
        let t = i + 1;
        let (a, b) = if dynamic {
            (line.a, line.b)
        } else {
            (a_all, b_all)
        };
        let d = decay * a + (1.0 - decay * (1.0 - alpha)) / alpha * b;
        if !dynamic || t > 1 {
            out.push((v, level0, decay, d));
        }
        level0 = alpha * v + (1.0 - alpha) * level0;
        decay *= 1.0 - alpha;
        if t > 1 {
            line = line.push(t, v);
        }
    }
    out
}

/// Best ℓ_0 (and w when `free_w`) for `alpha` by least squares; returns the fit.
fn solve(y: &[f64], alpha: f64, dynamic: bool, w_fixed: Option<f64>) -> Fit {
    let rows = terms(y, alpha, dynamic);
    // Residual r = (y − a) − c·ℓ0 − D·w.
    let (mut scc, mut scd, mut sdd, mut scr, mut sdr) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(v, a, c, d) in &rows {
        let r = v - a;
        scc += c * c;
        scd += c * d;
        sdd += d * d;
        scr += c * r;
        sdr += d * r;
    }
    let l0_given = |w: f64| {
        if scc > 0.0 {
            (scr - w * scd) / scc
        } else {
            y[0]
        }
    };
    let (l0, w) = match w_fixed {
        Some(w) => (l0_given(w), w),
        None => {
            let det = scc * sdd - scd * scd;
            let w = if det.abs() > 1e-12 * (scc * sdd).max(1e-300) {
                ((scc * sdr - scd * scr) / det).clamp(0.0, W_MAX)
            } else {
                0.5
            };
            (l0_given(w), w)
        }
    };
    let sse: f64 = rows
        .iter()
        .map(|&(v, a, c, d)| (v - a - c * l0 - d * w).powi(2))
        .sum();
    Fit {
        alpha,
        l0,
        w,
        dynamic,
        mse: sse / rows.len().max(1) as f64,
    }
}

/// Fits α (grid, then golden section around the best) with ℓ_0 and w solved for each α.
pub fn fit(y: &[f64], optimized: bool) -> Fit {
    let w_fixed = (!optimized).then_some(0.5);
    let eval = |a: f64| solve(y, a, optimized, w_fixed);
    let steps = 10;
    let grid: Vec<f64> = (0..=steps)
        .map(|i| ALPHA.0 + (ALPHA.1 - ALPHA.0) * i as f64 / steps as f64)
        .collect();
    let (best_i, _) =
        grid.iter()
            .map(|a| eval(*a).mse)
            .enumerate()
            .fold(
                (0, f64::INFINITY),
                |acc, (i, m)| if m < acc.1 { (i, m) } else { acc },
            );
    let lo = grid[best_i.saturating_sub(1)];
    let hi = grid[(best_i + 1).min(steps)];
    let alpha = golden(lo, hi, 20, |a| eval(a).mse);
    let best = eval(alpha);
    let at_grid = eval(grid[best_i]);
    let chosen = if at_grid.mse < best.mse {
        at_grid
    } else {
        best
    };
    if chosen.mse.is_finite() {
        chosen
    } else {
        // A degenerate series (overflow): the standard model at α = 0.5.
        solve(y, 0.5, false, Some(0.5))
    }
}

/// Golden-section search for the minimum of `f` on [lo, hi].
pub fn golden(mut lo: f64, mut hi: f64, iters: usize, f: impl Fn(f64) -> f64) -> f64 {
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let mut x1 = hi - r * (hi - lo);
    let mut x2 = lo + r * (hi - lo);
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..iters {
        if f1 <= f2 {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - r * (hi - lo);
            f1 = f(x1);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + r * (hi - lo);
            f2 = f(x2);
        }
    }
    (lo + hi) / 2.0
}

impl Fit {
    /// The `h` steps after `y`: the state run through the data, then forward with each
    /// prediction taking the place of the data (which, for the static line, is the closed form).
    pub fn forecast(&self, y: &[f64], h: usize) -> Vec<f64> {
        let (a_all, b_all) = ols(y);
        let alpha = self.alpha;
        let mut line = Line {
            mean: y[0],
            a: y[0],
            b: 0.0,
        };
        let mut level = self.l0;
        let mut decay = 1.0;
        let mut out = Vec::with_capacity(h);
        for i in 0..y.len() + h {
            let t = i + 1;
            let (a, b) = if self.dynamic {
                (line.a, line.b)
            } else {
                (a_all, b_all)
            };
            let mu = level + self.w * (decay * a + (1.0 - decay * (1.0 - alpha)) / alpha * b);
            let v = if i < y.len() { y[i] } else { mu };
            if i >= y.len() {
                out.push(mu);
            }
            level = alpha * v + (1.0 - alpha) * level;
            decay *= 1.0 - alpha;
            if t > 1 {
                line = line.push(t, v);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_theta_on_a_line_continues_half_the_slope_plus_the_level() {
        // y_t = 10 + 2t. OLS: A = 10, B = 2. SES with drift on a noiseless line fits exactly
        // whatever α when ℓ_0 is solved; the forecast must stay on a straight line whose
        // increments are B/2 = 1 per step beyond the first (Hyndman & Billah).
        let y: Vec<f64> = (1..=20).map(|t| 10.0 + 2.0 * t as f64).collect();
        let p = forecast(&y, 1, 5, false).unwrap();
        for w in p.mean.windows(2) {
            assert!((w[1] - w[0] - 1.0).abs() < 1e-6, "{:?}", p.mean);
        }
        // First step: ℓ_n + ½·[(1−α)^n·A + (1 − (1−α)^{n+1})/α·B].
        let f = fit(&y, false);
        let a = f.alpha;
        let mut level = f.l0;
        for v in &y {
            level = a * v + (1.0 - a) * level;
        }
        let d = (1.0 - a).powi(20) * 10.0 + (1.0 - (1.0 - a).powi(21)) / a * 2.0;
        assert!((p.mean[0] - (level + 0.5 * d)).abs() < 1e-6);
    }

    #[test]
    fn optimised_theta_follows_a_line_exactly() {
        // On a noiseless line the best model is θ → ∞ limited to w = 0.95, or an exact fit;
        // either way the one-step error is tiny and the forecast continues the line.
        let y: Vec<f64> = (1..=30).map(|t| 5.0 + 3.0 * t as f64).collect();
        let p = forecast(&y, 1, 3, true).unwrap();
        assert!(p.mean.iter().all(|v| v.is_finite()));
        assert!(p.mean[0] > y[29], "{:?}", p.mean);
    }

    #[test]
    fn constant_series_forecasts_the_constant() {
        let y = vec![7.0; 24];
        for opt in [false, true] {
            let p = forecast(&y, 12, 6, opt).unwrap();
            assert!(
                p.mean.iter().all(|v| (v - 7.0).abs() < 1e-9),
                "{:?}",
                p.mean
            );
        }
    }

    #[test]
    fn seasonal_series_is_deseasonalised_and_restored() {
        let pattern = [0.8, 1.2, 0.9, 1.1];
        let y: Vec<f64> = (0..40).map(|t| 100.0 * pattern[t % 4]).collect();
        let p = forecast(&y, 4, 8, false).unwrap();
        assert!(p.label.contains("deseasonalised"));
        for (i, v) in p.mean.iter().enumerate() {
            assert!(
                (v - 100.0 * pattern[(40 + i) % 4]).abs() < 1e-6,
                "{:?}",
                p.mean
            );
        }
    }

    #[test]
    fn too_short() {
        assert!(matches!(
            forecast(&[1.0, 2.0, 3.0], 1, 2, false),
            Err(ForecastError::TooShort { need: 4, .. })
        ));
    }

    #[test]
    fn running_line_matches_least_squares() {
        let y = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let mut line = Line {
            mean: y[0],
            a: y[0],
            b: 0.0,
        };
        for (i, v) in y.iter().enumerate().skip(1) {
            line = line.push(i + 1, *v);
        }
        let (a, b) = ols(&y);
        assert!((line.a - a).abs() < 1e-12 && (line.b - b).abs() < 1e-12);
    }
}
