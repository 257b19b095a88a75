//! Sign-in and access control against an in-process OpenID provider: discovery, JWKS and a
//! token endpoint that checks PKCE, signing ID tokens with the test key of fixtures/. The
//! browser flow against the real npm `oidc-provider` is in end2end/tests/sso.spec.ts.

use crate::common::{call, fresh_store, Reply};
use axum::body::Body;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use jsonwebtoken::{EncodingKey, Header};
use nagare_server::auth::{hash_secret, PUBLIC_API_PATHS};
use nagare_server::config::Config;
use nagare_server::store::{SessionRow, Store};
use nagare_server::AppState;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "nagare";
pub const CLIENT_SECRET: &str = "test-client-secret-b7f1c9";
pub const PORTAL: &str = "http://127.0.0.1:9";

/// Edits the claims of an ID token before it is signed.
pub type Tweak = Box<dyn Fn(&mut Value) + Send>;

/// What the test provider puts in its next ID token.
#[derive(Clone)]
pub struct Idp {
    pub issuer: String,
    /// Issuer the discovery document claims (normally `issuer`).
    pub discovery_issuer: Arc<Mutex<Option<String>>>,
    /// Edits the claims of the next ID token (after the defaults are set).
    pub tweak: Arc<Mutex<Option<Tweak>>>,
    /// The PKCE challenge and nonce of the pending authorization, set by the test.
    pub pending: Arc<Mutex<(String, String)>>,
    /// Corrupt the signature of the next token.
    pub bad_signature: Arc<Mutex<bool>>,
    pub groups: Arc<Mutex<Vec<String>>>,
}

async fn discovery(State(idp): State<Idp>) -> Json<Value> {
    let claimed = idp
        .discovery_issuer
        .lock()
        .unwrap()
        .clone()
        .unwrap_or(idp.issuer.clone());
    Json(json!({
        "issuer": claimed,
        "authorization_endpoint": format!("{}/authorize", idp.issuer),
        "token_endpoint": format!("{}/token", idp.issuer),
        "jwks_uri": format!("{}/jwks", idp.issuer),
        "end_session_endpoint": format!("{}/session/end", idp.issuer),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks() -> Json<Value> {
    Json(serde_json::from_str(include_str!("../fixtures/oidc-test-jwks.json")).unwrap())
}

async fn token(
    State(idp): State<Idp>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(&format!("Basic {basic}"))
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        );
    }
    let (challenge, nonce) = idp.pending.lock().unwrap().clone();
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    if computed != challenge
        || form.get("grant_type").map(String::as_str) != Some("authorization_code")
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"error": "invalid_grant", "error_description": "PKCE verification failed"}),
            ),
        );
    }
    let now = nagare_server::store::now_millis() / 1000;
    let mut claims = json!({
        "iss": idp.issuer, "aud": CLIENT_ID, "sub": "user-42", "name": "Ada Admin",
        "email": "ada@example.com", "iat": now, "exp": now + 300, "nonce": nonce,
        "groups": idp.groups.lock().unwrap().clone(),
    });
    if let Some(t) = idp.tweak.lock().unwrap().as_ref() {
        t(&mut claims);
    }
    let mut header = Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("test-key-1".into());
    let key = EncodingKey::from_rsa_pem(include_bytes!("../fixtures/oidc-test-key.pem")).unwrap();
    let mut jwt = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    if *idp.bad_signature.lock().unwrap() {
        // Re-sign nothing: swap the payload for another, keeping the old signature.
        let parts: Vec<&str> = jwt.split('.').collect();
        let mut forged = claims.clone();
        forged["groups"] = json!(["platform-admins", "forged"]);
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string());
        jwt = format!("{}.{}.{}", parts[0], payload, parts[2]);
    }
    (
        StatusCode::OK,
        Json(json!({"access_token": "at-1", "token_type": "Bearer", "id_token": jwt})),
    )
}

pub async fn start_idp() -> Idp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let idp = Idp {
        issuer,
        discovery_issuer: Arc::default(),
        tweak: Arc::default(),
        pending: Arc::default(),
        bad_signature: Arc::default(),
        groups: Arc::new(Mutex::new(vec![
            "platform-admins".into(),
            "team-payments".into(),
        ])),
    };
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(idp.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    idp
}

pub fn sso_config(issuer: &str) -> Config {
    let mut c = Config::default();
    c.server.dist_dir = "/nonexistent-dist".into();
    c.auth.issuer = issuer.into();
    c.auth.client_id = CLIENT_ID.into();
    c.auth.client_secret = CLIENT_SECRET.into();
    c.auth.redirect_url = format!("{PORTAL}/auth/callback");
    c.auth.scopes = vec!["groups".into()];
    for (g, r) in [
        ("platform-admins", "admin"),
        ("team-payments", "engineer"),
        ("dev-viewers", "viewer"),
    ] {
        c.auth.roles.insert(g.into(), r.into());
    }
    c.auth
        .teams
        .insert("team-payments".into(), "payments".into());
    c
}

pub async fn sso_state(store: Store, issuer: &str) -> AppState {
    AppState::new(store, sso_config(issuer)).await.unwrap()
}

pub async fn request(
    state: &AppState,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    call(state, req.body(Body::from(body.to_owned())).unwrap()).await
}

/// A signed-in browser: its cookie header and CSRF token.
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

impl Browser {
    /// The headers of the web app's JSON writes: the cookie, the CSRF token, the content type.
    pub fn json_write(&self) -> [(&str, &str); 3] {
        [
            ("cookie", &self.cookie),
            ("x-csrf-token", &self.csrf),
            ("content-type", "application/json"),
        ]
    }
}

/// Runs `/auth/login` → provider → `/auth/callback`, returning the callback's reply.
pub async fn sign_in(state: &AppState, idp: &Idp, return_to: &str) -> (Reply, String) {
    let r = request(
        state,
        "GET",
        &format!("/auth/login?return_to={return_to}"),
        &[],
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.json);
    let location = r.headers[header::LOCATION].to_str().unwrap().to_owned();
    let url = url::Url::parse(&location).unwrap();
    assert!(
        location.starts_with(&format!("{}/authorize?", idp.issuer)),
        "{location}"
    );
    let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["scope"], "openid profile email groups");
    *idp.pending.lock().unwrap() = (q["code_challenge"].clone(), q["nonce"].clone());
    // The browser keeps the login cookie and sends it back with the callback.
    let login_cookie = cookie_set(&r, "nagare_login").expect("the login sets nagare_login");
    let callback = format!("/auth/callback?code=code-1&state={}", q["state"]);
    (
        request(state, "GET", &callback, &[("cookie", &login_cookie)], "").await,
        callback,
    )
}

/// The `name=value` of the cookie `name` a reply sets, if it sets one.
pub fn cookie_set(r: &Reply, name: &str) -> Option<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .find(|kv| kv.starts_with(&format!("{name}=")))
}

/// The `name=value` of the cookie a sign-in set.
pub fn session_cookie(r: &Reply) -> String {
    let set = r.headers[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

pub async fn signed_in(state: &AppState, idp: &Idp) -> Browser {
    let (r, _) = sign_in(state, idp, "/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.json);
    let cookie = session_cookie(&r);
    let s = request(state, "GET", "/api/v1/session", &[("cookie", &cookie)], "").await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.json);
    Browser {
        cookie,
        csrf: s.json["csrf_token"].as_str().unwrap().to_owned(),
    }
}

/// Every `.rs` file under `dir`, at any depth.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `(method, path)` the router declares, read from the source of every module of the
/// server at any depth (`http/` and its submodules, the router itself, and any other module
/// that declares routes).
pub fn declared_routes() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
        &mut files,
    );
    let mut out = Vec::new();
    for file in files {
        let src = std::fs::read_to_string(file).unwrap();
        for part in src.split(".route(\"").skip(1) {
            let path = part.split('"').next().unwrap().to_owned();
            let rest = part.split(".route(").next().unwrap();
            for m in ["get", "post", "put", "patch", "delete", "any"] {
                if rest.contains(&format!("{m}(")) {
                    out.push((m.to_uppercase(), path.clone()));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn every_route_needs_a_session_or_token_except_the_allow_list() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = sso_state(store, "http://127.0.0.1:1").await;
    let routes = declared_routes();
    assert!(routes.len() >= 15, "{routes:?}");
    for (method, path) in &routes {
        let uri = path.replace("{id}", "x").replace("{*rest}", "anything");
        let method = if method == "ANY" {
            "GET"
        } else {
            method.as_str()
        };
        let r = request(&state, method, &uri, &[], "").await;
        if PUBLIC_API_PATHS.contains(&path.as_str()) {
            assert_ne!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} is on the allow list"
            );
        } else {
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} is reachable anonymously: {}",
                r.json
            );
            assert_eq!(r.json["login_url"], "/auth/login", "{method} {path}");
        }
    }
    // The web app itself (no data) loads anonymously; it asks the API, which checks.
    let r = request(&state, "GET", "/deployments", &[], "").await;
    assert_ne!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sign_in_maps_groups_and_returns_to_the_page() {
    let idp = start_idp().await;
    let (store, _dir) = fresh_store("sqlite").await;
    let state = sso_state(store.clone(), &idp.issuer).await;
    let (r, callback) = sign_in(&state, &idp, "/deployments%3Fenvironment_tier%3Dproduction").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.json);
    assert_eq!(
        r.headers[header::LOCATION],
        "/deployments?environment_tier=production"
    );
    let set = r.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"),
        "{set}"
    );
    assert!(
        !set.contains("Secure"),
        "plain http on loopback: no Secure flag ({set})"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    let s = request(&state, "GET", "/api/v1/session", &[("cookie", &cookie)], "").await;
    assert_eq!(s.json["role"], "admin", "the highest of admin and engineer");
    assert_eq!(s.json["teams"], json!(["payments"]));
    assert_eq!(s.json["name"], "Ada Admin");
    assert_eq!(s.json["local_mode"], false);
    // The session id is stored only as its hash.
    let id = cookie.split_once('=').unwrap().1;
    assert!(store.session(&hash_secret(id)).await.unwrap().is_some());
    assert!(store.session(id).await.unwrap().is_none());
    // The same callback again (a replay) is refused: each state completes once.
    let again = request(&state, "GET", &callback, &[], "").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.headers.get(header::SET_COOKIE).is_none());
    // A return_to off this site is ignored.
    let (r, _) = sign_in(&state, &idp, "//evil.example.com/x").await;
    assert_eq!(r.headers[header::LOCATION], "/");
}

#[tokio::test]
async fn opening_a_page_without_a_session_goes_through_sign_in_and_back() {
    let idp = start_idp().await;
    let (store, _dir) = fresh_store("sqlite").await;
    let state = sso_state(store, &idp.issuer).await;
    let page = "/deployments?environment_tier=production&service=ledger";
    let document = [("sec-fetch-dest", "document"), ("accept", "text/html")];
    let r = request(&state, "GET", page, &document, "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let location = r.headers[header::LOCATION].to_str().unwrap().to_owned();
    let return_to = location
        .strip_prefix("/auth/login?return_to=")
        .unwrap_or_else(|| panic!("to sign-in: {location}"));
    let decoded: String = url::form_urlencoded::parse(format!("r={return_to}").as_bytes())
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(decoded, page, "the page, query and all");
    // A browser without Fetch Metadata is recognised by its Accept header.
    let old = request(&state, "GET", "/incidents", &[("accept", "text/html")], "").await;
    assert_eq!(
        old.headers[header::LOCATION],
        "/auth/login?return_to=%2Fincidents"
    );
    // Following it: the provider, then the callback lands on the page asked for.
    let (done, _) = sign_in(&state, &idp, return_to).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.json);
    assert_eq!(done.headers[header::LOCATION], page);
    let cookie = session_cookie(&done);
    let signed_in = [document[0], document[1], ("cookie", cookie.as_str())];
    let r = request(&state, "GET", page, &signed_in, "").await;
    assert!(
        r.headers.get(header::LOCATION).is_none(),
        "signed in: the app is served ({})",
        r.status
    );
    // A stale cookie is no session: back to sign-in.
    let stale = [document[0], ("cookie", "nagare_session=gone")];
    let r = request(&state, "GET", "/", &stale, "").await;
    assert_eq!(r.headers[header::LOCATION], "/auth/login?return_to=%2F");
    // Not pages: assets, probes, the API and the sign-in steps are never redirected.
    for (path, dest) in [
        ("/nagare-app-1f2e.js", "script"),
        ("/style.css", "style"),
        ("/healthz", "document"),
        ("/api/v1/session", "document"),
        ("/auth/login", "document"),
    ] {
        let r = request(&state, "GET", path, &[("sec-fetch-dest", dest)], "").await;
        let to = r.headers.get(header::LOCATION).map(|l| l.to_str().unwrap());
        assert!(
            !to.is_some_and(|l| l.starts_with("/auth/login")),
            "{path} ({dest}) answered {} {to:?}",
            r.status
        );
    }
    // Local mode has no sign-in: the page is served.
    let (store, _dir2) = fresh_store("sqlite").await;
    let mut local = Config::default();
    local.server.dist_dir = "/nonexistent-dist".into();
    let local = AppState::new(store, local).await.unwrap();
    let r = request(&local, "GET", page, &document, "").await;
    assert!(r.headers.get(header::LOCATION).is_none(), "{}", r.status);
}

#[tokio::test]
async fn bad_id_tokens_are_refused_with_the_reason() {
    let idp = start_idp().await;
    let (store, _dir) = fresh_store("sqlite").await;
    let state = sso_state(store, &idp.issuer).await;
    let cases: Vec<(&str, Tweak, &str)> = vec![
        (
            "wrong audience",
            Box::new(|c| c["aud"] = json!("someone-else")),
            "wrong audience",
        ),
        (
            "expired",
            Box::new(|c| {
                c["exp"] = json!((nagare_server::store::now_millis() / 1000) - 600);
            }),
            "expired",
        ),
        (
            "wrong issuer",
            Box::new(|c| c["iss"] = json!("https://evil.example.com")),
            "wrong issuer",
        ),
        (
            "wrong nonce",
            Box::new(|c| c["nonce"] = json!("not-the-one")),
            "nonce",
        ),
        (
            "issued in the future",
            Box::new(|c| {
                c["iat"] = json!((nagare_server::store::now_millis() / 1000) + 3600);
            }),
            "future",
        ),
        (
            "other authorized party",
            Box::new(|c| c["azp"] = json!("other-client")),
            "authorized party",
        ),
    ];
    for (what, tweak, says) in cases {
        *idp.tweak.lock().unwrap() = Some(tweak);
        let (r, _) = sign_in(&state, &idp, "/").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}");
        assert!(
            r.headers.get(header::SET_COOKIE).is_none(),
            "{what}: no session"
        );
        assert!(
            r.json.as_str().unwrap().contains(says),
            "{what}: {}",
            r.json
        );
    }
    *idp.tweak.lock().unwrap() = None;
    *idp.bad_signature.lock().unwrap() = true;
    let (r, _) = sign_in(&state, &idp, "/").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.json.as_str().unwrap().contains("bad signature"),
        "{}",
        r.json
    );
    *idp.bad_signature.lock().unwrap() = false;
    // A user none of whose groups is mapped gets no role, and no session.
    *idp.groups.lock().unwrap() = vec!["marketing".into()];
    let (r, _) = sign_in(&state, &idp, "/").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.json.as_str().unwrap().contains("marketing"), "{}", r.json);
    // Each refusal is in the audit log: the first from this address at once, with its reason;
    // the seven repeats as one row with their count once the window is summarised.
    let (rows, count) = sign_in_failures(&state.store).await;
    assert_eq!((rows, count), (1, 1));
    nagare_server::jobs::write_repeats(
        &state.store,
        state
            .sign_in_failures
            .drain(nagare_server::store::now_millis(), true),
    )
    .await;
    assert_eq!(sign_in_failures(&state.store).await, (2, 8));
    let page = state
        .store
        .audit_page(Some("sign_in_failed"), None, 1, 10)
        .await
        .unwrap();
    let summary = &page.items[0];
    assert_eq!(summary.count, 7);
    assert!(summary.until.unwrap() >= summary.at, "{summary:?}");
    assert!(
        summary.detail.contains("7 more failed sign-ins"),
        "{}",
        summary.detail
    );
    assert!(
        page.items[1].detail.contains("wrong audience"),
        "{}",
        page.items[1].detail
    );
}

/// Rows of failed sign-ins in the audit log, and the failures they stand for.
async fn sign_in_failures(store: &Store) -> (i64, i64) {
    let sql = "SELECT COUNT(*), CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM audit_log WHERE action = 'sign_in_failed'";
    match store {
        Store::Sqlite(p) => sqlx::query_as(sql).fetch_one(p).await.unwrap(),
        Store::Postgres(p) => sqlx::query_as(sql).fetch_one(p).await.unwrap(),
    }
}

#[tokio::test]
async fn an_issuer_whose_discovery_names_another_is_refused() {
    let idp = start_idp().await;
    *idp.discovery_issuer.lock().unwrap() = Some("https://login.example.com".into());
    let (store, _dir) = fresh_store("sqlite").await;
    let state = sso_state(store, &idp.issuer).await;
    let r = request(&state, "GET", "/auth/login", &[], "").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.headers.get(header::LOCATION).is_none());
}

#[tokio::test]
async fn csrf_protects_unsafe_methods_under_a_cookie_session() {
    let idp = start_idp().await;
    let (store, _dir) = fresh_store("sqlite").await;
    let state = sso_state(store, &idp.issuer).await;
    let b = signed_in(&state, &idp).await;
    let event = r#"[{"kind":"team","name":"csrf-test"}]"#;
    let json_ct = ("content-type", "application/json");
    let no_token = request(
        &state,
        "POST",
        "/api/v1/events",
        &[("cookie", &b.cookie), json_ct],
        event,
    )
    .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN, "{}", no_token.json);
    let cross = request(
        &state,
        "POST",
        "/api/v1/events",
        &[
            ("cookie", &b.cookie),
            json_ct,
            ("x-csrf-token", &b.csrf),
            ("origin", "https://evil.example.com"),
        ],
        event,
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN, "{}", cross.json);
    let site = request(
        &state,
        "POST",
        "/api/v1/events",
        &[
            ("cookie", &b.cookie),
            json_ct,
            ("x-csrf-token", &b.csrf),
            ("sec-fetch-site", "cross-site"),
        ],
        event,
    )
    .await;
    assert_eq!(site.status, StatusCode::FORBIDDEN, "{}", site.json);
    let ok = request(
        &state,
        "POST",
        "/api/v1/events",
        &[
            ("cookie", &b.cookie),
            json_ct,
            ("x-csrf-token", &b.csrf),
            ("origin", PORTAL),
            ("sec-fetch-site", "same-origin"),
        ],
        event,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.json);
    // Sign-out ends the session for good, and points the browser at the provider's logout.
    let out = request(
        &state,
        "POST",
        "/auth/logout",
        &[("cookie", &b.cookie), ("x-csrf-token", &b.csrf)],
        "",
    )
    .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.json);
    let redirect = out.json["redirect"].as_str().unwrap();
    assert!(
        redirect.starts_with(&format!("{}/session/end?", idp.issuer))
            && redirect.contains("id_token_hint="),
        "{redirect}"
    );
    let after = request(
        &state,
        "GET",
        "/api/v1/session",
        &[("cookie", &b.cookie)],
        "",
    )
    .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sessions_end_after_idle_and_absolute_timeouts() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = sso_state(store.clone(), "http://127.0.0.1:1").await;
    let now = nagare_server::store::now_millis();
    let row = |last_seen: i64, expires: i64| SessionRow {
        subject: "u".into(),
        name: "U".into(),
        email: None,
        role: nagare_core::api::Role::Viewer,
        teams: vec![],
        csrf: "c".into(),
        id_token: None,
        created_at: now - 1000,
        last_seen_at: last_seen,
        expires_at: expires,
    };
    // Default idle timeout 8 h, absolute 7 days.
    let cases = [
        ("fresh", row(now - 60_000, now + 3_600_000), StatusCode::OK),
        (
            "idle 8 h 1 min",
            row(now - (8 * 60 + 1) * 60_000, now + 3_600_000),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "past its absolute end",
            row(now - 60_000, now - 1),
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (i, (what, s, want)) in cases.into_iter().enumerate() {
        let id = format!("session-{i}");
        store.create_session(&hash_secret(&id), &s).await.unwrap();
        let r = request(
            &state,
            "GET",
            "/api/v1/session",
            &[("cookie", &format!("nagare_session={id}"))],
            "",
        )
        .await;
        assert_eq!(r.status, want, "{what}: {}", r.json);
        if want == StatusCode::UNAUTHORIZED {
            assert!(
                store.session(&hash_secret(&id)).await.unwrap().is_none(),
                "{what}: the row is gone"
            );
        }
    }
}

#[tokio::test]
async fn api_tokens_are_hashed_scoped_and_revocable_and_secrets_stay_out_of_logs() {
    let idp = start_idp().await;
    let (store, _dir) = fresh_store("sqlite").await;
    let state = sso_state(store.clone(), &idp.issuer).await;
    let b = signed_in(&state, &idp).await;
    let admin = b.json_write();
    let r = request(
        &state,
        "POST",
        "/api/v1/tokens",
        &admin,
        r#"{"name":"ci","scopes":["ingest"]}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let secret = r.json["secret"].as_str().unwrap().to_owned();
    let id = r.json["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("ngr_") && secret.len() > 40);
    assert!(secret.starts_with(r.json["prefix"].as_str().unwrap()));
    // Stored as its SHA-256, and nowhere in clear.
    let Store::Sqlite(pool) = &store else {
        unreachable!()
    };
    let (hash, all): (String, String) = sqlx::query_as(
        "SELECT hash, id || name || prefix || hash || scopes || created_by FROM api_tokens WHERE id = $1",
    ).bind(&id).fetch_one(pool).await.unwrap();
    assert_eq!(hash, format!("{:x}", Sha256::digest(secret.as_bytes())));
    assert!(!all.contains(&secret));
    // The list never shows the secret again.
    let list = request(
        &state,
        "GET",
        "/api/v1/tokens",
        &[("cookie", &b.cookie)],
        "",
    )
    .await;
    assert!(!list.json.to_string().contains(&secret));
    assert_eq!(list.json[0]["last_used_at"], Value::Null);

    let bearer = format!("Bearer {secret}");
    let ingest = |auth: String| {
        let state = state.clone();
        async move {
            request(
                &state,
                "POST",
                "/api/v1/events",
                &[
                    ("authorization", &auth),
                    ("content-type", "application/json"),
                ],
                r#"[{"kind":"team","name":"from-ci"}]"#,
            )
            .await
        }
    };
    assert_eq!(ingest(bearer.clone()).await.status, StatusCode::OK);
    assert_eq!(ingest(String::new()).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        ingest(format!("Bearer {secret}x")).await.status,
        StatusCode::UNAUTHORIZED
    );
    // An ingest-only token cannot read, nor manage tokens.
    let read = request(
        &state,
        "GET",
        "/api/v1/teams",
        &[("authorization", &bearer)],
        "",
    )
    .await;
    assert_eq!(read.status, StatusCode::FORBIDDEN, "{}", read.json);
    let manage = request(
        &state,
        "GET",
        "/api/v1/tokens",
        &[("authorization", &bearer)],
        "",
    )
    .await;
    assert_eq!(manage.status, StatusCode::FORBIDDEN);
    let list = request(
        &state,
        "GET",
        "/api/v1/tokens",
        &[("cookie", &b.cookie)],
        "",
    )
    .await;
    assert!(list.json[0]["last_used_at"].is_string(), "{}", list.json);

    let revoke = request(
        &state,
        "DELETE",
        &format!("/api/v1/tokens/{id}"),
        &admin,
        "",
    )
    .await;
    assert_eq!(revoke.status, StatusCode::OK, "{}", revoke.json);
    assert!(revoke.json["revoked_at"].is_string());
    assert_eq!(
        ingest(bearer.clone()).await.status,
        StatusCode::UNAUTHORIZED,
        "revoked at once"
    );

    let audit = request(&state, "GET", "/api/v1/audit", &[("cookie", &b.cookie)], "").await;
    let actions: Vec<&str> = audit.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["token_revoked", "token_created", "sign_in"]);

    // Nothing secret reached the logs: the token, the session id, the client secret, the ID token.
    // The capture holds every test's logs at TRACE; it must hold this test's requests.
    let text = crate::common::logs();
    let created = r.headers["x-request-id"].to_str().unwrap();
    assert!(
        text.contains(&format!("request_id={created}")),
        "the capture holds the token request {created}"
    );
    let session_id = b.cookie.split_once('=').unwrap().1;
    for (what, s) in [
        ("token", secret.as_str()),
        ("session id", session_id),
        ("client secret", CLIENT_SECRET),
        ("csrf", b.csrf.as_str()),
    ] {
        assert!(!text.contains(s), "the {what} appears in the logs");
    }
    assert!(
        !text.contains("eyJ"),
        "an ID token (JWT) appears in the logs"
    );
}

#[tokio::test]
async fn expired_tokens_are_refused_and_an_expiry_must_be_in_the_future() {
    let idp = start_idp().await;
    let (store, _dir) = fresh_store("sqlite").await;
    let state = sso_state(store.clone(), &idp.issuer).await;
    let now = nagare_server::store::now_millis();
    let token = |id: &str, expires_at: i64| nagare_core::api::ApiTokenRow {
        id: id.into(),
        name: id.into(),
        scopes: vec![nagare_core::api::TokenScope::Read],
        prefix: "ngr_x".into(),
        created_by: "u".into(),
        created_at: nagare_core::Timestamp(now - 3_600_000),
        expires_at: Some(nagare_core::Timestamp(expires_at)),
        last_used_at: None,
        revoked_at: None,
        teams: vec![],
        services: vec![],
    };
    for (id, expires_at, want) in [
        ("live", now + 60_000, StatusCode::OK),
        ("expired", now - 1, StatusCode::UNAUTHORIZED),
    ] {
        let secret = format!("ngr_secret-{id}");
        store
            .create_token(&token(id, expires_at), &hash_secret(&secret))
            .await
            .unwrap();
        let bearer = format!("Bearer {secret}");
        let r = request(
            &state,
            "GET",
            "/api/v1/teams",
            &[("authorization", &bearer)],
            "",
        )
        .await;
        assert_eq!(r.status, want, "{id}: {}", r.json);
    }
    let b = signed_in(&state, &idp).await;
    let r = request(
        &state,
        "POST",
        "/api/v1/tokens",
        &b.json_write(),
        r#"{"name":"late","scopes":["read"],"expires_at":"2020-01-01T00:00:00Z"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    assert_eq!(r.json["field"], "expires_at");
}

#[tokio::test]
async fn over_https_cookies_are_secure_and_hsts_is_sent() {
    let idp = start_idp().await;
    let (store, _dir) = fresh_store("sqlite").await;
    let mut config = sso_config(&idp.issuer);
    config.auth.redirect_url = "https://nagare.example.com/auth/callback".into();
    let state = AppState::new(store, config).await.unwrap();
    let (r, _) = sign_in(&state, &idp, "/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.json);
    let set = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set.contains("; Secure") && set.contains("HttpOnly"),
        "{set}"
    );
    let probe = request(&state, "GET", "/healthz", &[], "").await;
    assert!(probe.headers[header::STRICT_TRANSPORT_SECURITY]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    let csp = probe.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    for part in [
        "script-src 'self' 'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    let scripts = csp.split(';').find(|d| d.trim().starts_with("script-src"));
    assert!(
        scripts.is_some_and(|d| !d.contains("unsafe-inline")),
        "no inline script: {csp}"
    );
    assert_eq!(probe.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(probe.headers.contains_key(header::REFERRER_POLICY));
    // Plain http (loopback here): no HSTS, which would pin a name to https it does not serve.
    let (store, _dir2) = fresh_store("sqlite").await;
    let plain = sso_state(store, &idp.issuer).await;
    let probe = request(&plain, "GET", "/healthz", &[], "").await;
    assert!(!probe
        .headers
        .contains_key(header::STRICT_TRANSPORT_SECURITY));
}

#[tokio::test]
async fn roles_and_team_visibility() {
    let idp = start_idp().await;
    let (store, _dir) = fresh_store("sqlite").await;
    let mut config = sso_config(&idp.issuer);
    config.auth.viewers_see_all_teams = false;
    config
        .auth
        .teams
        .insert("dev-viewers".into(), "search".into());
    let state = AppState::new(store, config).await.unwrap();
    *idp.groups.lock().unwrap() = vec!["dev-viewers".into()];
    let b = signed_in(&state, &idp).await;
    let c = [("cookie", b.cookie.as_str())];
    let s = request(&state, "GET", "/api/v1/session", &c, "").await;
    assert_eq!(
        (s.json["role"].as_str(), s.json["sees_all_teams"].as_bool()),
        (Some("viewer"), Some(false))
    );
    let t = request(&state, "GET", "/api/v1/tokens", &c, "").await;
    assert_eq!(t.status, StatusCode::FORBIDDEN);
    assert_eq!(t.json["required_role"], "admin");
    let a = request(&state, "GET", "/api/v1/audit", &c, "").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // Only their own team's numbers.
    assert_eq!(
        request(&state, "GET", "/api/v1/metrics/dora", &c, "")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        request(&state, "GET", "/api/v1/metrics/dora?team=payments", &c, "")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        request(&state, "GET", "/api/v1/metrics/dora?team=search", &c, "")
            .await
            .status,
        StatusCode::OK
    );
    // A viewer may not ingest.
    let post = request(&state, "POST", "/api/v1/events", &b.json_write(), "[]").await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);
    assert_eq!(post.json["required_role"], "engineer");
}

#[tokio::test]
async fn auth_tables_on_both_backends() {
    for backend in crate::common::backends() {
        let (store, _dir) = fresh_store(backend).await;
        let now = nagare_server::store::now_millis();
        // A login attempt completes once.
        let attempt = nagare_server::store::LoginAttempt {
            state: "s1".into(),
            nonce: "n1".into(),
            pkce_verifier: "v1".into(),
            return_to: "/x".into(),
            browser_hash: "b1".into(),
            created_at: now,
        };
        store.save_login_attempt(&attempt).await.unwrap();
        assert_eq!(
            store.take_login_attempt("s1").await.unwrap(),
            Some(attempt),
            "{backend}"
        );
        assert_eq!(
            store.take_login_attempt("s1").await.unwrap(),
            None,
            "{backend}"
        );
        // Tokens: created, found by hash, revoked.
        let row = nagare_core::api::ApiTokenRow {
            id: "t1".into(),
            name: "ci".into(),
            scopes: vec![
                nagare_core::api::TokenScope::Ingest,
                nagare_core::api::TokenScope::Read,
            ],
            prefix: "ngr_abc".into(),
            created_by: "u".into(),
            created_at: nagare_core::Timestamp(now),
            expires_at: None,
            last_used_at: None,
            revoked_at: None,
            teams: vec!["payments".into()],
            services: vec!["ledger".into()],
        };
        store.create_token(&row, "h1").await.unwrap();
        assert_eq!(
            store.token_by_hash("h1").await.unwrap(),
            Some(row.clone()),
            "{backend}"
        );
        let revoked = store.revoke_token("t1", now + 5).await.unwrap().unwrap();
        assert_eq!(
            revoked.revoked_at,
            Some(nagare_core::Timestamp(now + 5)),
            "{backend}"
        );
        // The audit log: filtered pages, and no way to change history.
        for action in ["sign_in", "token_created", "sign_in"] {
            let e = nagare_server::store::AuditEntry {
                actor: "u",
                action,
                success: true,
                detail: "d".into(),
                ip: None,
            };
            store.audit(&e).await.unwrap();
        }
        let page = store
            .audit_page(Some("sign_in"), None, 1, 50)
            .await
            .unwrap();
        assert_eq!((page.total, page.items.len()), (2, 2), "{backend}");
        let changed = match &store {
            Store::Sqlite(p) => sqlx::query("UPDATE audit_log SET detail = 'x'")
                .execute(p)
                .await
                .map(|_| ()),
            Store::Postgres(p) => sqlx::query("UPDATE audit_log SET detail = 'x'")
                .execute(p)
                .await
                .map(|_| ()),
        };
        assert!(
            changed.unwrap_err().to_string().contains("append-only"),
            "{backend}"
        );
        let deleted = match &store {
            Store::Sqlite(p) => sqlx::query("DELETE FROM audit_log")
                .execute(p)
                .await
                .map(|_| ()),
            Store::Postgres(p) => sqlx::query("DELETE FROM audit_log")
                .execute(p)
                .await
                .map(|_| ()),
        };
        assert!(deleted.is_err(), "{backend}");
    }
}

#[tokio::test]
async fn role_mapping_changes_are_audited_once_each() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = sso_state(store.clone(), "http://127.0.0.1:1").await;
    nagare_server::auth::record_access_config(&state)
        .await
        .unwrap();
    nagare_server::auth::record_access_config(&state)
        .await
        .unwrap();
    let page = store
        .audit_page(Some("config_loaded"), None, 1, 10)
        .await
        .unwrap();
    assert_eq!(page.total, 1, "an unchanged mapping is recorded once");
    assert!(
        page.items[0].detail.contains("platform-admins=admin"),
        "{}",
        page.items[0].detail
    );
    let mut config = sso_config("http://127.0.0.1:1");
    config.auth.roles.insert("sre".into(), "admin".into());
    let changed = AppState::new(store.clone(), config).await.unwrap();
    nagare_server::auth::record_access_config(&changed)
        .await
        .unwrap();
    let page = store
        .audit_page(Some("config_loaded"), None, 1, 10)
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert!(page.items[0].detail.contains("sre=admin"));
}
