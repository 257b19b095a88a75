//! Compact containers of the model: a fast non-cryptographic hasher for id-keyed maps,
//! strings interned to dense ids in one arena, and maps from a key to a few values that cost
//! one entry for the usual single value.

use super::ids::{Id, IdVec};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The Fx hash (as in rustc): fast and good enough for ids and short strings. Not DoS
/// resistant, which is fine: keys are our own dense ids, or shas bounded by validation.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;
pub(crate) type FxMap<K, V> = HashMap<K, V, FxBuild>;
pub(crate) type FxSet<K> = HashSet<K, FxBuild>;

/// Strings interned to dense ids `0..len`, in an open-addressing table of ids (the strings are
/// stored once).
/// The strings live end to end in one arena (no allocation per string).
#[derive(Clone, Serialize, Deserialize)]
#[serde(bound(serialize = "I: Serialize", deserialize = "I: Deserialize<'de>"))]
pub(crate) struct Interner<I> {
    text: String,
    /// Where each string ends in `text`; string `i` starts where `i - 1` ends.
    ends: Vec<usize>,
    table: Vec<Option<I>>,
    shift: u32,
}

impl<I> Default for Interner<I> {
    fn default() -> Self {
        Interner {
            text: String::new(),
            ends: Vec::new(),
            table: Vec::new(),
            shift: 0,
        }
    }
}

fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.write_usize(s.len());
    // Fibonacci hashing: the high bits index the table.
    h.finish().wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl<I: Id> Interner<I> {
    pub(crate) fn get(&self, s: &str) -> Option<I> {
        if self.table.is_empty() {
            return None;
        }
        let mask = self.table.len() - 1;
        let mut i = (hash_str(s) >> self.shift) as usize;
        loop {
            let id = self.table[i]?;
            if self.resolve(id) == s {
                return Some(id);
            }
            i = (i + 1) & mask;
        }
    }

    pub(crate) fn intern(&mut self, s: &str) -> I {
        if let Some(id) = self.get(s) {
            return id;
        }
        if (self.ends.len() + 1) * 2 > self.table.len() {
            self.grow();
        }
        let id = I::from_index(self.ends.len());
        self.text.push_str(s);
        self.ends.push(self.text.len());
        self.place(id);
        id
    }

    /// Strings held.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn resolve(&self, id: I) -> &str {
        let i = id.index();
        let start = match i {
            0 => 0,
            _ => self.ends.get(i - 1).copied().unwrap_or(0),
        };
        let end = self.ends.get(i).copied().unwrap_or(start);
        self.text.get(start..end).unwrap_or("")
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    fn place(&mut self, id: I) {
        let mask = self.table.len() - 1;
        let mut i = (hash_str(self.resolve(id)) >> self.shift) as usize;
        while self.table[i].is_some() {
            i = (i + 1) & mask;
        }
        self.table[i] = Some(id);
    }

    fn grow(&mut self) {
        let size = (self.table.len() * 2).max(16);
        self.table = vec![None; size];
        self.shift = 64 - size.trailing_zeros();
        for i in 0..self.ends.len() {
            self.place(I::from_index(i));
        }
    }
}

/// A map from a key to a few values, kept in the order they were added, that costs one map
/// entry for the usual single value (a commit is in one pull request): the first value of
/// each key in `one`, any further ones in `more`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "K: Serialize + Eq + std::hash::Hash, V: Serialize",
    deserialize = "K: Deserialize<'de> + Eq + std::hash::Hash, V: Deserialize<'de>"
))]
pub(crate) struct MultiMap<K, V> {
    one: FxMap<K, V>,
    more: FxMap<K, Vec<V>>,
}

impl<K, V> Default for MultiMap<K, V> {
    fn default() -> Self {
        MultiMap {
            one: FxMap::default(),
            more: FxMap::default(),
        }
    }
}

impl<K: Copy + Eq + std::hash::Hash, V: Copy + Eq> MultiMap<K, V> {
    /// The values of `k`, in the order they were added.
    pub(crate) fn get(&self, k: K) -> impl Iterator<Item = V> + '_ {
        self.one
            .get(&k)
            .copied()
            .into_iter()
            .chain(self.more.get(&k).into_iter().flatten().copied())
    }

    /// Adds `v` to `k`'s values unless it is there already.
    pub(crate) fn add(&mut self, k: K, v: V) {
        match self.one.get(&k) {
            None => {
                self.one.insert(k, v);
            }
            Some(&first) if first == v => {}
            Some(_) => {
                let rest = self.more.entry(k).or_default();
                if !rest.contains(&v) {
                    rest.push(v);
                }
            }
        }
    }

    /// Removes `v` from `k`'s values; the others keep their order.
    pub(crate) fn remove(&mut self, k: K, v: V) {
        if self.one.get(&k) == Some(&v) {
            self.one.remove(&k);
            if let Some(rest) = self.more.get_mut(&k) {
                let next = rest.remove(0);
                if rest.is_empty() {
                    self.more.remove(&k);
                }
                self.one.insert(k, next);
            }
        } else if let Some(rest) = self.more.get_mut(&k) {
            rest.retain(|&x| x != v);
            if rest.is_empty() {
                self.more.remove(&k);
            }
        }
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.one.shrink_to_fit();
        self.more.shrink_to_fit();
    }
}

/// [`MultiMap`] for keys that are dense ids, as when nearly every commit has a value (the pull
/// request it is in): the first value of each key in a column indexed by the key (4 bytes a
/// key, no hashing), any further ones in a map.
#[derive(Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "K: Serialize + Eq + std::hash::Hash, V: Serialize",
    deserialize = "K: Deserialize<'de> + Eq + std::hash::Hash, V: Deserialize<'de>"
))]
pub(crate) struct ColumnMultiMap<K, V> {
    one: IdVec<K, Option<V>>,
    more: FxMap<K, Vec<V>>,
}

impl<K, V> Default for ColumnMultiMap<K, V> {
    fn default() -> Self {
        ColumnMultiMap {
            one: IdVec::default(),
            more: FxMap::default(),
        }
    }
}

impl<K: Id + std::hash::Hash, V: Copy + Eq> ColumnMultiMap<K, V> {
    /// The values of `k`, in the order they were added.
    pub(crate) fn get(&self, k: K) -> impl Iterator<Item = V> + '_ {
        self.one
            .get(k)
            .copied()
            .flatten()
            .into_iter()
            .chain(self.more.get(&k).into_iter().flatten().copied())
    }

    /// Adds `v` to `k`'s values unless it is there already.
    pub(crate) fn add(&mut self, k: K, v: V) {
        while self.one.len() <= k.index() {
            self.one.push(None);
        }
        match self.one[k] {
            None => self.one[k] = Some(v),
            Some(first) if first == v => {}
            Some(_) => {
                let rest = self.more.entry(k).or_default();
                if !rest.contains(&v) {
                    rest.push(v);
                }
            }
        }
    }

    /// Removes `v` from `k`'s values; the others keep their order.
    pub(crate) fn remove(&mut self, k: K, v: V) {
        let Some(slot) = self.one.get_mut(k) else {
            return;
        };
        if *slot == Some(v) {
            *slot = None;
            if let Some(rest) = self.more.get_mut(&k) {
                let next = rest.remove(0);
                if rest.is_empty() {
                    self.more.remove(&k);
                }
                self.one[k] = Some(next);
            }
        } else if let Some(rest) = self.more.get_mut(&k) {
            rest.retain(|&x| x != v);
            if rest.is_empty() {
                self.more.remove(&k);
            }
        }
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.one.shrink_to_fit();
        self.more.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::super::ids::{CommitId, PrId};
    use super::*;

    #[test]
    fn interner_round_trips_many_strings() {
        let mut i: Interner<CommitId> = Interner::default();
        for n in 0..10_000 {
            assert_eq!(i.intern(&format!("sha{n}")).index(), n);
        }
        for n in 0..10_000 {
            let id = CommitId::from_index(n);
            assert_eq!(i.get(&format!("sha{n}")), Some(id));
            assert_eq!(i.resolve(id), format!("sha{n}"));
        }
        assert_eq!(i.get("nope"), None);
    }

    /// The column multimap answers as the hashed one, and as a plain list per key, after any
    /// sequence of adds and removes.
    #[test]
    fn column_multimap_behaves_as_the_hashed_one() {
        let mut col: ColumnMultiMap<CommitId, PrId> = ColumnMultiMap::default();
        let mut hashed: MultiMap<CommitId, PrId> = MultiMap::default();
        let mut plain: Vec<Vec<PrId>> = vec![Vec::new(); 40];
        let mut x: u64 = 7;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let k = CommitId::from_index((x >> 33) as usize % 40);
            let v = PrId::from_index((x >> 45) as usize % 5);
            if (x >> 20).is_multiple_of(3) {
                col.remove(k, v);
                hashed.remove(k, v);
                plain[k.index()].retain(|&p| p != v);
            } else {
                col.add(k, v);
                hashed.add(k, v);
                if !plain[k.index()].contains(&v) {
                    plain[k.index()].push(v);
                }
            }
            let got: Vec<PrId> = col.get(k).collect();
            assert_eq!(got, hashed.get(k).collect::<Vec<_>>());
            assert_eq!(got, plain[k.index()]);
        }
        assert_eq!(col.get(CommitId::from_index(1000)).count(), 0);
    }
}
