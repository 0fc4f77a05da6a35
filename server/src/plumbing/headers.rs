//! Headers every answer carries: its request id (`x-request-id`, also in the request's log line
//! and in the body of a 500), `X-Content-Type-Options`, a `Referrer-Policy`, and for the API
//! `Cache-Control: no-store` unless the handler chose otherwise, since answers carry personal
//! data that no browser or proxy should keep.

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The header a request id travels in.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being answered, where the answer is made inside [`with_headers`].
pub fn current_request_id() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Forget any id the client sent: ours are generated, so a log line never carries text a
/// client chose (which could be anything, a phone number included).
pub async fn drop_client_request_id(mut request: Request) -> Request {
    request.headers_mut().remove(REQUEST_ID);
    request
}

/// Set the headers on the way out; the request id is the one `SetRequestIdLayer` gave the
/// request, kept where an error's answer can find it.
pub async fn with_headers(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let api = {
        let path = request.uri().path();
        path.starts_with("/api/") || path.starts_with("/open311/") || path.starts_with("/tiles/")
    };
    let mut response = CURRENT.scope(id, next.run(request)).await;
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if api && !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
