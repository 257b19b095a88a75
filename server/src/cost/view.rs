//! The answers of `GET /api/v1/costs` and `/costs/anomalies` over the held rows
//! ([`super::runtime::Held`]), through the caller's access and the query's filters.

use super::runtime::{Held, Row};
use nagare_core::api::{
    CostAnomalies, CostAnomaly, CostBasis, CostBucket, CostContributor, CostGroupBy,
    CostGroupTotal, CostQuery, CostReport, CostSeries,
};
use nagare_core::cost::anomaly::{self, BASELINE_DAYS, MIN_BASELINE_DAYS};
use nagare_core::cost::{day_of_ms, day_text, series};
use nagare_core::time::DAY_MS;
use std::collections::{BTreeMap, HashMap};

/// The longest window, in days.
pub const MAX_DAYS: i32 = 3 * 366;
/// The default window, in days.
pub const DEFAULT_DAYS: i32 = 90;
/// Contributors listed per anomaly.
const CONTRIBUTORS: usize = 5;

/// Which rows the caller may read: everything, or the rows allocated to services or teams it
/// may read (unallocated cost only with everything).
pub struct Access<'a> {
    pub all: bool,
    pub service: &'a dyn Fn(&str) -> bool,
    pub team: &'a dyn Fn(&str) -> bool,
}

/// A query resolved against the held rows: days `[from, to)` and the filters as indexes.
pub struct Resolved {
    pub from: i32,
    pub to: i32,
    pub basis: CostBasis,
    pub group_by: CostGroupBy,
    /// `Some(None)`: a filter naming what no row has (nothing matches).
    team: Option<Option<u32>>,
    service: Option<Option<u32>>,
    account: Option<Option<u32>>,
    /// By name index: whether the caller may read rows allocated to it (as a team, a service).
    teams_ok: Vec<bool>,
    services_ok: Vec<bool>,
    all: bool,
}

/// A day number from an instant: the first day whose start is at or after it.
fn day_at_or_after(ms: i64) -> i32 {
    day_of_ms(ms + DAY_MS - 1)
}

/// The window of `q` in days, or what is wrong with it (the parameter, the message).
pub fn window(q: &CostQuery, now_ms: i64) -> Result<(i32, i32), (&'static str, String)> {
    let to = q.to.map_or(day_of_ms(now_ms) + 1, |t| day_at_or_after(t.0));
    let from = q.from.map_or(to - DEFAULT_DAYS, |t| day_at_or_after(t.0));
    if from >= to {
        return Err((
            "from",
            "the window holds no whole day: `from` must be before `to` by at least a day's start (days are UTC)".into(),
        ));
    }
    if to - from > MAX_DAYS {
        return Err((
            "from",
            format!(
                "the window is {} days; at most {MAX_DAYS} are read at once",
                to - from
            ),
        ));
    }
    Ok((from, to))
}

impl Resolved {
    pub fn new(held: &Held, q: &CostQuery, from: i32, to: i32, access: &Access) -> Resolved {
        let find = |s: &Option<String>| s.as_deref().map(|s| held.find(s));
        let n = held.names.len();
        let (mut teams_ok, mut services_ok) = (vec![access.all; n], vec![access.all; n]);
        if !access.all {
            for r in &held.rows {
                if let Some(t) = r.team {
                    teams_ok[t as usize] = (access.team)(held.name(t));
                }
                if let Some(s) = r.service {
                    services_ok[s as usize] = (access.service)(held.name(s));
                }
            }
        }
        Resolved {
            from,
            to,
            basis: q.cost.unwrap_or_default(),
            group_by: q.group_by.unwrap_or_default(),
            team: find(&q.team),
            service: find(&q.service),
            account: find(&q.account),
            teams_ok,
            services_ok,
            all: access.all,
        }
    }

    /// Whether the caller may read `r` and the filters admit it.
    pub fn admits(&self, r: &Row) -> bool {
        let ok = |f: &Option<Option<u32>>, v: Option<u32>| match f {
            None => true,
            Some(want) => want.is_some() && *want == v,
        };
        if !ok(&self.team, r.team)
            || !ok(&self.service, r.service)
            || !ok(&self.account, Some(r.account))
        {
            return false;
        }
        self.all
            || r.service.is_some_and(|s| self.services_ok[s as usize])
            || r.team.is_some_and(|t| self.teams_ok[t as usize])
    }

    pub fn amount(&self, r: &Row) -> f64 {
        match self.basis {
            CostBasis::Effective => r.effective,
            CostBasis::Billed => r.billed,
            CostBasis::List => r.list,
        }
    }

    /// The group of a row (`None`: unallocated).
    pub fn key(&self, r: &Row) -> Option<u32> {
        match self.group_by {
            CostGroupBy::Team => r.team,
            CostGroupBy::Service => r.service,
            CostGroupBy::Account => Some(r.account),
            CostGroupBy::ServiceName => Some(r.service_name),
        }
    }

    /// Whether a row is unallocated: no service when grouping by service, else no team.
    pub fn unallocated(&self, r: &Row) -> bool {
        match self.group_by {
            CostGroupBy::Service => r.service.is_none(),
            _ => r.team.is_none(),
        }
    }

    pub fn label(&self, held: &Held, key: Option<u32>) -> String {
        match (key, self.group_by) {
            (None, _) => "Unallocated".into(),
            (Some(a), CostGroupBy::Account) => held.account_label(a),
            (Some(k), _) => held.name(k).to_owned(),
        }
    }
}

/// A group key as an index: 0 for unallocated, else the interned name's index + 1.
fn slot(key: Option<u32>) -> usize {
    key.map_or(0, |k| k as usize + 1)
}

/// `GET /api/v1/costs`.
pub fn report(
    held: &Held,
    q: &CostQuery,
    res: &Resolved,
    configured: bool,
    today: i32,
) -> CostReport {
    let rows = held.days(res.from, res.to);
    // One pass: each row's group (a dense index, in order of first sight) and bucket (by its
    // day's offset in the window), summed into the totals and the bucket × group matrix.
    let days = (res.to - res.from) as usize;
    let interval = q.interval;
    let mut bucket_of = vec![0usize; days];
    let mut starts: Vec<i32> = Vec::new();
    if let Some(interval) = interval {
        for (i, b) in bucket_of.iter_mut().enumerate() {
            let start = series::bucket_start(res.from + i as i32, interval).max(res.from);
            if starts.last() != Some(&start) {
                starts.push(start);
            }
            *b = starts.len() - 1;
        }
    }
    let mut dense = vec![usize::MAX; held.names.len() + 1];
    let mut keys: Vec<Option<u32>> = Vec::new();
    let mut totals: Vec<f64> = Vec::new();
    let mut matrix: Vec<Vec<f64>> = vec![Vec::new(); starts.len()];
    let (mut total, mut unallocated) = (0.0, 0.0);
    for r in rows.iter().filter(|r| res.admits(r)) {
        let a = res.amount(r);
        total += a;
        if res.unallocated(r) {
            unallocated += a;
        }
        let key = res.key(r);
        let g = &mut dense[slot(key)];
        if *g == usize::MAX {
            *g = keys.len();
            keys.push(key);
            totals.push(0.0);
        }
        totals[*g] += a;
        if interval.is_some() {
            let row = &mut matrix[bucket_of[(r.day - res.from) as usize]];
            if row.len() <= *g {
                row.resize(*g + 1, 0.0);
            }
            row[*g] += a;
        }
    }
    // Largest first, ties by label.
    let labels: Vec<String> = keys.iter().map(|k| res.label(held, *k)).collect();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| {
        totals[b]
            .total_cmp(&totals[a])
            .then_with(|| labels[a].cmp(&labels[b]))
    });
    let series = interval.map(|interval| {
        let mut days_in = vec![0u32; starts.len()];
        for b in &bucket_of {
            days_in[*b] += 1;
        }
        CostSeries {
            interval,
            buckets: starts
                .iter()
                .zip(&matrix)
                .zip(&days_in)
                .map(|((start, row), days)| {
                    let values: Vec<f64> = order
                        .iter()
                        .map(|&g| row.get(g).copied().unwrap_or(0.0))
                        .collect();
                    CostBucket {
                        start: day_text(*start),
                        days: *days,
                        total: values.iter().sum(),
                        values,
                    }
                })
                .collect(),
        }
    });
    let groups: Vec<CostGroupTotal> = order
        .iter()
        .map(|&g| CostGroupTotal {
            key: keys[g].map(|k| held.name(k).to_owned()),
            label: labels[g].clone(),
            total: totals[g],
            share: if total.abs() > 0.0 {
                totals[g] / total
            } else {
                0.0
            },
        })
        .collect();
    // The month of the window's last day with data.
    let last = held.last_day().map(|l| l.min(res.to - 1));
    let anchor = last.unwrap_or(res.to - 1);
    let first = series::month_start(series::month_start(anchor) - 1);
    let mut daily: BTreeMap<i32, f64> = BTreeMap::new();
    for r in held
        .days(first, anchor + 1)
        .iter()
        .filter(|r| res.admits(r))
    {
        *daily.entry(r.day).or_default() += res.amount(r);
    }
    CostReport {
        from: day_text(res.from),
        to: day_text(res.to),
        cost: res.basis,
        group_by: res.group_by,
        currency: held.currency.clone(),
        total,
        unallocated,
        groups,
        series,
        month: series::month_to_date(&daily, last, today.min(anchor + 1)),
        data_through: held.last_day().map(day_text),
        configured: configured || !held.rows.is_empty(),
    }
}

/// `GET /api/v1/costs/anomalies`: each group's days in the window judged against the 28 days
/// before each.
pub fn anomalies(held: &Held, res: &Resolved, threshold: f64) -> CostAnomalies {
    // Baselines reach 28 days before the window, but not before the first day of any stored
    // cost: before it the export had nothing, not zero.
    let first = held.rows.first().map_or(res.from, |r| r.day).min(res.from);
    let start = (res.from - BASELINE_DAYS as i32).max(first);
    let len = (res.to - start) as usize;
    let mut by_group: HashMap<Option<u32>, Vec<f64>> = HashMap::new();
    let rows: Vec<&Row> = held
        .days(start, res.to)
        .iter()
        .filter(|r| res.admits(r))
        .collect();
    for r in &rows {
        by_group.entry(res.key(r)).or_insert_with(|| vec![0.0; len])[(r.day - start) as usize] +=
            res.amount(r);
    }
    // Days after the last with any stored cost are not judged: the export has not reached
    // them yet (they would all look like drops to zero).
    let judged_to = held.last_day().map_or(res.from, |l| (l + 1).min(res.to));
    let mut found = Vec::new();
    for (key, daily) in &by_group {
        // Only the window's days are judged; the 28 before are baselines.
        for j in anomaly::anomalies_from(daily, threshold, (res.from - start) as usize) {
            let day = start + j.day as i32;
            if day < res.from || day >= judged_to {
                continue;
            }
            found.push(CostAnomaly {
                day: day_text(day),
                key: key.map(|k| held.name(k).to_owned()),
                label: res.label(held, *key),
                cost: j.cost,
                median: j.baseline,
                z: j.z,
                excess: j.cost - j.baseline,
                contributors: contributors(held, res, &rows, *key, day),
            });
        }
    }
    found.sort_by(|a, b| {
        b.z.abs()
            .total_cmp(&a.z.abs())
            .then_with(|| a.day.cmp(&b.day))
    });
    CostAnomalies {
        from: day_text(res.from),
        to: day_text(res.to),
        cost: res.basis,
        group_by: res.group_by,
        threshold,
        baseline_days: BASELINE_DAYS as u32,
        min_baseline_days: MIN_BASELINE_DAYS as u32,
        currency: held.currency.clone(),
        anomalies: found,
    }
}

/// A group's cost on `day` by account and provider service, each against the median of its
/// own 28 days before, largest change first.
fn contributors(
    held: &Held,
    res: &Resolved,
    rows: &[&Row],
    key: Option<u32>,
    day: i32,
) -> Vec<CostContributor> {
    let base_from = day - BASELINE_DAYS as i32;
    let mut parts: HashMap<(u32, u32), (f64, BTreeMap<i32, f64>)> = HashMap::new();
    for r in rows
        .iter()
        .filter(|r| res.key(r) == key && r.day >= base_from && r.day <= day)
    {
        let e = parts.entry((r.account, r.service_name)).or_default();
        if r.day == day {
            e.0 += res.amount(r);
        } else {
            *e.1.entry(r.day).or_default() += res.amount(r);
        }
    }
    let mut out: Vec<CostContributor> = parts
        .into_iter()
        .map(|((account, service_name), (cost, base))| {
            let days: Vec<f64> = (base_from..day)
                .map(|d| base.get(&d).copied().unwrap_or(0.0))
                .collect();
            CostContributor {
                account_id: held.name(account).to_owned(),
                account_name: held
                    .account_names
                    .get(&account)
                    .map_or_else(String::new, |n| held.name(*n).to_owned()),
                service_name: held.name(service_name).to_owned(),
                cost,
                median: anomaly::median(&days).unwrap_or(0.0),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (b.cost - b.median)
            .abs()
            .total_cmp(&(a.cost - a.median).abs())
            .then_with(|| a.service_name.cmp(&b.service_name))
    });
    out.truncate(CONTRIBUTORS);
    out
}
