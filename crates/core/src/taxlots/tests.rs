//! Unit and property tests of return of capital and redemption basis.

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn lot(id: &str, acquired: &str, shares: &str, basis: i64) -> Lot {
    Lot {
        id: id.into(),
        acquired: d(acquired),
        shares: dec(shares),
        basis_minor: basis,
    }
}

fn three_lots() -> Vec<Lot> {
    vec![
        lot("a", "2024-01-15", "100", 100_000),
        lot("b", "2025-06-30", "50.5", 60_000),
        lot("c", "2026-03-31", "0.3333", 350),
    ]
}

#[test]
fn roc_reduces_basis_pro_rata_by_shares_and_sums_exactly() {
    let lots = three_lots();
    // 150.8333 shares; $100.00 of ROC: 66.298… / 33.480… / 0.220… → largest remainder.
    let out = apply_return_of_capital(&lots, 10_000).unwrap();
    assert_eq!(out.reductions, vec![6_630, 3_348, 22]);
    assert_eq!(out.gain_minor, 0);
    assert_eq!(out.reductions.iter().sum::<i64>(), 10_000);
}

#[test]
fn roc_beyond_basis_is_gain() {
    let lots = vec![
        lot("a", "2024-01-15", "10", 500),
        lot("b", "2024-02-15", "10", 0),
    ];
    // $20.00 over two equal lots: $10.00 each; lot a has $5.00 of basis, lot b none.
    let out = apply_return_of_capital(&lots, 2_000).unwrap();
    assert_eq!(out.reductions, vec![500, 0]);
    assert_eq!(out.gain_minor, 1_500);
    // No lots at all: everything is gain.
    let out = apply_return_of_capital(&[], 123).unwrap();
    assert_eq!(out.gain_minor, 123);
}

#[test]
fn reapplied_roc_goes_in_record_date_order_over_the_lots_held_then() {
    let lots = vec![
        // Given out of order: the function sorts by acquisition like the first application.
        lot("late", "2026-06-30", "10", 1_000),
        lot("old", "2024-01-15", "30", 900),
    ];
    let later = [
        // Listed second but recorded first: applied first.
        Reapply {
            record: d("2026-09-15"),
            roc_minor: 2_000,
        },
        Reapply {
            record: d("2026-03-16"),
            roc_minor: 600,
        },
    ];
    let out = reapply_return_of_capital(&lots, &later).unwrap();
    // 2026-03-16: only "old" is held; 600 of its 900 basis.
    assert_eq!(out[1].reductions, vec![0, 600]);
    assert_eq!(out[1].gain_minor, 0);
    // 2026-09-15: 40 shares, 2,000 → 500 to "late" (basis 1,000), 1,500 to "old" whose 300
    // left cap it: 1,200 is gain.
    assert_eq!(out[0].reductions, vec![500, 300]);
    assert_eq!(out[0].gain_minor, 1_200);
    // Nothing held on the record date: all of it is gain.
    let early = [Reapply {
        record: d("2020-01-01"),
        roc_minor: 77,
    }];
    let out = reapply_return_of_capital(&lots, &early).unwrap();
    assert_eq!(
        (out[0].reductions.clone(), out[0].gain_minor),
        (vec![0, 0], 77)
    );
    assert!(reapply_return_of_capital(
        &lots,
        &[Reapply {
            record: d("2026-01-01"),
            roc_minor: -1
        }]
    )
    .is_err());
}

#[test]
fn fifo_takes_oldest_first_and_prorates_the_partial_lot() {
    let lots = three_lots();
    let r = redeem(&lots, dec("120"), &Method::Fifo, d("2026-06-01")).unwrap();
    assert_eq!(r.parts.len(), 2);
    assert_eq!(
        (
            r.parts[0].lot_id.as_str(),
            r.parts[0].shares,
            r.parts[0].basis_minor
        ),
        ("a", dec("100"), 100_000)
    );
    // 20 / 50.5 of $600.00 = 237.6237… → 237.62.
    assert_eq!(
        (
            r.parts[1].lot_id.as_str(),
            r.parts[1].shares,
            r.parts[1].basis_minor
        ),
        ("b", dec("20"), 23_762)
    );
    assert!(r.parts[0].long_term);
    assert!(!r.parts[1].long_term);
    assert_eq!(r.basis_minor, 123_762);
}

#[test]
fn specific_identification_uses_the_named_lots() {
    let lots = three_lots();
    let m =
        Method::SpecificIdentification(vec![("c".into(), dec("0.3333")), ("b".into(), dec("10"))]);
    let r = redeem(&lots, dec("10.3333"), &m, d("2026-06-01")).unwrap();
    assert_eq!(r.basis_minor, 350 + 11_881); // 10/50.5 × 600.00 = 118.8118… → 118.81
    let wrong = Method::SpecificIdentification(vec![("b".into(), dec("10"))]);
    assert!(matches!(
        redeem(&lots, dec("11"), &wrong, d("2026-06-01")),
        Err(LotError::SpecificMismatch { .. })
    ));
    let dup = Method::SpecificIdentification(vec![("b".into(), dec("1")), ("b".into(), dec("1"))]);
    assert_eq!(
        redeem(&lots, dec("2"), &dup, d("2026-06-01")),
        Err(LotError::DuplicateLot("b".into()))
    );
    let too_many = Method::SpecificIdentification(vec![("c".into(), dec("1"))]);
    assert!(matches!(
        redeem(&lots, dec("1"), &too_many, d("2026-06-01")),
        Err(LotError::LotTooSmall { .. })
    ));
    // A lot acquired after the sale date cannot be sold.
    let future = Method::SpecificIdentification(vec![("c".into(), dec("0.1"))]);
    assert_eq!(
        redeem(&lots, dec("0.1"), &future, d("2026-01-01")),
        Err(LotError::UnknownLot("c".into()))
    );
}

#[test]
fn average_cost_uses_the_average_and_ties_out() {
    let lots = three_lots();
    // Total basis $1,603.50 over 150.8333 shares; 75 shares → 797.3206… → 797.32.
    let r = redeem(&lots, dec("75"), &Method::AverageCost, d("2026-06-01")).unwrap();
    assert_eq!(r.basis_minor, 79_732);
    assert_eq!(r.parts.len(), 1);
    assert_eq!(r.parts[0].lot_id, "a");
    let err = redeem(&lots, dec("151"), &Method::AverageCost, d("2026-06-01")).unwrap_err();
    assert!(matches!(err, LotError::InsufficientShares { .. }));
}

#[test]
fn long_term_means_more_than_one_year() {
    assert!(!is_long_term(d("2025-03-31"), d("2026-03-31")));
    assert!(is_long_term(d("2025-03-31"), d("2026-04-01")));
    assert!(!is_long_term(d("2024-02-29"), d("2025-02-28")));
    assert!(is_long_term(d("2024-02-29"), d("2025-03-01")));
}

fn lots_strategy() -> impl Strategy<Value = Vec<Lot>> {
    proptest::collection::vec(
        (
            0i64..2000,
            1i64..100_000_000,
            0u32..=6,
            0i64..10_000_000_000,
        ),
        0..12,
    )
    .prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(|(i, (day, mantissa, scale, basis))| Lot {
                id: format!("lot{i:02}"),
                acquired: d("2020-01-01") + chrono::Duration::days(day),
                shares: Decimal::new(mantissa, scale),
                basis_minor: basis,
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn roc_reductions_and_gain_sum_exactly(lots in lots_strategy(), roc in 0i64..100_000_000_000) {
        let out = apply_return_of_capital(&lots, roc).unwrap();
        prop_assert_eq!(out.reductions.iter().sum::<i64>() + out.gain_minor, roc);
        for (l, r) in lots.iter().zip(&out.reductions) {
            prop_assert!(*r >= 0 && *r <= l.basis_minor);
        }
        prop_assert!(out.gain_minor >= 0);
        // With basis to spare in every lot, nothing is gain and the reductions are the ROC.
        let total_shares: Decimal = lots.iter().map(|l| l.shares).sum();
        let ample = !lots.is_empty() && lots.iter().all(|l| Decimal::from(l.basis_minor) >= Decimal::from(roc) * l.shares / total_shares + Decimal::ONE);
        if ample {
            prop_assert_eq!(out.gain_minor, 0);
        }
    }

    /// The identity a reversal relies on: for each amount applied again, reductions + gain =
    /// amount; no lot loses more than its basis over all of them, nor any basis while it was
    /// not held; a single amount is exactly the first application's rule.
    #[test]
    fn reapplied_roc_reductions_and_gain_sum_exactly(
        lots in lots_strategy(),
        later in proptest::collection::vec((0i64..2400, 0i64..10_000_000_000), 0..6),
    ) {
        let later: Vec<Reapply> = later
            .into_iter()
            .map(|(day, roc)| Reapply { record: d("2020-01-01") + chrono::Duration::days(day), roc_minor: roc })
            .collect();
        let out = reapply_return_of_capital(&lots, &later).unwrap();
        prop_assert_eq!(out.len(), later.len());
        let mut taken = vec![0i64; lots.len()];
        for (o, r) in out.iter().zip(&later) {
            prop_assert_eq!(o.reductions.iter().sum::<i64>() + o.gain_minor, r.roc_minor);
            prop_assert!(o.gain_minor >= 0);
            for (i, x) in o.reductions.iter().enumerate() {
                prop_assert!(*x >= 0);
                if lots[i].acquired > r.record {
                    prop_assert_eq!(*x, 0);
                }
                taken[i] += x;
            }
        }
        for (l, t) in lots.iter().zip(&taken) {
            prop_assert!(*t <= l.basis_minor);
        }
        if let [one] = later.as_slice() {
            let mut held: Vec<&Lot> = lots.iter().filter(|l| l.acquired <= one.record).collect();
            held.sort_by(|a, b| (a.acquired, &a.id).cmp(&(b.acquired, &b.id)));
            let held: Vec<Lot> = held.into_iter().cloned().collect();
            let first = apply_return_of_capital(&held, one.roc_minor).unwrap();
            prop_assert_eq!(first.gain_minor, out[0].gain_minor);
            let by_id: Vec<i64> = held
                .iter()
                .map(|h| out[0].reductions[lots.iter().position(|l| l.id == h.id).unwrap()])
                .collect();
            prop_assert_eq!(by_id, first.reductions);
        }
    }

    #[test]
    fn every_method_sells_exactly_and_relieves_at_most_the_basis(
        lots in lots_strategy(),
        fraction in 1u32..=100,
        method_pick in 0u8..3,
    ) {
        let date = d("2030-01-01");
        let total: Decimal = lots.iter().map(|l| l.shares).sum();
        prop_assume!(total > Decimal::ZERO);
        let n = if fraction == 100 { total } else { (total * Decimal::from(fraction) / Decimal::ONE_HUNDRED).round_dp(6).max(Decimal::new(1, 6)) };
        let total_basis: i64 = lots.iter().map(|l| l.basis_minor).sum();
        let method = match method_pick {
            0 => Method::Fifo,
            1 => Method::AverageCost,
            _ => {
                // Specific identification of the FIFO lots, newest first.
                let eligible = eligible(&lots, date);
                let taken = take_fifo(&eligible, n);
                Method::SpecificIdentification(taken.into_iter().rev().map(|(l, t)| (l.id.clone(), t)).collect())
            }
        };
        let r = redeem(&lots, n, &method, date).unwrap();
        prop_assert_eq!(r.parts.iter().map(|p| p.shares).sum::<Decimal>(), n);
        prop_assert_eq!(r.parts.iter().map(|p| p.basis_minor).sum::<i64>(), r.basis_minor);
        prop_assert!(r.basis_minor >= 0 && r.basis_minor <= total_basis);
        if n == total {
            prop_assert_eq!(r.basis_minor, total_basis);
        }
        if let Method::AverageCost = method {
            let exact = Decimal::from(total_basis) * n / total;
            prop_assert!((Decimal::from(r.basis_minor) - exact).abs() <= Decimal::new(5, 1));
        }
    }
}
