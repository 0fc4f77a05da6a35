//! Places on the wire.

use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A GPS fix in WGS84 degrees, as a phone reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Location {
    #[cfg_attr(feature = "openapi", schema(example = 35.9104, minimum = -90, maximum = 90))]
    pub lat: f64,
    #[cfg_attr(feature = "openapi", schema(example = 117.7602, minimum = -180, maximum = 180))]
    pub lon: f64,
    /// Horizontal accuracy the phone reports, in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = 12, minimum = 0))]
    pub accuracy_m: Option<f64>,
}

/// A county-level area (区/县/市) and the station that answers for it (属地管理).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AreaRef {
    /// Six-digit administrative division code.
    #[cfg_attr(feature = "openapi", schema(example = "370982"))]
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(example = "新泰市"))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(example = "xintai"))]
    pub station_code: String,
}
