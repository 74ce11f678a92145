//! Share classes of open-end funds (A, I, R…): the rules of adding one and of naming classes
//! in a distribution. Every fund has the class `DEFAULT` implicitly (what a fund without
//! classes uses); the classes added beside it each have their own NAV series, holdings and
//! distributions. Partnerships have no classes: their holdings are ownership, not shares.

use rust_decimal::Decimal;

use crate::distribution::FundKind;
use crate::money::parse_decimal;
use crate::reinvestment::nav::{parse_share_class, DEFAULT_SHARE_CLASS};
use crate::{FieldError, Invalid};

/// Longest class name accepted.
pub const NAME_MAX: usize = 100;

/// A class to add, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClass {
    /// Code, unique in the fund (e.g. `A`, `I`).
    pub code: String,
    /// Display name (e.g. "Institutional").
    pub name: String,
}

/// Checks a class to add to a fund of `kind` that has the classes `existing` (their codes):
/// every problem at once, named by field (`code`, `name`, `fundId`).
pub fn check_new(
    kind: FundKind,
    code: &str,
    name: &str,
    existing: &[&str],
) -> Result<NewClass, Invalid> {
    let mut errors = Vec::new();
    if kind == FundKind::Partnership {
        errors.push(partnership_error("fundId"));
    }
    let code = match parse_share_class("code", code) {
        Ok(c) if c.eq_ignore_ascii_case(DEFAULT_SHARE_CLASS) => {
            errors.push(FieldError::new(
                "code",
                "DEFAULT is every fund's implicit class; choose another code",
            ));
            None
        }
        Ok(c) if existing.iter().any(|e| e.eq_ignore_ascii_case(&c)) => {
            errors.push(FieldError::new(
                "code",
                format!("the fund already has a class {c}"),
            ));
            None
        }
        Ok(c) => Some(c),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "name",
            format!("is required: 1 to {NAME_MAX} characters, no control characters"),
        ));
    }
    match code {
        Some(code) if errors.is_empty() => Ok(NewClass {
            code,
            name: name.to_string(),
        }),
        _ => Err(Invalid(errors)),
    }
}

/// The error of a class named on a partnership fund, for `field`.
pub fn partnership_error(field: &str) -> FieldError {
    FieldError::new(
        field,
        "share classes are for open-end funds; this fund is a partnership",
    )
}

/// Whether `code` is one of the fund's classes (`DEFAULT` always is).
pub fn is_known(code: &str, classes: &[&str]) -> bool {
    code == DEFAULT_SHARE_CLASS || classes.contains(&code)
}

/// Reads a per-class rates block (`{"A": "0.05", "I": "0.06"}`) of a fund of `kind` whose
/// classes are `classes` into (class, rate) in the block's order. Each bad entry is named
/// `field.<class>`: an unknown class, a rate that is not a positive decimal. An empty block,
/// or one on a partnership, is refused as `field`.
pub fn parse_rates(
    field: &str,
    kind: FundKind,
    rates: &[(String, String)],
    classes: &[&str],
) -> Result<Vec<(String, Decimal)>, Invalid> {
    if kind == FundKind::Partnership {
        return Err(partnership_error(field).into());
    }
    if rates.is_empty() {
        return Err(FieldError::new(field, "name at least one class and its rate").into());
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (class, text) in rates {
        let path = format!("{field}.{class}");
        if !is_known(class, classes) {
            errors.push(unknown_class(&path, class));
            continue;
        }
        match parse_decimal(&path, text) {
            Ok(r) if r > Decimal::ZERO => out.push((class.clone(), r)),
            Ok(_) => errors.push(FieldError::new(path, "must be more than zero")),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Invalid(errors))
    }
}

/// The error of a class the fund does not have.
pub fn unknown_class(field: &str, class: &str) -> FieldError {
    FieldError::new(field, format!("the fund has no share class '{class}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: Invalid) -> Vec<String> {
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn a_new_class_is_checked_field_by_field() {
        let ok = check_new(FundKind::OpenEnd, " I ", " Institutional ", &["A"]).unwrap();
        assert_eq!(ok.code, "I");
        assert_eq!(ok.name, "Institutional");
        let dup = check_new(FundKind::OpenEnd, "a", "x", &["A"]).unwrap_err();
        assert_eq!(fields(dup), ["code"]);
        let default = check_new(FundKind::OpenEnd, "default", "x", &[]).unwrap_err();
        assert_eq!(fields(default), ["code"]);
        let all = check_new(FundKind::Partnership, "no spaces", "", &[]).unwrap_err();
        assert_eq!(fields(all), ["fundId", "code", "name"]);
    }

    #[test]
    fn rates_name_each_bad_class() {
        let rates = vec![
            ("A".to_string(), "0.05".to_string()),
            ("Z".to_string(), "0.06".to_string()),
            ("I".to_string(), "-1".to_string()),
            ("DEFAULT".to_string(), "0.01".to_string()),
        ];
        let e = parse_rates("classRates", FundKind::OpenEnd, &rates, &["A", "I"]).unwrap_err();
        assert_eq!(fields(e), ["classRates.Z", "classRates.I"]);
        let ok = parse_rates("classRates", FundKind::OpenEnd, &rates[..1], &["A"]).unwrap();
        assert_eq!(ok, vec![("A".to_string(), "0.05".parse().unwrap())]);
        let p = parse_rates("classRates", FundKind::Partnership, &rates, &[]).unwrap_err();
        assert_eq!(fields(p), ["classRates"]);
        let empty = parse_rates("classRates", FundKind::OpenEnd, &[], &["A"]).unwrap_err();
        assert_eq!(fields(empty), ["classRates"]);
    }
}
