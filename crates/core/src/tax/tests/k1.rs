use std::collections::BTreeMap;

use super::*;
use crate::tax::k1::*;

fn item(line: K1Line, code: &str, amount: i64) -> FundItem {
    FundItem {
        line,
        code: code.into(),
        amount_minor: amount,
        description: String::new(),
    }
}

fn amt(line: K1Line, code: &str, amount: i64) -> K1Amount {
    K1Amount {
        line,
        code: code.into(),
        amount_minor: amount,
    }
}

fn shares(v: &[(&str, &str)]) -> BTreeMap<String, Decimal> {
    v.iter().map(|(k, w)| (k.to_string(), d(w))).collect()
}

#[test]
fn equal_shares_give_the_odd_units_to_the_smaller_ids() {
    let items = [
        item(K1Line::OtherInformation, "ZZ", 1),
        item(K1Line::Interest, "", 1_000),
        item(K1Line::NetLongTermGain, "", -1_001),
    ];
    let s = shares(&[("c", "1"), ("a", "1"), ("b", "1"), ("d", "0"), ("e", "-2")]);
    let got = allocate(&items, &s);
    // 1000/3 = 333.33: one unit left → a. 1001/3 = 333.67: two left → a, b, negated.
    // 1/3: the one unit → a; zero parts are left out.
    assert_eq!(
        got["a"],
        [
            amt(K1Line::Interest, "", 334),
            amt(K1Line::NetLongTermGain, "", -334),
            amt(K1Line::OtherInformation, "ZZ", 1)
        ]
    );
    assert_eq!(
        got["b"],
        [
            amt(K1Line::Interest, "", 333),
            amt(K1Line::NetLongTermGain, "", -334)
        ]
    );
    assert_eq!(
        got["c"],
        [
            amt(K1Line::Interest, "", 333),
            amt(K1Line::NetLongTermGain, "", -333)
        ]
    );
    // Zero and negative weights get nothing and have no entry.
    assert_eq!(got.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
}

#[test]
fn the_largest_remainder_not_the_largest_partner_gets_the_unit() {
    // 7 × (0.5, 0.3, 0.2) = 3.5, 2.1, 1.4 → 3, 2, 1 and the unit to the .5.
    let s = shares(&[("a", "0.5"), ("b", "0.3"), ("c", "0.2")]);
    let got = allocate(&[item(K1Line::OrdinaryDividends, "", 7)], &s);
    let v: Vec<i64> = ["a", "b", "c"].map(|k| got[k][0].amount_minor).to_vec();
    assert_eq!(v, [4, 2, 1]);
    // 10 × (0.35, 0.65) = 3.5, 6.5: equal remainders → the smaller id.
    let s = shares(&[("x", "0.35"), ("y", "0.65")]);
    let got = allocate(&[item(K1Line::Section1231, "", 10)], &s);
    assert_eq!((got["x"][0].amount_minor, got["y"][0].amount_minor), (4, 6));
}

#[test]
fn items_on_the_same_line_and_code_are_summed() {
    let items = [
        item(K1Line::Deductions, "W", 5),
        item(K1Line::Deductions, "W", 5),
        item(K1Line::Deductions, "L", 10),
    ];
    let got = allocate(&items, &shares(&[("a", "1"), ("b", "1")]));
    // 5 → 3 / 2 twice: a 6, b 4 on W; 10 → 5 / 5 on L; codes in order L then W.
    assert_eq!(
        got["a"],
        [
            amt(K1Line::Deductions, "L", 5),
            amt(K1Line::Deductions, "W", 6)
        ]
    );
    assert_eq!(
        got["b"],
        [
            amt(K1Line::Deductions, "L", 5),
            amt(K1Line::Deductions, "W", 4)
        ]
    );
}

#[test]
fn nothing_is_allocated_without_a_positive_weight() {
    let items = [item(K1Line::Interest, "", 100)];
    assert!(allocate(&items, &shares(&[("a", "0"), ("b", "-1")])).is_empty());
    assert!(allocate(&items, &BTreeMap::new()).is_empty());
    // A partner with a positive weight and no items has an empty entry.
    assert_eq!(allocate(&[], &shares(&[("a", "1")]))["a"], []);
}

#[test]
fn item_j_shares_in_percent_to_six_places() {
    let own_b = shares(&[("a", "25"), ("b", "75")]);
    let own_e = shares(&[("a", "1"), ("b", "2"), ("z", "-4")]);
    let cap_b = BTreeMap::from([("a".to_string(), 100), ("b".into(), 300), ("c".into(), -50)]);
    let cap_e = BTreeMap::from([("a".to_string(), 0), ("b".into(), -10)]);
    let j = item_j("a", &own_b, &own_e, &cap_b, &cap_e);
    // 25/100; 1/3 = 33.3333333… → 33.333333; capital 100/400; ending denominator 0 → 0.
    assert_eq!(
        j,
        ItemJ {
            profit_beginning: d("25"),
            profit_ending: d("33.333333"),
            loss_beginning: d("25"),
            loss_ending: d("33.333333"),
            capital_beginning: d("25"),
            capital_ending: d("0"),
        }
    );
    // 2/3 = 66.6666666… → 66.666667; a negative account: −50/400 = −12.5 %.
    assert_eq!(
        item_j("b", &own_b, &own_e, &cap_b, &cap_e).profit_ending,
        d("66.666667")
    );
    assert_eq!(
        item_j("c", &own_b, &own_e, &cap_b, &cap_e).capital_beginning,
        d("-12.5")
    );
    // Absent from every map: zeros.
    assert_eq!(
        item_j("q", &own_b, &own_e, &cap_b, &cap_e),
        ItemJ::default()
    );
}

#[test]
fn item_j_rounds_half_up_at_the_seventh_place() {
    // 1 / 200,000,000 × 100 = 0.0000005 → 0.000001; 99.9999995 → 100.
    let own = shares(&[("a", "1"), ("b", "199999999")]);
    let none = BTreeMap::new();
    assert_eq!(
        item_j("a", &own, &own, &none, &none).profit_beginning,
        d("0.000001")
    );
    assert_eq!(item_j("b", &own, &own, &none, &none).loss_ending, d("100"));
}

#[test]
fn item_l_rolls_forward() {
    // 100,000 + 25,000 + 7,500 − 1,200 − 10,000 = 121,300.
    let l = ItemL::roll_forward(100_000, 25_000, 7_500, -1_200, 10_000);
    assert_eq!(l.ending, 121_300);
    assert!(l.ties_out());
    assert!(!ItemL {
        ending: 121_301,
        ..l
    }
    .ties_out());
}
