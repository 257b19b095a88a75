//! Who may read and write which services: the rules behind team-limited viewers, engineers'
//! ingest, and restricted API tokens.
//!
//! The server maps a signed-in principal to a [`Scope`]; the checks here read the model and
//! never change it. Ownership is the service's teams *in effect* (the service event whose source
//! sorts first), so a second service event from another source cannot take a service over.
//!
//! - **Reads** ([`Limit::check_filters`]): a limited principal names a team of theirs or a
//!   service they may see; detail endpoints check the object's own service.
//! - **Writes** ([`Org::first_outside`]): every event of a batch must stay inside the limit,
//!   and so must the stored event it would replace (the same `(kind, source, id)`), so that
//!   nobody rewrites another team's deployment by reusing its key. Service events earlier in a
//!   batch count for the events after them.

use crate::events::Event;
use crate::model::Org;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What a principal may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything (admins, local mode, unrestricted tokens; engineers for reads).
    All,
    /// Only the services of these teams and these services.
    Only(Limit),
}

/// The services of `teams`, and the `services` named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limit {
    pub teams: Vec<String>,
    pub services: Vec<String>,
}

/// Why a read filter is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterRefusal {
    /// No `team` or `service` filter: a limited principal must name one.
    Unfiltered,
    /// A team that is not one of the limit's.
    Team(String),
    /// A service outside the limit, with its owning teams.
    Service { service: String, teams: Vec<String> },
}

/// The first event of a batch outside a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfScope {
    /// Its position in the batch (0-based).
    pub index: usize,
    /// The service it concerns, when one is known.
    pub service: Option<String>,
    /// Why, in words (`service ledger belongs to payments`).
    pub reason: String,
}

impl Limit {
    /// Whether a service named `service`, owned by `teams`, is inside the limit.
    pub fn admits(&self, service: &str, teams: &[String]) -> bool {
        self.services.iter().any(|s| s == service) || teams.iter().any(|t| self.teams.contains(t))
    }

    /// `teams payments, search; services ledger`, for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.teams.is_empty() {
            parts.push(format!("teams {}", self.teams.join(", ")));
        }
        if !self.services.is_empty() {
            parts.push(format!("services {}", self.services.join(", ")));
        }
        if parts.is_empty() {
            "no team and no service".to_owned()
        } else {
            parts.join("; ")
        }
    }

    /// A read's `team` and `service` filters, checked against the limit: each one given must be
    /// inside it, and at least one must be given.
    pub fn check_filters(
        &self,
        org: &Org,
        team: Option<&str>,
        service: Option<&str>,
    ) -> Result<(), FilterRefusal> {
        if team.is_none() && service.is_none() {
            return Err(FilterRefusal::Unfiltered);
        }
        if let Some(t) = team {
            if !self.teams.iter().any(|own| own == t) {
                return Err(FilterRefusal::Team(t.to_owned()));
            }
        }
        if let Some(s) = service {
            let teams = org.service_teams(s);
            if !self.admits(s, teams) {
                return Err(FilterRefusal::Service {
                    service: s.to_owned(),
                    teams: teams.to_vec(),
                });
            }
        }
        Ok(())
    }
}

/// A service as the batch so far would leave it: its variants by source.
#[derive(Debug, Clone, Default)]
struct Variants(BTreeMap<String, (Vec<String>, Option<String>)>);

impl Variants {
    /// The teams and repository in effect: the variant whose source sorts first.
    fn effective(&self) -> (&[String], Option<&str>) {
        self.0
            .values()
            .next()
            .map_or((&[][..], None), |(t, r)| (t.as_slice(), r.as_deref()))
    }
}

/// The services touched by a batch, over the model's.
struct Overlay<'o> {
    org: &'o Org,
    limit: &'o Limit,
    services: HashMap<String, Variants>,
    /// Repositories of admitted services, recomputed after a service event.
    repos: Option<HashSet<String>>,
}

impl<'o> Overlay<'o> {
    fn variants(&self, name: &str) -> Variants {
        if let Some(v) = self.services.get(name) {
            return v.clone();
        }
        Variants(
            self.org
                .service_variants(name)
                .map(|s| (s.source.clone(), (s.teams.clone(), s.repo.clone())))
                .collect(),
        )
    }

    fn teams(&self, name: &str) -> Vec<String> {
        match self.services.get(name) {
            Some(v) => v.effective().0.to_vec(),
            None => self.org.service_teams(name).to_vec(),
        }
    }

    fn admits(&self, service: &str) -> bool {
        self.limit.admits(service, &self.teams(service))
    }

    fn repos(&mut self) -> &HashSet<String> {
        if self.repos.is_none() {
            let mut repos = HashSet::new();
            for name in self.org.service_names() {
                if self.services.contains_key(name) {
                    continue;
                }
                let (teams, repo) = self.org.service_owner(name);
                if let Some(r) = repo.filter(|_| self.limit.admits(name, teams)) {
                    repos.insert(r.to_owned());
                }
            }
            for (name, v) in &self.services {
                let (teams, repo) = v.effective();
                if let Some(r) = repo.filter(|_| self.limit.admits(name, teams)) {
                    repos.insert(r.to_owned());
                }
            }
            self.repos = Some(repos);
        }
        self.repos.get_or_insert_with(HashSet::new)
    }

    /// A service that uses `repo`, to name in a refusal.
    fn service_of_repo(&self, repo: &str) -> Option<String> {
        self.org
            .service_names()
            .find(|n| self.org.service_owner(n).1 == Some(repo))
            .map(str::to_owned)
    }

    fn owned_by(&self, service: &str) -> String {
        let teams = self.teams(service);
        if teams.is_empty() {
            format!("service `{service}` has no owning team")
        } else {
            format!("service `{service}` belongs to {}", teams.join(", "))
        }
    }

    fn check(&mut self, index: usize, e: &Event) -> Option<OutOfScope> {
        let org = self.org;
        let out = |service: Option<&str>, reason: String| {
            Some(OutOfScope {
                index,
                service: service.map(str::to_owned),
                reason,
            })
        };
        match e {
            Event::Deployment(d) => {
                if !self.admits(&d.service) {
                    return out(Some(&d.service), self.owned_by(&d.service));
                }
                let old = org.stored_deployment_service(&d.source, &d.id)?;
                (!self.admits(old)).then(|| OutOfScope {
                    index,
                    service: Some(old.to_owned()),
                    reason: format!(
                        "deployment `{}` is already stored for another team's service: {}",
                        d.id,
                        self.owned_by(old)
                    ),
                })
            }
            Event::Incident(i) => {
                if !self.admits(&i.service) {
                    return out(Some(&i.service), self.owned_by(&i.service));
                }
                let old = org.stored_incident_service(&i.source, &i.id)?;
                (!self.admits(old)).then(|| OutOfScope {
                    index,
                    service: Some(old.to_owned()),
                    reason: format!(
                        "incident `{}` is already stored for another team's service: {}",
                        i.id,
                        self.owned_by(old)
                    ),
                })
            }
            Event::Commit(c) => self.check_repo(index, &c.repo, "commit"),
            Event::PullRequest(p) => self.check_repo(index, &p.repo, "pull request"),
            Event::PipelineRun(r) => {
                if let Some(refused) = self.check_repo(index, &r.repo, "pipeline run") {
                    return Some(refused);
                }
                let key = format!("{}:{}", r.provider, r.id);
                let old = org.stored_run_repo(&r.source, &key)?;
                self.check_repo(index, old, "pipeline run (as stored)")
            }
            Event::Service(s) => {
                let mut variants = self.variants(&s.name);
                let (before, _) = variants.effective();
                let was_owned = !before.is_empty();
                if was_owned && !self.limit.admits(&s.name, before) {
                    return out(Some(&s.name), self.owned_by(&s.name));
                }
                variants
                    .0
                    .insert(s.source.clone(), (s.teams.clone(), s.repo.clone()));
                let (after, _) = variants.effective();
                if !self.limit.admits(&s.name, after) {
                    let reason = if after.is_empty() {
                        format!(
                            "service `{}` would have no owning team; list one of yours in `teams`",
                            s.name
                        )
                    } else {
                        format!(
                            "service `{}` would belong to {}, outside your scope",
                            s.name,
                            after.join(", ")
                        )
                    };
                    return out(Some(&s.name), reason);
                }
                self.services.insert(s.name.clone(), variants);
                self.repos = None;
                None
            }
            Event::Team(t) => (!self.limit.teams.contains(&t.name)).then(|| OutOfScope {
                index,
                service: None,
                reason: format!("team `{}` is not one of yours", t.name),
            }),
            // An SLI sample's service is its SLO's, which the model does not hold: the server
            // checks samples against the SLO definitions before storing them (they never reach
            // the model).
            Event::SliSample(_) => None,
        }
    }

    fn check_repo(&mut self, index: usize, repo: &str, what: &str) -> Option<OutOfScope> {
        if self.repos().contains(repo) {
            return None;
        }
        Some(OutOfScope {
            index,
            service: self.service_of_repo(repo),
            reason: format!(
                "the {what}'s repository `{repo}` is not the repository of a service of yours"
            ),
        })
    }
}

impl Org {
    /// The service events of `name`, by source (the first is in effect).
    fn service_variants(&self, name: &str) -> impl Iterator<Item = &crate::events::Service> {
        self.service_names
            .get(name)
            .and_then(|i| self.services.get(i))
            .into_iter()
            .flat_map(|s| s.variants.iter())
    }

    /// The teams and repository in effect for a service (none for an unknown one).
    fn service_owner(&self, name: &str) -> (&[String], Option<&str>) {
        self.service_variants(name)
            .next()
            .map_or((&[][..], None), |s| (s.teams.as_slice(), s.repo.as_deref()))
    }

    /// The teams that own a service now (empty for an unknown or unowned service).
    pub fn service_teams(&self, name: &str) -> &[String] {
        self.service_owner(name).0
    }

    fn service_names(&self) -> impl Iterator<Item = &str> {
        self.services.ids().map(|i| self.service_names.resolve(i))
    }

    fn stored_deployment_service(&self, source: &str, id: &str) -> Option<&str> {
        let slot = self.dep_slot(source, id)?;
        self.deps
            .get(slot)
            .map(|d| self.service_names.resolve(d.service))
    }

    fn stored_incident_service(&self, source: &str, id: &str) -> Option<&str> {
        let slot = self.inc_keys.get(&crate::model::key_of(source, id))?;
        self.incs.get(slot).map(|i| i.ev.service.as_str())
    }

    fn stored_run_repo(&self, source: &str, key: &str) -> Option<&str> {
        let slot = self.run_keys.get(&crate::model::key_of(source, key))?;
        self.runs.get(slot).map(|r| &*self.repos[r.repo].name)
    }

    /// The first event of `events` that `limit` does not allow writing, in batch order.
    pub fn first_outside(&self, events: &[Event], limit: &Limit) -> Option<OutOfScope> {
        let mut overlay = Overlay {
            org: self,
            limit,
            services: HashMap::new(),
            repos: None,
        };
        events
            .iter()
            .enumerate()
            .find_map(|(i, e)| overlay.check(i, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::parse_batch;
    use crate::model::Settings;

    const ORG: &str = r#"{"kind":"service","name":"ledger","repo":"acme/ledger","teams":["payments"]}
{"kind":"service","name":"shop","repo":"acme/shop","teams":["web"]}
{"kind":"deployment","id":"d-1","service":"ledger","environment":"production","status":"success","finished_at":"2024-01-01T00:00:00Z","sha":"a"}
{"kind":"incident","id":"INC-1","service":"ledger","started_at":"2024-01-01T01:00:00Z"}
{"kind":"pipeline_run","provider":"github","id":"7","repo":"acme/ledger","workflow":"ci","status":"completed"}"#;

    fn org() -> Org {
        let mut o = Org::new(Settings::default());
        o.apply(parse_batch(ORG, true).unwrap());
        o
    }

    fn web() -> Limit {
        Limit {
            teams: vec!["web".into()],
            services: vec![],
        }
    }

    fn refused(batch: &str, limit: &Limit) -> Option<OutOfScope> {
        org().first_outside(&parse_batch(batch, true).unwrap(), limit)
    }

    #[test]
    fn own_services_and_their_repositories_may_be_written() {
        let batch = r#"{"kind":"deployment","id":"d-9","service":"shop","environment":"production","status":"success","finished_at":"2024-01-02T00:00:00Z","sha":"b"}
{"kind":"commit","repo":"acme/shop","sha":"b","authored_at":"2024-01-01T00:00:00Z"}
{"kind":"pull_request","repo":"acme/shop","id":"3","opened_at":"2024-01-01T00:00:00Z"}
{"kind":"team","name":"web","display_name":"Web"}"#;
        assert_eq!(refused(batch, &web()), None);
    }

    #[test]
    fn another_teams_service_is_refused_at_its_position() {
        let batch = r#"{"kind":"team","name":"web"}
{"kind":"deployment","id":"d-9","service":"ledger","environment":"production","status":"failure","finished_at":"2024-01-02T00:00:00Z","sha":"b"}"#;
        let r = refused(batch, &web()).unwrap();
        assert_eq!((r.index, r.service.as_deref()), (1, Some("ledger")));
        assert!(r.reason.contains("belongs to payments"), "{}", r.reason);
    }

    #[test]
    fn a_stored_key_of_another_team_cannot_be_moved_to_an_own_service() {
        // The probe's overwrite: d-1 is ledger's; re-posting it under shop would move it.
        let batch = r#"{"kind":"deployment","id":"d-1","service":"shop","environment":"production","status":"failure","finished_at":"2024-01-02T00:00:00Z","sha":"b"}"#;
        let r = refused(batch, &web()).unwrap();
        assert_eq!(r.service.as_deref(), Some("ledger"));
        assert!(r.reason.contains("already stored"), "{}", r.reason);
        // From another source it is another key, and allowed.
        let other = batch.replace(r#""id":"d-1""#, r#""id":"d-1","source":"ci""#);
        assert_eq!(refused(&other, &web()), None);
        let inc = r#"{"kind":"incident","id":"INC-1","service":"shop","started_at":"2024-01-01T01:00:00Z"}"#;
        assert!(refused(inc, &web()).is_some());
        let run = r#"{"kind":"pipeline_run","provider":"github","id":"7","repo":"acme/shop","workflow":"ci","status":"completed"}"#;
        assert!(refused(run, &web()).is_some());
    }

    #[test]
    fn services_cannot_be_taken_over_or_given_away() {
        // A variant from a source that sorts first would take ledger over.
        let take = r#"{"kind":"service","name":"ledger","source":"aaa","repo":"acme/ledger","teams":["web"]}"#;
        assert!(refused(take, &web()).is_some());
        let give = r#"{"kind":"service","name":"shop","source":"aaa","teams":["payments"]}"#;
        let r = refused(give, &web()).unwrap();
        assert!(
            r.reason.contains("would belong to payments"),
            "{}",
            r.reason
        );
        // A new service of one's own team, and then its deployments and commits, in one batch.
        let new = r#"{"kind":"service","name":"cart","repo":"acme/cart","teams":["web"]}
{"kind":"commit","repo":"acme/cart","sha":"c","authored_at":"2024-01-01T00:00:00Z"}
{"kind":"deployment","id":"c-1","service":"cart","environment":"production","status":"success","finished_at":"2024-01-02T00:00:00Z","sha":"c"}"#;
        assert_eq!(refused(new, &web()), None);
        let orphan = r#"{"kind":"deployment","id":"x-1","service":"unknown","environment":"production","status":"success","finished_at":"2024-01-02T00:00:00Z","sha":"c"}"#;
        let r = refused(orphan, &web()).unwrap();
        assert!(r.reason.contains("no owning team"), "{}", r.reason);
    }

    #[test]
    fn foreign_repositories_and_teams_are_refused() {
        let commit = r#"{"kind":"commit","repo":"acme/ledger","sha":"z","authored_at":"2024-01-01T00:00:00Z"}"#;
        let r = refused(commit, &web()).unwrap();
        assert_eq!(r.service.as_deref(), Some("ledger"));
        assert!(r.reason.contains("acme/ledger"), "{}", r.reason);
        assert!(refused(r#"{"kind":"team","name":"payments"}"#, &web()).is_some());
        // A token limited to one service: that service's repository, nothing else.
        let svc = Limit {
            teams: vec![],
            services: vec!["ledger".into()],
        };
        assert_eq!(refused(commit, &svc), None);
        assert!(refused(r#"{"kind":"team","name":"payments"}"#, &svc).is_some());
    }

    #[test]
    fn read_filters_must_stay_inside_the_limit() {
        let o = org();
        let l = web();
        assert_eq!(
            l.check_filters(&o, None, None),
            Err(FilterRefusal::Unfiltered)
        );
        assert_eq!(l.check_filters(&o, Some("web"), None), Ok(()));
        assert_eq!(l.check_filters(&o, None, Some("shop")), Ok(()));
        assert_eq!(
            l.check_filters(&o, Some("web"), Some("ledger")),
            Err(FilterRefusal::Service {
                service: "ledger".into(),
                teams: vec!["payments".into()]
            })
        );
        assert_eq!(
            l.check_filters(&o, Some("payments"), None),
            Err(FilterRefusal::Team("payments".into()))
        );
    }
}
