//! Security identifiers: CUSIP and ISIN with their check digits, and exchange tickers.

use std::str::FromStr;

/// The kind of a security identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierType {
    /// 9 characters, the last a modulus-10 "double-add-double" check digit.
    Cusip,
    /// 12 characters: country code, 9-character national number, Luhn check digit.
    Isin,
    /// 1 to 10 letters, digits, '.' or '-' (no check digit exists).
    Ticker,
}

impl IdentifierType {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentifierType::Cusip => "CUSIP",
            IdentifierType::Isin => "ISIN",
            IdentifierType::Ticker => "TICKER",
        }
    }
}

impl FromStr for IdentifierType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "CUSIP" => Ok(IdentifierType::Cusip),
            "ISIN" => Ok(IdentifierType::Isin),
            "TICKER" => Ok(IdentifierType::Ticker),
            other => Err(format!("'{other}' is not CUSIP, ISIN or TICKER")),
        }
    }
}

/// Value of a CUSIP/ISIN character: digits 0–9, letters 10–35, and CUSIP's `*@#` 36–38.
fn char_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        'A'..='Z' => Some(c as u32 - 'A' as u32 + 10),
        '*' => Some(36),
        '@' => Some(37),
        '#' => Some(38),
        _ => None,
    }
}

fn cusip_check(body: &str) -> Option<u32> {
    let mut sum = 0;
    for (i, c) in body.chars().enumerate() {
        let mut v = char_value(c)?;
        if i % 2 == 1 {
            v *= 2;
        }
        sum += v / 10 + v % 10;
    }
    Some((10 - sum % 10) % 10)
}

/// Luhn over the digit string of an ISIN body (letters expand to two digits).
fn isin_check(body: &str) -> Option<u32> {
    let mut digits = Vec::new();
    for c in body.chars() {
        match c {
            '0'..='9' => digits.push(c.to_digit(10)?),
            'A'..='Z' => {
                let v = c as u32 - 'A' as u32 + 10;
                digits.push(v / 10);
                digits.push(v % 10);
            }
            _ => return None,
        }
    }
    // Doubling starts from the rightmost digit of the body (the check digit is appended).
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                *d
            }
        })
        .sum();
    Some((10 - sum % 10) % 10)
}

/// Checks `identifier` (already upper-cased and trimmed) as `kind`; the error says why.
pub fn check_identifier(kind: IdentifierType, identifier: &str) -> Result<(), String> {
    match kind {
        IdentifierType::Cusip => {
            if identifier.len() != 9 || !identifier.is_ascii() {
                return Err("a CUSIP has 9 characters".into());
            }
            let (body, check) = identifier.split_at(8);
            let expected = cusip_check(body).ok_or("a CUSIP has letters, digits, * @ # only")?;
            if check.chars().next().and_then(|c| c.to_digit(10)) != Some(expected) {
                return Err(format!("CUSIP check digit should be {expected}"));
            }
            Ok(())
        }
        IdentifierType::Isin => {
            if identifier.len() != 12 || !identifier.is_ascii() {
                return Err("an ISIN has 12 characters".into());
            }
            if !identifier[..2].chars().all(|c| c.is_ascii_uppercase()) {
                return Err("an ISIN starts with a two-letter country code".into());
            }
            let (body, check) = identifier.split_at(11);
            let expected = isin_check(body).ok_or("an ISIN has letters and digits only")?;
            if check.chars().next().and_then(|c| c.to_digit(10)) != Some(expected) {
                return Err(format!("ISIN check digit should be {expected}"));
            }
            Ok(())
        }
        IdentifierType::Ticker => {
            let ok = (1..=10).contains(&identifier.len())
                && identifier
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '.' || c == '-');
            if ok {
                Ok(())
            } else {
                Err("a ticker has 1 to 10 letters, digits, '.' or '-'".into())
            }
        }
    }
}
