//! Nearest-station routing: every report and referral goes to the nearest rescue station.

pub mod db;
pub mod directory;

use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use mobile_api::Route;
use serde::Deserialize;

pub use crate::rules::geo::{GeoPoint, crs};
pub use directory::{Directory, Placement, area_ref};

use crate::plumbing::error::Result;
use crate::plumbing::extract::{ApiJson, ApiQuery};
use crate::plumbing::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/route", get(get_route))
}

/// `lat`/`lon` arrive as text so that a missing or non-numeric value gets `invalid_coordinates`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RouteQuery {
    /// Latitude, WGS84 degrees.
    #[param(value_type = f64)]
    lat: Option<String>,
    /// Longitude, WGS84 degrees.
    #[param(value_type = f64)]
    lon: Option<String>,
    /// The datum of `lat`/`lon`: `wgs84` (default), `gcj02` or `bd09`.
    crs: Option<String>,
}

/// A `crs` query parameter: absent or empty is WGS84, an unknown name `400 invalid_crs`.
pub fn crs_param(text: Option<&str>) -> Result<Option<crs::Crs>> {
    match text.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(name) => crs::parse(name)
            .map(Some)
            .ok_or_else(crate::rules::intake::invalid_crs),
    }
}

/// Find the nearest rescue station to a point, and the county-level area the point lies in.
#[utoipa::path(
    get, path = "/api/v1/route", tag = "stations", params(RouteQuery),
    responses(
        (status = 200, body = Route),
        (status = 400, description = "invalid_coordinates, invalid_crs", body = mobile_api::ErrorBody),
        (status = 422, description = "outside_service_area", body = mobile_api::ErrorBody),
    )
)]
pub async fn get_route(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RouteQuery>,
) -> Result<ApiJson<Route>> {
    let sent = GeoPoint::parse(query.lat.as_deref(), query.lon.as_deref())?;
    let point =
        crate::rules::intake::position(sent.lat(), sent.lon(), crs_param(query.crs.as_deref())?)?;
    let directory = state.directory();
    Ok(ApiJson(directory.route(point)?.into()))
}

/// The channel a change to the directory (stations, areas, hotspots) is announced on; every
/// server reloads its copy when it hears it.
pub const DIRECTORY_CHANNEL: &str = "xunjiu_directory";

/// The directory's part in [`crate::plumbing::notifications`]: reload on every announcement and after
/// every reconnect.
pub fn listener() -> crate::plumbing::notifications::Listener {
    crate::plumbing::notifications::Listener {
        channel: DIRECTORY_CHANNEL,
        notified: |state, _| Box::pin(async move { state.reload_directory_logged().await }),
        connected: |state| Box::pin(async move { state.reload_directory_logged().await }),
        lost: |_| {},
    }
}

impl AppState {
    /// The current directory snapshot.
    pub fn directory(&self) -> Arc<Directory> {
        self.part::<Arc<ArcSwap<Directory>>>().load_full()
    }

    /// Read the directory again from the database.
    pub async fn reload_directory(&self) -> anyhow::Result<()> {
        let directory = db::load(&self.db).await?;
        self.part::<Arc<ArcSwap<Directory>>>()
            .store(Arc::new(directory));
        Ok(())
    }

    /// Reload the directory, logging rather than failing.
    pub async fn reload_directory_logged(&self) {
        match self.reload_directory().await {
            Ok(()) => tracing::info!("station directory loaded"),
            Err(err) => tracing::warn!(error = format!("{err:#}"), "directory reload failed"),
        }
    }
}
