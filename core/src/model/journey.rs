//! One pull request's journey: its events, its stages along the default chain once it reached
//! production, its commits, the CI runs on them, its deployment and its incidents.

use super::ids::{CommitId, DepId, RepoId, RunId};
use super::Org;
use crate::api::{Journey, JourneyCommit, JourneyEvent, JourneyStage};
use crate::events::EnvironmentTier;
use crate::time::Timestamp;
use crate::valuestream::{way, ChainName, Events};

impl Org {
    /// One pull request (`repo#id`, of `source` or the first that has it): its events, its
    /// stages along the default chain once it reached production, its commits, CI runs,
    /// deployment and incidents; and its repository's services (for the caller's access).
    pub fn journey(
        &self,
        repo: &str,
        id: &str,
        source: Option<&str>,
    ) -> Option<(Journey, Vec<String>)> {
        let name = format!("{repo}#{id}");
        let p = match source {
            Some(s) => self.pr_keys.get(&super::key_of(s, &name))?,
            None => self
                .prs
                .ids()
                .filter(|&p| self.pr_name(p) == name)
                .min_by_key(|&p| self.sources.resolve(self.prs[p].source))?,
        };
        let pr = &self.prs[p];
        let r = &self.repos[pr.repo];
        let services = self.repo_services();
        let svc: Vec<String> = services
            .get(&pr.repo)
            .map(|v| v.iter().map(|s| (*s).to_owned()).collect())
            .unwrap_or_default();
        // Its first production deployment: the one whose changes hold its anchor commit.
        let dep = pr
            .anchor()
            .and_then(|a| self.first_production_dep(pr.repo, a));
        let chain = ChainName::Default.chain();
        let (events, _) = match dep {
            Some(d) => self.pr_events(p, d, self.deploy_categories()),
            None => (
                Events {
                    first_commit: pr
                        .commits
                        .iter()
                        .filter(|&&c| r.is_known(c))
                        .map(|&c| r.authored[c])
                        .min(),
                    opened: Some(pr.opened_at),
                    first_review: pr.first_review_at,
                    approved: pr.approved_at,
                    merged: pr.merged_at,
                    ..Events::default()
                },
                Vec::new(),
            ),
        };
        let way = dep.and_then(|_| way(&chain, &events));
        let mut stages = Vec::new();
        if let Some(w) = &way {
            let at = |i: usize| events.at(chain.points[i]).unwrap_or(0);
            for s in &w.spans {
                let (label, key) = s.label(&chain);
                stages.push(JourneyStage {
                    key,
                    label,
                    from: Timestamp(at(s.from)),
                    to: Timestamp(at(s.from) + s.ms),
                    secs: s.ms as f64 / 1000.0,
                });
            }
        }
        // Its commits and its merge commit, and every CI attempt on them.
        let mut commits: Vec<(CommitId, bool)> = pr.commits.iter().map(|&c| (c, false)).collect();
        if let Some(m) = pr.merge_commit {
            commits.push((m, true));
        }
        let mut runs: Vec<RunId> = Vec::new();
        for &(c, _) in &commits {
            if let Some(sha) = self.dep_shas.get(&r.sha(c)) {
                for &wf in self.repo_workflows(pr.repo) {
                    runs.extend(self.group(&(pr.repo, wf, sha)).iter().copied());
                }
            }
        }
        runs.sort_by_key(|&s| (self.runs[s].at(), s));
        let incidents = dep
            .map(|d| {
                self.deps[d]
                    .d
                    .incidents
                    .iter()
                    .map(|&i| self.incs[i].ev.id.clone())
                    .collect()
            })
            .unwrap_or_default();
        Some((
            Journey {
                repo: r.name.to_string(),
                id: self.pr_id(p).to_owned(),
                source: self.sources.resolve(pr.source).to_owned(),
                // Every event, approval included (the default chain has no stage for it).
                events: ChainName::Approval
                    .chain()
                    .points
                    .iter()
                    .map(|&pt| JourneyEvent {
                        event: pt,
                        at: events.at(pt).map(Timestamp),
                    })
                    .collect(),
                total_secs: way.as_ref().map(|w| w.total() as f64 / 1000.0),
                stages,
                commits: commits
                    .iter()
                    .map(|&(c, merge)| JourneyCommit {
                        sha: r.sha(c),
                        authored_at: r.is_known(c).then(|| Timestamp(r.authored[c])),
                        merge,
                    })
                    .collect(),
                runs: runs
                    .into_iter()
                    .map(|s| self.run_row(s, &services))
                    .collect(),
                deployment: dep.map(|d| self.dep_names.resolve(self.deps[d].ev.id).to_owned()),
                incidents,
            },
            svc,
        ))
    }

    /// The production deployment whose changes first hold commit `c` of `repo`.
    fn first_production_dep(&self, repo: RepoId, c: CommitId) -> Option<DepId> {
        self.chains
            .iter()
            .filter(|ch| ch.repo == Some(repo))
            .filter_map(|ch| ch.owner.get(&c).copied())
            .filter(|&d| self.deps[d].tier == EnvironmentTier::Production)
            .min_by_key(|&d| self.deps[d].chain_fin)
    }
}
