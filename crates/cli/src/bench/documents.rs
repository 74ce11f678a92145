//! `bench documents`: rendering investor documents as PDF (layout, font subsetting, PDF/A-2b
//! serialization; no database). One statement of a busy year (median of timed runs, target
//! ≤ 50 ms), then N distribution notices, each a different investor, across every core with
//! `std::thread::scope` (target: 10,000 in ≤ 30 s on 2 cores). Prints each figure and its ratio
//! to the target (below 1 is within it).

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use chrono::{Days, NaiveDate};
use clearway_formats::documents::{
    render, Format, Lang, Money, NoticeDoc, NoticePayment, NoticeReinvestment,
    StatementDistribution, StatementDoc, StatementLot, StatementPayment, StatementPosition,
    StatementReinvestment,
};
use rust_decimal::Decimal;

use super::{median, ms};

const STATEMENT_TARGET: Duration = Duration::from_millis(50);
/// 10,000 notices in 30 s on 2 cores: 3 ms of wall time per notice.
const NOTICES_TARGET_PER_10K: Duration = Duration::from_secs(30);

const PAST: &str = "Past performance does not guarantee future results. Distributions are not guaranteed and may vary.";
const ESTIMATE: &str = "The tax character of this distribution is an estimate until year end; your final tax character will be reported on your year-end tax form.";

fn usd(minor: i64) -> Money {
    Money::new(minor, 2, "USD")
}

fn day(n: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default() + Days::new(n)
}

/// A year of monthly distributions in three funds, with reinvestments, payments and lots.
fn statement() -> StatementDoc {
    let funds = ["DEMO-OPEN", "DEMO-LP", "DEMO-MMF"];
    let distributions = (0..36u64)
        .map(|i| StatementDistribution {
            payable_date: day(i * 10),
            fund_code: funds[(i % 3) as usize].into(),
            description: format!("Monthly distribution {}", i / 3 + 1),
            gross: usd(125000 + i as i64 * 7),
            components: vec![
                ("ordinaryDividend".into(), 75000),
                ("returnOfCapital".into(), 50000 + i as i64 * 7),
            ],
            withholding_minor: 0,
            reinvested_minor: Some(60000),
            cash_minor: Some(65000 + i as i64 * 7),
        })
        .collect();
    let reinvestments = (0..36u64)
        .map(|i| StatementReinvestment {
            trade_date: day(i * 10),
            fund_code: funds[(i % 3) as usize].into(),
            shares: Decimal::new(24000, 3),
            nav: Decimal::new(2500, 2),
            cost: usd(60000),
            residual: usd(0),
        })
        .collect();
    let payments = (0..36u64)
        .map(|i| StatementPayment {
            date: day(i * 10 + 1),
            method: "ACH".into(),
            status: "COMPLETED".into(),
            amount: usd(65000 + i as i64 * 7),
        })
        .collect();
    let lots = (0..40u64)
        .map(|i| StatementLot {
            fund_code: funds[(i % 3) as usize].into(),
            acquired_on: day(i * 9),
            source: "REINVESTMENT".into(),
            shares: Decimal::new(24000, 3),
            basis: usd(58000),
        })
        .collect();
    StatementDoc {
        lang: Lang::En,
        investor_name: "Renée Núñez-Ibáñez".into(),
        from: day(0),
        to: day(364),
        positions: funds
            .iter()
            .map(|f| StatementPosition {
                fund: format!("{f} — Demo fund"),
                opening_units: Decimal::new(1000, 0),
                closing_units: Decimal::new(1288, 0),
                cost_basis: Some(usd(12345678)),
            })
            .collect(),
        distributions,
        reinvestments,
        payments,
        lots,
        disclosures: vec![PAST.into(), ESTIMATE.into()],
    }
}

/// The notice of investor `i` (a different name and amount each).
fn notice(i: usize) -> NoticeDoc {
    let gross = 100000 + i as i64;
    NoticeDoc {
        lang: if i.is_multiple_of(5) {
            Lang::Es
        } else {
            Lang::En
        },
        investor_name: format!("Inversora Núñez {i}"),
        fund: "DEMO-OPEN — Demo Open Fund".into(),
        distribution_id: "01900000-0000-7000-8000-000000000001".into(),
        description: "Q1 2026".into(),
        record_date: day(74),
        payable_date: day(89),
        units: Some(Decimal::new(1000 + i as i64, 0)),
        gross: usd(gross),
        components: vec![
            ("ordinaryDividend".into(), 60000),
            ("returnOfCapital".into(), gross - 60000),
        ],
        foreign_tax_minor: 0,
        withholding_minor: 0,
        reinvestment: Some(NoticeReinvestment {
            fund_code: "DEMO-OPEN".into(),
            reinvested: usd(50000),
            shares: Decimal::new(20000, 3),
            nav: Decimal::new(2500, 2),
            nav_date: day(89),
            residual: usd(0),
        }),
        net_cash_minor: Some(gross - 50000),
        payments: vec![NoticePayment {
            method: "ACH".into(),
            destination: format!("••••{:04}", i % 10000),
            amount: usd(gross - 50000),
            status: "SENT".into(),
            expected: Some(day(90)),
        }],
        disclosures: vec![PAST.into(), ESTIMATE.into()],
    }
}

fn ratio(got: Duration, target: Duration) -> f64 {
    got.as_secs_f64() / target.as_secs_f64()
}

/// Renders `count` notices across `threads` threads; the total bytes written.
fn notices(count: usize, threads: usize) -> Result<usize> {
    let per = count.div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || -> Result<usize> {
                    let mut bytes = 0;
                    for i in (t * per)..((t + 1) * per).min(count) {
                        bytes += render(&notice(i).layout(), Format::Pdf)?.len();
                    }
                    Ok(bytes)
                })
            })
            .collect();
        handles.into_iter().try_fold(0, |sum, h| match h.join() {
            Ok(r) => Ok(sum + r?),
            Err(_) => bail!("a rendering thread panicked"),
        })
    })
}

pub(super) fn documents(runs: usize, count: usize) -> Result<()> {
    let doc = statement().layout();
    let mut samples = Vec::with_capacity(runs);
    let mut size = 0;
    for i in 0..runs + 1 {
        let t = Instant::now();
        size = render(&doc, Format::Pdf)?.len();
        if i > 0 {
            samples.push(t.elapsed()); // the first run warms the fonts up
        }
    }
    let one = median(&mut samples);
    println!(
        "statement PDF (36 distributions, 36 reinvestments, 36 payments, 40 lots; {size} bytes): median {} over {runs} runs, target {} → ratio {:.2}",
        ms(one),
        ms(STATEMENT_TARGET),
        ratio(one, STATEMENT_TARGET)
    );
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t = Instant::now();
    let bytes = notices(count, threads)?;
    let took = t.elapsed();
    let target = NOTICES_TARGET_PER_10K.mul_f64(count as f64 / 10000.0);
    println!(
        "{count} notice PDFs on {threads} threads ({:.1} MB): {} ({:.2} ms each), target {} → ratio {:.2}",
        bytes as f64 / 1e6,
        ms(took),
        took.as_secs_f64() * 1000.0 / count as f64,
        ms(target),
        ratio(took, target)
    );
    Ok(())
}
