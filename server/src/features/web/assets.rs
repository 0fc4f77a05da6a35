//! Static files: `web/` from this repository and Leaflet from `node_modules` (installed from the
//! lockfile by the scripts). Release builds embed them; debug builds read them from disk.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

use crate::plumbing::error::ApiError;

#[derive(Embed)]
#[folder = "../web/"]
struct Web;

#[derive(Embed)]
#[folder = "../node_modules/leaflet/dist/"]
#[include = "leaflet.js"]
#[include = "leaflet.css"]
#[include = "images/*"]
#[allow_missing = true]
struct Leaflet;

/// The pages may only talk to this server; tiles may come from a configured tile server.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: blob: https: http:; \
     style-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
     frame-ancestors 'none'";

pub fn missing_libraries() -> bool {
    Leaflet::get("leaflet.js").is_none()
}

pub async fn console_index(headers: HeaderMap) -> Response {
    serve(&headers, Web::get("console/index.html"))
}

pub async fn patrol_index(headers: HeaderMap) -> Response {
    serve(&headers, Web::get("patrol/index.html"))
}

pub async fn console_file(headers: HeaderMap, Path(file): Path<String>) -> Response {
    serve(&headers, Web::get(&format!("console/{file}")))
}

pub async fn patrol_file(headers: HeaderMap, Path(file): Path<String>) -> Response {
    serve(&headers, Web::get(&format!("patrol/{file}")))
}

pub async fn shared_file(headers: HeaderMap, Path(file): Path<String>) -> Response {
    let found = match file.strip_prefix("leaflet/") {
        Some(rest) => Leaflet::get(rest),
        None => Web::get(&format!("shared/{file}")),
    };
    serve(&headers, found)
}

/// Answer with the file, or 304 when the browser has this version; always revalidated, so a new
/// release reaches every phone at its next start.
fn serve(request: &HeaderMap, file: Option<rust_embed::EmbeddedFile>) -> Response {
    let Some(file) = file else {
        return ApiError::not_found("not_found", "no such file").into_response();
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..12]));
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        file.data.into_owned().into_response()
    };
    let headers = response.headers_mut();
    let mime = file.metadata.mimetype();
    // Our text files are UTF-8; say so, or browsers may guess otherwise for Chinese text.
    let textual =
        mime.starts_with("text/") || mime.ends_with("json") || mime.ends_with("javascript");
    let content_type = if textual && !mime.contains("charset") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    };
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
