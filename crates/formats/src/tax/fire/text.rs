//! Field text for the FIRE file: ASCII upper case, checked against the field's width.

use clearway_core::tax::profile::{TinType, STATES};

use super::{bad, FireError};

/// The ASCII spelling of an accented Latin letter, upper case; `None` for anything else.
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'À'..='Å' | 'à'..='å' | 'Ā' | 'ā' | 'Ą' | 'ą' => "A",
        'Æ' | 'æ' => "AE",
        'Ç' | 'ç' | 'Č' | 'č' | 'Ć' | 'ć' => "C",
        'Ð' | 'ð' | 'Ď' | 'ď' => "D",
        'È'..='Ë' | 'è'..='ë' | 'Ē' | 'ē' | 'Ę' | 'ę' | 'Ě' | 'ě' => "E",
        'Ì'..='Ï' | 'ì'..='ï' | 'Ī' | 'ī' => "I",
        'Ł' | 'ł' => "L",
        'Ñ' | 'ñ' | 'Ń' | 'ń' | 'Ň' | 'ň' => "N",
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' | 'Ō' | 'ō' | 'Ő' | 'ő' => "O",
        'Œ' | 'œ' => "OE",
        'Ř' | 'ř' => "R",
        'Š' | 'š' | 'Ś' | 'ś' => "S",
        'ß' => "SS",
        'Þ' | 'þ' => "TH",
        'Ù'..='Ü' | 'ù'..='ü' | 'Ū' | 'ū' | 'Ů' | 'ů' | 'Ű' | 'ű' => "U",
        'Ý' | 'ý' | 'ÿ' | 'Ÿ' => "Y",
        'Ž' | 'ž' | 'Ź' | 'ź' | 'Ż' | 'ż' => "Z",
        '\u{2018}' | '\u{2019}' => "'",
        '\u{2013}' | '\u{2014}' => "-",
        _ => return None,
    })
}

/// `value` trimmed, transliterated and upper-cased; refused when it holds a character with
/// no ASCII spelling or a control character, or is longer than `max`.
pub(super) fn plain(
    r: &str,
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, FireError> {
    let mut out = String::with_capacity(value.len());
    for c in value.trim().chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c.to_ascii_uppercase());
        } else if let Some(t) = transliterate(c) {
            out.push_str(t);
        } else {
            return Err(bad(
                r,
                field,
                format!("holds '{c}', which has no ASCII spelling"),
            ));
        }
    }
    if out.len() > max {
        return Err(bad(r, field, format!("is longer than {max} characters")));
    }
    Ok(out)
}

/// A name on its line and its continuation line (40 each): a long name breaks at the last
/// blank that fits; beyond 80 characters it is refused.
pub(super) fn name_lines(
    r: &str,
    field: &'static str,
    value: &str,
) -> Result<(String, String), FireError> {
    let text = plain(r, field, value, 80)?;
    if text.is_empty() {
        return Err(bad(r, field, "is required"));
    }
    if text.len() <= 40 {
        return Ok((text, String::new()));
    }
    let cut = text[..=40].rfind(' ').unwrap_or(40);
    let (first, rest) = text.split_at(cut);
    let rest = rest.trim_start();
    if first.len() > 40 || rest.len() > 40 {
        return Err(bad(r, field, "does not fit two lines of 40 characters"));
    }
    Ok((first.to_string(), rest.to_string()))
}

/// Digits of `value` (punctuation of a phone number dropped), at most `max`.
pub(super) fn digits(
    r: &str,
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, FireError> {
    let d: String = value.chars().filter(char::is_ascii_digit).collect();
    let rest_ok = value
        .chars()
        .all(|c| c.is_ascii_digit() || " ()-+.x".contains(c));
    if d.is_empty() || d.len() > max || !rest_ok {
        return Err(bad(r, field, format!("must be 1 to {max} digits")));
    }
    Ok(d)
}

/// Exactly nine digits (dashes allowed on the way in).
pub(super) fn tin9(r: &str, field: &'static str, value: &str) -> Result<String, FireError> {
    let d: String = value.chars().filter(|c| *c != '-').collect();
    if d.len() != 9 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(r, field, "must be nine digits"));
    }
    Ok(d)
}

/// Five or nine digits (a ZIP+4 dash allowed), left-justified in nine positions.
pub(super) fn zip(r: &str, field: &'static str, value: &str) -> Result<String, FireError> {
    let d: String = value.trim().chars().filter(|c| *c != '-').collect();
    if !(d.len() == 5 || d.len() == 9) || !d.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(r, field, "must be a five- or nine-digit ZIP code"));
    }
    Ok(d)
}

/// A USPS state, territory or DC code.
pub(super) fn state_code(r: &str, field: &'static str, value: &str) -> Result<String, FireError> {
    let s = value.trim().to_ascii_uppercase();
    if !STATES.contains(&s.as_str()) {
        return Err(bad(r, field, "must be a USPS state code"));
    }
    Ok(s)
}

/// An ASCII e-mail address of at most 50 characters (its case kept, as the publication allows).
pub(super) fn email(r: &str, field: &'static str, value: &str) -> Result<String, FireError> {
    let v = value.trim();
    let ok = v.len() <= 50
        && v.bytes().all(|b| b.is_ascii_graphic())
        && v.split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'));
    if !ok {
        return Err(bad(
            r,
            field,
            "must be an ASCII e-mail address of at most 50 characters",
        ));
    }
    Ok(v.to_string())
}

/// Characters a name control may hold.
fn control_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '&' || c == '-'
}

/// A given name control: up to four letters, digits, `&` or `-`.
pub(super) fn check_name_control(
    r: &str,
    field: &'static str,
    value: &str,
) -> Result<String, FireError> {
    let v = value.trim().to_ascii_uppercase();
    if v.is_empty() || v.len() > 4 || !v.chars().all(control_char) {
        return Err(bad(
            r,
            field,
            "must be up to four letters, digits, '&' or '-'",
        ));
    }
    Ok(v)
}

/// Suffixes that are not a surname.
const SUFFIXES: [&str; 9] = ["JR", "SR", "II", "III", "IV", "V", "MD", "PHD", "ESQ"];

/// The name control Publication 1220 describes, derived from a name: for an individual (any
/// TIN but an EIN) the first four characters of the surname (the text before a comma, else
/// the last word that is not a suffix); for an entity the first four significant characters
/// of the name, a leading "The" ignored unless the name has only two words. Only letters,
/// digits, `&` and `-` count; blanks when nothing is left (the field is optional).
pub fn name_control(name: &str, tin_type: Option<TinType>) -> String {
    let upper: String = name
        .chars()
        .flat_map(|c| match transliterate(c) {
            Some(t) => t.chars().collect::<Vec<_>>(),
            None => vec![c.to_ascii_uppercase()],
        })
        .collect();
    let source = if tin_type == Some(TinType::Ein) {
        let words: Vec<&str> = upper.split_whitespace().collect();
        match words.as_slice() {
            ["THE", rest @ ..] if rest.len() > 1 => rest.join(" "),
            _ => words.join(" "),
        }
    } else if let Some((surname, _)) = upper.split_once(',') {
        surname.to_string()
    } else {
        upper
            .split_whitespace()
            .rev()
            .find(|w| !SUFFIXES.contains(&w.trim_matches('.')))
            .unwrap_or("")
            .to_string()
    };
    source
        .chars()
        .filter(|c| control_char(*c))
        .take(4)
        .collect()
}
