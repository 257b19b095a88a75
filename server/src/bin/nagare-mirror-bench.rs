//! The git mirror benchmark of docs/PERFORMANCE.md: a repository of N commits generated with
//! `git fast-import` (20 service folders, a merge every 20 commits), mirrored from its local
//! path (`file://`) and read into DATABASE_URL: the first sync (clone, read, store), a sync
//! with nothing new, and one after 100 more commits.
//! Usage: nagare-mirror-bench DATABASE_URL [--commits N]   (default 100 000). Prints one JSON
//! line; the peak memory is this process's (the git clone runs as a child and is not in it).

use nagare_server::config::{Config, MirrorConfig};
use nagare_server::sources::git::{sync_all, SyncReport};
use nagare_server::store::Store;
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::process::{ExitCode, Stdio};

const REPO: &str = "bench/mono";
const FOLDERS: u64 = 20;
/// 2026-01-01T00:00:00Z.
const T0: u64 = 1_767_225_600;

/// Writes commits `from..to` (marks `from + 1..=to`) of the generated history to `out`, as
/// `git fast-import` reads them: main advances one commit at a time, each changing one file
/// of one folder; every 20th is a merge of a side commit made on `side` from its parent.
fn history(out: &mut impl Write, from: u64, to: u64) -> std::io::Result<()> {
    let mut i = from;
    while i < to {
        i += 1;
        let at = T0 + i * 60;
        let folder = i % FOLDERS;
        // The first commit of a later import continues main (its marks are gone).
        let parent = match i - 1 {
            0 => None,
            p if p == from => Some("refs/heads/main^0".to_owned()),
            p => Some(format!(":{p}")),
        };
        let mut merge = None;
        if i.is_multiple_of(20) && i + 1 < to {
            // The side commit takes mark i, main's merge i + 1.
            write_commit(
                out,
                "refs/heads/side",
                i,
                at,
                parent.clone(),
                None,
                folder + 1,
            )?;
            merge = Some(i);
            i += 1;
        }
        write_commit(out, "refs/heads/main", i, at + 30, parent, merge, folder)?;
    }
    Ok(())
}

fn write_commit(
    out: &mut impl Write,
    branch: &str,
    mark: u64,
    at: u64,
    parent: Option<String>,
    merge: Option<u64>,
    folder: u64,
) -> std::io::Result<()> {
    let msg = format!("change {mark}\n");
    let content = format!("{mark}\n");
    writeln!(out, "commit {branch}\nmark :{mark}")?;
    writeln!(
        out,
        "author Dev {folder} <dev{folder}@example.com> {at} +0000"
    )?;
    writeln!(
        out,
        "committer Dev {folder} <dev{folder}@example.com> {at} +0000"
    )?;
    write!(out, "data {}\n{msg}", msg.len())?;
    if let Some(p) = parent {
        writeln!(out, "from {p}")?;
    }
    if let Some(m) = merge {
        writeln!(out, "merge :{m}")?;
    }
    let file = mark % 50;
    writeln!(
        out,
        "M 100644 inline services/s{}/f{file}.txt",
        folder % FOLDERS
    )?;
    write!(out, "data {}\n{content}\n", content.len())?;
    Ok(())
}

/// Runs `git fast-import` in `dir` on the commits `from..to`.
fn import(dir: &Path, from: u64, to: u64) -> Result<(), String> {
    let mut child = std::process::Command::new("git")
        .args(["fast-import", "--quiet", "--force"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    {
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let mut w = std::io::BufWriter::new(stdin);
        history(&mut w, from, to).map_err(|e| e.to_string())?;
        w.flush().map_err(|e| e.to_string())?;
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("git fast-import failed: {status}"));
    }
    Ok(())
}

/// A scratch folder, removed when dropped.
struct Work(std::path::PathBuf);

impl Work {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn sync(store: &Store, config: &Config) -> Result<(SyncReport, f64), String> {
    let started = std::time::Instant::now();
    let mut r = sync_all(store, config, None)
        .await
        .map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    let r = r.pop().ok_or("no report")?;
    if let Some(e) = &r.error {
        return Err(e.clone());
    }
    Ok((r, secs))
}

async fn run() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: nagare-mirror-bench DATABASE_URL [--commits N]")?;
    let mut commits: u64 = 100_000;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--commits" => {
                commits = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--commits takes a number")?
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let work =
        Work(std::env::temp_dir().join(format!("nagare-mirror-bench-{}", std::process::id())));
    std::fs::create_dir_all(work.path()).map_err(|e| e.to_string())?;
    let source = work.path().join("source.git");
    let init = std::process::Command::new("git")
        .args(["init", "--quiet", "--bare", "--initial-branch=main"])
        .arg(&source)
        .status()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !init.success() {
        return Err("git init failed".into());
    }
    let generated = std::time::Instant::now();
    import(&source, 0, commits)?;
    let generate_s = generated.elapsed().as_secs_f64();

    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    let mut config = Config::default();
    config.sources.git.dir = Some(work.path().join("mirrors"));
    config.sources.git.mirrors = vec![MirrorConfig {
        repo: REPO.into(),
        url: Some(format!("file://{}", source.display())),
        token_file: None,
    }];
    let (first, first_s) = sync(&store, &config).await?;
    let rss_mib = nagare_server::state::peak_resident_mib();
    let (again, again_s) = sync(&store, &config).await?;
    import(&source, commits, commits + 100)?;
    let (more, more_s) = sync(&store, &config).await?;
    let round = |s: f64| (s * 100.0).round() / 100.0;
    Ok(json!({
        "commits": commits,
        "generate_s": round(generate_s),
        "first_new": first.new,
        "first_s": round(first_s),
        "first_fetch_s": round(first.fetch_ms as f64 / 1000.0),
        "first_read_s": round(first.read_ms as f64 / 1000.0),
        "commits_per_s": (first.new as f64 / first_s).round(),
        "peak_rss_mib": rss_mib.round(),
        "again_new": again.new,
        "again_s": round(again_s),
        "more_new": more.new,
        "more_s": round(more_s),
    })
    .to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nagare-mirror-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
