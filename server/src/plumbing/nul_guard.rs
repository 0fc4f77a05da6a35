//! PostgreSQL text cannot hold NUL, so a NUL anywhere in a request (`%00` in the path, query or a
//! form, `\u0000` in JSON) would reach the database as an error: it is a 400 `invalid_text`
//! instead. The path and query are checked here, before any handler runs; bodies are checked by
//! the extractors that read them ([`crate::plumbing::extract::body`]), so a body the route refuses anyway
//! (too large, no token) is never buffered for it.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::plumbing::error::ApiError;

pub const MESSAGE: &str = "text may not contain NUL characters";

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

/// How a route family answers a NUL: the API's JSON error, or a partner format's own.
pub type Refusal = fn(path: &str) -> Response;

/// The API's answer, as a response.
pub fn refused(_path: &str) -> Response {
    invalid_text().into_response()
}

/// Refuse a NUL in the path or query.
pub async fn reject_nul(State(refuse): State<Refusal>, request: Request, next: Next) -> Response {
    let uri = request.uri().to_string();
    if has(uri.as_bytes(), b"%00") {
        return refuse(request.uri().path());
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
