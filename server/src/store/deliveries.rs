//! Raw deliveries: every payload as received, accepted or rejected, kept so that data can be
//! replayed when mapping rules change.
//!
//! - Payloads are stored as bytes (`payload`), exactly as received: a NUL byte or invalid UTF-8
//!   cannot make the row fail on PostgreSQL, and replay gets the original.
//! - A rejected payload larger than the cap keeps its head, with the SHA-256 of the whole.
//! - Retention ([`Store::prune_deliveries`]) removes rows by age and keeps the total size under
//!   a bound, oldest first. The events the accepted ones carried stay in `events`.

use super::{Batch, Result, Store, Tx, Verdict};
use bytes::Bytes;
use nagare_core::api::{DeliveryQuery, DeliveryRow as ApiDeliveryRow, Page, VerdictCounts};
use nagare_core::text::capped;
use nagare_core::Timestamp;

/// A payload as it was received, kept whatever its verdict.
#[derive(Debug, Clone)]
pub struct RawDelivery {
    pub source: String,
    pub delivery_id: Option<String>,
    /// The event type the source named (GitHub's `X-GitHub-Event`), when it names one.
    pub event: Option<String>,
    pub content_type: Option<String>,
    /// The size received, in bytes.
    pub size_bytes: i64,
    /// The bytes received; `None` when they are kept elsewhere (an imported file).
    pub payload: Option<Bytes>,
}

/// A stored delivery, for the store suite and the admin pages.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: i64,
    pub received_at: Timestamp,
    pub source: String,
    /// The id the source gave the delivery, if any.
    pub delivery_id: Option<String>,
    /// The event type the source named, if any.
    pub event: Option<String>,
    pub verdict: String,
    pub detail: Option<String>,
    pub size_bytes: i64,
    /// What is kept of the payload (its head when `truncated`).
    pub payload: Option<Vec<u8>>,
    pub truncated: bool,
    /// SHA-256 of the whole payload, kept when only its head is.
    pub payload_sha256: Option<String>,
}

const ROW_COLUMNS: &str =
    "id, received_at, source, delivery_id, event, verdict, detail, size_bytes, truncated";

type ApiRowTuple = (
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    i64,
    i64,
);

fn api_row(r: ApiRowTuple) -> ApiDeliveryRow {
    ApiDeliveryRow {
        id: r.0,
        received_at: Timestamp(r.1),
        source: r.2,
        delivery_id: r.3,
        event: r.4,
        verdict: r.5,
        detail: r.6,
        size_bytes: r.7,
        truncated: r.8 != 0,
    }
}

/// Longest verdict detail kept.
pub(super) const DETAIL_CHARS: usize = 2000;

impl Batch {
    /// Keeps `raw` with its verdict in this batch; at most `keep_bytes` of it when rejected.
    pub async fn record_delivery(
        &mut self,
        raw: &RawDelivery,
        verdict: Verdict,
        detail: Option<&str>,
    ) -> Result<()> {
        self.record_delivery_capped(raw, verdict, detail, usize::MAX)
            .await
    }

    /// Which of these delivery ids of `source` were stored or ignored before (as
    /// [`Store::delivered`]), read inside this batch's transaction.
    pub(crate) async fn delivered_ids(
        &mut self,
        source: &str,
        ids: &[&str],
    ) -> Result<std::collections::HashSet<String>> {
        let mut found = std::collections::HashSet::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<String> = on_tx!(&mut self.tx, c => {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT delivery_id FROM raw_deliveries WHERE verdict NOT IN ('rejected', 'unmapped') AND source = ",
                );
                qb.push_bind(capped(source, 100));
                qb.push(" AND delivery_id IN (");
                let mut sep = qb.separated(", ");
                for id in chunk {
                    sep.push_bind(capped(id, 200));
                }
                qb.push(")");
                qb.build_query_scalar().fetch_all(c).await
            })?;
            found.extend(rows);
        }
        Ok(found)
    }

    /// Keeps several accepted deliveries, each whole with its detail, in one statement.
    pub(crate) async fn record_accepted(
        &mut self,
        raws: &[(&RawDelivery, Option<&str>)],
    ) -> Result<()> {
        let now = super::now_millis();
        for chunk in raws.chunks(64) {
            on_tx!(&mut self.tx, c => {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO raw_deliveries (received_at, source, delivery_id, content_type, size_bytes, payload, payload_sha256, truncated, stored_bytes, verdict, detail, event) ",
                );
                qb.push_values(chunk, |mut b, (raw, detail)| {
                    let kept = raw.payload.as_deref();
                    b.push_bind(now)
                        .push_bind(capped(&raw.source, 100))
                        .push_bind(raw.delivery_id.as_deref().map(|d| capped(d, 200)))
                        .push_bind(raw.content_type.as_deref().map(|c| capped(c, 200)))
                        .push_bind(raw.size_bytes)
                        .push_bind(kept)
                        .push_bind(None::<String>)
                        .push_bind(0_i64)
                        .push_bind(kept.map_or(0, |k| k.len() as i64))
                        .push_bind(Verdict::Accepted.as_str())
                        .push_bind(detail.map(|d| capped(d, DETAIL_CHARS)))
                        .push_bind(raw.event.as_deref().map(|e| capped(e, 100)));
                });
                qb.build().execute(c).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    pub(crate) async fn record_delivery_capped(
        &mut self,
        raw: &RawDelivery,
        verdict: Verdict,
        detail: Option<&str>,
        keep_bytes: usize,
    ) -> Result<()> {
        let whole = raw.payload.as_deref();
        let truncated = whole.is_some_and(|p| p.len() > keep_bytes);
        let kept = whole.map(|p| &p[..p.len().min(keep_bytes)]);
        let digest = whole.filter(|_| truncated).map(crate::auth::hex_sha256);
        let detail = detail.map(|d| capped(d, DETAIL_CHARS));
        on_tx!(&mut self.tx, c => sqlx::query(
            "INSERT INTO raw_deliveries (received_at, source, delivery_id, content_type, size_bytes, payload, payload_sha256, truncated, stored_bytes, verdict, detail, event) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        )
        .bind(super::now_millis())
        .bind(capped(&raw.source, 100))
        .bind(raw.delivery_id.as_deref().map(|d| capped(d, 200)))
        .bind(raw.content_type.as_deref().map(|c| capped(c, 200)))
        .bind(raw.size_bytes)
        .bind(kept)
        .bind(digest)
        .bind(i64::from(truncated))
        .bind(kept.map_or(0, |k| k.len() as i64))
        .bind(verdict.as_str())
        .bind(detail)
        .bind(raw.event.as_deref().map(|e| capped(e, 100)))
        .execute(c).await.map(|_| ()))?;
        Ok(())
    }
}

impl Store {
    /// Keeps a payload that was rejected (its first `keep_bytes` when larger, with the digest
    /// of the whole); nothing of it reaches the events table.
    pub async fn record_rejected(
        &self,
        raw: &RawDelivery,
        detail: &str,
        keep_bytes: usize,
    ) -> Result<()> {
        let mut batch = self.begin().await?;
        batch
            .record_delivery_capped(raw, Verdict::Rejected, Some(detail), keep_bytes)
            .await?;
        batch.commit().await
    }

    /// Keeps a verified delivery that maps to no events, with the reason.
    pub async fn record_ignored(&self, raw: &RawDelivery, reason: &str) -> Result<()> {
        self.record_whole(raw, Verdict::Ignored, reason).await
    }

    /// Keeps a verified delivery that needs a mapping rule it lacks, with the rule to add;
    /// a replay after the rule is added maps it.
    pub async fn record_unmapped(&self, raw: &RawDelivery, reason: &str) -> Result<()> {
        self.record_whole(raw, Verdict::Unmapped, reason).await
    }

    async fn record_whole(&self, raw: &RawDelivery, verdict: Verdict, reason: &str) -> Result<()> {
        let mut batch = self.begin().await?;
        batch
            .record_delivery_capped(raw, verdict, Some(reason), usize::MAX)
            .await?;
        batch.commit().await
    }

    /// Whether `source` already delivered `delivery_id` and it was stored or ignored (a
    /// rejected one may be sent again, and so may an unmapped one once its rule exists).
    pub async fn delivered(&self, source: &str, delivery_id: &str) -> Result<bool> {
        let n: i64 = on_backend!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM raw_deliveries WHERE source = $1 AND delivery_id = $2 AND verdict NOT IN ('rejected', 'unmapped')"
        )
        .bind(capped(source, 100))
        .bind(capped(delivery_id, 200))
        .fetch_one(p).await)?;
        Ok(n > 0)
    }

    /// Counts a redelivery of `source` answered as a duplicate (not stored again).
    pub async fn count_duplicate(&self, source: &str) -> Result<()> {
        on_backend!(self, p => sqlx::query(
            "INSERT INTO source_stats (source, stat, value) VALUES ($1, 'duplicate', 1) \
             ON CONFLICT (source, stat) DO UPDATE SET value = source_stats.value + 1"
        ).bind(capped(source, 100)).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// A source's deliveries by verdict, its last delivery and its last `ping`.
    pub async fn source_stats(
        &self,
        source: &str,
    ) -> Result<(VerdictCounts, Option<Timestamp>, Option<Timestamp>)> {
        let source = capped(source, 100);
        let rows: Vec<(String, i64, i64)> = on_backend!(self, p => sqlx::query_as(
            "SELECT verdict, COUNT(*), MAX(received_at) FROM raw_deliveries WHERE source = $1 GROUP BY verdict"
        ).bind(&source).fetch_all(p).await)?;
        let duplicate: Option<i64> = on_backend!(self, p => sqlx::query_scalar(
            "SELECT value FROM source_stats WHERE source = $1 AND stat = 'duplicate'"
        ).bind(&source).fetch_optional(p).await)?;
        let ping: Option<i64> = on_backend!(self, p => sqlx::query_scalar(
            "SELECT MAX(received_at) FROM raw_deliveries WHERE source = $1 AND event = 'ping'"
        ).bind(&source).fetch_one(p).await)?;
        let mut counts = VerdictCounts {
            duplicate: duplicate.unwrap_or(0).max(0) as u64,
            ..VerdictCounts::default()
        };
        let mut last = None;
        for (verdict, n, at) in rows {
            let n = n.max(0) as u64;
            match verdict.as_str() {
                "accepted" => counts.accepted += n,
                "ignored" => counts.ignored += n,
                "unmapped" => counts.unmapped += n,
                _ => counts.rejected += n,
            }
            last = last.max(Some(at));
        }
        Ok((counts, last.map(Timestamp), ping.map(Timestamp)))
    }

    /// The newest `limit` unmapped payloads of `source`, with when each arrived.
    pub async fn unmapped_payloads(&self, source: &str, limit: i64) -> Result<Vec<(i64, Vec<u8>)>> {
        let rows: Vec<(i64, Option<Vec<u8>>)> = on_backend!(self, p => sqlx::query_as(
            "SELECT received_at, payload FROM raw_deliveries WHERE source = $1 AND verdict = 'unmapped' ORDER BY id DESC LIMIT $2"
        ).bind(capped(source, 100)).bind(limit).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(at, p)| p.map(|p| (at, p)))
            .collect())
    }

    /// A page of deliveries, newest first, filtered by source, verdict and event.
    pub async fn delivery_page(&self, q: &DeliveryQuery) -> Result<Page<ApiDeliveryRow>> {
        let filter =
            "($1 = '' OR source = $1) AND ($2 = '' OR verdict = $2) AND ($3 = '' OR event = $3)";
        let count_sql = format!("SELECT COUNT(*) FROM raw_deliveries WHERE {filter}");
        let rows_sql = format!(
            "SELECT {ROW_COLUMNS} FROM raw_deliveries WHERE {filter} ORDER BY id DESC LIMIT $4 OFFSET $5"
        );
        let text = |v: &Option<String>| v.as_deref().map_or(String::new(), |s| capped(s, 200));
        let (source, verdict, event) = (text(&q.source), text(&q.verdict), text(&q.event));
        let per_page = i64::from(q.per_page);
        let offset = i64::from(q.page.saturating_sub(1)) * per_page;
        let total: i64 = on_backend!(self, p => sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.clone()))
            .bind(&source).bind(&verdict).bind(&event).fetch_one(p).await)?;
        let rows: Vec<ApiRowTuple> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(rows_sql.clone()))
            .bind(&source).bind(&verdict).bind(&event).bind(per_page).bind(offset)
            .fetch_all(p).await)?;
        Ok(Page {
            items: rows.into_iter().map(api_row).collect(),
            total: total.max(0) as u64,
            page: q.page,
            per_page: q.per_page,
        })
    }

    /// One delivery and its kept payload.
    pub async fn delivery(&self, id: i64) -> Result<Option<(ApiDeliveryRow, Option<Vec<u8>>)>> {
        let sql = format!("SELECT {ROW_COLUMNS}, payload, body FROM raw_deliveries WHERE id = $1");
        type WithPayload = (
            i64,
            i64,
            String,
            Option<String>,
            Option<String>,
            String,
            Option<String>,
            i64,
            i64,
            Option<Vec<u8>>,
            Option<String>,
        );
        let row: Option<WithPayload> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id).fetch_optional(p).await)?;
        Ok(row.map(|r| {
            let payload = r.9.or_else(|| r.10.map(String::into_bytes));
            (
                api_row((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8)),
                payload,
            )
        }))
    }

    /// Raw deliveries, newest first.
    pub async fn recent_deliveries(&self, limit: i64) -> Result<Vec<DeliveryRow>> {
        type RowTuple = (
            i64,
            i64,
            String,
            String,
            Option<String>,
            i64,
            Option<Vec<u8>>,
            Option<String>,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<RowTuple> = on_backend!(self, p => sqlx::query_as(
            "SELECT id, received_at, source, verdict, detail, size_bytes, payload, body, truncated, payload_sha256, event, delivery_id \
             FROM raw_deliveries ORDER BY id DESC LIMIT $1"
        ).bind(limit).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|r| DeliveryRow {
                id: r.0,
                received_at: Timestamp(r.1),
                source: r.2,
                verdict: r.3,
                detail: r.4,
                size_bytes: r.5,
                // Rows from before payloads were bytes kept their text in `body`.
                payload: r.6.or_else(|| r.7.map(String::into_bytes)),
                truncated: r.8 != 0,
                payload_sha256: r.9,
                event: r.10,
                delivery_id: r.11,
            })
            .collect())
    }

    /// Retention: deletes deliveries received before `before` (when given), then the oldest
    /// until what the rest hold is at most `max_total_bytes` (when given). Returns the rows
    /// deleted by age and by size.
    pub async fn prune_deliveries(
        &self,
        before: Option<i64>,
        max_total_bytes: Option<i64>,
    ) -> Result<(u64, u64)> {
        let by_age = match before {
            Some(t) => {
                on_backend!(self, p => sqlx::query("DELETE FROM raw_deliveries WHERE received_at < $1")
                .bind(t).execute(p).await.map(|r| r.rows_affected()))?
            }
            None => 0,
        };
        let by_size = match max_total_bytes {
            // Newest first, a running total of what each row and the newer ones hold: every
            // row where it passes the bound goes.
            Some(max) => on_backend!(self, p => sqlx::query(
                "DELETE FROM raw_deliveries WHERE id IN (\
                   SELECT id FROM (\
                     SELECT id, SUM(stored_bytes + COALESCE(LENGTH(detail), 0)) OVER (ORDER BY id DESC) AS running \
                     FROM raw_deliveries) newer \
                   WHERE running > $1)"
            ).bind(max).execute(p).await.map(|r| r.rows_affected()))?,
            None => 0,
        };
        Ok((by_age, by_size))
    }

    /// What the deliveries hold in all, in bytes (payloads and details).
    pub async fn deliveries_size(&self) -> Result<i64> {
        let n: i64 = on_backend!(self, p => sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(stored_bytes + COALESCE(LENGTH(detail), 0)), 0) AS BIGINT) FROM raw_deliveries"
        ).fetch_one(p).await)?;
        Ok(n)
    }
}
