//! PostgreSQL text cannot hold NUL, so a NUL anywhere in a request (`%00` in the path, query or a
//! form, `\u0000` in JSON) would reach the database as an error: it is a 400 `invalid_text`
//! instead. The path and query are checked here, before any handler runs; bodies are checked by
//! the extractors that read them ([`crate::plumbing::extract::body`]), so a body the route refuses anyway
//! (too large, no token) is never buffered for it.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::features::open311::format::Format;
use crate::plumbing::error::ApiError;

const MESSAGE: &str = "text may not contain NUL characters";

/// Whether a body holds a NUL, raw or escaped for JSON or a form.
pub fn holds_nul(bytes: &[u8]) -> bool {
    bytes.contains(&0) || has(bytes, b"\\u0000") || has(bytes, b"%00")
}

/// The API's answer to a NUL.
pub fn invalid_text() -> ApiError {
    ApiError::bad_request("invalid_text", MESSAGE)
}

fn has(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// The answer in the format of the route asked for.
pub fn refused(path: &str) -> Response {
    if path.starts_with("/open311/") {
        let format = if path.ends_with(".xml") {
            Format::Xml
        } else {
            Format::Json
        };
        return crate::features::open311::format::error(StatusCode::BAD_REQUEST, format, MESSAGE);
    }
    invalid_text().into_response()
}

/// Refuse a NUL in the path or query.
pub async fn reject_nul(request: Request, next: Next) -> Response {
    let uri = request.uri().to_string();
    if has(uri.as_bytes(), b"%00") {
        return refused(request.uri().path());
    }
    next.run(request).await
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
