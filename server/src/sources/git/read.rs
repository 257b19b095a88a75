//! Reading a bare mirror with gix: the commits its refs reach that the last read did not,
//! each with its parents, author, times, message and changed paths. Blocking: run it on a
//! blocking thread.

use gix::bstr::ByteSlice;
use nagare_core::events::Commit;
use nagare_core::Timestamp;
use std::path::Path;

/// The `source` of the commit events a mirror writes; it sorts before `github`, so a
/// mirror's commit wins over a push's for the same sha.
pub const SOURCE: &str = "git";
/// A commit that changed more paths than this lists none (unknown: it counts for every
/// service of its repository), as GitHub cuts its lists there.
pub const PATHS_MAX: usize = 3000;
/// Messages are kept up to this many characters.
const MESSAGE_MAX: usize = 4000;

/// Where a read reached.
#[derive(Debug, Default)]
pub struct Reached {
    /// Every ref's commit (sorted, deduplicated): the next read hides what they reach.
    pub tips: Vec<String>,
    /// Commits read.
    pub commits: usize,
}

/// Reads the commits of `dir` (a bare repository) that its refs reach and `hidden` (the tips
/// of the last read) do not, in batches of `batch`, each passed to `emit`; `emit` returning
/// false stops the read (the receiver is gone). `repo` is the repository's name in events.
pub fn read_new(
    dir: &Path,
    repo: &str,
    hidden: &[String],
    batch: usize,
    mut emit: impl FnMut(Vec<Commit>) -> bool,
) -> anyhow::Result<Reached> {
    let r = gix::open(dir)?;
    let mut tips = Vec::new();
    for reference in r.references()?.all()? {
        let Ok(mut reference) = reference else {
            continue;
        };
        // Branches and tags only: not GitHub's `refs/pull/*` (forks' heads, test merges).
        let name = reference.name().as_bstr();
        if !name.starts_with(b"refs/heads/") && !name.starts_with(b"refs/tags/") {
            continue;
        }
        // Tags of trees or blobs, and broken refs, name no commit.
        let Ok(id) = reference.peel_to_id() else {
            continue;
        };
        if r.find_commit(id).is_ok() {
            tips.push(id.detach());
        }
    }
    tips.sort_unstable();
    tips.dedup();
    // A tip of the last read that is gone (a force-push, then gc) hides nothing.
    let hide: Vec<gix::ObjectId> = hidden
        .iter()
        .filter_map(|h| gix::ObjectId::from_hex(h.as_bytes()).ok())
        .filter(|id| r.find_commit(*id).is_ok())
        .collect();
    let mut reached = Reached {
        tips: tips.iter().map(|t| t.to_string()).collect(),
        commits: 0,
    };
    if tips.is_empty() {
        return Ok(reached);
    }
    let walk = r.rev_walk(tips).with_hidden(hide).all()?;
    let mut out = Vec::with_capacity(batch);
    for info in walk {
        let info = info?;
        let commit = info.object()?;
        out.push(commit_event(&r, repo, &commit)?);
        reached.commits += 1;
        if out.len() >= batch && !emit(std::mem::replace(&mut out, Vec::with_capacity(batch))) {
            anyhow::bail!("the read of {repo} was stopped");
        }
    }
    if !out.is_empty() && !emit(out) {
        anyhow::bail!("the read of {repo} was stopped");
    }
    Ok(reached)
}

fn commit_event(r: &gix::Repository, repo: &str, c: &gix::Commit<'_>) -> anyhow::Result<Commit> {
    let author = c.author()?;
    let committer = c.committer()?;
    let name = author.name.to_str_lossy().trim().to_owned();
    let email = author.email.to_str_lossy().trim().to_owned();
    let parents: Vec<gix::ObjectId> = c.parent_ids().map(|p| p.detach()).collect();
    let message = c.message_raw_sloppy().to_str_lossy();
    let message = message.trim();
    Ok(Commit {
        source: SOURCE.into(),
        repo: repo.to_owned(),
        sha: c.id.to_string(),
        parents: parents.iter().map(|p| p.to_string()).collect(),
        author: Some(if name.is_empty() { email } else { name }).filter(|a| !a.is_empty()),
        authored_at: Timestamp(author.time()?.seconds.saturating_mul(1000)),
        committed_at: Some(Timestamp(committer.time()?.seconds.saturating_mul(1000))),
        message: (!message.is_empty()).then(|| nagare_core::text::capped(message, MESSAGE_MAX)),
        paths: changed_paths(r, c, parents.first().copied())?,
    })
}

/// The paths `c` changed against its first parent (every path of a root commit); `None`
/// beyond [`PATHS_MAX`].
fn changed_paths(
    r: &gix::Repository,
    c: &gix::Commit<'_>,
    first_parent: Option<gix::ObjectId>,
) -> anyhow::Result<Option<Vec<String>>> {
    let tree = c.tree()?;
    let before = match first_parent {
        Some(p) => r.find_commit(p)?.tree()?,
        None => r.empty_tree(),
    };
    let changes = r.diff_tree_to_tree(
        Some(&before),
        Some(&tree),
        gix::diff::Options::default().with_rewrites(None),
    )?;
    let mut paths = Vec::new();
    for ch in changes {
        if ch.entry_mode().is_tree() {
            continue;
        }
        if paths.len() == PATHS_MAX {
            return Ok(None);
        }
        paths.push(ch.location().to_str_lossy().into_owned());
    }
    paths.sort_unstable();
    paths.dedup();
    Ok(Some(paths))
}
