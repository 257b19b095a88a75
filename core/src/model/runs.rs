//! Pipeline runs, held compactly: one record per attempt, its words interned once for all runs
//! (workflow, branch, job names, …), its sha in the organisation's sha table, and the numbers
//! the views read (outcome, duration, queue time) derived once when it arrives. Job ids and
//! steps are not held: a run's detail reads them from the store.
//!
//! Indexes, kept current by [`Org::derive_runs`]:
//! - `run_list`: the attempts, running first (newest started), then newest finished;
//! - `run_groups`: the attempts of each (repository, workflow, sha) that has more than one, the
//!   only places a flaky job can be.

use super::ids::{IdVec, LabelId, RepoId, RunId, ShaId, SourceId};
use super::order::merge_sorted;
use super::state::OptI64;
use super::Org;
use crate::events::{PipelineJob, PipelineRun};
use crate::pipelines::{self, JobTimes, Outcome, Trigger};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// One attempt of a pipeline run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunRec {
    pub(crate) source: SourceId,
    pub(crate) provider: LabelId,
    /// The run it is an attempt of (`run_id`, or read off the id), and whether it was given.
    pub(crate) run: LabelId,
    pub(crate) run_given: bool,
    /// 0: none given.
    pub(crate) attempt: u32,
    pub(crate) repo: RepoId,
    pub(crate) workflow: LabelId,
    pub(crate) branch: Option<LabelId>,
    pub(crate) sha: Option<ShaId>,
    pub(crate) trigger: Option<LabelId>,
    pub(crate) trigger_kind: Trigger,
    pub(crate) status: LabelId,
    pub(crate) conclusion: Option<LabelId>,
    pub(crate) outcome: Outcome,
    pub(crate) queued_at: OptI64,
    pub(crate) started_at: OptI64,
    pub(crate) finished_at: OptI64,
    pub(crate) duration: OptI64,
    pub(crate) queue: OptI64,
    pub(crate) jobs: Box<[JobRec]>,
}

/// One job of an attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct JobRec {
    pub(crate) name: LabelId,
    pub(crate) category: Option<LabelId>,
    pub(crate) status: Option<LabelId>,
    pub(crate) conclusion: Option<LabelId>,
    pub(crate) outcome: Outcome,
    pub(crate) created: OptI64,
    pub(crate) started: OptI64,
    pub(crate) finished: OptI64,
}

impl JobRec {
    pub(crate) fn times(&self) -> JobTimes {
        JobTimes {
            created: self.created.get(),
            started: self.started.get(),
            finished: self.finished.get(),
        }
    }
}

impl RunRec {
    /// When it finished, else when it started (a running attempt), else when it was queued.
    pub(crate) fn at(&self) -> Option<i64> {
        self.finished_at
            .get()
            .or(self.started_at.get())
            .or(self.queued_at.get())
    }

    pub(crate) fn running(&self) -> bool {
        self.outcome == Outcome::Running
    }
}

/// A job's outcome: from its words; with none, running unless it finished.
fn job_outcome(j: &PipelineJob) -> Outcome {
    let status = j.status.as_deref().unwrap_or("");
    Outcome::of(status, j.conclusion.as_deref()).unwrap_or(if j.finished_at.is_some() {
        Outcome::Skipped
    } else {
        Outcome::Running
    })
}

impl Org {
    /// The record of a run event, its words interned.
    fn run_rec(&mut self, r: &PipelineRun) -> RunRec {
        let l = &mut self.labels;
        let mut jobs: Vec<JobRec> = r
            .jobs
            .iter()
            .map(|j| JobRec {
                name: l.intern(&j.name),
                category: j.category.as_deref().map(|c| l.intern(c)),
                status: j.status.as_deref().map(|s| l.intern(s)),
                conclusion: j.conclusion.as_deref().map(|c| l.intern(c)),
                outcome: job_outcome(j),
                created: OptI64::new(j.created_at.map(|t| t.0)),
                started: OptI64::new(j.started_at.map(|t| t.0)),
                finished: OptI64::new(j.finished_at.map(|t| t.0)),
            })
            .collect();
        // In the order they were created (started), then by name: the timeline's order.
        jobs.sort_by(|a, b| {
            (a.created.get().or(a.started.get()), l.resolve(a.name))
                .cmp(&(b.created.get().or(b.started.get()), l.resolve(b.name)))
        });
        let outcome = Outcome::of(&r.status, r.conclusion.as_deref())
            .or_else(|| Outcome::of_jobs(jobs.iter().map(|j| j.outcome)))
            .unwrap_or(Outcome::Running);
        let times: Vec<JobTimes> = jobs.iter().map(JobRec::times).collect();
        let started = r.started_at.map(|t| t.0);
        let finished = r.finished_at.map(|t| t.0).or_else(|| {
            // An attempt known only from its jobs ends with its last job, once it has ended.
            (outcome != Outcome::Running)
                .then(|| times.iter().filter_map(|j| j.finished).max())
                .flatten()
        });
        let run = pipelines::run_of(&r.id, r.run_id.as_deref(), r.attempt);
        RunRec {
            source: self.sources.intern(&r.source),
            provider: l.intern(&r.provider),
            run: l.intern(run),
            run_given: r.run_id.as_deref().is_some_and(|x| !x.is_empty()),
            attempt: r.attempt.unwrap_or(0),
            repo: self.repo_idx(&r.repo),
            workflow: self.labels.intern(&r.workflow),
            branch: r.branch.as_deref().map(|b| self.labels.intern(b)),
            sha: r.sha.as_deref().map(|s| self.dep_shas.intern(s)),
            trigger: r.trigger.as_deref().map(|t| self.labels.intern(t)),
            trigger_kind: Trigger::of(r.trigger.as_deref()),
            status: self.labels.intern(&r.status),
            conclusion: r.conclusion.as_deref().map(|c| self.labels.intern(c)),
            outcome,
            queued_at: OptI64::new(r.queued_at.map(|t| t.0)),
            started_at: OptI64::new(started),
            finished_at: OptI64::new(if outcome == Outcome::Running {
                None
            } else {
                finished
            }),
            duration: OptI64::new(pipelines::attempt_duration(
                outcome, started, finished, &times,
            )),
            queue: OptI64::new(pipelines::attempt_queue(&times)),
            jobs: jobs.into_boxed_slice(),
        }
    }

    pub(super) fn upsert_run(&mut self, r: PipelineRun, dirty: &mut FxSetOfRuns) {
        let slot = self.run_keys.intern(&super::key_of(
            &r.source,
            &format!("{}:{}", r.provider, r.id),
        ));
        let rec = self.run_rec(&r);
        if slot == self.runs.next_id() {
            self.runs.push(rec);
        } else if self.runs[slot] == rec {
            return;
        } else {
            let old = std::mem::replace(&mut self.runs[slot], rec);
            self.ungroup_run(slot, &old);
        }
        dirty.insert(slot);
    }

    /// The (repository, workflow, sha) of an attempt, when it has a sha.
    fn group_key(rec: &RunRec) -> Option<(RepoId, LabelId, ShaId)> {
        Some((rec.repo, rec.workflow, rec.sha?))
    }

    fn ungroup_run(&mut self, slot: RunId, old: &RunRec) {
        if let Some(k) = Self::group_key(old) {
            if let Some(v) = self.run_groups.get_mut(&k) {
                v.retain(|&s| s != slot);
                if v.is_empty() {
                    self.run_groups.remove(&k);
                }
            }
        }
    }

    /// Brings the runs' indexes up to date with the attempts that changed.
    pub(super) fn derive_runs(&mut self, dirty: FxSetOfRuns) {
        if dirty.is_empty() {
            return;
        }
        let mut changed: Vec<RunId> = dirty.into_iter().collect();
        changed.sort_unstable();
        for &slot in &changed {
            if let Some(k) = Self::group_key(&self.runs[slot]) {
                let v = self.run_groups.entry(k).or_default();
                if !v.contains(&slot) {
                    v.push(slot);
                }
            }
        }
        let runs = &self.runs;
        let order = |a: &RunId, b: &RunId| run_order(runs, *a, *b);
        changed.sort_by(order);
        let mut list = std::mem::take(&mut self.run_list);
        let set: super::collections::FxSet<RunId> = changed.iter().copied().collect();
        list.retain(|s| !set.contains(s));
        self.run_list = merge_sorted(list, changed, order);
    }

    /// The run event a record holds, as the model holds it: without job ids and steps (the
    /// store keeps them).
    pub(crate) fn run_event(&self, slot: RunId) -> PipelineRun {
        let r = &self.runs[slot];
        let l = &self.labels;
        let s = |x: Option<LabelId>| x.map(|x| l.resolve(x).to_owned());
        let name = self.run_name(slot);
        let id = name
            .strip_prefix(l.resolve(r.provider))
            .and_then(|n| n.strip_prefix(':'))
            .unwrap_or(name);
        PipelineRun {
            source: self.sources.resolve(r.source).to_owned(),
            provider: l.resolve(r.provider).to_owned(),
            id: id.to_owned(),
            run_id: r.run_given.then(|| l.resolve(r.run).to_owned()),
            repo: self.repos[r.repo].name.to_string(),
            workflow: l.resolve(r.workflow).to_owned(),
            branch: s(r.branch),
            sha: r.sha.map(|x| self.dep_shas.resolve(x)),
            trigger: s(r.trigger),
            status: l.resolve(r.status).to_owned(),
            conclusion: s(r.conclusion),
            queued_at: r.queued_at.get().map(crate::Timestamp),
            started_at: r.started_at.get().map(crate::Timestamp),
            // As given: an attempt known from its jobs only had none.
            finished_at: r.finished_at.get().map(crate::Timestamp),
            attempt: (r.attempt > 0).then_some(r.attempt),
            jobs: r
                .jobs
                .iter()
                .map(|j| PipelineJob {
                    name: l.resolve(j.name).to_owned(),
                    id: None,
                    category: s(j.category),
                    status: s(j.status),
                    conclusion: s(j.conclusion),
                    created_at: j.created.get().map(crate::Timestamp),
                    started_at: j.started.get().map(crate::Timestamp),
                    finished_at: j.finished.get().map(crate::Timestamp),
                    steps: Vec::new(),
                })
                .collect(),
        }
    }
}

impl Org {
    /// An attempt's id as the API names it: `<provider>:<id>` (its key after the source).
    pub(crate) fn run_name(&self, slot: RunId) -> &str {
        let key = self.run_keys.resolve(slot);
        key.split_once('\u{0}').map_or(key, |(_, name)| name)
    }
}

pub(crate) type FxSetOfRuns = super::collections::FxSet<RunId>;

/// The runs list's order: running first (newest started), then newest finished; ties by key.
pub(crate) fn run_order(runs: &IdVec<RunId, RunRec>, a: RunId, b: RunId) -> Ordering {
    let (x, y) = (&runs[a], &runs[b]);
    y.running()
        .cmp(&x.running())
        .then_with(|| y.at().cmp(&x.at()))
        .then_with(|| a.cmp(&b))
}
