use std::collections::BTreeMap;

use super::*;
use crate::tax::profile::TaxProfile;
use crate::tax::withholding::*;

fn rate(s: &str) -> Rate {
    Rate::new("rate", d(s)).unwrap()
}

fn rates(v: [&str; 6]) -> [Decimal; 6] {
    v.map(d)
}

fn treaty(entries: &[(&str, IncomeType, &str)]) -> Tables {
    let mut t = Tables::default();
    for (c, i, r) in entries {
        t.treaty.rates.insert((c.to_string(), *i), rate(r));
    }
    t
}

#[test]
fn rate_rounds_half_away_from_zero_per_amount() {
    // 30 % of 5 = 1.5 → 2; 15 % of 10 = 1.5 → 2; 15 % of 30 = 4.5 → 5; 15 % of 29 = 4.35 → 4.
    assert_eq!(rate("30").of(5), 2);
    assert_eq!(rate("15").of(10), 2);
    assert_eq!(rate("15").of(30), 5);
    assert_eq!(rate("15").of(29), 4);
    // 24 % of 1 = 0.24 → 0; nothing on a zero or negative amount.
    assert_eq!(rate("24").of(1), 0);
    assert_eq!(rate("24").of(0), 0);
    assert_eq!(rate("24").of(-1000), 0);
    assert_eq!(rate("27.5").of(1000), 275);
}

#[test]
fn rate_refuses_negative_above_100_and_five_places() {
    assert_eq!(Rate::parse("treaty", "-1").unwrap_err().field, "treaty");
    assert!(Rate::parse("r", "100.0001")
        .unwrap_err()
        .message
        .contains("above 100"));
    assert!(Rate::parse("r", "1.23456")
        .unwrap_err()
        .message
        .contains("4 decimal"));
    assert!(Rate::parse("r", "abc").is_err());
    assert_eq!(Rate::parse("r", " 100 ").unwrap().percent(), d("100"));
    assert_eq!(Rate::parse("r", "12.50000").unwrap().percent(), d("12.5"));
}

#[test]
fn backup_withholding_is_24_percent_per_component_and_spares_return_of_capital() {
    let c = comps([10_000, 5_000, 1_234, 2_000, 3_000, 101]);
    let p = TaxProfile::missing("a");
    let w = withhold(&c, Some(&p), &Designations::default(), &Tables::default());
    // 2400, 1200, 296.16 → 296, 480, ROC 0, 24.24 → 24.
    assert_eq!(w.regime, Regime::Backup);
    assert_eq!(w.federal_by_component, [2_400, 1_200, 296, 480, 0, 24]);
    assert_eq!(w.federal_minor, 4_400);
    assert_eq!(
        w.rate_by_component,
        rates(["24", "24", "24", "24", "0", "24"])
    );
    assert_eq!(
        w.flag.as_deref(),
        Some("no TIN on file: backup withholding at 24%")
    );
    assert_eq!(w.total_minor(), 4_400);
}

#[test]
fn no_profile_b_and_c_notices_are_withheld_on_and_flagged() {
    let c = comps([1_000, 0, 0, 0, 0, 0]);
    let none = withhold(&c, None, &Designations::default(), &Tables::default());
    assert_eq!(none.federal_minor, 240);
    assert!(none.flag.unwrap().starts_with("no tax profile on file"));
    for (status, start) in [
        (TinStatus::BNotice, "B notice"),
        (TinStatus::CNotice, "C notice"),
    ] {
        let p = TaxProfile {
            tin_status: status,
            ..us_certified()
        };
        let w = withhold(&c, Some(&p), &Designations::default(), &Tables::default());
        assert_eq!((w.regime, w.federal_minor), (Regime::Backup, 240));
        assert!(w.flag.unwrap().starts_with(start));
    }
}

#[test]
fn certified_and_exempt_payees_are_not_withheld_on() {
    let c = comps([1_000, 1_000, 0, 0, 0, 0]);
    let w = withhold(
        &c,
        Some(&us_certified()),
        &Designations::default(),
        &Tables::default(),
    );
    assert_eq!(w, Withheld::none());
    let exempt = TaxProfile {
        exempt_payee_code: Some("5".into()),
        ..TaxProfile::missing("a")
    };
    let w = withhold(
        &c,
        Some(&exempt),
        &Designations::default(),
        &Tables::default(),
    );
    assert_eq!((w.regime, w.federal_minor, w.flag), (Regime::None, 0, None));
}

#[test]
fn a_return_of_capital_only_line_has_no_backup_regime_but_keeps_the_flag() {
    let c = comps([0, 0, 0, 0, 5_000, 0]);
    let w = withhold(&c, None, &Designations::default(), &Tables::default());
    assert_eq!((w.regime, w.federal_minor), (Regime::None, 0));
    assert!(w.flag.is_some());
}

#[test]
fn treaty_rates_apply_per_income_type_and_a_missing_rate_is_30_and_flagged() {
    let t = treaty(&[
        ("GB", IncomeType::Dividends, "15"),
        ("GB", IncomeType::Interest, "0"),
    ]);
    let c = comps([10_000, 2_000, 1_000, 4_000, 500, 700]);
    let w = withhold(&c, Some(&foreign("GB", true)), &Designations::default(), &t);
    // Dividends 15 %: 1500, 300, 150; capital gains: no GB rate → 30 %: 1200; ROC 0;
    // interest 0 %.
    assert_eq!(w.regime, Regime::Chapter3);
    assert_eq!(w.federal_by_component, [1_500, 300, 150, 1_200, 0, 0]);
    assert_eq!(w.federal_minor, 3_150);
    assert_eq!(
        w.rate_by_component,
        rates(["15", "15", "15", "30", "0", "0"])
    );
    assert_eq!(
        w.flag.as_deref(),
        Some("treaty claimed but no capital gains rate for GB in the treaty table: 30%")
    );
    // No treaty claimed: the table is not read, 30 % on everything subject, no flag.
    let w = withhold(
        &c,
        Some(&foreign("GB", false)),
        &Designations::default(),
        &t,
    );
    assert_eq!(w.federal_by_component, [3_000, 600, 300, 1_200, 0, 210]);
    assert_eq!(w.flag, None);
}

#[test]
fn designated_components_are_exempt_for_foreign_persons() {
    let all = Designations {
        capital_gain_exempt: true,
        short_term_gain_exempt: true,
        interest_related_exempt: true,
    };
    let c = comps([10_000, 2_000, 1_000, 4_000, 500, 700]);
    let w = withhold(&c, Some(&foreign("BR", false)), &all, &Tables::default());
    assert_eq!(w.federal_by_component, [3_000, 600, 0, 0, 0, 0]);
    assert_eq!(w.rate_by_component, rates(["30", "30", "0", "0", "0", "0"]));
    // Designations do not spare a US person from backup withholding.
    let w = withhold(&c, None, &all, &Tables::default());
    assert_eq!(w.federal_by_component, [2_400, 480, 240, 960, 0, 168]);
}

#[test]
fn a_foreign_person_without_a_w8_is_withheld_at_30_and_flagged() {
    let p = TaxProfile {
        certificate: None,
        ..foreign("FR", true)
    };
    let t = treaty(&[("FR", IncomeType::Dividends, "15")]);
    let w = withhold(
        &comps([1_000, 0, 0, 0, 0, 0]),
        Some(&p),
        &Designations::default(),
        &t,
    );
    assert_eq!(w.federal_minor, 300);
    assert_eq!(
        w.flag.as_deref(),
        Some("no W-8 on file: chapter 3 withholding at 30%")
    );
}

#[test]
fn state_withholding_is_on_the_subject_amount_and_capped_at_what_is_left() {
    let mut t = Tables::default();
    t.states.rates = BTreeMap::from([("NY".to_string(), rate("5")), ("CA".into(), rate("100"))]);
    let ny = TaxProfile {
        residence_state: Some("NY".into()),
        ..us_certified()
    };
    // Subject = 10000 (ROC 3000 is not): 5 % = 500.
    let w = withhold(
        &comps([10_000, 0, 0, 0, 3_000, 0]),
        Some(&ny),
        &Designations::default(),
        &t,
    );
    assert_eq!(
        (w.state.as_deref(), w.state_minor, w.federal_minor),
        (Some("NY"), 500, 0)
    );
    // 100 % state after 24 % backup on 10000: 10000 capped at 10000 − 2400 = 7600.
    let ca = TaxProfile {
        residence_state: Some("CA".into()),
        ..TaxProfile::missing("a")
    };
    let w = withhold(
        &comps([10_000, 0, 0, 0, 0, 0]),
        Some(&ca),
        &Designations::default(),
        &t,
    );
    assert_eq!(
        (w.federal_minor, w.state_minor, w.total_minor()),
        (2_400, 7_600, 10_000)
    );
    // An unconfigured state withholds nothing and records no state.
    let tx = TaxProfile {
        residence_state: Some("TX".into()),
        ..us_certified()
    };
    let w = withhold(
        &comps([10_000, 0, 0, 0, 0, 0]),
        Some(&tx),
        &Designations::default(),
        &t,
    );
    assert_eq!((w.state, w.state_minor), (None, 0));
}

#[test]
fn subject_is_every_positive_component_but_return_of_capital() {
    assert_eq!(subject(&comps([100, 200, -50, 300, 1_000, 7])), 607);
}
