//! Git mirrors (`[sources.git]`): a bare mirror per configured repository in the data
//! directory, fetched with the `git` CLI (on a schedule, and soon after a push webhook), read
//! with gix ([`read`]). Each sync writes the commits that are new since the last one as commit
//! events with source `git` (exact parents, changed paths), in atomic batches; the last
//! batch also stores the tips it reached, so that the next sync reads only newer commits. A
//! sync stopped halfway reads its commits again next time (upserts: nothing twice).

pub mod read;

use crate::config::{Config, GitSourceConfig, GithubSourceConfig, MirrorConfig};
use crate::store::{MirrorRead, Store};
use anyhow::{anyhow, Context};
use base64::Engine;
use nagare_core::Event;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Commits per stored batch.
const BATCH: usize = 2_000;

/// What one mirror's sync did.
#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    pub repo: String,
    /// Commits new since the last sync, written.
    pub new: usize,
    /// Refs' commits the sync reached.
    pub tips: usize,
    pub fetch_ms: u64,
    pub read_ms: u64,
    /// Why it stopped, if it did (also stored on the mirror's row).
    pub error: Option<String>,
}

impl SyncReport {
    pub fn describe(&self) -> String {
        match &self.error {
            Some(e) => format!("{}: failed: {e}", self.repo),
            None => format!(
                "{}: {} new commits ({} refs; fetch {:.1} s, read {:.1} s)",
                self.repo,
                self.new,
                self.tips,
                self.fetch_ms as f64 / 1000.0,
                self.read_ms as f64 / 1000.0
            ),
        }
    }
}

/// The clone URL of a mirror: its own, else GitHub's (or the Enterprise host's).
pub fn clone_url(m: &MirrorConfig, github: &GithubSourceConfig) -> String {
    if let Some(u) = &m.url {
        return u.trim().to_owned();
    }
    format!("{}/{}.git", github.web_url(), m.repo)
}

/// Where a repository's mirror lives under `dir`.
pub fn mirror_path(dir: &Path, repo: &str) -> PathBuf {
    let (owner, name) = repo.split_once('/').unwrap_or(("_", repo));
    dir.join(owner).join(format!("{name}.git"))
}

/// `scheme://host[:port]` of an `http(s)://` URL.
fn origin_of(url: &str) -> Option<(String, bool)> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?;
    let loopback = match u.host()? {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    let origin = match u.port() {
        Some(p) => format!("{}://{host}:{p}", u.scheme()),
        None => format!("{}://{host}", u.scheme()),
    };
    Some((origin, loopback))
}

/// The GitHub source's access for one sync of every mirror: a token (a GitHub App's minted
/// once, when a mirror first needs it).
struct GithubAccess<'a> {
    github: &'a GithubSourceConfig,
    token: tokio::sync::OnceCell<String>,
}

impl GithubAccess<'_> {
    async fn token(&self) -> anyhow::Result<String> {
        let github = self.github;
        self.token
            .get_or_try_init(|| async {
                let auth = github.api_auth().map_err(anyhow::Error::msg)?;
                let client = crate::sources::github_api::Client::new(
                    &github.api_url,
                    auth,
                    Default::default(),
                )?;
                client.token().await
            })
            .await
            .cloned()
    }
}

/// The token for an `http(s)://` clone URL, and the origin it may be sent to: the mirror's
/// `token_file`, else the GitHub source's access, but only to the GitHub host. A token never
/// goes over plain `http://`, except to a loopback address.
async fn token_for(
    m: &MirrorConfig,
    access: &GithubAccess<'_>,
    url: &str,
) -> anyhow::Result<Option<(String, String)>> {
    let github = access.github;
    let Some((origin, loopback)) = origin_of(url) else {
        return Ok(None);
    };
    let token = if let Some(f) = &m.token_file {
        let t = std::fs::read_to_string(f).with_context(|| {
            format!(
                "sources.git.mirrors ({}): cannot read token_file {}",
                m.repo,
                f.display()
            )
        })?;
        Some(t.trim().to_owned()).filter(|t| !t.is_empty())
    } else {
        let configured = !github.app_id.trim().is_empty()
            || !github.token.trim().is_empty()
            || github.token_file.is_some();
        let github_host = origin_of(&github.web_url()).map(|(o, _)| o);
        if !configured || github_host.as_deref() != Some(origin.as_str()) {
            return Ok(None);
        }
        Some(access.token().await?)
    };
    let Some(token) = token else {
        return Ok(None);
    };
    if origin.starts_with("http://") && !loopback {
        anyhow::bail!(
            "sources.git.mirrors ({}): refusing to send a token over plain http to {origin}; use https://",
            m.repo
        );
    }
    Ok(Some((token, origin)))
}

/// Settings every git command of a mirror runs with: no maintenance that could drop objects
/// a stored tip still needs, and a stalled transfer aborted.
const GIT_SETTINGS: [(&str, &str); 3] = [
    ("gc.auto", "0"),
    ("http.lowSpeedLimit", "1000"),
    ("http.lowSpeedTime", "60"),
];

/// Runs `git` with `args`, no stdin, no prompt, only the https, http and file transports, the
/// token (if any) as an HTTP header for its origin in the environment (never in the arguments
/// or the URL), in its own process group, all of which is killed after `timeout`.
async fn git(
    what: &str,
    args: &[&std::ffi::OsStr],
    token: Option<&(String, String)>,
    timeout: Duration,
) -> anyhow::Result<()> {
    let mut cmd = tokio::process::Command::new("git");
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ALLOW_PROTOCOL", "https:http:file")
        .process_group(0)
        .kill_on_drop(true);
    let mut settings: Vec<(String, String)> = GIT_SETTINGS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut secrets = Vec::new();
    if let Some((t, origin)) = token {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{t}"));
        settings.push((
            format!("http.{origin}/.extraHeader"),
            format!("Authorization: Basic {basic}"),
        ));
        secrets = vec![t.clone(), basic];
    }
    cmd.env("GIT_CONFIG_COUNT", settings.len().to_string());
    for (i, (k, v)) in settings.iter().enumerate() {
        cmd.env(format!("GIT_CONFIG_KEY_{i}"), k)
            .env(format!("GIT_CONFIG_VALUE_{i}"), v);
    }
    let child = cmd
        .spawn()
        .context("cannot run `git`: install git (2.31 or later) on the server's PATH")?;
    let group = child.id();
    let out = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(out) => out?,
        Err(_) => {
            // The child is killed on drop; its helpers (remote-https, index-pack) with it.
            if let Some(pid) = group {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pid}")])
                    .stderr(Stdio::null())
                    .status();
            }
            anyhow::bail!(
                "git {what} took longer than {} s (sources.git.fetch_timeout_secs)",
                timeout.as_secs()
            )
        }
    };
    if !out.status.success() {
        let mut err = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        for s in &secrets {
            err = err.replace(s.as_str(), "***");
        }
        anyhow::bail!(
            "git {what} failed ({}): {}",
            out.status,
            nagare_core::text::printable(&err, 1000)
        );
    }
    Ok(())
}

/// The refs a mirror takes: branches and tags (not GitHub's `refs/pull/*`).
const REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

/// Points the bare repository at `url` with [`REFSPECS`], then fetches (pruning what is gone).
async fn fetch_into(
    gd: &Path,
    url: &str,
    token: Option<&(String, String)>,
    timeout: Duration,
) -> anyhow::Result<()> {
    let os = std::ffi::OsStr::new;
    let gd = gd.as_os_str();
    let config = |args: &[&str]| {
        let mut all = vec![os("--git-dir"), gd, os("config")];
        all.extend(args.iter().map(|a| os(a)));
        all.into_iter().map(|a| a.to_owned()).collect::<Vec<_>>()
    };
    let set_url = config(&["remote.origin.url", url]);
    let first = config(&["--replace-all", "remote.origin.fetch", REFSPECS[0]]);
    let second = config(&["--add", "remote.origin.fetch", REFSPECS[1]]);
    for args in [&set_url, &first, &second] {
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        git("config", &refs, None, timeout).await?;
    }
    git(
        "fetch",
        &[
            os("--git-dir"),
            gd,
            os("fetch"),
            os("--prune"),
            os("--quiet"),
            os("origin"),
        ],
        token,
        timeout,
    )
    .await
}

/// Removes git's lock files left by a killed git (`packed-refs.lock`, `config.lock`,
/// `refs/**/*.lock`): only called while holding the mirror's own lock, so no git of ours is
/// running in it.
fn remove_stale_locks(mirror: &Path) {
    fn locks_in(dir: &Path, deep: bool) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if deep {
                    locks_in(&p, true);
                }
            } else if p.extension().is_some_and(|x| x == "lock") {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
    locks_in(mirror, false);
    locks_in(&mirror.join("refs"), true);
}

/// Clones the mirror (into a temporary folder, renamed when complete) or fetches it.
async fn fetch(
    path: &Path,
    url: &str,
    token: Option<&(String, String)>,
    timeout: Duration,
) -> anyhow::Result<()> {
    if path.join("HEAD").exists() {
        remove_stale_locks(path);
        return fetch_into(path, url, token, timeout).await;
    }
    let parent = path
        .parent()
        .ok_or_else(|| anyhow!("no folder for {}", path.display()))?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".cloning");
    let tmp = PathBuf::from(tmp);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)
            .with_context(|| format!("cannot remove the unfinished clone {}", tmp.display()))?;
    }
    let os = std::ffi::OsStr::new;
    git(
        "init",
        &[
            os("init"),
            os("--bare"),
            os("--quiet"),
            os("--"),
            tmp.as_os_str(),
        ],
        None,
        timeout,
    )
    .await?;
    fetch_into(&tmp, url, token, timeout).await?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move the clone to {}", path.display()))?;
    Ok(())
}

/// The mirror's own lock (`<name>.git.lock` beside it), held while it is fetched, read and
/// stored, so that the server's job and `nagare sync git` never work on it at once.
fn lock_mirror(path: &Path) -> anyhow::Result<std::fs::File> {
    let parent = path
        .parent()
        .ok_or_else(|| anyhow!("no folder for {}", path.display()))?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(PathBuf::from(&name))
        .with_context(|| format!("cannot open {}", PathBuf::from(&name).display()))?;
    // A lock just released can linger for a moment in a process forked meanwhile (until it
    // executes its program), so a busy lock is tried again for two seconds.
    for _ in 0..40 {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => std::thread::sleep(Duration::from_millis(50)),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).context("cannot lock the mirror")
            }
        }
    }
    anyhow::bail!(
        "another sync of this mirror is running (the server's job or `nagare sync git`); it is left to finish"
    )
}

/// Syncs one mirror: fetch, read what is new, store it. A failure is recorded on its row.
async fn sync_one(
    store: &Store,
    config: &Config,
    access: &GithubAccess<'_>,
    dir: &Path,
    m: &MirrorConfig,
) -> SyncReport {
    let mut report = SyncReport {
        repo: m.repo.clone(),
        ..SyncReport::default()
    };
    let url = clone_url(m, &config.sources.github);
    let path = mirror_path(dir, &m.repo);
    let locked = tokio::task::spawn_blocking(move || lock_mirror(&path))
        .await
        .map_err(|e| anyhow!("the mirror's lock: {e}"))
        .and_then(|r| r);
    let _lock = match locked {
        Ok(l) => l,
        Err(e) => {
            report.error = Some(format!("{e:#}"));
            return report;
        }
    };
    if let Err(e) = sync_inner(
        store,
        &config.sources.git,
        access,
        dir,
        m,
        &url,
        &mut report,
    )
    .await
    {
        let msg = format!("{e:#}");
        tracing::warn!(repo = %m.repo, error = %msg, "git mirror sync failed");
        if let Err(e) = store.git_mirror_failed(&m.repo, &url, &msg).await {
            tracing::warn!(repo = %m.repo, error = %e, "could not record the mirror's failure");
        }
        report.error = Some(msg);
    }
    report
}

async fn sync_inner(
    store: &Store,
    git_cfg: &GitSourceConfig,
    access: &GithubAccess<'_>,
    dir: &Path,
    m: &MirrorConfig,
    url: &str,
    report: &mut SyncReport,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let fetched_at = crate::store::now_millis();
    let path = mirror_path(dir, &m.repo);
    let token = token_for(m, access, url).await?;
    fetch(
        &path,
        url,
        token.as_ref(),
        Duration::from_secs(git_cfg.fetch_timeout_secs),
    )
    .await?;
    report.fetch_ms = started.elapsed().as_millis() as u64;
    let read_started = Instant::now();
    let hidden = store
        .git_mirror(&m.repo)
        .await?
        .map(|r| r.tips)
        .unwrap_or_default();
    // The reader runs on a blocking thread and hands over batches; this task stores each.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<nagare_core::events::Commit>>(2);
    let repo = m.repo.clone();
    let reader = tokio::task::spawn_blocking(move || {
        read::read_new(&path, &repo, &hidden, BATCH, |b| {
            tx.blocking_send(b).is_ok()
        })
    });
    // Each batch is stored once the next one arrives: the last also stores the tips.
    let mut pending: Option<Vec<Event>> = None;
    while let Some(commits) = rx.recv().await {
        if let Some(events) = pending.replace(commits.into_iter().map(Event::Commit).collect()) {
            let mut batch = store.begin().await?;
            batch.add_all(&events).await?;
            batch.commit().await?;
            report.new += events.len();
        }
    }
    let reached = reader
        .await
        .map_err(|e| anyhow!("the mirror's reader stopped: {e}"))??;
    let mut batch = store.begin().await?;
    if let Some(events) = &pending {
        batch.add_all(events).await?;
        report.new += events.len();
    }
    report.tips = reached.tips.len();
    report.read_ms = read_started.elapsed().as_millis() as u64;
    batch
        .git_mirror_read(&MirrorRead {
            repo: &m.repo,
            url,
            tips: &reached.tips,
            new: reached.commits as i64,
            fetched_at,
            took_ms: started.elapsed().as_millis() as i64,
        })
        .await?;
    batch.commit().await?;
    Ok(())
}

/// Syncs every mirror (or the one of `only`), one after another.
pub async fn sync_all(
    store: &Store,
    config: &Config,
    only: Option<&str>,
) -> anyhow::Result<Vec<SyncReport>> {
    let git = &config.sources.git;
    let mirrors: Vec<&MirrorConfig> = git
        .mirrors
        .iter()
        .filter(|m| only.is_none_or(|o| o.eq_ignore_ascii_case(&m.repo)))
        .collect();
    if mirrors.is_empty() {
        anyhow::bail!(match only {
            Some(o) =>
                format!("`{o}` is not mirrored: add it as [[sources.git.mirrors]] repo = \"{o}\""),
            None => "no git mirror is configured: add [[sources.git.mirrors]] entries (repo, url)"
                .into(),
        });
    }
    let dir = git.mirrors_dir(store.sqlite_file().as_deref());
    let access = GithubAccess {
        github: &config.sources.github,
        token: tokio::sync::OnceCell::new(),
    };
    let mut out = Vec::with_capacity(mirrors.len());
    for m in mirrors {
        out.push(sync_one(store, config, &access, &dir, m).await);
    }
    Ok(out)
}
