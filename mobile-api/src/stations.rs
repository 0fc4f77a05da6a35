//! The rescue-station directory and nearest-station routing.

use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::geo::AreaRef;

/// A rescue station (救助管理站). Its phone is what patrol officers give to the people they find.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Station {
    #[cfg_attr(feature = "openapi", schema(example = "xintai"))]
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(example = "新泰市救助管理站"))]
    pub name: String,
    /// Name of the county-level area the station stands in.
    #[cfg_attr(feature = "openapi", schema(example = "新泰市"))]
    pub county: String,
    /// Six-digit code of that area.
    #[cfg_attr(feature = "openapi", schema(example = "370982"))]
    pub county_code: String,
    #[cfg_attr(feature = "openapi", schema(example = "新泰市寺山路231号"))]
    pub address: String,
    #[cfg_attr(feature = "openapi", schema(example = "0538-7330199"))]
    pub phone: String,
    pub lat: f64,
    pub lon: f64,
}

/// `GET /api/v1/stations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StationList {
    pub stations: Vec<Station>,
}

/// `GET /api/v1/route`: the nearest station by geodesic distance, and the area the point lies in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Route {
    pub station: Station,
    /// Geodesic distance on the WGS84 spheroid, in metres.
    #[cfg_attr(feature = "openapi", schema(example = 1234.5))]
    pub distance_m: f64,
    /// The county-level area containing the point; null just outside the city boundary. When its
    /// `station_code` differs from `station.code`, the nearest and the territorial station differ.
    pub area: Option<AreaRef>,
}

/// `PATCH /api/v1/stations/{code}` (admins, city supervisors): a correction, with its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StationChange {
    /// The station's real place (`crs` as sent; stored in WGS84).
    #[serde(default)]
    pub location: Option<crate::geo::Location>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Where the correction comes from: "surveyed 2026-12-03", "the station's own Amap pin".
    #[cfg_attr(feature = "openapi", schema(example = "surveyed 2026-12-03"))]
    pub source: String,
}

/// One correction of a station, oldest first in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StationChangeRecord {
    pub at: chrono::DateTime<chrono::Utc>,
    /// Username of who made it.
    pub by: String,
    pub source: String,
    pub old_lat: Option<f64>,
    pub old_lon: Option<f64>,
    pub new_lat: Option<f64>,
    pub new_lon: Option<f64>,
    /// The position as sent, when not in WGS84.
    pub sent_crs: Option<String>,
    pub sent_lat: Option<f64>,
    pub sent_lon: Option<f64>,
    pub old_address: Option<String>,
    pub new_address: Option<String>,
    pub old_phone: Option<String>,
    pub new_phone: Option<String>,
}

/// `GET /api/v1/stations/{code}/history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StationHistory {
    pub station: String,
    pub changes: Vec<StationChangeRecord>,
}

/// Reports that would go elsewhere, from one station to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RerouteMove {
    pub from: String,
    pub to: String,
    pub referrals: i64,
    pub sightings: i64,
}

/// `GET /api/v1/stations/{code}/reroute-preview`: what moving the station would change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReroutePreview {
    pub station: String,
    /// The proposed point, WGS84.
    pub lat: f64,
    pub lon: f64,
    pub days: i64,
    /// Referrals and sightings of the last `days` days that would have gone to another station.
    pub referrals: i64,
    pub sightings: i64,
    pub moves: Vec<RerouteMove>,
    /// Up to 10 of each, for a look.
    pub sample_referrals: Vec<uuid::Uuid>,
    pub sample_sightings: Vec<uuid::Uuid>,
}
