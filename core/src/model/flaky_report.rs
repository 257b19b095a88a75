//! The flaky jobs of a window, with their runs as evidence: found as attempts arrive
//! (`runs.rs`), ranked here. Definitions: `crate::pipelines::flaky`.

use super::ids::{LabelId, RepoId, RunId, ShaId};
use super::Org;
use crate::api::{FlakyEvidence, FlakyJob, FlakyReport};
use crate::query::PipelineWindow;
use crate::time::Timestamp;
use std::collections::BTreeMap;

/// Evidence rows kept per flaky job.
const EVIDENCE: usize = 10;
/// Flaky jobs in a report, at most (the most frequent).
pub const FLAKY_JOBS: usize = 200;

impl Org {
    /// Flaky jobs whose pass finished in the window: most occurrences first, then most time
    /// lost.
    pub fn flaky_jobs(&self, w: &PipelineWindow) -> FlakyReport {
        let repos = self.repo_filter(w.repo.as_deref(), w.service.as_deref(), w.team.as_deref());
        let workflow = w.workflow.as_deref().map(|n| self.labels.get(n));
        type Key = (RepoId, LabelId, LabelId);
        /// An occurrence, until it is one of the newest of its job: (passed at, the passing
        /// attempt, the failed ones, the sha, the time lost).
        type Seen<'a> = (i64, RunId, &'a [RunId], ShaId, i64);
        let mut found: BTreeMap<Key, (FlakyJob, Vec<Seen<'_>>)> = BTreeMap::new();
        for ((repo, wf, sha), occurrences) in &self.flaky {
            if !repos.admits(*repo) || workflow.is_some_and(|x| x != Some(*wf)) {
                continue;
            }
            for o in occurrences.iter() {
                if o.passed_at < w.from.0 || o.passed_at >= w.to.0 {
                    continue;
                }
                let e = found.entry((*repo, *wf, o.job)).or_insert_with(|| {
                    (
                        FlakyJob {
                            repo: self.repos[*repo].name.to_string(),
                            workflow: self.label(*wf).to_owned(),
                            job: self.label(o.job).to_owned(),
                            occurrences: 0,
                            failed_attempts: 0,
                            time_lost_secs: 0.0,
                            failed_job_secs: 0.0,
                            last_seen: Timestamp(o.passed_at),
                            evidence: Vec::new(),
                        },
                        Vec::new(),
                    )
                });
                e.0.occurrences += 1;
                e.0.failed_attempts += o.failed.len() as u64;
                e.0.time_lost_secs += o.time_lost as f64 / 1000.0;
                e.0.failed_job_secs += o.failed_job_time as f64 / 1000.0;
                e.0.last_seen = e.0.last_seen.max(Timestamp(o.passed_at));
                e.1.push((o.passed_at, o.passed, &o.failed, *sha, o.time_lost));
            }
        }
        // Ranked; the first [`FLAKY_JOBS`] written out with their newest occurrences.
        let mut ranked: Vec<(FlakyJob, Vec<Seen<'_>>)> = found.into_values().collect();
        ranked.sort_by(|(a, _), (b, _)| {
            b.occurrences
                .cmp(&a.occurrences)
                .then_with(|| b.time_lost_secs.total_cmp(&a.time_lost_secs))
                .then_with(|| (&a.repo, &a.workflow, &a.job).cmp(&(&b.repo, &b.workflow, &b.job)))
        });
        let jobs_total = ranked.len() as u64;
        ranked.truncate(FLAKY_JOBS);
        let name = |s: RunId| self.run_name(s);
        let jobs = ranked
            .into_iter()
            .map(|(mut j, mut seen)| {
                seen.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| name(a.1).cmp(name(b.1))));
                seen.truncate(EVIDENCE);
                j.evidence = seen
                    .into_iter()
                    .map(|(at, passed, failed, sha, lost)| FlakyEvidence {
                        sha: self.dep_shas.resolve(sha),
                        failed: failed.iter().map(|&s| name(s).to_owned()).collect(),
                        passed: name(passed).to_owned(),
                        passed_at: Timestamp(at),
                        time_lost_secs: lost as f64 / 1000.0,
                    })
                    .collect();
                j
            })
            .collect();
        FlakyReport {
            from: w.from,
            to: w.to,
            jobs_total,
            jobs,
        }
    }
}
