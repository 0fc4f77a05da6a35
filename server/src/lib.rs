//! Xunjiu (巡救): street patrol and referral service for vagrant rescue in Tai'an.
//!
//! [`app`] builds the whole HTTP service from an [`AppState`]; `main.rs` and every test use it.

pub mod cli;
pub mod features;
pub mod openapi;
pub mod plumbing;
pub mod rules;
pub mod wiring;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use plumbing::error::{ApiError, Result};
pub use plumbing::state::AppState;

/// Default request body limit; endpoints that take more say so themselves.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The HTTP service.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(plumbing::health::healthz))
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .merge(features::auth::router())
        .merge(features::campaigns::router())
        .merge(features::hotspots::router())
        .merge(features::incidents::router())
        .merge(features::people::router())
        .merge(features::alerts::router())
        .merge(features::heatmap::router())
        .merge(features::open311::router())
        .merge(features::reports::router())
        .merge(features::annex1::router())
        .merge(features::accountability::router())
        .merge(features::audit::router())
        .merge(features::push::router())
        .merge(features::notify::router())
        .merge(features::stations::router())
        .merge(features::routing::router())
        .merge(features::referrals::router())
        .merge(features::live::router())
        .merge(features::sightings::router())
        .merge(features::web::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            features::open311::refuse_nul as plumbing::nul_guard::Refusal,
            plumbing::nul_guard::reject_nul,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response_owned()
        }))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(axum::middleware::from_fn(plumbing::headers::with_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(plumbing::telemetry::request_span)
                .on_response(
                    |res: &axum::http::Response<_>, latency: Duration, span: &tracing::Span| {
                        span.record("status", res.status().as_u16());
                        tracing::info!(latency_ms = latency.as_secs_f64() * 1e3, "response");
                    },
                ),
        )
        // Outermost: every answer, and the request's log span, carry the id.
        .layer(PropagateRequestIdLayer::new(plumbing::headers::REQUEST_ID))
        .layer(SetRequestIdLayer::new(
            plumbing::headers::REQUEST_ID,
            MakeRequestUuid,
        ))
        .layer(axum::middleware::map_request(
            plumbing::headers::drop_client_request_id,
        ))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method",
    )
}

impl ApiError {
    fn into_response_owned(self) -> axum::response::Response {
        axum::response::IntoResponse::into_response(self)
    }
}
