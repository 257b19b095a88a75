//! A local HTTP server standing in for a Prometheus query API (or Amazon Managed Service for
//! Prometheus in front of one): it checks each request's shape (POST to the query path, a form
//! body, the user agent) and credentials, records the form, and answers the queued replies in
//! order. SigV4 signatures are verified with AWS's own signer (the `aws-sigv4` crate), not ours:
//! the request is signed again with the expected credentials and the two `Authorization`
//! values must be equal, as AWS does.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// The credentials a request must carry.
#[derive(Clone)]
pub enum Check {
    None,
    Basic {
        username: String,
        password: String,
    },
    Bearer(String),
    Sigv4 {
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
        region: String,
        service: String,
    },
}

/// A request as it came.
#[derive(Debug, Clone)]
pub struct Seen {
    pub headers: HeaderMap,
    pub form: BTreeMap<String, String>,
}

struct Book {
    path: String,
    check: Check,
    replies: VecDeque<(u16, String, Duration)>,
    seen: Vec<Seen>,
    failures: Vec<String>,
}

pub struct FakeProm {
    pub addr: SocketAddr,
    book: Arc<Mutex<Book>>,
}

impl FakeProm {
    /// A server whose query API is at `{base_path}/api/v1/query_range`.
    pub async fn start(base_path: &str, check: Check) -> FakeProm {
        let book = Arc::new(Mutex::new(Book {
            path: format!("{base_path}/api/v1/query_range"),
            check,
            replies: VecDeque::new(),
            seen: Vec::new(),
            failures: Vec::new(),
        }));
        let app = axum::Router::new().fallback(serve).with_state(book.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeProm { addr, book }
    }

    pub fn url(&self, base_path: &str) -> String {
        format!("http://{}{base_path}", self.addr)
    }

    /// Queues a reply with a JSON (or any) body.
    pub fn reply(&self, status: u16, body: impl Into<String>) {
        self.reply_after(status, body, Duration::ZERO);
    }

    pub fn reply_after(&self, status: u16, body: impl Into<String>, delay: Duration) {
        self.book
            .lock()
            .unwrap()
            .replies
            .push_back((status, body.into(), delay));
    }

    /// The requests so far; fails the test if any broke the contract.
    pub fn seen(&self) -> Vec<Seen> {
        let book = self.book.lock().unwrap();
        assert!(
            book.failures.is_empty(),
            "requests differed from the contract:\n{}",
            book.failures.join("\n")
        );
        book.seen.clone()
    }
}

async fn serve(State(book): State<Arc<Mutex<Book>>>, req: Request) -> Response {
    let method = req.method().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(String::new, |p| p.as_str().to_owned());
    let headers = req.headers().clone();
    let body = to_bytes(req.into_body(), 16 << 20)
        .await
        .unwrap_or_default();
    let reply = {
        let mut book = book.lock().unwrap();
        let mut failures = Vec::new();
        if method != "POST" || target != book.path {
            failures.push(format!(
                "got {method} {target}, expected POST {}",
                book.path
            ));
        }
        let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
        if header("content-type") != Some("application/x-www-form-urlencoded") {
            failures.push(format!("content-type {:?}", header("content-type")));
        }
        if !header("user-agent").is_some_and(|ua| ua.starts_with("nagare/")) {
            failures.push(format!("user-agent {:?}", header("user-agent")));
        }
        let form: BTreeMap<String, String> = url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        book.failures.extend(failures);
        book.seen.push(Seen {
            headers: headers.clone(),
            form,
        });
        if let Err((status, refusal)) = verify(&book.check, &method, &target, &headers, &body) {
            return respond(status, &refusal);
        }
        book.replies.pop_front()
    };
    let Some((status, body, delay)) = reply else {
        return respond(
            500,
            r#"{"status":"error","errorType":"internal","error":"no reply queued"}"#,
        );
    };
    tokio::time::sleep(delay).await;
    respond(status, &body)
}

fn respond(status: u16, body: &str) -> Response {
    let mut r = Response::new(Body::from(body.to_owned()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    let kind = if body.starts_with('{') {
        "application/json"
    } else {
        "text/html"
    };
    r.headers_mut()
        .insert("content-type", kind.parse().unwrap());
    r
}

/// The request's credentials checked; or the status and body refusing them.
fn verify(
    check: &Check,
    method: &str,
    target: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), (u16, String)> {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let unauthorized = || (401, "Unauthorized\n".to_owned());
    match check {
        Check::None if authorization.is_none() => Ok(()),
        Check::None => Err((400, "unexpected authorization header".to_owned())),
        Check::Basic { username, password } => {
            use base64::Engine;
            let want = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            );
            if authorization.as_deref() == Some(want.as_str()) {
                Ok(())
            } else {
                Err(unauthorized())
            }
        }
        Check::Bearer(token) => {
            if authorization.as_deref() == Some(format!("Bearer {token}").as_str()) {
                Ok(())
            } else {
                Err(unauthorized())
            }
        }
        Check::Sigv4 {
            access_key_id,
            secret_access_key,
            session_token,
            region,
            service,
        } => {
            let Some(got) = authorization else {
                return Err(amp_403("Missing Authentication Token"));
            };
            let expected = resign(
                method,
                target,
                headers,
                body,
                &got,
                (access_key_id, secret_access_key, session_token.as_deref()),
                region,
                service,
            )
            .map_err(|e| amp_403(&e))?;
            if expected == got {
                Ok(())
            } else {
                Err(amp_403(
                    "The request signature we calculated does not match the signature you \
                     provided. Check your AWS Secret Access Key and signing method. Consult the \
                     service documentation for details.",
                ))
            }
        }
    }
}

/// What Amazon Managed Service for Prometheus answers to a bad signature.
fn amp_403(message: &str) -> (u16, String) {
    (403, serde_json::json!({ "message": message }).to_string())
}

/// The `Authorization` value AWS's signer gives for this request with the expected
/// credentials, over the headers the request says it signed; or why it cannot be valid.
#[allow(clippy::too_many_arguments)]
fn resign(
    method: &str,
    target: &str,
    headers: &HeaderMap,
    body: &[u8],
    authorization: &str,
    (access_key_id, secret, token): (&str, &str, Option<&str>),
    region: &str,
    service: &str,
) -> Result<String, String> {
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings,
    };
    use aws_sigv4::sign::v4;

    let rest = authorization
        .strip_prefix("AWS4-HMAC-SHA256 Credential=")
        .ok_or("not AWS4-HMAC-SHA256")?;
    let (credential, rest) = rest
        .split_once(", SignedHeaders=")
        .ok_or("no SignedHeaders")?;
    let (signed, _) = rest.split_once(", Signature=").ok_or("no Signature")?;
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[0] != access_key_id {
        return Err(format!(
            "The security token included in the request is invalid ({credential})"
        ));
    }
    if scope[2] != region || scope[3] != service || scope[4] != "aws4_request" {
        return Err(format!("Credential should be scoped to {region}/{service}"));
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let amz_date = header("x-amz-date").ok_or("no x-amz-date")?;
    let time = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| "bad x-amz-date")?
        .and_utc();
    let time: SystemTime = time.into();
    let skew = SystemTime::now()
        .duration_since(time)
        .unwrap_or_else(|e| e.duration());
    if skew > Duration::from_secs(300) {
        return Err("Signature expired".into());
    }
    if scope[1] != &amz_date[..8] {
        return Err("the scope's date is not x-amz-date's".into());
    }
    let signed: Vec<&str> = signed.split(';').collect();
    for must in ["host", "x-amz-date"] {
        if !signed.contains(&must) {
            return Err(format!("{must} is not signed"));
        }
    }
    match (token, header("x-amz-security-token")) {
        (Some(want), Some(got)) if want == got && signed.contains(&"x-amz-security-token") => {}
        (None, None) => {}
        _ => return Err("The security token included in the request is invalid".into()),
    }
    let with_hash = signed.contains(&"x-amz-content-sha256");
    // The signer adds these three itself.
    let given: Vec<(&str, &str)> = signed
        .iter()
        .filter(|n| {
            !matches!(
                **n,
                "x-amz-date" | "x-amz-security-token" | "x-amz-content-sha256"
            )
        })
        .map(|n| {
            Ok((
                *n,
                header(n).ok_or(format!("signed header {n} is missing"))?,
            ))
        })
        .collect::<Result<_, String>>()?;
    let mut settings = SigningSettings::default();
    if with_hash {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let identity = aws_credential_types::Credentials::new(
        access_key_id,
        secret,
        token.map(str::to_owned),
        None,
        "fake-prometheus",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let host = header("host").ok_or("no host")?;
    let request = SignableRequest::new(
        method,
        format!("http://{host}{target}"),
        given.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(request, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let expected = instructions
        .headers()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.to_owned())
        .ok_or("the signer gave no authorization")?;
    Ok(expected)
}
