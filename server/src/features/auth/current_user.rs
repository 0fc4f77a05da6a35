//! The `CurrentUser` extractor: a handler that takes one answers 401 without a live token.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use mobile_api::User;

use super::{db, token};
use crate::plumbing::error::ApiError;
use crate::plumbing::state::AppState;
pub use crate::rules::account::CurrentUser;
use crate::rules::wire;

impl TryFrom<(db::UserRow, Vec<u8>)> for CurrentUser {
    type Error = anyhow::Error;

    fn try_from((row, token_hash): (db::UserRow, Vec<u8>)) -> anyhow::Result<Self> {
        Ok(Self {
            account: User {
                id: row.id,
                username: row.username,
                role: wire::parse(&row.role)?,
                station: row.station_code,
                agency: row.agency.as_deref().map(wire::parse).transpose()?,
                unit: row.unit,
                county_code: row.county_code,
                channel: row.channel,
                township_code: row.township_code,
            },
            token_hash,
        })
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "send `Authorization: Bearer <token>` (POST /api/v1/auth/login)",
                )
            })?;
        let token_hash = token::digest(token);
        let session = live_session(state, &token_hash, Use::Request)
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized("the token is unknown, expired or revoked: log in again")
            })?;
        Ok(CurrentUser::try_from((session.user, token_hash))?)
    }
}

/// A session's use is written when the last one written is older than this: one write per
/// session every few minutes, not one per request.
pub const TOUCH_AFTER: chrono::Duration = chrono::Duration::minutes(5);

/// Whether a look at the session is someone using it (a request) or the server checking that
/// it still works (an open queue stream), which must not keep it from going idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Request,
    Check,
}

/// The live session of a token: from the session cache when it holds it, else from the
/// database (and then cached). A session idle for `XUNJIU_SESSION_IDLE_HOURS` is not live.
pub async fn live_session(
    state: &AppState,
    token_hash: &[u8],
    using: Use,
) -> sqlx::Result<Option<db::SessionRow>> {
    let now = state.clock.now();
    let idle = state.settings.session_idle();
    let generation = state.sessions().generation();
    let mut session = match state.sessions().get(token_hash, now) {
        Some(session) => Some(session),
        None => {
            let session = db::session_user(&state.db, token_hash, now, idle).await?;
            if let Some(session) = &session {
                state
                    .sessions()
                    .put(token_hash.to_vec(), session.clone(), now, generation);
            }
            session
        }
    };
    if let Some(s) = &mut session {
        if now - s.last_used_at >= idle {
            return Ok(None);
        }
        if using == Use::Request && now - s.last_used_at >= TOUCH_AFTER {
            db::touch_session(&state.db, token_hash, now).await?;
            s.last_used_at = now;
            state
                .sessions()
                .put(token_hash.to_vec(), s.clone(), now, generation);
        }
    }
    Ok(session)
}
