//! An account's own sessions: changing the password (every other session ends) and logging out
//! everywhere (a phone lost, a password seen).

use axum::extract::State;
use axum::http::StatusCode;
use mobile_api::PasswordChange;

use super::{CurrentUser, MAX_PASSWORD, db, password, throttle};
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ClientAddr};
use crate::plumbing::state::AppState;

/// The shortest password an account may have.
pub const MIN_PASSWORD: usize = 8;

/// Change one's own password; every other session of the account ends, this one stays.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 204, description = "changed; the account's other sessions are revoked"),
              (status = 401, body = mobile_api::ErrorBody),
              (status = 422, description = "wrong_password, weak_password (under 8 characters), text_too_long", body = mobile_api::ErrorBody),
              (status = 429, description = "login_throttled: too many wrong passwords", body = mobile_api::ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientAddr(address): ClientAddr,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<StatusCode> {
    if req.current.chars().count() > MAX_PASSWORD || req.new.chars().count() > MAX_PASSWORD {
        return Err(ApiError::unprocessable(
            "text_too_long",
            format!("a password has at most {MAX_PASSWORD} characters"),
        ));
    }
    if req.new.chars().count() < MIN_PASSWORD {
        return Err(ApiError::unprocessable(
            "weak_password",
            format!("a password has at least {MIN_PASSWORD} characters"),
        ));
    }
    // A stolen token must not become a way to guess the password: the same streaks as a login.
    let now = state.clock.now();
    let streaks = throttle::Streak::of(&user.username, address);
    for streak in &streaks {
        let (attempts, previous) =
            db::count_attempt(&state.db, streak, now, throttle::STREAK_WINDOW).await?;
        if let Some(wait) = previous.and_then(|p| streak.wait(attempts - 1, p, now)) {
            return Err(ApiError::too_many_requests(
                "login_throttled",
                "too many wrong passwords: wait before trying again",
                wait.num_seconds().max(1),
            ));
        }
    }
    let stored = db::password_hash(&state.db, user.id).await?;
    let (current, new) = (req.current, req.new);
    let permit = state
        .password_hashing
        .clone()
        .acquire_owned()
        .await
        .map_err(anyhow::Error::new)?;
    let hashed = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        password::verify(&current, &stored)
            .then(|| password::hash(&new))
            .transpose()
    })
    .await
    .map_err(anyhow::Error::new)??;
    let Some(hashed) = hashed else {
        return Err(ApiError::unprocessable(
            "wrong_password",
            "the current password is not right",
        ));
    };
    db::attempt_succeeded(&state.db, &streaks).await?;
    let mut tx = state.db.begin().await?;
    db::set_password_hash(&mut *tx, user.id, &hashed).await?;
    let revoked = db::revoke_sessions_of(&mut *tx, user.id, Some(&user.token_hash), now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, revoked, "password changed");
    Ok(StatusCode::NO_CONTENT)
}

/// Log out everywhere: every session of the account ends, this one included.
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "every session of the account revoked"),
              (status = 401, body = mobile_api::ErrorBody)))]
pub async fn logout_all(State(state): State<AppState>, user: CurrentUser) -> Result<StatusCode> {
    let revoked = db::revoke_sessions_of(&state.db, user.id, None, state.clock.now()).await?;
    tracing::info!(user_id = %user.id, revoked, "logged out everywhere");
    Ok(StatusCode::NO_CONTENT)
}
