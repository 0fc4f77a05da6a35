//! Liveness that means something: the service is healthy when its database answers.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::plumbing::error::ApiError;
use crate::plumbing::state::AppState;

/// 200 when the database answers within two seconds, 503 `database_unavailable` otherwise.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "database answers"),
              (status = 503, description = "database_unavailable", body = mobile_api::ErrorBody)))]
pub async fn healthz(State(state): State<AppState>) -> Response {
    let ping = crate::plumbing::db::ping(&state.db);
    match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => Json(json!({"status": "ok", "database": "up"})).into_response(),
        _ => ApiError::DatabaseUnavailable.into_response(),
    }
}
