//! The at-risk register (易流浪走失人员信息库): a person registered for a township is revisited
//! every `XUNJIU_REVISIT_DAYS` ([`super::schedule`]) until a supervisor ends the entry, no sooner
//! than `XUNJIU_REVISIT_PERIOD_DAYS` after it began.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use mobile_api::{EndSchedule, NewRegisterEntry, RegisterEntry, Role};
use serde_json::json;
use uuid::Uuid;

use super::db::{self};
use super::find;
use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath};
use crate::plumbing::state::AppState;
use crate::rules::intake::{self, MAX_SHORT_TEXT, MAX_TEXT};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/people/{id}/register", post(register))
        .route("/api/v1/people/{id}/register/end", post(end_register))
        .route(
            "/api/v1/people/{id}/revisits",
            post(super::revisits::record_revisit),
        )
        .route("/api/v1/revisits/due", get(super::schedule::due_revisits))
}

pub(crate) async fn township_exists(state: &AppState, code: &str) -> Result<()> {
    let known = db::register::township_known(&state.db, code).await?;
    known.then_some(()).ok_or_else(|| {
        ApiError::unprocessable(
            "unknown_township",
            "township_code is not a township of Tai'an (GET /api/v1/townships)",
        )
    })
}

/// A person's register entries, oldest first.
pub async fn entries(state: &AppState, person: Uuid) -> Result<Vec<RegisterEntry>> {
    let rows = db::register::entries_of(&state.db, person).await?;
    let every = state.settings.revisit_every();
    let period = state.settings.revisit_period();
    Ok(rows
        .into_iter()
        .map(|r| RegisterEntry {
            next_revisit_due: r
                .ended_at
                .is_none()
                .then(|| r.last_at.unwrap_or(r.registered_at) + every),
            may_end_from: r.registered_at + period,
            id: r.id,
            reason: r.reason,
            township_code: r.township_code,
            township: r.township,
            village: r.village,
            registered_at: r.registered_at,
            registered_by: r.registered_by,
            ended_at: r.ended_at,
            end_reason: r.end_reason,
        })
        .collect())
}

/// Put a person on the at-risk register (supervisors, duty officers in scope); revisits are due
/// from now on.
#[utoipa::path(post, path = "/api/v1/people/{id}/register", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewRegisterEntry,
    responses((status = 201, body = RegisterEntry), (status = 404, description = "person_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "already_registered", body = mobile_api::ErrorBody),
              (status = 422, description = "unknown_township, reason_required", body = mobile_api::ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewRegisterEntry>,
) -> Result<(StatusCode, ApiJson<RegisterEntry>)> {
    user.require(&[Role::Supervisor, Role::Duty])?;
    find(&state, &user, id).await?;
    let reason = intake::text("reason", Some(body.reason), MAX_TEXT)?.ok_or_else(|| {
        ApiError::unprocessable("reason_required", "say why the person is registered")
    })?;
    let village = intake::text("village", body.village, MAX_SHORT_TEXT)?;
    township_exists(&state, &body.township_code).await?;
    let now = state.clock.now();
    let entry = Uuid::new_v4();
    let mut tx = state.db.begin().await?;
    let inserted = db::register::insert_entry(
        &mut tx,
        &db::register::NewEntry {
            id: entry,
            person: id,
            reason: &reason,
            township_code: &body.township_code,
            village: village.as_deref(),
            registered_by: user.id,
            registered_at: now,
        },
    )
    .await?;
    if !inserted {
        return Err(ApiError::conflict(
            "already_registered",
            "the person is on the register already",
        ));
    }
    db::event(
        &mut tx,
        id,
        "registered",
        Some(user.id),
        now,
        json!({ "township_code": body.township_code }),
    )
    .await?;
    tx.commit().await?;
    let entry = entries(&state, id)
        .await?
        .into_iter()
        .find(|e| e.id == entry)
        .ok_or_else(|| anyhow::anyhow!("register entry vanished"))?;
    super::shown(&state, &user, id, "/api/v1/people/{id}/register").await?;
    Ok((StatusCode::CREATED, ApiJson(entry)))
}

/// End a person's register entry with a reason (supervisors in scope), once its period is over.
#[utoipa::path(post, path = "/api/v1/people/{id}/register/end", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = EndSchedule,
    responses((status = 200, body = RegisterEntry), (status = 404, description = "person_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "not_registered", body = mobile_api::ErrorBody),
              (status = 422, description = "too_early_to_end, reason_required", body = mobile_api::ErrorBody)))]
pub async fn end_register(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<EndSchedule>,
) -> Result<ApiJson<RegisterEntry>> {
    user.require(&[Role::Supervisor])?;
    find(&state, &user, id).await?;
    let reason = intake::text("reason", Some(body.reason), MAX_TEXT)?
        .ok_or_else(|| ApiError::unprocessable("reason_required", "say why the entry ends"))?;
    let now = state.clock.now();
    let open = entries(&state, id)
        .await?
        .into_iter()
        .find(|e| e.ended_at.is_none())
        .ok_or_else(|| {
            ApiError::conflict("not_registered", "the person has no open register entry")
        })?;
    if now < open.may_end_from {
        return Err(ApiError::unprocessable(
            "too_early_to_end",
            format!(
                "revisits run for at least {} days from registration",
                state.settings.revisit_period_days
            ),
        ));
    }
    let mut tx = state.db.begin().await?;
    db::register::end_entry(&mut tx, open.id, user.id, &reason, now).await?;
    db::event(&mut tx, id, "register_ended", Some(user.id), now, json!({})).await?;
    tx.commit().await?;
    let entry = entries(&state, id)
        .await?
        .into_iter()
        .find(|e| e.id == open.id)
        .ok_or_else(|| anyhow::anyhow!("register entry vanished"))?;
    super::shown(&state, &user, id, "/api/v1/people/{id}/register/end").await?;
    Ok(ApiJson(entry))
}
