//! Storing one page of a backfill: its objects as the deliveries that would have carried
//! them, and the phase's cursor, in one transaction.

use super::{RepoReport, Run, Synth};
use crate::sources::{Mapped, Source};
use crate::store::{RawDelivery, Store, Verdict};
use axum::http::{header, HeaderMap, HeaderValue};
use nagare_core::github::Versioned;

impl Run<'_> {
    /// Stores a page's deliveries and the phase's cursor in one transaction.
    pub(super) async fn store_page(
        &self,
        synth: Vec<Synth>,
        cursor: (&str, &str),
        next: Option<&str>,
        last_page: Option<u64>,
        report: &mut RepoReport,
    ) -> anyhow::Result<()> {
        let cursor = Cursor {
            repo: cursor.0,
            phase: cursor.1,
            next,
            last_page,
        };
        store_synthesized(self.store, self.source, synth, Some(cursor), report).await
    }
}

/// Where a backfill phase stands after a page: its next page, and how many its list has.
pub(crate) struct Cursor<'a> {
    pub(crate) repo: &'a str,
    pub(crate) phase: &'a str,
    pub(crate) next: Option<&'a str>,
    pub(crate) last_page: Option<u64>,
}

/// Stores `synth` (objects as the GitHub deliveries that would have carried them) in one
/// transaction, with a backfill phase's `cursor` and next page when given: mapped by
/// `source` as webhooks are, deduplicated by delivery id, merged, kept raw with their
/// verdicts.
pub(crate) async fn store_synthesized(
    store: &Store,
    source: &dyn Source,
    synth: Vec<Synth>,
    cursor: Option<Cursor<'_>>,
    report: &mut RepoReport,
) -> anyhow::Result<()> {
    let mut mapped = Vec::with_capacity(synth.len());
    for s in synth {
        let bytes = bytes::Bytes::from(serde_json::to_vec(&s.body)?);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            crate::sources::github::EVENT_HEADER,
            HeaderValue::from_static(s.event),
        );
        let result = source.map(&headers, &bytes);
        let raw = RawDelivery {
            source: "github".into(),
            delivery_id: Some(s.id),
            event: Some(s.event.to_owned()),
            content_type: Some("application/json".into()),
            size_bytes: bytes.len() as i64,
            payload: Some(bytes),
        };
        mapped.push((raw, result));
    }
    let mut batch = store.begin().await?;
    let ids: Vec<&str> = mapped
        .iter()
        .filter_map(|(r, _)| r.delivery_id.as_deref())
        .collect();
    let seen = batch.delivered_ids("github", &ids).await?;
    let mut writes: Vec<&[Versioned]> = Vec::new();
    let mut accepted: Vec<(&RawDelivery, Option<String>)> = Vec::new();
    let mut merge = None;
    let mut fresh = std::collections::HashSet::new();
    for (raw, result) in &mapped {
        let id = raw.delivery_id.as_deref().unwrap_or_default();
        if seen.contains(id) || !fresh.insert(id) {
            report.duplicates += 1;
            continue;
        }
        match result {
            Ok(Mapped::Merged(events, m, notes)) => {
                merge = Some(*m);
                writes.push(events);
                accepted.push((raw, (!notes.is_empty()).then(|| notes.join("; "))));
            }
            Ok(Mapped::Ping(r) | Mapped::Ignored(r)) => {
                report.kept_only += 1;
                batch
                    .record_delivery(raw, Verdict::Ignored, Some(r))
                    .await?;
            }
            Ok(Mapped::Unmapped(r)) => {
                report.kept_only += 1;
                batch
                    .record_delivery(raw, Verdict::Unmapped, Some(r))
                    .await?;
            }
            Ok(Mapped::Events(..)) => {}
            Err(e) => {
                report.kept_only += 1;
                batch
                    .record_delivery(raw, Verdict::Rejected, Some(&e.to_string()))
                    .await?;
            }
        }
    }
    if let Some(merge) = merge {
        for c in batch.merge_writes(&writes, merge).await? {
            report.stored += c.accepted;
        }
    }
    let raws: Vec<(&RawDelivery, Option<&str>)> =
        accepted.iter().map(|(r, d)| (*r, d.as_deref())).collect();
    batch.record_accepted(&raws).await?;
    if let Some(c) = cursor {
        let last = c.last_page.and_then(|p| i64::try_from(p).ok());
        batch
            .backfill_advance(("github", c.repo, c.phase), c.next, ids.len() as i64, last)
            .await?;
    }
    batch.commit().await?;
    Ok(())
}
