//! Correcting a station's point, address or phone (admins, city supervisors), each change kept
//! with who, when and the source; and, before a move is saved, which recent reports it would
//! have sent elsewhere. Routing uses a saved point at once, on every server (the directory's
//! reload notification); `xunjiu seed` leaves a corrected station as the operator left it.

use std::collections::BTreeMap;

use axum::extract::State;
use chrono::{DateTime, Utc};
use mobile_api::{
    RerouteMove, ReroutePreview, Role, Station, StationChange, StationChangeRecord, StationHistory,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::features::auth::CurrentUser;
use crate::features::routing::{self, GeoPoint};
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath, ApiQuery};
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
    sqlx::query(
        "update stations set
             location = coalesce(st_setsrid(st_makepoint($2, $3), 4326)::geography, location),
             position_note = case when $2::float8 is null then position_note else 'corrected by an operator: ' || $6 end,
             position_error_m = case when $2::float8 is null then position_error_m end,
             address = coalesce($4, address), phone = coalesce($5, phone),
             corrected_at = $7, updated_at = $7
         where code = $1",
    )
    .bind(&code)
    .bind(point.map(GeoPoint::lon))
    .bind(point.map(GeoPoint::lat))
    .bind(&address)
    .bind(&phone)
    .bind(&source)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into station_changes (station_code, changed_by, changed_at, source, old_lat, old_lon, new_lat, new_lon,
                                      sent_crs, sent_lat, sent_lon, old_address, new_address, old_phone, new_phone)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&code)
    .bind(user.id)
    .bind(now)
    .bind(&source)
    .bind(point.map(|_| current.lat))
    .bind(point.map(|_| current.lon))
    .bind(point.map(GeoPoint::lat))
    .bind(point.map(GeoPoint::lon))
    .bind(original.map(|o| o.crs_name()))
    .bind(original.map(|o| o.lat))
    .bind(original.map(|o| o.lon))
    .bind(address.as_ref().map(|_| current.address.clone()))
    .bind(&address)
    .bind(phone.as_ref().map(|_| current.phone.clone()))
    .bind(&phone)
    .execute(&mut *tx)
    .await?;
    sqlx::query("select pg_notify($1, 'station')")
        .bind(routing::DIRECTORY_CHANNEL)
        .execute(&mut *tx)
        .await?;
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

#[derive(Debug, sqlx::FromRow)]
struct ChangeRow {
    changed_at: DateTime<Utc>,
    username: String,
    source: String,
    old_lat: Option<f64>,
    old_lon: Option<f64>,
    new_lat: Option<f64>,
    new_lon: Option<f64>,
    sent_crs: Option<String>,
    sent_lat: Option<f64>,
    sent_lon: Option<f64>,
    old_address: Option<String>,
    new_address: Option<String>,
    old_phone: Option<String>,
    new_phone: Option<String>,
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
    let rows: Vec<ChangeRow> = sqlx::query_as(
        "select c.changed_at, u.username, c.source, c.old_lat, c.old_lon, c.new_lat, c.new_lon, c.sent_crs,
                c.sent_lat, c.sent_lon, c.old_address, c.new_address, c.old_phone, c.new_phone
         from station_changes c join users u on u.id = c.changed_by
         where c.station_code = $1 order by c.id",
    )
    .bind(&code)
    .fetch_all(&state.db)
    .await?;
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
    let reports: Vec<(String, Uuid, f64, f64)> = sqlx::query_as(
        "select 'referral', id, st_y(location::geometry), st_x(location::geometry) from referrals where reported_at >= $1
         union all
         select 'sighting', id, st_y(location::geometry), st_x(location::geometry) from sightings where observed_at >= $1",
    )
    .bind(since)
    .fetch_all(&state.db)
    .await?;
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
