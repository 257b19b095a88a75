//! Which deployment burned the budget: bad events in the 2 h after each production deployment
//! of the SLO's service against the 2 h before it (both half-open), ranked; and the SLOs one
//! deployment affected.

use super::*;

/// A production deployment of `service` finished at `finished`, as an NDJSON line.
fn deployment(id: &str, service: &str, environment: &str, finished: i64) -> String {
    json!({"kind": "deployment", "id": id, "service": service, "environment": environment,
           "status": "success", "started_at": rfc3339(finished - 5 * MINUTE),
           "finished_at": rfc3339(finished), "sha": format!("sha-{id}")})
    .to_string()
}

/// One SLO (99 %, 1d) on payments-api, now = T (this minute, give or take the test's
/// seconds: every bucket lies well inside [T − 1d, T)). Buckets each minute of
/// [T − 20h, T − 4h): 960 buckets of 1000 events, 1 bad each, but 6 bad in [T − 10h, T − 8h).
///
/// Window: total 960 000, allowed 9600 bad; bad 960 + 120 × 5 = 1560.
/// - dB (finished T − 10h): before [T − 12h, T − 10h) 120 bad of 120 000 (burn 0.1); after
///   [T − 10h, T − 8h) 720 bad (burn 0.6). Excess 600 = 600/9600 = 6.25 % of the budget.
/// - dA (finished T − 16h): 120 bad before and after: excess 0.
///
/// Not ranked: a staging deployment, another service's, one older than the window.
/// INC-9 started after dA (so the time window would give it to dA) but names dB as its cause.
#[tokio::test]
async fn the_deployment_that_burned_the_budget_ranks_first() {
    for backend in backends() {
        let (state, _dir) = slo_state(backend, local_config()).await;
        create(
            &state,
            pushed_slo("pay-deploys", "payments-api", 0.99, "1d"),
        )
        .await;
        let t = this_minute();
        let events = [
            deployment("dA", "payments-api", "production", t - 16 * HOUR),
            deployment("dB", "payments-api", "production", t - 10 * HOUR),
            deployment("dS", "payments-api", "staging", t - 9 * HOUR),
            deployment("dX", "search-api", "production", t - 9 * HOUR),
            deployment("dOld", "payments-api", "production", t - 2 * DAY),
            json!({"kind": "incident", "id": "INC-9", "service": "payments-api",
                   "started_at": rfc3339(t - 12 * HOUR), "caused_by_deployment": "dB"})
            .to_string(),
        ];
        let r = post(
            &state,
            "/api/v1/events",
            "application/x-ndjson",
            events.join("\n"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.json);
        let mut lines = Vec::new();
        let mut m = t - 20 * HOUR;
        while m < t - 4 * HOUR {
            let bad = if (t - 10 * HOUR..t - 8 * HOUR).contains(&m) {
                6.0
            } else {
                1.0
            };
            lines.push(sample("pay-deploys", m, 1000.0 - bad, 1000.0));
            m += MINUTE;
        }
        assert_eq!(lines.len(), 960);
        push_ok(&state, &lines).await;

        let d = get_ok(&state, "/api/v1/slos/pay-deploys").await;
        close(&d["slo"]["budget"]["allowed"], 9600.0);
        close(&d["slo"]["budget"]["consumed"], 1560.0);
        assert_eq!(d["attribution_secs"], 7200, "{backend}");
        let deps = d["deployments"].as_array().unwrap();
        let ids: Vec<&str> = deps
            .iter()
            .map(|x| x["deployment"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["dB", "dA"], "{backend}: {}", d["deployments"]);
        let b = &deps[0];
        assert_eq!(b["rank"], 1);
        assert_eq!(
            (
                b["service"].as_str(),
                b["environment"].as_str(),
                b["version"].as_str()
            ),
            (Some("payments-api"), Some("production"), Some("sha-dB"))
        );
        assert_eq!(b["finished_at"], rfc3339(t - 10 * HOUR));
        assert_eq!(
            (b["good_before"].as_f64(), b["total_before"].as_f64()),
            (Some(119_880.0), Some(120_000.0))
        );
        assert_eq!(
            (b["good_after"].as_f64(), b["total_after"].as_f64()),
            (Some(119_280.0), Some(120_000.0))
        );
        close(&b["burn_before"], 0.1);
        close(&b["burn_after"], 0.6);
        close(&b["excess_bad"], 600.0);
        close(&b["excess_budget_percent"], 6.25);
        assert_eq!(b["incidents"], json!(["INC-9"]), "{backend}");
        let a = &deps[1];
        assert_eq!(a["rank"], 2);
        close(&a["excess_bad"], 0.0);
        close(&a["excess_budget_percent"], 0.0);
        assert_eq!(a["incidents"], json!([]));

        // The deployment's side: the same burn, ranked of 2.
        let mine = get_ok(&state, "/api/v1/deployments/dB/slos").await;
        assert_eq!(mine["deployment"], "dB");
        assert_eq!(mine["attribution_secs"], 7200);
        let slos = mine["slos"].as_array().unwrap();
        assert_eq!(slos.len(), 1, "{backend}: {mine}");
        assert_eq!(slos[0]["id"], "pay-deploys");
        assert_eq!(slos[0]["ranked_of"], 2);
        assert_eq!(slos[0]["burn"], *b);
        assert_eq!(
            slos[0]["remaining_percent"],
            d["slo"]["budget"]["remaining_percent"]
        );
        let other = get_ok(&state, "/api/v1/deployments/dA/slos").await;
        assert_eq!(other["slos"][0]["burn"], *a);
        // Staging: the SLO is listed, unburned by it; another service's deployment: no SLO.
        let staging = get_ok(&state, "/api/v1/deployments/dS/slos").await;
        assert_eq!(staging["slos"][0]["burn"], Value::Null, "{staging}");
        assert_eq!(staging["slos"][0]["ranked_of"], 2);
        let search = get_ok(&state, "/api/v1/deployments/dX/slos").await;
        assert_eq!(search["slos"], json!([]));
        assert_eq!(
            get(&state, "/api/v1/deployments/nope/slos").await.status,
            StatusCode::NOT_FOUND
        );
    }
}

/// Evaluated at a past instant A, an SLO is what it was at A (as a Prometheus instant query):
/// no bucket at or after A counts, in the window nor in a deployment's span after. dC
/// finished at A − 1h; each minute of [A − 3h, A + 2h) holds 100 events, 10 bad from A − 1h on.
/// At A, dC's after-span holds what there was: [A − 1h, A), 60 buckets, 600 bad of 6000; and
/// since its after-span is cut to the hour since it finished, so is its before-span (docs/slo.md:
/// as long a time before): [A − 2h, A − 1h), 60 buckets, 6000 events, none bad. The window [A − 1d, A): 180 buckets, 18 000 events,
/// allowing 180 bad: dC's excess 600 is 333.3 % of it.
#[tokio::test]
async fn a_past_instant_reads_nothing_at_or_after_it() {
    for backend in backends() {
        let (state, _dir) = slo_state(backend, local_config()).await;
        create(&state, pushed_slo("pay-past", "payments-api", 0.99, "1d")).await;
        let a = this_minute() - 2 * DAY;
        let r = post(
            &state,
            "/api/v1/events",
            "application/x-ndjson",
            deployment("dC", "payments-api", "production", a - HOUR),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        let lines: Vec<String> = (-180..120)
            .map(|i| {
                let start = a + i * MINUTE;
                let bad = if start >= a - HOUR { 10.0 } else { 0.0 };
                sample("pay-past", start, 100.0 - bad, 100.0)
            })
            .collect();
        push_ok(&state, &lines).await;
        let d = detail_at(&state, "pay-past", a).await;
        assert_eq!(d["slo"]["total"].as_f64(), Some(18_000.0), "{backend}");
        let c = &d["deployments"][0];
        assert_eq!(c["deployment"], "dC", "{}", d["deployments"]);
        assert_eq!(
            (c["good_before"].as_f64(), c["total_before"].as_f64()),
            (Some(6000.0), Some(6000.0)),
            "{backend}: the before-span is as long as the after-span: {c}"
        );
        assert_eq!(
            (c["good_after"].as_f64(), c["total_after"].as_f64()),
            (Some(5400.0), Some(6000.0)),
            "{backend}: the after-span read buckets at or after the instant evaluated: {c}"
        );
        close(&c["excess_bad"], 600.0);
        close(&c["excess_budget_percent"], 600.0 / 180.0 * 100.0);
    }
}
