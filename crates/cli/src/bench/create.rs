//! `bench create`: allocating and persisting a pro-rata distribution, against a raw bulk load of
//! the same rows.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clearway_core::distribution::{plan_lines, Allocation, Kind, PlannedLine, Schedule, Status};
use clearway_core::{allocation::ComponentRatios, Currency};
use clearway_server::Config;
use clearway_store::distributions::{self as store, NewDistribution};
use clearway_store::{funds, Actor, Tx};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use super::{median, ms, percentile, pro_rata_body, setup, Setup};

pub(super) async fn create(
    database_url: Option<&str>,
    investors: usize,
    runs: usize,
) -> Result<()> {
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    let s = setup(database_url, investors, Config::default()).await?;
    let mut api = time_api_creates(&s, investors, runs).await?;

    // Persistence: our store path vs a raw bulk load of the very same rows.
    let (operator, new, lines) = planned_distribution(&s).await?;
    let (mut ours, mut raw) = time_persistence(&s, &operator, &new, &lines, runs).await?;
    let (api_median, api_p95) = (median(&mut api), percentile(&mut api, 0.95));
    let (ours_median, raw_median) = (median(&mut ours), median(&mut raw));
    println!(
        "create via HTTP ({investors} lines, {runs} runs): median {} p95 {}",
        ms(api_median),
        ms(api_p95)
    );
    println!(
        "persist lines: ours median {} vs raw bulk insert median {} -> ratio {:.2}x",
        ms(ours_median),
        ms(raw_median),
        ours_median.as_secs_f64() / raw_median.as_secs_f64()
    );
    report_wal(&s).await;
    s.finish().await;
    Ok(())
}

/// The SQLite WAL's size right after the run and a second later (the checkpointer's doing).
async fn report_wal(s: &Setup) {
    let mib = |b: Option<u64>| {
        b.map_or("-".to_string(), |b| {
            format!("{:.1} MiB", b as f64 / 1_048_576.0)
        })
    };
    if s.fresh.db.backend() != clearway_store::Backend::Sqlite {
        return;
    }
    let at_end = s.fresh.db.wal_bytes();
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!(
        "SQLite WAL: {} at the end of the run, {} one second later",
        mib(at_end),
        mib(s.fresh.db.wal_bytes())
    );
}

/// `runs` timed `POST /api/distributions` (after two warm-ups), each checked for its
/// line count and total.
async fn time_api_creates(s: &Setup, investors: usize, runs: usize) -> Result<Vec<Duration>> {
    let body = pro_rata_body(&s.seeded.open_fund_id, "2026-03-16");
    let mut api = Vec::new();
    let bar = ProgressBar::new((runs + 2) as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:40} {pos}/{len}")?);
    bar.set_message("POST /api/distributions");
    for i in 0..runs + 2 {
        let started = Instant::now();
        let resp = s
            .client
            .post(format!("{}/api/distributions", s.base))
            .bearer_auth(&s.seeded.tokens.operator)
            .json(&body)
            .send()
            .await?;
        let elapsed = started.elapsed();
        if resp.status() != 201 {
            bail!("create failed: {} {}", resp.status(), resp.text().await?);
        }
        let created: Value = resp.json().await?;
        if created["lineCount"].as_i64() != Some(investors as i64)
            || created["totalAmount"] != "1000000.01"
        {
            bail!("unexpected creation result: {created}");
        }
        if i >= 2 {
            api.push(elapsed);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(api)
}

/// The operator, and a pro-rata draft with its planned lines over the open fund's holdings.
async fn planned_distribution(s: &Setup) -> Result<(Actor, NewDistribution, Vec<PlannedLine>)> {
    let operator = Actor {
        user_id: s.seeded.user_ids["operator"].clone(),
        org_id: s.seeded.org_id.clone(),
        role: clearway_core::access::Role::Operator,
        investor_id: None,
    };
    let mut tx = s.fresh.db.begin().await?;
    let date = |t: &str| t.parse::<chrono::NaiveDate>();
    let schedule = Schedule {
        declaration: date("2026-03-02")?,
        ex: None,
        record: date("2026-03-16")?,
        payable: date("2026-03-31")?,
    };
    let holdings =
        funds::holdings_as_of(&mut tx, &operator, &s.seeded.open_fund_id, schedule.record).await?;
    drop(tx);
    let allocation = Allocation::ProRata {
        total: 100_000_001,
        ratios: ComponentRatios::all_ordinary(),
    };
    let lines = plan_lines(Currency::USD, &allocation, &holdings, &Default::default())?;
    let new = NewDistribution {
        fund_id: s.seeded.open_fund_id.clone(),
        kind: Kind::Regular,
        status: Status::Draft,
        currency: Currency::USD,
        schedule,
        description: "bench".into(),
        allocation: json!({}),
        reverses_id: None,
        corrects_id: None,
        reason: None,
    };
    Ok((operator, new, lines))
}

/// `runs` timed inserts of the distribution through the store, and of the same rows as a
/// raw bulk load (after two warm-ups of each).
async fn time_persistence(
    s: &Setup,
    operator: &Actor,
    new: &NewDistribution,
    lines: &[PlannedLine],
    runs: usize,
) -> Result<(Vec<Duration>, Vec<Duration>)> {
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for i in 0..runs + 2 {
        let started = Instant::now();
        let mut tx = s.fresh.db.begin().await?;
        store::insert(&mut tx, operator, new, lines).await?;
        tx.commit().await?;
        let ours_elapsed = started.elapsed();
        // The raw baseline loads the same rows under a header inserted beforehand (untimed).
        let mut tx = s.fresh.db.begin().await?;
        let header = store::insert(&mut tx, operator, new, &[]).await?;
        tx.commit().await?;
        let rows = raw_rows(&header.id, &s.seeded.org_id, lines);
        let started = Instant::now();
        let mut tx = s.fresh.db.begin().await?;
        raw_bulk_insert(&mut tx, &rows).await?;
        tx.commit().await?;
        let raw_elapsed = started.elapsed();
        if i >= 2 {
            ours.push(ours_elapsed);
            raw.push(raw_elapsed);
        }
    }
    Ok((ours, raw))
}

/// The line rows exactly as stored, pre-rendered for the raw baseline.
fn raw_rows(distribution_id: &str, org_id: &str, lines: &[PlannedLine]) -> Vec<[String; 14]> {
    lines
        .iter()
        .map(|l| {
            let c = &l.components;
            [
                distribution_id.to_string(),
                org_id.to_string(),
                l.investor_id.clone(),
                l.units
                    .map(|u| u.normalize().to_string())
                    .unwrap_or_default(),
                l.total.to_string(),
                c.ordinary_dividend.to_string(),
                c.qualified_dividend.to_string(),
                c.short_term_gain.to_string(),
                c.long_term_gain.to_string(),
                c.return_of_capital.to_string(),
                c.interest.to_string(),
                c.foreign_tax.to_string(),
                c.withholding.to_string(),
                "PENDING".to_string(),
            ]
        })
        .collect()
}

const RAW_COLUMNS: &str = "distribution_id, org_id, investor_id, units, total_minor, ordinary_minor, qualified_minor, st_gain_minor, lt_gain_minor, roc_minor, interest_minor, foreign_tax_minor, withholding_minor, status";

/// Pre-rendered line rows, written as they are into the load (integer columns as integers,
/// like the store binds them).
struct RawLines<'a>(&'a [[String; 14]]);

impl clearway_store::db::RowSource for RawLines<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn write<S: clearway_store::db::RowSink>(&self, at: usize, sink: &mut S) {
        for (i, v) in self.0[at].iter().enumerate() {
            if (4..13).contains(&i) {
                sink.int(v.parse().unwrap_or_default());
            } else {
                sink.text(v);
            }
        }
        sink.end_row();
    }
}

/// COPY of the pre-rendered text on PostgreSQL (nothing to escape, nothing to parse); on
/// SQLite the store's own bulk load of those rows (one prepared INSERT stepped per row through
/// the C API, the fastest path it has), with none of the step around it.
async fn raw_bulk_insert(tx: &mut Tx, rows: &[[String; 14]]) -> Result<()> {
    match tx.raw_postgres() {
        Some(pg) => {
            let mut text = String::with_capacity(rows.len() * 160);
            for r in rows {
                text.push_str(&r.join("\t"));
                text.push('\n');
            }
            // benchmark baseline: a raw COPY outside the store on purpose, to measure against.
            let mut copy = pg
                .copy_in_raw(&format!(
                    "COPY distribution_lines ({RAW_COLUMNS}) FROM STDIN"
                ))
                .await?;
            copy.send(text.into_bytes()).await?;
            copy.finish().await?;
        }
        None => {
            let columns: Vec<&str> = RAW_COLUMNS.split(", ").collect();
            tx.bulk_load("distribution_lines", &columns, &RawLines(rows))
                .await?;
        }
    }
    Ok(())
}
