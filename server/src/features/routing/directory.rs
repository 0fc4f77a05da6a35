//! The station directory held in memory, so that routing a point costs microseconds and no
//! database round trip. Loaded at start and reloaded when `xunjiu seed` announces a change.

use geo::{BoundingRect, Distance, Geodesic, Haversine, Intersects, MultiPolygon, Point, Rect};
use mobile_api::{AreaRef, Route, Station};

use crate::plumbing::error::ApiError;
use crate::rules::geo::GeoPoint;

/// A great-circle distance on the mean sphere is within 0.6 % of the geodesic one on WGS84
/// either way, so a point farther than this factor times the nearest on the sphere cannot be
/// the nearest on the spheroid; the metre covers rounding at tiny distances.
const SPHERE_SLACK: f64 = 1.02;

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

/// What a record keeps of its routing: the station, how far, and the county-level area.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub station_code: String,
    pub distance_m: f64,
    pub area_code: Option<String>,
}

impl Routed<'_> {
    pub fn placement(&self) -> Placement {
        Placement {
            station_code: self.station.station.code.clone(),
            distance_m: self.distance_m,
            area_code: self.area.map(|a| a.area.code.clone()),
        }
    }
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

    /// This directory with one station standing at another point (a correction not yet saved).
    pub fn with_station_at(&self, code: &str, lat: f64, lon: f64) -> Directory {
        let mut moved = self.clone();
        for s in &mut moved.stations {
            if s.station.code == code {
                s.point = Point::new(lon, lat);
                s.station.lat = lat;
                s.station.lon = lon;
            }
        }
        moved
    }

    /// The nearest active hotspot within `within_m` metres, with its distance.
    pub fn nearest_hotspot(&self, at: GeoPoint, within_m: f64) -> Option<(&HotspotEntry, f64)> {
        let point = Point::from(at);
        self.hotspots
            .iter()
            .filter(|h| Haversine.distance(point, h.point) <= within_m * SPHERE_SLACK + 1.0)
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

    /// Where a record at `at` goes when it is taken to station `code` rather than routed (a
    /// person escorted there), with the geodesic distance and the area holding `at`.
    pub fn place_at_station(&self, code: &str, at: GeoPoint) -> Option<Placement> {
        let station = self.station(code)?;
        let point = Point::from(at);
        Some(Placement {
            station_code: station.station.code.clone(),
            distance_m: Geodesic.distance(point, station.point),
            area_code: self
                .areas
                .iter()
                .find(|a| a.boundary.covers(&point))
                .map(|a| a.area.code.clone()),
        })
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
        // Only stations that could be the nearest get the costly geodesic (a province's 200
        // would take a fifth of a millisecond); the order of the rest decides ties as before.
        let sphere: Vec<f64> = self
            .stations
            .iter()
            .map(|s| Haversine.distance(point, s.point))
            .collect();
        let reach = sphere.iter().copied().fold(f64::INFINITY, f64::min) * SPHERE_SLACK + 1.0;
        let (station, distance_m) = self
            .stations
            .iter()
            .zip(&sphere)
            .filter(|(_, d)| **d <= reach)
            .map(|(s, _)| (s, Geodesic.distance(point, s.point)))
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

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;

    fn station(code: String, lat: f64, lon: f64) -> StationEntry {
        StationEntry {
            station: Station {
                code,
                name: String::new(),
                county: String::new(),
                county_code: String::new(),
                address: String::new(),
                phone: String::new(),
                lat,
                lon,
            },
            point: Point::new(lon, lat),
        }
    }

    #[test]
    fn the_sphere_prefilter_picks_the_geodesic_nearest_station_and_hotspot() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut stations = Vec::new();
        let mut hotspots = Vec::new();
        for i in 0..200 {
            let (lat, lon) = (rng.random_range(34.4..38.3), rng.random_range(115.0..122.5));
            stations.push(station(format!("s{i:03}"), lat, lon));
            // Pairs of hotspots a few metres apart, where a careless bound would pick wrong.
            for d in [0.0, 0.00003] {
                hotspots.push(HotspotEntry {
                    id: uuid::Uuid::new_v4(),
                    name: String::new(),
                    kind: String::new(),
                    point: Point::new(lon + d, lat + d),
                });
            }
        }
        let everywhere = geo::Rect::new((100.0, 20.0), (130.0, 50.0)).to_polygon();
        let directory = Directory::new(
            stations.clone(),
            Vec::new(),
            Some(MultiPolygon::new(vec![everywhere])),
            hotspots.clone(),
        );
        for _ in 0..500 {
            let (lat, lon) = (rng.random_range(34.4..38.3), rng.random_range(115.0..122.5));
            let at = GeoPoint::new(lat, lon).unwrap();
            let p = Point::from(at);
            let brute = stations
                .iter()
                .map(|s| (s, Geodesic.distance(p, s.point)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            let routed = directory.route(at).unwrap();
            assert_eq!(routed.station.station.code, brute.0.station.code);
            assert_eq!(routed.distance_m, brute.1);

            // Near a hotspot pair: the nearer of the two, as the brute force finds it.
            let h = &hotspots[rng.random_range(0..hotspots.len())];
            let near = GeoPoint::new(h.point.y() + 0.0004, h.point.x() - 0.0003).unwrap();
            let brute = hotspots
                .iter()
                .map(|h| (h.id, Geodesic.distance(Point::from(near), h.point)))
                .filter(|(_, d)| *d <= 150.0)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            let found = directory
                .nearest_hotspot(near, 150.0)
                .map(|(h, d)| (h.id, d));
            assert_eq!(found, brute);
        }
    }
}
