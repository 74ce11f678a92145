//! `clearway bench …`: benchmarks that print medians and the ratio to a baseline measured in
//! the same run. Each runs on a fresh database (a temp SQLite file, or a new database on the
//! PostgreSQL server given by `--database-url`), dropped afterwards.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use clearway_server::{demo, Config};
use clearway_store::testing::{fresh_database, Fresh};
use clearway_store::DbOptions;
use serde_json::{json, Value};

mod api;
mod capital;
mod cluster;
mod create;
mod documents;
mod forecast;
mod forecast_api;
mod notifications;
mod pages;
mod payments;
mod payouts;
mod reconcile;
mod reinvest;
mod schedules;
mod stream;
mod sync;
mod tax;
mod waterfall;
mod withholding;

/// Which benchmark.
#[derive(Subcommand)]
pub enum Which {
    /// Sync import of an administrator's holdings file (issue 21: 100,000 rows ≤ 5 s), through
    /// the whole import path, on a fresh database per run (medians printed).
    Sync {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Rows in the file (one investor each).
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        /// Runs, each on a fresh database.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Schedule materialization: N funds with a monthly schedule each, a year of DRAFTs
    /// created through the normal creation path; baselines in the same run: the core date
    /// generation alone, and one draft per transaction on `--baseline-funds` more funds.
    Schedules {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Funds (one monthly schedule each).
        #[arg(long, default_value_t = 1_000)]
        funds: usize,
        /// Holders per fund (= lines per draft).
        #[arg(long, default_value_t = 10)]
        investors: usize,
        /// Funds whose drafts are created one per transaction (the baseline).
        #[arg(long, default_value_t = 100)]
        baseline_funds: usize,
        /// Runs, each on a fresh database (medians are printed).
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// N payments → NACHA files of at most 10,000 entries (decrypt account numbers, split into
    /// PPD/CCD batches and files, validate, write, read every file back), timed in parts,
    /// against the single-file path before issue 14 and merely formatting the same entry
    /// records as text, in the same run; `--end-to-end` times
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
    /// The outbox relayed to NATS JetStream: a backlog of N events over 1,000 aggregates
    /// drained (events/s, fan-out included), then N written at 20,000/s while the relay runs
    /// (lag p50/p95 from outbox write to JetStream ack); medians of the runs, against the
    /// issue's 20,000 events/s target.
    Stream {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// NATS server with JetStream.
        #[arg(long, default_value = "nats://127.0.0.1:4222")]
        nats_url: String,
        /// Events per phase.
        #[arg(long, default_value_t = 100_000)]
        events: usize,
        /// Aggregates the events are spread over.
        #[arg(long, default_value_t = 1_000)]
        aggregates: usize,
        /// Runs, each on a fresh database and stream (medians are printed).
        #[arg(long, default_value_t = 3)]
        runs: usize,
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
    /// One fund's distribution forecast (36 months of history, selection by backtest)
    /// through the API, one request after another; baseline: a plain fund read.
    ForecastApi {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Holders of the fund.
        #[arg(long, default_value_t = 1_000)]
        investors: usize,
        /// Requests of each.
        #[arg(long, default_value_t = 500)]
        requests: usize,
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
    /// Processing an N-line distribution (the job's steps, commit included) with withholding
    /// off and on, alternately in the same run: medians and the on/off ratio.
    Withholding {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Lines (= investors).
        #[arg(long, default_value_t = 10_000)]
        lines: usize,
        /// Timed runs of each (after 1 warm-up of each).
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// 1099-DIV figures, issuing every 1099-DIV and the IRS FIRE file for N investors over a
    /// closed year of 12 monthly distributions; baseline: a plain scan of the same lines.
    Tax {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Investors (one line each in each of the 12 distributions).
        #[arg(long, default_value_t = 100_000)]
        investors: usize,
        /// Timed runs of each step (medians are printed).
        #[arg(long, default_value_t = 3)]
        runs: usize,
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
    /// The capital-account report of a partnership of N investors over ten years (semi-annual
    /// contributions and distributions, quarterly income), whole period and last year; baseline:
    /// plain SUMs over the same rows, in the same run.
    Capital {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Investors (committed to the partnership).
        #[arg(long, default_value_t = 5_000)]
        investors: usize,
        /// Timed runs (after 1 warm-up run).
        #[arg(long, default_value_t = 7)]
        runs: usize,
    },
    /// Forecast accuracy on the M3 and Tourism holdouts (auto selection and every single
    /// model: mean sMAPE, MASE, interval coverage, the ratio to SeasonalNaive in the same run),
    /// and the speed case: 1,000 series × 36 monthly points with backtest selection.
    Forecast {
        /// Folder holding m3_monthly.csv, m3_quarterly.csv, tourism_monthly.csv and
        /// tourism_quarterly.csv (long format).
        #[arg(long, default_value = "../shared/forecasting")]
        data_dir: std::path::PathBuf,
        /// Timed runs of the speed case (after 1 warm-up run).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Worker threads (default: the available parallelism).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Notifications: (a) one processed distribution with N investors expanded into messages
    /// (fan-out, render, queue) and peak RSS; (b) M of those emails sent to a local SMTP sink
    /// (`scripts/smtp-sink.py`, started here) over a pooled connection.
    Notifications {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Investors with a line in the distribution.
        #[arg(long, default_value_t = 100_000)]
        investors: usize,
        /// Emails sent to the sink.
        #[arg(long, default_value_t = 5_000)]
        send: usize,
        /// Sender tasks (and pooled SMTP connections).
        #[arg(long, default_value_t = 8)]
        senders: usize,
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
    /// N distributions end to end (create → approve → process → payments/reinvestment → bank
    /// files) through the HTTP API of 1, 2 and 3 `clearway serve` processes on one PostgreSQL
    /// database: distributions/s and p95 API latency each, exactly-once checks, 3-vs-1 ratio.
    Cluster {
        /// Base database URL (PostgreSQL; required).
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Distributions per process count.
        #[arg(long, default_value_t = 10_000)]
        distributions: usize,
        /// Concurrent API clients.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Largest process count (runs --min-processes..=this).
        #[arg(long, default_value_t = 3)]
        processes: usize,
        /// Smallest process count (the ratio is to the smallest run).
        #[arg(long, default_value_t = 1)]
        min_processes: usize,
        /// The servers' ACH cut interval (CLEARWAY_ACH_CUT_SECS): every distribution's ACH
        /// payments wait for the next cut, which writes the files of all of them.
        #[arg(long, default_value_t = 30)]
        ach_cut_secs: u64,
    },
    /// Server time of the web pages over large data: the distributions list with N
    /// distributions and the page of one distribution with M lines (p50/p95 from
    /// `Server-Timing`), against the JSON API's list page in the same run.
    Pages {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Distributions in the organization.
        #[arg(long, default_value_t = 10_000)]
        distributions: usize,
        /// Lines of the large distribution (= investors).
        #[arg(long, default_value_t = 10_000)]
        lines: usize,
        /// Requests per page.
        #[arg(long, default_value_t = 200)]
        requests: usize,
    },
    /// The European waterfall of N investors with C contributions and P prior distributions
    /// each: in the core (against a pro-rata split of the same proceeds), and through the
    /// hypothetical endpoint over the same numbers of rows (p50/p95 server time, against a
    /// `GET` of the terms).
    Waterfall {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Investors (partners).
        #[arg(long, default_value_t = 5_000)]
        investors: usize,
        /// Contributions per investor.
        #[arg(long, default_value_t = 40)]
        contributions: usize,
        /// Prior distributions per investor.
        #[arg(long, default_value_t = 30)]
        prior: usize,
        /// Timed core runs (after 1 warm-up run).
        #[arg(long, default_value_t = 7)]
        runs: usize,
        /// Requests to the endpoint (after 3 warm-ups).
        #[arg(long, default_value_t = 40)]
        requests: usize,
    },
    /// A demo organization of N investors pays pro-rata distributions of $1,000,000,
    /// $60,000,000,000 and $2,000,000,000,000 through the API and the job workers; prints per
    /// distribution its status, payments by method and status, review causes (OVERSIZED, …),
    /// ACH files and their entries, and the orphaned payments (fails unless 0).
    Payouts {
        /// Base database URL (PostgreSQL); a temp SQLite file when absent.
        #[arg(long, env = "BENCH_DATABASE_URL")]
        database_url: Option<String>,
        /// Investors of the demo organization.
        #[arg(long, default_value_t = 30_000)]
        investors: usize,
        /// Also write every ACH file downloaded into this directory (for another reader).
        #[arg(long)]
        files_out: Option<std::path::PathBuf>,
    },
    /// Investor documents as PDF: the median of one year's statement (target ≤ 50 ms) and N
    /// distribution notices rendered across every core (target 10,000 in ≤ 30 s on 2 cores),
    /// each with its ratio to the target. Rendering only: no database.
    Documents {
        /// Timed renderings of the statement (after one warm-up).
        #[arg(long, default_value_t = 21)]
        runs: usize,
        /// Notices to render.
        #[arg(long, default_value_t = 10_000)]
        notices: usize,
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
        Which::Documents { runs, notices } => documents::documents(runs.max(1), notices.max(1)),
        Which::Reconcile {
            database_url,
            payments,
            seed,
            runs,
        } => reconcile::run(database_url.as_deref(), payments, seed, runs).await,
        Which::Payouts {
            database_url,
            investors,
            files_out,
        } => payouts::payouts(database_url.as_deref(), investors, files_out.as_deref()).await,
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
                payments::nacha_end_to_end(database_url.as_deref(), payments, runs).await
            } else {
                payments::nacha(payments, runs)
            }
        }
        Which::Stream {
            database_url,
            nats_url,
            events,
            aggregates,
            runs,
        } => stream::stream(database_url.as_deref(), &nats_url, events, aggregates, runs).await,
        Which::ProviderWebhook {
            database_url,
            count,
        } => payments::provider_webhook(database_url.as_deref(), count).await,
        Which::Create {
            database_url,
            investors,
            runs,
        } => create::create(database_url.as_deref(), investors, runs).await,
        Which::Get {
            database_url,
            concurrency,
            requests,
        } => api::get(database_url.as_deref(), concurrency, requests).await,
        Which::ForecastApi {
            database_url,
            investors,
            requests,
        } => forecast_api::forecast_api(database_url.as_deref(), investors, requests).await,
        Which::Sync {
            database_url,
            rows,
            runs,
        } => sync::sync(database_url.as_deref(), rows, runs).await,
        Which::Schedules {
            database_url,
            funds,
            investors,
            baseline_funds,
            runs,
        } => {
            schedules::schedules(
                database_url.as_deref(),
                funds,
                investors,
                baseline_funds,
                runs,
            )
            .await
        }
        Which::Pages {
            database_url,
            distributions,
            lines,
            requests,
        } => pages::pages(database_url.as_deref(), distributions, lines, requests).await,
        Which::Notifications {
            database_url,
            investors,
            send,
            senders,
        } => notifications::run(database_url.as_deref(), investors, send, senders).await,
        Which::Lifecycle {
            database_url,
            count,
            concurrency,
        } => api::lifecycle(database_url.as_deref(), count, concurrency).await,
        Which::Cluster {
            database_url,
            distributions,
            concurrency,
            processes,
            min_processes,
            ach_cut_secs,
        } => {
            if distributions == 0 {
                bail!("--distributions must be at least 1");
            }
            if min_processes == 0 || min_processes > processes {
                bail!("--min-processes must be between 1 and --processes");
            }
            cluster::cluster(
                database_url.as_deref(),
                distributions,
                concurrency,
                (min_processes..=processes, ach_cut_secs),
            )
            .await
        }
        Which::Withholding {
            database_url,
            lines,
            runs,
        } => withholding::withholding(database_url.as_deref(), lines, runs).await,
        Which::Tax {
            database_url,
            investors,
            runs,
        } => tax::tax(database_url.as_deref(), investors, runs)
            .await
            .map(|_| ()),
        Which::Reinvest {
            database_url,
            lines,
            runs,
            roc,
        } => reinvest::reinvest(database_url.as_deref(), lines, runs, &roc).await,
        Which::Waterfall {
            database_url,
            investors,
            contributions,
            prior,
            runs,
            requests,
        } => {
            waterfall::waterfall(
                database_url.as_deref(),
                investors,
                contributions,
                prior,
                runs,
                requests,
            )
            .await
        }
        Which::Capital {
            database_url,
            investors,
            runs,
        } => capital::capital(database_url.as_deref(), investors, runs).await,
        Which::Forecast {
            data_dir,
            runs,
            threads,
        } => forecast::forecast(&data_dir, runs, threads),
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
    /// The seeded operator as a store actor (for seeding through the store).
    fn operator(&self) -> clearway_store::Actor {
        clearway_store::Actor {
            user_id: self.seeded.user_ids["operator"].clone(),
            org_id: self.seeded.org_id.clone(),
            role: clearway_core::access::Role::Operator,
            investor_id: None,
        }
    }

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

/// Creates a distribution from `body` (idempotency key `key`) and takes it to PROCESSING
/// (ready by the operator, approve by the approver, process); returns its id and the
/// approver's answer.
async fn submit(s: &Setup, body: &Value, key: &str) -> Result<(String, Value)> {
    let resp = s
        .client
        .post(format!("{}/api/distributions", s.base))
        .bearer_auth(&s.seeded.tokens.operator)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await?;
    if resp.status() != 201 {
        bail!("create {key}: {} {}", resp.status(), resp.text().await?);
    }
    let id = resp.json::<Value>().await?["id"]
        .as_str()
        .context("id")?
        .to_string();
    let mut approved = Value::Null;
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
        if action == "approve" {
            approved = resp.json().await?;
        }
    }
    Ok((id, approved))
}
