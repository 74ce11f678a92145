//! Property tests: the invariants that hold for any input, checked in exact integers.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::components::ComponentKind;
use crate::tax::form1042::forms;
use crate::tax::form1099::{figures, FundTaxSettings};
use crate::tax::k1::{allocate, FundItem, K1Line};
use crate::tax::recharacterize::{resplit, FinalCharacter};
use crate::tax::withholding::*;

fn any_profile() -> impl Strategy<Value = TaxProfile> {
    (
        0u8..4,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(status, foreign_, w8, treaty, ny)| {
            let status = [
                TinStatus::Certified,
                TinStatus::Missing,
                TinStatus::BNotice,
                TinStatus::CNotice,
            ][status as usize];
            if foreign_ {
                TaxProfile {
                    certificate: w8.then_some(Certificate::W8BenE),
                    ..foreign("GB", treaty)
                }
            } else {
                TaxProfile {
                    tin_status: status,
                    residence_state: ny.then(|| "NY".to_string()),
                    ..TaxProfile::missing("a")
                }
            }
        })
}

fn any_rate() -> impl Strategy<Value = Rate> {
    (0i64..=1_000_000).prop_map(|r| Rate::new("r", Decimal::new(r, 4)).unwrap())
}

const LINES: [K1Line; 6] = [
    K1Line::Interest,
    K1Line::OrdinaryDividends,
    K1Line::NetShortTermGain,
    K1Line::NetLongTermGain,
    K1Line::OtherIncome,
    K1Line::ForeignTaxes,
];

proptest! {
    #[test]
    fn withholding_never_exceeds_the_line_and_spares_return_of_capital(
        c in prop::array::uniform6(0i64..10_000_000_000),
        p in any_profile(),
        div in any_rate(), int in any_rate(), state in any_rate(),
        des in (any::<bool>(), any::<bool>(), any::<bool>()),
    ) {
        let c = comps(c);
        let mut t = Tables::default();
        t.treaty.rates.insert(("GB".into(), IncomeType::Dividends), div);
        t.treaty.rates.insert(("GB".into(), IncomeType::Interest), int);
        t.states.rates.insert("NY".into(), state);
        let fund = Designations { capital_gain_exempt: des.0, short_term_gain_exempt: des.1, interest_related_exempt: des.2 };
        let w = withhold(&c, Some(&p), &fund, &t);
        prop_assert_eq!(w.federal_by_component[4], 0);
        prop_assert!(w.total_minor() <= c.income_sum());
        prop_assert!(w.state_minor >= 0);
        prop_assert_eq!(w.federal_by_component.iter().sum::<i64>(), w.federal_minor);
        for (i, k) in ComponentKind::ALL.iter().enumerate() {
            prop_assert!((0..=c.get(*k)).contains(&w.federal_by_component[i]));
        }
    }

    #[test]
    fn resplit_sums_to_the_line_and_each_part_is_within_one_of_exact(
        totals in prop::array::uniform6(0i64..1_000_000_000_000),
        line_total in -10_000_000_000i64..10_000_000_000,
        negative_distribution in any::<bool>(),
    ) {
        let s: i64 = totals.iter().sum();
        prop_assume!(s > 0);
        let totals = if negative_distribution { totals.map(|t| -t) } else { totals };
        let f = FinalCharacter { totals };
        prop_assert!(f.check(totals.iter().sum()).is_ok());
        let got = resplit(&Components::default(), line_total, &f);
        prop_assert_eq!(got.income_sum(), line_total);
        for (k, t) in ComponentKind::ALL.iter().zip(totals) {
            // |part − L × t / S| < 1  ⇔  |part × S − L × t| < |S|, in exact integers.
            let part = i128::from(got.get(*k));
            let err = (part * i128::from(s) - i128::from(line_total) * i128::from(t.abs())).abs();
            prop_assert!(err < i128::from(s), "{:?} {} {}", k, part, t);
        }
    }

    #[test]
    fn allocate_sums_exactly_and_each_share_is_within_one_of_exact(
        weights in prop::collection::vec(0i64..1_000_000_000, 1..30),
        scale in 0u32..6,
        amounts in prop::collection::vec(-10_000_000_000i64..10_000_000_000, 1..6),
    ) {
        let shares: BTreeMap<String, Decimal> = weights.iter().enumerate()
            .map(|(i, w)| (format!("inv-{i:03}"), Decimal::new(*w, scale))).collect();
        let items: Vec<FundItem> = amounts.iter().zip(LINES).map(|(a, line)| FundItem {
            line, code: String::new(), amount_minor: *a, description: String::new(),
        }).collect();
        let got = allocate(&items, &shares);
        let wsum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
        if wsum == 0 {
            prop_assert!(got.is_empty());
            return Ok(());
        }
        for item in &items {
            let mut sum = 0i64;
            for (i, w) in weights.iter().enumerate() {
                let part = got.get(&format!("inv-{i:03}"))
                    .and_then(|v| v.iter().find(|a| a.line == item.line))
                    .map_or(0, |a| a.amount_minor);
                if *w == 0 { prop_assert_eq!(part, 0); }
                let err = (i128::from(part) * wsum - i128::from(item.amount_minor) * i128::from(*w)).abs();
                prop_assert!(err < wsum);
                sum += part;
            }
            prop_assert_eq!(sum, item.amount_minor);
        }
    }

    #[test]
    fn box_1a_is_at_least_1b_and_figures_add_up_over_lines(
        raw in prop::collection::vec((prop::array::uniform6(0i64..1_000_000_000), 0i64..100_000, any::<bool>(), any::<bool>(), 1u32..13), 0..12),
        pct in 0i64..=100,
        exempt_interest in any::<bool>(),
    ) {
        let lines: Vec<DivLine> = raw.iter().map(|(c, withheld, backup, reversal, month)| {
            let mut l = line(date(2025, *month, 15), *c);
            l.components.foreign_tax = c[0] % 97;
            l.regime = if *backup { Regime::Backup } else { Regime::Chapter3 };
            l.federal_withheld_minor = *withheld;
            l.state = Some(if c[1] % 2 == 0 { "NY" } else { "NJ" }.to_string());
            l.state_withheld_minor = withheld / 3;
            if *reversal {
                l.components = l.components.negated();
                l.federal_withheld_minor = -l.federal_withheld_minor;
                l.state_withheld_minor = -l.state_withheld_minor;
            }
            l
        }).collect();
        let fund = FundTaxSettings { section199a_percent: Decimal::from(pct), interest_is_exempt_interest: exempt_interest, ..FundTaxSettings::default() };
        let all = figures(2025, &lines, &fund, false);
        let each: Vec<_> = lines.iter().map(|l| figures(2025, std::slice::from_ref(l), &fund, false)).collect();
        let sum = |f: fn(&crate::tax::form1099::Div1099) -> i64| each.iter().map(f).sum::<i64>();
        prop_assert_eq!(all.box1a, sum(|d| d.box1a));
        prop_assert_eq!(all.box1b, sum(|d| d.box1b));
        prop_assert_eq!(all.box2a, sum(|d| d.box2a));
        prop_assert_eq!(all.box3, sum(|d| d.box3));
        prop_assert_eq!(all.box4, sum(|d| d.box4));
        prop_assert_eq!(all.box7, sum(|d| d.box7));
        prop_assert_eq!(all.box12, sum(|d| d.box12));
        // At most two states here, so the state boxes add up too (zero nets left off).
        let mut states: BTreeMap<String, i64> = BTreeMap::new();
        for s in each.iter().flat_map(|d| d.states.iter()) {
            *states.entry(s.state.clone()).or_default() += s.withheld_minor;
        }
        states.retain(|_, m| *m != 0);
        let got: BTreeMap<String, i64> = all.states.iter().map(|s| (s.state.clone(), s.withheld_minor)).collect();
        prop_assert_eq!(got, states);
        if !raw.iter().any(|r| r.3) {
            // Without reversals every box is a sum of non-negative amounts.
            prop_assert!(all.box1a >= all.box1b);
            // Box 5 rounds once on the sum: each line's own rounding is at most ½ unit.
            let diff = (all.box5 - sum(|d| d.box5)).abs();
            prop_assert!(2 * diff <= lines.len() as i64 + 1);
        }
    }

    #[test]
    fn form_1042_s_rows_keep_every_unit_paid_and_withheld(
        raw in prop::collection::vec(prop::array::uniform6(0i64..1_000_000_000), 0..12),
        treaty in any::<bool>(),
        div in any_rate(),
        des in (any::<bool>(), any::<bool>(), any::<bool>()),
    ) {
        let p = foreign("GB", treaty);
        let fund = Designations { capital_gain_exempt: des.0, short_term_gain_exempt: des.1, interest_related_exempt: des.2 };
        let mut t = Tables::default();
        t.treaty.rates.insert(("GB".into(), IncomeType::Dividends), div);
        let lines: Vec<DivLine> = raw.iter().enumerate().map(|(i, c)| {
            let c = comps(*c);
            let w = withhold(&c, Some(&p), &fund, &t);
            DivLine::new("d", date(2025, 1 + (i as u32 % 12), 1), c, &w)
        }).collect();
        let f = forms(2025, &lines, &p, &fund);
        let paid: i64 = lines.iter().map(|l| l.components.income_sum()).sum();
        let withheld: i64 = lines.iter().map(|l| l.federal_withheld_minor).sum();
        prop_assert_eq!(f.iter().map(|r| r.gross_income_minor).sum::<i64>(), paid);
        prop_assert_eq!(f.iter().map(|r| r.withheld_minor).sum::<i64>(), withheld);
        for r in &f {
            // A zero rate always names its exemption; a positive rate never claims one.
            prop_assert_eq!(r.ch3_rate > Decimal::ZERO, r.ch3_exemption_code == "00");
            prop_assert!(r.withheld_minor <= r.gross_income_minor);
        }
    }
}
