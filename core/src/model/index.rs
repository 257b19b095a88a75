//! The query indexes of the model, kept current by `derive/` and read by the metrics:
//! per tier, the successful deployments sorted by finish time with their lead times laid out
//! contiguously ([`TierIndex`]), and the incidents attributed to no deployment
//! ([`IncidentIndex`]).

use super::graph::{FxMap, FxSet};
use super::ids::{DepId, ServiceId};
use super::order::merge_sorted;
use super::Org;
use crate::api::Attribution;
use crate::events::{DeploymentStatus, EnvironmentTier};
use crate::model::state::OptI64;
use crate::time::DAY_MS;
use serde::{Deserialize, Serialize};

pub(crate) const BASELINE: u8 = 1;
pub(crate) const FAILED: u8 = 2;
pub(crate) const UNPLANNED: u8 = 4;
pub(crate) const INCOMPLETE: u8 = 8;

/// One successful deployment, as the query needs it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct Row {
    pub(crate) service: ServiceId,
    pub(crate) flags: u8,
    pub(crate) negative: [u32; 3],
    pub(crate) fallback: u32,
    /// Recovery time in ms of a failed deployment; `None` when not failed or not recovered.
    pub(crate) recovery_ms: OptI64,
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
    /// Non-negative lead times in ms per basis, block after block, each block sorted by value
    /// (the only copy: a row's own are computed again by `Org::lead_times`).
    pub(crate) lead: [Vec<i64>; 3],
    /// `lead[b][block_off[b][k]..block_off[b][k + 1]]` are block `k`'s; one more entry than
    /// blocks.
    pub(crate) block_off: [Vec<u32>; 3],
    /// The sum of `lead[b]` before block `k`; one more entry than blocks.
    pub(crate) block_sum: [Vec<i128>; 3],
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
            lead: Default::default(),
            block_off: [vec![0], vec![0], vec![0]],
            block_sum: [vec![0], vec![0], vec![0]],
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
            self.fin.push(dep.chain_fin);
            self.rows.push(Row {
                service: dep.service,
                flags,
                negative: d.negative,
                fallback: (d.changes.len() - (d.n_graph as usize).min(d.changes.len())) as u32,
                recovery_ms: if d.failed {
                    d.recovery_ms
                } else {
                    OptI64::NONE
                },
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
        for b in 0..3 {
            self.lead[b].shrink_to_fit();
            self.block_off[b].shrink_to_fit();
            self.block_sum[b].shrink_to_fit();
        }
        self.by_service.values_mut().for_each(Vec::shrink_to_fit);
        self.by_service.shrink_to_fit();
    }

    /// Rebuilds the lead-time blocks from the one holding row `p` on (the rows before it are
    /// unchanged): each UTC day's lead times, sorted, so that a window's quantiles are found
    /// by binary search across its days instead of by gathering every value.
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
        for b in 0..3 {
            let end = self.block_off[b][keep] as usize;
            self.lead[b].truncate(end);
            self.block_off[b].truncate(keep + 1);
            self.block_sum[b].truncate(keep + 1);
        }
        let mut r = start;
        while r < self.fin.len() {
            let day = self.fin[r].div_euclid(DAY_MS);
            let end = r + self.fin[r..].partition_point(|&f| f.div_euclid(DAY_MS) == day);
            self.block_row.push(r as u32);
            for b in 0..3 {
                let from = self.lead[b].len();
                for &s in &self.slots[r..end] {
                    org.lead_times(s, b, &mut self.lead[b]);
                }
                let block = &mut self.lead[b][from..];
                block.sort_unstable();
                let sum: i128 = block.iter().map(|&v| i128::from(v)).sum();
                let before = self.block_sum[b].last().copied().unwrap_or(0);
                self.block_sum[b].push(before + sum);
                self.block_off[b].push(self.lead[b].len() as u32);
            }
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
