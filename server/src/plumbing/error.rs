//! The one error type of the HTTP layer, rendered as `{"error":{"code","message"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mobile_api::{ErrorBody, ErrorDetail};

/// Result of a handler.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// Everything a request can fail with. Client errors carry a stable `code`; server errors are
/// logged once here and reach the client only as a generic message.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Client {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("{message}")]
    TooManyRequests {
        code: &'static str,
        message: String,
        retry_after_s: i64,
    },
    #[error("the database is unavailable")]
    DatabaseUnavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::Client {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 409 `id_conflict`: the client-chosen id is taken by a different `what`.
    pub fn id_conflict(what: &str) -> Self {
        Self::conflict(
            "id_conflict",
            format!(
                "this id is already used by a different {what}: generate a new UUID for a new report"
            ),
        )
    }

    pub fn too_many_requests(
        code: &'static str,
        message: impl Into<String>,
        retry_after_s: i64,
    ) -> Self {
        Self::TooManyRequests {
            code,
            message: message.into(),
            retry_after_s,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Client { status, .. } => *status,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        if crate::plumbing::db::is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            Self::DatabaseUnavailable
        } else {
            Self::Internal(anyhow::Error::new(err))
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // A lost database reached here through layers of context is still a 503, not a 500.
        let this = match self {
            Self::Internal(err)
                if err.chain().any(|e| {
                    e.downcast_ref::<sqlx::Error>()
                        .is_some_and(crate::plumbing::db::is_unavailable)
                }) =>
            {
                tracing::warn!(error = format!("{err:#}"), "database unavailable");
                Self::DatabaseUnavailable
            }
            other => other,
        };
        let (code, message) = match &this {
            Self::Client { code, message, .. } | Self::TooManyRequests { code, message, .. } => {
                (*code, message.clone())
            }
            Self::DatabaseUnavailable => (
                "database_unavailable",
                "the database is unavailable; retry shortly".to_owned(),
            ),
            Self::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "internal error");
                ("internal_error", "internal server error".to_owned())
            }
        };
        let request_id = matches!(this, Self::Internal(_))
            .then(crate::plumbing::headers::current_request_id)
            .flatten();
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                request_id,
            },
        };
        let mut response = (this.status(), axum::Json(body)).into_response();
        if let Self::TooManyRequests { retry_after_s, .. } = this {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, retry_after_s.into());
        }
        response
    }
}
