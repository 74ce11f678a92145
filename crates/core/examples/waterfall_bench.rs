//! European waterfall for a synthetic fund (default 5,000 investors × 40 contributions × 30
//! prior distributions): median of several runs, against a pro-rata baseline in the same run.
//!
//! Run: `cargo run --release -p clearway-core --example waterfall_bench [-- INVESTORS RUNS]`.

use std::time::{Duration, Instant};

use clearway_core::waterfall::synthetic::{pro_rata_baseline, synthetic_fund, SyntheticFund};
use clearway_core::waterfall::{run, Compounding, Tier};

/// On-CPU time of this thread (Linux schedstat), so a busy machine does not inflate the figure.
fn cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let investors: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let mut fund = synthetic_fund(investors, 40, 30, 20_250_630);
    for compounding in [Compounding::Simple, Compounding::Annual] {
        if let Tier::PreferredReturn { compounding: c, .. } = &mut fund.terms.tiers[1] {
            *c = compounding;
        }
        println!("--- preferred return {compounding:?}");
        measure(&fund, runs);
    }
}

fn measure(fund: &SyntheticFund, runs: usize) {
    println!(
        "fund: {} investors, {} contributions, {} prior distributions, proceeds {} minor units",
        fund.partners.len(),
        fund.contributions.len(),
        fund.prior.len(),
        fund.proceeds.amount
    );
    let mut waterfall = Vec::new();
    let mut waterfall_cpu = Vec::new();
    let mut baseline = Vec::new();
    for i in 1..=runs {
        let (t, cpu) = (Instant::now(), cpu_time());
        let outcome = run(
            &fund.terms,
            &fund.partners,
            &fund.contributions,
            &fund.prior,
            &fund.proceeds,
        )
        .expect("valid synthetic fund");
        waterfall.push(t.elapsed());
        if let (Some(before), Some(after)) = (cpu, cpu_time()) {
            waterfall_cpu.push(after - before);
        }
        let t = Instant::now();
        let split = pro_rata_baseline(fund);
        baseline.push(t.elapsed());
        let sum: i64 = outcome.investors.iter().map(|i| i.total).sum();
        assert_eq!(sum, fund.proceeds.amount, "the waterfall ties out");
        assert_eq!(split.iter().sum::<u64>() as i64, fund.proceeds.amount);
        if i == 1 {
            for t in &outcome.tiers {
                println!(
                    "  {:<18} hurdle {:>16} allocated {:>16}",
                    t.kind.as_str(),
                    t.hurdle,
                    t.allocated
                );
            }
        }
    }
    let (w, b) = (median(waterfall), median(baseline));
    println!(
        "waterfall median of {runs}: {:.1} ms (target <= 200 ms)",
        w.as_secs_f64() * 1e3
    );
    if !waterfall_cpu.is_empty() {
        let c = median(waterfall_cpu);
        println!(
            "waterfall median on-CPU time: {:.1} ms (the machine's load does not count)",
            c.as_secs_f64() * 1e3
        );
    }
    println!(
        "pro-rata baseline median of {runs}: {:.1} ms",
        b.as_secs_f64() * 1e3
    );
    println!(
        "ratio waterfall / baseline: {:.1}x",
        w.as_secs_f64() / b.as_secs_f64()
    );
}
