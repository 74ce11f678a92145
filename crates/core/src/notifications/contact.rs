//! The grammar of investors' contact details: email addresses (the dot-atom form of RFC 5322
//! addr-spec with a DNS domain; quoted local parts and address literals are refused, as no
//! mail provider we send through takes them) and mobile numbers in E.164.

/// Why a contact value is refused (the message of a 422 naming the field).
pub type ContactError = &'static str;

fn atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c)
}

fn dot_atom(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(|p| !p.is_empty() && p.chars().all(atext))
}

fn dns_label(l: &str) -> bool {
    (1..=63).contains(&l.len())
        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !l.starts_with('-')
        && !l.ends_with('-')
}

/// Parses an email address: `local@domain`, local a dot-atom of at most 64 characters,
/// domain at least two DNS labels (the last not all digits), at most 254 characters in all.
pub fn parse_email(s: &str) -> Result<String, ContactError> {
    const WHY: ContactError = "must be an email address like name@example.com";
    if s.len() > 254 {
        return Err("must be at most 254 characters");
    }
    let (local, domain) = s.rsplit_once('@').ok_or(WHY)?;
    if local.len() > 64 || !dot_atom(local) {
        return Err(WHY);
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let tld_ok = labels
        .last()
        .is_some_and(|t| !t.chars().all(|c| c.is_ascii_digit()));
    if labels.len() < 2 || !labels.iter().all(|l| dns_label(l)) || !tld_ok {
        return Err(WHY);
    }
    Ok(s.to_string())
}

/// Parses a mobile number in E.164: `+`, a non-zero digit, then 7 to 14 digits.
pub fn parse_phone(s: &str) -> Result<String, ContactError> {
    let digits = s.strip_prefix('+').unwrap_or("");
    let ok = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(s.to_string())
    } else {
        Err("must be an E.164 number: + and 8 to 15 digits, e.g. +14155550123")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "first.last+tag@mail.example.com",
            "o'neil@x-y.org",
        ] {
            assert_eq!(parse_email(ok).as_deref(), Ok(ok), "{ok}");
        }
        let long_local = format!("{}@x.com", "a".repeat(65));
        for bad in [
            "",
            "a",
            "a@",
            "@b.co",
            "a@b",
            "a..b@c.com",
            ".a@c.com",
            "a.@c.com",
            "a b@c.com",
            "a@-b.com",
            "a@b-.com",
            "a@b..com",
            "\"q\"@b.com",
            "a@[1.2.3.4]",
            "a@1.2.3.4",
            "a@b.com\n",
            "<a@b.com>",
            "a@b@c.com",
            &long_local,
        ] {
            assert!(parse_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn phones() {
        for ok in ["+14155550123", "+4930123456", "+123456789012345"] {
            assert_eq!(parse_phone(ok).as_deref(), Ok(ok));
        }
        for bad in [
            "",
            "14155550123",
            "+04155550123",
            "+1415555",
            "+1234567890123456",
            "+1 415 555 0123",
            "+1-415-555-0123",
            "++14155550123",
            "+1415555012a",
        ] {
            assert!(parse_phone(bad).is_err(), "{bad:?}");
        }
    }
}
