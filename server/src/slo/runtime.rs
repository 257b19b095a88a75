//! The SLOs a process serves: the definitions (files read at start, plus those made in the
//! portal, read from the database), and each SLI's counts held in memory as a [`Series`] for the
//! windows the API reads, so that evaluating every SLO is a few subtractions each.
//!
//! Counts are written to `sli_buckets` (by the Prometheus sync, pushed samples, or another
//! replica) and picked up by [`Slos::refresh`]: the buckets written since the last refresh,
//! re-read with a margin so that a transaction committed late is not missed (writing a bucket
//! again replaces it, so reading it twice changes nothing). An instant older than what is held
//! is read from the database for that request.

use super::defs::{load_dir, Problem};
use crate::config::{Config, SloConfig};
use crate::store::{SliRow, Store, StoreError, SyncRow};
use nagare_core::slo::budget::{Severity, DAY, HOUR, MINUTE};
use nagare_core::slo::{default_rules, AlertRule, Series, SloDef, Window};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, RwLock};

/// How long a read may use definitions and counts without asking the database again.
const FRESH: Duration = Duration::from_millis(500);
/// How far back each refresh re-reads written buckets: a transaction that began before the last
/// refresh (its rows carry the writer's clock at its start) but committed after it. Batches of
/// samples and sync passes commit within a second; the margin also covers the replicas' clocks
/// differing by a few seconds.
const MARGIN_MS: i64 = 5_000;
/// What the alerts and the exhaustion forecast read before a window: 7 days.
const BEFORE_WINDOW: i64 = 7 * DAY;
/// Held beyond an SLO's horizon, so that an instant up to this long ago is evaluated from memory.
const HELD_EXTRA: i64 = HOUR;

/// One SLO and where it is defined.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub def: SloDef,
    /// Made in the portal (stored in the database), so editable there.
    pub editable: bool,
}

/// What is held in memory.
#[derive(Default)]
struct Held {
    /// Made in the portal.
    stored: Vec<SloDef>,
    series: HashMap<String, Series>,
    /// For each SLO, the earliest bucket start read from the database into `series`.
    loaded_from: HashMap<String, i64>,
    syncs: HashMap<String, SyncRow>,
    /// When each SLO's counts were last dropped (`slo_resets`), as last read.
    resets: HashMap<String, i64>,
    refreshed: Option<Instant>,
}

/// The SLOs of this process.
pub struct Slos {
    files: Vec<SloDef>,
    problems: Vec<Problem>,
    pub step: i64,
    pub tz: chrono_tz::Tz,
    pub rules: Vec<AlertRule>,
    /// The span compared before and after a deployment.
    pub attribution: i64,
    held: RwLock<Held>,
    /// When the last complete refresh started (the clock): the next re-reads what was written
    /// since, less [`MARGIN_MS`].
    seen: AtomicI64,
    refreshing: Mutex<()>,
}

impl Slos {
    /// The files of `[slo] dir` read; the zone and alert rules checked (config validation
    /// already named any problem, so an error here is a sentence for start-up).
    pub fn new(config: &Config) -> Result<Slos, String> {
        let c = &config.slo;
        let loaded = c.dir.as_deref().map(load_dir).unwrap_or_default();
        let mut slos = Slos {
            files: Vec::new(),
            problems: loaded.problems,
            step: c.step_secs.max(1) as i64 * 1000,
            tz: timezone(c)?,
            rules: alert_rules(c)?,
            attribution: c.attribution_hours.max(1) as i64 * HOUR,
            held: RwLock::new(Held::default()),
            seen: AtomicI64::new(i64::MIN),
            refreshing: Mutex::new(()),
        };
        for d in loaded.slos {
            match slos.fits(&d, c.keep_days) {
                Ok(()) => slos.files.push(d),
                Err(message) => slos.problems.push(Problem {
                    file: d
                        .origin
                        .split_once(':')
                        .map_or(d.origin.clone(), |(_, f)| f.to_owned()),
                    path: String::new(),
                    message: format!("SLO `{}`: {message}", d.id),
                }),
            }
        }
        Ok(slos)
    }

    /// What could not be read from the definition files.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Whether `id` is defined in a file.
    pub fn in_files(&self, id: &str) -> bool {
        self.files.iter().any(|d| d.id == id)
    }

    /// Every SLO, by id (a stored one with the id of a file's is shadowed by the file's).
    pub async fn entries(&self) -> Vec<Entry> {
        let held = self.held.read().await;
        let mut out: Vec<Entry> = self
            .files
            .iter()
            .map(|d| Entry {
                def: d.clone(),
                editable: false,
            })
            .collect();
        for d in &held.stored {
            if !self.in_files(&d.id) {
                out.push(Entry {
                    def: d.clone(),
                    editable: true,
                });
            }
        }
        out.sort_by(|a, b| a.def.id.cmp(&b.def.id));
        out
    }

    pub async fn entry(&self, id: &str) -> Option<Entry> {
        self.entries().await.into_iter().find(|e| e.def.id == id)
    }

    /// How much of an SLO's counts is held: its window at its longest, and a week before it.
    pub fn horizon(def: &SloDef) -> i64 {
        let window = match def.window {
            Window::Rolling { ms } => ms,
            Window::Calendar { period } => match period {
                nagare_core::slo::Period::Month => 31 * DAY,
                nagare_core::slo::Period::Quarter => 92 * DAY,
            },
        };
        window + BEFORE_WINDOW + 1
    }

    /// Whether `def`'s window can be evaluated here: its counts (the window, the week before it,
    /// and an hour) must be kept (`slo.keep_days`) and fit a series; else a sentence saying
    /// what to change.
    pub fn fits(&self, def: &SloDef, keep_days: u64) -> Result<(), String> {
        let need = Self::horizon(def) + HELD_EXTRA;
        let kept = keep_days as i64 * DAY;
        if need > kept {
            return Err(format!(
                "the window {} and the 7 days before it that the forecast reads need {} days of counts, more than the {keep_days} kept (`slo.keep_days`); shorten the window or keep more days",
                nagare_core::slo::eval::window_label(&def.window),
                (need + DAY - 1) / DAY
            ));
        }
        if need / self.step > nagare_core::slo::series::MAX_BUCKETS {
            return Err(format!(
                "the window {} holds more than {} buckets of {} s; shorten it or make `slo.step_secs` larger",
                nagare_core::slo::eval::window_label(&def.window),
                nagare_core::slo::series::MAX_BUCKETS,
                self.step / 1000
            ));
        }
        Ok(())
    }

    /// Where the counts held for `def` begin at instant `now`.
    fn reach(def: &SloDef, now: i64) -> i64 {
        now - Self::horizon(def) - HELD_EXTRA
    }

    /// Catches up with the database (definitions made in the portal, buckets written since the
    /// last time, sync progress), unless that was done in the last half second.
    pub async fn refresh(self: &Arc<Self>, store: &Store) -> Result<(), StoreError> {
        self.refresh_detached(store, false).await
    }

    /// [`Slos::refresh`] now, whenever it last ran.
    pub async fn refresh_now(self: &Arc<Self>, store: &Store) -> Result<(), StoreError> {
        self.refresh_detached(store, true).await
    }

    /// A refresh in a task of its own, so that a request that gives up (a client hanging up,
    /// the request timeout) does not stop it half-way: the next one would start it again.
    async fn refresh_detached(
        self: &Arc<Self>,
        store: &Store,
        force: bool,
    ) -> Result<(), StoreError> {
        let (me, store) = (self.clone(), store.clone());
        tokio::spawn(async move { me.refresh_if(&store, force).await })
            .await
            .map_err(|e| StoreError::Config(format!("the SLO catch-up stopped: {e}")))?
    }

    async fn refresh_if(&self, store: &Store, force: bool) -> Result<(), StoreError> {
        let fresh = |h: &Held| h.refreshed.is_some_and(|t| t.elapsed() < FRESH);
        if !force && fresh(&*self.held.read().await) {
            return Ok(());
        }
        let _one = self.refreshing.lock().await;
        if !force && fresh(&*self.held.read().await) {
            return Ok(());
        }
        let stored = store.slo_defs().await?;
        let syncs = store.slo_syncs().await?;
        let resets = store.slo_resets().await?;
        // Counts dropped elsewhere since the last refresh (an SLI changed, an SLO deleted or
        // made again): drop what is held of them, so they are read again below.
        {
            let mut held = self.held.write().await;
            let first = held.refreshed.is_none();
            for (id, at) in &resets {
                if !first && held.resets.get(id) != Some(at) {
                    held.series.remove(id);
                    held.loaded_from.remove(id);
                }
            }
            held.resets = resets.into_iter().collect();
        }
        let now = crate::store::now_millis();
        let started = now;
        let seen = self.seen.load(Ordering::Acquire);
        let floor = self
            .files
            .iter()
            .chain(&stored)
            .map(|d| Self::reach(d, now))
            .min()
            .unwrap_or(now);
        let newest = now + super::samples::FUTURE_SLACK + self.step;
        // The first time, every SLO's counts are read one SLO at a time below, and what was
        // written since is read at the next refresh.
        let first = seen == i64::MIN;
        let rows = if first {
            Vec::new()
        } else {
            // Never a bucket past now (a sample is refused past it; this keeps a stray row
            // from growing every replica's series).
            let rows = store
                .sli_written_after(seen.saturating_sub(MARGIN_MS), floor, newest)
                .await?;
            rows
        };
        // An SLO new to this process, forgotten, or whose window grew: its older buckets,
        // which no refresh since would have read.
        let mut older = Vec::new();
        {
            let held = self.held.read().await;
            for d in self.files.iter().chain(&stored) {
                let need = Self::reach(d, now);
                let from = if first {
                    None
                } else {
                    held.loaded_from.get(&d.id).copied()
                };
                match from {
                    Some(f) if f <= need => {}
                    Some(f) => older.push((d.id.clone(), need, f)),
                    None => older.push((d.id.clone(), need, i64::MAX)),
                }
            }
        }
        // One SLO at a time, so that no more than one SLO's rows are in memory at once.
        for (id, need, until) in &older {
            let counts = store.sli_counts(id, *need, (*until).min(newest)).await?;
            let mut held = self.held.write().await;
            held.series
                .entry(id.clone())
                .or_insert_with(|| Series::new(0, self.step, &[]))
                .put_many(counts);
            let from = held.loaded_from.entry(id.clone()).or_insert(*need);
            *from = (*from).min(*need);
        }
        let mut held = self.held.write().await;
        for d in self.files.iter().chain(&stored) {
            let need = Self::reach(d, now);
            let from = held
                .loaded_from
                .entry(d.id.clone())
                .or_insert(need.min(floor));
            *from = (*from).min(need);
        }
        held.stored = stored;
        held.syncs = syncs.into_iter().map(|s| (s.slo.clone(), s)).collect();
        self.apply(&mut held, rows.into_iter().map(|r| r.row));
        // Drop what is past every window, and the counts of SLOs no longer defined.
        let horizons: HashMap<String, i64> = self
            .files
            .iter()
            .chain(&held.stored)
            .map(|d| (d.id.clone(), Self::reach(d, now)))
            .collect();
        held.loaded_from.retain(|id, _| horizons.contains_key(id));
        held.series.retain(|id, s| match horizons.get(id) {
            Some(from) => {
                s.drop_before(*from);
                true
            }
            None => false,
        });
        held.refreshed = Some(Instant::now());
        // Measured from this refresh's start, not from the newest row read: after a bulk
        // write the next refresh reads it once, not at every refresh.
        self.seen.fetch_max(started, Ordering::AcqRel);
        Ok(())
    }

    /// Puts buckets into the series held (those this process just wrote, or read).
    fn apply(&self, held: &mut Held, rows: impl Iterator<Item = SliRow>) {
        let mut by_slo: HashMap<String, Vec<SliRow>> = HashMap::new();
        for r in rows {
            by_slo.entry(r.slo.clone()).or_default().push(r);
        }
        for (slo, rows) in by_slo {
            let series = held
                .series
                .entry(slo)
                .or_insert_with(|| Series::new(0, self.step, &[]));
            let rows = rows
                .into_iter()
                .map(|r| {
                    let counts = nagare_core::slo::Counts {
                        good: r.good,
                        total: r.total,
                    };
                    (r.start, counts)
                })
                .collect();
            series.put_many(rows);
        }
    }

    /// Buckets this process has just stored: held at once (other replicas read them at their
    /// next refresh).
    pub async fn written(&self, rows: Vec<SliRow>) {
        let mut held = self.held.write().await;
        self.apply(&mut held, rows.into_iter());
    }

    /// Forgets an SLO's counts (deleted, or to be read again).
    pub async fn forget(&self, id: &str) {
        // Not while a refresh is putting back what it read before the counts were dropped.
        let _one = self.refreshing.lock().await;
        let mut held = self.held.write().await;
        held.series.remove(id);
        held.loaded_from.remove(id);
    }

    /// Runs `f` on the series of `id` that covers what an evaluation at `at` reads: the one
    /// held, or for an older instant one read from the database.
    pub async fn with_series<T>(
        &self,
        store: &Store,
        def: &SloDef,
        at: i64,
        f: impl FnOnce(&Series, Option<&SyncRow>) -> T,
    ) -> Result<T, StoreError> {
        let need = at - Self::horizon(def);
        let now = crate::store::now_millis();
        // Held: from `reach` at the last refresh, which is at or before `reach` now.
        let held = self.held.read().await;
        let sync = held.syncs.get(&def.id);
        // Held: the SLO's horizon back from now, so any `at` whose own reach starts inside it.
        if need >= Self::reach(def, now) {
            let empty;
            let series = match held.series.get(&def.id) {
                Some(s) => s,
                None => {
                    empty = Series::new(0, self.step, &[]);
                    &empty
                }
            };
            return Ok(f(series, sync));
        }
        let sync = sync.cloned();
        drop(held);
        // Nothing at or after `at` counts.
        let mut series = Series::new(0, self.step, &[]);
        series.put_many(store.sli_counts(&def.id, need, at).await?);
        Ok(f(&series, sync.as_ref()))
    }

    /// Every SLO's series held, read under one lock: `f(id, series, sync)` for each held one.
    pub async fn each_held<T>(
        &self,
        mut f: impl FnMut(&str, &Series, Option<&SyncRow>) -> T,
    ) -> Vec<T> {
        let held = self.held.read().await;
        held.series
            .iter()
            .map(|(id, s)| f(id, s, held.syncs.get(id)))
            .collect()
    }

    /// Where the counts of `def` come from, and how far they reach (from the sync progress and
    /// the series).
    pub fn data_of(
        &self,
        def: &SloDef,
        series: &Series,
        sync: Option<&SyncRow>,
    ) -> nagare_core::api::SliData {
        let pushed = matches!(def.sli, nagare_core::slo::Sli::Pushed);
        nagare_core::api::SliData {
            source: if pushed { "pushed" } else { "prometheus" }.into(),
            from: (!series.is_empty()).then_some(nagare_core::Timestamp(series.start)),
            until: (!series.is_empty()).then(|| nagare_core::Timestamp(series.end())),
            last_error: if pushed {
                None
            } else {
                sync.and_then(|s| s.last_error.clone())
            },
        }
    }
}

/// `slo.timezone` as a zone.
pub fn timezone(c: &SloConfig) -> Result<chrono_tz::Tz, String> {
    c.timezone.parse::<chrono_tz::Tz>().map_err(|_| {
        format!(
            "slo.timezone: `{}` is not a time zone; write an IANA name such as `UTC` or `Europe/Berlin`",
            c.timezone
        )
    })
}

/// `[[slo.alerts]]`, or the SRE workbook's four when none is given.
pub fn alert_rules(c: &SloConfig) -> Result<Vec<AlertRule>, String> {
    if c.alerts.is_empty() {
        return Ok(default_rules());
    }
    c.alerts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let key = |k: &str| format!("slo.alerts[{i}].{k}");
            let severity = match a.severity.as_str() {
                "page" => Severity::Page,
                "ticket" => Severity::Ticket,
                other => {
                    return Err(format!(
                        "{}: `{other}` is not a severity; write `page` or `ticket`",
                        key("severity")
                    ))
                }
            };
            if !(a.factor.is_finite() && a.factor > 0.0) {
                return Err(format!(
                    "{}: the burn-rate factor must be above 0 (the SRE workbook's: 14.4, 6, 3, 1)",
                    key("factor")
                ));
            }
            let span = |k: &str, v: &str| -> Result<i64, String> {
                match nagare_core::slo::eval::parse_window(v) {
                    Ok(Window::Rolling { ms }) if (MINUTE..=BEFORE_WINDOW).contains(&ms) => Ok(ms),
                    _ => Err(format!(
                        "{}: `{v}` is not a duration from 1m to 7d; write one such as `5m`, `1h`, `6h` or `3d`",
                        key(k)
                    )),
                }
            };
            let (long, short) = (span("long", &a.long)?, span("short", &a.short)?);
            if short > long {
                return Err(format!(
                    "{}: the short window ({}) is longer than the long one ({}); the short window confirms the long one and is shorter, e.g. 1h and 5m",
                    key("short"),
                    a.short,
                    a.long
                ));
            }
            Ok(AlertRule {
                severity,
                factor: a.factor,
                long,
                short,
            })
        })
        .collect()
}
