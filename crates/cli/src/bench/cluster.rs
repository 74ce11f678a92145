//! `clearway bench cluster`: N distributions driven end to end (create → ready → approve →
//! process → payments and reinvestment → bank files) through the HTTP API of one, two and
//! three `clearway serve` processes (children of this binary) sharing one database, requests
//! spread round robin over the processes. Per process count: distributions per second end to
//! end, p95 API latency, and the exactly-once checks (payments, events, messages, jobs); then
//! the ratio of three processes to one.

use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clearway_app::payments::Vault;
use clearway_server::demo;
use clearway_store::testing::{self, fresh_database, Check};
use clearway_store::DbOptions;
use serde_json::Value;
use tokio::process::{Child, Command};

use super::{ms, percentile, pro_rata_body};

/// One process count's figures.
struct Figures {
    processes: usize,
    per_second: f64,
    p95: Duration,
    /// When the last request was answered, and when the last distribution was COMPLETED.
    in_flight: Duration,
    completed: Duration,
    exactly_once: bool,
}

/// Runs the benchmark for each process count of `counts` (1, 2, 3 by default) on fresh
/// databases of `database_url`.
pub(super) async fn cluster(
    database_url: Option<&str>,
    distributions: usize,
    concurrency: usize,
    (counts, ach_cut_secs): (std::ops::RangeInclusive<usize>, u64),
) -> Result<()> {
    let Some(url) = database_url.filter(|u| u.starts_with("postgres")) else {
        bail!("bench cluster needs PostgreSQL (--database-url postgres://…): SQLite serves one process");
    };
    let mut all = Vec::new();
    for processes in counts {
        let shape = (processes, ach_cut_secs);
        all.push(run(url, shape, distributions, concurrency.max(1)).await?);
    }
    println!("| processes | all in flight | all COMPLETED | distributions/s end to end | p95 API latency | exactly once |");
    println!("|---|---|---|---|---|---|");
    for f in &all {
        println!(
            "| {} | {:.0?} | {:.0?} | {:.1} | {} | {} |",
            f.processes,
            f.in_flight,
            f.completed,
            f.per_second,
            ms(f.p95),
            if f.exactly_once { "yes" } else { "NO" }
        );
    }
    if let (Some(one), Some(last)) = (all.first(), all.last()) {
        println!(
            "ratio {} processes vs {}: {:.2}x throughput, p95 {:.2}x",
            last.processes,
            one.processes,
            last.per_second / one.per_second,
            last.p95.as_secs_f64() / one.p95.as_secs_f64()
        );
    }
    if all.iter().any(|f| !f.exactly_once) {
        bail!("exactly-once check failed");
    }
    Ok(())
}

async fn run(
    url: &str,
    (processes, ach_cut_secs): (usize, u64),
    count: usize,
    concurrency: usize,
) -> Result<Figures> {
    let fresh = fresh_database(Some(url), &DbOptions { max_connections: 4 })
        .await
        .context("creating a fresh database")?;
    let keys = Vault::generate("bench1")?;
    let mut options = demo::Options::demo(10);
    options.history = false;
    options.vault = Vault::from_config(&keys)?;
    let seeded = demo::seed(&fresh.db, &options).await?;
    let data = std::env::temp_dir().join(format!("clearway-bench-cluster-{}", std::process::id()));
    let mut children = Vec::new();
    let mut bases = Vec::new();
    for i in 0..processes {
        let (child, base) = spawn(&fresh.url, &keys, &data, (i, ach_cut_secs)).await?;
        children.push(child);
        bases.push(base);
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let drive = Arc::new(Drive {
        client,
        bases,
        body: pro_rata_body(&seeded.open_fund_id, "2026-03-16"),
        operator: seeded.tokens.operator.clone(),
        approver: seeded.tokens.approver.clone(),
        latencies: Mutex::new(Vec::with_capacity(count * 4)),
        next: AtomicUsize::new(0),
    });
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let drive = drive.clone();
        tasks.push(tokio::spawn(async move { drive.all(count).await }));
    }
    for t in tasks {
        t.await??;
    }
    let in_flight = started.elapsed();
    let (completed, elapsed) = wait_done(&fresh.db, count, started).await?;
    let mut latencies = std::mem::take(&mut *drive.latencies.lock().unwrap());
    let p95 = percentile(&mut latencies, 0.95);
    let per_second = count as f64 / elapsed.as_secs_f64();
    println!(
        "{processes} process(es): {count} distributions in flight after {in_flight:.1?}, the last COMPLETED after {completed:.1?}, everything done (payments, reinvestment, bank files; no job due) after {elapsed:.1?}: {per_second:.1}/s end to end; {} API calls, p95 {}",
        latencies.len(),
        ms(p95)
    );
    let exactly_once = check(&fresh.db, count).await?;
    for mut child in children {
        terminate(&mut child).await;
    }
    let _ = std::fs::remove_dir_all(&data);
    fresh.drop_database().await;
    Ok(Figures {
        processes,
        per_second,
        p95,
        in_flight,
        completed,
        exactly_once,
    })
}

/// Waits until every distribution is COMPLETED, no job is due or running and no ACH job waits
/// for a cut; returns when the last was COMPLETED and when all was done, from `started`. A
/// progress line a minute goes to stderr.
async fn wait_done(
    db: &clearway_store::Db,
    count: usize,
    started: Instant,
) -> Result<(Duration, Duration)> {
    let deadline = Instant::now() + Duration::from_secs(3600);
    let mut completed_at = None;
    let mut next_report = Instant::now();
    loop {
        let completed = testing::count(db, Check::CompletedDistributions).await?;
        let busy = testing::count(db, Check::BusyJobs).await?;
        if completed >= count as i64 && completed_at.is_none() {
            completed_at = Some(started.elapsed());
        }
        if completed_at.is_some()
            && busy == 0
            && testing::count(db, Check::AchCutsWaiting).await? == 0
        {
            return Ok((completed_at.unwrap_or_default(), started.elapsed()));
        }
        if Instant::now() >= next_report {
            eprintln!(
                "  {:.0?}: {completed} COMPLETED, {busy} jobs due or running",
                started.elapsed()
            );
            next_report += Duration::from_secs(60);
        }
        if Instant::now() > deadline {
            bail!("not done within an hour of the last request");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Exactly once, whichever process did it; false (and the benchmark fails at the end, after
/// the other process counts) otherwise.
async fn check(db: &clearway_store::Db, count: usize) -> Result<bool> {
    let c = |check| testing::count(db, check);
    let (completed, events, dup_events) = (
        c(Check::CompletedDistributions).await?,
        c(Check::CompletedEvents).await?,
        c(Check::DuplicateEvents).await?,
    );
    let (dup_payments, dup_messages, reruns, unfinished, files) = (
        c(Check::DuplicatePayments).await?,
        c(Check::DuplicateMessages).await?,
        c(Check::RerunJobs).await?,
        c(Check::UnfinishedJobs).await?,
        c(Check::PaymentFiles).await?,
    );
    let (ach_files, unsent) = (
        c(Check::AchFiles).await?,
        c(Check::UnsentAchPayments).await?,
    );
    // Jobs queued for a later time are not unfinished work: here, ACH jobs whose day's 36 File
    // ID Modifiers are used wait, their payments PENDING and audited, for the next day's.
    let busy = c(Check::BusyJobs).await?;
    let later = unfinished - busy;
    println!("  completed {completed}, completed events {events}, duplicate events {dup_events}, duplicate payments {dup_payments}, duplicate messages {dup_messages}, jobs run twice {reruns}, jobs busy {busy}, jobs queued for later (ACH files waiting for a later day's File ID Modifiers) {later}, payment batches {files}, ACH files {ach_files}, ACH payments not in a file {unsent}");
    let exactly_once = completed == count as i64
        && events == count as i64
        && dup_events + dup_payments + dup_messages + reruns + busy == 0;
    if !exactly_once {
        println!("  EXACTLY-ONCE CHECK FAILED");
    }
    Ok(exactly_once)
}

/// What the client tasks share.
struct Drive {
    client: reqwest::Client,
    bases: Vec<String>,
    body: Value,
    operator: String,
    approver: String,
    latencies: Mutex<Vec<Duration>>,
    next: AtomicUsize,
}

impl Drive {
    async fn all(&self, count: usize) -> Result<()> {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= count {
                return Ok(());
            }
            self.one(i).await?;
        }
    }

    /// Distribution `i`: each call to the next process in turn.
    async fn one(&self, i: usize) -> Result<()> {
        let base = |k: usize| &self.bases[(i + k) % self.bases.len()];
        let t = Instant::now();
        let resp = self
            .client
            .post(format!("{}/api/distributions", base(0)))
            .bearer_auth(&self.operator)
            .header("Idempotency-Key", format!("cluster-{i}"))
            .json(&self.body)
            .send()
            .await?;
        if resp.status() != 201 {
            bail!("create {i}: {} {}", resp.status(), resp.text().await?);
        }
        let id = resp.json::<Value>().await?["id"]
            .as_str()
            .context("id")?
            .to_string();
        let mut took = vec![t.elapsed()];
        for (k, (token, action)) in [
            (&self.operator, "ready"),
            (&self.approver, "approve"),
            (&self.operator, "process"),
        ]
        .into_iter()
        .enumerate()
        {
            let t = Instant::now();
            let resp = self
                .client
                .patch(format!("{}/api/distributions/{id}/{action}", base(k + 1)))
                .bearer_auth(token)
                .send()
                .await?;
            if !resp.status().is_success() {
                bail!("{action} {id}: {} {}", resp.status(), resp.text().await?);
            }
            took.push(t.elapsed());
        }
        self.latencies.lock().unwrap().extend(took);
        Ok(())
    }
}

/// Starts `clearway serve` number `i` on a free port; returns it once ready, with its URL.
async fn spawn(
    url: &str,
    keys: &str,
    data: &std::path::Path,
    (i, ach_cut_secs): (usize, u64),
) -> Result<(Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(std::env::current_exe()?)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", url])
        .env("CLEARWAY_ENCRYPTION_KEYS", keys)
        .env(
            "CLEARWAY_UNSUBSCRIBE_KEY",
            "bench-cluster-unsubscribe-key-of-32-bytes",
        )
        .env("CLEARWAY_DATA_DIR", data)
        .env("CLEARWAY_INSTANCE_NAME", format!("bench-{i}"))
        .env("CLEARWAY_LOG", "warn")
        .env("CLEARWAY_ACH_CUT_SECS", ach_cut_secs.to_string())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting clearway serve")?;
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await {
            if r.status().is_success() {
                return Ok((child, base));
            }
        }
        if Instant::now() > deadline {
            bail!("clearway serve {i} did not become ready");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SIGTERM, then the grace; SIGKILL past it.
async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    if tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}
