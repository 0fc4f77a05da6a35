//! A station's queue: what its duty officers must act on next.

use axum::extract::State;
use mobile_api::{Queue, QueueEntry, Role, Status};

use super::{db, view};
use crate::audit::{self, db::Kind};
use crate::auth::CurrentUser;
use crate::error::{ApiError, Result};
use crate::extract::{ApiJson, ApiPath};
use crate::scope::{self, Scope};
use crate::state::AppState;

/// Open referrals of a station, urgent first, then soonest deadline, with the time left.
#[utoipa::path(get, path = "/api/v1/stations/{code}/queue", tag = "duty", security(("bearer" = [])),
    params(("code" = String, Path, description = "station code")),
    responses((status = 200, body = Queue),
              (status = 403, description = "not this station's duty officer nor a supervisor", body = mobile_api::ErrorBody),
              (status = 404, description = "station_not_found", body = mobile_api::ErrorBody)))]
pub async fn station_queue(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<Queue>> {
    let directory = state.directory();
    if directory.station(&code).is_none() {
        return Err(ApiError::not_found(
            "station_not_found",
            format!("no station {code:?}"),
        ));
    }
    may_follow_queue(&state, &user, &code).await?;
    let now = state.clock.now();
    let scope = Scope::referrals(&user);
    let reader = db::Reader {
        scope: &scope,
        personal: scope::sees_personal_referral_fields(&user),
    };
    let rows = db::queue(&state.db, &code, reader).await?;
    let shown = rows
        .iter()
        .filter(|r| view::carries_personal(r))
        .map(|r| r.id);
    let via = "/api/v1/stations/{code}/queue";
    audit::shown_to(&state, &user, Kind::Referral, shown, via).await?;
    let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
    let mut duplicates = super::duplicates_of(&state, &ids).await?;
    let entries = rows
        .into_iter()
        .map(|row| {
            let actions = view::allowed_actions(&user, &row)?;
            let found = duplicates.remove(&row.id).unwrap_or_default();
            let mut referral = view::to_wire(row, &directory, None)?;
            referral.possible_duplicates = Some(found);
            referral.allowed_actions = Some(actions);
            let (kind, deadline) = match referral.status {
                Status::Routed => (Some("accept"), Some(referral.accept_by)),
                Status::Accepted | Status::EnRoute => {
                    (Some("on_scene"), Some(referral.on_scene_by))
                }
                _ => (None, None),
            };
            let seconds_left = deadline.map(|d| (d - now).num_seconds());
            Ok(QueueEntry {
                deadline_kind: kind.map(str::to_owned),
                deadline,
                seconds_left,
                overdue: seconds_left.is_some_and(|s| s < 0),
                referral,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ApiJson(Queue {
        station: code,
        generated_at: now,
        entries,
    }))
}

/// The station's own duty officers, city supervisors, and supervisors of a county the station
/// serves may follow its queue (which then shows them their county's referrals only).
pub async fn may_follow_queue(state: &AppState, user: &CurrentUser, code: &str) -> Result<()> {
    let allowed = match (user.role, &user.county_code) {
        (Role::Duty, _) => user.is_duty_of(code),
        (Role::Supervisor, None) => true,
        (Role::Supervisor, Some(county)) => {
            db::station_serves_county(&state.db, code, county).await?
        }
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only the station's duty officers and its supervisors follow its queue",
        ))
    }
}
