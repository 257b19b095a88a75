//! The query indexes of the model, kept current by `derive/` and read by the metrics:
//! per tier, the successful deployments sorted by finish time with their lead times laid out
//! contiguously ([`TierIndex`]), and the incidents attributed to no deployment
//! ([`IncidentIndex`]).

use super::collections::{FxMap, FxSet};
use super::ids::{DepId, ServiceId};
use super::order::merge_sorted;
use super::Org;
use crate::api::Attribution;
use crate::events::{DeploymentStatus, EnvironmentTier};
use crate::time::DAY_MS;
use serde::{Deserialize, Serialize};
use std::ops::Range;

pub(crate) const BASELINE: u8 = 1;
pub(crate) const FAILED: u8 = 2;
pub(crate) const UNPLANNED: u8 = 4;
pub(crate) const INCOMPLETE: u8 = 8;
/// A failed deployment with a recovery time (`DepFacts::recovery_ms`).
pub(crate) const RECOVERED: u8 = 16;

/// One successful deployment, as the query needs it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct Row {
    pub(crate) service: ServiceId,
    pub(crate) flags: u8,
    pub(crate) negative: [u32; 3],
    pub(crate) fallback: u32,
}

/// What a window's rows add up to, apart from their times and durations: the counts behind
/// the failure rate, the rework rate and the data-quality notes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Counts {
    pub(crate) baselines: u64,
    pub(crate) unplanned: u64,
    pub(crate) incomplete: u64,
    pub(crate) failed: u64,
    /// Failed deployments with no recovery time.
    pub(crate) unrecovered: u64,
    /// Changes attributed from a pushed commit list, not the graph.
    pub(crate) fallback: u64,
    /// Negative spans per lead-time basis.
    pub(crate) negative: [u64; 3],
}

impl Counts {
    pub(crate) fn add(&mut self, row: &Row) {
        let has = |flag: u8| u64::from(row.flags & flag != 0);
        self.baselines += has(BASELINE);
        self.unplanned += has(UNPLANNED);
        self.incomplete += has(INCOMPLETE);
        self.failed += has(FAILED);
        self.unrecovered += u64::from(row.flags & (FAILED | RECOVERED) == FAILED);
        self.fallback += u64::from(row.fallback);
        for (n, &v) in self.negative.iter_mut().zip(&row.negative) {
            *n += u64::from(v);
        }
    }

    /// The counts a running total `self` holds beyond an earlier total `before`.
    fn since(&self, before: &Counts) -> Counts {
        Counts {
            baselines: self.baselines - before.baselines,
            unplanned: self.unplanned - before.unplanned,
            incomplete: self.incomplete - before.incomplete,
            failed: self.failed - before.failed,
            unrecovered: self.unrecovered - before.unrecovered,
            fallback: self.fallback - before.fallback,
            negative: std::array::from_fn(|b| self.negative[b] - before.negative[b]),
        }
    }
}

/// Values in blocks, one block after another, each sorted ascending, with running sums: the
/// values of a run of whole blocks are that many sorted runs, and their sum one subtraction.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SortedBlocks {
    values: Vec<i64>,
    /// `values[off[k]..off[k + 1]]` are block `k`'s; one more entry than blocks.
    off: Vec<u32>,
    /// The sum of the values before block `k`; one more entry than blocks.
    sum: Vec<i128>,
}

impl Default for SortedBlocks {
    fn default() -> Self {
        SortedBlocks {
            values: Vec::new(),
            off: vec![0],
            sum: vec![0],
        }
    }
}

impl SortedBlocks {
    /// Keeps the first `blocks` blocks.
    fn truncate(&mut self, blocks: usize) {
        let blocks = blocks.min(self.off.len() - 1);
        self.values.truncate(self.off[blocks] as usize);
        self.off.truncate(blocks + 1);
        self.sum.truncate(blocks + 1);
    }

    /// Where the next block's values are pushed, before [`SortedBlocks::close`].
    fn open(&mut self) -> &mut Vec<i64> {
        &mut self.values
    }

    /// Ends the block of the values pushed since the last one: sorts them and sums them.
    fn close(&mut self) {
        let from = self.off.last().map_or(0, |&o| o as usize);
        let block = &mut self.values[from..];
        block.sort_unstable();
        let sum: i128 = block.iter().map(|&v| i128::from(v)).sum();
        let before = self.sum.last().copied().unwrap_or(0);
        self.sum.push(before + sum);
        self.off.push(self.values.len() as u32);
    }

    /// The sorted values of each block in `blocks`.
    pub(crate) fn runs(&self, blocks: Range<usize>) -> impl Iterator<Item = &[i64]> {
        blocks.map(|k| &self.values[self.off[k] as usize..self.off[k + 1] as usize])
    }

    /// The sum of the values of `blocks`.
    pub(crate) fn sum(&self, blocks: Range<usize>) -> i128 {
        self.sum[blocks.end] - self.sum[blocks.start]
    }

    fn shrink_to_fit(&mut self) {
        self.values.shrink_to_fit();
        self.off.shrink_to_fit();
        self.sum.shrink_to_fit();
    }
}

/// The day blocks wholly inside a range of rows, and the rows they hold.
pub(crate) struct WholeBlocks {
    pub(crate) blocks: Range<usize>,
    pub(crate) rows: Range<usize>,
}

/// The successful deployments of one tier, sorted by (finish, id, source).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TierIndex {
    /// Deployments, in row order.
    pub(crate) slots: Vec<DepId>,
    /// Deployment → its row, for the deployments in `slots`.
    pub(crate) row_of: FxMap<DepId, u32>,
    pub(crate) fin: Vec<i64>,
    pub(crate) rows: Vec<Row>,
    /// The rows in blocks, one per UTC day of their finish time: the first row of each block.
    pub(crate) block_row: Vec<u32>,
    /// The rows' [`Counts`] before block `k`; one more entry than blocks.
    pub(crate) block_counts: Vec<Counts>,
    /// Non-negative lead times in ms per basis, per block (the only copy: a row's own are
    /// computed again by `Org::lead_times`).
    pub(crate) lead: [SortedBlocks; 3],
    /// The recovery times in ms of the recovered failed rows, per block (the deployment's own
    /// is `DepFacts::recovery_ms`).
    pub(crate) recovery: SortedBlocks,
    /// Service → its row indexes, ascending.
    pub(crate) by_service: FxMap<ServiceId, Vec<u32>>,
    /// Failed deployment attempts (status `failure`): (finish, service), sorted.
    pub(crate) attempts: Vec<(i64, ServiceId)>,
    /// Deployment → the entry of `attempts` it contributed.
    pub(crate) attempt_of: FxMap<DepId, (i64, ServiceId)>,
}

impl Default for TierIndex {
    fn default() -> Self {
        TierIndex {
            slots: Vec::new(),
            row_of: FxMap::default(),
            fin: Vec::new(),
            rows: Vec::new(),
            block_row: Vec::new(),
            block_counts: vec![Counts::default()],
            lead: Default::default(),
            recovery: SortedBlocks::default(),
            by_service: FxMap::default(),
            attempts: Vec::new(),
            attempt_of: FxMap::default(),
        }
    }
}

/// Above this many changed slots, the failed attempts are rebuilt rather than edited.
const ATTEMPT_EDITS: usize = 256;

impl TierIndex {
    /// Brings the index up to date after the deployments in `changed` (slots of any tier)
    /// changed: keeps the rows before the first one that differs and rebuilds the rest. In
    /// time-ordered ingestion that is only the tail, so one more deployment costs its own
    /// rows, not the whole tier. `attempts`: some deployment of the tier changed its event, so
    /// the failed attempts of the changed slots are edited (or, for many, rebuilt).
    pub(crate) fn update(
        &mut self,
        org: &Org,
        tier: EnvironmentTier,
        changed: &FxSet<DepId>,
        attempts: bool,
    ) {
        let deps = &org.deps;
        let names = org.dep_names();
        let order = |a: &DepId, b: &DepId| names.chain_order(&deps[*a], &deps[*b]);
        let mut added: Vec<DepId> = changed
            .iter()
            .copied()
            .filter(|&s| {
                let d = &deps[s];
                d.chain.is_some() && d.tier == tier
            })
            .collect();
        added.sort_by(order);
        // The first row that differs: the earliest row of a changed slot, or where a changed
        // slot now goes among the rows before it (all unchanged, so still in order).
        let mut p = changed
            .iter()
            .filter_map(|s| self.row_of.get(s))
            .map(|&r| r as usize)
            .min()
            .unwrap_or(self.slots.len());
        if let Some(first) = added.first() {
            p = p.min(self.slots[..p].partition_point(|s| order(s, first).is_lt()));
        }
        let old_tail = self.slots.split_off(p);
        for s in &old_tail {
            self.row_of.remove(s);
        }
        let kept: Vec<DepId> = old_tail
            .into_iter()
            .filter(|s| !changed.contains(s))
            .collect();
        let tail = merge_sorted(kept, added, order);
        // Keep rows before `p`.
        self.fin.truncate(p);
        self.rows.truncate(p);
        self.by_service.retain(|_, rows| {
            let keep = rows.partition_point(|&r| (r as usize) < p);
            rows.truncate(keep);
            !rows.is_empty()
        });
        for (k, &s) in tail.iter().enumerate() {
            let i = p + k;
            let dep = &deps[s];
            let d = &dep.d;
            let mut flags = 0;
            if dep.is_baseline() {
                flags |= BASELINE;
            }
            if d.failed {
                flags |= FAILED;
            }
            if d.unplanned {
                flags |= UNPLANNED;
            }
            if d.incomplete {
                flags |= INCOMPLETE;
            }
            if d.failed && d.recovery_ms.get().is_some() {
                flags |= RECOVERED;
            }
            self.fin.push(dep.chain_fin);
            self.rows.push(Row {
                service: dep.service,
                flags,
                negative: d.negative,
                fallback: (d.changes.len() - (d.n_graph as usize).min(d.changes.len())) as u32,
            });
            self.by_service
                .entry(dep.service)
                .or_default()
                .push(i as u32);
            self.row_of.insert(s, i as u32);
            self.slots.push(s);
        }
        self.update_blocks(org, p);
        if attempts {
            self.update_attempts(org, tier, changed);
        }
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.slots.shrink_to_fit();
        self.row_of.shrink_to_fit();
        self.fin.shrink_to_fit();
        self.rows.shrink_to_fit();
        self.block_row.shrink_to_fit();
        self.block_counts.shrink_to_fit();
        for l in &mut self.lead {
            l.shrink_to_fit();
        }
        self.recovery.shrink_to_fit();
        self.by_service.values_mut().for_each(Vec::shrink_to_fit);
        self.by_service.shrink_to_fit();
    }

    /// The day blocks wholly inside rows `lo..hi` (`lo ≤ hi ≤ rows`); `None` when there is
    /// none.
    pub(crate) fn whole_blocks(&self, lo: usize, hi: usize) -> Option<WholeBlocks> {
        let starts = &self.block_row;
        // The first block starting at or after `lo`, up to the last one ending by `hi`.
        let k0 = starts.partition_point(|&r| (r as usize) < lo);
        let mut k1 = starts
            .get(1..)
            .map_or(0, |next| next.partition_point(|&r| (r as usize) <= hi));
        if k1 + 1 == starts.len() && self.fin.len() <= hi {
            k1 += 1;
        }
        let end_of = |k: usize| starts.get(k + 1).map_or(self.fin.len(), |&r| r as usize);
        (k0 < k1).then(|| WholeBlocks {
            blocks: k0..k1,
            rows: starts[k0] as usize..end_of(k1 - 1),
        })
    }

    /// The [`Counts`] of the rows of `blocks`.
    pub(crate) fn counts(&self, blocks: Range<usize>) -> Counts {
        self.block_counts[blocks.end].since(&self.block_counts[blocks.start])
    }

    /// Rebuilds the blocks from the one holding row `p` on (the rows before it are
    /// unchanged): each UTC day's counts, and its lead and recovery times sorted, so that a
    /// window's quantiles are found by binary search across its days instead of by gathering
    /// every value.
    fn update_blocks(&mut self, org: &Org, p: usize) {
        let keep = self.block_row.partition_point(|&r| (r as usize) < p);
        // The block holding `p` starts before it: rebuild that one too.
        let keep = if keep > 0 && self.block_row.get(keep).is_none_or(|&r| r as usize > p) {
            keep - 1
        } else {
            keep
        };
        let keep = keep.min(self.block_row.len());
        let start = self.block_row.get(keep).map_or(p, |&r| r as usize).min(p);
        self.block_row.truncate(keep);
        self.block_counts.truncate(keep + 1);
        for l in &mut self.lead {
            l.truncate(keep);
        }
        self.recovery.truncate(keep);
        let mut r = start;
        while r < self.fin.len() {
            let day = self.fin[r].div_euclid(DAY_MS);
            let end = r + self.fin[r..].partition_point(|&f| f.div_euclid(DAY_MS) == day);
            self.block_row.push(r as u32);
            for (b, l) in self.lead.iter_mut().enumerate() {
                let out = l.open();
                for &s in &self.slots[r..end] {
                    org.lead_times(s, b, out);
                }
                l.close();
            }
            let mut counts = self.block_counts.last().copied().unwrap_or_default();
            let out = self.recovery.open();
            for k in r..end {
                counts.add(&self.rows[k]);
                if let Some(ms) = recovery_of(org, &self.rows[k], self.slots[k]) {
                    out.push(ms);
                }
            }
            self.recovery.close();
            self.block_counts.push(counts);
            r = end;
        }
    }

    /// The failed attempts after the slots in `changed` changed.
    fn update_attempts(&mut self, org: &Org, tier: EnvironmentTier, changed: &FxSet<DepId>) {
        let attempt = |s: DepId| {
            let d = &org.deps[s];
            (d.tier == tier && d.ev.status == DeploymentStatus::Failure)
                .then_some(d.ev.finished_at())
                .flatten()
                .map(|f| (f.0, d.service))
        };
        if changed.len() > ATTEMPT_EDITS {
            self.attempt_of = org
                .deps
                .ids()
                .filter_map(|s| attempt(s).map(|a| (s, a)))
                .collect();
            self.attempts = self.attempt_of.values().copied().collect();
            self.attempts.sort_unstable();
            return;
        }
        for &s in changed {
            if let Some(old) = self.attempt_of.remove(&s) {
                if let Ok(at) = self.attempts.binary_search(&old) {
                    self.attempts.remove(at);
                }
            }
            if let Some(new) = attempt(s) {
                let at = self.attempts.partition_point(|a| *a < new);
                self.attempts.insert(at, new);
                self.attempt_of.insert(s, new);
            }
        }
    }
}

/// The recovery time (ms) of a row's deployment, when it failed and recovered.
pub(crate) fn recovery_of(org: &Org, row: &Row, slot: DepId) -> Option<i64> {
    if row.flags & RECOVERED == 0 {
        return None;
    }
    org.deps[slot].d.recovery_ms.get()
}

/// Incidents attributed to no deployment: (started, service), sorted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct IncidentIndex {
    pub(crate) unattributed: Vec<(i64, ServiceId)>,
}

impl IncidentIndex {
    pub(crate) fn build(org: &Org) -> IncidentIndex {
        let mut unattributed: Vec<(i64, ServiceId)> = org
            .incs
            .iter()
            .filter(|i| i.attribution == Attribution::None)
            .map(|i| (i.ev.started_at.0, i.service))
            .collect();
        unattributed.sort_unstable();
        IncidentIndex { unattributed }
    }
}
