//! `bench forecast`: accuracy of the automatic selection and of every single model on the M3
//! and Tourism holdouts (mean sMAPE and MASE, and the ratio to SeasonalNaive measured in the
//! same run), then the speed case: 1,000 monthly series of 36 points (the last 36 training
//! points of M3 monthly series) forecast 18 ahead with backtest selection, median of runs.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clearway_core::forecast::Model;
use indicatif::ProgressBar;

use super::{median, ms};
use crate::forecast::{evaluate, fmt, long_enough, read_long, summarise, threads, Series};

/// A data set of the benchmark: file, horizon, season.
const SETS: [(&str, usize, usize); 4] = [
    ("m3_monthly.csv", 18, 12),
    ("m3_quarterly.csv", 8, 4),
    ("tourism_monthly.csv", 24, 12),
    ("tourism_quarterly.csv", 8, 4),
];

pub(super) fn forecast(data_dir: &Path, runs: usize, threads_asked: Option<usize>) -> Result<()> {
    let threads = threads(threads_asked);
    println!("threads: {threads}; data: {}", data_dir.display());
    let mut monthly: Vec<Series> = Vec::new();
    for (file, h, m) in SETS {
        let path = data_dir.join(file);
        if !path.exists() {
            bail!("{} is missing (give --data-dir)", path.display());
        }
        let (series, short) = long_enough(read_long(&path)?, h);
        println!(
            "\n{file}: {} series, h={h}, m={m}{}",
            series.len(),
            if short.is_empty() {
                String::new()
            } else {
                format!(" ({} too short, skipped)", short.len())
            }
        );
        accuracy(&series, h, m, threads)?;
        if file == "m3_monthly.csv" {
            monthly = series;
        }
    }
    speed(&monthly, runs, threads)
}

/// The table of one data set: auto, then every model, with ratios to SeasonalNaive.
fn accuracy(series: &[Series], h: usize, m: usize, threads: usize) -> Result<()> {
    let mut models: Vec<Option<Model>> = vec![None];
    models.extend(Model::ALL.map(Some));
    let mut table = Vec::new();
    for model in &models {
        let started = Instant::now();
        let rows = evaluate(series, h, m, *model, threads, &ProgressBar::hidden())?;
        table.push((*model, summarise(&rows), started.elapsed()));
    }
    let base = table
        .iter()
        .find(|(m, _, _)| *m == Some(Model::SeasonalNaive))
        .map(|(_, s, _)| s.clone())
        .unwrap_or_default();
    println!(
        "{:16} {:>7} {:>6} {:>7} {:>6} {:>6} {:>6} {:>8}",
        "model", "sMAPE", "ratio", "MASE", "ratio", "cov80", "cov95", "time"
    );
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    for (model, s, took) in &table {
        println!(
            "{:16} {:>7} {:>6} {:>7} {:>6} {:>6} {:>6} {:>8}",
            model.map_or("auto", |m| m.name()),
            fmt(s.smape, 2),
            fmt(ratio(s.smape, base.smape), 3),
            fmt(s.mase, 3),
            fmt(ratio(s.mase, base.mase), 3),
            fmt(s.coverage80.map(|v| 100.0 * v), 1),
            fmt(s.coverage95.map(|v| 100.0 * v), 1),
            ms(*took)
        );
    }
    Ok(())
}

/// 1,000 series × 36 points with backtest selection, 18 ahead: median of `runs` (after one
/// warm-up).
fn speed(monthly: &[Series], runs: usize, threads: usize) -> Result<()> {
    let cases: Vec<Series> = monthly
        .iter()
        .filter(|s| s.y.len() >= 36 + 18)
        .take(1_000)
        .map(|s| {
            let train = &s.y[..s.y.len() - 18];
            Series {
                id: s.id.clone(),
                y: train[train.len() - 36..].to_vec(),
            }
        })
        .collect();
    // The evaluator holds out the last 18 points; forecasting all 36 is what is timed, so
    // the series get 18 placeholder points that are never read by the models.
    let padded: Vec<Series> = cases
        .iter()
        .map(|s| {
            let mut y = s.y.clone();
            y.extend(std::iter::repeat_n(0.0, 18));
            Series {
                id: s.id.clone(),
                y,
            }
        })
        .collect();
    let mut times: Vec<Duration> = Vec::new();
    for i in 0..=runs.max(1) {
        let started = Instant::now();
        evaluate(&padded, 18, 12, None, threads, &ProgressBar::hidden())?;
        if i > 0 {
            times.push(started.elapsed());
        }
    }
    println!(
        "\nspeed: {} series × 36 monthly points, auto selection (backtest), 18 ahead, {threads} threads: median {} of {} runs (target ≤ 1,000 ms)",
        cases.len(),
        ms(median(&mut times)),
        times.len()
    );
    Ok(())
}
