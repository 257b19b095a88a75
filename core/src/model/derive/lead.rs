//! Lead times of a deployment's changes on the three bases (step 6 of `derive`).

use super::push_span;
use crate::model::ids::DepId;
use crate::model::Org;

impl Org {
    /// Lead times of a deployment's changes on the three bases, in ms, from its finish:
    /// - `commit`: each change's authored time;
    /// - `pull_request`: per merged pull request anchored at one of its changes (merge commit,
    ///   else last commit), the earliest authored time of its commits known in the graph, else
    ///   its opened time;
    /// - `merge`: per such pull request, its merged time.
    ///
    /// A baseline counts none. Negative spans are counted apart, never clamped.
    pub(crate) fn derive_lead(&mut self, slot: DepId) {
        let dep = &self.deps[slot];
        let mut lead: [Vec<i64>; 3] = Default::default();
        let mut negative = [0u32; 3];
        let mut median = None;
        let repo = dep.chain.and_then(|c| self.chains[c].repo);
        if let (Some(ri), false) = (repo, dep.is_baseline()) {
            let r = &self.repos[ri];
            let fin = dep.chain_fin;
            lead[0].reserve(dep.d.changes.len());
            for &x in &dep.d.changes {
                push_span(&mut lead[0], &mut negative[0], fin - r.authored[x]);
                for p in r.pr_anchor.get(x) {
                    let pr = &self.prs[p];
                    let Some(merged) = pr.merged_at else {
                        continue;
                    };
                    let first = pr
                        .commits
                        .iter()
                        .filter(|&&c| r.is_known(c))
                        .map(|&c| r.authored[c])
                        .min()
                        .unwrap_or(pr.opened_at);
                    push_span(&mut lead[1], &mut negative[1], fin - first);
                    push_span(&mut lead[2], &mut negative[2], fin - merged);
                }
            }
            if !lead[0].is_empty() {
                let mut v = lead[0].clone();
                median = crate::stats::summarize_millis(&mut v).map(|s| s.median * 1000.0);
            }
        }
        let d = &mut self.deps[slot].d;
        d.lead = lead;
        d.negative = negative;
        d.median_commit_ms = median;
    }
}
