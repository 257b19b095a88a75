//! `nagare demo` and `make run`'s seeding: the demo organisation, its GitHub history, SLOs and
//! cloud cost, stored into an empty database.

use crate::config::Config;
use crate::store::{RawDelivery, Store};

/// Stores the demo organisation: its events as one batch, then its GitHub team's history as
/// the deliveries GitHub would have sent (`demo:` ids), kept raw and mapped by the GitHub
/// source with the demo's repository rules, in a second; then its three SLOs with 40 days of
/// pushed counts. Returns the events stored.
pub async fn seed_demo(store: &Store, config: &Config, seed: u64) -> anyhow::Result<usize> {
    let now = nagare_core::Timestamp(crate::store::now_millis());
    let history =
        nagare_core::demo::github::github_history(nagare_core::demo::demo_org(seed, now), now);
    let mut github = config.sources.github.clone();
    github.add_demo_rules();
    let rules = github.rules().map_err(anyhow::Error::msg)?;
    // Checked before anything is written, so that a refused seed leaves the database empty
    // (and a later start seeds it again).
    for (repo, service, _) in nagare_core::demo::github_repos() {
        if rules.service_of(repo) != Some(service) {
            anyhow::bail!(
                "the configuration maps the demo's repository {repo} to another service than {service}: take that [[sources.github.repos]] rule out to seed the demo"
            );
        }
    }
    let mapping = crate::sources::github::Github::mapping(&github)?;
    let events = history.events;
    let n = events.len();
    let raw = RawDelivery {
        source: "demo".into(),
        event: None,
        delivery_id: Some(format!("seed-{seed}")),
        content_type: None,
        size_bytes: 0,
        payload: None,
    };
    store.ingest(events, &raw).await?;
    let synth = history
        .deliveries
        .into_iter()
        .map(|d| crate::sources::backfill::Synth {
            event: d.event,
            id: d.id,
            body: d.body,
        })
        .collect();
    let mut report = crate::sources::backfill::RepoReport::default();
    crate::sources::backfill::store_synthesized(store, &mapping, synth, None, &mut report).await?;
    if report.kept_only > 0 {
        anyhow::bail!(
            "{} of the demo's GitHub deliveries were not mapped: a configured rule maps its repositories otherwise",
            report.kept_only
        );
    }
    let (defs, samples) = nagare_core::demo::slo::demo_slos(
        &nagare_core::demo::demo_org(seed, now),
        now,
        config.slo.step_secs.max(1) as i64 * 1000,
        seed,
    );
    for def in &defs {
        store.insert_slo_def(def, "demo").await?;
    }
    let rows: Vec<crate::store::SliRow> = samples
        .into_iter()
        .map(|(slo, start, good, total)| crate::store::SliRow {
            slo,
            start,
            good,
            total,
            source: "demo".into(),
        })
        .collect();
    store.put_sli(&rows, None).await?;
    crate::cost::command::seed_demo(store, seed, now.0).await?;
    Ok(n + report.stored as usize)
}
