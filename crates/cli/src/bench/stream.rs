//! `bench stream`: the outbox relayed to NATS JetStream. Two phases per run on a fresh
//! database and a stream of its own: a backlog of N events (1,000 aggregates) drained from
//! cold (events/s, fan-out included), then N events written at the target rate while the
//! relay runs (lag per event, from its outbox write to JetStream's acknowledgement).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::Utc;
use clearway_app::events::{fan_out, streams::relay_batch};
use clearway_server::events::streams::{age_secs, nats::NatsConfig, nats::NatsSink};
use clearway_store::outbox::{emit_many_text, NewEventText};
use clearway_store::testing::fresh_database;
use clearway_store::{Actor, Db, DbOptions};

use super::{median, ms, percentile};

/// The target throughput.
const TARGET_PER_SEC: f64 = 20_000.0;
const WRITE_BATCH: usize = 1_000;

pub(super) async fn stream(
    database_url: Option<&str>,
    nats_url: &str,
    events: usize,
    aggregates: usize,
    runs: usize,
) -> Result<()> {
    if events == 0 || aggregates == 0 || runs == 0 {
        bail!("--events, --aggregates and --runs must be at least 1");
    }
    let (mut rates, mut p50s, mut p95s) = (Vec::new(), Vec::new(), Vec::new());
    for run in 1..=runs {
        let fresh = fresh_database(database_url, &DbOptions { max_connections: 8 }).await?;
        let db = &fresh.db;
        let mut cfg = NatsConfig::new(nats_url);
        let tag = &uuid::Uuid::new_v4().simple().to_string()[..12];
        cfg.stream = format!("CWBENCH_{tag}");
        cfg.subject_prefix = format!("cwbench{tag}");
        let sink = NatsSink::new(cfg.clone());
        if run == 1 {
            println!(
                "backend: {:?}, events: {events}, aggregates: {aggregates}, NATS {nats_url}",
                db.backend()
            );
        }
        write(db, events, aggregates, 0, None).await?;
        let started = Instant::now();
        relay(db, &sink, events).await?;
        let drain = started.elapsed();
        let rate = events as f64 / drain.as_secs_f64();
        // Under load: the writer at the target rate, the relay concurrently.
        let writer = {
            let db = db.clone();
            tokio::spawn(async move {
                write(&db, events, aggregates, events, Some(TARGET_PER_SEC)).await
            })
        };
        let mut lags = relay(db, &sink, events).await?;
        writer.await.context("writer")??;
        let (p50, p95) = (percentile(&mut lags, 0.50), percentile(&mut lags, 0.95));
        println!(
            "run {run}: drained {events} in {} = {rate:.0} events/s; under {TARGET_PER_SEC:.0}/s load lag p50 {} p95 {}",
            ms(drain), ms(p50), ms(p95)
        );
        rates.push(Duration::from_secs_f64(1.0 / rate));
        p50s.push(p50);
        p95s.push(p95);
        let js = async_nats::jetstream::new(async_nats::connect(nats_url).await?);
        js.delete_stream(&cfg.stream).await.ok();
        fresh.drop_database().await;
    }
    let rate = 1.0 / median(&mut rates).as_secs_f64();
    println!(
        "median of {runs}: {rate:.0} events/s ({:.2}x the {TARGET_PER_SEC:.0}/s target); lag p50 {}, p95 {} (target p95 <= 1 s)",
        rate / TARGET_PER_SEC,
        ms(median(&mut p50s)),
        ms(median(&mut p95s)),
    );
    Ok(())
}

/// Writes `n` events over `aggregates` aggregates in transactions of 1,000, paced to `rate`
/// events/s when given.
async fn write(
    db: &Db,
    n: usize,
    aggregates: usize,
    offset: usize,
    rate: Option<f64>,
) -> Result<()> {
    let actor = Actor::system("org_bench");
    let ids: Vec<String> = (0..aggregates).map(|a| format!("dist_{a:05}")).collect();
    let started = Instant::now();
    let mut written = 0;
    while written < n {
        let count = WRITE_BATCH.min(n - written);
        let batch: Vec<NewEventText<'_>> = (written..written + count)
            .map(|i| NewEventText {
                event_type: "distribution.updated",
                aggregate_type: "distribution",
                aggregate_id: &ids[(offset + i) % aggregates],
                payload: format!("{{\"n\":{}}}", offset + i),
            })
            .collect();
        let mut tx = db.begin().await?;
        emit_many_text(&mut tx, &actor, &batch).await?;
        tx.commit().await?;
        written += count;
        if let Some(rate) = rate {
            let due = Duration::from_secs_f64(written as f64 / rate);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
    }
    Ok(())
}

/// Fans out and publishes until `n` events are acknowledged (fan-out in a task of its own, as
/// in the server); returns each event's lag.
async fn relay(db: &Db, sink: &NatsSink, n: usize) -> Result<Vec<Duration>> {
    let done = Arc::new(AtomicBool::new(false));
    let fanning = {
        let (db, done) = (db.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if fan_out(&db, &["nats"]).await? == 0 {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
            anyhow::Ok(())
        })
    };
    let mut lags = Vec::with_capacity(n);
    while lags.len() < n {
        let relayed = relay_batch(db, sink, 1_000).await?;
        if relayed.events.is_empty() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let now = Utc::now();
        for e in &relayed.events {
            let secs = age_secs(&e.created_at, now).context("created_at")?;
            lags.push(Duration::from_secs_f64(secs));
        }
    }
    done.store(true, Ordering::Relaxed);
    fanning.await.context("fan-out")??;
    Ok(lags)
}
