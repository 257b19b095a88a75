//! What a replay reads and writes (`crate::sources::replay`): the kept deliveries of a source,
//! page by page, and, in one batch, the rebuilt events of the keys they touch, the deliveries'
//! new verdicts, and the mark that events were removed.

use super::upsert::{body_of, push_keys, upsert_events, Row};
use super::{event_of_row, now_millis, Batch, Result, Store, Tx, Verdict, CHUNK};
use nagare_core::events::EventKey;
use nagare_core::github::Versioned;
use nagare_core::text::capped;
use std::collections::HashMap;

/// A delivery kept whole, as a replay maps it again.
#[derive(Debug, Clone)]
pub struct KeptDelivery {
    pub id: i64,
    pub received_at: i64,
    pub event: Option<String>,
    pub content_type: Option<String>,
    pub payload: Vec<u8>,
    pub verdict: String,
    pub detail: Option<String>,
}

/// What a rebuild did to the keys it was given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildCounts {
    /// Keys with no stored event that now have one.
    pub added: u64,
    /// Stored events whose state changed.
    pub changed: u64,
    /// Stored events that no delivery maps to any more.
    pub removed: u64,
    pub unchanged: u64,
}

type KeptRow = (
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
    String,
    Option<String>,
);

/// Kept whole (not a rejected payload's head), with its bytes: what a replay can map again.
const WHOLE: &str = "payload IS NOT NULL AND truncated = 0";

fn kept_of(rows: Vec<KeptRow>) -> Vec<KeptDelivery> {
    rows.into_iter()
        .map(|r| KeptDelivery {
            id: r.0,
            received_at: r.1,
            event: r.2,
            content_type: r.3,
            payload: r.4.unwrap_or_default(),
            verdict: r.5,
            detail: r.6,
        })
        .collect()
}

fn page_sql() -> String {
    format!(
        "SELECT id, received_at, event, content_type, payload, verdict, detail FROM raw_deliveries \
         WHERE source = $1 AND id > $2 AND received_at >= $3 AND {WHOLE} ORDER BY id LIMIT $4"
    )
}

impl Store {
    /// The whole kept deliveries of `source` after row `after_id`, received at or after
    /// `since` (epoch ms), in the order received: at most `limit`.
    pub async fn kept_deliveries(
        &self,
        source: &str,
        after_id: i64,
        since: i64,
        limit: i64,
    ) -> Result<Vec<KeptDelivery>> {
        let sql = page_sql();
        let rows: Vec<KeptRow> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(capped(source, 100)).bind(after_id).bind(since).bind(limit)
            .fetch_all(p).await)?;
        Ok(kept_of(rows))
    }

    /// How many deliveries of `source` are kept whole, and how many only in part or not at
    /// all (a rejected payload's head): those a replay cannot map again.
    pub async fn kept_counts(&self, source: &str) -> Result<(i64, i64)> {
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(CASE WHEN {WHOLE} THEN 1 ELSE 0 END), 0) AS BIGINT), COUNT(*) \
             FROM raw_deliveries WHERE source = $1"
        );
        let (whole, all): (i64, i64) = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(capped(source, 100)).fetch_one(p).await)?;
        Ok((whole, all - whole))
    }
}

impl Store {
    /// Sets the stored events of `kind` and `source` to exactly `states` (by key): the others
    /// of that kind and source are removed. Returns what changed.
    pub async fn set_events_of(
        &self,
        kind: &'static str,
        source: &str,
        states: HashMap<EventKey, Versioned>,
    ) -> Result<RebuildCounts> {
        let rows: Vec<(String, String, i64)> = on_backend!(self, p => sqlx::query_as(
            "SELECT id, body, version FROM events WHERE kind = $1 AND source = $2"
        ).bind(kind).bind(capped(source, 100)).fetch_all(p).await)?;
        let key = |id: String| EventKey {
            kind,
            source: source.to_owned(),
            id,
        };
        // Nothing to change (the usual start-up): no transaction, no revision.
        let mut same = rows.len() == states.len();
        for (id, body, version) in &rows {
            let stored = event_of_row(kind.to_owned(), id.clone(), body)?;
            same &= states
                .get(&key(id.clone()))
                .is_some_and(|v| v.version == *version && v.event == stored);
        }
        if same {
            return Ok(RebuildCounts {
                unchanged: rows.len() as u64,
                ..RebuildCounts::default()
            });
        }
        let mut keys: Vec<EventKey> = rows
            .into_iter()
            .map(|(id, _, _)| key(id))
            .chain(states.keys().cloned())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let mut batch = self.begin().await?;
        // The revision first, as every writer takes it: no lock-order inversion.
        batch.rev().await?;
        let counts = batch.rebuild(&keys, &states).await?;
        batch.commit().await?;
        Ok(counts)
    }
}

impl Batch {
    /// [`Store::kept_deliveries`], read inside this batch (after its revision is taken, so
    /// that no writer commits a delivery it does not see).
    pub(crate) async fn kept_deliveries(
        &mut self,
        source: &str,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<KeptDelivery>> {
        let sql = page_sql();
        let rows: Vec<KeptRow> = on_tx!(&mut self.tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(capped(source, 100)).bind(after_id).bind(i64::MIN).bind(limit)
            .fetch_all(c).await)?;
        Ok(kept_of(rows))
    }

    /// Sets each of `keys` to its state in `states`, removing the stored event of a key that
    /// has none there; an event already in that state is not written.
    pub(crate) async fn rebuild(
        &mut self,
        keys: &[EventKey],
        states: &HashMap<EventKey, Versioned>,
    ) -> Result<RebuildCounts> {
        let now = now_millis();
        let mut counts = RebuildCounts::default();
        for chunk in keys.chunks(CHUNK) {
            let stored = self.stored(chunk).await?;
            let mut gone: Vec<&EventKey> = Vec::new();
            let mut rows: Vec<Row> = Vec::new();
            for key in chunk {
                let old = stored.get(&(key.kind.to_owned(), key.source.clone(), key.id.clone()));
                match (old, states.get(key)) {
                    (None, None) => {}
                    (Some(_), None) => gone.push(key),
                    (None, Some(v)) => {
                        counts.added += 1;
                        rows.push((key.clone(), body_of(&v.event)?, v.version));
                    }
                    (Some((body, version)), Some(v)) => {
                        let same = *version == v.version
                            && event_of_row(key.kind.to_owned(), key.id.clone(), body)? == v.event;
                        if same {
                            counts.unchanged += 1;
                        } else {
                            counts.changed += 1;
                            rows.push((key.clone(), body_of(&v.event)?, v.version));
                        }
                    }
                }
            }
            if !gone.is_empty() {
                counts.removed += gone.len() as u64;
                on_tx!(&mut self.tx, c => {
                    let mut qb = sqlx::QueryBuilder::new("DELETE FROM events WHERE (kind, source, id) IN (");
                    push_keys(&mut qb, gone.iter().copied());
                    qb.build().execute(c).await.map(|_| ())
                })?;
            }
            if !rows.is_empty() {
                // Taken only when something is written.
                let rev = self.rev().await?;
                on_tx!(&mut self.tx, c => upsert_events(&rows, rev, now).build().execute(c).await.map(|_| ()))?;
            }
        }
        if counts.removed > 0 {
            let rev = self.rev().await?;
            // A model (or snapshot) from before this revision cannot follow the removal.
            on_tx!(&mut self.tx, c => sqlx::query("UPDATE meta SET value = $1 WHERE key = 'reset_rev'")
                .bind(rev).execute(c).await.map(|_| ()))?;
        }
        Ok(counts)
    }

    /// Gives kept deliveries (by row id) their verdict and detail under the current rules.
    pub(crate) async fn set_verdicts(
        &mut self,
        verdicts: &[(i64, Verdict, Option<String>)],
    ) -> Result<()> {
        for (id, verdict, detail) in verdicts {
            on_tx!(&mut self.tx, c => sqlx::query("UPDATE raw_deliveries SET verdict = $1, detail = $2 WHERE id = $3")
                .bind(verdict.as_str())
                .bind(detail.as_deref().map(|d| capped(d, super::deliveries::DETAIL_CHARS)))
                .bind(*id)
                .execute(c).await.map(|_| ()))?;
        }
        Ok(())
    }
}
