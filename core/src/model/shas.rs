//! A repository's shas, interned to dense [`CommitId`](super::ids::CommitId)s and stored once.
//! A git SHA-1 written the usual way (40 lowercase hex digits) is kept as its 20 bytes; any
//! other name (uppercase, abbreviated, a SHA-256, a test's `c1`) as its text, so that every sha
//! reads back exactly as it was given.

use super::graph::FxHasher;
use super::ids::Id;
use serde::{Deserialize, Serialize};
use std::hash::Hasher;

/// Set in an entry's end offset when the entry is a packed SHA-1.
const PACKED: u64 = 1 << 63;

#[derive(Clone, Serialize, Deserialize)]
#[serde(bound(serialize = "I: Serialize", deserialize = "I: Deserialize<'de>"))]
pub(crate) struct ShaTable<I> {
    /// The entries end to end: 20 bytes for a packed sha, else the text's bytes.
    bytes: Vec<u8>,
    /// Where each entry ends in `bytes` (entry `i` starts where `i - 1` ends), with [`PACKED`].
    ends: Vec<u64>,
    /// Open addressing over the ids, at most half full.
    table: Vec<Option<I>>,
    shift: u32,
}

impl<I> Default for ShaTable<I> {
    fn default() -> Self {
        ShaTable {
            bytes: Vec::new(),
            ends: Vec::new(),
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

impl<I: Id> ShaTable<I> {
    fn entry(&self, i: usize) -> (bool, &[u8]) {
        let start = match i {
            0 => 0,
            _ => self.ends.get(i - 1).map_or(0, |e| e & !PACKED),
        };
        let end = self.ends.get(i).copied().unwrap_or(0);
        let packed = end & PACKED != 0;
        let range =
            usize::try_from(start).unwrap_or(0)..usize::try_from(end & !PACKED).unwrap_or(0);
        (packed, self.bytes.get(range).unwrap_or_default())
    }

    fn find(&self, packed: bool, bytes: &[u8]) -> Option<I> {
        if self.table.is_empty() {
            return None;
        }
        let mask = self.table.len() - 1;
        let mut i = (hash(packed, bytes) >> self.shift) as usize;
        loop {
            let id = self.table[i]?;
            if self.entry(id.index()) == (packed, bytes) {
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
        if (self.ends.len() + 1) * 2 > self.table.len() {
            self.grow();
        }
        let id = I::from_index(self.ends.len());
        self.bytes.extend_from_slice(bytes);
        let end = self.bytes.len() as u64 | if is_packed { PACKED } else { 0 };
        self.ends.push(end);
        self.place(id);
        id
    }

    /// The sha of `id`, as it was given.
    pub(crate) fn resolve(&self, id: I) -> String {
        let (packed, bytes) = self.entry(id.index());
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
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    fn place(&mut self, id: I) {
        let mask = self.table.len() - 1;
        let (packed, bytes) = self.entry(id.index());
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
        for i in 0..self.ends.len() {
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
        let distinct: std::collections::HashSet<_> = ids.iter().map(|i| i.index()).collect();
        assert_eq!(distinct.len(), names.len());
        let text: usize = names.iter().skip(1).map(String::len).sum();
        assert_eq!(t.bytes.len(), 20 + text, "the lowercase SHA-1 is packed");
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
