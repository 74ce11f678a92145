//! Money: ISO 4217 currencies with their minor units, and exact amounts in minor units.
//!
//! Amounts travel as decimal strings at the edges and as `i64` minor units (cents for
//! USD, yen for JPY, fils for BHD) everywhere else, so that sums are exact and a
//! database can add them without rounding.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// An ISO 4217 currency that has a defined number of minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency {
    code: [u8; 3],
    minor_units: u8,
}

impl Currency {
    /// US dollar, the demo data's currency.
    pub const USD: Currency = Currency {
        code: *b"USD",
        minor_units: 2,
    };

    /// Parses an ISO 4217 alphabetic code; codes without minor units (XAU, XXX…) are refused
    /// because nothing can be paid in them.
    pub fn parse(code: &str) -> Result<Currency, String> {
        let upper = code.trim();
        let currency = iso_currency::Currency::from_code(upper)
            .ok_or_else(|| format!("'{code}' is not an ISO 4217 currency code"))?;
        let minor_units = currency
            .exponent()
            .ok_or_else(|| format!("'{code}' has no minor units and cannot be paid"))?;
        let bytes = upper.as_bytes();
        Ok(Currency {
            code: [bytes[0], bytes[1], bytes[2]],
            minor_units: minor_units as u8,
        })
    }

    /// The three-letter code.
    pub fn code(&self) -> &str {
        // Only ever built from a validated ASCII code.
        std::str::from_utf8(&self.code).expect("ASCII currency code")
    }

    /// Number of decimal places of the minor unit (USD 2, JPY 0, BHD 3).
    pub fn minor_units(&self) -> u32 {
        u32::from(self.minor_units)
    }

    /// Converts a decimal amount to minor units, refusing more precision than the currency has.
    pub fn to_minor(&self, amount: Decimal) -> Result<i64, String> {
        let normalized = amount.normalize();
        if normalized.scale() > self.minor_units() {
            return Err(format!(
                "has more than {} decimal places for {}",
                self.minor_units(),
                self.code()
            ));
        }
        let scaled = normalized * Decimal::from(10i64.pow(self.minor_units()));
        i64::try_from(scaled).map_err(|_| "is too large".to_string())
    }

    /// Converts minor units back to a decimal with exactly the currency's scale.
    pub fn from_minor(&self, minor: i64) -> Decimal {
        Decimal::new(minor, self.minor_units())
    }

    /// Formats minor units as a plain decimal string with the currency's scale ("12.30").
    pub fn format_minor(&self, minor: i64) -> String {
        self.from_minor(minor).to_string()
    }

    /// Parses a decimal string field into minor units, with errors that name the field.
    /// Amounts beyond [`AMOUNT_MAX_MINOR`] are refused so that sums can never overflow.
    pub fn parse_amount(&self, field: &str, text: &str) -> Result<i64, FieldError> {
        let value = parse_decimal(field, text)?;
        let minor = self
            .to_minor(value)
            .map_err(|why| FieldError::new(field, format!("'{text}' {why}")))?;
        if minor.abs() > AMOUNT_MAX_MINOR {
            return Err(FieldError::new(
                field,
                format!("'{text}' exceeds the largest amount accepted"),
            ));
        }
        Ok(minor)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.code().to_string()
    }
}

/// Largest amount of one line or distribution, in minor units (10^15: ten trillion dollars).
/// With at most 200,000 lines of this size a distribution's sum stays far inside `i64`.
pub const AMOUNT_MAX_MINOR: i64 = 1_000_000_000_000_000;

/// Longest decimal string we accept; longer input is refused before parsing.
const DECIMAL_TEXT_MAX: usize = 40;

/// Parses a decimal string with the one grammar every amount, rate and price shares:
/// `-?[0-9]+(\.[0-9]+)?`. No spaces, no plus sign, no exponent, no leading or trailing dot, no
/// thousands separators, and no leading zeros ("007" is refused: some systems read it as
/// octal, and a canonical form keeps idempotency hashes and audit entries comparable; "0.5" is
/// fine). Whether a negative value is allowed is the caller's rule, per field.
pub fn parse_decimal(field: &str, text: &str) -> Result<Decimal, FieldError> {
    let not_decimal = || {
        FieldError::new(
            field,
            format!(
                "{} is not a decimal number",
                crate::input::excerpt(text, DECIMAL_TEXT_MAX)
            ),
        )
    };
    if !is_plain_decimal(text) {
        return Err(not_decimal());
    }
    text.parse::<Decimal>().map_err(|_| not_decimal())
}

/// `-?[0-9]+(\.[0-9]+)?` without leading zeros, at most [`DECIMAL_TEXT_MAX`] characters.
fn is_plain_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    text.len() <= DECIMAL_TEXT_MAX
        && digits(int)
        && !(int.len() > 1 && int.starts_with('0'))
        && frac.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn minor_units_follow_iso_4217() {
        assert_eq!(Currency::parse("USD").unwrap().minor_units(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().minor_units(), 0);
        assert_eq!(Currency::parse("BHD").unwrap().minor_units(), 3);
        assert!(Currency::parse("XAU").is_err(), "no minor units");
        assert!(Currency::parse("ABC").is_err());
        assert!(Currency::parse("usd").is_err(), "codes are upper case");
    }

    #[test]
    fn to_minor_refuses_excess_precision() {
        let usd = Currency::USD;
        assert_eq!(usd.to_minor("1000000.01".parse().unwrap()), Ok(100_000_001));
        assert_eq!(usd.to_minor("12.300".parse().unwrap()), Ok(1230));
        assert!(usd.to_minor("0.001".parse().unwrap()).is_err());
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(jpy.to_minor("1500".parse().unwrap()), Ok(1500));
        assert!(jpy.to_minor("1.5".parse().unwrap()).is_err());
    }

    #[test]
    fn amounts_are_bounded() {
        let usd = Currency::USD;
        assert_eq!(
            usd.parse_amount("a", "10000000000000.00"),
            Ok(AMOUNT_MAX_MINOR)
        );
        let err = usd.parse_amount("a", "10000000000000.01").unwrap_err();
        assert!(err.message.contains("largest amount"), "{err}");
        assert!(usd.parse_amount("a", "99999999999999999999999").is_err());
    }

    #[test]
    fn decimal_text_is_strict() {
        assert!(parse_decimal("a", "12.5").is_ok());
        assert!(parse_decimal("a", "-3").is_ok());
        assert!(parse_decimal("a", "0.05").is_ok());
        assert!(parse_decimal("a", "0").is_ok());
        for bad in [
            "", "1e5", "1,000.00", "abc", "1.2.3", "NaN", "-", ".", " 100", "100 ", "+5", "1e3",
            ".5", "5.", "-.5", "007", "00.5", "--1", "1_000", "١٢", "1.5\u{0}",
        ] {
            let err = parse_decimal("amount", bad).unwrap_err();
            assert_eq!(err.field, "amount", "{bad}");
        }
    }

    proptest! {
        #[test]
        fn minor_round_trips(minor in -1_000_000_000_000i64..1_000_000_000_000i64, units in 0u32..4) {
            let c = match units { 0 => "JPY", 1 => "USD", 2 => "EUR", _ => "BHD" };
            let currency = Currency::parse(c).unwrap();
            let text = currency.format_minor(minor);
            prop_assert_eq!(currency.parse_amount("x", &text).unwrap(), minor);
        }
    }
}
