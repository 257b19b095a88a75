//! The records the model keeps per deployment, chain, incident, pull request and service.

use super::ids::{
    ChainId, CommitId, DepId, DepName, EnvId, IncidentId, PrId, RepoId, ServiceId, ShaId, SourceId,
};
use super::owners::Owners;
use super::tiers::PerTier;
use crate::api::Attribution;
use crate::events::{ChangeType, DeploymentStatus, EnvironmentTier, Incident, Service};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What was derived for one deployment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct DepFacts {
    /// Commit ids (in the chain's repository) first deployed by this deployment: the first
    /// `n_graph` from the graph walk, the rest from the pushed commit list.
    pub(crate) changes: Box<[CommitId]>,
    /// The merged pull requests anchored at its changes, in their order (the value stream's
    /// pull requests of this deployment), kept with its lead times.
    pub(crate) prs: Box<[PrId]>,
    /// Commit ids the walk took that are outside the service's path prefix (a monorepo):
    /// held, so that later deployments stop at them, but not changes.
    pub(crate) passed: Box<[CommitId]>,
    pub(crate) n_graph: u32,
    pub(crate) incomplete: bool,
    /// Unknown commit ids the last walk met (registered in the repository's `waiting`).
    pub(crate) missing: Box<[CommitId]>,
    /// The repository `missing` is registered in.
    pub(crate) missing_repo: Option<RepoId>,
    /// Negative spans per basis (commit, pull_request, merge), left out of its lead times
    /// (`Org::lead_times`).
    pub(crate) negative: [u32; 3],
    /// Median commit lead time, ms.
    pub(crate) median_commit_ms: OptF64,
    /// Incidents attributed to this deployment, ordered by (id, source).
    pub(crate) incidents: Vec<IncidentId>,
    pub(crate) failed: bool,
    pub(crate) reasons: Box<[String]>,
    pub(crate) recovery_ms: OptI64,
    pub(crate) unplanned: bool,
}

/// A deployment event as the model holds it: its strings that repeat (source, environment,
/// sha) interned, its service as the record's `service`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DepEv {
    pub(crate) id: DepName,
    pub(crate) source: SourceId,
    pub(crate) environment: EnvId,
    pub(crate) environment_tier: Option<EnvironmentTier>,
    pub(crate) status: DeploymentStatus,
    pub(crate) change_type: ChangeType,
    pub(crate) marked_failed: bool,
    started: OptI64,
    finished: OptI64,
    pub(crate) sha: ShaId,
    /// `remediates` and `commits`, which few deployments have.
    rare: Option<Box<DepRare>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct DepRare {
    remediates: Option<Box<str>>,
    commits: Box<[Box<str>]>,
}

impl DepEv {
    pub(crate) fn new(
        id: DepName,
        source: SourceId,
        environment: EnvId,
        d: &crate::events::Deployment,
        sha: ShaId,
    ) -> DepEv {
        let rare = (d.remediates.is_some() || !d.commits.is_empty()).then(|| {
            Box::new(DepRare {
                remediates: d.remediates.as_deref().map(Into::into),
                commits: d.commits.iter().map(|c| c.as_str().into()).collect(),
            })
        });
        DepEv {
            id,
            source,
            environment,
            environment_tier: d.environment_tier,
            status: d.status,
            change_type: d.change_type,
            marked_failed: d.marked_failed,
            started: OptI64::new(d.started_at.map(|t| t.0)),
            finished: OptI64::new(d.finished_at.map(|t| t.0)),
            sha,
            rare,
        }
    }

    pub(crate) fn started_at(&self) -> Option<Timestamp> {
        self.started.get().map(Timestamp)
    }

    pub(crate) fn finished_at(&self) -> Option<Timestamp> {
        self.finished.get().map(Timestamp)
    }

    pub(crate) fn remediates(&self) -> Option<&str> {
        self.rare.as_ref()?.remediates.as_deref()
    }

    /// The pushed commit list, as given.
    pub(crate) fn commits(&self) -> &[Box<str>] {
        self.rare.as_ref().map_or(&[], |r| &r.commits)
    }
}

/// An `Option<i64>` in 8 bytes: `i64::MIN` is none. No value the model holds is `i64::MIN`
/// (times are within chrono's range, about ±8.3e15 ms, and so are their differences).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OptI64(i64);

impl OptI64 {
    pub(crate) const NONE: OptI64 = OptI64(i64::MIN);

    pub(crate) fn new(v: Option<i64>) -> OptI64 {
        OptI64(v.unwrap_or(i64::MIN))
    }

    pub(crate) fn get(self) -> Option<i64> {
        (self.0 != i64::MIN).then_some(self.0)
    }
}

impl Default for OptI64 {
    fn default() -> Self {
        OptI64::NONE
    }
}

/// An `Option<f64>` in 8 bytes: NaN is none (a median of lead times is never NaN).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct OptF64(f64);

impl OptF64 {
    pub(crate) fn new(v: Option<f64>) -> OptF64 {
        OptF64(v.unwrap_or(f64::NAN))
    }

    pub(crate) fn get(self) -> Option<f64> {
        (!self.0.is_nan()).then_some(self.0)
    }
}

impl Default for OptF64 {
    fn default() -> Self {
        OptF64(f64::NAN)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Dep {
    pub(crate) ev: DepEv,
    pub(crate) service: ServiceId,
    pub(crate) tier: EnvironmentTier,
    /// The (service, tier) chain it is in: successful and finished only.
    pub(crate) chain: Option<ChainId>,
    /// The finish time it was sorted into its chain with.
    pub(crate) chain_fin: i64,
    /// Position in its chain (0 = baseline).
    pub(crate) pos: u32,
    pub(crate) d: DepFacts,
}

impl Dep {
    pub(crate) fn fin(&self) -> i64 {
        self.ev.finished.get().unwrap_or(i64::MIN)
    }
    pub(crate) fn is_success(&self) -> bool {
        self.ev.status == DeploymentStatus::Success && self.ev.finished.get().is_some()
    }
    pub(crate) fn is_baseline(&self) -> bool {
        self.chain.is_some() && self.pos == 0
    }
}

/// The successful deployments of one (service, tier), in finish order, and which commits
/// of the service's repository each one first deployed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Chain {
    pub(crate) repo: Option<RepoId>,
    /// The service's path prefix in the repository ([`super::graph::scope_of`]): only commits
    /// that touch it are changes.
    pub(crate) scope: Option<Box<str>>,
    pub(crate) deps: Vec<DepId>,
    /// Commit → the deployment it is assigned to.
    pub(crate) owner: Owners,
    /// The baseline (first deployment) facts were last derived with.
    pub(crate) baseline: Option<DepId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Inc {
    #[serde(with = "super::as_json")]
    pub(crate) ev: Incident,
    pub(crate) service: ServiceId,
    pub(crate) attribution: Attribution,
    pub(crate) target: Option<DepId>,
}

/// A pull request, as the metrics read it: its times and commits as ids in its repository's
/// graph. Its title and author are not held (no metric reads them); its id is the tail of its
/// key in `Org::pr_keys` (`repo#id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Pr {
    pub(crate) source: SourceId,
    pub(crate) repo: RepoId,
    pub(crate) opened_at: i64,
    pub(crate) first_review_at: Option<i64>,
    pub(crate) approved_at: Option<i64>,
    pub(crate) merged_at: Option<i64>,
    pub(crate) merge_commit: Option<CommitId>,
    /// Its own commits, as listed.
    pub(crate) commits: Box<[CommitId]>,
}

impl Pr {
    /// The commit it is counted at (merge commit, else last commit), when merged.
    pub(crate) fn anchor(&self) -> Option<CommitId> {
        self.merged_at?;
        self.merge_commit.or(self.commits.last().copied())
    }

    /// The commits it is indexed under in `pr_member`: its commits and merge commit, sorted,
    /// each once.
    pub(crate) fn members(&self) -> Vec<CommitId> {
        let mut m: Vec<CommitId> = self
            .commits
            .iter()
            .copied()
            .chain(self.merge_commit)
            .collect();
        m.sort_unstable();
        m.dedup();
        m
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Svc {
    /// Service events by source, sorted; the first is the one in effect.
    #[serde(with = "super::as_json")]
    pub(crate) variants: Vec<Service>,
    /// Its chain per tier, once it has one.
    pub(crate) chains: PerTier<Option<ChainId>>,
    /// Incidents naming this service.
    pub(crate) incidents: Vec<IncidentId>,
    /// Deployments naming this service.
    pub(crate) deployments: u32,
}
