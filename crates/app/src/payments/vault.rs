//! Encryption at rest of account numbers, IBANs and bank files: AES-256-GCM with a random
//! 96-bit nonce per value. Every ciphertext names the id of the key that sealed it, so keys can
//! rotate: new values are sealed with the active key, old ones stay readable with theirs until
//! re-sealed (`clearway payments rotate-keys`).
//!
//! Keys come from configuration (`CLEARWAY_ENCRYPTION_KEYS=id:hex64[,id:hex64…]`, the first
//! being active). Without one, the CLI generates a key once into the data directory
//! (`clearway-data/encryption.key`) and logs a warning; the built-in [`Vault::dev`] key exists
//! for tests and benchmarks only.

use std::fmt;
use std::sync::Arc;

use aes_gcm::aead::{Aead, AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use clearway_store::bank_accounts::Sealed;
use sha2::{Digest, Sha256};

/// Why a value could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The ciphertext names a key we do not have.
    #[error("no encryption key with id '{0}' is configured")]
    UnknownKey(String),
    /// Tampered, truncated, or sealed with another key of the same id.
    #[error("a sealed value could not be decrypted (wrong key or tampered)")]
    Corrupt,
    /// Configuration text is not `id:hex64,…`.
    #[error("encryption keys: {0}")]
    Config(String),
    /// The OS random source failed.
    #[error("random source failed")]
    Random,
}

/// The keys; cheap to clone.
#[derive(Clone)]
pub struct Vault {
    keys: Arc<Vec<(String, Aes256Gcm)>>,
}

// Never print key material.
impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "Vault(keys {ids:?}, active {})", ids[0])
    }
}

impl Vault {
    /// A vault from `(id, 32-byte key)` pairs; the first is active.
    pub fn new(keys: Vec<(String, [u8; 32])>) -> Result<Vault, VaultError> {
        if keys.is_empty() {
            return Err(VaultError::Config("at least one key is needed".into()));
        }
        let mut out = Vec::new();
        for (id, key) in keys {
            if id.is_empty()
                || id.len() > 32
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(VaultError::Config(format!(
                    "key id '{id}' must be 1-32 of A-Z a-z 0-9 - _"
                )));
            }
            out.push((id, Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key))));
        }
        Ok(Vault {
            keys: Arc::new(out),
        })
    }

    /// Parses `id:hex64[,id:hex64…]` (first active).
    pub fn from_config(text: &str) -> Result<Vault, VaultError> {
        let mut keys = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, hex_key) = part
                .split_once(':')
                .ok_or_else(|| VaultError::Config("expected id:hex64".into()))?;
            let bytes = hex::decode(hex_key.trim())
                .map_err(|_| VaultError::Config(format!("key '{id}' is not hex")))?;
            let key: [u8; 32] = bytes.try_into().map_err(|_| {
                VaultError::Config(format!("key '{id}' must be 32 bytes (64 hex digits)"))
            })?;
            keys.push((id.trim().to_string(), key));
        }
        Vault::new(keys)
    }

    /// A fresh random key as configuration text (`id:hex64`).
    pub fn generate(id: &str) -> Result<String, VaultError> {
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).map_err(|_| VaultError::Random)?;
        Ok(format!("{id}:{}", hex::encode(key)))
    }

    /// The built-in development key (derived from a constant): tests and benchmarks only.
    pub fn dev() -> Vault {
        let key: [u8; 32] =
            Sha256::digest(b"clearway development key; never use in production").into();
        Vault::new(vec![("dev".into(), key)]).expect("valid dev key")
    }

    /// Id of the key new values are sealed with.
    pub fn active_key_id(&self) -> &str {
        &self.keys[0].0
    }

    /// Whether this vault only has the built-in development key.
    pub fn is_dev(&self) -> bool {
        self.keys.len() == 1 && self.keys[0].0 == "dev"
    }

    /// Seals bytes with the active key: `(key id, hex(nonce ‖ ciphertext ‖ tag))`.
    pub fn seal_bytes(&self, clear: &[u8]) -> Result<(String, String), VaultError> {
        let (id, cipher) = &self.keys[0];
        let mut nonce = [0u8; 12];
        getrandom::getrandom(&mut nonce).map_err(|_| VaultError::Random)?;
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), clear)
            .map_err(|_| VaultError::Corrupt)?;
        let mut out = Vec::with_capacity(12 + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok((id.clone(), hex::encode(out)))
    }

    /// Seals an account number or IBAN, keeping its last four for display.
    pub fn seal(&self, clear: &str) -> Result<Sealed, VaultError> {
        let (key_id, ciphertext) = self.seal_bytes(clear.as_bytes())?;
        Ok(Sealed {
            key_id,
            ciphertext,
            last4: clearway_core::payments::last4(clear),
        })
    }

    /// Opens a sealed value.
    pub fn open_bytes(&self, key_id: &str, ciphertext_hex: &str) -> Result<Vec<u8>, VaultError> {
        let cipher = self
            .keys
            .iter()
            .find(|(id, _)| id == key_id)
            .map(|(_, c)| c)
            .ok_or_else(|| VaultError::UnknownKey(key_id.to_string()))?;
        let mut raw = decode_hex(ciphertext_hex).ok_or(VaultError::Corrupt)?;
        if raw.len() < 12 + 16 {
            return Err(VaultError::Corrupt);
        }
        // Decrypted in place: one allocation per value (files open 100,000 of them at once).
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&raw[..12]);
        raw.drain(..12);
        cipher
            .decrypt_in_place(Nonce::from_slice(&nonce), b"", &mut raw)
            .map_err(|_| VaultError::Corrupt)?;
        Ok(raw)
    }

    /// Opens a sealed account number.
    pub fn open(&self, sealed: &Sealed) -> Result<String, VaultError> {
        let bytes = self.open_bytes(&sealed.key_id, &sealed.ciphertext)?;
        String::from_utf8(bytes).map_err(|_| VaultError::Corrupt)
    }

    /// Re-seals a value under the active key (rotation).
    pub fn reseal(&self, sealed: &Sealed) -> Result<Sealed, VaultError> {
        let clear = self.open(sealed)?;
        self.seal(&clear)
    }
}

/// Lower- or upper-case hex to bytes, straight into one buffer (`hex::decode` goes through an
/// iterator per pair; this is on the path of every account number of a file).
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let b = text.as_bytes();
    if matches!(b.len() % 2, 1) {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() / 2);
    for pair in b.chunks_exact(2) {
        out.push(nibble(pair[0])? << 4 | nibble(pair[1])?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_decodes_like_the_hex_crate() {
        for text in ["", "00ff", "DEADbeef", "0", "zz", "0g", "a1b2c3"] {
            assert_eq!(super::decode_hex(text), hex::decode(text).ok(), "{text}");
        }
    }

    use super::*;

    #[test]
    fn seals_open_and_rotate() {
        let old = Vault::from_config(&Vault::generate("k1").unwrap()).unwrap();
        let sealed = old.seal("123456789012").unwrap();
        assert_eq!(sealed.key_id, "k1");
        assert_eq!(sealed.last4, "9012");
        assert!(!sealed.ciphertext.contains("123456789012"));
        assert_ne!(
            old.seal("123456789012").unwrap().ciphertext,
            sealed.ciphertext,
            "random nonce"
        );
        assert_eq!(old.open(&sealed).unwrap(), "123456789012");

        // Rotation: k2 active, k1 still readable; after re-sealing, k1 can go.
        let k1 = old.keys[0].1.clone();
        let k2 = Vault::generate("k2").unwrap();
        let both = Vault::from_config(&format!("{k2},k1:{}", "00".repeat(32))).unwrap();
        assert!(
            matches!(both.open(&sealed), Err(VaultError::Corrupt)),
            "same id, other key"
        );
        let both = Vault {
            keys: Arc::new(vec![both.keys[0].clone(), ("k1".into(), k1)]),
        };
        assert_eq!(both.open(&sealed).unwrap(), "123456789012");
        let resealed = both.reseal(&sealed).unwrap();
        assert_eq!(resealed.key_id, "k2");
        let only_new = Vault::from_config(&k2).unwrap();
        assert_eq!(only_new.open(&resealed).unwrap(), "123456789012");
        assert!(matches!(
            only_new.open(&sealed),
            Err(VaultError::UnknownKey(_))
        ));

        let mut tampered = resealed.clone();
        tampered.ciphertext.replace_range(
            30..32,
            if &tampered.ciphertext[30..32] == "00" {
                "01"
            } else {
                "00"
            },
        );
        assert!(matches!(only_new.open(&tampered), Err(VaultError::Corrupt)));
        assert!(
            !format!("{only_new:?}").contains(&k2[3..]),
            "debug shows no key"
        );
    }

    #[test]
    fn bad_configuration_is_refused() {
        for bad in ["", "k1", "k1:zz", "k1:00", "bad id:".to_string().as_str()] {
            assert!(Vault::from_config(bad).is_err(), "{bad}");
        }
    }
}
