//! The accept loop: HTTP/1.1 over TCP, with the limits a server on the open network needs.
//!
//! - **Header-read timeout.** A connection that has not sent a whole request head within
//!   `server.header_read_timeout_secs` (also between keep-alive requests) is closed, so
//!   half-open connections cannot pile up.
//! - **Connection cap**, below the file-descriptor limit: `accept` never fails with EMFILE in
//!   normal use. Past the cap, a small overflow pool still answers the probes (`/healthz`,
//!   `/readyz`) and tells everyone else 503 with `Retry-After`, on a short timeout; past that,
//!   new connections are accepted and closed at once rather than left in the backlog.
//! - **Graceful shutdown with a deadline.** On the signal, no new connections are taken, those
//!   open finish their requests, and after `server.shutdown_grace_secs` the server stops anyway.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Connections kept for the probes (and a 503) once the cap is reached.
const OVERFLOW: usize = 64;
/// Descriptors kept free for the database, files and the overflow pool.
const RESERVED_FDS: u64 = 64 + OVERFLOW as u64;
/// How long an overflow connection may take to send its request.
const OVERFLOW_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub shutdown_grace: Duration,
}

impl Limits {
    /// From the configuration, with the connection cap lowered to fit the process's
    /// file-descriptor limit (raised to its hard limit first, where allowed).
    pub fn from_config(s: &crate::config::ServerConfig) -> Limits {
        let fds = raise_fd_limit();
        let fit = fds.map(|n| n.saturating_sub(RESERVED_FDS).max(16) as usize);
        let wanted = s.max_connections as usize;
        let max_connections = fit.map_or(wanted, |f| wanted.min(f));
        if max_connections < wanted {
            tracing::info!(
                fd_limit = fds.unwrap_or(0),
                max_connections,
                "server.max_connections lowered to fit the file-descriptor limit"
            );
        }
        Limits {
            max_connections,
            header_read_timeout: Duration::from_secs(s.header_read_timeout_secs),
            shutdown_grace: Duration::from_secs(s.shutdown_grace_secs),
        }
    }
}

/// The soft file-descriptor limit after raising it to the hard limit (None where unknown).
fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let (soft, hard) = rlimit::Resource::NOFILE.get().ok()?;
        if soft < hard && rlimit::Resource::NOFILE.set(hard, hard).is_ok() {
            return Some(hard);
        }
        Some(soft)
    }
    #[cfg(not(unix))]
    None
}

/// Serves `app` on `listener` until `shutdown` completes, then drains within the grace period.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let normal = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let overflow = Arc::new(Semaphore::new(OVERFLOW));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut last_error_logged = None::<std::time::Instant>;
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and the like: wait a little rather than spin; say so once a second.
                    if last_error_logged.is_none_or(|t| t.elapsed() > Duration::from_secs(1)) {
                        tracing::warn!(error = %e, "accept failed; retrying");
                        last_error_logged = Some(std::time::Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (permit, timeout, busy) = match normal.clone().try_acquire_owned() {
            Ok(p) => (p, limits.header_read_timeout, false),
            Err(_) => match overflow.clone().try_acquire_owned() {
                Ok(p) => (p, OVERFLOW_TIMEOUT.min(limits.header_read_timeout), true),
                Err(_) => {
                    drop(stream);
                    continue;
                }
            },
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let req = req.map(Body::new);
            let app = app.clone();
            async move {
                if busy && !is_probe(req.uri().path()) {
                    return Ok(too_many_connections());
                }
                app.oneshot(req).await
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(timeout)
            .keep_alive(!busy);
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::trace!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!(
        grace_secs = limits.shutdown_grace.as_secs(),
        "shutting down: finishing requests in flight"
    );
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period over; closing the connections still open");
    }
}

fn is_probe(path: &str) -> bool {
    path == "/healthz" || path == "/readyz"
}

fn too_many_connections() -> Response<Body> {
    let mut resp = Response::new(Body::from(
        r#"{"error":"the server has too many open connections; retry in a second"}"#,
    ));
    *resp.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}
