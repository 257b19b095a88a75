//! Upserts: each event replaces the one held under its key, and notes in [`Dirty`] what the
//! derivation must revisit.

use super::derive::Dirty;
use super::graph::{CommitChange, Repo};
use super::ids::{RepoId, ServiceId};
use super::state::{Dep, DepEv, DepFacts, Inc, Pr, Svc};
use super::{index_add, index_remove, key_of, upsert_variant, Org};
use crate::api::Attribution;
use crate::events::{Deployment, Incident, PullRequest, Service};

impl Org {
    pub(crate) fn service_idx(&mut self, name: &str) -> ServiceId {
        let id = self.service_names.intern(name);
        if id == self.services.next_id() {
            self.services.push(Svc::default());
        }
        id
    }

    pub(crate) fn repo_idx(&mut self, name: &str) -> RepoId {
        let id = self.repo_names.intern(name);
        if id == self.repos.next_id() {
            self.repos.push(Repo::new(name));
        }
        id
    }

    /// The service event in effect for a service index (the one whose source sorts first).
    pub(crate) fn service_event(&self, svc: ServiceId) -> Option<&Service> {
        self.services.get(svc).and_then(|s| s.variants.first())
    }

    pub(super) fn upsert_commit(&mut self, c: crate::events::Commit, dirty: &mut Dirty) {
        let repo = self.repo_idx(&c.repo);
        let source = self.sources.intern(&c.source);
        let (id, change) = self.repos[repo].upsert(c, source, &self.sources);
        if change != CommitChange::Nothing {
            dirty.commits.push((repo, id, change));
        }
    }

    pub(super) fn upsert_pr(&mut self, p: PullRequest, dirty: &mut Dirty) {
        let slot = self
            .pr_keys
            .intern(&key_of(&p.source, &format!("{}#{}", p.repo, p.id)));
        let repo = self.repo_idx(&p.repo);
        let source = self.sources.intern(&p.source);
        let r = &mut self.repos[repo];
        let rec = Pr {
            source,
            repo,
            opened_at: p.opened_at.0,
            first_review_at: p.first_review_at.map(|t| t.0),
            approved_at: p.approved_at.map(|t| t.0),
            merged_at: p.merged_at.map(|t| t.0),
            merge_commit: p.merge_commit.as_deref().map(|s| r.node(s)),
            commits: p.commits.iter().map(|s| r.node(s)).collect(),
        };
        if let Some(old) = self.prs.get(slot) {
            if *old == rec {
                return;
            }
            let (anchor, members) = (old.anchor(), old.members());
            let r = &mut self.repos[old.repo];
            if let Some(a) = anchor {
                r.pr_anchor.remove(a, slot);
                dirty.pr_anchors.push((old.repo, a));
            }
            for m in members {
                r.pr_member.remove(m, slot);
            }
        }
        let r = &mut self.repos[repo];
        if let Some(a) = rec.anchor() {
            r.pr_anchor.add(a, slot);
            dirty.pr_anchors.push((repo, a));
        }
        for m in rec.members() {
            r.pr_member.add(m, slot);
        }
        if slot == self.prs.next_id() {
            self.prs.push(rec);
        } else {
            self.prs[slot] = rec;
        }
    }

    pub(super) fn upsert_deployment(&mut self, d: Deployment, dirty: &mut Dirty) {
        let id = self.dep_names.intern(&d.id);
        let source = self.sources.intern(&d.source);
        let slot = self.dep_slot_of(id, source).unwrap_or(self.deps.next_id());
        let service = self.service_idx(&d.service);
        let tier = self.settings.tier_of(&d);
        let environment = self.environments.intern(&d.environment);
        let ev = DepEv::new(id, source, environment, &d, self.dep_shas.intern(&d.sha));
        if let Some(old) = self.deps.get(slot) {
            if old.ev == ev && old.service == service && old.tier == tier {
                return;
            }
            let (old_service, old_tier) = (old.service, old.tier);
            let svc = &mut self.services[old_service];
            svc.deployments = svc.deployments.saturating_sub(1);
            if let Some(r) = old.ev.remediates().map(str::to_owned) {
                index_remove(&mut self.deps_by_remediates, &r, slot);
                dirty.remediated_incident_ids.insert(r);
            }
            dirty.note_dep_tier(old_service, old_tier);
        } else {
            self.deps.push(Dep {
                ev: ev.clone(),
                service,
                tier,
                chain: None,
                chain_fin: i64::MIN,
                pos: 0,
                d: DepFacts::default(),
            });
            self.deps_by_id.add(ev.id, slot);
        }
        if let Some(r) = &d.remediates {
            index_add(&mut self.deps_by_remediates, r, slot);
            dirty.remediated_incident_ids.insert(r.clone());
        }
        // Incidents naming this deployment: as cause (re-attribute) or as remedy (recovery, rework).
        if let Some(v) = self.incs_by_cause.get(&d.id) {
            dirty.incidents.extend(v.iter().copied());
        }
        if let Some(v) = self.incs_by_remedy.get(&d.id) {
            dirty.incidents.extend(v.iter().copied());
        }
        dirty.note_dep_tier(service, tier);
        self.services[service].deployments += 1;
        let rec = &mut self.deps[slot];
        rec.ev = ev;
        rec.service = service;
        rec.tier = tier;
        dirty.deps.insert(slot);
    }

    pub(super) fn upsert_incident(&mut self, i: Incident, dirty: &mut Dirty) {
        let slot = self.inc_keys.intern(&key_of(&i.source, &i.id));
        let service = self.service_idx(&i.service);
        if let Some(old) = self.incs.get(slot) {
            if old.ev == i {
                return;
            }
            let old_ev = old.ev.clone();
            let old_service = old.service;
            index_remove(&mut self.incs_by_id, &old_ev.id, slot);
            if let Some(c) = &old_ev.caused_by_deployment {
                index_remove(&mut self.incs_by_cause, c, slot);
            }
            if let Some(r) = &old_ev.remediated_by_deployment {
                index_remove(&mut self.incs_by_remedy, r, slot);
                dirty.remedy_dep_ids.insert(r.clone());
            }
            self.services[old_service].incidents.retain(|&s| s != slot);
            self.incs[slot].ev = i.clone();
            self.incs[slot].service = service;
        } else {
            self.incs.push(Inc {
                ev: i.clone(),
                service,
                attribution: Attribution::None,
                target: None,
            });
        }
        index_add(&mut self.incs_by_id, &i.id, slot);
        if let Some(c) = &i.caused_by_deployment {
            index_add(&mut self.incs_by_cause, c, slot);
        }
        if let Some(r) = &i.remediated_by_deployment {
            index_add(&mut self.incs_by_remedy, r, slot);
            dirty.remedy_dep_ids.insert(r.clone());
        }
        self.services[service].incidents.push(slot);
        dirty.incidents.insert(slot);
        dirty.incidents_changed = true;
    }

    pub(super) fn upsert_service(&mut self, s: Service, dirty: &mut Dirty) {
        let idx = self.service_idx(&s.name);
        let before = self.service_event(idx).cloned();
        upsert_variant(&mut self.services[idx].variants, s, |s| &s.source);
        if self.service_event(idx) != before.as_ref() {
            dirty.services.insert(idx);
        }
    }
}
