//! The pipelines views of the model: runs (filtered, paged), one run's detail, workflows and
//! their weekly trends (flaky jobs: `flaky_report.rs`). Definitions: `crate::pipelines`.

use super::collections::{FxMap, FxSet};
use super::ids::{LabelId, RepoId, RunId};
use super::runs::RunRec;
use super::Org;
use crate::api::{
    Page, PipelineJobRow, PipelineRunDetail, PipelineRunRow, PortalOrigin, PullRequestRef,
    TimeShare, WorkflowNumbers, WorkflowSummary, WorkflowTrend, WorkflowWeek, WorkflowsReport,
};
use crate::pipelines::{week_start, JobTime, Outcome, Trigger, WeekStats};
use crate::query::{PipelineRunQuery, PipelineWindow};
use crate::time::Timestamp;
use std::collections::BTreeMap;

/// The (source, `<provider>:<id>`) keys of stored run events.
pub type RunKeys = Vec<(String, String)>;

fn secs(ms: Option<i64>) -> Option<f64> {
    ms.map(|v| v as f64 / 1000.0)
}

/// Which repositories a filter admits: `None` admits all; else one flag per repository.
pub(super) struct RepoFilter(Option<Vec<bool>>);

impl RepoFilter {
    #[inline]
    pub(super) fn admits(&self, r: RepoId) -> bool {
        use super::ids::Id;
        self.0
            .as_ref()
            .is_none_or(|s| s.get(r.index()).copied().unwrap_or(false))
    }
}

impl WeekStats {
    fn numbers(&mut self) -> WorkflowNumbers {
        let ((d50, d90), (q50, q90)) = self.quantiles();
        WorkflowNumbers {
            success: self.success,
            failure: self.failure,
            cancelled: self.cancelled,
            skipped: self.skipped,
            duration_p50_secs: d50,
            duration_p90_secs: d90,
            queue_p50_secs: q50,
            queue_p90_secs: q90,
            success_rate: self.success_rate(),
            first_attempt_pass_rate: self.first_attempt_pass_rate(),
        }
    }
}

/// The provider runs started from the portal (kept by the server, not in the events), by
/// provider and the provider's run id: their rows say `portal` and who asked.
#[derive(Debug, Clone, Default)]
pub struct PortalMarks(pub std::collections::HashMap<(String, String), PortalOrigin>);

impl PortalMarks {
    /// Marks `row` when its run was started from the portal.
    pub fn mark(&self, row: &mut PipelineRunRow) {
        if let Some(o) = self.0.get(&(row.provider.clone(), row.run_id.clone())) {
            row.trigger_kind = Trigger::Portal;
            row.portal = Some(o.clone());
        }
    }
}

impl Org {
    /// The services of each repository (from the service events in effect).
    pub(crate) fn repo_services(&self) -> FxMap<RepoId, Vec<&str>> {
        let mut out: FxMap<RepoId, Vec<&str>> = FxMap::default();
        for (s, svc) in self.services.enumerate() {
            let Some(repo) = svc.variants.first().and_then(|e| e.repo.as_deref()) else {
                continue;
            };
            if let Some(r) = self.repo_names.get(repo) {
                out.entry(r)
                    .or_default()
                    .push(self.service_names.resolve(s));
            }
        }
        for v in out.values_mut() {
            v.sort_unstable();
        }
        out
    }

    /// The repositories a `repo`/`service`/`team` filter admits.
    pub(super) fn repo_filter(
        &self,
        repo: Option<&str>,
        service: Option<&str>,
        team: Option<&str>,
    ) -> RepoFilter {
        let mut set: Option<FxSet<RepoId>> = None;
        if let Some(allowed) = self.service_filter(service, team) {
            let repos: FxSet<RepoId> = allowed
                .members()
                .filter_map(|s| {
                    let name = self.services[s].variants.first()?.repo.as_deref()?;
                    self.repo_names.get(name)
                })
                .collect();
            set = Some(repos);
        }
        if let Some(name) = repo {
            let one: FxSet<RepoId> = self.repo_names.get(name).into_iter().collect();
            set = Some(match set {
                Some(s) => s.intersection(&one).copied().collect(),
                None => one,
            });
        }
        RepoFilter(set.map(|s| {
            use super::ids::Id;
            let mut flags = vec![false; self.repos.len()];
            for r in s {
                if let Some(f) = flags.get_mut(r.index()) {
                    *f = true;
                }
            }
            flags
        }))
    }

    pub(super) fn label(&self, l: LabelId) -> &str {
        self.labels.resolve(l)
    }

    fn opt_label(&self, l: Option<LabelId>) -> Option<String> {
        l.map(|l| self.label(l).to_owned())
    }

    /// The repository's web address: its service's `repo_url`, else GitHub's for a GitHub run.
    fn repo_url(&self, r: &RunRec, services: &FxMap<RepoId, Vec<&str>>) -> Option<String> {
        let repo = &self.repos[r.repo].name;
        services
            .get(&r.repo)
            .into_iter()
            .flatten()
            .find_map(|s| {
                let svc = self.service_names.get(s)?;
                self.services[svc].variants.first()?.repo_url.clone()
            })
            .or_else(|| {
                (self.label(r.provider) == "github").then(|| format!("https://github.com/{repo}"))
            })
            .map(|u| u.trim_end_matches('/').to_owned())
    }

    pub(crate) fn run_row(
        &self,
        slot: RunId,
        services: &FxMap<RepoId, Vec<&str>>,
    ) -> PipelineRunRow {
        let r = &self.runs[slot];
        let base = self.repo_url(r, services);
        let github = self.label(r.provider) == "github";
        let run = self.label(r.run).to_owned();
        let sha = r.sha.map(|s| self.dep_shas.resolve(s));
        PipelineRunRow {
            id: self.run_name(slot).to_owned(),
            source: self.sources.resolve(r.source).to_owned(),
            provider: self.label(r.provider).to_owned(),
            url: base.as_ref().filter(|_| github).map(|b| {
                if r.attempt > 1 {
                    format!("{b}/actions/runs/{run}/attempts/{}", r.attempt)
                } else {
                    format!("{b}/actions/runs/{run}")
                }
            }),
            commit_url: base
                .as_ref()
                .zip(sha.as_ref())
                .map(|(b, s)| format!("{b}/commit/{s}")),
            portal: None,
            run_id: run,
            attempt: (r.attempt > 0).then_some(r.attempt),
            repo: self.repos[r.repo].name.to_string(),
            services: services
                .get(&r.repo)
                .map(|v| v.iter().map(|s| (*s).to_owned()).collect())
                .unwrap_or_default(),
            workflow: self.label(r.workflow).to_owned(),
            branch: self.opt_label(r.branch),
            sha,
            trigger: self.opt_label(r.trigger),
            trigger_kind: r.trigger_kind,
            status: self.label(r.status).to_owned(),
            conclusion: self.opt_label(r.conclusion),
            outcome: r.outcome,
            queued_at: r.queued_at.get().map(Timestamp),
            started_at: r.started_at.get().map(Timestamp),
            finished_at: r.finished_at.get().map(Timestamp),
            queue_secs: secs(r.queue.get()),
            duration_secs: secs(r.duration.get()),
            jobs: r.jobs.len() as u32,
            failed_jobs: r
                .jobs
                .iter()
                .filter(|j| j.outcome == Outcome::Failure)
                .count() as u32,
        }
    }

    /// Pipeline run attempts, running first, then newest finished; `page` is 1-based.
    pub fn pipeline_runs(&self, q: &PipelineRunQuery) -> Page<PipelineRunRow> {
        self.pipeline_runs_marked(q, &PortalMarks::default())
    }

    /// [`Org::pipeline_runs`], the runs in `marks` counted as started from the portal (the
    /// `trigger` filter included).
    pub fn pipeline_runs_marked(
        &self,
        q: &PipelineRunQuery,
        marks: &PortalMarks,
    ) -> Page<PipelineRunRow> {
        let marked: FxSet<(LabelId, LabelId)> = marks
            .0
            .keys()
            .filter_map(|(p, r)| Some((self.labels.get(p)?, self.labels.get(r)?)))
            .collect();
        let kind = |e: &super::runs::ListEntry| {
            if marked.is_empty() || e.trigger == Trigger::Portal {
                return e.trigger;
            }
            let r = &self.runs[e.slot];
            if marked.contains(&(r.provider, r.run)) {
                Trigger::Portal
            } else {
                e.trigger
            }
        };
        let page = q.page.max(1);
        let per_page = if q.per_page == 0 { 50 } else { q.per_page };
        let start = (page as usize - 1).saturating_mul(per_page as usize);
        let end = start.saturating_add(per_page as usize);
        let repos = self.repo_filter(q.repo.as_deref(), q.service.as_deref(), q.team.as_deref());
        // A word no run has admits nothing.
        let want = |w: &Option<String>| -> Result<Option<LabelId>, ()> {
            match w {
                None => Ok(None),
                Some(w) => self.labels.get(w).map(Some).ok_or(()),
            }
        };
        let (Ok(workflow), Ok(branch), Ok(conclusion)) =
            (want(&q.workflow), want(&q.branch), want(&q.conclusion))
        else {
            return Page {
                items: Vec::new(),
                total: 0,
                page,
                per_page,
            };
        };
        let services = self.repo_services();
        let mut total = 0usize;
        let mut items = Vec::new();
        for e in &self.run_list {
            if !repos.admits(e.repo)
                || workflow.is_some_and(|w| w != e.workflow)
                || branch.is_some_and(|b| Some(b) != e.branch)
                || conclusion.is_some_and(|c| Some(c) != e.conclusion)
                || q.outcome.is_some_and(|o| o != e.outcome)
                || q.trigger.is_some_and(|t| t != kind(e))
            {
                continue;
            }
            if q.from.is_some() || q.to.is_some() {
                let Some(t) = e.at() else { continue };
                if q.from.is_some_and(|f| t < f.0) || q.to.is_some_and(|to| t >= to.0) {
                    continue;
                }
            }
            if total >= start && total < end {
                let mut row = self.run_row(e.slot, &services);
                marks.mark(&mut row);
                items.push(row);
            }
            total += 1;
        }
        Page {
            items,
            total: total as u64,
            page,
            per_page,
        }
    }

    /// The attempt `<provider>:<id>` (of `source`, else of the source that sorts first), and
    /// the services of its repository (for the caller's access check).
    pub fn pipeline_run(
        &self,
        source: Option<&str>,
        id: &str,
    ) -> Option<(PipelineRunDetail, Vec<String>)> {
        let slot = match source {
            Some(s) => self.run_keys.get(&super::key_of(s, id))?,
            None => {
                let mut names: Vec<&str> = (0..self.sources.len())
                    .map(|i| self.sources.resolve(super::ids::Id::from_index(i)))
                    .collect();
                names.sort_unstable();
                names
                    .into_iter()
                    .find_map(|s| self.run_keys.get(&super::key_of(s, id)))?
            }
        };
        let services = self.repo_services();
        let r = &self.runs[slot];
        let run = self.run_row(slot, &services);
        let job_list = r
            .jobs
            .iter()
            .map(|j| {
                let t = j.times();
                PipelineJobRow {
                    name: self.label(j.name).to_owned(),
                    id: None,
                    category: j
                        .category
                        .map_or("other".to_owned(), |c| self.label(c).to_owned()),
                    status: None,
                    conclusion: None,
                    outcome: j.outcome,
                    created_at: t.created.map(Timestamp),
                    started_at: t.started.map(Timestamp),
                    finished_at: t.finished.map(Timestamp),
                    queue_secs: secs(t.queue()),
                    duration_secs: secs(t.duration()),
                    steps: Vec::new(),
                }
            })
            .collect();
        // Every attempt of its run: the same source, provider and run, first to last.
        let same = |o: &RunRec| o.source == r.source && o.provider == r.provider && o.run == r.run;
        let mut attempts: Vec<RunId> = match Self::group_key(r) {
            Some(k) => self
                .group(&k)
                .iter()
                .copied()
                .filter(|&o| same(&self.runs[o]))
                .collect(),
            None => self.runs.ids().filter(|&o| same(&self.runs[o])).collect(),
        };
        attempts.sort_by_key(|&o| (self.runs[o].attempt, self.runs[o].at()));
        let attempts = attempts
            .into_iter()
            .map(|o| self.run_row(o, &services))
            .collect();
        let repo_services: Vec<String> = run.services.clone();
        Some((
            PipelineRunDetail {
                deployment: self.deployment_of_run(slot),
                pull_request: self.pull_request_of_run(r),
                run,
                job_list,
                attempts,
            },
            repo_services,
        ))
    }

    /// A deployment the attempt produced: one a rule detected from it (`run:<id>`), else one
    /// of its sha that started while it ran.
    fn deployment_of_run(&self, slot: RunId) -> Option<String> {
        let r = &self.runs[slot];
        let name = self.run_name(slot);
        let id = name.split_once(':').map_or(name, |(_, id)| id);
        let detected = format!("run:{id}");
        if self.deps_with_id(&detected).next().is_some() {
            return Some(detected);
        }
        let (sha, start, end) = (r.sha?, r.started_at.get()?, r.finished_at.get()?);
        self.deps
            .ids()
            .filter(|&d| {
                let ev = &self.deps[d].ev;
                ev.sha == sha && ev.started_at().is_some_and(|t| t.0 >= start && t.0 <= end)
            })
            .map(|d| self.dep_names.resolve(self.deps[d].ev.id).to_owned())
            .min()
    }

    /// The pull request whose merge commit is the attempt's sha, else one that lists it.
    fn pull_request_of_run(&self, r: &RunRec) -> Option<PullRequestRef> {
        let repo = &self.repos[r.repo];
        let sha = self.dep_shas.resolve(r.sha?);
        let c = repo.shas.get(&sha)?;
        let mut prs: Vec<(bool, &str)> = repo
            .pr_member
            .get(c)
            .map(|p| (self.prs[p].merge_commit != Some(c), self.pr_id(p)))
            .collect();
        prs.sort_unstable();
        prs.first().map(|(member, id)| PullRequestRef {
            repo: repo.name.to_string(),
            id: (*id).to_owned(),
            merge: !member,
        })
    }

    /// The finished attempts of a window that its filters admit.
    fn window_runs<'a>(&'a self, w: &'a PipelineWindow) -> impl Iterator<Item = RunId> + 'a {
        let repos = self.repo_filter(w.repo.as_deref(), w.service.as_deref(), w.team.as_deref());
        let workflow = w.workflow.as_deref().map(|n| self.labels.get(n));
        // The list holds the running attempts, then the others newest first (by finish, else
        // start): from the first before `to`, until one before `from`; of those, the ones that
        // finished in the window.
        let first = self
            .run_list
            .partition_point(|e| e.running() || e.at().is_some_and(|t| t >= w.to.0));
        self.run_list[first..]
            .iter()
            .take_while(move |e| e.at().is_some_and(|t| t >= w.from.0))
            .filter(move |e| {
                e.finished
                    && e.at < w.to.0
                    && repos.admits(e.repo)
                    && workflow.is_none_or(|wf| wf == Some(e.workflow))
            })
            .map(|e| e.slot)
    }

    /// Each workflow's attempts that finished in the window, most attempts first.
    pub fn workflows(&self, w: &PipelineWindow) -> WorkflowsReport {
        let mut by: FxMap<(RepoId, LabelId), WeekStats> = FxMap::default();
        for s in self.window_runs(w) {
            let r = &self.runs[s];
            by.entry((r.repo, r.workflow)).or_default().add(
                r.outcome,
                r.attempt,
                r.duration.get(),
                r.queue.get(),
            );
        }
        let mut workflows: Vec<WorkflowSummary> = by
            .into_iter()
            .map(|((repo, wf), mut st)| WorkflowSummary {
                repo: self.repos[repo].name.to_string(),
                workflow: self.label(wf).to_owned(),
                numbers: st.numbers(),
            })
            .collect();
        let n = |x: &WorkflowSummary| {
            x.numbers.success + x.numbers.failure + x.numbers.cancelled + x.numbers.skipped
        };
        workflows.sort_by(|a, b| {
            n(b).cmp(&n(a))
                .then_with(|| (&a.repo, &a.workflow).cmp(&(&b.repo, &b.workflow)))
        });
        WorkflowsReport {
            from: w.from,
            to: w.to,
            workflows,
        }
    }

    /// One workflow (`w.repo` and `w.workflow`) week by week, its jobs' share of its time, and
    /// the attempts (newest first, at most `step_runs`) whose steps the caller reads from the
    /// store. `None` when the repository or workflow is unknown.
    pub fn workflow_trend(
        &self,
        w: &PipelineWindow,
        step_runs: usize,
    ) -> Option<(WorkflowTrend, RunKeys)> {
        let repo = self.repo_names.get(w.repo.as_deref()?)?;
        let wf = self.labels.get(w.workflow.as_deref()?)?;
        let mut all = WeekStats::default();
        let mut weeks: BTreeMap<i64, WeekStats> = BTreeMap::new();
        let mut jobs: BTreeMap<LabelId, (Option<LabelId>, JobTime)> = BTreeMap::new();
        let mut newest = Vec::new();
        for s in self.window_runs(w) {
            let r = &self.runs[s];
            if r.repo != repo || r.workflow != wf {
                continue;
            }
            let Some(at) = r.finished_at.get() else {
                continue;
            };
            let (d, q) = (r.duration.get(), r.queue.get());
            all.add(r.outcome, r.attempt, d, q);
            weeks
                .entry(week_start(at, w.time_zone).max(w.from.0))
                .or_default()
                .add(r.outcome, r.attempt, d, q);
            if r.outcome.decided() {
                if newest.len() < step_runs {
                    newest.push((
                        self.sources.resolve(r.source).to_owned(),
                        self.run_name(s).to_owned(),
                    ));
                }
                let mut seen: FxSet<LabelId> = FxSet::default();
                for j in r.jobs.iter() {
                    let Some(jd) = j.times().duration() else {
                        continue;
                    };
                    let e = jobs
                        .entry(j.name)
                        .or_insert((j.category, JobTime::default()));
                    e.1.durations.push(jd);
                    if seen.insert(j.name) {
                        e.1.run_wall += d.unwrap_or(0);
                    }
                }
            }
        }
        let jobs = time_shares(jobs.into_iter().map(|(name, (cat, t))| {
            (
                self.label(name).to_owned(),
                cat.map(|c| self.label(c).to_owned()),
                t,
            )
        }));
        Some((
            WorkflowTrend {
                repo: self.repos[repo].name.to_string(),
                workflow: self.label(wf).to_owned(),
                from: w.from,
                to: w.to,
                numbers: all.numbers(),
                weeks: weeks
                    .into_iter()
                    .map(|(start, mut st)| WorkflowWeek {
                        start: Timestamp(start),
                        numbers: st.numbers(),
                    })
                    .collect(),
                jobs,
                steps: Vec::new(),
                steps_runs: newest.len() as u64,
            },
            newest,
        ))
    }
}

/// Time shares, slowest median first.
pub fn time_shares(
    items: impl Iterator<Item = (String, Option<String>, JobTime)>,
) -> Vec<TimeShare> {
    let mut out: Vec<TimeShare> = items
        .filter_map(|(name, category, t)| {
            let share = t.share();
            let mut d = t.durations;
            let s = crate::stats::summarize_millis(&mut d)?;
            Some(TimeShare {
                name,
                category,
                count: s.count,
                median_secs: s.median,
                p90_secs: s.p90,
                mean_secs: s.mean,
                share,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.median_secs
            .total_cmp(&a.median_secs)
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}
