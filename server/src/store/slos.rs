//! SLOs (docs/slo.md): the definitions made in the portal (`slo_defs`), each SLI's counts per
//! bucket (`sli_buckets`), how far each Prometheus sync has read (`slo_sync`), the alert level
//! last seen (`slo_alert_state`) and the notifications told (`slo_notices`).

use super::{now_millis, RawDelivery, Result, Store, StoreError, Tx, Verdict};
use nagare_core::slo::SloDef;

/// Rows per multi-row insert: 6 binds each.
const CHUNK: usize = 500;

/// One bucket of an SLI.
#[derive(Debug, Clone, PartialEq)]
pub struct SliRow {
    pub slo: String,
    pub start: i64,
    pub good: f64,
    pub total: f64,
    /// `prometheus`, or the `source` of the pushed samples.
    pub source: String,
}

/// A bucket as read back, with when it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSli {
    pub row: SliRow,
    pub written_at: i64,
}

/// How far an SLO's Prometheus sync has read.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRow {
    pub slo: String,
    /// The queries it read with.
    pub query: String,
    /// Every bucket before this instant is stored.
    pub synced_to: i64,
    pub last_error: Option<String>,
    pub updated_at: i64,
}

fn def_of(id: &str, doc: &str) -> Result<SloDef> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt {
        kind: "slo_def".into(),
        id: id.to_owned(),
        error: e.to_string(),
    })
}

fn doc_of(def: &SloDef) -> Result<String> {
    serde_json::to_string(def).map_err(|e| StoreError::Config(e.to_string()))
}

type SliTuple = (String, i64, f64, f64, String, i64);

fn stored_sli(t: SliTuple) -> StoredSli {
    StoredSli {
        row: SliRow {
            slo: t.0,
            start: t.1,
            good: t.2,
            total: t.3,
            source: t.4,
        },
        written_at: t.5,
    }
}

impl Store {
    /// The SLOs made in the portal, by id.
    pub async fn slo_defs(&self) -> Result<Vec<SloDef>> {
        let rows: Vec<(String, String)> = on_backend!(self, p => sqlx::query_as(
            "SELECT id, doc FROM slo_defs ORDER BY id"
        ).fetch_all(p).await)?;
        rows.iter().map(|(id, doc)| def_of(id, doc)).collect()
    }

    /// Stores a new SLO; `false` when its id is taken.
    pub async fn insert_slo_def(&self, def: &SloDef, by: &str) -> Result<bool> {
        let doc = doc_of(def)?;
        let now = now_millis();
        let n = on_backend!(self, p => sqlx::query(
            "INSERT INTO slo_defs (id, service, doc, created_by, created_at, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $4, $5) ON CONFLICT (id) DO NOTHING"
        ).bind(&def.id).bind(&def.service).bind(&doc).bind(by).bind(now)
        .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Replaces a stored SLO and, when `reset`, drops its counts and sync in the same
    /// transaction (its SLI changed); `false` when there is none of that id.
    pub async fn update_slo_def_resetting(
        &self,
        def: &SloDef,
        by: &str,
        reset: bool,
    ) -> Result<bool> {
        let doc = doc_of(def)?;
        let mut batch = self.begin().await?;
        let n = on_tx!(&mut batch.tx, c => sqlx::query(
            "UPDATE slo_defs SET service = $2, doc = $3, updated_by = $4, updated_at = $5 WHERE id = $1"
        ).bind(&def.id).bind(&def.service).bind(&doc).bind(by).bind(now_millis())
        .execute(c).await.map(|r| r.rows_affected()))?;
        if n == 1 && reset {
            reset_in(&mut batch, &def.id).await?;
        }
        batch.commit().await?;
        Ok(n == 1)
    }

    /// When each SLO's counts were last dropped.
    pub async fn slo_resets(&self) -> Result<Vec<(String, i64)>> {
        Ok(on_backend!(self, p => sqlx::query_as(
            "SELECT slo_id, reset_at FROM slo_resets ORDER BY slo_id"
        ).fetch_all(p).await)?)
    }

    /// Deletes a stored SLO with its counts, sync and alert state, in one transaction; `false`
    /// when there is none of that id.
    pub async fn delete_slo_def(&self, id: &str) -> Result<bool> {
        let mut batch = self.begin().await?;
        reset_in(&mut batch, id).await?;
        let mut deleted = 0;
        for sql in [
            "DELETE FROM slo_alert_state WHERE slo_id = $1",
            "DELETE FROM slo_defs WHERE id = $1",
        ] {
            deleted = on_tx!(&mut batch.tx, c => sqlx::query(sql).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        }
        batch.commit().await?;
        Ok(deleted == 1)
    }

    /// Writes buckets (each replacing the stored one of its SLO and start) and, when given,
    /// the delivery they came in, in one transaction. Returns how many buckets were stored
    /// before (and so replaced).
    pub async fn put_sli(&self, rows: &[SliRow], raw: Option<(&RawDelivery, &str)>) -> Result<u64> {
        let mut batch = self.begin().await?;
        let at = now_millis();
        let mut keys: Vec<(&str, i64)> = rows.iter().map(|r| (r.slo.as_str(), r.start)).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut before = 0u64;
        for chunk in keys.chunks(CHUNK) {
            let n: i64 = on_tx!(&mut batch.tx, c => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT COUNT(*) FROM sli_buckets WHERE (slo_id, start_ms) IN (",
                );
                let mut sep = qb.separated(", ");
                for (slo, start) in chunk {
                    sep.push("(");
                    sep.push_bind_unseparated(*slo);
                    sep.push_unseparated(", ");
                    sep.push_bind_unseparated(*start);
                    sep.push_unseparated(")");
                }
                qb.push(")");
                qb.build_query_scalar().fetch_one(c).await
            })?;
            before += n.max(0) as u64;
        }
        put_rows(&mut batch, rows, at).await?;
        if let Some((raw, detail)) = raw {
            batch
                .record_delivery(raw, Verdict::Accepted, Some(detail))
                .await?;
        }
        batch.commit().await?;
        Ok(before)
    }

    /// Writes one sync's buckets and how far it read, in one transaction: a crash leaves
    /// either both or neither, so the next sync resumes with no gap and no double count.
    pub async fn put_synced(&self, rows: &[SliRow], sync: &SyncRow) -> Result<i64> {
        let mut batch = self.begin().await?;
        let at = now_millis();
        put_rows(&mut batch, rows, at).await?;
        on_tx!(&mut batch.tx, c => sqlx::query(
            "INSERT INTO slo_sync (slo_id, query, synced_to, last_error, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (slo_id) DO UPDATE SET query = excluded.query, synced_to = excluded.synced_to, \
             last_error = excluded.last_error, updated_at = excluded.updated_at"
        ).bind(&sync.slo).bind(&sync.query).bind(sync.synced_to).bind(&sync.last_error).bind(sync.updated_at)
        .execute(c).await.map(|_| ()))?;
        batch.commit().await?;
        Ok(at)
    }

    /// Notes a failed sync of an SLO without moving how far it read.
    pub async fn sync_failed(&self, slo: &str, query: &str, error: &str) -> Result<()> {
        let now = now_millis();
        on_backend!(self, p => sqlx::query(
            "INSERT INTO slo_sync (slo_id, query, synced_to, last_error, updated_at) VALUES ($1, $2, 0, $3, $4) \
             ON CONFLICT (slo_id) DO UPDATE SET last_error = excluded.last_error, updated_at = excluded.updated_at"
        ).bind(slo).bind(query).bind(error).bind(now).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Every SLO's sync progress.
    pub async fn slo_syncs(&self) -> Result<Vec<SyncRow>> {
        let rows: Vec<(String, String, i64, Option<String>, i64)> = on_backend!(self, p => sqlx::query_as(
            "SELECT slo_id, query, synced_to, last_error, updated_at FROM slo_sync ORDER BY slo_id"
        ).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|r| SyncRow {
                slo: r.0,
                query: r.1,
                synced_to: r.2,
                last_error: r.3,
                updated_at: r.4,
            })
            .collect())
    }

    /// Forgets an SLO's counts and sync (its queries changed: it is read again whole), and
    /// notes when, so that every replica drops what it holds of them.
    pub async fn reset_sli(&self, slo: &str) -> Result<()> {
        let mut batch = self.begin().await?;
        reset_in(&mut batch, slo).await?;
        batch.commit().await
    }

    /// The buckets written after `written_after` that start in `[from, to)`, oldest written
    /// first.
    pub async fn sli_written_after(
        &self,
        written_after: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<StoredSli>> {
        let rows: Vec<SliTuple> = on_backend!(self, p => sqlx::query_as(
            "SELECT slo_id, start_ms, good, total, source, written_at FROM sli_buckets \
             WHERE written_at > $1 AND start_ms >= $2 AND start_ms < $3 ORDER BY written_at, slo_id, start_ms"
        ).bind(written_after).bind(from).bind(to).fetch_all(p).await)?;
        Ok(rows.into_iter().map(stored_sli).collect())
    }

    /// One SLO's buckets starting in `[from, to)`, in order.
    pub async fn sli_range(&self, slo: &str, from: i64, to: i64) -> Result<Vec<StoredSli>> {
        let rows: Vec<SliTuple> = on_backend!(self, p => sqlx::query_as(
            "SELECT slo_id, start_ms, good, total, source, written_at FROM sli_buckets \
             WHERE slo_id = $1 AND start_ms >= $2 AND start_ms < $3 ORDER BY start_ms"
        ).bind(slo).bind(from).bind(to).fetch_all(p).await)?;
        Ok(rows.into_iter().map(stored_sli).collect())
    }

    /// One SLO's counts starting in `[from, to)`, in order: (start, counts), without the
    /// rest of each row (the start-up read of every SLO's window).
    /// The good events of an SLO's buckets starting in `[from, to)`, summed by the database.
    pub async fn sli_good_sum(&self, slo: &str, from: i64, to: i64) -> Result<f64> {
        let sum: Option<f64> = on_backend!(self, p => sqlx::query_scalar(
            "SELECT SUM(good) FROM sli_buckets WHERE slo_id = $1 AND start_ms >= $2 AND start_ms < $3"
        ).bind(slo).bind(from).bind(to).fetch_one(p).await)?;
        Ok(sum.unwrap_or(0.0))
    }

    pub async fn sli_counts(
        &self,
        slo: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, nagare_core::slo::Counts)>> {
        let rows: Vec<(i64, f64, f64)> = on_backend!(self, p => sqlx::query_as(
            "SELECT start_ms, good, total FROM sli_buckets \
             WHERE slo_id = $1 AND start_ms >= $2 AND start_ms < $3 ORDER BY start_ms"
        ).bind(slo).bind(from).bind(to).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(start, good, total)| (start, nagare_core::slo::Counts { good, total }))
            .collect())
    }

    /// Deletes the buckets that start before `before`; how many.
    pub async fn prune_sli(&self, before: i64) -> Result<u64> {
        let n = on_backend!(self, p => sqlx::query("DELETE FROM sli_buckets WHERE start_ms < $1")
            .bind(before).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// The alert level each SLO was last seen at, and since when.
    pub async fn slo_alert_states(&self) -> Result<Vec<(String, String, i64)>> {
        Ok(on_backend!(self, p => sqlx::query_as(
            "SELECT slo_id, level, since FROM slo_alert_state ORDER BY slo_id"
        ).fetch_all(p).await)?)
    }

    /// Moves an SLO's alert level from `was` (`None`: no row yet) to `level`, if it is still
    /// `was` (compare and swap): `true` for the one process that made the change.
    pub async fn swap_slo_alert_state(
        &self,
        slo: &str,
        was: Option<&str>,
        level: &str,
        since: i64,
    ) -> Result<bool> {
        let n = match was {
            None => on_backend!(self, p => sqlx::query(
                "INSERT INTO slo_alert_state (slo_id, level, since) VALUES ($1, $2, $3) \
                 ON CONFLICT (slo_id) DO NOTHING"
            ).bind(slo).bind(level).bind(since).execute(p).await.map(|r| r.rows_affected()))?,
            Some(was) => on_backend!(self, p => sqlx::query(
                "UPDATE slo_alert_state SET level = $2, since = $3 WHERE slo_id = $1 AND level = $4"
            ).bind(slo).bind(level).bind(since).bind(was).execute(p).await.map(|r| r.rows_affected()))?,
        };
        Ok(n == 1)
    }

    /// Claims a notification: `true` when this call inserted its key (and so must post it),
    /// `false` when some process did before.
    pub async fn claim_notice(&self, key: &str, slo: &str, team: &str, kind: &str) -> Result<bool> {
        let n = on_backend!(self, p => sqlx::query(
            "INSERT INTO slo_notices (key, slo_id, team, kind, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (key) DO NOTHING"
        ).bind(key).bind(slo).bind(team).bind(kind).bind(now_millis()).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Notes how posting a claimed notification went.
    pub async fn notice_done(&self, key: &str, error: Option<&str>) -> Result<()> {
        on_backend!(self, p => sqlx::query(
            "UPDATE slo_notices SET sent_at = $2, error = $3 WHERE key = $1"
        ).bind(key).bind(now_millis()).bind(error).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The notifications told, newest first: key, team, kind, sent_at, error.
    pub async fn slo_notices(
        &self,
        limit: i64,
    ) -> Result<Vec<(String, String, String, Option<i64>, Option<String>)>> {
        Ok(on_backend!(self, p => sqlx::query_as(
            "SELECT key, team, kind, sent_at, error FROM slo_notices ORDER BY created_at DESC, key LIMIT $1"
        ).bind(limit).fetch_all(p).await)?)
    }
}

/// Drops an SLO's counts and sync inside `batch`, and moves its reset instant (always forward,
/// even if the clock went back).
async fn reset_in(batch: &mut super::Batch, slo: &str) -> Result<()> {
    for sql in [
        "DELETE FROM sli_buckets WHERE slo_id = $1",
        "DELETE FROM slo_sync WHERE slo_id = $1",
    ] {
        on_tx!(&mut batch.tx, c => sqlx::query(sql).bind(slo).execute(c).await.map(|_| ()))?;
    }
    on_tx!(&mut batch.tx, c => sqlx::query(
        "INSERT INTO slo_resets (slo_id, reset_at) VALUES ($1, $2) \
         ON CONFLICT (slo_id) DO UPDATE SET reset_at = CASE WHEN excluded.reset_at > slo_resets.reset_at \
         THEN excluded.reset_at ELSE slo_resets.reset_at + 1 END"
    ).bind(slo).bind(now_millis()).execute(c).await.map(|_| ()))?;
    Ok(())
}

async fn put_rows(batch: &mut super::Batch, rows: &[SliRow], at: i64) -> Result<()> {
    // One row per bucket, the last given (a statement cannot update a row twice).
    let mut last: std::collections::HashMap<(&str, i64), usize> =
        std::collections::HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        last.insert((r.slo.as_str(), r.start), i);
    }
    let unique: Vec<&SliRow> = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| last.get(&(r.slo.as_str(), r.start)) == Some(i))
        .map(|(_, r)| r)
        .collect();
    for chunk in unique.chunks(CHUNK) {
        on_tx!(&mut batch.tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO sli_buckets (slo_id, start_ms, good, total, source, written_at) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(&r.slo)
                    .push_bind(r.start)
                    .push_bind(r.good)
                    .push_bind(r.total)
                    .push_bind(&r.source)
                    .push_bind(at);
            });
            qb.push(
                " ON CONFLICT (slo_id, start_ms) DO UPDATE SET good = excluded.good, \
                 total = excluded.total, source = excluded.source, written_at = excluded.written_at",
            );
            qb.build().execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}
