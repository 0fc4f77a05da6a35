//! `GET /tiles/{layer}/{z}/{x}/{y}.mvt`: the heat-map as Mapbox Vector Tiles (version 2). A tile reads only the cells that reach into it, each counted whole, so
//! a cell cut by a tile edge carries the same count in every tile it touches.

use std::f64::consts::PI;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use h3o::Resolution;

use super::{Cell, MapQuery, MapSpec, aggregate, cells};
use crate::features::auth::CurrentUser;
use crate::plumbing::error::{ApiError, Result};
use crate::plumbing::extract::{ApiPath, ApiQuery};
use crate::plumbing::state::AppState;

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
    let tile = encode((z, x, y), spec.layer.name(), &cells, !spec.coarse);
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

/// Tile coordinates run 0 to this across a tile.
const EXTENT: u32 = 4096;
/// Cells reaching no further than this past the tile's edge are left out.
const BUFFER: f64 = 64.0;

/// The tile's Protocol Buffers: one layer named `layer`, a polygon per cell with `cell`,
/// `count`, `people` and, with `special`, `special_count`; nothing at all when no cell reaches
/// into it. Encoded here rather than by PostGIS: the outlines would have to travel to the
/// database and back, and a statement carrying tens of kilobytes of them stalled 40 ms on
/// TCP (Nagle's algorithm against delayed acknowledgements) in most tiles.
pub fn encode((z, x, y): (u32, u32, u32), layer: &str, cells: &[Cell], special: bool) -> Vec<u8> {
    use geozero::mvt::{Message, Tile, tile};
    let scale = f64::from(EXTENT) * f64::from(1u32 << z);
    let to_tile = |[lon, lat]: [f64; 2]| {
        let wx = (lon + 180.0) / 360.0 * scale;
        let wy = (1.0 - lat.to_radians().tan().asinh() / PI) / 2.0 * scale;
        (
            (wx - f64::from(x) * f64::from(EXTENT)).round(),
            (wy - f64::from(y) * f64::from(EXTENT)).round(),
        )
    };
    let int = |v: i64| tile::Value {
        int_value: Some(v),
        ..Default::default()
    };
    let mut keys = vec!["cell".to_owned(), "count".to_owned(), "people".to_owned()];
    if special {
        keys.push("special_count".to_owned());
    }
    let (mut features, mut values) = (Vec::new(), Vec::new());
    for c in cells {
        let mut ring: Vec<(f64, f64)> = cells::ring(c.cell).into_iter().map(to_tile).collect();
        ring.pop(); // the closing point: ClosePath draws that edge
        ring.dedup();
        let (lo, hi) = (-BUFFER, f64::from(EXTENT) + BUFFER);
        let outside = ring.iter().all(|p| p.0 < lo)
            || ring.iter().all(|p| p.0 > hi)
            || ring.iter().all(|p| p.1 < lo)
            || ring.iter().all(|p| p.1 > hi);
        if ring.len() < 3 || outside {
            continue;
        }
        // An exterior ring has a positive area in tile coordinates (y pointing down).
        let area: f64 = ring
            .iter()
            .zip(ring.iter().cycle().skip(1))
            .map(|(a, b)| a.0 * b.1 - b.0 * a.1)
            .sum();
        if area < 0.0 {
            ring.reverse();
        }
        let mut geometry = Vec::with_capacity(ring.len() * 2 + 3);
        let (mut px, mut py) = (0.0, 0.0);
        for (i, (vx, vy)) in ring.iter().enumerate() {
            match i {
                0 => geometry.push(command(1, 1)),
                1 => geometry.push(command(2, ring.len() - 1)),
                _ => {}
            }
            geometry.push(zigzag(vx - px));
            geometry.push(zigzag(vy - py));
            (px, py) = (*vx, *vy);
        }
        geometry.push(command(7, 1));
        let first = u32::try_from(values.len()).unwrap_or(u32::MAX);
        values.push(tile::Value {
            string_value: Some(cells::hex(c.cell)),
            ..Default::default()
        });
        values.push(int(c.reports));
        values.push(int(c.people));
        if special {
            values.push(int(c.special));
        }
        let tags = (0..keys.len() as u32)
            .flat_map(|k| [k, first + k])
            .collect();
        features.push(tile::Feature {
            id: None,
            tags,
            r#type: Some(tile::GeomType::Polygon as i32),
            geometry,
        });
    }
    if features.is_empty() {
        return Vec::new();
    }
    Tile {
        layers: vec![tile::Layer {
            version: 2,
            name: layer.to_owned(),
            features,
            keys,
            values,
            extent: Some(EXTENT),
        }],
    }
    .encode_to_vec()
}

/// A geometry command: its id (1 MoveTo, 2 LineTo, 7 ClosePath) and how often it repeats.
fn command(id: u32, count: usize) -> u32 {
    (id & 7) | (u32::try_from(count).unwrap_or(0) << 3)
}

/// A coordinate step, zigzag-encoded (tile coordinates are whole numbers well inside i32).
fn zigzag(step: f64) -> u32 {
    let n = step as i32;
    ((n << 1) ^ (n >> 31)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_is_encoded_as_one_clockwise_ring_that_decodes_to_its_outline() {
        use geozero::mvt::{Message, Tile};
        let point = crate::rules::geo::GeoPoint::new(36.19, 117.09).unwrap();
        let cell = cells::r9(point).unwrap();
        let (z, x, y) = (14, 13520, 6423);
        let (w, s, e, n) = tile_bounds(z, x, y);
        assert!(w < 117.09 && 117.09 < e && s < 36.19 && 36.19 < n);
        let one = Cell {
            cell,
            reports: 3,
            people: 4,
            special: 1,
        };
        let bytes = encode((z, x, y), "sightings", &[one], true);
        let tile = Tile::decode(bytes.as_slice()).unwrap();
        let layer = &tile.layers[0];
        assert_eq!(layer.keys, ["cell", "count", "people", "special_count"]);
        let feature = &layer.features[0];
        let value = |k: usize| &layer.values[feature.tags[2 * k + 1] as usize];
        assert_eq!(
            value(0).string_value.as_deref(),
            Some(cells::hex(cell).as_str())
        );
        assert_eq!(value(1).int_value, Some(3));
        assert_eq!(value(3).int_value, Some(1));
        // MoveTo 1, LineTo 5, ClosePath 1: a hexagon.
        let g = &feature.geometry;
        assert_eq!((g[0], g[3], *g.last().unwrap()), (9, 2 | (5 << 3), 15));
        let unzig = |v: u32| ((v >> 1) as i32) ^ -((v & 1) as i32);
        let mut points = vec![(unzig(g[1]), unzig(g[2]))];
        for step in g[4..g.len() - 1].chunks(2) {
            let (px, py) = *points.last().unwrap();
            points.push((px + unzig(step[0]), py + unzig(step[1])));
        }
        assert_eq!(points.len(), 6);
        let area: i64 = points
            .iter()
            .zip(points.iter().cycle().skip(1))
            .map(|(a, b)| i64::from(a.0) * i64::from(b.1) - i64::from(b.0) * i64::from(a.1))
            .sum();
        assert!(area > 0, "an exterior ring");
        // Each vertex lies where the outline's corner falls in the tile.
        let scale = f64::from(EXTENT) * 16384.0;
        for [lon, lat] in cells::ring(cell) {
            let px = ((lon + 180.0) / 360.0 * scale - f64::from(x) * 4096.0).round() as i32;
            let py = ((1.0 - lat.to_radians().tan().asinh() / PI) / 2.0 * scale
                - f64::from(y) * 4096.0)
                .round() as i32;
            assert!(points.contains(&(px, py)), "{px},{py}");
        }
        assert!(encode((z, x + 3, y), "sightings", &[one], true).is_empty());
    }

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
