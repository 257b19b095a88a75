//! AWS Signature Version 4 for requests to Amazon Managed Service for Prometheus (`aps`), as
//! AWS documents it ("Create a signed AWS API request", the IAM user guide):
//!
//! 1. The canonical request: the method; the path, normalized (`.`, `..` and empty segments
//!    removed) and each segment URI-encoded (RFC 3986 unreserved characters kept, every other
//!    byte `%XX`), which encodes an already encoded path a second time, as every service but S3
//!    expects; the query's parameters decoded, encoded again and sorted; the headers' names in
//!    lower case, sorted, each with its values trimmed, inner runs of blanks collapsed, repeats
//!    joined by `,`; the signed header list; the hex SHA-256 of the body.
//! 2. The string to sign: `AWS4-HMAC-SHA256`, the time, the scope
//!    (`yyyymmdd/region/service/aws4_request`) and the hex SHA-256 of the canonical request.
//! 3. The signing key: HMAC-SHA256 chained over the date, region, service and `aws4_request`,
//!    starting from `AWS4` and the secret; the signature is the hex HMAC of the string to sign.
//!
//! Pure: the time and credentials are given, so AWS's published test vectors
//! (`server/tests/fixtures/sigv4/`) check it byte for byte. Where the credentials come from is
//! [`super::prom`]'s business.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use std::fmt;
use std::time::SystemTime;

/// RFC 3986's unreserved characters stay as they are; everything else is `%XX` (upper case).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// An access key, its secret and, for temporary credentials, the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// Shows the access key id only: the secret and the token never reach a log.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// What a request is signed for, and how.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    pub region: &'a str,
    /// `aps` for Amazon Managed Service for Prometheus.
    pub service: &'a str,
    pub time: SystemTime,
    /// Also send and sign `x-amz-content-sha256` (the body's hash). Amazon Managed Service
    /// for Prometheus accepts it; the test vectors call it `sign_body`.
    pub content_sha256_header: bool,
    /// Sign `x-amz-security-token` (what nearly every service, `aps` included, wants). When
    /// false it is added after signing, unsigned (the vectors' `omit_session_token`).
    pub sign_session_token: bool,
    /// Remove `.`, `..` and empty segments from the path before encoding it: every service
    /// but S3.
    pub normalize_path: bool,
}

/// A request as it will be sent.
#[derive(Debug, Clone, Copy)]
pub struct SignableRequest<'a> {
    pub method: &'a str,
    /// The path as sent (already percent-encoded, as `url::Url::path` gives it): each
    /// segment is encoded once more.
    pub path: &'a str,
    /// The query as sent, without `?`; empty for none.
    pub query: &'a str,
    /// The headers to sign, `host` among them, in the order sent; names in any case.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// A signature and the headers that carry it.
pub struct Signature {
    pub canonical_request: String,
    pub string_to_sign: String,
    /// The hex signature, as in `Authorization`.
    pub signature: String,
    /// The headers to add to the request: `x-amz-date`, `x-amz-content-sha256` when asked,
    /// `x-amz-security-token` with temporary credentials, and `authorization`.
    pub headers: Vec<(&'static str, String)>,
}

/// No field: the canonical request and the headers hold the session token.
impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signature").finish_non_exhaustive()
    }
}

/// Signs `req` with `creds`, as described in the module's documentation.
pub fn sign(
    req: &SignableRequest<'_>,
    creds: &Credentials,
    params: &SigningParams<'_>,
) -> Signature {
    let time: DateTime<Utc> = params.time.into();
    let amz_date = time.format("%Y%m%dT%H%M%SZ").to_string();
    let date = time.format("%Y%m%d").to_string();
    let payload_hash = hex(&Sha256::digest(req.body));

    let mut added: Vec<(&'static str, String)> = vec![("x-amz-date", amz_date.clone())];
    if params.content_sha256_header {
        added.push(("x-amz-content-sha256", payload_hash.clone()));
    }
    let token = creds.session_token.as_deref().filter(|t| !t.is_empty());
    if let (Some(token), true) = (token, params.sign_session_token) {
        added.push(("x-amz-security-token", token.to_owned()));
    }

    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), canonical_value(v)))
        .chain(added.iter().map(|(k, v)| ((*k).to_owned(), v.clone())))
        .collect();
    // Stable: the values of a repeated header keep the order they are sent in.
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    let mut canonical_headers = String::new();
    let mut signed_headers = String::new();
    let mut i = 0;
    while i < headers.len() {
        let name = &headers[i].0;
        let mut values = vec![headers[i].1.as_str()];
        let mut j = i + 1;
        while j < headers.len() && &headers[j].0 == name {
            values.push(&headers[j].1);
            j += 1;
        }
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
        if !signed_headers.is_empty() {
            signed_headers.push(';');
        }
        signed_headers.push_str(name);
        i = j;
    }

    let canonical_request = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{payload_hash}",
        req.method,
        canonical_path(req.path, params.normalize_path),
        canonical_query(req.query),
    );
    let scope = format!("{date}/{}/{}/aws4_request", params.region, params.service);
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = hmac(
        format!("AWS4{}", creds.secret_access_key).as_bytes(),
        date.as_bytes(),
    );
    for part in [params.region, params.service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, string_to_sign.as_bytes()));

    if let (Some(token), false) = (token, params.sign_session_token) {
        added.push(("x-amz-security-token", token.to_owned()));
    }
    added.push((
        "authorization",
        format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            creds.access_key_id
        ),
    ));
    Signature {
        canonical_request,
        string_to_sign,
        signature,
        headers: added,
    }
}

/// A header value trimmed, with each inner run of blanks as one space.
fn canonical_value(value: &str) -> String {
    value.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// The path, normalized when asked, each segment URI-encoded.
fn canonical_path(path: &str, normalize: bool) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let segments: Vec<&str> = if normalize {
        // RFC 3986 §5.2.4, and empty segments (`//`) dropped as AWS does; a path that ended in
        // `/`, `.` or `..` keeps its trailing slash.
        let mut out: Vec<&str> = Vec::new();
        for segment in path.split('/') {
            match segment {
                "" | "." => {}
                ".." => {
                    out.pop();
                }
                s => out.push(s),
            }
        }
        let last = path.rsplit('/').next().unwrap_or_default();
        if !out.is_empty() && matches!(last, "" | "." | "..") {
            out.push("");
        }
        out.insert(0, "");
        if out.len() == 1 {
            out.push("");
        }
        out
    } else {
        path.split('/').collect()
    };
    segments
        .iter()
        .map(|s| utf8_percent_encode(s, NOT_UNRESERVED).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// The query's parameters decoded, encoded again, and sorted by name, then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| {
            (
                utf8_percent_encode(&k, NOT_UNRESERVED).to_string(),
                utf8_percent_encode(&v, NOT_UNRESERVED).to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC takes a key of any length; `InvalidLength` is for other MACs.
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of every length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn creds() -> Credentials {
        Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        }
    }

    fn params() -> SigningParams<'static> {
        SigningParams {
            region: "us-east-1",
            service: "service",
            // 2015-08-30T12:36:00Z, the test suite's time
            time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160),
            content_sha256_header: false,
            sign_session_token: true,
            normalize_path: true,
        }
    }

    #[test]
    fn paths_are_normalized_then_encoded_segment_by_segment() {
        assert_eq!(canonical_path("", true), "/");
        assert_eq!(canonical_path("/", true), "/");
        assert_eq!(canonical_path("//", true), "/");
        assert_eq!(canonical_path("//example//", true), "/example/");
        assert_eq!(canonical_path("/a/b/..", true), "/a/");
        assert_eq!(canonical_path("/a/./b", true), "/a/b");
        assert_eq!(canonical_path("/../a", true), "/a");
        assert_eq!(canonical_path("/a/b/../..", true), "/");
        assert_eq!(canonical_path("//example//", false), "//example//");
        // An encoded path is encoded again (every service but S3 expects that).
        assert_eq!(
            canonical_path("/test/@connections/JBDvjfGEIAMCERw%3D", true),
            "/test/%40connections/JBDvjfGEIAMCERw%253D"
        );
        assert_eq!(
            canonical_path("/workspaces/ws-1a2b/api/v1/query_range", true),
            "/workspaces/ws-1a2b/api/v1/query_range"
        );
    }

    #[test]
    fn query_parameters_are_sorted_and_encoded_again() {
        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("b=2&a=1&a=0"), "a=0&a=1&b=2");
        assert_eq!(canonical_query("flag"), "flag=");
        assert_eq!(canonical_query("q=a%20b&r=%2F"), "q=a%20b&r=%2F");
        assert_eq!(canonical_query("q=a+b"), "q=a%20b");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        assert_eq!(canonical_value("  a   b\t c  "), "a b c");
        assert_eq!(canonical_value(""), "");
    }

    #[test]
    fn the_documented_get_vanilla_example_signs_as_aws_shows() {
        let headers = [("Host", "example.amazonaws.com")];
        let req = SignableRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            body: b"",
        };
        let s = sign(&req, &creds(), &params());
        assert_eq!(
            s.signature,
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        assert_eq!(s.headers[0], ("x-amz-date", "20150830T123600Z".into()));
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let mut c = creds();
        c.session_token = Some("sessi0n-t0ken".into());
        let shown = format!("{c:?}");
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("wJalrXUtnFEMI"));
        assert!(!shown.contains("sessi0n-t0ken"));
        let headers = [("host", "h")];
        let req = SignableRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            body: b"",
        };
        let s = sign(&req, &c, &params());
        let shown = format!("{s:?}");
        assert!(!shown.contains(&s.signature) && !shown.contains("sessi0n-t0ken"));
    }
}
