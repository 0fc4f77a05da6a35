//! Logging setup. Request spans carry method, matched path, status and latency, never bodies,
//! query strings, tokens or personal data.

use axum::extract::MatchedPath;
use axum::http::Request;
use tracing::Span;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Install the global subscriber: `RUST_LOG` filters (default `info`), `XUNJIU_LOG_JSON=1`
/// switches to one JSON object per line. Lines are written by a thread of their own, so a slow
/// reader of stderr (a full pipe, a busy journal) never holds up a request; if it falls
/// 128,000 lines behind, lines are dropped rather than requests delayed. Keep the guard until
/// the end of `main`: dropping it writes what is still queued.
pub fn init() -> WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .thread_name("xunjiu-log")
        .finish(std::io::stderr());
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("XUNJIU_LOG_JSON").is_ok_and(|v| v == "1" || v == "true");
    let color = std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(color)
        .with_writer(writer);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    guard
}

/// The span of one request, named by its route template rather than its URI.
pub fn request_span<B>(request: &Request<B>) -> Span {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), path, status = tracing::field::Empty)
}
