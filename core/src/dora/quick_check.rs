//! The DORA 2025 comparison: dora.dev's Quick Check scores, computed from measured metrics.
//!
//! The 2025 report has no elite/high/medium/low clusters. dora.dev's Quick Check instead puts
//! each metric on a 0–10 scale (10 best) and publishes the mean and standard deviation of those
//! scores for all industries, 13 industries and 9 organisation sizes. The tables are dora.dev's
//! own files (`core/data/dora-quick-check-2025`, see the NOTICE there), read as dora.dev's
//! `data-service.ts` reads them.
//!
//! Scoring, as `data-service.ts` does it:
//! - lead time, deployment frequency and recovery time are answered on a 1–6 scale, scored
//!   `(answer − 1) ÷ 5 × 10`;
//! - change fail rate and rework rate are percentages, scored `10 − percent ÷ 10` (clamped to
//!   0–100%);
//! - throughput is the mean of the first three scores, stability the mean of the last two,
//!   overall the mean of all five.
//!
//! Where dora.dev asks a person, Nagare answers from the measurement (see [`duration_answer`]
//! and [`frequency_answer`]). A metric with no value has no score and is left out of the means,
//! as dora.dev's overall mean leaves out a metric not answered.

use super::bands::{FrequencyInputs, DAY, HOUR, MONTH, SIX_MONTHS, WEEK};
use crate::api::{QuickCheck, QuickCheckScore};
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

/// The Quick Check edition these tables are from.
pub const EDITION: &str = "2025";

const INDUSTRIES: &str = include_str!("../../data/dora-quick-check-2025/industry_metrics.json");
const SIZES: &str = include_str!("../../data/dora-quick-check-2025/organization_size_metrics.json");
const ANSWERS: &str =
    include_str!("../../data/dora-quick-check-2025/metrics_question_responses.json");

/// A mean and standard deviation of a 0–10 score.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Spread {
    pub mean: f64,
    #[serde(rename = "std")]
    pub sd: f64,
}

/// One row of dora.dev's tables, as published.
#[derive(Debug, Clone, Deserialize)]
struct RawRow {
    name: String,
    performance_average: Spread,
    software_delivery_throughput: Spread,
    software_delivery_instability: Spread,
    leadtime: Spread,
    deployfreq: Spread,
    changefailure: Spread,
    failurerecovery: Spread,
    rework: Spread,
}

/// The rows of one table, in the order published ("all" first).
struct Rows(Vec<(String, RawRow)>);

impl<'de> Deserialize<'de> for Rows {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Rows, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Rows;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of peer groups")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rows, A::Error> {
                let mut rows = Vec::new();
                while let Some(entry) = map.next_entry::<String, RawRow>()? {
                    rows.push(entry);
                }
                Ok(Rows(rows))
            }
        }
        d.deserialize_map(InOrder)
    }
}

/// A peer group's spreads, every one on the scale where 10 is best.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerGroup {
    /// `industry:<key>` or `size:<key>`, the key as dora.dev names it.
    pub id: String,
    /// As dora.dev words it: "Technology", "1,000 to 4,999 employees".
    pub name: String,
    pub kind: PeerKind,
    pub overall: Spread,
    pub throughput: Spread,
    pub stability: Spread,
    pub lead_time: Spread,
    pub deployment_frequency: Spread,
    pub recovery_time: Spread,
    pub change_failure_rate: Spread,
    pub rework_rate: Spread,
}

crate::named_enum! {
    /// What a peer group is drawn by.
    pub enum PeerKind as "peer group kind" {
        Industry = "industry",
        Size = "size",
    }
}

impl PeerGroup {
    /// dora.dev's `transformMetrics`: the change fail rate and rework rate means become
    /// `10 − mean`, the instability score becomes stability `10 − mean` (its spread kept), and
    /// the overall mean is recomputed as the mean of the five metric means.
    ///
    /// One correction of the published data: the organisation-size file gives failure recovery
    /// on the inverted scale. Its "All organizations" row has 2.6 where "All industries" has
    /// 7.4 = 10 − 2.6, while every other number of the two "all" rows (the same respondents)
    /// is equal, and the throughput means only fit 7.4. So it is read as `10 − mean` too
    /// (tested: the two "all" rows then agree on everything). dora.dev shows it as published.
    fn from_raw(kind: PeerKind, key: &str, r: RawRow) -> PeerGroup {
        let flip = |s: Spread| Spread {
            mean: 10.0 - s.mean,
            sd: s.sd,
        };
        let (cfr, rework) = (flip(r.changefailure), flip(r.rework));
        let recovery = match kind {
            PeerKind::Industry => r.failurerecovery,
            PeerKind::Size => flip(r.failurerecovery),
        };
        let means = [
            r.leadtime.mean,
            r.deployfreq.mean,
            recovery.mean,
            cfr.mean,
            rework.mean,
        ];
        PeerGroup {
            id: format!("{}:{key}", kind.as_str()),
            name: r.name,
            kind,
            overall: Spread {
                mean: means.iter().sum::<f64>() / means.len() as f64,
                sd: r.performance_average.sd,
            },
            throughput: r.software_delivery_throughput,
            stability: flip(r.software_delivery_instability),
            lead_time: r.leadtime,
            deployment_frequency: r.deployfreq,
            recovery_time: recovery,
            change_failure_rate: cfr,
            rework_rate: rework,
        }
    }
}

/// The Quick Check's words for its answers 1–6.
#[derive(Debug, Clone, Deserialize)]
struct Answers {
    leadtime: std::collections::BTreeMap<String, String>,
    deployfreq: std::collections::BTreeMap<String, String>,
    failurerecovery: std::collections::BTreeMap<String, String>,
}

struct Tables {
    groups: Vec<PeerGroup>,
    answers: Answers,
}

fn load() -> Result<Tables, serde_json::Error> {
    let mut groups = Vec::new();
    for (kind, text) in [(PeerKind::Industry, INDUSTRIES), (PeerKind::Size, SIZES)] {
        let rows: Rows = serde_json::from_str(text)?;
        groups.extend(
            rows.0
                .into_iter()
                .map(|(key, r)| PeerGroup::from_raw(kind, &key, r)),
        );
    }
    Ok(Tables {
        groups,
        answers: serde_json::from_str(ANSWERS)?,
    })
}

/// The tables, read once. They are compiled in; a test proves they read.
static TABLES: LazyLock<Option<Tables>> = LazyLock::new(|| load().ok());

/// Every peer group: the industries (all industries first), then the organisation sizes.
pub fn peer_groups() -> &'static [PeerGroup] {
    TABLES.as_ref().map_or(&[], |t| &t.groups)
}

/// The peer group of an id (`industry:all`, `size:fewer_than_5000`).
pub fn peer_group(id: &str) -> Option<&'static PeerGroup> {
    peer_groups().iter().find(|g| g.id == id)
}

/// Which peer group a Quick Check compares with (`peers=`): `industry:<key>` or `size:<key>`,
/// default `industry:all`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Peers(String);

impl Peers {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Peers {
    fn default() -> Self {
        Peers("industry:all".to_owned())
    }
}

impl fmt::Display for Peers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Peers {
    type Err = String;

    fn from_str(s: &str) -> Result<Peers, String> {
        match peer_group(s) {
            Some(g) => Ok(Peers(g.id.clone())),
            None => {
                let known: Vec<&str> = peer_groups().iter().map(|g| g.id.as_str()).collect();
                Err(format!(
                    "`{}` is not a DORA 2025 peer group; expected one of {}",
                    crate::text::printable(s, 80),
                    known.join(", ")
                ))
            }
        }
    }
}

/// dora.dev's score of an answer 1 (worst) – 6 (best): 0 – 10.
pub fn answer_score(answer: u8) -> f64 {
    (f64::from(answer.clamp(1, 6)) - 1.0) / 5.0 * 10.0
}

/// dora.dev's score of a percentage, 0% → 10 and 100% → 0 (clamped).
pub fn percent_score(percent: f64) -> f64 {
    10.0 - percent.clamp(0.0, 100.0) / 10.0
}

/// The Quick Check answer for a lead time or a recovery time in seconds: less than one hour →
/// 6, less than one day → 5, one day to one week → 4, one week to one month (30 days) → 3, one to
/// six months (182 days) → 2, more → 1.
pub fn duration_answer(seconds: f64) -> u8 {
    match seconds {
        s if s < HOUR => 6,
        s if s < DAY => 5,
        s if s < WEEK => 4,
        s if s < MONTH => 3,
        s if s < SIX_MONTHS => 2,
        _ => 1,
    }
}

/// The Quick Check answer for deployment frequency, on the measures the bands use:
/// - 6 "on demand (multiple deploys per day)": deployment days ≥ 5 a week (median), and on
///   average at least two deployments per deployment day;
/// - 5 "between once per hour and once per day": deployment days ≥ 5 a week;
/// - 4 "between once per day and once per week": ≥ 1 deployment day a week;
/// - 3 "between once per week and once per month": ≥ 1 deployment day per 30-day block;
/// - 2 "between once per month and once every six months": at least one deployment per 182
///   days on average;
/// - 1 "less than once per six months": otherwise, and with no deployments.
pub fn frequency_answer(f: &FrequencyInputs, deployment_days: u64) -> u8 {
    if f.deployments == 0 {
        1
    } else if f.median_days_per_week >= 5.0 && f.deployments >= 2 * deployment_days {
        6
    } else if f.median_days_per_week >= 5.0 {
        5
    } else if f.median_days_per_week >= 1.0 {
        4
    } else if f.median_days_per_30_days >= 1.0 {
        3
    } else if f.per_half_year() >= 1.0 {
        2
    } else {
        1
    }
}

/// What the Quick Check is computed from: a window's measured metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub frequency: FrequencyInputs,
    pub deployment_days: u64,
    /// Median change lead time, seconds.
    pub lead_time: Option<f64>,
    /// Median failed deployment recovery time, seconds.
    pub recovery_time: Option<f64>,
    /// Fractions: 0.05 = 5%.
    pub change_failure_rate: Option<f64>,
    pub rework_rate: Option<f64>,
}

fn mean(scores: &[Option<f64>]) -> Option<f64> {
    let known: Vec<f64> = scores.iter().flatten().copied().collect();
    (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
}

/// The Quick Check of measured metrics against a peer group; `None` only if the compiled-in
/// tables could not be read (a test proves they can).
pub fn quick_check(m: &Measured, peers: &Peers) -> Option<QuickCheck> {
    let tables = TABLES.as_ref()?;
    let g = peer_group(peers.as_str())?;
    let words = |table: &std::collections::BTreeMap<String, String>, a: u8| {
        table.get(&a.to_string()).cloned()
    };
    let categorical = |answer: Option<u8>, table, spread: Spread| QuickCheckScore {
        score: answer.map(answer_score),
        answer,
        answer_text: answer.and_then(|a| words(table, a)),
        peer_mean: spread.mean,
        peer_sd: spread.sd,
    };
    let percentage = |rate: Option<f64>, spread: Spread| QuickCheckScore {
        score: rate.map(|r| percent_score(r * 100.0)),
        answer: None,
        answer_text: None,
        peer_mean: spread.mean,
        peer_sd: spread.sd,
    };
    let lead_time = categorical(
        m.lead_time.map(duration_answer),
        &tables.answers.leadtime,
        g.lead_time,
    );
    let deployment_frequency = categorical(
        Some(frequency_answer(&m.frequency, m.deployment_days)),
        &tables.answers.deployfreq,
        g.deployment_frequency,
    );
    let recovery_time = categorical(
        m.recovery_time.map(duration_answer),
        &tables.answers.failurerecovery,
        g.recovery_time,
    );
    let change_failure_rate = percentage(m.change_failure_rate, g.change_failure_rate);
    let rework_rate = percentage(m.rework_rate, g.rework_rate);
    let group = |scores: &[Option<f64>], spread: Spread| QuickCheckScore {
        score: mean(scores),
        answer: None,
        answer_text: None,
        peer_mean: spread.mean,
        peer_sd: spread.sd,
    };
    let throughput = [
        lead_time.score,
        deployment_frequency.score,
        recovery_time.score,
    ];
    let stability = [change_failure_rate.score, rework_rate.score];
    let all = [throughput.as_slice(), stability.as_slice()].concat();
    Some(QuickCheck {
        edition: EDITION.to_owned(),
        peers: g.id.clone(),
        peer_name: g.name.clone(),
        overall: group(&all, g.overall),
        throughput: group(&throughput, g.throughput),
        stability: group(&stability, g.stability),
        deployment_frequency,
        change_lead_time: lead_time,
        change_failure_rate,
        recovery_time,
        rework_rate,
    })
}

#[cfg(test)]
mod tests;
