//! The DORA 2025 comparison's strings: dora.dev's Quick Check scores, as docs/metrics.md states
//! them.

pub const F_PEERS: &str = "Compare with";
pub const PEERS_INDUSTRY: &str = "Industry";
pub const PEERS_SIZE: &str = "Organisation size";
pub const QC_TITLE: &str = "DORA 2025 Quick Check";
pub const QC_NO_CLUSTERS: &str = "DORA 2025 has no elite, high, medium and low clusters any more, so no metric gets a band. Instead, each metric is scored as dora.dev's Quick Check scores an answer, from 0 to 10 where 10 is best, and shown against the chosen peers' mean ± one standard deviation from the 2025 survey.";
pub const QC_HOW: &str = "Lead time, deployment frequency and recovery time are placed in the Quick Check's six answers and scored (answer − 1) ÷ 5 × 10. Change fail rate and rework rate score 10 − percent ÷ 10. Throughput is the mean of the first three, stability (10 − the report's instability) of the last two, overall of all five; a metric without a value is left out.";
pub const QC_SOURCE: &str = "Peer means and spreads: dora.dev Quick Check, 2025 edition (Apache-2.0, CC BY 4.0). The organisation-size table publishes recovery on the inverted scale; Nagare reads it as 10 − mean so that 10 is best everywhere.";
pub const QC_OVERALL: &str = "Overall";
pub const QC_THROUGHPUT: &str = "Software delivery throughput";
pub const QC_STABILITY: &str = "Software delivery stability";
pub const QC_SCORE: &str = "Score (0–10, 10 best)";
pub const QC_NO_SCORE: &str = "no value";
pub const QC_LEGEND_YOU: &str = "This selection";
pub const QC_LEGEND_MEAN: &str = "Peers' mean";
pub const QC_LEGEND_SD: &str = "± 1 standard deviation";
pub const QC_AHEAD: &str = "ahead of peers";
pub const QC_TYPICAL: &str = "within peers' spread";
pub const QC_BEHIND: &str = "behind peers";
pub const QC_SCALE: &str = "Quick Check score, 0 (worst) to 10 (best)";

pub fn qc_peer_caption(peer: &str) -> String {
    format!("Peers: {peer}")
}

pub fn qc_score(score: f64) -> String {
    format!("{score:.1} / 10")
}

pub const QC_PEERS_COL: &str = "Peers: mean ± sd";

pub fn qc_spread(mean: f64, sd: f64) -> String {
    format!("{mean:.1} ± {sd:.1}")
}

pub fn qc_peers(mean: f64, sd: f64) -> String {
    format!("peers {}", qc_spread(mean, sd))
}

pub fn qc_badge_title(peer: &str, mean: f64, sd: f64) -> String {
    format!("DORA 2025 Quick Check score; {peer}: mean {mean:.1}, standard deviation {sd:.1}")
}

pub fn qc_answer(answer: &str) -> String {
    format!("Quick Check answer: {answer}")
}
