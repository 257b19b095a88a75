//! A repository's shas, interned to dense [`CommitId`](super::ids::CommitId)s and stored once.
//! A git SHA-1 written the usual way (40 lowercase hex digits) is kept as its 20 bytes; any
//! other name (uppercase, abbreviated, a SHA-256, a test's `c1`) as its text, so that every sha
//! reads back exactly as it was given.

use super::collections::{FxHasher, FxMap};
use super::ids::Id;
use serde::{Deserialize, Serialize};
use std::hash::Hasher;

#[derive(Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "I: Serialize + Eq + std::hash::Hash",
    deserialize = "I: Deserialize<'de> + Eq + std::hash::Hash"
))]
pub(crate) struct ShaTable<I> {
    /// Entry `i`'s 20 bytes when it is a packed SHA-1 (zeros when it is text).
    packed: Vec<[u8; 20]>,
    /// The entries that are text (empty when every sha is a lowercase SHA-1).
    text: FxMap<I, Box<str>>,
    /// Open addressing over the ids, at most half full.
    table: Vec<Option<I>>,
    shift: u32,
}

impl<I> Default for ShaTable<I> {
    fn default() -> Self {
        ShaTable {
            packed: Vec::new(),
            text: FxMap::default(),
            table: Vec::new(),
            shift: 0,
        }
    }
}

/// How `sha` is stored: its 20 bytes when it is 40 lowercase hex digits.
fn pack(sha: &str) -> Option<[u8; 20]> {
    let b = sha.as_bytes();
    if b.len() != 40 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 20];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        out[i] = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hash(packed: bool, bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(bytes);
    h.write_u8(u8::from(packed));
    // Fibonacci hashing: the high bits index the table.
    h.finish().wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl<I: Id + std::hash::Hash> ShaTable<I> {
    fn entry(&self, id: I) -> (bool, &[u8]) {
        match self.text.get(&id) {
            Some(t) => (false, t.as_bytes()),
            None => (
                true,
                self.packed.get(id.index()).map_or(&[][..], |p| &p[..]),
            ),
        }
    }

    fn find(&self, packed: bool, bytes: &[u8]) -> Option<I> {
        if self.table.is_empty() {
            return None;
        }
        let mask = self.table.len() - 1;
        let mut i = (hash(packed, bytes) >> self.shift) as usize;
        loop {
            let id = self.table[i]?;
            if self.entry(id) == (packed, bytes) {
                return Some(id);
            }
            i = (i + 1) & mask;
        }
    }

    pub(crate) fn get(&self, sha: &str) -> Option<I> {
        match pack(sha) {
            Some(p) => self.find(true, &p),
            None => self.find(false, sha.as_bytes()),
        }
    }

    pub(crate) fn intern(&mut self, sha: &str) -> I {
        let packed = pack(sha);
        let (is_packed, bytes): (bool, &[u8]) = match &packed {
            Some(p) => (true, p),
            None => (false, sha.as_bytes()),
        };
        if let Some(id) = self.find(is_packed, bytes) {
            return id;
        }
        let n = self.packed.len();
        if (n + 1) * 2 > self.table.len() {
            self.grow();
        }
        let id = I::from_index(n);
        self.packed.push(packed.unwrap_or([0; 20]));
        if packed.is_none() {
            self.text.insert(id, sha.into());
        }
        self.place(id);
        id
    }

    /// The id in `other` of the sha of `id` here, found without writing the sha out.
    pub(crate) fn translate<J: Id + std::hash::Hash>(
        &self,
        id: I,
        other: &ShaTable<J>,
    ) -> Option<J> {
        let (packed, bytes) = self.entry(id);
        other.find(packed, bytes)
    }

    /// The sha of `id`, as it was given.
    pub(crate) fn resolve(&self, id: I) -> String {
        let (packed, bytes) = self.entry(id);
        if packed {
            let mut s = String::with_capacity(40);
            for b in bytes {
                s.push(char::from(HEX[usize::from(b >> 4)]));
                s.push(char::from(HEX[usize::from(b & 15)]));
            }
            s
        } else {
            String::from_utf8_lossy(bytes).into_owned()
        }
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.packed.shrink_to_fit();
        self.text.shrink_to_fit();
    }

    fn place(&mut self, id: I) {
        let mask = self.table.len() - 1;
        let (packed, bytes) = self.entry(id);
        let mut i = (hash(packed, bytes) >> self.shift) as usize;
        while self.table[i].is_some() {
            i = (i + 1) & mask;
        }
        self.table[i] = Some(id);
    }

    fn grow(&mut self) {
        let size = (self.table.len() * 2).max(16);
        self.table = vec![None; size];
        self.shift = 64 - size.trailing_zeros();
        for i in 0..self.packed.len() {
            self.place(I::from_index(i));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::CommitId;

    #[test]
    fn every_sha_reads_back_as_given_and_hex_ones_take_20_bytes() {
        let mut t: ShaTable<CommitId> = ShaTable::default();
        let names = [
            "94aa6123ccd4254313a76ed8e65a17ab1c9314bb".to_owned(),
            "94AA6123CCD4254313A76ED8E65A17AB1C9314BB".to_owned(),
            "94aa6123ccd4254313a76ed8e65a17ab1c9314b".to_owned(),
            "94aa6123ccd4254313a76ed8e65a17ab1c9314bg".to_owned(),
            "c1".to_owned(),
            String::new(),
            "ありがとう".to_owned(),
            "a".repeat(64),
        ];
        let ids: Vec<CommitId> = names.iter().map(|n| t.intern(n)).collect();
        for (n, &id) in names.iter().zip(&ids) {
            assert_eq!(t.resolve(id), *n);
            assert_eq!(t.get(n), Some(id));
            assert_eq!(t.intern(n), id, "interned once");
        }
        let mut other: ShaTable<crate::model::ids::ShaId> = ShaTable::default();
        let in_other: Vec<_> = names[2..5].iter().map(|n| other.intern(n)).collect();
        for (i, &id) in ids.iter().enumerate() {
            let want = (2..5).contains(&i).then(|| in_other[i - 2]);
            assert_eq!(t.translate(id, &other), want, "{}", names[i]);
        }
        let distinct: std::collections::HashSet<_> = ids.iter().map(|i| i.index()).collect();
        assert_eq!(distinct.len(), names.len());
        assert_eq!(
            t.text.len(),
            names.len() - 1,
            "the lowercase SHA-1 is packed"
        );
        assert!(!t.text.contains_key(&ids[0]));
        for n in 0..5_000 {
            let sha = format!("{n:040x}");
            let id = t.intern(&sha);
            assert_eq!(t.resolve(id), sha);
        }
        assert_eq!(
            t.get(&format!("{:040x}", 4_999)).map(|i| t.resolve(i)),
            Some(format!("{:040x}", 4_999))
        );
        assert_eq!(t.get("0000000000000000000000000000000000005000"), None);
    }
}
