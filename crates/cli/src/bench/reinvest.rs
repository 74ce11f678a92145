//! `bench reinvest`: the reinvestment step of a large distribution with mixed elections,
//! against a raw load of the same rows.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clearway_core::distribution::{plan_lines, Allocation, Kind, Schedule, Status};
use clearway_core::reinvestment::{Election, Percentage};
use clearway_core::{allocation::ComponentRatios, Currency};
use clearway_server::demo;
use clearway_store::distributions::{self as store, NewDistribution};
use clearway_store::reinvestment::{self as rstore, ElectionImport};
use clearway_store::testing::{self, fresh_database, Check, Fresh};
use clearway_store::{funds, Actor, Db, DbOptions};
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::Decimal;
use serde_json::json;

use super::{median, ms};

/// Record and payable dates of the benchmark's monthly distributions (payable dates are
/// business days, so the demo NAV is EXACT).
pub(super) const REINVEST_MONTHS: [(&str, &str); 8] = [
    ("2026-03-16", "2026-03-31"),
    ("2026-04-16", "2026-04-30"),
    ("2026-05-15", "2026-05-29"),
    ("2026-06-16", "2026-06-30"),
    ("2026-07-16", "2026-07-31"),
    ("2026-08-17", "2026-08-31"),
    ("2026-09-16", "2026-09-30"),
    ("2026-10-16", "2026-10-30"),
];

pub(super) async fn reinvest(
    database_url: Option<&str>,
    lines: usize,
    runs: usize,
    roc: &str,
) -> Result<()> {
    let roc = check_args(lines, runs, roc)?;
    let setup = setup(database_url, lines).await?;
    println!(
        "backend: {:?}, lines: {lines}, elections: {} (CASH/AUTOMATIC/PARTIAL/ALTERNATIVE) + organization default, return of capital {roc} of each line",
        setup.db.backend(),
        setup.elections
    );
    let (mut ours, mut raw, reinvested) = timed_runs(&setup, runs, roc).await?;
    let check = testing::count(&setup.db, Check::UntiedLines).await?;
    if check != 0 {
        bail!("{check} lines unsettled or not tied out");
    }
    let (ours_median, raw_median) = (median(&mut ours), median(&mut raw));
    println!(
        "reinvest {lines} lines ({reinvested} reinvestments + lots + holdings{}) x{runs}: median {} (min {}, max {})",
        if roc.is_zero() { String::new() } else { format!(", ROC {roc} of every line against its lots") },
        ms(ours_median),
        ms(*ours.iter().min().context("runs")?),
        ms(*ours.iter().max().context("runs")?),
    );
    println!(
        "baseline raw bulk load of the same rows: median {} -> ratio {:.2}x",
        ms(raw_median),
        ours_median.as_secs_f64() / raw_median.as_secs_f64()
    );
    setup.fresh.drop_database().await;
    Ok(())
}

/// Validates `--runs` and `--lines` and parses `--roc`.
fn check_args(lines: usize, runs: usize, roc: &str) -> Result<Decimal> {
    if runs == 0 || runs + 1 > REINVEST_MONTHS.len() {
        bail!("--runs must be between 1 and {}", REINVEST_MONTHS.len() - 1);
    }
    if lines == 0 {
        bail!("--lines must be at least 1");
    }
    let roc: Decimal = roc.parse().context("--roc must be a decimal such as 0.2")?;
    if roc < Decimal::ZERO || roc > Decimal::ONE {
        bail!("--roc must be between 0 and 1");
    }
    Ok(roc)
}

/// The seeded database, the actors the benchmark works as and its funds.
struct Setup {
    fresh: Fresh,
    db: Db,
    operator: Actor,
    approver: Actor,
    system: Actor,
    fund_id: String,
    /// The baseline's rows go to a fund of their own, so they never feed the next run.
    scratch_fund: String,
    /// How many elections were imported.
    elections: usize,
}

/// A fresh database seeded with `lines` investors, their mixed elections and the
/// baseline's scratch fund.
async fn setup(database_url: Option<&str>, lines: usize) -> Result<Setup> {
    let fresh = fresh_database(database_url, &DbOptions { max_connections: 8 })
        .await
        .context("creating a fresh database")?;
    let db = fresh.db.clone();
    let bar = ProgressBar::new_spinner();
    bar.set_message(format!("seeding {lines} investors with lots and elections"));
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut options = demo::Options::demo(lines);
    options.history = false;
    options.elections = false;
    let seeded = demo::seed(&db, &options).await?;
    let actor = |role: clearway_core::access::Role, user: &str| Actor {
        user_id: seeded.user_ids[user].clone(),
        org_id: seeded.org_id.clone(),
        role,
        investor_id: None,
    };
    let operator = actor(clearway_core::access::Role::Operator, "operator");
    let approver = actor(clearway_core::access::Role::Approver, "approver");
    let system = Actor::system(&seeded.org_id);
    let items = mixed_elections(&seeded);
    let mut tx = db.begin().await?;
    rstore::import_elections(&mut tx, &operator, &items).await?;
    // The baseline's rows go to a fund of their own, so they never feed the next run.
    let scratch_fund = funds::create_fund(
        &mut tx,
        &operator,
        &funds::NewFund {
            code: "BENCH-RAW",
            name: "Benchmark baseline rows",
            kind: clearway_core::distribution::FundKind::OpenEnd,
            currency: Currency::USD,
            share_precision: 4,
        },
    )
    .await?;
    tx.commit().await?;
    bar.finish_and_clear();
    Ok(Setup {
        fresh,
        db,
        operator,
        approver,
        system,
        fund_id: seeded.open_fund_id.clone(),
        scratch_fund,
        elections: items.len(),
    })
}

/// Mixed elections: 20 % each CASH, AUTOMATIC, PARTIAL (odd percentages), ALTERNATIVE
/// (money-market fund), and no election (organization default: CASH).
fn mixed_elections(seeded: &demo::Seeded) -> Vec<ElectionImport> {
    let odd = ["37.5", "12.345678", "66.6667", "0.5"];
    seeded
        .investor_ids
        .iter()
        .enumerate()
        .filter_map(|(i, investor)| {
            let election = match i % 5 {
                0 => Election::Cash,
                1 => Election::Automatic,
                2 => Election::Partial(Percentage::parse("p", odd[(i / 5) % odd.len()]).ok()?),
                3 => Election::Alternative {
                    target_fund_id: seeded.mmf_fund_id.clone(),
                    percentage: Percentage::HUNDRED,
                },
                _ => return None,
            };
            Some(ElectionImport {
                investor_id: investor.clone(),
                fund_id: seeded.open_fund_id.clone(),
                election,
                effective_date: "2026-01-01".parse().ok()?,
            })
        })
        .collect()
}

/// `runs` timed reinvestment steps after one warm-up: our step's and the raw baseline's
/// times, and how many reinvestments the last step wrote.
async fn timed_runs(
    setup: &Setup,
    runs: usize,
    roc: Decimal,
) -> Result<(Vec<Duration>, Vec<Duration>, usize)> {
    let bar = ProgressBar::new((runs + 1) as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:40} {pos}/{len}")?);
    bar.set_message("reinvestment step");
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    let mut reinvested = 0usize;
    for (i, (record, payable)) in REINVEST_MONTHS.iter().take(runs + 1).enumerate() {
        let d = processing_distribution(
            &setup.db,
            &setup.operator,
            &setup.approver,
            &setup.fund_id,
            record,
            payable,
            roc,
        )
        .await?;
        // What the step will write, planned untimed (rolled back), for the baseline.
        let mut tx = setup.db.begin().await?;
        let writes = clearway_app::reinvestment::step::plan(&mut tx, &setup.system, &d)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        drop(tx);
        let ours_elapsed = time_step(setup, &d).await?;
        let (raw_elapsed, rows) = time_raw_load(setup, &writes).await?;
        reinvested = writes.reinvestments.len();
        if i >= 1 {
            ours.push(ours_elapsed);
            raw.push(raw_elapsed);
        }
        tracing::info!(
            run = i,
            rows,
            ours_ms = ours_elapsed.as_millis() as u64,
            raw_ms = raw_elapsed.as_millis() as u64,
            "reinvest run"
        );
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((ours, raw, reinvested))
}

/// Ours: the whole step (reads, computation, writes, line settlement, checks) + commit.
async fn time_step(setup: &Setup, d: &store::Distribution) -> Result<Duration> {
    let started = Instant::now();
    let mut tx = setup.db.begin().await?;
    clearway_app::reinvestment::step(&mut tx, &setup.system, d)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let stepped = started.elapsed();
    tx.commit().await?;
    let ours_elapsed = started.elapsed();
    tracing::debug!(
        commit_ms = (ours_elapsed - stepped).as_millis() as u64,
        "reinvest run commit"
    );
    Ok(ours_elapsed)
}

/// Baseline: the same rows bulk-loaded raw (under another distribution id and holdings
/// date, so keys do not collide) + commit. Returns the time and the number of rows.
async fn time_raw_load(setup: &Setup, writes: &rstore::Writes) -> Result<(Duration, usize)> {
    let scratch_fund = &setup.scratch_fund;
    let fake_id = clearway_store::new_id();
    let mut baseline = writes.clone();
    for h in &mut baseline.holdings {
        h.exists = false;
        h.fund_id = scratch_fund.clone();
    }
    for l in &mut baseline.lots {
        l.id = clearway_store::new_id();
        l.fund_id = scratch_fund.clone();
    }
    for r in &mut baseline.reinvestments {
        r.fund_id = scratch_fund.clone();
    }
    for a in &mut baseline.adjustments {
        a.fund_id = scratch_fund.clone();
    }
    for r in &mut baseline.roc {
        r.fund_id = scratch_fund.clone();
    }
    let ctx = rstore::Context {
        distribution_id: &fake_id,
    };
    let rows = rstore::rows(&setup.system, &ctx, &baseline);
    let started = Instant::now();
    let mut tx = setup.db.begin().await?;
    rstore::insert_rows(&mut tx, &setup.system, &rows).await?;
    tx.commit().await?;
    Ok((started.elapsed(), rows.len()))
}

/// A pro-rata distribution (`roc` of it return of capital) taken to PROCESSING through the
/// store, untimed.
pub(super) async fn processing_distribution(
    db: &clearway_store::Db,
    operator: &Actor,
    approver: &Actor,
    fund_id: &str,
    record: &str,
    payable: &str,
    roc: rust_decimal::Decimal,
) -> Result<store::Distribution> {
    use clearway_core::distribution::{Action, ComponentKind};
    let schedule = Schedule {
        declaration: "2026-03-02".parse()?,
        ex: None,
        record: record.parse()?,
        payable: payable.parse()?,
    };
    let mut tx = db.begin().await?;
    let holdings = funds::holdings_as_of(&mut tx, operator, fund_id, schedule.record).await?;
    let mut parts = vec![(
        ComponentKind::OrdinaryDividend,
        rust_decimal::Decimal::ONE - roc,
    )];
    if !roc.is_zero() {
        parts.push((ComponentKind::ReturnOfCapital, roc));
    }
    let ratios = ComponentRatios::new(parts).map_err(anyhow::Error::msg)?;
    let allocation = Allocation::ProRata {
        total: 1_234_567_891,
        ratios,
    };
    let lines = plan_lines(Currency::USD, &allocation, &holdings, &Default::default())?;
    let new = NewDistribution {
        fund_id: fund_id.to_string(),
        kind: Kind::Regular,
        status: Status::Draft,
        currency: Currency::USD,
        schedule,
        description: "bench reinvest".into(),
        allocation: json!({ "method": "pro_rata" }),
        reverses_id: None,
        corrects_id: None,
        reason: None,
    };
    let mut d = store::insert(&mut tx, operator, &new, &lines).await?;
    for (actor, action) in [
        (operator, Action::MarkReady),
        (approver, Action::Approve),
        (operator, Action::Process),
    ] {
        d = store::transition(&mut tx, actor, &d, action).await?;
    }
    tx.commit().await?;
    Ok(d)
}
