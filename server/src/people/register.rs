//! The at-risk register (易流浪走失人员信息库): a person registered for a township is revisited
//! every `XUNJIU_REVISIT_DAYS` ([`super::schedule`]) until a supervisor ends the entry, no sooner
//! than `XUNJIU_REVISIT_PERIOD_DAYS` after it began.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use mobile_api::{EndSchedule, NewRegisterEntry, RegisterEntry, Role};
use serde_json::json;
use uuid::Uuid;

use super::db::{self};
use super::find;
use crate::auth::CurrentUser;
use crate::error::{ApiError, Result};
use crate::extract::{ApiJson, ApiPath};
use crate::intake::{self, MAX_SHORT_TEXT, MAX_TEXT};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/people/{id}/register", post(register))
        .route("/api/v1/people/{id}/register/end", post(end_register))
        .route(
            "/api/v1/people/{id}/revisits",
            post(super::revisits::record_revisit),
        )
        .route("/api/v1/revisits/due", get(super::schedule::due_revisits))
        .route("/api/v1/register.csv", get(super::roster::roster_csv))
        .route("/api/v1/register.xlsx", get(super::roster::roster_xlsx))
}

pub(crate) async fn township_exists(state: &AppState, code: &str) -> Result<()> {
    let known: bool = sqlx::query_scalar("select exists (select 1 from townships where code = $1)")
        .bind(code)
        .fetch_one(&state.db)
        .await?;
    known.then_some(()).ok_or_else(|| {
        ApiError::unprocessable(
            "unknown_township",
            "township_code is not a township of Tai'an (GET /api/v1/townships)",
        )
    })
}

#[derive(Debug, sqlx::FromRow)]
struct EntryRow {
    id: Uuid,
    reason: String,
    township_code: String,
    township: String,
    village: Option<String>,
    registered_at: DateTime<Utc>,
    registered_by: String,
    ended_at: Option<DateTime<Utc>>,
    end_reason: Option<String>,
    last_at: Option<DateTime<Utc>>,
}

/// A person's register entries, oldest first.
pub async fn entries(state: &AppState, person: Uuid) -> Result<Vec<RegisterEntry>> {
    let rows: Vec<EntryRow> = sqlx::query_as(
        "select e.id, e.reason, e.township_code, t.name as township, e.village, e.registered_at,
                u.username as registered_by, e.ended_at, e.end_reason,
                (select max(v.at) from revisits v where v.person_id = e.person_id and v.at >= e.registered_at) as last_at
         from register_entries e join townships t on t.code = e.township_code
         join users u on u.id = e.registered_by
         where e.person_id = $1 order by e.registered_at, e.id",
    )
    .bind(person)
    .fetch_all(&state.db)
    .await?;
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
    let inserted = sqlx::query(
        "insert into register_entries (id, person_id, reason, township_code, village, registered_by, registered_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (person_id) where ended_at is null do nothing",
    )
    .bind(entry)
    .bind(id)
    .bind(&reason)
    .bind(&body.township_code)
    .bind(&village)
    .bind(user.id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
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
    sqlx::query("update register_entries set ended_at = $2, ended_by = $3, end_reason = $4 where id = $1 and ended_at is null")
        .bind(open.id)
        .bind(now)
        .bind(user.id)
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
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
