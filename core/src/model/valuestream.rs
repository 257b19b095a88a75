//! The value stream of the model: each merged pull request whose first production deployment
//! finished in the window, its events found (`crate::valuestream` defines the stages), and the
//! stages' statistics. One pull request's journey is in `journey.rs`.

use super::ids::{DepId, LabelId, PrId, RepoId, RunId, ServiceId, ShaId};
use super::Org;
use crate::api::{
    CategoryTime, Interval, MissingEvent, PrSpan, SpanStats, StageRow, ValueStreamQuality,
    ValueStreamReport,
};
use crate::events::EnvironmentTier;
use crate::pipelines::Trigger;
use crate::query::ValueStreamQuery;
use crate::time::Timestamp;
use crate::valuestream::{way, Chain, Events, Point, Way};
use std::collections::BTreeMap;

/// Slowest pull requests listed per stage.
const SLOWEST: usize = 10;

/// One pull request's way, with what its rows need.
struct Found {
    pr: PrId,
    dep: DepId,
    way: Way,
    /// Build & test: per stage category, the time at least one job of it ran.
    categories: Vec<(LabelId, i64)>,
    finished: i64,
}

/// The interned `deploy` and `provision` stage categories, when some job has them.
type DeployCategories = [Option<LabelId>; 2];

fn stats(values: &mut [i64]) -> Option<SpanStats> {
    let s = crate::stats::summarize_millis(values)?;
    Some(SpanStats {
        count: s.count,
        median: s.median,
        p75: s.p75,
        p90: s.p90,
        mean: s.mean,
    })
}

/// The total length of a set of intervals (their union), given sorted by start.
fn union_len(spans: impl IntoIterator<Item = (i64, i64)>) -> i64 {
    let mut total = 0;
    let mut current: Option<(i64, i64)> = None;
    for (a, b) in spans {
        current = match current {
            Some((s, e)) if a <= e => Some((s, e.max(b))),
            Some((s, e)) => {
                total += e - s;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    total + current.map_or(0, |(s, e)| e - s)
}

impl Org {
    /// The production deployments of the admitted services that finished in `[from, to)`, and
    /// are not their chain's first.
    fn production_deps(&self, q: &ValueStreamQuery) -> Vec<DepId> {
        let allowed = self.service_filter(q.service.as_deref(), q.team.as_deref());
        let mut out = Vec::new();
        let services: Vec<ServiceId> = match &allowed {
            Some(a) => a.members().collect(),
            None => self.services.ids().collect(),
        };
        for s in services {
            let Some(c) = self.services[s].chains[EnvironmentTier::Production] else {
                continue;
            };
            let deps = &self.chains[c].deps;
            let first = deps.partition_point(|&d| self.deps[d].chain_fin < q.from.0);
            out.extend(
                deps[first..]
                    .iter()
                    .copied()
                    .take_while(|&d| self.deps[d].chain_fin < q.to.0)
                    .filter(|&d| !self.deps[d].is_baseline()),
            );
        }
        out
    }

    /// The CI attempts on `sha` of `repo` (pushes and merge queues, of workflows that run more
    /// than deployment jobs), the last attempt of each run.
    fn ci_runs(&self, repo: RepoId, sha: ShaId, deploy_ids: DeployCategories) -> Vec<RunId> {
        let deploy = |c: Option<LabelId>| c.is_some() && deploy_ids.contains(&c);
        // The last attempt of each run so far: a handful per sha, so a list.
        let mut out: Vec<RunId> = Vec::new();
        for &wf in self.repo_workflows(repo) {
            for &s in self.group(&(repo, wf, sha)) {
                let r = &self.runs[s];
                if !matches!(r.trigger_kind, Trigger::Push | Trigger::MergeQueue)
                    || r.jobs.is_empty()
                    || r.jobs.iter().all(|j| deploy(j.category))
                {
                    continue;
                }
                match out.iter_mut().find(|e| self.runs[**e].run == r.run) {
                    Some(e) if self.runs[*e].attempt < r.attempt => *e = s,
                    Some(_) => {}
                    None => out.push(s),
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// The stage categories of deployment-only jobs (a workflow of only these is no CI).
    pub(super) fn deploy_categories(&self) -> DeployCategories {
        [self.labels.get("deploy"), self.labels.get("provision")]
    }

    /// The workflows of a repository's runs.
    pub(super) fn repo_workflows(&self, repo: RepoId) -> &[LabelId] {
        self.run_workflows.get(&repo).map_or(&[], Vec::as_slice)
    }

    /// A merged pull request's events, deployed by `dep` (its first production deployment),
    /// and its CI attempts on the merge commit.
    pub(super) fn pr_events(
        &self,
        p: PrId,
        dep: DepId,
        deploy_ids: DeployCategories,
    ) -> (Events, Vec<RunId>) {
        let pr = &self.prs[p];
        let r = &self.repos[pr.repo];
        let d = &self.deps[dep];
        let first_commit = pr
            .commits
            .iter()
            .filter(|&&c| r.is_known(c))
            .map(|&c| r.authored[c])
            .min();
        let started = d.ev.started_at().map(|t| t.0);
        let runs = pr
            .merge_commit
            .and_then(|c| r.shas.translate(c, &self.dep_shas))
            .map(|s| self.ci_runs(pr.repo, s, deploy_ids))
            .unwrap_or_default();
        // CI done: when its last run's last attempt succeeded or failed, no later than the
        // deployment started (a cancelled one is no CI done).
        let ci_done = runs
            .iter()
            .filter(|&&s| self.runs[s].outcome.decided())
            .filter_map(|&s| self.runs[s].finished_at.get())
            .filter(|&t| started.is_none_or(|st| t <= st))
            .max();
        (
            Events {
                first_commit,
                opened: Some(pr.opened_at),
                first_review: pr.first_review_at,
                approved: pr.approved_at,
                merged: pr.merged_at,
                ci_done,
                deploy_started: started,
                deploy_finished: Some(d.chain_fin),
            },
            runs,
        )
    }

    /// Every merged pull request deployed in the window, with its way along `chain`; and how
    /// many were left out (a negative total).
    fn ways(&self, q: &ValueStreamQuery, chain: &Chain) -> (Vec<Found>, u64) {
        let deploy_ids = self.deploy_categories();
        let deps = self.production_deps(q);
        let mut found = Vec::with_capacity(deps.iter().map(|&d| self.deps[d].d.prs.len()).sum());
        let mut left_out = 0;
        let mut scratch = Vec::new();
        for dep in deps {
            let d = &self.deps[dep];
            // Its merged pull requests, found when its changes were derived.
            for &p in d.d.prs.iter() {
                let (events, runs) = self.pr_events(p, dep, deploy_ids);
                let Some(way) = way(chain, &events) else {
                    left_out += 1;
                    continue;
                };
                let categories = match (events.merged, events.ci_done) {
                    (Some(m), Some(ci)) => self.category_times(&runs, m, ci, &mut scratch),
                    _ => Vec::new(),
                };
                found.push(Found {
                    pr: p,
                    dep,
                    way,
                    categories,
                    finished: d.chain_fin,
                });
            }
        }
        (found, left_out)
    }

    /// Per stage category, the time in `[from, to]` at least one job of it ran in `runs`.
    /// `spans` is scratch space, reused across pull requests.
    fn category_times(
        &self,
        runs: &[RunId],
        from: i64,
        to: i64,
        spans: &mut Vec<(LabelId, i64, i64)>,
    ) -> Vec<(LabelId, i64)> {
        spans.clear();
        for &s in runs {
            for j in self.runs[s].jobs.iter() {
                let (Some(c), Some(a), Some(b)) = (j.category, j.started.get(), j.finished.get())
                else {
                    continue;
                };
                let (a, b) = (a.max(from), b.min(to));
                if b > a {
                    spans.push((c, a, b));
                }
            }
        }
        spans.sort_unstable();
        spans
            .chunk_by(|x, y| x.0 == y.0)
            .map(|same| (same[0].0, union_len(same.iter().map(|&(_, a, b)| (a, b)))))
            .collect()
    }

    /// The value stream of the pull requests deployed in the window (and, with an interval,
    /// of each bucket).
    ///
    /// Without a chain in the query, the one configured for its team is used (else the
    /// default), and the report says so.
    pub fn value_stream(&self, q: &ValueStreamQuery) -> ValueStreamReport {
        let configured = q
            .chain
            .is_none()
            .then(|| self.settings.chain_of(q.team.as_deref()));
        let q = &ValueStreamQuery {
            chain: Some(q.chain.or(configured.flatten()).unwrap_or_default()),
            ..q.clone()
        };
        let chain = q.chain.unwrap_or_default().chain();
        let (found, left_out) = self.ways(q, &chain);
        let mut report = self.report(q, &chain, &found, left_out);
        let chain_configured = configured.flatten().is_some();
        report.chain_configured = chain_configured;
        if q.interval != Interval::All {
            let mut edges = vec![q.from.0];
            edges.extend(crate::dora::select::boundaries(
                q.time_zone,
                q.from.0,
                q.to.0,
                q.interval,
            ));
            edges.push(q.to.0);
            report.series = Some(
                edges
                    .windows(2)
                    .map(|w| {
                        let part: Vec<&Found> = found
                            .iter()
                            .filter(|f| f.finished >= w[0] && f.finished < w[1])
                            .collect();
                        let sub = ValueStreamQuery {
                            from: Timestamp(w[0]),
                            to: Timestamp(w[1]),
                            interval: Interval::All,
                            ..q.clone()
                        };
                        let mut r = self.report_of(&sub, &chain, &part, 0);
                        r.chain_configured = chain_configured;
                        r
                    })
                    .collect(),
            );
        }
        report
    }

    fn report(
        &self,
        q: &ValueStreamQuery,
        chain: &Chain,
        found: &[Found],
        left_out: u64,
    ) -> ValueStreamReport {
        let all: Vec<&Found> = found.iter().collect();
        self.report_of(q, chain, &all, left_out)
    }

    fn report_of(
        &self,
        q: &ValueStreamQuery,
        chain: &Chain,
        found: &[&Found],
        left_out: u64,
    ) -> ValueStreamReport {
        // Rows: every stage of the chain, then the merged stages, in the order they start.
        let mut rows: BTreeMap<(usize, usize), Vec<(i64, &Found)>> = BTreeMap::new();
        for i in 0..chain.stages.len() {
            rows.insert((i, i + 1), Vec::with_capacity(found.len()));
        }
        let mut totals: Vec<i64> = Vec::with_capacity(found.len());
        let mut quality = ValueStreamQuality::default();
        let mut missing: BTreeMap<Point, u64> = BTreeMap::new();
        for f in found {
            totals.push(f.way.total());
            quality.negative_stages_merged += u64::from(f.way.negative_merged);
            for &m in &f.way.missing {
                *missing.entry(chain.points[m]).or_default() += 1;
            }
            for s in &f.way.spans {
                rows.entry((s.from, s.to)).or_default().push((s.ms, f));
            }
        }
        let sum_totals: i64 = totals.iter().sum();
        let mut stages = Vec::new();
        let mut best: Option<(i64, usize)> = None;
        for ((from, to), mut spans) in rows {
            let span = crate::valuestream::Span { from, to, ms: 0 };
            let (label, key) = span.label(chain);
            let single = span.single();
            let sum: i64 = spans.iter().map(|(ms, _)| ms).sum();
            if !single && spans.is_empty() {
                continue;
            }
            if single && !spans.is_empty() && best.is_none_or(|(b, _)| sum > b) {
                best = Some((sum, stages.len()));
            }
            let mut values: Vec<i64> = spans.iter().map(|(ms, _)| *ms).collect();
            let breakdown = if key == "build_test" {
                let mut by: BTreeMap<LabelId, (i64, u64)> = BTreeMap::new();
                for (_, f) in &spans {
                    for &(c, ms) in &f.categories {
                        let e = by.entry(c).or_default();
                        e.0 += ms;
                        e.1 += 1;
                    }
                }
                by.into_iter()
                    .map(|(c, (ms, n))| CategoryTime {
                        category: self.labels.resolve(c).to_owned(),
                        mean_secs: ms as f64 / n as f64 / 1000.0,
                        pull_requests: n,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            // The slowest first (ties by repository, pull request and deployment, not by the
            // order they arrived in; a pull request of a repository that several services
            // deploy counts once per service, as in the lead time): only the first few are
            // shown.
            let name = |f: &Found| {
                (
                    &*self.repos[self.prs[f.pr].repo].name,
                    self.pr_id(f.pr),
                    self.dep_names.resolve(self.deps[f.dep].ev.id),
                )
            };
            let order = |a: &(i64, &Found), b: &(i64, &Found)| {
                b.0.cmp(&a.0).then_with(|| name(a.1).cmp(&name(b.1)))
            };
            if spans.len() > SLOWEST {
                spans.select_nth_unstable_by(SLOWEST, order);
                spans.truncate(SLOWEST);
            }
            spans.sort_by(order);
            let slowest = spans
                .iter()
                .take(SLOWEST)
                .map(|(ms, f)| PrSpan {
                    repo: self.repos[self.prs[f.pr].repo].name.to_string(),
                    id: self.pr_id(f.pr).to_owned(),
                    secs: *ms as f64 / 1000.0,
                    total_secs: f.way.total() as f64 / 1000.0,
                    deployment: self.dep_names.resolve(self.deps[f.dep].ev.id).to_owned(),
                })
                .collect();
            stages.push(StageRow {
                key,
                label,
                merged: !single,
                active: single && chain.stages[from].active,
                stats: stats(&mut values),
                share: if sum_totals > 0 {
                    sum as f64 / sum_totals as f64
                } else {
                    0.0
                },
                bottleneck: false,
                breakdown,
                slowest,
            });
        }
        let bottleneck = best.map(|(_, i)| {
            stages[i].bottleneck = true;
            stages[i].key.clone()
        });
        let active: i64 = found
            .iter()
            .flat_map(|f| f.way.spans.iter())
            .filter(|s| s.single() && chain.stages[s.from].active)
            .map(|s| s.ms)
            .sum();
        quality.negative_totals = left_out;
        quality.missing = missing
            .into_iter()
            .map(|(event, pull_requests)| MissingEvent {
                event,
                pull_requests,
            })
            .collect();
        if quality.negative_stages_merged > 0 {
            quality.notes.push(format!(
                "{} stage(s) were negative (clock skew) and merged with the next",
                quality.negative_stages_merged
            ));
        }
        if left_out > 0 {
            quality.notes.push(format!(
                "{left_out} pull request(s) were deployed before their first commit and are left out"
            ));
        }
        ValueStreamReport {
            from: q.from,
            to: q.to,
            service: q.service.clone(),
            team: q.team.clone(),
            chain: q.chain.unwrap_or_default(),
            chain_configured: false,
            pull_requests: found.len() as u64,
            total: stats(&mut totals),
            stages,
            bottleneck,
            flow_efficiency: (sum_totals > 0).then(|| active as f64 / sum_totals as f64),
            data_quality: quality,
            series: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Settings;
    use crate::valuestream::ChainName;

    /// The value stream's totals are the `pull_request`-basis lead times, as whole lists, on
    /// the demo organisation, for several windows and filters.
    #[test]
    fn the_totals_are_the_pull_request_lead_times_as_whole_lists() {
        let now = Timestamp(1_767_571_200_000);
        let mut org = Org::new(Settings::default());
        org.apply(crate::demo::demo_org(42, now));
        let day = 86_400_000;
        let mut checked = 0;
        for (days, team) in [
            (30, None),
            (90, None),
            (180, None),
            (90, Some("payments")),
            (180, Some("legacy-billing")),
            (14, Some("search")),
        ] {
            let q = ValueStreamQuery {
                from: Timestamp(now.0 - days * day),
                to: now,
                service: None,
                team: team.map(str::to_owned),
                chain: Some(ChainName::Default),
                interval: Interval::All,
                time_zone: chrono_tz::UTC,
            };
            let (found, _) = org.ways(&q, &ChainName::Default.chain());
            let mut totals: Vec<i64> = found.iter().map(|f| f.way.total()).collect();
            let mut lead: Vec<i64> = Vec::new();
            for d in org.production_deps(&q) {
                org.lead_times(d, 1, &mut lead);
            }
            totals.sort_unstable();
            lead.sort_unstable();
            assert_eq!(totals, lead, "{days} days, {team:?}");
            checked += totals.len();
        }
        assert!(checked > 500, "{checked}");
    }

    #[test]
    fn the_union_of_intervals() {
        assert_eq!(super::union_len(vec![(0, 10), (5, 15), (20, 30)]), 25);
        assert_eq!(super::union_len(vec![(0, 10), (5, 6)]), 10);
        assert_eq!(super::union_len(Vec::new()), 0);
    }
}
