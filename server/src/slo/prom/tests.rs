//! The client's own checks (the contract tests against servers are in server/tests/).

use super::aws::region;
use super::*;

/// The configuration check builds a client before any runtime runs.
#[test]
fn a_sigv4_client_builds_outside_a_runtime() {
    let cfg = PrometheusConfig {
        url: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1".into(),
        auth: "sigv4".into(),
        username: None,
        password_file: None,
        token_file: None,
        region: Some("eu-west-1".into()),
        sigv4_service: "aps".into(),
        sync_secs: 60,
        max_points: 10_000,
        timeout_secs: 30,
    };
    let client = PromClient::from_config(&cfg).unwrap();
    assert!(format!("{client:?}").contains("sigv4 (eu-west-1, aps)"));
}

#[test]
fn times_go_as_seconds_with_milliseconds() {
    assert_eq!(seconds(1_700_000_000_000), "1700000000.000");
    assert_eq!(seconds(1_700_000_000_250), "1700000000.250");
    assert_eq!(seconds(-1_500), "-2.500");
    assert_eq!(step_seconds(60_000), "60");
    assert_eq!(step_seconds(500), "0.500");
    assert_eq!(step_seconds(90_500), "90.500");
}

#[test]
fn the_endpoint_is_the_base_address_and_the_api_path() {
    let e = |u: &str| endpoint(u).map(|u| u.to_string());
    assert_eq!(
        e("http://127.0.0.1:9090").as_deref(),
        Ok("http://127.0.0.1:9090/api/v1/query_range")
    );
    assert_eq!(
        e("https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/").as_deref(),
        Ok("https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/query_range")
    );
    assert!(e("http://u:p@h").unwrap_err().contains("password_file"));
    assert!(e("ftp://h").unwrap_err().contains("http(s)"));
    assert!(e("http://h/?x=1").unwrap_err().contains("base address"));
    assert!(e("not a url")
        .unwrap_err()
        .starts_with("slo.prometheus.url"));
}

#[test]
fn the_host_header_has_the_port_unless_it_is_the_scheme_s() {
    let h = |u: &str| host_header(&Url::parse(u).unwrap());
    assert_eq!(h("http://127.0.0.1:9090/x"), "127.0.0.1:9090");
    assert_eq!(h("https://a.example:443/x"), "a.example");
    assert_eq!(h("http://[::1]:80/x"), "[::1]");
    assert_eq!(h("http://[::1]:81/x"), "[::1]:81");
}

#[test]
fn excerpts_escape_control_characters_and_stop_at_200_bytes() {
    assert_eq!(excerpt(b"<html>\n\x1b[0m"), "<html>\\n\\u{1b}[0m");
    let long = vec![b'a'; 300];
    let e = excerpt(&long);
    assert_eq!(e.chars().filter(|c| *c == 'a').count(), 200);
    assert!(e.ends_with('…'));
}

#[test]
fn the_region_comes_from_the_aps_address_when_nothing_else_gives_it() {
    let cfg = |url: &str, region: Option<&str>| PrometheusConfig {
        url: url.into(),
        auth: "sigv4".into(),
        username: None,
        password_file: None,
        token_file: None,
        region: region.map(str::to_owned),
        sigv4_service: "aps".into(),
        sync_secs: 60,
        max_points: 10_000,
        timeout_secs: 30,
    };
    assert_eq!(
        region(&cfg("http://x", Some(" us-east-2 "))).as_deref(),
        Ok("us-east-2")
    );
    assert!(region(&cfg("http://x", Some(""))).is_err());
    if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none()
    {
        assert_eq!(
            region(&cfg(
                "https://aps-workspaces.ap-southeast-2.amazonaws.com/workspaces/ws-1",
                None
            ))
            .as_deref(),
            Ok("ap-southeast-2")
        );
        assert!(region(&cfg("http://127.0.0.1:9090", None))
            .unwrap_err()
            .contains("slo.prometheus.region"));
    }
}
