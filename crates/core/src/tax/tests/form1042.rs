use super::*;
use crate::tax::form1042::*;
use crate::tax::withholding::Designations;

fn chapter3(mut l: DivLine, fed: [i64; 6], rates: [&str; 6]) -> DivLine {
    l.regime = Regime::Chapter3;
    l.federal_by_component = fed;
    l.federal_withheld_minor = fed.iter().sum();
    l.rate_by_component = rates.map(d);
    l
}

/// (income code, gross, exemption code, rate, withheld).
fn rows(f: &[Form1042S]) -> Vec<(&str, i64, &str, Decimal, i64)> {
    f.iter()
        .map(|r| {
            (
                r.income_code.as_str(),
                r.gross_income_minor,
                r.ch3_exemption_code.as_str(),
                r.ch3_rate,
                r.withheld_minor,
            )
        })
        .collect()
}

#[test]
fn treaty_recipient_of_a_fund_designating_gains() {
    let fund = Designations {
        capital_gain_exempt: true,
        short_term_gain_exempt: true,
        interest_related_exempt: false,
    };
    // GB treaty: dividends 15 %, interest 0 %; gains designated exempt.
    let l1 = chapter3(
        line(date(2025, 3, 31), [10_000, 2_000, 1_000, 4_000, 500, 700]),
        [1_500, 300, 0, 0, 0, 0],
        ["15", "15", "0", "0", "0", "0"],
    );
    let l2 = chapter3(
        line(date(2025, 6, 30), [10_000, 0, 0, 0, 0, 0]),
        [1_500, 0, 0, 0, 0, 0],
        ["15.00", "0", "0", "0", "0", "0"],
    );
    let other_year = chapter3(
        line(date(2026, 1, 2), [10_000, 0, 0, 0, 0, 0]),
        [1_500, 0, 0, 0, 0, 0],
        ["15", "0", "0", "0", "0", "0"],
    );
    let p = foreign("GB", true);
    let f = forms(2025, &[l1, l2, other_year], &p, &fund);
    assert_eq!(
        rows(&f),
        [
            // Interest not designated: an ordinary dividend, brought to 0 % by the treaty.
            ("06", 700, "04", d("0"), 0),
            // 10000 + 2000 + 10000 at 15 % (15.00 is the same rate): 1500 + 300 + 1500.
            ("06", 22_000, "00", d("15"), 3_300),
            // Short-term 1000 + long-term 4000, designated: exempt under the Code.
            ("36", 5_000, "02", d("0"), 0),
            ("37", 500, "02", d("0"), 0),
        ]
    );
    for r in &f {
        assert_eq!(r.chapter, 3);
        assert_eq!((r.ch4_exemption_code.as_str(), r.ch4_rate), ("15", d("0")));
        assert_eq!(r.recipient_country.as_deref(), Some("GB"));
        assert_eq!(r.ch3_status.as_deref(), Some("16"));
        assert_eq!(r.ch4_status.as_deref(), Some("16"));
    }
}

#[test]
fn statutory_rate_recipient_and_interest_related_dividends() {
    let fund = Designations {
        interest_related_exempt: true,
        ..Designations::default()
    };
    let l = chapter3(
        line(date(2025, 12, 31), [1_000, 0, 200, 300, 0, 400]),
        [300, 0, 60, 90, 0, 0],
        ["30", "0", "30", "30", "0", "0"],
    );
    let f = forms(2025, &[l], &foreign("BR", false), &fund);
    assert_eq!(
        rows(&f),
        [
            ("01", 400, "02", d("0"), 0),
            // Short-term gain not designated is a dividend: 1000 + 200 at 30 %.
            ("06", 1_200, "00", d("30"), 360),
            ("36", 300, "00", d("30"), 90),
        ]
    );
}

#[test]
fn a_reversed_year_and_an_empty_year_give_no_form() {
    let p = foreign("DE", true);
    let fund = Designations::default();
    assert!(forms(2025, &[], &p, &fund).is_empty());
    let l = chapter3(
        line(date(2025, 3, 1), [1_000, 0, 0, 0, 0, 0]),
        [150, 0, 0, 0, 0, 0],
        ["15", "0", "0", "0", "0", "0"],
    );
    let mut rev = l.clone();
    rev.components = rev.components.negated();
    rev.federal_by_component = [-150, 0, 0, 0, 0, 0];
    rev.payable_date = date(2025, 4, 1);
    assert!(forms(2025, &[l.clone(), rev], &p, &fund).is_empty());
    assert!(forms(2024, &[l], &p, &fund).is_empty());
}

#[test]
fn income_codes_by_component() {
    use crate::components::ComponentKind as K;
    let none = Designations::default();
    let all = Designations {
        capital_gain_exempt: true,
        short_term_gain_exempt: true,
        interest_related_exempt: true,
    };
    let codes = |f: &Designations| K::ALL.map(|k| income_code(k, f));
    assert_eq!(codes(&none), ["06", "06", "06", "36", "37", "06"]);
    assert_eq!(codes(&all), ["06", "06", "36", "36", "37", "01"]);
}
