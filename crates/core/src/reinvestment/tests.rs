//! Unit and property tests of elections and the reinvestment split.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn usd(nav: &str, precision: u32) -> Terms {
    Terms {
        nav: dec(nav),
        share_precision: precision,
        minor_units: 2,
    }
}

fn pct(s: &str) -> Percentage {
    Percentage::parse("percentage", s).unwrap()
}

#[test]
fn automatic_line_buys_down_and_pays_the_residual() {
    // $1,000.00 at NAV 10.1234, 4 decimals: 1000 / 10.1234 = 98.78104…  → 98.7810 shares,
    // cost 98.7810 × 10.1234 = 999.9995754 → rounded up to 1000.00; residual 0.
    let s = split_line(100_000, 0, Percentage::HUNDRED, &usd("10.1234", 4)).unwrap();
    assert_eq!(s.reinvestable_minor, 100_000);
    assert_eq!(s.shares, dec("98.7810"));
    assert_eq!(s.cost_minor, 100_000);
    assert_eq!(s.cash_minor, 0);
    // $12.34 at 7.12345678, 3 decimals: 1.732… → 1.732 shares, cost 12.33782714… → 12.34.
    let s = split_line(1_234, 0, Percentage::HUNDRED, &usd("7.12345678", 3)).unwrap();
    assert_eq!(
        (s.shares, s.cost_minor, s.cash_minor),
        (dec("1.732"), 1_234, 0)
    );
    // $0.05 at 10.00, 0 decimals: no whole share; everything is cash.
    let s = split_line(5, 0, Percentage::HUNDRED, &usd("10", 0)).unwrap();
    assert_eq!((s.shares, s.cost_minor, s.cash_minor), (dec("0"), 0, 5));
    // $25.00 at 10.00, 0 decimals: 2 shares for $20.00, $5.00 residual in cash.
    let s = split_line(2_500, 0, Percentage::HUNDRED, &usd("10", 0)).unwrap();
    assert_eq!(
        (s.shares, s.cost_minor, s.cash_minor),
        (dec("2"), 2_000, 500)
    );
    assert_eq!(s.residual_minor(), 500);
}

#[test]
fn partial_rounds_the_elected_money_down_and_withholding_comes_first() {
    // Total 100.01, withholding 24.00 → net 76.01; 37.5 % = 28.50375 → 28.50 reinvestable.
    let s = split_line(10_001, 2_400, pct("37.5"), &usd("9.87654321", 4)).unwrap();
    assert_eq!(s.reinvestable_minor, 2_850);
    // 28.50 / 9.87654321 = 2.88562…  → 2.8856 shares; cost 28.4998… → 28.50.
    assert_eq!(s.shares, dec("2.8856"));
    assert_eq!(s.cost_minor, 2_850);
    assert_eq!(s.cash_minor, 10_001 - 2_400 - 2_850);
}

#[test]
fn cost_is_never_rounded_above_the_reinvestable_money() {
    // NAV 0.33333333 with 8-decimal shares: S × N is just under R; the ceiling stays ≤ R.
    let s = split_line(100, 0, Percentage::HUNDRED, &usd("0.33333333", 8)).unwrap();
    assert!(s.cost_minor <= s.reinvestable_minor);
    assert_eq!(s.shares, dec("3.00000003"));
    assert_eq!(s.cost_minor, 100);
}

#[test]
fn other_currencies_use_their_minor_units() {
    // JPY has no minor unit: ¥1,000 at 333.3 with 2-decimal shares → 3.00 shares, cost ¥1,000
    // (999.9 rounded up), residual 0.
    let jpy = Terms {
        nav: dec("333.3"),
        share_precision: 2,
        minor_units: 0,
    };
    let s = split_line(1_000, 0, Percentage::HUNDRED, &jpy).unwrap();
    assert_eq!(
        (s.shares, s.cost_minor, s.cash_minor),
        (dec("3.00"), 1_000, 0)
    );
}

#[test]
fn bad_inputs_are_refused() {
    assert!(matches!(
        split_line(100, 101, Percentage::HUNDRED, &usd("1", 2)),
        Err(SplitError::NegativeNet { .. })
    ));
    assert_eq!(
        split_line(100, 0, Percentage::HUNDRED, &usd("0", 2)),
        Err(SplitError::NavNotPositive)
    );
    assert_eq!(
        split_line(100, 0, Percentage::HUNDRED, &usd("1", 13)),
        Err(SplitError::Precision)
    );
}

#[test]
fn elections_parse_and_check_their_parts() {
    assert_eq!(Election::parse("CASH", None, None).unwrap(), Election::Cash);
    assert_eq!(
        Election::parse("AUTOMATIC", Some("100"), None).unwrap(),
        Election::Automatic
    );
    assert_eq!(
        Election::parse("PARTIAL", Some("37.5"), None).unwrap(),
        Election::Partial(pct("37.5"))
    );
    let alt = Election::parse("ALTERNATIVE", None, Some("fund-2")).unwrap();
    assert_eq!(alt.percentage(), Percentage::HUNDRED);
    assert_eq!(alt.target_fund_id(), Some("fund-2"));
    let field = |r: Result<Election, Invalid>| r.unwrap_err().0[0].field.clone();
    assert_eq!(field(Election::parse("SOMETIMES", None, None)), "election");
    assert_eq!(field(Election::parse("PARTIAL", None, None)), "percentage");
    assert_eq!(
        field(Election::parse("PARTIAL", Some("100"), None)),
        "percentage"
    );
    assert_eq!(
        field(Election::parse("PARTIAL", Some("0"), None)),
        "percentage"
    );
    assert_eq!(
        field(Election::parse("PARTIAL", Some("100.5"), None)),
        "percentage"
    );
    assert_eq!(
        field(Election::parse("PARTIAL", Some("-1"), None)),
        "percentage"
    );
    assert_eq!(
        field(Election::parse("PARTIAL", Some("1.1234567"), None)),
        "percentage"
    );
    assert_eq!(
        field(Election::parse("CASH", Some("50"), None)),
        "percentage"
    );
    assert_eq!(
        field(Election::parse("CASH", None, Some("x"))),
        "targetFundId"
    );
    assert_eq!(
        field(Election::parse("ALTERNATIVE", None, None)),
        "targetFundId"
    );
    assert_eq!(
        field(Election::parse("ALTERNATIVE", Some("0"), Some("x"))),
        "percentage"
    );
}

fn terms_strategy() -> impl Strategy<Value = Terms> {
    // NAVs with 0–8 decimals between 0.0001 and 100,000; precision 0–8; currency 0–3 digits.
    (1i64..1_000_000_000, 0u32..=8, 0u32..=8, 0u32..=3).prop_map(|(mantissa, nav_scale, sp, mu)| {
        Terms {
            nav: Decimal::new(mantissa, nav_scale.min(8)).max(Decimal::new(1, 4)),
            share_precision: sp,
            minor_units: mu,
        }
    })
}

fn percentage_strategy() -> impl Strategy<Value = Percentage> {
    prop_oneof![
        Just(Percentage::HUNDRED),
        Just(Percentage::ZERO),
        (0i64..=100_000_000).prop_map(|m| Percentage::new(Decimal::new(m, 6)).unwrap()),
        (1i64..1000).prop_map(|m| Percentage::new(Decimal::new(m, 1)).unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn split_ties_out_and_never_overbuys(
        total in 0i64..=1_000_000_000_000,
        withholding_pct in 0i64..=100,
        percentage in percentage_strategy(),
        terms in terms_strategy(),
    ) {
        let withholding = total * withholding_pct / 100 / 3;
        let s = split_line(total, withholding, percentage, &terms).unwrap();
        let net = total - withholding;
        // Ties out exactly.
        prop_assert_eq!(s.cash_minor + s.cost_minor + withholding, total);
        // Reinvestable is the elected share of net, rounded down.
        let exact = Decimal::from(net) * percentage.value() / Decimal::ONE_HUNDRED;
        prop_assert_eq!(Decimal::from(s.reinvestable_minor), exact.floor());
        // Never more shares than the money pays for; cost never above the reinvestable money.
        let unit = Decimal::new(1, terms.minor_units);
        let money = Decimal::from(s.reinvestable_minor) * unit;
        prop_assert!(s.shares * terms.nav <= money);
        prop_assert!(0 <= s.cost_minor && s.cost_minor <= s.reinvestable_minor);
        // Cost is S × N rounded up to the minor unit.
        let cost_exact = s.shares * terms.nav / unit;
        prop_assert_eq!(Decimal::from(s.cost_minor), cost_exact.ceil());
        // The residual could not buy one more share increment: residual < N × 10^-s
        // (so also < one share's price + 1 minor unit).
        let increment = Decimal::new(1, terms.share_precision);
        let residual = Decimal::from(s.residual_minor()) * unit;
        prop_assert!(residual < terms.nav * increment);
        prop_assert!((s.shares + increment) * terms.nav > money);
        // Shares carry exactly the fund's precision.
        prop_assert_eq!(s.shares.scale(), terms.share_precision);
        prop_assert!(s.cash_minor >= 0);
    }

    #[test]
    fn cash_election_reinvests_nothing(total in 0i64..=1_000_000_000_000, terms in terms_strategy()) {
        let s = split_line(total, 0, Percentage::ZERO, &terms).unwrap();
        prop_assert_eq!((s.cost_minor, s.cash_minor, s.shares.is_zero()), (0, total, true));
    }

    #[test]
    fn percentage_round_trips(m in 0i64..=100_000_000) {
        let p = Percentage::new(Decimal::new(m, 6)).unwrap();
        prop_assert_eq!(Percentage::parse("p", &p.to_string()).unwrap(), p);
    }
}
