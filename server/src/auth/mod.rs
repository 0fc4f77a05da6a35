//! Logging in and out. Tokens are opaque, revocable and expire; repeated failures slow down.

pub mod cache;
pub mod current_user;
pub mod db;
pub mod password;
pub mod throttle;
pub mod token;

use std::sync::LazyLock;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use mobile_api::{LoginRequest, LoginResponse, User};

pub use current_user::CurrentUser;

use crate::error::{ApiError, Result};
use crate::extract::ApiJson;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/me", get(me))
}

/// Verified against when the username is unknown, so that a miss costs as long as a hit.
static DECOY_HASH: LazyLock<String> =
    LazyLock::new(|| password::hash("decoy password").unwrap_or_default());

/// Exchange a username and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "invalid_credentials", body = mobile_api::ErrorBody),
        (status = 429, description = "login_throttled: too many failures; see Retry-After", body = mobile_api::ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<ApiJson<LoginResponse>> {
    let now = state.clock.now();
    if let Some((failures, last)) = db::login_failures(&state.db, &req.username).await?
        && let Some(wait) = throttle::wait(failures, last, now)
    {
        return Err(ApiError::too_many_requests(
            "login_throttled",
            "too many failed logins for this account: wait before trying again",
            wait.num_seconds().max(1),
        ));
    }

    let row = db::login_row(&state.db, &req.username).await?;
    let stored = row
        .as_ref()
        .map_or_else(|| DECOY_HASH.clone(), |r| r.password_hash.clone());
    let password = req.password;
    let matches = tokio::task::spawn_blocking(move || password::verify(&password, &stored))
        .await
        .map_err(anyhow::Error::new)?;
    let Some(row) = row.filter(|r| matches && !r.disabled) else {
        db::record_login_failure(&state.db, &req.username, now, throttle::STREAK_WINDOW).await?;
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "unknown username, wrong password, or a disabled account",
        ));
    };
    db::clear_login_failures(&state.db, &req.username).await?;

    let token = token::generate();
    let token_hash = token::digest(&token);
    let expires_at = now + state.settings.token_ttl();
    db::create_session(&state.db, &token_hash, row.user.id, now, expires_at).await?;
    let user = CurrentUser::try_from((row.user, token_hash))?;
    tracing::info!(user_id = %user.id, "logged in");
    Ok(ApiJson(LoginResponse {
        token,
        expires_at,
        user: user.to_wire(),
    }))
}

/// Revoke the token this request carries.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "revoked"), (status = 401, body = mobile_api::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, user: CurrentUser) -> Result<StatusCode> {
    db::revoke_session(&state.db, &user.token_hash, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account behind the token.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = mobile_api::ErrorBody)))]
pub async fn me(user: CurrentUser) -> ApiJson<User> {
    ApiJson(user.to_wire())
}
