//! Who reads which cost (docs/cost.md, "The API"), under single sign-on (the identity provider
//! is never reached: API tokens are stored directly): a `read` token limited to team `search`
//! reads the cost allocated to search (its tags, and its account's untagged rows) and never
//! the unallocated sandbox or another team's; another team or its service is refused (403);
//! no token is 401; `/costs/sources` is for admins only. An unrestricted `read` token reads
//! everything, unallocated included.

use super::support::*;
use crate::common::*;
use axum::body::Body;
use axum::http::Request;
use nagare_core::api::{ApiTokenRow, TokenScope};
use nagare_core::demo::cost::{demo_costs, DemoCost, SANDBOX_ACCOUNT};
use nagare_core::events::parse_batch;
use nagare_core::Timestamp;
use nagare_server::config::{Config, CostConfig};
use nagare_server::store::Store;
use nagare_server::AppState;

const CATALOGUE: &str = r#"[{"kind":"team","name":"payments"},{"kind":"team","name":"search"},
{"kind":"service","name":"payments-api","repo":"acme/payments","teams":["payments"]},
{"kind":"service","name":"search-api","teams":["search"]},
{"kind":"service","name":"indexer","teams":["search"]},
{"kind":"service","name":"query-suggest","teams":["search"]}]"#;

/// Single sign-on on (an issuer that is never asked: only tokens are used here).
fn sso() -> Config {
    let mut c = local_config(CostConfig::default());
    c.auth.issuer = "http://127.0.0.1:9/idp".into();
    c.auth.client_id = "nagare".into();
    c.auth.client_secret = "a-client-secret".into();
    c.auth.redirect_url = "http://nagare.test/auth/callback".into();
    c
}

/// A token stored with `teams` as its limit (empty: none); its `Authorization` header.
async fn token(store: &Store, id: &str, teams: &[&str]) -> String {
    let secret = format!("ngr_cost-api-test-{id}");
    let now = nagare_server::store::now_millis();
    let row = ApiTokenRow {
        id: id.into(),
        name: id.into(),
        scopes: vec![TokenScope::Read],
        prefix: "ngr_cost".into(),
        created_by: "test".into(),
        created_at: Timestamp(now),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
        teams: teams.iter().map(|t| (*t).to_owned()).collect(),
        services: Vec::new(),
    };
    store
        .create_token(&row, &nagare_server::auth::hash_secret(&secret))
        .await
        .unwrap();
    format!("Bearer {secret}")
}

async fn get_as(state: &AppState, uri: &str, auth: Option<&str>) -> Reply {
    let mut req = Request::get(uri);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    call(state, req.body(Body::empty()).unwrap()).await
}

async fn ok_as(state: &AppState, uri: &str, auth: &str) -> serde_json::Value {
    let r = get_as(state, uri, Some(auth)).await;
    assert_eq!(r.status, 200, "{uri}: {}", r.json);
    r.json
}

fn tag<'a>(r: &'a DemoCost, key: &str) -> Option<&'a str> {
    r.tags.iter().find(|t| t.0 == key).map(|t| t.1.as_str())
}

#[tokio::test]
async fn a_token_limited_to_a_team_reads_only_that_teams_cost() {
    for backend in backends() {
        let (store, _url, _dir) = fresh(backend).await;
        store
            .ingest(
                parse_batch(CATALOGUE, false).unwrap(),
                &raw_delivery("test"),
            )
            .await
            .unwrap();
        let now = nagare_server::store::now_millis();
        nagare_server::cost::command::seed_demo(&store, 7, now)
            .await
            .unwrap();
        let rows = demo_costs(7, now);
        let today = now.div_euclid(DAY_MS);
        // A CI run of payments' repository yesterday, ten minutes long.
        let start = (today - 1) * DAY_MS + 10 * 3_600_000;
        let run = serde_json::json!({"kind": "pipeline_run", "provider": "github", "id": "77-1",
            "run_id": "77", "attempt": 1, "repo": "acme/payments", "workflow": "ci",
            "branch": "main", "sha": "abc", "trigger": "push", "status": "completed",
            "conclusion": "success", "started_at": Timestamp(start).to_string(),
            "finished_at": Timestamp(start + 600_000).to_string(), "jobs": []});
        store
            .ingest(
                parse_batch(&run.to_string(), true).unwrap(),
                &raw_delivery("test"),
            )
            .await
            .unwrap();
        let search = token(&store, "search-reader", &["search"]).await;
        let reader = token(&store, "reader", &[]).await;
        let state = AppState::new(store, sso()).await.unwrap();
        let recent: Vec<&DemoCost> = rows
            .iter()
            .filter(|r| i64::from(r.day) >= today - 89)
            .collect();
        // The team's cost: its tags, and the untagged rows of its account (the account map).
        let searchs: Vec<&DemoCost> = recent
            .iter()
            .copied()
            .filter(|r| {
                tag(r, "user:team") == Some("search")
                    || (r.tags.is_empty() && r.account_id == "333300003333")
            })
            .collect();
        let search_total: f64 = searchs.iter().map(|r| r.effective).sum();

        // No token: 401; a filter naming nothing in scope, or none: 403.
        let r = get_as(&state, "/api/v1/costs?team=search", None).await;
        assert_eq!(r.status, 401, "{backend}: {}", r.json);
        for uri in [
            "/api/v1/costs",
            "/api/v1/costs?team=payments",
            "/api/v1/costs?service=payments-api",
            "/api/v1/costs/anomalies?team=payments",
            "/api/v1/costs/unit?team=payments",
            "/api/v1/costs/sources",
        ] {
            let r = get_as(&state, uri, Some(&search)).await;
            assert_eq!(r.status, 403, "{backend} {uri}: {}", r.json);
        }
        let r = get_as(&state, "/api/v1/costs/sources", Some(&reader)).await;
        assert_eq!(r.status, 403, "{backend}: a token is no admin: {}", r.json);

        // Its team: its rows only, in one account, none unallocated by team.
        let r = ok_as(
            &state,
            "/api/v1/costs?team=search&group_by=account",
            &search,
        )
        .await;
        close(num(&r["total"]), search_total, "search's total");
        close(num(&r["unallocated"]), 0.0, "search's unallocated");
        let keys: Vec<&str> = r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["333300003333"], "{backend}: {r}");
        let r = ok_as(
            &state,
            "/api/v1/costs?team=search&group_by=team&interval=month",
            &search,
        )
        .await;
        let keys: Vec<Option<&str>> = r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["key"].as_str())
            .collect();
        assert_eq!(keys, [Some("search")], "{backend}");
        // The month to date is the team's too.
        let through = today - 1;
        let first = day_of(&format!("{}-01", &day_text(through)[..7]));
        let to_date: f64 = searchs
            .iter()
            .filter(|r| i64::from(r.day) >= first)
            .map(|r| r.effective)
            .sum();
        close(
            num(&r["month"]["to_date"]),
            to_date,
            "search's month to date",
        );
        // By service: search's services, and its account's untagged monitoring, which has a
        // team but no service.
        let r = ok_as(
            &state,
            "/api/v1/costs?team=search&group_by=service",
            &search,
        )
        .await;
        let monitoring: f64 = searchs
            .iter()
            .filter(|r| r.tags.is_empty())
            .map(|r| r.effective)
            .sum();
        close(
            num(&r["unallocated"]),
            monitoring,
            "search's rows without a service",
        );
        let mut keys: Vec<Option<&str>> = r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["key"].as_str())
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                None,
                Some("indexer"),
                Some("query-suggest"),
                Some("search-api")
            ],
            "{backend}"
        );
        // One of its services.
        let r = ok_as(&state, "/api/v1/costs?service=search-api", &search).await;
        let want: f64 = recent
            .iter()
            .filter(|r| tag(r, "user:service") == Some("search-api"))
            .map(|r| r.effective)
            .sum();
        close(num(&r["total"]), want, "search-api");
        // Its anomalies: contributors from its own account only.
        let r = ok_as(
            &state,
            "/api/v1/costs/anomalies?team=search&group_by=account",
            &search,
        )
        .await;
        for a in r["anomalies"].as_array().unwrap() {
            for c in a["contributors"].as_array().unwrap() {
                assert_eq!(c["account_id"], "333300003333", "{backend}: {a}");
            }
        }
        // Unit costs: its services only, and none of CI's cost (the platform team's).
        let r = ok_as(&state, "/api/v1/costs/unit?team=search", &search).await;
        let mut services: Vec<&str> = r["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["service"].as_str().unwrap())
            .collect();
        services.sort_unstable();
        assert_eq!(
            services,
            ["indexer", "query-suggest", "search-api"],
            "{backend}"
        );
        close(num(&r["ci"]["cost"]), 0.0, "CI's cost, another team's");
        let search_ci = r["ci"].clone();

        // A token without a limit reads everything, the sandbox included.
        let r = ok_as(&state, "/api/v1/costs?group_by=account", &reader).await;
        let all: f64 = recent.iter().map(|r| r.effective).sum();
        let sandbox: f64 = recent
            .iter()
            .filter(|r| r.account_id == SANDBOX_ACCOUNT)
            .map(|r| r.effective)
            .sum();
        close(num(&r["total"]), all, "everything");
        close(num(&r["unallocated"]), sandbox, "the sandbox");
        let r = ok_as(&state, "/api/v1/costs/unit", &reader).await;
        assert_eq!(
            (num(&r["ci"]["minutes"]), r["ci"]["runs"].as_u64()),
            (10.0, Some(1)),
            "{backend}: {}",
            r["ci"]
        );
        // Search's token sees none of CI's minutes and runs: they are payments' pipeline runs,
        // which it may not read elsewhere (`/pipelines/runs?team=payments` is refused).
        assert_eq!(
            (num(&search_ci["minutes"]), search_ci["runs"].as_u64()),
            (0.0, Some(0)),
            "{backend}: another team's pipeline runs through /costs/unit: {search_ci}"
        );
    }
}
