//! `clearway bench sync`: importing an administrator's 100,000-row holdings file (one fund,
//! one date, one row per investor) through the whole sync path — strict CSV read, tenancy
//! checks, comparison with the holdings as of that date, bulk write, stale flags, report,
//! audit and event — on a fresh database per run, against the 5 s target; the
//! baseline is the strict read of the same file alone (parse and check, no database), timed in
//! the same run.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clearway_core::sync::{FileKind, FileStatus, Source};
use clearway_server::demo;
use clearway_store::funds::{self, NewInvestor};
use clearway_store::testing::fresh_database;
use clearway_store::{Actor, DbOptions};

use super::median;

/// The target for the file.
const TARGET: Duration = Duration::from_secs(5);

/// Runs the benchmark; each run on a fresh database.
pub async fn sync(database_url: Option<&str>, rows: usize, runs: usize) -> Result<()> {
    let (mut samples, mut reads) = (Vec::new(), Vec::new());
    for run in 0..runs.max(1) {
        let fresh = fresh_database(database_url, &DbOptions { max_connections: 8 })
            .await
            .context("fresh database")?;
        let mut options = demo::Options::demo(5);
        options.history = false;
        let seeded = demo::seed(&fresh.db, &options).await?;
        let actor = Actor {
            user_id: seeded.user_ids["operator"].clone(),
            org_id: seeded.org_id.clone(),
            role: clearway_core::access::Role::Operator,
            investor_id: None,
        };
        // Setup (not timed): the investors the file names.
        let new: Vec<NewInvestor> = (0..rows)
            .map(|i| NewInvestor {
                name: format!("Bench investor {i}"),
                entity_type: "INDIVIDUAL".into(),
                tax_residence: "US".into(),
                email: None,
            })
            .collect();
        let mut tx = fresh.db.begin().await?;
        let ids = funds::create_investors(&mut tx, &actor, &new).await?;
        tx.commit().await?;
        let mut csv = String::with_capacity(rows * 64);
        csv.push_str("fund_id,share_class,investor_id,as_of,units\n");
        for (i, id) in ids.iter().enumerate() {
            csv.push_str(&format!(
                "DEMO-OPEN,,{id},2031-01-31,{}.{:04}\n",
                100 + i % 5000,
                i % 10_000
            ));
        }
        let started = Instant::now();
        let records = clearway_formats::sync::read(FileKind::Holdings, csv.as_bytes())
            .map_err(|e| anyhow::anyhow!("the file does not read: {:?}", e.first()))?;
        reads.push(started.elapsed());
        drop(records);
        let started = Instant::now();
        let report = clearway_app::sync::import_file(
            &fresh.db,
            &actor,
            FileKind::Holdings,
            "bench-holdings.csv",
            csv.as_bytes(),
            Source::Upload,
            false,
        )
        .await?;
        let took = started.elapsed();
        if report.status != FileStatus::Applied || report.rows_applied != rows as i64 {
            bail!(
                "the import did not apply every row: {:?} {:?}",
                report.status,
                report.errors.first()
            );
        }
        println!(
            "run {}: {rows} rows in {:.3} s",
            run + 1,
            took.as_secs_f64()
        );
        samples.push(took);
        fresh.drop_database().await;
    }
    let m = median(&mut samples);
    let read = median(&mut reads);
    println!(
        "sync import of a {rows}-row holdings file ({}): median {:.3} s, {:.0} rows/s; the strict read alone {:.0} ms (import {:.1}× the read); {:.2}× the 5 s target ({})",
        if database_url.is_some() { "PostgreSQL" } else { "SQLite" },
        m.as_secs_f64(),
        rows as f64 / m.as_secs_f64(),
        read.as_secs_f64() * 1000.0,
        m.as_secs_f64() / read.as_secs_f64(),
        m.as_secs_f64() / TARGET.as_secs_f64(),
        if m <= TARGET { "met" } else { "missed" }
    );
    Ok(())
}
