//! Walking a chain: each deployment, from its earliest pending position on, takes the commits
//! its sha reaches that no earlier deployment of the chain holds (step 4 of `derive`).

use super::*;
use crate::model::ids::ShaId;
use crate::model::shas::ShaTable;

/// Re-walks the deployment at position `q` of `chain` (see the module documentation).
#[allow(clippy::too_many_arguments)]
fn rewalk(
    chain: &mut Chain,
    deps: &mut IdVec<DepId, Dep>,
    repos: &mut IdVec<RepoId, Repo>,
    dep_shas: &ShaTable<ShaId>,
    slot: DepId,
    q: u32,
    pending: &mut BTreeSet<u32>,
    released: &mut FxSet<CommitId>,
    scratch: &mut Scratch,
) {
    let s = slot;
    let mut old = std::mem::take(&mut deps[s].d.changes).into_vec();
    old.extend(std::mem::take(&mut deps[s].d.passed));
    let old_missing = std::mem::take(&mut deps[s].d.missing);
    remove_waiting(repos, deps[s].d.missing_repo, old_missing, slot);
    for x in &old {
        if chain.owner.get(x) == Some(&slot) {
            chain.owner.remove(x);
        }
    }
    let mut changes = Vec::new();
    let mut passed = Vec::new();
    let mut missing = Vec::new();
    let mut n_graph = 0;
    let incomplete;
    match chain.repo {
        None => incomplete = true,
        Some(ri) => {
            let r = &mut repos[ri];
            let deps_ro: &IdVec<DepId, Dep> = deps;
            // May `slot` take commit `x`? Not if it holds it already or an earlier one does;
            // taking it from a later deployment makes that one pending.
            let claim = |x: CommitId, owner: &Owners, pending: &mut BTreeSet<u32>| -> bool {
                match owner.get(&x) {
                    Some(&o) if o == slot => false,
                    Some(&o) => {
                        let p = deps_ro[o].pos;
                        if p < q {
                            false
                        } else {
                            pending.insert(p);
                            true
                        }
                    }
                    None => true,
                }
            };
            scratch.stack.clear();
            scratch.seen_missing.clear();
            scratch
                .stack
                .push(r.node(&dep_shas.resolve(deps_ro[s].ev.sha)));
            while let Some(x) = scratch.stack.pop() {
                if !claim(x, &chain.owner, pending) {
                    continue;
                }
                if !r.is_known(x) {
                    if scratch.seen_missing.insert(x) {
                        missing.push(x);
                    }
                    continue;
                }
                chain.owner.insert(x, slot);
                if r.touches(x, chain.scope.as_deref()) {
                    changes.push(x);
                } else {
                    passed.push(x);
                }
                let stack = &mut scratch.stack;
                r.for_each_parent(x, |p| stack.push(p));
            }
            n_graph = changes.len();
            incomplete = !missing.is_empty();
            if incomplete {
                // Fallback: the pushed commit list, for known commits not yet assigned.
                for sha in deps_ro[s].ev.commits() {
                    let x = r.node(sha);
                    if !r.is_known(x) {
                        if scratch.seen_missing.insert(x) {
                            missing.push(x);
                        }
                        continue;
                    }
                    if claim(x, &chain.owner, pending) {
                        chain.owner.insert(x, slot);
                        if r.touches(x, chain.scope.as_deref()) {
                            changes.push(x);
                        } else {
                            passed.push(x);
                        }
                    }
                }
            }
            for &m in &missing {
                let v = r.waiting.entry(m).or_default();
                if !v.contains(&slot) {
                    v.push(slot);
                }
            }
        }
    }
    for x in changes.iter().chain(&passed) {
        released.remove(x);
    }
    for x in old {
        if !chain.owner.contains_key(&x) {
            released.insert(x);
        }
    }
    let d = &mut deps[s].d;
    d.changes = changes.into_boxed_slice();
    d.passed = passed.into_boxed_slice();
    d.n_graph = n_graph as u32;
    d.incomplete = incomplete;
    d.missing = missing.into_boxed_slice();
    d.missing_repo = chain.repo;
}

impl Org {
    pub(super) fn walk_chain(
        &mut self,
        c: ChainId,
        w: ChainWork,
        lead: &mut FxSet<DepId>,
        scratch: &mut Scratch,
    ) {
        let Org {
            chains,
            deps,
            repos,
            dep_shas,
            sources,
            dep_names,
            ..
        } = self;
        let names = super::super::order::DepNames {
            sources,
            ids: dep_names,
        };
        let chain = &mut chains[c];
        let n = chain.deps.len() as u32;
        let mut pending: BTreeSet<u32> = w
            .pending
            .iter()
            .filter(|&&s| deps[s].chain == Some(c))
            .map(|&s| deps[s].pos)
            .collect();
        let mut start = pending.first().copied();
        for (fin, id, source) in &w.removed {
            let p = chain.deps.partition_point(|&s| {
                let d = &deps[s];
                names.chain_key(d) < (*fin, id.as_str(), source.as_str())
            }) as u32;
            start = Some(start.map_or(p, |s| s.min(p)));
        }
        if w.full {
            start = Some(0);
        }
        let mut released = w.released;
        if let Some(mut q) = start {
            while q < n {
                pending.remove(&q);
                let slot = chain.deps[q as usize];
                rewalk(
                    chain,
                    deps,
                    repos,
                    dep_shas,
                    slot,
                    q,
                    &mut pending,
                    &mut released,
                    scratch,
                );
                lead.insert(slot);
                q = if w.full || !released.is_empty() {
                    q + 1
                } else {
                    match pending.range(q + 1..).next() {
                        Some(&p) => p,
                        None => break,
                    }
                };
            }
        }
        // The baseline changed: both the old and the new one count lead times differently now.
        let first = chain.deps.first().copied();
        if first != chain.baseline {
            lead.extend([first, chain.baseline].into_iter().flatten());
            chain.baseline = first;
        }
    }
}
