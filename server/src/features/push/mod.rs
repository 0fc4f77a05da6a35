//! Web push to duty officers: the VAPID key, browsers' subscriptions, the outbox and its sender.

pub mod db;
pub mod endpoints;
pub mod outbox;
pub mod sender;
pub mod vapid;

pub use db::summary;
pub use outbox::{Audience, enqueue, enqueue_untied, payload, routed_insert};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mobile_api::{
    PushSubscriptionCreated, PushSubscriptionRequest, PushUnsubscribe, VapidPublicKey,
};
use uuid::Uuid;

use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath};
use crate::plumbing::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/push/vapid-public-key", get(vapid_public_key))
        .route(
            "/api/v1/push/subscriptions",
            post(subscribe).delete(unsubscribe),
        )
        .route("/api/v1/push/subscriptions/{id}", delete(unsubscribe_by_id))
}

/// The server's VAPID public key, for `pushManager.subscribe({applicationServerKey})`.
#[utoipa::path(get, path = "/api/v1/push/vapid-public-key", tag = "push",
    responses((status = 200, body = VapidPublicKey)))]
pub async fn vapid_public_key(State(state): State<AppState>) -> ApiJson<VapidPublicKey> {
    ApiJson(VapidPublicKey {
        public_key: state.vapid().public_key.clone(),
    })
}

/// Store this browser's push subscription for the logged-in officer.
#[utoipa::path(post, path = "/api/v1/push/subscriptions", tag = "push", security(("bearer" = [])),
    request_body = PushSubscriptionRequest,
    responses((status = 201, body = PushSubscriptionCreated),
              (status = 422, description = "invalid_subscription", body = mobile_api::ErrorBody)))]
pub async fn subscribe(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(req): ApiJson<PushSubscriptionRequest>,
) -> Result<(StatusCode, ApiJson<PushSubscriptionCreated>)> {
    validate(state.push_policy(), &req)?;
    let id = db::upsert_subscription(
        &state.db,
        user.id,
        &req.endpoint,
        &req.keys.p256dh,
        &req.keys.auth,
    )
    .await?;
    tracing::info!(user_id = %user.id, subscription_id = %id, "push subscription stored");
    Ok((StatusCode::CREATED, ApiJson(PushSubscriptionCreated { id })))
}

/// Remove this browser's subscription (by endpoint).
#[utoipa::path(delete, path = "/api/v1/push/subscriptions", tag = "push", security(("bearer" = [])),
    request_body = PushUnsubscribe,
    responses((status = 204), (status = 404, description = "subscription_not_found", body = mobile_api::ErrorBody)))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(req): ApiJson<PushUnsubscribe>,
) -> Result<StatusCode> {
    gone(db::delete_by_endpoint(&state.db, user.id, &req.endpoint).await?)
}

/// Remove a subscription by id.
#[utoipa::path(delete, path = "/api/v1/push/subscriptions/{id}", tag = "push", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, description = "subscription_not_found", body = mobile_api::ErrorBody)))]
pub async fn unsubscribe_by_id(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode> {
    gone(db::delete_by_id(&state.db, user.id, id).await?)
}

fn gone(removed: u64) -> Result<StatusCode> {
    if removed == 0 {
        Err(ApiError::not_found(
            "subscription_not_found",
            "no such subscription of yours",
        ))
    } else {
        Ok(StatusCode::NO_CONTENT)
    }
}

fn validate(policy: &endpoints::Policy, req: &PushSubscriptionRequest) -> Result<()> {
    let invalid = |m: &str| ApiError::unprocessable("invalid_subscription", m.to_owned());
    if req.endpoint.len() > 2048 {
        return Err(invalid("endpoint is longer than 2048 characters"));
    }
    policy.check(&req.endpoint).map_err(invalid)?;
    let decoded = |s: &str| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok();
    if decoded(&req.keys.p256dh).is_none_or(|k| k.len() != 65) {
        return Err(invalid(
            "keys.p256dh must be a base64url 65-byte P-256 public key",
        ));
    }
    if decoded(&req.keys.auth).is_none_or(|k| k.len() != 16) {
        return Err(invalid("keys.auth must be a base64url 16-byte secret"));
    }
    Ok(())
}
