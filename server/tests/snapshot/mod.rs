//! The model snapshot across restarts, on both backends: a restart reads it instead of
//! deriving; one behind the database catches up; a damaged, foreign, mismatched or
//! ahead-of-the-database one is refused. Whatever the file holds, every answer equals that of a
//! model derived from the store alone.

use crate::common::*;
use nagare_core::Timestamp;
use nagare_server::config::Config;
use nagare_server::store::{RawDelivery, Store};
use nagare_server::AppState;
use serde_json::Value;
use std::path::{Path, PathBuf};

const NOW: &str = "2026-06-01T00:00:00Z";

fn raw() -> RawDelivery {
    raw_delivery("test")
}

fn config(snapshot: &str) -> Config {
    let mut c = Config::default();
    c.server.dist_dir = "/nonexistent-dist".into();
    c.database.snapshot = snapshot.into();
    c
}

async fn start(store: &Store, snapshot: &Path) -> AppState {
    AppState::new(store.clone(), config(&snapshot.display().to_string()))
        .await
        .unwrap()
}

/// What the portal answers: the five metrics org-wide by week and for one team by day, each
/// basis, lists, catalogue and one deployment's detail.
async fn answers(state: &AppState) -> Vec<Value> {
    let window = "from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z";
    let mut uris = vec![
        format!("/api/v1/metrics/dora?{window}&interval=week"),
        format!(
            "/api/v1/metrics/dora?{window}&interval=day&team=payments&lead_time_basis=pull_request"
        ),
        format!("/api/v1/metrics/dora?{window}&environment_tier=staging&lead_time_basis=merge"),
        "/api/v1/metrics/dora/teams?from=2026-03-01T00:00:00Z&to=2026-06-01T00:00:00Z".into(),
        "/api/v1/deployments?per_page=500".into(),
        "/api/v1/incidents?per_page=500".into(),
        "/api/v1/services".into(),
        "/api/v1/teams".into(),
    ];
    let list = get(state, "/api/v1/deployments?per_page=3&status=success").await;
    for d in list.json["items"].as_array().unwrap() {
        uris.push(format!("/api/v1/deployments/{}", d["id"].as_str().unwrap()));
    }
    let mut out = Vec::new();
    for u in uris {
        let r = get(state, &u).await;
        assert_eq!(r.status, 200, "{u}: {}", r.json);
        out.push(r.json);
    }
    out
}

/// The answers of a model derived from the store alone.
async fn derived(store: &Store) -> Vec<Value> {
    let state = AppState::new(store.clone(), config("off")).await.unwrap();
    answers(&state).await
}

fn demo() -> (Vec<nagare_core::Event>, Vec<nagare_core::Event>) {
    let mut events = nagare_core::demo::demo_org(7, Timestamp::parse(NOW).unwrap());
    // The last fortnight arrives after the snapshot.
    let cut = Timestamp::parse("2026-05-18T00:00:00Z").unwrap().0;
    let late = |e: &nagare_core::Event| match e {
        nagare_core::Event::Deployment(d) => {
            d.started_at.or(d.finished_at).is_some_and(|t| t.0 >= cut)
        }
        nagare_core::Event::Incident(i) => i.started_at.0 >= cut,
        nagare_core::Event::Commit(c) => c.authored_at.0 >= cut,
        nagare_core::Event::PullRequest(p) => p.opened_at.0 >= cut,
        _ => false,
    };
    let (later, first): (Vec<_>, Vec<_>) = events.drain(..).partition(late);
    (first, later)
}

fn snapshot_in(dir: &Path) -> PathBuf {
    dir.join("model.snapshot")
}

#[tokio::test]
async fn a_restart_reads_the_snapshot_and_catches_up_from_its_revision() {
    for backend in backends() {
        let (store, _db) = fresh_store(backend).await;
        let dir = tempfile::tempdir().unwrap();
        let path = snapshot_in(dir.path());
        let (first, later) = demo();
        let (_, rev) = store.ingest(first, &raw()).await.unwrap();

        let a = start(&store, &path).await;
        assert_eq!(a.snapshot.restored(), None, "{backend}: nothing to restore");
        // Written after the full load (in the background, or now if that has not begun).
        a.write_snapshot().await.unwrap();
        assert_eq!(a.snapshot.rev(), rev, "{backend}");
        let want = answers(&a).await;
        drop(a);

        // A restart at the same revision: the snapshot's model, the same answers.
        let b = start(&store, &path).await;
        assert_eq!(b.snapshot.restored(), Some(rev), "{backend}");
        assert_eq!(answers(&b).await, want, "{backend}: restored");
        assert_eq!(want, derived(&store).await, "{backend}: and derived");
        drop(b);

        // The database moved on while the server was down: read at `rev`, then caught up.
        let (_, rev2) = store.ingest(later, &raw()).await.unwrap();
        let c = start(&store, &path).await;
        assert_eq!(c.snapshot.restored(), Some(rev), "{backend}");
        assert_eq!(c.model_rev(), rev2, "{backend}");
        let caught_up = answers(&c).await;
        assert_ne!(
            caught_up, want,
            "{backend}: the later events changed the answers"
        );
        assert_eq!(caught_up, derived(&store).await, "{backend}: caught up");
        // Written again at shutdown (the job's final step), then read at the new revision.
        assert_eq!(
            c.write_snapshot().await.unwrap().map(|h| h.stamp.rev),
            Some(rev2),
            "{backend}"
        );
        assert_eq!(
            c.write_snapshot().await.unwrap(),
            None,
            "{backend}: current"
        );
        let d = start(&store, &path).await;
        assert_eq!(d.snapshot.restored(), Some(rev2), "{backend}");
        assert_eq!(answers(&d).await, caught_up, "{backend}");
    }
}

/// Damaged, foreign, mismatched or ahead-of-the-database snapshots are refused with the
/// reason logged, and the model is derived from the store: the answers never differ.
#[tokio::test]
async fn a_snapshot_that_does_not_fit_is_refused_and_never_changes_an_answer() {
    let (store, _db) = fresh_store("sqlite").await;
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_in(dir.path());
    let (first, later) = demo();
    store.ingest(first, &raw()).await.unwrap();
    let a = start(&store, &path).await;
    a.write_snapshot().await.unwrap();
    let good = std::fs::read(&path).unwrap();
    drop(a);
    let want = derived(&store).await;

    let mid = good.len() / 2;
    let truncated = format!("truncated: {mid} bytes of {}", good.len());
    refused(&store, &path, &good[..mid], &truncated, &want).await;
    let mut flipped = good.clone();
    flipped[mid] ^= 0x01;
    refused(&store, &path, &flipped, "checksum does not match", &want).await;
    let other_file = b"not a snapshot";
    refused(
        &store,
        &path,
        other_file,
        "not a Nagare model snapshot",
        &want,
    )
    .await;
    // Another database holding the very same events.
    let (other, _db2) = fresh_store("sqlite").await;
    let events = store
        .events_between(0, store.current_rev().await.unwrap())
        .await
        .unwrap();
    other.ingest(events, &raw()).await.unwrap();
    std::fs::write(&path, &good).unwrap();
    let s = start(&other, &path).await;
    assert_eq!(s.snapshot.restored(), None, "foreign");
    assert!(logs().contains("it was derived from another database"));
    assert_eq!(answers(&s).await, want, "foreign");
    settle(&s).await;
    // Other metric settings: another time zone.
    std::fs::write(&path, &good).unwrap();
    let mut tz = config(&path.display().to_string());
    tz.metrics.time_zone = "Asia/Tokyo".into();
    let s = AppState::new(store.clone(), tz).await.unwrap();
    assert_eq!(s.snapshot.restored(), None, "other settings");
    assert!(logs().contains("written with other metric settings"));
    settle(&s).await;
    // Ahead of the database: a database restored from a copy taken before the snapshot.
    let (backup, _db3) = fresh_store("sqlite").await;
    let mut older = store
        .events_between(0, store.current_rev().await.unwrap())
        .await
        .unwrap();
    older.truncate(older.len() / 2);
    backup.ingest(older, &raw()).await.unwrap();
    copy_store_id(&store, &backup).await;
    store.ingest(later, &raw()).await.unwrap();
    let ahead = start(&store, &path).await;
    ahead.write_snapshot().await.unwrap();
    drop(ahead);
    let s = start(&backup, &path).await;
    assert_eq!(s.snapshot.restored(), None, "ahead");
    assert!(logs().contains("past the database's"));
    assert_eq!(answers(&s).await, derived(&backup).await, "ahead");
}

/// Starts on `store` with `bytes` as the snapshot: refused, `reason` logged, and the answers
/// those of the store.
async fn refused(store: &Store, path: &Path, bytes: &[u8], reason: &str, want: &[Value]) {
    std::fs::write(path, bytes).unwrap();
    let s = start(store, path).await;
    assert_eq!(s.snapshot.restored(), None, "{reason}");
    assert!(
        logs().contains(reason),
        "the log says `{reason}`:\n{}",
        logs()
    );
    assert_eq!(answers(&s).await, want, "{reason}");
    settle(&s).await;
}

/// Waits for the snapshot written after a refused one (so that it lands before the next case
/// writes the file).
async fn settle(s: &AppState) {
    s.write_snapshot().await.unwrap();
    assert_eq!(s.snapshot.rev(), s.model_rev());
}

/// Gives `to` the store id of `from`, as a database restored from `from`'s backup has.
async fn copy_store_id(from: &Store, to: &Store) {
    let id = from.store_id().await.unwrap();
    let Store::Sqlite(pool) = to else {
        panic!("SQLite only")
    };
    sqlx::query("UPDATE meta SET value = ? WHERE key = 'store_id'")
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
}
