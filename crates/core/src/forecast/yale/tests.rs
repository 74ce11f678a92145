//! The Yale model: a hand-computed projection, calibration recovering known parameters,
//! and properties of projections.

use proptest::prelude::*;

use super::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn start(commitment: f64) -> State {
    State {
        age_years: 0,
        commitment,
        paid_in: 0.0,
        nav: 0.0,
    }
}

#[test]
fn three_year_projection_by_hand() {
    // L = 3, RC 50 %, G = 10 %, B = 2, Y = 0, commitment 100.
    // Year 1: C = 50, nothing grown to distribute, NAV 50, unfunded 50.
    // Year 2: C = 25; grown 55; RD = (2/3)² = 4/9, D = 220/9; NAV = 55 + 25 − 220/9 = 500/9.
    // Year 3 (last): no call; grown 550/9, all distributed; NAV 0; 25 unfunded lapses.
    let params = Params {
        contribution_rates: vec![0.5],
        bow: 2.0,
        yield_rate: 0.0,
        growth: 0.1,
        life_years: 3,
    };
    let y = project(&params, &start(100.0));
    assert_eq!(y.len(), 3);
    let want = [
        (1, 50.0, 0.0, 50.0, 50.0),
        (2, 25.0, 220.0 / 9.0, 500.0 / 9.0, 25.0),
        (3, 0.0, 550.0 / 9.0, 0.0, 25.0),
    ];
    for (got, (year, c, d, nav, unfunded)) in y.iter().zip(want) {
        assert_eq!(got.year, year);
        assert!(close(got.contributions, c, 1e-12), "{got:?}");
        assert!(close(got.distributions, d, 1e-12), "{got:?}");
        assert!(close(got.nav, nav, 1e-12), "{got:?}");
        assert!(close(got.unfunded, unfunded, 1e-12), "{got:?}");
    }
}

#[test]
fn yield_is_a_floor_on_the_rate_of_distribution() {
    let p = Params {
        yield_rate: 0.1,
        ..Params::default()
    };
    // (1/12)^2.5 ≈ 0.0005 is below the yield; (9/12)^2.5 ≈ 0.487 is above it.
    assert_eq!(p.distribution_rate(1), 0.1);
    assert!(close(p.distribution_rate(9), 0.75f64.powf(2.5), 1e-15));
    assert_eq!(p.distribution_rate(12), 1.0);
    assert_eq!(p.contribution_rate(1), 0.25);
    assert_eq!(p.contribution_rate(7), 0.5);
}

#[test]
fn projection_from_mid_life_continues_the_state() {
    let p = Params::default();
    let state = State {
        age_years: 10,
        commitment: 100.0,
        paid_in: 90.0,
        nav: 50.0,
    };
    let y = project(&p, &state);
    assert_eq!(y.iter().map(|y| y.year).collect::<Vec<_>>(), vec![11, 12]);
    // Year 11: C = 50 % of 10; grown 56.5; RD = (11/12)^2.5.
    let rd = (11.0f64 / 12.0).powf(2.5);
    assert!(close(y[0].contributions, 5.0, 1e-12));
    assert!(close(y[0].distributions, 56.5 * rd, 1e-12));
    assert!(close(
        y[1].distributions,
        (56.5 * (1.0 - rd) + 5.0) * 1.13,
        1e-9
    ));
    assert_eq!(y[1].nav, 0.0);
}

#[test]
fn past_its_life_a_fund_distributes_what_is_left_once() {
    let p = Params::default();
    let mut state = State {
        age_years: 14,
        commitment: 100.0,
        paid_in: 100.0,
        nav: 10.0,
    };
    let y = project(&p, &state);
    assert_eq!(y.len(), 1);
    assert_eq!(y[0].year, 15);
    assert!(close(y[0].distributions, 11.3, 1e-12));
    assert_eq!((y[0].contributions, y[0].nav), (0.0, 0.0));
    state.nav = 0.0;
    assert!(project(&p, &state).is_empty());
}

/// The first `k` years of a projection from inception.
fn history(params: &Params, k: usize) -> Vec<Year> {
    project(params, &start(1_000.0))[..k].to_vec()
}

#[test]
fn calibration_recovers_the_parameters_that_generated_the_history() {
    let truth = Params {
        contribution_rates: vec![0.3, 0.4, 0.45, 0.6],
        bow: 1.8,
        yield_rate: 0.1,
        growth: 0.08,
        life_years: 12,
    };
    let c = calibrate_explained(&history(&truth, 6), 1_000.0, 12);
    let p = &c.params;
    assert!(c.notes.is_empty(), "{:?}", c.notes);
    // Years 1–6 observed (the 4th rate repeats in 5 and 6), year 7 on the default 50 %.
    let want = [0.3, 0.4, 0.45, 0.6, 0.6, 0.6, 0.5];
    assert_eq!(p.contribution_rates.len(), want.len());
    for (got, want) in p.contribution_rates.iter().zip(want) {
        assert!(close(*got, want, 1e-12), "{:?}", p.contribution_rates);
    }
    assert!(close(p.growth, 0.08, 1e-12), "{}", p.growth);
    assert!(close(p.yield_rate, 0.1, 1e-3), "{}", p.yield_rate);
    assert!(close(p.bow, 1.8, 1e-3), "{}", p.bow);
    assert_eq!(p.life_years, 12);
}

#[test]
fn calibration_recovers_the_papers_venture_example() {
    let truth = Params::default();
    let p = calibrate(&history(&truth, 8), 1_000.0, 12);
    assert!(close(p.growth, 0.13, 1e-12));
    assert!(
        close(p.bow, 2.5, 1e-3) && close(p.yield_rate, 0.0, 1e-3),
        "{p:?}"
    );
}

#[test]
fn calibration_without_history_takes_the_papers_defaults_and_says_so() {
    let c = calibrate_explained(&[], 1_000.0, 0);
    assert_eq!(c.params, Params::default());
    assert_eq!(c.notes.len(), 4, "{:?}", c.notes);
    // One year: a call but no NAV before it, so only RC_1 is observed.
    let one = [Year {
        year: 1,
        contributions: 400.0,
        distributions: 0.0,
        nav: 400.0,
        unfunded: 600.0,
    }];
    let c = calibrate_explained(&one, 1_000.0, 10);
    assert_eq!(c.params.contribution_rates, vec![0.4, 1.0 / 3.0, 0.5]);
    assert_eq!(
        (c.params.growth, c.params.bow),
        (DEFAULT_GROWTH, DEFAULT_BOW)
    );
    assert_eq!(c.params.life_years, 10);
    assert_eq!(c.notes.len(), 2, "{:?}", c.notes);
}

#[test]
fn calibration_ignores_non_finite_years() {
    let mut h = history(&Params::default(), 5);
    h[2].nav = f64::NAN;
    let p = calibrate(&h, 1_000.0, 12);
    assert!(p.growth.is_finite() && p.bow.is_finite() && p.yield_rate.is_finite());
    assert!(p.contribution_rates.iter().all(|r| r.is_finite()));
}

fn params() -> impl Strategy<Value = Params> {
    (
        proptest::collection::vec(0.0f64..=1.0, 0..6),
        0.0f64..6.0,
        0.0f64..=1.0,
        -0.5f64..0.5,
        1u32..20,
    )
        .prop_map(
            |(contribution_rates, bow, yield_rate, growth, life_years)| Params {
                contribution_rates,
                bow,
                yield_rate,
                growth,
                life_years,
            },
        )
}

proptest! {
    #[test]
    fn projections_are_finite_non_negative_and_end_fully_distributed(
        p in params(),
        age in 0u32..25,
        commitment in 0.0f64..1e9,
        paid_share in 0.0f64..1.2,
        nav in 0.0f64..1e9,
    ) {
        let state = State { age_years: age, commitment, paid_in: commitment * paid_share, nav };
        let years = project(&p, &state);
        for y in &years {
            prop_assert!([y.contributions, y.distributions, y.nav, y.unfunded]
                .iter().all(|v| v.is_finite() && *v >= 0.0), "{:?}", y);
        }
        if let Some(last) = years.last() {
            prop_assert_eq!(last.nav, 0.0);
            prop_assert_eq!(last.year, p.life_years.max(age + 1));
        }
        // Unfunded never rises and never goes below zero; calls stay within the commitment.
        let called: f64 = years.iter().map(|y| y.contributions).sum();
        prop_assert!(called <= (commitment - state.paid_in).max(0.0) * (1.0 + 1e-12) + 1e-6);
        for w in years.windows(2) {
            prop_assert!(w[1].unfunded <= w[0].unfunded);
        }
    }

    #[test]
    fn calibrated_parameters_are_finite_and_in_range(
        p in params(),
        k in 0usize..12,
    ) {
        let h: Vec<Year> = project(&p, &start(1_000.0)).into_iter().take(k).collect();
        let c = calibrate(&h, 1_000.0, p.life_years);
        prop_assert!(c.contribution_rates.iter().all(|r| (0.0..=1.0).contains(r)));
        prop_assert!((0.5..=5.0).contains(&c.bow) && (0.0..=1.0).contains(&c.yield_rate));
        prop_assert!(c.growth.is_finite());
    }
}
