//! The worked examples of docs/private-funds.md (numbers computed by hand there), validation
//! rules with their field paths, and the properties of the engine.

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros_free::dec;

use super::*;
use crate::money::Currency;

mod rust_decimal_macros_free {
    /// `dec("0.08")`: a decimal literal without the macro crate.
    pub fn dec(s: &str) -> rust_decimal::Decimal {
        s.parse().expect("decimal literal")
    }
}

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

fn terms(style: Style, compounding: Compounding, catch_up: &str) -> Terms {
    Terms {
        style,
        tiers: vec![
            Tier::ReturnOfCapital,
            Tier::PreferredReturn {
                rate: dec("0.08"),
                compounding,
                day_count: DayCount::Act365,
            },
            Tier::CatchUp {
                gp_percentage: dec(catch_up),
                target_gp_share: dec("0.20"),
            },
            Tier::CarriedInterest {
                gp_percentage: dec("0.20"),
            },
        ],
        clawback_tax_offset: dec("0.30"),
    }
}

fn partner(id: &str, kind: PartnerKind) -> Partner {
    Partner {
        investor_id: id.into(),
        kind,
    }
}

fn partners() -> Vec<Partner> {
    vec![
        partner("A", PartnerKind::Lp),
        partner("B", PartnerKind::Lp),
        partner("G", PartnerKind::Gp),
    ]
}

fn contribution(id: &str, date: &str, amount: i64, deal: Option<&str>) -> Contribution {
    Contribution {
        investor_id: id.into(),
        date: d(date),
        amount,
        deal: deal.map(Into::into),
    }
}

fn amounts(roc: i64, pref: i64, cu: i64, ci: i64) -> TierAmounts {
    TierAmounts {
        return_of_capital: roc,
        preferred_return: pref,
        catch_up: cu,
        carried_interest: ci,
    }
}

fn row<'a>(o: &'a Outcome, id: &str) -> &'a InvestorOutcome {
    o.investors
        .iter()
        .find(|i| i.investor_id == id)
        .expect("investor")
}

#[test]
fn worked_european_example() {
    let contributions = vec![
        contribution("A", "2024-01-01", 100_000_000, None),
        contribution("B", "2024-07-01", 50_000_000, None),
        contribution("G", "2024-01-01", 10_000_000, None),
    ];
    let proceeds = Proceeds {
        currency: Currency::USD,
        amount: 200_000_000,
        date: d("2025-01-01"),
        deal: None,
    };
    let t = terms(Style::European, Compounding::Simple, "1.00");
    let o = run(&t, &partners(), &contributions, &[], &proceeds).unwrap();
    let hurdles: Vec<(i64, i64, i64)> = o
        .tiers
        .iter()
        .map(|t| (t.hurdle, t.allocated, t.remaining))
        .collect();
    assert_eq!(
        hurdles,
        vec![
            (160_000_000, 160_000_000, 40_000_000),
            (10_840_548, 10_840_548, 29_159_452),
            (2_710_137, 2_710_137, 26_449_315),
            (26_449_315, 26_449_315, 0),
        ]
    );
    assert_eq!(o.tiers[3].gp_amount, 5_289_863);
    assert_eq!(
        row(&o, "A").amounts,
        amounts(100_000_000, 8_021_918, 0, 13_224_657)
    );
    assert_eq!(
        row(&o, "B").amounts,
        amounts(50_000_000, 2_016_438, 0, 6_612_329)
    );
    assert_eq!(
        row(&o, "G").amounts,
        amounts(10_000_000, 802_192, 2_710_137, 6_612_329)
    );
    assert_eq!(
        o.investors.iter().map(|i| i.total).collect::<Vec<_>>(),
        vec![121_246_575, 58_628_767, 20_124_658]
    );
    assert!(
        o.tiers[1]
            .explanation
            .contains("108,405.47945205 exactly, rounded half away from zero to 108,405.48"),
        "{}",
        o.tiers[1].explanation
    );
}

fn american_history() -> (Vec<Contribution>, Vec<PriorDistribution>) {
    let alpha = Some("ALPHA");
    let contributions = vec![
        contribution("A", "2021-03-01", 30_000_000, alpha),
        contribution("G", "2021-03-01", 10_000_000, alpha),
        contribution("B", "2021-03-01", 20_000_000, Some("BETA")),
    ];
    let roc = |id: &str, amount: i64| PriorDistribution {
        investor_id: id.into(),
        date: d("2022-03-01"),
        deal: Some("ALPHA".into()),
        amount,
        by_tier: Some(amounts(amount, 0, 0, 0)),
    };
    (
        contributions,
        vec![roc("A", 12_000_000), roc("G", 4_000_000)],
    )
}

fn american_proceeds() -> Proceeds {
    Proceeds {
        currency: Currency::USD,
        amount: 60_000_000,
        date: d("2023-03-01"),
        deal: Some("ALPHA".into()),
    }
}

#[test]
fn worked_american_example() {
    let (contributions, prior) = american_history();
    let t = terms(Style::American, Compounding::Annual, "0.80");
    let o = run(
        &t,
        &partners(),
        &contributions,
        &prior,
        &american_proceeds(),
    )
    .unwrap();
    let hurdles: Vec<(i64, i64, i64, i64)> = o
        .tiers
        .iter()
        .map(|t| (t.hurdle, t.allocated, t.remaining, t.gp_amount))
        .collect();
    assert_eq!(
        hurdles,
        vec![
            (24_000_000, 24_000_000, 36_000_000, 0),
            (5_376_000, 5_376_000, 30_624_000, 0),
            (1_792_000, 1_792_000, 28_832_000, 1_433_600),
            (28_832_000, 28_832_000, 0, 5_766_400),
        ]
    );
    assert!(o.tiers.iter().all(|t| t.deal.as_deref() == Some("ALPHA")));
    assert_eq!(
        row(&o, "A").amounts,
        amounts(18_000_000, 4_032_000, 268_800, 17_299_200)
    );
    assert_eq!(row(&o, "B").amounts, TierAmounts::default());
    assert_eq!(
        row(&o, "G").amounts,
        amounts(6_000_000, 1_344_000, 1_523_200, 11_532_800)
    );
    assert_eq!(row(&o, "A").total + row(&o, "G").total, 60_000_000);
}

#[test]
fn worked_clawback_example() {
    let (contributions, mut prior) = american_history();
    let t = terms(Style::American, Compounding::Annual, "0.80");
    let o = run(
        &t,
        &partners(),
        &contributions,
        &prior,
        &american_proceeds(),
    )
    .unwrap();
    prior.extend(
        o.investors
            .iter()
            .filter(|i| i.total > 0)
            .map(|i| PriorDistribution {
                investor_id: i.investor_id.clone(),
                date: d("2023-03-01"),
                deal: Some("ALPHA".into()),
                amount: i.total,
                by_tier: Some(i.amounts),
            }),
    );
    let c = clawback(
        &t,
        &partners(),
        &contributions,
        &prior,
        d("2023-03-01"),
        Currency::USD,
    )
    .unwrap();
    assert_eq!(
        (
            c.carry_received,
            c.carry_entitled,
            c.excess,
            c.tax_offset,
            c.clawback
        ),
        (7_200_000, 3_200_000, 4_000_000, 1_200_000, 2_800_000)
    );
    // Before the ALPHA exit the GP had received no promote: nothing to claw back.
    let early = clawback(
        &t,
        &partners(),
        &contributions,
        &prior,
        d("2022-12-31"),
        Currency::USD,
    )
    .unwrap();
    assert_eq!((early.carry_received, early.clawback), (0, 0));
}

#[test]
fn plain_prior_distribution_returns_capital_first_then_pref() {
    let t = terms(Style::European, Compounding::Simple, "1.00");
    let contributions = vec![contribution("A", "2023-01-01", 36_500_000, None)];
    // 365 days at 8 % simple: pref 2,920,000. A plain 40,000,000 returns all capital, all pref
    // and 580,000 of profit, so the GP is owed a catch-up on 2,920,000 + 580,000 of profit.
    let prior = vec![PriorDistribution {
        investor_id: "A".into(),
        date: d("2024-01-01"),
        deal: None,
        amount: 40_000_000,
        by_tier: None,
    }];
    let proceeds = Proceeds {
        currency: Currency::USD,
        amount: 10_000_000,
        date: d("2024-01-01"),
        deal: None,
    };
    let o = run(&t, &partners(), &contributions, &prior, &proceeds).unwrap();
    let alloc: Vec<i64> = o.tiers.iter().map(|t| t.allocated).collect();
    assert_eq!(alloc, vec![0, 0, 875_000, 9_125_000]);
}

// ---- validation: every rule, with its field path ----

fn fields(err: Invalid) -> Vec<String> {
    err.0.into_iter().map(|e| e.field).collect()
}

#[test]
fn terms_validation_names_each_field() {
    let mut t = terms(Style::European, Compounding::Simple, "1.00");
    assert!(t.validate().is_ok());
    t.tiers.swap(0, 1);
    assert_eq!(fields(t.validate().unwrap_err()), vec!["tiers[1].kind"]);
    let mut t = terms(Style::European, Compounding::Simple, "1.00");
    t.tiers.insert(1, Tier::ReturnOfCapital);
    assert_eq!(fields(t.validate().unwrap_err()), vec!["tiers[1].kind"]);
    let mut t = terms(Style::European, Compounding::Simple, "1.00");
    t.tiers[1] = Tier::PreferredReturn {
        rate: dec("-0.01"),
        compounding: Compounding::Simple,
        day_count: DayCount::Act365,
    };
    t.tiers[3] = Tier::CarriedInterest {
        gp_percentage: dec("1.5"),
    };
    t.clawback_tax_offset = dec("-0.1");
    assert_eq!(
        fields(t.validate().unwrap_err()),
        vec![
            "tiers[1].rate",
            "tiers[2].targetGpShare",
            "tiers[3].gpPercentage",
            "clawbackTaxOffset"
        ]
    );
    let mut t = terms(Style::European, Compounding::Simple, "1.00");
    t.tiers.pop();
    assert_eq!(fields(t.validate().unwrap_err()), vec!["tiers[2]", "tiers"]);
    let t = terms(Style::European, Compounding::Simple, "0.20");
    assert_eq!(
        fields(t.validate().unwrap_err()),
        vec!["tiers[2].gpPercentage"]
    );
    let t = terms(Style::European, Compounding::Simple, "1.01");
    assert_eq!(
        fields(t.validate().unwrap_err()),
        vec!["tiers[2].gpPercentage"]
    );
    let mut t = terms(Style::European, Compounding::Simple, "1.00");
    t.tiers[2] = Tier::CatchUp {
        gp_percentage: Decimal::ONE,
        target_gp_share: dec("0.25"),
    };
    assert_eq!(
        fields(t.validate().unwrap_err()),
        vec!["tiers[2].targetGpShare"]
    );
    let mut t = terms(Style::European, Compounding::Simple, "1.00");
    t.tiers.clear();
    assert_eq!(fields(t.validate().unwrap_err()), vec!["tiers"]);
}

#[test]
fn run_validation_names_each_field() {
    let t = terms(Style::European, Compounding::Simple, "1.00");
    let proceeds = Proceeds {
        currency: Currency::USD,
        amount: 1_000,
        date: d("2024-01-01"),
        deal: None,
    };
    let contributions = vec![
        contribution("A", "2024-02-01", 100, None),
        contribution("X", "2023-01-01", -5, None),
    ];
    let prior = vec![PriorDistribution {
        investor_id: "Y".into(),
        date: d("2023-06-01"),
        deal: None,
        amount: -1,
        by_tier: Some(amounts(1, 0, 0, 0)),
    }];
    let err = run(
        &t,
        &partners()[..2],
        &contributions,
        &prior,
        &Proceeds {
            currency: Currency::USD,
            amount: -1,
            ..proceeds.clone()
        },
    )
    .unwrap_err();
    assert_eq!(
        fields(err),
        vec![
            "contributions[1].investorId",
            "contributions[1].amount",
            "prior[0].investorId",
            "prior[0].amount",
            "prior[0].byTier",
            "contributions[0].date",
            "proceeds.amount",
            "partners",
        ]
    );
    let dup = vec![partner("A", PartnerKind::Lp), partner("A", PartnerKind::Gp)];
    assert_eq!(
        fields(run(&t, &dup, &[], &[], &proceeds).unwrap_err()),
        vec!["partners[1].investorId"]
    );
    assert_eq!(
        fields(run(&t, &partners(), &[], &[], &proceeds).unwrap_err()),
        vec!["contributions"]
    );
}

#[test]
fn american_requires_deals() {
    let t = terms(Style::American, Compounding::Simple, "1.00");
    let contributions = vec![contribution("A", "2023-01-01", 100, None)];
    let prior = vec![PriorDistribution {
        investor_id: "A".into(),
        date: d("2023-06-01"),
        deal: None,
        amount: 0,
        by_tier: None,
    }];
    let proceeds = Proceeds {
        currency: Currency::USD,
        amount: 10,
        date: d("2024-01-01"),
        deal: None,
    };
    let err = run(&t, &partners(), &contributions, &prior, &proceeds).unwrap_err();
    assert_eq!(
        fields(err),
        vec!["contributions[0].deal", "prior[0].deal", "proceeds.deal"]
    );
}

#[test]
fn terms_serialize_as_the_api_spells_them() {
    let t = terms(Style::European, Compounding::Annual, "1.00");
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "style": "EUROPEAN",
            "tiers": [
                {"kind": "RETURN_OF_CAPITAL"},
                {"kind": "PREFERRED_RETURN", "rate": "0.08", "compounding": "ANNUAL", "dayCount": "ACT_365"},
                {"kind": "CATCH_UP", "gpPercentage": "1.00", "targetGpShare": "0.20"},
                {"kind": "CARRIED_INTEREST", "gpPercentage": "0.20"}
            ],
            "clawbackTaxOffset": "0.30"
        })
    );
    assert_eq!(serde_json::from_value::<Terms>(json).unwrap(), t);
}

// ---- properties ----

#[derive(Debug, Clone)]
struct Fund {
    terms: Terms,
    partners: Vec<Partner>,
    contributions: Vec<Contribution>,
    prior: Vec<PriorDistribution>,
    date: NaiveDate,
}

fn fund() -> impl Strategy<Value = Fund> {
    let base = d("2020-01-01");
    (
        prop::collection::vec((0usize..4, 0i64..1_500, 1i64..5_000_000), 1..10),
        prop::collection::vec(
            (0usize..4, 0i64..1_500, 0i64..3_000_000, any::<bool>()),
            0..6,
        ),
        (
            0u32..=15,
            any::<bool>(),
            0u32..=3,
            prop_oneof![Just("1.00"), Just("0.80"), Just("0.50")],
        ),
    )
        .prop_map(move |(cs, ps, (rate, annual, carry_step, cu))| {
            let ids = ["A", "B", "C", "G"];
            let partners: Vec<Partner> = ids
                .iter()
                .map(|id| {
                    partner(
                        id,
                        if *id == "G" {
                            PartnerKind::Gp
                        } else {
                            PartnerKind::Lp
                        },
                    )
                })
                .collect();
            let carry = Decimal::new(i64::from(carry_step) * 10, 2);
            let mut tiers = vec![
                Tier::ReturnOfCapital,
                Tier::PreferredReturn {
                    rate: Decimal::new(i64::from(rate), 2),
                    compounding: if annual {
                        Compounding::Annual
                    } else {
                        Compounding::Simple
                    },
                    day_count: DayCount::Act365,
                },
            ];
            if dec(cu) > carry {
                tiers.push(Tier::CatchUp {
                    gp_percentage: dec(cu),
                    target_gp_share: carry,
                });
            }
            tiers.push(Tier::CarriedInterest {
                gp_percentage: carry,
            });
            let contributions = cs
                .into_iter()
                .map(|(i, day, amount)| Contribution {
                    investor_id: ids[i].into(),
                    date: base + chrono::Days::new(day as u64),
                    amount,
                    deal: None,
                })
                .collect();
            let prior = ps
                .into_iter()
                .map(|(i, day, amount, plain)| PriorDistribution {
                    investor_id: ids[i].into(),
                    date: base + chrono::Days::new(day as u64),
                    deal: None,
                    amount,
                    by_tier: if plain {
                        None
                    } else {
                        Some(amounts(
                            amount / 2,
                            amount / 4,
                            0,
                            amount - amount / 2 - amount / 4,
                        ))
                    },
                })
                .collect();
            Fund {
                terms: Terms {
                    style: Style::European,
                    tiers,
                    clawback_tax_offset: Decimal::ZERO,
                },
                partners,
                contributions,
                prior,
                date: base + chrono::Days::new(1_600),
            }
        })
}

fn go(f: &Fund, amount: i64) -> Outcome {
    let proceeds = Proceeds {
        currency: Currency::USD,
        amount,
        date: f.date,
        deal: None,
    };
    run(&f.terms, &f.partners, &f.contributions, &f.prior, &proceeds).expect("valid fund")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn ties_out_never_negative_roc_within_capital(f in fund(), amount in 0i64..40_000_000) {
        let o = go(&f, amount);
        prop_assert_eq!(o.tiers.iter().map(|t| t.allocated).sum::<i64>(), amount);
        prop_assert_eq!(o.investors.iter().map(|i| i.total).sum::<i64>(), amount);
        for t in &o.tiers {
            prop_assert!(t.allocated >= 0 && t.allocated <= t.hurdle && t.remaining >= 0);
            let per_investor: i64 = o.investors.iter().map(|i| match t.kind {
                TierKind::ReturnOfCapital => i.amounts.return_of_capital,
                TierKind::PreferredReturn => i.amounts.preferred_return,
                TierKind::CatchUp => i.amounts.catch_up,
                TierKind::CarriedInterest => i.amounts.carried_interest,
            }).sum();
            prop_assert_eq!(per_investor, t.allocated);
        }
        for i in &o.investors {
            let a = i.amounts;
            prop_assert!(a.return_of_capital >= 0 && a.preferred_return >= 0 && a.catch_up >= 0 && a.carried_interest >= 0);
            let contributed: i64 = f.contributions.iter().filter(|c| c.investor_id == i.investor_id).map(|c| c.amount).sum();
            prop_assert!(a.return_of_capital <= contributed);
        }
    }

    /// Tier totals are exactly monotone in the proceeds; each investor's total is monotone up to
    /// the Alabama paradox of largest remainder (a bigger total can move one leftover minor
    /// unit to another investor), i.e. at most one minor unit per tier split.
    #[test]
    fn monotone_in_proceeds(f in fund(), amount in 0i64..30_000_000, more in 0i64..10_000_000) {
        let small = go(&f, amount);
        let large = go(&f, amount + more);
        for (s, l) in small.tiers.iter().zip(&large.tiers) {
            prop_assert!(l.allocated >= s.allocated);
        }
        let splits = 2 * large.tiers.len() as i64;
        for (s, l) in small.investors.iter().zip(&large.investors) {
            prop_assert!(l.total >= s.total - splits, "{} {} -> {}", s.investor_id, s.total, l.total);
        }
    }

    /// With no tax offset the GP keeps at most its entitlement; a single European run recorded
    /// as the only distribution is exactly its own entitlement.
    #[test]
    fn gp_never_above_entitlement_after_clawback(f in fund(), amount in 0i64..40_000_000) {
        let c = clawback(&f.terms, &f.partners, &f.contributions, &f.prior, f.date, Currency::USD).unwrap();
        prop_assert!(c.carry_received - c.clawback <= c.carry_entitled);
        prop_assert!(c.clawback >= 0 && c.clawback <= c.excess);
        let o = go(&Fund { prior: vec![], ..f.clone() }, amount);
        let prior: Vec<PriorDistribution> = o.investors.iter().map(|i| PriorDistribution {
            investor_id: i.investor_id.clone(), date: f.date, deal: None, amount: i.total, by_tier: Some(i.amounts),
        }).collect();
        let own = clawback(&f.terms, &f.partners, &f.contributions, &prior, f.date, Currency::USD).unwrap();
        prop_assert_eq!(own.clawback, 0);
        prop_assert!((own.carry_received - own.carry_entitled).abs() <= 1);
    }
}

#[test]
fn strict_monotonicity_of_each_investor_for_two_lp_interests() {
    // With two weights largest remainder cannot show the Alabama paradox: exact monotonicity.
    let t = terms(Style::European, Compounding::Simple, "1.00");
    let contributions = vec![
        contribution("A", "2021-01-01", 3_333_333, None),
        contribution("G", "2021-05-07", 6_666_667, None),
    ];
    let mut last: Vec<i64> = vec![0; 3];
    for amount in (0..16_000_000).step_by(99_991) {
        let proceeds = Proceeds {
            currency: Currency::USD,
            amount,
            date: d("2024-01-01"),
            deal: None,
        };
        let o = run(&t, &partners(), &contributions, &[], &proceeds).unwrap();
        let totals: Vec<i64> = o.investors.iter().map(|i| i.total).collect();
        assert!(
            totals.iter().zip(&last).all(|(n, o)| n >= o),
            "{amount}: {totals:?} after {last:?}"
        );
        last = totals;
    }
}

#[test]
fn largest_remainder_alabama_paradox_is_the_one_known_exception_to_monotonicity() {
    // Documented in docs/private-funds.md: LPs with 1, 3 and 3 minor units of capital split
    // 3 as 1/1/1 but 4 as 0/2/2 (Hamilton's method is not house-monotone).
    let t = Terms {
        style: Style::European,
        tiers: vec![Tier::CarriedInterest {
            gp_percentage: Decimal::ZERO,
        }],
        clawback_tax_offset: Decimal::ZERO,
    };
    let partners = vec![
        partner("A", PartnerKind::Lp),
        partner("B", PartnerKind::Lp),
        partner("C", PartnerKind::Lp),
        partner("G", PartnerKind::Gp),
    ];
    let contributions = vec![
        contribution("A", "2024-01-01", 1, None),
        contribution("B", "2024-01-01", 3, None),
        contribution("C", "2024-01-01", 3, None),
    ];
    let totals = |amount| {
        let proceeds = Proceeds {
            currency: Currency::USD,
            amount,
            date: d("2024-01-01"),
            deal: None,
        };
        let o = run(&t, &partners, &contributions, &[], &proceeds).unwrap();
        o.investors.iter().map(|i| i.total).collect::<Vec<_>>()
    };
    assert_eq!(totals(3), vec![1, 1, 1, 0]);
    assert_eq!(totals(4), vec![0, 2, 2, 0]);
}

#[test]
fn absurd_inputs_saturate_or_are_refused_instead_of_overflowing() {
    let mut t = terms(Style::European, Compounding::Annual, "1.00");
    t.tiers[1] = Tier::PreferredReturn {
        rate: Decimal::ONE,
        compounding: Compounding::Annual,
        day_count: DayCount::Act365,
    };
    // 100 % a year compounded over two centuries: the pref saturates, the run still ties out.
    let contributions = vec![contribution("A", "1900-01-01", 1_000_000_000_000, None)];
    let proceeds = Proceeds {
        currency: Currency::USD,
        amount: 5_000_000_000_000,
        date: d("2100-01-01"),
        deal: None,
    };
    let o = run(&t, &partners(), &contributions, &[], &proceeds).unwrap();
    assert_eq!(
        o.investors.iter().map(|i| i.total).sum::<i64>(),
        proceeds.amount
    );
    assert_eq!(o.tiers[1].allocated, 4_000_000_000_000);
    let too_much = Proceeds {
        currency: Currency::USD,
        amount: validate::MAX_AMOUNT + 1,
        ..proceeds
    };
    let err = run(&t, &partners(), &contributions, &[], &too_much).unwrap_err();
    assert_eq!(fields(err), vec!["proceeds.amount"]);
}

#[test]
fn clawback_validates_ids_amounts_and_splits_and_explains() {
    let t = terms(Style::European, Compounding::Simple, "1.00");
    let contributions = vec![contribution("Z", "2023-01-01", -1, None)];
    let prior = vec![PriorDistribution {
        investor_id: "A".into(),
        date: d("2023-06-01"),
        deal: None,
        amount: 10,
        by_tier: Some(amounts(1, 2, 3, 5)),
    }];
    let err = clawback(
        &t,
        &partners(),
        &contributions,
        &prior,
        d("2024-01-01"),
        Currency::USD,
    )
    .unwrap_err();
    assert_eq!(
        fields(err),
        vec![
            "contributions[0].investorId",
            "contributions[0].amount",
            "prior[0].byTier"
        ]
    );
    let (contributions, prior) = american_history();
    let t = terms(Style::American, Compounding::Annual, "0.80");
    let c = clawback(
        &t,
        &partners(),
        &contributions,
        &prior,
        d("2023-03-01"),
        Currency::USD,
    )
    .unwrap();
    assert!(
        c.explanation.contains("the GP returns 0"),
        "{}",
        c.explanation
    );
}
