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
///
/// Batches that replace events each get a savepoint and a revision of their own, in order.
/// Batches that merge (webhook deliveries) are order-independent by design, so those of the
/// group are stored together after them, under one savepoint and one revision: one read of
/// all their keys, one upsert, and one insert of their raw deliveries. If that fails, all of them fail.
async fn store_group(store: &Store, group: Vec<Write>) {
    let mut outcomes: Vec<Option<Result<(IngestCounts, i64)>>> =
        std::iter::repeat_with(|| None).take(group.len()).collect();
    // A group of merged deliveries alone (the webhooks' usual group) is one unit: it needs no
    // savepoint, as it fails whole with its transaction. Two statements fewer, and each
    // statement is a round trip to the database's thread.
    let only_merges = group
        .iter()
        .all(|w| matches!(w.events, Events::Merge(..)) && w.checked.is_none());
    let committed = async {
        let mut batch = store.begin().await?;
        let mut merges: Vec<(usize, &[Versioned], MergeFn)> = Vec::new();
        for (i, w) in group.iter().enumerate() {
            let events = match &w.events {
                Events::Merge(events, merge) if w.checked.is_none() => {
                    merges.push((i, events, *merge));
                    continue;
                }
                Events::Merge(..) => {
                    outcomes[i] = Some(Err(StoreError::Config(
                        "a merged batch cannot be checked against a revision".into(),
                    )));
                    continue;
                }
                Events::Replace(events) => events,
            };
            batch.savepoint().await?;
            let stored = async {
                batch.next_write();
                if let Some(expected) = w.checked {
                    let now = batch.rev().await? - 1;
                    if now != expected {
                        return Err(StoreError::Moved { expected, now });
                    }
                }
                batch.add_all(events).await?;
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
            outcomes[i] = Some(stored);
        }
        while let Some(&(_, _, merge)) = merges.first() {
            let (unit, rest): (Vec<_>, Vec<_>) = merges
                .into_iter()
                .partition(|(_, _, m)| std::ptr::fn_addr_eq(*m, merge));
            // The group's only unit: the first, with none after it.
            let alone = only_merges && rest.is_empty() && unit.len() == group.len();
            merges = rest;
            if !alone {
                batch.savepoint().await?;
            }
            let stored = async {
                batch.next_write();
                // Deduplicated here, in the transaction: a delivery id stored before, or
                // earlier in this group, writes nothing.
                let fresh = fresh_deliveries(&mut batch, &group, &unit).await?;
                let writes: Vec<&[Versioned]> = unit
                    .iter()
                    .zip(&fresh)
                    .filter(|(_, f)| **f)
                    .map(|((_, e, _), _)| *e)
                    .collect();
                let mut counts = batch.merge_writes(&writes, merge).await?.into_iter();
                let raws: Vec<_> = unit
                    .iter()
                    .zip(&fresh)
                    .filter(|(_, f)| **f)
                    .map(|((i, _, _), _)| (&group[*i].raw, group[*i].detail.as_deref()))
                    .collect();
                batch.record_accepted(&raws).await?;
                let each: Vec<IngestCounts> = fresh
                    .iter()
                    .map(|f| match f {
                        true => counts.next().unwrap_or_default(),
                        false => IngestCounts {
                            duplicate: true,
                            ..IngestCounts::default()
                        },
                    })
                    .collect();
                Ok::<_, StoreError>((each, batch.rev().await?))
            }
            .await;
            match stored {
                Ok((counts, rev)) => {
                    if !alone {
                        batch.release_savepoint().await?;
                    }
                    for ((i, _, _), c) in unit.iter().zip(counts) {
                        outcomes[*i] = Some(Ok((c, rev)));
                    }
                }
                Err(e) => {
                    let e = e.to_string();
                    for (i, _, _) in &unit {
                        outcomes[*i] = Some(Err(StoreError::Config(format!(
                            "the delivery was not stored, with the others of its group: {e}"
                        ))));
                    }
                    if alone {
                        // Nothing else in the transaction: drop it whole.
                        return batch.rollback().await;
                    }
                    batch.rollback_to_savepoint().await?;
                }
            }
        }
        batch.commit().await
    }
    .await;
    let failed = committed.err().map(|e| e.to_string());
    for (w, outcome) in group.into_iter().zip(outcomes) {
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

/// Per write of a merged unit, whether its delivery is new: not stored before under its
/// source and id, and not earlier in this unit. A delivery without an id is always new.
async fn fresh_deliveries(
    batch: &mut super::Batch,
    group: &[Write],
    unit: &[(usize, &[Versioned], MergeFn)],
) -> Result<Vec<bool>> {
    let mut by_source: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (i, _, _) in unit {
        let raw = &group[*i].raw;
        if let Some(id) = &raw.delivery_id {
            by_source.entry(raw.source.as_str()).or_default().push(id);
        }
    }
    let mut seen: std::collections::HashSet<(String, String)> = Default::default();
    for (source, ids) in by_source {
        for id in batch.delivered_ids(source, &ids).await? {
            seen.insert((source.to_owned(), id));
        }
    }
    Ok(unit
        .iter()
        .map(|(i, _, _)| {
            let raw = &group[*i].raw;
            raw.delivery_id.as_ref().is_none_or(|id| {
                // Capped as the store keeps it.
                let id = nagare_core::text::capped(id, 200);
                seen.insert((raw.source.clone(), id))
            })
        })
        .collect())
}
