//! Group commit: the batches that arrive while one transaction commits are stored together in
//! the next, each in its own savepoint.
//!
//! A commit that survives a power loss waits for the disk (an fsync on SQLite with
//! `synchronous=FULL`, the WAL flush on PostgreSQL). One writer task takes every batch sent to
//! it, and whatever else is waiting when it starts a transaction joins it: many batches, one
//! flush. Each batch keeps its own revision, counts and raw delivery, and its own outcome: a
//! savepoint per batch, so that one that fails (or was checked against a revision that moved
//! on) is rolled back alone and the others still commit. A reply is sent only once the
//! transaction that holds its batch has committed.

use super::{IngestCounts, MergeFn, RawDelivery, Result, Store, StoreError, Verdict};
use nagare_core::events::Event;
use nagare_core::github::Versioned;
use tokio::sync::{mpsc, oneshot};

/// Batches in one transaction at most, and their events at most.
const MAX_GROUP: usize = 64;
const MAX_GROUP_EVENTS: usize = 20_000;

/// What a batch writes.
enum Events {
    /// Each replaces the stored event of its key.
    Replace(Vec<Event>),
    /// Each is merged into the stored event of its key.
    Merge(Vec<Versioned>, MergeFn),
}

impl Events {
    fn len(&self) -> usize {
        match self {
            Events::Replace(e) => e.len(),
            Events::Merge(e, _) => e.len(),
        }
    }
}

/// One batch to store.
struct Write {
    events: Events,
    raw: RawDelivery,
    /// Kept with the accepted delivery (what its events leave out).
    detail: Option<String>,
    /// Store only right after this revision (see [`Store::ingest_after`]).
    checked: Option<i64>,
    reply: oneshot::Sender<Result<(IngestCounts, i64)>>,
}

/// The handle of the writer task of one store.
#[derive(Clone, Debug)]
pub struct Writer {
    queue: mpsc::Sender<Write>,
}

impl Writer {
    /// Starts the writer task of `store`. It ends when every handle is dropped.
    pub fn start(store: Store) -> Writer {
        let (queue, mut waiting) = mpsc::channel::<Write>(1024);
        tokio::spawn(async move {
            while let Some(first) = waiting.recv().await {
                let mut events = first.events.len();
                let mut group = vec![first];
                while group.len() < MAX_GROUP && events < MAX_GROUP_EVENTS {
                    match waiting.try_recv() {
                        Ok(w) => {
                            events += w.events.len();
                            group.push(w);
                        }
                        Err(_) => break,
                    }
                }
                store_group(&store, group).await;
            }
        });
        Writer { queue }
    }

    /// Stores `events` and their raw delivery atomically, in the next group commit; like
    /// [`Store::ingest_after`]. Once sent, the batch is stored even if the caller stops waiting.
    pub async fn ingest(
        &self,
        events: Vec<Event>,
        raw: RawDelivery,
        checked: Option<i64>,
    ) -> Result<(IngestCounts, i64)> {
        self.send(Events::Replace(events), raw, None, checked).await
    }

    /// Merges `events` into the stored ones of their keys with `merge`
    /// ([`super::Batch::merge_all`]), with their raw delivery and its `detail`, in the next
    /// group commit.
    pub async fn ingest_merged(
        &self,
        events: Vec<Versioned>,
        merge: MergeFn,
        raw: RawDelivery,
        detail: Option<String>,
    ) -> Result<(IngestCounts, i64)> {
        self.send(Events::Merge(events, merge), raw, detail, None)
            .await
    }

    async fn send(
        &self,
        events: Events,
        raw: RawDelivery,
        detail: Option<String>,
        checked: Option<i64>,
    ) -> Result<(IngestCounts, i64)> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Config("the store's writer has stopped".into());
        self.queue
            .send(Write {
                events,
                raw,
                detail,
                checked,
                reply,
            })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// Stores a group in one transaction and answers each batch.
async fn store_group(store: &Store, group: Vec<Write>) {
    let mut outcomes: Vec<Result<(IngestCounts, i64)>> = Vec::with_capacity(group.len());
    let committed = async {
        let mut batch = store.begin().await?;
        for w in &group {
            batch.savepoint().await?;
            let stored = async {
                batch.next_write();
                if let Some(expected) = w.checked {
                    let now = batch.rev().await? - 1;
                    if now != expected {
                        return Err(StoreError::Moved { expected, now });
                    }
                }
                match &w.events {
                    Events::Replace(events) => batch.add_all(events).await?,
                    Events::Merge(events, merge) => batch.merge_all(events, *merge).await?,
                }
                batch
                    .record_delivery(&w.raw, Verdict::Accepted, w.detail.as_deref())
                    .await?;
                Ok((batch.counts(), batch.rev().await?))
            }
            .await;
            match &stored {
                Ok(_) => batch.release_savepoint().await?,
                Err(_) => batch.rollback_to_savepoint().await?,
            }
            outcomes.push(stored);
        }
        batch.commit().await
    }
    .await;
    let failed = committed.err().map(|e| e.to_string());
    for (w, outcome) in group.into_iter().zip(
        outcomes
            .into_iter()
            .map(Some)
            .chain(std::iter::repeat_with(|| None)),
    ) {
        let answer = match (failed.as_deref(), outcome) {
            (None, Some(o)) => o,
            (Some(e), Some(Err(own))) => Err(StoreError::Config(format!(
                "{own}; and the transaction failed: {e}"
            ))),
            (Some(e), _) => Err(StoreError::Config(format!(
                "the batch was not stored: the transaction failed: {e}"
            ))),
            (None, None) => Err(StoreError::Config(
                "the batch was not stored: the transaction ended before it".into(),
            )),
        };
        // The caller may have hung up; the batch is stored (or not) all the same.
        let _ = w.reply.send(answer);
    }
}
