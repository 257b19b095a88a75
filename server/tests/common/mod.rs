//! Test support: fresh stores on SQLite and (when configured) PostgreSQL, and an app to call.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use nagare_server::config::Config;
use nagare_server::store::Store;
use nagare_server::AppState;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

mod server;
pub use server::Server;

static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// The backends the store suite runs on: SQLite always; PostgreSQL when
/// `NAGARE_TEST_DATABASE_URL` is set (`make test` sets it and also `NAGARE_REQUIRE_POSTGRES=1`,
/// so that a missing PostgreSQL fails the run instead of silently testing less).
pub fn backends() -> Vec<&'static str> {
    let pg = std::env::var("NAGARE_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if pg.is_none() && std::env::var("NAGARE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
        panic!("NAGARE_REQUIRE_POSTGRES=1 but NAGARE_TEST_DATABASE_URL is not set");
    }
    if pg.is_some() {
        vec!["sqlite", "postgres"]
    } else {
        vec!["sqlite"]
    }
}

/// A fresh, empty, migrated store: a new SQLite file, or a new PostgreSQL database.
pub async fn fresh_store(backend: &str) -> (Store, Option<tempfile::TempDir>) {
    let (url, dir) = fresh_url(backend).await;
    (Store::open(&url).await.unwrap(), dir)
}

/// The URL of a fresh, empty database (a new SQLite file, or a new PostgreSQL database), for
/// tests that start server processes on it.
pub async fn fresh_url(backend: &str) -> (String, Option<tempfile::TempDir>) {
    capture_logs();
    match backend {
        "sqlite" => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("t.db").display());
            (url, Some(dir))
        }
        _ => {
            let base = std::env::var("NAGARE_TEST_DATABASE_URL").unwrap();
            let name = format!(
                "nagare_t_{}_{}",
                std::process::id(),
                NEXT_DB.fetch_add(1, Ordering::SeqCst)
            );
            let admin = sqlx::PgPool::connect(&base).await.unwrap();
            // `name` is built above from the pid and a counter: digits and underscores only.
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
            let (prefix, _) = base.rsplit_once('/').unwrap();
            (format!("{prefix}/{name}"), None)
        }
    }
}

/// A raw delivery record for a batch stored directly (no HTTP request behind it).
pub fn raw_delivery(source: &str) -> nagare_server::store::RawDelivery {
    nagare_server::store::RawDelivery {
        source: source.into(),
        event: None,
        delivery_id: None,
        content_type: None,
        size_bytes: 0,
        payload: None,
    }
}

pub async fn app_state(store: Store) -> AppState {
    let mut config = Config::default();
    config.server.dist_dir = "/nonexistent-dist".into();
    AppState::new(store, config).await.unwrap()
}

pub struct Reply {
    pub status: StatusCode,
    pub json: serde_json::Value,
    pub headers: axum::http::HeaderMap,
}

/// The `Host` a browser would send to this state's portal: a loopback name on the configured
/// port in local mode, the public URL's host with single sign-on.
pub fn portal_host(state: &AppState) -> String {
    if state.local_mode {
        let port = state.config.bind_addr().map(|a| a.port()).unwrap_or(8080);
        format!("127.0.0.1:{port}")
    } else {
        let u = url::Url::parse(&state.config.auth.redirect_url).unwrap();
        match u.port() {
            Some(p) => format!("{}:{p}", u.host_str().unwrap()),
            None => u.host_str().unwrap().to_owned(),
        }
    }
}

/// Calls the app with `req`, adding the portal's `Host` when the request names none (as
/// every HTTP/1.1 client does).
pub async fn call(state: &AppState, mut req: Request<Body>) -> Reply {
    capture_logs();
    if !req.headers().contains_key("host") {
        req.headers_mut()
            .insert("host", portal_host(state).parse().unwrap());
    }
    let resp = nagare_server::app(state.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::String(
        String::from_utf8_lossy(&bytes).into_owned(),
    ));
    Reply {
        status,
        json,
        headers,
    }
}

pub async fn get(state: &AppState, uri: &str) -> Reply {
    call(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

pub async fn post(state: &AppState, uri: &str, content_type: &str, body: impl Into<Body>) -> Reply {
    call(
        state,
        Request::post(uri)
            .header("content-type", content_type)
            .body(body.into())
            .unwrap(),
    )
    .await
}

static LOGS: std::sync::LazyLock<LogCapture> = std::sync::LazyLock::new(LogCapture::default);

/// Sends everything the tests of this binary log, at TRACE, to one buffer ([`logs`]).
///
/// One global subscriber, installed before the first store or request: a per-test
/// `set_default` loses events when another test thread caches a callsite's interest first.
pub fn capture_logs() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(LOGS.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

/// All that the tests of this binary have logged so far.
pub fn logs() -> String {
    LOGS.text()
}

/// A `MakeWriter` that keeps everything logged, to search it.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
