//! A hash multimap from 64-bit keys to 32-bit values, stored as chains in flat vectors.
//!
//! One allocation per table instead of one `Vec` per key keeps a million-entry index cheap
//! to build; keys are already well-mixed hashes, so the map hashes them by identity.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const END: u32 = u32::MAX;

/// Hasher for keys that are already uniformly mixed 64-bit hashes.
#[derive(Default)]
pub(crate) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are ever hashed; fold anything else for completeness.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Key → many values; values come back newest first.
pub(crate) struct MultiIndex {
    heads: HashMap<u64, u32, BuildHasherDefault<IdentityHasher>>,
    next: Vec<u32>,
    values: Vec<u32>,
}

impl MultiIndex {
    /// An empty index sized for `n` entries.
    pub(crate) fn with_capacity(n: usize) -> Self {
        MultiIndex {
            heads: HashMap::with_capacity_and_hasher(n, BuildHasherDefault::default()),
            next: Vec::with_capacity(n),
            values: Vec::with_capacity(n),
        }
    }

    /// Adds `value` under `key`.
    pub(crate) fn insert(&mut self, key: u64, value: u32) {
        let slot = self.values.len() as u32;
        let previous = self.heads.insert(key, slot).unwrap_or(END);
        self.next.push(previous);
        self.values.push(value);
    }

    /// The values under `key`.
    pub(crate) fn get(&self, key: u64) -> Chain<'_> {
        Chain {
            index: self,
            slot: self.heads.get(&key).copied().unwrap_or(END),
        }
    }
}

/// Iterator over one key's values.
pub(crate) struct Chain<'a> {
    index: &'a MultiIndex,
    slot: u32,
}

impl Iterator for Chain<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.slot == END {
            return None;
        }
        let i = self.slot as usize;
        self.slot = self.index.next[i];
        Some(self.index.values[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_value_of_a_key() {
        let mut index = MultiIndex::with_capacity(4);
        index.insert(7, 1);
        index.insert(9, 2);
        index.insert(7, 3);
        assert_eq!(index.get(7).collect::<Vec<_>>(), vec![3, 1]);
        assert_eq!(index.get(9).collect::<Vec<_>>(), vec![2]);
        assert_eq!(index.get(8).count(), 0);
    }
}
