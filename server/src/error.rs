//! One error type for every handler, mapped to a status and the contract's JSON error shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use nagare_core::api::{ErrorBody, Role};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Bad input the client can fix: 400 with what and where.
    #[error("{error}")]
    BadRequest {
        error: String,
        line: Option<usize>,
        field: Option<String>,
    },
    /// Well-formed JSON whose content is invalid: 422.
    #[error("{error}")]
    Unprocessable {
        error: String,
        line: Option<usize>,
        field: Option<String>,
    },
    /// No session or token, or an expired one: 401 with where to sign in.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the role or token scope does not allow it: 403.
    #[error("{error}")]
    Forbidden {
        error: String,
        required_role: Option<Role>,
    },
    /// An event of the batch is outside the caller's teams: 403 naming its line and service.
    #[error("{error}")]
    OutOfScope {
        error: String,
        line: usize,
        service: Option<String>,
    },
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with what is under way (a task of its kind already open): 409.
    #[error("{0}")]
    Conflict(String),
    /// The request names a host this portal does not answer to: 421.
    #[error("{0}")]
    Misdirected(String),
    /// Too much waiting already: 503 with `Retry-After` (seconds).
    #[error("{error}")]
    Busy { error: String, retry_after: u64 },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A query parameter that cannot be used (`nagare_core::query`): a 400 naming it.
impl From<nagare_core::query::ParamError> for ApiError {
    fn from(e: nagare_core::query::ParamError) -> Self {
        ApiError::bad_param(&e.field, e.message)
    }
}

impl ApiError {
    pub fn bad_param(field: &str, error: impl Into<String>) -> Self {
        ApiError::BadRequest {
            error: error.into(),
            line: None,
            field: Some(field.to_owned()),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::OutOfScope { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Misdirected(_) => StatusCode::MISDIRECTED_REQUEST,
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Store(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = match &self {
            ApiError::Busy { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let body = match self {
            ApiError::BadRequest { error, line, field }
            | ApiError::Unprocessable { error, line, field } => ErrorBody {
                error,
                line,
                field,
                ..message(String::new())
            },
            ApiError::Unauthorized(e) => ErrorBody {
                login_url: Some("/auth/login".into()),
                ..message(e)
            },
            ApiError::Forbidden {
                error,
                required_role,
            } => ErrorBody {
                required_role,
                ..message(error)
            },
            ApiError::OutOfScope {
                error,
                line,
                service,
            } => ErrorBody {
                line: Some(line),
                service,
                required_role: Some(Role::Admin),
                ..message(error)
            },
            ApiError::NotFound(e)
            | ApiError::Conflict(e)
            | ApiError::PayloadTooLarge(e)
            | ApiError::UnsupportedMediaType(e)
            | ApiError::Misdirected(e) => message(e),
            ApiError::Busy { error, .. } => message(error),
            ApiError::Store(e) => {
                // Logged inside the request's span, which carries the request id.
                tracing::error!(error = %e, "store failure");
                internal()
            }
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "internal failure");
                internal()
            }
        };
        let mut resp = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        resp
    }
}

fn message(error: String) -> ErrorBody {
    ErrorBody {
        error,
        line: None,
        field: None,
        login_url: None,
        required_role: None,
        service: None,
    }
}

fn internal() -> ErrorBody {
    message(
        "internal error; the server logged the details under this response's x-request-id".into(),
    )
}
