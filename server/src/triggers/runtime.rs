//! What this process keeps for the runs it starts: the targets, its name among the replicas,
//! and what its dispatcher (`super::dispatch`) is doing.

use super::targets::Targets;
use std::collections::HashSet;
use std::sync::atomic::AtomicBool;

pub struct Runtime {
    pub targets: Targets,
    /// This process among the replicas: `host:pid:nonce`, in `portal_runs.holder`.
    pub instance: String,
    /// The machine and pid namespace (`host_name`): a run whose holder was here and died can be
    /// cleaned up here.
    pub host: String,
    /// One dispatcher pass at a time in this process; `again` asks the one under way for
    /// another round.
    pub passing: tokio::sync::Mutex<()>,
    pub again: AtomicBool,
    /// The GitHub client, once built (`providers::github`).
    pub github: std::sync::OnceLock<std::sync::Arc<super::github::GithubActions>>,
    /// The runs this process is running.
    pub active: std::sync::Mutex<HashSet<String>>,
    /// Heartbeats of running runs, and how long without one makes a run orphaned.
    pub heartbeat: std::time::Duration,
    pub stale_after_ms: i64,
}

/// Where this process's pids mean something: the machine's name (`/etc/hostname`, else
/// `HOSTNAME`, else `localhost`) and its pid namespace (`pid:[4026531836]`), so that two
/// containers of one host, or a container started again, are never taken for one another.
pub fn host_name() -> String {
    let name = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    let ns = std::fs::read_link("/proc/self/ns/pid")
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    format!("{name} {ns}")
}

impl Runtime {
    pub fn new(targets: Targets, lease_secs: u64) -> Runtime {
        let host = host_name();
        let nonce = crate::auth::random_token(6).unwrap_or_default();
        Runtime {
            targets,
            instance: format!("{host}:{}:{nonce}", std::process::id()),
            host,
            passing: tokio::sync::Mutex::new(()),
            again: AtomicBool::new(false),
            active: std::sync::Mutex::new(HashSet::new()),
            github: std::sync::OnceLock::new(),
            heartbeat: std::time::Duration::from_secs(2),
            stale_after_ms: (lease_secs.max(6) * 1000) as i64,
        }
    }

    /// The pid of a holder name (`host:pid:nonce`).
    pub fn holder_pid(holder: &str) -> Option<u32> {
        holder.rsplit(':').nth(1)?.parse().ok()
    }
}
