//! `bench withholding`: processing an N-line distribution (withholding, reinvestment,
//! recovery, payments, in-kind: the job's steps, one transaction, commit included) with the
//! organization's withholding off and on, alternately in the same run; medians and ratio.
//! Investors: a tenth without a profile, a tenth under a B notice, a tenth treaty foreign
//! (GB 15 %), a tenth non-treaty foreign, a tenth in a state with a rate, the rest certified.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clearway_core::tax::withholding::{IncomeType, Rate};
use clearway_server::demo;
use clearway_store::db::Arg;
use clearway_store::distributions::Distribution;
use clearway_store::tax::rates::{self as rates, StateRate, TreatyRate};
use clearway_store::testing::fresh_database;
use clearway_store::{Actor, Db, DbOptions};
use rust_decimal::Decimal;

use super::reinvest::{processing_distribution, REINVEST_MONTHS};
use super::{median, ms};

pub(super) async fn withholding(
    database_url: Option<&str>,
    lines: usize,
    runs: usize,
) -> Result<()> {
    if runs == 0 || 2 * (runs + 1) > REINVEST_MONTHS.len() {
        bail!(
            "--runs must be between 1 and {}",
            REINVEST_MONTHS.len() / 2 - 1
        );
    }
    let fresh = fresh_database(database_url, &DbOptions { max_connections: 8 })
        .await
        .context("creating a fresh database")?;
    let db = fresh.db.clone();
    let mut options = demo::Options::demo(lines);
    options.history = false;
    options.elections = false;
    let seeded = demo::seed(&db, &options).await?;
    let actor = |role, user: &str| Actor {
        user_id: seeded.user_ids[user].clone(),
        org_id: seeded.org_id.clone(),
        role,
        investor_id: None,
    };
    let operator = actor(clearway_core::access::Role::Operator, "operator");
    let approver = actor(clearway_core::access::Role::Approver, "approver");
    let system = Actor::system(&seeded.org_id);
    seed_profiles(&db, &system, &seeded.investor_ids).await?;
    println!(
        "backend: {:?}, lines: {lines}, runs: {runs} (+1 warm-up) each off and on",
        db.backend()
    );
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for (i, pair) in REINVEST_MONTHS.chunks(2).take(runs + 1).enumerate() {
        for (k, (record, payable)) in pair.iter().enumerate() {
            let enabled = k == 1;
            let mut tx = db.begin().await?;
            rates::set_withholding_enabled_tx(&mut tx, &system, enabled).await?;
            tx.commit().await?;
            let d = processing_distribution(
                &db,
                &operator,
                &approver,
                &seeded.open_fund_id,
                record,
                payable,
                Decimal::ZERO,
            )
            .await?;
            let took = time_processing(&db, &system, &d).await?;
            if i >= 1 {
                if enabled {
                    on.push(took)
                } else {
                    off.push(took)
                }
            }
        }
    }
    let withheld = clearway_store::testing::bench_withheld_lines(&db).await?;
    let (off_m, on_m) = (median(&mut off), median(&mut on));
    println!(
        "processing {lines} lines, withholding off: median {}",
        ms(off_m)
    );
    println!(
        "processing {lines} lines, withholding on:  median {} ({withheld} lines withheld on over the on runs) -> ratio {:.3}x",
        ms(on_m),
        on_m.as_secs_f64() / off_m.as_secs_f64()
    );
    fresh.drop_database().await;
    Ok(())
}

/// The processing job's steps and commit, timed.
async fn time_processing(db: &Db, system: &Actor, d: &Distribution) -> Result<Duration> {
    let limits = clearway_core::payments::limits::AchLimits::default();
    let err = |e: clearway_app::jobs::JobError| anyhow::anyhow!("{e}");
    let started = Instant::now();
    let mut tx = db.begin().await?;
    clearway_app::tax::withholding::step(&mut tx, system, d)
        .await
        .map_err(err)?;
    let t1 = started.elapsed();
    clearway_app::reinvestment::step(&mut tx, system, d)
        .await
        .map_err(err)?;
    let t2 = started.elapsed();
    clearway_app::recovery::step(&mut tx, system, d)
        .await
        .map_err(err)?;
    clearway_app::payments::step(&mut tx, system, d, &limits)
        .await
        .map_err(err)?;
    let t3 = started.elapsed();
    clearway_app::inkind::step(&mut tx, system, d)
        .await
        .map_err(err)?;
    tx.commit().await?;
    // Per step, to see where an on/off difference comes from.
    tracing::info!(
        withholding_ms = t1.as_millis() as u64,
        reinvestment_ms = (t2 - t1).as_millis() as u64,
        recovery_payments_ms = (t3 - t2).as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "processing run"
    );
    Ok(started.elapsed())
}

/// Tables and profiles, written straight in bulk (untimed).
async fn seed_profiles(db: &Db, system: &Actor, investors: &[String]) -> Result<()> {
    let rate = |s: &str| Rate::parse("rate", s).map_err(|e| anyhow::anyhow!(e.message));
    let mut tx = db.begin().await?;
    rates::replace_treaty_rates_tx(
        &mut tx,
        system,
        &[TreatyRate {
            country: "GB".into(),
            income_type: IncomeType::Dividends,
            rate: rate("15")?,
        }],
    )
    .await?;
    rates::replace_state_rates_tx(
        &mut tx,
        system,
        &[StateRate {
            state: "CA".into(),
            rate: rate("4.25")?,
            payer_state_id: None,
        }],
    )
    .await?;
    let now = clearway_store::now_text();
    let rows: Vec<Vec<Arg>> = investors
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 != 0)
        .map(|(i, id)| {
            let (status, residency, cert, country, claim, state): (
                &str,
                &str,
                &str,
                Option<&str>,
                i64,
                Option<&str>,
            ) = match i % 10 {
                1 => ("B_NOTICE", "US", "W-9", None, 0, None),
                2 => ("CERTIFIED", "FOREIGN", "W-8BEN", Some("GB"), 1, None),
                3 => ("CERTIFIED", "FOREIGN", "W-8BEN", Some("BR"), 0, None),
                4 => ("CERTIFIED", "US", "W-9", None, 0, Some("CA")),
                _ => ("CERTIFIED", "US", "W-9", None, 0, None),
            };
            vec![
                id.as_str().into(),
                system.org_id.as_str().into(),
                status.into(),
                residency.into(),
                cert.into(),
                country.into(),
                claim.into(),
                state.into(),
                0i64.into(),
                "bench".into(),
                now.as_str().into(),
                1i64.into(),
            ]
        })
        .collect();
    tx.bulk_insert(
        "tax_profiles",
        &[
            "investor_id",
            "org_id",
            "tin_status",
            "residency",
            "certificate",
            "country",
            "treaty_claim",
            "residence_state",
            "fatca_filing",
            "updated_by",
            "updated_at",
            "version",
        ],
        &rows,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
