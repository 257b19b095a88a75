//! `GET /api/v1/openapi.json`: the API described for other tools, generated from the types
//! (core's `openapi` feature) and the handlers' `#[utoipa::path]` annotations; and
//! `GET /api/docs`, the same document as a page for people (`docs_page.rs`).
//!
//! What every operation shares (sign-in, the 400 for a repeated parameter, 421, 503) is added
//! here once, by [`Shared`], rather than on each handler.

use crate::auth::PUBLIC_API_PATHS;
use crate::state::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use nagare_core::api::ErrorBody;
use std::sync::LazyLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Nagare API",
        version = "1",
        description = "DORA metrics and delivery flow. Durations are seconds; times are RFC 3339 with a zone. Every endpoint answers a query parameter given more than once with 400, a request naming a host the portal does not answer to with 421 (see server.allowed_hosts), and, when busy, 503 with Retry-After. API replies carry Cache-Control: no-store. The event contract and the metric definitions: docs/api.md and docs/metrics.md."
    ),
    paths(
        super::metrics::get_dora,
        super::metrics::get_teams_dora,
        super::deployments::list_deployments,
        super::deployments::get_deployment,
        super::incidents::list_incidents,
        super::pipelines::list_runs,
        super::pipelines::get_run,
        super::pipelines::list_workflows,
        super::pipelines::workflow_trend,
        super::pipelines::flaky_jobs,
        super::valuestream::value_stream,
        super::valuestream::journey,
        super::triggers::list_targets,
        super::triggers::get_target,
        super::triggers::start_run,
        super::triggers::list_runs,
        super::triggers::get_run,
        super::triggers::log::run_log,
        super::triggers::cancel_run,
        super::triggers::rerun_run,
        super::triggers::list_approvals,
        super::triggers::approve,
        super::triggers::reject,
        super::slos::list,
        super::slos::detail,
        super::slos::create,
        super::slos::update,
        super::slos::remove,
        super::slos::prometheus_rules,
        super::slos::openslo,
        super::slos::deployment_slos,
        super::costs::costs,
        super::costs::anomalies,
        super::costs::unit_costs,
        super::costs::sources,
        super::catalog::list_services,
        super::catalog::list_teams,
        super::session::get_session,
        super::events::post_events,
        crate::sources::deliver,
        crate::sources::admin::sources,
        crate::sources::admin::git_mirrors,
        crate::sources::admin::backfill_phases,
        crate::sources::admin::github_rules,
        crate::sources::admin::deliveries,
        crate::sources::admin::delivery,
        crate::sources::admin::replay_source,
        crate::sources::admin::replay_delivery,
        crate::sources::tasks::start_backfill,
        crate::sources::tasks::start_sync,
        crate::sources::tasks::tasks,
        super::tokens::list,
        super::tokens::create,
        super::tokens::revoke,
        super::audit::list,
        super::auth::login,
        super::auth::callback,
        super::auth::logout,
        super::health::healthz,
        super::health::readyz,
        get_openapi,
        get_docs,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Shared)
)]
struct ApiDoc;

/// The document, built once.
pub fn document() -> &'static Document {
    static DOC: LazyLock<Document> = LazyLock::new(ApiDoc::openapi);
    &DOC
}

/// The document as JSON, as `GET /api/v1/openapi.json` serves it.
pub fn openapi_json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        document()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"the OpenAPI document failed: {e}\"}}"))
    });
    &JSON
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(get_openapi))
        .route("/api/docs", get(get_docs))
}

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "reference",
    summary = "This document (OpenAPI 3.1)",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
async fn get_openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json())
}

#[utoipa::path(
    get,
    path = "/api/docs",
    tag = "reference",
    summary = "This document as a page for people",
    responses((status = 200, description = "An HTML page", content_type = "text/html"))
)]
async fn get_docs() -> impl IntoResponse {
    static PAGE: LazyLock<String> = LazyLock::new(|| super::docs_page::render(document()));
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        PAGE.as_str(),
    )
}

/// Sign-in schemes and the answers every operation shares.
struct Shared;

impl Modify for Shared {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "The portal's session, set by single sign-on; unsafe methods also send x-csrf-token",
            ))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token (ngr_…) with the scope the call needs"))
                    .build(),
            ),
        );
        doc.security = Some(vec![
            SecurityRequirement::new("session", Vec::<String>::new()),
            SecurityRequirement::new("token", Vec::<String>::new()),
        ]);
        let error = || {
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))))
                .build()
        };
        let answer = |text: &str| {
            ResponseBuilder::new()
                .description(text)
                .content("application/json", error())
                .build()
        };
        for (path, item) in doc.paths.paths.iter_mut() {
            let public = PUBLIC_API_PATHS.contains(&path.as_str());
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                let r = &mut op.responses.responses;
                let mut add = |status: &str, text: &str| {
                    r.entry(status.to_owned())
                        .or_insert_with(|| RefOr::T(answer(text)));
                };
                add(
                    "400",
                    "A query parameter given more than once, or a bad one",
                );
                if !public {
                    add("401", "No session or API token, or it has ended; `login_url` says where to sign in");
                    add("403", "The role or token scope does not allow it; `required_role` names the one needed");
                }
                add(
                    "421",
                    "A host the portal does not answer to (server.allowed_hosts)",
                );
                add("503", "Busy: retry after the Retry-After seconds");
            }
        }
    }
}
