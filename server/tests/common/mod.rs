//! Test support: fresh stores on SQLite and (when configured) PostgreSQL, and an app to call.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use nagare_server::config::Config;
use nagare_server::store::Store;
use nagare_server::AppState;
use std::sync::atomic::{AtomicU32, Ordering};
use tower::ServiceExt;

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
    match backend {
        "sqlite" => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("t.db").display());
            (Store::open(&url).await.unwrap(), Some(dir))
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
            (
                Store::open(&format!("{prefix}/{name}")).await.unwrap(),
                None,
            )
        }
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

pub async fn call(state: &AppState, req: Request<Body>) -> Reply {
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
