//! `POST /hooks/{source}` with the canonical source: verified, deduplicated, mapped and
//! ingested through the API's path, on SQLite and PostgreSQL.

/// A recorded GitHub payload (core/tests/fixtures/github, octokit/webhooks, MIT).
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            "../../../core/tests/fixtures/github/",
            $name,
            ".payload.json"
        ))
    };
}

mod admin;
mod demo;
mod fresh;
mod github;
mod replay;

use crate::auth::request;
use crate::common::*;
use axum::http::StatusCode;
use nagare_server::config::Config;
use nagare_server::AppState;
use sha2::{Digest, Sha256};

const OLD: &str = "an-old-secret-being-rotated-out";
const NEW: &str = "the-new-secret-0123456789abcdef";

/// HMAC-SHA256 written out from its definition (RFC 2104), independent of the server's.
pub(crate) fn hmac_sha256(key: &[u8], msg: &[u8]) -> String {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let inner = Sha256::digest([pad(0x36), msg.to_vec()].concat());
    let outer = Sha256::digest([pad(0x5c), inner.to_vec()].concat());
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_reference_hmac_matches_rfc_4231() {
    // RFC 4231, test case 2.
    assert_eq!(
        hmac_sha256(b"Jefe", b"what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

pub(crate) async fn hook_state(store: nagare_server::store::Store, secrets: &[&str]) -> AppState {
    let mut config = Config::default();
    config.server.dist_dir = "/nonexistent-dist".into();
    config.sources.canonical.secrets = secrets.iter().map(|s| s.to_string()).collect();
    AppState::new(store, config).await.unwrap()
}

pub(crate) async fn deliver(
    state: &AppState,
    body: &str,
    signature: Option<String>,
    id: &str,
) -> Reply {
    let sig = signature.unwrap_or_default();
    let mut headers = vec![
        ("content-type", "application/x-ndjson"),
        ("x-nagare-delivery", id),
    ];
    if !sig.is_empty() {
        headers.push(("x-nagare-signature-256", &sig));
    }
    request(state, "POST", "/hooks/canonical", &headers, body).await
}

pub(crate) fn signed(secret: &str, body: &str) -> Option<String> {
    Some(format!(
        "sha256={}",
        hmac_sha256(secret.as_bytes(), body.as_bytes())
    ))
}

const BODY: &str = concat!(
    r#"{"kind":"deployment","source":"hook","id":"h1","service":"shop","environment":"production","status":"success","finished_at":"2024-03-06T10:00:00Z","sha":"a1"}"#,
    "\n",
    r#"{"kind":"deployment","source":"hook","id":"h2","service":"shop","environment":"production","status":"success","finished_at":"2024-03-07T10:00:00Z","sha":"a2"}"#,
    "\n"
);

async fn production_deployments(state: &AppState) -> u64 {
    let r = get(state, "/api/v1/deployments?environment_tier=production").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    r.json["total"].as_u64().unwrap()
}

#[tokio::test]
async fn a_signed_delivery_is_stored_once_and_a_forged_one_not_at_all() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let state = hook_state(store.clone(), &[OLD, NEW]).await;
        let kept = || async { store.recent_deliveries(100).await.unwrap() };

        // Forged: no signature, a wrong secret, the body changed after signing.
        let r = deliver(&state, BODY, None, "d0").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{backend}: {}", r.json);
        assert!(r.json["error"]
            .as_str()
            .unwrap()
            .contains("x-nagare-signature-256"));
        let r = deliver(&state, BODY, signed("not-the-secret-at-all!!", BODY), "d0").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{backend}");
        let tampered = BODY.replace("\"a2\"", "\"a3\"");
        let r = deliver(&state, &tampered, signed(NEW, BODY), "d0").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{backend}");
        assert_eq!(
            kept().await.len(),
            0,
            "{backend}: a forged delivery is never stored"
        );
        assert_eq!(production_deployments(&state).await, 0);

        // Signed with the new secret: stored, and answered after the commit.
        let r = deliver(&state, BODY, signed(NEW, BODY), "d1").await;
        assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.json);
        assert_eq!(
            (r.json["accepted"].as_u64(), r.json["duplicate"].as_bool()),
            (Some(2), Some(false))
        );
        assert_eq!(production_deployments(&state).await, 2);
        let rows = kept().await;
        assert_eq!(
            (
                rows.len(),
                rows[0].source.as_str(),
                rows[0].verdict.as_str()
            ),
            (1, "canonical", "accepted")
        );
        assert_eq!(
            rows[0].payload.as_deref(),
            Some(BODY.as_bytes()),
            "the raw bytes are kept"
        );

        // Redelivered: nothing changes, not even the deliveries kept.
        let r = deliver(&state, BODY, signed(NEW, BODY), "d1").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            (r.json["accepted"].as_u64(), r.json["duplicate"].as_bool()),
            (Some(0), Some(true))
        );
        assert_eq!(kept().await.len(), 1);

        // The secret being rotated out still verifies; both events replace stored ones.
        let moved = BODY.replace("10:00:00Z\",\"sha\":\"a2\"", "11:00:00Z\",\"sha\":\"a2\"");
        assert_ne!(moved, BODY);
        let r = deliver(&state, &moved, signed(OLD, &moved), "d2").await;
        assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.json);
        assert_eq!(
            (r.json["accepted"].as_u64(), r.json["updated"].as_u64()),
            (Some(0), Some(2))
        );

        // A bad event in a signed body: 422 naming the line, kept as rejected, nothing stored.
        let bad = format!(
            "{}\n{}\n",
            r#"{"kind":"deployment","source":"hook","id":"h3","service":"shop","environment":"production","status":"success","finished_at":"2024-03-08T10:00:00Z","sha":"a4"}"#,
            r#"{"kind":"deployment","source":"hook","id":"h4","service":"shop","environment":"production","status":"done"}"#
        );
        let r = deliver(&state, &bad, signed(NEW, &bad), "d3").await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}: {}",
            r.json
        );
        assert_eq!(r.json["line"], 2);
        assert_eq!(
            production_deployments(&state).await,
            2,
            "{backend}: all or nothing"
        );
        assert_eq!(kept().await[0].verdict, "rejected");
        // A rejected delivery may be sent again once fixed.
        let fixed = bad.replace(
            "\"done\"}",
            "\"success\",\"finished_at\":\"2024-03-09T10:00:00Z\",\"sha\":\"a5\"}",
        );
        let r = deliver(&state, &fixed, signed(NEW, &fixed), "d3").await;
        assert_eq!(r.status, StatusCode::OK, "{backend}: {}", r.json);
        assert_eq!(production_deployments(&state).await, 4);
    }
}

#[tokio::test]
async fn unknown_or_unconfigured_sources_are_404_and_short_secrets_refused() {
    let (store, _dir) = fresh_store("sqlite").await;
    let off = hook_state(store.clone(), &[]).await;
    let r = deliver(&off, BODY, signed(NEW, BODY), "x").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.json);
    assert!(r.json["error"]
        .as_str()
        .unwrap()
        .contains("configured: none"));
    let on = hook_state(store.clone(), &[NEW]).await;
    let r = request(
        &on,
        "POST",
        "/hooks/gitlab",
        &[("content-type", "application/json")],
        "[]",
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.json["error"]
            .as_str()
            .unwrap()
            .contains("configured: canonical"),
        "{}",
        r.json
    );
    let mut config = Config::default();
    config.sources.canonical.secrets = vec!["short".into()];
    let e = AppState::new(store, config)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("shorter than 16 characters"), "{e}");
}
