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
    /// The datum of `lat`/`lon` as sent: `wgs84` (the default), or `gcj02` (Amap, Tencent, most
    /// location SDKs in China) or `bd09` (Baidu), converted to WGS84 on arrival. Answers are
    /// always WGS84 and never carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<Crs>,
}

/// A coordinate reference system of positions sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Crs {
    Wgs84,
    Gcj02,
    Bd09,
    /// Any other name, refused with 400 `invalid_crs`.
    #[serde(other)]
    Unknown,
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
