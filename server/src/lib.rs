//! Xunjiu (巡救): street patrol and referral service for vagrant rescue in Tai'an.
//!
//! [`app`] builds the whole HTTP service from an [`AppState`]; `main.rs` and every test use it.

pub mod accountability;
pub mod alerts;
pub mod annex1;
pub mod audience;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod escalation;
pub mod extract;
pub mod geojson;
pub mod headers;
pub mod health;
pub mod heatmap;
pub mod hotspots;
pub mod idempotent;
pub mod incidents;
pub mod intake;
pub mod listing;
pub mod live;
pub mod notifications;
pub mod notify;
pub mod nul_guard;
pub mod open311;
pub mod openapi;
pub mod people;
pub mod push;
pub mod ratelimit;
pub mod referrals;
pub mod replica;
pub mod reports;
pub mod retention;
pub mod routing;
pub mod scope;
pub mod secrets;
pub mod seed;
pub mod sheet;
pub mod sightings;
pub mod state;
pub mod stations;
pub mod telemetry;
pub mod tls;
pub mod users;
pub mod web;
pub mod wire;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::{ApiError, Result};
pub use state::AppState;

/// Default request body limit; endpoints that take more say so themselves.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The HTTP service.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .merge(auth::router())
        .merge(campaigns::router())
        .merge(hotspots::router())
        .merge(incidents::router())
        .merge(people::router())
        .merge(alerts::router())
        .merge(heatmap::router())
        .merge(open311::router())
        .merge(reports::router())
        .merge(annex1::router())
        .merge(accountability::router())
        .merge(audit::router())
        .merge(push::router())
        .merge(notify::router())
        .merge(stations::router())
        .merge(routing::router())
        .merge(referrals::router())
        .merge(live::router())
        .merge(sightings::router())
        .merge(web::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(nul_guard::reject_nul))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response_owned()
        }))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .layer(axum::middleware::from_fn(headers::with_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::request_span)
                .on_response(
                    |res: &axum::http::Response<_>, latency: Duration, span: &tracing::Span| {
                        span.record("status", res.status().as_u16());
                        tracing::info!(latency_ms = latency.as_secs_f64() * 1e3, "response");
                    },
                ),
        )
        // Outermost: every answer, and the request's log span, carry the id.
        .layer(PropagateRequestIdLayer::new(headers::REQUEST_ID))
        .layer(SetRequestIdLayer::new(headers::REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(
            headers::drop_client_request_id,
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
