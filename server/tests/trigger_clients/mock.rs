//! A local HTTP server standing in for GitHub and GitLab: it answers the expected requests in
//! order with canned replies, and records every difference from what was expected (method,
//! path and query, headers, JSON body) for [`Mock::finish`] to report.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub const GITHUB_TOKEN: &str = "t0ken";
pub const GITLAB_TOKEN: &str = "glpat-s3cret-t0ken";

/// Which credentials and headers a request must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creds {
    /// `authorization: Bearer t0ken` and GitHub's `accept` and `x-github-api-version`.
    Github,
    /// `private-token` and `content-type: application/json`, no `authorization`.
    Gitlab,
    /// No `authorization`, no `private-token`, none of GitHub's headers (a signed URL).
    Without,
}

pub struct Expect {
    pub method: &'static str,
    /// Path and query, exactly as sent (or its beginning, with `prefix`).
    pub target: String,
    /// Whether `target` is only the beginning (a query ending in a time not known in advance).
    pub prefix: bool,
    pub creds: Creds,
    /// The JSON body, compared parsed; `None`: no body at all.
    pub body: Option<Value>,
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub reply: String,
}

impl Expect {
    pub fn new(method: &'static str, target: impl Into<String>, creds: Creds) -> Expect {
        Expect {
            method,
            target: target.into(),
            prefix: false,
            creds,
            body: None,
            status: 200,
            headers: Vec::new(),
            reply: String::new(),
        }
    }

    /// A request whose path and query start with `target`.
    pub fn new_matching_prefix(
        method: &'static str,
        target: impl Into<String>,
        creds: Creds,
    ) -> Expect {
        Expect {
            prefix: true,
            ..Expect::new(method, target, creds)
        }
    }

    pub fn body(mut self, body: Value) -> Expect {
        self.body = Some(body);
        self
    }

    /// Answers `status` with a JSON body (or nothing, when `reply` is `Value::Null`).
    pub fn answer(mut self, status: u16, reply: Value) -> Expect {
        self.status = status;
        if !reply.is_null() {
            self.reply = reply.to_string();
            self.headers
                .push(("content-type", "application/json; charset=utf-8".into()));
        }
        self
    }

    pub fn text(mut self, status: u16, text: &str) -> Expect {
        self.status = status;
        self.reply = text.to_owned();
        self.headers.push(("content-type", "text/plain".into()));
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Expect {
        self.headers.push((name, value.into()));
        self
    }
}

#[derive(Default)]
struct Book {
    expected: VecDeque<Expect>,
    failures: Vec<String>,
    served: usize,
}

pub struct Mock {
    pub addr: SocketAddr,
    book: Arc<Mutex<Book>>,
}

impl Mock {
    pub async fn start() -> Mock {
        let book = Arc::new(Mutex::new(Book::default()));
        let app = axum::Router::new().fallback(serve).with_state(book.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Mock { addr, book }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn expect(&self, e: Expect) {
        self.book.lock().unwrap().expected.push_back(e);
    }

    /// Every expected request came, as expected, and nothing else.
    pub fn finish(&self) {
        let book = self.book.lock().unwrap();
        let left: Vec<_> = book
            .expected
            .iter()
            .map(|e| format!("{} {}", e.method, e.target))
            .collect();
        assert!(
            book.failures.is_empty(),
            "requests differed from the contract:\n{}",
            book.failures.join("\n")
        );
        assert!(left.is_empty(), "expected requests never came: {left:?}");
    }

    pub fn served(&self) -> usize {
        self.book.lock().unwrap().served
    }
}

async fn serve(State(book): State<Arc<Mutex<Book>>>, req: Request) -> Response {
    let method = req.method().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(String::new, |p| p.as_str().to_owned());
    let headers = req.headers().clone();
    let bytes = to_bytes(req.into_body(), 16 << 20)
        .await
        .unwrap_or_default();
    let mut book = book.lock().unwrap();
    book.served += 1;
    let Some(e) = book.expected.pop_front() else {
        book.failures
            .push(format!("unexpected request: {method} {target}"));
        return reply(500, &[], "{\"message\":\"unexpected\"}".into());
    };
    let mut fail = |what: String| {
        book.failures
            .push(format!("{} {}: {what}", e.method, e.target))
    };
    let same_target = if e.prefix {
        target.starts_with(&e.target)
    } else {
        target == e.target
    };
    if method != e.method || !same_target {
        fail(format!("got {method} {target}"));
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    match header("user-agent") {
        Some(ua) if ua.starts_with("nagare/") => {}
        other => fail(format!("user-agent {other:?}")),
    }
    let bearer = format!("Bearer {GITHUB_TOKEN}");
    let mut must = |name: &str, want: Option<&str>| {
        if header(name) != want {
            fail(format!(
                "header {name}: {:?}, expected {want:?}",
                header(name)
            ));
        }
    };
    match e.creds {
        Creds::Github => {
            must("authorization", Some(&bearer));
            must("accept", Some("application/vnd.github+json"));
            must("x-github-api-version", Some("2022-11-28"));
            must("private-token", None);
        }
        Creds::Gitlab => {
            must("private-token", Some(GITLAB_TOKEN));
            must("content-type", Some("application/json"));
            must("authorization", None);
        }
        Creds::Without => {
            must("authorization", None);
            must("private-token", None);
            must("x-github-api-version", None);
        }
    }
    match &e.body {
        None if !bytes.is_empty() => fail(format!(
            "expected no body, got {}",
            String::from_utf8_lossy(&bytes)
        )),
        None => {}
        Some(want) => {
            if e.creds == Creds::Github {
                must("content-type", Some("application/json"));
            }
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(got) if &got == want => {}
                Ok(got) => fail(format!("body {got}, expected {want}")),
                Err(err) => fail(format!("body is not JSON ({err})")),
            }
        }
    }
    reply(e.status, &e.headers, e.reply)
}

fn reply(status: u16, headers: &[(&'static str, String)], body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    for (k, v) in headers {
        r.headers_mut().insert(
            HeaderName::from_static(k),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    r
}
