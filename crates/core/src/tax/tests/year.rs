//! A constructed tax year end to end through the pure rules: twelve monthly distributions to
//! 26 investors (US certified in NY, missing TIN in NJ, B notice, treaty foreign, non-treaty
//! foreign, and one small holder), withholding at processing, the December distribution
//! re-characterized (80 % return of capital), then the 1099-DIVs and 1042-Ss. Each expected
//! figure is written out from the holdings with integer arithmetic, not by the code under test.

use std::collections::BTreeMap;

use super::*;
use crate::tax::form1042::{forms, Form1042S};
use crate::tax::form1099::{figures, must_file, FundTaxSettings, StateBoxes};
use crate::tax::recharacterize::{resplit, FinalCharacter};
use crate::tax::withholding::*;

struct Investor {
    id: String,
    kind: char,
    profile: Option<TaxProfile>,
    units: i64,
}

fn investors() -> Vec<Investor> {
    let mut v = Vec::new();
    for (kind, profile) in [
        (
            'A',
            Some(TaxProfile {
                residence_state: Some("NY".into()),
                ..us_certified()
            }),
        ),
        (
            'B',
            Some(TaxProfile {
                residence_state: Some("NJ".into()),
                ..TaxProfile::missing("")
            }),
        ),
        (
            'C',
            Some(TaxProfile {
                tin_status: TinStatus::BNotice,
                ..us_certified()
            }),
        ),
        ('D', Some(foreign("GB", true))),
        ('E', Some(foreign("BR", false))),
    ] {
        for k in 1..=5 {
            v.push(Investor {
                id: format!("{kind}{k}"),
                kind,
                profile: profile.clone(),
                units: 5 * k,
            });
        }
    }
    v.push(Investor {
        id: "T1".into(),
        kind: 'T',
        profile: Some(us_certified()),
        units: 5,
    });
    v
}

fn tables() -> Tables {
    let r = |s: &str| Rate::new("r", d(s)).unwrap();
    let mut t = Tables::default();
    t.treaty
        .rates
        .insert(("GB".into(), IncomeType::Dividends), r("15"));
    t.treaty
        .rates
        .insert(("GB".into(), IncomeType::Interest), r("0"));
    t.states.rates.insert("NY".into(), r("4"));
    t.states.rates.insert("NJ".into(), r("2"));
    t
}

const FUND: Designations = Designations {
    capital_gain_exempt: true,
    short_term_gain_exempt: false,
    interest_related_exempt: false,
};

/// The year's lines per investor, re-characterized, and how many lines were flagged.
fn year() -> (BTreeMap<String, Vec<DivLine>>, usize) {
    let (inv, t) = (investors(), tables());
    let mut lines: BTreeMap<String, Vec<DivLine>> = BTreeMap::new();
    let mut flagged = 0;
    for month in 1..=12 {
        // The small holder T1 sold after January.
        for i in inv.iter().filter(|i| month == 1 || i.kind != 'T') {
            let u = i.units;
            // 100 per unit: 40 % ordinary, 30 % qualified, 10 % short-term, 10 % long-term,
            // 5 % return of capital, 5 % interest.
            let c = comps([40 * u, 30 * u, 10 * u, 10 * u, 5 * u, 5 * u]);
            let w = withhold(&c, i.profile.as_ref(), &FUND, &t);
            flagged += usize::from(w.flag.is_some());
            let dist = format!("d-{month}");
            lines.entry(i.id.clone()).or_default().push(DivLine::new(
                &dist,
                date(2025, month, 28),
                c,
                &w,
            ));
        }
    }
    // December's final character: 20 % ordinary, 80 % return of capital of 100 × Σunits.
    let units: i64 = inv.iter().filter(|i| i.kind != 'T').map(|i| i.units).sum();
    let final_ = FinalCharacter {
        totals: [20 * units, 0, 0, 0, 80 * units, 0],
    };
    final_.check(100 * units).unwrap();
    for l in lines
        .values_mut()
        .flatten()
        .filter(|l| l.distribution_id == "d-12")
    {
        l.components = resplit(&l.components, l.components.income_sum(), &final_);
    }
    (lines, flagged)
}

/// Half up of n / 10 for n ≥ 0.
fn half_up_tenths(n: i64) -> i64 {
    (n + 5) / 10
}

#[test]
fn us_investors_1099_div() {
    let (lines, flagged) = year();
    // B (missing TIN) and C (B notice): 5 investors × 12 months each.
    assert_eq!(flagged, 120);
    let fund = FundTaxSettings {
        section199a_percent: d("20"),
        designations: FUND,
        ..FundTaxSettings::default()
    };
    for i in investors()
        .iter()
        .filter(|i| matches!(i.kind, 'A' | 'B' | 'C'))
    {
        let u = i.units;
        let f = figures(2025, &lines[&i.id], &fund, false);
        // Eleven months of 85u (all but long-term and ROC) plus December's 20u ordinary.
        assert_eq!(f.box1a, 11 * 85 * u + 20 * u, "{}", i.id);
        assert_eq!(f.box1b, 11 * 30 * u);
        assert_eq!(f.box2a, 11 * 10 * u);
        assert_eq!(f.box3, 11 * 5 * u + 80 * u);
        // 20 % of ordinary 11 × 40u + 20u = 460u: 92u.
        assert_eq!(f.box5, 92 * u);
        assert!(must_file(&f));
        match i.kind {
            'A' => {
                assert_eq!(f.box4, 0);
                // NY 4 % of 95u = 3.8u a month (u a multiple of 5: exact).
                assert_eq!(
                    f.states,
                    vec![StateBoxes {
                        state: "NY".into(),
                        payer_state_id: None,
                        withheld_minor: 12 * 38 * u / 10
                    }]
                );
            }
            _ => {
                // 24 % of 95u = 22.8u a month, exact per component for u a multiple of 5.
                assert_eq!(f.box4, 12 * 228 * u / 10);
                let nj: Vec<StateBoxes> = if i.kind == 'B' {
                    // NJ 2 % of 95u = 1.9u, half up: u = 15 gives 28.5 → 29.
                    vec![StateBoxes {
                        state: "NJ".into(),
                        payer_state_id: None,
                        withheld_minor: 12 * half_up_tenths(19 * u),
                    }]
                } else {
                    vec![]
                };
                assert_eq!(f.states, nj);
            }
        }
    }
    // The small holder: one month of 100 × 5 = 500, below $10, nothing withheld.
    let t = figures(2025, &lines["T1"], &fund, false);
    assert_eq!(t.box1a + t.box2a + t.box3, 500);
    assert!(!must_file(&t));
}

fn row(f: &Form1042S) -> (&str, &str, Decimal, i64, i64) {
    (
        f.income_code.as_str(),
        f.ch3_exemption_code.as_str(),
        f.ch3_rate,
        f.gross_income_minor,
        f.withheld_minor,
    )
}

#[test]
fn foreign_investors_1042_s() {
    let (lines, _) = year();
    for i in investors().iter().filter(|i| matches!(i.kind, 'D' | 'E')) {
        let u = i.units;
        let got = forms(2025, &lines[&i.id], i.profile.as_ref().unwrap(), &FUND);
        let got: Vec<_> = got.iter().map(row).collect();
        let want = if i.kind == 'D' {
            vec![
                // Interest (not designated: a dividend) at the GB interest rate 0 %: 11 × 5u.
                ("06", "04", d("0"), 55 * u, 0),
                // Dividends at 15 %: 11 × 80u + December's 20u; withheld per component a month:
                // 6u on 40u, 4.5u on 30u and 1.5u on 10u, each rounded half up (u = 5: 30 +
                // 22.5 → 23 + 7.5 → 8).
                (
                    "06",
                    "00",
                    d("15"),
                    900 * u,
                    12 * (6 * u + half_up_tenths(45 * u) + half_up_tenths(15 * u)),
                ),
                ("36", "02", d("0"), 110 * u, 0),
                ("37", "02", d("0"), 135 * u, 0),
            ]
        } else {
            // 30 % of 40u, 30u, 10u, 5u a month: 12u + 9u + 3u exact, interest 1.5u half up.
            let withheld = 12 * (24 * u + half_up_tenths(15 * u));
            vec![
                ("06", "00", d("30"), 11 * 85 * u + 20 * u, withheld),
                ("36", "02", d("0"), 110 * u, 0),
                ("37", "02", d("0"), 135 * u, 0),
            ]
        };
        assert_eq!(got, want, "{}", i.id);
    }
}
