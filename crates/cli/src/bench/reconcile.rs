//! `clearway bench reconcile`: the whole reconciliation path on a real database.
//!
//! Per run, on a fresh database: N payments from the seeded simulator are written as SENT (or
//! COMPLETED) payments of completed distributions; the simulator's noisy statement is written
//! as a BAI2 file; the file is imported (parse + store, one transaction) and matched through
//! the store (load open lines and payments, pure engine, persist matches, settle every
//! payment with audit and outbox). Results are compared with the ground truth. The baseline
//! is the pure engine (`reconcile`) on the same generated data in the same run.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clearway_app::reconciliation::{self as app, ImportOptions};
use clearway_core::reconciliation::simulate::{evaluate, generate, Simulation};
use clearway_core::reconciliation::{
    reconcile, Decision, MatchConfig, Outcome, Payment, PaymentMethod, PaymentStatus,
    Reconciliation,
};
use clearway_server::demo;
use clearway_store::db::Arg;
use clearway_store::testing::fresh_database;
use clearway_store::{new_id, now_text, reconciliation, Actor, Db, DbOptions};
use indicatif::{ProgressBar, ProgressStyle};

use super::{median, ms};

/// Investors seeded per run; payments are spread over as many distributions as needed so
/// each (distribution, investor) has one live payment, as the payments table requires.
const INVESTORS_MAX: usize = 2_000;

struct RunResult {
    import: Duration,
    matching: Duration,
    pure: Duration,
    lines: usize,
    rate_ppm: u64,
    false_matches: u64,
    matchable: u64,
    exceptions: i64,
}

const DISTRIBUTION_COLUMNS: [&str; 17] = [
    "id",
    "org_id",
    "fund_id",
    "kind",
    "status",
    "currency",
    "declaration_date",
    "record_date",
    "payable_date",
    "description",
    "allocation",
    "total_minor",
    "line_count",
    "created_by",
    "created_at",
    "updated_at",
    "version",
];

const LINE_COLUMNS: [&str; 13] = [
    "distribution_id",
    "org_id",
    "investor_id",
    "total_minor",
    "ordinary_minor",
    "qualified_minor",
    "st_gain_minor",
    "lt_gain_minor",
    "roc_minor",
    "interest_minor",
    "foreign_tax_minor",
    "withholding_minor",
    "status",
];

const PAYMENT_COLUMNS: [&str; 18] = [
    "id",
    "org_id",
    "distribution_id",
    "investor_id",
    "method",
    "status",
    "currency",
    "amount_minor",
    "fund_amount_minor",
    "payee_name",
    "trace_number",
    "end_to_end_id",
    "check_number",
    "batch_id",
    "expected_date",
    "cleared_date",
    "created_at",
    "updated_at",
];

/// Writes distributions, their lines and the simulated payments (bulk).
async fn write_payments(db: &Db, seeded: &demo::Seeded, sim: &Simulation) -> Result<()> {
    let per = seeded.investor_ids.len();
    let n = sim.payments.len();
    let dists: Vec<String> = (0..n.div_ceil(per)).map(|_| new_id()).collect();
    let now = now_text();
    let mut tx = db.begin().await?;
    let operator = &seeded.user_ids["operator"];
    let drows: Vec<Vec<Arg>> = dists
        .iter()
        .enumerate()
        .map(|(k, id)| {
            let members = &sim.payments[k * per..((k + 1) * per).min(n)];
            distribution_row(seeded, id, k, members, operator, &now)
        })
        .collect();
    tx.bulk_insert("distributions", &DISTRIBUTION_COLUMNS, &drows)
        .await?;
    let mut lrows: Vec<Vec<Arg>> = Vec::with_capacity(n);
    let mut prows: Vec<Vec<Arg>> = Vec::with_capacity(n);
    for (i, p) in sim.payments.iter().enumerate() {
        let dist = &dists[i / per];
        let investor = &seeded.investor_ids[i % per];
        let (status, line_status, cleared) = match p.status {
            PaymentStatus::Paid => ("COMPLETED", "PAID", Some(p.expected_date.to_string())),
            _ => ("SENT", "PAYMENT_INITIATED", None),
        };
        lrows.push(line_row(seeded, dist, investor, p, line_status));
        prows.push(payment_row(
            seeded, dist, investor, p, status, cleared, &now,
        ));
    }
    tx.bulk_insert("distribution_lines", &LINE_COLUMNS, &lrows)
        .await?;
    tx.bulk_insert("payments", &PAYMENT_COLUMNS, &prows).await?;
    tx.commit().await?;
    // A live database has statistics on its payments (autovacuum / SQLite's ANALYZE); fresh
    // bulk-loaded tables have none, and PostgreSQL then plans the id lookups of `settle` as
    // scans of the organization's index. ANALYZE is one SQL text for both backends.
    for table in ["payments", "distribution_lines", "distributions"] {
        db.execute_script(&format!("ANALYZE {table}")).await?;
    }
    Ok(())
}

/// The `k`-th COMPLETED distribution, paying `members` (columns: [`DISTRIBUTION_COLUMNS`]).
fn distribution_row(
    seeded: &demo::Seeded,
    id: &str,
    k: usize,
    members: &[Payment],
    operator: &str,
    now: &str,
) -> Vec<Arg> {
    let total: i64 = members.iter().map(|p| p.amount_minor).sum();
    vec![
        id.to_string().into(),
        seeded.org_id.clone().into(),
        seeded.open_fund_id.clone().into(),
        "REGULAR".into(),
        "COMPLETED".into(),
        "USD".into(),
        "2023-12-01".into(),
        "2023-12-15".into(),
        "2024-01-02".into(),
        format!("bench {k}").into(),
        "{}".into(),
        total.into(),
        (members.len() as i64).into(),
        operator.to_string().into(),
        now.to_string().into(),
        now.to_string().into(),
        1i64.into(),
    ]
}

/// The distribution line `p` pays, all ordinary income (columns: [`LINE_COLUMNS`]).
fn line_row(
    seeded: &demo::Seeded,
    dist: &str,
    investor: &str,
    p: &Payment,
    line_status: &str,
) -> Vec<Arg> {
    vec![
        dist.to_string().into(),
        seeded.org_id.clone().into(),
        investor.to_string().into(),
        p.amount_minor.into(),
        p.amount_minor.into(),
        0i64.into(),
        0i64.into(),
        0i64.into(),
        0i64.into(),
        0i64.into(),
        0i64.into(),
        0i64.into(),
        line_status.into(),
    ]
}

/// The payment row of `p` (columns: [`PAYMENT_COLUMNS`]).
fn payment_row(
    seeded: &demo::Seeded,
    dist: &str,
    investor: &str,
    p: &Payment,
    status: &str,
    cleared: Option<String>,
    now: &str,
) -> Vec<Arg> {
    let method = match p.method {
        PaymentMethod::Ach => "ACH",
        PaymentMethod::Wire => "WIRE",
        PaymentMethod::Check => "CHECK",
    };
    vec![
        p.id.clone().into(),
        seeded.org_id.clone().into(),
        dist.to_string().into(),
        investor.to_string().into(),
        method.into(),
        status.into(),
        p.currency.code().into(),
        p.amount_minor.into(),
        p.amount_minor.into(),
        p.counterparty_name.clone().into(),
        p.trace_number.clone().into(),
        p.end_to_end_id.clone().into(),
        p.check_number.clone().into(),
        p.batch_id.clone().into(),
        p.expected_date.to_string().into(),
        cleared.into(),
        now.to_string().into(),
        now.to_string().into(),
    ]
}

async fn one_run(
    database_url: Option<&str>,
    n: usize,
    seed: u64,
    bar: &ProgressBar,
) -> Result<RunResult> {
    let fresh = fresh_database(database_url, &DbOptions { max_connections: 8 })
        .await
        .context("creating a fresh database")?;
    let mut options = demo::Options::demo(n.clamp(1, INVESTORS_MAX));
    options.history = false;
    bar.set_message("seeding");
    let seeded = demo::seed(&fresh.db, &options).await?;
    let sim = generate(seed, n);
    bar.set_message("pure engine");
    let config = MatchConfig::default();
    let t = Instant::now();
    let pure_result = reconcile(&sim.payments, &sim.lines, &config)?;
    let pure = t.elapsed();
    let pure_metrics = evaluate(&pure_result, &sim.truth);
    bar.set_message("writing payments");
    write_payments(&fresh.db, &seeded, &sim).await?;
    let file = app::simulation_bai2(&sim.lines, "OPS-001", &seed.to_string());
    let actor = Actor::system(&seeded.org_id);
    bar.set_message("importing");
    let t = Instant::now();
    let outcome = app::import(
        &fresh.db,
        &actor,
        file.as_bytes(),
        &ImportOptions::default(),
    )
    .await?;
    let import = t.elapsed();
    if outcome.file.line_count as usize != sim.lines.len() {
        bail!(
            "imported {} lines, generated {}",
            outcome.file.line_count,
            sim.lines.len()
        );
    }
    bar.set_message("matching");
    let t = Instant::now();
    let run = app::run_now(&fresh.db, &actor, "BENCH", &config).await?;
    let matching = t.elapsed();
    let ours = reconciliation::file_line_ids(&fresh.db, &actor, &outcome.file.id).await?;
    let to_sim: HashMap<&str, &str> = ours
        .iter()
        .map(String::as_str)
        .zip(sim.lines.iter().map(|l| l.id.as_str()))
        .collect();
    // The store keeps no reasons, and a charge line is judged by its FeeDeducted reason: each
    // stored decision takes the reasons of the pure engine's identical decision, if any.
    let key = |lines: &[String], payments: &[String]| {
        let (mut l, mut p) = (lines.to_vec(), payments.to_vec());
        l.sort_unstable();
        p.sort_unstable();
        (l, p)
    };
    let pure_reasons: HashMap<_, _> = pure_result
        .decisions
        .iter()
        .map(|d| (key(&d.line_ids, &d.payment_ids), &d.reasons))
        .collect();
    let decisions: Vec<Decision> = reconciliation::live_decisions(&fresh.db, &actor)
        .await?
        .into_iter()
        .map(|(outcome, lines, payments)| {
            let line_ids: Vec<String> = lines
                .iter()
                .map(|l| to_sim[l.as_str()].to_string())
                .collect();
            let reasons = pure_reasons
                .get(&key(&line_ids, &payments))
                .map(|r| r.to_vec())
                .unwrap_or_default();
            Decision {
                outcome: if outcome == "RETURNED" {
                    Outcome::Returned
                } else {
                    Outcome::Matched
                },
                line_ids,
                payment_ids: payments,
                score: 0,
                reasons,
            }
        })
        .collect();
    let unlike_pure = decisions
        .iter()
        .filter(|d| !pure_reasons.contains_key(&key(&d.line_ids, &d.payment_ids)))
        .count();
    if unlike_pure > 0 {
        println!("note: {unlike_pure} decisions through the store differ from the pure engine's");
    }
    let m = evaluate(
        &Reconciliation {
            decisions,
            ..Reconciliation::default()
        },
        &sim.truth,
    );
    if m.auto_matched != pure_metrics.auto_matched {
        println!(
            "note: store matched {} lines, pure engine {} (already-COMPLETED payments are not cleared twice)",
            m.auto_matched, pure_metrics.auto_matched
        );
    }
    fresh.drop_database().await;
    Ok(RunResult {
        import,
        matching,
        pure,
        lines: sim.lines.len(),
        rate_ppm: m.match_rate_ppm(),
        false_matches: m.false_matches,
        matchable: m.matchable,
        exceptions: run.exceptions,
    })
}

/// Runs the benchmark.
pub async fn run(database_url: Option<&str>, n: usize, seed: u64, runs: usize) -> Result<()> {
    if runs == 0 || n == 0 {
        bail!("--runs and --payments must be at least 1");
    }
    let backend = if database_url.is_some_and(|u| u.starts_with("postgres")) {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let bar = ProgressBar::new(runs as u64).with_style(ProgressStyle::with_template(
        "{msg:20} {bar:40} {pos}/{len} runs",
    )?);
    let mut results = Vec::new();
    for _ in 0..runs {
        results.push(one_run(database_url, n, seed, &bar).await?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut import: Vec<Duration> = results.iter().map(|r| r.import).collect();
    let mut matching: Vec<Duration> = results.iter().map(|r| r.matching).collect();
    let mut pure: Vec<Duration> = results.iter().map(|r| r.pure).collect();
    let mut total: Vec<Duration> = results.iter().map(|r| r.import + r.matching).collect();
    let (mi, mm, mp, mt) = (
        median(&mut import),
        median(&mut matching),
        median(&mut pure),
        median(&mut total),
    );
    let r = &results[0];
    println!(
        "backend: {backend}; {n} payments, {} statement lines (seed {seed}), {runs} run(s)",
        r.lines
    );
    println!("import (parse BAI2 + store lines), median: {}", ms(mi));
    println!(
        "matching through the store (load, engine, persist, settle), median: {}",
        ms(mm)
    );
    println!("end to end (import + matching), median: {}", ms(mt));
    println!("pure engine on the same data, median: {}", ms(mp));
    println!(
        "ratio matching-through-store / pure engine: {:.1}x; end-to-end / pure engine: {:.1}x",
        mm.as_secs_f64() / mp.as_secs_f64().max(1e-9),
        mt.as_secs_f64() / mp.as_secs_f64().max(1e-9)
    );
    println!(
        "match rate on matchable lines: {}.{:04} % ({} matchable), false matches: {}, exceptions: {}",
        r.rate_ppm / 10_000,
        r.rate_ppm % 10_000,
        r.matchable,
        results.iter().map(|r| r.false_matches).max().unwrap_or(0),
        r.exceptions
    );
    if results.iter().any(|r| r.false_matches > 0) {
        bail!("false matches found");
    }
    Ok(())
}
