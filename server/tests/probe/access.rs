//! Access: who may see and write which team's data, where sign-in may send a browser, and which
//! requests a browser may make on someone's behalf.

use super::{deployment, TWO_TEAMS, WEEK};
use crate::auth::{
    cookie_set, request, session_cookie, sign_in, signed_in, sso_config, start_idp, Browser, Idp,
};
use crate::common::{app_state, fresh_store, get, raw_delivery, Reply};
use axum::http::{header, StatusCode};
use nagare_core::events::parse_batch;
use nagare_server::store::RawDelivery;
use nagare_server::AppState;

fn raw() -> RawDelivery {
    raw_delivery("test")
}

async fn seeded(state: &AppState) {
    state
        .store
        .ingest(parse_batch(TWO_TEAMS, true).unwrap(), &raw())
        .await
        .unwrap();
    state.sync().await.unwrap();
}

/// An SSO portal on [`TWO_TEAMS`] where viewers see only their own teams, `dev-viewers` being
/// team search; signed in as a member of `groups`.
async fn portal_as(groups: &[&str]) -> (AppState, Idp, Browser, Option<tempfile::TempDir>) {
    let idp = start_idp().await;
    let (store, dir) = fresh_store("sqlite").await;
    let mut config = sso_config(&idp.issuer);
    config.auth.viewers_see_all_teams = false;
    config
        .auth
        .teams
        .insert("dev-viewers".into(), "search".into());
    let state = AppState::new(store, config).await.unwrap();
    seeded(&state).await;
    *idp.groups.lock().unwrap() = groups.iter().map(|g| g.to_string()).collect();
    let b = signed_in(&state, &idp).await;
    (state, idp, b, dir)
}

async fn get_as(state: &AppState, b: &Browser, uri: &str) -> Reply {
    request(state, "GET", uri, &[("cookie", &b.cookie)], "").await
}

#[tokio::test]
async fn a_repeated_filter_is_refused_and_the_scope_comes_from_the_principal() {
    let (state, _idp, b, _dir) = portal_as(&["dev-viewers"]).await;
    // The probe's bypasses: the first value passed the old check, the last one was served.
    for uri in [
        format!("/api/v1/metrics/dora?{WEEK}&team=search&team=payments"),
        format!("/api/v1/metrics/dora?{WEEK}&team=search&team="),
        "/api/v1/deployments?service=search-api&service=ledger".to_owned(),
        "/api/v1/incidents?team=search&team=payments".to_owned(),
        "/api/v1/services?team=a&team=b".to_owned(),
    ] {
        let r = get_as(&state, &b, &uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.json);
        assert!(
            r.json["error"].as_str().unwrap().contains("more than once"),
            "{uri}: {}",
            r.json
        );
    }
    // Their own team: exactly their own data.
    let r = get_as(
        &state,
        &b,
        &format!("/api/v1/metrics/dora?{WEEK}&team=search"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["deployment_frequency"]["deployments"], 1);
    let r = get_as(&state, &b, "/api/v1/deployments?team=search").await;
    assert_eq!(r.json["total"], 1, "{}", r.json);
    assert_eq!(r.json["items"][0]["id"], "search-1");
    let r = get_as(&state, &b, "/api/v1/incidents?service=search-api").await;
    assert_eq!(r.json["total"], 1, "{}", r.json);
    // Another team's service, alone or beside their own team: refused.
    for uri in [
        "/api/v1/deployments?team=search&service=ledger",
        "/api/v1/deployments?service=ledger",
        "/api/v1/incidents?team=payments",
        "/api/v1/deployments",
    ] {
        let r = get_as(&state, &b, uri).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}: {}", r.json);
    }
    // Detail: the object's own service decides, whatever the query says.
    for uri in [
        "/api/v1/deployments/pay-1",
        "/api/v1/deployments/pay-1?team=search",
    ] {
        let r = get_as(&state, &b, uri).await;
        assert!(r.status.is_client_error(), "{uri}: {}", r.json);
        assert!(!r.json.to_string().contains("ledger"), "{uri}: {}", r.json);
    }
    let r = get_as(&state, &b, "/api/v1/deployments/search-1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["service"], "search-api");

    // Pipelines: the same rules, by the services of a run's repository.
    let r = get_as(&state, &b, "/api/v1/pipelines/runs?team=search").await;
    assert_eq!(
        (r.status, r.json["total"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{}",
        r.json
    );
    assert_eq!(r.json["items"][0]["id"], "github:72-1");
    for uri in [
        "/api/v1/pipelines/runs",
        "/api/v1/pipelines/runs?team=payments",
        "/api/v1/pipelines/workflows?team=search&service=ledger",
        "/api/v1/pipelines/flaky-jobs",
        "/api/v1/pipelines/workflows/trend?repo=acme/ledger&workflow=ci",
    ] {
        let r = get_as(&state, &b, uri).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}: {}", r.json);
    }
    let r = get_as(
        &state,
        &b,
        "/api/v1/pipelines/runs?team=search&team=payments",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    let r = get_as(&state, &b, "/api/v1/pipelines/runs/github:71-1").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.json);
    assert!(!r.json.to_string().contains("ledger"), "{}", r.json);
    let r = get_as(&state, &b, "/api/v1/pipelines/runs/github:72-1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["run"]["services"], serde_json::json!(["search-api"]));
}

async fn post_as(state: &AppState, b: &Browser, body: &str) -> Reply {
    let headers = [
        ("cookie", b.cookie.as_str()),
        ("x-csrf-token", b.csrf.as_str()),
        ("content-type", "application/x-ndjson"),
    ];
    request(state, "POST", "/api/v1/events", &headers, body).await
}

#[tokio::test]
async fn engineers_write_only_their_teams_services_and_repositories() {
    let (state, _idp, b, _dir) = portal_as(&["team-payments"]).await;
    let before = state.store.event_count().await.unwrap();
    // The second line is another team's: the whole batch is refused, naming that line.
    let own_commit = r#"{"kind":"commit","repo":"acme/ledger","sha":"l2","parents":["l1"],"authored_at":"2024-03-03T09:00:00Z"}"#;
    let r = post_as(
        &state,
        &b,
        &format!(
            "{own_commit}\n\n{}",
            deployment("search-2", "search-api", "failure")
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    assert_eq!(
        (r.json["line"].as_u64(), r.json["service"].as_str()),
        (Some(3), Some("search-api")),
        "{}",
        r.json
    );
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .contains("belongs to search"),
        "{}",
        r.json
    );
    // The probe's overwrite: another team's deployment, re-posted under its own key.
    for (body, why) in [
        (deployment("search-1", "search-api", "failure"), "belongs to search"),
        (deployment("search-1", "ledger", "failure"), "already stored"),
        (
            r#"{"kind":"service","name":"search-api","source":"aaa","repo":"acme/search","teams":["payments"]}"#.to_owned(),
            "belongs to search",
        ),
        (
            r#"{"kind":"commit","repo":"acme/search","sha":"s9","parents":["s1"],"authored_at":"2024-03-03T09:00:00Z"}"#.to_owned(),
            "acme/search",
        ),
        (
            r#"{"kind":"incident","id":"INC-S","service":"ledger","started_at":"2024-03-02T12:30:00Z"}"#.to_owned(),
            "already stored",
        ),
    ] {
        let r = post_as(&state, &b, &body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{body}: {}", r.json);
        assert!(r.json["error"].as_str().unwrap().contains(why), "{body}: {}", r.json);
    }
    assert_eq!(
        state.store.event_count().await.unwrap(),
        before,
        "nothing of a refused batch is stored"
    );
    let d = get_as(&state, &b, "/api/v1/deployments/search-1").await;
    assert_eq!(
        (d.json["service"].as_str(), d.json["status"].as_str()),
        (Some("search-api"), Some("success")),
        "{}",
        d.json
    );
    // Their own service and repository: stored.
    let r = post_as(
        &state,
        &b,
        &format!("{own_commit}\n{}", deployment("pay-2", "ledger", "success")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["accepted"], 2);
}

#[tokio::test]
async fn admins_write_anything_and_restricted_tokens_stay_in_their_limit() {
    let (state, _idp, admin, _dir) = portal_as(&["platform-admins"]).await;
    let r = post_as(
        &state,
        &admin,
        &deployment("search-2", "search-api", "success"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let create = |body: &'static str| {
        let state = state.clone();
        let admin = Browser {
            cookie: admin.cookie.clone(),
            csrf: admin.csrf.clone(),
        };
        async move { request(&state, "POST", "/api/v1/tokens", &admin.json_write(), body).await }
    };
    // A typo in a team is named, with the teams that exist.
    let r = create(r#"{"name":"pay-ci","scopes":["ingest","read"],"teams":["paymnets"]}"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    assert_eq!(r.json["field"], "teams");
    assert!(
        r.json["error"].as_str().unwrap().contains("payments"),
        "{}",
        r.json
    );
    let r = create(r#"{"name":"pay-ci","scopes":["ingest","read"],"teams":["payments"]}"#).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    assert_eq!(r.json["teams"], serde_json::json!(["payments"]));
    let secret = r.json["secret"].as_str().unwrap().to_owned();
    let listed = request(
        &state,
        "GET",
        "/api/v1/tokens",
        &[("cookie", &admin.cookie)],
        "",
    )
    .await;
    let row = listed
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "pay-ci")
        .unwrap()
        .clone();
    assert_eq!(
        (row["teams"].clone(), row["services"].clone()),
        (serde_json::json!(["payments"]), serde_json::json!([]))
    );
    let audit = request(
        &state,
        "GET",
        "/api/v1/audit?action=token_created",
        &[("cookie", &admin.cookie)],
        "",
    )
    .await;
    assert!(
        audit
            .json
            .to_string()
            .contains("limited to teams: payments"),
        "{}",
        audit.json
    );

    let bearer = format!("Bearer {secret}");
    let r = post_with(
        &state,
        &bearer,
        "application/x-ndjson",
        &deployment("search-3", "search-api", "success"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    assert_eq!(r.json["service"], "search-api");
    let r = post_with(
        &state,
        &bearer,
        "application/x-ndjson",
        &deployment("pay-3", "ledger", "success"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    // Reading too: only within the limit.
    let read = |uri: String| {
        let state = state.clone();
        let bearer = bearer.clone();
        async move { request(&state, "GET", &uri, &[("authorization", &bearer)], "").await }
    };
    assert_eq!(
        read(format!("/api/v1/metrics/dora?{WEEK}")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        read(format!("/api/v1/metrics/dora?{WEEK}&team=search"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = read(format!("/api/v1/metrics/dora?{WEEK}&team=payments")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert!(read("/api/v1/deployments/search-1".into())
        .await
        .status
        .is_client_error());
    assert_eq!(
        read("/api/v1/deployments/pay-1".into()).await.status,
        StatusCode::OK
    );

    // Limited to one service by name: that service and its repository.
    let r = create(r#"{"name":"search-ci","scopes":["ingest"],"services":["search-api"]}"#).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let bearer = format!("Bearer {}", r.json["secret"].as_str().unwrap());
    assert_eq!(
        post_with(&state, &bearer, "application/json", r#"[{"kind":"commit","repo":"acme/search","sha":"s2","parents":["s1"],"authored_at":"2024-03-03T09:00:00Z"}]"#).await.status,
        StatusCode::OK
    );
    assert_eq!(
        post_with(&state, &bearer, "application/json", r#"[{"kind":"commit","repo":"acme/ledger","sha":"l3","authored_at":"2024-03-03T09:00:00Z"}]"#).await.status,
        StatusCode::FORBIDDEN
    );
}

/// `POST /api/v1/events` with an API token.
async fn post_with(state: &AppState, bearer: &str, content_type: &str, body: &str) -> Reply {
    let headers = [("authorization", bearer), ("content-type", content_type)];
    request(state, "POST", "/api/v1/events", &headers, body).await
}

/// `return_to` values as the probe sent them in the query string (so percent-encoded once more
/// where needed), each of which must land on `/`.
const HOSTILE_RETURN_TO: [&str; 18] = [
    "/%09/evil.example",
    "/%09%09/evil.example",
    "%09//evil.example",
    "//evil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "%252F%252Fevil.example",
    "/%252F/evil.example",
    "/%252f%255Cevil.example",
    "https://evil.example",
    "https:%2F%2Fevil.example",
    "javascript:alert(1)",
    "/%0D%0ASet-Cookie:%20x=1",
    "/x%00",
    "/x%0B",
    "/x%7F",
    "%20/x",
];

#[tokio::test]
async fn sign_in_returns_only_to_paths_of_the_portal() {
    let idp = start_idp().await;
    let (store, _dir) = fresh_store("sqlite").await;
    let state = AppState::new(store, sso_config(&idp.issuer)).await.unwrap();
    for hostile in HOSTILE_RETURN_TO {
        let (r, _) = sign_in(&state, &idp, hostile).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{hostile}: {}", r.json);
        assert_eq!(r.headers[header::LOCATION], "/", "{hostile}");
    }
    for (given, lands) in [
        (
            "/deployments%3Fteam%3Dweb%26page%3D2",
            "/deployments?team=web&page=2",
        ),
        (
            "%2Fincidents%3Fteam%3DTeam%2520A",
            "/incidents?team=Team%20A",
        ),
        (
            "/%E3%83%9A%E3%83%BC%E3%82%B8",
            "/%E3%83%9A%E3%83%BC%E3%82%B8",
        ),
    ] {
        let (r, _) = sign_in(&state, &idp, given).await;
        assert_eq!(r.headers[header::LOCATION], lands, "{given}");
    }
}

#[tokio::test]
async fn the_callback_never_answers_5xx_for_any_return_to() {
    let idp = start_idp().await;
    let (store, _dir) = fresh_store("sqlite").await;
    let state = AppState::new(store, sso_config(&idp.issuer)).await.unwrap();
    // Every byte alone after a slash, then pseudo-random byte strings, all percent-encoded.
    let mut values: Vec<Vec<u8>> = (0u8..=255).map(|b| vec![b'/', b]).collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..120 {
        let len = (seed % 12) as usize + 1;
        let v: Vec<u8> = (0..len)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                // Mostly the characters that matter here.
                b"/\\%\t\r\n\x00\x0b\x7f ab.:?#@\xff\xe3"[(seed >> 33) as usize % 19]
            })
            .collect();
        values.push(v);
    }
    for v in values {
        let encoded: String = v.iter().map(|b| format!("%{b:02X}")).collect();
        let (r, _) = sign_in(&state, &idp, &encoded).await;
        assert!(r.status.is_redirection(), "{v:?}: {} {}", r.status, r.json);
        let location = r.headers[header::LOCATION].to_str().unwrap();
        assert!(
            location.starts_with('/')
                && !location.starts_with("//")
                && !location.starts_with("/\\"),
            "{v:?}: {location}"
        );
    }
}

#[tokio::test]
async fn a_callback_from_another_browser_is_refused() {
    let idp = start_idp().await;
    let (store, _dir) = fresh_store("sqlite").await;
    let state = AppState::new(store, sso_config(&idp.issuer)).await.unwrap();
    let victim = request(&state, "GET", "/auth/login?return_to=/", &[], "").await;
    let victim_cookie = cookie_set(&victim, "nagare_login").unwrap();
    for cookies in [vec![], vec![("cookie", victim_cookie.as_str())]] {
        // The attacker starts a sign-in in their own browser and keeps the callback URL...
        let login = request(&state, "GET", "/auth/login?return_to=/", &[], "").await;
        let attacker_cookie = cookie_set(&login, "nagare_login").unwrap();
        assert_ne!(victim_cookie, attacker_cookie);
        let set = login.headers[header::SET_COOKIE].to_str().unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Max-Age=600"),
            "{set}"
        );
        let url = url::Url::parse(login.headers[header::LOCATION].to_str().unwrap()).unwrap();
        let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        *idp.pending.lock().unwrap() = (q["code_challenge"].clone(), q["nonce"].clone());
        let callback = format!("/auth/callback?code=code-1&state={}", q["state"]);
        // ...and gets the victim's browser to open it: no login cookie there, or its own.
        let r = request(&state, "GET", &callback, &cookies, "").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
        assert!(
            r.json.as_str().unwrap().contains("another browser"),
            "{}",
            r.json
        );
        assert!(
            cookie_set(&r, "nagare_session").is_none(),
            "no session for the victim"
        );
    }
    // A browser completing its own sign-in, with its cookie, is signed in.
    let (ok, _) = sign_in(&state, &idp, "/").await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert!(session_cookie(&ok).starts_with("nagare_session="));
}

#[tokio::test]
async fn local_mode_refuses_cross_site_writes_and_non_json_bodies() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = app_state(store).await;
    let event = r#"[{"kind":"team","name":"cross-site"}]"#;
    let token = r#"{"name":"x","scopes":["ingest"]}"#;
    // What a page of any site can send without a preflight: refused before parsing.
    for (uri, ct, body) in [
        ("/api/v1/events", "text/plain", event),
        ("/api/v1/events", "application/x-www-form-urlencoded", event),
        ("/api/v1/tokens", "text/plain", token),
        ("/api/v1/tokens", "multipart/form-data; boundary=x", token),
    ] {
        let r = request(&state, "POST", uri, &[("content-type", ct)], body).await;
        assert_eq!(
            r.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{uri} {ct}: {}",
            r.json
        );
        assert!(
            r.json["error"]
                .as_str()
                .unwrap()
                .contains("application/json"),
            "{}",
            r.json
        );
    }
    // A browser on another site, even with a JSON body (after a preflight it would pass).
    for cross in [
        [
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
        [
            ("origin", "http://127.0.0.1:8080.evil.example"),
            ("x-probe", "1"),
        ],
        [("sec-fetch-site", "same-site"), ("x-probe", "1")],
    ] {
        for (uri, body) in [("/api/v1/events", event), ("/api/v1/tokens", token)] {
            let mut h = vec![("content-type", "application/json")];
            h.extend(cross);
            let r = request(&state, "POST", uri, &h, body).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{uri} {cross:?}: {}",
                r.json
            );
            assert!(
                r.json["error"].as_str().unwrap().contains("cross-site"),
                "{}",
                r.json
            );
        }
    }
    assert_eq!(state.store.event_count().await.unwrap(), 0);
    assert!(state.store.tokens().await.unwrap().is_empty());
    // The portal's own pages, and scripts (no Origin), still work; tokens too.
    let own = [
        ("content-type", "application/json"),
        ("origin", "http://127.0.0.1:8080"),
        ("sec-fetch-site", "same-origin"),
    ];
    assert_eq!(
        request(&state, "POST", "/api/v1/events", &own, event)
            .await
            .status,
        StatusCode::OK
    );
    let r = request(
        &state,
        "POST",
        "/api/v1/tokens",
        &[("content-type", "application/json")],
        token,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let bearer = format!("Bearer {}", r.json["secret"].as_str().unwrap());
    let r = request(
        &state,
        "POST",
        "/api/v1/events",
        &[
            ("authorization", &bearer),
            ("content-type", "application/x-ndjson"),
        ],
        r#"{"kind":"team","name":"from-a-script"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
}

#[tokio::test]
async fn only_the_portals_own_host_names_are_answered() {
    let (store, _dir) = fresh_store("sqlite").await;
    let mut config = nagare_server::config::Config::default();
    config.server.dist_dir = "/nonexistent-dist".into();
    config.server.allowed_hosts = vec!["nagare.lan".into()];
    let state = AppState::new(store, config).await.unwrap();
    for host in [
        "127.0.0.1:8080",
        "localhost:8080",
        "[::1]:8080",
        "nagare.lan:8080",
        "nagare.lan",
    ] {
        let r = request(&state, "GET", "/api/v1/services", &[("host", host)], "").await;
        assert_eq!(r.status, StatusCode::OK, "{host}: {}", r.json);
    }
    // A rebinding page reaches the portal under its own name.
    for host in [
        "evil.example:8080",
        "127.0.0.1:9999",
        "localhost",
        "127.0.0.1.evil.example:8080",
    ] {
        for uri in ["/api/v1/services", "/", "/auth/login"] {
            let r = request(&state, "GET", uri, &[("host", host)], "").await;
            assert_eq!(
                r.status,
                StatusCode::MISDIRECTED_REQUEST,
                "{host} {uri}: {}",
                r.json
            );
            assert!(
                r.json["error"]
                    .as_str()
                    .unwrap()
                    .contains("server.allowed_hosts"),
                "{}",
                r.json
            );
        }
        let r = request(
            &state,
            "POST",
            "/api/v1/events",
            &[("host", host), ("content-type", "application/json")],
            "[]",
        )
        .await;
        assert_eq!(r.status, StatusCode::MISDIRECTED_REQUEST);
        // The probes answer by address, for load balancers.
        assert_eq!(
            request(&state, "GET", "/healthz", &[("host", host)], "")
                .await
                .status,
            StatusCode::OK
        );
    }
    // An absolute URI naming another host is refused too, whatever the Host header says.
    let r = request(
        &state,
        "GET",
        "http://evil.example/api/v1/services",
        &[("host", "127.0.0.1:8080")],
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::MISDIRECTED_REQUEST);

    // With single sign-on: the public URL's host (and the allowed list), nothing else.
    let idp = start_idp().await;
    let (store, _dir2) = fresh_store("sqlite").await;
    let sso = AppState::new(store, sso_config(&idp.issuer)).await.unwrap();
    assert_eq!(
        request(&sso, "GET", "/auth/login", &[("host", "127.0.0.1:9")], "")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    for host in ["127.0.0.1:8080", "localhost:9", "evil.example"] {
        let r = request(&sso, "GET", "/auth/login", &[("host", host)], "").await;
        assert_eq!(r.status, StatusCode::MISDIRECTED_REQUEST, "{host}");
    }
}

/// The Teams view's endpoint: each row is what the team-filtered DORA endpoint answers, for
/// the window and the one before; a viewer limited to their team gets their row only.
#[tokio::test]
async fn every_teams_metrics_at_once_within_the_scope() {
    let (state, _idp, b, _dir) = portal_as(&["dev-viewers"]).await;
    let admin_state = app_state(state.store.clone()).await;
    let r = get(&admin_state, &format!("/api/v1/metrics/dora/teams?{WEEK}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let teams: Vec<&str> = r.json["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team"].as_str().unwrap())
        .collect();
    assert_eq!(teams, ["payments", "search"]);
    let (from, to) = (
        r.json["window"]["from"].as_str().unwrap(),
        r.json["window"]["to"].as_str().unwrap(),
    );
    assert_eq!(r.json["previous_window"]["to"], from);
    for row in r.json["teams"].as_array().unwrap() {
        let team = row["team"].as_str().unwrap();
        let one = get(
            &admin_state,
            &format!("/api/v1/metrics/dora?{WEEK}&team={team}"),
        )
        .await;
        assert_eq!(row["current"], one.json, "{team}");
        let prev_from = row["previous"]["window"]["from"].as_str().unwrap();
        let before = get(
            &admin_state,
            &format!("/api/v1/metrics/dora?from={prev_from}&to={from}&team={team}"),
        )
        .await;
        assert_eq!(row["previous"], before.json, "{team}");
    }
    assert!(!to.is_empty());
    // The limited viewer: their own team only, not a 403.
    let r = get_as(&state, &b, &format!("/api/v1/metrics/dora/teams?{WEEK}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["teams"].as_array().unwrap().len(), 1, "{}", r.json);
    assert_eq!(r.json["teams"][0]["team"], "search");
    assert_eq!(
        r.json["teams"][0]["current"]["deployment_frequency"]["deployments"],
        1
    );
    // Filters and series belong to the single-team endpoint.
    for extra in [
        "team=search",
        "service=search-api",
        "interval=week",
        "bogus=1",
    ] {
        let r = get(
            &admin_state,
            &format!("/api/v1/metrics/dora/teams?{WEEK}&{extra}"),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{extra}: {}", r.json);
    }
}
