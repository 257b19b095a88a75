//! The orders the model keeps things in: chain order and list order of deployments, and a merge
//! of two sorted lists.

use super::graph::Interner;
use super::ids::SourceId;
use super::state::Dep;
use std::cmp::Ordering;

/// Chain order: finish time, then id, then source (deterministic whatever the arrival order).
pub(crate) fn dep_order(sources: &Interner<SourceId>, a: &Dep, b: &Dep) -> Ordering {
    a.chain_fin
        .cmp(&b.chain_fin)
        .then_with(|| a.ev.id.cmp(&b.ev.id))
        .then_with(|| by_source(sources, a, b))
}

/// By source name (not by when the source was first seen).
pub(crate) fn by_source(sources: &Interner<SourceId>, a: &Dep, b: &Dep) -> Ordering {
    if a.ev.source == b.ev.source {
        return Ordering::Equal;
    }
    sources
        .resolve(a.ev.source)
        .cmp(sources.resolve(b.ev.source))
}

/// List order: in progress (not finished) first, newest started first; then newest finished;
/// then id and source.
pub(crate) fn list_order(sources: &Interner<SourceId>, da: &Dep, db: &Dep) -> Ordering {
    let (a, b) = (&da.ev, &db.ev);
    a.finished_at
        .is_some()
        .cmp(&b.finished_at.is_some())
        .then_with(|| b.finished_at.cmp(&a.finished_at))
        .then_with(|| b.started_at.cmp(&a.started_at))
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| by_source(sources, da, db))
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
