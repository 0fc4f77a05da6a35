//! Logging setup. Request spans carry method, matched path, status and latency, never bodies,
//! query strings, tokens or personal data.

use axum::extract::MatchedPath;
use axum::http::Request;
use tracing::Span;
use tracing_subscriber::EnvFilter;

/// Install the global subscriber: `RUST_LOG` filters (default `info`), `XUNJIU_LOG_JSON=1`
/// switches to one JSON object per line.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("XUNJIU_LOG_JSON").is_ok_and(|v| v == "1" || v == "true");
    let color = std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(color)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The span of one request, named by its route template rather than its URI.
pub fn request_span<B>(request: &Request<B>) -> Span {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), path, status = tracing::field::Empty)
}
