#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failure should panic
//! Contract tests of the Prometheus query client (`nagare_server::slo::prom`) and its SigV4
//! signer (`nagare_server::slo::sigv4`): the signer against AWS's test suite; the client against
//! a local stand-in of the query API that checks every request (form body, credentials, SigV4
//! verified by AWS's own signer) and answers as Prometheus does; and against a real Prometheus
//! started on a loopback port over samples written with promtool.

#[path = "slo_clients/fake_prom.rs"]
mod fake_prom;
#[path = "slo_prometheus/prometheus.rs"]
#[allow(dead_code)] // the proxy is for the sync's tests
mod prometheus;
#[path = "slo_clients/real_prometheus.rs"]
mod real_prometheus;
#[path = "slo_clients/sigv4_suite.rs"]
mod sigv4_suite;

use fake_prom::{Check, FakeProm};
use nagare_server::config::PrometheusConfig;
use nagare_server::slo::prom::{PromClient, PromError};
use nagare_server::slo::sigv4::Credentials;
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const PASSWORD: &str = "pr0m-passw0rd";
const TOKEN: &str = "glc_bearer-t0ken-123";
const AKID: &str = "AKIDNAGARETEST";
const SECRET: &str = "nagare/Secret+Access+Key/EXAMPLE0123456789";
const WRONG_SECRET: &str = "nagare/Wrong+Secret+Key/EXAMPLE0123456789";
const SESSION: &str = "FwoGZXIvYXdzEnagare-session-token//////////EXAMPLE=";
const REGION: &str = "eu-west-1";
/// Amazon Managed Service for Prometheus serves each workspace under this path.
const WORKSPACE: &str = "/workspaces/ws-0a1b2c3d-4e5f";

/// 2023-11-14T22:13:20Z
const T0: i64 = 1_700_000_000_000;

/// An error's text, checked to hold no secret of any test.
fn said(e: &PromError) -> String {
    let text = e.to_string();
    for secret in [PASSWORD, TOKEN, SECRET, WRONG_SECRET, SESSION] {
        assert!(!text.contains(secret), "a secret leaked: {text}");
    }
    assert!(!text.contains("Signature="), "a signature leaked: {text}");
    text
}

fn config(url: &str, auth: &str) -> PrometheusConfig {
    PrometheusConfig {
        url: url.into(),
        auth: auth.into(),
        username: None,
        password_file: None,
        token_file: None,
        region: None,
        sigv4_service: "aps".into(),
        sync_secs: 60,
        max_points: 10_000,
        timeout_secs: 5,
    }
}

fn sigv4_config(url: &str) -> PrometheusConfig {
    PrometheusConfig {
        region: Some(REGION.into()),
        ..config(url, "sigv4")
    }
}

/// A client signing with the test's key id and session token and `secret`.
fn signing_client(cfg: &PrometheusConfig, secret: &str) -> PromClient {
    PromClient::from_config_with_credentials(
        cfg,
        Credentials {
            access_key_id: AKID.into(),
            secret_access_key: secret.into(),
            session_token: Some(SESSION.into()),
        },
    )
    .unwrap()
}

fn sigv4_check() -> Check {
    Check::Sigv4 {
        access_key_id: AKID.into(),
        secret_access_key: SECRET.into(),
        session_token: Some(SESSION.into()),
        region: REGION.into(),
        service: "aps".into(),
    }
}

fn matrix(series: serde_json::Value) -> String {
    json!({"status": "success", "data": {"resultType": "matrix", "result": series}}).to_string()
}

/// Seconds as Prometheus writes them in an answer.
fn at(ms: i64) -> serde_json::Value {
    json!(ms as f64 / 1000.0)
}

/// Two series of a counter's increase, as `sum by (code)` would split it: summed per timestamp,
/// NaN and infinite samples skipped, sorted.
fn two_series() -> String {
    matrix(json!([
        {"metric": {"code": "200"}, "values": [
            [at(T0), "10"], [at(T0 + 60_000), "12.5"], [at(T0 + 120_000), "NaN"], [at(T0 + 180_000), "7"]
        ]},
        {"metric": {"code": "500"}, "values": [
            [at(T0 + 60_000), "1"], [at(T0 + 120_000), "2"], [at(T0 + 180_000), "+Inf"], [at(T0 + 240_000), "3e0"]
        ]}
    ]))
}

/// By hand: T0 10; +60 s 12.5 + 1; +120 s only the 2 (the NaN is skipped); +180 s only the 7
/// (+Inf skipped); +240 s 3.
fn two_series_summed() -> Vec<(i64, f64)> {
    vec![
        (T0, 10.0),
        (T0 + 60_000, 13.5),
        (T0 + 120_000, 2.0),
        (T0 + 180_000, 7.0),
        (T0 + 240_000, 3.0),
    ]
}

const QUERY: &str = r#"sum(increase(http_requests_total{job="api",code=~"5.."}[1m]))"#;

fn secret_file(dir: &tempfile::TempDir, name: &str, content: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

// ------------------------------------------------------------------------------- the signer

// (sigv4_suite::sigv4_signs_every_case_of_aws_s_test_suite_byte_for_byte)

// ------------------------------------------------------------------------- request shapes

#[tokio::test]
async fn without_auth_the_form_is_posted_and_series_are_summed_per_timestamp() {
    let prom = FakeProm::start("", Check::None).await;
    prom.reply(200, two_series());
    let client = PromClient::from_config(&config(&prom.url(""), "none")).unwrap();
    let points = client
        .query_range(QUERY, T0, T0 + 240_000, 60_000)
        .await
        .unwrap();
    assert_eq!(points, two_series_summed());
    let seen = prom.seen();
    assert_eq!(seen.len(), 1);
    let form = &seen[0].form;
    assert_eq!(form["query"], QUERY);
    assert_eq!(form["start"], "1700000000.000");
    assert_eq!(form["end"], "1700000240.000");
    assert_eq!(form["step"], "60");
    assert_eq!(form.len(), 4, "{form:?}");
    assert!(seen[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn milliseconds_and_sub_second_steps_go_as_decimal_seconds() {
    let prom = FakeProm::start("/prom", Check::None).await;
    prom.reply(200, matrix(json!([])));
    // A trailing slash on the base address is not doubled.
    let client = PromClient::from_config(&config(&prom.url("/prom/"), "none")).unwrap();
    let points = client
        .query_range("up", T0 + 250, T0 + 10_250, 500)
        .await
        .unwrap();
    assert_eq!(points, vec![]);
    let form = &prom.seen()[0].form;
    assert_eq!(form["start"], "1700000000.250");
    assert_eq!(form["end"], "1700000010.250");
    assert_eq!(form["step"], "0.500");
}

#[tokio::test]
async fn basic_auth_sends_the_user_and_the_password_file_s_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let prom = FakeProm::start(
        "",
        Check::Basic {
            username: "nagare".into(),
            password: PASSWORD.into(),
        },
    )
    .await;
    prom.reply(200, two_series());
    let cfg = PrometheusConfig {
        username: Some("nagare".into()),
        password_file: Some(secret_file(&dir, "password", &format!("{PASSWORD}\n"))),
        ..config(&prom.url(""), "basic")
    };
    let client = PromClient::from_config(&cfg).unwrap();
    let points = client
        .query_range(QUERY, T0, T0 + 240_000, 60_000)
        .await
        .unwrap();
    assert_eq!(points, two_series_summed());
    assert!(!format!("{client:?}").contains(PASSWORD));
    prom.seen();
}

#[tokio::test]
async fn bearer_auth_sends_the_token_file() {
    let dir = tempfile::tempdir().unwrap();
    let prom = FakeProm::start("", Check::Bearer(TOKEN.into())).await;
    prom.reply(200, two_series());
    let cfg = PrometheusConfig {
        token_file: Some(secret_file(&dir, "token", &format!("{TOKEN}\r\n"))),
        ..config(&prom.url(""), "bearer")
    };
    let client = PromClient::from_config(&cfg).unwrap();
    let points = client
        .query_range(QUERY, T0, T0 + 240_000, 60_000)
        .await
        .unwrap();
    assert_eq!(points, two_series_summed());
    prom.seen();
}

#[tokio::test]
async fn a_refused_password_is_401_naming_the_auth_keys_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let prom = FakeProm::start(
        "",
        Check::Basic {
            username: "nagare".into(),
            password: "another".into(),
        },
    )
    .await;
    let cfg = PrometheusConfig {
        username: Some("nagare".into()),
        password_file: Some(secret_file(&dir, "password", PASSWORD)),
        ..config(&prom.url(""), "basic")
    };
    let client = PromClient::from_config(&cfg).unwrap();
    let e = client
        .query_range(QUERY, T0, T0 + 60_000, 60_000)
        .await
        .unwrap_err();
    assert!(matches!(e, PromError::Unauthorized { .. }), "{e:?}");
    let text = said(&e);
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(text.contains("slo.prometheus.auth"), "{text}");
    assert!(text.contains(&prom.url("")), "{text}");
}

// ---------------------------------------------------------------------------------- SigV4

#[tokio::test]
async fn a_sigv4_signature_is_accepted_by_aws_s_own_signer() {
    let prom = FakeProm::start(WORKSPACE, sigv4_check()).await;
    prom.reply(200, two_series());
    let client = signing_client(&sigv4_config(&prom.url(WORKSPACE)), SECRET);
    let points = client
        .query_range(QUERY, T0, T0 + 240_000, 60_000)
        .await
        .unwrap();
    assert_eq!(points, two_series_summed());
    let seen = prom.seen();
    let h = |n: &str| seen[0].headers.get(n).unwrap().to_str().unwrap().to_owned();
    let auth = h("authorization");
    assert!(
        auth.contains(&format!("/{REGION}/aps/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, ")),
        "{auth}"
    );
    assert_eq!(h("x-amz-security-token"), SESSION);
    assert_eq!(h("x-amz-content-sha256").len(), 64);
    assert_eq!(seen[0].form["query"], QUERY);
}

#[tokio::test]
async fn a_sigv4_signature_with_a_wrong_secret_is_refused_403_and_reported() {
    let prom = FakeProm::start(WORKSPACE, sigv4_check()).await;
    prom.reply(200, two_series());
    let client = signing_client(&sigv4_config(&prom.url(WORKSPACE)), WRONG_SECRET);
    let e = client
        .query_range(QUERY, T0, T0 + 240_000, 60_000)
        .await
        .unwrap_err();
    assert!(matches!(e, PromError::Unauthorized { .. }), "{e:?}");
    let text = said(&e);
    assert!(text.contains("HTTP 403"), "{text}");
    assert!(
        text.contains("signature we calculated does not match"),
        "{text}"
    );
    assert!(text.contains("slo.prometheus.auth"), "{text}");
}

#[tokio::test]
async fn a_sigv4_signature_for_another_region_is_refused() {
    let prom = FakeProm::start(WORKSPACE, sigv4_check()).await;
    let cfg = PrometheusConfig {
        region: Some("us-east-1".into()),
        ..sigv4_config(&prom.url(WORKSPACE))
    };
    let client = signing_client(&cfg, SECRET);
    let e = client
        .query_range(QUERY, T0, T0 + 60_000, 60_000)
        .await
        .unwrap_err();
    let text = said(&e);
    assert!(text.contains("scoped to eu-west-1"), "{text}");
}

/// Runs the calling test again in a child process with only `env` (and a home without AWS
/// files, and EC2's metadata service off, so nothing leaves the machine), and checks that it
/// passed there; `false` in the child itself, which goes on with the test's body. Credentials
/// chains read the process' environment, which tests running side by side cannot share.
fn ran_in_child(test: &str, env: &[(&str, String)]) -> bool {
    if std::env::var_os("NAGARE_SLO_CHILD").is_some() {
        return false;
    }
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env_clear()
        .env("NAGARE_SLO_CHILD", "1")
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", home.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("no-credentials"),
        )
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the child run of {test} failed:\n{stdout}\n{stderr}"
    );
    true
}

#[tokio::test]
async fn sigv4_credentials_come_from_the_environment() {
    if ran_in_child(
        "sigv4_credentials_come_from_the_environment",
        &[
            ("AWS_ACCESS_KEY_ID", AKID.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.into()),
            ("AWS_SESSION_TOKEN", SESSION.into()),
            ("AWS_REGION", REGION.into()),
        ],
    ) {
        return;
    }
    let prom = FakeProm::start(WORKSPACE, sigv4_check()).await;
    prom.reply(200, two_series());
    // The region from AWS_REGION.
    let client = PromClient::from_config(&config(&prom.url(WORKSPACE), "sigv4")).unwrap();
    let points = client
        .query_range(QUERY, T0, T0 + 240_000, 60_000)
        .await
        .unwrap();
    assert_eq!(points, two_series_summed());
    prom.seen();
}

#[tokio::test]
async fn sigv4_credentials_come_from_a_shared_credentials_profile() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = other\n\n\
             [nagare]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n\
             aws_session_token = {SESSION}\n"
        ),
    )
    .unwrap();
    if ran_in_child(
        "sigv4_credentials_come_from_a_shared_credentials_profile",
        &[
            ("AWS_PROFILE", "nagare".into()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                credentials.display().to_string(),
            ),
        ],
    ) {
        return;
    }
    let prom = FakeProm::start(WORKSPACE, sigv4_check()).await;
    prom.reply(200, two_series());
    let client = PromClient::from_config(&sigv4_config(&prom.url(WORKSPACE))).unwrap();
    let points = client
        .query_range(QUERY, T0, T0 + 240_000, 60_000)
        .await
        .unwrap();
    assert_eq!(points, two_series_summed());
    prom.seen();
}

#[tokio::test]
async fn sigv4_credentials_come_from_the_ecs_container_endpoint_and_are_kept() {
    if ran_in_child(
        "sigv4_credentials_come_from_the_ecs_container_endpoint_and_are_kept",
        &[("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-auth-t0ken".into())],
    ) {
        return;
    }
    // The container credentials endpoint: temporary credentials valid for an hour, fetched
    // with the container's authorization token.
    let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = fetches.clone();
    let app = axum::Router::new().route(
        "/v2/credentials/nagare",
        axum::routing::get(move |headers: axum::http::HeaderMap| {
            let counted = counted.clone();
            async move {
                assert_eq!(headers["authorization"], "ecs-auth-t0ken");
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let expiration: chrono::DateTime<chrono::Utc> =
                    (std::time::SystemTime::now() + Duration::from_secs(3600)).into();
                axum::Json(json!({
                    "AccessKeyId": AKID,
                    "SecretAccessKey": SECRET,
                    "Token": SESSION,
                    "Expiration": expiration.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ecs = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    // The port is known only now; this child process runs this one test alone.
    std::env::set_var(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        format!("http://{ecs}/v2/credentials/nagare"),
    );

    let prom = FakeProm::start(WORKSPACE, sigv4_check()).await;
    prom.reply(200, two_series());
    prom.reply(200, two_series());
    let client = PromClient::from_config(&sigv4_config(&prom.url(WORKSPACE))).unwrap();
    for _ in 0..2 {
        let points = client
            .clone()
            .query_range(QUERY, T0, T0 + 240_000, 60_000)
            .await
            .unwrap();
        assert_eq!(points, two_series_summed());
    }
    assert_eq!(prom.seen().len(), 2);
    assert_eq!(
        fetches.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the credentials are kept until shortly before they expire"
    );
}

#[tokio::test]
async fn sigv4_without_any_credentials_says_where_to_give_them() {
    if ran_in_child("sigv4_without_any_credentials_says_where_to_give_them", &[]) {
        return;
    }
    let prom = FakeProm::start(WORKSPACE, sigv4_check()).await;
    let client = PromClient::from_config(&sigv4_config(&prom.url(WORKSPACE))).unwrap();
    let e = client
        .query_range(QUERY, T0, T0 + 60_000, 60_000)
        .await
        .unwrap_err();
    assert!(matches!(e, PromError::Credentials(_)), "{e:?}");
    let text = said(&e);
    assert!(text.contains("AWS_ACCESS_KEY_ID"), "{text}");
    assert!(text.contains("AWS_PROFILE"), "{text}");
    assert!(prom.seen().is_empty(), "nothing is sent unsigned");

    // Without a region anywhere, the configuration is refused, naming the key.
    let e = PromClient::from_config(&config("http://127.0.0.1:9/", "sigv4")).unwrap_err();
    assert!(e.starts_with("slo.prometheus.region:"), "{e}");
}

// --------------------------------------------------------------------------------- errors

#[tokio::test]
async fn a_400_passes_on_prometheus_error_type_and_message() {
    let prom = FakeProm::start("", Check::None).await;
    prom.reply(
        400,
        json!({
            "status": "error",
            "errorType": "bad_data",
            "error": "invalid parameter \"query\": 1:14: parse error: unexpected \"}\" in label matching, expected string"
        })
        .to_string(),
    );
    let client = PromClient::from_config(&config(&prom.url(""), "none")).unwrap();
    let e = client
        .query_range("up{job=\"api\"}}", T0, T0 + 60_000, 60_000)
        .await
        .unwrap_err();
    assert!(matches!(e, PromError::Rejected { .. }), "{e:?}");
    let text = said(&e);
    assert!(
        text.contains("HTTP 400, bad_data: invalid parameter \"query\": 1:14: parse error"),
        "{text}"
    );
    assert!(text.contains("PromQL"), "{text}");
}

#[tokio::test]
async fn a_503_or_422_says_prometheus_is_overloaded() {
    let prom = FakeProm::start("", Check::None).await;
    prom.reply(
        503,
        json!({"status": "error", "errorType": "timeout", "error": "query timed out in expression evaluation"}).to_string(),
    );
    prom.reply(
        422,
        json!({"status": "error", "errorType": "execution", "error": "query processing would load too many samples into memory in query execution"}).to_string(),
    );
    let client = PromClient::from_config(&config(&prom.url(""), "none")).unwrap();
    for expected in [
        "HTTP 503, timeout: query timed out",
        "HTTP 422, execution: query processing would load too many samples",
    ] {
        let e = client
            .query_range(QUERY, T0, T0 + 60_000, 60_000)
            .await
            .unwrap_err();
        assert!(matches!(e, PromError::Overloaded { .. }), "{e:?}");
        let text = said(&e);
        assert!(text.contains(expected), "{text}");
        assert!(text.contains("overloaded"), "{text}");
        assert!(text.contains("slo.prometheus.max_points"), "{text}");
    }
}

#[tokio::test]
async fn a_404_says_the_url_is_the_base_address() {
    let prom = FakeProm::start("/prometheus", Check::None).await;
    // Configured without the /prometheus prefix the server needs: every path is a 404 there,
    // which the stand-in reports as a broken contract, so a plain server answers instead.
    let app = axum::Router::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = PromClient::from_config(&config(&format!("http://{addr}"), "none")).unwrap();
    let e = client
        .query_range(QUERY, T0, T0 + 60_000, 60_000)
        .await
        .unwrap_err();
    assert!(matches!(e, PromError::NotFound { .. }), "{e:?}");
    let text = said(&e);
    assert!(
        text.contains("slo.prometheus.url is the base address"),
        "{text}"
    );
    assert!(prom.seen().is_empty());
}

#[tokio::test]
async fn connection_refused_names_the_url() {
    // A port just freed: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let cfg = PrometheusConfig {
        token_file: Some(secret_file(&dir, "token", TOKEN)),
        ..config(&format!("http://{addr}/"), "bearer")
    };
    let client = PromClient::from_config(&cfg).unwrap();
    let e = client
        .query_range(QUERY, T0, T0 + 60_000, 60_000)
        .await
        .unwrap_err();
    assert!(matches!(e, PromError::Connect { .. }), "{e:?}");
    let text = said(&e);
    assert!(
        text.contains(&format!("http://{addr}/api/v1/query_range")),
        "{text}"
    );
    assert!(text.to_lowercase().contains("refused"), "{text}");
    assert!(text.contains("slo.prometheus.url"), "{text}");
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout_naming_the_setting() {
    let prom = FakeProm::start("", Check::None).await;
    prom.reply_after(200, two_series(), Duration::from_secs(3));
    let cfg = PrometheusConfig {
        timeout_secs: 1,
        ..config(&prom.url(""), "none")
    };
    let client = PromClient::from_config(&cfg).unwrap();
    let e = client
        .query_range(QUERY, T0, T0 + 60_000, 60_000)
        .await
        .unwrap_err();
    assert!(matches!(e, PromError::Timeout { secs: 1, .. }), "{e:?}");
    let text = said(&e);
    assert!(text.contains("within 1 s"), "{text}");
    assert!(text.contains("slo.prometheus.timeout_secs"), "{text}");
}

#[tokio::test]
async fn an_undecodable_body_is_quoted_escaped_and_cut_at_200_bytes() {
    let prom = FakeProm::start("", Check::None).await;
    let page = format!(
        "<html>\n<head><title>Sign in</title></head>\x1b[0m\n<body>{}</body></html>",
        "x".repeat(400)
    );
    prom.reply(200, page);
    let client = PromClient::from_config(&config(&prom.url(""), "none")).unwrap();
    let e = client
        .query_range(QUERY, T0, T0 + 60_000, 60_000)
        .await
        .unwrap_err();
    assert!(matches!(e, PromError::Decode { .. }), "{e:?}");
    let text = said(&e);
    assert!(
        text.contains(
            "it begins \"<html>\\n<head><title>Sign in</title></head>\\u{1b}[0m\\n<body>xxx"
        ),
        "{text}"
    );
    assert!(!text.contains('\n') && !text.contains('\x1b'), "{text:?}");
    let PromError::Decode { excerpt, .. } = &e else {
        unreachable!()
    };
    // 200 bytes: 53 before the x's (an escape counts as the one byte it stands for).
    assert_eq!(excerpt.matches('x').count(), 200 - 53, "{excerpt}");
    assert!(excerpt.ends_with('…'));
}

#[tokio::test]
async fn vector_and_scalar_results_are_errors() {
    let prom = FakeProm::start("", Check::None).await;
    prom.reply(
        200,
        json!({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {}, "value": [1700000000, "1"]}
        ]}})
        .to_string(),
    );
    prom.reply(
        200,
        json!({"status": "success", "data": {"resultType": "scalar", "result": [1700000000, "1"]}})
            .to_string(),
    );
    let client = PromClient::from_config(&config(&prom.url(""), "none")).unwrap();
    for kind in ["vector", "scalar"] {
        let e = client
            .query_range(QUERY, T0, T0 + 60_000, 60_000)
            .await
            .unwrap_err();
        assert!(matches!(&e, PromError::ResultType(k) if k == kind), "{e:?}");
        assert!(said(&e).contains("not a range vector (matrix)"));
    }
}

#[tokio::test]
async fn a_prometheus_error_echoing_a_secret_is_scrubbed() {
    let dir = tempfile::tempdir().unwrap();
    let prom = FakeProm::start("", Check::Bearer(TOKEN.into())).await;
    prom.reply(
        500,
        json!({"status": "error", "errorType": "internal", "error": format!("upstream said: Bearer {TOKEN}")}).to_string(),
    );
    let cfg = PrometheusConfig {
        token_file: Some(secret_file(&dir, "token", TOKEN)),
        ..config(&prom.url(""), "bearer")
    };
    let client = PromClient::from_config(&cfg).unwrap();
    let e = client
        .query_range(QUERY, T0, T0 + 60_000, 60_000)
        .await
        .unwrap_err();
    let text = said(&e);
    assert!(
        text.contains("HTTP 500, internal: upstream said: Bearer [redacted]"),
        "{text}"
    );
}

#[test]
fn configuration_errors_name_the_key_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let url = "http://127.0.0.1:9090";
    let err = |cfg: PrometheusConfig| PromClient::from_config(&cfg).unwrap_err();

    let e = err(config(url, "digest"));
    assert!(
        e.starts_with("slo.prometheus.auth: unknown `digest`"),
        "{e}"
    );
    assert!(e.contains("\"sigv4\""), "{e}");

    let missing = dir.path().join("missing-token");
    let e = err(PrometheusConfig {
        token_file: Some(missing.clone()),
        ..config(url, "bearer")
    });
    assert!(
        e.starts_with(&format!(
            "slo.prometheus.token_file: cannot read {} (No such file",
            missing.display()
        )),
        "{e}"
    );

    let e = err(config(url, "bearer"));
    assert!(e.starts_with("slo.prometheus.token_file: required"), "{e}");

    let e = err(PrometheusConfig {
        token_file: Some(secret_file(&dir, "empty", "\n")),
        ..config(url, "bearer")
    });
    assert!(e.contains("is empty"), "{e}");

    let e = err(PrometheusConfig {
        password_file: Some(secret_file(&dir, "p", PASSWORD)),
        ..config(url, "basic")
    });
    assert!(e.starts_with("slo.prometheus.username: required"), "{e}");

    let e = err(PrometheusConfig {
        token_file: Some(secret_file(&dir, "t", TOKEN)),
        ..config(url, "none")
    });
    assert!(
        e.starts_with("slo.prometheus.token_file: set, but auth is \"none\""),
        "{e}"
    );
    assert!(e.contains("auth = \"bearer\""), "{e}");

    let e = err(PrometheusConfig {
        token_file: Some(secret_file(&dir, "t2", "two\nlines")),
        ..config(url, "bearer")
    });
    assert!(e.contains("cannot carry"), "{e}");
    assert!(!e.contains("two"), "{e}");

    let e = err(config("http://user:pw@127.0.0.1:9090", "none"));
    assert!(
        e.starts_with("slo.prometheus.url: holds a user name or password"),
        "{e}"
    );
    assert!(!e.contains("pw"), "{e}");

    let e = err(PrometheusConfig {
        timeout_secs: 0,
        ..config(url, "none")
    });
    assert!(e.starts_with("slo.prometheus.timeout_secs"), "{e}");
}

#[tokio::test]
async fn a_step_that_is_not_positive_or_a_reversed_range_is_refused_before_sending() {
    let prom = FakeProm::start("", Check::None).await;
    let client = PromClient::from_config(&config(&prom.url(""), "none")).unwrap();
    let e = client.query_range(QUERY, T0, T0, 0).await.unwrap_err();
    assert!(matches!(e, PromError::Range(_)), "{e:?}");
    let e = client
        .query_range(QUERY, T0, T0 - 1, 60_000)
        .await
        .unwrap_err();
    assert!(matches!(e, PromError::Range(_)), "{e:?}");
    assert!(prom.seen().is_empty());
}
