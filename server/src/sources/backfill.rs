//! `nagare backfill github --since 180d [--repo owner/name]`: a repository's history from
//! GitHub's REST API, so that DORA numbers cover it from the first day.
//!
//! The REST lists return the very objects the webhooks carry, so each one fetched is wrapped
//! as the webhook payload that would have carried it (`{"deployment_status": …, "deployment":
//! …, "repository": …}`) and stored exactly as a delivery: mapped by the same rules, merged
//! into the same events, and kept raw, so that `nagare replay` covers the backfill too. Its
//! delivery id names the object and its state (`backfill:workflow_run:<id>-<attempt>:<updated
//! at>`), so a second backfill, or one resumed after a crash, stores nothing twice.
//!
//! Per repository, in order (each a phase with its own cursor in `backfill_state`):
//!
//! | phase | what |
//! |---|---|
//! | `deployments` | deployments created since, with all their statuses |
//! | `runs` | workflow runs created since, with the jobs of every attempt |
//! | `pulls` | pull requests updated since, with their reviews |
//! | `issues` | issues with an incident label updated since |
//! | `compare` | the commits between successive deployments of an environment, with parents (left out for a mirrored repository: the mirror has them exactly) |
//!
//! Each page is stored in one transaction with the cursor of the next page: stopped at any
//! point, the next run resumes from the page after the last one stored.

use super::github_api::{ApiFailure, Client};
use super::Source;
use crate::store::Store;
use nagare_core::Timestamp;
use serde_json::{json, Value};

mod compare;
mod page;
mod report;

pub(crate) use page::store_synthesized;
pub use report::{Outcome, RepoReport};

pub const PHASES: [&str; 5] = ["deployments", "runs", "pulls", "issues", "compare"];

/// What the progress line shows.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub repo: String,
    pub phase: &'static str,
    pub pages: u64,
    /// The current phase's pages, as GitHub's `Link` header says (`rel="last"`).
    pub phase_pages: Option<(u64, u64)>,
    pub objects: u64,
    pub requests: u64,
}

/// An object fetched, as the webhook delivery that would have carried it.
pub(crate) struct Synth {
    pub(crate) event: &'static str,
    pub(crate) id: String,
    pub(crate) body: Value,
}

/// Why a backfill cannot run with this configuration (no GitHub API access, or no
/// repository rule), as a sentence naming what to set; `None` when it can.
pub fn unavailable(config: &crate::config::Config) -> Option<String> {
    let gh = &config.sources.github;
    if let Err(e) = gh.api_auth() {
        return Some(e);
    }
    if gh.repos.is_empty() {
        return Some(
            "no repository to backfill: add [[sources.github.repos]] rules mapping repositories to services".into(),
        );
    }
    None
}

/// Backfills since `since` (epoch ms) every repository the configuration's rules name (or
/// `only`), with its GitHub API access and incident labels: what `nagare backfill github`
/// and the Sources page's button run. An error is one that stops before any repository
/// (no API access, the rules' repositories not listed); a repository that stops is in its
/// report.
pub async fn run_configured(
    store: &Store,
    config: &crate::config::Config,
    since: i64,
    only: Option<&str>,
    progress: &(dyn Fn(&Progress) + Sync),
) -> anyhow::Result<Outcome> {
    use super::github_api::Backoff;
    let started = std::time::Instant::now();
    let gh = &config.sources.github;
    let auth = gh.api_auth().map_err(anyhow::Error::msg)?;
    let client = Client::new(&gh.api_url, auth, Backoff::default())?;
    let mapping = super::github::Github::mapping(gh)?;
    let repos = repositories(&client, &gh.repos, only).await?;
    if repos.is_empty() {
        anyhow::bail!(
            "no repository to backfill: add [[sources.github.repos]] rules, or name one (--repo owner/name)"
        );
    }
    let mirrored: Vec<String> = config
        .sources
        .git
        .mirrors
        .iter()
        .map(|m| m.repo.clone())
        .collect();
    let scope = Scope {
        since,
        incident_labels: &gh.incident_labels,
        mirrored: &mirrored,
    };
    let reports = backfill(store, &mapping, &client, &repos, &scope, progress).await;
    Ok(Outcome {
        reports,
        requests: client.requests.load(std::sync::atomic::Ordering::Relaxed),
        waits: client.waits.load(std::sync::atomic::Ordering::Relaxed),
        took: started.elapsed(),
    })
}

/// Which repositories a backfill covers: `only`, else every exact `[[sources.github.repos]]`
/// rule and every repository of an `owner/*` rule's owner.
pub async fn repositories(
    client: &Client,
    rules: &[crate::config::RepoRuleConfig],
    only: Option<&str>,
) -> anyhow::Result<Vec<String>> {
    if let Some(repo) = only {
        return Ok(vec![repo.to_owned()]);
    }
    let mut out = Vec::new();
    for r in rules {
        match r.repo.strip_suffix("/*") {
            None => out.push(r.repo.clone()),
            Some(owner) => {
                let mut url = Some(client.url(&format!("/orgs/{owner}/repos?per_page=100")));
                let mut first = true;
                while let Some(u) = url.take() {
                    let page = match client.page(&u, None).await {
                        Err(ApiFailure::NotFound(_)) if first => {
                            client
                                .page(
                                    &client.url(&format!("/users/{owner}/repos?per_page=100")),
                                    None,
                                )
                                .await?
                        }
                        other => other?,
                    };
                    first = false;
                    out.extend(
                        page.items
                            .iter()
                            .filter_map(|r| r["full_name"].as_str().map(str::to_owned)),
                    );
                    url = page.next;
                }
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// What a backfill fetches, besides its repositories.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// Its start of history (epoch ms).
    pub since: i64,
    /// The labels that make an issue an incident.
    pub incident_labels: &'a [String],
    /// Repositories with a git mirror (`[[sources.git.mirrors]]`): their exact commits come
    /// from it, so their `compare` phase is left out.
    pub mirrored: &'a [String],
}

/// Backfills each of `repos`.
pub async fn backfill(
    store: &Store,
    source: &dyn Source,
    client: &Client,
    repos: &[String],
    scope: &Scope<'_>,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Vec<RepoReport> {
    let since = scope.since;
    let mut reports = Vec::new();
    for repo in repos {
        let mut report = RepoReport {
            repo: repo.clone(),
            ..RepoReport::default()
        };
        let mut p = Progress {
            repo: repo.clone(),
            ..Progress::default()
        };
        let outcome = async {
            let states: Vec<_> = store
                .backfill_states("github")
                .await?
                .into_iter()
                .filter(|s| &s.repo == repo)
                .collect();
            let run = Run {
                store,
                source,
                client,
                repo,
                since: resumed_since(&states, since).unwrap_or(since),
            };
            run.repository(&states, scope, &mut report, &mut p, progress)
                .await
        }
        .await;
        if let Err(e) = outcome {
            report.error = Some(format!("{e:#}"));
        }
        reports.push(report);
    }
    reports
}

/// The `since` of a stopped run of a repository (a phase not done) that a new one asked for
/// `since` resumes: when the stopped run reaches back as far or further. Asked again with
/// `--since 180d` a day later, a run stopped the day before goes on from its cursors; asked
/// for more history than it covers, every phase starts again.
pub(crate) fn resumed_since(states: &[crate::store::BackfillRow], since: i64) -> Option<i64> {
    let stopped = states.iter().filter(|s| !s.done).map(|s| s.since).min()?;
    (stopped <= since).then_some(stopped)
}

/// Where a phase starts.
enum Resume {
    Start,
    /// From the page after the last one stored.
    From(String),
    /// Done in the run being resumed.
    Done,
}

struct Run<'a> {
    store: &'a Store,
    source: &'a dyn Source,
    client: &'a Client,
    repo: &'a str,
    since: i64,
}

fn time_of(v: &Value, field: &str) -> Option<i64> {
    v[field]
        .as_str()
        .and_then(|t| Timestamp::parse(t).ok())
        .map(|t| t.0)
}

fn text(v: &Value, field: &str) -> String {
    match &v[field] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Run<'_> {
    async fn repository(
        &self,
        states: &[crate::store::BackfillRow],
        scope: &Scope<'_>,
        report: &mut RepoReport,
        p: &mut Progress,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> anyhow::Result<()> {
        let (repository, _) = self
            .client
            .get(&self.client.url(&format!("/repos/{}", self.repo)))
            .await?;
        // A run that stopped (a phase not done) is resumed with its own `since` (see
        // [`resumed_since`]): its done phases skipped, the stopped one from its cursor.
        // Otherwise every phase starts again.
        let resuming = states.iter().any(|s| !s.done && s.since == self.since);
        let resume = |phase: &str| -> Resume {
            match states.iter().find(|s| s.phase == phase) {
                Some(s) if resuming && s.done && s.since == self.since => Resume::Done,
                Some(s) if resuming && s.since == self.since => match &s.next_url {
                    Some(u) if !u.is_empty() => Resume::From(u.clone()),
                    _ => Resume::Start,
                },
                _ => Resume::Start,
            }
        };
        let since_day = Timestamp(self.since).to_string();
        let since_date = since_day.get(..10).unwrap_or("1970-01-01").to_owned();
        let mirrored = scope
            .mirrored
            .iter()
            .any(|m| m.eq_ignore_ascii_case(self.repo));
        for phase in PHASES {
            if phase == "compare" && mirrored {
                continue;
            }
            p.phase = phase;
            p.phase_pages = None;
            let first = match phase {
                "deployments" => format!("/repos/{}/deployments?per_page=100", self.repo),
                "runs" => format!(
                    "/repos/{}/actions/runs?per_page=100&created=%3E%3D{since_date}",
                    self.repo
                ),
                "pulls" => format!(
                    "/repos/{}/pulls?state=all&sort=updated&direction=desc&per_page=100",
                    self.repo
                ),
                "issues" => String::new(),
                _ => String::new(),
            };
            let outcome = match phase {
                "issues" => {
                    let mut r = Ok(());
                    for label in scope.incident_labels {
                        let key = format!("issues:{label}");
                        let url = format!(
                            "/repos/{}/issues?labels={}&state=all&since={since_day}&per_page=100",
                            self.repo,
                            percent_encoding::utf8_percent_encode(
                                label,
                                percent_encoding::NON_ALPHANUMERIC
                            )
                        );
                        r = self
                            .phase(&key, &url, resume(&key), &repository, report, p, progress)
                            .await;
                        if r.is_err() {
                            break;
                        }
                    }
                    r
                }
                "compare" => match resume("compare") {
                    Resume::Done => Ok(()),
                    _ => self.compare(&repository, report, p, progress).await,
                },
                _ => {
                    self.phase(
                        phase,
                        &first,
                        resume(phase),
                        &repository,
                        report,
                        p,
                        progress,
                    )
                    .await
                }
            };
            outcome?;
        }
        Ok(())
    }

    /// One listed phase: from its cursor (or `first`), page by page, each stored with the
    /// cursor of the next.
    #[allow(clippy::too_many_arguments)]
    async fn phase(
        &self,
        phase: &str,
        first: &str,
        resume: Resume,
        repository: &Value,
        report: &mut RepoReport,
        p: &mut Progress,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> anyhow::Result<()> {
        let url = match resume {
            Resume::Done => return Ok(()),
            Resume::From(u) => u,
            Resume::Start => {
                self.store
                    .backfill_start("github", self.repo, phase, self.since)
                    .await?;
                self.client.url(first)
            }
        };
        let r = self
            .pages(phase, url, repository, report, p, progress)
            .await;
        if let Err(e) = &r {
            self.store
                .backfill_failed("github", self.repo, phase, &format!("{e:#}"))
                .await?;
        }
        r
    }

    async fn pages(
        &self,
        phase: &str,
        first: String,
        repository: &Value,
        report: &mut RepoReport,
        p: &mut Progress,
        progress: &(dyn Fn(&Progress) + Sync),
    ) -> anyhow::Result<()> {
        let mut url = Some(first);
        let key = match phase {
            "runs" => Some("workflow_runs"),
            _ => None,
        };
        while let Some(u) = url.take() {
            let page = self.client.page(&u, key).await?;
            if let Some(last) = page.last_page {
                let this = super::github_api::page_number(&u).unwrap_or(1);
                p.phase_pages = Some((this, last.max(this)));
            }
            let mut next = page.next;
            let mut synth = Vec::new();
            for item in &page.items {
                // Newest first: past `since`, the rest is older.
                let at = match phase {
                    "deployments" => time_of(item, "created_at"),
                    "pulls" => time_of(item, "updated_at"),
                    _ => None,
                };
                if at.is_some_and(|t| t < self.since) {
                    next = None;
                    continue;
                }
                self.objects(phase, item, repository, &mut synth).await?;
            }
            let n = synth.len() as u64;
            let cursor = (self.repo, phase);
            self.store_page(synth, cursor, next.as_deref(), page.last_page, report)
                .await?;
            report.pages += 1;
            report.objects += n;
            p.pages += 1;
            p.objects += n;
            p.requests = self
                .client
                .requests
                .load(std::sync::atomic::Ordering::Relaxed);
            progress(p);
            url = next;
        }
        Ok(())
    }

    /// The deliveries one listed item stands for: itself, and what hangs off it (a
    /// deployment's statuses, a run's jobs, a pull request's reviews).
    async fn objects(
        &self,
        phase: &str,
        item: &Value,
        repository: &Value,
        out: &mut Vec<Synth>,
    ) -> anyhow::Result<()> {
        match phase {
            "deployments" => {
                let id = text(item, "id");
                out.push(Synth {
                    event: "deployment",
                    id: format!("backfill:deployment:{id}"),
                    body: json!({"action": "created", "deployment": item, "repository": repository}),
                });
                let url = self.client.url(&format!(
                    "/repos/{}/deployments/{id}/statuses?per_page=100",
                    self.repo
                ));
                for status in self.all(&url, None).await? {
                    out.push(Synth {
                        event: "deployment_status",
                        id: format!("backfill:deployment_status:{}", text(&status, "id")),
                        body: json!({"action": "created", "deployment_status": status, "deployment": item, "repository": repository}),
                    });
                }
            }
            "runs" => {
                let id = text(item, "id");
                out.push(Synth {
                    event: "workflow_run",
                    id: format!(
                        "backfill:workflow_run:{id}-{}:{}",
                        text(item, "run_attempt"),
                        text(item, "updated_at")
                    ),
                    body: json!({"action": "completed", "workflow_run": item, "repository": repository}),
                });
                let url = self.client.url(&format!(
                    "/repos/{}/actions/runs/{id}/jobs?filter=all&per_page=100",
                    self.repo
                ));
                for job in self.all(&url, Some("jobs")).await? {
                    let state = match text(&job, "completed_at") {
                        t if t.is_empty() => text(&job, "status"),
                        t => t,
                    };
                    out.push(Synth {
                        event: "workflow_job",
                        id: format!("backfill:workflow_job:{}:{state}", text(&job, "id")),
                        body: json!({"action": "completed", "workflow_job": job, "repository": repository}),
                    });
                }
            }
            "pulls" => {
                let number = text(item, "number");
                out.push(Synth {
                    event: "pull_request",
                    id: format!("backfill:pull_request:{}:{}", text(item, "id"), text(item, "updated_at")),
                    body: json!({"action": if item["state"] == "closed" { "closed" } else { "opened" }, "number": item["number"], "pull_request": item, "repository": repository}),
                });
                let url = self.client.url(&format!(
                    "/repos/{}/pulls/{number}/reviews?per_page=100",
                    self.repo
                ));
                for review in self.all(&url, None).await? {
                    out.push(Synth {
                        event: "pull_request_review",
                        id: format!("backfill:pull_request_review:{}", text(&review, "id")),
                        body: json!({"action": "submitted", "review": review, "pull_request": item, "repository": repository}),
                    });
                }
            }
            // Issues (`issues:<label>`): the issues list holds pull requests too.
            _ if item.get("pull_request").is_none() => {
                out.push(Synth {
                    event: "issues",
                    id: format!("backfill:issues:{}:{}", text(item, "id"), text(item, "updated_at")),
                    body: json!({"action": if item["state"] == "closed" { "closed" } else { "opened" }, "issue": item, "repository": repository}),
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// Every item of a list, all its pages.
    async fn all(&self, first: &str, key: Option<&str>) -> anyhow::Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut url = Some(first.to_owned());
        while let Some(u) = url.take() {
            let page = self.client.page(&u, key).await?;
            out.extend(page.items);
            url = page.next;
        }
        Ok(out)
    }
}
