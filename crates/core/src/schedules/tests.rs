//! Schedule date rules: worked examples and properties.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn quarterly() -> DateRules {
    DateRules {
        frequency: Frequency::Quarterly,
        calendar: Calendar::Nyse,
        roll: Roll::Preceding,
        record: RecordRule::LastBusinessDay,
        declaration_days: 5,
        ex: ExRule::RecordDate,
        payable_days: 3,
        start: d("2026-01-01"),
        end: None,
    }
}

#[test]
fn quarterly_last_business_day() {
    let next = upcoming(&quarterly(), d("2026-01-01"), 4);
    let periods: Vec<_> = next.iter().map(|o| o.period.as_str()).collect();
    assert_eq!(periods, ["2026-03", "2026-06", "2026-09", "2026-12"]);
    // 2026-03-31 is a Tuesday; 5 NYSE days before is 2026-03-24; 3 after is 2026-04-06
    // (Good Friday 2026-04-03 is skipped).
    assert_eq!(next[0].record_date, d("2026-03-31"));
    assert_eq!(next[0].ex_date, Some(d("2026-03-31")));
    assert_eq!(next[0].declaration_date, d("2026-03-24"));
    assert_eq!(next[0].payable_date, d("2026-04-06"));
    // 2026-12-31 is a Thursday; New Year's Day is closed: Jan 4, 5, 6.
    assert_eq!(next[3].payable_date, d("2027-01-06"));
}

#[test]
fn day_of_month_rolls_and_clamps() {
    let rules = DateRules {
        frequency: Frequency::Monthly,
        calendar: Calendar::UsFed,
        record: RecordRule::DayOfMonth(31),
        roll: Roll::ModifiedFollowing,
        ..quarterly()
    };
    let next = upcoming(&rules, d("2026-02-01"), 3);
    // Feb 28 2026 is a Saturday: modified following stays in February -> Friday 27th.
    assert_eq!(next[0].record_date, d("2026-02-27"));
    assert_eq!(next[1].record_date, d("2026-03-31"));
    assert_eq!(next[2].record_date, d("2026-04-30"));
    let day26 = DateRules {
        record: RecordRule::DayOfMonth(26),
        roll: Roll::Following,
        ..rules
    };
    // Thanksgiving 2026-11-26 on the Fed calendar rolls to the 27th.
    let nov = occurrence(&day26, 2026, 11).unwrap();
    assert_eq!(nov.record_date, d("2026-11-27"));
}

#[test]
fn due_window_and_no_back_fill() {
    let rules = DateRules {
        frequency: Frequency::Monthly,
        ..quarterly()
    };
    // On 2026-03-25 the March declaration (03-24) has passed: it is not back-filled.
    // With 60 days of lead (to 2026-05-24) April (declared 04-23) and May (05-22) are due.
    let due_now = due(&rules, d("2026-03-25"), 60);
    let periods: Vec<_> = due_now.iter().map(|o| o.period.as_str()).collect();
    assert_eq!(periods, ["2026-04", "2026-05"]);
    assert!(due(&rules, d("2026-03-25"), 0).is_empty());
    // End date stops the series; start date skips earlier periods.
    let bounded = DateRules {
        end: Some(d("2026-06-30")),
        ..rules
    };
    assert_eq!(upcoming(&bounded, d("2026-01-01"), 100).len(), 6);
}

#[test]
fn rules_are_checked_by_field() {
    let bad = DateRules {
        declaration_days: 0,
        payable_days: 61,
        record: RecordRule::DayOfMonth(32),
        end: Some(d("2025-12-31")),
        ..quarterly()
    };
    let fields: Vec<_> = bad
        .check()
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(
        fields,
        [
            "declarationBusinessDays",
            "payableBusinessDays",
            "recordDay",
            "endDate"
        ]
    );
}

proptest! {
    #[test]
    fn occurrences_are_ordered_business_days(
        freq in prop_oneof![Just(Frequency::Monthly), Just(Frequency::Quarterly), Just(Frequency::SemiAnnual), Just(Frequency::Annual)],
        nyse in any::<bool>(),
        day in prop_oneof![Just(None), (1u32..=31).prop_map(Some)],
        decl in 1u32..=20, pay in 1u32..=20,
        start in 0i64..5000,
    ) {
        let cal = if nyse { Calendar::Nyse } else { Calendar::UsFed };
        let rules = DateRules {
            frequency: freq, calendar: cal,
            record: day.map_or(RecordRule::LastBusinessDay, RecordRule::DayOfMonth),
            roll: Roll::ModifiedFollowing,
            declaration_days: decl, payable_days: pay,
            start: d("2001-01-01") + Duration::days(start), ..quarterly()
        };
        let list = upcoming(&rules, rules.start, 6);
        prop_assert_eq!(list.len(), 6);
        for w in list.windows(2) {
            prop_assert!(w[0].record_date < w[1].record_date);
            prop_assert!(w[0].period < w[1].period);
        }
        for o in &list {
            prop_assert!(o.record_date >= rules.start);
            prop_assert!(o.declaration_date < o.record_date && o.record_date < o.payable_date);
            for x in [o.declaration_date, o.record_date, o.payable_date] {
                prop_assert!(cal.is_business_day(x).unwrap());
            }
            prop_assert_eq!(cal.business_days_between(o.declaration_date, o.record_date).unwrap(), i64::from(decl));
        }
    }
}

#[test]
fn an_administrators_next_record_date_becomes_the_record_rule_and_start() {
    // 2027-03-31 is a Wednesday, March's last NYSE business day.
    let r = rules_for_next(&quarterly(), Frequency::Quarterly, d("2027-03-31")).unwrap();
    assert_eq!(r.record, RecordRule::LastBusinessDay);
    assert_eq!(r.start, d("2027-03-31"));
    assert_eq!(
        upcoming(&r, d("2026-12-01"), 1)[0].record_date,
        d("2027-03-31")
    );
    // The 15th of a month is a day of the month; the next quarter's record date follows it.
    let r = rules_for_next(&quarterly(), Frequency::Quarterly, d("2027-06-15")).unwrap();
    assert_eq!(r.record, RecordRule::DayOfMonth(15));
    let next: Vec<_> = upcoming(&r, d("2027-01-01"), 2)
        .into_iter()
        .map(|o| o.record_date)
        .collect();
    assert_eq!(next, [d("2027-06-15"), d("2027-09-15")]);
    // Monthly: any month; the frequency changes with it.
    let r = rules_for_next(&quarterly(), Frequency::Monthly, d("2027-02-26")).unwrap();
    assert_eq!(
        (r.frequency, r.record),
        (Frequency::Monthly, RecordRule::LastBusinessDay)
    );
}

#[test]
fn terms_a_schedule_cannot_keep_are_refused_with_the_reason() {
    let q = quarterly();
    let e = rules_for_next(&q, Frequency::Quarterly, d("2027-02-26")).unwrap_err();
    assert_eq!(
        e,
        "2027-02-26 is not in the last month of a QUARTERLY period"
    );
    // 2027-06-19 is a Saturday.
    let e = rules_for_next(&q, Frequency::Quarterly, d("2027-06-19")).unwrap_err();
    assert_eq!(e, "2027-06-19 is not a business day on the NYSE calendar");
    let ended = DateRules {
        end: Some(d("2027-01-01")),
        ..q
    };
    let e = rules_for_next(&ended, Frequency::Quarterly, d("2027-03-31")).unwrap_err();
    assert_eq!(e, "2027-03-31 is after the schedule's end date");
}

proptest! {
    /// Whatever business day in a period's last month is given, the schedule records on it.
    #[test]
    fn any_accepted_next_record_date_is_the_next_occurrence(offset in 0i64..3000, freq in 0usize..4) {
        let frequency = [Frequency::Monthly, Frequency::Quarterly, Frequency::SemiAnnual, Frequency::Annual][freq];
        let next = d("2027-01-01") + Duration::days(offset);
        if let Ok(r) = rules_for_next(&quarterly(), frequency, next) {
            let first = upcoming(&r, next - Duration::days(40), 1);
            prop_assert_eq!(first[0].record_date, next);
        }
    }
}
