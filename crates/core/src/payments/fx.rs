//! FX for investors paid in another currency than the fund's.
//!
//! Rule: `payment = fund amount × rate`, where `rate` is units of the payment currency per one
//! unit of the fund currency, computed exactly in decimal and rounded once, **half away from
//! zero, to the payment currency's minor units** (JPY 0, USD 2, BHD 3). The payment records the
//! rate, its source and timestamp; its fund-currency amount is the line's cash itself, so the
//! distribution's total in fund currency ties out exactly whatever the rounding did.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::FieldError;
use crate::money::{parse_decimal, Currency, AMOUNT_MAX_MINOR};

/// A rate to convert `base` amounts into `quote` amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    /// Currency converted from (the fund's).
    pub base: Currency,
    /// Currency converted into (the payment's).
    pub quote: Currency,
    /// Units of `quote` per one unit of `base`; strictly positive.
    pub rate: Decimal,
}

/// Largest number of significant decimals accepted in a rate.
const RATE_SCALE_MAX: u32 = 12;

/// Parses a rate field: a positive plain decimal with at most 12 decimals.
pub fn parse_rate(field: &str, text: &str) -> Result<Decimal, FieldError> {
    let value = parse_decimal(field, text)?;
    if value <= Decimal::ZERO {
        return Err(FieldError::new(field, format!("'{text}' must be positive")));
    }
    if value.normalize().scale() > RATE_SCALE_MAX {
        return Err(FieldError::new(
            field,
            format!("'{text}' has more than {RATE_SCALE_MAX} decimals"),
        ));
    }
    if value > Decimal::from(1_000_000) {
        return Err(FieldError::new(
            field,
            format!("'{text}' is not a plausible exchange rate"),
        ));
    }
    Ok(value.normalize())
}

/// Why an amount cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FxError {
    /// The rate is for other currencies.
    #[error("rate {0} does not convert {1}")]
    WrongPair(String, String),
    /// The result rounds to nothing or overflows.
    #[error("{0}")]
    Amount(String),
}

impl Rate {
    /// Converts `base_minor` (minor units of `base`) into minor units of `quote`, rounding half
    /// away from zero to the quote currency's minor units.
    pub fn convert(&self, base_minor: i64) -> Result<i64, FxError> {
        let base_amount = self.base.from_minor(base_minor);
        let exact = base_amount * self.rate;
        let rounded = exact.round_dp_with_strategy(
            self.quote.minor_units(),
            RoundingStrategy::MidpointAwayFromZero,
        );
        let minor = self
            .quote
            .to_minor(rounded)
            .map_err(|e| FxError::Amount(format!("converted amount {e}")))?;
        if minor.abs() > AMOUNT_MAX_MINOR {
            return Err(FxError::Amount("converted amount is too large".into()));
        }
        if base_minor > 0 && minor == 0 {
            return Err(FxError::Amount(format!(
                "{} {} converts to less than one minor unit of {}",
                self.base.format_minor(base_minor),
                self.base,
                self.quote
            )));
        }
        Ok(minor)
    }

    /// Checks the rate converts `from` into `to`.
    pub fn check_pair(&self, from: Currency, to: Currency) -> Result<(), FxError> {
        if self.base == from && self.quote == to {
            Ok(())
        } else {
            Err(FxError::WrongPair(
                format!("{}/{}", self.base, self.quote),
                format!("{from} into {to}"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rate(base: &str, quote: &str, r: &str) -> Rate {
        Rate {
            base: Currency::parse(base).unwrap(),
            quote: Currency::parse(quote).unwrap(),
            rate: r.parse().unwrap(),
        }
    }

    #[test]
    fn rounds_half_away_from_zero_to_the_quote_minor_units() {
        // 100.01 USD × 151.235 = 15125.00235 JPY -> 15125 (JPY has no minor unit)
        assert_eq!(rate("USD", "JPY", "151.235").convert(10_001), Ok(15_125));
        // 0.01 USD × 150.5 = 1.505 JPY -> 2 (half away from zero)
        assert_eq!(rate("USD", "JPY", "150.5").convert(1), Ok(2));
        // 10.00 USD × 0.376 = 3.76 BHD -> 3.760 (3 minor units)
        assert_eq!(rate("USD", "BHD", "0.376").convert(1_000), Ok(3_760));
        // 12.35 USD × 0.37605 = 4.6442175 BHD -> 4.644
        assert_eq!(rate("USD", "BHD", "0.37605").convert(1_235), Ok(4_644));
        // 1.00 USD × 0.925 = 0.925 EUR -> 0.93 (the half goes up)
        assert_eq!(rate("USD", "EUR", "0.925").convert(100), Ok(93));
        // JPY -> USD: 1234 JPY × 0.0066 = 8.1444 USD -> 8.14
        assert_eq!(rate("JPY", "USD", "0.0066").convert(1_234), Ok(814));
    }

    #[test]
    fn a_payment_never_rounds_to_nothing() {
        assert!(rate("JPY", "USD", "0.004").convert(1).is_err());
        assert_eq!(rate("JPY", "USD", "0.0066").convert(1), Ok(1));
    }

    #[test]
    fn rates_are_positive_plain_decimals() {
        assert_eq!(parse_rate("rate", "0.9250").unwrap().to_string(), "0.925");
        for bad in ["0", "-1.2", "abc", "1e3", "0.0000000000001", "2000000"] {
            assert_eq!(parse_rate("rate", bad).unwrap_err().field, "rate", "{bad}");
        }
    }

    proptest! {
        #[test]
        fn conversion_is_within_half_a_minor_unit(minor in 1i64..1_000_000_000_000, r in 1u32..10_000_000) {
            let fx = Rate { base: Currency::USD, quote: Currency::parse("EUR").unwrap(), rate: Decimal::new(i64::from(r), 6) };
            if let Ok(out) = fx.convert(minor) {
                let exact = Decimal::from(minor) * fx.rate;
                let diff = (Decimal::from(out) - exact).abs();
                prop_assert!(diff <= Decimal::new(5, 1));
            }
        }
    }
}
