//! Patrol check-ins at hotspots, and at a proposed place its proposer is waiting on.

use axum::extract::State;
use axum::http::StatusCode;
use geo::{Distance, Geodesic, Point};
use mobile_api::{Checkin, Location, NewCheckin, Role};
use serde::Serialize;
use uuid::Uuid;

use super::{db, proposal_db};
use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath};
use crate::plumbing::state::AppState;
use crate::rules::idempotent::{self, Fingerprint};
use crate::rules::intake::{self, MAX_TEXT};
use crate::rules::season;

/// A check-in fix farther than this from the hotspot was not made at it.
pub const CHECKIN_RADIUS_M: f64 = 300.0;

/// What makes two check-ins "the same body".
#[derive(Serialize)]
struct CheckinHash<'a> {
    hotspot: Uuid,
    at: chrono::DateTime<chrono::Utc>,
    lat: f64,
    lon: f64,
    accuracy_m: Option<f64>,
    people_found: i64,
    items: &'a [mobile_api::ItemCount],
    notes: &'a Option<String>,
}

/// Where a check-in is made: a registered hotspot, or a place the officer proposed that is
/// still waiting for a supervisor (its check-ins count for the hotspot once approved).
struct Place {
    lat: f64,
    lon: f64,
}

async fn place(state: &AppState, user: &CurrentUser, id: Uuid) -> Result<Place> {
    if let Some(hotspot) = db::get(&state.db, id).await? {
        if !hotspot.active {
            return Err(ApiError::unprocessable(
                "hotspot_retired",
                "this hotspot has been retired",
            ));
        }
        return Ok(Place {
            lat: hotspot.lat,
            lon: hotspot.lon,
        });
    }
    match proposal_db::proposed_by(&state.db, id, user.id).await? {
        Some(p) if p.status == "pending" => Ok(Place {
            lat: p.lat,
            lon: p.lon,
        }),
        Some(_) => Err(ApiError::unprocessable(
            "proposal_rejected",
            "this proposed place was rejected: it is not a hotspot",
        )),
        None => Err(ApiError::not_found(
            "hotspot_not_found",
            "no hotspot with this id",
        )),
    }
}

/// Check in at a hotspot (patrol), or at a place the officer proposed that is still pending;
/// the fix must be within 300 m of it.
#[utoipa::path(post, path = "/api/v1/hotspots/{id}/checkins", tag = "hotspots", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NewCheckin,
    responses((status = 201, body = Checkin), (status = 200, description = "the same id and body again", body = Checkin),
              (status = 404, description = "hotspot_not_found", body = mobile_api::ErrorBody),
              (status = 409, description = "id_conflict", body = mobile_api::ErrorBody),
              (status = 422, description = "too_far_from_hotspot, hotspot_retired, proposal_rejected, time_in_future, time_too_old, invalid_people_count, invalid_item_count", body = mobile_api::ErrorBody)))]
pub async fn create_checkin(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(hotspot_id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<NewCheckin>,
) -> Result<(StatusCode, ApiJson<Checkin>)> {
    user.require(&[Role::Patrol])?;
    state.write_limiter.check(user.id)?;
    let now = state.clock.now();
    let hotspot = place(&state, &user, hotspot_id).await?;
    let (point, accuracy_m) = intake::location(&req.location)?;
    let original = intake::original(&req.location);
    let at = intake::event_time("at", req.at, now)?;
    if !(0..=200).contains(&req.people_found) {
        return Err(ApiError::unprocessable(
            "invalid_people_count",
            "people_found must be between 0 and 200",
        ));
    }
    let items = intake::items(req.items_given)?;
    let notes = intake::text("notes", req.notes, MAX_TEXT)?;
    let distance_m = Geodesic.distance(Point::from(point), Point::new(hotspot.lon, hotspot.lat));
    if distance_m > CHECKIN_RADIUS_M {
        return Err(ApiError::unprocessable(
            "too_far_from_hotspot",
            format!(
                "the fix is {distance_m:.0} m from the hotspot; check in within {CHECKIN_RADIUS_M:.0} m"
            ),
        ));
    }
    let hash = intake::request_hash(&CheckinHash {
        hotspot: hotspot_id,
        at,
        lat: point.lat(),
        lon: point.lon(),
        accuracy_m,
        people_found: req.people_found,
        items: &items,
        notes: &notes,
    });
    let mut tx = state.db.begin().await?;
    let inserted = db::insert_checkin(
        &mut tx,
        &db::NewCheckin {
            id: req.id,
            place_id: hotspot_id,
            officer_id: user.id,
            at,
            received_at: now,
            point,
            accuracy_m,
            distance_m,
            people_found: i32::try_from(req.people_found).unwrap_or(0),
            items_given: serde_json::to_value(&items).map_err(anyhow::Error::from)?,
            notes: notes.unwrap_or_default(),
            request_hash: hash.clone(),
        },
    )
    .await?;
    if inserted {
        crate::rules::geo::crs::keep(&mut tx, "checkin", req.id, original, now).await?;
    }
    tx.commit().await?;
    let row = db::get_checkin(&state.db, req.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("check-in {} vanished", req.id))?;
    // The hash covers the hotspot: the same id at another hotspot is a conflict.
    let stored = (!inserted).then(|| Fingerprint::new(row.officer_id, row.request_hash.clone()));
    let status = idempotent::status(
        stored.as_ref(),
        &Fingerprint::new(user.id, hash),
        "check-in",
    )?;
    Ok((status, ApiJson(checkin_to_wire(row)?)))
}

fn checkin_to_wire(row: db::CheckinRow) -> anyhow::Result<Checkin> {
    Ok(Checkin {
        id: row.id,
        hotspot_id: row.hotspot_id,
        at: row.at,
        received_at: row.received_at,
        location: Location {
            lat: row.lat,
            lon: row.lon,
            accuracy_m: row.accuracy_m,
            crs: None,
        },
        distance_m: row.distance_m,
        people_found: i64::from(row.people_found),
        items_given: serde_json::from_value(row.items_given)?,
        officer: row.officer,
        campaign: season::id_at(row.at),
    })
}
