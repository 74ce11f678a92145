//! `clearway bench schedules`: materializing a year of monthly drafts for N funds (one
//! schedule each, `--investors` holders per fund), against two baselines in the same run:
//! the core date generation alone, and creating the same drafts one by one through the
//! normal creation path (one transaction per draft, as N API calls would) on a subset.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clearway_core::distribution::FundKind;
use clearway_core::schedules::due;
use clearway_core::Currency;
use clearway_server::demo;
use clearway_server::schedules::dto::{draft_request, ScheduleRequest};
use clearway_store::testing::fresh_database;
use clearway_store::{funds, schedules as sstore, Actor, DbOptions};
use rust_decimal::Decimal;
use serde_json::json;

use super::{median, ms};

const AS_OF: &str = "2026-01-01";

/// Runs the benchmark; each run on a fresh database.
pub async fn schedules(
    database_url: Option<&str>,
    funds_n: usize,
    investors: usize,
    baseline_funds: usize,
    runs: usize,
) -> Result<()> {
    let today: NaiveDate = AS_OF.parse()?;
    let (mut gen, mut mat, mut one) = (Vec::new(), Vec::new(), Vec::new());
    let (mut drafts, mut one_drafts) = (0, 0);
    for run in 0..runs.max(1) {
        let fresh = fresh_database(
            database_url,
            &DbOptions {
                max_connections: 16,
            },
        )
        .await
        .context("fresh database")?;
        let mut options = demo::Options::demo(investors);
        options.history = false;
        let seeded = demo::seed(&fresh.db, &options).await?;
        let actor = Actor {
            user_id: seeded.user_ids["operator"].clone(),
            org_id: seeded.org_id.clone(),
            role: clearway_core::access::Role::Operator,
            investor_id: None,
        };
        let holders: Vec<(String, Decimal)> = seeded
            .investor_ids
            .iter()
            .take(investors)
            .enumerate()
            .map(|(i, id)| (id.clone(), Decimal::from(100 + i as i64)))
            .collect();
        let body = json!({ "frequency": "MONTHLY", "startDate": AS_OF, "leadDays": 365,
            "allocation": { "method": "per_share", "rate": "0.05" } });
        let req: ScheduleRequest = serde_json::from_value(body)?;
        let spec = req.parse(Currency::parse("USD").map_err(anyhow::Error::msg)?)?;
        // Funds, holdings and schedules in one transaction (setup, not timed).
        let mut tx = fresh.db.begin().await?;
        let mut schedules = Vec::new();
        for f in 0..funds_n + baseline_funds {
            let code = format!("BENCH-{f:05}");
            let new = funds::NewFund {
                code: &code,
                name: &code,
                kind: FundKind::OpenEnd,
                currency: Currency::parse("USD").map_err(anyhow::Error::msg)?,
                share_precision: 4,
            };
            let id = funds::create_fund(&mut tx, &actor, &new).await?;
            funds::record_holdings(&mut tx, &actor, &id, "2025-12-01".parse()?, &holders).await?;
            if f < funds_n {
                schedules.push(sstore::insert(&mut tx, &actor, &id, &spec).await?);
            } else {
                let mut s = sstore::insert(&mut tx, &actor, &id, &spec).await?;
                s.status = "BASELINE".into();
                schedules.push(s);
            }
        }
        tx.commit().await?;
        // Only the first `funds_n` are ACTIVE for the materializer; the rest feed the baseline.
        let mut tx = fresh.db.begin().await?;
        for s in &schedules[funds_n..] {
            sstore::set_status(&mut tx, &actor, &s.id, sstore::PAUSED).await?;
        }
        tx.commit().await?;

        let t = Instant::now();
        let dates: usize = schedules[..funds_n]
            .iter()
            .map(|s| due(&s.spec.rules, today, s.spec.lead_days).len())
            .sum();
        gen.push(t.elapsed());

        let t = Instant::now();
        let done =
            clearway_app::schedules::materialize(&fresh.db, &actor, today, draft_request).await?;
        mat.push(t.elapsed());
        anyhow::ensure!(done.failed.is_empty(), "failures: {:?}", done.failed);
        anyhow::ensure!(
            done.created.len() == dates,
            "created {} of {dates}",
            done.created.len()
        );
        drafts = done.created.len();

        let t = Instant::now();
        one_drafts = 0;
        for s in &schedules[funds_n..] {
            for o in due(&s.spec.rules, today, s.spec.lead_days) {
                let mut tx = fresh.db.begin().await?;
                clearway_app::distributions::create(&mut tx, &actor, &draft_request(s, &o)).await?;
                tx.commit().await?;
                one_drafts += 1;
            }
        }
        one.push(t.elapsed());
        println!(
            "run {}: {:?} materialize {} drafts {}",
            run + 1,
            fresh.db.backend(),
            drafts,
            ms(*mat.last().unwrap())
        );
        fresh.drop_database().await;
    }
    let (g, m, o) = (median(&mut gen), median(&mut mat), median(&mut one));
    let per_one = o.as_secs_f64() / one_drafts.max(1) as f64;
    println!(
        "funds {funds_n} x 12 months, {investors} holders each: {drafts} drafts, {} lines",
        drafts * investors
    );
    println!("  core date generation alone:        {}", ms(g));
    println!(
        "  materialize (one tx per schedule): {}  (target <= 2000 ms)",
        ms(m)
    );
    println!(
        "  baseline one draft per tx ({one_drafts} drafts): {} = {:.3} ms/draft -> {} for {drafts} (x{:.2} of materialize)",
        ms(o),
        per_one * 1000.0,
        ms(Duration::from_secs_f64(per_one * drafts as f64)),
        per_one * drafts as f64 / m.as_secs_f64()
    );
    Ok(())
}
