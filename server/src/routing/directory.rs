//! The station directory held in memory, so that routing a point costs microseconds and no
//! database round trip. Loaded at start and reloaded when `xunjiu seed` announces a change.

use geo::{BoundingRect, Distance, Geodesic, Intersects, MultiPolygon, Point, Rect};
use mobile_api::{AreaRef, Route, Station};

use super::point::GeoPoint;
use crate::error::ApiError;

/// A station and where it stands.
#[derive(Debug, Clone)]
pub struct StationEntry {
    pub station: Station,
    pub point: Point<f64>,
}

/// A registered hotspot that reports snap to.
#[derive(Debug, Clone)]
pub struct HotspotEntry {
    pub id: uuid::Uuid,
    pub name: String,
    pub kind: String,
    pub point: Point<f64>,
}

/// A county-level area with its boundary.
#[derive(Debug, Clone)]
pub struct AreaEntry {
    pub area: AreaRef,
    boundary: Polygonal,
}

/// A multipolygon with its bounding box, checked first because most points miss most areas.
#[derive(Debug, Clone)]
struct Polygonal {
    shape: MultiPolygon<f64>,
    bbox: Option<Rect<f64>>,
}

impl Polygonal {
    fn new(shape: MultiPolygon<f64>) -> Self {
        let bbox = shape.bounding_rect();
        Self { shape, bbox }
    }

    fn covers(&self, p: &Point<f64>) -> bool {
        self.bbox.is_some_and(|b| b.intersects(p)) && self.shape.intersects(p)
    }
}

/// Stations, areas and the service area, as one consistent snapshot.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    stations: Vec<StationEntry>,
    areas: Vec<AreaEntry>,
    service_area: Option<Polygonal>,
    hotspots: Vec<HotspotEntry>,
}

/// Where a point goes.
#[derive(Debug, Clone)]
pub struct Routed<'a> {
    pub station: &'a StationEntry,
    pub distance_m: f64,
    pub area: Option<&'a AreaEntry>,
}

impl Directory {
    pub fn new(
        stations: Vec<StationEntry>,
        areas: Vec<(AreaRef, MultiPolygon<f64>)>,
        service_area: Option<MultiPolygon<f64>>,
        hotspots: Vec<HotspotEntry>,
    ) -> Self {
        Self {
            stations,
            areas: areas
                .into_iter()
                .map(|(area, shape)| AreaEntry {
                    area,
                    boundary: Polygonal::new(shape),
                })
                .collect(),
            service_area: service_area.map(Polygonal::new),
            hotspots,
        }
    }

    /// The nearest active hotspot within `within_m` metres, with its distance.
    pub fn nearest_hotspot(&self, at: GeoPoint, within_m: f64) -> Option<(&HotspotEntry, f64)> {
        let point = Point::from(at);
        self.hotspots
            .iter()
            .map(|h| (h, Geodesic.distance(point, h.point)))
            .filter(|(_, d)| *d <= within_m)
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    pub fn stations(&self) -> &[StationEntry] {
        &self.stations
    }

    pub fn station(&self, code: &str) -> Option<&StationEntry> {
        self.stations.iter().find(|s| s.station.code == code)
    }

    /// The station's directory entry; just its code if the snapshot predates it (a station
    /// added since the last reload), rather than failing a read.
    pub fn station_or_code(&self, code: &str) -> Station {
        self.station(code).map_or_else(
            || Station {
                code: code.to_owned(),
                name: String::new(),
                county: String::new(),
                county_code: String::new(),
                address: String::new(),
                phone: String::new(),
                lat: 0.0,
                lon: 0.0,
            },
            |s| s.station.clone(),
        )
    }

    /// The nearest station by geodesic distance on the WGS84 spheroid (Karney's algorithm, the
    /// one PostGIS uses for `ST_Distance(geography)`), and the area containing the point.
    /// Refuses points outside the service area.
    pub fn route(&self, at: GeoPoint) -> Result<Routed<'_>, ApiError> {
        let Some(service_area) = &self.service_area else {
            return Err(not_loaded());
        };
        let point = Point::from(at);
        if !service_area.covers(&point) {
            return Err(ApiError::unprocessable(
                "outside_service_area",
                "the point is outside Tai'an's service area (more than the allowed margin beyond the city boundary)",
            ));
        }
        let (station, distance_m) = self
            .stations
            .iter()
            .map(|s| (s, Geodesic.distance(point, s.point)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .ok_or_else(not_loaded)?;
        let area = self.areas.iter().find(|a| a.boundary.covers(&point));
        Ok(Routed {
            station,
            distance_m,
            area,
        })
    }
}

impl From<Routed<'_>> for Route {
    fn from(r: Routed<'_>) -> Self {
        Route {
            station: r.station.station.clone(),
            distance_m: r.distance_m,
            area: r.area.map(|a| a.area.clone()),
        }
    }
}

fn not_loaded() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "directory_not_loaded",
        "the station directory is empty: run `xunjiu seed`",
    )
}

/// An area reference from the three columns a LEFT JOIN on `areas` yields.
pub fn area_ref(
    code: Option<String>,
    name: Option<String>,
    station_code: Option<String>,
) -> Option<AreaRef> {
    Some(AreaRef {
        code: code?,
        name: name?,
        station_code: station_code?,
    })
}
