//! The exports: Sloth-compatible Prometheus rules (YAML) for an SLO read from Prometheus, none
//! for a pushed one; OpenSLO v1 that Nagare's own loader reads back to the same SLO.

use super::*;
use nagare_core::slo::{Period, Sli, Window};

/// The YAML of a reply (its body, kept as a string by `call`).
fn yaml(r: &Reply) -> serde_norway::Value {
    assert_eq!(r.headers["content-type"], "application/yaml; charset=utf-8");
    serde_norway::from_str(r.json.as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn prometheus_rules_for_a_ratio_slo_and_none_for_a_pushed_one() {
    for backend in backends() {
        let (state, _dir) = slo_state(backend, local_config()).await;
        create(&state, ratio_slo("payments-api-errors", "payments-api")).await;
        create(&state, pushed_slo("pay-pushed", "payments-api", 0.99, "1d")).await;
        let r = get(&state, "/api/v1/slos/payments-api-errors/prometheus-rules").await;
        assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.json);
        assert_eq!(
            r.headers["content-disposition"],
            "inline; filename=\"payments-api-errors.rules.yaml\""
        );
        let doc = yaml(&r);
        let groups = doc["groups"].as_sequence().unwrap();
        let names: Vec<&str> = groups.iter().map(|g| g["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "sloth-slo-sli-recordings-payments-api-errors",
                "sloth-slo-meta-recordings-payments-api-errors",
                "sloth-slo-alerts-payments-api-errors"
            ]
        );
        let rule = |g: usize, record: &str| {
            groups[g]["rules"]
                .as_sequence()
                .unwrap()
                .iter()
                .find(|r| r["record"].as_str() == Some(record))
                .unwrap_or_else(|| panic!("no {record}"))
                .clone()
        };
        // The 5m error ratio: the bad query over the total, the window filled in; Sloth's labels
        // (the SLO's name is its id without the `{service}-` prefix).
        let five = rule(0, "slo:sli_error:ratio_rate5m");
        assert_eq!(
            five["expr"].as_str().unwrap(),
            "(sum(rate(http_requests_total{job=\"api\",code=~\"5..\"}[5m])))\n/\n(sum(rate(http_requests_total{job=\"api\"}[5m])))\n"
        );
        assert_eq!(
            five["labels"]["sloth_id"].as_str(),
            Some("payments-api-errors")
        );
        assert_eq!(
            five["labels"]["sloth_service"].as_str(),
            Some("payments-api")
        );
        assert_eq!(five["labels"]["sloth_slo"].as_str(), Some("errors"));
        assert_eq!(five["labels"]["sloth_window"].as_str(), Some("5m"));
        for w in ["30m", "1h", "2h", "6h", "1d", "3d", "4w"] {
            rule(0, &format!("slo:sli_error:ratio_rate{w}"));
        }
        assert_eq!(
            rule(1, "slo:objective:ratio")["expr"].as_str(),
            Some("vector(0.999)")
        );
        assert_eq!(
            rule(1, "slo:time_period:days")["expr"].as_str(),
            Some("vector(28)")
        );
        // Page and ticket alerts, each on the burn rates of its conditions.
        let alerts = groups[2]["rules"].as_sequence().unwrap();
        let severities: Vec<&str> = alerts
            .iter()
            .map(|a| a["labels"]["severity"].as_str().unwrap())
            .collect();
        assert!(
            severities.contains(&"page") && severities.contains(&"ticket"),
            "{severities:?}"
        );
        let page = alerts
            .iter()
            .find(|a| a["labels"]["severity"].as_str() == Some("page"))
            .unwrap();
        let expr = page["expr"].as_str().unwrap();
        assert!(
            expr.contains("ratio_rate1h") && expr.contains("ratio_rate5m") && expr.contains("14.4"),
            "{expr}"
        );

        let r = get(&state, "/api/v1/slos/pay-pushed/prometheus-rules").await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{backend}: {}", r.json);
        assert!(
            r.json["error"].as_str().unwrap().contains("pushed"),
            "{}",
            r.json
        );
    }
}

/// Each SLO exported as OpenSLO and read back by the loader: the same objective, window and SLI
/// (a latency SLI as the equivalent ratio of its threshold's bucket to the count).
#[tokio::test]
async fn openslo_reads_back_to_the_same_slo() {
    for backend in backends() {
        let (state, _dir) = slo_state(backend, local_config()).await;
        let mut monthly = ratio_slo("pay-monthly", "payments-api");
        monthly["window"] = json!("month");
        monthly["objective"] = json!(0.995);
        monthly["sli"] = json!({"kind": "ratio", "good": "sum(rate(ok_total[{{window}}]))", "total": "sum(rate(all_total[{{window}}]))"});
        let latency = json!({"id": "search-fast", "name": "Search under 300 ms", "service": "search-api",
            "objective": 0.95, "window": "7d",
            "sli": {"kind": "latency", "histogram": "http_request_duration_seconds_bucket{job=\"search\"}", "threshold": "0.3"}});
        for body in [ratio_slo("pay-ratio", "payments-api"), monthly, latency] {
            create(&state, body).await;
        }
        let back = |id: &'static str| {
            let state = state.clone();
            async move {
                let r = get(&state, &format!("/api/v1/slos/{id}/openslo")).await;
                assert_eq!(r.status, StatusCode::OK, "{id}: {}", r.json);
                let text = r.json.as_str().unwrap().to_owned();
                let (defs, problems) = nagare_server::slo::defs::load_text("export.yaml", &text);
                assert_eq!(problems, [], "{id}: {text}");
                assert_eq!(defs.len(), 1, "{text}");
                defs.into_iter().next().unwrap()
            }
        };
        let d = back("pay-ratio").await;
        assert_eq!(
            (d.id.as_str(), d.name.as_str(), d.service.as_str()),
            ("pay-ratio", "SLO pay-ratio", "payments-api")
        );
        assert_eq!(
            d.description.as_deref(),
            Some("Requests answered without a 5xx")
        );
        assert_eq!(
            (d.objective, d.window),
            (0.999, Window::Rolling { ms: 28 * DAY }),
            "{backend}"
        );
        assert_eq!(
            d.sli,
            Sli::Ratio {
                good: None,
                bad: Some(
                    "sum(rate(http_requests_total{job=\"api\",code=~\"5..\"}[{{window}}]))".into()
                ),
                total: "sum(rate(http_requests_total{job=\"api\"}[{{window}}]))".into(),
            }
        );
        let d = back("pay-monthly").await;
        assert_eq!(
            (d.objective, d.window),
            (
                0.995,
                Window::Calendar {
                    period: Period::Month
                }
            )
        );
        assert_eq!(
            d.sli,
            Sli::Ratio {
                good: Some("sum(rate(ok_total[{{window}}]))".into()),
                bad: None,
                total: "sum(rate(all_total[{{window}}]))".into(),
            }
        );
        let d = back("search-fast").await;
        assert_eq!(
            (d.objective, d.window, d.service.as_str()),
            (0.95, Window::Rolling { ms: 7 * DAY }, "search-api")
        );
        let Sli::Ratio {
            good: Some(good),
            bad: None,
            total,
        } = &d.sli
        else {
            panic!("{:?}", d.sli)
        };
        assert!(
            good.contains("http_request_duration_seconds_bucket{job=\"search\",le=\"0.3\"}"),
            "{good}"
        );
        assert!(
            total.contains("http_request_duration_seconds_count{job=\"search\"}"),
            "{total}"
        );

        create(&state, pushed_slo("pay-pushed", "payments-api", 0.99, "1d")).await;
        let r = get(&state, "/api/v1/slos/pay-pushed/openslo").await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{backend}: {}", r.json);
    }
}
