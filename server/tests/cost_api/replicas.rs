//! Replicas on one database (docs/cost.md, "Several replicas"): a billing period stored
//! through one process's store is served by another within about a second (each request may
//! ask the store's cost generation once a second), and so is a restatement of it.

use super::sample::{sample_cfg, SAMPLE};
use super::support::*;
use crate::common::*;
use nagare_server::store::Store;
use nagare_server::AppState;
use std::path::Path;
use std::time::{Duration, Instant};

const SEPTEMBER: &str = "/api/v1/costs?from=2024-09-01T00:00:00Z&to=2024-10-01T00:00:00Z";

/// Polls `state` until its September total is `want`; how long it took.
async fn until_total(state: &AppState, want: f64, what: &str) -> Duration {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(5);
    loop {
        let got = num(&ok(state, SEPTEMBER).await["total"]);
        if (got - want).abs() <= 1e-9 * want.abs().max(1.0) {
            return start.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "{what}: still {got} after 5 s, want {want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn another_replica_serves_a_new_period_within_a_second() {
    for backend in backends() {
        let (url, _dir) = fresh_url(backend).await;
        let writer = state_on(Store::open(&url).await.unwrap(), sample_cfg()).await;
        let reader = state_on(Store::open(&url).await.unwrap(), sample_cfg()).await;
        // Both have read (and hold) nothing.
        for s in [&writer, &reader] {
            assert_eq!(num(&ok(s, SEPTEMBER).await["total"]), 0.0, "{backend}");
        }
        run(&writer.store, &sample_cfg(), "sample", Path::new(SAMPLE))
            .await
            .unwrap();
        let rows = writer.store.cost_daily().await.unwrap();
        let want: f64 = rows.iter().map(|r| r.effective).sum();
        assert!(want > 0.0);
        let took = until_total(&reader, want, &format!("{backend}: the other replica")).await;
        assert!(took < Duration::from_millis(1500), "{backend}: {took:?}");
        until_total(&writer, want, &format!("{backend}: the writer")).await;

        // New allocation rules (a team tag of its own): the next run reads every period again
        // without being forced, replacing their rows; the generation moves, the reader follows.
        let mut cfg = sample_cfg();
        cfg.team_tags = vec!["environment".into()];
        let r = nagare_server::cost::ingest::run(
            &writer.store,
            &cfg,
            "sample",
            SAMPLE,
            false,
            &mut |_| {},
        )
        .await
        .unwrap();
        assert!(
            r.periods.iter().all(|p| matches!(
                p.outcome,
                nagare_server::cost::ingest::Outcome::Ingested { .. }
            )),
            "{backend}: {r:?}"
        );
        let dev = |state: &AppState| {
            let state = state.clone();
            async move {
                let r = ok(&state, &format!("{SEPTEMBER}&group_by=team")).await;
                r["groups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|g| g["key"] == "dev")
            }
        };
        let start = Instant::now();
        while !dev(&reader).await {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{backend}: the reader still groups by the old team tag"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            start.elapsed() < Duration::from_millis(1500),
            "{backend}: {:?}",
            start.elapsed()
        );
    }
}
