//! Reconciles a generated 1,000,000-payment statement three times and prints the match rate
//! on matchable lines, false matches and the median matching time.
//!
//! Run: `cargo run --release -p clearway-core --example reconcile_bench [-- N SEED]`.

use std::time::{Duration, Instant};

use clearway_core::reconciliation::simulate::{evaluate, generate};
use clearway_core::reconciliation::{reconcile, MatchConfig};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_240_101);
    let started = Instant::now();
    let sim = generate(seed, n);
    println!(
        "generated {} payments and {} statement lines (seed {seed}) in {} ms",
        sim.payments.len(),
        sim.lines.len(),
        started.elapsed().as_millis()
    );
    let config = MatchConfig::default();
    let mut times: Vec<Duration> = Vec::new();
    let mut metrics = None;
    for run in 1..=3 {
        let t = Instant::now();
        let result = reconcile(&sim.payments, &sim.lines, &config).expect("valid input");
        let elapsed = t.elapsed();
        times.push(elapsed);
        let m = evaluate(&result, &sim.truth);
        println!(
            "run {run}: {} ms, {} decisions, {} exceptions",
            elapsed.as_millis(),
            result.decisions.len(),
            result.exceptions.len()
        );
        metrics = Some(m);
    }
    times.sort();
    let m = metrics.expect("three runs");
    let ppm = m.match_rate_ppm();
    println!(
        "matchable lines {}, auto-matched {}, exceptions {}",
        m.matchable, m.auto_matched, m.exceptions
    );
    println!(
        "match rate on matchable lines: {}.{:04} % (target >= 99.99 %)",
        ppm / 10_000,
        ppm % 10_000
    );
    println!("false matches: {} (target 0)", m.false_matches);
    println!(
        "median time of 3 runs: {} ms (target <= 10000 ms)",
        times[1].as_millis()
    );
}
