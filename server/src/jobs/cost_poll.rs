//! The cost sources read on a schedule (`crate::cost::ingest`), on one replica (a lease): each
//! `[[cost.sources]]` every its `poll_secs`, Athena every `cost.athena.poll_secs`. A run reads
//! only what changed (a new or restated billing period, changed allocation rules).

use super::{BoxFuture, Job};
use crate::cost::ingest;
use crate::state::AppState;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Default)]
pub struct CostPoll {
    /// When each source was last read by this process.
    last: Mutex<HashMap<String, Instant>>,
}

impl CostPoll {
    /// Whether `name` is due, marking it read now if so.
    async fn due(&self, name: &str, every: u64) -> bool {
        if every == 0 {
            return false;
        }
        let mut last = self.last.lock().await;
        let due = last
            .get(name)
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(every));
        if due {
            last.insert(name.to_owned(), Instant::now());
        }
        due
    }

    async fn pass(&self, state: &AppState) -> anyhow::Result<String> {
        let cfg = &state.config.cost;
        let mut said = Vec::new();
        let mut quiet = |_: ingest::Step| {};
        for s in &cfg.sources {
            if !self.due(&s.name, s.poll_secs).await {
                continue;
            }
            let line = match ingest::run(&state.store, cfg, &s.name, &s.location, false, &mut quiet)
                .await
            {
                Ok(r) => r.summary(),
                Err(e) => format!("{}: {e:#}", s.name),
            };
            state.costs.polled(&s.name, line.clone());
            said.push(line);
        }
        if let Some(a) = &cfg.athena {
            if self.due(&a.name, a.poll_secs).await {
                let keys = crate::cost::athena::tag_keys(cfg);
                let periods = ingest::athena_periods(crate::store::now_millis(), a.months);
                let line = match crate::cost::athena::Athena::from_config(a, &cfg.s3, &keys).await {
                    Ok(athena) => match ingest::run_athena(
                        &state.store,
                        cfg,
                        &athena,
                        &a.name,
                        &periods,
                        false,
                        &mut quiet,
                    )
                    .await
                    {
                        Ok(r) => r.summary(),
                        Err(e) => format!("{}: {e:#}", a.name),
                    },
                    Err(e) => format!("{}: {e}", a.name),
                };
                state.costs.polled(&a.name, line.clone());
                said.push(line);
            }
        }
        state.costs.invalidate().await;
        Ok(if said.is_empty() {
            "no cost source due".into()
        } else {
            said.join("; ")
        })
    }
}

impl Job for CostPoll {
    fn name(&self) -> &'static str {
        "cost_poll"
    }
    /// Often enough for the shortest `poll_secs`; each source keeps its own interval.
    fn every(&self, state: &AppState) -> Duration {
        let cfg = &state.config.cost;
        let shortest = cfg
            .sources
            .iter()
            .map(|s| s.poll_secs)
            .chain(cfg.athena.iter().map(|a| a.poll_secs))
            .filter(|s| *s > 0)
            .min()
            .unwrap_or(3600);
        Duration::from_secs(shortest.clamp(1, 60))
    }
    fn once_across_replicas(&self) -> bool {
        true
    }
    fn run<'a>(&'a self, state: &'a AppState) -> BoxFuture<'a, anyhow::Result<String>> {
        Box::pin(self.pass(state))
    }
}
