//! Who may read and write SLOs under single sign-on (docs/sso.md): a viewer limited to their
//! team sees its SLOs only; engineers read everything but push counts only for their teams'
//! services; tokens within their limit; only admins create, edit, delete and see problems.

use super::*;
use crate::auth::{request, signed_in, sso_config, start_idp, Browser, Idp};

/// An OpenSLO definition of search-api, read from `[slo] dir`.
const FILE_SLO: &str = r#"apiVersion: openslo/v1
kind: SLO
metadata:
  name: search-from-file
  displayName: Search answers
spec:
  service: search-api
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - target: 0.99
  indicator:
    metadata:
      name: search-from-file-sli
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(search_errors_total[{{window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(search_requests_total[{{window}}]))
"#;

/// A definition with an objective of 2: a problem, shown to admins only.
const BROKEN: &str = "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: broken}\nspec: {service: search-api, budgetingMethod: Occurrences, timeWindow: [{duration: 28d, isRolling: true}], objectives: [{target: 2}]}\n";

async fn as_user(state: &AppState, idp: &Idp, sub: &str, groups: &[&str]) -> Browser {
    *idp.groups.lock().unwrap() = groups.iter().map(|g| (*g).to_owned()).collect();
    let sub = sub.to_owned();
    *idp.tweak.lock().unwrap() = Some(Box::new(move |c: &mut Value| {
        c["sub"] = json!(sub.clone());
        c["email"] = json!(format!("{sub}@example.com"));
    }));
    signed_in(state, idp).await
}

/// An SSO portal: viewers see only their teams; `[slo] dir` holds FILE_SLO and BROKEN; the
/// admin ada made `pay-a` and `search-a` (pushed) and posted the catalogue.
async fn portal(
    backend: &str,
) -> (
    AppState,
    Idp,
    Browser,
    tempfile::TempDir,
    Option<tempfile::TempDir>,
) {
    let idp = start_idp().await;
    let defs = tempfile::tempdir().unwrap();
    std::fs::write(defs.path().join("search.yaml"), FILE_SLO).unwrap();
    std::fs::write(defs.path().join("broken.yaml"), BROKEN).unwrap();
    let mut c = sso_config(&idp.issuer);
    c.auth.viewers_see_all_teams = false;
    for (group, role, team) in [
        ("payments-viewers", "viewer", "payments"),
        ("team-search", "engineer", "search"),
    ] {
        c.auth.roles.insert(group.into(), role.into());
        c.auth.teams.insert(group.into(), team.into());
    }
    c.slo.dir = Some(defs.path().to_owned());
    let (store, dir) = fresh_store(backend).await;
    let state = AppState::new(store, c).await.unwrap();
    let ada = as_user(&state, &idp, "ada", &["platform-admins"]).await;
    let r = request(
        &state,
        "POST",
        "/api/v1/events",
        &ada.json_write(),
        CATALOGUE,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    for body in [
        pushed_slo("pay-a", "payments-api", 0.99, "1d"),
        pushed_slo("search-a", "search-api", 0.99, "1d"),
    ] {
        let r = request(
            &state,
            "POST",
            "/api/v1/slos",
            &ada.json_write(),
            &body.to_string(),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    }
    (state, idp, ada, defs, dir)
}

fn ids(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list["slos"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

async fn read(state: &AppState, auth: (&str, &str), uri: &str) -> Reply {
    request(state, "GET", uri, &[auth], "").await
}

/// Samples pushed with `auth` (a cookie and its CSRF token, or a bearer token).
async fn push_as(state: &AppState, auth: &[(&str, &str)], lines: &[String]) -> Reply {
    let mut h = auth.to_vec();
    h.push(("content-type", "application/x-ndjson"));
    request(state, "POST", "/api/v1/events", &h, &lines.join("\n")).await
}

#[tokio::test]
async fn each_role_reads_and_writes_what_it_may() {
    for backend in backends() {
        let (state, idp, ada, _defs, _dir) = portal(backend).await;
        let vera = as_user(&state, &idp, "vera", &["payments-viewers"]).await;
        let emil = as_user(&state, &idp, "emil", &["team-payments"]).await;
        let sam = as_user(&state, &idp, "sam", &["team-search"]).await;
        let cookie = |b: &Browser| ("cookie", b.cookie.clone());

        // A viewer of payments names a team or service of theirs (docs/sso.md), and sees
        // payments-api's SLOs only; another team's is not found.
        let (k, v) = cookie(&vera);
        let r = read(&state, (k, &v), "/api/v1/slos").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{backend}: {}", r.json);
        let r = read(&state, (k, &v), "/api/v1/slos?service=payments-api").await;
        assert_eq!(ids(&r.json), ["pay-a"], "{backend}: {}", r.json);
        let r = read(&state, (k, &v), "/api/v1/slos?team=payments").await;
        assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.json);
        assert_eq!(ids(&r.json), ["pay-a"], "{backend}");
        assert_eq!(
            (r.json["problems"].clone(), r.json["can_edit"].clone()),
            (json!([]), json!(false))
        );
        for uri in [
            "/api/v1/slos/search-a",
            "/api/v1/slos/search-from-file",
            "/api/v1/slos/search-from-file/openslo",
        ] {
            assert_eq!(
                read(&state, (k, &v), uri).await.status,
                StatusCode::NOT_FOUND,
                "{backend}: {uri}"
            );
        }
        for uri in [
            "/api/v1/slos?team=search",
            "/api/v1/slos?service=search-api",
        ] {
            assert_eq!(
                read(&state, (k, &v), uri).await.status,
                StatusCode::FORBIDDEN,
                "{backend}: {uri}"
            );
        }
        let d = read(&state, (k, &v), "/api/v1/slos/pay-a").await;
        assert_eq!(
            (d.status, d.json["can_edit"].clone()),
            (StatusCode::OK, json!(false)),
            "{}",
            d.json
        );
        // …and may change nothing.
        let body = pushed_slo("pay-b", "payments-api", 0.9, "1d").to_string();
        for (method, uri) in [
            ("POST", "/api/v1/slos"),
            ("PUT", "/api/v1/slos/pay-a"),
            ("DELETE", "/api/v1/slos/pay-a"),
        ] {
            let r = request(&state, method, uri, &vera.json_write(), &body).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{backend}: viewer {method} {uri}: {}",
                r.json
            );
        }
        let t0 = this_minute() - HOUR;
        let r = push_as(
            &state,
            &[("cookie", &vera.cookie), ("x-csrf-token", &vera.csrf)],
            &[sample("pay-a", t0, 1.0, 1.0)],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{backend}: a viewer pushes nothing: {}",
            r.json
        );

        // Engineers read every team's (transparency), but are no admins.
        let (k, v) = cookie(&emil);
        let r = read(&state, (k, &v), "/api/v1/slos").await;
        assert_eq!(
            ids(&r.json),
            ["pay-a", "search-a", "search-from-file"],
            "{backend}"
        );
        assert_eq!(
            (r.json["problems"].clone(), r.json["can_edit"].clone()),
            (json!([]), json!(false))
        );
        let r = request(&state, "POST", "/api/v1/slos", &emil.json_write(), &body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
        // An engineer pushes for their team's service, not another's: 403 naming the service,
        // and the whole batch refused (its first, allowed, line too).
        let emil_w = [
            ("cookie", emil.cookie.as_str()),
            ("x-csrf-token", emil.csrf.as_str()),
        ];
        let sam_w = [
            ("cookie", sam.cookie.as_str()),
            ("x-csrf-token", sam.csrf.as_str()),
        ];
        let r = push_as(&state, &emil_w, &[sample("pay-a", t0, 9.0, 10.0)]).await;
        assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.json);
        let r = push_as(
            &state,
            &sam_w,
            &[
                sample("search-a", t0, 1.0, 1.0),
                sample("pay-a", t0, 0.0, 500.0),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{backend}: {}", r.json);
        assert_eq!(
            (r.json["service"].as_str(), r.json["line"].as_u64()),
            (Some("payments-api"), Some(2)),
            "{}",
            r.json
        );
        assert!(
            r.json["error"].as_str().unwrap().contains("payments-api"),
            "{}",
            r.json
        );
        assert_eq!(
            stored(&state, "pay-a").await,
            [(t0, 9.0, 10.0)],
            "{backend}"
        );
        assert_eq!(stored(&state, "search-a").await, [], "{backend}");
        let r = push_as(&state, &sam_w, &[sample("search-a", t0, 1.0, 1.0)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);

        // Admins: problems of the files, can_edit; a file's SLO is read-only in the portal.
        let (k, v) = cookie(&ada);
        let r = read(&state, (k, &v), "/api/v1/slos").await;
        assert_eq!(ids(&r.json), ["pay-a", "search-a", "search-from-file"]);
        assert_eq!(r.json["can_edit"], true);
        let problems = r.json["problems"].as_array().unwrap();
        assert_eq!(problems.len(), 1, "{backend}: {}", r.json["problems"]);
        assert_eq!(problems[0]["file"], "broken.yaml");
        assert!(
            problems[0]["path"].as_str().unwrap().contains("objectives"),
            "{}",
            problems[0]
        );
        assert_eq!(
            read(&state, (k, &v), "/api/v1/slos/pay-a").await.json["can_edit"],
            true
        );
        let file_body = json!({"id": "search-from-file", "name": "x", "service": "search-api", "objective": 0.9, "window": "1d", "sli": {"kind": "pushed"}});
        let r = request(
            &state,
            "PUT",
            "/api/v1/slos/search-from-file",
            &ada.json_write(),
            &file_body.to_string(),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.json);
        let r = request(
            &state,
            "DELETE",
            "/api/v1/slos/search-from-file",
            &ada.json_write(),
            "",
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.json);
        let r = request(
            &state,
            "POST",
            "/api/v1/slos",
            &ada.json_write(),
            &file_body.to_string(),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "{backend}: a file's id is taken: {}",
            r.json
        );
        let r = push_as(
            &state,
            &[("cookie", &ada.cookie), ("x-csrf-token", &ada.csrf)],
            &[sample("search-from-file", t0, 1.0, 1.0)],
        )
        .await;
        assert_eq!(
            (r.status.as_u16(), r.json["field"].as_str()),
            (422, Some("slo")),
            "a Prometheus SLO from a file: {}",
            r.json
        );

        // Tokens: `read` lists everything; limited to search, it sees search's SLOs only.
        let token = |body: &'static str| {
            let (state, h) = (
                state.clone(),
                ada.json_write().map(|(k, v)| (k.to_owned(), v.to_owned())),
            );
            async move {
                let h: Vec<(&str, &str)> =
                    h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let r = request(&state, "POST", "/api/v1/tokens", &h, body).await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
                format!("Bearer {}", r.json["secret"].as_str().unwrap())
            }
        };
        let reader = token(r#"{"name":"reader","scopes":["read"]}"#).await;
        let r = read(&state, ("authorization", &reader), "/api/v1/slos").await;
        assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.json);
        assert_eq!(ids(&r.json), ["pay-a", "search-a", "search-from-file"]);
        assert_eq!(r.json["can_edit"], false);
        let r = request(
            &state,
            "POST",
            "/api/v1/slos",
            &[
                ("authorization", &reader),
                ("content-type", "application/json"),
            ],
            &body,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "a token is no admin: {}",
            r.json
        );
        let r = push_as(
            &state,
            &[("authorization", &reader)],
            &[sample("pay-a", t0, 1.0, 1.0)],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "read is not ingest: {}",
            r.json
        );
        let search_reader =
            token(r#"{"name":"search-reader","scopes":["read"],"teams":["search"]}"#).await;
        let r = read(&state, ("authorization", &search_reader), "/api/v1/slos").await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{backend}: name the team: {}",
            r.json
        );
        let uri = "/api/v1/slos?team=search";
        let r = read(&state, ("authorization", &search_reader), uri).await;
        assert_eq!(ids(&r.json), ["search-a", "search-from-file"], "{backend}");
        let uri = "/api/v1/slos?team=payments";
        let r = read(&state, ("authorization", &search_reader), uri).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{backend}: {}", r.json);
        let r = read(
            &state,
            ("authorization", &search_reader),
            "/api/v1/slos/pay-a",
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let search_ingest =
            token(r#"{"name":"search-ingest","scopes":["ingest"],"teams":["search"]}"#).await;
        let r = push_as(
            &state,
            &[("authorization", &search_ingest)],
            &[sample("pay-a", t0, 0.0, 7.0)],
        )
        .await;
        assert_eq!(
            (r.status, r.json["service"].as_str()),
            (StatusCode::FORBIDDEN, Some("payments-api")),
            "{}",
            r.json
        );
        assert_eq!(
            stored(&state, "pay-a").await,
            [(t0, 9.0, 10.0)],
            "{backend}"
        );
        let r = push_as(
            &state,
            &[("authorization", &search_ingest)],
            &[sample("search-a", t0, 3.0, 7.0)],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        assert_eq!(stored(&state, "search-a").await, [(t0, 3.0, 7.0)]);
    }
}

/// A file's SLO says where it comes from as the API documents it (`openslo:FILE`) and is not
/// editable in the portal.
#[tokio::test]
async fn a_file_slo_names_its_origin() {
    let (state, _idp, ada, _defs, _dir) = portal("sqlite").await;
    let r = read(
        &state,
        ("cookie", &ada.cookie),
        "/api/v1/slos/search-from-file",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let s = &r.json["slo"];
    assert_eq!(
        (s["editable"].as_bool(), s["name"].as_str()),
        (Some(false), Some("Search answers"))
    );
    assert_eq!(
        read(&state, ("cookie", &ada.cookie), "/api/v1/slos/pay-a")
            .await
            .json["slo"]["origin"],
        "ui"
    );
    assert_eq!(
        s["origin"], "openslo:search.yaml",
        "docs/api.md: `origin` is openslo:FILE"
    );
}
