//! Logging in and out. Tokens are opaque, revocable and expire; repeated failures slow down.

pub mod cache;
pub mod current_user;
pub mod db;
pub mod password;
pub mod sessions;
pub mod throttle;
pub mod token;

use std::sync::LazyLock;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use mobile_api::{LoginRequest, LoginResponse, User};

pub use current_user::{CurrentUser, Use, live_session};
pub use password::hash as hash_password;
pub use token::{digest as token_digest, generate as new_token};

use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ClientAddr};
use crate::plumbing::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/logout-all", post(sessions::logout_all))
        .route("/api/v1/auth/password", post(sessions::change_password))
        .route("/api/v1/auth/me", get(me))
}

/// Verified against when the username is unknown, so that a miss costs as long as a hit.
static DECOY_HASH: LazyLock<String> =
    LazyLock::new(|| password::hash("decoy password").unwrap_or_default());

/// Longest username and password a login takes; longer ones are refused before any hashing.
pub const MAX_USERNAME: usize = 64;
pub const MAX_PASSWORD: usize = 256;
/// How long a login waits for a free hashing slot before it is told to come back.
const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Exchange a username and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "invalid_credentials", body = mobile_api::ErrorBody),
        (status = 422, description = "text_too_long: a username over 64 or a password over 256 characters", body = mobile_api::ErrorBody),
        (status = 429, description = "login_throttled: too many attempts for this account or from this address, or too many logins at once; see Retry-After", body = mobile_api::ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<ApiJson<LoginResponse>> {
    if req.username.chars().count() > MAX_USERNAME || req.password.chars().count() > MAX_PASSWORD {
        return Err(ApiError::unprocessable(
            "text_too_long",
            format!("a username has at most {MAX_USERNAME} characters, a password {MAX_PASSWORD}"),
        ));
    }
    let now = state.clock.now();
    // Counted before the password is checked, in the statement that reads the count: parallel
    // guesses each see the ones before them.
    let streaks = throttle::Streak::of(&req.username, address);
    let mut wait = None;
    for streak in &streaks {
        let (attempts, previous) =
            db::count_attempt(&state.db, streak, now, throttle::STREAK_WINDOW).await?;
        wait = wait.max(previous.and_then(|p| streak.wait(attempts - 1, p, now)));
    }
    if let Some(wait) = wait {
        return Err(ApiError::too_many_requests(
            "login_throttled",
            "too many login attempts for this account or from this address: wait before trying again",
            wait.num_seconds().max(1),
        ));
    }
    // Each hash takes a core and 19 MiB for a moment: no more of them at once than cores.
    let permit = tokio::time::timeout(HASH_WAIT, state.password_hashing.clone().acquire_owned())
        .await
        .ok()
        .and_then(|p| p.ok())
        .ok_or_else(|| {
            ApiError::too_many_requests(
                "login_throttled",
                "too many logins at once: try again in a moment",
                1,
            )
        })?;

    let row = db::login_row(&state.db, &req.username).await?;
    let stored = row
        .as_ref()
        .map_or_else(|| DECOY_HASH.clone(), |r| r.password_hash.clone());
    let password = req.password;
    let matches = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        password::verify(&password, &stored)
    })
    .await
    .map_err(anyhow::Error::new)?;
    let Some(row) = row.filter(|r| matches && !r.disabled) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "unknown username, wrong password, or a disabled account",
        ));
    };
    db::attempt_succeeded(&state.db, &streaks).await?;

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
