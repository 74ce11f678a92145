//! `bench get` and `bench lifecycle`: API latency and the whole lifecycle under concurrency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clearway_server::Config;
use clearway_store::testing::{self, Check};
use clearway_store::Db;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use super::{ms, percentile, pro_rata_body, setup, submit, Setup};

pub(super) async fn get(
    database_url: Option<&str>,
    concurrency: usize,
    requests: usize,
) -> Result<()> {
    let s = setup(database_url, 1_000, Config::default()).await?;
    let resp = s
        .client
        .post(format!("{}/api/distributions", s.base))
        .bearer_auth(&s.seeded.tokens.operator)
        .json(&pro_rata_body(&s.seeded.open_fund_id, "2026-03-16"))
        .send()
        .await?;
    let created: Value = resp.json().await?;
    let id = created["id"].as_str().context("created id")?.to_string();
    let token = s.seeded.tokens.operator.clone();
    let url = format!("{}/api/distributions/{id}", s.base);
    let health = format!("{}/healthz", s.base);
    let target = latency_run(&s.client, &url, &token, concurrency, requests).await?;
    let baseline = latency_run(&s.client, &health, &token, concurrency, requests).await?;
    let (mut t, mut b) = (target.0, baseline.0);
    println!(
        "GET /api/distributions/:id x{requests} at {concurrency} connections: p50 {} p95 {} p99 {} ({:.0} req/s)",
        ms(percentile(&mut t, 0.5)),
        ms(percentile(&mut t, 0.95)),
        ms(percentile(&mut t, 0.99)),
        target.1
    );
    println!(
        "baseline GET /healthz (no database): p50 {} p95 {} ({:.0} req/s) -> p95 ratio {:.2}x",
        ms(percentile(&mut b, 0.5)),
        ms(percentile(&mut b, 0.95)),
        baseline.1,
        percentile(&mut t, 0.95).as_secs_f64() / percentile(&mut b, 0.95).as_secs_f64()
    );
    s.finish().await;
    Ok(())
}

/// Latencies of `requests` GETs spread over `concurrency` tasks, and the throughput.
async fn latency_run(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    concurrency: usize,
    requests: usize,
) -> Result<(Vec<Duration>, f64)> {
    let per_task = requests.div_ceil(concurrency.max(1));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, token) = (client.clone(), url.to_string(), token.to_string());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::with_capacity(per_task);
            for _ in 0..per_task {
                let t = Instant::now();
                let resp = client.get(&url).bearer_auth(&token).send().await?;
                let ok = resp.status().is_success();
                resp.bytes().await?;
                if !ok {
                    bail!("request failed");
                }
                out.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(out)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    Ok((all, rate))
}

pub(super) async fn lifecycle(
    database_url: Option<&str>,
    count: usize,
    concurrency: usize,
) -> Result<()> {
    let config = Config {
        job_workers: 4,
        ..Config::default()
    };
    let s = Arc::new(setup(database_url, 10, config).await?);
    let started = Instant::now();
    submit_all(&s, count, concurrency).await?;
    let submitted = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(1800);
    wait_for_completed(&s.fresh.db, count, deadline).await?;
    let all_done = started.elapsed();
    // The payment jobs each processing run enqueues (bank files) finish after COMPLETED.
    wait_for_jobs(&s.fresh.db, deadline).await?;
    println!(
        "{count} distributions x 10 lines: submitted in {:.1?}, all COMPLETED after {:.1?} ({:.0}/s end to end)",
        submitted,
        all_done,
        count as f64 / all_done.as_secs_f64()
    );
    check_lifecycle(&s.fresh.db, count).await?;
    match Arc::try_unwrap(s) {
        Ok(s) => s.finish().await,
        Err(_) => bail!("setup still shared"),
    }
    Ok(())
}

/// Creates, approves and processes `count` distributions over HTTP from `concurrency`
/// tasks.
async fn submit_all(s: &Arc<Setup>, count: usize, concurrency: usize) -> Result<()> {
    let bar = ProgressBar::new(count as u64).with_style(ProgressStyle::with_template(
        "{msg} {bar:40} {pos}/{len} {per_sec}",
    )?);
    bar.set_message("create+approve+process");
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (s, next, bar) = (s.clone(), next.clone(), bar.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    return Ok::<_, anyhow::Error>(());
                }
                submit_one(&s, i).await?;
                bar.inc(1);
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    bar.finish_and_clear();
    Ok(())
}

/// Creates distribution `i` (idempotency key `bench-{i}`) and takes it to PROCESSING.
async fn submit_one(s: &Setup, i: usize) -> Result<()> {
    let body = pro_rata_body(&s.seeded.open_fund_id, "2026-03-16");
    submit(s, &body, &format!("bench-{i}")).await.map(|_| ())
}

/// Waits until at least `count` distributions are COMPLETED.
async fn wait_for_completed(db: &Db, count: usize, deadline: Instant) -> Result<()> {
    loop {
        let completed = testing::count(db, Check::CompletedDistributions).await?;
        if usize::try_from(completed).is_ok_and(|n| n >= count) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("not all distributions completed within 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until no job is busy.
async fn wait_for_jobs(db: &Db, deadline: Instant) -> Result<()> {
    loop {
        let busy = testing::count(db, Check::BusyJobs).await?;
        if busy == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("payment jobs did not finish within 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Prints the stored counts and fails unless every distribution completed once, with one
/// event each and no unfinished job.
async fn check_lifecycle(db: &Db, count: usize) -> Result<()> {
    let distributions = testing::count(db, Check::Distributions).await?;
    let completed_events = testing::count(db, Check::CompletedEvents).await?;
    let duplicate_events = testing::count(db, Check::DuplicateEvents).await?;
    let dead_jobs = testing::count(db, Check::UnfinishedJobs).await?;
    println!("distributions stored {distributions}, completed events {completed_events}, duplicate events {duplicate_events}, unfinished jobs {dead_jobs}");
    if distributions != count as i64
        || completed_events != count as i64
        || duplicate_events != 0
        || dead_jobs != 0
    {
        bail!("lifecycle check failed");
    }
    Ok(())
}
