//! A validated WGS84 point. Axis order lives here and nowhere else: the wire says `{lat, lon}`,
//! `geo` and PostGIS say (x = lon, y = lat).

use crate::plumbing::error::ApiError;

/// Latitude and longitude in degrees, finite and in range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

impl GeoPoint {
    /// A point, or `400 invalid_coordinates`.
    pub fn new(lat: f64, lon: f64) -> Result<Self, ApiError> {
        if !lat.is_finite() || !lon.is_finite() {
            return Err(invalid("lat and lon must be finite numbers"));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(invalid("lat must be between -90 and 90"));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(invalid("lon must be between -180 and 180"));
        }
        Ok(Self { lat, lon })
    }

    /// From query-string text, where a missing or non-numeric value is as bad as an out-of-range one.
    pub fn parse(lat: Option<&str>, lon: Option<&str>) -> Result<Self, ApiError> {
        let number = |name: &str, text: Option<&str>| -> Result<f64, ApiError> {
            let text = text.ok_or_else(|| invalid(format!("{name} is required")))?;
            text.trim()
                .parse::<f64>()
                .map_err(|_| invalid(format!("{name} must be a number in degrees")))
        };
        Self::new(number("lat", lat)?, number("lon", lon)?)
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lon(self) -> f64 {
        self.lon
    }
}

impl From<GeoPoint> for geo::Point<f64> {
    fn from(p: GeoPoint) -> Self {
        geo::Point::new(p.lon, p.lat)
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_coordinates", message)
}
