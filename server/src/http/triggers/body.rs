//! The bodies of the trigger endpoints' POSTs: strict JSON, and one extractor for a POST on a
//! target or a run.

use crate::auth::{ClientAddr, ReadScope};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::Path;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

/// A JSON body (`{}` when empty is allowed), read strictly: 415 for another type, 400 naming
/// the problem.
pub(super) fn json_body<T: DeserializeOwned + Default>(
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<T> {
    crate::http::body::kind(headers, false)?;
    let bad = |m: String| ApiError::BadRequest {
        error: format!("the body must be JSON: {m}"),
        line: None,
        field: None,
    };
    let text = std::str::from_utf8(body).map_err(|_| bad("it is not UTF-8".into()))?;
    if text.trim().is_empty() {
        return Ok(T::default());
    }
    let value = nagare_core::events::strict_value(text).map_err(|e| bad(e.to_string()))?;
    serde_json::from_value(value).map_err(|e| bad(e.to_string()))
}

/// A POST on one target or run: who asks (and from where), the path's name or id, and the
/// JSON body (`{}` when empty), read strictly.
pub(super) struct RunPost<T> {
    pub(super) client: ClientAddr,
    pub(super) scope: ReadScope,
    pub(super) id: String,
    pub(super) body: T,
}

impl<T: DeserializeOwned + Default + Send> axum::extract::FromRequest<AppState> for RunPost<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> ApiResult<Self> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = req.into_parts();
        let client = match ClientAddr::from_request_parts(&mut parts, state).await {
            Ok(c) => c,
            Err(never) => match never {},
        };
        let scope = ReadScope::from_request_parts(&mut parts, state).await?;
        let Path(id) = Path::<String>::from_request_parts(&mut parts, state)
            .await
            .map_err(|e| ApiError::bad_param("id", e.body_text()))?;
        let limit_mb = state.config.server.max_body_mb as usize;
        let bytes = axum::body::to_bytes(body, limit_mb << 20)
            .await
            .map_err(|_| {
                ApiError::PayloadTooLarge(format!(
                    "the body is over {limit_mb} MB (server.max_body_mb)"
                ))
            })?;
        let body = json_body(&parts.headers, &bytes)?;
        Ok(RunPost {
            client,
            scope,
            id,
            body,
        })
    }
}

/// A body that must be `{}` (or empty).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NoFields {}
