//! The DORA 2025 comparison: a metric's Quick Check score as a badge, and a panel of every
//! score on the 0–10 scale against the peers' mean ± one standard deviation (as dora.dev draws
//! it).

use crate::metric::Metric;
use crate::strings;
use leptos::prelude::*;
use nagare_core::api::{QuickCheck, QuickCheckScore};

/// Where a score stands against its peers: above mean + sd, below mean − sd, or within.
pub fn standing(s: &QuickCheckScore) -> Option<(&'static str, &'static str)> {
    let score = s.score?;
    Some(if score > s.peer_mean + s.peer_sd {
        ("ahead", strings::QC_AHEAD)
    } else if score < s.peer_mean - s.peer_sd {
        ("behind", strings::QC_BEHIND)
    } else {
        ("typical", strings::QC_TYPICAL)
    })
}

/// A score's position on the 0–10 scale, as a CSS percentage.
fn at(v: f64) -> String {
    format!("{:.2}%", (v.clamp(0.0, 10.0)) * 10.0)
}

/// A metric's score in its card's head, in place of a band.
#[component]
pub fn ScoreBadge(score: QuickCheckScore, peer: String) -> impl IntoView {
    let title = strings::qc_badge_title(&peer, score.peer_mean, score.peer_sd);
    match (score.score, standing(&score)) {
        (Some(v), Some((class, words))) => view! {
            <span
                class=format!("band qc-badge qc-{class}")
                data-test="qc-badge"
                data-raw=v.to_string()
                title=format!("{title} — {words}")
            >
                <span class="band-dot" aria-hidden="true"></span>
                {strings::qc_score(v)}
            </span>
        }
        .into_any(),
        _ => view! {
            <span class="band band-none" data-test="qc-badge" title=title>
                {strings::QC_NO_SCORE}
            </span>
        }
        .into_any(),
    }
}

/// One row of the panel: a name, what was measured, the score and the scale.
fn row(key: &'static str, name: &'static str, s: &QuickCheckScore, group: bool) -> impl IntoView {
    let (low, high) = (s.peer_mean - s.peer_sd, s.peer_mean + s.peer_sd);
    let band_style = format!("left: {}; width: calc({} - {})", at(low), at(high), at(low));
    let mean_style = format!("left: {}", at(s.peer_mean));
    let you = s.score.map(|v| {
        let class = standing(s).map_or("typical", |(c, _)| c);
        view! {
            <span
                class=format!("qc-you qc-{class}")
                style=format!("left: {}", at(v))
                title=strings::qc_score(v)
            ></span>
        }
    });
    let words = standing(s).map(|(_, w)| view! { <span class="qc-standing">{w}</span> });
    let answer = s
        .answer_text
        .clone()
        .map(|a| view! { <span class="qc-answer muted">{strings::qc_answer(&a)}</span> });
    view! {
        <tr class:qc-group=group data-test="qc-row" data-key=key>
            <th scope="row">
                <span class="qc-name">{name}</span>
                {answer}
            </th>
            <td class="num qc-score" data-raw=s.score.map(|v| v.to_string()).unwrap_or_default()>
                {s.score.map_or_else(|| strings::QC_NO_SCORE.to_owned(), strings::qc_score)}
                {words}
            </td>
            <td class="num qc-peers">{strings::qc_spread(s.peer_mean, s.peer_sd)}</td>
            <td class="qc-scale-cell">
                <div class="qc-scale" role="img" aria-label=format!(
                    "{}: {}; {}",
                    name,
                    s.score.map_or_else(|| strings::QC_NO_SCORE.to_owned(), strings::qc_score),
                    strings::qc_peers(s.peer_mean, s.peer_sd),
                )>
                    <span class="qc-sd" style=band_style></span>
                    <span class="qc-mean" style=mean_style></span>
                    {you}
                </div>
            </td>
        </tr>
    }
}

/// Every Quick Check score of a report against the peers, with how they are computed.
#[component]
pub fn QuickCheckPanel(qc: QuickCheck) -> impl IntoView {
    let metric = |m: Metric| row(m.key(), m.title(), m.quick_check(&qc), false);
    let ticks = (0..=5)
        .map(|i| {
            let v = f64::from(i * 2);
            view! { <span style=format!("left: {}", at(v))>{i * 2}</span> }
        })
        .collect_view();
    view! {
        <section class="quick-check" data-test="quick-check" aria-labelledby="qc-title">
            <header class="qc-head">
                <h2 id="qc-title">{strings::QC_TITLE}</h2>
                <p class="muted" data-test="qc-peer">{strings::qc_peer_caption(&qc.peer_name)}</p>
            </header>
            <p class="qc-note" data-test="qc-no-clusters">{strings::QC_NO_CLUSTERS}</p>
            <table class="qc-table">
                <thead>
                    <tr>
                        <th scope="col"></th>
                        <th scope="col" class="num">{strings::QC_SCORE}</th>
                        <th scope="col" class="num">{strings::QC_PEERS_COL}</th>
                        <th scope="col">
                            <div class="qc-axis" aria-label=strings::QC_SCALE>{ticks}</div>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {row("overall", strings::QC_OVERALL, &qc.overall, true)}
                    {row("throughput", strings::QC_THROUGHPUT, &qc.throughput, true)}
                    {metric(Metric::LeadTime)}
                    {metric(Metric::DeploymentFrequency)}
                    {metric(Metric::RecoveryTime)}
                    {row("stability", strings::QC_STABILITY, &qc.stability, true)}
                    {metric(Metric::ChangeFailureRate)}
                    {metric(Metric::ReworkRate)}
                </tbody>
            </table>
            <ul class="legend qc-legend">
                <li><span class="qc-key qc-key-you" aria-hidden="true"></span>{strings::QC_LEGEND_YOU}</li>
                <li><span class="qc-key qc-key-mean" aria-hidden="true"></span>{strings::QC_LEGEND_MEAN}</li>
                <li><span class="qc-key qc-key-sd" aria-hidden="true"></span>{strings::QC_LEGEND_SD}</li>
            </ul>
            <details class="definition">
                <summary>
                    <span class="info-icon" aria-hidden="true">"i"</span>
                    {strings::DEFINITION}
                </summary>
                <p>{strings::QC_HOW}</p>
                <p class="muted">{strings::QC_SOURCE}</p>
            </details>
        </section>
    }
}
