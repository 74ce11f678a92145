use std::collections::BTreeMap;

use super::*;
use crate::tax::form1099::*;

fn settings() -> FundTaxSettings {
    FundTaxSettings {
        section199a_percent: d("20"),
        foreign_tax_country: Some("Various".into()),
        payer_state_ids: BTreeMap::from([("NY".to_string(), "NY-123".to_string())]),
        ..FundTaxSettings::default()
    }
}

fn backup(mut l: DivLine, federal: i64) -> DivLine {
    l.regime = Regime::Backup;
    l.federal_withheld_minor = federal;
    l
}

fn state(mut l: DivLine, st: &str, minor: i64) -> DivLine {
    l.state = Some(st.into());
    l.state_withheld_minor = minor;
    l
}

/// A year with a reversal, a line of another year and a chapter 3 line.
fn year_lines() -> Vec<DivLine> {
    let mut l1 = line(date(2025, 3, 31), [1_000, 2_000, 300, 400, 500, 600]);
    l1.components.foreign_tax = 50;
    // 24 % of all but ROC: 240 + 480 + 72 + 96 + 144 = 1032.
    let l1 = state(backup(l1, 1_032), "NY", 100);
    // 24 % of 333 = 79.92 → 80.
    let l2 = state(
        backup(line(date(2025, 6, 30), [333, 0, 0, 0, 0, 0]), 80),
        "NJ",
        7,
    );
    let l3 = backup(line(date(2024, 12, 31), [99_999, 0, 0, 0, 0, 0]), 24_000);
    let l4 = state(
        backup(line(date(2025, 9, 30), [-333, 0, 0, 0, 0, 0]), -80),
        "NJ",
        -7,
    );
    let mut l5 = line(date(2025, 12, 15), [100, 0, 0, 0, 0, 0]);
    l5.regime = Regime::Chapter3;
    l5.federal_withheld_minor = 30;
    vec![l1, l2, l3, l4, l5]
}

#[test]
fn boxes_of_a_year_with_a_reversal() {
    let f = figures(2025, &year_lines(), &settings(), true);
    // 1a = ordinary (1000 + 333 − 333 + 100) + qualified 2000 + short-term 300 + interest 600.
    assert_eq!(f.box1a, 4_000);
    assert_eq!(f.box1b, 2_000);
    assert_eq!(f.box2a, 400);
    assert_eq!(f.box3, 500);
    // Backup lines only: 1032 + 80 − 80; the chapter 3 line's 30 is a 1042-S amount.
    assert_eq!(f.box4, 1_032);
    // 20 % of ordinary 1100 = 220.
    assert_eq!(f.box5, 220);
    assert_eq!((f.box7, f.box8.as_deref()), (50, Some("Various")));
    assert!(f.box11);
    assert_eq!(f.box12, 0);
    // NJ nets to zero and is left off.
    assert_eq!(
        f.states,
        vec![StateBoxes {
            state: "NY".into(),
            payer_state_id: Some("NY-123".into()),
            withheld_minor: 100
        }]
    );
    let untouched = [
        f.box2b, f.box2c, f.box2d, f.box2e, f.box2f, f.box6, f.box9, f.box10, f.box13,
    ];
    assert_eq!(untouched, [0; 9]);
    assert!(must_file(&f));
    // The other year holds only its own line.
    let f24 = figures(2024, &year_lines(), &settings(), false);
    assert_eq!((f24.box1a, f24.box4, f24.box5), (99_999, 24_000, 20_000));
}

#[test]
fn box5_rounds_once_on_the_years_sum() {
    let s = FundTaxSettings {
        section199a_percent: d("50"),
        ..FundTaxSettings::default()
    };
    let lines = [
        line(date(2025, 1, 1), [3, 0, 0, 0, 0, 0]),
        line(date(2025, 2, 1), [3, 0, 0, 0, 0, 0]),
    ];
    // Per line 1.5 → 2 each would give 4; once on the sum: 6 × 50 % = 3.
    assert_eq!(figures(2025, &lines, &s, false).box5, 3);
    // 50 % of 5 = 2.5 → 3 (half up); qualified dividends do not count.
    let one = [line(date(2025, 1, 1), [5, 1_000, 0, 0, 0, 0])];
    assert_eq!(figures(2025, &one, &s, false).box5, 3);
    // Negative net ordinary (a reversal of a prior-year line) never gives a negative box 5.
    let neg = [line(date(2025, 1, 1), [-10, 0, 0, 0, 0, 0])];
    assert_eq!(figures(2025, &neg, &s, false).box5, 0);
}

#[test]
fn exempt_interest_goes_to_box_12_not_1a() {
    let s = FundTaxSettings {
        interest_is_exempt_interest: true,
        ..FundTaxSettings::default()
    };
    let l = [line(date(2025, 5, 1), [100, 0, 0, 0, 0, 900])];
    let f = figures(2025, &l, &s, false);
    assert_eq!((f.box1a, f.box12), (100, 900));
    let f = figures(2025, &l, &FundTaxSettings::default(), false);
    assert_eq!((f.box1a, f.box12), (1_000, 0));
    // No foreign tax: no country even when the fund states one.
    assert_eq!(figures(2025, &l, &settings(), false).box8, None);
}

#[test]
fn at_most_two_states_the_largest_listed_by_code() {
    let base = line(date(2025, 1, 1), [1_000, 0, 0, 0, 0, 0]);
    let lines = [
        state(base.clone(), "NY", 100),
        state(base.clone(), "NJ", 300),
        state(base.clone(), "CT", 200),
    ];
    let f = figures(2025, &lines, &settings(), false);
    let got: Vec<(&str, i64)> = f
        .states
        .iter()
        .map(|s| (s.state.as_str(), s.withheld_minor))
        .collect();
    assert_eq!(got, [("CT", 200), ("NJ", 300)]);
    assert_eq!(f.states[0].payer_state_id, None);
    // Equal amounts: the earlier state code stays.
    let tie = [
        state(base.clone(), "NY", 200),
        state(base.clone(), "CT", 200),
        state(base, "NJ", 100),
    ];
    let f = figures(2025, &tie, &settings(), false);
    let got: Vec<&str> = f.states.iter().map(|s| s.state.as_str()).collect();
    assert_eq!(got, ["CT", "NY"]);
}

#[test]
fn the_ten_dollar_rule() {
    let with = |f: fn(&mut Div1099)| {
        let mut d = Div1099::default();
        f(&mut d);
        must_file(&d)
    };
    assert!(!with(|_| {}));
    assert!(!with(|d| d.box1a = 999));
    assert!(with(|d| d.box1a = 1_000));
    assert!(with(|d| {
        d.box1a = 999;
        d.box2a = 1;
    }));
    assert!(with(|d| d.box3 = 1_000));
    assert!(with(|d| d.box12 = 1_000));
    assert!(with(|d| d.box9 = 60_000));
    assert!(with(|d| d.box10 = 1_000));
    // Any backup withholding or foreign tax, however small.
    assert!(with(|d| d.box4 = 1));
    assert!(with(|d| d.box7 = 1));
    // 1b and 5 are parts of 1a; they do not count twice.
    assert!(!with(|d| {
        d.box1a = 600;
        d.box1b = 600;
        d.box5 = 600;
    }));
}
