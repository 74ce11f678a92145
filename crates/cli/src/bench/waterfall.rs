//! `bench waterfall`: the European waterfall of a fund of N investors with C contributions and
//! P prior distributions each — in the core (median of timed runs, against a plain pro-rata
//! split of the same proceeds by largest remainder in the same run), then through
//! `POST /api/funds/:id/waterfall/hypothetical` on a database holding the same numbers of
//! rows (p50/p95 of the server time from `Server-Timing`, against `GET` of the terms).

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::{Days, NaiveDate};
use clearway_core::components::{ComponentKind, Components};
use clearway_core::distribution::{FundKind, Kind, PlannedLine, Schedule, Status};
use clearway_core::waterfall::synthetic::{pro_rata_baseline, synthetic_fund};
use clearway_core::waterfall::{self, PartnerKind};
use clearway_core::Currency;
use clearway_server::Config;
use clearway_store::capital::{
    insert_commitments, insert_contributions, NewCommitment, NewContribution,
};
use clearway_store::distributions::{self as store, NewDistribution};
use clearway_store::funds::{self, NewFund};
use clearway_store::waterfall::{record_run, Run, Tiers};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::{median, ms, percentile, setup, Setup};

pub(super) async fn waterfall(
    database_url: Option<&str>,
    investors: usize,
    contributions: usize,
    prior: usize,
    runs: usize,
    requests: usize,
) -> Result<()> {
    core(investors, contributions, prior, runs)?;
    endpoint(database_url, investors, contributions, prior, requests).await
}

/// The core alone, on the deterministic synthetic fund.
fn core(investors: usize, contributions: usize, prior: usize, runs: usize) -> Result<()> {
    let fund = synthetic_fund(investors, contributions, prior, 17);
    let mut engine = Vec::with_capacity(runs);
    let mut baseline = Vec::with_capacity(runs);
    let mut outcome = None;
    for i in 0..runs + 1 {
        let t = Instant::now();
        let o = waterfall::run(
            &fund.terms,
            &fund.partners,
            &fund.contributions,
            &fund.prior,
            &fund.proceeds,
        )?;
        let took = t.elapsed();
        let t = Instant::now();
        let split = pro_rata_baseline(&fund);
        let base = t.elapsed();
        if i > 0 {
            engine.push(took);
            baseline.push(base);
        }
        let total: i64 = o.investors.iter().map(|r| r.total).sum();
        if total != fund.proceeds.amount || split.iter().sum::<u64>() as i64 != fund.proceeds.amount
        {
            bail!(
                "the waterfall does not tie out: {total} against {}",
                fund.proceeds.amount
            );
        }
        outcome = Some(o);
    }
    let (e, b) = (median(&mut engine), median(&mut baseline));
    println!(
        "core: European waterfall, {investors} investors × {contributions} contributions × {prior} prior distributions ({} tiers reached): median {} over {runs} runs; baseline pro-rata split of the same proceeds {} (× {:.1})",
        outcome.map_or(0, |o| o.tiers.iter().filter(|t| t.allocated > 0).count()),
        ms(e),
        ms(b),
        e.as_secs_f64() / b.as_secs_f64().max(1e-9)
    );
    Ok(())
}

/// The hypothetical endpoint over a fund with the same numbers of rows.
async fn endpoint(
    database_url: Option<&str>,
    investors: usize,
    contributions: usize,
    prior: usize,
    requests: usize,
) -> Result<()> {
    let s = setup(database_url, investors, Config::default()).await?;
    let (fund_id, proceeds) = seed(&s, investors, contributions, prior).await?;
    let terms = serde_json::to_value(synthetic_fund(1, 1, 1, 1).terms)?;
    let resp = s
        .client
        .put(format!("{}/api/funds/{fund_id}/waterfall", s.base))
        .bearer_auth(&s.seeded.tokens.operator)
        .json(&terms)
        .send()
        .await?;
    if !resp.status().is_success() {
        bail!("terms: {} {}", resp.status(), resp.text().await?);
    }
    parts(&s, &fund_id, &proceeds).await?;
    let body = json!({ "amount": Currency::USD.format_minor(proceeds.amount), "date": proceeds.date.to_string() });
    let mut hypo = timings(
        &s,
        &format!("/api/funds/{fund_id}/waterfall/hypothetical"),
        Some(&body),
        requests,
    )
    .await?;
    let mut base = timings(
        &s,
        &format!("/api/funds/{fund_id}/waterfall"),
        None,
        requests,
    )
    .await?;
    let (p50, p95) = (percentile(&mut hypo, 0.5), percentile(&mut hypo, 0.95));
    let b95 = percentile(&mut base, 0.95);
    println!(
        "endpoint ({}): POST /api/funds/:id/waterfall/hypothetical over {} contributions and {} prior lines: p50 {}, p95 {} ({requests} requests, one at a time); baseline GET /api/funds/:id/waterfall p95 {} (× {:.0})",
        if database_url.is_some() { "PostgreSQL" } else { "SQLite" },
        investors * contributions,
        investors * prior,
        ms(p50),
        ms(p95),
        ms(b95),
        p95.as_secs_f64() / b95.as_secs_f64().max(1e-9)
    );
    s.finish().await;
    Ok(())
}

/// A partnership of the demo's investors (the first the GP), their contributions over
/// 2015–2022 and `prior` earlier distributions, half of them made by a waterfall.
async fn seed(
    s: &Setup,
    investors: usize,
    contributions: usize,
    prior: usize,
) -> Result<(String, waterfall::Proceeds)> {
    let actor = s.operator();
    let ids = &s.seeded.investor_ids;
    let synthetic = synthetic_fund(investors, contributions, prior, 17);
    let bar = ProgressBar::new(prior as u64 + 1).with_style(ProgressStyle::with_template(
        "seeding {bar:40} {pos}/{len}",
    )?);
    let mut tx = s.fresh.db.begin().await?;
    let fund_id = funds::create_fund(
        &mut tx,
        &actor,
        &NewFund {
            code: "BENCH-WF",
            name: "Waterfall bench LP",
            kind: FundKind::Partnership,
            currency: Currency::USD,
            share_precision: 6,
        },
    )
    .await?;
    let id_of = |synthetic_id: &str| -> Result<&String> {
        let n: usize = synthetic_id[3..].parse().context("synthetic id")?;
        ids.get(n).context("investor")
    };
    let commitments = synthetic
        .partners
        .iter()
        .map(|p| {
            Ok(NewCommitment {
                investor_id: id_of(&p.investor_id)?.clone(),
                kind: if p.kind == PartnerKind::Gp {
                    clearway_core::capital::PartnerKind::Gp
                } else {
                    clearway_core::capital::PartnerKind::Lp
                },
                committed_minor: 1_000_000_000_000,
                date: NaiveDate::from_ymd_opt(2014, 12, 1).context("date")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    insert_commitments(&mut tx, &actor, &fund_id, &commitments).await?;
    let rows = synthetic
        .contributions
        .iter()
        .map(|c| {
            Ok(NewContribution {
                investor_id: id_of(&c.investor_id)?.clone(),
                date: c.date,
                amount_minor: c.amount,
                deal: None,
                call_id: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    insert_contributions(&mut tx, &actor, &fund_id, &rows).await?;
    tx.commit().await?;
    bar.inc(1);
    for j in 0..prior {
        let payable =
            NaiveDate::from_ymd_opt(2016, 1, 15).context("date")? + Days::new(100 * j as u64);
        let by_investor: Vec<&waterfall::PriorDistribution> =
            synthetic.prior.iter().skip(j).step_by(prior).collect();
        let mut lines: Vec<(String, i64, Option<waterfall::TierAmounts>)> = by_investor
            .iter()
            .filter(|p| p.amount > 0)
            .map(|p| Ok((id_of(&p.investor_id)?.clone(), p.amount, p.by_tier)))
            .collect::<Result<_>>()?;
        lines.sort_by(|a, b| a.0.cmp(&b.0));
        let planned: Vec<PlannedLine> = lines
            .iter()
            .map(|(investor, amount, tiers)| {
                let mut components = Components::default();
                let roc = tiers.map_or(*amount, |t| t.return_of_capital);
                components.set(ComponentKind::ReturnOfCapital, roc);
                components.set(ComponentKind::LongTermGain, amount - roc);
                PlannedLine {
                    investor_id: investor.clone(),
                    units: None,
                    total: *amount,
                    components,
                }
            })
            .collect();
        let mut tx = s.fresh.db.begin().await?;
        let new = NewDistribution {
            fund_id: fund_id.clone(),
            kind: Kind::Regular,
            status: Status::Completed,
            currency: Currency::USD,
            schedule: Schedule::new(
                payable - Days::new(20),
                None,
                payable - Days::new(5),
                payable,
            )?,
            description: format!("bench prior {j}"),
            allocation: if j % 2 == 0 {
                json!({ "method": "waterfall" })
            } else {
                json!({ "method": "explicit" })
            },
            reverses_id: None,
            corrects_id: None,
            reason: None,
        };
        let d = store::insert(&mut tx, &actor, &new, &planned).await?;
        if j % 2 == 0 {
            let run = Run {
                distribution_id: d.id.clone(),
                fund_id: fund_id.clone(),
                terms_version: 1,
                proceeds_minor: d.total_minor.max(1),
                proceeds_date: payable,
                deal: None,
                tiers: json!([]),
            };
            let tiers: Vec<(String, Tiers)> = lines
                .iter()
                .map(|(investor, amount, t)| {
                    let t = t.unwrap_or(waterfall::TierAmounts {
                        return_of_capital: *amount,
                        ..Default::default()
                    });
                    (
                        investor.clone(),
                        Tiers {
                            roc: t.return_of_capital,
                            pref: t.preferred_return,
                            catch_up: t.catch_up,
                            carry: t.carried_interest,
                        },
                    )
                })
                .collect();
            record_run(&mut tx, &actor, &run, &tiers).await?;
        }
        tx.commit().await?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((fund_id, synthetic.proceeds))
}

/// Where an endpoint's time goes: the store reads and the core run, timed apart (median of 5).
async fn parts(s: &Setup, fund_id: &str, proceeds: &waterfall::Proceeds) -> Result<()> {
    let actor = s.operator();
    let (mut c, mut p, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        let mut tx = s.fresh.db.begin().await?;
        let t = Instant::now();
        let rows =
            clearway_store::capital::contributions(&mut tx, &actor, fund_id, proceeds.date).await?;
        c.push(t.elapsed());
        let t = Instant::now();
        let prior =
            clearway_store::waterfall::prior_lines(&mut tx, &actor, fund_id, proceeds.date).await?;
        p.push(t.elapsed());
        tx.commit().await?;
        let t = Instant::now();
        let computed = clearway_app::waterfall::hypothetical(&s.fresh.db, &actor, fund_id, |_| {
            Ok(proceeds.clone())
        })
        .await;
        r.push(t.elapsed());
        computed.map_err(|e| anyhow::anyhow!("{e}"))?;
        let _ = (rows.len(), prior.len());
    }
    println!(
        "  parts (median of 5): contributions read {}, prior lines read {}, the whole application call {}",
        ms(median(&mut c)),
        ms(median(&mut p)),
        ms(median(&mut r))
    );
    Ok(())
}

/// Server times of `requests` requests (after 3 warm-ups), from `Server-Timing`.
async fn timings(
    s: &Setup,
    path: &str,
    body: Option<&serde_json::Value>,
    requests: usize,
) -> Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(requests);
    for i in 0..requests + 3 {
        let url = format!("{}{path}", s.base);
        let req = match body {
            Some(b) => s.client.post(url).json(b),
            None => s.client.get(url),
        };
        let resp = req.bearer_auth(&s.seeded.tokens.operator).send().await?;
        if !resp.status().is_success() {
            bail!("{path}: {} {}", resp.status(), resp.text().await?);
        }
        let timing = resp
            .headers()
            .get("server-timing")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("app;dur="))
            .and_then(|v| v.parse::<f64>().ok())
            .context("Server-Timing")?;
        resp.bytes().await?;
        if i >= 3 {
            out.push(Duration::from_secs_f64(timing / 1000.0));
        }
    }
    Ok(out)
}
