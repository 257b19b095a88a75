//! Our SigV4 signer (`nagare_server::slo::sigv4`) against AWS's Signature Version 4 test suite
//! (`server/tests/fixtures/sigv4/`, see its NOTICE): for each case, the canonical request, the
//! string to sign, the signature and the `Authorization` header must be the suite's, byte for
//! byte, as must the `X-Amz-Date`, `X-Amz-Security-Token` and `x-amz-content-sha256` values.

use nagare_server::slo::sigv4::{sign, Credentials, SignableRequest, SigningParams};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sigv4")
}

/// `request.txt`: the request line, `Name:value` headers (a line starting with blanks continues
/// the one before, as obsolete line folding; it is unfolded to one space as RFC 9112 says a
/// recipient may), a blank line and the body.
struct RawRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_request(text: &str) -> RawRequest {
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b),
        None => (text.trim_end_matches('\n'), ""),
    };
    let mut lines = head.lines();
    let first = lines.next().unwrap();
    let (method, rest) = first.split_once(' ').unwrap();
    // The path may hold a space (`get-space`): the version is the last word.
    let target = rest.strip_suffix(" HTTP/1.1").unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().unwrap();
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else {
            let (k, v) = line.split_once(':').unwrap();
            headers.push((k.to_owned(), v.to_owned()));
        }
    }
    RawRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

/// The value of `name` in `header-signed-request.txt`.
fn signed_header(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.to_owned())
    })
}

fn check_case(dir: &Path) -> Result<(), String> {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let context: Value = serde_json::from_str(&read("context.json")).unwrap();
    let raw = parse_request(&read("request.txt"));
    let creds = &context["credentials"];
    let credentials = Credentials {
        access_key_id: creds["access_key_id"].as_str().unwrap().into(),
        secret_access_key: creds["secret_access_key"].as_str().unwrap().into(),
        session_token: creds["token"].as_str().map(str::to_owned),
    };
    let time: SystemTime =
        chrono::DateTime::parse_from_rfc3339(context["timestamp"].as_str().unwrap())
            .unwrap()
            .to_utc()
            .into();
    let flag = |k: &str| context[k].as_bool().unwrap_or(false);
    let params = SigningParams {
        region: context["region"].as_str().unwrap(),
        service: context["service"].as_str().unwrap(),
        time,
        content_sha256_header: flag("sign_body"),
        sign_session_token: !flag("omit_session_token"),
        normalize_path: flag("normalize"),
    };
    let headers: Vec<(&str, &str)> = raw
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let signed = sign(
        &SignableRequest {
            method: &raw.method,
            path: &raw.path,
            query: &raw.query,
            headers: &headers,
            body: &raw.body,
        },
        &credentials,
        &params,
    );
    let mut problems = Vec::new();
    let mut same = |what: &str, got: &str, want: &str| {
        if got != want {
            problems.push(format!("{what}:\n--- got\n{got}\n--- expected\n{want}"));
        }
    };
    same(
        "canonical request",
        &signed.canonical_request,
        &read("header-canonical-request.txt"),
    );
    same(
        "string to sign",
        &signed.string_to_sign,
        &read("header-string-to-sign.txt"),
    );
    same(
        "signature",
        &signed.signature,
        &read("header-signature.txt"),
    );
    let signed_request = read("header-signed-request.txt");
    let ours = |name: &str| {
        signed
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    for name in [
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
    ] {
        same(
            name,
            &format!("{:?}", ours(name)),
            &format!("{:?}", signed_header(&signed_request, name)),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn sigv4_signs_every_case_of_aws_s_test_suite_byte_for_byte() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(suite())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    // All 38 cases of the suite's v4 folder are copied; none may go missing unnoticed.
    assert_eq!(cases.len(), 38, "cases in {}", suite().display());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|dir| {
            check_case(dir)
                .err()
                .map(|e| format!("== {}\n{e}", dir.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
