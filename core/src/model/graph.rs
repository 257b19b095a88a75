//! Compact in-memory storage for the commit graph: shas interned to dense [`CommitId`]s per
//! repository, parents as ids (the containers are in `collections`).
//!
//! A million commits take on the order of a hundred bytes each.

use super::collections::{ColumnMultiMap, FxMap, Interner, MultiMap};
use super::ids::{ChainId, CommitId, DepId, IdVec, PathId, PrId, SourceId};
use super::shas::ShaTable;
use crate::events::Commit;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The authored time of a commit the graph names (as a parent or deployed sha) but has not seen.
pub(crate) const UNKNOWN: i64 = i64::MIN;

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
