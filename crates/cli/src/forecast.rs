//! `clearway forecast eval`: holds out the last H points of every series of a long-format
//! file (`unique_id,ds,y`, the Nixtla convention), forecasts them and scores the forecasts
//! (MAPE, sMAPE, MASE per series, their means, the share of series with MAPE < 15 %, and the
//! holdout coverage of the 80 % and 95 % intervals). Parallel over series.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::Subcommand;
use clearway_core::forecast::metrics::{self, Scores};
use clearway_core::forecast::select::{self, Options};
use clearway_core::forecast::{Model, MAX_HORIZON, MAX_SEASON};
use indicatif::{ProgressBar, ProgressStyle};

/// What to do.
#[derive(Subcommand)]
pub enum Which {
    /// Hold out the last H points of each series, forecast them, write per-series scores.
    Eval {
        /// Long-format CSV with columns unique_id, ds, y (others ignored; a `split` column
        /// too: the holdout is always the last H points). ds is an integer or a YYYY-MM-DD date.
        #[arg(long)]
        input: PathBuf,
        /// Points held out and forecast (1..=120).
        #[arg(long)]
        horizon: usize,
        /// Season length: 12 monthly, 4 quarterly, 1 none.
        #[arg(long, default_value_t = 1)]
        season: usize,
        /// auto (chosen per series by backtest) or one model: naive, seasonal_naive, ets,
        /// theta, optimized_theta, croston, sba, tsb, ensemble.
        #[arg(long, default_value = "auto")]
        model: String,
        /// Where the per-series scores go (CSV: unique_id,model,mape,smape,mase).
        #[arg(long)]
        out: PathBuf,
        /// Worker threads (default: the available parallelism).
        #[arg(long)]
        threads: Option<usize>,
    },
}

pub fn run(which: Which) -> Result<()> {
    match which {
        Which::Eval {
            input,
            horizon,
            season,
            model,
            out,
            threads,
        } => eval(&input, horizon, season, &model, &out, threads),
    }
}

/// One series, in ds order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub id: String,
    pub y: Vec<f64>,
}

/// A `ds` value: an index or a date (one kind per file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Ds {
    Index(i64),
    Date(NaiveDate),
}

fn parse_ds(s: &str) -> Option<Ds> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(Ds::Index(i));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(Ds::Date)
}

/// Reads a long-format file strictly: a missing column, a row without enough fields, a
/// non-numeric or non-finite y, a ds that is neither an integer nor a date (or a mix of the
/// two) and a ds repeated within a series are errors naming the line. Rows are sorted by ds.
pub fn read_long(path: &Path) -> Result<Vec<Series>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_long(&text).with_context(|| format!("{}", path.display()))
}

fn fields(line: &str) -> Vec<&str> {
    line.split(',')
        .map(|f| f.trim().trim_matches('"'))
        .collect()
}

pub fn parse_long(text: &str) -> Result<Vec<Series>> {
    let mut lines = text.lines().enumerate();
    let header = match lines.next() {
        Some((_, h)) => fields(h.trim_start_matches('\u{feff}')),
        None => bail!("the file is empty"),
    };
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .with_context(|| format!("missing column {name} (the header is {})", header.join(",")))
    };
    let (c_id, c_ds, c_y) = (col("unique_id")?, col("ds")?, col("y")?);
    let need = c_id.max(c_ds).max(c_y) + 1;
    let mut order: Vec<String> = Vec::new();
    let mut rows: HashMap<String, Vec<(Ds, f64, usize)>> = HashMap::new();
    let mut kind: Option<std::mem::Discriminant<Ds>> = None;
    for (i, line) in lines {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let f = fields(line);
        if f.len() < need {
            bail!("line {n}: {} fields, the header names {need}", f.len());
        }
        let ds = parse_ds(f[c_ds]).with_context(|| {
            format!(
                "line {n}: ds {:?} is neither an integer nor a date",
                f[c_ds]
            )
        })?;
        if *kind.get_or_insert(std::mem::discriminant(&ds)) != std::mem::discriminant(&ds) {
            bail!("line {n}: ds {:?} mixes dates and integers", f[c_ds]);
        }
        let y: f64 = f[c_y]
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .with_context(|| format!("line {n}: y {:?} is not a number", f[c_y]))?;
        let id = f[c_id];
        if id.is_empty() {
            bail!("line {n}: unique_id is empty");
        }
        let entry = rows.entry(id.to_string()).or_insert_with(|| {
            order.push(id.to_string());
            Vec::new()
        });
        entry.push((ds, y, n));
    }
    let mut out = Vec::with_capacity(order.len());
    for id in order {
        let mut r = rows.remove(&id).expect("every id has rows");
        r.sort_by_key(|(ds, _, _)| *ds);
        if let Some(w) = r.windows(2).find(|w| w[0].0 == w[1].0) {
            bail!(
                "line {}: series {id} has ds {} twice (also line {})",
                w[1].2.max(w[0].2),
                show(w[0].0),
                w[1].2.min(w[0].2)
            );
        }
        out.push(Series {
            id,
            y: r.into_iter().map(|(_, y, _)| y).collect(),
        });
    }
    Ok(out)
}

fn show(ds: Ds) -> String {
    match ds {
        Ds::Index(i) => i.to_string(),
        Ds::Date(d) => d.to_string(),
    }
}

/// One series' holdout result.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub model: Model,
    pub scores: Scores,
    /// Holdout points inside the 80 % and 95 % intervals, of `points`.
    pub in80: usize,
    pub in95: usize,
    pub points: usize,
}

/// Forecasts the last `h` points of each series from the rest with `model` (`None`: auto),
/// on `threads` threads, ticking `bar` per series. Series shorter than h + 1 must be left out
/// by the caller.
pub fn evaluate(
    series: &[Series],
    h: usize,
    season: usize,
    model: Option<Model>,
    threads: usize,
    bar: &ProgressBar,
) -> Result<Vec<Row>> {
    let next = AtomicUsize::new(0);
    let failed: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let mut rows: Vec<(usize, Row)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(one) = series.get(i) else { break };
                        match evaluate_one(one, h, season, model) {
                            Ok(r) => mine.push((i, r)),
                            Err(e) => {
                                failed.lock().expect("not poisoned").get_or_insert(e);
                                break;
                            }
                        }
                        bar.inc(1);
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker panicked"))
            .collect()
    });
    if let Some(e) = failed.into_inner().expect("not poisoned") {
        return Err(e);
    }
    rows.sort_by_key(|(i, _)| *i);
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

fn evaluate_one(s: &Series, h: usize, season: usize, model: Option<Model>) -> Result<Row> {
    let (train, test) = s.y.split_at(s.y.len() - h);
    let f = select::forecast(
        train,
        &Options {
            horizon: h,
            season,
            model,
        },
    )
    .with_context(|| format!("series {}", s.id))?;
    let iv = &f.intervals;
    let inside = |lo: &[f64], hi: &[f64]| {
        (0..h)
            .filter(|&j| lo[j] <= test[j] && test[j] <= hi[j])
            .count()
    };
    Ok(Row {
        id: s.id.clone(),
        model: f.model,
        scores: metrics::score(train, test, &f.mean, season),
        in80: inside(&iv.lower80, &iv.upper80),
        in95: inside(&iv.lower95, &iv.upper95),
        points: h,
    })
}

/// Means over the series where each score is defined.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub series: usize,
    pub mape: Option<f64>,
    pub mape_series: usize,
    pub smape: Option<f64>,
    pub mase: Option<f64>,
    pub mase_series: usize,
    /// Share of series (with a MAPE) whose MAPE is below 15 %.
    pub under15: Option<f64>,
    pub coverage80: Option<f64>,
    pub coverage95: Option<f64>,
}

pub fn summarise(rows: &[Row]) -> Summary {
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let mape: Vec<f64> = rows.iter().filter_map(|r| r.scores.mape).collect();
    let smape: Vec<f64> = rows.iter().filter_map(|r| r.scores.smape).collect();
    let mase: Vec<f64> = rows.iter().filter_map(|r| r.scores.mase).collect();
    let points: usize = rows.iter().map(|r| r.points).sum();
    let share = |k: usize| (points > 0).then(|| k as f64 / points as f64);
    Summary {
        series: rows.len(),
        mape: mean(&mape),
        mape_series: mape.len(),
        smape: mean(&smape),
        mase: mean(&mase),
        mase_series: mase.len(),
        under15: (!mape.is_empty())
            .then(|| mape.iter().filter(|m| **m < 15.0).count() as f64 / mape.len() as f64),
        coverage80: share(rows.iter().map(|r| r.in80).sum()),
        coverage95: share(rows.iter().map(|r| r.in95).sum()),
    }
}

/// A number with `d` decimals, or `–`.
pub fn fmt(v: Option<f64>, d: usize) -> String {
    v.map_or("–".into(), |v| format!("{v:.d$}"))
}

/// Parses `auto` or a model name.
pub fn parse_model(name: &str) -> Result<Option<Model>> {
    if name == "auto" {
        return Ok(None);
    }
    match Model::parse(name) {
        Some(m) => Ok(Some(m)),
        None => bail!(
            "unknown model {name:?}: auto, {}",
            Model::ALL.map(|m| m.name()).join(", ")
        ),
    }
}

/// Splits off the series too short to hold out `h` points and keep one, with their ids.
pub fn long_enough(series: Vec<Series>, h: usize) -> (Vec<Series>, Vec<String>) {
    let (ok, short): (Vec<_>, Vec<_>) = series.into_iter().partition(|s| s.y.len() > h);
    (ok, short.into_iter().map(|s| s.id).collect())
}

pub fn threads(asked: Option<usize>) -> usize {
    asked
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

fn eval(
    input: &Path,
    h: usize,
    season: usize,
    model: &str,
    out: &Path,
    threads_asked: Option<usize>,
) -> Result<()> {
    if h == 0 || h > MAX_HORIZON {
        bail!("--horizon must be between 1 and {MAX_HORIZON}, not {h}");
    }
    if season == 0 || season > MAX_SEASON {
        bail!("--season must be between 1 and {MAX_SEASON}, not {season}");
    }
    let model = parse_model(model)?;
    let started = Instant::now();
    let (series, short) = long_enough(read_long(input)?, h);
    if !short.is_empty() {
        let shown: Vec<&str> = short.iter().take(10).map(String::as_str).collect();
        eprintln!(
            "skipped {} series with {} points or fewer (too short to hold out {h}): {}{}",
            short.len(),
            h,
            shown.join(", "),
            if short.len() > 10 { ", …" } else { "" }
        );
    }
    let bar = ProgressBar::new(series.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} series {elapsed_precise} eta {eta}")
            .expect("a valid template"),
    );
    let rows = evaluate(&series, h, season, model, threads(threads_asked), &bar)?;
    bar.finish_and_clear();
    write_rows(out, &rows)?;
    let s = summarise(&rows);
    println!("series: {} (skipped {})", s.series, short.len());
    println!(
        "MAPE:  {} % (mean of {} series; undefined where an actual is 0)",
        fmt(s.mape, 2),
        s.mape_series
    );
    println!("sMAPE: {} %", fmt(s.smape, 2));
    println!(
        "MASE:  {} (mean of {} series)",
        fmt(s.mase, 3),
        s.mase_series
    );
    println!(
        "MAPE < 15 %: {} % of series",
        fmt(s.under15.map(|v| 100.0 * v), 1)
    );
    println!(
        "interval coverage on the holdout: 80 % → {} %, 95 % → {} %",
        fmt(s.coverage80.map(|v| 100.0 * v), 1),
        fmt(s.coverage95.map(|v| 100.0 * v), 1)
    );
    println!("time: {} ms", started.elapsed().as_millis());
    Ok(())
}

fn write_rows(out: &Path, rows: &[Row]) -> Result<()> {
    let mut text = String::from("unique_id,model,mape,smape,mase\n");
    let cell = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    for r in rows {
        text.push_str(&format!(
            "{},{},{},{},{}\n",
            r.id,
            r.model.name(),
            cell(r.scores.mape),
            cell(r.scores.smape),
            cell(r.scores.mase)
        ));
    }
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sorts_and_ignores_extra_columns() {
        let s =
            parse_long("unique_id,ds,y,split\na,2,2.0,train\na,1,1.0,test\nb,1,5,train\n").unwrap();
        assert_eq!(s[0].y, vec![1.0, 2.0]);
        assert_eq!(
            s[1],
            Series {
                id: "b".into(),
                y: vec![5.0]
            }
        );
        let d = parse_long("ds,y,unique_id\n2024-02-01,2,x\n2024-01-01,1,x\n").unwrap();
        assert_eq!(d[0].y, vec![1.0, 2.0]);
    }

    #[test]
    fn refuses_bad_files_with_one_line_reasons() {
        let err = |t: &str| parse_long(t).unwrap_err().to_string();
        assert!(err("unique_id,ds\na,1\n").contains("missing column y"));
        assert!(err("unique_id,ds,y\na,1,abc\n").contains("line 2: y \"abc\" is not a number"));
        assert!(err("unique_id,ds,y\na,1,1\na,1,2\n").contains("has ds 1 twice"));
        assert!(err("unique_id,ds,y\na,1,1\na,2024-01-01,2\n").contains("mixes"));
        assert!(err("unique_id,ds,y\na,x,1\n").contains("neither an integer nor a date"));
        assert!(err("unique_id,ds,y\na,1\n").contains("fields"));
        assert!(err("unique_id,ds,y\na,1,NaN\n").contains("not a number"));
    }

    #[test]
    fn evaluates_and_skips_short_series() {
        let series = vec![
            Series {
                id: "flat".into(),
                y: vec![2.0; 30],
            },
            Series {
                id: "short".into(),
                y: vec![1.0; 3],
            },
        ];
        let (ok, short) = long_enough(series, 3);
        assert_eq!(short, vec!["short".to_string()]);
        let rows = evaluate(&ok, 3, 12, None, 2, &ProgressBar::hidden()).unwrap();
        assert_eq!(rows[0].model, Model::Naive);
        assert_eq!(rows[0].scores.mape, Some(0.0));
        let s = summarise(&rows);
        assert_eq!(s.under15, Some(1.0));
        assert_eq!(s.coverage95, Some(1.0));
    }
}
