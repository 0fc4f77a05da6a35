//! The hotspot registry (桥梁涵洞, 地下通道, 热力管线, 废弃房屋, 火车站 …) and patrol check-ins.

pub mod checkins;
pub mod db;
pub mod proposal_db;
pub mod proposals;

pub use db::Row as HotspotRow;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use mobile_api::{Hotspot, HotspotChange, HotspotKind, HotspotList, NewHotspot, Role};
use serde::Deserialize;
use uuid::Uuid;

use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiJson, ApiPath, ApiQuery};
use crate::plumbing::state::AppState;
use crate::rules::geo::GeoPoint;
use crate::rules::geojson::{self, GeoJson};
use crate::rules::intake;
use crate::rules::wire;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/hotspots", get(list_hotspots).post(create_hotspot))
        .route("/api/v1/hotspots.geojson", get(hotspots_geojson))
        .route(
            "/api/v1/hotspots/{id}",
            get(get_hotspot).patch(update_hotspot),
        )
        .route(
            "/api/v1/hotspots/{id}/checkins",
            post(checkins::create_checkin),
        )
        .route(
            "/api/v1/hotspots/proposals",
            get(proposals::list_proposals).post(proposals::create_proposal),
        )
        .route(
            "/api/v1/hotspots/proposals/{id}",
            get(proposals::get_proposal),
        )
        .route(
            "/api/v1/hotspots/proposals/{id}/approve",
            post(proposals::approve),
        )
        .route(
            "/api/v1/hotspots/proposals/{id}/reject",
            post(proposals::reject),
        )
}

pub fn to_wire(row: db::Row) -> anyhow::Result<Hotspot> {
    Ok(Hotspot {
        id: row.id,
        name: row.name,
        kind: wire::parse(&row.kind)?,
        county: row.county_name,
        county_code: row.county_code,
        lat: row.lat,
        lon: row.lon,
        active: row.active,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `true` or `false`; both when absent.
    #[param(value_type = Option<bool>)]
    active: Option<String>,
    /// Six-digit county code.
    county: Option<String>,
    /// A hotspot kind.
    kind: Option<String>,
}

/// Registered hotspots (every logged-in role).
#[utoipa::path(get, path = "/api/v1/hotspots", tag = "hotspots", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = HotspotList), (status = 400, body = mobile_api::ErrorBody)))]
pub async fn list_hotspots(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<ApiJson<HotspotList>> {
    Ok(ApiJson(HotspotList {
        hotspots: list(&state, &query).await?,
    }))
}

/// The hotspots as GeoJSON points.
#[utoipa::path(get, path = "/api/v1/hotspots.geojson", tag = "hotspots", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "RFC 7946 FeatureCollection", content_type = "application/geo+json", body = mobile_api::HotspotCollection)))]
pub async fn hotspots_geojson(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<GeoJson> {
    Ok(geojson::collection_of(list(&state, &query).await?, |h| {
        (h.lat, h.lon)
    }))
}

async fn list(state: &AppState, query: &ListQuery) -> Result<Vec<Hotspot>> {
    let active = match query.active.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "active is true or false",
            ));
        }
    };
    let kind = query
        .kind
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|k| {
            wire::parse::<HotspotKind>(k)
                .map_err(|_| ApiError::bad_request("invalid_query", "unknown hotspot kind"))
        })
        .transpose()?
        .map(|k| wire::name(&k));
    let county = query.county.as_deref().filter(|s| !s.is_empty());
    db::list(&state.db, active, county, kind.as_deref())
        .await?
        .into_iter()
        .map(|r| to_wire(r).map_err(ApiError::from))
        .collect()
}

/// One hotspot.
#[utoipa::path(get, path = "/api/v1/hotspots/{id}", tag = "hotspots", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Hotspot), (status = 404, description = "hotspot_not_found", body = mobile_api::ErrorBody)))]
pub async fn get_hotspot(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Hotspot>> {
    Ok(ApiJson(to_wire(find(&state, id).await?)?))
}

pub(crate) async fn find(state: &AppState, id: Uuid) -> Result<db::Row> {
    db::get(&state.db, id).await?.ok_or_else(hotspot_not_found)
}

fn hotspot_not_found() -> ApiError {
    ApiError::not_found("hotspot_not_found", "no hotspot with this id")
}

/// A county supervisor places hotspots in their own county only.
pub(crate) fn within_county(user: &CurrentUser, county: Option<&str>) -> Result<()> {
    match user.county_code.as_deref() {
        Some(own) if county != Some(own) => Err(ApiError::unprocessable(
            "outside_county",
            "this place lies outside your county",
        )),
        _ => Ok(()),
    }
}

pub(crate) fn hotspot_name(name: String) -> Result<String> {
    intake::text("name", Some(name), 200)?
        .ok_or_else(|| ApiError::unprocessable("name_required", "give the hotspot a name"))
}

/// Register a hotspot (supervisors). Its county is the area its point lies in.
#[utoipa::path(post, path = "/api/v1/hotspots", tag = "hotspots", security(("bearer" = [])), request_body = NewHotspot,
    responses((status = 201, body = Hotspot), (status = 403, body = mobile_api::ErrorBody),
              (status = 422, description = "outside_service_area, name_required", body = mobile_api::ErrorBody)))]
pub async fn create_hotspot(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(req): ApiJson<NewHotspot>,
) -> Result<(StatusCode, ApiJson<Hotspot>)> {
    user.require(&[Role::Supervisor])?;
    let name = hotspot_name(req.name)?;
    let (point, _) = intake::location(&req.location)?;
    let county = county_of(&state, point)?;
    within_county(&user, county.as_deref())?;
    let id = Uuid::new_v4();
    let mut tx = state.db.begin().await?;
    let original = intake::original(&req.location);
    crate::rules::geo::crs::keep(&mut tx, "hotspot", id, original, state.clock.now()).await?;
    db::upsert(
        &mut tx,
        db::Write::Upsert,
        &db::NewHotspot {
            id,
            name: &name,
            kind: &wire::name(&req.kind),
            point,
            county_code: county.as_deref(),
            active: true,
        },
    )
    .await?;
    tx.commit().await?;
    state.reload_directory().await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(to_wire(find(&state, id).await?)?),
    ))
}

/// Rename, move, re-kind or retire (`active: false`) a hotspot (supervisors). Its history stays.
#[utoipa::path(patch, path = "/api/v1/hotspots/{id}", tag = "hotspots", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = HotspotChange,
    responses((status = 200, body = Hotspot), (status = 403, body = mobile_api::ErrorBody),
              (status = 404, body = mobile_api::ErrorBody), (status = 422, body = mobile_api::ErrorBody)))]
pub async fn update_hotspot(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(change): ApiJson<HotspotChange>,
) -> Result<ApiJson<Hotspot>> {
    user.require(&[Role::Supervisor])?;
    let current = find(&state, id).await?;
    // A county supervisor edits their county's hotspots; others' are not there for them.
    if user.county_code.is_some() && current.county_code != user.county_code {
        return Err(hotspot_not_found());
    }
    let name = change
        .name
        .map(hotspot_name)
        .transpose()?
        .unwrap_or(current.name);
    let kind = change.kind.map_or(current.kind, |k| wire::name(&k));
    let (point, county) = match change.location {
        Some(loc) => {
            let (p, _) = intake::location(&loc)?;
            (p, county_of(&state, p)?)
        }
        None => (
            GeoPoint::new(current.lat, current.lon)?,
            current.county_code,
        ),
    };
    within_county(&user, county.as_deref())?;
    let active = change.active.unwrap_or(current.active);
    let mut tx = state.db.begin().await?;
    let original = change.location.as_ref().and_then(intake::original);
    crate::rules::geo::crs::keep(&mut tx, "hotspot", id, original, state.clock.now()).await?;
    db::upsert(
        &mut tx,
        db::Write::Upsert,
        &db::NewHotspot {
            id,
            name: &name,
            kind: &kind,
            point,
            county_code: county.as_deref(),
            active,
        },
    )
    .await?;
    tx.commit().await?;
    state.reload_directory().await?;
    Ok(ApiJson(to_wire(find(&state, id).await?)?))
}

pub(crate) fn county_of(state: &AppState, point: GeoPoint) -> Result<Option<String>> {
    let directory = state.directory();
    let routed = directory.route(point)?;
    Ok(routed.area.map(|a| a.area.code.clone()))
}
