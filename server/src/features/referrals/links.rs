//! One case, many reports: the same person reported by 110, by 12345 and by a patrol is one case
//! with a primary referral. A member leaves the queue, its deadlines stop, and it ends with the
//! primary: its resolution and closing are the primary's, each with an event of its own, so
//! every ticket is answered on its own channel.

use axum::extract::State;
use chrono::{DateTime, Utc};
use mobile_api::{LinkBody, Referral, Role, Status};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Answer, db, read};
use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath};
use crate::plumbing::state::AppState;
use crate::rules::scope::Scope;
use crate::rules::wire;

/// Make this referral a member of the case of `to` (of `to`'s primary, if `to` is a member).
#[utoipa::path(post, path = "/api/v1/referrals/{id}/link", tag = "duty", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = LinkBody,
    responses((status = 200, description = "the member, now in the case", body = Referral),
              (status = 403, description = "not a duty officer of a station holding either, nor a supervisor", body = mobile_api::ErrorBody),
              (status = 404, description = "referral_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "invalid_link: the same case, one of them ended or awaiting a transfer, or the referral has members of its own", body = mobile_api::ErrorBody)))]
pub async fn link(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<LinkBody>,
) -> Result<ApiJson<Referral>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let target = lock_visible(&mut tx, &user, body.to).await?;
    let primary = match target.case_id {
        Some(primary) => lock_visible(&mut tx, &user, primary).await?,
        None => target,
    };
    let member = lock_visible(&mut tx, &user, id).await?;
    may_link(&user, &member, &primary)?;
    let refused = |why: &str| Err(ApiError::conflict("invalid_link", why.to_owned()));
    if member.id == primary.id || member.case_id == Some(primary.id) {
        return refused("these referrals are one case already");
    }
    if [&member, &primary].iter().any(|r| ended(r)) {
        return refused("a referral that has ended cannot join or take a case");
    }
    if member.pending_transfer {
        return refused("this referral awaits a transfer's acceptance: settle that first");
    }
    if !db::members(&mut *tx, member.id).await?.is_empty() {
        return refused("this referral has reports linked to it: unlink them first");
    }
    db::set_case(&mut tx, member.id, Some(primary.id), now, None).await?;
    let role = wire::name(&user.role);
    let on_behalf = user.station.as_deref();
    let note = format!("case of {}", primary.id);
    event(
        &mut tx, member.id, "linked", &user, &role, on_behalf, &note, now,
    )
    .await?;
    let note = format!("joined by {}", member.id);
    event(
        &mut tx, primary.id, "link", &user, &role, on_behalf, &note, now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(referral_id = %member.id, case = %primary.id, "referral linked into a case");
    Ok(ApiJson(read(&state, &user, id, Answer::Step).await?))
}

/// Take this referral out of its case while the case is open; its deadlines start again.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/unlink", tag = "duty", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Referral),
              (status = 403, body = mobile_api::ErrorBody),
              (status = 404, description = "referral_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "invalid_link: not in a case, or the case has ended", body = mobile_api::ErrorBody)))]
pub async fn unlink(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Referral>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let member = lock_visible(&mut tx, &user, id).await?;
    let Some(primary_id) = member.case_id else {
        return Err(ApiError::conflict(
            "invalid_link",
            "this referral is not linked into a case",
        ));
    };
    let primary = lock_visible(&mut tx, &user, primary_id).await?;
    may_link(&user, &member, &primary)?;
    if ended(&primary) || ended(&member) {
        return Err(ApiError::conflict(
            "invalid_link",
            "the case has ended: its reports stay together",
        ));
    }
    // Its deadline to be accepted starts again: the time it spent in the case is not its delay.
    let priority = wire::parse(&member.priority).map_err(ApiError::from)?;
    let accept_by = (member.status == wire::name(&Status::Routed))
        .then(|| now + state.settings.accept_within(priority));
    db::set_case(&mut tx, member.id, None, now, accept_by).await?;
    let role = wire::name(&user.role);
    let on_behalf = user.station.as_deref();
    let note = format!("left case {}", primary.id);
    event(
        &mut tx, member.id, "unlinked", &user, &role, on_behalf, &note, now,
    )
    .await?;
    let note = format!("left by {}", member.id);
    event(
        &mut tx, primary.id, "unlink", &user, &role, on_behalf, &note, now,
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(read(&state, &user, id, Answer::Step).await?))
}

/// A referral the user may see, locked; otherwise as absent as one that does not exist.
async fn lock_visible(conn: &mut PgConnection, user: &CurrentUser, id: Uuid) -> Result<db::Row> {
    db::lock(conn, id, &Scope::referrals(user))
        .await?
        .ok_or_else(super::not_found)
}

/// Duty officers of a station holding either referral, and supervisors.
fn may_link(user: &CurrentUser, a: &db::Row, b: &db::Row) -> Result<()> {
    let holds =
        |r: &db::Row| user.is_duty_of(&r.station_code) || user.is_duty_of(&r.accountable_station);
    if user.role == Role::Supervisor || holds(a) || holds(b) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "duty officers of a station holding one of them, and supervisors, link reports",
        ))
    }
}

fn ended(r: &db::Row) -> bool {
    matches!(r.status.as_str(), "resolved" | "closed")
}

#[allow(clippy::too_many_arguments)]
async fn event(
    conn: &mut PgConnection,
    referral_id: Uuid,
    kind: &str,
    user: &CurrentUser,
    role: &str,
    station: Option<&str>,
    note: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    db::append_event(
        conn,
        &db::NewEvent {
            referral_id,
            kind,
            actor_id: Some(user.id),
            actor_role: role,
            station_code: station,
            from_status: None,
            to_status: None,
            note: Some(note),
            at,
            location: None,
            target_station: None,
            outcome: None,
        },
    )
    .await?;
    Ok(())
}

/// The primary `primary` has just been resolved or closed (`status`): its open members follow,
/// each with its own event, in the same transaction.
pub async fn end_members(
    conn: &mut PgConnection,
    primary: Uuid,
    status: &str,
    outcome: Option<&str>,
    user: &CurrentUser,
    role: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let members = db::lock_members(conn, primary, status).await?;
    let kind = if status == "closed" {
        "closed"
    } else {
        "resolved"
    };
    for m in members {
        let outcome = outcome.map(str::to_owned).or(m.outcome.clone());
        db::update_step(
            conn,
            m.id,
            &db::Step {
                status: status.to_owned(),
                station_code: m.accountable_station.clone(),
                accountable_station: m.accountable_station.clone(),
                pending_transfer: false,
                pre_transfer_status: None,
                outcome: outcome.clone(),
                new_accept_by: None,
            },
            now,
        )
        .await?;
        let note = format!("with case {primary}");
        db::append_event(
            conn,
            &db::NewEvent {
                referral_id: m.id,
                kind,
                actor_id: Some(user.id),
                actor_role: role,
                station_code: Some(&m.accountable_station),
                from_status: Some(&m.status),
                to_status: Some(status),
                note: Some(&note),
                at: now,
                location: None,
                target_station: None,
                outcome: outcome.as_deref(),
            },
        )
        .await?;
    }
    Ok(())
}
