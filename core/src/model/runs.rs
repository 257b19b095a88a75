//! Pipeline runs, held compactly: one record per attempt, its words interned once for all runs
//! (workflow, branch, job names, …), its sha in the organisation's sha table, and the numbers
//! the views read (outcome, duration, queue time) derived once when it arrives. Job ids and
//! steps are not held: a run's detail reads them from the store.
//!
//! Indexes, kept current by [`Org::derive_runs`]:
//! - `run_list`: the attempts, running first (newest started), then newest finished, each with
//!   the columns the list's filters read ([`ListEntry`]), so that a query scans 32 bytes an
//!   attempt in order instead of reaching for each record;
//! - `run_first` and `run_multi`: the attempts of each (repository, workflow, sha): the one of a
//!   group that has one, and the groups that have more (the only places a flaky job can be).

use super::ids::{LabelId, RepoId, RunId, ShaId, SourceId};
use super::order::merge_sorted;
use super::state::OptI64;
use super::Org;
use crate::events::{PipelineJob, PipelineRun};
use crate::pipelines::{
    self, flaky_occurrences, AttemptJobs, JobTimes, Occurrence, Outcome, Trigger,
};
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

/// One job of an attempt (its provider status and conclusion, like its id and steps, are read
/// from the store: its outcome is what the views count).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct JobRec {
    pub(crate) name: LabelId,
    pub(crate) category: Option<LabelId>,
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
            if let Some(k) = Self::group_key(&old) {
                self.flaky_dirty.push(k);
            }
        }
        dirty.insert(slot);
    }

    /// The (repository, workflow, sha) of an attempt, when it has a sha.
    pub(crate) fn group_key(rec: &RunRec) -> Option<GroupKey> {
        Some((rec.repo, rec.workflow, rec.sha?))
    }

    /// The attempts of a (repository, workflow, sha).
    pub(crate) fn group(&self, k: &GroupKey) -> &[RunId] {
        match self.run_multi.get(k) {
            Some(v) => v,
            None => self.run_first.get(k).map_or(&[], std::slice::from_ref),
        }
    }

    fn group_add(&mut self, k: GroupKey, slot: RunId) {
        if let Some(v) = self.run_multi.get_mut(&k) {
            if !v.contains(&slot) {
                v.push(slot);
            }
            return;
        }
        match self.run_first.get(&k).copied() {
            Some(first) if first != slot => {
                self.run_first.remove(&k);
                self.run_multi.insert(k, vec![first, slot]);
            }
            Some(_) => {}
            None => {
                self.run_first.insert(k, slot);
                let wfs = self.run_workflows.entry(k.0).or_default();
                if let Err(i) = wfs.binary_search(&k.1) {
                    wfs.insert(i, k.1);
                }
            }
        }
    }

    fn ungroup_run(&mut self, slot: RunId, old: &RunRec) {
        let Some(k) = Self::group_key(old) else {
            return;
        };
        if let Some(v) = self.run_multi.get_mut(&k) {
            v.retain(|&s| s != slot);
            if let [one] = v[..] {
                self.run_multi.remove(&k);
                self.run_first.insert(k, one);
            }
        } else if self.run_first.get(&k) == Some(&slot) {
            self.run_first.remove(&k);
        }
    }

    /// Brings the runs' indexes up to date with the attempts that changed.
    pub(super) fn derive_runs(&mut self, dirty: FxSetOfRuns) {
        if dirty.is_empty() {
            return;
        }
        let mut changed: Vec<RunId> = dirty.into_iter().collect();
        changed.sort_unstable();
        let mut groups = std::mem::take(&mut self.flaky_dirty);
        for &slot in &changed {
            if let Some(k) = Self::group_key(&self.runs[slot]) {
                self.group_add(k, slot);
                groups.push(k);
            }
        }
        groups.sort_unstable();
        groups.dedup();
        for k in groups {
            self.derive_flaky(k);
        }
        let mut entries: Vec<ListEntry> = changed
            .iter()
            .map(|&slot| ListEntry::of(slot, &self.runs[slot]))
            .collect();
        entries.sort_by(ListEntry::order);
        let set: super::collections::FxSet<RunId> = changed.iter().copied().collect();
        let mut list = std::mem::take(&mut self.run_list);
        list.retain(|e| !set.contains(&e.slot));
        self.run_list = merge_sorted(list, entries, ListEntry::order);
    }

    /// The flaky jobs of a (repository, workflow, sha), found again from its attempts.
    fn derive_flaky(&mut self, k: GroupKey) {
        let found = match self.run_multi.get(&k) {
            Some(group) => {
                let mut attempts: Vec<AttemptJobs<RunId, LabelId>> = group
                    .iter()
                    .filter_map(|&s| {
                        let r = &self.runs[s];
                        Some(AttemptJobs {
                            attempt: s,
                            finished: r.finished_at.get()?,
                            number: r.attempt,
                            duration: r.duration.get(),
                            jobs: r
                                .jobs
                                .iter()
                                .map(|j| (j.name, j.outcome, j.times().duration()))
                                .collect(),
                        })
                    })
                    .collect();
                flaky_occurrences(&mut attempts)
            }
            None => Vec::new(),
        };
        if found.is_empty() {
            self.flaky.remove(&k);
        } else {
            self.flaky.insert(k, found.into_boxed_slice());
        }
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
                    // The outcome as words that read back as it.
                    status: Some(
                        if j.outcome == Outcome::Running {
                            "in_progress"
                        } else {
                            "completed"
                        }
                        .to_owned(),
                    ),
                    conclusion: (j.outcome != Outcome::Running)
                        .then(|| j.outcome.as_str().to_owned()),
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

/// A (repository, workflow, sha).
pub(crate) type GroupKey = (RepoId, LabelId, ShaId);

/// A flaky job's occurrence: a job (`LabelId`) of a group that failed in some attempts, then
/// passed in a later one.
pub(crate) type FlakyOcc = Occurrence<RunId, LabelId>;

/// An attempt in the runs list, with what the list's filters read.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct ListEntry {
    /// [`RunRec::at`]; `i64::MIN` when unknown.
    pub(crate) at: i64,
    pub(crate) repo: RepoId,
    pub(crate) workflow: LabelId,
    pub(crate) branch: Option<LabelId>,
    pub(crate) conclusion: Option<LabelId>,
    pub(crate) slot: RunId,
    pub(crate) outcome: Outcome,
    pub(crate) trigger: Trigger,
    /// `at` is when it finished.
    pub(crate) finished: bool,
}

impl ListEntry {
    fn of(slot: RunId, r: &RunRec) -> ListEntry {
        ListEntry {
            at: r.at().unwrap_or(i64::MIN),
            repo: r.repo,
            workflow: r.workflow,
            branch: r.branch,
            conclusion: r.conclusion,
            slot,
            outcome: r.outcome,
            trigger: r.trigger_kind,
            finished: r.finished_at.get().is_some(),
        }
    }

    pub(crate) fn running(&self) -> bool {
        self.outcome == Outcome::Running
    }

    /// When it finished (else started, else was queued), if known.
    pub(crate) fn at(&self) -> Option<i64> {
        (self.at != i64::MIN).then_some(self.at)
    }

    /// The runs list's order: running first (newest started), then newest finished; ties by
    /// key.
    pub(crate) fn order(x: &ListEntry, y: &ListEntry) -> Ordering {
        y.running()
            .cmp(&x.running())
            .then_with(|| y.at.cmp(&x.at))
            .then_with(|| x.slot.cmp(&y.slot))
    }
}
