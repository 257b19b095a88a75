//! The model's snapshot file (`database.snapshot`): read at start-up instead of deriving every
//! event, written after a full load, by the `model_snapshot` job while the model changes, and
//! at shutdown.
//!
//! A snapshot is taken only when core reads it back whole (same engine build, same settings,
//! length and checksum right: `nagare_core::model::snapshot`), it was derived from this very
//! database (its random `store_id`), it is not ahead of it (a database restored from an
//! older backup), and no events were removed after it (a replay: `reset_rev`). Then the model catches up from the snapshot's revision like any replica.
//! Otherwise the log says why, and the model is derived from the store as without one.

use super::AppState;
use nagare_core::model::snapshot::{Header, Stamp};
use nagare_core::model::Org;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use tokio::sync::Mutex;

/// The snapshot file and what is known of it.
#[derive(Debug, Default)]
pub struct SnapshotFile {
    pub path: Option<PathBuf>,
    /// The revision of the snapshot last read or written (0: none).
    rev: AtomicI64,
    /// The revision of the snapshot the model was read from at start-up (0: derived).
    restored: AtomicI64,
    /// One write at a time.
    writing: Mutex<()>,
}

impl SnapshotFile {
    pub fn new(path: Option<PathBuf>) -> SnapshotFile {
        SnapshotFile {
            path,
            ..SnapshotFile::default()
        }
    }

    /// The revision of the snapshot last read or written (0: none).
    pub fn rev(&self) -> i64 {
        self.rev.load(Ordering::Acquire)
    }

    /// The revision of the snapshot the model was read from at start-up, if it was.
    pub fn restored(&self) -> Option<i64> {
        Some(self.restored.load(Ordering::Acquire)).filter(|&r| r > 0)
    }
}

impl AppState {
    /// Installs the snapshot's model when it may be used; returns whether one was.
    pub(super) async fn restore_snapshot(&self) -> bool {
        let Some(path) = self.snapshot.path.clone() else {
            return false;
        };
        if !path.exists() {
            return false;
        }
        let started = std::time::Instant::now();
        match self.read_snapshot(&path).await {
            Ok((org, header)) => {
                let rev = header.stamp.rev;
                let mut model = self.model.write().await;
                model.org = org;
                model.rev = rev;
                self.model_rev.store(rev, Ordering::Release);
                self.snapshot.rev.store(rev, Ordering::Release);
                self.snapshot.restored.store(rev, Ordering::Release);
                tracing::info!(
                    path = %path.display(),
                    events = header.events,
                    rev,
                    took_ms = started.elapsed().as_millis() as u64,
                    "model read from its snapshot"
                );
                true
            }
            Err(reason) => {
                tracing::warn!(
                    path = %path.display(),
                    %reason,
                    "model snapshot refused; deriving the model from the store"
                );
                false
            }
        }
    }

    async fn read_snapshot(&self, path: &Path) -> Result<(Org, Header), String> {
        let settings = self.config.core_settings();
        let mut head = Vec::with_capacity(128);
        std::fs::File::open(path)
            .and_then(|f| f.take(128).read_to_end(&mut head))
            .map_err(|e| format!("cannot read it: {e}"))?;
        let header = Org::snapshot_header(&head, &settings).map_err(|e| e.to_string())?;
        let store_id = self.store.store_id().await.map_err(|e| e.to_string())?;
        if header.stamp.store_id != store_id {
            return Err("it was derived from another database".into());
        }
        let (current, reset) = self.store.revs().await.map_err(|e| e.to_string())?;
        if header.stamp.rev > current {
            return Err(format!(
                "it reflects revision {}, past the database's {current} (was the database restored from a backup?)",
                header.stamp.rev
            ));
        }
        if header.stamp.rev < reset {
            return Err(format!(
                "it reflects revision {}, and events were removed at revision {reset} (a replay)",
                header.stamp.rev
            ));
        }
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read it: {e}"))?;
            Org::read_snapshot(&bytes, settings).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| format!("reading it failed: {e}"))?
    }

    /// Writes the model to the snapshot file when it has changed since the last one; returns
    /// the header written, if any. Readers go on meanwhile; a catch-up waits for the end.
    pub async fn write_snapshot(&self) -> Result<Option<Header>, String> {
        let Some(path) = self.snapshot.path.clone() else {
            return Ok(None);
        };
        let _one = self.snapshot.writing.lock().await;
        if self.model_rev() <= self.snapshot.rev() {
            return Ok(None);
        }
        let store_id = self.store.store_id().await.map_err(|e| e.to_string())?;
        let model = self.model.clone().read_owned().await;
        if model.rev <= self.snapshot.rev() {
            return Ok(None);
        }
        let started = std::time::Instant::now();
        let stamp = Stamp {
            store_id,
            rev: model.rev,
        };
        let target = path.clone();
        let header = tokio::task::spawn_blocking(move || write_file(&model.org, stamp, &target))
            .await
            .map_err(|e| format!("writing the snapshot failed: {e}"))??;
        self.snapshot.rev.store(stamp.rev, Ordering::Release);
        tracing::info!(
            path = %path.display(),
            events = header.events,
            rev = stamp.rev,
            mib = header.file_len / (1 << 20),
            took_ms = started.elapsed().as_millis() as u64,
            "model snapshot written"
        );
        Ok(Some(header))
    }

    /// [`AppState::write_snapshot`] in the background, errors logged.
    pub fn write_snapshot_later(&self) {
        if self.snapshot.path.is_none() {
            return;
        }
        let state = self.clone();
        tokio::spawn(async move {
            if let Err(e) = state.write_snapshot().await {
                tracing::warn!(error = %e, "could not write the model snapshot");
            }
        });
    }
}

/// Writes to a temporary file beside `path`, flushed to disk, then renames it over `path`: a
/// reader sees the old snapshot or the new one, never half of one.
fn write_file(org: &Org, stamp: Stamp, path: &Path) -> Result<Header, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
        let header = org
            .write_snapshot(stamp, &mut f)
            .map_err(|e| e.to_string())?;
        f.sync_all().map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, path).map_err(|e| e.to_string())?;
        Ok(header)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(|e: String| format!("cannot write {}: {e}", path.display()))
}
