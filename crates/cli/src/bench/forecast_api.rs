//! `bench forecast-api`: one fund's distribution forecast through the HTTP API (36 months of
//! completed history, selection by backtest), one request after another; baseline in the
//! same run: a plain fund read (`GET /api/funds/:id/classes`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::{Datelike, Months, NaiveDate};
use clearway_core::allocation::ComponentRatios;
use clearway_core::calendar::last_day_of_month;
use clearway_core::distribution::{
    plan_lines, Action, Allocation, ComponentKind, Kind, Schedule, Status,
};
use clearway_core::Currency;
use clearway_server::Config;
use clearway_store::distributions::{self as store, NewDistribution};
use clearway_store::funds;
use rust_decimal::Decimal;
use serde_json::json;

use super::{ms, percentile, setup, Setup};

/// Seeds 36 completed monthly distributions on the demo open-end fund (a drifting rate with
/// a December bump), through the store as the demo's history does.
async fn seed_history(s: &Setup, months: u32) -> Result<()> {
    let op = s.operator();
    let approver = clearway_store::Actor {
        user_id: s.seeded.user_ids["approver"].clone(),
        role: clearway_core::access::Role::Approver,
        ..op.clone()
    };
    let fund = &s.seeded.open_fund_id;
    let start = NaiveDate::from_ymd_opt(2023, 1, 31).context("date")?;
    // The seeded holdings start later than this history: ten holders of 1,000 units before it.
    let early: Vec<(String, Decimal)> = s
        .seeded
        .investor_ids
        .iter()
        .take(10)
        .map(|i| (i.clone(), Decimal::from(1000)))
        .collect();
    let mut tx = s.fresh.db.begin().await?;
    let before = NaiveDate::from_ymd_opt(2022, 1, 1).context("date")?;
    funds::record_holdings(&mut tx, &op, fund, before, &early).await?;
    tx.commit().await?;
    for k in 0..months {
        let m = start + Months::new(k);
        let payable = last_day_of_month(m.year(), m.month()).context("month end")?;
        let bump = if m.month() == 12 { 30 } else { 0 };
        let rate = Decimal::new(500 + i64::from(k) * 2 + bump, 4);
        let mut tx = s.fresh.db.begin().await?;
        let schedule = Schedule {
            declaration: payable - chrono::Duration::days(20),
            ex: None,
            record: payable - chrono::Duration::days(10),
            payable,
        };
        let ratios = ComponentRatios::new(vec![(ComponentKind::OrdinaryDividend, Decimal::ONE)])
            .map_err(anyhow::Error::msg)?;
        let allocation = Allocation::PerShare { rate, ratios };
        let holdings = funds::holdings_as_of(&mut tx, &op, fund, schedule.record).await?;
        let lines = plan_lines(Currency::USD, &allocation, &holdings, &HashSet::new())?;
        let new = NewDistribution {
            fund_id: fund.clone(),
            kind: Kind::Regular,
            status: Status::Draft,
            currency: Currency::USD,
            schedule,
            description: format!("bench {payable}"),
            allocation: json!({ "method": "per_share", "rate": rate.to_string() }),
            reverses_id: None,
            corrects_id: None,
            reason: None,
        };
        let mut d = store::insert(&mut tx, &op, &new, &lines).await?;
        for (actor, action) in [
            (&op, Action::MarkReady),
            (&approver, Action::Approve),
            (&op, Action::Process),
            (&op, Action::Complete),
        ] {
            d = store::transition(&mut tx, actor, &d, action).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Latencies of `n` GETs of `url`, one after another.
async fn sequential(s: &Setup, url: &str, n: usize) -> Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let resp = s
            .client
            .get(url)
            .bearer_auth(&s.seeded.tokens.operator)
            .send()
            .await?;
        let ok = resp.status().is_success();
        let body = resp.bytes().await?;
        if !ok {
            bail!("GET {url} failed: {}", String::from_utf8_lossy(&body));
        }
        out.push(t.elapsed());
    }
    Ok(out)
}

pub(super) async fn forecast_api(
    database_url: Option<&str>,
    investors: usize,
    requests: usize,
) -> Result<()> {
    let s = setup(database_url, investors, Config::default()).await?;
    seed_history(&s, 36).await?;
    let fund = s.seeded.open_fund_id.clone();
    let url = format!(
        "{}/api/funds/{fund}/distribution-forecast?horizon=12",
        s.base
    );
    let plain = format!("{}/api/funds/{fund}/classes", s.base);
    // Warm-up, and what was chosen.
    let first: serde_json::Value = s
        .client
        .get(&url)
        .bearer_auth(&s.seeded.tokens.operator)
        .send()
        .await?
        .json()
        .await?;
    println!(
        "forecast of 36 months: model {} ({}), backtest MAPE {} sMAPE {} MASE {}",
        first["model"],
        first["label"],
        first["accuracy"]["mape"],
        first["accuracy"]["smape"],
        first["accuracy"]["mase"]
    );
    sequential(&s, &plain, 10).await?;
    let mut f = sequential(&s, &url, requests).await?;
    let mut b = sequential(&s, &plain, requests).await?;
    println!(
        "GET /api/funds/:id/distribution-forecast x{requests}: p50 {} p95 {}",
        ms(percentile(&mut f, 0.5)),
        ms(percentile(&mut f, 0.95))
    );
    println!(
        "baseline GET /api/funds/:id/classes x{requests}: p50 {} p95 {} -> p95 ratio {:.2}x",
        ms(percentile(&mut b, 0.5)),
        ms(percentile(&mut b, 0.95)),
        percentile(&mut f, 0.95).as_secs_f64() / percentile(&mut b, 0.95).as_secs_f64()
    );
    s.finish().await;
    Ok(())
}
