//! The demo's GitHub history (`nagare demo`, `make run`): one team's deployments and
//! pipelines arrive as the deliveries GitHub would have sent, kept raw and mapped by the
//! GitHub source; they replay to the same events. On both backends.

use super::github::{stored, SECRET};
use crate::common::*;
use nagare_server::config::Config;
use nagare_server::sources::replay::{replay_named, ReplayScope};
use nagare_server::sources::Registry;
use nagare_server::AppState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_github_history_is_kept_raw_mapped_and_replays_to_the_same_events() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let mut config = Config::default();
        config.server.dist_dir = "/nonexistent-dist".into();
        config.sources.github.secrets = vec![SECRET.into()];
        // What `Config::load` does when demo.seed_on_empty is set.
        config.sources.github.add_demo_rules();
        assert_eq!(config.sources.github.repos.len(), 4);
        nagare_server::cli::seed_demo(&store, &config, 42)
            .await
            .unwrap();
        let (kept, partial) = store.kept_counts("github").await.unwrap();
        assert!(kept > 1000, "{kept}");
        assert_eq!(partial, 0, "every payload is kept whole");

        let state = AppState::new(store.clone(), config.clone()).await.unwrap();
        let sources = get(&state, "/api/v1/sources").await.json;
        let gh = &sources[0];
        assert_eq!(gh["verdicts"]["accepted"], kept, "{backend}: {gh}");
        for v in ["unmapped", "rejected", "ignored"] {
            assert_eq!(gh["verdicts"][v], 0, "{backend} {v}: {gh}");
        }
        let events = get(&state, "/api/v1/deliveries?event=workflow_job&per_page=1").await;
        assert!(
            events.json["total"].as_u64().unwrap() > 100,
            "{}",
            events.json
        );
        // The checkout team's deployments are GitHub's; the payments team's the demo's.
        for (team, source) in [("checkout", "github"), ("payments", "demo")] {
            let d = get(
                &state,
                &format!("/api/v1/deployments?team={team}&per_page=100"),
            )
            .await;
            let items = d.json["items"].as_array().unwrap();
            assert!(items.len() > 20, "{team}: {}", d.json);
            assert!(
                items.iter().all(|i| i["source"] == source),
                "{backend} {team}: {}",
                d.json
            );
        }
        // A GitHub deployment with changes: its commits came from the demo's graph.
        let d = get(
            &state,
            "/api/v1/deployments?team=checkout&environment_tier=production&per_page=100",
        )
        .await;
        let with_changes = d.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["changes"].as_u64() > Some(0) && i["incomplete_graph"] == false)
            .cloned()
            .unwrap_or_else(|| panic!("{}", d.json));
        assert!(
            with_changes["lead_time"].as_f64().unwrap() > 0.0,
            "{with_changes}"
        );

        // Replayed under the same rules, the deliveries give the same events.
        let before = stored(&store).await;
        let registry = Registry::from_config(&config).unwrap();
        let r = replay_named(&store, &registry, "github", ReplayScope::All, &|_| {})
            .await
            .unwrap();
        assert_eq!(r.deliveries as i64, kept, "{backend}: {r:?}");
        assert_eq!(
            (
                r.events.added,
                r.events.changed,
                r.events.removed,
                r.verdicts_changed
            ),
            (0, 0, 0, 0),
            "{backend}: {r:?}"
        );
        assert_eq!(stored(&store).await, before, "{backend}");
    }
}

#[tokio::test]
async fn a_rule_mapping_a_demo_repository_elsewhere_stops_the_seed_before_it_writes() {
    let (store, _dir) = fresh_store("sqlite").await;
    let mut config = Config::default();
    config.sources.github.repos = vec![nagare_server::config::RepoRuleConfig {
        repo: "acme/checkout-web".into(),
        service: "storefront".into(),
        path: None,
        teams: Vec::new(),
    }];
    let e = nagare_server::cli::seed_demo(&store, &config, 42)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "maps the demo's repository acme/checkout-web to another service than checkout-web"
        ),
        "{e}"
    );
    assert_eq!(store.event_count().await.unwrap(), 0, "nothing was written");
    assert_eq!(store.kept_counts("github").await.unwrap(), (0, 0));
}
