//! Git mirrors (`nagare_server::sources::git`) with the real `git` CLI: a monorepo built
//! commit by commit at fixed times (branches, a merge, an octopus merge, an annotated tag, a
//! force-pushed branch), mirrored from its local path, read with gix, and the deployments'
//! changes and lead times checked against the values worked out by hand below.

use crate::common::*;
use nagare_core::events::{Commit, Deployment, DeploymentStatus};
use nagare_core::{Event, Timestamp};
use nagare_server::config::{Config, MirrorConfig, RepoRuleConfig};
use nagare_server::sources::git::{sync_all, SyncReport};
use nagare_server::store::Store;
use nagare_server::AppState;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

const REPO: &str = "acme/mono";
/// 2026-01-05T00:00:00Z, in seconds.
const T0: i64 = 1_767_571_200;
const H: i64 = 3600;

/// Runs git in `dir` with the author and committer time `at` (seconds); its output.
fn git(dir: &Path, at: i64, args: &[&str]) -> String {
    let date = format!("@{at} +0000");
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Writes `files` (path, text) and commits them at `at`; the new commit's sha.
fn commit(dir: &Path, at: i64, msg: &str, files: &[(&str, &str)]) -> String {
    for (p, text) in files {
        let f = dir.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    }
    git(dir, at, &["add", "-A"]);
    git(dir, at, &["commit", "-q", "--allow-empty", "-m", msg]);
    git(dir, at, &["rev-parse", "HEAD"])
}

/// The monorepo's commits (the letters are the history drawn in `history`).
struct Shas {
    c1: String,
    c2: String,
    c3: String,
    c4: String,
    c5: String,
    m1: String,
    c6: String,
    c7: String,
    o1: String,
    w1: String,
}

/// ```text
/// main:    c1 ─ c2 ─────── c5 ─ m1 ──────── o1      (tag v1 on o1)
///                 └ c3 ─ c4 ┘     ├ c6 ──────┤      (feature; x and y: an octopus merge)
///                                 └ c7 ──────┘
/// wip:     w1 on m1
/// ```
/// c1 adds api/a.txt and web/w.txt (t0); c2 changes api/a.txt (t0+1 h); c3 web/w.txt
/// (t0+2 h); c4 adds api/b.txt (t0+3 h); c5 README.md (t0+4 h); m1 merges feature (t0+5 h:
/// against c5 it changes web/w.txt and api/b.txt); c6 adds api/c.txt (t0+6 h); c7 adds
/// web/x.txt (t0+6.5 h); o1 merges x and y (t0+7 h: api/c.txt and web/x.txt); w1 adds
/// api/wip.txt (t0+5.5 h).
fn history(dir: &Path) -> Shas {
    git(dir, T0, &["init", "-q", "-b", "main"]);
    let c1 = commit(dir, T0, "c1", &[("api/a.txt", "1"), ("web/w.txt", "1")]);
    let c2 = commit(dir, T0 + H, "c2", &[("api/a.txt", "2")]);
    git(dir, T0, &["checkout", "-q", "-b", "feature"]);
    let c3 = commit(dir, T0 + 2 * H, "c3", &[("web/w.txt", "3")]);
    let c4 = commit(dir, T0 + 3 * H, "c4", &[("api/b.txt", "4")]);
    git(dir, T0, &["checkout", "-q", "main"]);
    let c5 = commit(dir, T0 + 4 * H, "c5", &[("README.md", "5")]);
    git(
        dir,
        T0 + 5 * H,
        &["merge", "-q", "--no-ff", "-m", "m1", "feature"],
    );
    let m1 = git(dir, T0, &["rev-parse", "HEAD"]);
    git(dir, T0, &["checkout", "-q", "-b", "x"]);
    let c6 = commit(dir, T0 + 6 * H, "c6", &[("api/c.txt", "6")]);
    git(dir, T0, &["checkout", "-q", "-b", "y", &m1]);
    let c7 = commit(dir, T0 + 6 * H + H / 2, "c7", &[("web/x.txt", "7")]);
    git(dir, T0, &["checkout", "-q", "main"]);
    git(
        dir,
        T0 + 7 * H,
        &["merge", "-q", "--no-ff", "-m", "o1", "x", "y"],
    );
    let o1 = git(dir, T0, &["rev-parse", "HEAD"]);
    git(dir, T0 + 7 * H, &["tag", "-a", "v1", "-m", "v1"]);
    // A pull request's head that no branch holds (GitHub's refs/pull/*): never read.
    git(dir, T0, &["checkout", "-q", "-b", "fork", &m1]);
    let pr = commit(dir, T0 + 6 * H, "pr", &[("api/fork.txt", "f")]);
    git(dir, T0, &["update-ref", "refs/pull/1/head", &pr]);
    git(dir, T0, &["checkout", "-q", "main"]);
    git(dir, T0, &["branch", "-q", "-D", "fork"]);
    git(dir, T0, &["checkout", "-q", "-b", "wip", &m1]);
    let w1 = commit(dir, T0 + 5 * H + H / 2, "w1", &[("api/wip.txt", "w")]);
    git(dir, T0, &["checkout", "-q", "main"]);
    Shas {
        c1,
        c2,
        c3,
        c4,
        c5,
        m1,
        c6,
        c7,
        o1,
        w1,
    }
}

fn config(url: &Path, mirrors: &Path) -> Config {
    let mut config = Config::default();
    config.server.dist_dir = "/nonexistent-dist".into();
    config.sources.github.repos = ["api", "web"]
        .iter()
        .map(|s| RepoRuleConfig {
            repo: REPO.into(),
            service: (*s).into(),
            path: Some(format!("{s}/")),
            teams: if *s == "api" {
                vec![" payments ".into()]
            } else {
                Vec::new()
            },
        })
        .collect();
    config.sources.git.dir = Some(mirrors.to_owned());
    config.sources.git.mirrors = vec![MirrorConfig {
        repo: REPO.into(),
        url: Some(url.display().to_string()),
        token_file: None,
    }];
    config
}

fn deployment(id: &str, service: &str, sha: &str, at: i64) -> Event {
    Event::Deployment(Deployment {
        source: "api".into(),
        id: id.into(),
        service: service.into(),
        environment: "production".into(),
        environment_tier: None,
        status: DeploymentStatus::Success,
        started_at: None,
        finished_at: Some(Timestamp(at * 1000)),
        sha: sha.into(),
        change_type: Default::default(),
        remediates: None,
        marked_failed: false,
        commits: Vec::new(),
    })
}

async fn store_events(store: &Store, events: &[Event]) {
    let mut batch = store.begin().await.unwrap();
    batch.add_all(events).await.unwrap();
    batch.commit().await.unwrap();
}

async fn sync(store: &Store, config: &Config) -> SyncReport {
    let mut r = sync_all(store, config, None).await.unwrap();
    assert_eq!(r.len(), 1);
    r.remove(0)
}

/// The stored commit events of source `git`, by sha.
async fn git_commits(store: &Store) -> std::collections::BTreeMap<String, Commit> {
    let rev = store.current_rev().await.unwrap();
    store
        .events_between(0, rev)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            Event::Commit(c) if c.source == "git" => Some((c.sha.clone(), c)),
            _ => None,
        })
        .collect()
}

/// A deployment's changes: (sha, lead time in seconds), sorted by sha.
async fn changes(state: &AppState, id: &str) -> Vec<(String, f64)> {
    let d = get(state, &format!("/api/v1/deployments/{id}")).await;
    assert_eq!(d.status, 200, "{}", d.json);
    assert_eq!(d.json["incomplete_graph"], false, "{}", d.json);
    let mut out: Vec<(String, f64)> = d.json["change_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["from_push_list"], false, "{c}");
            (
                c["sha"].as_str().unwrap().to_owned(),
                c["lead_time"].as_f64().unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn sorted(mut v: Vec<(String, f64)>) -> Vec<(String, f64)> {
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mirror_gives_exact_graphs_and_each_monorepo_service_its_own_changes() {
    for backend in backends() {
        let work = tempfile::tempdir().unwrap();
        let mirrors = tempfile::tempdir().unwrap();
        let s = history(work.path());
        let config = config(work.path(), mirrors.path());
        let (store, _dir) = fresh_store(backend).await;
        // A push delivered m1 first, as GitHub describes it: one parent, the commit before.
        let mut pushed = Commit {
            source: "github".into(),
            repo: REPO.into(),
            sha: s.m1.clone(),
            parents: vec![s.c5.clone()],
            author: Some("Ada".into()),
            authored_at: Timestamp((T0 + 5 * H) * 1000),
            committed_at: None,
            message: Some("m1".into()),
            paths: None,
        };
        store_events(&store, &[Event::Commit(pushed.clone())]).await;
        // Baselines at t0+0.5 h; api deploys m1 at t0+5.5 h, web deploys o1 at t0+8 h.
        store_events(
            &store,
            &[
                deployment("api-1", "api", &s.c1, T0 + H / 2),
                deployment("web-1", "web", &s.c1, T0 + H / 2),
                deployment("api-2", "api", &s.m1, T0 + 5 * H + H / 2),
                deployment("web-2", "web", &s.o1, T0 + 8 * H),
            ],
        )
        .await;

        let r = sync(&store, &config).await;
        assert_eq!(r.error, None, "{backend}: {r:?}");
        // Every commit: c1..c7, m1, o1 and w1; the tips: main, feature, x, y, wip and the
        // tag (peeled to o1, as main is): five distinct commits.
        assert_eq!(r.new, 10, "{backend}: {r:?}");
        assert_eq!(r.tips, 5, "{backend}: {r:?}");
        let commits = git_commits(&store).await;
        assert_eq!(commits.len(), 10, "refs/pull/1/head is not read");
        assert_eq!(commits[&s.c1].parents, Vec::<String>::new());
        assert_eq!(
            commits[&s.c1].paths.as_deref(),
            Some(&["api/a.txt".to_owned(), "web/w.txt".to_owned()][..])
        );
        assert_eq!(commits[&s.m1].parents, [s.c5.clone(), s.c4.clone()]);
        assert_eq!(
            commits[&s.m1].paths.as_deref(),
            Some(&["api/b.txt".to_owned(), "web/w.txt".to_owned()][..])
        );
        assert_eq!(
            commits[&s.o1].parents,
            [s.m1.clone(), s.c6.clone(), s.c7.clone()]
        );
        assert_eq!(
            commits[&s.o1].paths.as_deref(),
            Some(&["api/c.txt".to_owned(), "web/x.txt".to_owned()][..])
        );
        assert_eq!(commits[&s.c4].authored_at, Timestamp((T0 + 3 * H) * 1000));
        assert_eq!(commits[&s.c4].author.as_deref(), Some("Ada"));
        assert_eq!(commits[&s.c4].message.as_deref(), Some("c4"));

        let state = AppState::new(store.clone(), config.clone()).await.unwrap();
        // The rules declared both services of the repository, each with its folder and teams.
        let services = get(&state, "/api/v1/services").await.json;
        let service = |n: &str| {
            services
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["name"] == n)
                .cloned()
                .unwrap()
        };
        assert_eq!(service("api")["path_prefix"], "api", "{services}");
        assert_eq!(service("api")["teams"], serde_json::json!(["payments"]));
        assert_eq!(service("web")["teams"], serde_json::json!([]));
        assert_eq!(service("web")["repo"], REPO);
        // api: what m1 reaches and c1 does not is c2, c3, c4, c5, m1; of those c2 (api/a.txt),
        // c4 (api/b.txt) and m1 (api/b.txt against c5) touch api/. Deployed at t0+5.5 h.
        // The git graph won over the push's: c4 is reached through m1's second parent.
        assert_eq!(
            changes(&state, "api-2").await,
            sorted(vec![
                (s.c2.clone(), 4.5 * H as f64),
                (s.c4.clone(), 2.5 * H as f64),
                (s.m1.clone(), 0.5 * H as f64),
            ]),
            "{backend}"
        );
        // web: what o1 reaches and c1 does not, touching web/: c3 (web/w.txt), m1
        // (web/w.txt), c7 (web/x.txt), o1 (web/x.txt); c2, c4, c5 and c6 do not. At t0+8 h.
        assert_eq!(
            changes(&state, "web-2").await,
            sorted(vec![
                (s.c3.clone(), 6.0 * H as f64),
                (s.m1.clone(), 3.0 * H as f64),
                (s.c7.clone(), 1.5 * H as f64),
                (s.o1.clone(), 1.0 * H as f64),
            ]),
            "{backend}"
        );

        // Nothing new: nothing read. The push's commit arriving again changes nothing.
        let again = sync(&store, &config).await;
        assert_eq!((again.error.as_deref(), again.new), (None, 0), "{again:?}");
        pushed.message = Some("m1 (again)".into());
        store_events(&store, &[Event::Commit(pushed)]).await;

        // wip is force-pushed: w1 amended to w2 (api/wip.txt and web/wip.txt). Only w2 is new.
        git(work.path(), T0, &["checkout", "-q", "wip"]);
        std::fs::write(work.path().join("web/wip.txt"), "w").unwrap();
        git(work.path(), T0, &["add", "-A"]);
        git(
            work.path(),
            T0 + 6 * H,
            &["commit", "-q", "--amend", "-m", "w2"],
        );
        let w2 = git(work.path(), T0, &["rev-parse", "HEAD"]);
        git(work.path(), T0, &["checkout", "-q", "main"]);
        assert_ne!(w2, s.w1);
        // A git killed mid-fetch left its lock files: the next sync clears them.
        let mirror = mirrors.path().join("acme/mono.git");
        std::fs::write(mirror.join("packed-refs.lock"), "").unwrap();
        std::fs::write(mirror.join("refs/heads/wip.lock"), "").unwrap();
        let forced = sync(&store, &config).await;
        assert_eq!(
            (forced.error.as_deref(), forced.new),
            (None, 1),
            "{forced:?}"
        );
        let commits = git_commits(&store).await;
        assert_eq!(commits[&w2].parents, vec![s.m1.clone()]);
        assert_eq!(
            commits[&w2].paths.as_deref(),
            Some(&["api/wip.txt".to_owned(), "web/wip.txt".to_owned()][..])
        );
        let row = store.git_mirror(REPO).await.unwrap().unwrap();
        assert_eq!(row.commits, 11, "{row:?}");
        assert_eq!(row.last_new, 1);
        assert!(
            row.tips.contains(&w2) && !row.tips.contains(&s.w1),
            "{row:?}"
        );
        assert_eq!(row.error, None);
        assert_eq!(row.url, work.path().display().to_string());

        // The mirror is a bare clone where the configuration says.
        assert!(mirrors.path().join("acme/mono.git/HEAD").exists());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_fetch_is_recorded_without_its_token_and_what_was_read_stays() {
    let (store, dir) = fresh_store("sqlite").await;
    let work = tempfile::tempdir().unwrap();
    let s = history(work.path());
    let dir = dir.unwrap();
    let mut config = config(work.path(), &dir.path().join("mirrors"));
    let first = sync(&store, &config).await;
    assert_eq!((first.error.as_deref(), first.new), (None, 10), "{first:?}");

    // The repository moves to a server that refuses connections, with a token.
    let secret = "ghp_mirror_secret_0123456789";
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{secret}\n")).unwrap();
    config.sources.git.mirrors[0].url = Some("http://127.0.0.1:9/acme/mono.git".into());
    config.sources.git.mirrors[0].token_file = Some(token);
    config.sources.git.fetch_timeout_secs = 30;
    let failed = sync(&store, &config).await;
    let e = failed.error.clone().expect("the fetch fails");
    assert!(e.contains("git fetch failed"), "{e}");
    assert!(!e.contains(secret), "{e}");
    assert!(!logs().contains(secret));
    let row = store.git_mirror(REPO).await.unwrap().unwrap();
    assert_eq!(row.error.as_deref(), Some(e.as_str()));
    assert!(row.error_at.is_some());
    // What the first sync read stays, and its tips: a fixed URL reads nothing again.
    assert_eq!(row.commits, 10);
    assert_eq!(git_commits(&store).await.len(), 10);
    config.sources.git.mirrors[0].url = Some(work.path().display().to_string());
    config.sources.git.mirrors[0].token_file = None;
    let fixed = sync(&store, &config).await;
    assert_eq!((fixed.error.as_deref(), fixed.new), (None, 0), "{fixed:?}");
    assert_eq!(store.git_mirror(REPO).await.unwrap().unwrap().error, None);
    assert!(git_commits(&store).await.contains_key(&s.o1));

    // A repository that is not mirrored is named.
    let e = sync_all(&store, &config, Some("acme/other"))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("`acme/other` is not mirrored"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mirror_job_syncs_and_the_model_sees_it() {
    let (store, dir) = fresh_store("sqlite").await;
    let work = tempfile::tempdir().unwrap();
    let s = history(work.path());
    let config = config(work.path(), &dir.as_ref().unwrap().path().join("m"));
    store_events(
        &store,
        &[
            deployment("api-1", "api", &s.c1, T0 + H / 2),
            deployment("api-2", "api", &s.m1, T0 + 5 * H + H / 2),
        ],
    )
    .await;
    let state = AppState::new(store.clone(), config).await.unwrap();
    nagare_server::jobs::turn_once(&nagare_server::jobs::GitMirrors, &state, "test")
        .await
        .unwrap();
    let (_, summary) = store.last_job_run("git_mirrors").await.unwrap().unwrap();
    assert_eq!(summary, format!("{REPO}: 10 new commits"));
    // The job synced the model: the deployment's changes are there without a restart.
    assert_eq!(changes(&state, "api-2").await.len(), 3);

    // The Sources page's view of it.
    let m = get(&state, "/api/v1/git-mirrors").await;
    assert_eq!(m.status, 200, "{}", m.json);
    let row = &m.json[0];
    assert_eq!(row["repo"], REPO, "{row}");
    assert_eq!(row["url"], work.path().display().to_string());
    assert_eq!(
        (row["commits"].as_u64(), row["last_new"].as_u64()),
        (Some(10), Some(10))
    );
    assert_eq!(row["error"], serde_json::Value::Null);
    assert_eq!(row["every_minutes"], 15);
    assert!(row["last_fetch_at"].is_string(), "{row}");
    assert_eq!(m.json.as_array().unwrap().len(), 1);
    let none = app_state(store.clone()).await;
    assert_eq!(
        get(&none, "/api/v1/git-mirrors").await.json,
        serde_json::json!([])
    );

    // A push delivered after the mirror's fetch asks for an early run; another event not.
    use nagare_server::jobs::Job;
    let job = nagare_server::jobs::GitMirrors;
    assert!(!job.wants_run(&state, 0).await.unwrap());
    let mut raw = raw_delivery("github");
    raw.event = Some("workflow_run".into());
    raw.delivery_id = Some("d-0".into());
    store.record_ignored(&raw, "test").await.unwrap();
    assert!(!job.wants_run(&state, 0).await.unwrap());
    raw.event = Some("push".into());
    raw.delivery_id = Some("d-1".into());
    store.record_ignored(&raw, "test").await.unwrap();
    assert!(job.wants_run(&state, 0).await.unwrap());
    // The early run fetches, and then nothing is waiting.
    let row = store.git_mirror(REPO).await.unwrap().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    job.run(&state).await.unwrap();
    assert!(store.git_mirror(REPO).await.unwrap().unwrap().last_fetch_at > row.last_fetch_at);
    assert!(!job.wants_run(&state, 0).await.unwrap());
    // Within a minute of the last run, a push waits for the next tick.
    raw.delivery_id = Some("d-2".into());
    store.record_ignored(&raw, "test").await.unwrap();
    let just_now = nagare_server::store::now_millis();
    assert!(!job.wants_run(&state, just_now).await.unwrap());

    // "Sync now" on the Sources page: a task the job runs at once, whatever the last run.
    let r = crate::auth::request(&state, "POST", "/api/v1/git-mirrors/sync", &[], "").await;
    assert_eq!(r.status, 202, "{}", r.json);
    assert_eq!(r.json["action"], "git_sync");
    assert_eq!(r.json["repo"], serde_json::Value::Null);
    assert!(job.wants_run(&state, just_now).await.unwrap());
    let row = store.git_mirror(REPO).await.unwrap().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    job.run(&state).await.unwrap();
    assert!(store.git_mirror(REPO).await.unwrap().unwrap().last_fetch_at > row.last_fetch_at);
    let t = get(&state, "/api/v1/source-tasks").await.json;
    assert_eq!(t["git_sync"]["repos"], serde_json::json!([REPO]), "{t}");
    let task = &t["tasks"][0];
    assert_eq!(task["state"], "done", "{t}");
    assert_eq!(task["outcome"], format!("{REPO}: 0 new commits"), "{t}");
    assert!(!job.wants_run(&state, just_now).await.unwrap());
    // One mirror by name, and one that is not configured.
    let r = crate::auth::request(
        &state,
        "POST",
        "/api/v1/git-mirrors/sync",
        &[("content-type", "application/json")],
        r#"{"repo": "acme/nope"}"#,
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.json["field"].as_str()),
        (400, Some("repo")),
        "{}",
        r.json
    );
    assert!(
        r.json["error"].as_str().unwrap().contains(REPO),
        "{}",
        r.json
    );
}

/// An HTTP server that records each request's path and `Authorization` header and refuses
/// it (403), as a git host refusing a token does; its base URL.
/// The requests a host saw: (path and query, `Authorization`).
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

async fn refusing_host(seen: Seen) -> String {
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let seen = seen.clone();
        async move {
            let auth = req
                .headers()
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_owned());
            seen.lock().unwrap().push((req.uri().to_string(), auth));
            (axum::http::StatusCode::FORBIDDEN, "denied")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_goes_only_to_its_host_as_a_header_and_never_into_errors() {
    use base64::Engine;
    let (store, dir) = fresh_store("sqlite").await;
    let dir = dir.unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let host = refusing_host(seen.clone()).await;
    let basic = |t: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{t}"))
        )
    };

    // The mirror's own token file: sent to its URL's host, as a header.
    let secret = "ghp_mirror_secret_0123456789";
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{secret}\n")).unwrap();
    let mut config = config(Path::new("/unused"), &dir.path().join("mirrors"));
    config.sources.git.mirrors[0].url = Some(format!("{host}/acme/mono.git"));
    config.sources.git.mirrors[0].token_file = Some(token);
    let r = sync(&store, &config).await;
    let e = r.error.expect("the host refuses");
    assert!(e.contains("git fetch failed"), "{e}");
    assert!(
        !e.contains(secret) && !e.contains(&basic(secret)[6..]),
        "{e}"
    );
    assert!(!logs().contains(secret));
    {
        let seen = seen.lock().unwrap();
        assert!(
            seen[0].0.starts_with("/acme/mono.git/info/refs"),
            "{seen:?}"
        );
        assert_eq!(
            seen[0].1.as_deref(),
            Some(basic(secret).as_str()),
            "{seen:?}"
        );
    }
    let row = store.git_mirror(REPO).await.unwrap().unwrap();
    assert!(!row.error.unwrap().contains(secret));

    // The GitHub source's token goes to the GitHub host only: not to another host...
    seen.lock().unwrap().clear();
    let github_token = "ghp_github_source_token_9876543210";
    config.sources.github.token = github_token.into();
    config.sources.git.mirrors[0].token_file = None;
    let r = sync(&store, &config).await;
    assert!(r.error.is_some());
    {
        let seen = seen.lock().unwrap();
        assert!(
            !seen.is_empty() && seen.iter().all(|(_, a)| a.is_none()),
            "{seen:?}"
        );
    }
    // ...and to it when it is the GitHub host (an Enterprise server's api_url), by default.
    seen.lock().unwrap().clear();
    config.sources.github.api_url = format!("{host}/api/v3");
    config.sources.git.mirrors[0].url = None;
    let r = sync(&store, &config).await;
    assert!(!r.error.unwrap().contains(github_token));
    assert_eq!(
        seen.lock().unwrap()[0].1.as_deref(),
        Some(basic(github_token).as_str())
    );

    // Never over plain http to another machine: refused before git runs.
    config.sources.git.mirrors[0].url = Some("http://git.example.invalid/acme/mono.git".into());
    config.sources.git.mirrors[0].token_file = Some(dir.path().join("token"));
    let e = sync(&store, &config).await.error.unwrap();
    assert!(
        e.contains("refusing to send a token over plain http"),
        "{e}"
    );

    // A mirror another process is syncing is left alone, and nothing is recorded.
    let before = store.git_mirror(REPO).await.unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.path().join("mirrors/acme/mono.git.lock"))
        .unwrap();
    lock.lock().unwrap();
    let e = sync(&store, &config).await.error.unwrap();
    assert!(e.contains("another sync of this mirror is running"), "{e}");
    assert_eq!(store.git_mirror(REPO).await.unwrap(), before);
}

#[test]
fn a_mirror_url_is_https_http_file_or_a_path() {
    let check = |url: &str| {
        nagare_server::config::GitSourceConfig {
            mirrors: vec![MirrorConfig {
                repo: REPO.into(),
                url: Some(url.into()),
                token_file: None,
            }],
            ..Default::default()
        }
        .check()
    };
    for ok in [
        "https://github.com/acme/mono.git",
        "file:///srv/git/mono.git",
        "/srv/git/mono.git",
    ] {
        assert_eq!(check(ok), Ok(()), "{ok}");
    }
    for bad in [
        "ext::sh -c touch% /tmp/pwned",
        "fd::17",
        "--upload-pack=touch /tmp/pwned",
        "ssh://git@github.com/acme/mono.git",
        "https://user:ghp_x@github.com/acme/mono.git",
        "",
    ] {
        let e = check(bad).unwrap_err();
        assert_eq!(e.0, "sources.git.mirrors[0].url", "{bad}: {e:?}");
    }
}
