//! The duty steps: accept (签收), en route, on scene, resolve, close, transfer, refuse a
//! transfer. Each locks the referral row, checks the rules, updates it and appends one event,
//! in one transaction.

use axum::extract::State;
use mobile_api::{
    Location, Referral, RefuseTransferBody, ResolveBody, Status, StepBody, TransferBody,
};
use uuid::Uuid;

use super::lifecycle::{self, Action, Snapshot};
use super::{Answer, db, read};
use crate::features::auth::CurrentUser;
use crate::features::push::{self, Audience};
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath, OptionalJson};
use crate::plumbing::state::AppState;
use crate::rules::events::{self, Event};
use crate::rules::geo::GeoPoint;
use crate::rules::intake::{self, MAX_TEXT};
use crate::rules::scope::Scope;
use crate::rules::wire;

/// Accept (签收) a referral routed or transferred to your station.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/accept", tag = "duty", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = StepBody, description = "optional"),
    responses((status = 200, body = Referral),
              (status = 403, description = "another station's referral", body = mobile_api::ErrorBody),
              (status = 404, description = "referral_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "invalid_transition: names the current state", body = mobile_api::ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    OptionalJson(body): OptionalJson<StepBody>,
) -> Result<ApiJson<Referral>> {
    step(&state, &user, id, Action::Accept, body.note, body.location).await
}

/// Staff are on their way.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/en-route", tag = "duty", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = StepBody, description = "optional"),
    responses((status = 200, body = Referral), (status = 403, body = mobile_api::ErrorBody),
              (status = 409, description = "invalid_transition", body = mobile_api::ErrorBody)))]
pub async fn en_route(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    OptionalJson(body): OptionalJson<StepBody>,
) -> Result<ApiJson<Referral>> {
    step(&state, &user, id, Action::EnRoute, body.note, body.location).await
}

/// Staff have reached the person.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/on-scene", tag = "duty", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = StepBody, description = "optional"),
    responses((status = 200, body = Referral), (status = 403, body = mobile_api::ErrorBody),
              (status = 409, description = "invalid_transition", body = mobile_api::ErrorBody)))]
pub async fn on_scene(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    OptionalJson(body): OptionalJson<StepBody>,
) -> Result<ApiJson<Referral>> {
    step(&state, &user, id, Action::OnScene, body.note, body.location).await
}

/// Record how the referral ended.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/resolve", tag = "duty", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ResolveBody,
    responses((status = 200, body = Referral), (status = 403, body = mobile_api::ErrorBody),
              (status = 409, description = "invalid_transition", body = mobile_api::ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ResolveBody>,
) -> Result<ApiJson<Referral>> {
    step(
        &state,
        &user,
        id,
        Action::Resolve(body.outcome),
        body.note,
        body.location,
    )
    .await
}

/// Close a resolved referral (the accountable station, or a supervisor).
#[utoipa::path(post, path = "/api/v1/referrals/{id}/close", tag = "duty", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = StepBody, description = "optional"),
    responses((status = 200, body = Referral), (status = 403, body = mobile_api::ErrorBody),
              (status = 409, description = "invalid_transition", body = mobile_api::ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    OptionalJson(body): OptionalJson<StepBody>,
) -> Result<ApiJson<Referral>> {
    step(&state, &user, id, Action::Close, body.note, body.location).await
}

/// Hand a referral to another station; yours stays accountable until that station accepts.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/transfer", tag = "duty", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = TransferBody,
    responses((status = 200, body = Referral), (status = 403, body = mobile_api::ErrorBody),
              (status = 409, description = "invalid_transition", body = mobile_api::ErrorBody),
              (status = 422, description = "unknown_station, invalid_transfer, reason_required", body = mobile_api::ErrorBody)))]
pub async fn transfer(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<TransferBody>,
) -> Result<ApiJson<Referral>> {
    if state.directory().station(&body.to_station).is_none() {
        return Err(ApiError::unprocessable(
            "unknown_station",
            format!("no station {:?}", body.to_station),
        ));
    }
    let reason = required_reason(body.reason)?;
    let note = format!("to {}: {reason}", body.to_station);
    step(
        &state,
        &user,
        id,
        Action::Transfer {
            to: body.to_station,
        },
        Some(note),
        None,
    )
    .await
}

/// Refuse a transfer to your station; the referral goes back to the accountable station.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/refuse-transfer", tag = "duty", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RefuseTransferBody,
    responses((status = 200, body = Referral), (status = 403, body = mobile_api::ErrorBody),
              (status = 409, description = "invalid_transition", body = mobile_api::ErrorBody),
              (status = 422, description = "reason_required", body = mobile_api::ErrorBody)))]
pub async fn refuse_transfer(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RefuseTransferBody>,
) -> Result<ApiJson<Referral>> {
    let reason = required_reason(body.reason)?;
    step(
        &state,
        &user,
        id,
        Action::RefuseTransfer,
        Some(reason),
        None,
    )
    .await
}

fn required_reason(reason: String) -> Result<String> {
    intake::text("reason", Some(reason), MAX_TEXT)?
        .ok_or_else(|| ApiError::unprocessable("reason_required", "give a reason"))
}

async fn step(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    action: Action,
    note: Option<String>,
    location: Option<Location>,
) -> Result<ApiJson<Referral>> {
    let note = intake::text("note", note, MAX_TEXT)?;
    let location: Option<GeoPoint> = location
        .as_ref()
        .map(intake::location)
        .transpose()?
        .map(|(p, _)| p);
    let now = state.clock.now();

    let mut tx = state.db.begin().await?;
    // A referral outside the officer's scope is as absent as one that does not exist.
    let row = db::lock(&mut tx, id, &Scope::referrals(user))
        .await?
        .ok_or_else(super::not_found)?;
    let current = snapshot(&row)?;
    let change = lifecycle::apply(&current, &action, user)?;
    let next = &change.next;
    let priority = wire::parse(&row.priority).map_err(ApiError::from)?;
    let outcome = match &action {
        Action::Resolve(outcome) => Some(wire::name(outcome)),
        _ => None,
    };
    db::update_step(
        &mut tx,
        id,
        &db::Step {
            status: wire::name(&next.status),
            station_code: next.station.clone(),
            accountable_station: next.accountable.clone(),
            pending_transfer: next.pending_transfer,
            pre_transfer_status: next.pre_transfer_status.as_ref().map(wire::name),
            outcome: outcome.clone(),
            new_accept_by: change
                .restart_accept_clock
                .then(|| now + state.settings.accept_within(priority)),
        },
        now,
    )
    .await?;
    let note = match (&outcome, note) {
        (Some(o), Some(n)) => Some(format!("outcome {o}: {n}")),
        (Some(o), None) => Some(format!("outcome {o}")),
        (None, n) => n,
    };
    let (from, to) = (wire::name(&current.status), wire::name(&next.status));
    let role = wire::name(&user.role);
    let target = match &action {
        Action::Transfer { to } => Some(to.as_str()),
        _ => None,
    };
    // The station on whose behalf the step is taken: the officer's own, or for a supervisor's
    // transfer or closing, the station that answers for the referral.
    let on_behalf_of = user
        .station
        .clone()
        .unwrap_or_else(|| current.accountable.clone());
    db::append_event(
        &mut tx,
        &db::NewEvent {
            referral_id: id,
            kind: action.event_kind(),
            actor_id: Some(user.id),
            actor_role: &role,
            station_code: Some(&on_behalf_of),
            from_status: Some(&from),
            to_status: Some(&to),
            note: note.as_deref(),
            at: now,
            location,
            target_station: target,
            outcome: outcome.as_deref(),
        },
    )
    .await?;
    // A case ends as one: its members take the primary's resolution and closing.
    if matches!(action, Action::Resolve(_) | Action::Close) {
        super::links::end_members(&mut tx, id, &to, outcome.as_deref(), user, &role, now).await?;
    }
    // A person escorted home goes into the returnee ledger (返乡人员信息台账), on this event.
    if matches!(action, Action::Resolve(_)) {
        let resolved = Event::Resolved {
            referral_id: id,
            outcome: outcome.as_deref(),
            actor: user.id,
        };
        events::emit(&mut tx, &resolved, now).await?;
    }
    if let Action::Transfer { to } = &action {
        let payload = push::payload(
            "referral_transferred",
            id,
            to,
            &row.priority,
            "转来转介 Transferred referral",
            &format!("from {}: accept or refuse", current.accountable),
        );
        let audience = Audience {
            duty_stations: vec![to.clone()],
            ..Audience::default()
        };
        push::enqueue(&mut tx, &audience, id, &payload, now).await?;
    }
    tx.commit().await?;
    tracing::info!(referral_id = %id, step = action.event_kind(), status = %to, "referral step");
    Ok(ApiJson(read(state, user, id, Answer::Step).await?))
}

pub(crate) fn snapshot(row: &db::Row) -> anyhow::Result<Snapshot> {
    Ok(Snapshot {
        status: wire::parse::<Status>(&row.status)?,
        station: row.station_code.clone(),
        accountable: row.accountable_station.clone(),
        pending_transfer: row.pending_transfer,
        pre_transfer_status: row
            .pre_transfer_status
            .as_deref()
            .map(wire::parse)
            .transpose()?,
        handover: row.kind == wire::name(&mobile_api::ReferralKind::Handover),
        case_member: row.case_id.is_some(),
    })
}
