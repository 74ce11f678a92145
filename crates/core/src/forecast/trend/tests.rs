//! Hand-computed Mann–Kendall cases (S and Var(S) counted by hand; p from erfc, checked
//! against Python's `math.erfc`).

use super::*;

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(f64::MIN_POSITIVE)
}

#[test]
fn erfc_matches_reference_values_including_the_far_tail() {
    let cases = [
        (0.3, 0.6713732405408726),
        (1.0, 0.15729920705028513),
        (2.4, 0.0006885138966450789),
        (2.6, 0.00023603441652934908),
        (3.0, 2.2090496998585438e-05),
        (5.0, 1.5374597944280351e-12),
        (8.0, 1.1224297172982928e-29),
        (1.04, 0.14135005347334853),
        (1.5, 0.033894853524689274),
        (2.34, 0.0009354301389080219),
        (10.0, 2.088487583762545e-45),
        (20.0, 5.3958656116079005e-176),
        (26.0, 5.663192408856143e-296),
    ];
    for (x, want) in cases {
        assert!(close(erfc(x), want, 1e-13), "erfc({x}) = {}", erfc(x));
    }
    assert!(close(erfc(-1.0), 2.0 - 0.15729920705028513, 1e-15));
    assert_eq!(erfc(0.0), 1.0);
    assert_eq!(erfc(40.0), 0.0);
}

#[test]
fn two_sided_p_of_196_is_five_percent() {
    assert!(close(two_sided_p(1.96), 0.04999579029644087, 1e-12));
    assert!(close(two_sided_p(-6.0), 1.9731752900754024e-09, 1e-12));
}

#[test]
fn strictly_increasing_five_points() {
    // S = 10 (all 10 pairs rise), Var = 5·4·15/18 = 50/3, z = 9/√(50/3).
    let t = mann_kendall(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.05).unwrap();
    assert_eq!(t.s, 10);
    assert!(close(t.z, 9.0 / (50.0f64 / 3.0).sqrt(), 1e-15));
    assert!(close(t.p_value, 0.027486336111510353, 1e-12));
    assert_eq!(t.direction, Direction::Increasing);
    assert_eq!(t.sen_slope, 1.0);
    assert_eq!(t.n, 5);
}

#[test]
fn strictly_decreasing_five_points() {
    let t = mann_kendall(&[5.0, 4.0, 3.0, 2.0, 1.0], 0.05).unwrap();
    assert_eq!(t.s, -10);
    assert!(close(t.z, -9.0 / (50.0f64 / 3.0).sqrt(), 1e-15));
    assert_eq!(t.direction, Direction::Decreasing);
    assert_eq!(t.sen_slope, -1.0);
}

#[test]
fn ties_reduce_the_variance() {
    // n = 7: 7·6·19 = 798; ties 2·1·9 = 18 (the two 2s) and 3·2·11 = 66 (the three 3s);
    // Var = (798 − 84)/18 = 119/3. S = 17 (21 pairs, 4 tied, none falling).
    let t = mann_kendall(&[1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0], 0.05).unwrap();
    assert_eq!(t.s, 17);
    assert!(close(t.z, 16.0 / (119.0f64 / 3.0).sqrt(), 1e-15));
    assert!(close(t.p_value, 0.011071644553191887, 1e-12));
    assert_eq!(t.sen_slope, 0.5);
}

#[test]
fn noisy_rise_of_eight_points() {
    // S = 22: 28 pairs, 3 falls (12>11, 15>14, 18>17), 25 rises. Var = 8·7·21/18 = 196/3.
    let y = [10.0, 12.0, 11.0, 15.0, 14.0, 18.0, 17.0, 20.0];
    let t = mann_kendall(&y, 0.05).unwrap();
    assert_eq!(t.s, 22);
    assert!(close(t.p_value, 0.009374768459434893, 1e-12));
    assert_eq!(t.sen_slope, 1.5);
    assert_eq!(t.direction, Direction::Increasing);
}

#[test]
fn no_significant_trend_is_stable_and_alpha_matters() {
    // S = 12, ties: two 1s, two 3s, two 5s → Var = (10·9·25 − 3·18)/18 = 122.
    let y = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0];
    let t = mann_kendall(&y, 0.05).unwrap();
    assert_eq!(t.s, 12);
    assert!(close(t.z, 11.0 / 122.0f64.sqrt(), 1e-15));
    assert!(close(t.p_value, 0.31930203648285493, 1e-12));
    assert_eq!(t.direction, Direction::Stable);
    assert!(close(t.sen_slope, 1.0 / 3.0, 1e-15));
    let loose = mann_kendall(&y, 0.5).unwrap();
    assert_eq!(loose.direction, Direction::Increasing);
}

#[test]
fn constant_series_is_stable_with_p_one() {
    let t = mann_kendall(&[2.0; 5], 0.05).unwrap();
    assert_eq!((t.s, t.z, t.p_value), (0, 0.0, 1.0));
    assert_eq!(t.direction, Direction::Stable);
    assert_eq!(t.sen_slope, 0.0);
}

#[test]
fn long_rise_keeps_a_small_p_value_accurate() {
    // S = 435, Var = 30·29·65/18; p ≈ 9.7e-15, which 1 − erf could not resolve.
    let y: Vec<f64> = (1..=30).map(f64::from).collect();
    let t = mann_kendall(&y, 0.05).unwrap();
    assert_eq!(t.s, 435);
    assert!(close(t.p_value, 9.709234566708501e-15, 1e-9));
}

#[test]
fn too_short_or_not_finite_is_none() {
    assert!(mann_kendall(&[1.0, 2.0], 0.05).is_none());
    assert!(mann_kendall(&[1.0, f64::NAN, 2.0], 0.05).is_none());
}

proptest::proptest! {
    #[test]
    fn results_are_finite_and_p_in_unit_interval(
        y in proptest::collection::vec(-1e6f64..1e6, 3..40)
    ) {
        let t = mann_kendall(&y, 0.05).unwrap();
        proptest::prop_assert!(t.z.is_finite() && t.sen_slope.is_finite());
        proptest::prop_assert!((0.0..=1.0).contains(&t.p_value));
        let rev: Vec<f64> = y.iter().rev().copied().collect();
        let r = mann_kendall(&rev, 0.05).unwrap();
        proptest::prop_assert_eq!(r.s, -t.s);
    }
}
