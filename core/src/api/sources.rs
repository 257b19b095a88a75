//! The Sources page's shapes (admins only): each source's set-up and health, the kept
//! deliveries, and replays.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// `GET /api/v1/sources` (admins only): each webhook source, and how its deliveries fare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceSummary {
    /// `github`, `canonical`.
    pub name: String,
    /// Whether it has a secret, so that `POST /hooks/{name}` takes deliveries.
    pub configured: bool,
    /// The path to paste after the portal's address as the webhook URL.
    pub webhook_path: String,
    /// The content type to choose in the sender's webhook settings.
    pub content_type: String,
    /// The events to tick in the sender's webhook settings: (event name, label there).
    pub events: Vec<SourceEvent>,
    pub last_delivery_at: Option<Timestamp>,
    /// The last `ping` (GitHub's check that the hook reaches Nagare): connected.
    pub last_ping_at: Option<Timestamp>,
    pub verdicts: VerdictCounts,
    /// Repositories (or other keys) that no rule maps, with the rule to add.
    pub unmapped: Vec<UnmappedHint>,
    /// Environments this source deployed to whose tier neither a rule nor the name gives
    /// (tier `other`, outside the DORA numbers), with the rule to add; `deliveries` counts
    /// their deployments.
    #[serde(default)]
    pub unmapped_environments: Vec<UnmappedHint>,
}

/// An environment deployed to, as the model holds it (`Org::environments`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnvironmentSeen {
    /// The source of its deployments (`github`, `api`).
    pub source: String,
    pub name: String,
    pub tier: crate::events::EnvironmentTier,
    pub deployments: u64,
    /// The newest of its deployments' finish (or start) times.
    pub last_at: Option<Timestamp>,
}

/// An event a source's webhook sends, as its settings name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceEvent {
    /// The event type (`workflow_job`).
    pub event: String,
    /// Its checkbox in the sender's settings ("Workflow jobs").
    pub label: String,
}

/// Deliveries of a source by verdict (`duplicate`: answered as a redelivery, stored once).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerdictCounts {
    pub accepted: u64,
    pub duplicate: u64,
    pub ignored: u64,
    pub unmapped: u64,
    pub rejected: u64,
}

/// What no rule maps yet, and the rule that would.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnmappedHint {
    /// The repository (`owner/name`).
    pub key: String,
    /// Unmapped deliveries of it (among the newest 1,000 unmapped).
    pub deliveries: u64,
    pub last_at: Timestamp,
    /// The configuration to add (TOML), then restart and replay.
    pub rule: String,
}

/// A kept raw delivery (`GET /api/v1/deliveries`, admins only), newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryRow {
    pub id: i64,
    pub received_at: Timestamp,
    pub source: String,
    /// The id the sender gave it (`X-GitHub-Delivery`).
    pub delivery_id: Option<String>,
    /// The event type the sender named (`X-GitHub-Event`).
    pub event: Option<String>,
    /// `accepted`, `ignored`, `unmapped` or `rejected`.
    pub verdict: String,
    /// Why, for all but `accepted` (and what an accepted one leaves out).
    pub detail: Option<String>,
    pub size_bytes: i64,
    /// Only the head of a rejected payload larger than the cap is kept.
    pub truncated: bool,
}

/// One delivery with its payload (`GET /api/v1/deliveries/{id}`): JSON pretty-printed with
/// secret-looking values replaced by `[redacted]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryDetail {
    pub delivery: DeliveryRow,
    /// The payload as kept (lossy UTF-8 when it is not JSON); `None` when not kept.
    pub payload: Option<String>,
    /// How many values were redacted.
    pub redacted: u32,
}

/// `GET /api/v1/git-mirrors` (admins only): a configured git mirror and how its syncs fare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MirrorSummary {
    /// The repository (`owner/name`).
    pub repo: String,
    /// Where it is fetched from (never with credentials).
    pub url: String,
    /// Commits written from it, all syncs together.
    pub commits: u64,
    /// The last sync that read it to the end; `null` before the first.
    pub last_fetch_at: Option<Timestamp>,
    /// Commits that sync found new, and how long it took (fetch and read), in milliseconds.
    pub last_new: u64,
    pub last_took_ms: u64,
    /// Why the last sync failed (the next one tries again); `null` once one succeeds.
    pub error: Option<String>,
    pub error_at: Option<Timestamp>,
    /// Minutes between scheduled syncs (`sources.git.every_minutes`).
    pub every_minutes: u64,
}

/// `GET /api/v1/sources/github/rules` (admins only): the GitHub source's mapping rules as
/// configured (`[sources.github]`), in the order they are tried.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MappingRules {
    /// Repository (`owner/name` or `owner/*`) to service: the first match wins, an exact name
    /// before `owner/*`.
    pub repos: Vec<RepoRuleView>,
    /// Environment names and their tiers; other names are tiered by their words, or
    /// production when GitHub says `production_environment`.
    pub environments: Vec<EnvironmentRuleView>,
    /// Stage rules (regexes), tried in order before the built-in words.
    pub stages: Vec<StageRuleView>,
    /// Deployment detection from successful workflow runs or jobs; the first match wins.
    pub deployments: Vec<DeployRuleView>,
    /// Labels that make an issue an incident.
    pub incident_labels: Vec<String>,
    /// The prefix naming an incident's cause (`caused-by: <deployment id or sha>`).
    pub caused_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepoRuleView {
    pub repo: String,
    pub service: String,
    /// The service's folder in a monorepo.
    pub path: Option<String>,
    pub teams: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnvironmentRuleView {
    pub name: String,
    pub tier: crate::events::EnvironmentTier,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageRuleView {
    /// Regexes on the workflow's and the job's names (those given must both match).
    pub workflow: Option<String>,
    pub job: Option<String>,
    pub stage: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeployRuleView {
    pub workflow: Option<String>,
    pub job: Option<String>,
    /// `null`: every repository.
    pub repo: Option<String>,
    /// `null`: the repository's default branch.
    pub branch: Option<String>,
    pub environment: String,
    /// `null`: the repository's service.
    pub service: Option<String>,
}

/// `GET /api/v1/backfill` (admins only): one phase of one repository's history backfill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackfillPhase {
    /// `github`.
    pub source: String,
    /// The repository (`owner/name`).
    pub repo: String,
    /// `deployments`, `runs`, `pulls`, `issues`, `compare`.
    pub phase: String,
    /// `done`; `failed` (`error` says why; the next run resumes from its cursor); `running`
    /// (a page stored in the last five minutes); `stopped` (cut off: the next run resumes).
    pub state: String,
    /// Pages fetched and stored, and the objects they held.
    pub pages: u64,
    pub items: u64,
    /// The pages the list has, as GitHub's `Link` header last said (a phase that reaches
    /// `since` ends sooner); `null` when not known.
    pub total_pages: Option<u64>,
    /// For a running phase of known length: the time left at its pace so far, seconds.
    pub eta_secs: Option<f64>,
    /// The `--since` it was started with.
    pub since: Timestamp,
    pub updated_at: Timestamp,
    pub error: Option<String>,
}

/// `POST /api/v1/sources/{name}/replay`: what to replay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplayRequest {
    /// Only what deliveries received since then touch: `30d`, `12h`, `2026-06-01`, RFC 3339.
    #[serde(default)]
    pub since: Option<String>,
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplaySummary {
    /// Deliveries mapped again, and those kept only in part (not mapped).
    pub deliveries: u64,
    pub partial: u64,
    /// Their verdicts under the current rules.
    pub verdicts: VerdictCounts,
    pub verdicts_changed: u64,
    /// Events rebuilt, and what became of them.
    pub keys: u64,
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub unchanged: u64,
}

crate::named_enum! {
    /// A task an administrator asked for from the Sources page.
    pub enum TaskAction as "task action" {
        /// A history backfill through the GitHub REST API (`nagare backfill github`).
        Backfill = "backfill",
        /// A fetch and read of the git mirrors (`nagare sync git`).
        GitSync = "git_sync",
    }
}

crate::named_enum! {
    /// Where an asked-for task stands.
    pub enum TaskState as "task state" {
        /// Waiting for the job that runs it (on this replica or another).
        Queued = "queued",
        Running = "running",
        Done = "done",
        /// It ended with an error (`outcome` says which); a backfill resumes from its cursors
        /// when asked again.
        Failed = "failed",
    }
}

/// `POST /api/v1/backfill` (admins only): a history backfill to run in the background.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackfillRequest {
    /// How far back: `180d` (the default), `2026-01-01`, RFC 3339; at most ten years.
    #[serde(default)]
    pub since: Option<String>,
    /// One repository (`owner/name`); `null`: every repository the rules name.
    #[serde(default)]
    pub repo: Option<String>,
}

/// `POST /api/v1/git-mirrors/sync` (admins only): mirrors to fetch and read now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncRequest {
    /// One configured mirror (`owner/name`); `null`: all of them.
    #[serde(default)]
    pub repo: Option<String>,
}

/// A task asked for from the Sources page, run by a background job (once across replicas).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceTask {
    pub id: i64,
    pub action: TaskAction,
    /// The repository it is about; `null`: every one.
    pub repo: Option<String>,
    /// A backfill's start of history.
    pub since: Option<Timestamp>,
    /// Who asked (as the audit log names them).
    pub requested_by: String,
    pub requested_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub state: TaskState,
    /// What it did, or why it failed, once finished.
    pub outcome: Option<String>,
}

/// Whether the portal can run a kind of task, and on what.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskAvailability {
    pub available: bool,
    /// Why not, with the configuration that would allow it.
    pub reason: Option<String>,
    /// The repositories it can be narrowed to (a backfill: the exact repository rules; an
    /// `owner/*` rule's repositories are listed from GitHub when it runs).
    pub repos: Vec<String>,
}

/// `GET /api/v1/source-tasks` (admins only): what can be asked for, and the latest tasks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceTasks {
    pub backfill: TaskAvailability,
    pub git_sync: TaskAvailability,
    /// The newest tasks first, at most 20.
    pub tasks: Vec<SourceTask>,
}
