//! ETS: hand-computed small cases, properties, and the M3 measurement (ignored; run in
//! release, reads /work/shared/forecasting or `CLEARWAY_FORECAST_DATA` when present).

use super::*;
use proptest::prelude::*;

fn params(alpha: f64) -> Params {
    Params {
        alpha,
        beta: 0.0,
        gamma: 0.0,
        phi: 1.0,
    }
}

#[test]
fn ses_with_a_fixed_alpha_matches_the_hand_computation() {
    // l0 = 10, α = 0.5: errors 0, 2, 0, 2, 0; levels 10, 11, 11, 12, 12.
    let y = [10.0, 12.0, 11.0, 13.0, 12.0];
    let (sse, level, _) = filter(&y, Form::SES, &params(0.5), 10.0, 0.0, &mut []).unwrap();
    assert_eq!(sse, 8.0);
    assert_eq!(level, 12.0);
}

#[test]
fn holt_with_fixed_parameters_matches_the_hand_computation() {
    // l0 = 0, b0 = 1, α = 0.5, β = 0.25; y = 2, 2:
    // t1: q = 1, e = 1, l = 1.5, b = 1.25; t2: q = 2.75, e = -0.75, l = 2.375, b = 1.0625.
    let form = Form {
        trend: Trend::Additive,
        seasonal: Seasonal::None,
    };
    let p = Params {
        beta: 0.25,
        ..params(0.5)
    };
    let (sse, l, b) = filter(&[2.0, 2.0], form, &p, 0.0, 1.0, &mut []).unwrap();
    assert!((sse - 1.5625).abs() < 1e-12);
    assert!((l - 2.375).abs() < 1e-12 && (b - 1.0625).abs() < 1e-12);
}

#[test]
fn additive_seasonal_fixed_parameters_by_hand() {
    // m = 2, l0 = 10, s = [+1, −1], α = 0.5, γ = 0.25; y = 12, 9:
    // t0: e = 12 − 11 = 1, l = 10.5, s0 = 1.25; t1: e = 9 − 9.5 = −0.5, l = 10.25, s1 = −1.125.
    let form = Form {
        trend: Trend::None,
        seasonal: Seasonal::Additive,
    };
    let p = Params {
        gamma: 0.25,
        ..params(0.5)
    };
    let mut s = [1.0, -1.0];
    let (sse, l, _) = filter(&[12.0, 9.0], form, &p, 10.0, 0.0, &mut s).unwrap();
    assert!((sse - 1.25).abs() < 1e-12 && (l - 10.25).abs() < 1e-12);
    assert_eq!(s, [1.25, -1.125]);
}

#[test]
fn a_linear_series_is_continued_by_holt() {
    let y: Vec<f64> = (1..=24).map(|t| 5.0 + 2.0 * t as f64).collect();
    let holt = Form {
        trend: Trend::Additive,
        seasonal: Seasonal::None,
    };
    let f = fit_form(&y, 1, holt).unwrap();
    assert_eq!(f.label, "ETS(A,A,N)");
    for (j, v) in f.forecast(6).mean.iter().enumerate() {
        let want = 5.0 + 2.0 * (25 + j) as f64;
        assert!((v - want).abs() < 0.01, "step {j}: {v} vs {want}");
    }
    // Chosen by AICc, the trend is damped: it bends, but only a little this close.
    let f = fit(&y, 1).unwrap();
    assert_eq!(f.form.trend, Trend::Damped, "{}", f.label);
    let v = f.forecast(1).mean[0];
    assert!((v - 55.0).abs() < 0.5, "{v}");
}

#[test]
fn a_refit_from_a_warm_start_matches_a_fresh_fit() {
    let y = &synthetic(1, 48)[0];
    let f = fit(y, 12).unwrap();
    let warm = f.refit(&y[..40]).unwrap();
    let cold = fit_form(&y[..40], 12, f.form).unwrap();
    assert_eq!(warm.form, cold.form);
    for (a, b) in warm.forecast(8).mean.iter().zip(cold.forecast(8).mean) {
        assert!((a - b).abs() <= 0.05 * b.abs().max(1.0), "{a} vs {b}");
    }
}

#[test]
fn forecast_spread_grows_as_the_hand_formula_says() {
    // SES: sd_h = σ·√(1 + (h − 1)·α²).
    let y = [10.0, 12.0, 9.0, 11.0, 13.0, 10.0, 12.0, 11.0, 9.0, 12.0];
    let f = fit_form(&y, 1, Form::SES).unwrap();
    let a = f.params.alpha;
    for (i, sd) in f.std_devs(4).iter().enumerate() {
        let want = f.sigma * (1.0 + i as f64 * a * a).sqrt();
        assert!((sd - want).abs() < 1e-12, "{sd} vs {want}");
    }
    // Holt: c_j = α + β·j, so sd_3 = σ·√(1 + (α + β)² + (α + 2β)²).
    let y: Vec<f64> = (0..20).map(|t| t as f64 + [0.5, -0.5][t % 2]).collect();
    let holt = Form {
        trend: Trend::Additive,
        seasonal: Seasonal::None,
    };
    let f = fit_form(&y, 1, holt).unwrap();
    let (a, b) = (f.params.alpha, f.params.beta);
    let want = f.sigma * (1.0 + (a + b).powi(2) + (a + 2.0 * b).powi(2)).sqrt();
    assert!((f.std_devs(3)[2] - want).abs() < 1e-12);
}

#[test]
fn a_pure_seasonal_pattern_repeats() {
    let pattern = [10.0, 20.0, 30.0, 40.0];
    let y: Vec<f64> = (0..24).map(|t| pattern[t % 4]).collect();
    let f = fit(&y, 4).unwrap();
    assert!(f.form.has_season(), "{}", f.label);
    let p = f.forecast(8);
    for (j, v) in p.mean.iter().enumerate() {
        assert!(
            (v - pattern[j % 4]).abs() < 0.05,
            "step {j}: {v} ({})",
            f.label
        );
    }
}

#[test]
fn a_constant_series_gives_a_flat_forecast() {
    let f = fit(&[7.5; 30], 12).unwrap();
    assert_eq!(f.forecast(5).mean, vec![7.5; 5]);
    assert_eq!(f.sigma, 0.0);
    assert!(f.label.contains("constant"), "{}", f.label);
    assert_eq!(forecast(&[0.0; 3], 1, 2).unwrap().mean, vec![0.0, 0.0]);
}

#[test]
fn short_series_fall_back_with_a_reason() {
    let f = fit(&[1.0, 2.0], 12).unwrap();
    assert_eq!(f.forecast(2).mean, vec![2.0, 2.0]);
    assert!(f.label.contains("fewer than 3 points"), "{}", f.label);
    let y = [3.0, 5.0, 4.0, 6.0, 5.0, 7.0, 6.0, 8.0, 7.0, 9.0];
    let f = fit(&y, 12).unwrap();
    assert!(!f.form.has_season());
    assert!(f.label.contains("2 full seasons"), "{}", f.label);
}

#[test]
fn fit_form_falls_back_to_a_simpler_form() {
    let y = [3.0, -5.0, 4.0, 6.0, 5.0, 7.0, 6.0, 8.0, 7.0, 9.0, 8.0, 10.0];
    let want = Form {
        trend: Trend::Damped,
        seasonal: Seasonal::Multiplicative,
    };
    let f = fit_form(&y, 4, want).unwrap();
    assert_ne!(f.form, want);
    assert!(f.label.contains("positive"), "{}", f.label);
    let f = fit_form(&y, 1, Form::SES).unwrap();
    assert_eq!(f.label, "ETS(A,N,N)");
}

#[test]
fn bad_input_is_refused() {
    assert_eq!(fit(&[], 1), Err(ForecastError::Empty));
    assert_eq!(
        fit(&[1.0, f64::NAN], 1),
        Err(ForecastError::NotFinite { index: 1 })
    );
    assert_eq!(fit(&[1.0; 5], 0), Err(ForecastError::Season(0)));
}

fn series() -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![
        prop::collection::vec(-1e4f64..1e4, 1..80),
        prop::collection::vec(0.0f64..100.0, 1..60),
        (1usize..50, -1e3f64..1e3).prop_map(|(n, v)| vec![v; n]),
        (1usize..50).prop_map(|n| vec![0.0; n]),
        prop::collection::vec(prop_oneof![Just(0.0), 1.0f64..10.0], 1..60),
        // Extreme scales: amounts in the billions and in the billionths.
        (
            prop::collection::vec(0.5f64..1.5, 1..60),
            prop_oneof![Just(1e9), Just(1e-9)]
        )
            .prop_map(|(v, k)| v.into_iter().map(|x| x * k).collect()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn forecasts_are_finite_and_of_the_asked_length(
        y in series(),
        season in prop_oneof![Just(1usize), Just(4), Just(12)],
        h in 1usize..40,
    ) {
        let f = fit(&y, season).unwrap();
        let p = f.forecast(h);
        prop_assert_eq!(p.mean.len(), h);
        prop_assert!(p.mean.iter().all(|v| v.is_finite()), "{:?} {}", p.mean, p.label);
        prop_assert!(f.sigma.is_finite() && f.sigma >= 0.0);
        let sd = f.std_devs(h);
        prop_assert_eq!(sd.len(), h);
        prop_assert!(sd.iter().all(|v| v.is_finite() && *v >= 0.0), "{:?}", sd);
        for form in Form::ALL {
            let g = fit_form(&y, season, form).unwrap();
            prop_assert!(g.forecast(h).mean.iter().all(|v| v.is_finite()));
            prop_assert!(g.sigma.is_finite() && g.sigma >= 0.0);
        }
        let r = f.refit(&y[..y.len().div_ceil(2)]).unwrap();
        prop_assert!(r.forecast(h).mean.iter().all(|v| v.is_finite()), "{}", r.label);
    }
}

/// The long-format series of a benchmark file: (train, test) per series, in file order.
fn read_benchmark(name: &str) -> Option<Vec<(Vec<f64>, Vec<f64>)>> {
    let dir = std::env::var("CLEARWAY_FORECAST_DATA")
        .unwrap_or_else(|_| "/work/shared/forecasting".into());
    let text = std::fs::read_to_string(format!("{dir}/{name}")).ok()?;
    let mut out: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
    let mut last = String::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        if cols[0] != last {
            last = cols[0].to_string();
            out.push((Vec::new(), Vec::new()));
        }
        let v: f64 = cols[2].parse().ok()?;
        let s = out.last_mut()?;
        if cols[3] == "test" {
            s.1.push(v);
        } else {
            s.0.push(v);
        }
    }
    Some(out)
}

fn smape(actual: &[f64], pred: &[f64]) -> f64 {
    let s: f64 = actual
        .iter()
        .zip(pred)
        .map(|(a, p)| {
            let d = a.abs() + p.abs();
            if d == 0.0 {
                0.0
            } else {
                200.0 * (a - p).abs() / d
            }
        })
        .sum();
    s / actual.len() as f64
}

fn measure(name: &str, m: usize, h: usize) {
    let Some(data) = read_benchmark(name) else {
        println!("{name}: not found, skipped");
        return;
    };
    let start = std::time::Instant::now();
    let (mut total, mut in80, mut in95, mut points) = (0.0, 0, 0, 0);
    let mut forms = std::collections::BTreeMap::new();
    for (train, test) in &data {
        let f = fit(train, m).unwrap();
        *forms.entry(f.form.label()).or_insert(0) += 1;
        let mean = f.forecast(h).mean;
        total += smape(test, &mean);
        for ((a, m), sd) in test.iter().zip(&mean).zip(f.std_devs(h)) {
            in80 += usize::from((a - m).abs() <= 1.2816 * sd);
            in95 += usize::from((a - m).abs() <= 1.96 * sd);
            points += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{name}: {} series, h={h}, m={m}: mean sMAPE {:.2}, {secs:.2} s; \
         coverage 80 % {:.1}, 95 % {:.1}; forms {forms:?}",
        data.len(),
        total / data.len() as f64,
        100.0 * in80 as f64 / points as f64,
        100.0 * in95 as f64 / points as f64,
    );
}

#[test]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
fn m3_accuracy() {
    measure("m3_monthly.csv", 12, 18);
    measure("m3_quarterly.csv", 4, 8);
    measure("tourism_monthly.csv", 12, 24);
    measure("tourism_quarterly.csv", 4, 8);
}

/// 1,000 monthly series of 36 points (level, trend, season and noise from a fixed LCG).
fn synthetic(count: usize, n: usize) -> Vec<Vec<f64>> {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..count)
        .map(|_| {
            let (level, slope, amp, noise) = (
                50.0 + 100.0 * next(),
                next() - 0.5,
                10.0 * next(),
                5.0 * next(),
            );
            (0..n)
                .map(|t| {
                    let season = amp * (std::f64::consts::TAU * t as f64 / 12.0).sin();
                    level + slope * t as f64 + season + noise * (next() - 0.5)
                })
                .collect()
        })
        .collect()
}

/// The selector's ETS share for one series: fit on the whole, refit at three origins.
fn backtest_like(y: &[f64]) -> f64 {
    let f = fit(y, 12).unwrap();
    let mut sum = f.forecast(6).mean[0];
    for cut in [27, 30, 33] {
        sum += f.refit(&y[..cut]).unwrap().forecast(3).mean[0];
    }
    sum
}

#[test]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
fn speed_of_a_backtest_sized_workload() {
    let data = synthetic(1000, 36);
    let start = std::time::Instant::now();
    let sum: f64 = data.iter().map(|y| backtest_like(y)).sum();
    let one = start.elapsed().as_secs_f64();
    let start = std::time::Instant::now();
    let (a, b) = data.split_at(500);
    let two: f64 = std::thread::scope(|s| {
        let t = s.spawn(|| a.iter().map(|y| backtest_like(y)).sum::<f64>());
        b.iter().map(|y| backtest_like(y)).sum::<f64>() + t.join().unwrap()
    });
    println!(
        "1000 series x 36 points, fit + 3 refits: {one:.3} s on one thread, {:.3} s on two ({sum:.0} {two:.0})",
        start.elapsed().as_secs_f64()
    );
}
