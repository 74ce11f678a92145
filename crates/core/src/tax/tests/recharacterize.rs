use super::*;
use crate::tax::recharacterize::*;

fn fc(t: [i64; 6]) -> FinalCharacter {
    FinalCharacter { totals: t }
}

#[test]
fn check_names_the_sum_and_the_wrong_signed_component() {
    assert_eq!(fc([600, 0, 0, 0, 400, 0]).check(1_000), Ok(()));
    let e = fc([600, 0, 0, 0, 400, 0]).check(1_001).unwrap_err();
    assert_eq!(e.field, "components");
    assert!(
        e.message.contains("1001") && e.message.contains("1000"),
        "{}",
        e.message
    );
    let e = fc([1_100, 0, 0, 0, -100, 0]).check(1_000).unwrap_err();
    assert_eq!(e.field, "components.returnOfCapital");
    let e = fc([-600, 0, 0, 0, 100, 0]).check(-500).unwrap_err();
    assert_eq!(e.field, "components.returnOfCapital");
    let e = fc([5, 0, 0, 0, 0, -5]).check(0).unwrap_err();
    assert_eq!(e.field, "components.ordinaryDividend");
    assert_eq!(fc([0; 6]).check(0), Ok(()));
    assert_eq!(fc([-10, 0, 0, 0, -5, 0]).check(-15), Ok(()));
}

#[test]
fn resplit_by_largest_remainder_keeps_foreign_tax_and_withholding() {
    let final_ = fc([600, 0, 0, 0, 400, 0]);
    let mut old = comps([333, 0, 0, 0, 0, 0]);
    old.foreign_tax = 7;
    old.withholding = 80;
    // 333 × 0.6 = 199.8, × 0.4 = 133.2 → 199 + 133 = 332; the unit to the .8.
    let mut want = comps([200, 0, 0, 0, 133, 0]);
    want.foreign_tax = 7;
    want.withholding = 80;
    assert_eq!(resplit(&old, 333, &final_), want);
    // A reversal is split the same way, negated (foreign tax and withholding as stored).
    let mut rev = comps([-200, 0, 0, 0, -133, 0]);
    rev.foreign_tax = 7;
    rev.withholding = 80;
    assert_eq!(resplit(&old, -333, &final_), rev);
}

#[test]
fn resplit_ties_go_to_the_earlier_component() {
    // 3 × ½ = 1.5 each: the unit goes to long-term gain (earlier in the order).
    let got = resplit(&Components::default(), 3, &fc([0, 0, 0, 1, 1, 0]));
    assert_eq!(got, comps([0, 0, 0, 2, 1, 0]));
    // A negative distribution's totals split a line in the same proportions.
    let got = resplit(&Components::default(), -10, &fc([-3, 0, 0, 0, -7, 0]));
    assert_eq!(got, comps([-3, 0, 0, 0, -7, 0]));
    // Nothing to split in proportion to: zero components.
    assert_eq!(
        resplit(&Components::default(), 10, &fc([0; 6])),
        comps([0; 6])
    );
}
