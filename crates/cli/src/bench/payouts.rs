//! `clearway bench payouts`: a demo organization of N investors pays pro-rata distributions
//! of $1,000,000, $60,000,000,000 and $2,000,000,000,000 through the API and the job workers,
//! and each is reported: status, payments by method and status, review causes, ACH files
//! and their entries, and the payments waiting with nothing pointing at them (must be 0).
//! Every ACH file is downloaded through the API and read back with our NACHA reader: it fails
//! when one does not parse, holds more entries than the configured limit, or reuses a File ID
//! Modifier of its creation day.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clearway_core::access::Role;
use clearway_server::Config;
use clearway_store::payment_batches;
use clearway_store::payments as pstore;
use clearway_store::testing::{self, Check};
use clearway_store::Actor;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use super::{setup, Setup};

/// The distributions paid, in dollars.
const TOTALS: [&str; 3] = ["1000000.00", "60000000000.00", "2000000000000.00"];

/// Runs the demo; fails when a distribution does not complete or a payment is orphaned.
pub(super) async fn payouts(
    database_url: Option<&str>,
    investors: usize,
    files_out: Option<&Path>,
) -> Result<()> {
    let spinner = spin(format!("seeding {investors} investors"));
    let config = Config {
        job_workers: 2,
        ..Config::default()
    };
    let max_entries = config.payments.ach_limits.max_file_entries;
    let s = setup(database_url, investors, config).await?;
    if let Some(dir) = files_out {
        std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    }
    let mut modifiers = HashSet::new();
    spinner.finish_and_clear();
    let actor = Actor {
        user_id: s.seeded.user_ids["operator"].clone(),
        org_id: s.seeded.org_id.clone(),
        role: Role::Operator,
        investor_id: None,
    };
    let mut orphans_total = 0;
    for (n, total) in TOTALS.iter().enumerate() {
        let started = Instant::now();
        let id = submit(&s, total, n).await?;
        let spinner = spin(format!("${total}: processing and paying"));
        wait(&s, &id).await?;
        spinner.finish_and_clear();
        println!("\n${total} ({:.1?}) distribution {id}", started.elapsed());
        orphans_total += report(&s, &actor, &id).await?;
        read_back(&s, &actor, &id, max_entries, &mut modifiers, files_out).await?;
    }
    s.finish().await;
    if orphans_total != 0 {
        bail!("{orphans_total} payments wait with nothing pointing at them");
    }
    Ok(())
}

fn spin(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Creates the distribution of `total` and takes it to PROCESSING; prints its preflight.
async fn submit(s: &Setup, total: &str, n: usize) -> Result<String> {
    let body = json!({
        "fundId": s.seeded.open_fund_id, "declarationDate": "2026-03-02", "recordDate": "2026-03-16",
        "payableDate": "2026-03-31", "currency": "USD", "description": format!("bench payouts {total}"),
        "allocation": { "method": "pro_rata", "total": total, "components": { "ordinaryDividend": "1" } }
    });
    let (id, approved) = super::submit(s, &body, &format!("bench-payouts-{n}")).await?;
    println!(
        "\n${total} approved; oversized for ACH: {}",
        approved["oversized"]
    );
    Ok(id)
}

/// Waits until the distribution is COMPLETED or CANCELLED and no job is busy (an hour at most).
async fn wait(s: &Setup, id: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(3600);
    loop {
        let d: Value = s
            .client
            .get(format!("{}/api/distributions/{id}", s.base))
            .bearer_auth(&s.seeded.tokens.operator)
            .send()
            .await?
            .json()
            .await?;
        let settled =
            d["status"] != "PROCESSING" && testing::count(&s.fresh.db, Check::BusyJobs).await? == 0;
        if settled {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("distribution {id} did not settle within an hour");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Prints what happened to a distribution's payments; returns its orphan count.
async fn report(s: &Setup, actor: &Actor, id: &str) -> Result<usize> {
    let db = &s.fresh.db;
    let d = clearway_store::distributions::get(db, actor, id).await?;
    println!("  status {}, {} lines", d.status, d.line_count);
    let mut tx = db.begin().await?;
    let counts = pstore::outcome_counts(&mut tx, actor, id).await?;
    let orphans = pstore::orphans(&mut tx, actor, Some(id), 1_000_000).await?;
    tx.commit().await?;
    for ((method, status, cause), (n, minor)) in &counts {
        let cause = cause
            .as_deref()
            .map(|c| format!(", review: {c}"))
            .unwrap_or_default();
        println!(
            "  {method:<5} {status:<10} {n:>7} payments, {} minor units{cause}",
            minor
        );
    }
    let files = payment_batches::list(db, actor, Some("NACHA"), Some(id), None, 1000).await?;
    let entries: Vec<i64> = files.iter().map(|b| b.payment_count).collect();
    println!(
        "  ACH files: {} (entries per file: {:?}, credit totals: {:?})",
        files.len(),
        entries,
        files.iter().map(|b| b.total_minor).collect::<Vec<_>>()
    );
    let unfinished = testing::count(db, Check::UnfinishedJobs).await?;
    let later = unfinished - testing::count(db, Check::BusyJobs).await?;
    println!(
        "  payments waiting with nothing pointing at them: {}; unfinished jobs: {unfinished}, of which scheduled for later (ACH files past the day's 36 File ID Modifiers wait for the next day's): {later}",
        orphans.len()
    );
    Ok(orphans.len())
}

/// Downloads each ACH file of the distribution and reads it back with our NACHA reader;
/// fails on a file that does not parse, holds more than `max_entries` entries, or reuses a
/// (creation day, File ID Modifier) of the run. Writes them to `files_out` when given.
async fn read_back(
    s: &Setup,
    actor: &Actor,
    id: &str,
    max_entries: usize,
    seen: &mut HashSet<(chrono::NaiveDate, char)>,
    files_out: Option<&Path>,
) -> Result<()> {
    let files =
        payment_batches::list(&s.fresh.db, actor, Some("NACHA"), Some(id), None, 1000).await?;
    for b in &files {
        let text = s
            .client
            .get(format!("{}/api/payment-batches/{}/file", s.base, b.id))
            .bearer_auth(&s.seeded.tokens.operator)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        let file = clearway_formats::ach::parse_file(&text)
            .map_err(|e| anyhow::anyhow!("ACH file {}: our reader refuses it: {e}", b.id))?;
        let entries: usize = file.batches.iter().map(|x| x.entries.len()).sum();
        let key = (file.header.file_creation_date, file.header.file_id_modifier);
        if entries > max_entries {
            bail!(
                "ACH file {}: {entries} entries, above the limit {max_entries}",
                b.id
            );
        }
        if !seen.insert(key) {
            bail!(
                "ACH file {}: File ID Modifier {} reused on {}",
                b.id,
                key.1,
                key.0
            );
        }
        if u64::try_from(b.total_minor).ok() != Some(file.control.total_credit) {
            bail!(
                "ACH file {}: credit total differs from its batch record",
                b.id
            );
        }
        println!(
            "  file {} modifier {}: {entries} entries, credit {} cents, read back OK",
            b.file_name.as_deref().unwrap_or(&b.id),
            key.1,
            file.control.total_credit
        );
        if let Some(dir) = files_out {
            let name = b
                .file_name
                .clone()
                .unwrap_or_else(|| format!("{}.ach", b.id));
            std::fs::write(dir.join(&name), &text).with_context(|| name.clone())?;
        }
    }
    Ok(())
}
