//! `nagare import FILE.ndjson`: a bulk load in one atomic batch, with a progress bar.

use crate::store::{RawDelivery, Store, Verdict};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use nagare_core::events::parse_line;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Payloads up to this size are kept inline as the raw delivery; larger files are recorded by
/// name, size and line count (the file itself is the raw copy).
const RAW_INLINE_LIMIT: u64 = 16 * 1024 * 1024;
/// Events handed to the store at once, inside the single transaction.
const CHUNK: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub lines: usize,
    pub accepted: u64,
    pub updated: u64,
}

/// Imports every event in `path`, or none: the first bad line aborts and rolls back.
pub async fn import_file(
    store: &Store,
    path: &Path,
    progress: bool,
) -> anyhow::Result<ImportSummary> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = if progress {
        ProgressBar::new(size)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} [{bar:40}] {msg} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut batch = store.begin().await?;
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut line = String::new();
    let mut number = 0usize;
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .with_context(|| format!("cannot read {} after line {number}", path.display()))?;
        if n == 0 {
            break;
        }
        number += 1;
        bar.inc(n as u64);
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line.trim_end_matches(['\n', '\r']), number) {
            Ok(nagare_core::events::Event::SliSample(_)) => {
                batch.rollback().await?;
                bar.abandon_with_message("failed");
                anyhow::bail!("{}:{number}: an `sli_sample` is an SLO's counts, not an event to import; post samples to POST /api/v1/events in batches of their own (docs/slo.md). Nothing was imported.", path.display());
            }
            Ok(e) => chunk.push(e),
            Err(e) => {
                batch.rollback().await?;
                bar.abandon_with_message("failed");
                let field = e
                    .field
                    .map(|f| format!(" (field `{f}`)"))
                    .unwrap_or_default();
                anyhow::bail!("{}:{}: {}{field}. Nothing was imported; fix the line and run the import again.", path.display(), e.line, e.error);
            }
        }
        if chunk.len() >= CHUNK {
            batch.add(std::mem::take(&mut chunk)).await?;
            bar.set_message(format!("{number} lines"));
        }
    }
    batch.add(chunk).await?;
    let payload = if size <= RAW_INLINE_LIMIT {
        let mut bytes = Vec::new();
        std::fs::File::open(path)?.read_to_end(&mut bytes)?;
        Some(bytes.into())
    } else {
        None
    };
    let raw = RawDelivery {
        source: "import".into(),
        event: None,
        delivery_id: Some(path.display().to_string()),
        content_type: Some("application/x-ndjson".into()),
        size_bytes: size as i64,
        payload,
    };
    batch
        .record_delivery(&raw, Verdict::Accepted, Some(&format!("{number} lines")))
        .await?;
    let (counts, _) = batch.commit_with_rev().await?;
    bar.finish_with_message(format!("{number} lines"));
    Ok(ImportSummary {
        lines: number,
        accepted: counts.accepted,
        updated: counts.updated,
    })
}
