use crate::tax::profile::*;

fn input(status: &str, residency: &str) -> ProfileInput {
    ProfileInput {
        tin_status: status.into(),
        residency: residency.into(),
        ..ProfileInput::default()
    }
}

fn fields(r: Result<ValidProfile, crate::Invalid>) -> Vec<String> {
    let mut f: Vec<String> = r.unwrap_err().0.into_iter().map(|e| e.field).collect();
    f.sort();
    f
}

#[test]
fn a_certified_us_person_keeps_the_last_four_and_hands_back_the_digits() {
    let v = validate(
        "inv-1",
        &ProfileInput {
            tin_type: Some("SSN".into()),
            tin: Some("123-45-6789".into()),
            certificate: Some("W-9".into()),
            residence_state: Some("NY".into()),
            ..input("CERTIFIED", "US")
        },
    )
    .unwrap();
    assert_eq!(v.tin.as_deref(), Some("123456789"));
    assert_eq!(v.profile.tin_last4.as_deref(), Some("6789"));
    assert_eq!(v.profile.tin_type, Some(TinType::Ssn));
    assert_eq!(v.profile.residence_state.as_deref(), Some("NY"));
    assert_eq!(v.profile.investor_id, "inv-1");
}

#[test]
fn required_and_unknown_values_are_named() {
    assert_eq!(
        fields(validate("a", &input("", ""))),
        ["residency", "tinStatus"]
    );
    assert_eq!(
        fields(validate("a", &input("VERIFIED", "MARS"))),
        ["residency", "tinStatus"]
    );
}

#[test]
fn a_treaty_claim_without_a_country_names_country() {
    let r = validate(
        "a",
        &ProfileInput {
            certificate: Some("W-8BEN".into()),
            treaty_claim: true,
            ..input("MISSING", "FOREIGN")
        },
    );
    let errs = r.unwrap_err().0;
    assert!(errs
        .iter()
        .any(|e| e.field == "country" && e.message == "is required with a treaty claim"));
    assert!(errs.iter().all(|e| e.field == "country"));
}

#[test]
fn tins_must_be_nine_digits_with_a_type() {
    for bad in ["123-45-678", "111111111", "12345678a", "1234-56789"] {
        let r = validate(
            "a",
            &ProfileInput {
                tin_type: Some("SSN".into()),
                tin: Some(bad.into()),
                certificate: Some("W-9".into()),
                ..input("CERTIFIED", "US")
            },
        );
        assert_eq!(fields(r), ["tin"], "{bad}");
    }
    let r = validate(
        "a",
        &ProfileInput {
            tin: Some("12-3456789".into()),
            ..input("CERTIFIED", "US")
        },
    );
    assert_eq!(fields(r), ["tinType"]);
    assert_eq!(normalize_tin("12-3456789").as_deref(), Some("123456789"));
    assert_eq!(normalize_tin("123456789").as_deref(), Some("123456789"));
}

#[test]
fn certificates_states_and_treaties_must_fit_the_residency() {
    let us_w8 = ProfileInput {
        certificate: Some("W-8BEN".into()),
        treaty_claim: true,
        country: Some("GB".into()),
        ..input("MISSING", "US")
    };
    assert_eq!(
        fields(validate("a", &us_w8)),
        ["certificate", "treatyClaim"]
    );
    let foreign_w9 = ProfileInput {
        certificate: Some("W-9".into()),
        country: Some("DE".into()),
        residence_state: Some("NY".into()),
        ..input("MISSING", "FOREIGN")
    };
    assert_eq!(
        fields(validate("a", &foreign_w9)),
        ["certificate", "residenceState"]
    );
    let no_country = ProfileInput {
        certificate: Some("W-8BEN-E".into()),
        ..input("MISSING", "FOREIGN")
    };
    assert_eq!(fields(validate("a", &no_country)), ["country"]);
    // Certified without a TIN or the W-9 that certifies it.
    assert_eq!(
        fields(validate("a", &input("CERTIFIED", "US"))),
        ["certificate"]
    );
}

#[test]
fn codes_and_states_are_checked() {
    let p = ProfileInput {
        country: Some("gb".into()),
        residence_state: Some("ZZ".into()),
        chapter3_status: Some("1".into()),
        chapter4_status: Some("ab".into()),
        exempt_payee_code: Some("14".into()),
        ..input("MISSING", "US")
    };
    assert_eq!(
        fields(validate("a", &p)),
        [
            "chapter3Status",
            "chapter4Status",
            "country",
            "exemptPayeeCode",
            "residenceState"
        ]
    );
}

#[test]
fn missing_status_with_a_tin_is_a_contradiction() {
    let p = ProfileInput {
        tin_type: Some("EIN".into()),
        tin: Some("12-3456789".into()),
        ..input("MISSING", "US")
    };
    assert_eq!(fields(validate("a", &p)), ["tinStatus"]);
}

#[test]
fn the_missing_profile_is_a_us_person_without_a_tin() {
    let p = TaxProfile::missing("x");
    assert_eq!(p.tin_status, TinStatus::Missing);
    assert_eq!(p.residency, Residency::Us);
    assert_eq!(p.investor_id, "x");
}
