//! The liquidity plan: hand-computed rows, half-even rounding, refusals naming the field,
//! and properties (cash + reinvested = gross; shortfalls only once the cash runs out).

use std::str::FromStr;

use proptest::prelude::*;

use super::*;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, day).unwrap()
}

fn need(day: u32, per_unit: &str, high: &str, units: &str, share: &str) -> Need {
    Need {
        date: date(day),
        per_unit: d(per_unit),
        per_unit_high: d(high),
        units: d(units),
        reinvest_share: d(share),
    }
}

#[test]
fn one_date_by_hand() {
    // 0.125 × 1,000 units = 125.00 → 12,500 cents; 30 % reinvested = 3,750; cash 8,750.
    // High: 0.15 × 1,000 = 15,000; 4,500 reinvested; cash 10,500.
    let rows = plan(&[need(1, "0.125", "0.15", "1000", "0.3")], 10_000, 2).unwrap();
    assert_eq!(
        rows,
        vec![Row {
            date: date(1),
            gross_minor: 12_500,
            reinvested_minor: 3_750,
            cash_minor: 8_750,
            cash_high_minor: 10_500,
            cumulative_cash_minor: 8_750,
            remaining_minor: 1_250,
            shortfall_minor: 0,
            shortfall_high_minor: 500,
        }]
    );
}

#[test]
fn shortfall_is_the_uncovered_part_then_the_whole_of_later_dates() {
    // Cash 4,000, 5,000, 3,000, 2,000 against 10,000: cumulative 4,000, 9,000, 12,000,
    // 14,000; the third date is 2,000 short (1,000 covered), the fourth wholly short.
    let needs = [
        need(1, "40", "40", "1", "0"),
        need(2, "50", "50", "1", "0"),
        need(3, "30", "30", "1", "0"),
        need(4, "20", "20", "1", "0"),
    ];
    let rows = plan(&needs, 10_000, 2).unwrap();
    let got: Vec<(i64, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r.cumulative_cash_minor,
                r.remaining_minor,
                r.shortfall_minor,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (4_000, 6_000, 0),
            (9_000, 1_000, 0),
            (12_000, -2_000, 2_000),
            (14_000, -4_000, 2_000)
        ]
    );
    let t = totals(&rows);
    assert_eq!((t.cash_minor, t.shortfall_minor), (14_000, 4_000));
    assert_eq!(t.first_shortfall, Some(date(3)));
}

#[test]
fn rounding_is_half_even_once_per_date() {
    // 0.005 → 0.5 cent → 0; 0.015 → 1.5 → 2; 0.025 → 2.5 → 2.
    let needs = [
        need(1, "0.005", "0.005", "1", "0"),
        need(2, "0.015", "0.015", "1", "0"),
        need(3, "0.025", "0.025", "1", "0"),
    ];
    let gross: Vec<i64> = plan(&needs, 0, 2)
        .unwrap()
        .iter()
        .map(|r| r.gross_minor)
        .collect();
    assert_eq!(gross, vec![0, 2, 2]);
    // Reinvested half of 5 = 2.5 → 2 (cash 3); half of 7 = 3.5 → 4 (cash 3).
    let needs = [
        need(1, "0.05", "0.05", "1", "0.5"),
        need(2, "0.07", "0.07", "1", "0.5"),
    ];
    let rows = plan(&needs, 0, 2).unwrap();
    assert_eq!((rows[0].reinvested_minor, rows[0].cash_minor), (2, 3));
    assert_eq!((rows[1].reinvested_minor, rows[1].cash_minor), (4, 3));
    // Yen: no minor unit; 2.5 per unit × 1 → 2.
    let rows = plan(&[need(1, "2.5", "3.5", "1", "0")], 0, 0).unwrap();
    assert_eq!((rows[0].gross_minor, rows[0].cash_high_minor), (2, 4));
}

#[test]
fn refusals_name_the_field() {
    let ok = need(1, "1", "2", "10", "0.5");
    let cases = [
        (need(3, "1", "2", "10", "1.5"), "needs[2].reinvest_share"),
        (need(3, "1", "2", "10", "-0.1"), "needs[2].reinvest_share"),
        (need(3, "-1", "2", "10", "0"), "needs[2].per_unit"),
        (need(3, "1", "0.5", "10", "0"), "needs[2].per_unit_high"),
        (need(3, "1", "2", "-10", "0"), "needs[2].units"),
        (need(1, "1", "2", "10", "0"), "needs[2].date"), // before 2 January
    ];
    for (bad, field) in cases {
        let needs = vec![ok.clone(), need(2, "1", "1", "1", "0"), bad];
        let err = plan(&needs, 0, 2).unwrap_err();
        assert_eq!(err.field(), field, "{err}");
    }
    assert_eq!(
        plan(std::slice::from_ref(&ok), -1, 2).unwrap_err().field(),
        "on_hand_minor"
    );
    assert_eq!(
        plan(&[ok], 0, 19).unwrap_err(),
        LiquidityError::MinorUnits(19)
    );
    let huge = need(1, "1e20", "1e20", "1e6", "0");
    assert!(matches!(
        plan(&[huge], 0, 2).unwrap_err(),
        LiquidityError::Overflow { .. }
    ));
}

#[test]
fn an_empty_plan_and_zero_amounts_are_fine() {
    assert!(plan(&[], 0, 2).unwrap().is_empty());
    let rows = plan(&[need(1, "0", "0", "0", "1")], 0, 2).unwrap();
    assert_eq!((rows[0].cash_minor, rows[0].shortfall_minor), (0, 0));
    assert_eq!(totals(&[]), Totals::default());
}

fn needs() -> impl Strategy<Value = Vec<Need>> {
    proptest::collection::vec(
        (
            0i64..10_000_000,
            0i64..5_000_000,
            0i64..100_000_000,
            0u32..=1000,
        ),
        0..15,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (per, extra, units, share))| Need {
                date: date(1 + i as u32),
                per_unit: Decimal::new(per, 4),
                per_unit_high: Decimal::new(per + extra, 4),
                units: Decimal::new(units, 3),
                reinvest_share: Decimal::new(share.into(), 3),
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn plans_add_up_exactly(needs in needs(), on_hand in 0i64..1_000_000_000_000, mu in 0u32..=4) {
        let rows = plan(&needs, on_hand, mu).unwrap();
        prop_assert_eq!(rows.len(), needs.len());
        let mut cumulative = 0i64;
        let mut short = false;
        for r in &rows {
            prop_assert_eq!(r.cash_minor + r.reinvested_minor, r.gross_minor);
            prop_assert!(r.cash_minor >= 0 && r.reinvested_minor >= 0);
            prop_assert!(r.cash_high_minor >= r.cash_minor);
            cumulative += r.cash_minor;
            prop_assert_eq!(r.cumulative_cash_minor, cumulative);
            prop_assert_eq!(r.remaining_minor, on_hand - cumulative);
            prop_assert!(r.shortfall_high_minor >= r.shortfall_minor);
            // Covered until the cash runs out; after that, each date's cash is wholly short.
            if short {
                prop_assert_eq!(r.shortfall_minor, r.cash_minor);
            } else if r.remaining_minor >= 0 {
                prop_assert_eq!(r.shortfall_minor, 0);
            } else {
                prop_assert_eq!(r.shortfall_minor, -r.remaining_minor.max(-r.cash_minor));
                short = true;
            }
        }
        let t = totals(&rows);
        prop_assert_eq!(t.cash_minor, cumulative);
        prop_assert_eq!(t.shortfall_minor, (cumulative - on_hand).max(0));
        prop_assert_eq!(t.gross_minor, t.cash_minor + t.reinvested_minor);
    }
}
