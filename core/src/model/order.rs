//! The orders the model keeps things in: chain order and list order of deployments, and a merge
//! of two sorted lists.

use super::collections::Interner;
use super::ids::{DepName, SourceId};
use super::state::Dep;
use super::Org;
use std::cmp::Ordering;

/// The names a deployment is ordered by (its id and source), from the model's interners.
#[derive(Clone, Copy)]
pub(crate) struct DepNames<'a> {
    pub(crate) sources: &'a Interner<SourceId>,
    pub(crate) ids: &'a Interner<DepName>,
}

impl Org {
    pub(crate) fn dep_names(&self) -> DepNames<'_> {
        DepNames {
            sources: &self.sources,
            ids: &self.dep_names,
        }
    }
}

impl<'a> DepNames<'a> {
    pub(crate) fn id(self, d: &Dep) -> &'a str {
        self.ids.resolve(d.ev.id)
    }

    /// What chain order sorts by: (finish, id, source).
    pub(crate) fn chain_key(self, d: &Dep) -> (i64, &'a str, &'a str) {
        (d.chain_fin, self.id(d), self.sources.resolve(d.ev.source))
    }

    /// Chain order: finish time, then id, then source (deterministic whatever the arrival
    /// order).
    pub(crate) fn chain_order(self, a: &Dep, b: &Dep) -> Ordering {
        a.chain_fin
            .cmp(&b.chain_fin)
            .then_with(|| self.by_id(a, b))
            .then_with(|| self.by_source(a, b))
    }

    /// List order: in progress (not finished) first, newest started first; then newest
    /// finished; then id and source.
    pub(crate) fn list_order(self, da: &Dep, db: &Dep) -> Ordering {
        let (a, b) = (&da.ev, &db.ev);
        let (fa, fb) = (a.finished_at(), b.finished_at());
        fa.is_some()
            .cmp(&fb.is_some())
            .then_with(|| fb.cmp(&fa))
            .then_with(|| b.started_at().cmp(&a.started_at()))
            .then_with(|| self.by_id(da, db))
            .then_with(|| self.by_source(da, db))
    }

    /// By id text.
    pub(crate) fn by_id(self, a: &Dep, b: &Dep) -> Ordering {
        if a.ev.id == b.ev.id {
            return Ordering::Equal;
        }
        self.id(a).cmp(self.id(b))
    }

    /// By source name (not by when the source was first seen).
    pub(crate) fn by_source(self, a: &Dep, b: &Dep) -> Ordering {
        if a.ev.source == b.ev.source {
            return Ordering::Equal;
        }
        self.sources
            .resolve(a.ev.source)
            .cmp(self.sources.resolve(b.ev.source))
    }
}

/// Merges two lists sorted by `order` into one.
pub(crate) fn merge_sorted<T: Copy>(
    a: Vec<T>,
    b: Vec<T>,
    order: impl Fn(&T, &T) -> Ordering,
) -> Vec<T> {
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if order(&a[i], &b[j]).is_le() {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}
