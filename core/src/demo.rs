//! Generated organisations: the realistic demo (`nagare demo`, `make run`) and the large synthetic
//! organisation of `make bench`. Both are deterministic from a seed.
//!
//! One generator serves both. For each repository it plans pull requests (branch commits plus a
//! merge commit whose first parent is the main line), direct commits and hotfix commits, builds the
//! main line in time order, and then deploys whatever the main line held shortly before each
//! deployment. Deployments fail now and then: an incident follows, and a rollback or a hotfix
//! remediates it. Staging deployments and failed attempts surround the production ones.

use crate::events::{
    ChangeType, Commit, Deployment, DeploymentStatus, Incident, PullRequest, Service, Team,
};
use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use crate::{Event, Timestamp};

/// A small, fast, deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x6a09_e667_f3bc_c908)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi` (`lo` when the range is empty).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next() % ((hi - lo) as u64 + 1)) as i64
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) < p * (1u64 << 53) as f64
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// A 40-hex-digit sha, unique per (repository, counter).
fn sha(repo: &str, n: u64) -> String {
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
fn weekday(ms: i64) -> i64 {
    (ms.div_euclid(DAY_MS) + 3).rem_euclid(7)
}

fn day_start(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS) * DAY_MS
}

/// How a team works. Times in milliseconds.
#[derive(Debug, Clone)]
struct Profile {
    /// Pull requests merged per working day, per service.
    prs_per_day: f64,
    pr_open: (i64, i64),
    commits_per_pr: (i64, i64),
    /// Share of successful production deployments that cause a failure.
    change_failure: f64,
    /// Time from a failed deployment's end to recovery.
    recovery: (i64, i64),
    /// Share of production deployments preceded by a failed attempt.
    failed_attempt: f64,
    rhythm: Rhythm,
}

#[derive(Debug, Clone, Copy)]
enum Rhythm {
    /// 1..=n deployments every working day, and now and then one at the weekend.
    Daily(i64),
    /// On this many working days a week, the same days for the whole team.
    Weekly(i64),
    /// A release train: every service of the team on the same day, every `lo..=hi` days, the
    /// first 20 to 40 days in.
    Train(i64, i64),
}

const NAMES: [&str; 24] = [
    "aiko", "bruno", "chen", "dana", "emeka", "farah", "goran", "hana", "ines", "jonas", "kavya",
    "lena", "mateo", "nora", "oskar", "priya", "quinn", "rafael", "sofia", "tomas", "uma",
    "viktor", "wen", "yusuf",
];

const SUBJECTS: [&str; 12] = [
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

const INCIDENTS: [&str; 8] = [
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
struct PlannedPr {
    opened: i64,
    merged: i64,
    commits: Vec<i64>,
    author: String,
    title: String,
}

/// One deployment plan: production at `at`, with what happens after it.
#[derive(Debug, Clone)]
struct PlannedDeploy {
    at: i64,
    failure: Option<Failure>,
}

#[derive(Debug, Clone, Copy)]
struct Failure {
    incident_after: i64,
    recovery: i64,
    rollback: bool,
    explicit_link: bool,
}

/// When the parts of a failure happen, for a deployment that finished at `at`.
struct Timeline {
    started: i64,
    recovered: i64,
    hotfix_commit: i64,
    remediation: i64,
}

impl Failure {
    fn timeline(&self, at: i64) -> Timeline {
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
struct MainLine {
    heads: Vec<(i64, String)>,
}

impl MainLine {
    /// The sha the main line held at `t` (the root when nothing was merged yet).
    fn at(&self, t: i64) -> Option<&str> {
        let i = self.heads.partition_point(|(when, _)| *when <= t);
        self.heads.get(i.checked_sub(1)?).map(|(_, s)| s.as_str())
    }
}

struct RepoSim<'a> {
    repo: String,
    rng: &'a mut Rng,
    counter: u64,
    events: Vec<Event>,
    main: MainLine,
    source: &'a str,
}

impl RepoSim<'_> {
    fn next_sha(&mut self) -> String {
        self.counter += 1;
        sha(&self.repo, self.counter)
    }

    fn commit(&mut self, parents: Vec<String>, at: i64, author: &str, message: String) -> String {
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
        }));
        sha
    }

    /// Builds the main line from a root commit, merging the pull requests and the direct commits
    /// in time order.
    fn build(&mut self, start: i64, prs: Vec<PlannedPr>, direct: Vec<(i64, String, String)>) {
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
                    let review = pr.opened + (at - pr.opened) / 3;
                    self.events.push(Event::PullRequest(PullRequest {
                        source: self.source.to_string(),
                        repo: self.repo.clone(),
                        id: pr_number.to_string(),
                        title: Some(pr.title),
                        author: Some(pr.author),
                        opened_at: Timestamp(pr.opened),
                        first_review_at: Some(Timestamp(review)),
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
struct ServicePlan<'a> {
    name: &'a str,
    profile: &'a Profile,
    deploys: Vec<PlannedDeploy>,
}

/// Plans production deployment times for a rhythm between `start` and `end`.
fn deploy_times(rng: &mut Rng, rhythm: Rhythm, start: i64, end: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let work_time = |rng: &mut Rng, day: i64| day + rng.range(9 * 60, 17 * 60 + 30) * MINUTE_MS;
    match rhythm {
        Rhythm::Daily(n) => {
            let mut day = day_start(start) + DAY_MS;
            while day < end {
                let count = if weekday(day) < 5 {
                    rng.range(1, n)
                } else {
                    i64::from(rng.chance(0.1))
                };
                for _ in 0..count {
                    out.push(work_time(rng, day));
                }
                day += DAY_MS;
            }
        }
        Rhythm::Weekly(days) => {
            let mut monday = day_start(start) + DAY_MS;
            while weekday(monday) != 0 {
                monday += DAY_MS;
            }
            while monday < end {
                let mut chosen: Vec<i64> = Vec::new();
                while (chosen.len() as i64) < days.clamp(1, 5) {
                    let d = rng.range(0, 4);
                    if !chosen.contains(&d) {
                        chosen.push(d);
                    }
                }
                for d in chosen {
                    out.push(work_time(rng, monday + d * DAY_MS));
                }
                monday += 7 * DAY_MS;
            }
        }
        Rhythm::Train(lo, hi) => {
            let first = rng.range(20, 40);
            let mut day = day_start(start) + first * DAY_MS;
            while day < end {
                while weekday(day) >= 5 {
                    day += DAY_MS;
                }
                out.push(work_time(rng, day));
                day += rng.range(lo, hi) * DAY_MS;
            }
        }
    }
    out.retain(|t| *t < end);
    out.sort_unstable();
    out
}

/// Pull requests merged between `start` and `end`, on working days.
fn plan_prs(
    rng: &mut Rng,
    p: &Profile,
    count: usize,
    start: i64,
    end: i64,
    team: &[String],
) -> Vec<PlannedPr> {
    let mut out = Vec::with_capacity(count);
    let span = (end - start).max(1);
    while out.len() < count {
        let mut merged = start + rng.range(DAY_MS, span - 1);
        if weekday(merged) >= 5 {
            merged -= 2 * DAY_MS;
        }
        let merged = day_start(merged) + rng.range(9 * 60, 18 * 60) * MINUTE_MS;
        let opened = merged - rng.range(p.pr_open.0, p.pr_open.1);
        if opened <= start || merged >= end {
            continue;
        }
        let n = rng.range(p.commits_per_pr.0, p.commits_per_pr.1).max(1);
        // The first commit comes a little before the pull request opens; the rest before review.
        let first = opened - rng.range(10, 120) * MINUTE_MS;
        let last = opened + (merged - opened) * 2 / 3;
        let mut commits: Vec<i64> = (0..n)
            .map(|i| first + (last - first) * i / n.max(1))
            .collect();
        commits.sort_unstable();
        out.push(PlannedPr {
            opened,
            merged,
            commits,
            author: rng.pick(team).clone(),
            title: rng.pick(&SUBJECTS).to_string(),
        });
    }
    out
}

struct TeamSpec {
    name: &'static str,
    display: &'static str,
    profile: Profile,
    /// (service, repository) pairs; services sharing a repository form a monorepo.
    services: &'static [(&'static str, &'static str)],
}

fn demo_teams() -> Vec<TeamSpec> {
    vec![
        TeamSpec {
            name: "checkout",
            display: "Checkout",
            profile: Profile {
                prs_per_day: 3.0,
                pr_open: (HOUR_MS, 6 * HOUR_MS),
                commits_per_pr: (1, 3),
                change_failure: 0.03,
                recovery: (12 * MINUTE_MS, 50 * MINUTE_MS),
                failed_attempt: 0.04,
                rhythm: Rhythm::Daily(4),
            },
            services: &[
                ("checkout-web", "acme/checkout-web"),
                ("checkout-api", "acme/checkout-api"),
                ("cart-api", "acme/cart-api"),
                ("promotions", "acme/promotions"),
            ],
        },
        TeamSpec {
            name: "payments",
            display: "Payments",
            profile: Profile {
                prs_per_day: 1.5,
                pr_open: (6 * HOUR_MS, 3 * DAY_MS),
                commits_per_pr: (1, 5),
                change_failure: 0.12,
                recovery: (90 * MINUTE_MS, 10 * HOUR_MS),
                failed_attempt: 0.08,
                rhythm: Rhythm::Weekly(2),
            },
            services: &[
                ("payments-api", "acme/payments-api"),
                ("ledger", "acme/ledger"),
                ("fraud-scoring", "acme/fraud-scoring"),
            ],
        },
        TeamSpec {
            name: "search",
            display: "Search",
            profile: Profile {
                prs_per_day: 0.8,
                pr_open: (DAY_MS, 6 * DAY_MS),
                commits_per_pr: (2, 6),
                change_failure: 0.14,
                recovery: (4 * HOUR_MS, 20 * HOUR_MS),
                failed_attempt: 0.12,
                rhythm: Rhythm::Train(12, 20),
            },
            services: &[
                ("search-api", "acme/search-platform"),
                ("indexer", "acme/search-platform"),
                ("query-suggest", "acme/search-platform"),
            ],
        },
        TeamSpec {
            name: "legacy-billing",
            display: "Legacy Billing",
            profile: Profile {
                prs_per_day: 0.3,
                pr_open: (3 * DAY_MS, 15 * DAY_MS),
                commits_per_pr: (2, 8),
                change_failure: 0.5,
                recovery: (2 * DAY_MS, 6 * DAY_MS),
                failed_attempt: 0.25,
                rhythm: Rhythm::Train(85, 100),
            },
            services: &[
                ("billing-core", "acme/billing-monolith"),
                ("invoice-renderer", "acme/billing-monolith"),
                ("dunning", "acme/dunning"),
            ],
        },
    ]
}

/// Everything one repository and its services produce: commits, pull requests, deployments and
/// incidents. `incident_ids` numbers incidents across the organisation.
#[allow(clippy::too_many_arguments)]
fn simulate_repo(
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

fn team_events(source: &str, name: &str, display: &str, members: &[String]) -> Event {
    Event::Team(Team {
        source: source.to_string(),
        name: name.to_string(),
        display_name: Some(display.to_string()),
        members: members.to_vec(),
    })
}

fn service_event(source: &str, name: &str, repo: &str, team: &str, monorepo: bool) -> Event {
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

/// The demo organisation: four teams spread across the DORA bands (checkout elite, payments high,
/// search medium, legacy-billing low), thirteen services (two monorepos among them), and 180
/// days of history ending at `now`: commits with merges, reviewed pull requests, staging and
/// production deployments, failed attempts, rollbacks, hotfixes, and incidents open and resolved.
pub fn demo_org(seed: u64, now: Timestamp) -> Vec<Event> {
    const SOURCE: &str = "demo";
    let end = now.0;
    let start = end - 180 * DAY_MS;
    let mut rng = Rng::new(seed);
    let mut events = Vec::new();
    let mut next_incident = 1000u64;
    let mut people = NAMES
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .into_iter();
    for team in demo_teams() {
        let members: Vec<String> = people.by_ref().take(6).collect();
        events.push(team_events(SOURCE, team.name, team.display, &members));
        let mut repos: Vec<&str> = team.services.iter().map(|(_, r)| *r).collect();
        repos.dedup();
        let train = matches!(team.profile.rhythm, Rhythm::Train(..) | Rhythm::Weekly(_))
            .then(|| deploy_times(&mut rng, team.profile.rhythm, start, end));
        let mut offset = 0;
        for repo in repos {
            let names: Vec<&str> = team
                .services
                .iter()
                .filter(|(_, r)| *r == repo)
                .map(|(s, _)| *s)
                .collect();
            let mono = names.len() > 1;
            let mut plans: Vec<ServicePlan<'_>> = names
                .iter()
                .map(|name| {
                    events.push(service_event(SOURCE, name, repo, team.name, mono));
                    let times = match (&train, team.profile.rhythm) {
                        // A release train: the same day for every service, a little apart.
                        (Some(days), _) => {
                            offset += 1;
                            days.iter().map(|t| t + offset * 20 * MINUTE_MS).collect()
                        }
                        (None, rhythm) => deploy_times(&mut rng, rhythm, start + 3 * DAY_MS, end),
                    };
                    let deploys = times
                        .into_iter()
                        .map(|at| PlannedDeploy { at, failure: None })
                        .collect();
                    ServicePlan {
                        name,
                        profile: &team.profile,
                        deploys,
                    }
                })
                .collect();
            let working_days = 180.0 * 5.0 / 7.0;
            let prs = (team.profile.prs_per_day * working_days * names.len() as f64) as usize;
            events.extend(simulate_repo(
                &mut rng,
                SOURCE,
                repo,
                &mut plans,
                prs,
                prs / 10,
                &members,
                start,
                end,
                &mut next_incident,
            ));
        }
    }
    // Incidents with no deployment behind them: a provider outage (excluded) and alerts long
    // after any deployment of a slow-moving service.
    let outage = end - 40 * DAY_MS + 3 * HOUR_MS;
    for service in ["checkout-api", "payments-api", "search-api"] {
        next_incident += 1;
        events.push(Event::Incident(Incident {
            source: SOURCE.to_string(),
            id: format!("INC-{next_incident}"),
            service: service.to_string(),
            title: Some("Cloud provider region degraded (not a change)".to_string()),
            started_at: Timestamp(outage),
            resolved_at: Some(Timestamp(outage + 2 * HOUR_MS)),
            severity: Some("sev2".to_string()),
            caused_by_deployment: None,
            excluded: true,
            remediated_by_deployment: None,
        }));
    }
    next_incident += 1;
    events.push(Event::Incident(Incident {
        source: SOURCE.to_string(),
        id: format!("INC-{next_incident}"),
        service: "payments-api".to_string(),
        title: Some("payments-api: intermittent timeouts from the card network".to_string()),
        started_at: Timestamp(end - 3 * HOUR_MS),
        resolved_at: None,
        severity: Some("sev2".to_string()),
        caused_by_deployment: None,
        excluded: false,
        remediated_by_deployment: None,
    }));
    events
}

/// Sizes of a synthetic organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthSpec {
    pub deployments: usize,
    pub commits: usize,
    pub pull_requests: usize,
    pub incidents: usize,
    pub services: usize,
    pub teams: usize,
}

impl SynthSpec {
    /// The size `make bench` uses: 100k production deployments, 1M commits, 50k pull requests
    /// and 10k incidents across 200 services and 20 teams, over one year.
    pub const BENCH: SynthSpec = SynthSpec {
        deployments: 100_000,
        commits: 1_000_000,
        pull_requests: 50_000,
        incidents: 10_000,
        services: 200,
        teams: 20,
    };
}

/// A large organisation of exactly the given sizes (production deployments, commits, pull
/// requests and attributed incidents; staging deployments come on top), over the year before
/// `end`. Generated one service at a time, so memory stays small.
pub fn synthetic(spec: &SynthSpec, seed: u64, end: Timestamp) -> impl Iterator<Item = Event> {
    const SOURCE: &str = "bench";
    let spec = *spec;
    let services = spec.services.max(1);
    let teams = spec.teams.clamp(1, services);
    let start = end.0 - 365 * DAY_MS;
    let share = move |total: usize, i: usize| total / services + usize::from(i < total % services);
    let profile = Profile {
        prs_per_day: 0.0,
        pr_open: (2 * HOUR_MS, 3 * DAY_MS),
        commits_per_pr: (1, 1),
        change_failure: 0.0,
        recovery: (30 * MINUTE_MS, 12 * HOUR_MS),
        failed_attempt: 0.0,
        rhythm: Rhythm::Daily(1),
    };
    let header = (0..teams).map(move |t| {
        let members: Vec<String> = (0..5).map(|m| format!("dev-{t}-{m}")).collect();
        team_events(SOURCE, &format!("team-{t}"), &format!("Team {t}"), &members)
    });
    let body = (0..services).flat_map(move |i| {
        let mut rng = Rng::new(seed.wrapping_add(i as u64));
        let name = format!("svc-{i}");
        let repo = format!("synth/repo-{i}");
        let team = format!("team-{}", i % teams);
        let members: Vec<String> = (0..5).map(|m| format!("dev-{}-{m}", i % teams)).collect();
        let deploys_n = share(spec.deployments, i);
        let prs_n = share(spec.pull_requests, i);
        let incidents_n = share(spec.incidents, i).min(deploys_n);
        let commits_n = share(spec.commits, i);
        // Each pull request brings its branch commits plus one merge commit; the root is one more.
        let per_pr = commits_n
            .saturating_sub(1 + prs_n)
            .checked_div(prs_n)
            .map_or(0, |n| n.clamp(1, 30));
        let mut p = profile.clone();
        p.commits_per_pr = (per_pr as i64, per_pr as i64);
        let used = 1 + prs_n * (per_pr + 1);
        // Deployments spread evenly over the year, with jitter; failures chosen at even steps.
        let gap = (365 * DAY_MS) / (deploys_n.max(1) as i64 + 1);
        let step = deploys_n.checked_div(incidents_n).unwrap_or(usize::MAX);
        let deploys: Vec<PlannedDeploy> = (0..deploys_n)
            .map(|k| {
                let at = start + gap * (k as i64 + 1) + rng.range(0, gap / 2);
                let failure = (step != usize::MAX
                    && k % step == step / 2
                    && k / step < incidents_n)
                    .then(|| Failure {
                        incident_after: rng.range(5, 120) * MINUTE_MS,
                        recovery: rng.range(p.recovery.0, p.recovery.1),
                        rollback: rng.chance(0.5),
                        explicit_link: rng.chance(0.3),
                    });
                PlannedDeploy { at, failure }
            })
            .collect();
        let hotfixes = deploys
            .iter()
            .filter(|d| d.failure.is_some_and(|f| !f.rollback))
            .count();
        let direct = commits_n.saturating_sub(used + hotfixes);
        let mut plans = vec![ServicePlan {
            name: &name,
            profile: &p,
            deploys,
        }];
        let mut next_incident = (i as u64) * 1_000_000;
        let mut events = vec![service_event(SOURCE, &name, &repo, &team, false)];
        events.extend(simulate_repo(
            &mut rng,
            SOURCE,
            &repo,
            &mut plans,
            prs_n,
            direct,
            &members,
            start,
            end.0,
            &mut next_incident,
        ));
        events
    });
    header.chain(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Band, Benchmark, DoraQuery, Interval, LeadTimeBasis};
    use crate::events::EnvironmentTier;
    use crate::model::{Org, Settings};
    use std::collections::HashSet;

    fn now() -> Timestamp {
        Timestamp::parse("2026-06-01T12:00:00Z").unwrap_or(Timestamp(0))
    }

    fn org(events: Vec<Event>) -> Org {
        let mut org = Org::new(Settings::default());
        org.apply(events);
        org
    }

    fn team_query(team: &str) -> DoraQuery {
        DoraQuery {
            from: Timestamp(now().0 - 90 * DAY_MS),
            to: now(),
            service: None,
            team: Some(team.to_string()),
            environment_tier: EnvironmentTier::Production,
            basis: LeadTimeBasis::Commit,
            benchmark: Benchmark::Dora2024,
            interval: Interval::All,
            time_zone: None,
        }
    }

    #[test]
    fn demo_is_deterministic_and_keys_are_unique() {
        let a = demo_org(42, now());
        let b = demo_org(42, now());
        assert_eq!(a, b);
        assert_ne!(a, demo_org(43, now()));
        let keys: HashSet<_> = a.iter().map(Event::key).collect();
        assert_eq!(keys.len(), a.len(), "every event has its own key");
    }

    #[test]
    fn demo_has_the_promised_shape() {
        let events = demo_org(7, now());
        let count = |f: fn(&Event) -> bool| events.iter().filter(|e| f(e)).count();
        assert!(count(|e| matches!(e, Event::Team(_))) >= 4);
        assert!(count(|e| matches!(e, Event::Service(_))) >= 12);
        let mut repos: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::Service(s) => s.repo.clone(),
                _ => None,
            })
            .collect();
        let services = repos.len();
        repos.sort();
        repos.dedup();
        assert!(repos.len() < services, "some services share a monorepo");
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Commit(c) if c.parents.len() == 2)),
            "merges"
        );
        assert!(events
            .iter()
            .any(|e| matches!(e, Event::PullRequest(p) if p.first_review_at.is_some())));
        let deploy = |f: fn(&Deployment) -> bool| {
            events
                .iter()
                .any(|e| matches!(e, Event::Deployment(d) if f(d)))
        };
        assert!(deploy(|d| d.environment == "staging"));
        assert!(
            deploy(|d| d.status == DeploymentStatus::Failure),
            "failed attempts"
        );
        assert!(deploy(|d| d.change_type == ChangeType::Rollback));
        assert!(deploy(|d| d.change_type == ChangeType::Hotfix));
        let incident = |f: fn(&Incident) -> bool| {
            events
                .iter()
                .any(|e| matches!(e, Event::Incident(i) if f(i)))
        };
        assert!(incident(|i| i.resolved_at.is_none()), "an open incident");
        assert!(incident(|i| i.resolved_at.is_some()));
        assert!(incident(|i| i.excluded));
        let first = events.iter().filter_map(|e| match e {
            Event::Commit(c) => Some(c.authored_at.0),
            _ => None,
        });
        let earliest = first.min().unwrap_or(now().0);
        assert!(now().0 - earliest >= 179 * DAY_MS, "180 days of history");
    }

    #[test]
    fn demo_teams_span_the_bands() {
        // 42 is the seed `make run` uses; the others show the spread does not hang on one seed.
        for seed in [42, 1, 2, 3, 7] {
            teams_span_the_bands(seed);
        }
    }

    fn teams_span_the_bands(seed: u64) {
        let org = org(demo_org(seed, now()));
        let checkout = org.dora(&team_query("checkout"));
        let legacy = org.dora(&team_query("legacy-billing"));
        assert_eq!(
            checkout.deployment_frequency.band,
            Band::Elite,
            "{:?}",
            checkout.deployment_frequency
        );
        assert_eq!(
            checkout.change_lead_time.band,
            Some(Band::Elite),
            "{:?}",
            checkout.change_lead_time
        );
        assert_eq!(
            legacy.deployment_frequency.band,
            Band::Low,
            "{:?}",
            legacy.deployment_frequency
        );
        assert_eq!(
            legacy.change_lead_time.band,
            Some(Band::Low),
            "{:?}",
            legacy.change_lead_time
        );
        let payments = org.dora(&team_query("payments"));
        assert_eq!(
            payments.deployment_frequency.band,
            Band::High,
            "{:?}",
            payments.deployment_frequency
        );
        assert_eq!(
            payments.change_lead_time.band,
            Some(Band::High),
            "{:?}",
            payments.change_lead_time
        );
        let search = org.dora(&team_query("search"));
        assert_eq!(
            search.change_lead_time.band,
            Some(Band::Medium),
            "{:?}",
            search.change_lead_time
        );
        assert_eq!(
            search.deployment_frequency.band,
            Band::Medium,
            "{:?}",
            search.deployment_frequency
        );
        // Lead-time bases differ: merge → deploy is never longer than commit → deploy.
        let merge = org.dora(&DoraQuery {
            basis: LeadTimeBasis::Merge,
            ..team_query("payments")
        });
        assert!(merge.change_lead_time.median <= payments.change_lead_time.median);
    }

    #[test]
    fn synthetic_has_exact_sizes() {
        let spec = SynthSpec {
            deployments: 400,
            commits: 5000,
            pull_requests: 200,
            incidents: 40,
            services: 4,
            teams: 2,
        };
        let events: Vec<Event> = synthetic(&spec, 3, now()).collect();
        let prod = events
            .iter()
            .filter(|e| {
                matches!(e, Event::Deployment(d) if d.environment == "production"
                    && d.status == DeploymentStatus::Success && d.change_type == ChangeType::Normal)
            })
            .count();
        assert_eq!(prod, spec.deployments);
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e, Event::Commit(_)))
                .count(),
            spec.commits
        );
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e, Event::PullRequest(_)))
                .count(),
            spec.pull_requests
        );
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e, Event::Incident(_)))
                .count(),
            spec.incidents
        );
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e, Event::Service(_)))
                .count(),
            spec.services
        );
        let keys: HashSet<_> = events.iter().map(Event::key).collect();
        assert_eq!(keys.len(), events.len());
    }
}
