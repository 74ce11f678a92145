use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn h(id: &str, units: i64) -> Holding {
    Holding {
        investor_id: id.into(),
        units: Decimal::from(units),
    }
}

#[test]
fn known_identifiers_pass_and_a_changed_check_digit_fails() {
    // Apple: CUSIP 037833100, ISIN US0378331005.
    assert!(check_identifier(IdentifierType::Cusip, "037833100").is_ok());
    assert!(check_identifier(IdentifierType::Isin, "US0378331005").is_ok());
    // Another ISIN with letters in the national part (BAE Systems).
    assert!(check_identifier(IdentifierType::Isin, "GB0002634946").is_ok());
    assert_eq!(
        check_identifier(IdentifierType::Cusip, "037833101").unwrap_err(),
        "CUSIP check digit should be 0"
    );
    assert_eq!(
        check_identifier(IdentifierType::Isin, "US0378331006").unwrap_err(),
        "ISIN check digit should be 5"
    );
    assert!(check_identifier(IdentifierType::Cusip, "03783310").is_err());
    assert!(check_identifier(IdentifierType::Ticker, "BRK.B").is_ok());
    assert!(check_identifier(IdentifierType::Ticker, "not a ticker").is_err());
}

/// The worked example of docs/private-funds.md: 1,000 units at 12.345 to holders 1:1:1.
#[test]
fn worked_example_floor_units_and_cash_in_lieu_by_largest_remainder() {
    let holdings = [h("a", 1), h("b", 1), h("c", 1)];
    let s = split(1000, Decimal::new(12345, 3), 2, &holdings).unwrap();
    // 333.33… each: 333 units each, 1 unit retained, worth 12.345 -> 12.35 (half-up).
    assert_eq!(s.distributed_units, 999);
    assert_eq!(s.retained_units, 1);
    assert_eq!(s.cash_in_lieu_minor, 1235);
    let cash: Vec<i64> = s.shares.iter().map(|x| x.cash_in_lieu_minor).collect();
    // 1235 split 1:1:1 -> 411 each, the leftover 2 cents to the first two (ties by order).
    assert_eq!(cash, vec![412, 412, 411]);
    // 333 × 12.345 = 4110.885 -> 4110.89.
    assert!(s
        .shares
        .iter()
        .all(|x| x.units == 333 && x.property_minor == 411089));
}

#[test]
fn an_exact_split_has_no_cash_and_small_holders_may_get_cash_only() {
    let s = split(100, Decimal::from(10), 2, &[h("a", 3), h("b", 1)]).unwrap();
    assert_eq!(s.retained_units, 0);
    assert_eq!(s.cash_in_lieu_minor, 0);
    assert_eq!(s.shares[0].units, 75);
    let s = split(10, Decimal::from(7), 2, &[h("a", 99), h("b", 1)]).unwrap();
    // b's exact share is 0.1 unit: no unit, 0.1 × 7.00 in cash.
    assert_eq!(s.shares[1].units, 0);
    assert_eq!(s.shares[1].cash_in_lieu_minor, 70);
    assert_eq!(s.shares[0].units, 9);
    assert_eq!(s.shares[0].cash_in_lieu_minor, 630);
}

#[test]
fn nobody_holding_is_refused() {
    assert_eq!(
        split(10, Decimal::ONE, 2, &[h("a", 0)]).unwrap_err(),
        AllocationError::NoHoldings
    );
}

proptest! {
    #[test]
    fn units_and_cash_tie_out_and_nobody_gets_more_than_their_share(
        quantity in 1u64..1_000_000,
        value_cents in 1i64..10_000_000,
        weights in proptest::collection::vec(0i64..1_000_000, 1..40),
    ) {
        prop_assume!(weights.iter().any(|w| *w > 0));
        let holdings: Vec<Holding> = weights.iter().enumerate()
            .map(|(i, w)| h(&format!("i{i:03}"), *w)).collect();
        let value = Decimal::new(value_cents, 2);
        let s = split(quantity, value, 2, &holdings).unwrap();
        let units: u64 = s.shares.iter().map(|x| x.units).sum();
        prop_assert_eq!(units, s.distributed_units);
        prop_assert_eq!(units + s.retained_units, quantity);
        prop_assert!((s.retained_units as usize) < holdings.len());
        let cash: i64 = s.shares.iter().map(|x| x.cash_in_lieu_minor).sum();
        prop_assert_eq!(cash, s.cash_in_lieu_minor);
        prop_assert_eq!(cash, s.retained_units as i64 * value_cents);
        let total: i64 = weights.iter().sum();
        for x in &s.shares {
            prop_assert!(x.cash_in_lieu_minor >= 0);
            let w = x.holding.mantissa();
            // floor(Q × w / W), and the cash within one cent of the fraction's exact value.
            prop_assert_eq!(x.units as i128, quantity as i128 * w / total as i128);
            let exact = Decimal::from(quantity as i128 * w % total as i128)
                / Decimal::from(total) * Decimal::from(value_cents);
            prop_assert!((Decimal::from(x.cash_in_lieu_minor) - exact).abs() < Decimal::ONE);
            prop_assert_eq!(x.property_minor, x.units as i64 * value_cents);
        }
    }
}
