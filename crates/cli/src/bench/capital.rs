//! `bench capital`: the capital-account report of a partnership with N investors over ten
//! years (semi-annual contributions, quarterly income allocated by ownership, semi-annual
//! cash distributions), as the API builds it (grouped reads, roll-forward, tie-out, names),
//! for the whole ten years and for the last year; baseline: plain SUMs over the same rows.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clearway_app::capital::{self as app, IncomeInput};
use clearway_core::components::{ComponentKind, Components};
use clearway_core::distribution::{Kind, PlannedLine, Schedule, Status};
use clearway_server::Config;
use clearway_store::capital::{self as capital, NewContribution};
use clearway_store::distributions::{self as store, NewDistribution};
use clearway_store::Actor;
use serde_json::json;

use super::{median, ms, setup, Setup};

fn operator(s: &Setup) -> Actor {
    Actor {
        user_id: s.seeded.user_ids["operator"].clone(),
        org_id: s.seeded.org_id.clone(),
        role: clearway_core::access::Role::Operator,
        investor_id: None,
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

/// Ten years (2016–2025) of activity for every investor of the demo partnership.
async fn seed(s: &Setup, actor: &Actor) -> Result<usize> {
    let fund = &s.seeded.lp_fund_id;
    let investors = &s.seeded.investor_ids;
    let mut rows = 0;
    let mut tx = s.fresh.db.begin().await?;
    for year in 2016..2026 {
        for month in [1, 7] {
            let c: Vec<NewContribution> = investors
                .iter()
                .enumerate()
                .map(|(i, inv)| NewContribution {
                    investor_id: inv.clone(),
                    date: date(year, month, 15),
                    amount_minor: 100_000 + i as i64,
                    deal: None,
                    call_id: None,
                })
                .collect();
            rows += c.len();
            capital::insert_contributions(&mut tx, actor, fund, &c).await?;
            let lines: Vec<PlannedLine> = investors
                .iter()
                .enumerate()
                .map(|(i, inv)| {
                    let mut components = Components::default();
                    components.set(ComponentKind::ReturnOfCapital, 5_000 + i as i64);
                    PlannedLine {
                        investor_id: inv.clone(),
                        units: None,
                        total: 5_000 + i as i64,
                        components,
                    }
                })
                .collect();
            rows += lines.len();
            let pay = date(year, month + 5, 28);
            let new = NewDistribution {
                fund_id: fund.clone(),
                kind: Kind::Regular,
                status: Status::Draft,
                currency: clearway_core::money::Currency::parse("USD")
                    .map_err(anyhow::Error::msg)?,
                schedule: Schedule::new(
                    date(year, month + 5, 10),
                    None,
                    date(year, month + 5, 15),
                    pay,
                )
                .map_err(|e| anyhow::anyhow!("{e}"))?,
                description: format!("bench {year}-{month}"),
                allocation: json!({ "method": "explicit" }),
                reverses_id: None,
                corrects_id: None,
                reason: None,
            };
            store::insert(&mut tx, actor, &new, &lines).await?;
        }
        for (start, end) in [
            ((1, 1), (3, 31)),
            ((4, 1), (6, 30)),
            ((7, 1), (9, 30)),
            ((10, 1), (12, 31)),
        ] {
            let input = IncomeInput {
                period_start: date(year, start.0, start.1).to_string(),
                period_end: date(year, end.0, end.1).to_string(),
                kind: "INCOME".into(),
                amount: "123456.78".into(),
                description: "bench".into(),
            };
            rows += app::record_income(&mut tx, actor, fund, &input)
                .await?
                .allocations
                .len();
        }
    }
    // Paid out (the report counts PROCESSING and COMPLETED distributions only).
    clearway_store::testing::bench_complete_fund(&mut tx, fund).await?;
    tx.commit().await?;
    // Statistics as autovacuum/`ANALYZE` would have them after a bulk load (fresh tables have
    // none, and PostgreSQL then plans the grouped reads blind).
    s.fresh.db.execute_script("ANALYZE").await?;
    Ok(rows)
}

async fn time_report(
    s: &Setup,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
    runs: usize,
) -> Result<(Duration, bool, usize)> {
    let mut samples = Vec::new();
    let mut last = None;
    for _ in 0..=runs {
        let t = Instant::now();
        let mut tx = s.fresh.db.begin().await?;
        let r = app::capital_accounts(&mut tx, actor, &s.seeded.lp_fund_id, from, to, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        tx.commit().await?;
        samples.push(t.elapsed());
        last = Some(r);
    }
    samples.remove(0); // warm-up
    let r = last.context("a report")?;
    Ok((median(&mut samples), r.ties_out, r.rows.len()))
}

async fn time_baseline(s: &Setup, actor: &Actor, runs: usize) -> Result<Duration> {
    let fund = &s.seeded.lp_fund_id;
    let mut samples = Vec::new();
    for _ in 0..=runs {
        let t = Instant::now();
        let mut tx = s.fresh.db.begin().await?;
        clearway_store::testing::bench_capital_sums(&mut tx, &actor.org_id, fund).await?;
        tx.commit().await?;
        samples.push(t.elapsed());
    }
    samples.remove(0);
    Ok(median(&mut samples))
}

pub(super) async fn capital(
    database_url: Option<&str>,
    investors: usize,
    runs: usize,
) -> Result<()> {
    let s = setup(database_url, investors, Config::default()).await?;
    let actor = operator(&s);
    let t = Instant::now();
    let rows = seed(&s, &actor).await?;
    println!("seeded {rows} rows (contributions, distribution lines, income allocations) over 2016-2025 in {}", ms(t.elapsed()));
    let (ten, ties, n) =
        time_report(&s, &actor, date(2016, 1, 1), date(2025, 12, 31), runs).await?;
    println!(
        "capital-account report, 10 years, {n} investors: median {} (ties out: {ties})",
        ms(ten)
    );
    let (one, ties, _) =
        time_report(&s, &actor, date(2025, 1, 1), date(2025, 12, 31), runs).await?;
    println!("capital-account report, 2025 (beginning balance from 9 years before): median {} (ties out: {ties})", ms(one));
    let base = time_baseline(&s, &actor, runs).await?;
    println!(
        "baseline: three plain SUMs over the same rows: median {}; report / baseline = {:.1}x",
        ms(base),
        ten.as_secs_f64() / base.as_secs_f64()
    );
    s.finish().await;
    Ok(())
}
