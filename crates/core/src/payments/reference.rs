//! The reference token every payment we originate carries in the first characters of its
//! bank references (pain.001 EndToEndId and remittance, NACHA individual id, check memo), so
//! that a reference the bank cuts to 16 (or 10) characters still names one payment.
//!
//! Payment ids are UUIDv7: time-ordered, so all the payments of one run share their first
//! ~12–20 characters and a truncated id identifies nothing. The token is instead
//! [`DATA_LEN`] characters drawn from SHA-256 of the domain-separated payment id (≈ 59 bits,
//! uniform from the first character on) plus one check character: [`TOKEN_LEN`] = 13
//! characters, short enough for every field that carries it and inside the 16 that banks keep.
//!
//! # Alphabet and check character
//! The 31 symbols of [`ALPHABET`] are Crockford's base-32 set (digits and upper-case letters
//! without I, L, O, U, which read as 1, 1, 0, V) minus `Z` (read as 2), so a token survives
//! being read aloud, retyped or upper-cased by a bank. The check character is the weighted sum
//! `Σ (i + 1) · vᵢ ≡ 0 (mod 31)` over all 13 positions, the check at position 13. Because 31
//! is prime, every weight is below 31 and every value is below 31, it detects **every single
//! substitution** (the sum changes by `w · δ`, never 0 mod 31) and **every transposition of
//! two adjacent characters** including the check (changes by `vᵢ − vᵢ₊₁`), also of characters
//! two apart. ISO 7064 MOD 37,36 over 36 alphanumerics was rejected: checked exhaustively it
//! misses 72 of 45,360 adjacent transpositions (values one apart at certain states), and its
//! pure form MOD 37-2 needs a 37th symbol (`*`) that bank fields do not accept.

use sha2::{Digest, Sha256};

/// The symbols of a token, in value order (Crockford base 32 without `Z`).
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKMNPQRSTVWXY";

/// Characters drawn from the hash.
pub const DATA_LEN: usize = 12;

/// Length of a token: data characters plus the check character.
pub const TOKEN_LEN: usize = DATA_LEN + 1;

const MODULUS: u32 = 31;

/// Separates this use of SHA-256 from every other hash of a payment id.
const DOMAIN: &[u8] = b"clearway/payment-reference/v1\0";

fn value(c: u8) -> Option<u32> {
    let c = c.to_ascii_uppercase();
    ALPHABET.iter().position(|a| *a == c).map(|v| v as u32)
}

/// The check value making `Σ (i + 1) · vᵢ ≡ 0 (mod 31)` with the check at position `n`.
fn check_value(values: impl Iterator<Item = u32>) -> u32 {
    let (sum, n) = values.fold((0u32, 0u32), |(sum, i), v| {
        ((sum + (i + 1) * v) % MODULUS, i + 1)
    });
    // The check's weight is n + 1 (≤ 30, invertible mod 31): solve w·c ≡ −sum.
    let weight = n + 1;
    let inverse = (1..MODULUS)
        .find(|x| weight * x % MODULUS == 1)
        .expect("31 is prime");
    (MODULUS - sum) % MODULUS * inverse % MODULUS
}

/// The token of a payment id: deterministic, 13 characters of [`ALPHABET`].
pub fn token(payment_id: &str) -> String {
    let digest = Sha256::new()
        .chain_update(DOMAIN)
        .chain_update(payment_id.as_bytes())
        .finalize();
    let mut bits = u128::from_be_bytes(digest[..16].try_into().expect("16 bytes"));
    let mut values = [0u32; DATA_LEN];
    for v in &mut values {
        // 31^12 < 2^60 of the 128 bits drawn: the bias is below 2^-68.
        *v = (bits % u128::from(MODULUS)) as u32;
        bits /= u128::from(MODULUS);
    }
    let check = check_value(values.iter().copied());
    values
        .iter()
        .chain(std::iter::once(&check))
        .map(|v| ALPHABET[*v as usize] as char)
        .collect()
}

/// True when `s` is a token: 13 characters of [`ALPHABET`] (any case) whose check holds.
pub fn is_token(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.len() != TOKEN_LEN {
        return false;
    }
    let mut sum = 0u32;
    for (i, b) in bytes.iter().enumerate() {
        let Some(v) = value(*b) else {
            return false;
        };
        sum = (sum + (i as u32 + 1) * v) % MODULUS;
    }
    sum == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn token_is_deterministic_and_distinct() {
        let a = token("0190f3a2-7b1c-7d00-8000-000000000001");
        assert_eq!(a, token("0190f3a2-7b1c-7d00-8000-000000000001"));
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(is_token(&a));
        assert!(is_token(&a.to_ascii_lowercase()));
        // Ids one apart (as UUIDv7s of one run are) share nothing in their tokens' heads.
        let b = token("0190f3a2-7b1c-7d00-8000-000000000002");
        assert_ne!(a[..4], b[..4]);
    }

    #[test]
    fn rejects_what_is_not_a_token() {
        assert!(!is_token(""));
        assert!(!is_token("0190F3A27B1C7"));
        let t = token("p1");
        assert!(!is_token(&t[..12]));
        assert!(!is_token(&format!("{t}0")));
        // I, L, O, U, Z are not in the alphabet.
        assert!(!is_token(&format!("{}O", &t[..12])));
    }

    #[test]
    fn known_token_is_stable() {
        // Pinned: the token is stored on the bank's side, so the derivation must never change.
        assert_eq!(
            token("00000000-0000-7000-8000-000000000000"),
            "WMYY49Y6NKQAR"
        );
    }

    proptest! {
        #[test]
        fn every_substitution_is_detected(id in "[a-f0-9-]{1,40}", pos in 0usize..TOKEN_LEN, sym in 0usize..31) {
            let t = token(&id);
            let mut bytes = t.clone().into_bytes();
            prop_assume!(bytes[pos] != ALPHABET[sym]);
            bytes[pos] = ALPHABET[sym];
            prop_assert!(!is_token(std::str::from_utf8(&bytes).unwrap()));
        }

        #[test]
        fn every_adjacent_transposition_is_detected(id in "[a-f0-9-]{1,40}", pos in 0usize..TOKEN_LEN - 1) {
            let t = token(&id);
            let mut bytes = t.clone().into_bytes();
            prop_assume!(bytes[pos] != bytes[pos + 1]);
            bytes.swap(pos, pos + 1);
            prop_assert!(!is_token(std::str::from_utf8(&bytes).unwrap()));
        }
    }

    /// The guarantee proved exhaustively: for any prefix state, every pair of distinct values
    /// at adjacent positions (the check's included) changes the sum.
    #[test]
    fn weighted_sum_separates_all_adjacent_pairs_and_substitutions() {
        for i in 1..=TOKEN_LEN as u32 - 1 {
            for a in 0..MODULUS {
                for b in 0..MODULUS {
                    if a == b {
                        continue;
                    }
                    // Transposition at positions i, i+1 changes the sum by (a − b)·(i − (i+1)).
                    let before = (i * a + (i + 1) * b) % MODULUS;
                    let after = (i * b + (i + 1) * a) % MODULUS;
                    assert_ne!(before, after);
                    // Substitution a → b at position i.
                    assert_ne!(i * a % MODULUS, i * b % MODULUS);
                }
            }
        }
    }
}
