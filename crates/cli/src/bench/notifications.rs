//! `clearway bench notifications`: (a) the engine expanding one processed distribution with N
//! investors into messages (fan-out in batches, render, queue; targets ≤ 10 s for 100,000)
//! with peak RSS; (b) sending M of those emails through the sender path (claim, render, SMTP,
//! commit) to the local sink over pooled connections (target ≥ 500 messages/s).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clearway_app::notifications::channels::smtp::{SmtpSender, SmtpSettings};
use clearway_app::notifications::engine::{self, EngineSettings};
use clearway_app::notifications::send::{self, EmailSender, SenderSettings};
use clearway_store::testing::fresh_database;
use clearway_store::{Db, DbOptions};

/// Runs both parts on a fresh database.
pub async fn run(
    database_url: Option<&str>,
    investors: usize,
    send_n: usize,
    senders: usize,
) -> Result<()> {
    let fresh = fresh_database(
        database_url,
        &DbOptions {
            max_connections: 16,
        },
    )
    .await
    .context("fresh database")?;
    let db = &fresh.db;
    let (org, _) = clearway_store::testing::bench_notifications_seed(db, investors).await?;
    let rss_before = vm_hwm_kb();
    let started = Instant::now();
    let pass = engine::run_once(db, &EngineSettings::default()).await?;
    let fan_out = started.elapsed();
    let rss_after = vm_hwm_kb();
    println!(
        "(a) fan-out of one distribution to {investors} investors: {:.2} s ({} queued, {} skipped, {} in-app), target ≤ 10 s: {:.2}× the target",
        fan_out.as_secs_f64(),
        pass.counts.queued,
        pass.counts.skipped,
        pass.counts.in_app,
        fan_out.as_secs_f64() / 10.0
    );
    println!(
        "    peak RSS (VmHWM): {rss_before} kB after seeding, {rss_after} kB after the fan-out"
    );
    let sent = send_to_sink(db, send_n, senders).await?;
    println!(
        "(b) {send_n} emails sent to the local sink with {senders} pooled connections: {:.2} s, {:.0} messages/s, target ≥ 500/s: {:.2}× the target",
        sent.as_secs_f64(),
        send_n as f64 / sent.as_secs_f64(),
        send_n as f64 / sent.as_secs_f64() / 500.0
    );
    let _ = org;
    fresh.drop_database().await;
    Ok(())
}

/// Sends `n` queued emails to a sink started here; returns the time taken.
async fn send_to_sink(db: &Db, n: usize, senders: usize) -> Result<Duration> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let dir = std::env::temp_dir().join(format!("clearway-bench-mail-{port}"));
    let mut sink = Command::new("python3")
        .args(["scripts/smtp-sink.py", "--port", &port.to_string(), "--dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .spawn()
        .context(
            "python3 scripts/smtp-sink.py (run from the repository root; pip install aiosmtpd)",
        )?;
    let mut line = String::new();
    BufReader::new(sink.stdout.take().context("sink stdout")?).read_line(&mut line)?;
    if !line.starts_with("ready") {
        let _ = sink.kill();
        bail!("the SMTP sink did not start: {line}");
    }
    let smtp = EmailSender::Smtp(SmtpSender::new(&SmtpSettings {
        url: format!("smtp://127.0.0.1:{port}"),
        message_id_domain: "bench.example".into(),
        pool_size: senders as u32,
        timeout: Duration::from_secs(30),
    })?);
    let settings = SenderSettings::default();
    let remaining = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(n as i64));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..senders.max(1) {
        let (db, smtp, settings, remaining) = (
            db.clone(),
            smtp.clone(),
            settings.clone(),
            remaining.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while remaining.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) > 0 {
                match send::send_next_email(&db, &smtp, &settings, &format!("bench-{w}")).await {
                    Ok(Some((_, "sent"))) => {}
                    Ok(other) => return Err(anyhow::anyhow!("not sent: {:?}", other.map(|o| o.1))),
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let took = started.elapsed();
    let stored = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    let _ = sink.kill();
    let _ = sink.wait();
    let _ = std::fs::remove_dir_all(&dir);
    if stored != n {
        bail!("the sink stored {stored} messages, expected {n}");
    }
    Ok(took)
}

/// Peak resident set size of this process so far (VmHWM, kB).
fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}
