//! Lead times of a deployment's changes on the three bases (step 6 of `derive`).
//!
//! The values are not kept per deployment: the tier index holds them, each day's sorted
//! (`index.rs`), and [`Org::lead_times`] computes one deployment's again when a query needs
//! them row by row (a service or team filter, the partial days at a window's ends). Derivation
//! keeps only what the rows carry: the negative spans per basis and the median commit lead
//! time.

use super::push_span;
use crate::model::ids::{DepId, PrId};
use crate::model::state::OptF64;
use crate::model::Org;

impl Org {
    /// Appends the non-negative lead times (ms, from the deployment's finish) of a
    /// deployment's changes on basis `b` to `out`; returns how many spans were negative (left
    /// out, never clamped):
    /// - 0, `commit`: each change's authored time;
    /// - 1, `pull_request`: per merged pull request anchored at one of its changes (merge
    ///   commit, else last commit), the earliest authored time of its commits known in the
    ///   graph, else its opened time;
    /// - 2, `merge`: per such pull request, its merged time.
    ///
    /// A baseline, or a deployment outside a chain with a repository, has none.
    pub(crate) fn lead_times(&self, slot: DepId, b: usize, out: &mut Vec<i64>) -> u32 {
        let dep = &self.deps[slot];
        let mut negative = 0;
        let repo = dep.chain.and_then(|c| self.chains[c].repo);
        let (Some(ri), false) = (repo, dep.is_baseline()) else {
            return 0;
        };
        let r = &self.repos[ri];
        let fin = dep.chain_fin;
        if b == 0 {
            out.reserve(dep.d.changes.len());
            for &x in &dep.d.changes {
                push_span(out, &mut negative, fin - r.authored[x]);
            }
            return negative;
        }
        for &x in &dep.d.changes {
            for p in r.pr_anchor.get(x) {
                let pr = &self.prs[p];
                let Some(merged) = pr.merged_at else {
                    continue;
                };
                let span = if b == 1 {
                    let first = pr
                        .commits
                        .iter()
                        .filter(|&&c| r.is_known(c))
                        .map(|&c| r.authored[c])
                        .min()
                        .unwrap_or(pr.opened_at);
                    fin - first
                } else {
                    fin - merged
                };
                push_span(out, &mut negative, span);
            }
        }
        negative
    }

    /// The merged pull requests anchored at a deployment's changes, in the order
    /// [`Org::lead_times`] counts them; none for a baseline or outside a chain with a
    /// repository.
    fn merged_prs(&self, slot: DepId) -> Box<[PrId]> {
        let dep = &self.deps[slot];
        let repo = dep.chain.and_then(|c| self.chains[c].repo);
        let (Some(ri), false) = (repo, dep.is_baseline()) else {
            return Box::default();
        };
        let r = &self.repos[ri];
        dep.d
            .changes
            .iter()
            .flat_map(|&x| r.pr_anchor.get(x))
            .filter(|&p| self.prs[p].merged_at.is_some())
            .collect()
    }

    /// What the rows carry of a deployment's lead times: the negative spans per basis, and
    /// the median commit lead time.
    pub(crate) fn derive_lead(&mut self, slot: DepId) {
        let mut negative = [0u32; 3];
        let mut values = Vec::new();
        for (b, n) in negative.iter_mut().enumerate().rev() {
            values.clear();
            *n = self.lead_times(slot, b, &mut values);
        }
        // `values` holds basis 0's (the last computed).
        let median = crate::stats::summarize_millis(&mut values).map(|s| s.median * 1000.0);
        let prs = self.merged_prs(slot);
        let d = &mut self.deps[slot].d;
        d.prs = prs;
        d.negative = negative;
        d.median_commit_ms = OptF64::new(median);
    }
}
