use super::*;
use proptest::prelude::*;
use std::str::FromStr;

#[test]
fn default_ownership_gives_books_to_the_administrator() {
    let o = Ownership::default();
    assert_eq!(o.owner(Domain::Nav), Side::Administrator);
    assert_eq!(o.owner(Domain::Holdings), Side::Administrator);
    assert_eq!(o.owner(Domain::Schedules), Side::Clearway);
    assert_eq!(o.owner(Domain::Elections), Side::Clearway);
    assert_eq!(o.owner(Domain::BankDetails), Side::Clearway);
}

#[test]
fn set_changes_one_domain_only() {
    let mut o = Ownership::default();
    o.set(Domain::Elections, Side::Administrator);
    assert_eq!(o.owner(Domain::Elections), Side::Administrator);
    assert_eq!(o.owner(Domain::BankDetails), Side::Clearway);
    assert_eq!(o.owner(Domain::Nav), Side::Administrator);
}

#[test]
fn classify_the_three_cases() {
    use Side::*;
    assert_eq!(
        classify(Administrator, Administrator, Some("1"), "2"),
        Outcome::Apply
    );
    assert_eq!(
        classify(Clearway, Administrator, Some("1"), "2"),
        Outcome::Conflict
    );
    assert_eq!(
        classify(Clearway, Administrator, Some("2"), "2"),
        Outcome::Unchanged
    );
    assert_eq!(
        classify(Administrator, Administrator, None, "2"),
        Outcome::Apply
    );
    // Nothing held yet is still not the other side's to fill in silently.
    assert_eq!(
        classify(Clearway, Administrator, None, "2"),
        Outcome::Conflict
    );
}

#[test]
fn wire_texts_round_trip() {
    for d in Domain::ALL {
        assert_eq!(Domain::parse(d.as_str()), Some(*d));
    }
    for k in FileKind::ALL {
        assert_eq!(FileKind::parse(k.as_str()), Some(*k));
    }
    assert_eq!(Domain::parse("nav"), None);
    assert_eq!(FileKind::Holdings.folder(), "holdings");
}

#[test]
fn strict_parsers() {
    assert_eq!(parse_decimal("1.50").unwrap().to_string(), "1.50");
    assert!(parse_decimal("1e3").is_err());
    assert!(parse_decimal("1,000").is_err());
    assert!(parse_decimal("").is_err());
    assert!(parse_decimal(".").is_err());
    assert!(parse_decimal("1.2.3").is_err());
    assert!(parse_percent("100.5").is_err());
    assert_eq!(parse_percent("50").unwrap(), Decimal::from(50));
    assert!(parse_date("2026-02-30").is_err());
    assert!(parse_date("2026-2-3").is_err());
    assert_eq!(parse_date("2026-02-03").unwrap().to_string(), "2026-02-03");
    assert!(parse_id("a b").is_err());
    assert!(parse_id("").is_err());
    assert_eq!(canonical(Decimal::from_str("1.500").unwrap()), "1.5");
    assert_eq!(canonical(Decimal::from_str("-0.00").unwrap()), "0");
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Clearway), Just(Side::Administrator)]
}

proptest! {
    /// A change from the side that does not own the domain never applies.
    #[test]
    fn unowned_never_applies(owner in side(), from in side(), ours in proptest::option::of("[0-9]{1,3}"), theirs in "[0-9]{1,3}") {
        let out = classify(owner, from, ours.as_deref(), &theirs);
        if owner != from {
            prop_assert_ne!(out, Outcome::Apply);
        }
        prop_assert_eq!(out == Outcome::Unchanged, ours.as_deref() == Some(theirs.as_str()));
        if ours.as_deref() != Some(theirs.as_str()) {
            prop_assert_eq!(out == Outcome::Apply, owner == from);
        }
    }

    /// Canonical decimal strings compare equal exactly when the numbers are equal.
    #[test]
    fn canonical_is_numeric_equality(a in -100000i64..100000, sa in 0u32..6, b in -100000i64..100000, sb in 0u32..6) {
        let x = Decimal::new(a, sa);
        let y = Decimal::new(b, sb);
        prop_assert_eq!(canonical(x) == canonical(y), x == y);
        prop_assert_eq!(parse_decimal(&canonical(x)).unwrap(), x);
    }
}

#[test]
fn schedule_terms_round_trip_and_refuse_what_is_not_terms() {
    use crate::schedules::Frequency;
    let t = ScheduleTerms {
        frequency: Frequency::SemiAnnual,
        next_record_date: "2027-06-30".parse().unwrap(),
        amount_per_unit: "0.2500".parse().unwrap(),
    };
    assert_eq!(t.text(), "SEMI_ANNUAL 2027-06-30 0.25");
    assert_eq!(
        ScheduleTerms::parse(" SEMI_ANNUAL  2027-06-30 0.25 ").unwrap(),
        t
    );
    for bad in [
        "",
        "MONTHLY 2027-06-30",
        "WEEKLY 2027-06-30 1",
        "MONTHLY 2027-6-30 1",
        "MONTHLY 2027-06-30 0",
        "MONTHLY 2027-06-30 1e3",
        "MONTHLY 2027-06-30 1 x",
    ] {
        assert!(ScheduleTerms::parse(bad).is_err(), "{bad}");
    }
}
