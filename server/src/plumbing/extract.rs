//! Axum's extractors with our error shape: a malformed body, query or path gets the same
//! `{"error":{...}}` answer as every other client error.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::plumbing::error::ApiError;

/// JSON body in, JSON body out. The body is read only after the extractors before it (the
/// account) have passed, within the route's size limit, and refused with `invalid_text` if it
/// holds a NUL.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime_type::Essence>().ok())
            .is_some_and(|m| m.is_json());
        if !json {
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Expected request with `Content-Type: application/json`",
            ));
        }
        let bytes = body(req, state).await?;
        axum::Json::<T>::from_bytes(&bytes)
            .map(|j| Self(j.0))
            .map_err(ApiError::from)
    }
}

/// The request's body, within the route's limit (413 `body_too_large`), free of NUL (400
/// `invalid_text`).
pub async fn body<S: Send + Sync>(
    req: axum::extract::Request,
    state: &S,
) -> Result<axum::body::Bytes, ApiError> {
    let bytes = axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| {
            let code = if e.status().as_u16() == 413 {
                "body_too_large"
            } else {
                "invalid_body"
            };
            ApiError::new(e.status(), code, e.body_text())
        })?;
    if crate::plumbing::nul_guard::holds_nul(&bytes) {
        return Err(crate::plumbing::nul_guard::invalid_text());
    }
    Ok(bytes)
}

/// The media type without its parameters.
mod mime_type {
    pub struct Essence(String);

    impl std::str::FromStr for Essence {
        type Err = ();

        fn from_str(s: &str) -> Result<Self, ()> {
            let essence = s.split(';').next().ok_or(())?.trim().to_ascii_lowercase();
            Ok(Self(essence))
        }
    }

    impl Essence {
        /// `application/json`, or a `+json` type.
        pub fn is_json(&self) -> bool {
            self.0 == "application/json"
                || (self.0.starts_with("application/") && self.0.ends_with("+json"))
        }
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query string.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters.
#[derive(Debug, Clone, Copy, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let code = match rejection {
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            JsonRejection::JsonSyntaxError(_) => "malformed_json",
            JsonRejection::JsonDataError(_) => "invalid_body",
            JsonRejection::BytesRejection(_) if status.as_u16() == 413 => "body_too_large",
            _ => "invalid_body",
        };
        ApiError::new(status, code, rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::bad_request("invalid_path", rejection.body_text())
    }
}

/// A JSON body that may be absent: no body (or `{}`) gives `T::default()`. For the duty steps,
/// which phones often send with nothing to say.
#[derive(Debug, Clone, Default)]
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Default,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let bytes = body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|e| ApiError::unprocessable("invalid_body", e.to_string()))
    }
}

/// The client's address, when the server was started with connection info (the real binary
/// and the tests are); `None` otherwise. Behind a proxy of `XUNJIU_TRUSTED_PROXIES`, the
/// address that proxy saw (`X-Forwarded-For`).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl axum::extract::FromRequestParts<crate::AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(Self(peer.map(|peer| {
            state.settings.trusted_proxies.client(peer, forwarded)
        })))
    }
}
