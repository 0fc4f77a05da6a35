//! `GET /tiles/{layer}/{z}/{x}/{y}.mvt`: the heat-map as Mapbox Vector Tiles, encoded by
//! PostGIS (`ST_AsMVT`). A tile reads only the cells that reach into it, each counted whole, so
//! a cell cut by a tile edge carries the same count in every tile it touches.

use std::f64::consts::PI;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use h3o::Resolution;

use super::{Cell, MapQuery, MapSpec, aggregate, cells};
use crate::auth::CurrentUser;
use crate::error::{ApiError, Result};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

/// The cell size that suits a zoom level.
pub fn resolution_for_zoom(z: u32) -> Resolution {
    match z {
        0..=8 => Resolution::Six,
        9..=10 => Resolution::Seven,
        11..=12 => Resolution::Eight,
        _ => Resolution::Nine,
    }
}

/// West, south, east, north of a Web Mercator tile, in degrees.
pub fn tile_bounds(z: u32, x: u32, y: u32) -> (f64, f64, f64, f64) {
    let n = f64::from(1u32 << z);
    let lon = |x: f64| x / n * 360.0 - 180.0;
    let lat = |y: f64| (PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
    (
        lon(f64::from(x)),
        lat(f64::from(y + 1)),
        lon(f64::from(x + 1)),
        lat(f64::from(y)),
    )
}

/// Vector tile of heat-map cells (layer named after `layer`, properties `cell`, `count`,
/// `people`, and `special_count` for duty officers and supervisors); the heat-map's rules of
/// who sees what.
#[utoipa::path(get, path = "/tiles/{layer}/{z}/{x}/{y}.mvt", tag = "maps", security(("bearer" = [])),
    params(("layer" = String, Path, description = "sightings or referrals"), ("z" = u32, Path), ("x" = u32, Path), ("y" = u32, Path), MapQuery),
    responses((status = 200, description = "Mapbox Vector Tile", content_type = "application/vnd.mapbox-vector-tile"),
              (status = 400, description = "invalid_tile, invalid_layer", body = mobile_api::ErrorBody),
              (status = 422, description = "window_too_short", body = mobile_api::ErrorBody)))]
pub async fn heatmap_tile(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((layer, z, x, y_mvt)): ApiPath<(String, u32, u32, String)>,
    ApiQuery(mut query): ApiQuery<MapQuery>,
) -> Result<Response> {
    let y: u32 = y_mvt
        .strip_suffix(".mvt")
        .and_then(|y| y.parse().ok())
        .ok_or_else(|| {
            ApiError::not_found("not_found", "tiles are /tiles/{layer}/{z}/{x}/{y}.mvt")
        })?;
    if z > 22 || x >= (1u32 << z) || y >= (1u32 << z) {
        return Err(ApiError::bad_request(
            "invalid_tile",
            "z is 0 to 22, and x and y below 2^z",
        ));
    }
    query.layer = Some(layer);
    query.bbox = None;
    query.cell_m = None;
    let mut spec = MapSpec::for_reader(&query, state.clock.now(), &user)?;
    spec.resolution = resolution_for_zoom(z);
    // Tiles zoomed out past this many cells read the whole map, as cheap as walking them.
    spec.cells = cells::covering(spec.resolution, tile_bounds(z, x, y), 20_000);
    let cells: Vec<Cell> = aggregate(&state, &spec).await?;
    let tile = super::db::tile((z, x, y), spec.layer, &cells, !spec.coarse, state.reads()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile"),
            // Counts move as reports arrive; a minute of staleness is fine for a map, and the
            // answer depends on who asks.
            (header::CACHE_CONTROL, "private, max-age=60"),
            (header::VARY, "Authorization"),
        ],
        tile,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_bounds_follow_web_mercator() {
        let (w, s, e, n) = tile_bounds(0, 0, 0);
        assert!((w + 180.0).abs() < 1e-9 && (e - 180.0).abs() < 1e-9);
        assert!((n - 85.0511).abs() < 1e-3 && (s + 85.0511).abs() < 1e-3);
        // Tai'an (36.2 N, 117.1 E) is in tile 8/211/100.
        let (w, s, e, n) = tile_bounds(8, 211, 100);
        assert!(w <= 117.1 && 117.1 <= e && s <= 36.2 && 36.2 <= n);
    }
}
