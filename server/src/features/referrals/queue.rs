//! A station's queue: what its duty officers must act on next.

use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mobile_api::{Queue, QueueEntry, Role, Status};
use serde::Deserialize;

use super::{db, view};
use crate::features::audit::{self, Kind};
use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath, ApiQuery};
use crate::plumbing::state::AppState;
use crate::rules::scope::{self, Scope};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Entries a page, 1 to 1000 (default 1000).
    #[param(value_type = Option<i64>)]
    limit: Option<String>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
}

fn cursor_of(row: &db::Row) -> String {
    let deadline = match row.status.as_str() {
        "routed" => Some(row.accept_by),
        "accepted" | "en_route" => Some(row.on_scene_by),
        _ => None,
    };
    let key = db::QueueKey {
        rank: if row.priority == "urgent" { 0 } else { 1 },
        deadline,
        received_at: row.received_at,
        id: row.id,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&key).unwrap_or_default())
}

fn parse_cursor(text: &str) -> Result<db::QueueKey> {
    URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            ApiError::bad_request("invalid_cursor", "cursor is not one this server gave")
        })
}

/// Open referrals of a station, urgent first, then soonest deadline, with the time left; in
/// pages of `limit`, each naming the `next_cursor` while more follow.
#[utoipa::path(get, path = "/api/v1/stations/{code}/queue", tag = "duty", security(("bearer" = [])),
    params(("code" = String, Path, description = "station code"), QueueQuery),
    responses((status = 200, body = Queue),
              (status = 400, description = "invalid_page, invalid_cursor", body = mobile_api::ErrorBody),
              (status = 403, description = "not this station's duty officer nor a supervisor", body = mobile_api::ErrorBody),
              (status = 404, description = "station_not_found", body = mobile_api::ErrorBody)))]
pub async fn station_queue(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> Result<ApiJson<Queue>> {
    let limit = match query.limit.as_deref().filter(|s| !s.is_empty()) {
        None => 1000,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| ApiError::bad_request("invalid_page", "limit is 1 to 1000"))?,
    };
    let after = query
        .cursor
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(parse_cursor)
        .transpose()?;
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
        person: scope::reads_people(&user),
    };
    let rows = db::queue(&state.db, &code, reader, after.as_ref(), limit).await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(cursor_of))
        .flatten();
    let shown = rows
        .iter()
        .filter(|r| view::carries_personal(r))
        .map(|r| r.id);
    let via = "/api/v1/stations/{code}/queue";
    audit::shown_to(&state, &user, Kind::Referral, shown, via).await?;
    let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
    let mut duplicates = super::duplicates_of(&state.db, &state, &ids).await?;
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
        next_cursor,
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
