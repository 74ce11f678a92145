//! Contact addresses as the notification channels accept them: a practical subset of RFC 5321
//! mailboxes (what mail providers accept from a sign-up form) and E.164 phone numbers.

use crate::error::FieldError;

/// Longest mailbox SMTP carries (RFC 5321 §4.5.3.1.3: a 256-octet path minus the brackets).
const EMAIL_MAX: usize = 254;
/// Longest local part (RFC 5321 §4.5.3.1.1).
const LOCAL_MAX: usize = 64;
/// Longest DNS label (RFC 1035).
const LABEL_MAX: usize = 63;

/// Checks an email address and returns it with its domain lower-cased (domains are
/// case-insensitive; local parts are the receiving server's business and are kept as given).
///
/// Accepted: ASCII only; a dot-atom local part (RFC 5322 atext separated by single dots) of at
/// most 64 characters; `@`; a domain of at least two LDH labels (letters, digits, inner
/// hyphens, ≤ 63 each) whose last label is not all digits; at most 254 characters in all.
/// Refused: spaces, quotes, angle brackets, control characters, quoted local parts, IP
/// literals, comments and anything else that mail forms never need.
pub fn email(s: &str) -> Result<String, FieldError> {
    let bad = |why: &str| FieldError::new("email", why.to_string());
    if s.is_empty() {
        return Err(bad("is empty"));
    }
    if s.len() > EMAIL_MAX {
        return Err(bad("is longer than 254 characters"));
    }
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad(
            "may hold only printable ASCII characters, without spaces",
        ));
    }
    let (local, domain) = s
        .split_once('@')
        .ok_or_else(|| bad("is not an email address (no '@')"))?;
    if local.is_empty() || local.len() > LOCAL_MAX || !is_dot_atom(local) {
        return Err(bad(
            "has a local part (before '@') that is not 1-64 letters, digits or !#$%&'*+-/=?^_`{|}~ separated by single dots",
        ));
    }
    if !is_domain(domain) {
        return Err(bad(
            "has a domain that is not a host name with a dot (letters, digits and inner hyphens)",
        ));
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// RFC 5322 `atext`.
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

fn is_dot_atom(s: &str) -> bool {
    s.split('.')
        .all(|atom| !atom.is_empty() && atom.bytes().all(is_atext))
}

fn is_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| is_ldh_label(l))
        && !labels[labels.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

fn is_ldh_label(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= LABEL_MAX
        && !l.starts_with('-')
        && !l.ends_with('-')
        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Checks a phone number in E.164 form (ITU-T E.164): `+`, then 8 to 15 digits of which the
/// first (the country code's) is 1-9. Nothing else: no spaces, dashes, brackets or extension.
pub fn e164(s: &str) -> Result<String, FieldError> {
    let digits = s.strip_prefix('+').unwrap_or("");
    let ok = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(s.to_string())
    } else {
        Err(FieldError::new(
            "phone",
            "is not an E.164 phone number ('+' then 8-15 digits, the first 1-9, nothing else)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_practical_addresses_and_lowercases_the_domain() {
        assert_eq!(
            email("Ana.Perez@Example.COM").unwrap(),
            "Ana.Perez@example.com"
        );
        assert_eq!(
            email("o'brien+funds@mail.example.co.uk").unwrap(),
            "o'brien+funds@mail.example.co.uk"
        );
        assert_eq!(email("a@b-c.io").unwrap(), "a@b-c.io");
        let local = "a".repeat(64);
        let long = format!("{local}@{}.com", "d".repeat(63));
        assert_eq!(email(&long).unwrap(), long);
    }

    #[test]
    fn refuses_what_mail_forms_never_need() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@@example.com",
            "a@b@example.com",
            "a b@example.com",
            " a@example.com",
            "a@example.com ",
            "\"a\"@example.com",
            "<a@example.com>",
            "a.@example.com",
            ".a@example.com",
            "a..b@example.com",
            "a@-example.com",
            "a@example-.com",
            "a@example..com",
            "a@example.com.",
            "a@[127.0.0.1]",
            "a@1.2.3.4",
            "a@exa_mple.com",
            "josé@example.com",
            "a@exámple.com",
            "a\n@example.com",
            "a\u{0}@example.com",
            "a(b)@example.com",
        ] {
            let err = email(bad).expect_err(bad);
            assert_eq!(err.field, "email");
        }
        assert!(email(&format!("{}@example.com", "a".repeat(65))).is_err());
        assert!(email(&format!("a@{}.com", "d".repeat(64))).is_err());
        let too_long = format!("a@{}.com", vec!["d".repeat(60); 5].join("."));
        assert!(too_long.len() > 254);
        assert!(email(&too_long).is_err());
    }

    #[test]
    fn e164_is_plus_and_8_to_15_digits() {
        assert_eq!(e164("+14155550123").unwrap(), "+14155550123");
        assert_eq!(e164("+34612345678").unwrap(), "+34612345678");
        assert_eq!(e164("+12345678").unwrap(), "+12345678");
        assert_eq!(e164("+123456789012345").unwrap(), "+123456789012345");
        for bad in [
            "",
            "+",
            "14155550123",
            "+1234567",
            "+1234567890123456",
            "+04155550123",
            "+1 415 555 0123",
            "+1-415-555-0123",
            "+1(415)5550123",
            "++14155550123",
            "+14155550123 ",
            "+1415555012a",
            "+١٤١٥٥٥٥٠١٢٣",
        ] {
            assert_eq!(e164(bad).expect_err(bad).field, "phone");
        }
    }

    proptest! {
        /// Whatever is accepted is ASCII, bounded, has one '@' and comes back stable.
        #[test]
        fn accepted_emails_are_canonical(s in "[a-zA-Z0-9.@+ _-]{0,40}") {
            if let Ok(ok) = email(&s) {
                prop_assert!(ok.len() <= 254 && ok.matches('@').count() == 1);
                prop_assert_eq!(email(&ok).unwrap(), ok.clone());
            }
        }

        #[test]
        fn e164_accepts_exactly_its_grammar(d in "[0-9]{0,17}") {
            let s = format!("+{d}");
            let expected = (8..=15).contains(&d.len()) && !d.starts_with('0');
            prop_assert_eq!(e164(&s).is_ok(), expected);
        }
    }
}
