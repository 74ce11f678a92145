use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn w(id: &str, weight: i64) -> Weight {
    Weight {
        investor_id: id.into(),
        weight,
    }
}

#[test]
fn percentages_sum_to_exactly_one_hundred() {
    let p = ownership_percentages(&[w("a", 1), w("b", 1), w("c", 1)]).unwrap();
    let total: Decimal = p.iter().map(|x| x.1).sum();
    assert_eq!(total, Decimal::from(100));
    // 100/3 = 33.3333333333…; the one extra unit goes to the first (ties keep input order).
    assert_eq!(p[0].1.to_string(), "33.3333333334");
    assert_eq!(p[1].1.to_string(), "33.3333333333");
    assert!(ownership_percentages(&[w("a", 0)]).is_none());
}

#[test]
fn negative_amounts_allocate_with_their_sign() {
    let parts = allocate_amount("amount", -100, &[w("a", 1), w("b", 2)]).unwrap();
    assert_eq!(parts, vec![-33, -67]);
    assert!(allocate_amount("amount", 5, &[w("a", 0)]).is_err());
}

#[test]
fn a_call_is_pro_rata_to_uncalled_and_refused_above_it() {
    let u = vec![
        Uncalled {
            investor_id: "a".into(),
            uncalled_minor: 300_000,
        },
        Uncalled {
            investor_id: "b".into(),
            uncalled_minor: 100_000,
        },
    ];
    assert_eq!(
        split_call("amount", 100_000, &u).unwrap(),
        vec![75_000, 25_000]
    );
    let e = split_call("amount", 400_001, &u).unwrap_err();
    assert_eq!(e.field, "amount");
    assert!(split_call("amount", 0, &u).is_err());
    assert_eq!(uncalled(1_000, 600, 50), 450);
    assert_eq!(check_call_items(&[(10, 10), (11, 10)]).len(), 1);
}

#[test]
fn expenses_and_losses_reduce_capital_whatever_their_sign() {
    assert_eq!(IncomeKind::Expense.signed(500), -500);
    assert_eq!(IncomeKind::Loss.signed(-500), -500);
    assert_eq!(IncomeKind::RealizedGain.signed(-500), -500);
    assert_eq!(IncomeKind::Income.signed(500), 500);
}

#[test]
fn roll_forward_and_tie_out() {
    let rows = vec![
        ("a".to_string(), true, Movement::Contribution(1_000)),
        ("a".to_string(), false, Movement::Allocation(50)),
        ("a".to_string(), false, Movement::Distribution(200)),
        ("b".to_string(), false, Movement::Contribution(500)),
    ];
    let acc = accounts(&rows);
    let a = &acc["a"];
    assert_eq!((a.beginning_minor, a.ending_minor), (1_000, 850));
    let fund = Account {
        beginning_minor: 1_000,
        contributions_minor: 500,
        allocated_minor: 50,
        distributions_minor: 200,
        ending_minor: 1_350,
    };
    assert!(tie_out(acc.values(), &fund).is_ok());
    let off = Account {
        allocated_minor: 51,
        ending_minor: 1_351,
        ..fund
    };
    assert_eq!(tie_out(acc.values(), &off).unwrap_err().allocated_minor, -1);
}

proptest! {
    #[test]
    fn allocations_sum_exactly(amount in -1_000_000_000i64..1_000_000_000, ws in prop::collection::vec(0i64..10_000_000, 1..50)) {
        let weights: Vec<Weight> = ws.iter().enumerate().map(|(i, x)| w(&i.to_string(), *x)).collect();
        if let Ok(parts) = allocate_amount("a", amount, &weights) {
            prop_assert_eq!(parts.iter().sum::<i64>(), amount);
            let pct = ownership_percentages(&weights).unwrap();
            prop_assert_eq!(pct.iter().map(|p| p.1).sum::<Decimal>(), Decimal::from(100));
        } else {
            prop_assert!(ws.iter().all(|x| *x == 0));
        }
    }

    #[test]
    fn no_investor_is_called_above_uncalled(us in prop::collection::vec(0i64..100_000_000, 1..50), permille in 0i64..=1000) {
        let total_uncalled: i64 = us.iter().sum();
        let total = total_uncalled * permille / 1000;
        let u: Vec<Uncalled> = us.iter().enumerate().map(|(i, x)| Uncalled { investor_id: i.to_string(), uncalled_minor: *x }).collect();
        match split_call("amount", total, &u) {
            Ok(parts) => {
                prop_assert_eq!(parts.iter().sum::<i64>(), total);
                for (p, x) in parts.iter().zip(&us) { prop_assert!(p <= x); }
            }
            Err(_) => prop_assert!(total <= 0),
        }
    }

    #[test]
    fn roll_forward_ties_out(moves in prop::collection::vec((0usize..10, any::<bool>(), 0u8..3, -1_000_000i64..1_000_000), 0..200)) {
        let rows: Vec<(String, bool, Movement)> = moves.iter().map(|(i, b, k, a)| {
            let m = match k { 0 => Movement::Contribution(*a), 1 => Movement::Allocation(*a), _ => Movement::Distribution(*a) };
            (i.to_string(), *b, m)
        }).collect();
        let acc = accounts(&rows);
        let mut fund = Account::default();
        for (_, b, m) in &rows { fund.add(*b, *m); }
        prop_assert!(tie_out(acc.values(), &fund).is_ok());
    }
}
