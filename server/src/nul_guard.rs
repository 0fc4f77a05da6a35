//! PostgreSQL text cannot hold NUL, so a NUL anywhere in a request (`%00` in the path, query or a
//! form, `\u0000` in JSON) would reach the database as an error. One guard for every route turns
//! it into a 400 before any handler runs.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::open311::format::Format;

/// The largest body any endpoint takes (a sighting batch); larger ones are refused here.
const MAX_BODY: usize = 8 * 1024 * 1024;

fn has(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

fn refused(path: &str) -> Response {
    const MESSAGE: &str = "text may not contain NUL characters";
    if path.starts_with("/open311/") {
        let format = if path.ends_with(".xml") {
            Format::Xml
        } else {
            Format::Json
        };
        return crate::open311::format::error(StatusCode::BAD_REQUEST, format, MESSAGE);
    }
    ApiError::bad_request("invalid_text", MESSAGE).into_response()
}

pub async fn reject_nul(request: Request, next: Next) -> Response {
    let uri = request.uri().to_string();
    let path = request.uri().path().to_owned();
    if has(uri.as_bytes(), b"%00") {
        return refused(&path);
    }
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the body is larger than 8 MiB",
            )
            .into_response();
        }
    };
    if has(&bytes, b"\\u0000") || has(&bytes, b"%00") || bytes.contains(&0) {
        return refused(&path);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::has;

    #[test]
    fn finds_nul_escapes_in_either_case() {
        assert!(has(br#"{"a":"x\u0000"}"#, b"\\u0000"));
        assert!(has(b"a=%00", b"%00"));
        assert!(!has(br#"{"a":"\u00e9"}"#, b"\\u0000"));
    }
}
