//! Amounts, numbers and dates as an investor reads them, per locale.

use chrono::{Datelike, NaiveDate};
use clearway_core::notifications::Locale;
use clearway_core::Currency;
use rust_decimal::Decimal;

/// The short symbol of the currencies our investors are paid in; others show their code.
fn symbol(currency: Currency, locale: Locale) -> Option<&'static str> {
    match (currency.code(), locale) {
        ("USD", Locale::En) => Some("$"),
        ("USD", Locale::Es) => Some("US$"),
        ("EUR", _) => Some("€"),
        ("GBP", _) => Some("£"),
        ("JPY", _) => Some("¥"),
        _ => None,
    }
}

/// Minor units as money: en `$1,234.56` (code after the number when there is no symbol:
/// `1,234.567 BHD`); es `1.234,56 US$`, `1.234,56 €`. Exactly the currency's minor units.
pub fn format_money(minor: i64, currency: Currency, locale: Locale) -> String {
    let scale = currency.minor_units();
    let abs = minor.unsigned_abs();
    let unit = 10u64.pow(scale);
    let int = group(abs / unit, locale);
    let number = if scale == 0 {
        int
    } else {
        let frac = abs % unit;
        format!(
            "{int}{}{frac:0width$}",
            decimal_mark(locale),
            width = scale as usize
        )
    };
    with_unit(minor < 0, &number, currency, locale)
}

/// A decimal per-share figure (NAV) with its currency, all its digits kept.
pub fn format_price(value: Decimal, currency: Currency, locale: Locale) -> String {
    with_unit(
        value.is_sign_negative(),
        &format_decimal(value.abs(), locale),
        currency,
        locale,
    )
}

fn with_unit(negative: bool, number: &str, currency: Currency, locale: Locale) -> String {
    let sign = if negative { "-" } else { "" };
    match (symbol(currency, locale), locale) {
        (Some(s), Locale::En) => format!("{sign}{s}{number}"),
        (Some(s), Locale::Es) => format!("{sign}{number} {s}"),
        (None, _) => format!("{sign}{number} {}", currency.code()),
    }
}

/// A decimal quantity (units, shares) with the locale's separators, its digits unchanged.
pub fn format_decimal(value: Decimal, locale: Locale) -> String {
    let text = value.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if value.is_sign_negative() && !value.is_zero() {
        "-"
    } else {
        ""
    };
    let grouped = group_digits(int, locale);
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{}{frac}", decimal_mark(locale))
    }
}

fn decimal_mark(locale: Locale) -> char {
    match locale {
        Locale::En => '.',
        Locale::Es => ',',
    }
}

fn group(n: u64, locale: Locale) -> String {
    group_digits(&n.to_string(), locale)
}

/// Thousands separators every three digits from the right.
fn group_digits(digits: &str, locale: Locale) -> String {
    let sep = match locale {
        Locale::En => ',',
        Locale::Es => '.',
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// A date in words: en `March 31, 2026`; es `31 de marzo de 2026`.
pub fn format_date(d: NaiveDate, locale: Locale) -> String {
    let m = d.month0() as usize;
    match locale {
        Locale::En => format!("{} {}, {}", MONTHS_EN[m], d.day(), d.year()),
        Locale::Es => format!("{} de {} de {}", d.day(), MONTHS_ES[m], d.year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn money_in_english_and_spanish() {
        let usd = Currency::USD;
        assert_eq!(format_money(123_456, usd, Locale::En), "$1,234.56");
        assert_eq!(format_money(123_456, usd, Locale::Es), "1.234,56 US$");
        assert_eq!(format_money(0, usd, Locale::En), "$0.00");
        assert_eq!(format_money(5, usd, Locale::En), "$0.05");
        assert_eq!(format_money(-123_456, usd, Locale::En), "-$1,234.56");
        assert_eq!(format_money(-5, usd, Locale::Es), "-0,05 US$");
        assert_eq!(format_money(99_999, usd, Locale::En), "$999.99");
        assert_eq!(format_money(100_000, usd, Locale::En), "$1,000.00");
        assert_eq!(
            format_money(1_000_000_000_000_000, usd, Locale::En),
            "$10,000,000,000,000.00"
        );
        assert_eq!(
            format_money(i64::MIN, usd, Locale::En),
            "-$92,233,720,368,547,758.08"
        );
        assert_eq!(format_money(150_000, cur("EUR"), Locale::Es), "1.500,00 €");
    }

    #[test]
    fn money_keeps_each_currencys_minor_units() {
        assert_eq!(
            format_money(1_234_567, cur("JPY"), Locale::En),
            "¥1,234,567"
        );
        assert_eq!(
            format_money(1_234_567, cur("JPY"), Locale::Es),
            "1.234.567 ¥"
        );
        assert_eq!(
            format_money(1_234_567, cur("BHD"), Locale::En),
            "1,234.567 BHD"
        );
        assert_eq!(format_money(-7, cur("BHD"), Locale::Es), "-0,007 BHD");
    }

    #[test]
    fn decimals_and_prices() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            format_decimal(d("1234567.8901"), Locale::En),
            "1,234,567.8901"
        );
        assert_eq!(
            format_decimal(d("1234567.8901"), Locale::Es),
            "1.234.567,8901"
        );
        assert_eq!(format_decimal(d("12"), Locale::En), "12");
        assert_eq!(
            format_price(d("25.1234"), Currency::USD, Locale::En),
            "$25.1234"
        );
        assert_eq!(
            format_price(d("25.1234"), Currency::USD, Locale::Es),
            "25,1234 US$"
        );
    }

    #[test]
    fn dates_in_words() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        assert_eq!(format_date(d, Locale::En), "March 31, 2026");
        assert_eq!(format_date(d, Locale::Es), "31 de marzo de 2026");
    }

    proptest! {
        /// Removing the symbol and separators gives back the exact minor units.
        #[test]
        fn money_round_trips(minor in any::<i64>()) {
            let s = format_money(minor, Currency::USD, Locale::En);
            let digits: String = s.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect();
            prop_assert_eq!(digits.parse::<i128>().unwrap(), i128::from(minor));
            let es = format_money(minor, Currency::USD, Locale::Es);
            prop_assert_eq!(es.matches(',').count(), 1);
        }
    }
}
