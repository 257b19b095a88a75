//! The HTTP surface: one module per resource, each with its own `router()`, merged here with
//! the cross-cutting layers (request id, tracing, compression, timeout, panic guard, headers).

mod audit;
mod auth;
pub(crate) mod body;
mod catalog;
mod costs;
mod deployments;
mod docs_page;
mod events;
mod health;
mod incidents;
mod metrics;
mod openapi;
mod pipelines;
pub(crate) mod query;
mod session;
mod slos;
mod tokens;
mod triggers;
mod valuestream;

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use openapi::{document as openapi_document, openapi_json};

/// Routes under `/api/v1` and the probes; exposed for the route audit test.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(session::router())
        .merge(events::router())
        .merge(metrics::router())
        .merge(deployments::router())
        .merge(incidents::router())
        .merge(pipelines::router())
        .merge(valuestream::router())
        .merge(triggers::router())
        .merge(slos::router())
        .merge(costs::router())
        .merge(catalog::router())
        .merge(openapi::router())
        .merge(auth::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(crate::sources::router())
        .route("/api/{*rest}", any(api_not_found))
}

/// The whole application: API, probes, and the built web app with SPA fallback.
pub fn app(state: AppState) -> Router {
    let dist = state.config.server.dist_dir.clone();
    let index = dist.join("index.html");
    let timeout = Duration::from_secs(state.config.server.request_timeout_secs);
    let hsts = state.config.auth.https();
    let router = api_router().with_state(state.clone());
    let router = if index.exists() {
        // The administration and the flow are bundles of their own (dist/admin-app/,
        // dist/flow-app/; app/src/lib.rs): their pages load their index; their files, like the
        // portal's, come from dist/.
        let admin = ServeFile::new(dist.join("admin-app").join("index.html"));
        let flow = ServeFile::new(dist.join("flow-app").join("index.html"));
        router
            .route_service("/admin", admin.clone())
            .route_service("/admin/{*page}", admin)
            .route_service("/pipelines", flow.clone())
            .route_service("/pipelines/{*page}", flow.clone())
            .route_service("/value-stream", flow.clone())
            .route_service("/runs", flow.clone())
            .route_service("/runs/{*page}", flow.clone())
            .route_service("/approvals", flow.clone())
            .route_service("/services/{*page}", flow.clone())
            .route_service("/pull-requests/{*page}", flow)
            .fallback_service(ServeDir::new(&dist).fallback(ServeFile::new(index)))
    } else {
        router.fallback(app_not_built)
    };
    // After the fallback, so that the web app's pages pass it too (they go to sign-in first).
    // Layers run outside in: the host check, then the repeated-parameter check, then who asks.
    let mut router = router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            shed_when_busy,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::authenticate,
        ))
        .layer(axum::middleware::from_fn(query::refuse_repeated))
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::auth::check_host,
        ))
        .layer(axum::middleware::from_fn(no_store));
    let x_request_id = HeaderName::from_static("x-request-id");
    if hsts {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
            ),
        ))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let matched = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
                let id = req
                    .extensions()
                    .get::<RequestId>()
                    .and_then(|r| r.header_value().to_str().ok())
                    .unwrap_or("-")
                    .to_owned();
                // At ERROR level, so that the span (and its request id) is on every line a
                // handler logs, even with `NAGARE_LOG=warn` or `error`.
                tracing::error_span!("request", method = %req.method(), path = %req.uri().path(), matched_path = matched, request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(x_request_id, RequestIds::default()))
}

/// Request ids: a per-process random prefix plus a counter (`3f9a…-17`).
#[derive(Clone)]
struct RequestIds {
    prefix: String,
    next: std::sync::Arc<AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64 ^ d.as_secs())
            .unwrap_or(0);
        RequestIds {
            prefix: format!(
                "{:08x}",
                (nanos ^ u64::from(std::process::id())) & 0xffff_ffff
            ),
            next: std::sync::Arc::new(AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _req: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// Replies that carry data (the API, sign-in) are never cached: not by the browser, not by a
/// proxy in between.
async fn no_store(req: Request, next: axum::middleware::Next) -> Response {
    let api = {
        let p = req.uri().path();
        p.starts_with("/api/") || p.starts_with("/auth/")
    };
    let mut resp = next.run(req).await;
    if api {
        resp.headers_mut()
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    resp
}

/// API requests take a turn at the request gate: past its line they are shed with 503 and
/// `Retry-After` rather than queued without bound. The probes and the web app's files pass,
/// and so does ingest, which has its own line (kilobytes of body) and the group commit: a
/// CI job's one-line batch should not wait behind dashboards.
async fn shed_when_busy(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    if !path.starts_with("/api/") || (path == "/api/v1/events" && req.method() == "POST") {
        return next.run(req).await;
    }
    match state.requests.enter().await {
        Ok(_turn) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
}

async fn api_not_found(req: Request) -> ApiError {
    ApiError::NotFound(format!(
        "no such endpoint: {} {}; the API is described at /api/v1/openapi.json",
        req.method(),
        req.uri().path()
    ))
}

async fn app_not_built() -> impl IntoResponse {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "The Nagare web app has not been built. Run `make run` (or `trunk build --release`) so that dist/ exists; the API is served at /api/v1.\n",
    )
}
