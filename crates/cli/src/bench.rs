//! `clearway bench …`: benchmarks that print medians and the ratio to a baseline measured in
//! the same run. Each runs on a fresh database (a temp SQLite file, or a new database on the
//! PostgreSQL server given by `--database-url`), dropped afterwards.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use clearway_core::distribution::{plan_lines, Allocation, Kind, Schedule, Status};
use clearway_core::{allocation::ComponentRatios, Currency};
use clearway_server::{demo, Config};
use clearway_store::distributions::{self as store, NewDistribution};
use clearway_store::testing::{fresh_database, Fresh};
use clearway_store::{funds, q, Actor, DbOptions, Tx};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

mod reconcile;

/// Which benchmark.
#[derive(Subcommand)]
pub enum Which {
    /// N payments → one NACHA file (decrypt account numbers, build PPD/CCD batches, validate,
    /// write), against merely formatting the same entry records as text; `--end-to-end` times
    /// the rail job on a database instead (load, build, store sealed, mark every payment SENT).
    Nacha {
        /// Payments in the file.
        #[arg(long, default_value_t = 100_000)]
        payments: usize,
        /// Timed runs (after 1 warm-up run).
        #[arg(long, default_value_t = 7)]
        runs: usize,
        /// Time the whole rail job on a database.
        #[arg(long)]
        end_to_end: bool,
        /// Base database URL (PostgreSQL) for `--end-to-end`; a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
    },
    /// A provider status webhook (signed, verified, replay-guarded, payment settled with its
    /// line, audit and event) over HTTP, one after another; baseline `GET /healthz`.
    ProviderWebhook {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Webhooks to send (one payment each).
        #[arg(long, default_value_t = 2_000)]
        count: usize,
    },
    /// Create a pro-rata distribution over N investors through the HTTP API; compare the
    /// persistence of its lines with a raw bulk insert (COPY / prepared INSERT) of the same rows.
    Create {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Investors (= lines).
        #[arg(long, default_value_t = 10_000)]
        investors: usize,
        /// Timed runs (after 2 warm-up runs).
        #[arg(long, default_value_t = 11)]
        runs: usize,
    },
    /// `GET /api/distributions/:id` under concurrent connections; baseline `GET /healthz`.
    Get {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Requests in total.
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
    },
    /// The reinvestment step of one N-line distribution with mixed elections (CASH, AUTOMATIC,
    /// PARTIAL, ALTERNATIVE, organization default) and return of capital, persistence and
    /// commit included; baseline: a raw bulk load of the very same rows it writes.
    Reinvest {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Lines (= investors).
        #[arg(long, default_value_t = 100_000)]
        lines: usize,
        /// Timed runs (after 1 warm-up run), each on its own month's distribution.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Return-of-capital share of each line (e.g. 0.2), applied against every holder's lots.
        #[arg(long, default_value = "0")]
        roc: String,
    },
    /// N distributions created, approved and processed concurrently; checks none is lost and
    /// no event is emitted twice.
    Lifecycle {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Distributions.
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// Concurrent API clients.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
    /// End-to-end reconciliation: a seeded noisy BAI2 statement imported and matched through
    /// the store against N payments; match rate and false matches against the ground truth,
    /// and the ratio to the pure matching engine on the same data in the same run.
    Reconcile {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Payments (the statement has about as many lines).
        #[arg(long, default_value_t = 10_000)]
        payments: usize,
        /// Seed of the generator.
        #[arg(long, default_value_t = 20_240_101)]
        seed: u64,
        /// Runs, each on a fresh database (medians are printed).
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
}

/// Runs one benchmark.
pub async fn run(which: Which) -> Result<()> {
    match which {
        Which::Reconcile {
            database_url,
            payments,
            seed,
            runs,
        } => reconcile::run(database_url.as_deref(), payments, seed, runs).await,
        Which::Nacha {
            payments,
            runs,
            end_to_end,
            database_url,
        } => {
            if runs == 0 || payments == 0 {
                bail!("--runs and --payments must be at least 1");
            }
            if end_to_end {
                crate::bench_payments::nacha_end_to_end(database_url.as_deref(), payments, runs)
                    .await
            } else {
                crate::bench_payments::nacha(payments, runs)
            }
        }
        Which::ProviderWebhook {
            database_url,
            count,
        } => crate::bench_payments::provider_webhook(database_url.as_deref(), count).await,
        Which::Create {
            database_url,
            investors,
            runs,
        } => create(database_url.as_deref(), investors, runs).await,
        Which::Get {
            database_url,
            concurrency,
            requests,
        } => get(database_url.as_deref(), concurrency, requests).await,
        Which::Lifecycle {
            database_url,
            count,
            concurrency,
        } => lifecycle(database_url.as_deref(), count, concurrency).await,
        Which::Reinvest {
            database_url,
            lines,
            runs,
            roc,
        } => reinvest(database_url.as_deref(), lines, runs, &roc).await,
    }
}

pub(crate) fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub(crate) fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let rank = ((samples.len() as f64) * p).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

struct Setup {
    fresh: Fresh,
    seeded: demo::Seeded,
    base: String,
    client: reqwest::Client,
    running: clearway_server::Running,
}

async fn setup(database_url: Option<&str>, investors: usize, config: Config) -> Result<Setup> {
    let fresh = fresh_database(
        database_url,
        &DbOptions {
            max_connections: 16,
        },
    )
    .await
    .context("creating a fresh database")?;
    let mut options = demo::Options::demo(investors);
    options.history = false;
    let seeded = demo::seed(&fresh.db, &options).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let running = clearway_server::start(fresh.db.clone(), config, listener).await?;
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    println!("backend: {:?}, investors: {investors}", fresh.db.backend());
    Ok(Setup {
        fresh,
        seeded,
        base,
        client,
        running,
    })
}

impl Setup {
    async fn finish(self) {
        self.running.shutdown().await;
        self.fresh.drop_database().await;
    }
}

fn pro_rata_body(fund_id: &str, record_date: &str) -> Value {
    json!({
        "fundId": fund_id, "declarationDate": "2026-03-02", "recordDate": record_date, "payableDate": "2026-03-31",
        "currency": "USD", "description": "bench",
        "allocation": { "method": "pro_rata", "total": "1000000.01", "components": { "ordinaryDividend": "0.6", "returnOfCapital": "0.4" } }
    })
}

async fn create(database_url: Option<&str>, investors: usize, runs: usize) -> Result<()> {
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    let s = setup(database_url, investors, Config::default()).await?;
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

    // Persistence: our store path vs a raw bulk load of the very same rows.
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
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for i in 0..runs + 2 {
        let started = Instant::now();
        let mut tx = s.fresh.db.begin().await?;
        store::insert(&mut tx, &operator, &new, &lines).await?;
        tx.commit().await?;
        let ours_elapsed = started.elapsed();
        // The raw baseline loads the same rows under a header inserted beforehand (untimed).
        let mut tx = s.fresh.db.begin().await?;
        let header = store::insert(&mut tx, &operator, &new, &[]).await?;
        tx.commit().await?;
        let rows = raw_rows(&header.id, &s.seeded.org_id, &lines);
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
    s.finish().await;
    Ok(())
}

/// The line rows exactly as stored, pre-rendered for the raw baseline.
fn raw_rows(
    distribution_id: &str,
    org_id: &str,
    lines: &[clearway_core::distribution::PlannedLine],
) -> Vec<[String; 14]> {
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
    match tx {
        Tx::Pg(pg) => {
            let mut text = String::with_capacity(rows.len() * 160);
            for r in rows {
                text.push_str(&r.join("\t"));
                text.push('\n');
            }
            let mut copy = pg
                .copy_in_raw(&format!(
                    "COPY distribution_lines ({RAW_COLUMNS}) FROM STDIN"
                ))
                .await?;
            copy.send(text.into_bytes()).await?;
            copy.finish().await?;
        }
        Tx::Sqlite(_) => {
            let columns: Vec<&str> = RAW_COLUMNS.split(", ").collect();
            tx.bulk_load("distribution_lines", &columns, &RawLines(rows))
                .await?;
        }
    }
    Ok(())
}

async fn get(database_url: Option<&str>, concurrency: usize, requests: usize) -> Result<()> {
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

async fn lifecycle(database_url: Option<&str>, count: usize, concurrency: usize) -> Result<()> {
    let config = Config {
        job_workers: 4,
        ..Config::default()
    };
    let s = Arc::new(setup(database_url, 10, config).await?);
    let started = Instant::now();
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
                let body = pro_rata_body(&s.seeded.open_fund_id, "2026-03-16");
                let resp = s
                    .client
                    .post(format!("{}/api/distributions", s.base))
                    .bearer_auth(&s.seeded.tokens.operator)
                    .header("Idempotency-Key", format!("bench-{i}"))
                    .json(&body)
                    .send()
                    .await?;
                if resp.status() != 201 {
                    bail!("create {i}: {} {}", resp.status(), resp.text().await?);
                }
                let id = resp.json::<Value>().await?["id"]
                    .as_str()
                    .context("id")?
                    .to_string();
                for (token, action) in [
                    (&s.seeded.tokens.operator, "ready"),
                    (&s.seeded.tokens.approver, "approve"),
                    (&s.seeded.tokens.operator, "process"),
                ] {
                    let resp = s
                        .client
                        .patch(format!("{}/api/distributions/{id}/{action}", s.base))
                        .bearer_auth(token)
                        .send()
                        .await?;
                    if !resp.status().is_success() {
                        bail!("{action} {id}: {} {}", resp.status(), resp.text().await?);
                    }
                }
                bar.inc(1);
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    bar.finish_and_clear();
    let submitted = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let row = s
            .fresh
            .db
            .fetch_optional(q(
                "SELECT COUNT(*) AS n FROM distributions WHERE status = 'COMPLETED'",
            ))
            .await?
            .context("count")?;
        if row.i64("n")? as usize >= count {
            break;
        }
        if Instant::now() > deadline {
            bail!("not all distributions completed within 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let all_done = started.elapsed();
    // The payment jobs each processing run enqueues (bank files) finish after COMPLETED.
    loop {
        let busy = s
            .fresh
            .db
            .fetch_optional(q(
                "SELECT COUNT(*) AS n FROM jobs WHERE status IN ('QUEUED','RUNNING') AND kind <> 'payment.retry'",
            ))
            .await?
            .context("count")?
            .i64("n")?;
        if busy == 0 {
            break;
        }
        if Instant::now() > deadline {
            bail!("payment jobs did not finish within 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let db = &s.fresh.db;
    let one = |sql: &'static str| async move {
        db.fetch_optional(q(sql))
            .await
            .map(|r| r.map(|r| r.i64("n").unwrap_or(-1)).unwrap_or(-1))
    };
    let distributions = one("SELECT COUNT(*) AS n FROM distributions").await?;
    let completed_events =
        one("SELECT COUNT(*) AS n FROM outbox WHERE event_type = 'distribution.completed'").await?;
    let duplicate_events = one("SELECT COUNT(*) AS n FROM (SELECT aggregate_id, event_type FROM outbox GROUP BY aggregate_id, event_type HAVING COUNT(*) > 1) d").await?;
    let dead_jobs =
        one("SELECT COUNT(*) AS n FROM jobs WHERE status <> 'DONE' AND kind <> 'payment.retry'")
            .await?;
    println!(
        "{count} distributions x 10 lines: submitted in {:.1?}, all COMPLETED after {:.1?} ({:.0}/s end to end)",
        submitted,
        all_done,
        count as f64 / all_done.as_secs_f64()
    );
    println!("distributions stored {distributions}, completed events {completed_events}, duplicate events {duplicate_events}, unfinished jobs {dead_jobs}");
    if distributions != count as i64
        || completed_events != count as i64
        || duplicate_events != 0
        || dead_jobs != 0
    {
        bail!("lifecycle check failed");
    }
    match Arc::try_unwrap(s) {
        Ok(s) => s.finish().await,
        Err(_) => bail!("setup still shared"),
    }
    Ok(())
}

/// Record and payable dates of the benchmark's monthly distributions (payable dates are
/// business days, so the demo NAV is EXACT).
const REINVEST_MONTHS: [(&str, &str); 8] = [
    ("2026-03-16", "2026-03-31"),
    ("2026-04-16", "2026-04-30"),
    ("2026-05-15", "2026-05-29"),
    ("2026-06-16", "2026-06-30"),
    ("2026-07-16", "2026-07-31"),
    ("2026-08-17", "2026-08-31"),
    ("2026-09-16", "2026-09-30"),
    ("2026-10-16", "2026-10-30"),
];

async fn reinvest(database_url: Option<&str>, lines: usize, runs: usize, roc: &str) -> Result<()> {
    use clearway_core::reinvestment::{Election, Percentage};
    use clearway_store::reinvestment::{self as rstore, ElectionImport};

    if runs == 0 || runs + 1 > REINVEST_MONTHS.len() {
        bail!("--runs must be between 1 and {}", REINVEST_MONTHS.len() - 1);
    }
    if lines == 0 {
        bail!("--lines must be at least 1");
    }
    let roc: rust_decimal::Decimal = roc.parse().context("--roc must be a decimal such as 0.2")?;
    if roc < rust_decimal::Decimal::ZERO || roc > rust_decimal::Decimal::ONE {
        bail!("--roc must be between 0 and 1");
    }
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
    // Mixed elections: 20 % each CASH, AUTOMATIC, PARTIAL (odd percentages), ALTERNATIVE
    // (money-market fund), and no election (organization default: CASH).
    let odd = ["37.5", "12.345678", "66.6667", "0.5"];
    let items: Vec<ElectionImport> = seeded
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
        .collect();
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
    println!(
        "backend: {:?}, lines: {lines}, elections: {} (CASH/AUTOMATIC/PARTIAL/ALTERNATIVE) + organization default, return of capital {roc} of each line",
        db.backend(),
        items.len()
    );

    let bar = ProgressBar::new((runs + 1) as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:40} {pos}/{len}")?);
    bar.set_message("reinvestment step");
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    let mut reinvested = 0usize;
    for (i, (record, payable)) in REINVEST_MONTHS.iter().take(runs + 1).enumerate() {
        let d = processing_distribution(
            &db,
            &operator,
            &approver,
            &seeded.open_fund_id,
            record,
            payable,
            roc,
        )
        .await?;
        // What the step will write, planned untimed (rolled back), for the baseline.
        let mut tx = db.begin().await?;
        let writes = clearway_server::reinvestment::step::plan(&mut tx, &system, &d)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        drop(tx);
        // Ours: the whole step (reads, computation, writes, line settlement, checks) + commit.
        let started = Instant::now();
        let mut tx = db.begin().await?;
        clearway_server::reinvestment::step(&mut tx, &system, &d)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let stepped = started.elapsed();
        tx.commit().await?;
        let ours_elapsed = started.elapsed();
        tracing::debug!(
            commit_ms = (ours_elapsed - stepped).as_millis() as u64,
            "reinvest run commit"
        );
        // Baseline: the same rows bulk-loaded raw (under another distribution id and holdings
        // date, so keys do not collide) + commit.
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
        let rows = rstore::rows(&system, &ctx, &baseline);
        let started = Instant::now();
        let mut tx = db.begin().await?;
        rstore::insert_rows(&mut tx, &system, &rows).await?;
        tx.commit().await?;
        let raw_elapsed = started.elapsed();
        reinvested = writes.reinvestments.len();
        if i >= 1 {
            ours.push(ours_elapsed);
            raw.push(raw_elapsed);
        }
        tracing::info!(
            run = i,
            rows = rows.len(),
            ours_ms = ours_elapsed.as_millis() as u64,
            raw_ms = raw_elapsed.as_millis() as u64,
            "reinvest run"
        );
        bar.inc(1);
    }
    bar.finish_and_clear();
    let check = db
        .fetch_optional(q(
            "SELECT COUNT(*) AS n FROM distribution_lines WHERE cash_minor IS NULL OR reinvested_minor + cash_minor + withholding_minor <> total_minor",
        ))
        .await?
        .context("check")?
        .i64("n")?;
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
    fresh.drop_database().await;
    Ok(())
}

/// A pro-rata distribution (`roc` of it return of capital) taken to PROCESSING through the
/// store, untimed.
async fn processing_distribution(
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
