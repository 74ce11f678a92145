//! Intermittent-demand methods for irregular payers: Croston (1972), the Syntetos–Boylan
//! approximation (SBA, 2005) and Teunter–Syntetos–Babai (TSB, 2011). Each forecasts a flat
//! rate per period; a series with no payment at all forecasts zero.

use super::{ForecastError, Point};

/// Smoothing constant of Croston and SBA (the classic 0.1), and of TSB's size and probability.
pub const ALPHA: f64 = 0.1;
pub const BETA: f64 = 0.1;

/// The share of zero values, the usual test of intermittency.
pub fn zero_share(y: &[f64]) -> f64 {
    if y.is_empty() {
        return 0.0;
    }
    y.iter().filter(|v| **v == 0.0).count() as f64 / y.len() as f64
}

/// Croston's rate: SES (α, started at the first value) of the non-zero sizes over SES of the
/// intervals between them (the first interval counts from before the series' start).
fn croston_rate(y: &[f64], alpha: f64) -> f64 {
    let mut size: Option<f64> = None;
    let mut interval = 0.0;
    let mut since = 0usize;
    for v in y {
        since += 1;
        if *v == 0.0 {
            continue;
        }
        match size {
            None => {
                size = Some(*v);
                interval = since as f64;
            }
            Some(z) => {
                size = Some(z + alpha * (v - z));
                interval += alpha * (since as f64 - interval);
            }
        }
        since = 0;
    }
    match size {
        Some(z) if interval > 0.0 => z / interval,
        _ => 0.0,
    }
}

fn flat(rate: f64, h: usize, label: &str) -> Result<Point, ForecastError> {
    Ok(Point {
        mean: vec![rate; h],
        label: label.into(),
    })
}

/// Croston's method with α = 0.1.
pub fn croston(y: &[f64], h: usize) -> Result<Point, ForecastError> {
    if y.is_empty() {
        return Err(ForecastError::Empty);
    }
    flat(croston_rate(y, ALPHA), h, "croston (alpha=0.1)")
}

/// The Syntetos–Boylan approximation: Croston's rate × (1 − α/2), which removes its bias.
pub fn sba(y: &[f64], h: usize) -> Result<Point, ForecastError> {
    if y.is_empty() {
        return Err(ForecastError::Empty);
    }
    flat(
        croston_rate(y, ALPHA) * (1.0 - ALPHA / 2.0),
        h,
        "sba (alpha=0.1)",
    )
}

/// TSB: the probability of a payment is smoothed every period (β), the size only when one
/// happens (α); the rate is their product. Started at the share of non-zero periods and the
/// mean non-zero size.
pub fn tsb(y: &[f64], h: usize) -> Result<Point, ForecastError> {
    if y.is_empty() {
        return Err(ForecastError::Empty);
    }
    flat(tsb_rate(y, ALPHA, BETA), h, "tsb (alpha=0.1, beta=0.1)")
}

fn tsb_rate(y: &[f64], alpha: f64, beta: f64) -> f64 {
    let nonzero: Vec<f64> = y.iter().copied().filter(|v| *v != 0.0).collect();
    if nonzero.is_empty() {
        return 0.0;
    }
    let mut p = nonzero.len() as f64 / y.len() as f64;
    let mut z = nonzero.iter().sum::<f64>() / nonzero.len() as f64;
    for v in y {
        if *v != 0.0 {
            p += beta * (1.0 - p);
            z += alpha * (v - z);
        } else {
            p -= beta * p;
        }
    }
    p * z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn croston_by_hand() {
        // y = 0 0 3 0 5 0 0 6: sizes 3, 5, 6 at periods 3, 5, 8; intervals 3, 2, 3.
        // Size: 3 → 3 + 0.1·(5 − 3) = 3.2 → 3.2 + 0.1·(6 − 3.2) = 3.48.
        // Interval: 3 → 3 + 0.1·(2 − 3) = 2.9 → 2.9 + 0.1·(3 − 2.9) = 2.91.
        let y = [0.0, 0.0, 3.0, 0.0, 5.0, 0.0, 0.0, 6.0];
        let p = croston(&y, 3).unwrap();
        let want = 3.48 / 2.91;
        assert_eq!(p.mean.len(), 3);
        assert!(
            p.mean.iter().all(|v| (v - want).abs() < 1e-12),
            "{:?}",
            p.mean
        );
        let s = sba(&y, 1).unwrap();
        assert!((s.mean[0] - want * 0.95).abs() < 1e-12);
    }

    #[test]
    fn tsb_by_hand() {
        // y = 4 0 0 4: p0 = 0.5, z0 = 4. p: 0.55, 0.495, 0.4455, 0.50095; z stays 4.
        let p = tsb(&[4.0, 0.0, 0.0, 4.0], 2).unwrap();
        assert!((p.mean[0] - 0.50095 * 4.0).abs() < 1e-12, "{:?}", p.mean);
    }

    #[test]
    fn all_zero_forecasts_zero() {
        let y = [0.0; 10];
        for f in [croston, sba, tsb] {
            assert_eq!(f(&y, 4).unwrap().mean, vec![0.0; 4]);
        }
    }

    #[test]
    fn zero_share_counts() {
        assert_eq!(zero_share(&[0.0, 1.0, 0.0, 2.0]), 0.5);
        assert_eq!(zero_share(&[]), 0.0);
    }
}
