//! Compact in-memory storage for the commit graph: shas interned to dense [`CommitId`]s per
//! repository, parents as ids, and a fast non-cryptographic hasher for id-keyed maps.
//!
//! A million commits take on the order of a hundred bytes each.

use super::ids::{ChainId, CommitId, DepId, Id, IdVec, PathId, PrId, SourceId};
use super::shas::ShaTable;
use crate::events::Commit;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The authored time of a commit the graph names (as a parent or deployed sha) but has not seen.
pub(crate) const UNKNOWN: i64 = i64::MIN;

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

/// A service's `path_prefix` as the walk compares paths with it: without leading `./` or `/`,
/// ending in `/`; `None` (the whole repository) when empty.
pub(crate) fn scope_of(prefix: Option<&str>) -> Option<Box<str>> {
    let p = prefix?.trim().trim_start_matches("./").trim_matches('/');
    if p.is_empty() {
        return None;
    }
    Some(format!("{p}/").into_boxed_str())
}

/// Whether `path` is inside the folder `scope` (as [`scope_of`] gives it), or is that name.
fn path_in(path: &str, scope: &str) -> bool {
    path.starts_with(scope) || scope.strip_suffix('/') == Some(path)
}

/// What an upserted commit changed, for re-deriving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommitChange {
    /// Identical to what was held, or a losing duplicate from another source.
    Nothing,
    /// Named before (as a parent or deployed sha) or not at all, now known.
    NewlyKnown,
    /// Was known; its parents (or its changed paths: `parents` too, as both re-walk) and/or
    /// its authored time changed.
    Changed { parents: bool, authored: bool },
}

/// One repository's commit graph. Ids are dense; a sha named only as a parent (or deployed)
/// gets an id and stays unknown until its commit arrives.
#[derive(Clone, Default, Serialize, Deserialize)]
pub(crate) struct Repo {
    pub(crate) name: Box<str>,
    pub(crate) shas: ShaTable<CommitId>,
    /// Authored time, ms; [`UNKNOWN`] until the commit arrives.
    pub(crate) authored: IdVec<CommitId, i64>,
    /// First and second parent.
    p0: IdVec<CommitId, Option<CommitId>>,
    p1: IdVec<CommitId, Option<CommitId>>,
    /// Parents beyond the second (octopus merges).
    extra: FxMap<CommitId, Vec<CommitId>>,
    /// Source of the held event.
    source: IdVec<CommitId, Option<SourceId>>,
    /// The changed paths of held commits that list them (sorted by id); a commit without an
    /// entry has unknown paths and touches every path prefix.
    paths: FxMap<CommitId, Box<[PathId]>>,
    path_names: Interner<PathId>,
    /// Events for the same commit from other sources. The held one is the event whose source
    /// sorts first, so the result never depends on arrival order.
    #[serde(with = "super::as_json")]
    variants: FxMap<CommitId, Vec<Commit>>,
    known: usize,
    variant_count: usize,
    /// Merged pull requests anchored at a commit (merge commit, else last commit).
    pub(crate) pr_anchor: MultiMap<CommitId, PrId>,
    /// Pull requests that list a commit (or have it as merge commit).
    pub(crate) pr_member: ColumnMultiMap<CommitId, PrId>,
    /// Deployments whose last walk met this unknown commit.
    pub(crate) waiting: FxMap<CommitId, Vec<DepId>>,
    /// Chains (service, tier) deriving from this repository.
    pub(crate) chains: Vec<ChainId>,
}

impl Repo {
    pub(crate) fn new(name: &str) -> Repo {
        Repo {
            name: name.into(),
            ..Repo::default()
        }
    }

    /// Gives back the spare capacity of the columns (after a bulk load).
    pub(crate) fn shrink_to_fit(&mut self) {
        self.shas.shrink_to_fit();
        self.authored.shrink_to_fit();
        self.p0.shrink_to_fit();
        self.p1.shrink_to_fit();
        self.source.shrink_to_fit();
        self.extra.shrink_to_fit();
        self.paths.shrink_to_fit();
        self.path_names.shrink_to_fit();
        self.variants.shrink_to_fit();
        self.pr_anchor.shrink_to_fit();
        self.pr_member.shrink_to_fit();
        self.waiting.shrink_to_fit();
    }

    /// The id of a sha, creating an unknown node when it is new.
    pub(crate) fn node(&mut self, sha: &str) -> CommitId {
        let id = self.shas.intern(sha);
        if id == self.authored.next_id() {
            self.authored.push(UNKNOWN);
            self.p0.push(None);
            self.p1.push(None);
            self.source.push(None);
        }
        id
    }

    pub(crate) fn sha(&self, id: CommitId) -> String {
        self.shas.resolve(id)
    }

    /// The source of the held event of a known commit.
    pub(crate) fn held_source(&self, id: CommitId) -> Option<SourceId> {
        self.source.get(id).copied().flatten()
    }

    #[inline]
    pub(crate) fn is_known(&self, id: CommitId) -> bool {
        self.authored.get(id).is_some_and(|&t| t != UNKNOWN)
    }

    /// Commit events held (the winning one per sha plus other sources' duplicates).
    pub(crate) fn event_count(&self) -> usize {
        self.known + self.variant_count
    }

    /// Calls `f` with each parent id.
    #[inline]
    pub(crate) fn for_each_parent(&self, id: CommitId, mut f: impl FnMut(CommitId)) {
        let Some(&Some(a)) = self.p0.get(id) else {
            return;
        };
        f(a);
        let Some(b) = self.p1[id] else { return };
        f(b);
        if let Some(rest) = self.extra.get(&id) {
            rest.iter().for_each(|&p| f(p));
        }
    }

    /// Whether a known commit counts as a change of a service at `scope` (a path prefix, see
    /// [`scope_of`]): it changed a path inside it, or its paths are not known.
    pub(crate) fn touches(&self, id: CommitId, scope: Option<&str>) -> bool {
        let (Some(scope), Some(paths)) = (scope, self.paths.get(&id)) else {
            return true;
        };
        paths
            .iter()
            .any(|&p| path_in(self.path_names.resolve(p), scope))
    }

    fn path_list(&self, id: CommitId) -> Option<Vec<String>> {
        self.paths.get(&id).map(|ps| {
            let mut list: Vec<String> = ps
                .iter()
                .map(|&p| self.path_names.resolve(p).to_owned())
                .collect();
            list.sort_unstable();
            list
        })
    }

    fn parent_ids(&self, id: CommitId) -> Vec<CommitId> {
        let mut v = Vec::new();
        self.for_each_parent(id, |p| v.push(p));
        v
    }

    /// Upserts a commit event. `source` is an id in the org's `sources` interner. Only what
    /// the metrics read is kept (sha, parents, authored time, source); the author, committed
    /// time and message stay in the store, where a detail page reads them.
    pub(crate) fn upsert(
        &mut self,
        c: Commit,
        source: SourceId,
        sources: &Interner<SourceId>,
    ) -> (CommitId, CommitChange) {
        let mut c = c;
        if let Some(paths) = &mut c.paths {
            // One order whatever the sender's, so that duplicates compare as equal.
            paths.sort_unstable();
            paths.dedup();
        }
        let id = self.node(&c.sha);
        if !self.is_known(id) {
            self.store(id, &c, source);
            self.known += 1;
            return (id, CommitChange::NewlyKnown);
        }
        let held = self.source[id];
        if held != Some(source) && held.is_some_and(|h| c.source.as_str() > sources.resolve(h)) {
            // Another source's duplicate that loses: kept for the record only (without what
            // the model never holds: the store has it).
            let c = Commit {
                author: None,
                committed_at: None,
                message: None,
                ..c
            };
            let list = self.variants.entry(id).or_default();
            match list.iter_mut().find(|v| v.source == c.source) {
                Some(v) => *v = c,
                None => {
                    list.push(c);
                    self.variant_count += 1;
                }
            }
            return (id, CommitChange::Nothing);
        }
        if held != Some(source) {
            // The new event wins over the held one, which becomes a variant.
            let old = self.commit_event(id, sources);
            self.variants.entry(id).or_default().push(old);
            self.variant_count += 1;
        }
        let parents_before = self.parent_ids(id);
        let authored_before = self.authored[id];
        let paths_before = self.paths.get(&id).cloned();
        self.store(id, &c, source);
        let parents =
            parents_before != self.parent_ids(id) || paths_before != self.paths.get(&id).cloned();
        let authored = authored_before != self.authored[id];
        let change = if parents || authored {
            CommitChange::Changed { parents, authored }
        } else {
            CommitChange::Nothing
        };
        (id, change)
    }

    fn store(&mut self, id: CommitId, c: &Commit, source: SourceId) {
        let parents: Vec<CommitId> = c.parents.iter().map(|p| self.node(p)).collect();
        // An authored time equal to the sentinel is shifted by a millisecond: it would read as unknown.
        self.authored[id] = if c.authored_at.0 == UNKNOWN {
            UNKNOWN + 1
        } else {
            c.authored_at.0
        };
        self.p0[id] = parents.first().copied();
        self.p1[id] = parents.get(1).copied();
        if parents.len() > 2 {
            self.extra.insert(id, parents[2..].to_vec());
        } else {
            self.extra.remove(&id);
        }
        self.source[id] = Some(source);
        match &c.paths {
            Some(list) => {
                let mut ids: Vec<PathId> = list.iter().map(|p| self.path_names.intern(p)).collect();
                ids.sort_unstable();
                ids.dedup();
                self.paths.insert(id, ids.into_boxed_slice());
            }
            None => {
                self.paths.remove(&id);
            }
        }
    }

    /// The held event of a known commit, rebuilt from what the model keeps (no author,
    /// committed time or message).
    pub(crate) fn commit_event(&self, id: CommitId, sources: &Interner<SourceId>) -> Commit {
        Commit {
            source: self.source[id]
                .map_or("", |s| sources.resolve(s))
                .to_owned(),
            repo: self.name.to_string(),
            sha: self.sha(id),
            parents: self
                .parent_ids(id)
                .into_iter()
                .map(|p| self.sha(p))
                .collect(),
            author: None,
            authored_at: Timestamp(self.authored[id]),
            committed_at: None,
            message: None,
            paths: self.path_list(id),
        }
    }

    /// Every held commit event (winning and duplicate).
    pub(crate) fn events(&self, sources: &Interner<SourceId>) -> Vec<Commit> {
        let mut out = Vec::with_capacity(self.event_count());
        for id in self.authored.ids() {
            if self.is_known(id) {
                out.push(self.commit_event(id, sources));
            }
            if let Some(v) = self.variants.get(&id) {
                out.extend(v.iter().cloned());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
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
