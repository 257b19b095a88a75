//! Reading a source's billing periods into the store (docs/cost.md, "Restatements"):
//!
//! 1. List the location: the Data Exports layout (one entry per billing period, its files named
//!    by its manifest) or loose files.
//! 2. Skip a period whose stored version and allocation rules are the ones listed (and one whose
//!    listed version was already refused); note a period with data but no manifest yet as
//!    waiting (a half-written delivery is never read).
//! 3. Read every file of a period and sum its rows into daily rows. A file with more bad rows
//!    than `cost.max_bad_rows` refuses the period: nothing of it is stored and the version stored
//!    before stays.
//! 4. Replace the period's rows in one transaction.
//!
//! Fetch and database errors end the run without marking anything: the next run tries again.

use super::aggregate::Aggregator;
use super::layout::{self, Listing, PeriodState};
use super::read::{self, Rejected};
use super::{DailyCost, Problem};
use crate::config::CostConfig;
use crate::store::{PeriodMeta, PeriodRow, Store, MAX_COST_PROBLEMS};
use nagare_core::api::CostProblem;
use std::collections::BTreeMap;

/// What happened to one billing period.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Its rows were replaced: export rows read, rows skipped, daily rows stored.
    Ingested {
        rows: u64,
        skipped: u64,
        daily: usize,
    },
    /// The version stored is the one listed.
    Unchanged,
    /// Data files without a manifest: a delivery still being written.
    Waiting,
    /// Refused (too many bad rows, an unreadable file); what was stored before stays.
    Refused { error: String },
}

/// One period's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodOutcome {
    pub period: String,
    pub outcome: Outcome,
}

/// What a run did, period by period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    pub source: String,
    pub periods: Vec<PeriodOutcome>,
}

impl Report {
    /// `2 ingested, 1 unchanged, 1 waiting, 0 refused`.
    pub fn summary(&self) -> String {
        let count = |f: fn(&Outcome) -> bool| self.periods.iter().filter(|p| f(&p.outcome)).count();
        format!(
            "{}: {} billing period(s) ingested, {} unchanged, {} waiting for a manifest, {} refused",
            self.source,
            count(|o| matches!(o, Outcome::Ingested { .. })),
            count(|o| matches!(o, Outcome::Unchanged)),
            count(|o| matches!(o, Outcome::Waiting)),
            count(|o| matches!(o, Outcome::Refused { .. })),
        )
    }

    pub fn refused(&self) -> usize {
        self.periods
            .iter()
            .filter(|p| matches!(p.outcome, Outcome::Refused { .. }))
            .count()
    }
}

/// Progress, for the command's bar.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The files to read, and their bytes.
    Planned {
        files: usize,
        bytes: u64,
    },
    /// A file was read.
    FileRead {
        name: String,
        bytes: u64,
        rows: u64,
    },
    Period(PeriodOutcome),
}

/// A digest of what allocation depends on: when it changes, stored periods are read again.
pub fn rules_key(cfg: &CostConfig) -> String {
    let text = serde_json::json!({
        "team_tags": cfg.team_tags,
        "service_tags": cfg.service_tags,
        "account_teams": cfg.account_teams,
        "ci_accounts": cfg.ci_accounts,
        "ci_services": cfg.ci_services,
    })
    .to_string();
    crate::auth::hex_sha256(text.as_bytes())[..16].to_owned()
}

/// The problems as stored (JSON), at most [`MAX_COST_PROBLEMS`].
pub fn problems_json(problems: &[Problem]) -> Option<String> {
    if problems.is_empty() {
        return None;
    }
    let rows: Vec<CostProblem> = problems
        .iter()
        .take(MAX_COST_PROBLEMS)
        .map(|p| CostProblem {
            file: p.file.clone(),
            row: p.row,
            column: p.column.clone(),
            message: p.message.clone(),
        })
        .collect();
    serde_json::to_string(&rows).ok()
}

/// Whether a stored period is current for `version` under `rules`.
fn current(stored: Option<&PeriodRow>, version: &str, rules: &str) -> bool {
    stored.is_some_and(|s| {
        (s.state == "ingested"
            && s.version.as_deref() == Some(version)
            && s.rules_key.as_deref() == Some(rules))
            || (s.state == "failed" && s.tried_version.as_deref() == Some(version))
    })
}

/// What a run starts from: the source's stored periods by billing period, the rules' digest,
/// and an empty report.
async fn begin(
    store: &Store,
    cfg: &CostConfig,
    source: &str,
) -> anyhow::Result<(BTreeMap<String, PeriodRow>, String, Report)> {
    let stored = store
        .cost_periods()
        .await?
        .into_iter()
        .filter(|p| p.source == source)
        .map(|p| (p.billing_period.clone(), p))
        .collect();
    let report = Report {
        source: source.to_owned(),
        periods: Vec::new(),
    };
    Ok((stored, rules_key(cfg), report))
}

/// Reads `location` (a directory or `s3://` URL) as source `source`.
pub async fn run(
    store: &Store,
    cfg: &CostConfig,
    source: &str,
    location: &str,
    force: bool,
    step: &mut (dyn FnMut(Step) + Send),
) -> anyhow::Result<Report> {
    let loc = layout::parse_location(location).map_err(anyhow::Error::msg)?;
    let (objects, prefix) = layout::open(&loc, &cfg.s3)
        .await
        .map_err(anyhow::Error::msg)?;
    let listing = layout::list(objects.as_ref(), &prefix)
        .await
        .map_err(anyhow::Error::msg)?;
    let (stored, rules, mut report) = begin(store, cfg, source).await?;
    let done = |report: &mut Report,
                period: &str,
                outcome: Outcome,
                step: &mut (dyn FnMut(Step) + Send)| {
        let p = PeriodOutcome {
            period: period.to_owned(),
            outcome,
        };
        step(Step::Period(p.clone()));
        report.periods.push(p);
    };
    match listing {
        Listing::Periods(periods) => {
            let todo: Vec<_> = periods
                .iter()
                .filter(|p| {
                    p.state == PeriodState::Ready
                        && (force || !current(stored.get(&p.period), &p.version, &rules))
                })
                .collect();
            step(Step::Planned {
                files: todo.iter().map(|p| p.files.len()).sum(),
                bytes: todo.iter().flat_map(|p| &p.files).map(|f| f.size).sum(),
            });
            for p in &periods {
                if p.state == PeriodState::Waiting {
                    store.cost_period_waiting(source, &p.period).await?;
                    done(&mut report, &p.period, Outcome::Waiting, step);
                    continue;
                }
                if !force && current(stored.get(&p.period), &p.version, &rules) {
                    done(&mut report, &p.period, Outcome::Unchanged, step);
                    continue;
                }
                let read = read_files(objects.as_ref(), &p.files, cfg, step).await?;
                let outcome = match read {
                    Err(rejected) => {
                        store
                            .cost_period_failed(
                                source,
                                &p.period,
                                &p.version,
                                &refusal(&rejected),
                                problems_json(&rejected.problems).as_deref(),
                            )
                            .await?;
                        // The file's refusal, then each bad row (file, row, column).
                        Outcome::Refused {
                            error: rejected.to_string(),
                        }
                    }
                    Ok(mut got) => {
                        // The partition names the period; a row saying otherwise is counted in it.
                        for r in &mut got.daily {
                            r.billing_period.clone_from(&p.period);
                        }
                        let meta = got.meta(&p.version, &rules, p.files.len());
                        store
                            .replace_cost_period(source, &p.period, &got.daily, &meta)
                            .await?;
                        Outcome::Ingested {
                            rows: got.rows,
                            skipped: got.problems.len() as u64,
                            daily: got.daily.len(),
                        }
                    }
                };
                done(&mut report, &p.period, outcome, step);
            }
        }
        Listing::Loose { files, version } => {
            step(Step::Planned {
                files: files.len(),
                bytes: files.iter().map(|f| f.size).sum(),
            });
            match read_files(objects.as_ref(), &files, cfg, step).await? {
                Err(rejected) => {
                    // Which periods the refused file held is unknown: nothing is stored.
                    anyhow::bail!("{rejected}");
                }
                Ok(got) => {
                    let mut by_period: BTreeMap<String, Vec<DailyCost>> = BTreeMap::new();
                    for r in got.daily.iter().cloned() {
                        by_period
                            .entry(r.billing_period.clone())
                            .or_default()
                            .push(r);
                    }
                    // The bad rows skipped are the files', not a period's: told once, with the
                    // first period written.
                    let mut problems = Some(got.problems.clone());
                    for (period, rows) in by_period {
                        let v = format!("{version}:{period}");
                        if !force && current(stored.get(&period), &v, &rules) {
                            done(&mut report, &period, Outcome::Unchanged, step);
                            continue;
                        }
                        let mut meta = got.meta(&v, &rules, files.len());
                        meta.rows_read = rows.iter().map(|r| r.rows as i64).sum();
                        let skipped = problems.take().unwrap_or_default();
                        meta.rows_skipped = skipped.len() as i64;
                        meta.problems = problems_json(&skipped);
                        store
                            .replace_cost_period(source, &period, &rows, &meta)
                            .await?;
                        done(
                            &mut report,
                            &period,
                            Outcome::Ingested {
                                rows: meta.rows_read.max(0) as u64,
                                skipped: skipped.len() as u64,
                                daily: rows.len(),
                            },
                            step,
                        );
                    }
                }
            }
        }
    }
    Ok(report)
}

/// What the files of a period (or a set of loose files) held.
struct Read {
    daily: Vec<DailyCost>,
    rows: u64,
    problems: Vec<Problem>,
    format: String,
}

impl Read {
    fn meta(&self, version: &str, rules: &str, files: usize) -> PeriodMeta {
        PeriodMeta {
            version: version.to_owned(),
            format: self.format.clone(),
            files: files as i64,
            rows_read: self.rows as i64,
            rows_skipped: self.problems.len() as i64,
            rules_key: rules.to_owned(),
            problems: problems_json(&self.problems),
        }
    }
}

/// The message of a refused file.
fn refusal(r: &Rejected) -> String {
    let whole = r.problems.iter().find(|p| p.row == 0);
    match whole {
        Some(p) => p.to_string(),
        None => match r.problems.first() {
            Some(p) => format!("a file was refused: {p}"),
            None => "a file was refused".into(),
        },
    }
}

/// Reads `files` in turn into one aggregation; the first refused file refuses them all.
async fn read_files(
    objects: &dyn object_store::ObjectStore,
    files: &[layout::ExportFile],
    cfg: &CostConfig,
    step: &mut (dyn FnMut(Step) + Send),
) -> anyhow::Result<Result<Read, Rejected>> {
    let mut agg = Aggregator::new(cfg);
    let mut problems = Vec::new();
    let mut formats: Vec<String> = Vec::new();
    for f in files {
        let bytes = layout::fetch(objects, &f.path)
            .await
            .map_err(anyhow::Error::msg)?;
        let name = f.path.to_string();
        let size = bytes.len() as u64;
        let max_bad = cfg.max_bad_rows;
        // Parsing is CPU work: off the async threads.
        let (result, back) = tokio::task::spawn_blocking(move || {
            let mut agg = agg;
            let r = read::read_file(&name, bytes, max_bad, &mut |line| agg.add(line));
            (r, agg)
        })
        .await?;
        agg = back;
        match result {
            Err(rejected) => return Ok(Err(rejected)),
            Ok(got) => {
                step(Step::FileRead {
                    name: f.path.to_string(),
                    bytes: size,
                    rows: got.rows,
                });
                if !formats.contains(&got.format) {
                    formats.push(got.format);
                }
                problems.extend(got.skipped);
            }
        }
    }
    let rows = agg.rows();
    Ok(Ok(Read {
        daily: agg.finish(),
        rows,
        problems,
        format: formats.join(", "),
    }))
}

/// The billing periods Athena reads on a run: the `months` latest, this month first.
pub fn athena_periods(now_ms: i64, months: u32) -> Vec<String> {
    let mut day = nagare_core::cost::day_of_ms(now_ms);
    let mut out = Vec::new();
    for _ in 0..months.max(1) {
        out.push(nagare_core::cost::series::month_text(day));
        day = nagare_core::cost::series::month_start(day) - 1;
    }
    out
}

/// Reads the latest billing periods through Athena: each period's daily aggregates replace the
/// stored ones when they differ (their digest is the version).
pub async fn run_athena(
    store: &Store,
    cfg: &CostConfig,
    athena: &super::athena::Athena,
    source: &str,
    periods: &[String],
    force: bool,
    step: &mut (dyn FnMut(Step) + Send),
) -> anyhow::Result<Report> {
    let (stored, rules, mut report) = begin(store, cfg, source).await?;
    for period in periods {
        let mut rows = athena
            .period(period)
            .await
            .map_err(|e| anyhow::anyhow!("billing period {period}: {e}"))?;
        // Athena answers in any order, and sums merged in another order can differ in the last
        // bit: a fixed order keeps the same answer the same version.
        rows.sort_by_cached_key(|r| format!("{r:?}"));
        let read: u64 = rows.iter().map(|r| r.rows).sum();
        let mut daily = super::athena::to_daily(rows, cfg);
        for r in &mut daily {
            r.billing_period.clone_from(period);
        }
        let digest = crate::auth::hex_sha256(format!("{daily:?}").as_bytes());
        let version = format!("athena:{}", &digest[..16]);
        let outcome = if !force && current(stored.get(period), &version, &rules) {
            Outcome::Unchanged
        } else {
            let meta = PeriodMeta {
                version,
                format: "athena".into(),
                files: 0,
                rows_read: read as i64,
                rows_skipped: 0,
                rules_key: rules.clone(),
                problems: None,
            };
            store
                .replace_cost_period(source, period, &daily, &meta)
                .await?;
            Outcome::Ingested {
                rows: read,
                skipped: 0,
                daily: daily.len(),
            }
        };
        let p = PeriodOutcome {
            period: period.clone(),
            outcome,
        };
        step(Step::Period(p.clone()));
        report.periods.push(p);
    }
    Ok(report)
}
