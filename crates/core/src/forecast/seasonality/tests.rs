//! Hand-computed seasonality cases.

use super::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

/// 36 months from January of a fund paying 10 at the end of each quarter.
fn quarterly_payer() -> Vec<f64> {
    (0..36)
        .map(|t| if t % 3 == 2 { 10.0 } else { 0.0 })
        .collect()
}

#[test]
fn quarterly_payer_in_monthly_data() {
    let s = analyse(&quarterly_payer(), 12, 0);
    assert_eq!(s.period, 12);
    assert_eq!(s.paying, vec![2, 5, 8, 11]);
    // Position means 10 (paying) and 0; the mean of the positions is 40/12, so 3 and 0.
    for (p, v) in s.profile.iter().enumerate() {
        let want = if p % 3 == 2 { 3.0 } else { 0.0 };
        assert!(close(*v, want), "profile[{p}] = {v}");
    }
    // An exact repeat: the 2×12 moving average is flat, the remainder is zero.
    assert!(close(s.strength, 1.0));
    // The pattern repeats every 3 months: r_3, r_6 and r_9 (≈ 0.92, 0.83, 0.75) widen the
    // bound at lag 12 to ≈ 0.776 while r_12 = 0.667, so the yearly test does not fire.
    assert!(!s.significant);
}

#[test]
fn a_yearly_payer_is_significant_at_lag_12() {
    // December only: r_1..r_11 are small and negative, r_12 = 2/3 beats its ≈ 0.291 bound.
    let y: Vec<f64> = (0..36)
        .map(|t| if t % 12 == 11 { 5.0 } else { 0.0 })
        .collect();
    let s = analyse(&y, 12, 0);
    assert!(s.significant);
    assert_eq!(s.paying, vec![11]);
    assert!(close(s.strength, 1.0));
}

#[test]
fn paying_needs_half_of_the_years_observed() {
    let mut y = quarterly_payer();
    y[5] = 0.0; // June skipped in year 1: still paid 2 of 3 Junes
    y[12] = 7.0; // a one-off January: 1 of 3 Januaries
    let s = analyse(&y, 12, 0);
    assert_eq!(s.paying, vec![2, 5, 8, 11]);
    // Position means: Jan 7/3, Jun 20/3, Mar/Sep/Dec 10; overall = (7/3 + 20/3 + 30)/12 = 39/12.
    let overall = 39.0 / 12.0;
    assert!(close(s.profile[0], 7.0 / 3.0 / overall));
    assert!(close(s.profile[5], 20.0 / 3.0 / overall));
    assert!(close(s.profile[2], 10.0 / overall));
    assert!(s.strength > 0.0 && s.strength < 1.0);
}

#[test]
fn first_position_shifts_the_year() {
    // The same payer starting in April (position 3): payments land in positions 5, 8, 11, 2.
    let s = analyse(&quarterly_payer(), 12, 3);
    assert_eq!(s.paying, vec![2, 5, 8, 11]);
    let shifted = analyse(&quarterly_payer(), 12, 4);
    assert_eq!(shifted.paying, vec![0, 3, 6, 9]);
}

#[test]
fn strength_of_a_small_additive_decomposition() {
    // Period 2, y = 0 2 0 2 0 4. Trend (¼,½,¼) at t = 1..4: 1, 1, 1, 1.5; detrended
    // 1, −1, 1, −1.5. Indices: odd t 1, even t −1.25, centred ±1.125. Remainder
    // −0.125, 0.125, −0.125, −0.375: sum of squared deviations 0.125. Detrended: 5.1875.
    // Strength = 1 − 0.125/5.1875 = 81/83.
    let s = strength(&[0.0, 2.0, 0.0, 2.0, 0.0, 4.0], 2, 0);
    assert!(close(s, 81.0 / 83.0), "{s}");
}

#[test]
fn strength_is_zero_below_two_periods_or_without_variation() {
    assert_eq!(strength(&[1.0, 5.0, 1.0], 2, 0), 0.0);
    assert_eq!(strength(&quarterly_payer()[..23], 12, 0), 0.0);
    assert_eq!(strength(&[4.0; 24], 12, 0), 0.0);
    assert_eq!(strength(&[1.0, 2.0, 3.0], 1, 0), 0.0);
}

#[test]
fn significance_of_an_alternating_series_needs_enough_points() {
    // 1 3 1 3 1 3 (n = 6): r1 = −5/6, r2 = 4/6; bound 1.645·√((1 + 2·25/36)/6) ≈ 1.038.
    let short = [1.0, 3.0, 1.0, 3.0, 1.0, 3.0];
    let r = acf(&short, 2);
    assert!(close(r[0], -5.0 / 6.0) && close(r[1], 4.0 / 6.0));
    assert!(!significant(&short, 2));
    // n = 12: r1 = −11/12, r2 = 10/12; bound 1.645·√((1 + 2·121/144)/12) ≈ 0.7775.
    let long: Vec<f64> = short.iter().chain(short.iter()).copied().collect();
    let r = acf(&long, 2);
    assert!(close(r[0], -11.0 / 12.0) && close(r[1], 10.0 / 12.0));
    assert!(significant(&long, 2));
}

#[test]
fn constant_or_short_series_is_not_significant() {
    assert!(!significant(&[5.0; 40], 12));
    assert!(!significant(&quarterly_payer()[..24], 12));
    assert!(!significant(&quarterly_payer(), 1));
}

#[test]
fn zero_mean_gives_a_flat_profile_and_unseen_positions_are_neutral() {
    let s = analyse(&[0.0; 24], 12, 0);
    assert_eq!(s.profile, vec![1.0; 12]);
    assert!(s.paying.is_empty());
    // Three months (Jan–Mar) of 1, 2, 3: mean of observed positions 2; the rest are 1.0.
    let s = analyse(&[1.0, 2.0, 3.0], 12, 0);
    assert_eq!(&s.profile[..4], &[0.5, 1.0, 1.5, 1.0]);
    assert_eq!(s.paying, vec![0, 1, 2]);
}

#[test]
fn non_finite_values_read_as_zero() {
    let mut y = quarterly_payer();
    y[4] = f64::NAN;
    y[7] = f64::INFINITY;
    let s = analyse(&y, 12, 0);
    assert!(s.strength.is_finite() && s.profile.iter().all(|v| v.is_finite()));
}

proptest::proptest! {
    #[test]
    fn outputs_are_finite_and_bounded(
        y in proptest::collection::vec(-1e6f64..1e6, 0..60),
        period in 1usize..13,
        first in 0usize..12,
    ) {
        let s = analyse(&y, period, first);
        proptest::prop_assert!((0.0..=1.0).contains(&s.strength));
        proptest::prop_assert_eq!(s.profile.len(), period);
        proptest::prop_assert!(s.profile.iter().all(|v| v.is_finite()));
        proptest::prop_assert!(s.paying.iter().all(|p| *p < period));
    }
}
