//! Writing events in a batch: replacing each stored event of its key ([`Batch::add_all`]), or
//! merging into it ([`Batch::merge_all`], [`Batch::merge_writes`]). The same SQL on both
//! backends: multi-row `INSERT … ON CONFLICT DO UPDATE` in chunks.

use super::{event_of_row, now_millis, Batch, IngestCounts, Result, StoreError, Tx, CHUNK};
use nagare_core::events::{Event, EventKey};
use nagare_core::github::Versioned;
use sqlx::QueryBuilder;
use std::collections::{HashMap, HashSet};

/// A stored row to write: its key, body and version.
pub(super) type Row = (EventKey, String, i64);

/// `INSERT … ON CONFLICT DO UPDATE` of a chunk of rows, the same SQL on both backends.
pub(super) fn upsert_events<DB>(chunk: &[Row], rev: i64, now: i64) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    for<'t> &'t str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut qb = QueryBuilder::new(
        "INSERT INTO events (kind, source, id, rev, received_at, body, version) ",
    );
    qb.push_values(chunk, |mut b, (k, body, version)| {
        b.push_bind(k.kind)
            .push_bind(k.source.as_str())
            .push_bind(k.id.as_str())
            .push_bind(rev)
            .push_bind(now)
            .push_bind(body.as_str())
            .push_bind(*version);
    });
    qb.push(
        " ON CONFLICT (kind, source, id) DO UPDATE SET rev = excluded.rev, \
         received_at = excluded.received_at, body = excluded.body, version = excluded.version",
    );
    qb
}

/// The body of an event as stored.
pub(super) fn body_of(e: &Event) -> Result<String> {
    serde_json::to_string(e).map_err(|err| StoreError::Corrupt {
        kind: e.kind().to_owned(),
        id: e.id(),
        error: err.to_string(),
    })
}

/// `(kind, source, id), …)`: the keys of an `IN (` list, and its closing parenthesis.
pub(super) fn push_keys<'k, DB>(qb: &mut QueryBuilder<DB>, keys: impl Iterator<Item = &'k EventKey>)
where
    DB: sqlx::Database,
    for<'t> &'t str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut sep = qb.separated(", ");
    for k in keys {
        sep.push("(");
        sep.push_bind_unseparated(k.kind);
        sep.push_unseparated(", ");
        sep.push_bind_unseparated(k.source.as_str());
        sep.push_unseparated(", ");
        sep.push_bind_unseparated(k.id.as_str());
        sep.push_unseparated(")");
    }
    qb.push(")");
}

/// How two versions of one event become the one stored (see `nagare_core::github::merge`).
pub type MergeFn = fn(Versioned, Versioned) -> Versioned;

impl Batch {
    /// Adds events (upserted by key). Later duplicates of a key in the same batch win.
    pub async fn add(&mut self, events: Vec<Event>) -> Result<()> {
        self.add_all(&events).await
    }

    /// [`Batch::add`] from borrowed events.
    pub async fn add_all(&mut self, events: &[Event]) -> Result<()> {
        let rev = self.rev().await?;
        let now = now_millis();
        // Last occurrence of each key wins, within this call.
        let mut by_key: HashMap<EventKey, usize> = HashMap::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            by_key.insert(e.key(), i);
        }
        let mut rows: Vec<Row> = Vec::with_capacity(by_key.len());
        for (i, e) in events.iter().enumerate() {
            let key = e.key();
            if by_key.get(&key) != Some(&i) {
                self.counts.updated += 1;
                continue;
            }
            rows.push((key, body_of(e)?, 0));
        }
        for chunk in rows.chunks(CHUNK) {
            let fresh = match &mut self.tx {
                // PostgreSQL tells, per row, whether the upsert inserted it (xmax = 0): one
                // round trip per chunk.
                Tx::Postgres(t) => {
                    let mut qb = upsert_events(chunk, rev, now);
                    qb.push(" RETURNING (xmax = 0)");
                    let inserted: Vec<bool> = qb.build_query_scalar().fetch_all(&mut **t).await?;
                    inserted.into_iter().filter(|i| *i).count()
                }
                // SQLite cannot tell an insert from an update in RETURNING: ask first.
                Tx::Sqlite(_) => {
                    let unseen: Vec<&EventKey> = chunk
                        .iter()
                        .map(|(k, _, _)| k)
                        .filter(|k| !self.seen.contains(k))
                        .collect();
                    let existing = self.existing(&unseen).await?;
                    let fresh = unseen.len() - existing.len();
                    on_tx!(&mut self.tx, c => upsert_events(chunk, rev, now).build().execute(c).await.map(|_| ()))?;
                    fresh
                }
            };
            self.counts.accepted += fresh as u64;
            self.counts.updated += (chunk.len() - fresh) as u64;
            for (k, _, _) in chunk {
                self.seen.insert(k.clone());
            }
        }
        Ok(())
    }

    /// Merges each event into the stored event of its key with `merge` (and the batch's
    /// events of one key with each other), and writes what changed. An event whose merge
    /// leaves the stored one as it was is not written, and counted neither accepted nor
    /// updated.
    pub async fn merge_all(&mut self, events: &[Versioned], merge: MergeFn) -> Result<()> {
        let counts = self.merge_writes(&[events], merge).await?;
        for c in counts {
            self.counts.accepted += c.accepted;
            self.counts.updated += c.updated;
        }
        Ok(())
    }

    /// [`Batch::merge_all`] of several writes at once, in this order: one read of all their
    /// keys and one upsert of their final states, and each write's own counts (an event is
    /// new if its key was neither stored nor written by an earlier write here; updated if its
    /// merge changed the state it met).
    pub(crate) async fn merge_writes(
        &mut self,
        writes: &[&[Versioned]],
        merge: MergeFn,
    ) -> Result<Vec<IngestCounts>> {
        let rev = self.rev().await?;
        let now = now_millis();
        let mut keys: Vec<EventKey> = writes
            .iter()
            .flat_map(|w| w.iter().map(|v| v.event.key()))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let mut current: HashMap<EventKey, Versioned> = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(CHUNK) {
            for ((kind, _source, id), (body, version)) in self.stored(chunk).await? {
                let event = event_of_row(kind, id, &body)?;
                current.insert(event.key(), Versioned { event, version });
            }
        }
        let mut changed: HashSet<EventKey> = HashSet::new();
        let mut counts = Vec::with_capacity(writes.len());
        for w in writes {
            let mut c = IngestCounts::default();
            for v in w.iter() {
                let key = v.event.key();
                match current.remove(&key) {
                    Some(old) => {
                        let merged = merge(old.clone(), v.clone());
                        if merged != old {
                            c.updated += 1;
                            changed.insert(key.clone());
                        }
                        current.insert(key, merged);
                    }
                    None => {
                        c.accepted += 1;
                        changed.insert(key.clone());
                        current.insert(key, v.clone());
                    }
                }
            }
            counts.push(c);
        }
        let mut rows: Vec<Row> = Vec::with_capacity(changed.len());
        for key in keys.into_iter().filter(|k| changed.contains(k)) {
            if let Some(v) = current.remove(&key) {
                rows.push((key, body_of(&v.event)?, v.version));
            }
        }
        for chunk in rows.chunks(CHUNK) {
            on_tx!(&mut self.tx, c => upsert_events(chunk, rev, now).build().execute(c).await.map(|_| ()))?;
            for (k, _, _) in chunk {
                self.seen.insert(k.clone());
            }
        }
        Ok(counts)
    }

    /// The stored bodies and versions of these keys (locked until the batch ends).
    pub(super) async fn stored(
        &mut self,
        keys: &[EventKey],
    ) -> Result<HashMap<(String, String, String), (String, i64)>> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let lock = matches!(self.tx, Tx::Postgres(_));
        let rows: Vec<(String, String, String, String, i64)> = on_tx!(&mut self.tx, c => {
            let mut qb = QueryBuilder::new(
                "SELECT kind, source, id, body, version FROM events WHERE (kind, source, id) IN (",
            );
            push_keys(&mut qb, keys.iter());
            // SQLite's write lock is the whole database's, taken by BEGIN IMMEDIATE.
            if lock {
                qb.push(" FOR UPDATE");
            }
            qb.build_query_as().fetch_all(c).await
        })?;
        Ok(rows
            .into_iter()
            .map(|(k, s, i, b, v)| ((k, s, i), (b, v)))
            .collect())
    }

    /// Which of these keys are already stored (from earlier batches).
    async fn existing(&mut self, keys: &[&EventKey]) -> Result<HashSet<(String, String, String)>> {
        if keys.is_empty() {
            return Ok(HashSet::new());
        }
        let rows: Vec<(String, String, String)> = on_tx!(&mut self.tx, c => {
            let mut qb = QueryBuilder::new("SELECT kind, source, id FROM events WHERE (kind, source, id) IN (");
            push_keys(&mut qb, keys.iter().copied());
            qb.build_query_as().fetch_all(c).await
        })?;
        Ok(rows.into_iter().collect())
    }
}
