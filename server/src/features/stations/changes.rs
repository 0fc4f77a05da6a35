//! Correcting a station's point, address or phone (admins, city supervisors), each change kept
//! with who, when and the source; and, before a move is saved, which recent reports it would
//! have sent elsewhere. Routing uses a saved point at once, on every server (the directory's
//! reload notification); `xunjiu seed` leaves a corrected station as the operator left it.

use std::collections::BTreeMap;

use axum::extract::State;
use mobile_api::{
    RerouteMove, ReroutePreview, Role, Station, StationChange, StationChangeRecord, StationHistory,
};
use serde::Deserialize;

use super::db;
use crate::features::auth::CurrentUser;
use crate::features::routing::{self, GeoPoint};
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath, ApiQuery};
use crate::plumbing::notifications;
use crate::plumbing::state::AppState;
use crate::rules::intake::{self, MAX_SHORT_TEXT};

fn may_correct(user: &CurrentUser) -> Result<()> {
    let city_supervisor = user.role == Role::Supervisor && user.county_code.is_none();
    if city_supervisor || user.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "stations are corrected by admins and city supervisors",
        ))
    }
}

fn unknown_station() -> ApiError {
    ApiError::not_found("station_not_found", "no station with this code")
}

/// Correct a station: its point (in any `crs`), address or phone, with a required `source`.
#[utoipa::path(patch, path = "/api/v1/stations/{code}", tag = "stations", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = StationChange,
    responses((status = 200, body = Station),
              (status = 400, description = "invalid_coordinates, invalid_crs", body = mobile_api::ErrorBody),
              (status = 403, description = "admins and city supervisors", body = mobile_api::ErrorBody),
              (status = 404, description = "station_not_found", body = mobile_api::ErrorBody),
              (status = 422, description = "source_required, outside_service_area, text_too_long, nothing_to_change", body = mobile_api::ErrorBody)))]
pub async fn patch_station(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(code): ApiPath<String>,
    ApiJson(change): ApiJson<StationChange>,
) -> Result<ApiJson<Station>> {
    may_correct(&user)?;
    let current = state
        .directory()
        .station(&code)
        .map(|s| s.station.clone())
        .ok_or_else(unknown_station)?;
    let source = intake::text("source", Some(change.source), MAX_SHORT_TEXT)?.ok_or_else(|| {
        ApiError::unprocessable("source_required", "say where the correction comes from")
    })?;
    let address = intake::text("address", change.address, MAX_SHORT_TEXT)?;
    let phone = intake::text("phone", change.phone, 40)?;
    let point = match &change.location {
        Some(loc) => {
            let (p, _) = intake::location(loc)?;
            // A station outside the service area would route nothing sensible.
            state.directory().route(p)?;
            Some(p)
        }
        None => None,
    };
    if point.is_none() && address.is_none() && phone.is_none() {
        return Err(ApiError::unprocessable(
            "nothing_to_change",
            "give a location, an address or a phone",
        ));
    }
    let original = change.location.as_ref().and_then(intake::original);
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let correction = db::Correction {
        code: &code,
        by: user.id,
        source: &source,
        point: point.map(|p| (p.lat(), p.lon())),
        was_at: (current.lat, current.lon),
        sent: original.map(|o| (o.crs_name(), o.lat, o.lon)),
        address: address.as_deref(),
        was_address: &current.address,
        phone: phone.as_deref(),
        was_phone: &current.phone,
    };
    db::correct(&mut tx, &correction, now).await?;
    notifications::announce(&mut tx, routing::DIRECTORY_CHANNEL, "station").await?;
    tx.commit().await?;
    state.reload_directory().await?;
    ::tracing::info!(station = %code, moved = point.is_some(), "station corrected");
    let station = state
        .directory()
        .station(&code)
        .map(|s| s.station.clone())
        .ok_or_else(unknown_station)?;
    Ok(ApiJson(station))
}

/// Every correction of a station, oldest first (admins, city supervisors).
#[utoipa::path(get, path = "/api/v1/stations/{code}/history", tag = "stations", security(("bearer" = [])),
    params(("code" = String, Path)),
    responses((status = 200, body = StationHistory), (status = 404, description = "station_not_found", body = mobile_api::ErrorBody)))]
pub async fn station_history(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(code): ApiPath<String>,
) -> Result<ApiJson<StationHistory>> {
    may_correct(&user)?;
    state
        .directory()
        .station(&code)
        .ok_or_else(unknown_station)?;
    let rows = db::history(&state.db, &code).await?;
    Ok(ApiJson(StationHistory {
        station: code,
        changes: rows
            .into_iter()
            .map(|r| StationChangeRecord {
                at: r.changed_at,
                by: r.username,
                source: r.source,
                old_lat: r.old_lat,
                old_lon: r.old_lon,
                new_lat: r.new_lat,
                new_lon: r.new_lon,
                sent_crs: r.sent_crs,
                sent_lat: r.sent_lat,
                sent_lon: r.sent_lon,
                old_address: r.old_address,
                new_address: r.new_address,
                old_phone: r.old_phone,
                new_phone: r.new_phone,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    #[param(value_type = Option<f64>)]
    lat: Option<String>,
    #[param(value_type = Option<f64>)]
    lon: Option<String>,
    /// `wgs84` (default), `gcj02` or `bd09`.
    crs: Option<String>,
    /// How far back to look, 1 to 366 days (default 90).
    #[param(value_type = Option<i32>)]
    days: Option<String>,
}

/// Before a move is saved: how many referrals and sightings of the last `days` days would have
/// gone to another station had the station stood at `lat`/`lon`, and to which (admins, city
/// supervisors).
#[utoipa::path(get, path = "/api/v1/stations/{code}/reroute-preview", tag = "stations", security(("bearer" = [])),
    params(("code" = String, Path), PreviewQuery),
    responses((status = 200, body = ReroutePreview),
              (status = 400, description = "invalid_coordinates, invalid_crs, invalid_query", body = mobile_api::ErrorBody),
              (status = 404, description = "station_not_found", body = mobile_api::ErrorBody)))]
pub async fn reroute_preview(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<PreviewQuery>,
) -> Result<ApiJson<ReroutePreview>> {
    may_correct(&user)?;
    let now_dir = state.directory();
    now_dir.station(&code).ok_or_else(unknown_station)?;
    let sent = GeoPoint::parse(query.lat.as_deref(), query.lon.as_deref())?;
    let point = intake::position(
        sent.lat(),
        sent.lon(),
        routing::crs_param(query.crs.as_deref())?,
    )?;
    let days = match query.days.as_deref().filter(|s| !s.is_empty()) {
        None => 90,
        Some(d) => d
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=366).contains(d))
            .ok_or_else(|| ApiError::bad_request("invalid_query", "days is 1 to 366"))?,
    };
    let moved = now_dir.with_station_at(&code, point.lat(), point.lon());
    let since = state.clock.now() - chrono::Duration::days(days);
    let reports = db::positions_since(&state.db, since).await?;
    let mut moves: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    let (mut referrals, mut sightings) = (0, 0);
    let (mut sample_referrals, mut sample_sightings) = (Vec::new(), Vec::new());
    for (kind, id, lat, lon) in reports {
        let Ok(p) = GeoPoint::new(lat, lon) else {
            continue;
        };
        let (Ok(before), Ok(after)) = (now_dir.route(p), moved.route(p)) else {
            continue;
        };
        if before.station.station.code == after.station.station.code {
            continue;
        }
        let entry = moves
            .entry((
                before.station.station.code.clone(),
                after.station.station.code.clone(),
            ))
            .or_default();
        if kind == "referral" {
            entry.0 += 1;
            referrals += 1;
            if sample_referrals.len() < 10 {
                sample_referrals.push(id);
            }
        } else {
            entry.1 += 1;
            sightings += 1;
            if sample_sightings.len() < 10 {
                sample_sightings.push(id);
            }
        }
    }
    Ok(ApiJson(ReroutePreview {
        station: code,
        lat: point.lat(),
        lon: point.lon(),
        days,
        referrals,
        sightings,
        moves: moves
            .into_iter()
            .map(|((from, to), (r, s))| RerouteMove {
                from,
                to,
                referrals: r,
                sightings: s,
            })
            .collect(),
        sample_referrals,
        sample_sightings,
    }))
}
