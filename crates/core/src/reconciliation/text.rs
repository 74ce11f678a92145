//! Text handling: reference normalization and keys, free-text tokens, counterparty similarity.
//!
//! References are compared as upper-case ASCII alphanumerics (banks drop dashes and spaces);
//! all-digit references also lose leading zeros for exact lookups ("0000104233" is check
//! 104233). Keys are 64-bit hashes; every hit is re-verified against the real text, so a
//! hash collision can never produce a match.

use super::Score;

const SALT_EXACT: u64 = 0x9e37_79b9_7f4a_7c15;
const SALT_BATCH: u64 = 0x27d4_eb2f_1656_67c5;
const SALT_AMOUNT: u64 = 0x94d0_49bb_1331_11eb;

/// splitmix64 finalizer: spreads FNV's weak low bits.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn hash_bytes(salt: u64, bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ salt;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// Upper-case ASCII alphanumerics of `text`, appended to `out`.
pub(crate) fn normalize_into(text: &str, out: &mut String) {
    out.extend(
        text.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase()),
    );
}

/// Normalized reference as a new string.
pub(crate) fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out);
    out
}

/// The form used for exact lookups: all-digit references lose their leading zeros.
pub(crate) fn canonical(normalized: &str) -> &str {
    if !normalized.is_empty() && normalized.bytes().all(|b| b.is_ascii_digit()) {
        let trimmed = normalized.trim_start_matches('0');
        if trimmed.is_empty() {
            "0"
        } else {
            trimmed
        }
    } else {
        normalized
    }
}

/// Key of a normalized reference for exact lookup.
pub(crate) fn exact_key(normalized: &str) -> u64 {
    hash_bytes(SALT_EXACT, canonical(normalized).as_bytes())
}

/// Key of a batch id for exact lookup.
pub(crate) fn batch_key(normalized: &str) -> u64 {
    hash_bytes(SALT_BATCH, canonical(normalized).as_bytes())
}

/// Key of (currency, amount, business day) for the amount index.
pub(crate) fn amount_day_key(currency: &str, amount: i64, business_day: i64) -> u64 {
    let c = hash_bytes(SALT_AMOUNT, currency.as_bytes());
    mix(mix(c ^ amount as u64) ^ business_day as u64)
}

/// Appends the normalized reference-like tokens of a line's texts to `buf`, recording their
/// byte ranges in `spans`. Whole reference fields count as one token as well as in pieces.
pub(crate) fn line_tokens(
    fields: &[Option<&str>],
    description: &str,
    buf: &mut String,
    spans: &mut Vec<(usize, usize)>,
) {
    buf.clear();
    spans.clear();
    let push = |piece: &str, buf: &mut String, spans: &mut Vec<(usize, usize)>| {
        let start = buf.len();
        normalize_into(piece, buf);
        if buf.len() - start >= 3 {
            spans.push((start, buf.len()));
        } else {
            // Too short to be any reference we issue.
            buf.truncate(start);
        }
    };
    for field in fields.iter().flatten() {
        push(field, buf, spans);
        if field.contains(is_separator) {
            for piece in field.split(is_separator) {
                push(piece, buf, spans);
            }
        }
    }
    for piece in description.split(is_separator) {
        push(piece, buf, spans);
    }
}

/// Separators between tokens in free text; dashes, dots and underscores stay inside a token
/// because end-to-end ids use them.
fn is_separator(c: char) -> bool {
    !(c.is_alphanumeric() || c == '-' || c == '.' || c == '_')
}

/// True when `name` has a word that says who the payee is (not only legal-form noise).
pub(crate) fn has_name(name: &str) -> bool {
    name_tokens(name).1 > 0
}

/// True when two account numbers, as each side knows them (full or masked as `****1234`),
/// clearly differ: their last four digits are known on both sides and differ.
pub(crate) fn account_contradicts(a: &str, b: &str) -> bool {
    fn last4(s: &str) -> Option<[u8; 4]> {
        let mut out = [0u8; 4];
        let mut n = 0;
        for c in s.bytes().rev().filter(u8::is_ascii_digit).take(4) {
            out[3 - n] = c;
            n += 1;
        }
        (n == 4).then_some(out)
    }
    matches!((last4(a), last4(b)), (Some(x), Some(y)) if x != y)
}

/// Words of a line's text that make it a bank charge.
const CHARGE_WORDS: [&str; 8] = [
    "FEE",
    "FEES",
    "CHARGE",
    "CHARGES",
    "CHRG",
    "CHGS",
    "COMMISSION",
    "COMM",
];

/// True when a debit is a bank charge: its transaction code says so (BAI2 661 account
/// analysis fee, 698 miscellaneous fees; camt `BkTxCd` `…/CHRG` or `…/COMM`; MT940 `NCHG`,
/// `NCOM`) or its text names a fee, charge or commission.
pub(crate) fn is_charge(type_code: Option<&str>, description: &str) -> bool {
    if let Some(code) = type_code.map(str::trim) {
        let upper = code.to_ascii_uppercase();
        if matches!(upper.as_str(), "661" | "698")
            || upper.ends_with("CHRG")
            || upper.ends_with("CHG")
            || upper.ends_with("COMM")
            || upper == "NCOM"
        {
            return true;
        }
    }
    description
        .split(|c: char| !c.is_ascii_alphanumeric())
        // Every charge word is 3 to 10 letters and starts with C or F.
        .filter(|w| (3..=10).contains(&w.len()) && matches!(w.as_bytes()[0] | 0x20, b'c' | b'f'))
        .any(|w| CHARGE_WORDS.iter().any(|c| c.eq_ignore_ascii_case(w)))
}

/// Words that say nothing about who the payee is.
const NAME_NOISE: [&str; 24] = [
    "LLC", "INC", "LP", "LLP", "LTD", "CORP", "CO", "THE", "MR", "MRS", "MS", "DR", "FBO", "TR",
    "TRUST", "TTEE", "AND", "OF", "JTWROS", "ET", "AL", "PLC", "GMBH", "NA",
];

const MAX_NAME_TOKENS: usize = 12;

fn name_tokens(name: &str) -> ([&str; MAX_NAME_TOKENS], usize) {
    let mut tokens = [""; MAX_NAME_TOKENS];
    let mut n = 0;
    for t in name.split(|c: char| !c.is_alphanumeric()) {
        if t.is_empty() || NAME_NOISE.iter().any(|w| w.eq_ignore_ascii_case(t)) {
            continue;
        }
        if n == MAX_NAME_TOKENS {
            break;
        }
        tokens[n] = t;
        n += 1;
    }
    (tokens, n)
}

fn starts_with_ignore_case(long: &str, short: &str) -> bool {
    long.len() >= short.len()
        && long.as_bytes()[..short.len()].eq_ignore_ascii_case(short.as_bytes())
}

/// Similarity of two payee names, 0–1000, insensitive to case, punctuation, word order and
/// legal-form noise. Word pairs score 1000 when equal, 800 when one is a prefix (≥ 3 letters)
/// of the other (banks truncate names), 500 for an initial; the result is the Dice
/// coefficient over the best one-to-one pairing.
pub fn counterparty_similarity(a: &str, b: &str) -> Score {
    let words = word_similarity(a, b);
    if words < TRUNCATED_NAME_SCORE && is_truncation(a, b) {
        return TRUNCATED_NAME_SCORE;
    }
    words
}

/// Score of a name the bank cut to a fixed width ("PIONEER CLARK FA").
const TRUNCATED_NAME_SCORE: Score = 900;
/// Shortest cut name trusted as a truncation (letters and digits, spaces ignored).
const TRUNCATED_NAME_MIN: usize = 12;

/// True when one name, letters and digits only, is a prefix of the other of at least
/// [`TRUNCATED_NAME_MIN`] characters.
fn is_truncation(a: &str, b: &str) -> bool {
    let mut x = a.chars().filter(char::is_ascii_alphanumeric);
    let mut y = b.chars().filter(char::is_ascii_alphanumeric);
    let mut common = 0;
    loop {
        match (x.next(), y.next()) {
            (Some(c), Some(d)) if c.eq_ignore_ascii_case(&d) => common += 1,
            (Some(_), Some(_)) => return false,
            _ => return common >= TRUNCATED_NAME_MIN,
        }
    }
}

fn word_similarity(a: &str, b: &str) -> Score {
    let (ta, na) = name_tokens(a);
    let (tb, nb) = name_tokens(b);
    if na == 0 || nb == 0 {
        return 0;
    }
    let mut used_a = [false; MAX_NAME_TOKENS];
    let mut used_b = [false; MAX_NAME_TOKENS];
    let mut total: u32 = 0;
    // Strongest pairing kinds first, so a prefix never steals an exact partner.
    for kind in 0..3 {
        for i in 0..na {
            if used_a[i] {
                continue;
            }
            for j in 0..nb {
                if used_b[j] {
                    continue;
                }
                let (x, y) = (ta[i], tb[j]);
                let (short, long) = if x.len() <= y.len() { (x, y) } else { (y, x) };
                let weight = match kind {
                    0 if x.eq_ignore_ascii_case(y) => 1000,
                    1 if short.len() >= 3 && starts_with_ignore_case(long, short) => 800,
                    2 if short.len() == 1 && starts_with_ignore_case(long, short) => 500,
                    _ => 0,
                };
                if weight > 0 {
                    used_a[i] = true;
                    used_b[j] = true;
                    total += weight;
                    break;
                }
            }
        }
    }
    (2 * total / (na + nb) as u32).min(1000) as Score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalize_and_lose_leading_zeros() {
        assert_eq!(normalize("e2e-2024/0001 x"), "E2E20240001X");
        assert_eq!(canonical("0000104233"), "104233");
        assert_eq!(exact_key("0000104233"), exact_key("104233"));
        assert_ne!(exact_key("104233"), batch_key("104233"));
        assert_eq!(canonical("00A1"), "00A1");
    }

    #[test]
    fn tokens_come_from_fields_and_free_text() {
        let mut buf = String::new();
        let mut spans = Vec::new();
        line_tokens(
            &[Some("TRN 021000021234567"), None],
            "ACH/EREF/CW-E2E-77/ RETURN R01",
            &mut buf,
            &mut spans,
        );
        let tokens: Vec<&str> = spans.iter().map(|(s, e)| &buf[*s..*e]).collect();
        assert!(tokens.contains(&"TRN021000021234567"));
        assert!(tokens.contains(&"021000021234567"));
        assert!(tokens.contains(&"CWE2E77"));
        assert!(tokens.contains(&"R01"));
    }

    #[test]
    fn charges_and_accounts() {
        assert!(is_charge(Some("698"), ""));
        assert!(is_charge(Some("PMNT/ICDT/CHRG"), ""));
        assert!(is_charge(None, "WIRE FEE EUR 25.00"));
        assert!(is_charge(None, "Commission"));
        assert!(!is_charge(Some("495"), "OUTGOING WIRE TRANSFER"));
        assert!(!is_charge(None, "FEEDBACK LTD"));
        assert!(account_contradicts("****1234", "DE89370400440532011999"));
        assert!(!account_contradicts("****1999", "DE89370400440532011999"));
        assert!(!account_contradicts("123", "999999"));
        assert!(has_name("Maria Garcia"));
        assert!(!has_name("LLC"));
    }

    #[test]
    fn names_compare_by_words() {
        assert_eq!(counterparty_similarity("John Smith", "SMITH, JOHN"), 1000);
        assert_eq!(
            counterparty_similarity("Acme Capital LLC", "ACME CAPITAL"),
            1000
        );
        assert!(counterparty_similarity("Jonathan Williamson", "JONATHAN WILLIA") >= 850);
        assert!(counterparty_similarity("John Smith", "J SMITH") >= 700);
        assert!(counterparty_similarity("John Smith", "Jane Smith") <= 500);
        assert_eq!(counterparty_similarity("John Smith", "Maria Garcia"), 0);
        assert_eq!(counterparty_similarity("", "Maria Garcia"), 0);
        assert_eq!(
            counterparty_similarity("PIONEER CLARK FA", "Pioneer Clark Family Office"),
            900
        );
        assert!(counterparty_similarity("SMITH JOHN", "Smith Johnson Family Office") < 900);
    }
}
