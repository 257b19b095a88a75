//! The simulation behind both generators: a repository's main line, pull requests,
//! deployments, failures and their remediation, deterministic from a seed.

use super::schedule::plan_prs;
use crate::events::{
    ChangeType, Commit, Deployment, DeploymentStatus, Incident, PullRequest, Service, Team,
};
use crate::time::{DAY_MS, MINUTE_MS};
use crate::{Event, Timestamp};

/// A small, fast, deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x6a09_e667_f3bc_c908)
    }
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi` (`lo` when the range is empty).
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next() % ((hi - lo) as u64 + 1)) as i64
    }
    /// Uniform in `[0, 1)`.
    pub(super) fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(super) fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) < p * (1u64 << 53) as f64
    }
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// A 40-hex-digit sha, unique per (repository, counter).
pub(super) fn sha(repo: &str, n: u64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in repo.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut r = Rng(h ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut out = String::with_capacity(40);
    for _ in 0..3 {
        out.push_str(&format!("{:016x}", r.next()));
    }
    out.truncate(40);
    out
}

/// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
pub(super) fn weekday(ms: i64) -> i64 {
    (ms.div_euclid(DAY_MS) + 3).rem_euclid(7)
}

pub(super) fn day_start(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

/// How a team works. Times in milliseconds.
#[derive(Debug, Clone)]
pub(super) struct Profile {
    /// Pull requests merged per working day, per service.
    pub(super) prs_per_day: f64,
    pub(super) pr_open: (i64, i64),
    pub(super) commits_per_pr: (i64, i64),
    /// Share of successful production deployments that cause a failure.
    pub(super) change_failure: f64,
    /// Time from a failed deployment's end to recovery.
    pub(super) recovery: (i64, i64),
    /// Share of production deployments preceded by a failed attempt.
    pub(super) failed_attempt: f64,
    pub(super) rhythm: Rhythm,
    /// How long a pull request waits for its first review, in percent of its time open.
    pub(super) pickup: (i64, i64),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Rhythm {
    /// 1..=n deployments every working day, and now and then one at the weekend.
    Daily(i64),
    /// On this many working days a week, the same days for the whole team.
    Weekly(i64),
    /// A release train: every service of the team on the same day, every `lo..=hi` days, the
    /// first 20 to 40 days in.
    Train(i64, i64),
}

pub(super) const NAMES: [&str; 24] = [
    "aiko", "bruno", "chen", "dana", "emeka", "farah", "goran", "hana", "ines", "jonas", "kavya",
    "lena", "mateo", "nora", "oskar", "priya", "quinn", "rafael", "sofia", "tomas", "uma",
    "viktor", "wen", "yusuf",
];

pub(super) const SUBJECTS: [&str; 12] = [
    "Add retry with jitter to the client",
    "Fix rounding in totals",
    "Bump dependencies",
    "Extract validation into its own module",
    "Add metrics for queue depth",
    "Handle empty responses from upstream",
    "Speed up the hot path by caching lookups",
    "Remove the deprecated v1 endpoint",
    "Log the request id on errors",
    "Tighten the timeout on external calls",
    "Support pagination in list calls",
    "Clarify error messages for bad input",
];

pub(super) const INCIDENTS: [&str; 8] = [
    "Elevated 5xx rate",
    "Latency p99 above SLO",
    "Checkout button unresponsive for some users",
    "Queue backlog growing",
    "Error spike after release",
    "Database connection pool exhausted",
    "Wrong totals shown on receipts",
    "Memory leak, pods restarting",
];

/// A repository's planned work, before its shas are known.
#[derive(Debug)]
pub(super) struct PlannedPr {
    pub(super) opened: i64,
    pub(super) merged: i64,
    pub(super) commits: Vec<i64>,
    pub(super) author: String,
    pub(super) title: String,
    pub(super) first_review: i64,
    pub(super) approved: i64,
}

/// One deployment plan: production at `at`, with what happens after it.
#[derive(Debug, Clone)]
pub(super) struct PlannedDeploy {
    pub(super) at: i64,
    pub(super) failure: Option<Failure>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Failure {
    pub(super) incident_after: i64,
    pub(super) recovery: i64,
    pub(super) rollback: bool,
    pub(super) explicit_link: bool,
}

/// When the parts of a failure happen, for a deployment that finished at `at`.
pub(super) struct Timeline {
    pub(super) started: i64,
    pub(super) recovered: i64,
    pub(super) hotfix_commit: i64,
    pub(super) remediation: i64,
}

impl Failure {
    pub(super) fn timeline(&self, at: i64) -> Timeline {
        let started = at + self.incident_after;
        let recovered = at + self.recovery.max(self.incident_after + 5 * MINUTE_MS);
        Timeline {
            started,
            recovered,
            hotfix_commit: started + (recovered - started) / 2,
            remediation: started + (recovered - started) * 4 / 5,
        }
    }
}

/// The main line of a repository: (time, sha) in time order, and the commit events.
#[derive(Debug, Default)]
pub(super) struct MainLine {
    pub(super) heads: Vec<(i64, String)>,
}

impl MainLine {
    /// The sha the main line held at `t` (the root when nothing was merged yet).
    pub(super) fn at(&self, t: i64) -> Option<&str> {
        let i = self.heads.partition_point(|(when, _)| *when <= t);
        self.heads.get(i.checked_sub(1)?).map(|(_, s)| s.as_str())
    }
}

pub(super) struct RepoSim<'a> {
    pub(super) repo: String,
    pub(super) rng: &'a mut Rng,
    pub(super) counter: u64,
    pub(super) events: Vec<Event>,
    pub(super) main: MainLine,
    pub(super) source: &'a str,
}

impl RepoSim<'_> {
    pub(super) fn next_sha(&mut self) -> String {
        self.counter += 1;
        sha(&self.repo, self.counter)
    }

    pub(super) fn commit(
        &mut self,
        parents: Vec<String>,
        at: i64,
        author: &str,
        message: String,
    ) -> String {
        let sha = self.next_sha();
        self.events.push(Event::Commit(Commit {
            source: self.source.to_string(),
            repo: self.repo.clone(),
            sha: sha.clone(),
            parents,
            author: Some(author.to_string()),
            authored_at: Timestamp(at),
            committed_at: Some(Timestamp(at + self.rng.range(0, 10) * MINUTE_MS)),
            message: Some(message),
            paths: None,
        }));
        sha
    }

    /// Builds the main line from a root commit, merging the pull requests and the direct commits
    /// in time order.
    pub(super) fn build(
        &mut self,
        start: i64,
        prs: Vec<PlannedPr>,
        direct: Vec<(i64, String, String)>,
    ) {
        enum Step {
            Merge(PlannedPr),
            Direct(String, String),
        }
        let mut steps: Vec<(i64, Step)> = prs
            .into_iter()
            .map(|p| (p.merged, Step::Merge(p)))
            .collect();
        steps.extend(direct.into_iter().map(|(t, a, m)| (t, Step::Direct(a, m))));
        steps.sort_by_key(|(t, _)| *t);
        let root = self.commit(Vec::new(), start, "aiko", "Initial import".into());
        self.main.heads.push((start, root));
        let mut pr_number = 100;
        for (at, step) in steps {
            let head = self.main.at(at).unwrap_or_default().to_string();
            let sha = match step {
                Step::Direct(author, message) => self.commit(vec![head], at, &author, message),
                Step::Merge(pr) => {
                    pr_number += 1;
                    let mut parent = self.main.at(pr.opened).unwrap_or_default().to_string();
                    let mut shas = Vec::with_capacity(pr.commits.len());
                    for (i, t) in pr.commits.iter().enumerate() {
                        let msg = if i == 0 {
                            pr.title.clone()
                        } else {
                            format!("Address review on #{pr_number}")
                        };
                        parent = self.commit(vec![parent], *t, &pr.author, msg);
                        shas.push(parent.clone());
                    }
                    let merge = self.commit(
                        vec![head, parent],
                        at,
                        &pr.author,
                        format!("Merge pull request #{pr_number}: {}", pr.title),
                    );
                    self.events.push(Event::PullRequest(PullRequest {
                        source: self.source.to_string(),
                        repo: self.repo.clone(),
                        id: pr_number.to_string(),
                        title: Some(pr.title),
                        author: Some(pr.author),
                        opened_at: Timestamp(pr.opened),
                        first_review_at: Some(Timestamp(pr.first_review.min(at))),
                        approved_at: Some(Timestamp(pr.approved.min(at))),
                        merged_at: Some(Timestamp(at)),
                        merge_commit: Some(merge.clone()),
                        commits: shas,
                    }));
                    merge
                }
            };
            self.main.heads.push((at, sha));
        }
    }
}

/// One service to simulate: its name, its repository, the team profile.
pub(super) struct ServicePlan<'a> {
    pub(super) name: &'a str,
    pub(super) profile: &'a Profile,
    pub(super) deploys: Vec<PlannedDeploy>,
}

/// Everything one repository and its services produce: commits, pull requests, deployments and
/// incidents. `incident_ids` numbers incidents across the organisation.
#[allow(clippy::too_many_arguments)]
pub(super) fn simulate_repo(
    rng: &mut Rng,
    source: &str,
    repo: &str,
    services: &mut [ServicePlan<'_>],
    pr_count: usize,
    direct_count: usize,
    members: &[String],
    start: i64,
    end: i64,
    next_incident: &mut u64,
) -> Vec<Event> {
    let Some(profile) = services.first().map(|s| s.profile.clone()) else {
        return Vec::new();
    };
    // Plan failures first: hotfix commits must be part of the main line.
    let mut direct: Vec<(i64, String, String)> = Vec::new();
    for s in services.iter_mut() {
        for d in s.deploys.iter_mut() {
            if d.failure.is_none() && rng.chance(s.profile.change_failure) {
                d.failure = Some(Failure {
                    incident_after: rng.range(5, 180) * MINUTE_MS,
                    recovery: rng.range(s.profile.recovery.0, s.profile.recovery.1),
                    rollback: rng.chance(0.5),
                    explicit_link: rng.chance(0.5),
                });
            }
            if let Some(f) = d.failure.filter(|f| !f.rollback) {
                let at = f.timeline(d.at).hotfix_commit;
                direct.push((at, rng.pick(members).clone(), format!("Hotfix: {}", s.name)));
            }
        }
    }
    for _ in 0..direct_count {
        let at = start + rng.range(DAY_MS, (end - start - 1).max(DAY_MS));
        direct.push((
            at,
            rng.pick(members).clone(),
            rng.pick(&SUBJECTS).to_string(),
        ));
    }
    let prs = plan_prs(rng, &profile, pr_count, start, end, members);
    let mut sim = RepoSim {
        repo: repo.to_string(),
        rng,
        counter: 0,
        events: Vec::new(),
        main: MainLine::default(),
        source,
    };
    sim.build(start, prs, direct);
    let RepoSim {
        rng,
        mut events,
        main,
        ..
    } = sim;

    for s in services.iter() {
        let mut n = 0u64;
        let mut last_good: Option<String> = None;
        let mut deploy = |events: &mut Vec<Event>,
                          env: &str,
                          status,
                          at: i64,
                          sha: &str,
                          change_type,
                          remediates| {
            n += 1;
            events.push(Event::Deployment(Deployment {
                source: source.to_string(),
                id: format!("{}-{n}", s.name),
                service: s.name.to_string(),
                environment: env.to_string(),
                environment_tier: None,
                status,
                started_at: Some(Timestamp(at - 7 * MINUTE_MS)),
                finished_at: Some(Timestamp(at)),
                sha: sha.to_string(),
                change_type,
                remediates,
                marked_failed: false,
                commits: Vec::new(),
            }));
            format!("{}-{n}", s.name)
        };
        for d in &s.deploys {
            let Some(sha) = main.at(d.at - 15 * MINUTE_MS).map(str::to_string) else {
                continue;
            };
            deploy(
                &mut events,
                "staging",
                DeploymentStatus::Success,
                d.at - 50 * MINUTE_MS,
                &sha,
                ChangeType::Normal,
                None,
            );
            if rng.chance(s.profile.failed_attempt) {
                deploy(
                    &mut events,
                    "production",
                    DeploymentStatus::Failure,
                    d.at - 25 * MINUTE_MS,
                    &sha,
                    ChangeType::Normal,
                    None,
                );
            }
            let id = deploy(
                &mut events,
                "production",
                DeploymentStatus::Success,
                d.at,
                &sha,
                ChangeType::Normal,
                None,
            );
            let Some(f) = d.failure else {
                last_good = Some(sha);
                continue;
            };
            *next_incident += 1;
            let incident_id = format!("INC-{}", *next_incident);
            let Timeline {
                started,
                recovered,
                remediation: remediation_at,
                ..
            } = f.timeline(d.at);
            let open = recovered >= end;
            events.push(Event::Incident(Incident {
                source: source.to_string(),
                id: incident_id.clone(),
                service: s.name.to_string(),
                title: Some(format!("{}: {}", s.name, rng.pick(&INCIDENTS))),
                started_at: Timestamp(started),
                resolved_at: (!open).then_some(Timestamp(recovered)),
                severity: Some(rng.pick(&["sev1", "sev2", "sev2", "sev3"]).to_string()),
                caused_by_deployment: f.explicit_link.then(|| id.clone()),
                excluded: false,
                remediated_by_deployment: None,
            }));
            if remediation_at >= end {
                continue;
            }
            if f.rollback {
                if let Some(good) = last_good.clone() {
                    deploy(
                        &mut events,
                        "production",
                        DeploymentStatus::Success,
                        remediation_at,
                        &good,
                        ChangeType::Rollback,
                        Some(incident_id),
                    );
                }
            } else if let Some(fix) = main.at(remediation_at).map(str::to_string) {
                deploy(
                    &mut events,
                    "production",
                    DeploymentStatus::Success,
                    remediation_at,
                    &fix,
                    ChangeType::Hotfix,
                    Some(incident_id),
                );
                last_good = Some(fix);
            }
        }
    }
    events
}

pub(super) fn team_events(source: &str, name: &str, display: &str, members: &[String]) -> Event {
    Event::Team(Team {
        source: source.to_string(),
        name: name.to_string(),
        display_name: Some(display.to_string()),
        members: members.to_vec(),
    })
}

pub(super) fn service_event(
    source: &str,
    name: &str,
    repo: &str,
    team: &str,
    monorepo: bool,
) -> Event {
    Event::Service(Service {
        source: source.to_string(),
        name: name.to_string(),
        repo: Some(repo.to_string()),
        repo_url: Some(format!("https://github.com/{repo}")),
        teams: vec![team.to_string()],
        path_prefix: monorepo.then(|| format!("services/{name}/")),
        tier: None,
    })
}
