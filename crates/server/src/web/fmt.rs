//! Display formatting for pages: money with thousands separators, exact from minor units.

use clearway_core::money::Currency;

/// `1234567` minor units of USD → `"12,345.67"` (exact; grouping by thousands).
pub fn money(minor: i64, currency: Currency) -> String {
    let plain = currency.format_minor(minor);
    let (sign, digits) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |d| ("-", d));
    let (int, frac) = digits
        .split_once('.')
        .map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Money with its currency code: `"12,345.67 USD"`.
pub fn money_code(minor: i64, currency: Currency) -> String {
    format!("{} {}", money(minor, currency), currency.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands_exactly() {
        let usd = Currency::parse("USD").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(money(0, usd), "0.00");
        assert_eq!(money(5, usd), "0.05");
        assert_eq!(money(123456, usd), "1,234.56");
        assert_eq!(money(-100000000, usd), "-1,000,000.00");
        assert_eq!(
            money(9_223_372_036_854_775_807, usd),
            "92,233,720,368,547,758.07"
        );
        assert_eq!(money(1234567, jpy), "1,234,567");
        assert_eq!(money_code(100, usd), "1.00 USD");
    }
}
