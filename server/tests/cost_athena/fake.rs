//! A local HTTP server speaking Athena's JSON protocol (awsJson1_1), as the API reference gives
//! it: every call is `POST /` with `Content-Type: application/x-amz-json-1.1`,
//! `X-Amz-Target: AmazonAthena.<Operation>` and a JSON body; answers are JSON, errors HTTP 400
//! with `{"__type": …, "Message": …}` and the `X-Amzn-ErrorType` header (Athena is not an
//! awsQuery-compatible service, so it sends no `x-amzn-query-error`).
//!
//! It checks each request's shape and its SigV4 signature: the credential scope must name the
//! region and the service `athena`, and the `Authorization` value must equal the one AWS's own
//! signer (the `aws-sigv4` crate) computes over the request with the expected secret. It
//! records every request and answers from queues of replies per operation (a sticky reply
//! answers once its queue is empty).

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

pub const AKID: &str = "AKIDNAGAREATHENA";
pub const SECRET: &str = "nagare/Athena+Secret/Key/EXAMPLE0123456789";
pub const REGION: &str = "eu-west-1";

/// One answer: status, body, and the error type header for errors.
#[derive(Clone)]
pub struct Reply {
    status: u16,
    body: String,
    error_type: Option<String>,
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply {
            status: 200,
            body: body.to_string(),
            error_type: None,
        }
    }

    /// An error as Athena answers it: 400, the type in the body (with its namespace, as Coral
    /// services write `__type`) and in `X-Amzn-ErrorType`.
    pub fn error(error_type: &str, message: &str) -> Reply {
        Reply {
            status: 400,
            body: json!({
                "__type": format!("com.amazonaws.athena#{error_type}"),
                "Message": message,
            })
            .to_string(),
            error_type: Some(format!(
                "{error_type}:http://internal.amazon.com/coral/com.amazonaws.athena/"
            )),
        }
    }
}

/// A request as it came.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The operation, from `X-Amz-Target`.
    pub op: String,
    pub body: Value,
    pub headers: HeaderMap,
}

#[derive(Default)]
struct Book {
    queues: BTreeMap<String, VecDeque<Reply>>,
    sticky: BTreeMap<String, Reply>,
    seen: Vec<Seen>,
    failures: Vec<String>,
}

pub struct FakeAthena {
    pub addr: SocketAddr,
    book: Arc<Mutex<Book>>,
}

impl FakeAthena {
    pub async fn start() -> FakeAthena {
        let book = Arc::new(Mutex::new(Book::default()));
        let app = axum::Router::new().fallback(serve).with_state(book.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeAthena { addr, book }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues a reply to the next call of `op` (`StartQueryExecution`).
    pub fn reply(&self, op: &str, reply: Reply) {
        let mut book = self.book.lock().unwrap();
        book.queues
            .entry(op.to_owned())
            .or_default()
            .push_back(reply);
    }

    /// The reply to every call of `op` once its queue is empty.
    pub fn always(&self, op: &str, reply: Reply) {
        let mut book = self.book.lock().unwrap();
        book.sticky.insert(op.to_owned(), reply);
    }

    /// The requests so far; fails the test if any broke the protocol.
    pub fn seen(&self) -> Vec<Seen> {
        let book = self.book.lock().unwrap();
        assert!(
            book.failures.is_empty(),
            "requests differed from Athena's protocol:\n{}",
            book.failures.join("\n")
        );
        book.seen.clone()
    }

    /// The bodies of the calls of `op`, in order.
    pub fn calls(&self, op: &str) -> Vec<Value> {
        self.seen()
            .into_iter()
            .filter(|s| s.op == op)
            .map(|s| s.body)
            .collect()
    }

    /// The operations called, in order.
    pub fn ops(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.op).collect()
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
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let mut failures = Vec::new();
    if method != "POST" || target != "/" {
        failures.push(format!("got {method} {target}, expected POST /"));
    }
    if header("content-type") != Some("application/x-amz-json-1.1") {
        failures.push(format!("content-type {:?}", header("content-type")));
    }
    let op = match header("x-amz-target").and_then(|t| t.strip_prefix("AmazonAthena.")) {
        Some(op) => op.to_owned(),
        None => {
            failures.push(format!("x-amz-target {:?}", header("x-amz-target")));
            String::new()
        }
    };
    let parsed: Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
        failures.push(format!("{op}: the body is not JSON ({e})"));
        Value::Null
    });
    let signature = verify(&method, &target, &headers, &body);
    let reply = {
        let mut book = book.lock().unwrap();
        book.failures.extend(failures);
        book.seen.push(Seen {
            op: op.clone(),
            body: parsed,
            headers: headers.clone(),
        });
        if let Err(why) = signature {
            return respond(&Reply {
                status: 403,
                body: json!({ "__type": "InvalidSignatureException", "message": why }).to_string(),
                error_type: Some("InvalidSignatureException".into()),
            });
        }
        let queued = book.queues.get_mut(&op).and_then(VecDeque::pop_front);
        queued.or_else(|| book.sticky.get(&op).cloned())
    };
    match reply {
        Some(r) => respond(&r),
        // Not retried by the SDK: the test sees what was missing.
        None => respond(&Reply::error(
            "FakeNoReplyQueued",
            &format!("the fake has no reply queued for {op}"),
        )),
    }
}

fn respond(reply: &Reply) -> Response {
    let mut r = Response::new(Body::from(reply.body.clone()));
    *r.status_mut() = StatusCode::from_u16(reply.status).unwrap();
    let h = r.headers_mut();
    h.insert(
        "content-type",
        "application/x-amz-json-1.1".parse().unwrap(),
    );
    h.insert(
        "x-amzn-requestid",
        "5f1c0e9e-0000-4000-8000-000000000000".parse().unwrap(),
    );
    if let Some(t) = &reply.error_type {
        h.insert("x-amzn-errortype", t.parse().unwrap());
    }
    r
}

/// Checks the request's SigV4 `Authorization`: its scope, and its value against AWS's signer's
/// over the headers it says it signed, with the expected credentials.
fn verify(method: &str, target: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    use aws_sigv4::sign::v4;

    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let got = header("authorization").ok_or("Missing Authentication Token")?;
    let rest = got
        .strip_prefix("AWS4-HMAC-SHA256 Credential=")
        .ok_or("not AWS4-HMAC-SHA256")?;
    let (credential, rest) = rest
        .split_once(", SignedHeaders=")
        .ok_or("no SignedHeaders")?;
    let (signed, _) = rest.split_once(", Signature=").ok_or("no Signature")?;
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[0] != AKID {
        return Err(format!(
            "The security token included in the request is invalid ({credential})"
        ));
    }
    if scope[2] != REGION || scope[3] != "athena" || scope[4] != "aws4_request" {
        return Err(format!(
            "Credential should be scoped to a valid region and service: {REGION}/athena, not {}/{}",
            scope[2], scope[3]
        ));
    }
    let amz_date = header("x-amz-date").ok_or("no x-amz-date")?;
    let time: SystemTime = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| "bad x-amz-date")?
        .and_utc()
        .into();
    let skew = SystemTime::now()
        .duration_since(time)
        .unwrap_or_else(|e| e.duration());
    if skew > Duration::from_secs(300) || scope[1] != &amz_date[..8] {
        return Err("Signature expired or scoped to another date".into());
    }
    let signed: Vec<&str> = signed.split(';').collect();
    for must in ["host", "x-amz-date", "x-amz-target", "content-type"] {
        if !signed.contains(&must) {
            return Err(format!("{must} is not signed"));
        }
    }
    if header("x-amz-security-token").is_some() {
        return Err("a session token came with long-term keys".into());
    }
    let given: Vec<(&str, &str)> = signed
        .iter()
        .filter(|n| !matches!(**n, "x-amz-date" | "x-amz-content-sha256"))
        .map(|n| {
            Ok((
                *n,
                header(n).ok_or(format!("signed header {n} is missing"))?,
            ))
        })
        .collect::<Result<_, String>>()?;
    let identity = aws_credential_types::Credentials::new(AKID, SECRET, None, None, "fake").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("athena")
        .time(time)
        .settings(SigningSettings::default())
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
    if expected == got {
        Ok(())
    } else {
        Err(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method."
                .into(),
        )
    }
}

// Athena's answers, as the API reference shapes them.

/// GetWorkGroup's answer.
pub fn workgroup(name: &str, configuration: Value) -> Reply {
    Reply::ok(json!({
        "WorkGroup": {
            "Name": name,
            "State": "ENABLED",
            "Configuration": configuration,
            "Description": "",
            "CreationTime": 1.7e9,
        }
    }))
}

pub fn started(id: &str) -> Reply {
    Reply::ok(json!({ "QueryExecutionId": id }))
}

/// GetQueryExecution's answer in `state`, with a reason and Athena's error when given.
pub fn state(id: &str, state: &str, reason: Option<&str>, error: Option<Value>) -> Reply {
    let mut status = json!({ "State": state, "SubmissionDateTime": 1.7e9 });
    if let Some(r) = reason {
        status["StateChangeReason"] = json!(r);
    }
    if let Some(e) = error {
        status["AthenaError"] = e;
    }
    Reply::ok(json!({
        "QueryExecution": {
            "QueryExecutionId": id,
            "Query": "SELECT …",
            "StatementType": "DML",
            "Status": status,
            "WorkGroup": "nagare",
        }
    }))
}

/// A GetQueryResults page: rows of values (None: NULL, sent as a Datum without VarCharValue).
pub fn page(rows: &[Vec<Option<&str>>], next: Option<&str>) -> Reply {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            let data: Vec<Value> = r
                .iter()
                .map(|v| match v {
                    Some(v) => json!({ "VarCharValue": v }),
                    None => json!({}),
                })
                .collect();
            json!({ "Data": data })
        })
        .collect();
    let mut body = json!({
        "UpdateCount": 0,
        "ResultSet": { "Rows": rows, "ResultSetMetadata": { "ColumnInfo": [] } },
    });
    if let Some(n) = next {
        body["NextToken"] = json!(n);
    }
    Reply::ok(body)
}
