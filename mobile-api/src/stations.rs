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
