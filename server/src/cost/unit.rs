//! `GET /api/v1/costs/unit` (cost tied to delivery) and `/costs/sources` (the state of each
//! billing period), from the held rows, the model's delivery counts and the SLO series.

use super::runtime::Held;
use super::view::Resolved;
use crate::config::CostConfig;
use crate::store::PeriodRow;
use nagare_core::api::{
    Band, CiUnitCost, CostPeriodRow, CostProblem, CostSourceRow, CostSources, ServiceUnitCost,
    UnitCosts,
};
use nagare_core::cost::day_text;
use nagare_core::cost::unit::{per, while_any_failed};
use nagare_core::model::{CiUsage, ServiceDelivery};
use nagare_core::time::DAY_MS;
use nagare_core::Timestamp;
use std::collections::{BTreeMap, HashMap};

/// What the model and the SLOs say of the window, per service.
#[derive(Debug, Default)]
pub struct Delivered {
    pub services: BTreeMap<String, ServiceDelivery>,
    pub ci: CiUsage,
    /// Good events of each service's SLOs in the window (services with an SLO only).
    pub good_events: HashMap<String, f64>,
    pub bands: HashMap<String, Option<Band>>,
    pub teams: HashMap<String, Vec<String>>,
}

/// The lowest of a service's DORA bands (elite > high > medium > low), of the metrics that
/// have one; none when none has.
pub fn lowest_band(bands: &[Option<Band>]) -> Option<Band> {
    let rank = |b: Band| match b {
        Band::Elite => 3,
        Band::High => 2,
        Band::Medium => 1,
        Band::Low => 0,
    };
    let mut lowest: Option<Band> = None;
    for b in bands {
        let Some(b) = *b else { continue };
        if lowest.is_none_or(|l| rank(b) < rank(l)) {
            lowest = Some(b);
        }
    }
    lowest
}

/// Unit costs over the resolved window.
pub fn unit_costs(held: &Held, res: &Resolved, cfg: &CostConfig, d: &Delivered) -> UnitCosts {
    let mut by_service: HashMap<u32, (f64, BTreeMap<i32, f64>)> = HashMap::new();
    let (mut ci_cost, mut ci_rows) = (0.0, false);
    for r in held.days(res.from, res.to).iter().filter(|r| res.admits(r)) {
        let a = res.amount(r);
        if r.ci {
            ci_cost += a;
            ci_rows = true;
        }
        if let Some(s) = r.service {
            let e = by_service.entry(s).or_default();
            e.0 += a;
            *e.1.entry(r.day).or_default() += a;
        }
    }
    let window_end = i64::from(res.to) * DAY_MS;
    let mut services: Vec<ServiceUnitCost> = by_service
        .into_iter()
        .map(|(s, (cost, daily))| {
            let name = held.name(s).to_owned();
            let delivered = d.services.get(&name).cloned().unwrap_or_default();
            let spans: Vec<(i64, i64)> = delivered
                .failures
                .iter()
                .map(|(start, end)| (*start, end.unwrap_or(window_end).min(window_end)))
                .collect();
            // No failure: 0, not −0.
            let failed_change_cost = while_any_failed(&daily, &spans) + 0.0;
            let good = d.good_events.get(&name).copied();
            ServiceUnitCost {
                teams: d.teams.get(&name).cloned().unwrap_or_default(),
                cost,
                deployments: delivered.deployments,
                per_deployment: per(cost, delivered.deployments as f64),
                failed_changes: delivered.failures.len() as u64,
                recovered: delivered.failures.iter().filter(|f| f.1.is_some()).count() as u64,
                failed_change_cost,
                good_events: good,
                per_good_event: good.and_then(|g| per(cost, g)),
                band: d.bands.get(&name).copied().flatten(),
                service: name,
            }
        })
        .collect();
    services.sort_by(|a, b| {
        b.cost
            .total_cmp(&a.cost)
            .then_with(|| a.service.cmp(&b.service))
    });
    UnitCosts {
        from: day_text(res.from),
        to: day_text(res.to),
        cost: res.basis,
        currency: held.currency.clone(),
        services,
        ci: CiUnitCost {
            configured: !cfg.ci_accounts.is_empty() || !cfg.ci_services.is_empty() || ci_rows,
            cost: ci_cost,
            minutes: d.ci.minutes,
            runs: d.ci.runs,
            per_minute: per(ci_cost, d.ci.minutes),
            per_run: per(ci_cost, d.ci.runs as f64),
        },
    }
}

/// `GET /api/v1/costs/sources`.
pub fn sources(
    cfg: &CostConfig,
    periods: Vec<PeriodRow>,
    polls: &HashMap<String, (i64, String)>,
) -> CostSources {
    let mut out: Vec<CostSourceRow> = cfg
        .sources
        .iter()
        .map(|s| CostSourceRow {
            name: s.name.clone(),
            kind: if s.location.starts_with("s3://") {
                "s3"
            } else {
                "local"
            }
            .into(),
            location: s.location.clone(),
            poll_secs: (s.poll_secs > 0).then_some(s.poll_secs),
            last_poll_at: polls.get(&s.name).map(|p| Timestamp(p.0)),
            last_result: polls.get(&s.name).map(|p| p.1.clone()),
        })
        .collect();
    if let Some(a) = &cfg.athena {
        out.push(CostSourceRow {
            name: a.name.clone(),
            kind: "athena".into(),
            location: format!("athena:{}.{}", a.database, a.table),
            poll_secs: (a.poll_secs > 0).then_some(a.poll_secs),
            last_poll_at: polls.get(&a.name).map(|p| Timestamp(p.0)),
            last_result: polls.get(&a.name).map(|p| p.1.clone()),
        });
    }
    CostSources {
        sources: out,
        periods: periods
            .into_iter()
            .map(|p| CostPeriodRow {
                problems: p
                    .problems
                    .as_deref()
                    .and_then(|j| serde_json::from_str::<Vec<CostProblem>>(j).ok())
                    .unwrap_or_default(),
                source: p.source,
                billing_period: p.billing_period,
                state: p.state,
                version: p.version,
                format: p.format,
                files: p.files.max(0) as u64,
                rows: p.rows_read.max(0) as u64,
                skipped_rows: p.rows_skipped.max(0) as u64,
                billed: p.billed,
                effective: p.effective,
                ingested_at: p.ingested_at.map(Timestamp),
                error: p.error,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lowest_band() {
        use Band::*;
        assert_eq!(
            lowest_band(&[Some(Elite), Some(Medium), Some(High)]),
            Some(Medium)
        );
        assert_eq!(lowest_band(&[Some(Elite), None]), Some(Elite));
        assert_eq!(lowest_band(&[None, None]), None);
        assert_eq!(lowest_band(&[Some(Low), Some(Elite)]), Some(Low));
    }
}
