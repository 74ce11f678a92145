//! Payments benchmarks: `clearway bench nacha` (N payments → NACHA files, read back) and
//! `clearway bench provider-webhook` (a signed provider status update end to end over HTTP).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clearway_core::access::Role;
use clearway_core::distribution::{plan_lines, Action, Allocation, Kind, Schedule, Status};
use clearway_core::payments::limits::{AchLimits, NACHA_ENTRY_MAX_MINOR};
use clearway_core::payments::Method;
use clearway_core::{allocation::ComponentRatios, Currency};
use clearway_formats::ach::{self, AccountType};
use clearway_server::events::relay::sign;
use clearway_server::payments::rails::{self, AchItem};
use clearway_server::payments::{Originator, ProviderConfig, Vault};
use clearway_server::{demo, AppState, Config, Running};
use clearway_store::distributions::{self as store, NewDistribution};
use clearway_store::testing::{
    self, bench_ach_payees, bench_provider_refs, bench_reset_payments, fresh_database, Check, Fresh,
};
use clearway_store::{funds, Actor, Db, DbOptions, Tx};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::{median, ms, percentile};

/// Routing numbers of real banks (check digits valid).
const ROUTINGS: [&str; 4] = ["021000021", "121042882", "026009593", "011000138"];

struct Payee {
    payment_id: String,
    routing: String,
    sealed: clearway_store::bank_accounts::Sealed,
    account_type: AccountType,
    amount_cents: u64,
    entity: bool,
    name: String,
}

/// The baseline: the same entry records formatted as 94-character text, nothing else.
fn format_only(items: &[AchItem]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(items.len() * 95);
    for (i, it) in items.iter().enumerate() {
        let _ = writeln!(
            out,
            "6{}{}{:<17}{:010}{:<15}{:<22}  0{}{:07}",
            it.account_type.credit_code(),
            it.routing_number,
            it.account_number,
            it.amount_cents,
            &it.payment_id[..15],
            it.name,
            &ROUTINGS[0][..8],
            i + 1
        );
    }
    out
}

/// The NACHA step as the rail runs it, timed in parts: decrypt the account numbers, split into
/// files within the limits and write them, read every file back with our own reader (each
/// part on every core, as the rail does: `rails::ach::par_map`).
struct Timed {
    decrypt: Duration,
    write: Duration,
    verify: Duration,
    files: Vec<ach::CreditFile>,
}

fn rail_step(
    vault: &Vault,
    payees: &[Payee],
    orig: &ach::Originator,
    created: chrono::NaiveDateTime,
    effective: NaiveDate,
) -> Result<Timed> {
    let t = Instant::now();
    // As the rail: account numbers decrypted on every core, then the items.
    let opened = rails::ach::par_map(payees, |p| vault.open(&p.sealed));
    let items: Vec<AchItem> = payees
        .iter()
        .zip(opened)
        .map(|(p, account)| {
            Ok(AchItem {
                payment_id: p.payment_id.clone(),
                routing_number: p.routing.clone(),
                account_number: account?,
                account_type: p.account_type,
                amount_cents: p.amount_cents,
                entity: p.entity,
                name: p.name.clone(),
                individual_id: Some(clearway_core::payments::reference::token(&p.payment_id)),
            })
        })
        .collect::<Result<_>>()?;
    let decrypt = t.elapsed();
    let t = Instant::now();
    let limits = rails::ach::file_limits(&AchLimits::default(), NACHA_ENTRY_MAX_MINOR);
    let plans = ach::plan_credit_files(&items, &limits)?;
    let mut heads = Vec::with_capacity(plans.len());
    let mut first_sequence = 1;
    for (plan, modifier) in plans
        .iter()
        .zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".chars())
    {
        heads.push(ach::FileHead {
            originator: orig,
            created,
            effective,
            modifier,
            first_sequence,
        });
        first_sequence += plan.entry_count() as u32;
    }
    if heads.len() < plans.len() {
        bail!("more files than one day's File ID Modifiers");
    }
    // As the rail: files are independent, written and read back on every core.
    let jobs: Vec<_> = heads.iter().zip(&plans).collect();
    let files = rails::ach::par_map(&jobs, |(h, plan)| ach::write_credit_file(h, &items, plan))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let write = t.elapsed();
    let t = Instant::now();
    let pairs: Vec<_> = files.iter().zip(&heads).collect();
    let checked = rails::ach::par_map(&pairs, |(f, h)| {
        let modifier = h.modifier;
        let expected: Vec<(&str, u64)> = f
            .traces
            .iter()
            .map(|(i, t)| (t.as_str(), payees[*i].amount_cents))
            .collect();
        ach::verify_credit_file(&f.text, modifier, created.date(), &expected)
    });
    for c in checked {
        c?;
    }
    let verify = t.elapsed();
    Ok(Timed {
        decrypt,
        write,
        verify,
        files,
    })
}

/// The path before issue 14, measured in the same run: decrypt, then one file through the
/// builders (`CreditBatchBuilder`, `File::assemble`, `write_file`), no read-back.
fn old_single_file(
    vault: &Vault,
    payees: &[Payee],
    orig: &ach::Originator,
    created: chrono::NaiveDateTime,
    effective: NaiveDate,
) -> Result<String> {
    let company = ach::nacha_text(&orig.company_name, 16);
    let mut batches = Vec::new();
    let mut seq = 1;
    for sec in [ach::SecCode::Ppd, ach::SecCode::Ccd] {
        let group: Vec<&Payee> = payees
            .iter()
            .filter(|p| p.entity == (sec == ach::SecCode::Ccd))
            .collect();
        for chunk in group.chunks(50_000) {
            let mut b = ach::CreditBatchBuilder::new(
                &company,
                &orig.company_id,
                sec,
                "DISTRIBUTN",
                effective,
                &orig.odfi_routing,
            );
            for p in chunk {
                let hex: String = p.payment_id.chars().filter(|c| *c != '-').collect();
                b = b.entry(ach::CreditEntry {
                    routing_number: p.routing.clone(),
                    account_number: vault.open(&p.sealed)?,
                    account_type: p.account_type,
                    amount_cents: p.amount_cents,
                    individual_id: hex[hex.len().saturating_sub(15)..].to_ascii_uppercase(),
                    individual_name: ach::nacha_text(&p.name, 22),
                    addenda: None,
                });
            }
            let batch = b.build(batches.len() as u32 + 1, seq)?;
            seq += batch.entries.len() as u32;
            batches.push(batch);
        }
    }
    let header = ach::FileHeader {
        priority_code: "01".into(),
        immediate_destination: orig.odfi_routing.clone(),
        immediate_origin: orig.company_id.clone(),
        file_creation_date: created.date(),
        file_creation_time: chrono::NaiveTime::from_hms_opt(0, 0, 0),
        file_id_modifier: 'A',
        immediate_destination_name: ach::nacha_text(&orig.bank_name, 23),
        immediate_origin_name: ach::nacha_text(&orig.company_name, 23),
        reference_code: String::new(),
    };
    Ok(ach::write_file(&ach::File::assemble(header, batches)))
}

/// `clearway bench nacha`: in memory, the work of a NACHA rail job minus the database:
/// decrypt, split into files of at most 10,000 entries, write, read each file back.
pub fn nacha(n: usize, runs: usize) -> Result<()> {
    let vault = Vault::dev();
    // Untimed: N payees with sealed account numbers, as stored.
    let payees: Vec<Payee> = (0..n)
        .map(|i| {
            Ok(Payee {
                payment_id: format!("{:032x}", 0x0190_0000_0000_0000_0000u128 + i as u128),
                routing: ROUTINGS[i % ROUTINGS.len()].into(),
                sealed: vault.seal(&format!("{}", 10_000_000_000u64 + (i as u64) * 7919))?,
                account_type: if i % 4 == 3 {
                    AccountType::Savings
                } else {
                    AccountType::Checking
                },
                amount_cents: 1_000 + (i as u64 * 7_919) % 5_000_000,
                entity: i.is_multiple_of(5),
                name: format!("Investor {i}"),
            })
        })
        .collect::<Result<_>>()?;
    let o = Originator::default();
    let orig = ach::Originator {
        company_name: o.company_name,
        company_id: o.company_id,
        odfi_routing: o.odfi_routing,
        bank_name: o.bank_name,
    };
    let created = chrono::Utc::now().naive_utc();
    let effective = NaiveDate::from_ymd_opt(2026, 3, 31).expect("date");
    // The files are right before they are fast: every payment once, totals equal.
    let first = rail_step(&vault, &payees, &orig, created, effective)?;
    let entries: usize = first.files.iter().map(|f| f.traces.len()).sum();
    let total: u64 = first.files.iter().map(|f| f.total_cents).sum();
    if entries != n || total != payees.iter().map(|p| p.amount_cents).sum::<u64>() {
        bail!("files do not tie out: {entries} entries, credit {total}");
    }
    let bytes: usize = first.files.iter().map(|f| f.text.len()).sum();
    let file_count = first.files.len();
    drop(first);
    let _warm = old_single_file(&vault, &payees, &orig, created, effective)?;
    let (mut dec, mut wr, mut ver, mut tot, mut old, mut base) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let bar = ProgressBar::new(runs as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:40} {pos}/{len}")?);
    bar.set_message("NACHA");
    for _ in 0..runs {
        let t = Instant::now();
        let step = rail_step(&vault, &payees, &orig, created, effective)?;
        tot.push(t.elapsed());
        dec.push(step.decrypt);
        wr.push(step.write);
        ver.push(step.verify);
        drop(step);
        let t = Instant::now();
        std::hint::black_box(old_single_file(&vault, &payees, &orig, created, effective)?);
        old.push(t.elapsed());
        let items: Vec<AchItem> = payees
            .iter()
            .map(|p| AchItem {
                payment_id: p.payment_id.clone(),
                routing_number: p.routing.clone(),
                account_number: String::new(),
                account_type: p.account_type,
                amount_cents: p.amount_cents,
                entity: p.entity,
                name: p.name.clone(),
                individual_id: Some(clearway_core::payments::reference::token(&p.payment_id)),
            })
            .collect();
        let t = Instant::now();
        std::hint::black_box(format_only(&items));
        base.push(t.elapsed());
        bar.inc(1);
    }
    bar.finish_and_clear();
    let (d, w, v, t) = (
        median(&mut dec),
        median(&mut wr),
        median(&mut ver),
        median(&mut tot),
    );
    let (o, b) = (median(&mut old), median(&mut base));
    println!(
        "{n} payments -> {file_count} NACHA files of at most 10,000 entries ({:.1} MB), medians of {runs} runs:",
        bytes as f64 / 1e6
    );
    println!(
        "  decrypt account numbers (AES-256-GCM) into the items: {} ({:.0} % of the total)",
        ms(d),
        100.0 * d.as_secs_f64() / t.as_secs_f64()
    );
    println!("  split + validate + write:               {}", ms(w));
    println!("  read-back validation (our reader):      {}", ms(v));
    println!("  total:                                  {}", ms(t));
    println!(
        "same run, the path before issue 14 (decrypt, builders, one file, no read-back): median {} -> ratio {:.2}x",
        ms(o),
        t.as_secs_f64() / o.as_secs_f64()
    );
    println!(
        "baseline: format the same {n} entry records as text: median {} -> ratio {:.1}x",
        ms(b),
        t.as_secs_f64() / b.as_secs_f64()
    );
    println!("external reference (issue 14, not run here): moov-io/ach build+validate+write of 100,000 PPD credits, 107 ms");
    Ok(())
}

/// `clearway bench nacha --end-to-end`: the rail job on a database: load N pending payments,
/// decrypt, build, store the sealed file, mark every payment SENT with its trace number.
pub async fn nacha_end_to_end(database_url: Option<&str>, n: usize, runs: usize) -> Result<()> {
    let fresh = fresh_database(database_url, &DbOptions { max_connections: 8 })
        .await
        .context("creating a fresh database")?;
    let db = fresh.db.clone();
    println!(
        "backend: {:?}; seeding {n} investors with ACH payees…",
        db.backend()
    );
    let (seeded, vault) = seed_ach_investors(&db, n).await?;
    let (d, step) = timed_payment_step(&db, &seeded, n).await?;
    let count = testing::count(&db, Check::PendingPayments).await?;
    println!("payment step (one payment per line, in the processing transaction): {count} payments in {}", ms(step));
    let state = rail_state(&db, vault);
    let samples = time_rail_job(&state, &seeded, &d, count, runs).await?;
    let sent = testing::count(&db, Check::SentPaymentsTraced).await?;
    if sent != count {
        bail!("only {sent} of {count} payments were marked SENT");
    }
    let mut sorted = samples.clone();
    println!(
        "rail job end to end ({count} payments: load, decrypt, build, seal and store the file, mark SENT + events; {runs} runs): median {} (min {}, max {})",
        ms(median(&mut sorted)),
        ms(*samples.iter().min().expect("runs")),
        ms(*samples.iter().max().expect("runs"))
    );
    fresh.drop_database().await;
    Ok(())
}

/// Seeds `n` cash-only investors, every one paid by ACH; returns them and the vault that
/// sealed their account numbers.
async fn seed_ach_investors(db: &Db, n: usize) -> Result<(demo::Seeded, Vault)> {
    let mut options = demo::Options::demo(n);
    options.history = false;
    // Everyone takes cash (no reinvestment elections): one payment per investor.
    options.elections = false;
    let seeded = demo::seed(db, &options).await?;
    // Every investor paid by ACH (the demo mixes wires and checks in).
    let vault = options.vault.clone();
    let sealed = vault.seal("123456789012")?;
    bench_ach_payees(
        db,
        &seeded.org_id,
        &sealed.ciphertext,
        &sealed.key_id,
        &sealed.last4,
    )
    .await?;
    Ok((seeded, vault))
}

/// A distribution taken to PROCESSING, then the timed reinvestment and payment steps and
/// completion in the same transaction; returns it and that time.
async fn timed_payment_step(
    db: &Db,
    seeded: &demo::Seeded,
    n: usize,
) -> Result<(store::Distribution, Duration)> {
    let system = Actor::system(&seeded.org_id);
    let mut tx = db.begin().await?;
    let d = processing_distribution(&mut tx, seeded, n).await?;
    let started = Instant::now();
    clearway_app::reinvestment::step(&mut tx, &system, &d)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    clearway_server::payments::step(&mut tx, &system, &d, &Default::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    store::transition(&mut tx, &system, &d, Action::Complete).await?;
    tx.commit().await?;
    Ok((d, started.elapsed()))
}

/// A pro-rata, all-ordinary distribution of `n` × $123.45 taken to PROCESSING in `tx`.
async fn processing_distribution(
    tx: &mut Tx,
    seeded: &demo::Seeded,
    n: usize,
) -> Result<store::Distribution> {
    let operator = Actor {
        user_id: seeded.user_ids["operator"].clone(),
        org_id: seeded.org_id.clone(),
        role: Role::Operator,
        investor_id: None,
    };
    let system = Actor::system(&seeded.org_id);
    let date = |t: &str| t.parse::<NaiveDate>();
    let schedule = Schedule {
        declaration: date("2026-03-02")?,
        ex: None,
        record: date("2026-03-16")?,
        payable: date("2026-03-31")?,
    };
    let holdings =
        funds::holdings_as_of(tx, &operator, &seeded.open_fund_id, schedule.record).await?;
    let allocation = Allocation::ProRata {
        total: n as i64 * 12_345,
        ratios: ComponentRatios::all_ordinary(),
    };
    let lines = plan_lines(Currency::USD, &allocation, &holdings, &Default::default())?;
    let new = NewDistribution {
        fund_id: seeded.open_fund_id.clone(),
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
    let d = store::insert(tx, &operator, &new, &lines).await?;
    let d = store::transition(tx, &system, &d, Action::MarkReady).await?;
    let d = store::transition(
        tx,
        &Actor {
            user_id: seeded.user_ids["approver"].clone(),
            ..system.clone()
        },
        &d,
        Action::Approve,
    )
    .await?;
    Ok(store::transition(tx, &system, &d, Action::Process).await?)
}

/// The state the rail job runs with: default configuration, our vault.
fn rail_state(db: &Db, vault: Vault) -> AppState {
    AppState {
        db: db.clone(),
        config: Arc::new(Config {
            payments: clearway_server::payments::PaymentsConfig {
                vault,
                ..Default::default()
            },
            ..Config::default()
        }),
        jobs_ready: Arc::default(),
        events_ready: Arc::default(),
        streams_ready: Arc::default(),
        http: clearway_server::state::http_client(&Default::default()),
        webhook_failures: Arc::default(),
    }
}

/// `runs` timed runs of the ACH rail job over the distribution's `count` pending payments
/// (reset to PENDING between runs).
async fn time_rail_job(
    state: &AppState,
    seeded: &demo::Seeded,
    d: &store::Distribution,
    count: i64,
    runs: usize,
) -> Result<Vec<Duration>> {
    let db = &state.db;
    let system = Actor::system(&seeded.org_id);
    let mut samples = Vec::new();
    for run in 0..runs {
        if run > 0 {
            // Back to PENDING for the next run (a bench-only reset).
            bench_reset_payments(db, &d.id).await?;
        }
        let started = Instant::now();
        let mut tx = db.begin().await?;
        let pending =
            clearway_store::payments::pending_for_rail(&mut tx, &system, &d.id, Method::Ach, None)
                .await?;
        let batch = rails::send_file(
            &mut tx,
            &state.config.payments,
            &system,
            &d.id,
            Method::Ach,
            &pending,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        tx.commit().await?;
        samples.push(started.elapsed());
        if batch.is_none() || pending.len() as i64 != count {
            bail!("the rail job sent {} of {count}", pending.len());
        }
    }
    Ok(samples)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The provider's webhook secret in the benchmark's configuration.
const SECRET: &str = "whsec_bench";

/// `clearway bench provider-webhook`.
pub async fn provider_webhook(database_url: Option<&str>, count: usize) -> Result<()> {
    let (fresh, seeded, running) = start_server(database_url, count).await?;
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    println!("backend: {:?}", fresh.db.backend());
    process_distribution(&client, &base, &seeded).await?;
    wait_for_processing(&fresh.db).await?;
    let refs = bench_provider_refs(&fresh.db).await?;
    if refs.len() < count {
        bail!("only {} sent payments for {count} webhooks", refs.len());
    }
    let url = format!("{base}/api/webhooks/providers/modern-treasury");
    let mut latencies = send_webhooks(&client, &url, &refs[..count]).await?;
    let completed = testing::count(&fresh.db, Check::CompletedPayments).await?;
    if completed as usize != count {
        bail!("{completed} payments completed for {count} webhooks");
    }
    let mut health = health_latencies(&client, &base, count).await?;
    let (p50, p95, p99) = (
        percentile(&mut latencies, 0.5),
        percentile(&mut latencies, 0.95),
        percentile(&mut latencies, 0.99),
    );
    println!("provider webhook end to end x{count} (HTTP, HMAC + timestamp check, replay guard, payment COMPLETED + line PAID + audit + event, one after another): p50 {} p95 {} p99 {}", ms(p50), ms(p95), ms(p99));
    println!(
        "baseline GET /healthz: p50 {} p95 {} -> p95 ratio {:.1}x",
        ms(percentile(&mut health, 0.5)),
        ms(percentile(&mut health, 0.95)),
        p95.as_secs_f64() / percentile(&mut health, 0.95).as_secs_f64()
    );
    running.shutdown().await;
    fresh.drop_database().await;
    Ok(())
}

/// A fresh database seeded with enough cash-only investors for `count` webhooks, and a
/// server on it configured with the provider.
async fn start_server(
    database_url: Option<&str>,
    count: usize,
) -> Result<(Fresh, demo::Seeded, Running)> {
    let fresh = fresh_database(
        database_url,
        &DbOptions {
            max_connections: 16,
        },
    )
    .await
    .context("creating a fresh database")?;
    let mut options = demo::Options::demo(count.div_ceil(49) * 50 / 10 * 10 + 50);
    options.history = false;
    // Everyone takes cash (no reinvestment elections), so every line is paid.
    options.elections = false;
    let seeded = demo::seed(&fresh.db, &options).await?;
    let mut config = Config::default();
    config.payments.modern_treasury = Some(ProviderConfig {
        base_url: "http://127.0.0.1:9".into(),
        organization_id: "org".into(),
        api_key: "key".into(),
        originating_account_id: "oa".into(),
        webhook_secret: SECRET.into(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let running = clearway_server::start(fresh.db.clone(), config, listener).await?;
    Ok((fresh, seeded, running))
}

/// A processed distribution whose payments go out through the provider (SENT, with ids),
/// created and taken to PROCESSING over HTTP.
async fn process_distribution(
    client: &reqwest::Client,
    base: &str,
    seeded: &demo::Seeded,
) -> Result<()> {
    let body = json!({ "fundId": seeded.open_fund_id, "declarationDate": "2026-03-02", "recordDate": "2026-03-16", "payableDate": "2026-03-31", "allocation": { "method": "pro_rata", "total": "1000000.00" } });
    let d: serde_json::Value = client
        .post(format!("{base}/api/distributions"))
        .bearer_auth(&seeded.tokens.operator)
        .json(&body)
        .send()
        .await?
        .json()
        .await?;
    let id = d["id"].as_str().context("distribution id")?.to_string();
    for (token, action) in [
        (&seeded.tokens.operator, "ready"),
        (&seeded.tokens.approver, "approve"),
        (&seeded.tokens.operator, "process"),
    ] {
        let r = client
            .patch(format!("{base}/api/distributions/{id}/{action}"))
            .bearer_auth(token)
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("{action}: {}", r.text().await?);
        }
    }
    Ok(())
}

/// Waits (up to 5 minutes) until no job is busy and the distribution is COMPLETED.
async fn wait_for_processing(db: &Db) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let busy = testing::count(db, Check::BusyJobs).await?;
        let done = testing::count(db, Check::CompletedDistributions).await?;
        if busy == 0 && done == 1 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("processing did not finish");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One signed "completed" webhook per provider reference, one after another; returns
/// each round trip's latency.
async fn send_webhooks(
    client: &reqwest::Client,
    url: &str,
    refs: &[String],
) -> Result<Vec<Duration>> {
    let bar = ProgressBar::new(refs.len() as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:40} {pos}/{len}")?);
    bar.set_message("webhooks");
    let mut latencies = Vec::with_capacity(refs.len());
    for (i, reference) in refs.iter().enumerate() {
        let raw = json!({ "id": format!("evt_{i}"), "event": "completed", "data": { "id": reference, "status": "completed", "effective_date": "2026-03-31" } }).to_string();
        let t = Instant::now();
        // One clock reading for the signature and the header: two readings straddle a second
        // now and then, and the webhook is (rightly) refused with 401.
        let timestamp = now_secs();
        let header = sign(SECRET, timestamp, raw.as_bytes());
        let sig = header.split("v1=").nth(1).unwrap_or_default().to_string();
        let resp = client
            .post(url)
            .header("X-Timestamp", timestamp.to_string())
            .header("X-Signature", sig)
            .header("Content-Type", "application/json")
            .body(raw)
            .send()
            .await?;
        let ok = resp.status().is_success();
        let body = resp.text().await?;
        latencies.push(t.elapsed());
        if !ok || !body.contains("applied") {
            bail!("webhook {i}: {body}");
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(latencies)
}

/// The baseline: `count` sequential `GET /healthz` round trips.
async fn health_latencies(
    client: &reqwest::Client,
    base: &str,
    count: usize,
) -> Result<Vec<Duration>> {
    let mut health = Vec::with_capacity(count);
    for _ in 0..count {
        let t = Instant::now();
        client
            .get(format!("{base}/healthz"))
            .send()
            .await?
            .bytes()
            .await?;
        health.push(t.elapsed());
    }
    Ok(health)
}
