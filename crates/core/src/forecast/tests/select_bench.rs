//! The holdout measurement of selection and every model on M3 and Tourism, and the speed case
//! (ignored; run in release: `cargo test -p clearway-core --release --lib select_bench --
//! --ignored --nocapture`). Reads /work/shared/forecasting or `CLEARWAY_FORECAST_DATA`.
//! `clearway bench forecast` prints the same table from the CLI.

use std::collections::BTreeMap;
use std::time::Instant;

use super::super::metrics;
use super::*;

fn load(file: &str) -> Option<Vec<Vec<f64>>> {
    let dir = std::env::var("CLEARWAY_FORECAST_DATA")
        .unwrap_or_else(|_| "/work/shared/forecasting".into());
    let text = std::fs::read_to_string(format!("{dir}/{file}")).ok()?;
    let mut series: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        series
            .entry(f[0].to_string())
            .or_default()
            .push((f[1].parse().ok()?, f[2].parse().ok()?));
    }
    Some(
        series
            .into_values()
            .map(|mut v| {
                v.sort_by_key(|p| p.0);
                v.into_iter().map(|p| p.1).collect()
            })
            .collect(),
    )
}

/// sMAPE, MASE and the holdout points inside the 80 % and 95 % intervals.
type Outcome = (f64, f64, usize, usize);

fn holdout(y: &[f64], h: usize, m: usize, model: Option<Model>) -> Outcome {
    let (train, test) = y.split_at(y.len() - h);
    let opts = Options {
        horizon: h,
        season: m,
        model,
    };
    let f = forecast(train, &opts).unwrap();
    let s = metrics::score(train, test, &f.mean, m);
    let iv = &f.intervals;
    let inside = |lo: &[f64], hi: &[f64]| {
        (0..h)
            .filter(|&j| lo[j] <= test[j] && test[j] <= hi[j])
            .count()
    };
    (
        s.smape.unwrap_or(0.0),
        s.mase.unwrap_or(0.0),
        inside(&iv.lower80, &iv.upper80),
        inside(&iv.lower95, &iv.upper95),
    )
}

/// Runs `f` over `items` on two threads.
fn par<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let f = &f;
    std::thread::scope(|s| {
        let parts: Vec<_> = items
            .chunks(items.len().div_ceil(2).max(1))
            .map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<R>>()))
            .collect();
        parts.into_iter().flat_map(|p| p.join().unwrap()).collect()
    })
}

fn measure(file: &str, h: usize, m: usize) {
    let Some(all) = load(file) else {
        println!("{file}: not found, skipped");
        return;
    };
    println!("\n{file}: {} series, h={h}, m={m}", all.len());
    let mut models: Vec<Option<Model>> = vec![None];
    models.extend(Model::ALL.map(Some));
    let mut base = (1.0, 1.0);
    for model in models {
        let t0 = Instant::now();
        let r = par(&all, |y| holdout(y, h, m, model));
        let n = r.len() as f64;
        let smape = r.iter().map(|o| o.0).sum::<f64>() / n;
        let mase = r.iter().map(|o| o.1).sum::<f64>() / n;
        let points = n * h as f64;
        let c80 = 100.0 * r.iter().map(|o| o.2).sum::<usize>() as f64 / points;
        let c95 = 100.0 * r.iter().map(|o| o.3).sum::<usize>() as f64 / points;
        if model == Some(Model::SeasonalNaive) {
            base = (smape, mase);
        }
        println!(
            "{:16} sMAPE {smape:6.2}  MASE {mase:5.3}  cov80 {c80:4.1}  cov95 {c95:4.1}  {:6} ms",
            model.map_or("auto", |m| m.name()),
            t0.elapsed().as_millis()
        );
    }
    println!(
        "(ratios: divide by seasonal_naive's sMAPE {:.2} and MASE {:.3})",
        base.0, base.1
    );
}

#[test]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
fn m3_and_tourism_holdouts() {
    measure("m3_monthly.csv", 18, 12);
    measure("m3_quarterly.csv", 8, 4);
    measure("tourism_monthly.csv", 24, 12);
    measure("tourism_quarterly.csv", 8, 4);
}

#[test]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
fn speed_1000_series_of_36_months() {
    let Some(all) = load("m3_monthly.csv") else {
        return;
    };
    let cases: Vec<Vec<f64>> = all
        .iter()
        .filter(|y| y.len() >= 54)
        .take(1000)
        .map(|y| y[y.len() - 54..y.len() - 18].to_vec())
        .collect();
    let mut times = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        par(&cases, |y| {
            let opts = Options {
                horizon: 18,
                season: 12,
                model: None,
            };
            forecast(y, &opts).unwrap().mean.len()
        });
        times.push(t0.elapsed().as_millis());
    }
    times.sort_unstable();
    println!(
        "speed: {} series × 36, auto, 2 threads: median {} ms of 5",
        cases.len(),
        times[2]
    );
}
