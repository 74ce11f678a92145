//! Strict grammars of the text that enters: dates, control characters, and safe excerpts of
//! input for error messages. One definition each, so every route and import agrees.

use chrono::{Datelike, NaiveDate};

use crate::error::FieldError;

/// Earliest year a date may have: older dates are typos (`26-03-01` read as year 26).
pub const YEAR_MIN: i32 = 1900;
/// Latest year a date may have: later dates are typos or "never" sentinels (9999-12-31).
pub const YEAR_MAX: i32 = 2200;

/// Parses a date field: exactly `YYYY-MM-DD` (four-digit year, two-digit month and day, no
/// sign, no spaces), a real calendar day within [`YEAR_MIN`]-01-01..=[`YEAR_MAX`]-12-31.
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate, FieldError> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    let not_a_date = || {
        FieldError::new(
            field,
            format!("{} is not a date (YYYY-MM-DD)", excerpt(text, 40)),
        )
    };
    if !shaped {
        return Err(not_a_date());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| not_a_date())?;
    if !(YEAR_MIN..=YEAR_MAX).contains(&date.year()) {
        return Err(FieldError::new(
            field,
            format!("{text} is outside {YEAR_MIN}-01-01..{YEAR_MAX}-12-31"),
        ));
    }
    Ok(date)
}

/// A character no text field may hold: C0 controls, DEL and C1 controls (they truncate or
/// break text in PostgreSQL, terminals, CSV and bank files). Free text (reasons, notes,
/// descriptions) may hold tab and newline.
pub fn is_forbidden_char(c: char, free_text: bool) -> bool {
    c.is_control() && !(free_text && matches!(c, '\t' | '\n'))
}

/// The first forbidden character of `text`, for a message naming it (`U+0000`).
pub fn forbidden_char(text: &str, free_text: bool) -> Option<String> {
    text.chars()
        .find(|c| is_forbidden_char(*c, free_text))
        .map(|c| format!("U+{:04X}", c as u32))
}

/// Checks a text field, naming the first forbidden character.
pub fn check_text(field: &str, text: &str, free_text: bool) -> Result<(), FieldError> {
    match forbidden_char(text, free_text) {
        Some(c) => Err(FieldError::new(
            field,
            format!("contains the control character {c}; control characters are not accepted"),
        )),
        None => Ok(()),
    }
}

/// Invisible characters that can make a message read differently from what it holds
/// (bidirectional overrides, zero-width characters, the byte-order mark).
fn is_deceptive(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Makes text safe to show in an error message: control and invisible characters become
/// `\u{…}` escapes, and at most `max` characters are kept (then `…`). Input quoted in a
/// message goes through this, so a message never carries raw bytes of the input.
pub fn printable(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() || is_deceptive(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// A quoted, [`printable`] excerpt of input for a message: `'12-3'`.
pub fn excerpt(text: &str, max: usize) -> String {
    format!("'{}'", printable(text, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_strict_iso() {
        assert_eq!(
            parse_date("d", "2026-03-02").unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
        );
        assert!(parse_date("d", "1900-01-01").is_ok());
        assert!(parse_date("d", "2200-12-31").is_ok());
        for bad in [
            "26-03-01",
            "0000-01-01",
            "-2026-01-01",
            "+2026-01-01",
            "2026-3-2",
            "2026-03-2",
            " 2026-03-02",
            "2026-03-02 ",
            "9999-12-31",
            "1899-12-31",
            "2201-01-01",
            "2026-02-30",
            "2026/03/02",
            "20260302",
            "２０２６-03-02",
            "",
        ] {
            let err = parse_date("recordDate", bad).unwrap_err();
            assert_eq!(err.field, "recordDate", "{bad}");
        }
    }

    #[test]
    fn control_characters_are_forbidden() {
        assert!(check_text("f", "plain text é ✓", false).is_ok());
        assert!(check_text("f", "line\nnext\ttab", true).is_ok());
        for bad in [
            "a\u{0}b",
            "a\nb",
            "\t",
            "\r",
            "x\u{1b}[31m",
            "\u{7f}",
            "\u{85}",
            "\u{9f}",
        ] {
            assert!(check_text("f", bad, false).is_err(), "{bad:?}");
        }
        assert!(check_text("f", "a\u{0}b", true).is_err());
        assert!(check_text("f", "a\rb", true).is_err());
        let err = check_text("f", "a\u{0}b", false).unwrap_err();
        assert!(err.message.contains("U+0000"), "{}", err.message);
    }

    #[test]
    fn excerpts_never_carry_raw_control_bytes() {
        assert_eq!(excerpt("abc", 10), "'abc'");
        assert_eq!(excerpt("a\u{0}b", 10), "'a\\u{0}b'");
        assert_eq!(printable("\u{202E}x", 10), "\\u{202e}x");
        assert_eq!(printable("abcdef", 3), "abc…");
        let binary: String = (0u8..=255).map(char::from).collect();
        assert!(!printable(&binary, 1000).chars().any(|c| c.is_control()));
    }
}
