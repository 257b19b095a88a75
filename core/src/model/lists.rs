//! The list views of the model: deployments, incidents, services and teams, filtered and
//! paged, and one deployment with its change list.

use super::ids::{DepId, IncidentId};
use super::state::DepEv;
use super::{Org, ServiceSet};
use crate::api::{
    ChangeRow, DeploymentDetail, DeploymentQuery, DeploymentRow, IncidentQuery, IncidentRow, Page,
    ServiceRow, TeamRow,
};
use crate::events::{ChangeType, EnvironmentTier, EventKey};
use crate::time::Timestamp;
use std::collections::BTreeMap;

fn page_of<T>(items: Vec<T>, total: usize, page: u32, per_page: u32) -> Page<T> {
    Page {
        items,
        total: total as u64,
        page,
        per_page,
    }
}

/// 1-based page and page size (0 → 50), and the index range of the page.
fn paging(page: u32, per_page: u32) -> (u32, u32, usize, usize) {
    let page = page.max(1);
    let per_page = if per_page == 0 { 50 } else { per_page };
    let start = (page as usize - 1).saturating_mul(per_page as usize);
    (
        page,
        per_page,
        start,
        start.saturating_add(per_page as usize),
    )
}

impl Org {
    /// Which services a `service`/`team` filter admits: `None` admits all.
    pub(crate) fn service_filter(
        &self,
        service: Option<&str>,
        team: Option<&str>,
    ) -> Option<ServiceSet> {
        if service.is_none() && team.is_none() {
            return None;
        }
        let id = service.map(|s| self.service_names.get(s));
        Some(ServiceSet(
            self.services
                .enumerate()
                .map(|(i, s)| {
                    let in_team = team.is_none_or(|team| {
                        s.variants
                            .first()
                            .is_some_and(|e| e.teams.iter().any(|t| t == team))
                    });
                    in_team && id.is_none_or(|id| id == Some(i))
                })
                .collect(),
        ))
    }

    /// Deployments, in progress first, then newest finished first; `page` is 1-based and
    /// `per_page` 0 means 50.
    pub fn deployments(&self, q: &DeploymentQuery) -> Page<DeploymentRow> {
        let (page, per_page, start, end) = paging(q.page, q.per_page);
        let allowed = self.service_filter(q.service.as_deref(), q.team.as_deref());
        let mut total = 0usize;
        let mut items = Vec::new();
        for &slot in &self.dep_list {
            let d = &self.deps[slot];
            if allowed.as_ref().is_some_and(|a| !a.contains(d.service)) {
                continue;
            }
            if q.environment_tier.is_some_and(|t| t != d.tier)
                || q.status.is_some_and(|s| s != d.ev.status)
            {
                continue;
            }
            if q.failed.is_some_and(|f| f != d.d.failed) {
                continue;
            }
            if q.from.is_some() || q.to.is_some() {
                let Some(t) = d.ev.finished_at().or(d.ev.started_at()) else {
                    continue;
                };
                if q.from.is_some_and(|f| t < f) || q.to.is_some_and(|to| t >= to) {
                    continue;
                }
            }
            if total >= start && total < end {
                items.push(self.deployment_row(slot));
            }
            total += 1;
        }
        page_of(items, total, page, per_page)
    }

    /// Every environment deployed to, by source and name: its tier, how many deployments, and
    /// the newest one's time.
    pub fn environments(&self) -> Vec<crate::api::EnvironmentSeen> {
        let mut by: BTreeMap<(&str, &str), crate::api::EnvironmentSeen> = BTreeMap::new();
        for &slot in &self.dep_list {
            let d = &self.deps[slot];
            let source = self.sources.resolve(d.ev.source);
            let name = self.environments.resolve(d.ev.environment);
            let at = d.ev.finished_at().or(d.ev.started_at());
            let e = by
                .entry((source, name))
                .or_insert_with(|| crate::api::EnvironmentSeen {
                    source: source.to_owned(),
                    name: name.to_owned(),
                    tier: d.tier,
                    deployments: 0,
                    last_at: None,
                });
            e.deployments += 1;
            e.last_at = e.last_at.max(at);
        }
        by.into_values().collect()
    }

    /// Whether a deployment is unplanned: a hotfix or rollback, or it remediates an incident
    /// (its `remediates`, or an incident's `remediated_by_deployment` names it).
    pub(crate) fn is_unplanned(&self, d: &DepEv) -> bool {
        d.change_type != ChangeType::Normal
            || d.remediates().is_some_and(|r| !r.is_empty())
            || self
                .incs_by_remedy
                .contains_key(self.dep_names.resolve(d.id))
    }

    pub(crate) fn deployment_row(&self, slot: DepId) -> DeploymentRow {
        let dep = &self.deps[slot];
        let ev = &dep.ev;
        let sha = self.dep_shas.resolve(ev.sha);
        let sha_url = self
            .service_event(dep.service)
            .and_then(|s| s.repo_url.as_deref())
            .map(|u| format!("{}/commit/{sha}", u.trim_end_matches('/')));
        let in_chain = dep.chain.is_some();
        DeploymentRow {
            id: self.dep_names.resolve(ev.id).to_owned(),
            source: self.sources.resolve(ev.source).to_owned(),
            service: self.service_names.resolve(dep.service).to_owned(),
            environment: self.environments.resolve(ev.environment).to_owned(),
            environment_tier: dep.tier,
            status: ev.status,
            change_type: ev.change_type,
            started_at: ev.started_at(),
            finished_at: ev.finished_at(),
            sha,
            sha_url,
            changes: dep.d.changes.len() as u64,
            lead_time: if dep.is_baseline() {
                None
            } else {
                dep.d.median_commit_ms.get().map(|m| m / 1000.0)
            },
            baseline: dep.is_baseline(),
            incomplete_graph: in_chain && dep.d.incomplete,
            incidents: dep
                .d
                .incidents
                .iter()
                .map(|&i| self.incs[i].ev.id.clone())
                .collect(),
            failed: dep.d.failed,
            failure_reasons: dep.d.reasons.to_vec(),
            recovery_time: dep.d.recovery_ms.get().map(|m| m as f64 / 1000.0),
            unplanned: if in_chain {
                dep.d.unplanned
            } else {
                self.is_unplanned(ev)
            },
        }
    }

    /// One deployment with its change list. With the same id from several sources, the one
    /// whose source sorts first. Commit messages are not held in memory: each change's
    /// `message` is `None` here, and [`Org::deployment_with_keys`] says where to read them.
    pub fn deployment(&self, id: &str) -> Option<DeploymentDetail> {
        self.deployment_with_keys(id).map(|(d, _)| d)
    }

    /// [`Org::deployment`], with the key of the held commit event behind each change of
    /// `change_list` (same order): its message is in the store under that key.
    pub fn deployment_with_keys(&self, id: &str) -> Option<(DeploymentDetail, Vec<EventKey>)> {
        let names = self.dep_names();
        let slot = self
            .deps_with_id(id)
            .min_by(|&a, &b| names.by_source(&self.deps[a], &self.deps[b]))?;
        let dep = &self.deps[slot];
        let mut change_list = Vec::new();
        if let Some(repo) = dep.chain.and_then(|c| self.chains[c].repo) {
            let r = &self.repos[repo];
            let fin = dep.fin();
            for (i, &c) in dep.d.changes.iter().enumerate() {
                let authored = r.authored[c];
                let pull_request = r
                    .pr_member
                    .get(c)
                    .min_by(|&a, &b| {
                        let (pa, pb) = (&self.prs[a], &self.prs[b]);
                        pb.merged_at
                            .is_some()
                            .cmp(&pa.merged_at.is_some())
                            .then_with(|| self.pr_id(a).cmp(self.pr_id(b)))
                    })
                    .map(|p| self.pr_name(p).to_owned());
                let key = EventKey {
                    kind: "commit",
                    source: r
                        .held_source(c)
                        .map_or("", |s| self.sources.resolve(s))
                        .to_owned(),
                    id: format!("{}@{}", r.name, r.sha(c)),
                };
                change_list.push((
                    ChangeRow {
                        sha: r.sha(c),
                        author: None,
                        message: None,
                        authored_at: Timestamp(authored),
                        lead_time: (fin - authored) as f64 / 1000.0,
                        pull_request,
                        from_push_list: i >= dep.d.n_graph as usize,
                    },
                    key,
                ));
            }
        }
        change_list.sort_by(|(a, _), (b, _)| {
            b.authored_at
                .cmp(&a.authored_at)
                .then_with(|| a.sha.cmp(&b.sha))
        });
        let (change_list, keys) = change_list.into_iter().unzip();
        Some((
            DeploymentDetail {
                deployment: self.deployment_row(slot),
                change_list,
            },
            keys,
        ))
    }

    /// Incidents, newest started first.
    pub fn incidents(&self, q: &IncidentQuery) -> Page<IncidentRow> {
        let (page, per_page, start, end) = paging(q.page, q.per_page);
        let allowed = self.service_filter(q.service.as_deref(), q.team.as_deref());
        let mut total = 0usize;
        let mut items = Vec::new();
        for &slot in &self.inc_list {
            let inc = &self.incs[slot];
            if allowed.as_ref().is_some_and(|a| !a.contains(inc.service)) {
                continue;
            }
            let t = inc.ev.started_at;
            if q.from.is_some_and(|f| t < f) || q.to.is_some_and(|to| t >= to) {
                continue;
            }
            if q.open.is_some_and(|o| o != inc.ev.resolved_at.is_none()) {
                continue;
            }
            if total >= start && total < end {
                items.push(self.incident_row(slot));
            }
            total += 1;
        }
        page_of(items, total, page, per_page)
    }

    fn incident_row(&self, slot: IncidentId) -> IncidentRow {
        let inc = &self.incs[slot];
        let ev = &inc.ev;
        let target = inc.target.map(|t| &self.deps[t]);
        IncidentRow {
            id: ev.id.clone(),
            source: ev.source.clone(),
            service: ev.service.clone(),
            title: ev.title.clone(),
            severity: ev.severity.clone(),
            started_at: ev.started_at,
            resolved_at: ev.resolved_at,
            open: ev.resolved_at.is_none(),
            excluded: ev.excluded,
            attribution: inc.attribution,
            deployment: target.map(|d| self.dep_names.resolve(d.ev.id).to_owned()),
            duration: ev.resolved_at.map(|r| ev.started_at.seconds_until(r)),
            recovery_time: target
                .and_then(|d| d.d.recovery_ms.get())
                .map(|m| m as f64 / 1000.0),
        }
    }

    /// Every service named by a service event or by a deployment or incident, by name.
    ///
    /// `deployments` and `last_deployed_at` count successful production deployments.
    pub fn services(&self) -> Vec<ServiceRow> {
        let mut rows: Vec<ServiceRow> = self
            .services
            .enumerate()
            .filter(|(_, s)| !s.variants.is_empty() || s.deployments > 0 || !s.incidents.is_empty())
            .map(|(i, s)| {
                let name = self.service_names.resolve(i).to_owned();
                let (deployments, last_deployed_at) = match s.chains[EnvironmentTier::Production] {
                    None => (0, None),
                    Some(prod) => {
                        let c = &self.chains[prod];
                        (
                            c.deps.len() as u64,
                            c.deps.last().and_then(|&d| self.deps[d].ev.finished_at()),
                        )
                    }
                };
                match s.variants.first() {
                    Some(e) => ServiceRow {
                        name,
                        repo: e.repo.clone(),
                        repo_url: e.repo_url.clone(),
                        teams: e.teams.clone(),
                        path_prefix: e.path_prefix.clone(),
                        tier: e.tier.clone(),
                        deployments,
                        last_deployed_at,
                    },
                    None => ServiceRow {
                        name,
                        repo: None,
                        repo_url: None,
                        teams: Vec::new(),
                        path_prefix: None,
                        tier: None,
                        deployments,
                        last_deployed_at,
                    },
                }
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        rows
    }

    /// Teams named by team events or by services' `teams`, by name, with their services.
    pub fn teams(&self) -> Vec<TeamRow> {
        let mut rows: BTreeMap<String, TeamRow> = BTreeMap::new();
        for (name, variants) in &self.teams {
            let t = variants.first();
            rows.insert(
                name.clone(),
                TeamRow {
                    name: name.clone(),
                    display_name: t.and_then(|t| t.display_name.clone()),
                    members: t.map(|t| t.members.clone()).unwrap_or_default(),
                    services: Vec::new(),
                },
            );
        }
        for (i, s) in self.services.enumerate() {
            let Some(e) = s.variants.first() else {
                continue;
            };
            for team in &e.teams {
                let row = rows.entry(team.clone()).or_insert_with(|| TeamRow {
                    name: team.clone(),
                    display_name: None,
                    members: Vec::new(),
                    services: Vec::new(),
                });
                row.services.push(self.service_names.resolve(i).to_owned());
            }
        }
        rows.into_values()
            .map(|mut r| {
                r.services.sort();
                r.services.dedup();
                r
            })
            .collect()
    }
}
