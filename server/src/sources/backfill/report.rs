//! What a backfill did, per repository and in all, as the command and the Sources page say it.

/// What a backfill did to one repository.
#[derive(Debug, Clone, Default)]
pub struct RepoReport {
    pub repo: String,
    pub pages: u64,
    /// Objects fetched, and of them: new to Nagare, already there (a delivery id seen), and
    /// kept without events (ignored, unmapped or rejected).
    pub objects: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub kept_only: u64,
    /// Why a phase stopped, if one did (it resumes from its cursor next time).
    pub error: Option<String>,
}

/// What a backfill of several repositories did, as the command and the Sources page say it.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub reports: Vec<RepoReport>,
    /// Requests sent, and waits for GitHub's limits.
    pub requests: u64,
    pub waits: u64,
    pub took: std::time::Duration,
}

impl Outcome {
    /// Repositories that stopped early (each resumes from its cursor next time).
    pub fn failed(&self) -> usize {
        self.reports.iter().filter(|r| r.error.is_some()).count()
    }

    /// One line: repositories, what they held and what became of it, requests and waits.
    pub fn describe(&self) -> String {
        let sum = |f: fn(&RepoReport) -> u64| self.reports.iter().map(f).sum::<u64>();
        let failed = self.failed();
        format!(
            "{} {} in {:.1} s: {} pages, {} objects: {} new events, {} already stored, {} kept without events ({} requests, {} waits for GitHub's limits){}",
            self.reports.len(),
            if self.reports.len() == 1 { "repository" } else { "repositories" },
            self.took.as_secs_f64(),
            sum(|r| r.pages),
            sum(|r| r.objects),
            sum(|r| r.stored),
            sum(|r| r.duplicates),
            sum(|r| r.kept_only),
            self.requests,
            self.waits,
            match failed {
                0 => String::new(),
                n => format!(
                    "; {n} stopped early (asked again, each resumes from where it stopped): {}",
                    self.reports
                        .iter()
                        .filter_map(|r| Some(format!("{}: {}", r.repo, r.error.as_ref()?)))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            }
        )
    }
}

impl RepoReport {
    /// One line: what a repository's backfill held and what became of it.
    pub fn describe(&self) -> String {
        format!(
            "{}: {} pages, {} objects: {} new events, {} already stored, {} kept without events{}",
            self.repo,
            self.pages,
            self.objects,
            self.stored,
            self.duplicates,
            self.kept_only,
            self.error
                .as_ref()
                .map_or(String::new(), |e| format!("; stopped: {e}"))
        )
    }
}
