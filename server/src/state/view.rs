//! The only ways a handler reads the model, as extractors it takes as arguments:
//!
//! - [`Synced`]: the model, caught up with the store first, so no handler can forget to sync.
//!   It offers the [`Catalog`] (service and team names, the access rules) and nothing of any
//!   team's deployments, incidents or metrics.
//! - [`TeamView`]: a synced model seen through the caller's [`ReadScope`] (an extractor; its
//!   `open` syncs and reads). Team data (metrics, deployments, incidents) is reachable only
//!   here, and every method checks the query's `team`/`service` filters or the object's own
//!   service first.
//!
//! The model itself is private to `state`, so a handler that serves team data cannot compile
//! without taking the team scope.

use super::{AppState, Model};
use crate::auth::ReadScope;
use crate::error::{ApiError, ApiResult};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use nagare_core::access::{Limit, OutOfScope};
use nagare_core::api::{
    DeploymentDetail, DeploymentQuery, DeploymentRow, DoraQuery, DoraReport, FlakyReport,
    IncidentQuery, IncidentRow, Page, PipelineRunDetail, PipelineRunRow, ServiceRow, TeamRow,
    TeamsDoraReport, WorkflowTrend, WorkflowsReport,
};
use nagare_core::api::{Journey, ValueStreamReport};
use nagare_core::events::EventKey;
use nagare_core::query::{PipelineRunQuery, PipelineWindow, ValueStreamQuery};
use nagare_core::Event;
use tokio::sync::OwnedRwLockReadGuard;

/// A read of the model at (at least) the store's revision when the request arrived.
pub struct Synced(OwnedRwLockReadGuard<Model>);

impl FromRequestParts<AppState> for Synced {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> ApiResult<Synced> {
        Synced::now(state).await
    }
}

impl Synced {
    /// Catches the model up with the store, then holds a read of it.
    pub async fn now(state: &AppState) -> ApiResult<Synced> {
        state.sync().await?;
        Ok(Synced(state.model.clone().read_owned().await))
    }

    /// The store revision this read reflects.
    pub fn rev(&self) -> i64 {
        self.0.rev
    }

    /// Distinct events held.
    pub fn event_count(&self) -> usize {
        self.0.org.event_count()
    }

    pub fn catalog(&self) -> Catalog<'_> {
        Catalog(&self.0)
    }
}

/// What every signed-in caller may know of the organisation's shape: service and team names,
/// who owns what, and which events a write limit admits.
pub struct Catalog<'a>(&'a Model);

impl Catalog<'_> {
    pub fn services(&self) -> Vec<ServiceRow> {
        self.0.org.services()
    }
    pub fn teams(&self) -> Vec<TeamRow> {
        self.0.org.teams()
    }
    pub fn environments(&self) -> Vec<nagare_core::api::EnvironmentSeen> {
        self.0.org.environments()
    }
    /// The first event of a batch that `limit` does not allow writing.
    pub fn first_outside(&self, events: &[Event], limit: &Limit) -> Option<OutOfScope> {
        self.0.org.first_outside(events, limit)
    }
}

/// Team data, through the caller's scope.
pub struct TeamView {
    model: Synced,
    scope: ReadScope,
}

impl ReadScope {
    /// Team data seen through this scope, from the model caught up with the store. A handler
    /// opens it once it has its turn at the compute gate, so that no read lock is held while
    /// it waits there.
    pub async fn open(self, state: &AppState) -> ApiResult<TeamView> {
        let model = Synced::now(state).await?;
        Ok(TeamView { model, scope: self })
    }
}

impl TeamView {
    pub fn scope(&self) -> &ReadScope {
        &self.scope
    }

    /// A query's `team` and `service` filters: within the scope, or 403.
    pub fn check_filters(&self, team: Option<&str>, service: Option<&str>) -> ApiResult<()> {
        self.scope.check_filters(&self.model.0.org, team, service)
    }

    pub fn dora(&self, q: &DoraQuery) -> ApiResult<DoraReport> {
        self.check_filters(q.team.as_deref(), q.service.as_deref())?;
        Ok(self.model.0.org.dora(q))
    }

    /// Every team's metrics the scope may read (a viewer limited to their teams sees theirs).
    pub fn teams_dora(&self, q: &DoraQuery) -> TeamsDoraReport {
        self.model
            .0
            .org
            .teams_dora(q, |team| self.check_filters(Some(team), None).is_ok())
    }

    pub fn deployments(&self, q: &DeploymentQuery) -> ApiResult<Page<DeploymentRow>> {
        self.check_filters(q.team.as_deref(), q.service.as_deref())?;
        Ok(self.model.0.org.deployments(q))
    }

    pub fn incidents(&self, q: &IncidentQuery) -> ApiResult<Page<IncidentRow>> {
        self.check_filters(q.team.as_deref(), q.service.as_deref())?;
        Ok(self.model.0.org.incidents(q))
    }

    /// The runs list, the runs in `marks` (started from the portal) marked so.
    pub fn pipeline_runs(
        &self,
        q: &PipelineRunQuery,
        marks: &nagare_core::model::PortalMarks,
    ) -> ApiResult<Page<PipelineRunRow>> {
        self.check_filters(q.team.as_deref(), q.service.as_deref())?;
        Ok(self.model.0.org.pipeline_runs_marked(q, marks))
    }

    /// One attempt, if the scope admits a service of its repository (a repository no service
    /// names: only a caller who reads everything).
    pub fn pipeline_run(&self, source: Option<&str>, id: &str) -> Option<PipelineRunDetail> {
        let org = &self.model.0.org;
        let (detail, services) = org.pipeline_run(source, id)?;
        let all = matches!(self.scope.scope, nagare_core::access::Scope::All);
        (all || services.iter().any(|s| self.scope.admits(org, s))).then_some(detail)
    }

    pub fn workflows(&self, w: &PipelineWindow) -> ApiResult<WorkflowsReport> {
        self.check_filters(w.team.as_deref(), w.service.as_deref())?;
        Ok(self.model.0.org.workflows(w))
    }

    /// A workflow's trend, and the (source, id) keys of the attempts whose steps to read.
    pub fn workflow_trend(
        &self,
        w: &PipelineWindow,
        step_runs: usize,
    ) -> ApiResult<Option<(WorkflowTrend, nagare_core::model::RunKeys)>> {
        self.check_filters(w.team.as_deref(), w.service.as_deref())?;
        Ok(self.model.0.org.workflow_trend(w, step_runs))
    }

    pub fn value_stream(&self, q: &ValueStreamQuery) -> ApiResult<ValueStreamReport> {
        self.check_filters(q.team.as_deref(), q.service.as_deref())?;
        Ok(self.model.0.org.value_stream(q))
    }

    /// One pull request's journey, if the scope admits a service of its repository.
    pub fn journey(&self, repo: &str, id: &str, source: Option<&str>) -> Option<Journey> {
        let org = &self.model.0.org;
        let (journey, services) = org.journey(repo, id, source)?;
        let all = matches!(self.scope.scope, nagare_core::access::Scope::All);
        (all || services.iter().any(|s| self.scope.admits(org, s))).then_some(journey)
    }

    pub fn flaky_jobs(&self, w: &PipelineWindow) -> ApiResult<FlakyReport> {
        self.check_filters(w.team.as_deref(), w.service.as_deref())?;
        Ok(self.model.0.org.flaky_jobs(w))
    }

    /// One deployment, if the scope admits its service (the object's own service decides).
    /// Each service's owning teams.
    pub fn service_teams(&self) -> std::collections::HashMap<String, Vec<String>> {
        self.model
            .catalog()
            .services()
            .into_iter()
            .map(|s| (s.name, s.teams))
            .collect()
    }

    /// Whether the caller reads everything (admins, local mode, unrestricted tokens).
    pub fn reads_all(&self) -> bool {
        matches!(self.scope.scope, nagare_core::access::Scope::All)
    }

    /// Whether the caller may read a team's data (cost allocated to the team).
    pub fn admits_team(&self, team: &str) -> bool {
        match &self.scope.scope {
            nagare_core::access::Scope::All => true,
            nagare_core::access::Scope::Only(limit) => limit.teams.iter().any(|t| t == team),
        }
    }

    /// What each service the caller may read delivered in `[from, to)` (ms): production
    /// deployments and failed changes.
    pub fn delivery(
        &self,
        from: i64,
        to: i64,
    ) -> std::collections::BTreeMap<String, nagare_core::model::ServiceDelivery> {
        let mut d = self.model.0.org.delivery(from, to);
        d.retain(|s, _| self.admits(s));
        d
    }

    /// Minutes and count of the pipeline runs that finished in `[from, to)` (ms), of the
    /// repositories the caller may read.
    pub fn ci_usage(&self, from: i64, to: i64) -> nagare_core::model::CiUsage {
        if self.reads_all() {
            return self.model.0.org.ci_usage(from, to, None);
        }
        let admit = |s: &str| self.admits(s);
        self.model.0.org.ci_usage(from, to, Some(&admit))
    }

    /// The DORA report of one service the caller may read.
    pub fn service_dora(&self, service: &str, from: i64, to: i64) -> Option<DoraReport> {
        if !self.admits(service) {
            return None;
        }
        let q = nagare_core::api::DoraParams {
            from: Some(nagare_core::Timestamp(from)),
            to: Some(nagare_core::Timestamp(to)),
            service: Some(service.to_owned()),
            ..Default::default()
        }
        .resolve(nagare_core::Timestamp(to))
        .ok()?;
        Some(self.model.0.org.dora(&q))
    }

    /// Whether the caller may read `service`'s data.
    pub fn admits(&self, service: &str) -> bool {
        self.scope.admits(&self.model.0.org, service)
    }

    /// One deployment the caller may see, and the store keys of its changes' commit events
    /// (their messages are read from the store, not held in memory).
    pub fn deployment(&self, id: &str) -> Option<(DeploymentDetail, Vec<EventKey>)> {
        let org = &self.model.0.org;
        org.deployment_with_keys(id)
            .filter(|(d, _)| self.scope.admits(org, &d.deployment.service))
    }
}
