//! Family tracing (寻亲): which of the notice's steps were taken for a person and when (L30–31:
//! notices, DNA sampling, face search, media). Only that a step was taken and its outcome: no
//! photos, biometrics or DNA data are stored.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::{DateTime, Utc};
use mobile_api::{NewTracingStep, Role, TracingStep};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{db, find};
use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath};
use crate::plumbing::state::AppState;
use crate::rules::idempotent::{self, Fingerprint};
use crate::rules::intake::{self, MAX_TEXT};
use crate::rules::wire;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/people/{id}/tracing", post(record_step))
}

fn to_wire(r: db::tracing::StepRow) -> anyhow::Result<TracingStep> {
    Ok(TracingStep {
        id: r.id,
        step: wire::parse(&r.step)?,
        at: r.at,
        note: r.note,
        recorded_by: r.recorded_by,
    })
}

pub async fn steps_of(state: &AppState, person: Uuid) -> Result<Vec<TracingStep>> {
    db::tracing::steps_of(&state.db, person)
        .await?
        .into_iter()
        .map(|r| to_wire(r).map_err(ApiError::from))
        .collect()
}

#[derive(Serialize)]
struct StepHash<'a> {
    person: Uuid,
    step: &'a str,
    at: DateTime<Utc>,
    note: &'a Option<String>,
}

/// Record a tracing step (duty officers, supervisors in scope). Idempotent by `id`.
#[utoipa::path(post, path = "/api/v1/people/{id}/tracing", tag = "people", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewTracingStep,
    responses((status = 201, body = TracingStep), (status = 200, description = "the same id and body again", body = TracingStep),
              (status = 404, description = "person_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "id_conflict", body = mobile_api::ErrorBody),
              (status = 422, description = "time_in_future, text_too_long", body = mobile_api::ErrorBody)))]
pub async fn record_step(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewTracingStep>,
) -> Result<(StatusCode, ApiJson<TracingStep>)> {
    user.require(&[Role::Duty, Role::Supervisor])?;
    find(&state, &user, id).await?;
    let now = state.clock.now();
    intake::past_time("at", body.at, now)?;
    let note = intake::text("note", body.note, MAX_TEXT)?;
    let step = wire::name(&body.step);
    let hash = intake::request_hash(&StepHash {
        person: id,
        step: &step,
        at: body.at,
        note: &note,
    });
    let mut tx = state.db.begin().await?;
    let inserted = db::tracing::insert_step(
        &mut tx,
        &db::tracing::NewStep {
            id: body.id,
            person: id,
            step: &step,
            at: body.at,
            note: note.as_deref(),
            recorded_by: user.id,
            recorded_at: now,
            request_hash: &hash,
        },
    )
    .await?;
    if inserted {
        db::event(
            &mut tx,
            id,
            "tracing",
            Some(user.id),
            now,
            json!({ "step": step }),
        )
        .await?;
    }
    tx.commit().await?;
    let row = db::tracing::step(&state.db, body.id).await?;
    let stored =
        (!inserted).then(|| Fingerprint::new(row.recorded_by_id, row.request_hash.clone()));
    let status = idempotent::status(
        stored.as_ref(),
        &Fingerprint::new(user.id, hash),
        "tracing step",
    )?;
    super::shown(&state, &user, id, "/api/v1/people/{id}/tracing").await?;
    Ok((status, ApiJson(to_wire(row)?)))
}
