//! The rescue-station directory (Annex 2) and the county-level areas.

pub mod changes;
pub mod db;

pub use db::{area_exists, station_exists};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use mobile_api::StationList;

use crate::plumbing::error::Result;
use crate::plumbing::extract::ApiJson;
use crate::plumbing::state::AppState;
use crate::rules::geojson::{self, GeoJson};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/stations", get(list_stations))
        .route("/api/v1/stations.geojson", get(stations_geojson))
        .route("/api/v1/areas.geojson", get(areas_geojson))
        .route(
            "/api/v1/stations/{code}",
            axum::routing::patch(changes::patch_station),
        )
        .route(
            "/api/v1/stations/{code}/history",
            get(changes::station_history),
        )
        .route(
            "/api/v1/stations/{code}/reroute-preview",
            get(changes::reroute_preview),
        )
}

/// List the rescue stations with their addresses and phones.
#[utoipa::path(get, path = "/api/v1/stations", tag = "stations",
    responses((status = 200, body = StationList)))]
pub async fn list_stations(State(state): State<AppState>) -> ApiJson<StationList> {
    let directory = state.directory();
    let stations = directory
        .stations()
        .iter()
        .map(|s| s.station.clone())
        .collect();
    ApiJson(StationList { stations })
}

/// The rescue stations as a GeoJSON FeatureCollection of points.
#[utoipa::path(get, path = "/api/v1/stations.geojson", tag = "stations",
    responses((status = 200, description = "RFC 7946 FeatureCollection", content_type = "application/geo+json", body = mobile_api::StationCollection)))]
pub async fn stations_geojson(State(state): State<AppState>) -> GeoJson {
    let directory = state.directory();
    let stations: Vec<_> = directory
        .stations()
        .iter()
        .map(|s| s.station.clone())
        .collect();
    geojson::collection_of(stations, |s| (s.lat, s.lon))
}

/// The county-level areas (code, name, responsible station) as a GeoJSON FeatureCollection.
#[utoipa::path(get, path = "/api/v1/areas.geojson", tag = "stations",
    responses((status = 200, description = "RFC 7946 FeatureCollection of MultiPolygons", content_type = "application/geo+json", body = mobile_api::AreaCollection)))]
pub async fn areas_geojson(State(state): State<AppState>) -> Result<GeoJson> {
    Ok(GeoJson(db::areas_geojson(&state.db).await?))
}
