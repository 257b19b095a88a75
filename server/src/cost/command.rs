//! `nagare import-cost`: reads cost exports into the store now, with a progress bar; and the
//! demo's cost (`make run`).

use super::ingest::{self, Outcome, Report, Step};
use crate::config::{Config, CostConfig};
use crate::store::Store;

/// What `nagare import-cost` was asked to read.
pub enum Target {
    /// Every configured source (and Athena when configured).
    Configured,
    /// The configured Athena table.
    Athena,
    /// A directory, a file or `s3://bucket/prefix`.
    Location(String),
}

impl Target {
    pub fn of(arg: Option<String>) -> Target {
        match arg.as_deref() {
            None => Target::Configured,
            Some("athena") => Target::Athena,
            Some(l) => Target::Location(l.to_owned()),
        }
    }
}

/// Reads `target`, printing each billing period's outcome; fails when any period was refused.
pub async fn import(
    store: &Store,
    config: &Config,
    target: Target,
    source: Option<String>,
    force: bool,
    quiet: bool,
) -> anyhow::Result<()> {
    let cfg = &config.cost;
    let mut reports = Vec::new();
    let jobs: Vec<(String, String)> = match &target {
        Target::Configured => {
            if !cfg.configured() {
                anyhow::bail!(
                    "no cost source is configured: name a directory, a file or s3://bucket/prefix, or configure [[cost.sources]] (docs/cost.md)"
                );
            }
            cfg.sources
                .iter()
                .map(|s| (s.name.clone(), s.location.clone()))
                .collect()
        }
        Target::Athena => Vec::new(),
        Target::Location(l) => {
            let name = source.clone().unwrap_or_else(|| {
                cfg.sources
                    .iter()
                    .find(|s| s.location == *l)
                    .map_or_else(|| default_source(l), |s| s.name.clone())
            });
            vec![(name, l.clone())]
        }
    };
    for (name, location) in jobs {
        let bar = Bar::new(quiet, &name);
        let mut step = |s: Step| bar.step(s);
        reports.push(ingest::run(store, cfg, &name, &location, force, &mut step).await?);
        bar.done();
    }
    if matches!(target, Target::Athena | Target::Configured) {
        if let Some(a) = &cfg.athena {
            let athena =
                super::athena::Athena::from_config(a, &cfg.s3, &super::athena::tag_keys(cfg))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            let name = source.clone().unwrap_or_else(|| a.name.clone());
            let periods = ingest::athena_periods(crate::store::now_millis(), a.months);
            let bar = Bar::new(quiet, &name);
            let mut step = |s: Step| bar.step(s);
            reports.push(
                ingest::run_athena(store, cfg, &athena, &name, &periods, force, &mut step).await?,
            );
            bar.done();
        } else if matches!(target, Target::Athena) {
            anyhow::bail!("`athena`: no [cost.athena] is configured (docs/cost.md, \"Athena\")");
        }
    }
    let refused: usize = reports.iter().map(Report::refused).sum();
    for r in &reports {
        println!("{}", r.summary());
    }
    if refused > 0 {
        anyhow::bail!("{refused} billing period(s) were refused; what was stored before stays (see above, or the Cost sources page)");
    }
    Ok(())
}

/// The source name of a location imported without `--source`: its last path segment
/// (`focus_sample.csv`, `my-export`), so that two different files of the same month do not
/// replace each other.
pub fn default_source(location: &str) -> String {
    let last = location
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let name: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if name.is_empty() || name == "demo" {
        "import".into()
    } else {
        name
    }
}

/// The progress bar: bytes of the files to read, and a line per billing period.
struct Bar {
    bar: indicatif::ProgressBar,
}

impl Bar {
    fn new(quiet: bool, source: &str) -> Bar {
        let bar = if quiet {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new(0)
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{prefix} {bar:40} {bytes}/{total_bytes} ({eta} left) {msg}",
        ) {
            bar.set_style(style);
        }
        bar.set_prefix(source.to_owned());
        Bar { bar }
    }

    fn step(&self, s: Step) {
        match s {
            Step::Planned { bytes, .. } => self.bar.set_length(bytes),
            Step::FileRead { name, bytes, rows } => {
                self.bar.inc(bytes);
                self.bar.set_message(format!("{name}: {rows} rows"));
            }
            Step::Period(p) => {
                let what = match &p.outcome {
                    Outcome::Ingested {
                        rows,
                        skipped,
                        daily,
                    } => format!(
                        "ingested: {rows} rows ({skipped} bad rows skipped) into {daily} daily rows"
                    ),
                    Outcome::Unchanged => "unchanged".into(),
                    Outcome::Waiting => "waiting: data files without a manifest yet".into(),
                    Outcome::Refused { error } => format!("refused: {error}"),
                };
                // Printed even without a terminal or with --quiet (the bar is then hidden).
                self.bar.suspend(|| println!("{}: {what}", p.period));
            }
        }
    }

    fn done(&self) {
        self.bar.finish_and_clear();
    }
}

/// Stores the demo's six months of cost (source `demo`), allocated as an export's rows are:
/// by its tags, then its account map; the CI account's rows are CI's.
pub async fn seed_demo(store: &Store, seed: u64, now_ms: i64) -> anyhow::Result<usize> {
    use nagare_core::demo::cost as demo;
    let cfg = CostConfig {
        account_teams: demo::ACCOUNTS
            .iter()
            .map(|(id, _, team)| ((*id).to_owned(), (*team).to_owned()))
            .collect(),
        ci_accounts: vec![demo::CI_ACCOUNT.to_owned()],
        ..CostConfig::default()
    };
    let mut agg = super::aggregate::Aggregator::new(&cfg);
    let day_ms = nagare_core::time::DAY_MS;
    for r in demo::demo_costs(seed, now_ms) {
        let start = i64::from(r.day) * day_ms;
        agg.add(&super::CostLine {
            start_ms: start,
            end_ms: start + day_ms,
            billing_period: nagare_core::cost::series::month_text(r.day),
            provider: "AWS".into(),
            account_id: r.account_id.into(),
            account_name: r.account_name.into(),
            service_name: r.service_name.into(),
            service_category: r.service_category.into(),
            charge_category: "Usage".into(),
            currency: "USD".into(),
            tags: r
                .tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            billed: r.billed,
            effective: r.effective,
            list: r.list,
            ..Default::default()
        });
    }
    let rows = agg.rows();
    let mut by_period: std::collections::BTreeMap<String, Vec<super::DailyCost>> =
        std::collections::BTreeMap::new();
    for d in agg.finish() {
        by_period
            .entry(d.billing_period.clone())
            .or_default()
            .push(d);
    }
    let mut stored = 0;
    for (period, daily) in by_period {
        let meta = crate::store::PeriodMeta {
            version: format!("demo-{seed}"),
            format: "focus-1.2".into(),
            files: 1,
            rows_read: daily.iter().map(|d| d.rows as i64).sum(),
            rows_skipped: 0,
            rules_key: ingest::rules_key(&cfg),
            problems: None,
        };
        stored += daily.len();
        store
            .replace_cost_period("demo", &period, &daily, &meta)
            .await?;
    }
    tracing::debug!(rows, stored, "seeded the demo's cost");
    Ok(stored)
}
